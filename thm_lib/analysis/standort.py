"""Standortplanung: where new places close the most modelled gaps (issue 17).

Three layers, like :mod:`thm_lib.analysis.coverage`:

- **Array core** (pure, ``spopt``-style ``from_cost_matrix``):
  :func:`mclp` (maximise the unmet need covered by ``p`` new sites) and
  :func:`lscp` (fewest sites covering all coverable unmet need), both solved
  with PySAL ``spopt`` after an exact reduction (identical and dominated
  candidates, identical demand points), plus :func:`geschlossen_je_angebot`
  for the variants "open an existing offer to Geduldete" and "add places to
  an existing offer", recomputed with :func:`thm_lib.analysis.coverage.two_step_fca`.
- **Geo adapter**: :func:`kandidaten` (Gemeinde points and existing offer
  sites, or a user's list) and :func:`kosten` (the same
  :func:`thm_lib.analysis.access.cost_matrix` the coverage analysis uses).
- **Workspace level**: :func:`planen` runs the model for one Handlungsfeld,
  places the proposed offers into a copy of the Workspace and reruns
  :func:`thm_lib.analysis.coverage.analyse` (before/after recomputed, not estimated);
  the places of a new offer follow a rule (:func:`plaetze_nach_bedarf` by
  default, or one the caller passes). :mod:`thm_lib.publish.standort_anzeige`
  publishes it under the disclosure rule of
  :func:`thm_lib.publish.views.versorgung_gesperrt`, planned on the published
  demand (:func:`thm_lib.publish.standort_anzeige.planen_veroeffentlicht`).

``spopt`` (and PuLP) are imported only when a model is solved: importing
``spopt`` takes about 3 s. Method and limits: ``docs/standortplanung.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from thm_lib.analysis import access, coverage
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import CRS_METRIC, CRS_WEB, Workspace

MODELLE = ("mclp", "lscp")
#: Seconds the solver may take per model (NOTES.md: set a solver time limit).
ZEITLIMIT = 10.0
#: Unmet need below this (persons) counts as none (rounding noise of band splits).
BEDARF_EPS = 1e-9
#: Decimals kept of the unmet need a plan covers: the same persons summed in another order
#: differ in the last bits (8.4 against 8.399999999999999), and the site choice, its order
#: and the places rounded up must not follow that (round 2, session 50: a swap of two
#: hidden persons renumbered the planned offers).
BEDARF_STELLEN = 9
QUELLE_GEMEINDE = "Gemeindepunkt"
QUELLE_ANGEBOT = "Standort eines Angebots"
QUELLE_LISTE = "eigene Liste"
NEU_PREFIX = "NEU-"

PlaetzeRegel = Callable[[pd.DataFrame, pd.Series, int], Sequence[float]]
"""A rule for the places of the new offers: ``(zuordnung, nachfrage, n) -> places``.

``zuordnung`` as :attr:`Standortplanung.zuordnung`, ``nachfrage`` the unmet need
per Gemeinde (index ``ags``), ``n`` the number of chosen sites; returns ``n``
places, site 1 first (see :func:`plaetze_nach_bedarf`)."""


# --------------------------------------------------------------------------- array core
@dataclass(frozen=True)
class Loesung:
    """Result of :func:`mclp` or :func:`lscp` on arrays.

    Attributes
    ----------
    auswahl : numpy.ndarray of int
        Chosen candidates (column positions), in order of covered need (largest first).
    abgedeckt : numpy.ndarray of bool, shape (G,)
        Demand points within reach of at least one chosen candidate.
    zielwert : float
        Covered unmet need Σ_g u_g [g covered].
    nicht_abdeckbar : numpy.ndarray of bool, shape (G,)
        Demand points with need that no candidate reaches.
    optimal : bool
        The solver proved optimality (False if it stopped at the time limit).
    """

    auswahl: np.ndarray
    abgedeckt: np.ndarray
    zielwert: float
    nicht_abdeckbar: np.ndarray
    optimal: bool


def abdeckung(weights: np.ndarray) -> np.ndarray:
    """Coverage matrix a_gj: True where the 2SFCA weight is positive (in reach)."""
    return np.asarray(weights, dtype=np.float64) > 0


def _reduce(
    a: np.ndarray, u: np.ndarray, cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact reduction of a coverage problem.

    Keeps demand points with need, merges identical demand rows (summing the
    need), keeps one candidate per coverage set (the one with the smallest
    need-weighted cost) and drops candidates whose set is a strict subset of
    another's: some optimum of MCLP and LSCP uses only the remaining ones.

    Returns
    -------
    a_red : bool matrix (rows × kept candidates)
    u_red : need per reduced row
    rows : reduced row of each original demand point (-1 = dropped)
    cols : original column of each kept candidate
    """
    need = (u > BEDARF_EPS) & a.any(axis=1)
    sub = a[need]
    cand = np.flatnonzero(sub.any(axis=0))
    if cand.size == 0:
        return (
            np.zeros((0, 0), dtype=bool),
            np.zeros(0),
            np.full(len(u), -1),
            np.zeros(0, dtype=int),
        )
    c = np.where(a[need][:, cand], np.nan_to_num(cost[need][:, cand], nan=0.0), 0.0)
    score = u[need] @ c
    order = cand[np.lexsort((cand, score))]  # best tie-break first
    _, first = np.unique(sub[:, order].T, axis=0, return_index=True)
    cols = order[np.sort(first)]
    sets = sub[:, cols].astype(np.int32)
    outside = sets.T @ (1 - sets)  # |S_a \ S_b|
    size = sets.sum(axis=0)
    dominated = ((outside == 0) & (size[:, None] < size[None, :])).any(axis=1)
    cols = cols[~dominated]
    keys, inverse = np.unique(sub[:, cols], axis=0, return_inverse=True)
    rows = np.full(len(u), -1)
    rows[need] = inverse.ravel()
    u_red = np.bincount(inverse.ravel(), weights=u[need], minlength=len(keys))
    return keys, u_red, rows, cols


