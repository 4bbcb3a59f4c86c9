"""Benchmark of the publication audit (``thm pruefen``): time and memory on a batch run.

Run: ``.venv/bin/python benchmarks/bench_audit.py [REPORTS_DIR] [--runs 3]``

Without REPORTS_DIR a batch of the sample Kreis is run first into a temporary
folder (1-3 min, not timed). Prints, per run: total audit time, of which
reading the files and solving the integer programs, the peak Python heap
(tracemalloc) and the process's peak resident memory, plus the audit figures
(cells, hidden, relations, narrowest range).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "data_samples" / "musterkreis"


def main() -> None:
    """Run the benchmark and print the figures."""
    from thm_lib.disclosure.audit import kontext_aus, pruefe_lesung
    from thm_lib.disclosure.audit_lesen import lese_ordner
    from thm_lib.ingest.arbeitsmappe import load_workspace

    ap = argparse.ArgumentParser()
    ap.add_argument("reports_dir", nargs="?", type=Path)
    ap.add_argument("--arbeitsmappe", type=Path, default=SAMPLE)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    kreis_dir = args.reports_dir
    if kreis_dir is None:
        from thm_lib.run.batch import run_batch

        out = Path(tempfile.mkdtemp(prefix="bench_audit_"))
        print(f"batch run of {args.arbeitsmappe} into {out} ...", flush=True)
        kreis_dir = run_batch(args.arbeitsmappe, out, progress=False).kreis_dir
    ws = load_workspace(args.arbeitsmappe)
    ctx = kontext_aus(ws)
    total, lesen, loesen = [], [], []
    ergebnis = None
    for _ in range(args.runs):  # timed without tracemalloc (it slows Python down ~5x)
        t0 = time.perf_counter()
        lesung = lese_ordner(kreis_dir, ctx.symbol)
        t1 = time.perf_counter()
        ergebnis = pruefe_lesung(lesung, kontext_aus(ws))
        t2 = time.perf_counter()
        total.append(t2 - t0)
        lesen.append(t1 - t0)
        loesen.append(t2 - t1)
    tracemalloc.start()  # one more run for the memory figure
    pruefe_lesung(lese_ordner(kreis_dir, ctx.symbol), kontext_aus(ws))
    peaks = [tracemalloc.get_traced_memory()[1] / 2**20]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert ergebnis is not None
    files = sum(1 for p in Path(kreis_dir).rglob("*") if p.suffix in (".html", ".xlsx"))
    print(f"folder: {kreis_dir} ({files} html/xlsx files)")
    print(
        f"runs: {args.runs}; median total {statistics.median(total):.2f} s "
        f"(read {statistics.median(lesen):.2f} s, model + milp "
        f"{statistics.median(loesen):.2f} s); min total {min(total):.2f} s"
    )
    print(f"peak python heap (tracemalloc) {max(peaks):.0f} MiB; peak RSS {rss:.0f} MiB")
    print(
        f"cells {ergebnis.zellen}, hidden {ergebnis.verborgen} "
        f"({ergebnis.groessen} quantities), relations {ergebnis.beziehungen}, "
        f"findings {len(ergebnis.befunde)}, narrowest {ergebnis.engster_bereich}"
    )


if __name__ == "__main__":
    main()
