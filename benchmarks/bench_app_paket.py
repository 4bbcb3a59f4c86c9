"""Benchmark of the apps' data bundle (what ``thm app`` builds before Voilà starts).

Run from the repository root::

    .venv/bin/python benchmarks/bench_app_paket.py [ARBEITSMAPPE]

Loads the Arbeitsmappe (default: the sample Kreis) and prints the time of
:func:`thm_lib.apps.paket_bauen.erstellen` with every choice of the
Standortplanung computed (:meth:`~thm_lib.apps.standort.StandortVorrat.vollstaendig`,
Handlungsfelder × 5 sites × Zugang), without writing the files.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from thm_lib.apps import paket_bauen
from thm_lib.ingest.arbeitsmappe import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def main() -> None:
    """Print the figures (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arbeitsmappe", nargs="?", type=Path, default=SAMPLE)
    args = parser.parse_args()
    ws = load_workspace(args.arbeitsmappe)
    print(f"Arbeitsmappe: {args.arbeitsmappe}")
    start = time.perf_counter()
    daten = paket_bauen.erstellen(ws)
    erstellt = time.perf_counter() - start
    daten.standort.vollstaendig()
    gesamt = time.perf_counter() - start
    wahlen = len(daten.standort.wahlen())
    print(f"erstellen: {erstellt:6.1f} s")
    print(f"mit allen {wahlen} Standortplanungen: {gesamt:6.1f} s")


if __name__ == "__main__":
    main()
