"""Batch runs shared by the audit and attack tests (each run once per test session).

Not a test module: ``tests/test_audit.py`` and ``tests/test_attack.py`` import it.
"""

from __future__ import annotations

import atexit
import csv
import functools
import os
import shutil
import tempfile
from pathlib import Path

from tests.arbeitsmappen import FREIE_GRUENDE
from tests.fachverfahren import EIGENE_TEXTE
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit_deutung import Leser, kontext_aus
from thm_lib.disclosure.audit_lesen import lese_ordner
from thm_lib.disclosure.privacy import PSEUDONYM, scan_paths
from thm_lib.run.batch import BatchResult, run_batch

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
KLEIN_NOTEBOOKS = ("zielgruppe", "stellen_und_foerderung")
TEILER = 6
"""The second Kreis: every target-group count of the sample divided by this (rounded)."""


@functools.cache
def _root() -> Path:
    """A fresh temporary folder; ``THM_AUDIT_LAEUFE=<dir>`` keeps and reuses runs there
    (for development only: a reused run is not rebuilt when the code changes)."""
    keep = os.environ.get("THM_AUDIT_LAEUFE")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    root = Path(tempfile.mkdtemp(prefix="thm_audit_laeufe_"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def _reused(out: Path) -> Path | None:
    if not os.environ.get("THM_AUDIT_LAEUFE"):
        return None
    found = [p.parent for p in out.glob("*/index.html")]
    return found[0] if found else None


def _published(result) -> Path:
    """The published folder of a batch run; the batch's own audit must have passed."""
    assert result.veroeffentlicht, result.pruefung.zusammenfassung()
    return result.kreis_dir


@functools.cache
def musterkreis_lauf() -> Path:
    """``reports/<kreis>/`` of a full batch run of the sample Kreis."""
    out = _root() / "muster"
    return _reused(out) or _published(run_batch(SAMPLE, out, progress=False))


def kleiner_kreis(ziel: Path) -> Path:
    """A second Arbeitsmappe: the sample with every target-group count divided by
    :data:`TEILER` (many small Gemeinden, many counts 1-4), other name."""
    shutil.copytree(SAMPLE, ziel)
    path = ziel / "zielgruppe.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    head, body = rows[0], rows[1:]
    j = head.index("anzahl")
    for r in body:
        if r[j].strip().isdigit():
            r[j] = str(round(int(r[j]) / TEILER))
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows([head, *body])
    annahmen = ziel / "annahmen.yaml"
    annahmen.write_text(
        annahmen.read_text(encoding="utf-8").replace(
            "Musterkreis (fiktiv)", "Kleinkreis (generiert)"
        ),
        encoding="utf-8",
    )
    return ziel


@functools.cache
def kleiner_kreis_lauf() -> tuple[Path, Path]:
    """(Arbeitsmappe, ``reports/<kreis>/``) of the second, generated Kreis (two notebooks)."""
    mappe = _root() / "kleinkreis"
    out = _root() / "klein"
    done = _reused(out)
    if done is not None and mappe.is_dir():
        return mappe, done
    if mappe.exists():
        shutil.rmtree(mappe)
    kleiner_kreis(mappe)
    return mappe, _published(run_batch(mappe, out, notebooks=KLEIN_NOTEBOOKS, progress=False))


def personenspalten_ohne_regel(kreis_dir: Path, ws: Workspace) -> set[str]:
    """Columns of published tables read as counts of persons that no audit rule interprets.

    The audit judges the cells its rules name; any other number in a column whose header
    reads as persons (:func:`~thm_lib.disclosure.publication.zaehlt_personen`) is a finding
    as soon as it is a whole number 1 .. threshold-1. A column listed here holds numbers of
    any size: today it may pass, the next Kreis with a value of exactly 1 publishes nothing
    (round 2, session 21: FAQ positions minus funded ones = 1.00 under the header
    "Differenz FAQ – Bestand"). Such a header must name its unit, or a rule must read it.
    """
    ctx = kontext_aus(ws)
    tabellen = lese_ordner(kreis_dir, ctx.symbol).tabellen
    leser = Leser(ctx)
    leser.lies(tabellen)
    return {
        f"{ort.datei}: „{t.titel}“, Spalte „{ort.spalte}“"
        for t in tabellen
        for ort, _ in leser.ungedeutete_zahlen(t)
    }


def freie_texte_in(kreis_dir: Path) -> list[str]:
    """Files under ``kreis_dir`` that show a typed text of the generated Kreise.

    The remarks of :data:`tests.arbeitsmappen.FREIE_GRUENDE` count as "sonstiger Grund"
    in every published table; the text itself must appear in no file (a remark may name
    a person); nor may what a Fachverfahren's own columns hold
    (:data:`tests.fachverfahren.EIGENE_TEXTE`: names of case workers). Searched
    with the privacy guard's scan, the texts in place of pseudonyms.
    """
    return sorted(
        {
            str(f.path.relative_to(kreis_dir))
            for f in scan_paths([kreis_dir], (*FREIE_GRUENDE, *EIGENE_TEXTE))
            if f.kind == PSEUDONYM
        }
    )


def kreis_und_kommune(mappe: Path, kommune: str, tmp_path: Path) -> BatchResult:
    """``run_batch`` of the Kreis and one Kommune (small notebooks), audited together."""
    return run_batch(
        mappe,
        tmp_path / "out",
        kommunen=[kommune],
        mit_kreis=True,
        notebooks=KLEIN_NOTEBOOKS,
        progress=False,
    )
