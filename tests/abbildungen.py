"""The figures compared against reference PNGs: fixed synthetic inputs, fixed style.

Shared by ``tests/test_abbildungen.py`` (compares) and ``tests/reference/erzeugen.py``
(writes the references); a test never writes a reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

REFERENZ_ORDNER = Path(__file__).resolve().parent / "reference" / "abbildungen"
"""Committed reference PNGs, one per entry of :data:`ABBILDUNGEN`."""
ERZEUGEN = "PYTHONPATH=. .venv/bin/python tests/reference/erzeugen.py"
"""Command (from the repository root) that writes the reference PNGs."""

STIL: dict[str, Any] = {
    # the font shipped with matplotlib, no hinting: the same pixels on every machine
    # with the same matplotlib and FreeType (the pip wheel bundles FreeType)
    "font.family": ["DejaVu Sans"],
    "text.hinting": "none",
    "figure.dpi": 100,
    "savefig.dpi": "figure",
    "axes.formatter.use_locale": False,
}


@contextmanager
def bildstil() -> Iterator[None]:
    """matplotlib's default style plus :data:`STIL`, restored afterwards."""
    import matplotlib as mpl
    import matplotlib.style

    with matplotlib.style.context("default"), mpl.rc_context(STIL):
        yield


def zaehlungen(ws: Any) -> pd.Series:
    """Counts of the ten synthetic Gemeinden (3 and 2 are hidden, 0 is shown)."""
    return pd.Series([3, 0, 12, 40, 7, 100, 55, 2, 18, 25], index=ws.gebiete["ags"])


def karte(*, offers: bool = True) -> Any:
    """Static map of the synthetic Kreis with the counts of :func:`zaehlungen` and offers."""
    from thm_lib.ingest.synthetic import synthetic_workspace
    from thm_lib.publish.maps import count_measure, static_map

    ws = synthetic_workspace()
    return static_map(ws, count_measure(zaehlungen(ws)), offers=offers)


def quoten(verschiebung: float = 0.0) -> pd.DataFrame:
    """Need rates of four Handlungsfelder (two segments of Duldung, one of Gestattung).

    ``verschiebung`` is added to the rate of "Arbeit" (to draw a wrong bar).
    """
    felder = ["Sprache", "Arbeit", "Gesundheit", "Wohnen"]
    rows = []
    for i, feld in enumerate(felder):
        for seg, delta in (("jung", -0.05), ("alt", 0.05)):
            q = 0.2 + 0.15 * i + delta + (verschiebung if feld == "Arbeit" else 0.0)
            rows.append(("duldung", seg, feld, q, q - 0.08, q + 0.1))
        rows.append(("gestattung", "alle", feld, 0.5, 0.4, 0.6))
    return pd.DataFrame(
        rows, columns=["status", "segment", "handlungsfeld", "quote", "ki_unten", "ki_oben"]
    )


def bedarfsquoten(verschiebung: float = 0.0) -> Any:
    """:func:`thm_lib.publish.plots.bedarfsquoten_chart` of :func:`quoten` (status Duldung)."""
    from thm_lib.publish.plots import bedarfsquoten_chart

    return bedarfsquoten_chart(quoten(verschiebung), "duldung").figure


def versorgungsmatrix() -> pd.DataFrame:
    """Versorgungsgrad (%) of four Gemeinden × three Handlungsfelder, one cell hidden."""
    return pd.DataFrame(
        {
            "Sprache": [40.0, 95.0, 160.0, 100.0],
            "Arbeit": [70.0, ".", 120.0, 20.0],
            "Wohnen": [200.0, 105.0, 60.0, 0.0],
        },
        index=["Gemeinde A", "Gemeinde B", "Gemeinde C", "Gemeinde D"],
        dtype=object,
    )


def luecken() -> Any:
    """:func:`thm_lib.publish.plots.luecken_heatmap` of :func:`versorgungsmatrix`."""
    from thm_lib.core.config import default_annahmen
    from thm_lib.publish.plots import luecken_heatmap

    ax = luecken_heatmap(versorgungsmatrix(), default_annahmen())
    return ax.figure


def verlauf() -> Any:
    """:func:`thm_lib.publish.plots.verlauf_chart` of a suppressed table of three Stichtage.

    Duldung 3 on the first Stichtag is hidden ("<5"): the line leaves it out.
    """
    from thm_lib.disclosure.suppression import suppress
    from thm_lib.publish.plots import verlauf_chart

    table = pd.DataFrame(
        {"duldung": [3, 14, 22], "gestattung": [30, 41, 35]},
        index=pd.Index(["31.12.2022", "31.12.2023", "31.12.2024"], name="Stichtag"),
    )
    published = suppress(
        table,
        5,
        row_sums=False,
        col_sums=False,
        column_labels={"duldung": "Duldung", "gestattung": "Aufenthaltsgestattung"},
    )
    return verlauf_chart(published).figure


ABBILDUNGEN: dict[str, Callable[[], Any]] = {
    "karte_synthetisch": karte,
    "bedarfsquoten": bedarfsquoten,
    "luecken": luecken,
    "verlauf": verlauf,
}
"""Name of the reference PNG (without ``.png``) -> function drawing the figure."""


def speichern(fig: Any, path: Path) -> Path:
    """Save ``fig`` as PNG at its own dpi (as the static maps are saved), then close it."""
    import matplotlib.pyplot as plt

    from thm_lib.publish.maps import save_static_map

    save_static_map(fig, path)
    plt.close(fig)  # no-op for the static map, which pyplot does not know
    return path


def zeichnen(name: str, path: Path, aendern: Callable[[Any], None] | None = None) -> Path:
    """Draw the figure ``name`` in :func:`bildstil`, optionally alter it, save it to ``path``."""
    with bildstil():
        fig = ABBILDUNGEN[name]()
        if aendern is not None:
            aendern(fig)
        return speichern(fig, path)
