"""Benchmark of the Differenzprüfung (``thm pruefen --verschiebungen N …``).

Run from the repository root::

    .venv/bin/python benchmarks/bench_differenz.py [ARBEITSMAPPE] \
        [--anzahl 3] [--frueher 1] [--bedarfe 1] [--faelle 1] [--prozesse 1 2]

Loads the Arbeitsmappe (default: the sample Kreis) and prints the time of one
evaluation of the published counts (:func:`thm_lib.run.differenzpruefung.zaehlungen`),
of all other published figures (:func:`~thm_lib.run.differenzpruefung.modellwerte`,
with and without the Standortplanungen), the number of figures, and the whole check
with ``--anzahl`` changes of persons, ``--frueher`` moves at an earlier Stichtag,
``--bedarfe`` need swaps and ``--faelle`` case moves (what ``thm pruefen`` adds to the
audit of the files), once per number of ``--prozesse``.
"""

from __future__ import annotations

import argparse
import functools
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run import differenzpruefung as dp

T = TypeVar("T")
SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def _zeit(f: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    start = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    """Print the figures (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arbeitsmappe", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--anzahl", type=int, default=3)
    parser.add_argument("--frueher", type=int, default=1)
    parser.add_argument("--bedarfe", type=int, default=1)
    parser.add_argument("--faelle", type=int, default=1)
    parser.add_argument("--prozesse", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    ws = load_workspace(args.arbeitsmappe)
    z, tz = _zeit(dp.zaehlungen, ws)
    ohne, to = _zeit(dp.modellwerte, load_workspace(args.arbeitsmappe), standort_p=())
    m, tm = _zeit(dp.modellwerte, load_workspace(args.arbeitsmappe))
    print(f"Arbeitsmappe: {args.arbeitsmappe}")
    print(f"zaehlungen:  {len(z):6d} Werte  {tz:6.1f} s")
    print(f"modellwerte: {len(ohne):6d} Werte  {to:6.1f} s  (ohne Standortplanung)")
    print(f"modellwerte: {len(m):6d} Werte  {tm:6.1f} s  (Standortplanung mit p = 1 und 5)")
    for prozesse in args.prozesse:
        pruefen = functools.partial(
            dp.pruefen,
            load_workspace(args.arbeitsmappe),
            args.anzahl,
            frueher=args.frueher,
            bedarfstausche=args.bedarfe,
            fallverschiebungen=args.faelle,
            prozesse=prozesse,
        )
        e, te = _zeit(pruefen)
        print(
            f"pruefen({args.anzahl}, frueher={args.frueher}, bedarfstausche={args.bedarfe}, "
            f"fallverschiebungen={args.faelle}, prozesse={prozesse}): "
            f"{len(e.geprueft)} Änderungen "
            f"geprüft, {e.unterscheidbar} "
            f"verworfen, {'bestanden' if e.ok else 'NICHT bestanden'}, {te:.1f} s"
        )
    kinder = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    selbst = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Spitzenspeicher: dieser Prozess {selbst:.0f} MB, größter Hilfsprozess {kinder:.0f} MB")


if __name__ == "__main__":
    main()
