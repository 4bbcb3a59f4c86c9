"""Benchmark of the Voilà apps: first render and widget latency, next to a bare notebook.

Run from the repository root::

    .venv/bin/python benchmarks/bench_apps.py [--runs 5] [--changes 20] [--preheat]

Builds the apps' bundle of the sample Kreis (as ``thm app`` does, cached in
``reports/apps``) and starts Voilà twice with the command of ``thm app``
(``thm_lib.apps.server.voila_command``): once on ``notebooks/apps`` and once on a
temporary folder with two bare notebooks: ``bare.ipynb`` has the apps' import
(``thm_lib.apps.zeigen``) and shows one label; ``nackt.ipynb`` is one markdown
cell (the issue's "bare markdown notebook"). The ratios are to ``nackt.ipynb``. Headless
Debian chromium (Playwright, ``executable_path``), network limited to the
loopback servers. Prints

- time to first complete render (navigation until the app's last output is
  on the page; for the Übersicht until the map has drawn its polygons),
  median and range of ``--runs`` fresh pages, and the ratio to the bare
  notebook (target ≤ 1.5);
- latency from a widget change to the updated output, median and p95 of
  ``--changes`` changes per app (target p95 < 150 ms for a filter, < 500 ms for a
  recompute). The Übersicht goes through every Gemeinde (a kreisfreie Stadt: every
  Handlungsfeld) and again: its first changes are new selections (a new map is drawn),
  the later ones return to selections shown before (printed apart); below them the
  kernel's part of a new selection (the app's ``update``, measured without browser).

``--speicher K`` opens K pages of each app (and of the bare notebook) at once and
prints the memory of their kernels (RSS and USS, from psutil; USS = memory only
this kernel holds). ``--last N --cap C`` lets N viewers open the Übersicht at once
on a server with kernel cap C; each viewer stays ``--verweilen`` seconds once its
page is usable and then closes it (the kernel ends), so waiting viewers get in.
Prints time until usable (median, p95, max), the most kernels seen at once and the
most kernel memory at once. ``--ohne-zeiten`` skips the render/latency part.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from thm_lib.apps import daten, server  # noqa: E402

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
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "about:", "blob:")
TIMEOUT_MS = 180_000

BARE_CODE = (
    "import ipywidgets as widgets\n"
    "from thm_lib.apps import zeigen\n\n"
    "widgets.Label('bereit').add_class('thm-bare')"
)
NACKT_MARKDOWN = "# Nackt\n\n<span class='thm-nackt'>bereit</span>"
BARE = ("nackt.ipynb", "bare.ipynb")

APPS = {
    # notebook: selector that marks the complete first render
    "nackt.ipynb": ".thm-nackt",
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
    for name, cell in (
        (
            "bare.ipynb",
            {"cell_type": "code", "execution_count": None, "outputs": [], "source": BARE_CODE},
        ),
        ("nackt.ipynb", {"cell_type": "markdown", "source": NACKT_MARKDOWN}),
    ):
        _write_notebook(folder / name, {**cell, "id": "zelle", "metadata": {}})


def _write_notebook(path: Path, cell: dict) -> None:
    nb = {
        "cells": [cell],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def start(
    folder: Path, preheat: bool, buendel: Path, cap: int | None = None, vorrat: bool = True
) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, daten.ENV_BUENDEL: str(buendel)}
    cmd = server.voila_command(port, folder, preheat=preheat, kernel_cap=cap)
    proc = subprocess.Popen(
        [*cmd, f"--ThmVoila.kernel_vorrat={vorrat}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=server.voila_env(env),
    )
    if not server.wait_for_port(port, proc):
        proc.kill()
        raise SystemExit("Voilà did not start")
    return proc, port


def new_page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(LOCAL) else r.abort())
    return ctx, ctx.new_page()


#: Records, in the page's own clock, when the render is complete and painted: the
#: selector of the notebook is visible and (Übersicht) the map iframe has drawn its
#: polygons; then the next frame. The map iframe is sandboxed (opaque origin), so it
#: reports by ``postMessage``. Playwright's own ``wait_for_selector`` re-checks with
#: growing pauses (up to 0.5 s) and so came late by up to half a second for pages that
#: appear a while after ``load`` (the widget pages), but not for the markdown page.
#: In a map iframe: report the epoch ms of the frame after the polygons of each map
#: were drawn (the Übersicht's one frame swaps its maps since session 44).
KARTE_MELDET = """
  const jetzt = () => performance.timeOrigin + performance.now();
  if (window.top !== window) {
    let gemeldet = null;  // the map container reported last (a swapped-in map is a new one)
    const melden = () => {
      const c = document.querySelector('.leaflet-container');
      if (c && c !== gemeldet && c.querySelector('path.leaflet-interactive')) {
        gemeldet = c;
        requestAnimationFrame(() => setTimeout(() => parent.postMessage({thmKarte: jetzt()}, '*')));
      }
    };
    new MutationObserver(melden).observe(document, {childList: true, subtree: true});
    return;
  }