def _solve(model: Any, zeitlimit: float) -> tuple[np.ndarray, bool]:
    import pulp

    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=zeitlimit), results=False)
    chosen = np.array(
        [j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5], dtype=int
    )
    return chosen, model.problem.sol_status == pulp.LpSolutionOptimal


def _loesung(a: np.ndarray, u: np.ndarray, chosen: np.ndarray, optimal: bool) -> Loesung:
    covered = a[:, chosen].any(axis=1) if chosen.size else np.zeros(len(u), dtype=bool)
    gain = a[:, chosen].T.astype(np.float64) @ u if chosen.size else np.zeros(0)
    chosen = chosen[np.argsort(-gain, kind="stable")]
    return Loesung(
        auswahl=chosen,
        abgedeckt=covered,
        zielwert=float(u[covered & (u > BEDARF_EPS)].sum()),
        nicht_abdeckbar=(u > BEDARF_EPS) & ~a.any(axis=1),
        optimal=bool(optimal),
    )


def _greedy_optimal(a_red: np.ndarray, u_red: np.ndarray, p: int) -> np.ndarray | None:
    """The greedy MCLP choice when it is provably optimal, else None.

    Greedy adds the candidate covering the most still-uncovered need, p times.
    It is optimal when it covers all coverable need, or when it reaches the
    upper bound "sum of the p largest single coverages" (coverage is
    submodular, so no p sites cover more); for p = 1 it is exact. Then the
    solver is not needed (most Handlungsfelder at p >= 3 in the benchmark).
    """
    uncovered = np.ones(len(u_red), dtype=bool)
    chosen: list[int] = []
    for _ in range(p):
        gain = a_red[uncovered].T.astype(np.float64) @ u_red[uncovered]
        j = int(np.argmax(gain))
        if gain[j] <= BEDARF_EPS:
            break
        chosen.append(j)
        uncovered &= ~a_red[:, j]
    got = float(u_red[~uncovered].sum())
    single = np.sort(a_red.T.astype(np.float64) @ u_red)[::-1]
    bound = min(float(u_red.sum()), float(single[:p].sum()))
    tol = 1e-9 * max(1.0, bound)
    return np.array(chosen, dtype=int) if p == 1 or got >= bound - tol else None


def _spopt_cost(a_red: np.ndarray) -> np.ndarray:
    """A cost matrix for spopt's ``from_cost_matrix``: 0 in reach, 2 out of reach (radius 1)."""
    return np.where(a_red, 0.0, 2.0)


def mclp(
    a: np.ndarray,
    u: np.ndarray,
    p: int,
    cost: np.ndarray | None = None,
    zeitlimit: float = ZEITLIMIT,
) -> Loesung:
    """Maximal covering location problem with ``spopt.locate.MCLP``.

    Parameters
    ----------
    a : numpy.ndarray of bool, shape (G, J)
        Coverage: candidate j reaches demand point g (:func:`abdeckung`).
    u : numpy.ndarray, shape (G,)
        Unmet need per demand point (missing places).
    p : int
        Number of new sites (>= 1).
    cost : numpy.ndarray, shape (G, J), optional
        Costs; only break ties between candidates that cover the same points.
    zeitlimit : float
        Solver time limit in seconds.

    Returns
    -------
    Loesung
        At most ``p`` sites (fewer when fewer already cover all coverable need).

    Examples
    --------
    >>> a = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    >>> mclp(a, np.array([5.0, 1.0, 3.0]), 1).auswahl.tolist()
    [0]
    """
    return mclp_reihe(a, u, [p], cost, zeitlimit)[int(p)]


