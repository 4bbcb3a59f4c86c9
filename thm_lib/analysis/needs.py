"""Need rates (Bedarfsquoten) from case records, and projected demand.

A need rate is the share of consented cases of a segment that have a need in
a Handlungsfeld (any ``ergebnis``, including ``offen``: the need exists).
Where a segment has fewer than ``annahmen.bedarf.mindestfaelle`` cases, the
rate is pooled over the next coarser group: status × Altersgruppe, then
status, then the whole Kreis; where even the Kreis has too few, the
configured ``standardquoten`` apply. Every row names its source in
``quelle``.

Demand per Gemeinde × Handlungsfeld × segment = persons × rate ×
``inanspruchnahme`` (take-up).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from thm_lib.analysis.target_group import SEGMENT, eligible_cases, segment_index
from thm_lib.core.settings import Annahmen

#: Pooling levels from finest to coarsest: (name in ``quelle``, grouping columns).
POOL_LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("segment", ("status", "altersgruppe", "geschlecht")),
    ("status_altersgruppe", ("status", "altersgruppe")),
    ("status", ("status",)),
    ("kreis", ()),
)
FALLBACK = "standardquote"


def wilson_interval(
    k: np.ndarray | float, n: np.ndarray | float, konfidenz: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion k / n.

    Hand-written (five lines), vectorised over all rows: ``statsmodels``
    (``proportion_confint(method="wilson")``) is not a dependency, and SciPy's
    ``binomtest(k, n).proportion_ci(method="wilson")`` is scalar-only (the
    tests use it as the reference). The normal quantile is the standard
    library's (``statistics.NormalDist``; equal to SciPy's ``norm.ppf`` within 1e-15,
    and importing ``scipy.stats`` costs every process 0.3 s). Where ``n == 0`` both bounds are NaN.

    Parameters
    ----------
    k, n : array_like
        Successes and trials.
    konfidenz : float
        Confidence level, e.g. 0.95.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds.

    Examples
    --------
    >>> lo, hi = wilson_interval(5, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2366, 0.7634)
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = NormalDist().inv_cdf(1.0 - (1.0 - konfidenz) / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1.0 + z * z / n
        center = (p + z * z / (2.0 * n)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return center - half, center + half


def _all_segments(annahmen: Annahmen) -> pd.DataFrame:
    return segment_index(annahmen).to_frame(index=False)


def need_rates(
    faelle: pd.DataFrame | None, bedarfe: pd.DataFrame | None, annahmen: Annahmen
) -> pd.DataFrame:
    """Need rate per Handlungsfeld and segment, with pooling and fallback.

    Parameters
    ----------
    faelle : pandas.DataFrame or None
        Case records; only consented cases in the target group are used.
    bedarfe : pandas.DataFrame or None
        Needs in long form (``fall_id``, ``handlungsfeld``, ``ergebnis``).
    annahmen : Annahmen
        Merged assumptions (sections ``zielgruppe``, ``bedarf``,
        ``handlungsfelder``).

    Returns
    -------
    pandas.DataFrame
        One row per Handlungsfeld × segment (every configured status ×
        Altersgruppe × geschlecht): ``handlungsfeld``, ``status``,
        ``altersgruppe``, ``geschlecht``, ``quote``, ``k`` (cases with the
        need), ``n`` (cases in the group used), ``ki_unten``, ``ki_oben``
        (Wilson interval; NaN for the default rate), ``quelle`` (``segment``,
        ``status_altersgruppe``, ``status``, ``kreis`` or ``standardquote``).
    """
    b = annahmen.bedarf
    minimum = max(int(b.mindestfaelle), 1)
    konfidenz = float(b.konfidenz)
    defaults = b.standardquoten
    felder = list(annahmen.handlungsfelder)
    segs = _all_segments(annahmen)

    cases = None
    if faelle is not None and len(faelle) and bedarfe is not None:
        cases = eligible_cases(faelle, annahmen)
        cases = cases[["fall_id", *SEGMENT]].drop_duplicates("fall_id")
        needs = bedarfe[bedarfe["handlungsfeld"].isin(felder)][["fall_id", "handlungsfeld"]]
        needs = needs.drop_duplicates()
        has = pd.crosstab(needs["fall_id"], needs["handlungsfeld"]).reindex(
            columns=felder, fill_value=0
        )
        has = has.reindex(cases["fall_id"], fill_value=0).to_numpy() > 0
        cases = pd.concat(
            [cases.reset_index(drop=True), pd.DataFrame(has.astype(float), columns=felder)], axis=1
        )

    rows = []
    for feld in felder:
        out = segs.copy()
        out.insert(0, "handlungsfeld", feld)
        out["k"] = np.nan
        out["n"] = 0.0
        out["quelle"] = FALLBACK
        for level in ("status", "kreis"):
            out[f"k_{level}"], out[f"n_{level}"] = np.nan, 0.0
        todo = np.ones(len(out), dtype=bool)
        if cases is not None and len(cases):
            by_status = cases.groupby("status")[feld].agg(["sum", "count"])
            out["k_status"] = by_status["sum"].reindex(out["status"]).to_numpy(dtype=float)
            out["n_status"] = (
                by_status["count"].reindex(out["status"]).fillna(0).to_numpy(dtype=float)
            )
            out["k_kreis"], out["n_kreis"] = float(cases[feld].sum()), float(len(cases))
            for level, cols in POOL_LEVELS:
                if not todo.any():
                    break
                if cols:
                    g = cases.groupby(list(cols))[feld].agg(["sum", "count"])
                    key = (
                        pd.MultiIndex.from_frame(out[list(cols)])
                        if len(cols) > 1
                        else pd.Index(out[cols[0]])
                    )
                    k = g["sum"].reindex(key).to_numpy(dtype=float)
                    n = g["count"].reindex(key).fillna(0).to_numpy(dtype=float)
                else:
                    k = np.full(len(out), cases[feld].sum())
                    n = np.full(len(out), float(len(cases)))
                take = todo & (n >= minimum)
                out.loc[take, "k"] = k[take]
                out.loc[take, "n"] = n[take]
                out.loc[take, "quelle"] = level
                todo &= ~take
        out["quote"] = out["k"] / out["n"].where(out["n"] > 0)
        lo, hi = wilson_interval(out["k"].to_numpy(), out["n"].to_numpy(), konfidenz)
        out["ki_unten"], out["ki_oben"] = lo, hi
        fb = out["quelle"] == FALLBACK
        out.loc[fb, "quote"] = float(defaults.get(feld, np.nan))
        out.loc[fb, ["k", "ki_unten", "ki_oben"]] = np.nan
        rows.append(out)
    cols = [
        "handlungsfeld",
        *SEGMENT,
        "quote",
        "k",
        "n",
        "ki_unten",
        "ki_oben",
        "quelle",
        "k_status",
        "n_status",
        "k_kreis",
        "n_kreis",
    ]
    return pd.concat(rows, ignore_index=True)[cols]


GESPERRT = "gesperrt"
"""``quelle`` of a published rate withheld because its case numbers are small."""


def _safe(k: float, n: float, schwelle: int) -> bool:
    """True when neither ``k`` nor ``n - k`` is 1 .. schwelle-1."""
    return not (1 <= k < schwelle) and not (1 <= n - k < schwelle)


def published_rates(
    quoten: pd.DataFrame, schwelle: int, mindestfaelle: int, konfidenz: float = 0.95
) -> pd.DataFrame:
    """Need rates as they may be published: no rate or interval pins a small number of cases.

    A rate k/n with its Wilson interval determines k and n. Where the cases
    with the need (k) or without it (n - k) of a shown group number 1 ..
    ``schwelle``-1, the rates of that status and Handlungsfeld are shown at
    the status level instead (all age bands and sexes alike, so no finer
    rate can be subtracted from it); where the status level is small as
    well, the whole Handlungsfeld is shown at the Kreis level, else withheld
    (``quelle`` :data:`GESPERRT`, ``quote`` NaN). The pooling minimum
    (``mindestfaelle``) alone does not protect: 1 case of 30 is 1 case.

    Parameters
    ----------
    quoten : pandas.DataFrame
        From :func:`need_rates` (with the status and Kreis counts).
    schwelle : int
        Suppression threshold (``annahmen.datenschutz.schwelle``).
    mindestfaelle : int
        Pooling minimum (``annahmen.bedarf.mindestfaelle``).
    konfidenz : float
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        Same rows and columns as ``quoten``, for display only (the model
        keeps using ``quoten``).
    """
    out = quoten.copy()
    data = out["quelle"] != FALLBACK

    def set_level(rows: pd.Series, level: str) -> None:
        k = out.loc[rows, f"k_{level}"].to_numpy(dtype=float)
        n = out.loc[rows, f"n_{level}"].to_numpy(dtype=float)
        lo, hi = wilson_interval(k, n, konfidenz)
        for col, value in (("k", k), ("n", n), ("quote", k / n), ("ki_unten", lo), ("ki_oben", hi)):
            out.loc[rows, col] = value
        out.loc[rows, "quelle"] = level

    def to_status(status: str, in_feld: pd.Series) -> bool:
        """Show a status's rows at its status level; False where that is small too."""
        block = in_feld & (out["status"] == status) & data
        first = out.loc[block].iloc[0]
        if first["n_status"] >= mindestfaelle and _safe(
            first["k_status"], first["n_status"], schwelle
        ):
            set_level(block, "status")
            return True
        return False

    def to_band(key: tuple[str, ...], in_feld: pd.Series) -> None:
        """Show an age band (its sexes apart and together) together, at its shown rate."""
        band = in_feld & data & (out["status"].astype(str) == key[0])
        band &= out["altersgruppe"].astype(str) == key[1]
        gezeigt = out.loc[band & (out["quelle"] == "status_altersgruppe")].iloc[0]
        for col in ("k", "n", "quote", "ki_unten", "ki_oben", "quelle"):
            out.loc[band, col] = gezeigt[col]

    for feld in dict.fromkeys(out["handlungsfeld"]):
        in_feld = out["handlungsfeld"] == feld
        failing = False
        for status in dict.fromkeys(out.loc[in_feld, "status"]):
            block = in_feld & (out["status"] == status) & data
            if not all(_safe(k, n, schwelle) for k, n in out.loc[block, ["k", "n"]].to_numpy()):
                failing |= not to_status(status, in_feld)
        # a group shown beside finer groups inside it gives away the rest (session 30)
        while not failing and (g := _kleiner_rest(out.loc[in_feld & data], schwelle)):
            if len(g) == 2:
                to_band(g, in_feld)
            else:
                failing = not g or not to_status(g[0], in_feld)
        if failing:
            rows = in_feld & data
            first = out.loc[rows].iloc[0]
            if first["n_kreis"] >= mindestfaelle and _safe(
                first["k_kreis"], first["n_kreis"], schwelle
            ):
                set_level(rows, "kreis")
            else:
                out.loc[rows, ["quote", "k", "n", "ki_unten", "ki_oben"]] = np.nan
                out.loc[rows, "quelle"] = GESPERRT
    return out


