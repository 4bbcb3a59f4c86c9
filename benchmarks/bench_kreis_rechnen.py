"""Benchmark of computing one Kreis for the batch (``thm_lib.run.buendel.berechnen``).

    .venv/bin/python benchmarks/bench_kreis_rechnen.py [--alle] [--seed N] [--kreis NAME]

For the sample Kreis and Kreise of the synthetic Land (``thm beispiel-land``;
by default every seventh, with ``--alle`` all 53, with ``--kreis`` those whose
folder name contains NAME; ``--seed`` draws another Land) prints the seconds of
``berechnen`` (coverage, staffing and every published table of the Kreis) and
how many problems the disclosure checks solved: linear relaxations (``LP``, on the
kept HiGHS model of a part, ``suppression._Teil._relaxation``) and integer programs
(``milp``, ``scipy.optimize.milp``). Asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import scipy.optimize

from thm_lib.core.paths import SAMPLE
from thm_lib.disclosure import suppression
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.land_synthetic import schreibe_land
from thm_lib.run import buendel

_AUFRUFE = {"lp": 0, "milp": 0}
_MILP = scipy.optimize.milp
_RELAXATION = suppression._Teil._relaxation


def _gezaehlt(*args, **kwargs):
    """``milp``, counted (the disclosure modules import it from scipy.optimize at call time)."""
    _AUFRUFE["lp" if kwargs.get("integrality") is None else "milp"] += 1
    return _MILP(*args, **kwargs)


def _relaxation_gezaehlt(self, c):
    """A part's linear relaxation, counted."""
    _AUFRUFE["lp"] += 1
    return _RELAXATION(self, c)


def messen(mappe: Path) -> tuple[float, dict[str, int]]:
    """Seconds of ``berechnen`` and ``milp`` calls (relaxations, integer) for one Arbeitsmappe."""
    ws = load_workspace(mappe)
    _AUFRUFE.update(lp=0, milp=0)
    start = time.perf_counter()
    buendel.berechnen(ws)
    return time.perf_counter() - start, dict(_AUFRUFE)


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alle", action="store_true", help="alle 53 Kreise des Landes")
    parser.add_argument("--seed", type=int, default=2026, help="Zufallszahl des Landes")
    parser.add_argument("--kreis", help="nur Kreise, deren Ordnername dies enthält")
    args = parser.parse_args()
    scipy.optimize.milp = _gezaehlt
    suppression._Teil._relaxation = _relaxation_gezaehlt
    with tempfile.TemporaryDirectory() as d:
        mappen = schreibe_land(Path(d) / "land", seed=args.seed)
        if args.kreis:
            auswahl = [m for m in mappen if args.kreis in m.name]
        else:
            auswahl = mappen if args.alle else mappen[::7]
        messen(SAMPLE)  # imports and caches warm
        summe = 0.0
        for mappe in [SAMPLE, *auswahl]:
            sekunden, aufrufe = messen(mappe)
            summe += sekunden
            print(
                f"{mappe.name:32s} {sekunden:6.2f} s  {aufrufe['lp']:5d} LP"
                f"  {aufrufe['milp']:5d} milp"
            )
        print(f"Summe: {summe:.1f} s")


if __name__ == "__main__":
    main()
