"""Benchmark of the Voilà apps: first render and widget latency, next to a bare notebook.

Run from the repository root::

    .venv/bin/python benchmarks/bench_apps.py [--runs 5] [--changes 20] [--preheat]

Starts Voilà twice with the command of ``thm app`` (``thm_lib.apps.server.
voila_command``): once on ``notebooks/apps`` and once on a temporary folder
with a bare notebook that has the same imports and shows one label. Headless
Debian chromium (Playwright, ``executable_path``), network limited to the
loopback servers. Prints

- time to first complete render (navigation until the app's last output is
  on the page; for the Übersicht until the map has drawn its polygons),
  median and range of ``--runs`` fresh pages, and the ratio to the bare
  notebook (target ≤ 1.5);
- latency from a widget change to the updated output, median and p95 of
  ``--changes`` changes per app (target p95 < 300 ms).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from thm_lib.apps import server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "about:", "blob:")
TIMEOUT_MS = 180_000

BARE_CODE = ("import ipywidgets as widgets\n"
             "from thm_lib.apps import angebotsfinder, common, stellen, uebersicht\n\n"
             "widgets.Label('bereit').add_class('thm-bare')")

APPS = {
    # notebook: selector that marks the complete first render
    "bare.ipynb": ".thm-bare",
    "uebersicht.ipynb": ".thm-luecken table, .thm-luecken p",
    "angebotsfinder.ipynb": ".thm-ausgeschlossen table, .thm-ausgeschlossen p",
    "stellen_und_foerderung.ipynb": ".thm-vergleich-tabelle",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_bare(folder: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "bare",
                     "metadata": {}, "outputs": [], "source": BARE_CODE}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                      "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (folder / "bare.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def start(folder: Path, preheat: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(server.voila_command(port, folder, preheat=preheat),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    if not server.wait_for_port(port, proc):
        proc.kill()
        raise SystemExit("Voilà did not start")
    return proc, port


def new_page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL)
              else r.abort())
    return ctx, ctx.new_page()


def first_render(browser, port: int, notebook: str) -> float:
    ctx, page = new_page(browser)
    try:
        t0 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/voila/render/{notebook}", timeout=TIMEOUT_MS)
        page.wait_for_selector(APPS[notebook], timeout=TIMEOUT_MS)
        if notebook == "uebersicht.ipynb":
            page.frame_locator("iframe.thm-karte-frame").locator(
                "path.leaflet-interactive").first.wait_for(timeout=TIMEOUT_MS)
        return time.perf_counter() - t0
    finally:
        ctx.close()


def _wait_text(page, selector: str, old: str) -> None:
    page.wait_for_function(
        "([s, o]) => { const e = document.querySelector(s); return e && e.innerText !== o; }",
        arg=[selector, old], timeout=30_000)


def latency(browser, port: int, notebook: str, changes: int) -> list[float]:
    """Seconds from a change (select or key press) to the changed output, per change."""
    ctx, page = new_page(browser)
    out = []
    try:
        page.goto(f"http://127.0.0.1:{port}/voila/render/{notebook}", timeout=TIMEOUT_MS)
        page.wait_for_selector(APPS[notebook], timeout=TIMEOUT_MS)
        if notebook == "uebersicht.ipynb":
            target, labels = ".thm-kennzahlen-box", ["Probstadt", "Musterstadt"]
            keys = ["05899016|__alle__", "05899004|__alle__"]
            sel = ".thm-kommune select"
        elif notebook == "angebotsfinder.ipynb":
            page.select_option(".thm-gemeinde select", label="Musterstadt")
            page.select_option(".thm-handlungsfeld select", label="Sprache")
            target, labels = ".thm-angebote", ["Aufenthaltsgestattung", "Duldung"]
            sel = ".thm-status-wahl select"
            page.wait_for_timeout(500)
        else:
            target, labels, sel = ".thm-stellen-tabelle", None, None
            page.locator(".thm-schluessel .noUi-handle").focus()
        for i in range(changes):
            old = page.inner_text(target)
            t0 = time.perf_counter()
            if labels:
                page.select_option(sel, label=labels[i % 2])
            else:
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            _wait_text(page, target, old)
            if notebook == "uebersicht.ipynb":   # the map is the last output updated
                page.frame_locator(f"iframe[data-auswahl='{keys[i % 2]}']").locator(
                    "path.leaflet-interactive").first.wait_for(timeout=30_000)
            out.append(time.perf_counter() - t0)
        return out
    finally:
        ctx.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--preheat", action="store_true",
                        help="start both servers with --preheat_kernel=True")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        write_bare(Path(tmp))
        bare_proc, bare_port = start(Path(tmp), args.preheat)
        app_proc, app_port = start(server.NOTEBOOKS, args.preheat)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                first_render(browser, bare_port, "bare.ipynb")   # warm-up (disk caches)
                render: dict[str, list[float]] = {nb: [] for nb in APPS}
                for _ in range(args.runs):          # interleaved: same conditions for all
                    for nb in APPS:
                        port = bare_port if nb == "bare.ipynb" else app_port
                        render[nb].append(first_render(browser, port, nb))
                lat = {nb: latency(browser, app_port, nb, args.changes)
                       for nb in APPS if nb != "bare.ipynb"}
                browser.close()
        finally:
            for proc in (bare_proc, app_proc):
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()

    bare = statistics.median(render["bare.ipynb"])
    print(f"Voilà apps, {args.runs} runs, preheat={args.preheat}")
    print(f"{'notebook':30} {'first render median':>20} {'min-max':>14} {'× bare':>7}")
    for nb, times in render.items():
        med = statistics.median(times)
        print(f"{nb:30} {med:>19.2f}s {min(times):>6.2f}-{max(times):<6.2f} "
              f"{med / bare:>7.2f}")
    print(f"\nwidget change → updated output ({args.changes} changes)")
    print(f"{'notebook':30} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for nb, times in lat.items():
        print(f"{nb:30} {statistics.median(times) * 1000:>10.0f} {p95(times) * 1000:>8.0f} "
              f"{max(times) * 1000:>8.0f}")


if __name__ == "__main__":
    main()
