"""Geometry preparation for web maps: topology-preserving simplification.

Uses :func:`shapely.coverage_simplify` (shapely >= 2.1), which simplifies the
shared edges of a polygon coverage once, so neighbouring Gemeinden keep
identical borders (no gaps or slivers). Coordinates are then rounded in
EPSG:4326; identical input vertices round to identical output vertices, so
shared borders stay shared.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import shapely

from thm_lib.core.workspace import CRS_METRIC, CRS_WEB


def simplify_coverage(gebiete: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """Simplify Gemeinde polygons keeping shared borders shared.

    Parameters
    ----------
    gebiete : geopandas.GeoDataFrame
        Polygons in a metric CRS (EPSG:25832 in the Workspace).
    tolerance_m : float
        Simplification tolerance in metres (``annahmen.karten.vereinfachung_m``);
        ``0`` returns the input unchanged.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with simplified geometry, same rows and CRS. If the polygons
        are not a valid coverage (overlaps), each polygon is simplified on
        its own with ``preserve_topology=True`` and a warning is issued.
    """
    out = gebiete.copy()
    if tolerance_m <= 0 or out.empty:
        return out
    if out.crs is not None and not out.crs.is_projected:
        out = out.to_crs(CRS_METRIC)
    geoms = np.asarray(out.geometry.values, dtype=object)
    if bool(shapely.coverage_is_valid(geoms)):
        simplified = shapely.coverage_simplify(geoms, tolerance_m, simplify_boundary=True)
    else:
        warnings.warn(
            "Die Gebietsgrenzen überlappen sich; Grenzen werden einzeln vereinfacht "
            "und können in der Karte kleine Lücken zeigen.",
            stacklevel=2,
        )
        simplified = shapely.simplify(geoms, tolerance_m, preserve_topology=True)
    out = out.set_geometry(gpd.GeoSeries(simplified, index=out.index, crs=out.crs))
    if gebiete.crs is not None and out.crs != gebiete.crs:
        out = out.to_crs(gebiete.crs)
    return out


def to_web(gdf: gpd.GeoDataFrame, decimals: int) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 and round coordinates to ``decimals`` places."""
    out = gdf.to_crs(CRS_WEB) if gdf.crs is not None else gdf.copy()
    factor = 10.0**decimals
    rounded = shapely.transform(
        np.asarray(out.geometry.values, dtype=object),
        lambda xy: np.round(xy * factor) / factor,
    )
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=out.crs))


def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """Return the total number of coordinates of all geometries."""
    return int(shapely.get_num_coordinates(np.asarray(gdf.geometry.values, dtype=object)).sum())
