"""Costs and distance-decay weights between Gemeinden and offers.

The numerical side works on plain arrays: :func:`weight_function` turns a cost
matrix into 2SFCA weights. The geometric side is one thin adapter,
:func:`cost_matrix`, which builds the Gemeinde × offer cost matrix from a
travel-time table (``reisezeiten``) where given and from straight-line
distances in EPSG:25832 otherwise. :func:`weight_matrix` then applies the
configured decay and the rules for outreach offers and catchment areas.

Conventions (the same as PySAL ``access``): a pair counts when
``cost <= schwelle`` (inclusive); costs that are NaN never count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from thm_lib.core.errors import DataError, Problem
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import CRS_METRIC

GEWICHTUNGEN = ("stufe", "linear", "gauss", "gravitation")
METERS_PER_KM = 1000.0
MINUTES_PER_HOUR = 60.0
#: Below this share of pairs inside the threshold, weights are computed for those
#: pairs only (and :meth:`DecayWeights.matrix` returns a sparse matrix).
SPARSE_SHARE = 0.5


@dataclass(frozen=True)
class DecayWeights:
    """A vectorised distance-decay weight function (see :func:`weight_function`).

    Calling it on a cost array returns the dense weight array;
    :meth:`matrix` returns a ``scipy.sparse`` CSR matrix instead when only a
    small share of the pairs lies inside the threshold (the usual case for a
    whole region), which saves both time and memory.
    """

    gewichtung: str
    schwelle: float
    sigma: float
    beta: float
    c0: float

    def _decay(self, c: np.ndarray) -> np.ndarray:
        """Decay weights for costs inside the threshold (not ``stufe``), in place on ``c``."""
        if self.gewichtung == "linear":
            c /= -self.schwelle
            c += 1.0
        elif self.gewichtung == "gauss":
            np.multiply(c, c, out=c)
            c /= -2.0 * self.sigma * self.sigma
            np.exp(c, out=c)
        else:  # gravitation
            np.maximum(c, self.c0, out=c)
            c /= self.c0
            np.power(c, -self.beta, out=c)
        return c

    def __call__(self, cost: np.ndarray) -> np.ndarray:
        cost = np.asarray(cost, dtype=np.float64)
        inside = cost <= self.schwelle  # False for NaN
        if self.gewichtung == "stufe":
            return inside.astype(np.float64)
        idx = np.flatnonzero(inside)
        if idx.size < SPARSE_SHARE * inside.size:
            out = np.zeros(cost.shape)
            out.ravel()[idx] = self._decay(cost.ravel()[idx])
            return out
        out = self._decay(np.where(inside, cost, 0.0))
        out *= inside
        return out

    def matrix(self, cost: np.ndarray) -> np.ndarray | sparse.csr_matrix:
        """Weights of a 2-d cost matrix: CSR if few pairs are in reach, else dense."""
        cost = np.asarray(cost, dtype=np.float64)
        idx = np.flatnonzero(cost <= self.schwelle)
        if idx.size >= SPARSE_SHARE * cost.size:
            return self(cost)
        n_rows, n_cols = cost.shape
        rows, cols = np.divmod(idx, n_cols)  # idx is sorted, so rows are too
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        if self.gewichtung == "stufe":
            data = np.ones(idx.size)
        else:
            data = self._decay(cost.ravel()[idx])
        return sparse.csr_matrix((data, cols, indptr), shape=cost.shape)


WeightFn = Callable[[np.ndarray], np.ndarray]


def weight_function(
    gewichtung: str,
    schwelle: float,
    gauss_sigma: float | None = None,
    gravitation_exponent: float = 1.0,
    gravitation_mindestkosten: float = 1.0,
) -> DecayWeights:
    """Make a vectorised distance-decay weight function.

    Every function returns 0 where ``cost > schwelle`` or the cost is NaN,
    and otherwise:

    - ``stufe``: 1 (classic 2SFCA),
    - ``linear``: ``1 - cost / schwelle``,
    - ``gauss``: ``exp(-cost² / (2 σ²))`` with σ = ``gauss_sigma`` or
      ``schwelle / 2`` (as ``access.weights.gaussian``),
    - ``gravitation``: ``(max(cost, c0) / c0) ** -gravitation_exponent`` with
      c0 = ``gravitation_mindestkosten`` (as ``access.weights.gravity(c0,
      -exponent, c0)``), so the weight is 1 up to c0 and decays after it.

    Parameters
    ----------
    gewichtung : {"stufe", "linear", "gauss", "gravitation"}
        Decay type.
    schwelle : float
        Catchment threshold in the cost unit (inclusive).
    gauss_sigma : float, optional
        Width of the Gaussian; ``None`` means ``schwelle / 2``.
    gravitation_exponent : float
        Decay exponent β > 0 of the gravity weight.
    gravitation_mindestkosten : float
        Cost c0 > 0 below which the gravity weight is 1.

    Returns
    -------
    DecayWeights
        Callable ``f(cost_array) -> weight_array`` of the same shape (float64).

    Examples
    --------
    >>> f = weight_function("stufe", 30)
    >>> f(np.array([0.0, 30.0, 30.5, np.nan])).tolist()
    [1.0, 1.0, 0.0, 0.0]
    >>> g = weight_function("linear", 40)
    >>> g(np.array([0.0, 10.0, 40.0])).tolist()
    [1.0, 0.75, 0.0]
    """
    if gewichtung not in GEWICHTUNGEN:
        raise ValueError(f"unknown weight type {gewichtung!r}; allowed: {GEWICHTUNGEN}")
    schwelle = float(schwelle)
    sigma = schwelle / 2.0 if gauss_sigma is None else float(gauss_sigma)
    return DecayWeights(
        gewichtung, schwelle, sigma, float(gravitation_exponent), float(gravitation_mindestkosten)
    )


def weight_function_from_annahmen(annahmen: Annahmen) -> DecayWeights:
    """Build the weight function configured in ``annahmen.erreichbarkeit``."""
    e = annahmen.erreichbarkeit
    return weight_function(
        e.gewichtung,
        e.schwelle,
        e.gauss_sigma,
        e.gravitation_exponent,
        e.gravitation_mindestkosten,
    )


def demand_points(
    gebiete: gpd.GeoDataFrame,
    feinraster: gpd.GeoDataFrame | None = None,
    gewicht: str = "einwohner",
) -> gpd.GeoSeries:
    """One point per Gemeinde from which distances are measured.

    Without a finer layer this is ``representative_point()``: a point
    guaranteed to lie inside the polygon (a centroid may fall outside a
    concave or multi-part Gemeinde). With a finer layer (e.g. a population
    grid or statistical districts with an ``ags`` column), it is the
    ``gewicht``-weighted mean of that layer's representative points (where
    that mean falls outside the Gemeinde: the point of its most populous
    unit); a Gemeinde without cells (or with zero weight) keeps its
    representative point.

    Parameters
    ----------
    gebiete : geopandas.GeoDataFrame
        ``ags`` and polygons.
    feinraster : geopandas.GeoDataFrame, optional
        Finer units with ``ags`` and a weight column.
    gewicht : str
        Name of the weight column in ``feinraster``.

    Returns
    -------
    geopandas.GeoSeries
        Points in EPSG:25832, indexed by ``ags`` in the order of ``gebiete``.
    """
    geb = gebiete.to_crs(CRS_METRIC)
    pts = geb.geometry.representative_point()
    x = pts.x.to_numpy(copy=True)
    y = pts.y.to_numpy(copy=True)
    ags = geb["ags"].astype(str).to_numpy()
    if feinraster is not None and len(feinraster):
        fein = feinraster.to_crs(CRS_METRIC)
        fp = fein.geometry.representative_point()
        w = pd.to_numeric(fein[gewicht], errors="coerce").fillna(0.0).to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "ags": fein["ags"].astype(str).to_numpy(),
                "w": w,
                "wx": w * fp.x.to_numpy(),
                "wy": w * fp.y.to_numpy(),
            }
        )
        sums = frame.groupby("ags")[["w", "wx", "wy"]].sum()
        sums = sums[sums["w"] > 0]
        pos = pd.Index(ags).get_indexer(sums.index)
        ok = pos >= 0
        x[pos[ok]] = (sums["wx"] / sums["w"]).to_numpy()[ok]
        y[pos[ok]] = (sums["wy"] / sums["w"]).to_numpy()[ok]
        # a weighted mean can fall outside a concave Gemeinde: take its most populous
        # unit's point then, so the point always lies inside the Gemeinde
        inside = shapely.contains_xy(geb.geometry.to_numpy(), x, y)
        if not inside.all():
            top = (
                frame.assign(x=fp.x.to_numpy(), y=fp.y.to_numpy())
                .sort_values("w", ascending=False)
                .drop_duplicates("ags")
                .set_index("ags")
            )
            for i in np.flatnonzero(~inside):
                if ags[i] in top.index:
                    x[i], y[i] = top.loc[ags[i], "x"], top.loc[ags[i], "y"]
    return gpd.GeoSeries(gpd.points_from_xy(x, y), index=pd.Index(ags, name="ags"), crs=CRS_METRIC)


def straight_line_km(origins: gpd.GeoSeries, destinations: gpd.GeoSeries) -> np.ndarray:
    """Straight-line distances in km (EPSG:25832) as an origins × destinations matrix.

    Missing or empty destination points give NaN (never reachable).
    """
    o = origins.to_crs(CRS_METRIC)
    d = destinations.to_crs(CRS_METRIC)
    missing = d.isna().to_numpy() | d.is_empty.to_numpy()
    dx = np.where(missing, np.nan, d.x.where(~missing).to_numpy(dtype=float))
    dy = np.where(missing, np.nan, d.y.where(~missing).to_numpy(dtype=float))
    ox = o.x.to_numpy(dtype=float)[:, None]
    oy = o.y.to_numpy(dtype=float)[:, None]
    return np.hypot(ox - dx[None, :], oy - dy[None, :]) / METERS_PER_KM


def straight_line_reach_km(annahmen: Annahmen) -> float:
    """Straight-line distance (km) at which the straight-line cost reaches the threshold.

    The inverse of the estimated cost in :func:`cost_matrix`: ``einheit: km`` →
    schwelle ÷ umwegfaktor; ``minuten`` → schwelle ÷ 60 × geschwindigkeit_kmh ÷
    umwegfaktor. With a travel-time table this is only an approximation.
    """
    e = annahmen.erreichbarkeit
    km = float(e.schwelle)
    if e.einheit == "minuten":
        km = km / MINUTES_PER_HOUR * float(e.geschwindigkeit_kmh)
    return km / float(e.umwegfaktor)


def cost_matrix(
    gebiete: gpd.GeoDataFrame,
    angebote: gpd.GeoDataFrame,
    annahmen: Annahmen,
    reisezeiten: pd.DataFrame | None = None,
    feinraster: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Cost between every Gemeinde and every offer (the only geometric adapter).

    With ``einheit: minuten``: the travel time from ``reisezeiten`` where the
    pair is listed, else straight-line km × ``umwegfaktor`` ÷
    ``geschwindigkeit_kmh`` × 60. With ``einheit: km``: straight-line km ×
    ``umwegfaktor`` (a travel-time table in minutes cannot be used then).

    Parameters
    ----------
    gebiete : geopandas.GeoDataFrame
        Gemeinden (``ags``, polygons).
    angebote : geopandas.GeoDataFrame
        Offers (``angebot_id``, points).
    annahmen : Annahmen
        Merged assumptions; uses the ``erreichbarkeit`` section.
    reisezeiten : pandas.DataFrame, optional
        ``ags``, ``angebot_id``, ``minuten``.
    feinraster : geopandas.GeoDataFrame, optional
        Finer population layer for population-weighted Gemeinde points.

    Returns
    -------
    pandas.DataFrame
        Index ``ags`` (order of ``gebiete``), columns ``angebot_id`` (order of
        ``angebote``), float costs; NaN = no location known.

    Raises
    ------
    DataError
        If ``reisezeiten`` lists a pair twice.
    """
    e = annahmen.erreichbarkeit
    points = demand_points(gebiete, feinraster)
    ids = pd.Index(angebote["angebot_id"].astype(str), name="angebot_id")
    km = straight_line_km(points, angebote.geometry) * float(e.umwegfaktor)
    if e.einheit == "km":
        cost = km
    else:
        cost = km / float(e.geschwindigkeit_kmh) * MINUTES_PER_HOUR
        if reisezeiten is not None and len(reisezeiten):
            rz = reisezeiten.assign(
                ags=reisezeiten["ags"].astype(str), angebot_id=reisezeiten["angebot_id"].astype(str)
            )
            dup = rz.duplicated(["ags", "angebot_id"])
            if dup.any():
                first = rz[dup].iloc[0]
                raise DataError(
                    [
                        Problem(
                            "reisezeiten",
                            f"{int(dup.sum())} Paare Gemeinde/Angebot doppelt",
                            "Jedes Paar ags/angebot_id darf nur einmal vorkommen",
                            spalte="angebot_id",
                            wert=f"{first['ags']}/{first['angebot_id']}",
                        )
                    ]
                )
            r = points.index.get_indexer(rz["ags"])
            c = ids.get_indexer(rz["angebot_id"])
            minuten = pd.to_numeric(rz["minuten"], errors="coerce").to_numpy(dtype=float)
            ok = (r >= 0) & (c >= 0) & ~np.isnan(minuten)
            cost[r[ok], c[ok]] = minuten[ok]
    return pd.DataFrame(cost, index=points.index, columns=ids)


