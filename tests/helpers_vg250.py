"""A synthetic BKG VG250 Gemeinde layer with many Kreise (tests and benchmarks).

Fields as in VG250_GEM (``ADE``, ``GF``, ``BSG``, ``ARS``, ``AGS``, ``GEN``,
``BEZ``, ``EWZ``), EPSG:25832. Each Kreis is a block of square Gemeinden;
every Gemeinde has ``vertices`` points on its outline, and the first Gemeinde
of each Kreis has an extra water area (``GF = 2``) with the same AGS, as in the
real file.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

SIDE = 2_000.0  # metres per Gemeinde square


def kreis_ags(k: int) -> str:
    """5-digit key of the k-th synthetic Kreis (Land 05, all inside NRW's number range)."""
    return f"05{100 + k:03d}"


def vg250_frame(kreise: int, gemeinden: int | list[int], vertices: int = 64) -> gpd.GeoDataFrame:
    """The layer: ``kreise`` Kreise with ``gemeinden`` Gemeinden each (or a list per Kreis)."""
    sizes = [gemeinden] * kreise if isinstance(gemeinden, int) else list(gemeinden)
    records, geoms = [], []
    for k, n in enumerate(sizes):
        x0, y0 = 300_000.0 + (k % 20) * 30 * SIDE, 5_600_000.0 + (k // 20) * 30 * SIDE
        for g in range(n):
            x, y = x0 + (g % 25) * SIDE, y0 + (g // 25) * SIDE
            square = shapely.box(x, y, x + SIDE, y + SIDE)
            poly = shapely.segmentize(square, SIDE * 4 / max(vertices, 4))
            ags = f"{kreis_ags(k)}{g + 1:03d}"
            base = {
                "ADE": 6,
                "BSG": 1,
                "ARS": f"{ags[:5]}0000{ags[5:]}",
                "AGS": ags,
                "GEN": f"Gemeinde {ags}",
                "BEZ": "Gemeinde",
                "EWZ": 1000 + 37 * g,
            }
            records.append({**base, "GF": 4})
            geoms.append(poly)
            if g == 0:
                records.append({**base, "GF": 2})
                geoms.append(shapely.box(x + SIDE, y, x + SIDE * 1.1, y + SIDE))
    frame = gpd.GeoDataFrame(records, geometry=geoms, crs="EPSG:25832")
    frame["EWZ"] = frame["EWZ"].astype(np.int64)
    return frame


def write_vg250(folder: Path, frame: gpd.GeoDataFrame, kind: str = "gpkg") -> Path:
    """Write ``frame`` as ``vg250_ebenen.gpkg`` (layer VG250_GEM) or ``VG250_GEM.shp``."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "gpkg":
        path = folder / "DE_VG250.gpkg"
        frame.to_file(path, layer="VG250_GEM", driver="GPKG", engine="pyogrio")
    else:
        path = folder / "VG250_GEM.shp"
        frame.to_file(path, engine="pyogrio")
    return path
