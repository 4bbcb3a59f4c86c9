"""The Land index page and map (thm_lib.publish.land_index): German figures, hidden values,
unpublished Kreise, offline."""

from __future__ import annotations

import re
from dataclasses import replace

import folium
import pytest
import shapely

from thm_lib.publish.land_index import (
    LandZeile,
    fremde_land_seiten,
    land_index_html,
    land_karte,
    land_titel,
    schreibe_land_seiten,
)
from thm_lib.publish.maps import map_html, save_map
from thm_lib.publish.maps.legend import Legend
from thm_lib.publish.maps.measure import MISSING_COLOR, SUPPRESSED_COLOR

CDN = re.compile(r"(https?:)?//[\w.-]*(cdn|unpkg|googleapis|bootstrap)", re.I)


def _box(x: float) -> shapely.Polygon:
    return shapely.box(400_000 + x, 5_700_000, 420_000 + x, 5_720_000)


@pytest.fixture
def zeilen() -> list[LandZeile]:
    return [
        LandZeile(
            name="Kreis Nordheide (fiktiv)",
            ags="05901",
            href="kreis_nordheide_fiktiv/index.html",
            kreisfrei=False,
            kennzahlen={
                "zielgruppe": 1234,
                "stellen_faq": 2.5,
                "unterversorgung": 17,
                "luecken": ["Wohnen (Ulmenau): 12 Plätze fehlen"],
            },
            stand="31.01.2026",
            geometrie=_box(0),
        ),
        LandZeile(
            name="Stadt Ulmenau (fiktiv)",
            ags="05801",
            href="stadt_ulmenau_fiktiv/index.html",
            kreisfrei=True,
            kennzahlen={
                "zielgruppe": "<5",
                "stellen_faq": ".",
                "unterversorgung": 0,
                "luecken": [],
            },
            stand="30.01.2026",
            geometrie=_box(20_000),
        ),
        LandZeile(
            name="Kreis Südbörde <fiktiv> & Co",
            ags="05902",
            href="kreis_suedboerde_fiktiv/index.html",
            kreisfrei=False,
            kennzahlen={},
            veroeffentlicht=False,
            grund="Datenschutzprüfung nicht bestanden",
            geometrie=_box(40_000),
        ),
        LandZeile(
            name="Kreis Westmark (fiktiv)",
            ags="05903",
            href="kreis_westmark_fiktiv/index.html",
            kreisfrei=False,
            kennzahlen={
                "zielgruppe": 98765,
                "stellen_faq": 12.0,
                "unterversorgung": 3,
                "luecken": [],
            },
            stand="29.01.2026",
            geometrie=_box(60_000),
        ),
    ]


def _row(page: str, name: str) -> str:
    match = re.search(r"<tr><td>(?:(?!</tr>).)*" + re.escape(name) + r".*?</tr>", page, re.S)
    assert match, name
    return match.group(0)


def test_page_shows_every_kreis_in_german(zeilen):
    page = land_index_html(zeilen, schwelle=5, zeichen=".", titel=land_titel(zeilen))
    # headed by the Land of the Kreisschlüssel (was "Land NRW (synthetisch)" for every
    # Land run, real Arbeitsmappen too; round 2, session 42)
    assert "<h1>Nordrhein-Westfalen: Kreise und kreisfreie Städte</h1>" in page
    assert page.startswith("<!DOCTYPE html>") and '<html lang="de">' in page
    nord = _row(page, "Kreis Nordheide (fiktiv)")
    assert '<a href="kreis_nordheide_fiktiv/index.html">Kreis Nordheide (fiktiv)</a>' in nord
    assert ">1.234<" in nord and ">2,50<" in nord and ">17<" in nord
    assert "Wohnen (Ulmenau): 12 Plätze fehlen" in nord and ">Kreis<" in nord
    assert ">98.765<" in _row(page, "Kreis Westmark") and ">12,00<" in _row(page, "Westmark")
    stadt = _row(page, "Stadt Ulmenau (fiktiv)")
    assert "kreisfreie Stadt" in stadt and "stadt_ulmenau_fiktiv/index.html" in stadt
    cells = re.findall(r'<td class="zahl">(.*?)</td>', stadt)
    assert cells == ["&lt;5", ".", "0"]  # the hidden symbol, never 0 or – for the hidden ones
    sued = _row(page, "Südbörde")
    assert "Kreis Südbörde &lt;fiktiv&gt; &amp; Co" in sued  # escaped
    assert "nicht veröffentlicht" in sued and "Datenschutzprüfung nicht bestanden" in sued
    assert "<a href" not in sued  # never published: nothing to link to
    assert re.findall(r'<td class="zahl">(.*?)</td>', sued) == ["–", "–", "–"]
    assert "4 Kreise und kreisfreie Städte, davon 3 mit veröffentlichtem Bericht" in page
    assert '<a href="karte.html">' in page
    assert "Keine Landessumme der Zielgruppe" in page
    assert "die der Kreis in\nseinen Annahmen festlegt (genannt im Index jedes Kreises)" in page
    assert "99.999" not in page and "Land insgesamt" not in page  # 1234 + 98765: no total


