"""Benchmark of the static view (``thm app --statisch``): write time, size, first paint.

Run from the repository root::

    .venv/bin/python benchmarks/bench_statisch.py [--arbeitsmappe ORDNER] [--runs 5]

Writes the static view of the Arbeitsmappe (default: the sample Kreis) into a
temporary folder and prints

- the write time (loading the Arbeitsmappe not included) and the number of
  Übersicht selections and Angebotsfinder profiles;
- the folder size, in total and for the data scripts, maps and Excel files;
- for each page (start page, Übersicht, Angebotsfinder), opened from ``file://`` in
  headless Debian chromium with every non-file request aborted, over ``--runs``
  fresh pages: first paint (``performance.getEntriesByType('paint')``,
  first-contentful-paint) and the load event, median and maximum (target: first
  paint < 1 s); and the time from a change of a dropdown until the page shows the
  new selection (median of 20 changes).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from thm_lib.apps import statisch  # noqa: E402
from thm_lib.apps.common import SAMPLE  # noqa: E402
from thm_lib.ingest.arbeitsmappe import load_workspace  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL = ("file:", "data:", "about:", "blob:")
PAINT_JS = """() => {
  const p = Object.fromEntries(performance.getEntriesByType('paint')
    .map((e) => [e.name, e.startTime]));
  const nav = performance.getEntriesByType('navigation')[0];
  return [p['first-paint'], p['first-contentful-paint'], nav.loadEventEnd];
}"""
CHANGE_JS = """([sel, value, attr]) => new Promise((resolve) => {
  const el = document.querySelector(sel);
  const t0 = performance.now();
  el.value = value;
  el.dispatchEvent(new Event('change'));
  requestAnimationFrame(() => resolve(performance.now() - t0));
})"""


def _mb(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths) / 1e6


def groessen(erg: statisch.StatischErgebnis) -> dict[str, float]:
    """Size in MB: all, data scripts, maps, Excel files."""
    files = list(erg.dateien)
    return {
        "gesamt": _mb(files),
        "daten_uebersicht.js": _mb([p for p in files if p.name == "daten_uebersicht.js"]),
        "daten_angebotsfinder.js": _mb([p for p in files if p.name == "daten_angebotsfinder.js"]),
        "karten": _mb([p for p in files if p.parent.name == statisch.KARTEN_ORDNER]),
        "excel": _mb([p for p in files if p.suffix == ".xlsx"]),
    }


def erste_darstellung(ordner: Path, runs: int) -> dict[str, list[list[float]]]:
    """First paint, first contentful paint and load end (ms) per page and run."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[list[float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        for name in ("index.html", "uebersicht.html", "angebotsfinder.html"):
            out[name] = []
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith(LOCAL) else r.abort(),
                )
                page = context.new_page()
                page.goto((ordner / name).as_uri(), wait_until="load")
                page.wait_for_timeout(100)  # paint entries are recorded after load
                out[name].append(page.evaluate(PAINT_JS))
                context.close()
        browser.close()
    return out


def wechsel(ordner: Path, n: int = 20) -> dict[str, list[float]]:
    """Milliseconds from a dropdown change until the next frame, per page."""
    from playwright.sync_api import sync_playwright

    daten_u = statisch_daten(ordner, "uebersicht")
    daten_f = statisch_daten(ordner, "angebotsfinder")
    plan = {
        "uebersicht.html": ("#kommune", [v for _, v in daten_u["kommunen"]]),
        "angebotsfinder.html": ("#gemeinde", [v for _, v in daten_f["gemeinden"]]),
    }
    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page()
        for name, (sel, values) in plan.items():
            page.goto((ordner / name).as_uri(), wait_until="load")
            out[name] = [
                page.evaluate(CHANGE_JS, [sel, values[i % len(values)], None]) for i in range(n)
            ]
        browser.close()
    return out


def statisch_daten(ordner: Path, name: str) -> dict:
    """The data of a ``daten_<name>.js``."""
    text = (ordner / f"daten_{name}.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arbeitsmappe", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ws = load_workspace(args.arbeitsmappe)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        erg = statisch.schreibe_statisch(ws, Path(tmp) / "ansicht")
        dauer = time.perf_counter() - t0
        print(f"Arbeitsmappe: {args.arbeitsmappe} ({ws.name})")
        print(
            f"Schreiben: {dauer:.1f} s, {len(erg.dateien)} Dateien, {erg.auswahlen} Auswahlen "
            f"der Übersicht, {erg.profile} Profile des Angebotsfinders"
        )
        for k, v in groessen(erg).items():
            print(f"  Größe {k}: {v:.2f} MB")
        for name, runs in erste_darstellung(erg.ordner, args.runs).items():
            fp = [r[0] for r in runs]
            fcp = [r[1] for r in runs]
            load = [r[2] for r in runs]
            print(
                f"{name}: first paint Median {statistics.median(fp):.0f} ms "
                f"(max {max(fp):.0f}), first contentful paint Median "
                f"{statistics.median(fcp):.0f} ms, load Median {statistics.median(load):.0f} ms "
                f"({len(runs)} Läufe)"
            )
        for name, ms in wechsel(erg.ordner).items():
            print(
                f"{name}: Wechsel der Auswahl bis zum nächsten Bild Median "
                f"{statistics.median(ms):.1f} ms, max {max(ms):.1f} ms"
            )


if __name__ == "__main__":
    main()
