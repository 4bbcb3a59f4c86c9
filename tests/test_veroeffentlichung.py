"""Publishing a run: nothing internal in the published folder, the whole-run audit as the
gate (issue 13, points 4 and 5), no case values in published error texts."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from thm_lib.core.errors import DataError, Problem, ohne_personenwerte
from thm_lib.core.paths import PRUEFUNG
from thm_lib.run.batch import intern_ordner, run_batch
from thm_lib.run.kernel import NotebookFehler
from thm_lib.run.kommune import NOTEBOOK_DIR, failure_reason

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def test_case_values_never_reach_a_published_reason() -> None:
    exc = DataError(
        [
            Problem(
                "faelle.csv",
                "Wert kommt mehrfach vor",
                "Bitte korrigieren",
                zeile=7,
                spalte="fall_id",
                wert="TM-F5LQ2U",
            ),
            Problem(
                "faelle.csv",
                "Alter unplausibel",
                "Bitte prüfen",
                zeile=9,
                spalte="alter",
                wert="17",
            ),
            Problem(
                "faelle.csv",
                "Alter unplausibel",
                "Bitte prüfen",
                zeile=12,
                spalte="alter",
                wert="81",
            ),
            Problem(
                "angebote.csv",
                "unbekanntes Handlungsfeld",
                zeile=3,
                spalte="handlungsfeld",
                wert="Spracheee",
            ),
        ]
    )
    grund, log = failure_reason(exc, "05899004/zielgruppe")
    assert log is None  # an expected error: shown, not logged
    assert "TM-F5LQ2U" not in grund and "'17'" not in grund and "'81'" not in grund
    # a case record's problem keeps file, rows, column and message; its hint may quote a
    # cell (as the Land index shows it, thm_lib.run.land)
    assert grund.splitlines()[1:] == [
        "- faelle.csv, Zeile 7, Spalte 'fall_id': Wert kommt mehrfach vor",
        "- faelle.csv, Zeilen 9, 12, Spalte 'alter': Alter unplausibel",
        # offers are no personal data: the value helps
        "- angebote.csv, Zeile 3, Spalte 'handlungsfeld': unbekanntes Handlungsfeld "
        "(Wert: 'Spracheee')",
    ]


def test_a_data_error_from_a_notebook_loses_the_case_values_of_its_text() -> None:
    text = (
        "Es wurde 1 Problem in den Eingabedaten gefunden:\n- faelle.csv, Zeile 7, Spalte "
        "'fall_id': Wert kommt mehrfach vor (Wert: 'TM-F5LQ2U'). Bitte korrigieren"
    )
    exc = NotebookFehler(3, "DataError", text, [])
    grund, log = failure_reason(exc, "05899004/zielgruppe")
    assert log is None
    assert grund.splitlines()[1] == (
        "- faelle.csv, Zeile 7, Spalte 'fall_id': Wert kommt mehrfach vor. Bitte korrigieren"
    )


def test_bedarfe_values_are_left_out_too() -> None:
    text = "- bedarfe.csv, Zeile 4, Spalte 'fall_id': unbekannter Fall (Wert: 'TM-1')"
    assert ohne_personenwerte(text) == (
        "- bedarfe.csv, Zeile 4, Spalte 'fall_id': unbekannter Fall"
    )


def _leaking_notebooks(folder: Path) -> Path:
    """The Zielgruppe notebook plus one cell that shows the unsuppressed Kreis table with
    its published title as caption (as the project's tables carry it): a planted leak the
    whole-run audit must catch."""
    folder.mkdir()
    doc = nbformat.read(NOTEBOOK_DIR / "zielgruppe.ipynb", as_version=4)
    doc.cells.append(
        nbformat.v4.new_code_cell(
            "from IPython.display import HTML\n"
            "from thm_lib.publish import views\n"
            "_t = views.zielgruppe_je_gemeinde(ws)\n"
            "HTML(_t.internal_unsuppressed.style.set_caption(_t.titel).to_html())"
        )
    )
    nbformat.write(doc, folder / "zielgruppe.ipynb")
    return folder


@pytest.mark.slow
def test_a_run_that_fails_the_audit_is_not_published(tmp_path: Path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    out = tmp_path / "reports"
    first = run_batch(mappe, out, ["05899016"], jobs=1, notebooks=("zielgruppe",), progress=False)
    assert first.veroeffentlicht, first.pruefung.zusammenfassung()
    index_before = (first.kreis_dir / "index.html").read_bytes()
    report_before = (first.kreis_dir / "05899016" / "zielgruppe.html").read_bytes()
    assert b"Geheimhaltungspr\xc3\xbcfung des ganzen Laufs: bestanden" in index_before

    leak = run_batch(
        mappe,
        out,
        ["05899016"],
        jobs=1,
        notebooks=("zielgruppe",),
        progress=False,
        notebook_ordner=_leaking_notebooks(tmp_path / "leck"),
    )
    assert not leak.veroeffentlicht
    assert not leak.pruefung.ok and leak.pruefung.befunde
    # the published folder is exactly the previous run; nothing half-swapped
    assert (leak.kreis_dir / "index.html").read_bytes() == index_before
    assert (leak.kreis_dir / "05899016" / "zielgruppe.html").read_bytes() == report_before
    assert not list(out.glob(".*.neu"))
    findings = (intern_ordner(leak.kreis_dir) / PRUEFUNG).read_text(encoding="utf-8")
    assert "NICHT bestanden" in findings
    # the unsuppressed copy is found whatever its HTML shape (cells no rule can name are
    # checked with the privacy guard's column rule): a small count of the copied table
    assert "Ungesperrte kleine Zahl" in findings and "05899016/zielgruppe.html" in findings


def test_audit_settings_without_population() -> None:
    """A Kreis without `einwohner` (found running the batch on such an Arbeitsmappe: the
    audit crashed on pandas' NA and the run stopped with a traceback)."""
    from dataclasses import replace

    import pandas as pd

    from thm_lib.disclosure.audit_deutung import kontext_aus
    from thm_lib.ingest.arbeitsmappe import load_workspace

    ws = load_workspace(SAMPLE)
    ohne = replace(
        ws, gebiete=ws.gebiete.assign(einwohner=pd.array([pd.NA] * len(ws.gebiete), dtype="Int64"))
    )
    # no Gemeinde has a population: the audit knows no "per 1,000" relation, and no zero
    assert kontext_aus(ohne).einwohner == {}
    assert kontext_aus(ws).einwohner["Musterstadt"] == 98400.0
