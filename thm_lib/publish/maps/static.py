"""Static PNG maps (geopandas + matplotlib, Agg) of the same measures as :func:`kreis_map`.

matplotlib is imported only when a static map is drawn, and only its
object-oriented API (``matplotlib.figure.Figure`` with the Agg canvas) is
used: no pyplot, no global backend state, safe in notebooks and batch runs.
The scale bar and north arrow are drawn by hand (a few lines each) rather
than adding ``matplotlib-scalebar`` as a dependency; the map CRS is metric
(EPSG:25832), so data units are metres.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from thm_lib.core.atomic import atomic_write_bytes
from thm_lib.core.formats import kurz
from thm_lib.core.settings import Karten
from thm_lib.core.workspace import CRS_METRIC, Workspace
from thm_lib.publish.maps.interactive import gemeinde_layer_data, handlungsfeld_colors
from thm_lib.publish.maps.measure import Measure, Scheme, as_measure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

_CM_PER_INCH = 2.54
_METERS_PER_KM = 1000.0
_PAD = 0.06  # margin around the Gemeinden, share of the larger side


def pixel_size(cfg: Karten) -> tuple[int, int]:
    """PNG size in pixels from ``annahmen.karten.png_groesse_cm`` and ``png_dpi``."""
    w_cm, h_cm = cfg.png_groesse_cm
    dpi = float(cfg.png_dpi)
    return round(w_cm / _CM_PER_INCH * dpi), round(h_cm / _CM_PER_INCH * dpi)


def nice_length(span: float, fraction: float = 0.25) -> float:
    """A round length (1, 2 or 5 × 10^n) close to ``fraction`` of ``span``."""
    target = max(span * fraction, 1e-9)
    exp = math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * 10**exp <= target:
            return float(step * 10**exp)
    return float(10**exp)  # pragma: no cover - unreachable


def static_map(
    ws: Workspace,
    measure: Measure | pd.Series,
    *,
    label: str | None = None,
    scheme: Scheme | None = None,
    k: int | None = None,
    offers: bool = False,
    names: bool = True,
    attribution: str | None = None,
) -> Figure:
    """Draw a static choropleth of ``measure`` with legend, north arrow, scale bar and names.

    Parameters
    ----------
    ws : thm_lib.core.workspace.Workspace
        Gemeinden (EPSG:25832), offers and assumptions.
    measure : Measure or pandas.Series
        As in :func:`thm_lib.publish.maps.kreis_map`; counts are suppressed the same way.
    label : str, optional
        Title for a bare Series.
    scheme, k : optional
        Classification and number of classes (defaults from ``annahmen.karten``).
    offers : bool
        Also draw offers as points coloured by Handlungsfeld.
    names : bool
        Label each Gemeinde with its name.
    attribution : str, optional
        Source note (default ``annahmen.karten.quellenangabe``).

    Returns
    -------
    matplotlib.figure.Figure
        Size ``annahmen.karten.png_groesse_cm`` at ``png_dpi``; save it with
        :func:`save_static_map`.
    """
    import html

    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    cfg = ws.annahmen.karten
    m_ = as_measure(measure, label)
    threshold = int(ws.annahmen.datenschutz.schwelle)
    gebiete = ws.gebiete.to_crs(CRS_METRIC)
    gem, entries = gemeinde_layer_data(
        gebiete,
        m_,
        threshold,
        scheme or cfg.klassifikation,
        int(k if k is not None else cfg.klassen),
    )

    width_px, height_px = pixel_size(cfg)
    dpi = float(cfg.png_dpi)
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, 0.24, 0.94, 0.68))
    gem.plot(ax=ax, color=gem["farbe"].tolist(), edgecolor="#444444", linewidth=0.6)
    # room for the scale bar (below) and the north arrow (right), outside the Gemeinden
    minx, miny, maxx, maxy = gem.total_bounds
    pad = _PAD * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + 2 * pad)
    ax.set_ylim(miny - 2 * pad, maxy + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    fig.suptitle(m_.label, x=0.03, y=0.975, ha="left", fontsize=14, fontweight="bold")

    if names:
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for name, pt in zip(gem["name"], gem.geometry.representative_point(), strict=True):
            ax.annotate(
                html.unescape(name),
                (pt.x, pt.y),
                ha="center",
                va="center",
                fontsize=7,
                path_effects=halo,
            )

    handles: list[Any] = [Patch(facecolor=c, edgecolor="#444444", label=t) for c, t in entries]
    if offers:
        hf_colors = handlungsfeld_colors(list(ws.annahmen.handlungsfelder))
        ang = ws.angebote[ws.angebote.geometry.notna() & ~ws.angebote.geometry.is_empty]
        ang = ang.to_crs(CRS_METRIC)
        for hf in [h for h in hf_colors if (ang["handlungsfeld"] == h).any()]:
            sel = ang[ang["handlungsfeld"] == hf]
            ax.scatter(
                sel.geometry.x,
                sel.geometry.y,
                s=18,
                color=hf_colors[hf],
                edgecolors="#333333",
                linewidths=0.5,
                zorder=3,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=6,
                    markerfacecolor=hf_colors[hf],
                    markeredgecolor="#333333",
                    label=f"Angebot {hf}",
                )
            )
    fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.03, 0.03),
        ncols=2 if len(handles) > 6 else 1,
        fontsize=8,
        frameon=False,
        title="Legende",
        title_fontsize=9,
        alignment="left",
    )

    _north_arrow(ax)
    _scale_bar(ax, Rectangle)
    source = attribution or cfg.quellenangabe or ""
    fig.text(
        0.97,
        0.015,
        f"{source} · Stand {ws.stichtag:%d.%m.%Y}",
        ha="right",
        va="bottom",
        fontsize=7,
        color="#555555",
    )
    return fig


def _north_arrow(ax: Any) -> None:
    ax.annotate(
        "N",
        xy=(0.965, 0.97),
        xytext=(0.965, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 10, "headlength": 10},
    )


def _scale_bar(ax: Any, rectangle: Any) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length(x1 - x0)
    bx = x0 + 0.03 * (x1 - x0)
    by = y0 + 0.03 * (y1 - y0)
    h = 0.012 * (y1 - y0)
    half = length / 2
    ax.add_patch(rectangle((bx, by), half, h, facecolor="black", edgecolor="black", lw=0.8))
    ax.add_patch(rectangle((bx + half, by), half, h, facecolor="white", edgecolor="black", lw=0.8))
    km = length / _METERS_PER_KM
    text = f"{kurz(km)} km"
    for pos, t in ((bx, "0"), (bx + length, text)):
        ax.text(pos, by + 1.8 * h, t, ha="center", va="bottom", fontsize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG bytes at its own size and dpi."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, facecolor="white")
    return buf.getvalue()


def save_static_map(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Save a static map as PNG, atomically (temporary file + ``os.replace``)."""
    return atomic_write_bytes(path, png_bytes(fig))
