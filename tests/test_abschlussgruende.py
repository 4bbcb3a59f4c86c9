"""Free-text closure reasons never become published labels (robustness round, finding B1).

``faelle.abschlussgrund`` is free text. A case manager typed "Ahmad Karimi verzogen";
it was published word for word as a row of the table "Abschlüsse" next to "<5". Now
only the reasons of :data:`~thm_lib.analysis.berichtswesen.ABSCHLUSSGRUENDE` keep their
name; every other text counts as "sonstiger Grund".
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from thm_lib.analysis.berichtswesen import (
    ABSCHLUSSGRUENDE,
    NO_REASON,
    OTHER_REASON,
    TOTAL,
    abschlussgrund_label,
    closures_by_reason,
    report_from_workspace,
)
from thm_lib.disclosure import publication
from thm_lib.disclosure.berichtswesen import veroeffentlichen
from thm_lib.ingest.arbeitsmappe import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
NAME = "Ahmad Karimi"
"""The person's name typed into a closure reason; must appear in no output."""
GRUND_NAME = f"{NAME} verzogen"
KOMMUNE = "05899044"
ERLAUBT = {*ABSCHLUSSGRUENDE, OTHER_REASON, NO_REASON, TOTAL}
"""Every label the table "Abschlüsse" may carry."""

# cases of the sample closed in 2021 with consent whose reason is rewritten
ERSETZT = {
    "TM-ZUUD5X": ("Ziele erreicht", GRUND_NAME),  # the reproduction of B1 (Gemeinde 05899016)
    "TM-7M4B6G": ("Kontaktabbruch", "kontaktabbruch "),  # case and trailing space
    "TM-DJDJ3G": ("Rückkehr ins Herkunftsland", "Rueckkehr ins Herkunftsland"),  # umlaut
}

SAMPLE_2021 = {
    "Arbeit aufgenommen": 6,
    "Ausbildung aufgenommen": 7,
    "Kontaktabbruch": 8,
    "Rückkehr ins Herkunftsland": 4,
    "Schulabschluss erreicht": 6,
    "Wegzug": 7,
    "Ziele erreicht": 11,
}
"""Hand count of ``data_samples/musterkreis/faelle.csv``: cases with ``einwilligung`` "ja"
and ``ende`` in 2021 (the report period 01.01.–31.12.2021 of the Stichtag 31.12.2021),
by ``abschlussgrund``; 49 in all (7 more closed in 2021 have no consent)."""

ERWARTET = {
    **SAMPLE_2021,
    "Ziele erreicht": 10,  # TM-ZUUD5X now carries the name
    OTHER_REASON: 1,
    TOTAL: 49,
}
"""The Kreis table "Abschlüsse" 2021 of the changed Arbeitsmappe (before suppression)."""


# ---------------------------------------------------------------- the folding function


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Ziele erreicht", "Ziele erreicht"),
        ("ziele erreicht ", "Ziele erreicht"),
        ("Ziele Erreicht", "Ziele erreicht"),
        ("  ZIELE   ERREICHT", "Ziele erreicht"),
        ("Rueckkehr ins Herkunftsland", "Rückkehr ins Herkunftsland"),
        ("rückkehr ins herkunftsland", "Rückkehr ins Herkunftsland"),
        ("wegzug", "Wegzug"),
        ("Arbeit-aufgenommen", "Arbeit aufgenommen"),
        (GRUND_NAME, OTHER_REASON),
        ("Ziele erreicht (Herr K.)", OTHER_REASON),
        ("Arbeit", OTHER_REASON),
        ("Sonstiger Grund", OTHER_REASON),
        ("keine Angabe", NO_REASON),
        ("Ohne Angabe", NO_REASON),
        ("   ", NO_REASON),
        ("", NO_REASON),
        (None, NO_REASON),
        (pd.NA, NO_REASON),
        (float("nan"), NO_REASON),
    ],
)
def test_label_folds_spellings_and_hides_other_texts(text: object, label: str) -> None:
    assert abschlussgrund_label(text) == label


