"""Charts for notebooks and reports (matplotlib, imported lazily; ``ax=None`` accepted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis.coverage import schwellen
from thm_lib.core.formats import zahl
from thm_lib.core.labels import STATUS_LABEL


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def bedarfsquoten_chart(quoten: pd.DataFrame, status: str = "duldung", ax: Any = None) -> Any:
    """Bar chart of need rates per Handlungsfeld with their Wilson interval.

    Parameters
    ----------
    quoten : pandas.DataFrame
        From :func:`thm_lib.analysis.needs.need_rates` (``handlungsfeld``, ``status``,
        ``quote``, ``ki_unten``, ``ki_oben``, ``quelle``).
    status : str
        Which status to show; rates are averaged over its segments.
    ax : matplotlib Axes, optional
    """
    q = quoten[quoten["status"] == status]
    g = q.groupby("handlungsfeld", sort=False)[["quote", "ki_unten", "ki_oben"]].mean()
    ax = _axes(ax, (8, 4))
    x = np.arange(len(g))
    lower = (g["quote"] - g["ki_unten"]).clip(lower=0).fillna(0)
    upper = (g["ki_oben"] - g["quote"]).clip(lower=0).fillna(0)
    ax.bar(x, g["quote"] * 100, color="#4c78a8", yerr=[lower * 100, upper * 100], capsize=3)
    ax.set_xticks(x, g.index, rotation=40, ha="right")
    ax.set_ylabel("Bedarfsquote in %")
    ax.set_ylim(0, 100)

    ax.set_title(f"Bedarfsquoten ({STATUS_LABEL.get(status, status)}) mit 95-%-Intervall")
    return ax


def luecken_heatmap(matrix: pd.DataFrame, annahmen: Mapping[str, Any], ax: Any = None) -> Any:
    """Heatmap of the Versorgungsgrad (%) Gemeinde × Handlungsfeld.

    Colours: a diverging scale, white at the middle of the two thresholds
    (:func:`thm_lib.analysis.coverage.schwellen`), redder below, bluer above; the gap
    classes themselves are the colours of the matrix below it
    (:func:`thm_lib.run.notebook.farbige_matrix`). Values are written into the cells
    with one decimal; hidden cells (suppression symbol) stay empty.
    """
    untere, obere = (100 * s for s in schwellen(annahmen))
    from matplotlib.colors import TwoSlopeNorm

    ax = _axes(ax, (10, 0.45 * len(matrix) + 2))
    values = matrix.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)  # hidden: NaN
    norm = TwoSlopeNorm(vmin=0, vcenter=(untere + obere) / 2, vmax=max(200.0, obere * 1.5))
    image = ax.imshow(np.clip(values, 0, norm.vmax), cmap="RdBu", norm=norm, aspect="auto")
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=40, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    for (i, j), v in np.ndenumerate(values):
        if not np.isnan(v):
            # one decimal, as the coloured matrix below it (formats.versorgungsgrad)
            ax.text(j, i, zahl(v, 1), ha="center", va="center", fontsize=7)
    ax.figure.colorbar(image, ax=ax, label="Versorgungsgrad in %")
    ax.set_title("Versorgungsgrad je Gemeinde und Handlungsfeld")
    return ax


def verlauf_chart(verlauf: Any, ax: Any = None) -> Any:
    """Line chart of the published target group per Stichtag (one line per column).

    Parameters
    ----------
    verlauf : PublishedTable
        From :func:`thm_lib.publish.views.zielgruppe_verlauf`; hidden cells ("<5", ".")
        are left out of the chart, never drawn from the internal numbers.
    ax : matplotlib Axes, optional
    """
    ax = _axes(ax, (6, 3))
    shown = verlauf.published.apply(pd.to_numeric, errors="coerce")
    shown.columns = [verlauf.label(c) for c in shown.columns]
    shown.plot(ax=ax, marker="o")
    ax.set_ylabel("Personen")
    ax.set_xlabel("Stichtag")
    ax.set_title("Entwicklung der Zielgruppe")
    return ax


def kosten_chart(plan: pd.DataFrame, ax: Any = None) -> Any:
    """Stacked bars of the costs per budget year: grant and own share (German numbers).

    Parameters
    ----------
    plan : pandas.DataFrame
        The funding plan of :func:`thm_lib.publish.views.finanzierung_tabelle` (index
        ``Haushaltsjahr`` with a row ``Summe``; columns ``Zuwendung €``,
        ``Eigenanteil gesamt €``, ``Gesamtkosten €``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes or None
        None when the plan is empty (hidden to protect small numbers): no chart.
    """
    from matplotlib.ticker import FuncFormatter

    jahre = plan.drop(index="Summe", errors="ignore")
    if jahre.empty:
        return None
    zuwendung = pd.to_numeric(jahre["Zuwendung €"], errors="coerce").fillna(0.0)
    eigen = pd.to_numeric(jahre["Eigenanteil gesamt €"], errors="coerce").fillna(0.0)
    gesamt = pd.to_numeric(jahre["Gesamtkosten €"], errors="coerce").fillna(0.0)
    ax = _axes(ax, (8, 3.6))
    x = np.arange(len(jahre))
    ax.bar(x, zuwendung, color="#4c78a8", label="Zuwendung (Förderung)")
    ax.bar(x, eigen, bottom=zuwendung, color="#f58518", label="Eigenanteil der Kommune")
    for xi, total in zip(x, gesamt, strict=True):
        ax.annotate(
            f"{zahl(total)} €",
            (xi, total),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(x, [str(j) for j in jahre.index])
    ax.set_xlabel("Haushaltsjahr")
    ax.set_ylabel("Kosten in €")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: zahl(v)))
    ax.set_ylim(0, float(gesamt.max()) * 1.15 or 1.0)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_title("Kosten je Haushaltsjahr: Förderung und Eigenanteil")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
