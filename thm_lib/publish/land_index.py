"""The Land index: one page and one map over all Kreise and kreisfreie Städte of a Land run.

Pure rendering: the batch decides what a Kreis published and hands one
:class:`LandZeile` per Kreis (its key figures exactly as stored per report,
see :func:`thm_lib.run.report.key_figures`). :func:`land_index_html` renders
``vorlagen/land_index.html.j2`` with the report stylesheet;
:func:`land_karte` draws the Kreise coloured by their target group
(offline, :mod:`thm_lib.publish.maps.offline`); :func:`schreibe_land_seiten`
writes both. Nothing is loaded from the internet.

There is deliberately no Land total of the target group: beside a hidden
value, the sum of the shown values would reveal it (the total is known from
official statistics).
"""

from __future__ import annotations

import html
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely

from thm_lib.core.atomic import atomic_write_text
from thm_lib.core.formats import zahl
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import CRS_METRIC
from thm_lib.disclosure.suppression import small_label
from thm_lib.publish.html_seiten import seite
from thm_lib.publish.maps.geometry import simplify_coverage, to_web
from thm_lib.publish.maps.interactive import flaechen_layer
from thm_lib.publish.maps.legend import Attribution, Legend, legend_entries, legend_html
from thm_lib.publish.maps.measure import MISSING_COLOR, SUPPRESSED_COLOR, classify
from thm_lib.publish.maps.offline import OfflineMap, save_map

LOGGER = logging.getLogger(__name__)

LAENDER = {
    "01": "Schleswig-Holstein",
    "02": "Hamburg",
    "03": "Niedersachsen",
    "04": "Bremen",
    "05": "Nordrhein-Westfalen",
    "06": "Hessen",
    "07": "Rheinland-Pfalz",
    "08": "Baden-Württemberg",
    "09": "Bayern",
    "10": "Saarland",
    "11": "Berlin",
    "12": "Brandenburg",
    "13": "Mecklenburg-Vorpommern",
    "14": "Sachsen",
    "15": "Sachsen-Anhalt",
    "16": "Thüringen",
}
"""The Länder by their Länderschlüssel (the first two digits of every AGS)."""
KEIN_WERT = "–"
"""Shown where a Kreis has no figure at all (never published); not the mark of a hidden value."""
ART = {True: "kreisfreie Stadt", False: "Kreis"}
CLASS_KREIS = "thm-kreis"
LAND_META = "thm-land"
"""Name of the ``<meta>`` element marking a Land page (index and map) as written here."""
LAND_SEITEN = ("index.html", "karte.html")
"""The files a Land run writes into its output folder (:func:`schreibe_land_seiten`)."""
VEREINFACHUNG_M = 200.0
"""Simplification of the Kreis outlines for the web map (metres)."""


@dataclass
class LandZeile:
    """One Kreis or kreisfreie Stadt of the Land index.

    Attributes
    ----------
    name : str
        Name of the Kreis, e.g. ``"Kreis Nordheide (fiktiv)"``.
    ags : str
        Kreisschlüssel (5 digits).
    href : str
        Relative link to the Kreis's index, e.g. ``"kreis_nordheide_fiktiv/index.html"``.
    kreisfrei : bool
        A kreisfreie Stadt (one applicant) rather than a Kreis.
    kennzahlen : dict
        The key figures as the batch stores them per report: ``zielgruppe``
        (int, or the suppression symbol), ``stellen_faq`` (float or symbol),
        ``unterversorgung`` (text as published, e.g. ``mindestens 7``; a number in states
        written before Runde 2, Sitzung 18), ``luecken`` (list of
        str). Empty when the Kreis has never published.
    veroeffentlicht : bool
        The last run of the Kreis was published.
    grund : str
        German reason when it was not.
    stand : str
        Date of the last published run (``""`` if none).
    geometrie : shapely.Geometry or None
        Outline of the Kreis in EPSG:25832 (for the map).
    schutz : tuple of (int, str) or None
        Threshold and symbol the Kreis publishes with (its ``annahmen.datenschutz``);
        None: those of the page.
    """

    name: str
    ags: str
    href: str
    kreisfrei: bool
    kennzahlen: dict[str, Any] = field(default_factory=dict)
    veroeffentlicht: bool = True
    grund: str = ""
    stand: str = ""
    geometrie: shapely.Geometry | None = None
    schutz: tuple[int, str] | None = None

    @property
    def hat_zahlen(self) -> bool:
        """True when there are figures to show (published now or earlier)."""
        return bool(self.kennzahlen)


