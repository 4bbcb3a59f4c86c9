"""Folium maps that render without any network access.

folium 0.20 links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers
from CDNs (class-level ``folium.Map.default_js`` / ``default_css``). Offices
with blocked networks and saved HTML files opened offline then show an empty
page (``L is not defined``). :class:`OfflineMap` empties those lists *for its
own class only* (folium's lists stay untouched) and writes the Leaflet script
and stylesheet from the installed ``xstatic-leaflet`` package inline into the
page header, with the stylesheet's images as ``data:`` URIs. The same HTML is
used by :func:`save_map` and by the notebook display (folium's
``_repr_html_`` puts it into an ``<iframe srcdoc>``), so both work offline.

Only Leaflet itself is inlined: the maps of this package avoid ``folium.Icon``
(which needs jQuery, Bootstrap and awesome-markers), ``folium.Popup`` (its
template calls jQuery's ``$``; offers get their popups from
:class:`thm_lib.publish.maps.interactive.OfferGroup` with Leaflet alone) and branca's
colormap legend (which loads d3 from a CDN).
"""

from __future__ import annotations

import base64
import functools
import os
import re
from pathlib import Path

import folium
from branca.element import Element, Figure
from jinja2 import Template

from thm_lib.core.atomic import atomic_write_text

_URL_RE = re.compile(r"url\((?:['\"])?images/([A-Za-z0-9_.-]+\.png)(?:['\"])?\)")


def leaflet_ordner() -> Path:
    """The folder of the installed Leaflet (``xstatic-leaflet``): script, stylesheet, images."""
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


@functools.cache
def leaflet_assets() -> tuple[str, str]:
    """Return the installed Leaflet ``(javascript, css)`` as text.

    The CSS has its ``url(images/...)`` references replaced by ``data:`` URIs,
    so the layer-control icon shows without a file next to the HTML.
    """
    base = leaflet_ordner()
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        data = (base / "images" / match.group(1)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

    css = _URL_RE.sub(inline, css)
    # Without the .map file next to the page the source-map comment only causes a request.
    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    # A literal "</script>" or "</style>" would end the inline element early.
    if "</script" in js.lower() or "</style" in css.lower():  # pragma: no cover - guard
        raise RuntimeError("Leaflet-Dateien enthalten schließende Tags; Einbettung nicht möglich")
    return js, css


class Wortlaut(Element):
    """An element whose text goes into the page as it is.

    ``branca.element.Element(text)`` compiles ``text`` as a Jinja template: for Leaflet's
    script and stylesheet (150 kB) that was a large share of the time of a Gemeinde's
    map (``docs/performance.md``, Runde 2, Sitzung 43), and a ``{{`` in the text would be
    read as a template expression.
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose HTML needs no network.

    Differences to ``folium.Map``: no CDN links at all (``default_js`` and
    ``default_css`` are empty *on this subclass*), Leaflet inlined into the
    page header, and no base-map tiles unless ``tiles`` is given. Everything
    else (adding layers, ``_repr_html_`` in notebooks, ``get_root().render()``)
    works as in folium.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def __init__(self, *args, tiles: str | None = None, **kwargs) -> None:
        super().__init__(*args, tiles=tiles, **kwargs)

    def render(self, **kwargs) -> None:
        """Add the inline Leaflet assets to the page header, then render as folium does."""
        figure = self.get_root()
        if isinstance(figure, Figure):
            js, css = leaflet_assets()
            figure.header.add_child(Wortlaut(f"<style>{css}</style>"), name="leaflet_css_inline")
            figure.header.add_child(Wortlaut(f"<script>{js}</script>"), name="leaflet_inline")
        super().render(**kwargs)


def map_html(m: folium.Map) -> str:
    """Return the complete, self-contained HTML page of ``m``."""
    return m.get_root().render()


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Save a map as one self-contained HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
        The map, usually from :func:`thm_lib.publish.maps.kreis_map`.
    path : str or PathLike
        Target file (``.html``); parent folders are created.

    Returns
    -------
    Path
        The written file.
    """
    return atomic_write_text(path, map_html(m))