def valid_at(angebote: pd.DataFrame, stichtag: pd.Timestamp) -> np.ndarray:
    """Boolean mask: offers valid at the Stichtag (``beginn <= stichtag <= ende``; NaT = open)."""
    beginn = pd.to_datetime(angebote["beginn"])
    ende = pd.to_datetime(angebote["ende"])
    ok = (beginn.isna() | (beginn <= stichtag)) & (ende.isna() | (ende >= stichtag))
    return ok.to_numpy(dtype=bool)


def area_mask(ags: pd.Index, angebote: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Catchment areas as a matrix.

    Returns
    -------
    inside : numpy.ndarray of bool, shape (Gemeinden, offers)
        True where the Gemeinde lies in the offer's ``einzugsgebiet`` — for an
        outreach offer without one, its own Gemeinde.
    restricted : numpy.ndarray of bool, shape (offers,)
        True where the offer serves only its area (outreach offers, and
        offers that list an ``einzugsgebiet``).
    """
    n_g, n_j = len(ags), len(angebote)
    inside = np.zeros((n_g, n_j), dtype=bool)
    restricted = np.zeros(n_j, dtype=bool)
    aufsuchend = angebote["aufsuchend"].fillna(False).to_numpy(dtype=bool)
    own = angebote["ags"].to_numpy(dtype=object)
    for j, area in enumerate(angebote["einzugsgebiet"].to_numpy(dtype=object)):
        area = tuple(area) if isinstance(area, tuple | list) else ()
        if not area and aufsuchend[j] and isinstance(own[j], str):
            area = (own[j],)
        if area or aufsuchend[j]:
            restricted[j] = True
            pos = ags.get_indexer([str(a) for a in area])
            inside[pos[pos >= 0], j] = True
    return inside, restricted


def weight_matrix(cost: pd.DataFrame, angebote: pd.DataFrame, weight_fn: WeightFn) -> np.ndarray:
    """2SFCA weights w_gj for the Gemeinden (rows of ``cost``) and ``angebote``.

    - Outreach offers (``aufsuchend``) weigh 1 inside their ``einzugsgebiet``
      (or their own Gemeinde if none is given) and 0 outside: they come to
      the people, travel cost does not apply.
    - Stationary offers weigh ``weight_fn(cost)``; if they list an
      ``einzugsgebiet`` they serve only it (0 outside) — a project rule, the
      catchment of a locally funded offer is usually its Gemeinde(n).

    Parameters
    ----------
    cost : pandas.DataFrame
        From :func:`cost_matrix`; columns in the order of ``angebote``.
    angebote : pandas.DataFrame
        Offers with ``aufsuchend``, ``einzugsgebiet``, ``ags``.
    weight_fn : callable
        From :func:`weight_function`.

    Returns
    -------
    numpy.ndarray
        Float64 matrix (Gemeinden × offers).
    """
    w = weight_fn(cost.to_numpy(dtype=np.float64))
    inside, restricted = area_mask(cost.index, angebote)
    aufsuchend = angebote["aufsuchend"].fillna(False).to_numpy(dtype=bool)
    if restricted.any():
        w[:, restricted] *= inside[:, restricted]
    if aufsuchend.any():
        w[:, aufsuchend] = inside[:, aufsuchend].astype(np.float64)
    return w
