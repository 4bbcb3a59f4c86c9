"""Shared pieces of the Voilà apps: formatting, safe display, logging.

Every number an app shows is formatted here. The apps receive published
aggregates only (the apps' bundle, :mod:`thm_lib.apps.daten`): no case row and
no unsuppressed count is in an app kernel.

Errors: a viewer sees a German note (:func:`error_html`), never a traceback; an
unexpected error is logged with its traceback (:data:`LOGGER`). In an app
kernel the log goes to the console of the Voilà server (:func:`protokoll_einrichten`),
not to the kernel's stderr, which Voilà forwards to the browser.
"""

from __future__ import annotations

import html
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd

from thm_lib.analysis.staffing import nur_ein_antragsteller
from thm_lib.core import paths
from thm_lib.core.errors import DataError, ohne_personenwerte
from thm_lib.core.formats import zahl
from thm_lib.core.labels import KREIS
from thm_lib.core.workspace import Workspace
from thm_lib.publish.maps.offline import leaflet_assets

LOGGER = logging.getLogger(__name__)

CSS = "<style>\n" + (paths.APP_PAGES / "apps.css").read_text(encoding="utf-8") + "</style>\n"
"""The styles of the app pages (``seiten/apps.css``; the static view uses the same file)."""


# --------------------------------------------------------------------------- formatting


def fmt_eur(value: Any) -> str:
    """Whole euros, German format (``34.000 €``)."""
    text = zahl(value, 0)
    return text if text == "–" else f"{text} €"


def fmt_positions(value: Any) -> str:
    """Positions (VZÄ) with two decimals."""
    return zahl(value, 2)


def esc(value: Any) -> str:
    """HTML-escape any value as text."""
    return html.escape(str(value))


def tiles_html(items: list[tuple[str, str, str]]) -> str:
    """Key-figure tiles: ``(css_class, label, shown_text)`` each."""
    parts = [
        f'<div class="thm-kachel {esc(css)}"><div class="thm-label">{esc(label)}</div>'
        f'<div class="thm-wert">{esc(text)}</div></div>'
        for css, label, text in items
    ]
    return '<div class="thm-kennzahlen">' + "".join(parts) + "</div>"


