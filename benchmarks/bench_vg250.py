"""Benchmark: reading one Kreis from a VG250 file of many Kreise (issue 18, point 2).

Run: ``.venv/bin/python benchmarks/bench_vg250.py [--runs 3]``

Synthetic VG250_GEM layers (``tests/helpers_vg250.py``: square Gemeinden with
256 outline points, one water area per Kreis) as GeoPackage and shapefile.
Two series, median of ``--runs`` reads of :func:`thm_lib.ingest.gebiete.read_gebiete`:

1. the file grows (10 … 400 Kreise of 40 Gemeinden), the Kreis stays 40
   Gemeinden: with the attribute filter the time should stay flat;
   "ganze Datei" reads the same file without a Kreis (all Gemeinden), for scale;
2. the file stays (200 Kreise), the Kreis grows (10 … 320 Gemeinden): the time
   should grow with the Kreis.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers_vg250 import kreis_ags, vg250_frame, write_vg250  # noqa: E402

from thm_lib.ingest.gebiete import read_gebiete  # noqa: E402

VERTICES = 256


def median_time(folder: Path, kreis: str | None, runs: int) -> tuple[float, int]:
    """Median seconds of ``runs`` reads, and the number of Gemeinden read."""
    times, n = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        n = len(read_gebiete(folder, kreis, []))
        times.append(time.perf_counter() - t0)
    return statistics.median(times), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print("1) Datei wächst, Kreis bleibt 40 Gemeinden")
        print(
            f"{'Format':6} {'Kreise':>6} {'Objekte':>8} {'MB':>7} {'Kreis s':>8} "
            f"{'ganze Datei s':>14}"
        )
        for kind in ("gpkg", "shp"):
            for kreise in (10, 50, 200, 400):
                folder = base / f"{kind}_{kreise}"
                frame = vg250_frame(kreise, 40, VERTICES)
                path = write_vg250(folder, frame, kind)
                size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
                t_kreis, n = median_time(folder, kreis_ags(kreise // 2), args.runs)
                assert n == 40, n
                t_all = median_time(folder, None, 1)[0] if kreise <= 200 else float("nan")
                print(
                    f"{kind:6} {kreise:6d} {len(frame):8d} {size:7.1f} {t_kreis:8.3f} {t_all:14.3f}"
                )
                del path
        print("\n2) Datei bleibt 200 Kreise, Kreis wächst")
        print(f"{'Format':6} {'Gemeinden im Kreis':>18} {'Kreis s':>8}")
        for kind in ("gpkg", "shp"):
            sizes = [40] * 200
            probes = {10: 20, 40: 60, 160: 100, 320: 140}
            for n, k in probes.items():
                sizes[k] = n
            folder = base / f"{kind}_grow"
            write_vg250(folder, vg250_frame(200, sizes, VERTICES), kind)
            for n, k in probes.items():
                t, read = median_time(folder, kreis_ags(k), args.runs)
                assert read == n, (read, n)
                print(f"{kind:6} {n:18d} {t:8.3f}")


if __name__ == "__main__":
    main()