def test_label_further_reasons_take_their_own_spelling() -> None:
    assert abschlussgrund_label(" arbeit ", ["Arbeit"]) == "Arbeit"
    assert abschlussgrund_label("arbeit") == OTHER_REASON
    assert abschlussgrund_label("ziele erreicht", ["Ziele erreicht"]) == "Ziele erreicht"


def _faelle(gruende: list[str | None]) -> pd.DataFrame:
    n = len(gruende)
    f = pd.DataFrame(
        {
            "fall_id": [f"F{i:02d}" for i in range(n)],
            "ags": ["05100001"] * n,
            "alter": [20] * n,
            "status": ["duldung"] * n,
            "geschlecht": ["w"] * n,
            "einwilligung": pd.array([True] * n, dtype="boolean"),
            "beginn": pd.to_datetime(["2025-06-01"] * n),
            "ende": pd.to_datetime(["2026-02-01"] * n),
        }
    )
    f["abschlussgrund"] = pd.array(gruende, dtype="string")
    return f


def test_closures_by_reason_counts_folded_labels() -> None:
    f = _faelle(
        ["Ziele erreicht", "ziele erreicht ", "Ziele Erreicht", GRUND_NAME, "Wegzug", None, "x"]
    )
    t = closures_by_reason(f, "2026-01-01", "2026-03-31")
    # by hand: 3 × Ziele erreicht, 1 × Wegzug, 2 other texts, 1 without reason
    assert t["anzahl"].to_dict() == {
        "Wegzug": 1,
        "Ziele erreicht": 3,
        NO_REASON: 1,
        OTHER_REASON: 2,
        TOTAL: 7,
    }
    assert list(t.index) == ["Wegzug", "Ziele erreicht", NO_REASON, OTHER_REASON, TOTAL]


def test_closures_by_reason_lists_further_reasons_first() -> None:
    f = _faelle(["arbeit", "Wegzug", GRUND_NAME])
    t = closures_by_reason(f, "2026-01-01", "2026-03-31", gruende=["Ausbildung", "Arbeit"])
    assert t["anzahl"].to_dict() == {
        "Ausbildung": 0,
        "Arbeit": 1,
        "Wegzug": 1,
        OTHER_REASON: 1,
        TOTAL: 3,
    }
    assert list(t.index)[:2] == ["Ausbildung", "Arbeit"]


@pytest.mark.parametrize("gruende", [[None], [None, None, None], []])
def test_closures_without_any_reason_count_as_ohne_angabe(gruende: list[None]) -> None:
    # round 2, session 52: closures that all lack a reason stopped the whole Land run
    # (folding only missing texts gave a column of floats, "ohne Angabe" did not fit in)
    t = closures_by_reason(_faelle(gruende), "2026-01-01", "2026-03-31")
    n = len(gruende)
    assert t["anzahl"].to_dict() == ({NO_REASON: n, TOTAL: n} if n else {TOTAL: 0})


# ---------------------------------------------------------------- the sample with a name