def mclp_reihe(
    a: np.ndarray,
    u: np.ndarray,
    ps: Sequence[int],
    cost: np.ndarray | None = None,
    zeitlimit: float = ZEITLIMIT,
) -> dict[int, Loesung]:
    """:func:`mclp` for several numbers of sites at once (e.g. p = 1..5).

    The problem is reduced once; a p whose greedy choice is provably optimal
    needs no solver (:func:`_greedy_optimal`); the others share one spopt
    model whose constraint "sum of sites = p" gets the next p before each
    solve (building the model costs more than solving it).

    Parameters
    ----------
    a, u, cost, zeitlimit
        As in :func:`mclp`.
    ps : sequence of int
        Numbers of sites (each >= 1).

    Returns
    -------
    dict
        p -> :class:`Loesung`.

    Examples
    --------
    >>> a = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> r = mclp_reihe(a, np.array([4.0, 1.0, 1.0, 4.0]), [1, 2])
    >>> r[1].zielwert, sorted(r[2].auswahl.tolist()), r[2].zielwert
    (5.0, [0, 2], 10.0)
    """
    a = np.asarray(a, dtype=bool)
    u = np.asarray(u, dtype=np.float64)
    if any(int(p) < 1 for p in ps):
        raise ValueError("p must be at least 1")
    cost = np.zeros(a.shape) if cost is None else np.asarray(cost, dtype=np.float64)
    a_red, u_red, _, cols = _reduce(a, u, cost)
    out: dict[int, Loesung] = {}
    model = constraint = None
    for p in sorted({int(p) for p in ps}):
        if cols.size <= p:
            out[p] = _loesung(a, u, cols, True)
            continue
        greedy = _greedy_optimal(a_red, u_red, p)
        if greedy is not None:
            out[p] = _loesung(a, u, cols[greedy], True)
            continue
        if model is None:
            from spopt.locate import MCLP

            model = MCLP.from_cost_matrix(_spopt_cost(a_red), u_red, 1.0, p_facilities=p)
            constraint = _anzahl_bedingung(model)
        else:
            constraint.constant = -float(p)
        chosen, optimal = _solve(model, zeitlimit)
        out[p] = _loesung(a, u, cols[chosen], optimal)
    return out


def _anzahl_bedingung(model: Any) -> Any:
    """The constraint "sum of the site variables = p" of a spopt MCLP model."""
    sites = {v.name for v in model.fac_vars}
    cons = model.problem.constraints  # PuLP >= 3.3: call for the list; before: a dict
    for c in cons() if callable(cons) else cons.values():
        if {v.name for v in c.keys()} == sites and all(x == 1 for x in c.values()):
            return c
    raise RuntimeError("spopt MCLP: constraint on the number of sites not found")


def lscp(
    a: np.ndarray, u: np.ndarray, cost: np.ndarray | None = None, zeitlimit: float = ZEITLIMIT
) -> Loesung:
    """Location set covering problem with ``spopt.locate.LSCP``.

    The fewest candidates so that every demand point with unmet need that
    any candidate reaches is reached; points no candidate reaches are
    reported in ``nicht_abdeckbar`` (they make the problem infeasible
    otherwise).

    Parameters
    ----------
    a, u, cost, zeitlimit
        As in :func:`mclp`.

    Returns
    -------
    Loesung
    """
    a = np.asarray(a, dtype=bool)
    u = np.asarray(u, dtype=np.float64)
    cost = np.zeros(a.shape) if cost is None else np.asarray(cost, dtype=np.float64)
    a_red, _, _, cols = _reduce(a, u, cost)
    if cols.size <= 1:
        return _loesung(a, u, cols, True)
    from spopt.locate import LSCP

    model = LSCP.from_cost_matrix(_spopt_cost(a_red), 1.0)
    chosen, optimal = _solve(model, zeitlimit)
    return _loesung(a, u, cols[chosen], optimal)


