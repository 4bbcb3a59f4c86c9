"""Benchmark of the publication layer: building it once per Kreis, then every view from it.

Run from the repository root::

    .venv/bin/python benchmarks/bench_publication.py [--gemeinden 40]

For the sample Kreis and a generated Kreis with many small Gemeinden
(``tests/helpers_kreis.py``) prints

- seconds to load the Workspace and to run the coverage analysis and the
  staffing estimates (the analyses, for scale);
- seconds for the first round of published tables (the layer is built:
  target group per Stichtag, reach, staffing persons, coverage mask) and for
  a second round (everything from the cache, as a Kommune report of the same
  run sees it);
- how many Gemeinde × Handlungsfeld coverage rows are shown, and how many
  target-group cells are hidden.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _round(ws, result, bemessung) -> None:
    from thm_lib.publish import views

    views.zielgruppe_je_gemeinde(ws)
    views.zielgruppe_verlauf(ws, str(ws.gebiete["ags"].iloc[0]))
    views.zielgruppe_struktur(ws)
    if ws.faelle is not None:
        views.bericht_tabellen(ws)
    views.stellen_tabelle(ws, bemessung)
    views.lueckenliste(ws, result)
    views.versorgung_matrix(ws, result)
    views.karten_mass(ws, "zielgruppe")


def measure(folder: Path, label: str) -> None:
    """Print the figures for one Arbeitsmappe."""
    from thm_lib.analysis import coverage, staffing
    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.publish import views

    t0 = time.perf_counter()
    ws = load_workspace(folder)
    t1 = time.perf_counter()
    result = coverage.analyse(ws)
    bemessung = staffing.stellenbemessung(ws)
    t2 = time.perf_counter()
    _round(ws, result, bemessung)
    t3 = time.perf_counter()
    _round(ws, result, bemessung)
    t4 = time.perf_counter()
    shown = int((~views.versorgung_gesperrt(ws, result)).sum())
    zg = views.zielgruppe_je_gemeinde(ws)
    print(f"{label}: {len(ws.gebiete)} Gemeinden")
    print(f"  laden {t1 - t0:.2f} s, Analysen {t2 - t1:.2f} s")
    print(
        f"  Tabellen erste Runde (Schicht wird gebaut) {t3 - t2:.2f} s, "
        f"zweite Runde (Cache) {t4 - t3:.3f} s"
    )
    print(
        f"  Versorgungszeilen gezeigt {shown} von {len(result.gemeinden)}; "
        f"Zielgruppenzellen gesperrt {int(zg.mask.to_numpy().sum())} von {zg.mask.size}"
    )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gemeinden", type=int, default=40)
    args = parser.parse_args()
    from helpers_kreis import write_kreis

    measure(ROOT / "data_samples" / "musterkreis", "Musterkreis")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_kreis(Path(tmp) / "kreis", n=args.gemeinden, seed=3)
        measure(folder, "Generierter Kreis")


if __name__ == "__main__":
    main()