def _text(value: Any, decimals: int = 0) -> str:
    """German number, the symbol of a hidden value unchanged, ``–`` for no value."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return KEIN_WERT
    return zahl(value, decimals)


def _anzeige(z: LandZeile, schutz: tuple[int, str]) -> dict[str, Any]:
    k = z.kennzahlen if z.hat_zahlen else {}
    return {
        "zeichen": (z.schutz or schutz)[1],
        "name": z.name,
        "ags": z.ags,
        "href": z.href if (z.veroeffentlicht or z.stand) and z.href else "",
        "art": ART[bool(z.kreisfrei)],
        "zielgruppe": _text(k.get("zielgruppe")),
        "stellen": _text(k.get("stellen_faq"), 2),
        "unterversorgung": _text(k.get("unterversorgung")),
        "luecken": [str(x) for x in k.get("luecken", [])],
        "veroeffentlicht": z.veroeffentlicht,
        "grund": z.grund or "kein Bericht",
        "stand": z.stand,
    }


def land_titel(zeilen: list[LandZeile]) -> str:
    """The heading of a Land run: the Land of its Kreise, by their Länderschlüssel.

    Kreise of several Länder (or unknown keys) are headed ``"Mehrere Länder"``; Kreise
    without a key (an Arbeitsmappe that did not load) do not count, and a run of only
    such Kreise is headed ``"Landesübersicht"`` (round 2, session 56: one Kreis that did
    not load headed NRW "Mehrere Länder"). Not "synthetisch": whether the data are
    invented says every Kreis's name (the sample's and ``thm beispiel-land``'s end in
    ``(fiktiv)``).

    Examples
    --------
    >>> land_titel([LandZeile("Kreis A", "05958", "a/index.html", False)])
    'Nordrhein-Westfalen'
    """
    laender = {LAENDER.get(z.ags[:2]) for z in zeilen if z.ags}
    if not laender:
        return "Landesübersicht"
    return laender.pop() if len(laender) == 1 and None not in laender else "Mehrere Länder"


def _schutzgruppen(zeilen: list[LandZeile], schutz: tuple[int, str]) -> list[dict[str, Any]]:
    """The thresholds and symbols of the Kreise with figures (``schutz`` for those without
    their own), each with the names of its Kreise; one group where all agree.

    Round 2, session 49: a Land run of Kreise with different settings named only the
    strictest on its page; a Kreis's "x" or its "<3" stood there unexplained.
    """
    gruppen: dict[tuple[int, str], list[str]] = {}
    for z in zeilen:
        if z.hat_zahlen:
            gruppen.setdefault(z.schutz or schutz, []).append(z.name)
    if not gruppen:
        gruppen[schutz] = []
    return [
        {"schwelle": t, "klein": small_label(t), "zeichen": s, "namen": namen}
        for (t, s), namen in sorted(gruppen.items())
    ]


def land_index_html(
    zeilen: list[LandZeile],
    *,
    titel: str,
    schwelle: int,
    zeichen: str,
    karte: str = "karte.html",
) -> str:
    """The Land index page (German HTML, report stylesheet, nothing from the internet).

    Parameters
    ----------
    zeilen : list of LandZeile
        One row per Kreis, shown in this order.
    titel : str
        Name of the Land (page title and heading; :func:`land_titel`).
    schwelle : int
        Suppression threshold (``annahmen.datenschutz.schwelle``) of the Kreise without
        their own (:attr:`LandZeile.schutz`), for the explanation.
    zeichen : str
        Mark of hidden values (``annahmen.datenschutz.zeichen_geheim``), likewise.
    karte : str
        Relative link to the map (``""``: no link).

    Returns
    -------
    str
        The page. Figures in German format; a hidden value shows its symbol,
        a Kreis without figures ``–``, an unpublished Kreis its reason. Where the
        Kreise publish with different thresholds or symbols, the page names each with
        its Kreise.
    """
    schutz = (int(schwelle), zeichen)
    gruppen = _schutzgruppen(zeilen, schutz)
    return seite(
        "land_index.html.j2",
        titel=titel,
        land_meta=LAND_META,
        anzahl=len(zeilen),
        veroeffentlicht=sum(bool(z.veroeffentlicht) for z in zeilen),
        gruppen=gruppen,
        schwelle=min(g["schwelle"] for g in gruppen),  # no row shows 1 .. this - 1
        karte=karte,
        zeilen=[_anzeige(z, schutz) for z in zeilen],
    )


def _tooltip(z: LandZeile, a: dict[str, Any]) -> str:
    teile = [
        f"<b>{html.escape(z.name)}</b> ({html.escape(a['art'])})",
        f"Zielgruppe: {html.escape(a['zielgruppe'])}",
        f"Stellen (FAQ-Schlüssel): {html.escape(a['stellen'])}",
        f"Unterversorgung: {html.escape(a['unterversorgung'])}",
    ]
    if not z.veroeffentlicht:
        teile.append(f"nicht veröffentlicht: {html.escape(a['grund'])}")
    elif z.stand:
        teile.append(f"Stand {html.escape(z.stand)}")
    return "<br>".join(teile)


def land_karte(
    zeilen: list[LandZeile],
    *,
    schwelle: int | None = None,
    zeichen: str | None = None,
    k: int = 5,
    quelle: str = "",
) -> folium.Map:
    """The Kreise coloured by their target group, offline (:class:`OfflineMap`).

    Shown numbers are classified with mapclassify (Fisher-Jenks, as the Kreis
    maps); hidden values get the hidden colour, Kreise without figures the
    "keine Angabe" colour. The tooltip shows name, kind and the shown values.
    Rows without ``geometrie`` are left out; ``quelle`` is the source of the
    outlines (attribution, e.g. "© GeoBasis-DE / BKG (2024)"). Save with
    :func:`thm_lib.publish.maps.save_map` (or :func:`schreibe_land_seiten`).
    """
    ds = Annahmen().datenschutz
    schwelle = int(schwelle if schwelle is not None else ds.schwelle)
    zeichen = zeichen if zeichen is not None else str(ds.zeichen_geheim)
    mit = [z for z in zeilen if z.geometrie is not None and not z.geometrie.is_empty]
    anzeige = [_anzeige(z, (schwelle, zeichen)) for z in mit]
    gruppen = _schutzgruppen(mit, (schwelle, zeichen))
    werte = [z.kennzahlen.get("zielgruppe") if z.hat_zahlen else None for z in mit]
    zahlen = pd.Series(
        [float(v) if isinstance(v, int | float) and not pd.isna(v) else float("nan") for v in werte]
    )
    klassen = classify(zahlen, scheme="natural_breaks", k=k, palette="YlOrRd", integer=True)
    farben = []
    for v, n in zip(werte, zahlen, strict=True):
        if isinstance(v, str):
            farben.append(SUPPRESSED_COLOR)
        elif pd.isna(n) or klassen is None:
            farben.append(MISSING_COLOR)
        else:
            farben.append(klassen.color_of(n))
    gdf = gpd.GeoDataFrame(
        {
            "ags": [z.ags for z in mit],
            "tooltip": [_tooltip(z, a) for z, a in zip(mit, anzeige, strict=True)],
            "farbe": farben,
        },
        geometry=[z.geometrie for z in mit],
        crs=CRS_METRIC,
    )
    with warnings.catch_warnings(record=True) as hinweise:  # one German line, no source line
        warnings.simplefilter("always")
        web = to_web(simplify_coverage(gdf, VEREINFACHUNG_M), 5) if len(gdf) else gdf.to_crs(4326)
    for hinweis in hinweise:
        LOGGER.warning("Landeskarte: %s", hinweis.message)
    fmap = OfflineMap(location=[51.5, 7.5], zoom_start=8, zoom_snap=0.25)
    if len(web):
        minx, miny, maxx, maxy = web.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
        data = json.loads(web[["ags", "tooltip", "farbe", "geometry"]].to_json(drop_id=True))
        tooltip = folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True)
        flaechen_layer(data, "Kreise", tooltip, CLASS_KREIS).add_to(fmap)
    eintraege = legend_entries(
        list(zip(klassen.colors, klassen.labels, strict=True)) if klassen else [],
        any_suppressed=any(isinstance(v, str) for v in werte),
        any_missing=any(f == MISSING_COLOR for f in farben),
        threshold=gruppen[0]["schwelle"],
        symbol=gruppen[0]["zeichen"],
        weitere=[(g["schwelle"], g["zeichen"]) for g in gruppen[1:]],
    )
    Legend(legend_html("Zielgruppe (Personen)", eintraege)).add_to(fmap)
    if quelle:
        Attribution(quelle).add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(f'<meta name="{LAND_META}">'))
    return fmap


def fremde_land_seiten(ordner: Path) -> list[Path]:
    """Files of ``ordner`` a Land run would replace that no Land run wrote.

    A Land run writes ``index.html`` and ``karte.html`` into its output folder; a
    file of that name from anywhere else (a page of the office's own) would be lost.
    Written by a Land run: the page carries ``<meta name="thm-land">`` (or, before
    round 2 session 16, the index's body class ``thm-land``; such an index vouches for
    the map beside it).
    """
    eigene = {name: _von_land_lauf(ordner / name) for name in LAND_SEITEN}
    if eigene["index.html"]:
        eigene["karte.html"] = True
    return [ordner / name for name in LAND_SEITEN if (ordner / name).exists() and not eigene[name]]


def _von_land_lauf(datei: Path) -> bool:
    if not datei.is_file():
        return False
    text = datei.read_text(encoding="utf-8", errors="replace")
    return f'<meta name="{LAND_META}"' in text or 'class="thm-index thm-land"' in text


def schreibe_land_seiten(
    ordner: Path,
    zeilen: list[LandZeile],
    *,
    schwelle: int,
    zeichen: str,
) -> tuple[Path, Path]:
    """Write ``ordner/index.html`` and ``ordner/karte.html`` (atomically, offline),
    headed by the Land of the Kreise (:func:`land_titel`).

    Returns
    -------
    tuple of Path
        The index page and the map.
    """
    ordner = Path(ordner)
    karte = save_map(land_karte(zeilen, schwelle=schwelle, zeichen=zeichen), ordner / "karte.html")
    index = atomic_write_text(
        ordner / "index.html",
        land_index_html(
            zeilen, titel=land_titel(zeilen), schwelle=schwelle, zeichen=zeichen, karte=karte.name
        ),
    )
    return index, karte