def table_html(
    frame: pd.DataFrame,
    css: str,
    *,
    numeric: tuple[str, ...] = (),
    row_styles: list[str] | None = None,
) -> str:
    """A plain HTML table of already formatted (text) cells; ``numeric`` columns right-aligned."""
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        style = f' style="{esc(row_styles[i])}"' if row_styles and row_styles[i] else ""
        cells = "".join(
            f'<td class="thm-zahl">{esc(v)}</td>' if c in numeric else f"<td>{esc(v)}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        rows.append(f"<tr{style}>{cells}</tr>")
    return (
        f'<table class="thm-tabelle {esc(css)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def bereich(lo: float, hi: float, fmt: Callable[[Any], str] = zahl) -> str:
    """An allowed range in German (``"14 bis 40"``), for labels and messages."""
    return f"{fmt(lo)} bis {fmt(hi)}"


def ausserhalb(
    name: str, value: Any, lo: float, hi: float, fmt: Callable[[Any], str] = zahl
) -> str | None:
    """A German message when an input lies outside ``lo .. hi`` (inclusive), else None.

    Inputs are never clamped silently: the app shows this message instead of a
    result for another value than the one typed.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if lo <= number <= hi:
        return None
    return (
        f"{name}: {fmt(value)} liegt außerhalb des erlaubten Bereichs "
        f"{bereich(lo, hi, fmt)}. Bitte einen Wert von {bereich(lo, hi, fmt)} eingeben."
    )


def eingabefehler_html(text: str) -> str:
    """The German box for an input outside its range."""
    return f'<div class="thm-fehler thm-eingabefehler">{esc(text)}</div>'


def error_html(exc: Exception) -> str:
    """A German error box: the data problems of a DataError, else a neutral message.

    No traceback and no internal detail of unexpected errors reach the viewer, and
    no value quoted from a case record (a pseudonym, an age, a date): the problems
    name file, row and column only there (:func:`~thm_lib.core.errors.ohne_personenwerte`);
    the whole message goes to the server console (:func:`protokolliere`).
    """
    if isinstance(exc, DataError):
        text = "Die Daten der Apps sind nicht lesbar:\n" + ohne_personenwerte(str(exc))
    else:
        text = (
            "Bei der Berechnung ist ein Fehler aufgetreten. Bitte die Eingaben prüfen "
            "oder die Geschäftsführende Stelle informieren."
        )
    return f'<div class="thm-fehler">{esc(text)}</div>'


def gemeinde_options(ws: Workspace, kreis_label: str | None = None) -> list[tuple[str, str]]:
    """Dropdown options: the whole Kreis (if ``kreis_label``) then the Gemeinden by name.

    A kreisfreie Stadt is one applicant (:func:`~thm_lib.analysis.staffing.nur_ein_antragsteller`,
    as in the batch's one report): with ``kreis_label`` it is the one option, by its
    name, standing for the whole; not "Ganzer Kreis" beside the same city.
    """
    geb = ws.gebiete.sort_values("name")
    gemeinden = [(str(n), str(a)) for n, a in zip(geb["name"], geb["ags"], strict=True)]
    if not kreis_label:
        return gemeinden
    if nur_ein_antragsteller(ws):
        return [(gemeinden[0][0], KREIS)]
    return [(kreis_label, KREIS), *gemeinden]


def kommune_name(ws: Workspace, ags: str) -> str:
    """The name of a choice of :func:`gemeinde_options`: a Gemeinde, or the whole Kreis.

    The whole is "Ganzer Kreis", or the city's name for a kreisfreie Stadt.
    """
    if ags != KREIS:
        return ws.gemeinde_name(ags)
    return str(ws.gebiete["name"].iloc[0]) if nur_ein_antragsteller(ws) else "Ganzer Kreis"


def protokolliere(exc: Exception, wo: str) -> None:
    """Log an error of an app: a data error as a warning, anything else with its traceback.

    Call it inside the ``except`` block (the traceback is taken from there).

    Parameters
    ----------
    exc : Exception
        The exception caught.
    wo : str
        Where it happened (callback or app name), for the log line.
    """
    if isinstance(exc, DataError):
        LOGGER.warning("Datenfehler in %s:\n%s", wo, exc)
    else:
        LOGGER.exception("Unerwarteter Fehler in %s", wo)


def _server_konsole() -> Any:
    """The stream of the Voilà server console as seen from an app kernel, else None.

    ipykernel forwards ``sys.stderr`` and file descriptor 2 to the browser; the
    ``fileno()`` of its stream is the kept copy of the original descriptor 2, the
    console of the server that started the kernel (ipykernel reroutes its own log
    there the same way). Outside a kernel (tests, command line) None: logging
    stays as the host configured it.
    """
    stream = sys.stderr
    if not type(stream).__module__.startswith("ipykernel"):
        return None
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # ipykernel without descriptor capture: 2 is the console
        fd = 2
    return open(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="backslashreplace")


_KONSOLE_HANDLER = "thm-server-konsole"


def protokoll_einrichten() -> bool:
    """In an app kernel, send the log of ``thm_lib`` to the server console (once).

    Records of level INFO and above of every ``thm_lib`` logger go there, with
    time and logger name, and are not passed on to other handlers (which would
    write to the browser). Outside a kernel nothing changes.

    Returns
    -------
    bool
        True if the console handler is in place.
    """
    logger = logging.getLogger("thm_lib")
    if any(h.get_name() == _KONSOLE_HANDLER for h in logger.handlers):
        return True
    stream = _server_konsole()
    if stream is None:
        return False
    handler = logging.StreamHandler(stream)
    handler.set_name(_KONSOLE_HANDLER)
    handler.setFormatter(
        logging.Formatter("[%(asctime)s %(levelname)s %(name)s pid %(process)d] %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return True


def guarded(target: widgets.HTML, func: Callable[[], None]) -> Callable[..., None]:
    """Wrap a widget callback: on an exception log it (:func:`protokolliere`) and show
    :func:`error_html` in ``target``."""
    wo = getattr(func, "__qualname__", repr(func))

    def handler(*_args: Any) -> None:
        try:
            func()
        except Exception as exc:  # noqa: BLE001 - shown to the viewer without traceback
            protokolliere(exc, wo)
            target.value = error_html(exc)

    return handler


def header(titel: str, ws: Workspace, extra: Mapping[str, str] | None = None) -> widgets.HTML:
    """Info line with the Kreis and Stichtag (the notebook's markdown cell holds the title;
    ``titel`` is the tooltip)."""
    info = f"{ws.name} · Stichtag {ws.stichtag:%d.%m.%Y}"
    if extra:
        info += "".join(f" · {k}: {v}" for k, v in extra.items())
    return widgets.HTML(
        CSS + f"<div class='thm-hinweis thm-kopf' title='{esc(titel)}'>{esc(info)}</div>"
    )


WIDE = {"description_width": "initial"}
"""Widget style: show the whole German description."""


def leaflet_verlinken(page: str) -> str:
    """A folium page of :mod:`thm_lib.publish.maps` with Leaflet linked from the app server.

    The page carries Leaflet inline (it works anywhere, offline too); inside a Voilà
    app the server serves it (:data:`thm_lib.core.paths.LEAFLET_URL`), so the map's
    ``srcdoc`` shrinks from about 0.3 MB to the map itself and the browser compiles
    Leaflet once. The link is relative to the app page (``…/voila/render/<app>``),
    so it holds behind a proxy with a path prefix too.
    """
    js, css = leaflet_assets()
    url = "../" + paths.LEAFLET_URL.removeprefix("voila/")
    page = page.replace(
        f"<style>{css}</style>", f'<link rel="stylesheet" href="{url}/leaflet.css">', 1
    )
    return page.replace(f"<script>{js}</script>", f'<script src="{url}/leaflet.js"></script>', 1)


_FIT_RE = re.compile(r"(map_[0-9a-f]+)\.fitBounds\(\s*(\[\[[^\]]*\],\s*\[[^\]]*\]\])")


def refit_on_resize(page: str) -> str:
    """Make a folium page re-measure its map when its frame changes size.

    Voilà renders outputs before they are visible; a Leaflet map created in a
    zero-size frame draws every polygon at one point. A ``ResizeObserver``
    calls ``invalidateSize`` and fits the map's initial bounds again. Pages
    without a ``fitBounds`` call only get ``invalidateSize``. The observer ends with the
    map (``unload``): a removed map is not fitted any more.
    """
    match = _FIT_RE.search(page)
    if match is None:
        names = re.findall(r"var (map_[0-9a-f]+) = L\.map\(", page)
        if not names:
            return page
        name, bounds = names[0], "null"
    else:
        name, bounds = match.group(1), match.group(2)
    script = (
        "<script>(function () {"
        f"var m = {name}, b = {bounds};"
        "function fit() { m.invalidateSize(); if (b) { m.fitBounds(b); } }"
        "if (window.ResizeObserver) { var ro = new ResizeObserver(fit);"
        " ro.observe(m.getContainer()); m.on('unload', function () { ro.disconnect(); }); }"
        "else { window.addEventListener('resize', fit);"
        " m.on('unload', function () { window.removeEventListener('resize', fit); }); }"
        "})();</script>"
    )
    return mit_skript(page, script)


def mit_skript(page: str, script: str) -> str:
    """``page`` with ``script`` (a whole ``<script>`` element) added before ``</html>``.

    Examples
    --------
    >>> mit_skript("<html><body></body></html>", "<script>x()</script>")
    '<html><body></body><script>x()</script></html>'
    >>> mit_skript("<div></div>", "<script>x()</script>")
    '<div></div><script>x()</script>'
    """
    head, sep, tail = page.rpartition("</html>")
    return head + script + sep + tail if sep else page + script
