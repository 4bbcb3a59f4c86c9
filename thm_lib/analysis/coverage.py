"""Versorgungsgrad, gaps and overlaps: an eligibility-aware 2SFCA per Handlungsfeld.

The numerical core, :func:`two_step_fca`, works on plain arrays (like
``spopt``'s ``from_cost_matrix``): demand per demand point and segment,
places per offer, a weight matrix and an eligibility matrix. An offer's
places are shared only among the demand it is open to::

    R_j      = plaetze_j / Σ_g Σ_s w_gj · e_js · D_gs
    A_g,s    = Σ_j e_js · R_j · w_gj

``e_js`` ∈ [0, 1] is the share of segment s the offer j is open to: 0 or 1
for the status, and for the age the share of the band's years inside
``alter_min``..``alter_max`` (persons assumed evenly spread over the years
of a band). Without restrictions (all e = 1, one segment) this is exactly
the classic 2SFCA of PySAL ``access`` (``two_stage_fca`` with the same weight
in both steps) — checked in ``tests/test_coverage.py``. Deliberate
differences to ``access``: demand with no offer in reach gets 0 (not NaN)
plus an explicit flag, and an offer with no demand in reach gets R = 0.

:func:`analyse` is the Workspace-level entry point; it returns a
:class:`CoverageResult` in the format of ``docs/datenmodell.md``.
:func:`explain` lists the offers behind one Gemeinde × Handlungsfeld.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from thm_lib.analysis import access, needs, target_group
from thm_lib.analysis.target_group import SEGMENT, altersgruppen, as_float, segment_index
from thm_lib.core import labels
from thm_lib.core.formats import gerundet
from thm_lib.core.labels import KLASSE_KEIN_BEDARF, KLASSE_OK, KLASSE_UEBER, KLASSE_UNTER
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import Workspace

PERCENT = 100.0
#: Weighted demand below this (persons) counts as none: guards R_j = places / demand
#: against overflow from rounding noise of band splits; far below one person.
NACHFRAGE_EPS = 1e-9

GEMEINDE_COLUMNS = [
    "ags",
    "name",
    "handlungsfeld",
    "bedarf",
    "erreichbare_plaetze",
    "versorgungsgrad",
    "fehlende_plaetze",
    "klasse",
    "kein_angebot_erreichbar",
    "bedarf_geduldete_ohne_angebot",
    "faelle_n",
    "anteil_passend",
    "anteil_naechstbeste",
    "anteil_kein_angebot",
    "offen_n",
]
#: The case evidence per Gemeinde (:func:`case_evidence`): not published, only the Kreis's.
EVIDENZ_COLUMNS = GEMEINDE_COLUMNS[-5:]
SEGMENT_COLUMNS = GEMEINDE_COLUMNS[:3] + SEGMENT + GEMEINDE_COLUMNS[3:]


# --------------------------------------------------------------------------- core
@dataclass(frozen=True)
class FcaArrays:
    """Result of :func:`two_step_fca`.

    Attributes
    ----------
    ratio : numpy.ndarray, shape (J,)
        R_j, places per (weighted, eligible) person in need; 0 where no
        eligible demand is in reach (weighted demand <= ``NACHFRAGE_EPS``).
    access : numpy.ndarray, shape (G, S)
        A_g,s, accessible places per person in need.
    nachfrage : numpy.ndarray, shape (J,)
        Σ_g Σ_s w_gj e_js D_gs, the weighted eligible demand each offer serves.
    """

    ratio: np.ndarray
    access: np.ndarray
    nachfrage: np.ndarray


def two_step_fca(
    demand: np.ndarray, supply: np.ndarray, weights: np.ndarray, eligible: np.ndarray | None = None
) -> FcaArrays:
    """Eligibility-aware two-step floating catchment area (dense, vectorised).

    Parameters
    ----------
    demand : numpy.ndarray, shape (G,) or (G, S)
        Persons in need per demand point (and segment).
    supply : numpy.ndarray, shape (J,)
        Places per offer.
    weights : numpy.ndarray or scipy.sparse matrix, shape (G, J)
        w_gj from :func:`thm_lib.analysis.access.weight_matrix` (0 = out of reach).
    eligible : numpy.ndarray, shape (J, S), optional
        e_js ∈ [0, 1]; ``None`` means every offer is open to every segment.

    Returns
    -------
    FcaArrays
        ``access`` has shape (G, S) (S = 1 for 1-d demand).

    Examples
    --------
    Two Gemeinden of 10 and 30 persons both reach one offer of 20 places:

    >>> r = two_step_fca(np.array([10.0, 30.0]), np.array([20.0]), np.ones((2, 1)))
    >>> r.access.ravel().tolist()
    [0.5, 0.5]
    """
    d = np.asarray(demand, dtype=np.float64)
    if d.ndim == 1:
        d = d[:, None]
    s = np.asarray(supply, dtype=np.float64)
    w = weights if sparse.issparse(weights) else np.asarray(weights, dtype=np.float64)
    e = (
        np.ones((w.shape[1], d.shape[1]))
        if eligible is None
        else np.asarray(eligible, dtype=np.float64)
    )
    # Weighted demand per offer and segment (J × S); for dense w as (S × G) @ (G × J),
    # which needs no transposed copy of w.
    dw = np.asarray(w.T @ d) if sparse.issparse(w) else (d.T @ w).T
    nachfrage = np.einsum("js,js->j", dw, e)
    ratio = np.zeros_like(s)
    np.divide(s, nachfrage, out=ratio, where=nachfrage > NACHFRAGE_EPS)
    acc = np.asarray(w @ (e * ratio[:, None]))
    return FcaArrays(ratio=ratio, access=acc, nachfrage=nachfrage)


def fca_from_cost_matrix(
    demand: np.ndarray, supply: np.ndarray, cost: np.ndarray, weight_fn: access.WeightFn
) -> np.ndarray:
    """Classic 2SFCA from a dense cost matrix (no eligibility): A per demand point.

    The counterpart of ``access.Access.two_stage_fca`` (raw values,
    ``cost <= max_cost``, same weight in both steps), but 0 instead of NaN
    where nothing is in reach. With a :class:`thm_lib.analysis.access.DecayWeights`
    the weights are held as a sparse matrix when few pairs are in reach.

    Parameters
    ----------
    demand : numpy.ndarray, shape (G,)
    supply : numpy.ndarray, shape (J,)
    cost : numpy.ndarray, shape (G, J)
    weight_fn : callable
        From :func:`thm_lib.analysis.access.weight_function` (threshold included).

    Returns
    -------
    numpy.ndarray, shape (G,)
    """
    w = weight_fn.matrix(cost) if isinstance(weight_fn, access.DecayWeights) else weight_fn(cost)
    return two_step_fca(demand, supply, w).access[:, 0]


# --------------------------------------------------------------------------- helpers
def _age_bounds(angebote: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lo = as_float(angebote["alter_min"])
    hi = as_float(angebote["alter_max"])
    return np.where(np.isnan(lo), -np.inf, lo), np.where(np.isnan(hi), np.inf, hi)


def _status_open(angebote: pd.DataFrame, status: str) -> np.ndarray:
    """Offers open to a status; ``sonstige`` has no column and counts as open."""
    col = {"duldung": "zugang_duldung", "gestattung": "zugang_gestattung"}.get(status)
    if col is None:
        return np.ones(len(angebote), dtype=bool)
    return angebote[col].fillna(False).to_numpy(dtype=bool)


def eligibility(angebote: pd.DataFrame, annahmen: Annahmen) -> np.ndarray:
    """Eligibility matrix e_js (offers × segments of :func:`segment_index`).

    e_js = [offer open to the segment's status] × (share of the years of the
    segment's Altersgruppe inside the offer's ``alter_min``..``alter_max``).
    ``sonstige`` is treated as open wherever the age fits (offers record
    access only for Duldung and Gestattung).
    """
    lo, hi = _age_bounds(angebote)
    bands = {label: (von, bis) for von, bis, label in altersgruppen(annahmen)}
    cols = []
    for status, band, _ in segment_index(annahmen):
        von, bis = bands[band]
        years = np.minimum(hi, bis) - np.maximum(lo, von) + 1.0
        share = np.clip(years, 0.0, None) / (bis - von + 1.0)
        cols.append(_status_open(angebote, status) * share)
    return np.column_stack(cols) if cols else np.zeros((len(angebote), 0))


def _open_years_duldung(angebote: pd.DataFrame, annahmen: Annahmen) -> tuple[np.ndarray, list[int]]:
    """Offers × eligible single years: open to Geduldete of that age."""
    z = annahmen.zielgruppe
    years = list(range(z.alter_min, z.alter_max + 1))
    lo, hi = _age_bounds(angebote)
    yr = np.asarray(years, dtype=float)
    ok = (lo[:, None] <= yr[None, :]) & (hi[:, None] >= yr[None, :])
    return ok & _status_open(angebote, "duldung")[:, None], years


def schwellen(annahmen: Annahmen) -> tuple[float, float]:
    """The lower and upper Versorgungsgrad thresholds of the gap classes (ratios, not %)."""
    v = annahmen.versorgung
    return float(v.untere_schwelle), float(v.obere_schwelle)


def gap_class(ratio: np.ndarray, bedarf: np.ndarray, annahmen: Annahmen) -> np.ndarray:
    """Gap class per row from the access ratio A (not percent) and the demand.

    The one rule of the classes: below the lower threshold Unterversorgung,
    above the upper one Überversorgung, else bedarfsgerecht; without demand
    kein Bedarf (thresholds: :func:`schwellen`, ``annahmen.versorgung``).
    The ratio is compared as it is published: the Versorgungsgrad in percent to
    one decimal (:func:`~thm_lib.core.formats.gerundet`). So a cell shown as
    75,0 % is never Unterversorgung (the matrix colours the shown value, the list of
    gaps names the class), and the class does not follow the order in which a sum
    was added up.

    Examples
    --------
    >>> from thm_lib.core.config import default_annahmen
    >>> a = default_annahmen()
    >>> gap_class(np.array([0.5, 1.0, 1.5, 0.0]), np.array([3, 3, 3, 0]), a).tolist()
    ['Unterversorgung', 'bedarfsgerecht', 'Überversorgung', 'kein Bedarf']
    >>> gap_class(np.array([0.74996, 0.7494, 1.10004, 1.1006]), np.ones(4), a).tolist()
    ['bedarfsgerecht', 'Unterversorgung', 'bedarfsgerecht', 'Überversorgung']
    """
    # thresholds in percent; round(…, 6) keeps 1.15 at 115 % (100 * 1.15 = 114.99999999999999)
    untere, obere = (round(100 * s, 6) for s in schwellen(annahmen))
    prozent = gerundet(100 * np.asarray(ratio, dtype=float), 1)
    out = np.where(
        prozent < untere,
        KLASSE_UNTER,
        np.where(prozent > obere, KLASSE_UEBER, KLASSE_OK),
    )
    return np.where(np.asarray(bedarf) > 0, out, KLASSE_KEIN_BEDARF).astype(object)


def case_evidence(
    faelle: pd.DataFrame | None,
    bedarfe: pd.DataFrame | None,
    annahmen: Annahmen,
    by: list[str],
) -> pd.DataFrame:
    """Case evidence per ``by`` (+ ``handlungsfeld``): decided needs and their shares, open needs.

    Only consented cases of the target group, one result per case and
    Handlungsfeld: its last decided one (:data:`~thm_lib.core.labels.ENTSCHIEDEN`),
    else ``offen``. ``faelle_n`` counts cases with a decided need, the shares
    ``anteil_*`` are of those (NaN where ``faelle_n`` = 0); ``offen_n`` counts
    cases whose need is still open. ``faelle_n + offen_n`` are the cases with a
    need, the ``k`` the need rates come from (:func:`thm_lib.analysis.needs.need_rates`).
    """
    cols = EVIDENZ_COLUMNS
    keys = [*by, "handlungsfeld"]
    if faelle is None or bedarfe is None or not len(faelle):
        return pd.DataFrame(columns=keys + cols)
    f = target_group.eligible_cases(faelle, annahmen)
    f = f.assign(ags=f["ags"].astype(str))
    b = bedarfe[["fall_id", "handlungsfeld", "ergebnis"]]
    entschieden = b["ergebnis"].isin(labels.ENTSCHIEDEN)
    b = b.assign(ergebnis=b["ergebnis"].where(entschieden, "offen"), _e=entschieden)
    # decided rows last (stable): a case's last decided result, else "offen"
    b = b.sort_values("_e", kind="stable").drop_duplicates(
        ["fall_id", "handlungsfeld"], keep="last"
    )
    m = b[["fall_id", "handlungsfeld", "ergebnis"]].merge(f[["fall_id", *by]], on="fall_id")
    if m.empty:
        return pd.DataFrame(columns=keys + cols)
    tab = pd.crosstab([m[k] for k in keys], m["ergebnis"]).reindex(
        columns=list(labels.ERGEBNIS), fill_value=0
    )
    n = tab[list(labels.ENTSCHIEDEN)].sum(axis=1)
    out = pd.DataFrame({"faelle_n": n.astype("int64")})
    for e in labels.ENTSCHIEDEN:
        out[f"anteil_{e}"] = tab[e] / n.where(n > 0)
    out["offen_n"] = tab["offen"].astype("int64")
    return out.reset_index()


# --------------------------------------------------------------------------- result
@dataclass
class _Feld:
    """Internal arrays of one Handlungsfeld (kept for :func:`explain` and overlaps)."""

    offers: np.ndarray  # positions into CoverageResult.angebote
    weights: np.ndarray  # G × J_h
    eligible: np.ndarray  # J_h × S
    demand: np.ndarray  # G × S
    fca: FcaArrays


@dataclass
class CoverageResult:
    """Coverage per Gemeinde × Handlungsfeld (and segment), see ``docs/datenmodell.md``.

    Attributes
    ----------
    gemeinden : pandas.DataFrame
        One row per Gemeinde × Handlungsfeld (columns ``GEMEINDE_COLUMNS``).
    segmente : pandas.DataFrame
        One row per Gemeinde × Handlungsfeld × segment with persons.
    bedarfsquoten : pandas.DataFrame
        Need rates used (:func:`thm_lib.analysis.needs.need_rates`).
    bedarf : pandas.DataFrame
        Demand per Gemeinde × Handlungsfeld × segment (:func:`thm_lib.analysis.needs.demand`).
    angebote : pandas.DataFrame
        Offers valid at the Stichtag in a configured Handlungsfeld.
    kosten : pandas.DataFrame
        Cost matrix Gemeinden × those offers (minutes or km).
    stichtag : pandas.Timestamp
    """

    gemeinden: pd.DataFrame
    segmente: pd.DataFrame
    bedarfsquoten: pd.DataFrame
    bedarf: pd.DataFrame
    angebote: pd.DataFrame
    kosten: pd.DataFrame
    stichtag: pd.Timestamp
    annahmen: Annahmen = field(repr=False)
    namen: pd.Series = field(repr=False)
    _felder: dict[str, _Feld] = field(repr=False, default_factory=dict)
    #: :func:`fall_evidenz` of the analysed Workspace (pass it to another ``analyse`` of
    #: the same cases and assumptions)
    evidenz: tuple[pd.DataFrame, pd.DataFrame] | None = field(repr=False, default=None)

    @cached_property
    def doppelangebote(self) -> pd.DataFrame:
        """Overlaps (KOKIP "Doppelangebote"), see :func:`overlaps`."""
        return overlaps(self)

    @property
    def felder(self) -> tuple[str, ...]:
        """The Handlungsfelder this result holds, in the order they were analysed."""
        return tuple(self._felder)

    def feld_arrays(self, handlungsfeld: str) -> _Feld:
        """The arrays of one analysed Handlungsfeld (offers, weights, eligibility,
        demand, FCA), for the site planning; ``KeyError`` if it was not analysed."""
        return self._felder[handlungsfeld]

    def _repr_html_(self) -> str:
        g = self.gemeinden
        counts = g["klasse"].value_counts()
        rows = [
            ("Stichtag", self.stichtag.strftime("%d.%m.%Y")),
            ("Gemeinden × Handlungsfelder", len(g)),
            *[
                (k, int(counts.get(k, 0)))
                for k in (KLASSE_UNTER, KLASSE_OK, KLASSE_UEBER, KLASSE_KEIN_BEDARF)
            ],
            ("kein Angebot erreichbar", int(g["kein_angebot_erreichbar"].sum())),
            ("fehlende Plätze", f"{g['fehlende_plaetze'].sum():.1f}"),
        ]
        body = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"


def quoten_fuer(
    ws: Workspace, handlungsfelder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The need rates :func:`analyse` uses: ``quoten`` (default: the Workspace's) of the fields.

    Parameters
    ----------
    ws : Workspace
    handlungsfelder : list of str, optional
        Default: all of the Workspace.
    quoten : pandas.DataFrame, optional
        ``needs.need_rates(ws.faelle, ws.bedarfe, ws.annahmen)``, if already computed.
    """
    felder = list(handlungsfelder or ws.handlungsfelder)
    if quoten is None:
        quoten = needs.need_rates(ws.faelle, ws.bedarfe, ws.annahmen)
    return quoten[quoten["handlungsfeld"].isin(felder)].reset_index(drop=True)