def test_hand_count_of_the_sample() -> None:
    """The literal hand count above, re-counted from the CSV without the package."""
    with (SAMPLE / "faelle.csv").open(encoding="cp1252", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    n = Counter(
        r["abschlussgrund"] for r in rows if r["einwilligung"] == "ja" and r["ende"][-4:] == "2021"
    )
    assert dict(n) == SAMPLE_2021
    for fall, (alt, _) in ERSETZT.items():
        (row,) = [r for r in rows if r["fall_id"] == fall]
        assert row["abschlussgrund"] == alt and row["einwilligung"] == "ja"
        assert row["ende"].endswith(".2021")


@pytest.fixture(scope="module")
def mappe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with the reasons of :data:`ERSETZT` rewritten (one of them a name)."""
    folder = tmp_path_factory.mktemp("abschluss") / "mappe"
    shutil.copytree(SAMPLE, folder)
    path = folder / "faelle.csv"
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    for i, line in enumerate(lines):
        cells = line.split(";")
        if cells[0] in ERSETZT:
            alt, neu = ERSETZT[cells[0]]
            assert cells[-1] == alt
            lines[i] = ";".join([*cells[:-1], neu])
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    return folder


def test_published_table_has_only_listed_labels(mappe: Path) -> None:
    ws = load_workspace(mappe)
    table = publication.fuer(ws).bericht_tabellen["Abschlüsse"]
    assert set(table.published.index) <= ERLAUBT
    assert set(table.internal_unsuppressed.index) <= ERLAUBT
    assert table.internal_unsuppressed["anzahl"].to_dict() == ERWARTET
    # suppression as before: the small counts are hidden, the others shown as counted
    hidden = {g for g, m in table.mask["anzahl"].items() if m}
    assert {OTHER_REASON, "Rückkehr ins Herkunftsland"} <= hidden
    assert table.published.loc[OTHER_REASON, "anzahl"] == "<5"
    for grund, wert in table.published["anzahl"].items():
        if grund not in hidden:
            assert int(wert) == ERWARTET[grund], grund


def test_kommune_report_has_only_listed_labels(mappe: Path) -> None:
    """The case with the name belongs to Gemeinde 05899016: its own report folds it too."""
    ws = load_workspace(mappe)
    report = report_from_workspace(ws, "2021-01-01", "2021-12-31", ags="05899016")
    assert report.abschluesse.loc[OTHER_REASON, "anzahl"] == 1
    assert set(report.abschluesse.index) <= ERLAUBT
    for table in veroeffentlichen(report).values():
        assert not any(NAME in str(v) for v in table.published.index)


# ---------------------------------------------------------------- a real batch


def _texte(path: Path) -> list[str]:
    """The readable text of an output file (cell values of workbooks and tables)."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        return [
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        ] + wb.sheetnames
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        cells = [*df.columns, *df.index, *df.to_numpy().ravel()]
        return [str(v) for v in cells]
    if path.suffix in {".json", ".ipynb"}:
        return [json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False)]
    return [path.read_bytes().decode("utf-8", errors="replace")]


@pytest.mark.slow
def test_batch_publishes_no_typed_reason(mappe: Path, tmp_path: Path) -> None:
    out = tmp_path / "ausgabe"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "thm_lib.run.cli",
            "batch",
            str(mappe),
            "--ausgabe",
            str(out),
            "--kommune",
            KOMMUNE,
            "--jobs",
            "1",
            "--ohne-fortschritt",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert NAME not in proc.stdout + proc.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    # zustand.pickle is the internal cache of the loaded Arbeitsmappe itself (it holds
    # faelle with their pseudonyms, never handed over); everything else is checked
    checked = [p for p in files if p.name != "zustand.pickle"]
    assert {p.suffix for p in checked} >= {".html", ".xlsx", ".json", ".parquet", ".ipynb"}
    for path in checked:
        assert not any(NAME in t for t in _texte(path)), path.relative_to(out)

    bericht = next(out.glob(f"*/{KOMMUNE}/bericht.xlsx"))
    rows = list(load_workbook(bericht, read_only=True)["Abschlüsse"].iter_rows(values_only=True))
    start = [r[0] for r in rows].index("Abschlussgrund") + 1
    table = {r[0]: r[1] for r in rows[start:] if r[0] is not None}
    assert set(table) <= ERLAUBT
    assert table == {
        g: ("<5" if g in {OTHER_REASON, "Rückkehr ins Herkunftsland"} else n)
        for g, n in ERWARTET.items()
    }
    html = next(out.glob(f"*/{KOMMUNE}/zielgruppe.html")).read_text(encoding="utf-8")
    assert "Verfahrenseinstellungen nach Abschlussgrund" in html
    assert f"{OTHER_REASON}</th>" in html
