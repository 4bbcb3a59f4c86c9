"""Synthetic Kreise for tests and benchmarks (no real data, fixed seeds).

:func:`voronoi_coverage` builds a polygon coverage from the Voronoi cells of
random points, optionally with wiggly shared borders (a Brownian bridge along
each edge, tapered at the nodes) so polygons have realistic vertex counts of
several hundred to thousands; :func:`synthetic_workspace` wraps such a
coverage and a few offers into a :class:`~thm_lib.core.workspace.Workspace`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import CRS_METRIC, Workspace

#: Rough extent of NRW in EPSG:25832 (metres): about 250 km × 250 km.
NRW_BOUNDS = (280_000.0, 5_580_000.0, 530_000.0, 5_830_000.0)


def _wiggle(
    line: shapely.LineString, rng: np.random.Generator, steps: int, amplitude: float
) -> shapely.LineString:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    if steps < 2 or length == 0:
        return line
    t = np.linspace(0.0, 1.0, steps + 1)
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(size=steps))])
    bridge = walk - t * walk[-1]
    peak = np.abs(bridge).max() or 1.0
    offset = bridge / peak * amplitude * length * np.sin(np.pi * t)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    xs = x0 + t * (x1 - x0) + offset * nx
    ys = y0 + t * (y1 - y0) + offset * ny
    xs[0], ys[0], xs[-1], ys[-1] = x0, y0, x1, y1  # exact nodes, or polygonize cannot close rings
    return shapely.LineString(np.column_stack([xs, ys]))


def voronoi_coverage(
    n: int,
    bounds: tuple[float, float, float, float],
    seed: int = 0,
    steps_per_edge: int = 0,
    amplitude: float = 0.04,
) -> list[shapely.Polygon]:
    """Return ``n`` polygons that tile ``bounds`` (a valid coverage).

    Parameters
    ----------
    n : int
        Number of polygons.
    bounds : tuple
        ``(minx, miny, maxx, maxy)`` in a metric CRS.
    seed : int
        Random seed.
    steps_per_edge : int
        Vertices per border segment (0 = straight Voronoi edges).
    amplitude : float
        Maximal sideways displacement of a border, as a share of its length.

    Raises
    ------
    RuntimeError
        If the wiggled borders crossed and the cells could not be rebuilt.
    """
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    pts = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    box = shapely.box(*bounds)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box)
    polys = [c.intersection(box) for c in shapely.get_parts(cells)]
    if steps_per_edge <= 0:
        return polys
    noded = shapely.union_all([p.boundary for p in polys])
    segments = [
        shapely.LineString([a, b])
        for part in shapely.get_parts(noded)
        for a, b in zip(part.coords[:-1], part.coords[1:], strict=True)
    ]
    edges = [_wiggle(e, rng, steps_per_edge, amplitude) for e in segments]
    out = list(shapely.get_parts(shapely.polygonize(edges)))
    if len(out) != n:
        raise RuntimeError(f"{len(out)} statt {n} Flächen; amplitude verkleinern")
    return out


def synthetic_workspace(
    n: int = 10,
    seed: int = 1,
    *,
    bounds: tuple[float, ...] | None = None,
    steps_per_edge: int = 0,
    offers_per_field: int = 2,
    fields: int = 3,
    name: str = "Testkreis (synthetisch)",
) -> Workspace:
    """A Workspace with ``n`` Gemeinden (AGS ``0599900x``) and offers in the first fields.

    Offers: ``offers_per_field`` per Handlungsfeld for the first ``fields``
    configured Handlungsfelder, placed at representative points of the
    Gemeinden; the first offer is ``A001`` "Sprachkurs <Nord> & Co" (a name
    that needs HTML escaping), Träger "VHS Test", Förderlinie ``baustein_6``,
    12 places, open for Duldung, not for Gestattung, not outreach.
    """
    bounds = bounds or (400_000.0, 5_700_000.0, 440_000.0, 5_740_000.0)
    polys = voronoi_coverage(n, bounds, seed, steps_per_edge)
    ags = [f"05999{i:03d}" for i in range(1, n + 1)]
    gebiete = gpd.GeoDataFrame(
        {
            "ags": ags,
            "name": [f"Gemeinde {chr(65 + i % 26)}{i // 26 or ''}" for i in range(n)],
            "einwohner": pd.array([10_000 + 1000 * i for i in range(n)], dtype="Int64"),
            "plz": [()] * n,
        },
        geometry=polys,
        crs=CRS_METRIC,
    )
    annahmen = Annahmen().mit({"kreis": {"stichtag": "2024-12-31"}})
    felder = annahmen.handlungsfelder[:fields]
    rows, pts = [], []
    reps = gebiete.geometry.representative_point()
    k = 0
    for f in felder:
        for _ in range(offers_per_field):
            g = k % n
            first = k == 0
            rows.append(
                {
                    "angebot_id": f"A{k + 1:03d}",
                    "name": "Sprachkurs <Nord> & Co" if first else f"{f} {k + 1}",
                    "traeger": "VHS Test" if first else "Träger e. V.",
                    "handlungsfeld": f,
                    "foerderlinie": "baustein_6" if first else "kommune",
                    "zugang_duldung": True,
                    "zugang_gestattung": not first,
                    "alter_min": 18,
                    "alter_max": 27,
                    "plaetze": 12.0 if first else 20.0,
                    "lat": np.nan,
                    "lon": np.nan,
                    "plz": None,
                    "ags": ags[g],
                    "aufsuchend": k == 1,
                    "einzugsgebiet": (),
                    "beginn": pd.NaT,
                    "ende": pd.NaT,
                    "standort_quelle": "gemeinde",
                }
            )
            p = reps.iloc[g]
            pts.append(shapely.Point(p.x + 300 * (k // n), p.y))
            k += 1
    angebote = gpd.GeoDataFrame(rows, geometry=pts, crs=CRS_METRIC)
    zielgruppe = pd.DataFrame(
        {
            "ags": ags,
            "stichtag": pd.Timestamp("2024-12-31"),
            "status": "duldung",
            "alter": pd.array([20] * n, dtype="Int64"),
            "alter_von": 20,
            "alter_bis": 20,
            "geschlecht": "m",
            "anzahl": pd.array([10] * n, dtype="Int64"),
        }
    )
    kommunen = pd.DataFrame(
        {
            "ags": ags,
            "geschaeftsfuehrende_stelle": False,
            "haushaltssicherung": False,
            "stellen_bestand": np.nan,
            "stichtag_erstantrag": pd.NaT,
        }
    )
    return Workspace(
        name=name,
        folder=Path("."),
        gebiete=gebiete,
        zielgruppe=zielgruppe,
        angebote=angebote,
        annahmen=annahmen,
        programm={},
        kommunen=kommunen,
    )
