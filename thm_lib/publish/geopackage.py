"""GeoPackage for QGIS (``thm export gpkg``): Gemeinden and Angebote with a QGIS style.

Layers, in EPSG:25832, field names of at most 10 characters (shapefile
limit; the full German names are aliases in the style):

- ``gemeinden``: target group (total and per status), whose age structure the
  published model uses (``struktur``: "Gemeinde", "Kreis" for an estimate with
  the Kreis's, :func:`thm_lib.publish.views.mit_kreisstruktur`; NULL where every
  value is hidden) and, per Handlungsfeld, Versorgungsgrad, missing places and
  gap class. Every value comes from the
  published views (:func:`thm_lib.publish.views.zielgruppe_je_gemeinde`,
  :func:`thm_lib.publish.views.versorgung_gesperrt`), so what a report hides is NULL
  here too.
- ``angebote``: the offer inventory with its attributes (no personal data).
- ``layer_styles``: the QGIS convention for styles stored in a GeoPackage;
  one categorized style (QML) per Handlungsfeld colouring the gap class with
  the colours of the maps (:func:`thm_lib.publish.maps.measure.gap_class_colours`).

:func:`gemeinden_layer`, :func:`angebote_layer` and :func:`qml_gap_classes`
compute; :func:`write_geopackage` writes (atomically).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from thm_lib.analysis.coverage import CoverageResult
from thm_lib.core import labels
from thm_lib.core.atomic import atomic_write
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import gerundet
from thm_lib.core.workspace import CRS_METRIC, Workspace
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.publish import views
from thm_lib.publish.maps.measure import SUPPRESSED_COLOR, gap_class_colours

FELD_MAX = 10
LAYER_GEMEINDEN = "gemeinden"
LAYER_ANGEBOTE = "angebote"
GESPERRT_LABEL = "gesperrt (Datenschutz) / keine Angabe"
QGIS_VERSION = "3.28.0-Firenze"

#: Offer columns in the GeoPackage: field name (<= 10 characters) and German alias.
ANGEBOT_FELDER = {
    "angebot_id": ("angebot_id", "Kennung"),
    "name": ("name", "Name"),
    "traeger": ("traeger", "Träger"),
    "handlungsfeld": ("hdlgsfeld", "Handlungsfeld"),
    "foerderlinie": ("foerderl", "Förderlinie"),
    "zugang_duldung": ("zug_duld", "offen für Duldung"),
    "zugang_gestattung": ("zug_gest", "offen für Gestattung"),
    "alter_min": ("alter_min", "Mindestalter"),
    "alter_max": ("alter_max", "Höchstalter"),
    "plaetze": ("plaetze", "Plätze pro Jahr"),
    "aufsuchend": ("aufsuchend", "aufsuchend"),
    "einzugsgebiet": ("einzugsgeb", "Einzugsgebiet (AGS)"),
    "beginn": ("beginn", "Beginn"),
    "ende": ("ende", "Ende"),
    "ags": ("ags", "Gemeinde des Standorts (AGS)"),
    "plz": ("plz", "Postleitzahl"),
    "standort_quelle": ("standort", "Lage aus (Koordinaten, PLZ, Gemeinde)"),
}


@dataclass(frozen=True)
class Ebene:
    """One layer to write: its frame and the German alias of every field."""

    name: str
    frame: gpd.GeoDataFrame
    aliase: dict[str, str]


def kurzname(prefix: str, text: str, vergeben: set[str]) -> str:
    """A field name ``prefix + text`` of at most 10 ASCII characters, unique in ``vergeben``.

    Umlauts are transliterated (ä -> ae), other characters dropped; on a
    collision the last character becomes a digit.
    """
    t = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = re.sub(r"[^a-z0-9]", "", t)
    name = (prefix + t)[:FELD_MAX]
    i = 1
    while name in vergeben:
        name = (prefix + t)[: FELD_MAX - len(str(i))] + str(i)
        i += 1
    vergeben.add(name)
    return name


def gemeinden_layer(ws: Workspace, result: CoverageResult) -> tuple[Ebene, dict[str, str]]:
    """The Gemeinden with published target group and coverage per Handlungsfeld.

    Parameters
    ----------
    ws : Workspace
        The Arbeitsmappe.
    result : CoverageResult
        :func:`thm_lib.analysis.coverage.analyse` of ``ws``.

    Returns
    -------
    (Ebene, dict)
        The layer, and per Handlungsfeld the name of its gap-class field.
    """
    g = ws.gebiete
    vergeben = {"ags", "name", "einwohner"}
    out = pd.DataFrame(
        {
            "ags": g["ags"].astype(str).to_numpy(),
            "name": g["name"].astype(str).to_numpy(),
            "einwohner": g["einwohner"].astype("Int64").array,
        }
    )
    aliase = {"ags": "Gemeindeschlüssel (AGS)", "name": "Gemeinde", "einwohner": "Einwohner"}
    zg = views.zielgruppe_je_gemeinde(ws)
    by_name = dict(zip(g["name"], g["ags"], strict=True))
    published = zg.published.drop(views.TOTAL).rename(index=by_name)
    mask = zg.mask.drop(views.TOTAL).rename(index=by_name)
    for col in published.columns:
        feld = "zg_gesamt" if col == "gesamt" else kurzname("zg_", col, vergeben)
        vergeben.add(feld)
        shown = pd.to_numeric(published[col].where(~mask[col]), errors="coerce")
        out[feld] = shown.reindex(out["ags"]).astype("Int64").array
        aliase[feld] = f"Zielgruppe {labels.STATUS_LABEL.get(col, 'insgesamt')}"
    out["zg_anzeige"] = published["gesamt"].astype(str).reindex(out["ags"]).to_numpy()
    aliase["zg_anzeige"] = (
        f"Zielgruppe insgesamt wie im Bericht (<{views.schwelle(ws)}, "
        f"{views.zeichen_geheim(ws)} = gesperrt)"
    )
    gemeinden = result.gemeinden.assign(
        gesperrt=views.versorgung_gesperrt(ws, result).to_numpy(),
        kreisstruktur=views.mit_kreisstruktur(ws, result).to_numpy(),
    )
    je_gemeinde = gemeinden.groupby("ags")[["gesperrt", "kreisstruktur"]].agg(["all", "any"])
    struktur = pd.Series("Gemeinde", index=je_gemeinde.index, dtype=object)
    struktur[je_gemeinde[("kreisstruktur", "any")]] = labels.ALTERSSTRUKTUR_KREIS
    struktur[je_gemeinde[("gesperrt", "all")]] = None
    out["struktur"] = struktur.reindex(out["ags"]).to_numpy()
    aliase["struktur"] = (
        f"{labels.ALTERSSTRUKTUR} (Kreis = geschätzt mit der Altersstruktur des Kreises)"
    )
    klassen = {}
    for feld_name in ws.handlungsfelder:
        rows = gemeinden[gemeinden["handlungsfeld"] == feld_name].set_index("ags")
        rows = rows.reindex(out["ags"])
        hidden = rows["gesperrt"].fillna(True).astype(bool)
        stem = kurzname("", feld_name, set())[:7]
        vg, fp, kl = (kurzname(p, stem, vergeben) for p in ("vg_", "fp_", "kl_"))
        out[vg] = gerundet(rows["versorgungsgrad"], 1).where(~hidden).to_numpy(dtype=float)
        out[fp] = gerundet(rows["fehlende_plaetze"], 1).where(~hidden).to_numpy(dtype=float)
        out[kl] = rows["klasse"].where(~hidden).astype(object).to_numpy()
        aliase.update(
            {
                vg: f"Versorgungsgrad {feld_name} (%)",
                fp: f"Fehlende Plätze {feld_name}",
                kl: f"Versorgung {feld_name} (Klasse)",
            }
        )
        klassen[feld_name] = kl
    frame = gpd.GeoDataFrame(out, geometry=g.geometry.to_crs(CRS_METRIC).to_numpy(), crs=CRS_METRIC)
    return Ebene(LAYER_GEMEINDEN, frame, aliase), klassen


def angebote_layer(ws: Workspace) -> Ebene:
    """The offers as points with their attributes (public: no personal data)."""
    a = ws.angebote
    out = pd.DataFrame(index=range(len(a)))
    aliase = {}
    for col, (feld, alias) in ANGEBOT_FELDER.items():
        if col not in a.columns:
            continue
        values = a[col].reset_index(drop=True)
        if col == "einzugsgebiet":
            values = values.map(lambda e: ", ".join(e) if isinstance(e, tuple) and e else None)
        elif col in ("beginn", "ende"):
            values = pd.to_datetime(values)  # NaT (open-ended) becomes NULL
        elif values.dtype == object or str(values.dtype) == "str":
            values = values.map(lambda v: None if v is None or v != v else str(v))
        out[feld] = values.to_numpy() if hasattr(values, "to_numpy") else values
        aliase[feld] = alias
    frame = gpd.GeoDataFrame(out, geometry=a.geometry.to_crs(CRS_METRIC).to_numpy(), crs=CRS_METRIC)
    return Ebene(LAYER_ANGEBOTE, frame, aliase)


def _rgba(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _fill_symbol(parent: ET.Element, name: str, colour: str) -> None:
    symbol = ET.SubElement(
        parent,
        "symbol",
        {"type": "fill", "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    layer = ET.SubElement(
        symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"}
    )
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in (
        ("color", _rgba(colour)),
        ("outline_color", "80,80,80,255"),
        ("outline_style", "solid"),
        ("outline_width", "0.26"),
        ("outline_width_unit", "MM"),
        ("style", "solid"),
    ):
        ET.SubElement(options, "Option", {"name": key, "value": value, "type": "QString"})
        ET.SubElement(layer, "prop", {"k": key, "v": value})  # QGIS before 3.26


def qml_gap_classes(feld: str, aliase: dict[str, str], fields: list[str]) -> str:
    """QGIS style (QML) colouring ``feld`` by gap class, plus German field aliases.

    Parameters
    ----------
    feld : str
        The gap-class field, e.g. ``kl_sprache``.
    aliase : dict
        Field name -> German alias.
    fields : list of str
        All attribute fields of the layer, in order (QGIS indexes aliases).

    Returns
    -------
    str
        The QML document (categorized renderer; the last, empty category
        catches NULL: hidden or no value, coloured like hidden map cells).
    """
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Fields"})
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        {
            "type": "categorizedSymbol",
            "attr": feld,
            "symbollevels": "0",
            "enableorderby": "0",
            "forceraster": "0",
            "referencescale": "-1",
        },
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    entries = [*gap_class_colours(), ("", SUPPRESSED_COLOR)]
    for i, (value, colour) in enumerate(entries):
        ET.SubElement(
            categories,
            "category",
            {
                "value": value,
                "symbol": str(i),
                "label": value or GESPERRT_LABEL,
                "render": "true",
                "type": "string",
            },
        )
        _fill_symbol(symbols, str(i), colour)
    alias_el = ET.SubElement(root, "aliases")
    for index, name in enumerate(fields):
        if name in aliase:
            ET.SubElement(
                alias_el, "alias", {"field": name, "index": str(index), "name": aliase[name]}
            )
    ET.SubElement(root, "layerGeometryType").text = "2"
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def layer_styles(gemeinden: Ebene, klassen: dict[str, str], standard: str) -> pd.DataFrame:
    """Rows of the QGIS ``layer_styles`` table: one style per Handlungsfeld.

    ``standard`` (a Handlungsfeld) is the style QGIS applies when the layer is
    opened (``useAsDefault``); the others are offered under "Stil laden".
    """
    fields = [c for c in gemeinden.frame.columns if c != "geometry"]
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    rows = [
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": gemeinden.name,
            "f_geometry_column": "geom",
            "styleName": f"Versorgung {feld_name}",
            "styleQML": qml_gap_classes(feld, gemeinden.aliase, fields),
            "styleSLD": "",
            "useAsDefault": feld_name == standard,
            "description": f"Versorgungsklassen {feld_name} wie in den Berichten der "
            "THM-Werkbank; grau = gesperrt (Datenschutz) oder keine Angabe",
            "owner": "",
            "ui": None,
            "update_time": pd.Timestamp(now),
        }
        for feld_name, feld in klassen.items()
    ]
    return pd.DataFrame(rows)


def write_geopackage(path: str | Path, ebenen: list[Ebene], styles: pd.DataFrame) -> Path:
    """Write the layers and the ``layer_styles`` table to one GeoPackage, atomically.

    The file is built in a temporary folder beside ``path`` and moved into
    place when complete; a failure leaves an existing file untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.stem}.") as tmp:
        built = Path(tmp) / "export.gpkg"
        for ebene in ebenen:
            pyogrio.write_dataframe(
                ebene.frame,
                built,
                layer=ebene.name,
                driver="GPKG",
                layer_options={"GEOMETRY_NAME": "geom"},
            )
        pyogrio.write_dataframe(
            styles, built, layer="layer_styles", driver="GPKG", layer_options={"FID": "id"}
        )
        atomic_write(path, lambda p: os.replace(built, p))
    return path


