"""Unit tests of thm_lib.publish.maps: classes, legend, popups, suppression, offline HTML, PNG."""

from __future__ import annotations

import re

import folium
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from thm_lib.core.formats import zahl
from thm_lib.ingest.synthetic import synthetic_workspace, voronoi_coverage
from thm_lib.publish.maps import (
    Measure,
    classify,
    count_measure,
    coverage_measure,
    kreis_map,
    map_html,
    offer_popup_html,
    save_map,
    simplify_coverage,
)
from thm_lib.publish.maps.geometry import to_web, vertex_count
from thm_lib.publish.maps.interactive import (
    catchment_radius_m,
    gemeinde_layer_data,
    web_tolerance_m,
)
from thm_lib.publish.maps.measure import class_labels, published_values
from thm_lib.publish.maps.offline import Wortlaut, leaflet_assets
from thm_lib.publish.maps.static import nice_length


@pytest.fixture(scope="module")
def ws():
    return synthetic_workspace()


@pytest.fixture(scope="module")
def counts(ws):
    # 10 Gemeinden; 3 and 2 are small counts (suppressed), 0 is shown as 0.
    return pd.Series([3, 0, 12, 40, 7, 100, 55, 2, 18, 25], index=ws.gebiete["ags"])


def _geojson_properties(m: folium.Map) -> list[dict]:
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 1
    return [f["properties"] for f in layers[0].data["features"]]


# --- classes and legend ---------------------------------------------------------------------


def test_natural_breaks_hand_checked():
    y = pd.Series([1, 2, 3, 10, 11, 12, 20, 21, 22], dtype=float)
    c = classify(y, scheme="natural_breaks", k=3, palette="YlOrRd", integer=True)
    assert c.bins == (3.0, 12.0, 22.0)
    assert c.labels == ("1 bis 3", "4 bis 12", "13 bis 22")
    assert c.colors == ("#ffeda0", "#feb24c", "#f03b20")


def test_quantiles_hand_checked():
    # 1..9, terciles at 1 + 8/3 = 3.67 and 1 + 16/3 = 6.33 -> whole-number bounds 3, 6, 9
    y = pd.Series(np.arange(1, 10), dtype=float)
    c = classify(y, scheme="quantiles", k=3, palette="YlOrRd", integer=True)
    assert c.bins == (3.0, 6.0, 9.0)
    assert c.labels == ("1 bis 3", "4 bis 6", "7 bis 9")
    assert [c.color_of(v) for v in (1, 3, 4, 6, 7, 9)] == [c.colors[i] for i in (0, 0, 1, 1, 2, 2)]
    assert c.color_of(np.nan) == "#ffffff"


def test_percent_labels_and_decimals():
    labels = class_labels([75.0, 110.0, 180.5], 12.26, 1, " %")
    assert labels == ["12,3 % bis 75,0 %", "über 75,0 % bis 110,0 %", "über 110,0 % bis 180,5 %"]


def test_classes_reduced_to_distinct_values():
    c = classify(
        pd.Series([5.0, 5.0, np.nan]), scheme="natural_breaks", k=5, palette="YlOrRd", integer=True
    )
    assert c.bins == (5.0,) and c.labels == ("5",) and len(c.colors) == 1
    assert classify(pd.Series([np.nan]), scheme="quantiles", k=5, palette="YlOrRd") is None


def test_unknown_scheme_is_rejected():
    with pytest.raises(ValueError, match="Klassifikation"):
        classify(pd.Series([1.0, 2.0, 3.0]), scheme="equal", k=2, palette="YlOrRd")


def test_german_number_format():
    assert zahl(1234.5, 1) == "1.234,5"
    assert zahl(1234567, 0) == "1.234.567"
    assert zahl(0.25, 2) == "0,25"


def test_legend_of_map_lists_classes_and_suppression(ws, counts):
    from thm_lib.publish.maps.legend import Legend

    m = kreis_map(ws, count_measure(counts), k=3)
    legend = [c for c in m._children.values() if isinstance(c, Legend)][0].inner
    assert "<h4>Zielgruppe (Personen)</h4>" in legend
    # shown: 0, 12, 40, 7, 100, 55, 18, 25 (3 and 2 suppressed); Jenks k=3 -> 0-25, 40-55, 100
    for label in (
        "0 bis 25",
        "26 bis 55",
        "56 bis 100",
        "&lt;5 oder „.“: aus Datenschutzgründen nicht gezeigt",
    ):
        assert label in legend, label


# --- suppression ------------------------------------------------------------------------------


