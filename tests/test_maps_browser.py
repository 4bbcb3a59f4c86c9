"""The saved Kreis map in headless Debian chromium with every non-local request blocked.

Fixtures ``browser``/``page``/``offline_page``/``artifacts_dir`` are in ``conftest.py``.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from thm_lib.analysis import target_group
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish.maps import count_measure, kreis_map, map_html, save_map
from thm_lib.publish.maps.interactive import (
    CLASS_GEMEINDE,
    CLASS_OFFER,
    CLASS_RING,
    handlungsfeld_colors,
)

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
GEMEINDEN = f".leaflet-overlay-pane path.{CLASS_GEMEINDE}"
OFFERS = f".leaflet-angebote-pane path.{CLASS_OFFER}"


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


@pytest.fixture(scope="module")
def geduldete(ws):
    seg = target_group.segments(ws.zielgruppe, ws.annahmen)
    table = target_group.per_gemeinde(seg, ws.gebiete).set_index("ags")
    return count_measure(table["duldung"], "Geduldete 18–27 Jahre")


def _expected_offers(ws) -> pd.DataFrame:
    """Offers with a location that are valid at the Stichtag (counted here, independently)."""
    a = ws.angebote
    st = ws.stichtag
    ok = (
        a.geometry.notna()
        & ~a.geometry.is_empty
        & (a["beginn"].isna() | (a["beginn"] <= st))
        & (a["ende"].isna() | (a["ende"] >= st))
    )
    return a[ok]


def _open(page, path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector(GEMEINDEN)
    page.errors = errors


def test_saved_map_renders_offline(ws, geduldete, offline_page, tmp_path, artifacts_dir):
    page = offline_page
    path = save_map(kreis_map(ws, geduldete, catchment=True), tmp_path / "karte.html")
    _open(page, path)
    offers = _expected_offers(ws)
    assert len(ws.gebiete) == 12 and len(offers) > 20
    assert page.locator(GEMEINDEN).count() == len(ws.gebiete)
    assert page.locator(OFFERS).count() == len(offers)
    assert page.locator(".thm-legende").inner_text().startswith("Geduldete 18–27 Jahre")
    attribution = page.locator(".leaflet-control-attribution").inner_text()
    assert "Musterkreis (fiktiv), synthetisch erzeugt" in attribution
    page.screenshot(path=str(artifacts_dir / "karte_musterkreis.png"))
    assert page.blocked_requests == [] and page.errors == []

    # switching a Handlungsfeld off hides exactly its markers, and back on shows them again
    feld = "Sprache"
    n_feld = int((offers["handlungsfeld"] == feld).sum())
    color = handlungsfeld_colors(ws.handlungsfelder)[feld]
    assert n_feld > 0
    box = page.locator(".leaflet-control-layers-overlays label", has_text=f"{feld} (")
    assert box.count() == 1
    box.locator("input").uncheck()
    assert page.locator(OFFERS).count() == len(offers) - n_feld
    assert page.locator(f'{OFFERS}[fill="{color}"]').count() == 0
    assert page.locator(f'path.{CLASS_RING}[stroke="{color}"]').count() == 0
    page.screenshot(path=str(artifacts_dir / "karte_musterkreis_ohne_sprache.png"))
    box.locator("input").check()
    assert page.locator(f'{OFFERS}[fill="{color}"]').count() == n_feld
    n_rings = int(
        (offers["handlungsfeld"] == feld).sum()
        - offers.loc[offers["handlungsfeld"] == feld, "aufsuchend"].sum()
    )
    assert page.locator(f'path.{CLASS_RING}[stroke="{color}"]').count() == n_rings


def test_blocking_is_effective_tiles_are_requested_but_blocked(
    ws, geduldete, offline_page, tmp_path
):
    # guards the guard: a map with web tiles asks the network, and the fixture notices
    page = offline_page
    _open(page, save_map(kreis_map(ws, geduldete, tiles="OpenStreetMap"), tmp_path / "k.html"))
    page.wait_for_timeout(300)
    assert page.locator(GEMEINDEN).count() == len(ws.gebiete)
    assert any("openstreetmap" in u for u in page.blocked_requests)


def test_tooltip_shows_suppressed_count(ws, geduldete, offline_page, tmp_path):
    page = offline_page
    m = kreis_map(ws, geduldete, offers=False)
    _open(page, save_map(m, tmp_path / "karte.html"))
    values = geduldete.values.reindex(ws.gebiete["ags"])
    small = ws.gebiete[(values.between(1, 4)).to_numpy()]
    assert len(small) >= 1
    row = small.iloc[0]
    pt = small.to_crs("EPSG:4326").geometry.iloc[0].representative_point()
    xy = page.evaluate(f"{m.get_name()}.latLngToContainerPoint([{pt.y}, {pt.x}])")
    page.mouse.move(xy["x"], xy["y"])
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for()
    text = tip.inner_text()
    assert html.unescape(row["name"]) in text and "<5" in text
    assert str(int(values.loc[row["ags"]])) not in text.replace("<5", "")


@pytest.mark.parametrize("embedding", ["notebook", "sandbox"])
def test_inline_iframe_renders_offline(ws, geduldete, offline_page, tmp_path, embedding):
    # "notebook": folium's _repr_html_ (Jupyter, Voilà output); "sandbox": the page in an
    # <iframe srcdoc sandbox="allow-scripts">, as an app embeds it
    page = offline_page
    m = kreis_map(ws, geduldete, height="600px")
    if embedding == "notebook":
        inner = m._repr_html_()
    else:
        inner = (
            f'<iframe srcdoc="{html.escape(map_html(m), quote=True)}" '
            'style="width:100%;height:620px" sandbox="allow-scripts"></iframe>'
        )
    wrapper = tmp_path / "seite.html"
    wrapper.write_text(
        f"<!DOCTYPE html><html><body><div style='width:900px'>{inner}</div></body></html>",
        encoding="utf-8",
    )
    page.goto(wrapper.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(GEMEINDEN).first.wait_for()
    assert frame.locator(GEMEINDEN).count() == len(ws.gebiete)
    assert frame.locator(OFFERS).count() == len(_expected_offers(ws))
    assert page.blocked_requests == []