#: The segment columns each pooling level keeps (its group of cases).
LEVEL_COLUMNS = dict(POOL_LEVELS)


def _kleiner_rest(rows: pd.DataFrame, schwelle: int) -> tuple[str, ...] | None:
    """The first shown group whose rest is small, as its key (values of its
    :data:`LEVEL_COLUMNS`: ``()`` for the Kreis), else None.

    The rates of one Handlungsfeld show groups of cases at different levels (a status
    whose age band has under ``mindestfaelle`` cases shows that band at the status
    level, its other bands by themselves). Each rate with its interval gives its
    group's k and n, so a group minus the shown groups inside it gives the cases of
    the rest: its k and n - k must be 0 or at least ``schwelle`` like those of any
    shown group (the sample Kreis showed so that 4 of 21 cases had a psychosocial
    need, round 2, session 30).
    """
    gruppen: dict[tuple[str, ...], tuple[float, float]] = {}
    for row in rows.itertuples(index=False):
        spalten = LEVEL_COLUMNS.get(row.quelle)
        if spalten is not None:
            gruppen[tuple(str(getattr(row, c)) for c in spalten)] = (float(row.k), float(row.n))

    def innen(g: tuple[str, ...], h: tuple[str, ...]) -> bool:
        return len(h) > len(g) and h[: len(g)] == g

    for g, (k, n) in gruppen.items():
        teile = [h for h in gruppen if innen(g, h)]
        teile = [h for h in teile if not any(innen(m, h) for m in teile)]  # the largest only
        if teile and not _safe(
            k - sum(gruppen[h][0] for h in teile), n - sum(gruppen[h][1] for h in teile), schwelle
        ):
            return g
    return None