def fall_evidenz(ws: Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`case_evidence` of ``ws`` per Gemeinde and per Gemeinde × segment.

    They depend on the cases, needs and assumptions only, not on the target group
    or the offers.
    """
    return (
        case_evidence(ws.faelle, ws.bedarfe, ws.annahmen, ["ags"]),
        case_evidence(ws.faelle, ws.bedarfe, ws.annahmen, ["ags", *SEGMENT]),
    )


def analyse(
    ws: Workspace,
    handlungsfelder: list[str] | None = None,
    feinraster: Any = None,
    quoten: pd.DataFrame | None = None,
    evidenz: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> CoverageResult:
    """Needs and coverage of a whole Kreis (compute on the Kreis, filter afterwards).

    Parameters
    ----------
    ws : Workspace
        The loaded Arbeitsmappe.
    handlungsfelder : list of str, optional
        Limit to these fields (default: all configured).
    feinraster : geopandas.GeoDataFrame, optional
        Finer population layer (``ags``, ``einwohner``) for population-weighted
        Gemeinde points; default ``ws.feinraster`` (``feinraster.gpkg`` in the
        Arbeitsmappe).
    quoten : pandas.DataFrame, optional
        ``needs.need_rates(ws.faelle, ws.bedarfe, ws.annahmen)``, if already computed
        (they depend on the cases and assumptions only, not on the offers).
    evidenz : tuple of pandas.DataFrame, optional
        :func:`fall_evidenz` of ``ws``, if already computed (e.g. ``CoverageResult.evidenz``
        of an analysis of the same cases, needs and assumptions with other offers).

    Returns
    -------
    CoverageResult
    """
    a = ws.annahmen
    stichtag = ws.stichtag
    felder = list(handlungsfelder or ws.handlungsfelder)
    evidenz = fall_evidenz(ws) if evidenz is None else evidenz
    seg = target_group.segments(ws.zielgruppe, a, stichtag)
    quoten = quoten_fuer(ws, felder, quoten)
    dem = needs.demand(seg, quoten, a)

    ang = ws.angebote
    keep = access.valid_at(ang, stichtag) & ang["handlungsfeld"].isin(felder).to_numpy()
    ang = ang[keep].reset_index(drop=True)
    ang = ang.assign(plaetze=pd.to_numeric(ang["plaetze"], errors="coerce").fillna(0.0))
    if feinraster is None:
        feinraster = ws.feinraster
    kosten = access.cost_matrix(ws.gebiete, ang, a, ws.reisezeiten, feinraster)
    w_all = access.weight_matrix(kosten, ang, access.weight_function_from_annahmen(a))
    e_all = eligibility(ang, a)
    open_years, years = _open_years_duldung(ang, a)

    g_index = kosten.index
    s_index = segment_index(a)
    n_g, n_s, n_h = len(g_index), len(s_index), len(felder)
    gi = g_index.get_indexer(dem["ags"].astype(str))
    si = s_index.get_indexer(pd.MultiIndex.from_frame(dem[SEGMENT]))
    hi = pd.Index(felder).get_indexer(dem["handlungsfeld"])
    ok = (gi >= 0) & (si >= 0) & (hi >= 0)
    d_all = np.zeros((n_h, n_g, n_s))
    np.add.at(d_all, (hi[ok], gi[ok], si[ok]), dem["bedarf"].to_numpy(dtype=float)[ok])

    # Segment s of status duldung: share of its band's years with no open offer in reach.
    bands = {label: (von, bis) for von, bis, label in altersgruppen(a)}
    dul_cols = [k for k, (st, _, _) in enumerate(s_index) if st == "duldung"]
    band_years = [
        [years.index(y) for y in range(bands[s_index[k][1]][0], bands[s_index[k][1]][1] + 1)]
        for k in dul_cols
    ]

    acc = np.zeros((n_h, n_g, n_s))
    reach = np.zeros((n_h, n_g, n_s), dtype=bool)
    ohne = np.zeros((n_h, n_g, n_s))
    handlungsfeld = ang["handlungsfeld"].to_numpy()
    details: dict[str, _Feld] = {}
    for h, feld in enumerate(felder):
        cols = np.flatnonzero(handlungsfeld == feld)
        w = w_all[:, cols]
        e = e_all[cols]
        res = two_step_fca(d_all[h], ang["plaetze"].to_numpy(dtype=float)[cols], w, e)
        acc[h] = res.access
        inreach = (w > 0).astype(np.float64)
        reach[h] = (inreach @ e) > 0
        has_year = (inreach @ open_years[cols].astype(np.float64)) > 0  # G × years
        for k, yrs in zip(dul_cols, band_years, strict=True):
            ohne[h][:, k] = d_all[h][:, k] * (1.0 - has_year[:, yrs].mean(axis=1))
        details[feld] = _Feld(offers=cols, weights=w, eligible=e, demand=d_all[h], fca=res)

    namen = pd.Series(
        ws.gebiete["name"].to_numpy(),
        index=pd.Index(ws.gebiete["ags"].astype(str), name="ags"),
        name="name",
    )
    gemeinden = _gemeinde_table(
        a,
        felder,
        g_index,
        namen,
        d_all,
        acc,
        reach,
        ohne,
        evidenz[0],
    )
    segmente = _segment_table(
        a,
        felder,
        g_index,
        s_index,
        namen,
        d_all,
        acc,
        reach,
        ohne,
        gi,
        si,
        hi,
        ok,
        dem,
        evidenz[1],
    )
    return CoverageResult(
        gemeinden=gemeinden,
        segmente=segmente,
        bedarfsquoten=quoten,
        bedarf=dem,
        angebote=ang,
        kosten=kosten,
        stichtag=stichtag,
        annahmen=a,
        namen=namen,
        _felder=details,
        evidenz=evidenz,
    )


def _gemeinde_table(a, felder, g_index, namen, d_all, acc, reach, ohne, evidence):
    bedarf = d_all.sum(axis=2)  # H × G
    erreichbar = (d_all * acc).sum(axis=2)
    fehlend = (d_all * np.clip(1.0 - acc, 0.0, None)).sum(axis=2)
    reached = (reach & (d_all > 0)).any(axis=2)
    ratio = np.divide(erreichbar, bedarf, out=np.zeros_like(bedarf), where=bedarf > 0)
    out = pd.DataFrame(
        {
            "ags": np.tile(g_index.to_numpy(), len(felder)),
            "name": np.tile(namen.reindex(g_index).to_numpy(), len(felder)),
            "handlungsfeld": np.repeat(felder, len(g_index)),
            "bedarf": bedarf.ravel(),
            "erreichbare_plaetze": erreichbar.ravel(),
            "versorgungsgrad": np.where(bedarf > 0, ratio * PERCENT, np.nan).ravel(),
            "fehlende_plaetze": fehlend.ravel(),
            "klasse": gap_class(ratio.ravel(), bedarf.ravel(), a),
            "kein_angebot_erreichbar": ((bedarf > 0) & ~reached).ravel(),
            "bedarf_geduldete_ohne_angebot": ohne.sum(axis=2).ravel(),
        }
    )
    return _attach_evidence(out, evidence, ["ags", "handlungsfeld"])[GEMEINDE_COLUMNS]


def _segment_table(
    a, felder, g_index, s_index, namen, d_all, acc, reach, ohne, gi, si, hi, ok, dem, evidence
):
    rows = dem.loc[ok, ["ags", "handlungsfeld", *SEGMENT]].reset_index(drop=True)
    h, g, s = hi[ok], gi[ok], si[ok]
    bedarf = d_all[h, g, s]
    ratio = acc[h, g, s]
    rows.insert(1, "name", namen.reindex(rows["ags"].astype(str)).to_numpy())
    rows["bedarf"] = bedarf
    rows["erreichbare_plaetze"] = bedarf * ratio
    rows["versorgungsgrad"] = np.where(bedarf > 0, ratio * PERCENT, np.nan)
    rows["fehlende_plaetze"] = bedarf * np.clip(1.0 - ratio, 0.0, None)
    rows["klasse"] = gap_class(ratio, bedarf, a)
    rows["kein_angebot_erreichbar"] = (bedarf > 0) & ~reach[h, g, s]
    rows["bedarf_geduldete_ohne_angebot"] = ohne[h, g, s]
    rows = _attach_evidence(rows, evidence, ["ags", *SEGMENT, "handlungsfeld"])
    return rows[SEGMENT_COLUMNS]


def _attach_evidence(frame: pd.DataFrame, evidence: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    anteile = [f"anteil_{e}" for e in labels.ENTSCHIEDEN]
    out = (
        frame.merge(evidence, on=keys, how="left")
        if len(evidence)
        else frame.assign(faelle_n=np.nan, offen_n=np.nan, **dict.fromkeys(anteile, np.nan))
    )
    for c in ("faelle_n", "offen_n"):
        out[c] = out[c].astype(float).fillna(0.0).astype("int64")
    for c in anteile:
        out[c] = out[c].astype(float)
    return out


# --------------------------------------------------------------------------- views
def overlaps(result: CoverageResult) -> pd.DataFrame:
    """Offers of the same Handlungsfeld serving the same Gemeinde and segment (≥ 2).

    The KOKIP "Doppelangebote": a candidate list for coordination, not a
    verdict. Segments here are status × Altersgruppe (offers are never
    restricted by geschlecht, so splitting by it would repeat each row).

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``name``, ``handlungsfeld``, ``status``, ``altersgruppe``,
        ``anzahl_angebote``, ``angebote`` (tuple of ids), ``traeger`` (tuple),
        ``plaetze`` (sum), ``bedarf``, ``versorgungsgrad`` (percent; NaN
        without demand), ``klasse``.
    """
    s_index = segment_index(result.annahmen)
    groups: dict[tuple[str, str], list[int]] = {}
    for k, (status, band, _) in enumerate(s_index):
        groups.setdefault((status, band), []).append(k)
    ids = result.angebote["angebot_id"].astype(str).to_numpy()
    traeger = result.angebote["traeger"].astype(str).to_numpy()
    plaetze = result.angebote["plaetze"].to_numpy(dtype=float)
    g_ags = result.kosten.index.to_numpy()
    records = []
    for feld, det in result._felder.items():
        inreach = det.weights > 0
        for (status, band), ks in groups.items():
            serves = inreach & (det.eligible[:, ks[0]] > 0)[None, :]
            counts = serves.sum(axis=1)
            bedarf = det.demand[:, ks].sum(axis=1)
            ratio = det.fca.access[:, ks[0]]
            for g in np.flatnonzero(counts >= 2):
                j = det.offers[serves[g]]
                records.append(
                    (
                        g_ags[g],
                        feld,
                        status,
                        band,
                        int(counts[g]),
                        tuple(ids[j]),
                        tuple(dict.fromkeys(traeger[j])),
                        float(plaetze[j].sum()),
                        float(bedarf[g]),
                        float(ratio[g]),
                    )
                )
    cols = [
        "ags",
        "handlungsfeld",
        "status",
        "altersgruppe",
        "anzahl_angebote",
        "angebote",
        "traeger",
        "plaetze",
        "bedarf",
        "_ratio",
    ]
    out = pd.DataFrame.from_records(records, columns=cols)
    out.insert(1, "name", result.namen.reindex(out["ags"]).to_numpy())
    out["versorgungsgrad"] = np.where(out["bedarf"] > 0, out["_ratio"] * PERCENT, np.nan)
    out["klasse"] = gap_class(out["_ratio"].to_numpy(), out["bedarf"].to_numpy(), result.annahmen)
    return out.drop(columns="_ratio")


def explain(result_or_ws: CoverageResult | Workspace, ags: str, handlungsfeld: str) -> pd.DataFrame:
    """The offers behind the Versorgungsgrad of one Gemeinde × Handlungsfeld.

    Parameters
    ----------
    result_or_ws : CoverageResult or Workspace
        A result of :func:`analyse`, or a Workspace (analysed for this field).
    ags : str
        The Gemeinde.
    handlungsfeld : str
        The field of action.

    Returns
    -------
    pandas.DataFrame
        One row per offer in reach (weight > 0), largest contribution first:
        ``angebot_id``, ``name``, ``traeger``, ``aufsuchend``, ``kosten``,
        ``gewicht`` (w_gj), ``plaetze``, ``nachfrage`` (weighted eligible demand
        the offer serves), ``plaetze_je_bedarf`` (R_j), ``offen_duldung``,
        ``offen_gestattung``, ``alter_min``, ``alter_max``, ``beitrag``
        (places attributed to this Gemeinde: Σ_s D_gs e_js R_j w_gj; sums to
        ``erreichbare_plaetze``), ``anteil`` (beitrag / erreichbare_plaetze;
        NaN if the Gemeinde has no demand).

    Raises
    ------
    KeyError
        If the Gemeinde or the Handlungsfeld is unknown.
    """
    if isinstance(result_or_ws, Workspace):
        result = analyse(result_or_ws, handlungsfelder=[handlungsfeld])
    else:
        result = result_or_ws
    ags = str(ags)
    if handlungsfeld not in result._felder:
        raise KeyError(f"Handlungsfeld '{handlungsfeld}' ist nicht ausgewertet")
    g = result.kosten.index.get_indexer([ags])[0]
    if g < 0:
        raise KeyError(f"Gemeinde {ags} gibt es nicht")
    det = result._felder[handlungsfeld]
    w = det.weights[g]
    beitrag = (det.demand[g][None, :] * det.eligible).sum(axis=1) * det.fca.ratio * w
    sel = np.flatnonzero(w > 0)
    ang = result.angebote.iloc[det.offers[sel]]
    total = beitrag.sum()
    out = pd.DataFrame(
        {
            "angebot_id": ang["angebot_id"].to_numpy(),
            "name": ang["name"].to_numpy(),
            "traeger": ang["traeger"].to_numpy(),
            "aufsuchend": ang["aufsuchend"].to_numpy(dtype=bool),
            "kosten": result.kosten.to_numpy()[g, det.offers[sel]],
            "gewicht": w[sel],
            "plaetze": ang["plaetze"].to_numpy(dtype=float),
            "nachfrage": det.fca.nachfrage[sel],
            "plaetze_je_bedarf": det.fca.ratio[sel],
            "offen_duldung": ang["zugang_duldung"].to_numpy(dtype=bool),
            "offen_gestattung": ang["zugang_gestattung"].to_numpy(dtype=bool),
            "alter_min": ang["alter_min"].array,
            "alter_max": ang["alter_max"].array,
            "beitrag": beitrag[sel],
            "anteil": beitrag[sel] / total if total > 0 else np.nan,
        }
    )
    return out.sort_values("beitrag", ascending=False, kind="stable").reset_index(drop=True)