"""
RENDER_SCRIPT = (
    """
(() => {
  const sel = %s, mitKarte = %s;
"""
    + KARTE_MELDET
    + """
  window.addEventListener('message', e => {
    if (e.data && e.data.thmKarte && !window.__thmKarte) window.__thmKarte = e.data.thmKarte;
  });
  const sichtbar = e => e.getBoundingClientRect().height > 0
    && getComputedStyle(e).visibility === 'visible';
  const pruefen = () => {
    if (window.__thmSichtbar || window.__thmPruefe) return;
    const e = document.querySelector(sel);
    if (e && sichtbar(e)) {
      window.__thmPruefe = true;
      requestAnimationFrame(() => setTimeout(() => { window.__thmSichtbar = jetzt(); }));
    }
  };
  const alles = {childList: true, subtree: true, attributes: true};
  new MutationObserver(pruefen).observe(document, alles);
  (function takt() { pruefen(); if (!window.__thmSichtbar) setTimeout(takt, 10); })();
  window.__thmMitKarte = mitKarte;
})();
"""
)

#: The Übersicht's latency: each map iframe element notes when it last drew a map.
KARTEN_SCRIPT = (
    "(() => {"
    + KARTE_MELDET
    + """
  window.addEventListener('message', e => {
    if (!e.data || !e.data.thmKarte) return;
    for (const f of document.querySelectorAll('iframe[data-auswahl]')) {
      if (f.contentWindow === e.source) f.thmGezeichnet = e.data.thmKarte;
    }
  });
})();
"""
)

#: In the page, for a change at epoch ms ``t0`` to the selection ``k``: null until its
#: map is visible and drawn, then the epoch ms it was drawn (the one frame swaps in
#: the map of every change, so that is a drawing after ``t0``). Polled every
#: animation frame.
KARTE_DA = """([k, t0]) => {
  const f = document.querySelector(`iframe[data-auswahl="${CSS.escape(k)}"]`);
  if (!f || f.getBoundingClientRect().height === 0) return null;
  const t = f.thmGezeichnet;
  return t && t >= t0 ? t : null;
}"""
JETZT = "performance.timeOrigin + performance.now()"


#: In the page: the epoch ms when the render was complete (``RENDER_SCRIPT``), else null.
FERTIG = (
    "window.__thmSichtbar && (!window.__thmMitKarte || window.__thmKarte)"
    " ? Math.max(window.__thmSichtbar, window.__thmKarte || 0) : null"
)


def first_render(browser, port: int, notebook: str) -> tuple[float, float]:
    """Seconds until the complete first render: in the page, and as Playwright saw it.

    The first figure is the page's own clock from the start of navigation
    (``performance.timeOrigin``) to the frame after the last output became visible
    (``RENDER_SCRIPT``); the second is the wall time around ``goto`` and Playwright's
    ``wait_for_selector``, the method of earlier sessions, for comparison.
    """
    ctx, page = new_page(browser)
    mit_karte = notebook == "uebersicht.ipynb"
    ctx.add_init_script(RENDER_SCRIPT % (json.dumps(APPS[notebook]), json.dumps(mit_karte)))
    try:
        t0 = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/voila/render/{notebook}", timeout=TIMEOUT_MS)
        page.wait_for_selector(APPS[notebook], timeout=TIMEOUT_MS)
        if mit_karte:
            page.frame_locator("iframe.thm-karte-frame").locator(
                "path.leaflet-interactive"
            ).first.wait_for(timeout=TIMEOUT_MS)
        wall = time.perf_counter() - t0
        page.wait_for_function(f"() => {FERTIG}", polling=20, timeout=TIMEOUT_MS)
        fertig, start = page.evaluate(f"[{FERTIG}, performance.timeOrigin]")
        return (fertig - start) / 1000, wall
    finally:
        ctx.close()


def _wait_text(page, selector: str, old: str) -> None:
    """Wait until the text of ``selector`` is no longer ``old`` (30 s)."""
    page.wait_for_function(
        "([s, o]) => { const e = document.querySelector(s); return e && e.innerText !== o; }",
        arg=[selector, old],
        timeout=30_000,
    )


@dataclass(frozen=True)
class Wechsel:
    """What the latency measurement changes: per app a select and the labels it cycles
    through, whose outputs differ (for the Übersicht with the keys of their maps: each
    label is a new selection the first time, its map drawn for the first time)."""

    select: str
    labels: tuple[str, ...]
    karten: tuple[str, ...]
    finder_select: str
    finder_labels: tuple[str, str]


def wechsel(buendel: Path) -> Wechsel:
    """Changes for the apps of the bundle ``buendel``.

    Übersicht: every Gemeinde by name, or for a kreisfreie Stadt (one choice of
    Kommune) every Handlungsfeld of the city. Angebotsfinder: see :func:`finder_wechsel`.
    """
    from thm_lib.apps.common import gemeinde_options
    from thm_lib.apps.uebersicht import LABEL_KREIS

    d = daten.lesen(buendel, ("ws", "finder"))
    finder = finder_wechsel(d)
    optionen = gemeinde_options(d.ws, LABEL_KREIS)
    if len(optionen) > 2:
        labels = tuple(name for name, _ in optionen[1:])
        karten = tuple(f"{ags}|__alle__" for _, ags in optionen[1:])
        return Wechsel(".thm-kommune select", labels, karten, *finder)
    # the Kommune stays the first choice (the whole Kreis, or the city standing for it)
    felder = tuple(d.ws.handlungsfelder)
    karten = tuple(f"{optionen[0][1]}|{f}" for f in felder)
    return Wechsel(".thm-handlungsfeld select", felder, karten, *finder)


def kernel_anteil(buendel: Path, w: Wechsel) -> list[float]:
    """Seconds of the kernel's part of each new selection of the Übersicht (its
    ``update`` with the new map; no browser, no messages), in this process."""
    from thm_lib.apps import uebersicht

    app = uebersicht.build(daten.lesen(buendel))
    waehler = app.kommune if w.select == ".thm-kommune select" else app.handlungsfeld
    werte = {label: wert for label, wert in waehler.options}
    out = []
    for label in w.labels:
        t0 = time.perf_counter()
        waehler.value = werte[label]
        out.append(time.perf_counter() - t0)
    return out


def finder_wechsel(d: daten.AppDaten) -> tuple[str, tuple[str, str]]:
    """A select of the Angebotsfinder and two labels whose lists of matching offers
    differ (Handlungsfeld Sprache, the app's first status and age): two Gemeinden,
    else two statuses in the first Gemeinde, else the first two Gemeinden (the
    measurement then reports the unchanged output). Asks the app itself (its
    widgets and the list it shows), without a browser."""
    from thm_lib.apps import angebotsfinder

    app = angebotsfinder.build(d)
    app.handlungsfeld.value = "Sprache"

    def liste(auswahl, wert: str) -> str:
        auswahl.value = wert
        return app.liste.value

    (g0, ags0), *gemeinden = app.gemeinde.options
    erste = liste(app.gemeinde, ags0)
    for name, ags in gemeinden:
        if liste(app.gemeinde, ags) != erste:
            return ".thm-gemeinde select", (g0, name)
    app.gemeinde.value = ags0
    (s0, _), *status = app.status.options
    for label, wert in status:
        if liste(app.status, wert) != erste:
            return ".thm-status-wahl select", (s0, label)
    return ".thm-gemeinde select", (g0, app.gemeinde.options[-1][0])


def latency(browser, port: int, notebook: str, changes: int, w: Wechsel) -> list[float]:
    """Seconds from a change (select or key press) to the changed output, per change."""
    ctx, page = new_page(browser)
    ctx.add_init_script(KARTEN_SCRIPT)
    out = []
    try:
        page.goto(f"http://127.0.0.1:{port}/voila/render/{notebook}", timeout=TIMEOUT_MS)
        page.wait_for_selector(APPS[notebook], timeout=TIMEOUT_MS)
        if notebook == "uebersicht.ipynb":
            target, labels, keys, sel = None, w.labels, w.karten, w.select  # waits for the map
        elif notebook == "angebotsfinder.ipynb":
            target, labels, sel = ".thm-angebote", w.finder_labels, w.finder_select
            page.select_option(".thm-handlungsfeld select", label="Sprache")
            page.select_option(sel, label=labels[1])  # the first change goes to labels[0]
            page.wait_for_timeout(500)
        else:
            target, labels, sel = ".thm-stellen-tabelle", None, None
            page.locator(".thm-schluessel .noUi-handle").focus()
        for i in range(changes):
            old = page.inner_text(target) if target else None
            t0, t0_seite = time.perf_counter(), page.evaluate(JETZT)
            if labels:
                page.select_option(sel, label=labels[i % len(labels)])
            else:
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            try:
                if notebook == "uebersicht.ipynb":  # the map is the last output updated
                    ende = page.wait_for_function(
                        KARTE_DA, arg=[keys[i % len(keys)], t0_seite], timeout=30_000
                    ).json_value()
                    out.append((ende - t0_seite) / 1000)  # in the page's clock
                    continue
                _wait_text(page, target, old)
            except PlaywrightTimeout:  # the Arbeitsmappe's two choices may read alike
                print(f"{notebook}: output unchanged 30 s after change {i + 1}; stopped")
                break
            out.append(time.perf_counter() - t0)
        return out
    finally:
        ctx.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


# --------------------------------------------------------------------------- memory, load
def kernels(proc: subprocess.Popen) -> dict[int, object]:
    """The server's kernel processes (ipykernel children), by pid."""
    import psutil

    out = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()):
                out[child.pid] = child
        except psutil.Error:
            continue
    return out


