"""Benchmark of the batch (issues 7 and 15). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py [--ohne-land] [--gemeinden 396 --kreise 53]

1. the floor of one report: a kernel start with the report imports, and the
   rendering of one notebook in a warm kernel from the Kreis's bundle;
2. the sample Kreis (13 reports) with ``--jobs 1`` and ``--jobs 2`` (wall time,
   fresh output folder), the speed-up, each report's time against the floor,
   and a rerun without changes;
3. the synthetic Land (``thm beispiel-land``, 53 Kreise and kreisfreie Städte,
   396 Gemeinden) with ``--jobs 2``: wall time, reports per minute, peak memory
   of a worker process together with its kernel.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import psutil

from thm_lib.core.paths import SAMPLE
from thm_lib.core.pruefsumme import programmstand, pruefsumme
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.land_synthetic import schreibe_land
from thm_lib.run import buendel
from thm_lib.run.batch import run_batch
from thm_lib.run.kernel import Kernel
from thm_lib.run.kommune import NOTEBOOK_DIR, to_html
from thm_lib.run.land import run_land
from thm_lib.run.report import NOTEBOOKS

AGS = "05899016"


class Speicher:
    """Peak RSS of one worker process plus its descendants (its kernel), polled every 0.2 s."""

    def __init__(self) -> None:
        self.spitze = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._laufen, daemon=True)

    def _laufen(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for worker in me.children():
                try:
                    rss = worker.memory_info().rss + sum(
                        c.memory_info().rss for c in worker.children(recursive=True)
                    )
                except psutil.Error:
                    continue
                self.spitze = max(self.spitze, rss)
            time.sleep(0.2)

    def __enter__(self) -> Speicher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def boden(tmp: Path) -> tuple[float, dict[str, float]]:
    """Kernel start with imports, and per notebook the render in a warm kernel from the bundle."""
    stand = buendel.berechnen(load_workspace(SAMPLE))
    ziel = buendel.schreiben(
        stand,
        tmp / "buendel",
        arbeitsmappe=SAMPLE,
        eingabe=pruefsumme(SAMPLE),
        stand_code=programmstand(),
    )
    k = Kernel()
    try:
        start = time.perf_counter()
        k.vorwaermen()
        kernel_start = time.perf_counter() - start
        render = {}
        for nb in NOTEBOOKS:
            out = tmp / f"{nb}.ipynb"
            parameter = {"arbeitsmappe": str(SAMPLE), "ags": AGS, "buendel": str(ziel)}
            k.ausfuehren(NOTEBOOK_DIR / f"{nb}.ipynb", out, parameter)  # warm-up
            start = time.perf_counter()
            k.ausfuehren(NOTEBOOK_DIR / f"{nb}.ipynb", out, parameter)
            to_html(out, tmp / f"{nb}.html")
            render[nb] = time.perf_counter() - start
    finally:
        k.beenden()
    return kernel_start, render


def musterkreis(tmp: Path) -> None:
    """The sample Kreis with one and two workers, and a rerun without changes."""
    walls = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        result = run_batch(SAMPLE, tmp / f"reports{jobs}", jobs=jobs, progress=False)
        walls[jobs] = time.perf_counter() - start
        ok = sum(r.ok for r in result.results)
        print(
            f"Musterkreis --jobs {jobs}: {walls[jobs]:.1f} s ({ok}/{len(result.results)} Berichte)"
        )
        if jobs == 2:
            zeiten = ", ".join(f"{r.key} {r.sekunden:.1f}" for r in result.results)
            print(f"  je Bericht (s, im Worker): {zeiten}")
    print(f"Beschleunigung --jobs 2 gegenüber --jobs 1: {walls[1] / walls[2]:.2f} ×")
    start = time.perf_counter()
    result = run_batch(SAMPLE, tmp / "reports2", jobs=2, progress=False)
    kept = sum(r.uebersprungen for r in result.results)
    print(
        f"Wiederholung ohne Änderung: {time.perf_counter() - start:.1f} s "
        f"({kept}/{len(result.results)} Berichte übernommen)"
    )


def land(tmp: Path, kreise: int, gemeinden: int, kreisfreie: int) -> None:
    """The synthetic Land with two workers."""
    start = time.perf_counter()
    schreibe_land(tmp / "land", kreise=kreise, gemeinden=gemeinden, kreisfreie=kreisfreie)
    print(f"Synthetisches Land geschrieben: {time.perf_counter() - start:.1f} s")
    with Speicher() as speicher:
        start = time.perf_counter()
        result = run_land(tmp / "land", tmp / "reports_land", jobs=2, progress=False)
        wall = time.perf_counter() - start
    berichte = sum(len(k.result.results) for k in result.kreise if k.result is not None)
    ok = sum(r.ok for k in result.kreise if k.result is not None for r in k.result.results)
    print(
        f"Land ({kreise} Kreise, {gemeinden} Gemeinden) --jobs 2: {wall / 60:.1f} min, "
        f"{ok}/{berichte} Berichte, {result.veroeffentlicht}/{len(result.kreise)} Kreise "
        f"veröffentlicht, {berichte / wall * 60:.0f} Berichte/min"
    )
    print(f"  Spitze Arbeitsspeicher je Worker (mit Kernel): {speicher.spitze / 2**20:.0f} MB")


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ohne-land", action="store_true", help="nur Boden und Musterkreis")
    parser.add_argument("--kreise", type=int, default=53)
    parser.add_argument("--gemeinden", type=int, default=396)
    parser.add_argument("--kreisfreie", type=int, default=22)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        kernel_start, render = boden(tmp)
        print(f"Boden: Kernelstart mit Importen {kernel_start:.2f} s")
        for nb, t in render.items():
            print(f"  {nb:32s} Notebook + HTML im warmen Kernel: {t:.2f} s")
        print(f"  Summe je Kommune (4 Notebooks): {sum(render.values()):.2f} s")
        musterkreis(tmp)
        if not args.ohne_land:
            land(tmp, args.kreise, args.gemeinden, args.kreisfreie)


if __name__ == "__main__":
    main()