def test_the_title_is_the_land_of_the_kreisschluessel(zeilen):
    assert land_titel(zeilen) == "Nordrhein-Westfalen"
    assert land_titel([*zeilen, replace(zeilen[0], ags="09162")]) == "Mehrere Länder"
    assert land_titel([replace(zeilen[0], ags="03241")]) == "Niedersachsen"
    assert land_titel([replace(zeilen[0], ags="99001")]) == "Mehrere Länder"  # unknown key
    # a Kreis that did not load has no key: it does not make NRW "Mehrere Länder"
    nicht_geladen = replace(zeilen[2], ags="", veroeffentlicht=False)
    assert land_titel([*zeilen, nicht_geladen]) == "Nordrhein-Westfalen"
    assert land_titel([nicht_geladen]) == "Landesübersicht"
    page = land_index_html(zeilen[:1], schwelle=5, zeichen=".", titel=land_titel(zeilen[:1]))
    assert "<p>1 Kreis oder kreisfreie Stadt, davon 1 mit veröffentlichtem Bericht." in page


def test_page_loads_nothing_from_the_internet(zeilen):
    page = land_index_html(zeilen, schwelle=5, zeichen=".", titel="Testland", karte="")
    assert "http" not in page and "<script" not in page and "<link" not in page
    assert "<title>THM-Werkbank – Testland: Kreise und kreisfreie Städte</title>" in page
    assert "karte.html" not in page


def test_other_mark_and_threshold(zeilen):
    zeilen[1].kennzahlen = {**zeilen[1].kennzahlen, "zielgruppe": "x", "stellen_faq": "x"}
    page = land_index_html(zeilen, schwelle=3, zeichen="x", titel="Testland")
    assert re.findall(r'<td class="zahl">(.*?)</td>', _row(page, "Stadt Ulmenau"))[:2] == ["x", "x"]
    assert "(1 bis 2) werden als „&lt;3“" in page


def test_kreise_with_their_own_threshold_and_mark_are_named_each(zeilen):
    # found with a search of mixed settings (round 2, session 49): the page named only the
    # strictest threshold and its mark ("<10", "•"); a Kreis's "x" stood there unexplained
    zeilen[0].schutz = (3, "x")
    zeilen[0].kennzahlen = {**zeilen[0].kennzahlen, "unterversorgung": "x", "luecken": []}
    zeilen[1].schutz = (10, "•")
    zeilen[1].kennzahlen = {**zeilen[1].kennzahlen, "zielgruppe": "<10", "stellen_faq": "•"}
    page = land_index_html(zeilen, schwelle=10, zeichen="•", titel="Testland")
    text = re.sub(r"\s+", " ", page)
    assert "Kleine Zahlen zeigt jeder Kreis nach seinen Annahmen:" in text
    assert "1 bis 2 als „&lt;3“, Werte, aus denen sie sich zurückrechnen ließen, als „x“ " in text
    assert "(Kreis Nordheide (fiktiv))" in text
    # Westmark has no settings of its own: the page's
    assert "1 bis 9 als „&lt;10“" in text and "(Stadt Ulmenau (fiktiv), Kreis Westmark" in text
    assert "das Zeichen des Kreises, wo alle verborgen sind" in text
    assert "werden als" not in text  # the one-setting sentence
    # Nordheide's gaps, all hidden, read its own mark; the table shows no count below 3
    zellen = re.findall(r'<td(?: class="zahl")?>(.*?)</td>', _row(page, "Nordheide"), re.S)
    assert zellen[5:7] == ["x", "x"]  # Unterversorgung, Größte Lücken
    assert 'data-thm-published="3"' in page
    karte = land_karte(zeilen, schwelle=10, zeichen="•")
    legend = [c for c in karte._children.values() if isinstance(c, Legend)][0]
    assert "&lt;3 oder „x“, &lt;10 oder „•“: aus Datenschutzgründen" in legend.inner