def published_model_rates(quoten: pd.DataFrame, annahmen: Annahmen) -> pd.DataFrame:
    """Need rates for every published model figure: the rates as published.

    :func:`published_rates` with the settings of ``annahmen``; a withheld rate
    (:data:`GESPERRT`) becomes the Standardquote of its Handlungsfeld (source
    :data:`FALLBACK`). A model on the exact rates would publish them through its
    demand: a need passing between two cases of one status changes the exact rates
    of their age bands, not the published rate of the status, but it changes the
    demand of every Gemeinde with persons in those bands.

    Parameters
    ----------
    quoten : pandas.DataFrame
        From :func:`need_rates`.
    annahmen : Annahmen
        Merged assumptions (``datenschutz.schwelle``, ``bedarf``).

    Returns
    -------
    pandas.DataFrame
        Same rows and columns as ``quoten``.
    """
    b = annahmen.bedarf
    out = published_rates(
        quoten,
        int(annahmen.datenschutz.schwelle),
        max(int(b.mindestfaelle), 1),
        float(b.konfidenz),
    )
    weg = out["quelle"] == GESPERRT
    standard = [float(b.standardquoten.get(f, np.nan)) for f in out.loc[weg, "handlungsfeld"]]
    out.loc[weg, "quote"] = standard
    out.loc[weg, "quelle"] = FALLBACK
    return out