def test_small_counts_never_in_tooltips(ws, counts):
    m = kreis_map(ws, count_measure(counts))
    props = _geojson_properties(m)
    assert set(props[0]) == {"ags", "name", "anzeige", "farbe"}
    by_ags = {p["ags"]: p["anzeige"] for p in props}
    assert by_ags["05999001"] == "&lt;5"  # 3
    assert by_ags["05999008"] == "&lt;5"  # 2
    assert by_ags["05999002"] == "0"
    # the raw small values appear nowhere in the published properties
    for p in props:
        assert p["anzeige"] not in {"1", "2", "3", "4"}


def test_single_small_count_gets_secondary_suppression():
    # with the Kreis total known, one "<5" alone could be recomputed: a second cell is hidden
    m = Measure(pd.Series([3.0, 10.0, 20.0, 30.0], index=list("abcd")), "Personen")
    shown = published_values(m, list("abcd"), 5)
    assert [s.suppressed for s in shown] == ["primär", "sekundär", "", ""]
    assert shown[0].text == "<5" and shown[1].text == ". (Datenschutz)"
    assert np.isnan(shown[0].number) and np.isnan(shown[1].number)
    assert [s.text for s in shown[2:]] == ["20", "30"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12))
@example([3, 0]).via("total is small itself")
@example([3, 1, 0, 10, 12]).via("two small cells")
@example([4, 0, 0, 30]).via("one small cell, others zero")
def test_property_suppressed_values_not_published(values):
    ags = [f"g{i}" for i in range(len(values))]
    shown = published_values(Measure(pd.Series(values, index=ags, dtype=float), "P"), ags, 5)
    for v, s in zip(values, shown, strict=True):
        if 1 <= v < 5:
            assert s.suppressed == "primär" and s.text == "<5" and np.isnan(s.number)
        if s.suppressed:
            assert str(v) not in s.text
        else:
            assert s.number == v
    if len(values) > 1 and sum(values) >= 5:
        # a lone hidden cell could be recomputed from the Kreis total (unless that is small too)
        assert sum(1 for s in shown if s.suppressed) != 1


def test_rates_are_not_suppressed_but_formatted(ws):
    vals = pd.Series(np.linspace(0.5, 5.0, 10), index=ws.gebiete["ags"])
    m = Measure(vals, "je 1.000 Einwohner", kind="quote", decimals=1)
    gem, entries = gemeinde_layer_data(ws.gebiete, m, 5, "quantiles", 2)
    assert gem["anzeige"].iloc[0] == "0,5" and gem["anzeige"].iloc[-1] == "5,0"
    assert (gem["unterdrueckt"] == "").all()
    assert [label for _, label in entries] == ["0,5 bis 2,8", "über 2,8 bis 5,0"]


def test_coverage_measure_selects_handlungsfeld():
    cov = pd.DataFrame(
        {
            "ags": ["1", "2", "1", "2"],
            "name": ["A", "B", "A", "B"],
            "handlungsfeld": ["Sprache", "Sprache", "Wohnen", "Wohnen"],
            "versorgungsgrad": [80.0, 120.0, 0.0, 50.0],
            "fehlende_plaetze": [2.4, 0.0, 7.0, 3.0],
        }
    )
    m = coverage_measure(cov, "versorgungsgrad", "Wohnen")
    assert m.label == "Versorgungsgrad Wohnen (%)" and m.kind == "prozent"
    assert m.values.to_dict() == {"1": 0.0, "2": 50.0}
    shown = published_values(m, ["1", "2"], 5)
    assert [s.text for s in shown] == ["0,0 %", "50,0 %"]  # one decimal, as in matrix and list
    assert coverage_measure(cov, "fehlende_plaetze", "Sprache").suppressed_kind
    with pytest.raises(KeyError):
        coverage_measure(cov, "unbekannt", "Sprache")
    with pytest.raises(KeyError):
        coverage_measure(cov, "versorgungsgrad", "Gesundheit")


def test_gap_class_measure_colours_and_tooltip(ws):
    from thm_lib.publish.maps import gap_class_measure

    ags = ws.gebiete["ags"].tolist()
    klassen = ["Unterversorgung", "bedarfsgerecht", "Überversorgung", "kein Bedarf"] * 3
    cov = pd.DataFrame(
        {
            "ags": ags,
            "handlungsfeld": "Sprache",
            "klasse": klassen[:10],
            "versorgungsgrad": [50.0, 100.0, 150.0, np.nan] * 2 + [60.0, 90.0],
        }
    )
    m = gap_class_measure(cov, "Sprache")
    gem, entries = gemeinde_layer_data(ws.gebiete, m, 5, "quantiles", 5)
    assert gem["farbe"].tolist()[:4] == ["#d7191c", "#a6d96a", "#2b83ba", "#f0f0f0"]
    assert gem["anzeige"].tolist()[:4] == [
        "Unterversorgung (Versorgungsgrad 50,0 %)",
        "bedarfsgerecht (Versorgungsgrad 100,0 %)",
        "Überversorgung (Versorgungsgrad 150,0 %)",
        "kein Bedarf",
    ]
    assert [label for _, label in entries] == [
        "Unterversorgung",
        "bedarfsgerecht",
        "Überversorgung",
        "kein Bedarf",
    ]
    assert "Versorgung Sprache" in map_html(kreis_map(ws, m))