#: The tables of an export: a file holding others is not ours to replace.
EIGENE_EBENEN = frozenset({LAYER_GEMEINDEN, LAYER_ANGEBOTE, "layer_styles"})


def _ziel_pruefen(path: Path, ws: Workspace, ersetzen: bool) -> None:
    """Refuse a target that is no ``.gpkg``, lies in the Arbeitsmappe, or holds the user's data.

    ``thm export gpkg mappe mappe/gebiete.gpkg`` replaced the Gemeinde boundaries
    with the export; any GeoPackage there would be read as input next time. An
    existing file is replaced only with ``ersetzen`` and only if it holds nothing
    but an export's layers (an office's own layers in it were lost, session 30).
    """
    if path.suffix.lower() != ".gpkg":
        grund, rat = "Zieldatei muss auf .gpkg enden", "Bitte einen Namen wie kreis.gpkg angeben"
    elif path.resolve().parent == Path(ws.folder).resolve():
        grund = "Zieldatei liegt in der Arbeitsmappe (sie würde dort als Eingabe gelesen)"
        rat = "Bitte eine Datei außerhalb der Arbeitsmappe angeben, z. B. reports/kreis.gpkg"
    elif not path.exists():
        return
    elif path.is_dir():
        grund, rat = "Zieldatei ist ein Ordner", "Bitte einen Dateinamen wie kreis.gpkg angeben"
    elif fremd := _fremde_ebenen(path):
        grund = f"Die Datei gibt es schon, mit eigenen Ebenen ({', '.join(fremd)})"
        rat = "Sie wird nicht ersetzt. Bitte einen anderen Dateinamen angeben"
    elif not ersetzen:
        grund = "Die Datei gibt es schon"
        rat = "Zum Überschreiben bitte --ersetzen angeben, sonst einen anderen Dateinamen"
    else:
        return
    raise DataError([Problem(str(path), grund, rat)])


