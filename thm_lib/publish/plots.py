"""Charts for notebooks and reports (matplotlib, imported lazily; ``ax=None`` accepted)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis.coverage import schwellen


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
    ax.set_title(f"Bedarfsquoten ({status}) mit 95-%-Intervall")
    return ax


def luecken_heatmap(matrix: pd.DataFrame, annahmen: Mapping[str, Any], ax: Any = None) -> Any:
    """Heatmap of the Versorgungsgrad (%) Gemeinde × Handlungsfeld.

    Colours: red below the lower threshold (Unterversorgung), white between the
    thresholds, blue above the upper one (:func:`thm_lib.analysis.coverage.schwellen`);
    values are written into the cells; hidden cells (suppression symbol) stay empty.
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
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
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