def fehlende(demand: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Missing places per demand point and segment: D · max(0, 1 − A) (as coverage)."""
    return demand * np.clip(1.0 - acc, 0.0, None)


def geschlossen_je_angebot(
    demand: np.ndarray,
    supply: np.ndarray,
    weights: np.ndarray,
    eligible: np.ndarray,
    eligible_neu: np.ndarray | None = None,
    supply_neu: np.ndarray | None = None,
) -> np.ndarray:
    """Missing places closed when one offer at a time is changed (2SFCA recomputed).

    For each offer j, its eligibility row is replaced by ``eligible_neu[j]``
    and/or its places by ``supply_neu[j]``, the eligibility-aware 2SFCA is
    recomputed (:func:`thm_lib.analysis.coverage.two_step_fca`) and the missing places
    are compared with the unchanged state.

    Parameters
    ----------
    demand : numpy.ndarray, shape (G, S)
    supply : numpy.ndarray, shape (J,)
    weights : numpy.ndarray, shape (G, J)
    eligible : numpy.ndarray, shape (J, S)
    eligible_neu : numpy.ndarray, shape (J, S), optional
    supply_neu : numpy.ndarray, shape (J,), optional

    Returns
    -------
    numpy.ndarray, shape (J, G)
        Missing places closed per changed offer and demand point (>= 0 up to rounding).
    """
    base = fehlende(demand, coverage.two_step_fca(demand, supply, weights, eligible).access)
    out = np.zeros((len(supply), demand.shape[0]))
    for j in range(len(supply)):
        e = eligible.copy()
        s = supply.copy()
        if eligible_neu is not None:
            e[j] = eligible_neu[j]
        if supply_neu is not None:
            s[j] = supply_neu[j]
        after = fehlende(demand, coverage.two_step_fca(demand, s, weights, e).access)
        out[j] = (base - after).sum(axis=1)
    return out


# --------------------------------------------------------------------------- geo adapter
def kandidaten(
    ws: Workspace, handlungsfeld: str | None = None, liste: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites: Gemeinde points and existing offer sites, or a user's list.

    Parameters
    ----------
    ws : Workspace
    handlungsfeld : str, optional
        Unused for the default candidates (every existing site may host an
        offer of any field); kept for symmetry with :func:`planen`.
    liste : pandas.DataFrame, optional
        Own candidates with ``name``, ``lat`` and ``lon`` (WGS84) and
        optionally ``kandidat_id`` and ``ags``; replaces the default ones.

    Returns
    -------
    geopandas.GeoDataFrame
        ``kandidat_id``, ``name``, ``quelle``, ``ags``, points in EPSG:25832.
        Gemeinde points are the population-weighted points of the coverage
        analysis (:func:`thm_lib.analysis.access.demand_points`); existing sites are
        deduplicated by location and keep their ``angebot_id`` (so travel
        times in ``reisezeiten`` apply).
    """
    del handlungsfeld
    if liste is not None:
        geo = gpd.points_from_xy(
            pd.to_numeric(liste["lon"]), pd.to_numeric(liste["lat"]), crs=CRS_WEB
        )
        ids = (
            liste["kandidat_id"].astype(str)
            if "kandidat_id" in liste
            else pd.Series([f"K{i + 1}" for i in range(len(liste))])
        )
        out = gpd.GeoDataFrame(
            {
                "kandidat_id": ids.to_numpy(),
                "name": liste["name"].astype(str).to_numpy(),
                "quelle": QUELLE_LISTE,
                "ags": liste["ags"].astype(str).to_numpy() if "ags" in liste else None,
            },
            geometry=geo,
        ).to_crs(CRS_METRIC)
        if out["ags"].isna().any():
            out["ags"] = _ags_at(ws, out)
        return out
    pts = access.demand_points(ws.gebiete, ws.feinraster)
    namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True))
    gem = gpd.GeoDataFrame(
        {
            "kandidat_id": [f"G-{a}" for a in pts.index],
            "name": [namen[a] for a in pts.index],
            "quelle": QUELLE_GEMEINDE,
            "ags": list(pts.index),
        },
        geometry=pts.to_numpy(),
        crs=CRS_METRIC,
    )
    ang = ws.angebote[~ws.angebote["aufsuchend"].fillna(False).to_numpy(dtype=bool)]
    ang = ang[~ang.geometry.isna() & ~ang.geometry.is_empty]
    ang = ang.assign(_x=ang.geometry.x.round(1), _y=ang.geometry.y.round(1)).drop_duplicates(
        ["_x", "_y"]
    )
    site = gpd.GeoDataFrame(
        {
            "kandidat_id": ang["angebot_id"].astype(str).to_numpy(),
            "name": ang["name"].astype(str).to_numpy(),
            "quelle": QUELLE_ANGEBOT,
            "ags": ang["ags"].to_numpy(),
        },
        geometry=ang.geometry.to_numpy(),
        crs=CRS_METRIC,
    )
    return gpd.GeoDataFrame(pd.concat([gem, site], ignore_index=True), crs=CRS_METRIC)


