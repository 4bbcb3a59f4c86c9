"""The optional finer population layer: loading, and population-weighted Gemeinde points."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from thm_lib.analysis import coverage
from thm_lib.analysis.access import demand_points
from thm_lib.core.errors import DataError
from thm_lib.core.workspace import CRS_METRIC
from thm_lib.ingest.arbeitsmappe import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
AGS = "05899016"


@pytest.fixture()
def mappe(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "m")
    return tmp_path / "m"


def _cells(ws, ags: str) -> list[Point]:
    poly = ws.gebiete.set_index("ags").geometry[ags]
    minx, miny, maxx, maxy = poly.bounds
    pts = [
        Point(minx + (maxx - minx) * fx, miny + (maxy - miny) * fy)
        for fx in (0.2, 0.5, 0.8)
        for fy in (0.2, 0.5, 0.8)
    ]
    return [p for p in pts if poly.contains(p)]


def test_layer_moves_the_gemeinde_point_to_its_people(mappe: Path) -> None:
    ws = load_workspace(mappe)
    cells = _cells(ws, AGS)
    weights = [1000] + [0] * (len(cells) - 1)  # everybody lives in the first cell
    layer = gpd.GeoDataFrame({"einwohner": weights}, geometry=cells, crs=CRS_METRIC)
    layer.to_file(mappe / "feinraster.gpkg")  # no ags column: assigned by location
    ws2 = load_workspace(mappe)
    assert set(ws2.feinraster["ags"]) == {AGS}
    point = demand_points(ws2.gebiete, ws2.feinraster).loc[AGS]
    assert point.distance(cells[0]) < 1e-6
    # the analysis uses the layer by default: costs from Probstadt change, others do not
    before, after = coverage.analyse(ws).kosten, coverage.analyse(ws2).kosten
    assert not before.loc[AGS].equals(after.loc[AGS])
    assert before.drop(index=AGS).equals(after.drop(index=AGS))


def test_weighted_point_stays_inside_a_concave_gemeinde() -> None:
    u_shape = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    gebiete = gpd.GeoDataFrame({"ags": ["05899004"]}, geometry=[u_shape], crs=CRS_METRIC)
    layer = gpd.GeoDataFrame(
        {"ags": ["05899004"] * 2, "einwohner": [100, 90]},
        geometry=[Point(0.5, 2.5), Point(2.5, 2.5)],
        crs=CRS_METRIC,
    )
    point = demand_points(gebiete, layer).iloc[0]
    assert u_shape.contains(point)  # the weighted mean (1.53, 2.5) lies in the gap
    assert point.equals(Point(0.5, 2.5))  # the most populous unit


def test_bad_layer_gives_german_error(mappe: Path) -> None:
    ws = load_workspace(mappe)
    cells = _cells(ws, AGS)[:2]
    layer = gpd.GeoDataFrame({"einwohner": [5, -3]}, geometry=cells, crs=CRS_METRIC)
    layer.to_file(mappe / "feinraster.gpkg")
    with pytest.raises(DataError) as err:
        load_workspace(mappe)
    text = str(err.value)
    assert "feinraster.gpkg" in text and "Zeile 2" in text and "einwohner" in text
    assert "negativ" in text
