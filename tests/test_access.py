"""Tests for thm_lib.analysis.access: weights, cost matrix adapter, validity, outreach rules."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from thm_lib.analysis import access
from thm_lib.core.config import default_annahmen
from thm_lib.core.errors import DataError
from thm_lib.core.workspace import CRS_METRIC

G1, G2 = "05999001", "05999002"


def gebiete(polys=None) -> gpd.GeoDataFrame:
    polys = polys or [box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)]
    ags = [f"0599900{i + 1}" for i in range(len(polys))]
    return gpd.GeoDataFrame({"ags": ags, "name": ags}, geometry=polys, crs=CRS_METRIC)


def angebote(points, **cols) -> gpd.GeoDataFrame:
    n = len(points)
    data = {
        "angebot_id": [f"A{i}" for i in range(n)],
        "aufsuchend": [False] * n,
        "einzugsgebiet": [()] * n,
        "ags": [G1] * n,
    }
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=list(points), crs=CRS_METRIC)


# --------------------------------------------------------------------------- weights
def test_step_threshold_inclusive_and_nan():
    f = access.weight_function("stufe", 30)
    assert f(np.array([0.0, 29.999, 30.0, 30.0001, np.nan])).tolist() == [1, 1, 1, 0, 0]


def test_linear_gauss_gravity_hand_values():
    c = np.array([0.0, 10.0, 20.0, 40.0, 41.0])
    np.testing.assert_allclose(access.weight_function("linear", 40)(c), [1.0, 0.75, 0.5, 0.0, 0.0])
    g = access.weight_function("gauss", 40)(c)  # sigma = 20
    np.testing.assert_allclose(
        g, [1.0, math.exp(-100 / 800), math.exp(-400 / 800), math.exp(-1600 / 800), 0.0], rtol=1e-12
    )
    # few pairs inside the threshold: the decay is computed on those only (same values)
    few = access.weight_function("gauss", 40)(np.array([[10.0, 99.0], [99.0, 99.0]]))
    np.testing.assert_allclose(few, [[math.exp(-100 / 800), 0.0], [0.0, 0.0]], rtol=1e-12)
    g2 = access.weight_function("gauss", 40, gauss_sigma=10)(np.array([10.0]))
    assert g2[0] == pytest.approx(math.exp(-0.5))
    grav = access.weight_function(
        "gravitation", 40, gravitation_exponent=2, gravitation_mindestkosten=5
    )(c)
    np.testing.assert_allclose(grav, [1.0, 0.25, 1 / 16, 1 / 64, 0.0], rtol=1e-12)


@pytest.mark.parametrize("kind", ["gauss", "gravitation"])
def test_weights_equal_pysal_access_factories(kind):
    from access import weights

    c = np.linspace(0, 60, 61)
    ours = access.weight_function(
        kind, 60, gauss_sigma=15, gravitation_exponent=1.3, gravitation_mindestkosten=4
    )(c)
    ref = weights.gaussian(15) if kind == "gauss" else weights.gravity(4, -1.3, 4)
    np.testing.assert_allclose(ours, [ref(x) for x in c], rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(access.GEWICHTUNGEN),
    st.floats(1, 120),
    st.lists(st.floats(0, 200), min_size=2, max_size=20),
)
def test_weights_bounded_and_non_increasing(kind, thr, costs):
    c = np.sort(np.array(costs))
    w = access.weight_function(kind, thr, gravitation_mindestkosten=1)(c)
    assert ((w >= 0) & (w <= 1)).all()
    assert (np.diff(w) <= 1e-15).all()
    assert (w[c > thr] == 0).all()


@pytest.mark.parametrize("kind", access.GEWICHTUNGEN)
def test_sparse_matrix_equals_dense(kind):
    from scipy import sparse

    rng = np.random.default_rng(3)
    cost = rng.uniform(0, 100, (40, 30))
    cost[0, 0] = np.nan
    f = access.weight_function(kind, 20, gravitation_mindestkosten=2)
    m = f.matrix(cost)  # about 20 % of pairs in reach: sparse
    assert sparse.issparse(m)
    np.testing.assert_allclose(m.toarray(), f(cost), rtol=1e-15)
    wide = access.weight_function(kind, 90, gravitation_mindestkosten=2)
    assert isinstance(wide.matrix(cost), np.ndarray)  # most pairs in reach: dense


def test_invalid_weight_settings_raise_german_error():
    with pytest.raises(DataError, match="größer als 0") as info:
        default_annahmen().mit(
            {"erreichbarkeit": {"gravitation_mindestkosten": 0, "gauss_sigma": "breit"}}
        )
    assert len(info.value.problems) == 2
    ok = access.weight_function_from_annahmen(default_annahmen())
    assert ok.gewichtung == "stufe" and ok.schwelle == 45 and ok.sigma == 22.5


def test_unknown_weight_type():
    with pytest.raises(ValueError):
        access.weight_function("exponential", 10)


# --------------------------------------------------------------------------- points and costs
def test_representative_point_inside_concave_gemeinde():
    # A U shape: its centroid lies in the notch, outside the polygon.
    u = Polygon(
        [
            (0, 0),
            (9000, 0),
            (9000, 9000),
            (6000, 9000),
            (6000, 3000),
            (3000, 3000),
            (3000, 9000),
            (0, 9000),
        ]
    )
    assert not u.contains(u.centroid)
    pts = access.demand_points(gebiete([u]))
    assert u.contains(pts.iloc[0])


def test_population_weighted_point_from_finer_layer():
    fein = gpd.GeoDataFrame(
        {"ags": [G1, G1, G2], "einwohner": [300, 100, 0]},
        geometry=[Point(1000, 1000), Point(5000, 1000), Point(15000, 500)],
        crs=CRS_METRIC,
    )
    pts = access.demand_points(gebiete(), fein)
    assert (pts.loc[G1].x, pts.loc[G1].y) == pytest.approx((2000.0, 1000.0))
    rep = gebiete().geometry.iloc[1].representative_point()  # zero weight: fallback
    assert (pts.loc[G2].x, pts.loc[G2].y) == pytest.approx((rep.x, rep.y))
    # the cost matrix measures from that point (2 km straight line to the offer)
    ann = default_annahmen().mit({"erreichbarkeit": {"einheit": "km", "umwegfaktor": 1.0}})
    c = access.cost_matrix(gebiete(), angebote([Point(2000, 3000)]), ann, feinraster=fein)
    assert c.loc[G1, "A0"] == pytest.approx(2.0)


def test_cost_matrix_straight_line_minutes_and_km():
    ann = default_annahmen()  # umwegfaktor 1.3, 20 km/h
    ang = angebote([Point(5000, 5000), Point(5000, 9000)])
    geb = gebiete([box(0, 0, 10_000, 10_000)])
    p = geb.geometry.iloc[0].representative_point()
    km = np.hypot(p.x - 5000, p.y - np.array([5000, 9000])) / 1000
    c = access.cost_matrix(geb, ang, ann)
    np.testing.assert_allclose(c.to_numpy()[0], km * 1.3 / 20 * 60)
    assert list(c.columns) == ["A0", "A1"] and list(c.index) == [G1]
    c_km = access.cost_matrix(geb, ang, ann.mit({"erreichbarkeit": {"einheit": "km"}}))
    np.testing.assert_allclose(c_km.to_numpy()[0], km * 1.3)


def test_reisezeiten_override_where_present():
    ann = default_annahmen()
    ang = angebote([Point(5000, 5000), Point(15000, 5000)])
    rz = pd.DataFrame({"ags": [G2, "09999999"], "angebot_id": ["A0", "A0"], "minuten": [7.5, 1.0]})
    c = access.cost_matrix(gebiete(), ang, ann, rz)
    est = access.cost_matrix(gebiete(), ang, ann)
    assert c.loc[G2, "A0"] == 7.5
    mask = np.ones(c.shape, dtype=bool)
    mask[1, 0] = False
    np.testing.assert_allclose(c.to_numpy()[mask], est.to_numpy()[mask])
    # km: travel minutes cannot be used
    c_km = access.cost_matrix(gebiete(), ang, ann.mit({"erreichbarkeit": {"einheit": "km"}}), rz)
    assert c_km.loc[G2, "A0"] != 7.5


def test_reisezeiten_duplicates_raise_german_error():
    rz = pd.DataFrame({"ags": [G1, G1], "angebot_id": ["A0", "A0"], "minuten": [1, 2]})
    with pytest.raises(DataError, match="doppelt"):
        access.cost_matrix(gebiete(), angebote([Point(1, 1)]), default_annahmen(), rz)


def test_missing_offer_location_is_unreachable():
    ang = angebote([Point(5000, 5000), None])
    c = access.cost_matrix(gebiete(), ang, default_annahmen())
    assert c["A1"].isna().all() and c["A0"].notna().all()
    w = access.weight_matrix(c, ang, access.weight_function("stufe", 1e9))
    assert (w[:, 1] == 0).all()


# --------------------------------------------------------------------------- validity, outreach
def test_valid_at_stichtag_inclusive():
    t = pd.Timestamp("2021-12-31")
    ang = pd.DataFrame(
        {
            "beginn": pd.to_datetime(["2021-12-31", "2022-01-01", None, None]),
            "ende": pd.to_datetime([None, None, "2021-12-31", "2021-12-30"]),
        }
    )
    assert access.valid_at(ang, t).tolist() == [True, False, True, False]


def test_outreach_and_catchment_rules():
    g3 = "05999003"
    ang = angebote(
        [Point(5000, 5000)] * 4,
        aufsuchend=[True, True, False, False],
        einzugsgebiet=[(G2, g3), (), (G2,), ()],
        ags=[G1, G1, G1, G1],
    )
    cost = pd.DataFrame(
        [[1.0, 1.0, 1.0, 1.0], [99.0, 99.0, 5.0, 5.0], [99.0, 99.0, 5.0, 5.0]],
        index=pd.Index([G1, G2, g3]),
        columns=ang["angebot_id"],
    )
    w = access.weight_matrix(cost, ang, access.weight_function("stufe", 10))
    # outreach with area: 1 inside, 0 outside regardless of cost
    assert w[:, 0].tolist() == [0, 1, 1]
    # outreach without area: its own Gemeinde
    assert w[:, 1].tolist() == [1, 0, 0]
    # stationary with a catchment: distance rule inside it, 0 outside
    assert w[:, 2].tolist() == [0, 1, 0]
    assert w[:, 3].tolist() == [1, 1, 1]