def _fremde_ebenen(path: Path) -> list[str]:
    """Layers of an existing file that no export writes (all of it, if no GeoPackage)."""
    try:
        namen = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # noqa: BLE001 - GDAL raises several types for a file it cannot read
        return ["keine lesbare GeoPackage-Datei"]
    return sorted(set(namen) - EIGENE_EBENEN)


def export_geopackage(
    ws: Workspace,
    path: str | Path,
    handlungsfeld: str | None = None,
    result: CoverageResult | None = None,
    ersetzen: bool = False,
) -> Path:
    """Compute the layers of ``ws`` and write the GeoPackage ``path`` for QGIS.

    Parameters
    ----------
    ws : Workspace
        The Arbeitsmappe.
    path : str or Path
        Target file (``.gpkg``).
    handlungsfeld : str, optional
        Handlungsfeld whose gap classes the default style shows (default: the
        first configured one).
    result : CoverageResult, optional
        The coverage analysis of ``ws`` when it is at hand (computed otherwise).
    ersetzen : bool
        Replace an existing file (only one holding nothing but an export's layers).

    Returns
    -------
    Path

    Raises
    ------
    DataError
        For an unknown Handlungsfeld, or a target that must not be written
        (:func:`_ziel_pruefen`).
    """

    _ziel_pruefen(Path(path), ws, ersetzen)
    standard = handlungsfeld or ws.handlungsfelder[0]
    if standard not in ws.handlungsfelder:
        raise DataError(
            [
                Problem(
                    "Option --handlungsfeld",
                    f"unbekanntes Handlungsfeld '{standard}'",
                    "Erlaubt: " + ", ".join(ws.handlungsfelder),
                )
            ]
        )
    gemeinden, klassen = gemeinden_layer(
        ws, versorgung_veroeffentlicht(ws) if result is None else result
    )
    styles = layer_styles(gemeinden, klassen, standard)
    return write_geopackage(path, [gemeinden, angebote_layer(ws)], styles)