def _ags_at(ws: Workspace, points: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(
        points[["geometry"]],
        ws.gebiete[["ags", "geometry"]].to_crs(CRS_METRIC),
        how="left",
        predicate="within",
    )
    return joined[~joined.index.duplicated()]["ags"].to_numpy()


def kosten(ws: Workspace, kand: gpd.GeoDataFrame) -> pd.DataFrame:
    """Gemeinden × candidates cost matrix (the coverage analysis' :func:`access.cost_matrix`)."""
    pseudo = kand.rename(columns={"kandidat_id": "angebot_id"})
    return access.cost_matrix(ws.gebiete, pseudo, ws.annahmen, ws.reisezeiten, ws.feinraster)


Orte = tuple[gpd.GeoDataFrame, pd.DataFrame]
"""Candidate sites (:func:`kandidaten`) and their cost matrix (:func:`kosten`)."""


def orte_und_kosten(ws: Workspace, liste: pd.DataFrame | None = None) -> Orte:
    """The candidate sites of ``ws`` (default ones or ``liste``) and their cost matrix.

    They depend on the Gemeinden, the population raster, the offers, the travel
    times and the assumptions only, not on the target group or the Handlungsfeld:
    computed once, they serve every plan of a Kreis (``orte`` of :func:`planen`).
    """
    kand = kandidaten(ws, liste=liste)
    return kand, kosten(ws, kand)


# --------------------------------------------------------------------------- workspace level
@dataclass
class Standortplanung:
    """Result of :func:`planen` for one Handlungsfeld.

    Attributes
    ----------
    handlungsfeld, modell : str
    p : int or None
        Sites asked for (None for LSCP).
    zugang : tuple of str
        Statuses the planned offer is open to.
    alter : tuple of int
        Age range of the planned offer.
    kandidaten : geopandas.GeoDataFrame
        From :func:`kandidaten`.
    nachfrage : pandas.Series
        Unmet need (missing places) per Gemeinde of the segments the planned
        offer is open to, before the new offers.
    loesung : Loesung
    zuordnung : pandas.DataFrame
        ``standort`` (1-based), ``kandidat_id``, ``ags``: each covered
        Gemeinde with need, assigned to the site that covers most need.
    neue_angebote : geopandas.GeoDataFrame
        The proposed offers as rows of ``angebote`` (``NEU-1`` …).
    vorher, nachher : thm_lib.analysis.coverage.CoverageResult
        Coverage of the field before and after (recomputed by ``analyse``).
    ws_nachher : Workspace
        The Workspace with the proposed offers added.
    """

    handlungsfeld: str
    modell: str
    p: int | None
    zugang: tuple[str, ...]
    alter: tuple[int, int]
    kandidaten: gpd.GeoDataFrame
    nachfrage: pd.Series
    loesung: Loesung
    zuordnung: pd.DataFrame
    neue_angebote: gpd.GeoDataFrame
    vorher: coverage.CoverageResult
    nachher: coverage.CoverageResult
    ws_nachher: Workspace

    @property
    def gemeinden(self) -> pd.DataFrame:
        """Per Gemeinde: missing places and Versorgungsgrad before/after, places closed."""
        v = self.vorher.gemeinden.set_index("ags")
        n = self.nachher.gemeinden.set_index("ags")
        out = pd.DataFrame(
            {
                "name": v["name"],
                "bedarf": v["bedarf"],
                "fehlende_vorher": v["fehlende_plaetze"],
                "fehlende_nachher": n["fehlende_plaetze"],
                "versorgungsgrad_vorher": v["versorgungsgrad"],
                "versorgungsgrad_nachher": n["versorgungsgrad"],
                "klasse_vorher": v["klasse"],
                "klasse_nachher": n["klasse"],
            }
        )
        out["geschlossen"] = out["fehlende_vorher"] - out["fehlende_nachher"]
        return out.reset_index()


def zugang_text(zugang: str | Sequence[str] | None, annahmen: Annahmen) -> tuple[str, ...]:
    """Statuses from a parameter: ``""``/None = all configured, else comma-separated names.

    Raises
    ------
    ValueError
        German message naming the unknown status.
    """
    alle = tuple(annahmen.zielgruppe.status)
    if zugang is None or (isinstance(zugang, str) and not zugang.strip()):
        return alle
    items = [
        z.strip().lower()
        for z in (zugang.split(",") if isinstance(zugang, str) else zugang)
        if str(z).strip()
    ]
    bad = [z for z in items if z not in alle]
    if bad:
        raise ValueError(
            f"Parameter 'zugang': unbekannter Status {', '.join(bad)}; erlaubt "
            f"sind {', '.join(alle)} (durch Komma getrennt) oder leer für alle"
        )
    return tuple(items)


def _offer_frame(
    ws: Workspace, n: int, feld: str, zugang: tuple[str, ...], alter: tuple[int, int]
) -> pd.DataFrame:
    """``n`` offers of the planned kind (only the columns eligibility needs)."""
    return pd.DataFrame(
        {
            "zugang_duldung": ["duldung" in zugang] * n,
            "zugang_gestattung": ["gestattung" in zugang] * n,
            "alter_min": [alter[0]] * n,
            "alter_max": [alter[1]] * n,
            "handlungsfeld": [feld] * n,
        }
    )


def unmet_need(
    result: coverage.CoverageResult, feld: str, e: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Missing places per Gemeinde × segment weighted by the planned offer's eligibility.

    Returns the (G,) totals, rounded to :data:`BEDARF_STELLEN` decimals, and the (G, S)
    matrix.
    """
    det = result.feld_arrays(feld)
    miss = fehlende(det.demand, det.fca.access) * e[None, :]
    return np.round(miss.sum(axis=1), BEDARF_STELLEN), miss


def neue_angebote(
    ws: Workspace,
    sites: gpd.GeoDataFrame,
    feld: str,
    zugang: tuple[str, ...],
    alter: tuple[int, int],
    plaetze: Sequence[float],
) -> gpd.GeoDataFrame:
    """The proposed offers as rows in the schema of ``ws.angebote`` (``NEU-1`` …).

    Their ``einzugsgebiet`` is empty: each serves every Gemeinde in reach (see
    :func:`thm_lib.analysis.access.weight_matrix`).
    """
    n = len(sites)
    web = sites.to_crs(CRS_WEB)
    beginn = ws.stichtag.normalize()
    rows = pd.DataFrame(
        {
            "angebot_id": [f"{NEU_PREFIX}{i + 1}" for i in range(n)],
            "name": [
                f"Geplantes Angebot {feld} {i + 1} ({s})" for i, s in enumerate(sites["name"])
            ],
            "traeger": "geplant",
            "handlungsfeld": feld,
            "foerderlinie": "sonstige",
            "zugang_duldung": "duldung" in zugang,
            "zugang_gestattung": "gestattung" in zugang,
            "alter_min": int(alter[0]),
            "alter_max": int(alter[1]),
            "plaetze": np.asarray(plaetze, dtype=float),
            "lat": web.geometry.y.to_numpy(),
            "lon": web.geometry.x.to_numpy(),
            "plz": None,
            "ags": sites["ags"].to_numpy(),
            "aufsuchend": False,
            "einzugsgebiet": [()] * n,
            "beginn": beginn,
            "ende": pd.NaT,
            "standort_quelle": "koordinaten",
        }
    )
    out = gpd.GeoDataFrame(rows, geometry=sites.geometry.to_numpy(), crs=CRS_METRIC)
    return out[[c for c in ws.angebote.columns if c in out.columns]]


def mit_angeboten(
    ws: Workspace, neu: gpd.GeoDataFrame, vorbild: Sequence[str | None] = ()
) -> Workspace:
    """A copy of ``ws`` with the offers ``neu`` added (inputs unchanged).

    ``vorbild[i]`` names an existing offer at the same site: its rows in
    ``reisezeiten`` are copied to the new offer, so both get the same costs.
    """
    ang = gpd.GeoDataFrame(pd.concat([ws.angebote, neu], ignore_index=True), crs=ws.angebote.crs)
    rz = ws.reisezeiten
    if rz is not None and len(rz):
        extra = [
            rz[rz["angebot_id"].astype(str) == str(v)].assign(angebot_id=nid)
            for nid, v in zip(neu["angebot_id"], vorbild, strict=False)
            if v
        ]
        if extra:
            rz = pd.concat([rz, *extra], ignore_index=True)
    return replace(ws, angebote=ang, reisezeiten=rz)


def planen(
    ws: Workspace,
    handlungsfeld: str,
    p: int = 1,
    modell: str = "mclp",
    zugang: str | Sequence[str] | None = None,
    alter: tuple[int, int] | None = None,
    liste: pd.DataFrame | None = None,
    plaetze: float | Sequence[float] | PlaetzeRegel | None = None,
    vorher: coverage.CoverageResult | None = None,
    zeitlimit: float = ZEITLIMIT,
    quoten: pd.DataFrame | None = None,
    orte: Orte | None = None,
) -> Standortplanung:
    """Propose sites for a new offer in one Handlungsfeld and recompute coverage.

    Parameters
    ----------
    ws : Workspace
        The whole Kreis (access crosses Gemeinde borders).
    handlungsfeld : str
    p : int
        Number of new sites (MCLP).
    modell : {"mclp", "lscp"}
        MCLP: at most ``p`` sites covering the most unmet need; LSCP: fewest
        sites covering all unmet need that any candidate reaches.
    zugang : str or sequence of str, optional
        Statuses the planned offer is open to (default: all configured).
    alter : (int, int), optional
        Age range of the planned offer (default: the target group's).
    liste : pandas.DataFrame, optional
        Own candidate sites (see :func:`kandidaten`).
    plaetze : float, sequence or callable, optional
        Places per new offer: one number for all, one per site, or a
        :data:`PlaetzeRegel` applied to the assignment; default
        :func:`plaetze_nach_bedarf` (the unmet need of the Gemeinden assigned
        to the site, rounded up, at least 1). The site choice does not depend
        on it.
    vorher : CoverageResult, optional
        An existing ``coverage.analyse(ws)`` result to reuse (its case evidence is
        reused for the state after too).
    zeitlimit : float
        Solver time limit per model in seconds.
    quoten : pandas.DataFrame, optional
        The need rates of ``ws`` (:func:`thm_lib.analysis.needs.need_rates`), if already
        computed: saves most of the time of many plans of one Kreis.
    orte : (GeoDataFrame, DataFrame), optional
        :func:`orte_und_kosten` of ``ws`` (with ``liste``, if given), if already
        computed: the same for every plan of a Kreis, whatever its field or target group.

    Returns
    -------
    Standortplanung

    Raises
    ------
    ValueError
        With a German message for an unknown Handlungsfeld, model or status.
    """
    if handlungsfeld not in ws.handlungsfelder:
        raise ValueError(
            f"Handlungsfeld '{handlungsfeld}' ist nicht konfiguriert; erlaubt: "
            f"{', '.join(ws.handlungsfelder)}"
        )
    if modell not in MODELLE:
        raise ValueError(f"Modell '{modell}' unbekannt; erlaubt: {', '.join(MODELLE)}")
    if modell == "mclp" and int(p) < 1:
        raise ValueError("Anzahl neuer Standorte (p) muss mindestens 1 sein")
    a_ = ws.annahmen
    status = zugang_text(zugang, a_)
    z = a_.zielgruppe
    alter = (z.alter_min, z.alter_max) if alter is None else (int(alter[0]), int(alter[1]))
    if vorher is None or handlungsfeld not in vorher.felder:
        vorher = coverage.analyse(ws, [handlungsfeld], quoten=quoten)
    e = coverage.eligibility(_offer_frame(ws, 1, handlungsfeld, status, alter), a_)[0]
    u, _ = unmet_need(vorher, handlungsfeld, e)

    kand, cost = orte_und_kosten(ws, liste) if orte is None else orte
    cost = cost.reindex(vorher.kosten.index)
    w = access.weight_function_from_annahmen(a_)(cost.to_numpy(dtype=np.float64))
    cover = abdeckung(w)
    c = cost.to_numpy(dtype=np.float64)
    sol = mclp(cover, u, int(p), c, zeitlimit) if modell == "mclp" else lscp(cover, u, c, zeitlimit)

    zuordnung = _zuordnung(cover, u, sol.auswahl, kand, cost.index)
    nachfrage = pd.Series(u, index=cost.index, name="fehlende_plaetze")
    n = len(sol.auswahl)
    if plaetze is None:
        plaetze = plaetze_nach_bedarf
    if callable(plaetze):
        plaetze = [float(x) for x in plaetze(zuordnung, nachfrage, n)]
        if len(plaetze) != n:
            raise ValueError(f"Regel für die Plätze gab {len(plaetze)} Werte für {n} Standorte")
    elif np.isscalar(plaetze):
        plaetze = [float(plaetze)] * n
    sites = kand.iloc[sol.auswahl].reset_index(drop=True)
    neu = neue_angebote(ws, sites, handlungsfeld, status, alter, plaetze)
    vorbild = [
        k if q == QUELLE_ANGEBOT else None
        for k, q in zip(sites["kandidat_id"], sites["quelle"], strict=True)
    ]
    ws_neu = mit_angeboten(ws, neu, vorbild)
    # the same cases, needs and assumptions: the case evidence of the state before
    nachher = coverage.analyse(ws_neu, [handlungsfeld], quoten=quoten, evidenz=vorher.evidenz)
    vorher_feld = (
        vorher
        if vorher.felder == (handlungsfeld,)
        else coverage.analyse(ws, [handlungsfeld], quoten=quoten, evidenz=vorher.evidenz)
    )
    return Standortplanung(
        handlungsfeld=handlungsfeld,
        modell=modell,
        p=int(p) if modell == "mclp" else None,
        zugang=status,
        alter=alter,
        kandidaten=kand,
        nachfrage=nachfrage,
        loesung=sol,
        zuordnung=zuordnung,
        neue_angebote=neu,
        vorher=vorher_feld,
        nachher=nachher,
        ws_nachher=ws_neu,
    )


def plaetze_nach_bedarf(zuordnung: pd.DataFrame, nachfrage: pd.Series, n: int) -> list[float]:
    """Places per site: the unmet need of the Gemeinden assigned to it, rounded up.

    The default :data:`PlaetzeRegel` of :func:`planen` (also of the published
    plan, :func:`thm_lib.publish.standort_anzeige.planen_veroeffentlicht`, there on
    the published demand). A site to which no Gemeinde with need is assigned
    (every one it reaches is assigned to an earlier site) gets 1 place.

    Parameters
    ----------
    zuordnung : pandas.DataFrame
        ``standort`` (1-based) and ``ags`` (rows of :attr:`Standortplanung.zuordnung`).
    nachfrage : pandas.Series
        Unmet need (missing places) per Gemeinde, index ``ags``.
    n : int
        Number of sites.

    Returns
    -------
    list of float
        ``ceil(sum of need)`` per site (tolerance 1e-9), at least 1, site 1 first.

    Examples
    --------
    >>> z = pd.DataFrame({"standort": [1, 1, 2], "ags": ["a", "b", "c"]})
    >>> plaetze_nach_bedarf(z, pd.Series({"a": 2.2, "b": 1.0, "c": 3.0}), 3)
    [4.0, 3.0, 1.0]
    """
    need = nachfrage.reindex(zuordnung["ags"]).fillna(0.0).to_numpy(dtype=np.float64)
    summe = pd.Series(need, index=zuordnung["standort"].to_numpy()).groupby(level=0).sum()
    out = []
    for i in range(1, n + 1):
        k = math.ceil(float(summe.get(i, 0.0)) - 1e-9)
        out.append(float(max(k, 1)))
    return out


def _zuordnung(
    cover: np.ndarray, u: np.ndarray, chosen: np.ndarray, kand: gpd.GeoDataFrame, ags: pd.Index
) -> pd.DataFrame:
    """Assign each covered Gemeinde with need to the first chosen site that reaches it."""
    rows = []
    for g in np.flatnonzero(u > BEDARF_EPS):
        hits = [k for k, j in enumerate(chosen) if cover[g, j]]
        if hits:
            rows.append((hits[0] + 1, str(kand["kandidat_id"].iloc[chosen[hits[0]]]), ags[g]))
    return pd.DataFrame(rows, columns=["standort", "kandidat_id", "ags"])


def varianten(
    ws: Workspace,
    handlungsfeld: str,
    zusatz_plaetze: float = 10.0,
    vorher: coverage.CoverageResult | None = None,
) -> pd.DataFrame:
    """Rank changes to existing offers by missing places closed (2SFCA recomputed).

    Two variants per offer of the field: ``oeffnen`` (open it to Geduldete;
    only offers not yet open to them) and ``plaetze`` (``zusatz_plaetze``
    more places).

    Returns
    -------
    pandas.DataFrame
        ``variante``, ``angebot_id``, ``name``, ``traeger``, ``ags``,
        ``_je_gemeinde`` (array of places closed per Gemeinde of
        ``vorher.kosten.index``; internal, for :func:`varianten_tabelle`) and
        ``geschlossen_gesamt``; sorted by the total, largest first.
    """
    if vorher is None or handlungsfeld not in vorher.felder:
        vorher = coverage.analyse(ws, [handlungsfeld])
    det = vorher.feld_arrays(handlungsfeld)
    ang = vorher.angebote.iloc[det.offers].reset_index(drop=True)
    supply = ang["plaetze"].to_numpy(dtype=float)
    rows = []
    closed_plus = geschlossen_je_angebot(
        det.demand, supply, det.weights, det.eligible, supply_neu=supply + float(zusatz_plaetze)
    )
    closed_open = geschlossen_je_angebot(
        det.demand,
        supply,
        det.weights,
        det.eligible,
        eligible_neu=coverage.eligibility(ang.assign(zugang_duldung=True), vorher.annahmen),
    )
    for variante, closed, ok in (
        ("oeffnen", closed_open, ~ang["zugang_duldung"].to_numpy(bool)),
        ("plaetze", closed_plus, np.ones(len(ang), dtype=bool)),
    ):
        for j in np.flatnonzero(ok):
            rows.append(
                {
                    "variante": variante,
                    "angebot_id": ang["angebot_id"].iloc[j],
                    "name": ang["name"].iloc[j],
                    "traeger": ang["traeger"].iloc[j],
                    "ags": ang["ags"].iloc[j],
                    "_je_gemeinde": closed[j],
                    "geschlossen_gesamt": float(closed[j].sum()),
                }
            )
    cols = [
        "variante",
        "angebot_id",
        "name",
        "traeger",
        "ags",
        "_je_gemeinde",
        "geschlossen_gesamt",
    ]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("geschlossen_gesamt", ascending=False, kind="stable").reset_index(
        drop=True
    )
