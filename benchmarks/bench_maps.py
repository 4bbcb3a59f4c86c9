"""Benchmark of the interactive maps: HTML size, build time, first paint in headless chromium.

Run: ``.venv/bin/python benchmarks/bench_maps.py [--runs 3]``

Two layers: the sample Kreis (``data_samples/musterkreis``) and a synthetic
NRW-sized layer of 396 Gemeinden (Voronoi cells over NRW's extent in
EPSG:25832 with wiggly shared borders, ~500–1,700 vertices per polygon before
simplification) with 960 offers. Targets (issue 6): NRW map < 3 MB, first
paint < 2 s.

"First paint" is the time from ``page.goto`` until every Gemeinde polygon
is in the DOM (Leaflet draws synchronously on load); the browser's own
``first-contentful-paint`` entry is printed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from thm_lib.ingest.synthetic import NRW_BOUNDS, synthetic_workspace  # noqa: E402
from thm_lib.publish.maps import count_measure, kreis_map, map_html, save_map  # noqa: E402
from thm_lib.publish.maps.geometry import simplify_coverage, vertex_count  # noqa: E402
from thm_lib.publish.maps.interactive import CLASS_GEMEINDE, web_tolerance_m  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sample_layer():
    from thm_lib.analysis import target_group
    from thm_lib.ingest.arbeitsmappe import load_workspace

    ws = load_workspace(ROOT / "data_samples" / "musterkreis")
    seg = target_group.segments(ws.zielgruppe, ws.annahmen)
    table = target_group.per_gemeinde(seg, ws.gebiete).set_index("ags")
    return "Musterkreis", ws, count_measure(table["gesamt"])


def nrw_layer():
    ws = synthetic_workspace(
        396,
        seed=7,
        bounds=NRW_BOUNDS,
        steps_per_edge=170,
        offers_per_field=80,
        fields=12,
        name="NRW (synthetisch)",
    )
    rng = np.random.default_rng(7)
    values = pd.Series(rng.integers(0, 400, len(ws.gebiete)), index=ws.gebiete["ags"])
    return "NRW synthetisch (396)", ws, count_measure(values)


def first_paint(browser, path: Path, n_polygons: int) -> tuple[float, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith(("file:", "data:", "about:", "blob:"))
            else r.abort()
        ),
    )
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('path.{CLASS_GEMEINDE}').length >= {n_polygons}"
    )
    elapsed = time.perf_counter() - t0
    fcp = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"
    )
    context.close()
    return elapsed, float(fcp) / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Wiederholungen (Median)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, ws, measure in (sample_layer(), nrw_layer()):
            tol = web_tolerance_m(ws.gebiete, ws.annahmen.karten)
            v_before = vertex_count(ws.gebiete)
            v_after = vertex_count(simplify_coverage(ws.gebiete, tol))
            builds, paints, fcps = [], [], []
            for i in range(args.runs):
                t0 = time.perf_counter()
                m = kreis_map(ws, measure)
                html = map_html(m)
                builds.append(time.perf_counter() - t0)
                path = save_map(m, Path(tmp) / f"{i}.html")
                p, f = first_paint(browser, path, len(ws.gebiete))
                paints.append(p)
                fcps.append(f)
            rows.append(
                (
                    label,
                    len(ws.gebiete),
                    len(ws.angebote),
                    v_before,
                    v_after,
                    tol,
                    len(html.encode("utf-8")) / 1e6,
                    statistics.median(builds),
                    statistics.median(paints),
                    statistics.median(fcps),
                )
            )
        browser.close()

    head = (
        "Ebene",
        "Gemeinden",
        "Angebote",
        "Stützpunkte vorher",
        "nachher",
        "Toleranz m",
        "HTML MB",
        "Aufbau s",
        "Polygone sichtbar s",
        "FCP s",
    )
    print(" | ".join(head))
    for r in rows:
        print(
            f"{r[0]} | {r[1]} | {r[2]} | {r[3]:,} | {r[4]:,} | {r[5]:.0f} | {r[6]:.2f} | "
            f"{r[7]:.2f} | {r[8]:.2f} | {r[9]:.2f}"
        )


if __name__ == "__main__":
    main()