def test_gap_class_map_hides_what_the_tables_hide(ws):
    # A class measure with the publication layer's hiding pattern: a hidden Gemeinde
    # shows the suppression mark, grey, never its class or Versorgungsgrad.
    from dataclasses import replace

    from thm_lib.publish.maps import gap_class_measure
    from thm_lib.publish.maps.measure import SUPPRESSED_COLOR

    ags = ws.gebiete["ags"].tolist()
    cov = pd.DataFrame(
        {
            "ags": ags,
            "handlungsfeld": "Sprache",
            "klasse": ["Unterversorgung", "bedarfsgerecht"] * 5,
            "versorgungsgrad": [50.0, 100.0] * 5,
        }
    )
    hidden = pd.Series([""] * 10, index=ags)
    hidden.iloc[[0, 3]] = "sekundär"
    m = replace(gap_class_measure(cov, "Sprache"), gesperrt=hidden, zeichen=".")
    shown = published_values(m, ags, 5)
    assert [s.suppressed for s in shown][:4] == ["sekundär", "", "", "sekundär"]
    assert shown[0].text == shown[3].text == ". (Datenschutz)"
    gem, entries = gemeinde_layer_data(ws.gebiete, m, 5, "quantiles", 5)
    assert gem["farbe"].tolist()[:4] == [SUPPRESSED_COLOR, "#a6d96a", "#d7191c", SUPPRESSED_COLOR]
    assert "Versorgungsgrad 50,0 %" not in " ".join(gem["anzeige"].iloc[[0]])
    labels = [label for _, label in entries]
    assert labels[:2] == ["Unterversorgung", "bedarfsgerecht"]
    assert any("Datenschutz" in label for label in labels)
    assert "keine Angabe" not in labels
    doc = map_html(kreis_map(ws, m))
    assert "keine Angabe" not in doc


def test_reach_measure_in_percent():
    from thm_lib.publish.maps import reach_measure

    m = reach_measure(pd.DataFrame({"ags": ["1", "2"], "reichweite": [0.47, np.nan]}))
    assert [s.text for s in published_values(m, ["1", "2"], 5)] == ["47 %", "keine Angabe"]


# --- offers -----------------------------------------------------------------------------------


def test_popup_content_of_known_offer(ws):
    a001 = ws.angebote.iloc[0]
    html = offer_popup_html(a001)
    assert "<b>Sprachkurs &lt;Nord&gt; &amp; Co</b>" in html
    for head, value in [
        ("Träger", "VHS Test"),
        ("Handlungsfeld", "Sprache"),
        ("Förderlinie", "Förderbaustein 6"),
        ("Plätze pro Jahr", "12"),
        ("Offen für Geduldete", "ja"),
        ("Offen für Gestattete", "nein"),
        ("Aufsuchend", "nein"),
    ]:
        assert re.search(f"<th[^>]*>{head}</th><td>{value}</td>", html), head
    assert "<Nord>" not in html


def test_catchment_radius_hand_checked(ws):
    # 45 min at 20 km/h = 15 km travel, / detour 1.3 = 11.538 km straight line
    assert catchment_radius_m(ws.annahmen) == pytest.approx(11538.46, abs=0.01)
    km = ws.annahmen.mit({"erreichbarkeit": {"einheit": "km", "schwelle": 13.0}})
    assert catchment_radius_m(km) == pytest.approx(10000.0)


def test_offer_layers_one_per_handlungsfeld(ws, counts):
    from thm_lib.publish.maps.interactive import OfferGroup

    m = kreis_map(ws, count_measure(counts), handlungsfeld="Schulabschluss", catchment=True)
    groups = {c.layer_name: c for c in m._children.values() if isinstance(c, OfferGroup)}
    assert set(groups) == {"Sprache (2)", "Schulabschluss (2)", "Berufsvorbereitung (2)"}
    assert groups["Schulabschluss (2)"].show and not groups["Sprache (2)"].show
    sprache = groups["Sprache (2)"].offers
    assert [o[3] for o in sprache] == [False, True]  # A002 is outreach: no ring in the browser
    assert sprache[0][4] == "Sprachkurs &lt;Nord&gt; &amp; Co"
    assert groups["Sprache (2)"].ring["radius"] == pytest.approx(11538.46, abs=0.01)
    assert "L.circleMarker(" in map_html(m)
    assert "L.circleMarker(" not in map_html(kreis_map(ws, count_measure(counts), offers=False))


