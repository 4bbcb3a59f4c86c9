"""The interactive Kreis map (folium, offline): choropleth, offers, catchment rings."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from itertools import compress
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from jinja2 import Template

from thm_lib.analysis.access import straight_line_reach_km, valid_at
from thm_lib.core import labels
from thm_lib.core.formats import zahl
from thm_lib.core.settings import Annahmen, Karten
from thm_lib.core.workspace import CRS_METRIC, Workspace
from thm_lib.publish.maps.geometry import simplify_coverage, to_web
from thm_lib.publish.maps.legend import (
    Attribution,
    Legend,
    MetricScale,
    legend_entries,
    legend_html,
)
from thm_lib.publish.maps.measure import (
    Measure,
    Scheme,
    as_measure,
    fill_colors,
    palette_colors,
    published_values,
)
from thm_lib.publish.maps.offline import OfflineMap

#: Leaflet panes (z-index): Gemeinden in Leaflet's ``overlayPane`` (400), rings
#: above, offer markers on top; separate panes keep the layers countable in tests.
PANE_RINGS = "einzugsbereiche"
PANE_OFFERS = "angebote"
CLASS_GEMEINDE = "thm-gemeinde"
CLASS_OFFER = "thm-angebot"
CLASS_RING = "thm-einzugsbereich"

_METERS_PER_KM = 1000.0


def handlungsfeld_colors(handlungsfelder: list[str]) -> dict[str, str]:
    """One colour per Handlungsfeld, in configured order.

    ColorBrewer "Paired" (12 classes) for the default list; configured extra
    Handlungsfelder get the 8 "Dark2" colours, so up to 20 fields stay apart
    in the legend (beyond that the colours repeat).
    """
    colors = palette_colors("Paired", 12) + palette_colors("Dark2", 8)
    return {hf: colors[i % len(colors)] for i, hf in enumerate(handlungsfelder)}


def _ja_nein(value: Any) -> str:
    return "ja" if bool(value) and not pd.isna(value) else "nein"


def offer_popup_html(angebot: Mapping[str, Any]) -> str:
    """HTML of an offer's popup: name, Träger, Handlungsfeld, Förderlinie, places, access.

    All values are HTML-escaped.
    """
    plaetze = angebot.get("plaetze")
    plaetze_text = (
        "keine Angabe" if plaetze is None or pd.isna(plaetze) else zahl(float(plaetze), 0)
    )
    foerder = str(angebot.get("foerderlinie") or "")
    rows = [
        ("Träger", str(angebot.get("traeger") or "")),
        ("Handlungsfeld", str(angebot.get("handlungsfeld") or "")),
        ("Förderlinie", labels.FOERDERLINIE_LABEL.get(foerder, foerder)),
        ("Plätze pro Jahr", plaetze_text),
        ("Offen für Geduldete", _ja_nein(angebot.get("zugang_duldung"))),
        ("Offen für Gestattete", _ja_nein(angebot.get("zugang_gestattung"))),
        ("Aufsuchend", _ja_nein(angebot.get("aufsuchend"))),
    ]
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    name = html.escape(str(angebot.get("name") or ""))
    return f"<div class='thm-popup'><b>{name}</b><table>{body}</table></div>"


def catchment_radius_m(annahmen: Annahmen) -> float:
    """Straight-line radius of the access threshold, in metres (see
    :func:`thm_lib.analysis.access.straight_line_reach_km`)."""
    return straight_line_reach_km(annahmen) * _METERS_PER_KM


def gemeinde_layer_data(
    gebiete: gpd.GeoDataFrame, measure: Measure, threshold: int, scheme: Scheme, k: int
) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]]]:
    """The Gemeinden as they are drawn: publishable text, fill colour, legend.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        ``ags``, ``name`` and ``anzeige`` (tooltip text, small counts
        suppressed; both HTML-escaped), ``unterdrueckt`` (``""``, ``"primär"``,
        ``"sekundär"``), ``farbe``, geometry. The raw values of suppressed
        Gemeinden are not kept.
    entries : list of (colour, label)
        The choropleth legend, with the suppression and "keine Angabe"
        entries where they occur.
    """
    ags = gebiete["ags"].astype(str).tolist()
    shown = published_values(measure, ags, threshold)
    colors, entries = fill_colors(measure, ags, shown, scheme, k)
    out = gebiete[["ags", "name", "geometry"]].copy()
    out["anzeige"] = [html.escape(s.text) for s in shown]
    out["unterdrueckt"] = [s.suppressed for s in shown]
    out["farbe"] = colors
    out["name"] = out["name"].map(lambda s: html.escape(str(s)))
    entries = legend_entries(
        entries,
        any_suppressed=any(s.suppressed for s in shown),
        any_missing=measure.kind != "klasse" and any(s.missing for s in shown),
        threshold=threshold,
        symbol=measure.zeichen,
    )
    return out, entries


def web_tolerance_m(
    gebiete: gpd.GeoDataFrame, cfg: Karten, simplify_m: float | None = None
) -> float:
    """Simplification tolerance in metres for a web map of ``gebiete``.

    ``simplify_m`` if given, else ``karten.vereinfachung_m``, else automatic:
    the larger side of the area's bounding box (EPSG:25832) divided by
    ``karten.vereinfachung_teile`` — about half a screen pixel when the whole
    area fills a map ~1,000 px wide.
    """
    if simplify_m is not None:
        return float(simplify_m)
    if cfg.vereinfachung_m is not None:
        return float(cfg.vereinfachung_m)
    if gebiete.empty:
        return 0.0
    minx, miny, maxx, maxy = gebiete.to_crs(CRS_METRIC).total_bounds
    return max(maxx - minx, maxy - miny) / float(cfg.vereinfachung_teile)


def kreis_map(
    ws: Workspace,
    measure: Measure | pd.Series,
    *,
    label: str | None = None,
    handlungsfeld: str | None = None,
    scheme: Scheme | None = None,
    k: int | None = None,
    tiles: str | None = None,
    catchment: bool = False,
    offers: bool = True,
    only_valid_offers: bool = True,
    attribution: str | None = None,
    simplify_m: float | None = None,
    width: str | int = "100%",
    height: str | int = "100%",
) -> folium.Map:
    """Interactive map of a Kreis (or one Kommune): choropleth, offers, legend.

    Parameters
    ----------
    ws : thm_lib.core.workspace.Workspace
        Gemeinden, offers and assumptions (``ws.for_kommune(ags)`` for one Kommune).
    measure : Measure or pandas.Series
        One value per Gemeinde (index ``ags``) from an analysis module; see
        :func:`~thm_lib.publish.maps.count_measure`, :func:`~thm_lib.publish.maps.coverage_measure`.
        A bare Series counts as persons (suppressed when small).
    label : str, optional
        Title for a bare Series (default: its name).
    handlungsfeld : str, optional
        Show only this Handlungsfeld's offers at first; the others stay in the
        layer control, switched off.
    scheme : {"natural_breaks", "quantiles"}, optional
        Classification (default ``annahmen.karten.klassifikation``).
    k : int, optional
        Number of classes (default ``annahmen.karten.klassen``).
    tiles : str, optional
        A folium/xyzservices tile name (e.g. ``"OpenStreetMap"``); needs
        network. Default: no base map.
    catchment : bool
        Draw a ring of the access threshold (straight-line equivalent) around
        each stationary offer.
    offers : bool
        Draw the offers.
    only_valid_offers : bool
        Only offers valid at ``ws.stichtag``.
    attribution : str, optional
        Source of the boundaries (default ``annahmen.karten.quellenangabe``).
    simplify_m : float, optional
        Simplification tolerance in metres (default: :func:`web_tolerance_m`).
    width, height : str or int
        Map size (CSS units or pixels).

    Returns
    -------
    folium.Map
        An :class:`~thm_lib.publish.maps.offline.OfflineMap`; display it in a notebook
        or save it with :func:`~thm_lib.publish.maps.save_map`.
    """
    cfg = ws.annahmen.karten
    m_ = as_measure(measure, label)
    threshold = int(ws.annahmen.datenschutz.schwelle)
    scheme = scheme or cfg.klassifikation
    k = int(k if k is not None else cfg.klassen)
    tol = web_tolerance_m(ws.gebiete, cfg, simplify_m)
    decimals = cfg.koordinaten_stellen

    gem, entries = gemeinde_layer_data(ws.gebiete, m_, threshold, scheme, k)
    web = to_web(simplify_coverage(gem, tol), decimals)

    minx, miny, maxx, maxy = web.total_bounds
    fmap = OfflineMap(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=10,
        tiles=tiles,
        width=width,
        height=height,
        control_scale=False,
        prefer_canvas=False,
        zoom_snap=0.25,
    )
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.map.CustomPane(PANE_RINGS, z_index=420, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(PANE_OFFERS, z_index=450, pointer_events=True).add_to(fmap)

    _add_gemeinden(fmap, web, m_.label)
    hf_colors = handlungsfeld_colors(list(ws.annahmen.handlungsfelder))
    used = (
        _add_offers(fmap, ws, hf_colors, handlungsfeld, catchment, only_valid_offers)
        if offers
        else []
    )

    note = "Kreise: Erreichbarkeitsschwelle als Luftlinie (Näherung)" if catchment else None
    Legend(
        legend_html(m_.label, entries, [(hf_colors.get(h, "#777"), h) for h in used], note)
    ).add_to(fmap)
    MetricScale().add_to(fmap)
    Attribution(attribution or cfg.quellenangabe or "").add_to(fmap)
    # top left under the zoom buttons: the legend (bottom right) never covers it
    folium.LayerControl(collapsed=False, position="topleft").add_to(fmap)
    return fmap


def flaechen_layer(
    data: dict[str, Any], name: str, tooltip: folium.GeoJsonTooltip, class_name: str
) -> folium.GeoJson:
    """Areas filled with their ``farbe`` property, outlined, highlighted on hover.

    One look for the Gemeinden of a Kreis map and the Kreise of the Land map.
    ``data`` holds only publishable properties (GeoJSON of the shown values).
    """
    layer = folium.GeoJson(
        data,
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["farbe"],
            "color": "#444444",
            "weight": 1,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=tooltip,
        control=True,
    )
    layer.options["className"] = class_name
    return layer


def _add_gemeinden(fmap: folium.Map, web: gpd.GeoDataFrame, label: str) -> None:
    # Only the publishable columns go into the HTML (no raw suppressed values).
    data = json.loads(web[["ags", "name", "anzeige", "farbe", "geometry"]].to_json(drop_id=True))
    tooltip = folium.GeoJsonTooltip(
        fields=["name", "anzeige"],
        aliases=["Gemeinde", html.escape(label)],
        sticky=True,
        labels=True,
    )
    flaechen_layer(data, "Gemeinden", tooltip, CLASS_GEMEINDE).add_to(fmap)


class OfferGroup(folium.FeatureGroup):
    """One toggleable layer of offers (circle markers, popups, optional rings).

    The markers are created in the browser from one compact JSON array
    instead of one folium ``CircleMarker`` + ``Popup`` + ``Tooltip`` element
    each: that keeps a map with ~1,000 offers small (≈0.5 kB per offer
    instead of ≈2 kB) and needs no jQuery (folium's ``Popup`` does).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group, offers, style, ring) {
                offers.forEach(function (o) {
                    if (ring && !o[3]) { L.circle([o[0], o[1]], ring).addTo(group); }
                    L.circleMarker([o[0], o[1]], style)
                        .bindPopup(o[2], {maxWidth: 320})
                        .bindTooltip(o[4])
                        .addTo(group);
                });
            })({{ this.get_name() }}, {{ this.offers|tojson }}, {{ this.style|tojson }},
               {{ this.ring|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        color: str,
        offers: list[list[Any]],
        ring_radius_m: float | None,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "OfferGroup"
        self.offers = offers
        self.style = {
            "radius": 6,
            "color": "#333333",
            "weight": 1,
            "fill": True,
            "fillColor": color,
            "fillOpacity": 0.95,
            "pane": PANE_OFFERS,
            "className": CLASS_OFFER,
        }
        self.ring = (
            None
            if ring_radius_m is None
            else {
                "radius": ring_radius_m,
                "color": color,
                "weight": 1,
                "fill": False,
                "dashArray": "4 4",
                "interactive": False,
                "pane": PANE_RINGS,
                "className": CLASS_RING,
            }
        )


def _add_offers(
    fmap: folium.Map,
    ws: Workspace,
    colors: dict[str, str],
    handlungsfeld: str | None,
    catchment: bool,
    only_valid: bool,
) -> list[str]:
    ang = ws.angebote
    if only_valid and len(ang):
        ang = ang[valid_at(ang, ws.stichtag)]
    ang = ang[ang.geometry.notna() & ~ang.geometry.is_empty]
    if ang.empty:
        return []
    pts = ang.geometry.to_crs("EPSG:4326")
    radius = catchment_radius_m(ws.annahmen) if catchment else None
    order = list(colors) + sorted(set(ang["handlungsfeld"]) - set(colors))
    used = [hf for hf in order if (ang["handlungsfeld"] == hf).any()]
    zeilen = pd.DataFrame(ang.drop(columns=ang.geometry.name)).to_dict("records")
    for hf in used:
        sel = (ang["handlungsfeld"] == hf).to_numpy()
        offers = [
            [
                round(pt.y, 6),
                round(pt.x, 6),
                offer_popup_html(row),
                bool(row.get("aufsuchend")),
                html.escape(str(row.get("name") or "")),
            ]
            for row, pt in zip(compress(zeilen, sel), pts[sel], strict=True)
        ]
        OfferGroup(
            f"{hf} ({len(offers)})",
            colors.get(hf, "#777777"),
            offers,
            radius,
            show=handlungsfeld is None or hf == handlungsfeld,
        ).add_to(fmap)
    return used
