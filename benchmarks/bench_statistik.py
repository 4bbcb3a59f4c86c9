"""Benchmark of ``thm import statistik`` (parse + map + Gemeinde rows), without disk.

Run: ``.venv/bin/python benchmarks/bench_statistik.py [--runs 3]``

A synthetic GENESIS flat CSV of the shape of table 12531 at Gemeinde level:
Gemeinden × 2 sexes × 17 age groups × 4 statuses (offen, anerkannt, abgelehnt,
mit Duldung) plus the "Insgesamt" rows of sex, one Stichtag. Sizes: a Kreis
(20 Gemeinden), NRW (396) and NRW × 3 (1,188). The Arbeitsmappe holds the
Gemeinden of the file (so every value is used). Prints seconds (median of
``--runs``) and the peak of Python allocations (tracemalloc) for parsing and
for the mapping to ``zielgruppe`` rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from thm_lib.ingest.statistik import parse_statistik, zielgruppe_aus_statistik  # noqa: E402
from thm_lib.ingest.statistik_import import lade_zuordnung  # noqa: E402

AGES = [
    (0, 3),
    (3, 6),
    (6, 10),
    (10, 15),
    (15, 18),
    (18, 20),
    (20, 25),
    (25, 30),
    (30, 35),
    (35, 40),
    (40, 45),
    (45, 50),
    (50, 55),
    (55, 60),
    (60, 65),
    (65, 75),
    (75, None),
]
STATUS = [
    "Schutzsuchende mit offenem Schutzstatus",
    "Schutzsuchende mit anerkanntem Schutzstatus",
    "Schutzsuchende mit abgelehntem Schutzstatus",
    "darunter: mit Duldung",
]
SEX = [("GESM", "männlich"), ("GESW", "weiblich"), ("", "Insgesamt")]


def flat_csv(gemeinden: list[str]) -> bytes:
    """The synthetic file (UTF-8, ``;``)."""
    lines = [
        "statistics_code;time;1_variable_code;1_variable_attribute_code;"
        "1_variable_attribute_label;2_variable_code;2_variable_attribute_code;"
        "2_variable_attribute_label;3_variable_code;3_variable_attribute_code;"
        "3_variable_attribute_label;4_variable_code;4_variable_attribute_code;"
        "4_variable_attribute_label;value;value_unit;value_q"
    ]
    for i, ags in enumerate(gemeinden):
        for code, sex in SEX:
            for lo, hi in AGES:
                age = (
                    f"{lo} Jahre und mehr"
                    if hi is None
                    else f"unter {hi} Jahre"
                    if lo == 0
                    else f"{lo} bis unter {hi} Jahre"
                )
                for k, status in enumerate(STATUS):
                    value = (i * 7 + lo + k) % 97
                    lines.append(
                        f"12531;2023-12-31;GEMEIN;{ags};Gemeinde {ags};GES;{code};"
                        f"{sex};ALTX20;A{lo};{age};SCHST;S{k};{status};"
                        f"{'-' if value == 0 else value};Anzahl;e"
                    )
    return ("\n".join(lines) + "\n").encode("utf-8")


def measure(fn, runs: int) -> tuple[float, float, object]:
    """Median seconds of ``runs`` calls, then one more call under tracemalloc (peak MB)."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    zuordnung = lade_zuordnung()
    print(
        f"{'Gemeinden':>9} {'Werte':>8} {'MB':>6} {'Lesen s':>8} {'MB Spitze':>9} "
        f"{'Zuordnen s':>10} {'MB Spitze':>9} {'Zeilen':>7}"
    )
    for n in (20, 396, 1188):
        gemeinden = [f"05{100 + i // 50:03d}{i % 50 + 1:03d}" for i in range(n)]
        data = flat_csv(gemeinden)
        gebiete = pd.DataFrame({"ags": gemeinden, "name": gemeinden, "einwohner": 1000})
        t_parse, m_parse, roh = measure(
            lambda d=data: parse_statistik(d, "bench_flat.csv"), args.runs
        )
        t_map, m_map, result = measure(
            lambda r=roh, g=gebiete: zielgruppe_aus_statistik(r, zuordnung, g), args.runs
        )
        print(
            f"{n:9d} {len(roh.werte):8d} {len(data) / 1e6:6.1f} {t_parse:8.2f} "
            f"{m_parse:9.0f} {t_map:10.2f} {m_map:9.0f} {len(result.zielgruppe):7d}"
        )


if __name__ == "__main__":
    main()