def _features(m: folium.Map) -> list[dict]:
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 1
    return layers[0].data["features"]


def test_map_colours_hidden_and_missing_and_saves_offline(zeilen, tmp_path):
    m = land_karte(zeilen)
    props = {f["properties"]["ags"]: f["properties"] for f in _features(m)}
    assert set(props) == {"05901", "05801", "05902", "05903"}
    assert props["05801"]["farbe"] == SUPPRESSED_COLOR
    assert props["05902"]["farbe"] == MISSING_COLOR
    assert props["05901"]["farbe"] != props["05903"]["farbe"]  # two classes of shown values
    assert {props["05901"]["farbe"], props["05903"]["farbe"]}.isdisjoint(
        {SUPPRESSED_COLOR, MISSING_COLOR}
    )
    assert "Zielgruppe: &lt;5" in props["05801"]["tooltip"]
    assert "Zielgruppe: 1.234" in props["05901"]["tooltip"]
    assert "nicht veröffentlicht" in props["05902"]["tooltip"]
    lon, lat = _features(m)[0]["geometry"]["coordinates"][0][0]
    assert 5 < lon < 10 and 50 < lat < 53  # WGS84 for the web map
    path = save_map(m, tmp_path / "karte.html")
    text = path.read_text(encoding="utf-8")
    assert "L.geoJson" in text or "L.geoJSON" in text
    assert not CDN.search(text) and "cdn.jsdelivr" not in text
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)\s*=\s*["']?(https?:)?//""", text)
    legend = [c for c in m._children.values() if isinstance(c, Legend)][0].inner
    assert "<h4>Zielgruppe (Personen)</h4>" in legend
    assert "&lt;5 oder „.“: aus Datenschutzgründen nicht gezeigt" in legend
    assert "keine Angabe" in legend and SUPPRESSED_COLOR in legend


def test_both_pages_written(zeilen, tmp_path):
    index, karte = schreibe_land_seiten(tmp_path / "land", zeilen, schwelle=5, zeichen=".")
    assert index.name == "index.html" and karte.name == "karte.html"
    assert '<a href="karte.html">' in index.read_text(encoding="utf-8")
    assert not CDN.search(karte.read_text(encoding="utf-8"))
    assert sorted(p.name for p in index.parent.iterdir()) == ["index.html", "karte.html"]


def test_pages_of_a_land_run_are_recognised_others_are_not(zeilen, tmp_path):
    ordner = tmp_path / "land"
    assert fremde_land_seiten(ordner) == []  # nothing there yet
    schreibe_land_seiten(ordner, zeilen, schwelle=5, zeichen=".")
    assert fremde_land_seiten(ordner) == []
    (ordner / "karte.html").write_text("<html>eigene Karte</html>", encoding="utf-8")
    assert fremde_land_seiten(ordner) == []  # the Land index vouches for the map beside it
    (ordner / "index.html").write_text("<html>eigene Seite</html>", encoding="utf-8")
    assert fremde_land_seiten(ordner) == [ordner / "index.html", ordner / "karte.html"]
    # the map alone carries the mark, too (written first, before the index)
    (ordner / "index.html").unlink()
    save_map(land_karte(zeilen), ordner / "karte.html")
    assert fremde_land_seiten(ordner) == []
    # an index of an earlier version has no <meta>, only the body class
    alt = land_index_html(zeilen, schwelle=5, zeichen=".", titel="Testland")
    alt = alt.replace('<meta name="thm-land"', "<x")
    (ordner / "index.html").write_text(alt, encoding="utf-8")
    assert fremde_land_seiten(ordner) == []


def test_map_without_geometry_or_figures(zeilen):
    for z in zeilen:
        z.kennzahlen = {}
    zeilen[0].geometrie = None
    m = land_karte(zeilen)
    assert len(_features(m)) == 3
    assert {f["properties"]["farbe"] for f in _features(m)} == {MISSING_COLOR}
    assert not CDN.search(map_html(m))
