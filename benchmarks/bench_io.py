"""Benchmark: loading an Arbeitsmappe (reading, typing, checks).

Run::

    .venv/bin/python benchmarks/bench_io.py            # sample and a 30x zielgruppe
    .venv/bin/python benchmarks/bench_io.py --quick    # sample only

Prints the wall time of ``load_workspace`` on the sample Kreis (median and best
of 7, after one warm-up) and on a copy whose ``zielgruppe.csv`` repeats the
sample rows 30 times with other Stichtage (about 90,000 rows; median of 3).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from thm_lib.ingest.arbeitsmappe import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def _timed(folder: Path, repeats: int) -> list[float]:
    load_workspace(folder)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        load_workspace(folder)
        times.append(time.perf_counter() - start)
    return times


def _large_copy(target: Path, factor: int) -> int:
    shutil.copytree(SAMPLE, target)
    text = (SAMPLE / "zielgruppe.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], [r for r in rows[1:] if r]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    j = header.index("stichtag")
    for k in range(factor):
        for r in body:
            day, month, year = r[j].split(".")
            writer.writerow([*r[:j], f"{day}.{month}.{int(year) - 40 - k}", *r[j + 1 :]])
    (target / "zielgruppe.csv").write_text(out.getvalue(), encoding="utf-8-sig")
    return factor * len(body)


def main() -> None:
    """Print the load times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the sample")
    args = parser.parse_args()
    times = _timed(SAMPLE, 7)
    print(f"Musterkreis: median {statistics.median(times):.3f} s, best {min(times):.3f} s")
    if args.quick:
        return
    with tempfile.TemporaryDirectory() as tmp:
        n = _large_copy(Path(tmp) / "gross", 30)
        times = _timed(Path(tmp) / "gross", 3)
        print(
            f"zielgruppe mit {n} Zeilen: median {statistics.median(times):.3f} s, "
            f"best {min(times):.3f} s"
        )


if __name__ == "__main__":
    main()