def demand(segmente: pd.DataFrame, quoten: pd.DataFrame, annahmen: Annahmen) -> pd.DataFrame:
    """Demand per Gemeinde × Handlungsfeld × segment = persons × rate × take-up.

    Parameters
    ----------
    segmente : pandas.DataFrame
        From :func:`thm_lib.analysis.target_group.segments`.
    quoten : pandas.DataFrame
        From :func:`need_rates`.
    annahmen : Annahmen
        Merged assumptions (``bedarf.inanspruchnahme``).

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``handlungsfeld``, segment columns, ``personen``, ``quote``,
        ``quelle``, ``bedarf``, ``bedarf_unten``, ``bedarf_oben`` (from the
        Wilson interval; NaN for default rates).
    """
    take_up = float(annahmen.bedarf.inanspruchnahme)
    out = segmente.merge(
        quoten[["handlungsfeld", *SEGMENT, "quote", "quelle", "ki_unten", "ki_oben"]],
        on=SEGMENT,
        how="left",
    )
    out["bedarf"] = out["personen"] * out["quote"].fillna(0.0) * take_up
    out["bedarf_unten"] = out["personen"] * out["ki_unten"] * take_up
    out["bedarf_oben"] = out["personen"] * out["ki_oben"] * take_up
    cols = [
        "ags",
        "handlungsfeld",
        *SEGMENT,
        "personen",
        "quote",
        "quelle",
        "bedarf",
        "bedarf_unten",
        "bedarf_oben",
    ]
    return out[cols]
