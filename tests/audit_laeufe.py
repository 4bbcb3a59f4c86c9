"""Batch runs shared by the audit and attack tests (each run once per test session).

Not a test module: ``tests/test_audit.py`` and ``tests/test_attack.py`` import it.
"""

from __future__ import annotations

import csv
import functools
import shutil
import tempfile
from pathlib import Path

from thm_lib.batch import run_batch

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
KLEIN_NOTEBOOKS = ("zielgruppe", "stellen_und_foerderung")
TEILER = 6
"""The second Kreis: every target-group count of the sample divided by this (rounded)."""


@functools.lru_cache(maxsize=None)
def _root() -> Path:
    return Path(tempfile.mkdtemp(prefix="thm_audit_laeufe_"))


@functools.lru_cache(maxsize=None)
def musterkreis_lauf() -> Path:
    """``reports/<kreis>/`` of a full batch run of the sample Kreis."""
    return run_batch(SAMPLE, _root() / "muster", progress=False).kreis_dir


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
    annahmen.write_text(annahmen.read_text(encoding="utf-8").replace(
        "Musterkreis (fiktiv)", "Kleinkreis (generiert)"), encoding="utf-8")
    return ziel


@functools.lru_cache(maxsize=None)
def kleiner_kreis_lauf() -> tuple[Path, Path]:
    """(Arbeitsmappe, ``reports/<kreis>/``) of the second, generated Kreis (two notebooks)."""
    mappe = kleiner_kreis(_root() / "kleinkreis")
    run = run_batch(mappe, _root() / "klein", notebooks=KLEIN_NOTEBOOKS, progress=False)
    return mappe, run.kreis_dir
