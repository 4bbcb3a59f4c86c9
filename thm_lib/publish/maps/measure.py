"""What a map shows: a measure per Gemeinde, its colour classes and German labels.

The maps compute nothing new: a :class:`Measure` wraps a Series (indexed by
``ags``) that an analysis module produced, plus a German label and the kind of
number, which decides formatting and whether small counts are suppressed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from thm_lib.core.formats import versorgungsgrad, zahl
from thm_lib.core.labels import KLASSE_KEIN_BEDARF, KLASSE_OK, KLASSE_UEBER, KLASSE_UNTER
from thm_lib.disclosure.suppression import suppress

Kind = Literal["anzahl", "plaetze", "quote", "prozent", "klasse"]
Scheme = Literal["natural_breaks", "quantiles"]

#: Label, kind, palette and decimals of the columns of ``CoverageResult.gemeinden``
#: (see docs/datenmodell.md). ``{hf}`` is replaced by the Handlungsfeld.
COVERAGE_MEASURES: dict[str, tuple[str, Kind, str, int]] = {
    "versorgungsgrad": ("Versorgungsgrad {hf} (%)", "prozent", "RdYlGn", 1),
    "fehlende_plaetze": ("Fehlende Plätze {hf}", "anzahl", "YlOrRd", 0),
    "bedarf": ("Personen mit Bedarf {hf}", "anzahl", "YlOrRd", 0),
    "erreichbare_plaetze": ("Erreichbare Plätze {hf}", "plaetze", "YlGn", 0),
    "bedarf_geduldete_ohne_angebot": (
        "Geduldete mit Bedarf ohne erreichbares Angebot {hf}",
        "anzahl",
        "YlOrRd",
        0,
    ),
}

SUPPRESSED_COLOR = "#d9d9d9"
MISSING_TEXT = "keine Angabe"
MISSING_COLOR = "#ffffff"


def classes_for(numbers: pd.Series, measure: Measure, scheme: Scheme, k: int) -> Classes | None:
    """:func:`classify` with the formatting of ``measure`` (whole numbers, unit, decimals)."""
    return classify(
        numbers,
        scheme=scheme,
        k=k,
        palette=measure.palette,
        decimals=measure.decimals,
        unit=" %" if measure.kind == "prozent" else "",
        integer=measure.kind in ("anzahl", "plaetze"),
    )


@dataclass(frozen=True)
class Measure:
    """One value per Gemeinde to draw.

    Attributes
    ----------
    values : pandas.Series
        Float values indexed by ``ags`` (8-digit str); NaN = no value.
    label : str
        German title for legend and tooltip, e.g. ``"Zielgruppe (Personen)"``.
    kind : {"anzahl", "plaetze", "quote", "prozent", "klasse"}
        ``anzahl`` are counts of persons: they pass the small-cell suppression
        and are shown as whole numbers. ``plaetze`` (offer places, public) are
        not suppressed. ``quote`` (e.g. per 1,000) and ``prozent`` are shown
        with ``decimals``. ``klasse``: ``values`` are category names coloured
        by ``categories`` (no classification).
    palette : str
        ColorBrewer scheme name (``"YlOrRd"``, ``"RdYlGn"``, ...).
    decimals : int
        Decimal places in tooltips and the legend.
    gesperrt : pandas.Series or None
        The hiding pattern decided by the publication layer
        (:mod:`thm_lib.disclosure.publication`), indexed by ``ags``: ``""`` shown,
        ``"primär"`` a small count (``"<5"``), ``"sekundär"`` hidden otherwise
        (``zeichen``). Given, the map hides exactly these Gemeinden, the same
        as every table (no suppression of its own); ``None``: counts are
        suppressed here as one column (a map outside the reports).
    zeichen : str
        The mark of hidden values (``annahmen.datenschutz.zeichen_geheim``).
    """

    values: pd.Series
    label: str
    kind: Kind = "anzahl"
    palette: str = "YlOrRd"
    decimals: int = 0
    categories: tuple[tuple[str, str], ...] = ()
    details: pd.Series | None = None
    gesperrt: pd.Series | None = None
    zeichen: str = "."

    @property
    def suppressed_kind(self) -> bool:
        """True when values are person counts that need small-cell suppression."""
        return self.kind == "anzahl"


def as_measure(measure: Measure | pd.Series, label: str | None = None) -> Measure:
    """Accept a :class:`Measure` or a Series (its ``name`` or ``label`` is the title).

    A bare Series is treated as a person count (``kind="anzahl"``), the safe
    default for suppression.
    """
    if isinstance(measure, Measure):
        return measure
    if isinstance(measure, pd.Series):
        title = label or (str(measure.name) if measure.name is not None else "Wert")
        return Measure(values=measure, label=title)
    raise TypeError("measure muss eine pandas.Series (Index: ags) oder ein Measure sein")


def count_measure(values: pd.Series, label: str = "Zielgruppe (Personen)") -> Measure:
    """Person counts per Gemeinde (suppressed when small)."""
    return Measure(values=values, label=label, kind="anzahl", palette="YlOrRd")


def rate_measure(
    values: pd.Series, label: str = "Zielgruppe je 1.000 Einwohner", decimals: int = 1
) -> Measure:
    """A rate per Gemeinde, e.g. target group per 1,000 inhabitants."""
    return Measure(values=values, label=label, kind="quote", palette="YlOrRd", decimals=decimals)


def reach_measure(reach: pd.DataFrame, label: str = "Reichweite THM (%)") -> Measure:
    """Reach per Gemeinde (``ags``, ``reichweite`` as a share 0..1), shown in percent.

    For published maps pass the reach of :func:`thm_lib.publish.views.kennzahlen_tabelle`
    (hidden shares as NaN), as :func:`thm_lib.publish.views.karten_mass` does.
    """
    values = reach.set_index(reach["ags"].astype(str))["reichweite"].astype(float) * 100
    return Measure(values=values, label=label, kind="prozent", palette="YlGn", decimals=0)


def gap_class_measure(coverage: Any, handlungsfeld: str) -> Measure:
    """The gap class (``klasse``) of a coverage result, with the Versorgungsgrad in the tooltip.

    Colours: Unterversorgung red, bedarfsgerecht green, Überversorgung blue,
    kein Bedarf light grey (the classes of :func:`thm_lib.analysis.coverage.gap_class`).
    """
    table = getattr(coverage, "gemeinden", coverage)
    rows = table[table["handlungsfeld"] == handlungsfeld]
    if rows.empty:
        raise KeyError(f"Keine Ergebnisse für das Handlungsfeld '{handlungsfeld}'")
    rows = rows.set_index(rows["ags"].astype(str))
    details = rows["versorgungsgrad"].map(
        lambda v: "" if pd.isna(v) else f"Versorgungsgrad {versorgungsgrad(float(v))}"
    )
    return Measure(
        values=rows["klasse"],
        label=f"Versorgung {handlungsfeld}",
        kind="klasse",
        categories=gap_class_colours(),
        details=details,
    )


def gap_class_colours() -> tuple[tuple[str, str], ...]:
    """Gap class and its colour, in legend order: the one colour rule of maps and exports.

    Unterversorgung red, bedarfsgerecht green, Überversorgung blue, kein Bedarf
    light grey (the classes of :func:`thm_lib.analysis.coverage.gap_class`); hidden
    values use :data:`SUPPRESSED_COLOR`.
    """

    return (
        (KLASSE_UNTER, "#d7191c"),
        (KLASSE_OK, "#a6d96a"),
        (KLASSE_UEBER, "#2b83ba"),
        (KLASSE_KEIN_BEDARF, "#f0f0f0"),
    )


def _leuchtdichte(rgb: list[float]) -> float:
    """Relative luminance (WCAG 2) of sRGB values in 0..1."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def textfarbe(hintergrund: str) -> str:
    """Text colour on a ``#rrggbb`` background: white or near-black, whichever contrasts more.

    Contrast as WCAG 2 defines it. Other colour notations get near-black.

    Examples
    --------
    >>> [textfarbe(c) for c in ("#d7191c", "#a6d96a", "#2b83ba", "#f0f0f0", "#fff")]
    ['#fff', '#222', '#fff', '#222', '#222']
    """
    h = hintergrund.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6 or any(c not in "0123456789abcdefABCDEF" for c in h):
        return "#222"
    hell = _leuchtdichte([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    dunkel = _leuchtdichte([0x22 / 255] * 3)
    weiss, schwarz = 1.05 / (hell + 0.05), (hell + 0.05) / (dunkel + 0.05)
    return "#fff" if weiss > schwarz else "#222"


def coverage_measure(coverage: Any, column: str, handlungsfeld: str) -> Measure:
    """Select one column of a coverage result for one Handlungsfeld.

    Parameters
    ----------
    coverage : CoverageResult or pandas.DataFrame
        ``thm_lib.analysis.coverage.analyse(ws)`` or its ``.gemeinden`` table.
    column : str
        One of :data:`COVERAGE_MEASURES` (``versorgungsgrad``,
        ``fehlende_plaetze``, ``bedarf``, ``erreichbare_plaetze``,
        ``bedarf_geduldete_ohne_angebot``).
    handlungsfeld : str
        The Handlungsfeld to show.

    Raises
    ------
    KeyError
        If the column is unknown or the Handlungsfeld has no rows.
    """
    table = getattr(coverage, "gemeinden", coverage)
    if column not in COVERAGE_MEASURES:
        raise KeyError(f"Unbekannte Kennzahl '{column}'; möglich: {', '.join(COVERAGE_MEASURES)}")
    rows = table[table["handlungsfeld"] == handlungsfeld]
    if rows.empty:
        raise KeyError(f"Keine Ergebnisse für das Handlungsfeld '{handlungsfeld}'")
    label, kind, palette, decimals = COVERAGE_MEASURES[column]
    values = rows.set_index("ags")[column].astype(float)
    return Measure(
        values=values,
        label=label.format(hf=handlungsfeld),
        kind=kind,
        palette=palette,
        decimals=decimals,
    )


@dataclass(frozen=True)
class Shown:
    """A value as it may be published: text for tooltips, number for colouring.

    ``number`` is NaN when the value is missing or suppressed; ``suppressed``
    is ``""``, ``"primär"`` (a small count, shown as ``"<5"``) or
    ``"sekundär"`` (hidden so that a small count cannot be recomputed from
    the Kreis total).
    """

    text: str
    number: float
    suppressed: str = ""

    @property
    def missing(self) -> bool:
        """True when there is no value at all (not the same as suppressed)."""
        return self.text == MISSING_TEXT


def _format(value: float, measure: Measure) -> str:
    whole = measure.kind in ("anzahl", "plaetze")
    text = zahl(value, 0 if whole else measure.decimals)
    return text + " %" if measure.kind == "prozent" else text


def nur_gezeigte(measure: Measure) -> Measure:
    """``measure`` without the value and tooltip of any Gemeinde it hides (``gesperrt``).

    The map shows a hidden Gemeinde with the mark whatever its value; a measure handed
    on beyond the publication layer (the apps' bundle) should not carry the value at all.
    """
    if measure.gesperrt is None:
        return measure
    reasons = measure.gesperrt.copy()
    reasons.index = reasons.index.astype(str)
    values = measure.values.astype(object).copy()
    hidden = np.array([bool(reasons.get(str(a), "")) for a in values.index], dtype=bool)
    values[hidden] = None
    details = measure.details
    if details is not None:
        details = details.astype(object).copy()
        details[[bool(reasons.get(str(a), "")) for a in details.index]] = measure.zeichen
    return replace(measure, values=values, details=details)


def _reasons(measure: Measure, ags: Sequence[str]) -> list[str]:
    """The hiding reason of each Gemeinde (``""`` shown) from ``measure.gesperrt``."""
    if measure.gesperrt is None:
        return [""] * len(ags)
    reasons = measure.gesperrt.copy()
    reasons.index = reasons.index.astype(str)
    return [str(reasons.get(str(a), "") or "") for a in ags]


def _hidden(measure: Measure, why: str, threshold: int) -> Shown:
    """A value hidden by the publication layer: ``"<5"`` (primary) or the mark."""
    if why == "primär":
        return Shown(f"<{threshold}", math.nan, why)
    return Shown(f"{measure.zeichen} (Datenschutz)", math.nan, "sekundär")


def published_values(measure: Measure, ags: Sequence[str], threshold: int) -> list[Shown]:
    """The values of ``measure`` for the Gemeinden ``ags`` as they may be published.

    Person counts (``kind="anzahl"``) are rounded to whole numbers and go
    through :func:`thm_lib.disclosure.suppression.suppress` as one column whose sum (the
    Kreis total) is assumed known: counts ``1 .. threshold-1`` become
    ``"<5"``, and further cells are hidden where a small count could otherwise
    be recomputed. Other kinds are only formatted.
    """
    values = measure.values.copy()
    values.index = values.index.astype(str)
    raw = (
        pd.Series(list(ags), dtype=str).map(values).astype(float)
        if measure.kind != "klasse"
        else None
    )
    if measure.kind == "klasse":
        cats = pd.Series(list(ags), dtype=str).map(values)
        if measure.details is not None:
            lookup = measure.details.copy()
            lookup.index = lookup.index.astype(str)
            details = pd.Series(list(ags), dtype=str).map(lookup)
        else:
            details = pd.Series([""] * len(cats))
        # a hidden Gemeinde shows the mark, never its class (the class tells the value)
        return [
            _hidden(measure, why, threshold)
            if why
            else Shown(
                MISSING_TEXT
                if pd.isna(c)
                else (f"{c} ({d})" if isinstance(d, str) and d else str(c)),
                math.nan,
            )
            for c, d, why in zip(cats, details, _reasons(measure, ags), strict=True)
        ]
    if measure.gesperrt is not None:
        out = []
        for v, why in zip(raw, _reasons(measure, ags), strict=True):
            if why:
                out.append(_hidden(measure, why, threshold))
            elif pd.isna(v):
                out.append(Shown(MISSING_TEXT, math.nan))
            else:
                out.append(Shown(_format(v, measure), v))
        return out
    if not measure.suppressed_kind:
        return [
            Shown(MISSING_TEXT, math.nan) if pd.isna(v) else Shown(_format(v, measure), v)
            for v in raw
        ]

    # suppress over every Gemeinde of the measure (the Kreis), then pick ``ags``: a map
    # of one Kommune hides exactly what the Kreis map hides
    everything = values.astype(float).round().astype("Int64").to_frame("wert")
    table = suppress(everything, threshold, count_cols=["wert"], row_sums=False, col_sums=True)
    picked = [str(a) for a in ags]
    published = table.published["wert"].reindex(picked)
    reason = table.reason["wert"].reindex(picked).fillna("")
    out = []
    for cell, why in zip(published, reason, strict=True):
        if why:
            text = str(cell) if why == "primär" else f"{cell} (Datenschutz)"
            out.append(Shown(text, math.nan, str(why)))
        elif cell is None or pd.isna(cell):
            out.append(Shown(MISSING_TEXT, math.nan))
        else:
            out.append(Shown(_format(float(cell), measure), float(cell)))
    return out


# --- classes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    """Colour classes of a measure (upper bounds, colours, German labels)."""

    bins: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]

    def color_of(self, value: float) -> str:
        """Colour of ``value``: class ``i`` holds ``bins[i-1] < value <= bins[i]``."""
        if value is None or pd.isna(value):
            return MISSING_COLOR
        i = int(np.searchsorted(np.asarray(self.bins), value, side="left"))
        return self.colors[min(i, len(self.colors) - 1)]


def fill_colors(
    measure: Measure, ags: Sequence[str], shown: Sequence[Shown], scheme: Scheme, k: int
) -> tuple[list[str], list[tuple[str, str]]]:
    """Fill colour per Gemeinde and the choropleth legend entries ``(colour, label)``.

    Numeric measures are classified (:func:`classes_for`) over the shown
    values only; suppressed Gemeinden get ``SUPPRESSED_COLOR``, missing ones
    ``MISSING_COLOR``. Category measures use their fixed colours (Gemeinden hidden
    by ``measure.gesperrt`` ``SUPPRESSED_COLOR`` as well).
    """
    suppressed = [bool(s.suppressed) for s in shown]
    if measure.kind == "klasse":
        lookup = dict(measure.categories)
        values = measure.values.copy()
        values.index = values.index.astype(str)
        cats = [None if sup else values.get(a) for a, sup in zip(ags, suppressed, strict=True)]
        colors = [
            SUPPRESSED_COLOR
            if sup
            else (lookup.get(c, MISSING_COLOR) if isinstance(c, str) else MISSING_COLOR)
            for c, sup in zip(cats, suppressed, strict=True)
        ]
        present = {c for c in cats if isinstance(c, str)}
        entries = [(col, name) for name, col in measure.categories if name in present]
        if any(
            not sup and (not isinstance(c, str) or c not in lookup)
            for c, sup in zip(cats, suppressed, strict=True)
        ):
            entries.append((MISSING_COLOR, MISSING_TEXT))
        return colors, entries
    numbers = pd.Series([s.number for s in shown], dtype=float)
    classes = classes_for(numbers, measure, scheme, k)
    colors = [
        SUPPRESSED_COLOR if sup else (classes.color_of(n) if classes else MISSING_COLOR)
        for sup, n in zip(suppressed, numbers, strict=True)
    ]
    entries = list(zip(classes.colors, classes.labels, strict=True)) if classes else []
    return colors, entries


def palette_colors(palette: str, k: int) -> list[str]:
    """``k`` colours of a ColorBrewer scheme (branca's copy of the ColorBrewer tables)."""
    from branca.utilities import color_brewer

    if k >= 3:
        return list(color_brewer(palette, k))
    three = color_brewer(palette, 3)
    return [three[1]] if k == 1 else [three[0], three[2]]


def class_labels(
    bins: Sequence[float], minimum: float, decimals: int, unit: str = "", integer: bool = False
) -> list[str]:
    """German legend labels.

    Whole-number measures: ``"1 bis 3"``, ``"4 bis 12"`` (class ``i`` holds
    ``bins[i-1] + 1 .. bins[i]``); others: ``"1,5 bis 3,0"``, ``"über 3,0 bis 12,0"``.

    Parameters
    ----------
    bins : sequence of float
        Upper class bounds, ascending (whole numbers when ``integer``).
    minimum : float
        Smallest classified value (lower bound of the first class).
    decimals : int
        Decimal places (ignored when ``integer``).
    unit : str
        Appended to each bound (e.g. ``" %"``).
    integer : bool
        Values are whole numbers.
    """

    def fmt(v: float) -> str:
        return zahl(v, 0 if integer else decimals) + unit

    labels = []
    lower: float | None = None
    for upper in bins:
        if lower is None:
            lo, prefix = fmt(minimum), ""
        elif integer:
            lo, prefix = fmt(lower + 1), ""
        else:
            lo, prefix = fmt(lower), "über "
        hi = fmt(upper)
        labels.append(hi if lo == hi and not prefix else f"{prefix}{lo} bis {hi}")
        lower = upper
    return labels


def classify(
    numbers: pd.Series,
    *,
    scheme: Scheme,
    k: int,
    palette: str,
    decimals: int = 0,
    unit: str = "",
    integer: bool = False,
) -> Classes | None:
    """Colour classes by mapclassify over the shown (unsuppressed, non-missing) values.

    ``natural_breaks`` uses ``mapclassify.FisherJenks`` (the exact, deterministic
    Jenks optimum; ``mapclassify.NaturalBreaks`` is randomised), ``quantiles``
    ``mapclassify.Quantiles``. ``k`` is reduced to the number of distinct
    values. With ``integer`` the bounds are rounded down to whole numbers
    (for counts: ``v <= b`` equals ``v <= floor(b)``). Returns ``None`` when
    there is nothing to classify.
    """
    y = numbers.dropna().to_numpy(dtype=float)
    if y.size == 0:
        return None
    k = max(1, min(int(k), int(np.unique(y).size)))
    if k == 1:
        bins = np.array([y.max()])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify: "Numba not installed", ties
            import mapclassify

            if scheme == "natural_breaks":
                bins = mapclassify.FisherJenks(y, k=k).bins
            elif scheme == "quantiles":
                bins = mapclassify.Quantiles(y, k=k).bins
            else:
                raise ValueError(
                    f"Unbekannte Klassifikation '{scheme}'; möglich: natural_breaks, quantiles"
                )
        bins = np.asarray(bins, dtype=float)
        if integer:
            bins = np.floor(bins)
        bins = np.unique(bins)
    colors = palette_colors(palette, len(bins))
    labels = class_labels(bins, float(y.min()), decimals, unit, integer)
    return Classes(tuple(float(b) for b in bins), tuple(colors), tuple(labels))