def test_map_of_one_kommune(ws, counts):
    from thm_lib.publish.maps.interactive import OfferGroup

    one = ws.for_kommune("05999002")
    m = kreis_map(one, count_measure(counts))
    props = _geojson_properties(m)
    assert [p["ags"] for p in props] == ["05999002"] and props[0]["anzeige"] == "0"
    offers = [o for c in m._children.values() if isinstance(c, OfferGroup) for o in c.offers]
    assert len(offers) == len(one.angebote) == 1


# --- offline HTML -----------------------------------------------------------------------------


def test_saved_html_is_self_contained(ws, counts, tmp_path):
    before = (list(folium.Map.default_js), list(folium.Map.default_css))
    m = kreis_map(ws, count_measure(counts))
    path = save_map(m, tmp_path / "sub" / "karte.html")
    text = path.read_text(encoding="utf-8")
    js, css = leaflet_assets()
    assert js in text and css in text and "leaflet-control-layers" in text
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<script src" not in text and "<link rel" not in text
    assert "url(images/" not in text and "$(`" not in text
    assert "GeoBasis-DE / BKG" in text
    assert [p.name for p in path.parent.iterdir()] == ["karte.html"]  # no temp file left
    assert (list(folium.Map.default_js), list(folium.Map.default_css)) == before


def test_inlined_text_is_not_read_as_a_template():
    text = "<script>var a = '{{ x }}'; {% if b %} {# c #}</script>"
    assert Wortlaut(text).render() == text


def test_notebook_repr_inlines_the_same_assets(ws, counts):
    m = kreis_map(ws, count_measure(counts))
    rep = m._repr_html_()
    assert rep.startswith("<div") and "srcdoc=" in rep
    assert "cdn.jsdelivr" not in rep and "L.control.layers" in rep


def test_tiles_only_when_asked(ws, counts):
    assert "L.tileLayer(" not in map_html(kreis_map(ws, count_measure(counts)))
    assert "L.tileLayer(" in map_html(kreis_map(ws, count_measure(counts), tiles="OpenStreetMap"))


# --- geometry ---------------------------------------------------------------------------------


def test_simplification_keeps_shared_borders():
    polys = voronoi_coverage(30, (0.0, 0.0, 50_000.0, 50_000.0), seed=3, steps_per_edge=120)
    import geopandas as gpd

    g = gpd.GeoDataFrame(geometry=polys, crs="EPSG:25832")
    s = simplify_coverage(g, 100.0)
    geoms = np.asarray(s.geometry.values, dtype=object)
    assert vertex_count(s) < vertex_count(g) / 4
    assert bool(shapely.coverage_is_valid(geoms))
    union = shapely.union_all(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gaps
    assert union.area == pytest.approx(sum(p.area for p in geoms), rel=1e-9)  # no overlaps
    web = to_web(s, 5)
    assert web.crs.to_epsg() == 4326 and len(web) == 30


def test_auto_tolerance_scales_with_extent(ws):
    cfg = ws.annahmen.karten
    assert web_tolerance_m(ws.gebiete, cfg) == pytest.approx(40_000 / 2000, rel=0.05)
    assert web_tolerance_m(ws.gebiete, cfg, 7.0) == 7.0


# --- static PNG -------------------------------------------------------------------------------


def test_nice_length():
    assert nice_length(40_000) == 10_000
    assert nice_length(250_000) == 50_000
    assert nice_length(9_000) == 2_000


def test_kommune_map_hides_what_the_kreis_map_hides() -> None:
    """One small count forces a second hidden cell; a one-Gemeinde map must hide it too."""
    values = pd.Series([3.0, 40.0, 50.0, 60.0], index=["g1", "g2", "g3", "g4"])
    measure = count_measure(values)
    kreis = published_values(measure, list(values.index), 5)
    hidden = [a for a, s in zip(values.index, kreis, strict=True) if s.suppressed]
    assert hidden[0] == "g1" and len(hidden) == 2  # primary plus one secondary
    for ags in values.index:
        alone = published_values(measure, [ags], 5)[0]
        full = kreis[list(values.index).index(ags)]
        assert (alone.text, alone.suppressed) == (full.text, full.suppressed)