def vorrat(proc: subprocess.Popen) -> list[object]:
    """The server's kernel Vorrat (its kernels share its memory), if there is one."""
    import psutil

    out = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "thm_lib.apps.kernel_vorrat" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


def memory_mb(procs) -> list[tuple[float, float, float]]:
    """(RSS, USS, PSS) in MB of each process.

    Forked kernels share pages with their Vorrat: RSS counts a shared page in
    every process, PSS divides it among them, so a sum of PSS is the memory
    the processes really take together.
    """
    import psutil

    out = []
    for p in procs:
        try:
            info = p.memory_full_info()
            out.append((info.rss / 2**20, info.uss / 2**20, info.pss / 2**20))
        except psutil.Error:
            continue
    return out


def close(page) -> None:
    page.close(run_before_unload=True)  # like closing the tab: the kernel ends


def wait_no_kernels(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while kernels(proc) and time.monotonic() < deadline:
        time.sleep(0.2)


def memory_per_kernel(
    browser, proc: subprocess.Popen, port: int, notebook: str, k: int
) -> list[tuple[float, float]]:
    """Open ``k`` pages of ``notebook`` at once; (RSS, USS) of each of their kernels."""
    wait_no_kernels(proc)
    pages = []
    for _ in range(k):
        ctx, page = new_page(browser)
        page.goto(
            f"http://127.0.0.1:{port}/voila/render/{notebook}",
            wait_until="commit",
            timeout=TIMEOUT_MS,
        )
        pages.append((ctx, page))
    for _, page in pages:
        page.wait_for_selector(APPS[notebook], timeout=TIMEOUT_MS)
    time.sleep(1.0)
    mem = memory_mb(kernels(proc).values())
    for ctx, page in pages:
        close(page)
        ctx.close()
    return mem


#: Records in the page when the app is first usable (browser clock, ms since the epoch).
def growth(browser, proc: subprocess.Popen, port: int) -> dict:
    """Memory of one Übersicht kernel before and after a viewer clicks through everything.

    Every Kommune × Handlungsfeld (each map is built and kept by the kernel), then
    "Standorte berechnen" for every Handlungsfeld. Returns PSS/RSS in MB and counts.
    """
    wait_no_kernels(proc)
    ctx, page = new_page(browser)
    try:
        page.goto(f"http://127.0.0.1:{port}/voila/render/uebersicht.ipynb", timeout=TIMEOUT_MS)
        page.wait_for_selector(APPS["uebersicht.ipynb"], timeout=TIMEOUT_MS)
        (kernel,) = kernels(proc).values()
        vorher = memory_mb([kernel])[0]
        kommunen = page.eval_on_selector(
            ".thm-kommune select", "s => [...s.options].map(o => o.value)"
        )
        felder = page.eval_on_selector(
            ".thm-handlungsfeld select", "s => [...s.options].map(o => o.value)"
        )
        sichtbar = (
            "() => { const f = [...document.querySelectorAll('iframe.thm-karte-frame')]"
            ".find(f => f.offsetParent !== null); return f ? f.dataset.auswahl : ''; }"
        )

        def waehlen(select: str, value: str) -> None:
            alt = page.evaluate(sichtbar)
            page.select_option(select, value=value)
            page.wait_for_function(f"a => ({sichtbar})() !== a", arg=alt, timeout=60_000)

        auswahlen = 1  # Ganzer Kreis, alle Handlungsfelder: the first render
        for i, feld in enumerate(felder):
            if i:
                waehlen(".thm-handlungsfeld select", feld)
                auswahlen += 1
            for kommune in kommunen[1:] if i % 2 == 0 else kommunen[-2::-1]:
                waehlen(".thm-kommune select", kommune)
                auswahlen += 1
        standort_felder = page.eval_on_selector(
            ".thm-standort-feld select", "s => [...s.options].map(o => o.value)"
        )
        for feld in standort_felder:
            page.select_option(".thm-standort-feld select", value=feld)
            alt = page.inner_text(".thm-standort-text")
            knopf = page.locator(".thm-standort-rechnen")
            knopf.scroll_into_view_if_needed()
            page.wait_for_timeout(300)  # a click straight after Playwright's scroll is lost
            knopf.click()
            _wait_text(page, ".thm-standort-text", alt)
        nachher = memory_mb([kernel])[0]
        return {
            "auswahlen": auswahlen,
            "standorte": len(standort_felder),
            "vorher": vorher,
            "nachher": nachher,
        }
    finally:
        close(page)
        ctx.close()


def load(browser, proc: subprocess.Popen, port: int, viewers: int, stay: float) -> dict:
    """``viewers`` open the Übersicht at once; each leaves ``stay`` s after it is usable.

    The moment a page becomes usable is taken in the page itself, as for the first
    render (``RENDER_SCRIPT``: outputs visible, map drawn), not by polling 30 pages
    from here.
    """
    wait_no_kernels(proc)
    url = f"http://127.0.0.1:{port}/voila/render/uebersicht.ipynb"
    script = RENDER_SCRIPT % (json.dumps(APPS["uebersicht.ipynb"]), "true")
    t0 = time.time()
    pages = []
    for _ in range(viewers):
        ctx, page = new_page(browser)
        ctx.add_init_script(script)
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        pages.append([ctx, page, None, None])  # context, page, usable at, closed
    peak_kernels, peak_rss, peak_pss = 0, 0.0, 0.0
    deadline = time.monotonic() + 30 * 60
    while any(v[3] is None for v in pages) and time.monotonic() < deadline:
        found = kernels(proc)
        peak_kernels = max(peak_kernels, len(found))
        mem = memory_mb([*found.values(), *vorrat(proc)])
        peak_rss = max(peak_rss, sum(m[0] for m in mem))
        peak_pss = max(peak_pss, sum(m[2] for m in mem))
        for v in pages:
            ctx, page, usable, closed = v
            if closed is not None:
                continue
            if usable is None:
                try:
                    at = page.evaluate(FERTIG)
                except Exception:  # noqa: BLE001 - the waiting page is reloading
                    at = None
                if at:
                    v[2] = at / 1000 - t0
            elif time.time() - t0 - usable >= stay:
                close(page)
                ctx.close()
                v[3] = time.time() - t0
        time.sleep(0.25)
    usable = [v[2] for v in pages if v[2] is not None]
    return {
        "viewers": viewers,
        "usable": len(usable),
        "median": statistics.median(usable),
        "p95": p95(usable) if len(usable) > 1 else usable[0],
        "max": max(usable),
        "peak_kernels": peak_kernels,
        "peak_rss": peak_rss,
        "peak_pss": peak_pss,
    }


def load_http(proc: subprocess.Popen, port: int, viewers: int) -> dict:
    """The server's share of ``viewers`` at once: HTTP render requests without a browser.

    Each viewer (own cookie jar, as a browser) requests the Übersicht; the time
    is until the server has sent the whole page (kernel started, notebook run,
    HTML with the widgets' state). What a browser adds on the viewer's machine
    (Voilà's JavaScript, drawing the widgets and the map) is not in it: in
    :func:`load` all 30 pages share this machine's two cores with the server.
    """
    import http.cookiejar
    import threading
    import urllib.request

    wait_no_kernels(proc)
    url = f"http://127.0.0.1:{port}/voila/render/uebersicht.ipynb"
    done: list[float] = []
    failed: list[str] = []
    start = threading.Event()

    def viewer() -> None:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        start.wait()
        try:
            with opener.open(url, timeout=TIMEOUT_MS / 1000) as resp:
                body = resp.read().decode("utf-8", "replace")
            if "application/vnd.jupyter.widget-view+json" not in body:
                failed.append("page without the app")
            else:
                done.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            failed.append(repr(exc))

    threads = [threading.Thread(target=viewer) for _ in range(viewers)]
    for t in threads:
        t.start()
    peak_kernels = 0
    t0 = time.perf_counter()
    start.set()
    while any(t.is_alive() for t in threads):
        peak_kernels = max(peak_kernels, len(kernels(proc)))
        time.sleep(0.2)
    mem = memory_mb([*kernels(proc).values(), *vorrat(proc)])
    return {
        "viewers": viewers,
        "done": len(done),
        "failed": failed[:3],
        "median": statistics.median(done) if done else float("nan"),
        "p95": p95(done) if len(done) > 1 else float("nan"),
        "max": max(done) if done else float("nan"),
        "peak_kernels": peak_kernels,
        "pss": sum(m[2] for m in mem),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument(
        "--preheat", action="store_true", help="start both servers with --preheat_kernel=True"
    )
    parser.add_argument(
        "--speicher", type=int, default=0, metavar="K", help="memory of K kernels per app (0: skip)"
    )
    parser.add_argument(
        "--last",
        type=int,
        default=0,
        metavar="N",
        help="N viewers open the Übersicht at once (0: skip)",
    )
    parser.add_argument(
        "--last-http",
        type=int,
        default=0,
        metavar="N",
        help="N render requests for the Übersicht at once, without a browser (0: skip)",
    )
    parser.add_argument("--cap", type=int, default=None, help="kernel cap for --last")
    parser.add_argument(
        "--wachstum",
        action="store_true",
        help="memory of an Übersicht kernel after clicking through every selection",
    )
    parser.add_argument(
        "--verweilen",
        type=float,
        default=5.0,
        help="seconds a viewer stays once the page is usable (--last)",
    )
    parser.add_argument("--ohne-zeiten", action="store_true", help="skip first render and latency")
    parser.add_argument(
        "--arbeitsmappe",
        type=Path,
        default=None,
        help="the apps of this Arbeitsmappe (default: $THM_ARBEITSMAPPE, else the sample)",
    )
    parser.add_argument(
        "--ohne-vorrat",
        dest="vorrat",
        action="store_false",
        help="start kernels the usual way (no kernel Vorrat), for comparison",
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    render: dict[str, list[float]] = {}
    render_pw: dict[str, list[float]] = {}
    lat: dict[str, list[float]] = {}
    mem: dict[str, list[tuple[float, float]]] = {}
    result_load = None
    result_growth = None
    result_http = None
    t0 = time.perf_counter()
    buendel = server.buendel_bereitstellen(args.arbeitsmappe, None)
    if buendel is None:
        raise SystemExit("Datenpaket der Apps nicht gebaut")
    print(f"apps' bundle ready in {time.perf_counter() - t0:.1f} s: {buendel}")
    with tempfile.TemporaryDirectory() as tmp:
        write_bare(Path(tmp))
        bare_proc, bare_port = start(Path(tmp), args.preheat, buendel, vorrat=args.vorrat)
        app_proc, app_port = start(
            server.NOTEBOOKS,
            args.preheat,
            buendel,
            args.cap if args.last or args.last_http else None,
            vorrat=args.vorrat,
        )
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                if not args.ohne_zeiten:
                    first_render(browser, bare_port, "bare.ipynb")  # warm-up (disk caches)
                    render = {nb: [] for nb in APPS}
                    render_pw.update({nb: [] for nb in APPS})
                    for _ in range(args.runs):  # interleaved: same conditions for all
                        for nb in APPS:
                            port = bare_port if nb in BARE else app_port
                            in_page, wall = first_render(browser, port, nb)
                            render[nb].append(in_page)
                            render_pw[nb].append(wall)
                    w = wechsel(buendel)
                    lat = {
                        nb: latency(browser, app_port, nb, args.changes, w)
                        for nb in APPS
                        if nb not in BARE
                    }
                if args.speicher:
                    for nb in APPS:
                        proc, port = (bare_proc, bare_port) if nb in BARE else (app_proc, app_port)
                        mem[nb] = memory_per_kernel(browser, proc, port, nb, args.speicher)
                if args.wachstum:
                    result_growth = growth(browser, app_proc, app_port)
                if args.last:
                    result_load = load(browser, app_proc, app_port, args.last, args.verweilen)
                if args.last_http:
                    result_http = load_http(app_proc, app_port, args.last_http)
                browser.close()
        finally:
            for proc in (bare_proc, app_proc):
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()

    if render:
        bare = statistics.median(render["nackt.ipynb"])
        bare_pw = statistics.median(render_pw["nackt.ipynb"])
        print(f"Voilà apps, {args.runs} runs, preheat={args.preheat}")
        print("first render, in the page (navigation start → last output painted):")
        print(f"{'notebook':30} {'median':>8} {'min-max':>12} {'× nackt':>8}   Playwright × nackt")
        for nb, times in render.items():
            med = statistics.median(times)
            med_pw = statistics.median(render_pw[nb])
            print(
                f"{nb:30} {med:>7.2f}s {min(times):>5.2f}-{max(times):<6.2f} {med / bare:>8.2f}"
                f"   {med_pw:>5.2f}s {med_pw / bare_pw:>5.2f}"
            )
        print(f"\nwidget change → updated output ({args.changes} changes)")
        print(f"{'notebook':30} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
        zeilen = [(nb, t) for nb, t in lat.items() if nb != "uebersicht.ipynb"]
        neu = len(w.labels)  # the Übersicht's first changes are new selections
        zeilen[:0] = [
            ("uebersicht, neue Auswahl", lat["uebersicht.ipynb"][:neu]),
            ("uebersicht, wieder gewählt", lat["uebersicht.ipynb"][neu:]),
        ]
        for name, times in ((nb, t) for nb, t in zeilen if len(t) > 1):
            print(
                f"{name:30} {statistics.median(times) * 1000:>10.0f} "
                f"{p95(times) * 1000:>8.0f} {max(times) * 1000:>8.0f}  ({len(times)})"
            )
        kern = kernel_anteil(buendel, w)
        print(
            f"{'  davon Kernel (update)':30} {statistics.median(kern) * 1000:>10.0f} "
            f"{p95(kern) * 1000:>8.0f} {max(kern) * 1000:>8.0f}  ({len(kern)})"
        )
    if mem:
        print(f"\nmemory per kernel ({args.speicher} pages per notebook open at once)")
        print(
            f"{'notebook':30} {'RSS MB median':>14} {'min-max':>12} {'USS MB median':>14}"
            f" {'PSS MB median':>14}"
        )
        for nb, values in mem.items():
            rss = [m[0] for m in values]
            uss = [m[1] for m in values]
            pss = [m[2] for m in values]
            print(
                f"{nb:30} {statistics.median(rss):>14.0f} "
                f"{min(rss):>5.0f}-{max(rss):<6.0f} {statistics.median(uss):>14.0f}"
                f" {statistics.median(pss):>14.0f}"
            )
    if result_growth:
        r = result_growth
        (rss0, _, pss0), (rss1, _, pss1) = r["vorher"], r["nachher"]
        print(
            f"\nÜbersicht kernel after {r['auswahlen']} selections (Kommune × Handlungsfeld) "
            f"and {r['standorte']} site plans: PSS {pss0:.0f} → {pss1:.0f} MB, "
            f"RSS {rss0:.0f} → {rss1:.0f} MB"
        )
    if result_load:
        r = result_load
        print(
            f"\nload: {r['viewers']} viewers open the Übersicht at once, cap {args.cap}, "
            f"each stays {args.verweilen:.0f} s"
        )
        print(
            f"usable {r['usable']}/{r['viewers']}; time until usable median "
            f"{r['median']:.1f} s, p95 {r['p95']:.1f} s, max {r['max']:.1f} s; "
            f"at most {r['peak_kernels']} kernels; kernel memory incl. Vorrat at most "
            f"{r['peak_pss']:.0f} MB (PSS, what they take together), {r['peak_rss']:.0f} MB "
            "(sum of RSS, shared pages counted per process)"
        )

    if result_http:
        r = result_http
        print(
            f"\nserver share: {r['viewers']} render requests for the Übersicht at once "
            f"(no browser), cap {args.cap}"
        )
        print(
            f"complete pages {r['done']}/{r['viewers']} {r['failed'] or ''}; until the whole "
            f"page was sent median {r['median']:.1f} s, p95 {r['p95']:.1f} s, "
            f"max {r['max']:.1f} s; at most {r['peak_kernels']} kernels, "
            f"{r['pss']:.0f} MB kernel memory incl. Vorrat (PSS) afterwards"
        )


if __name__ == "__main__":
    main()
