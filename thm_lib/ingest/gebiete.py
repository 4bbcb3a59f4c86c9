"""Reading the Gemeinde polygons: GeoPackage, GeoJSON, shapefile or BKG VG250."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from warnings import catch_warnings, filterwarnings

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from thm_lib.core.errors import DataError, Problem, ProblemCollector
from thm_lib.core.workspace import CRS_METRIC
from thm_lib.ingest import schemas
from thm_lib.ingest.columns import normalise_plz, type_column
from thm_lib.ingest.tables import find_file

GEO_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp")
GEOJSON_SUFFIXES = (".geojson", ".json")
VG250_LAYER = "vg250_gem"
VG250_LAND = 4  # GF = 4: Gebiete mit Struktur "Land" (without water areas)


def find_gebiete(folder: Path) -> tuple[Path, str | None]:
    """Find the Gemeinde layer: ``gebiete.*`` or a BKG VG250 file; return path and layer."""
    for suffix in GEO_SUFFIXES:
        path = find_file(folder, f"gebiete{suffix}")
        if path is not None:
            return path, None
    # the BKG's download unpacked into the Arbeitsmappe keeps its folders
    oben = sorted(p for p in folder.iterdir() if _ist_vg250(p))
    for path in oben or sorted(_vg250_in_ordnern(folder)):
        if path.suffix.lower() == ".shp":
            return path, None
        try:
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception:  # noqa: BLE001 - pyogrio raises several types on damaged files
            raise DataError(
                [
                    Problem(
                        path.name,
                        "GeoPackage kann nicht gelesen werden",
                        "Bitte die Datei neu vom BKG herunterladen oder in "
                        "QGIS öffnen und neu speichern",
                    )
                ]
            ) from None
        match = next((n for n in layers if n.lower() == VG250_LAYER), None)
        if match:
            return path, match
    raise DataError(
        [
            Problem(
                "gebiete.gpkg/.geojson",
                "Gemeindegrenzen fehlen in der Arbeitsmappe",
                "Bitte 'gebiete.gpkg' oder 'gebiete.geojson' "
                "anlegen oder die BKG-Datei VG250_GEM.shp (mit .shx/.dbf/.prj/.cpg) "
                "bzw. eine VG250-GeoPackage-Datei ablegen",
            )
        ]
    )


def _ist_vg250(path: Path) -> bool:
    """Whether ``path`` is named like a BKG VG250 file (``VG250_GEM.shp``, ``*vg250*.gpkg``)."""
    low = path.name.lower()
    return low == "vg250_gem.shp" or (low.endswith(".gpkg") and "vg250" in low)


def _vg250_in_ordnern(folder: Path) -> list[Path]:
    """VG250 files in subfolders of ``folder`` (the BKG's ZIP unpacked as it is)."""
    return [p for p in folder.rglob("*") if p.parent != folder and _ist_vg250(p)]


def _vg250_daneben(folder: Path, gelesen: Path) -> str | None:
    """A note when ``gebiete.*`` is read while a VG250 file lies beside it."""
    if not gelesen.stem.lower().startswith("gebiete"):
        return None
    vg250 = [p.name for p in folder.iterdir() if _ist_vg250(p)]
    if not vg250:
        return None
    return (
        f"{gelesen.name} wird gelesen, nicht {', '.join(sorted(vg250))}. Sollen die "
        f"Grenzen aus VG250 kommen, bitte {gelesen.name} entfernen oder umbenennen."
    )


def read_gebiete(folder: Path, kreis_ags: str | None, warnings: list[str]) -> gpd.GeoDataFrame:
    """Read, check and normalise the Gemeinden to ``ags``, ``name``, ``einwohner``, ``plz``.

    VG250 input keeps land areas (``GF == 4``), dissolves by ``AGS`` and, when
    ``kreis_ags`` (2 to 5 digits) is set, reads only that Kreis through an
    attribute filter (:func:`vg250_filter`), so a VG250 file of all Germany
    costs the time of the Kreis, not of the country. The result is in
    EPSG:25832.

    Raises
    ------
    DataError
        For unreadable files, missing columns, bad AGS or empty geometries.
    """
    path, layer = find_gebiete(folder)
    datei = path.name
    if (daneben := _vg250_daneben(folder, path)) is not None:
        warnings.append(daneben)
    if path.parent != folder:
        warnings.append(f"Gemeindegrenzen aus {path.relative_to(folder)} (Unterordner).")
    if path.suffix.lower() == ".shp":
        _begleitdateien(path)  # before the filter reads the fields
    try:
        where = vg250_filter(path, layer, kreis_ags)
        frame = read_geodatei(path, layer=layer, where=where)
    except DataError:
        raise
    except Exception:  # noqa: BLE001 - pyogrio raises DataSourceError, DataLayerError, ...
        raise DataError(
            [
                Problem(
                    datei,
                    "Geodatei kann nicht gelesen werden (beschädigt oder "
                    "kein unterstütztes Format)",
                    "Bitte in QGIS öffnen und als GeoPackage neu speichern",
                )
            ]
        ) from None
    if frame.crs is None:
        raise DataError([_ohne_crs(path)])
    if len(frame) == 0 and where is not None:
        raise DataError(
            [
                Problem(
                    datei,
                    f"keine Landflächen (GF = 4) mit AGS-Anfang {kreis_ags} "
                    "(annahmen.yaml: kreis.ags) gefunden",
                    "Bitte kreis.ags in annahmen.yaml und die VG250-Datei prüfen",
                )
            ]
        )
    if len(frame) == 0:
        raise DataError(
            [
                Problem(
                    datei,
                    "Datei enthält keine Gemeinden",
                    "Bitte die Gemeindegrenzen des Kreises eintragen",
                )
            ]
        )
    _check_coordinates(frame, datei)
    upper = {str(c).upper() for c in frame.columns}
    if {"AGS", "GEN", "GF"} <= upper:
        frame = _from_vg250(frame, datei, kreis_ags, warnings)
    frame.columns = [c if c == "geometry" else str(c).strip().lower() for c in frame.columns]
    try:
        frame = frame.to_crs(CRS_METRIC)
    except Exception:  # noqa: BLE001 - pyproj raises several types
        raise DataError(
            [
                Problem(
                    datei,
                    f"Koordinaten lassen sich nicht nach {CRS_METRIC} umrechnen",
                    "Bitte das Koordinatensystem der Datei prüfen",
                )
            ]
        ) from None
    return _normalise(frame, datei, warnings)


def read_geodatei(
    path: Path, layer: str | None = None, where: str | None = None
) -> gpd.GeoDataFrame:
    """Read a geodata file with pyogrio; GeoJSON attributes as the file holds them.

    GDAL gives a GeoJSON property of mixed types (numbers and text) as a JSON
    text field, and pyogrio then parses each value with JSON rules: the text
    "5.000" (German thousands dot) becomes 5.0 before the German number rules
    (:func:`thm_lib.ingest.columns.parse_int`) see it, and a text like "24 300"
    leaves an English warning on the console. For ``.geojson``/``.json`` the
    attribute columns are therefore replaced by the raw property values
    (:func:`_geojson_properties`): text stays text, numbers stay numbers. The
    geometry is read by pyogrio as before.

    The English notes of pyogrio and GDAL while reading (a column that is not
    JSON, dates that cannot be parsed, GDAL warnings such as duplicate feature
    ids) are kept off the console: the values are checked afterwards by the
    German rules, which report bad cells in German.

    Parameters
    ----------
    path : Path
        The file.
    layer : str or None
        Layer name (GeoPackage).
    where : str or None
        OGR SQL attribute filter (:func:`vg250_filter`).

    Returns
    -------
    geopandas.GeoDataFrame
        The features in file order.

    A shapefile must come with its ``.shx``, ``.dbf`` and ``.prj``; one without
    ``.cpg`` whose text reads as UTF-8 taken for Latin-1 ("MÃ¶hne") is read again
    as UTF-8 (:func:`_verstuemmelt`).

    Raises
    ------
    DataError
        For a shapefile without its other files.
    Exception
        Whatever pyogrio raises for unreadable files (the callers turn it into
        a German :class:`~thm_lib.core.errors.DataError`).
    """
    shapefile = path.suffix.lower() == ".shp"
    if shapefile:
        _begleitdateien(path)
    frame = _lesen(path, layer, where)
    if shapefile and _begleiter(path, ".cpg") is None and _verstuemmelt(frame):
        frame = _lesen(path, layer, where, encoding="UTF-8")
    if where is None and path.suffix.lower() in GEOJSON_SUFFIXES:
        properties = _geojson_properties(path, len(frame))
        if properties is not None:
            frame = _with_raw_attributes(frame, properties)
    return frame


def _lesen(
    path: Path, layer: str | None, where: str | None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """``gpd.read_file`` with pyogrio, the English notes of pyogrio and GDAL kept quiet."""
    with catch_warnings():
        filterwarnings("ignore", message="Could not parse column", category=UserWarning)
        filterwarnings("ignore", message="Error parsing datetimes", category=UserWarning)
        filterwarnings("ignore", category=RuntimeWarning)  # GDAL CE_Warning, in English
        return gpd.read_file(path, layer=layer, engine="pyogrio", where=where, encoding=encoding)


def _begleiter(path: Path, suffix: str) -> Path | None:
    """The file of a shapefile beside ``path`` with ``suffix`` (any case), if there."""
    gesucht = (path.stem + suffix).lower()
    return next((p for p in path.parent.iterdir() if p.name.lower() == gesucht), None)


def _begleitdateien(path: Path) -> None:
    """Stop with the names of a shapefile's missing parts (.shx, .dbf).

    Without them GDAL reads no attributes ("Pflichtspalte fehlt", with an empty
    list of columns) or nothing at all (session 30). A missing ``.prj`` is the
    message on the missing coordinate system, which names it.
    """
    fehlen = [s for s in (".shx", ".dbf") if _begleiter(path, s) is None]
    if fehlen:
        raise DataError(
            [
                Problem(
                    path.name,
                    f"Zum Shapefile fehlen die Dateien {', '.join(path.stem + s for s in fehlen)}",
                    "Ein Shapefile besteht aus mehreren Dateien gleichen Namens (.shp, .shx, "
                    ".dbf, .prj, .cpg); bitte alle in denselben Ordner legen (z. B. aus dem "
                    "ZIP des BKG) oder die Daten als GeoPackage speichern",
                )
            ]
        )


def _ohne_crs(path: Path) -> Problem:
    """The problem of a geodata file without coordinate system (a shapefile: its .prj)."""
    meldung = "Koordinatensystem (CRS) fehlt"
    if path.suffix.lower() == ".shp" and _begleiter(path, ".prj") is None:
        meldung += f": zum Shapefile fehlt die Datei {path.stem}.prj"
    return Problem(
        path.name,
        meldung,
        "Bitte die Datei mit Koordinatensystem speichern (z. B. EPSG:25832)",
    )


def _verstuemmelt(frame: gpd.GeoDataFrame) -> bool:
    """Whether text read as Latin-1 is UTF-8 ("MÃ¶hne"): a shapefile without its .cpg.

    GDAL reads a ``.dbf`` without ``.cpg`` as ISO-8859-1. A name that, written back
    in Latin-1, is valid UTF-8 and says something else was UTF-8; a true Latin-1
    name ("Möhne" = ``4d f6 68 6e 65``) is no valid UTF-8.
    """
    for spalte in frame.columns.drop(frame.geometry.name):
        for wert in frame[spalte].dropna():
            if isinstance(wert, str) and not wert.isascii():
                try:
                    return wert.encode("latin-1").decode("utf-8") != wert
                except (UnicodeEncodeError, UnicodeDecodeError):
                    return False
    return False


def _geojson_properties(path: Path, count: int) -> list[dict[str, object]] | None:
    """The ``properties`` of each feature of a GeoJSON file, in file order.

    Parameters
    ----------
    path : Path
        A file GDAL has read as ``count`` features.
    count : int
        Number of features GDAL read.

    Returns
    -------
    list of dict or None
        One dict per feature (keys lower-cased, as GDAL matches field names
        without regard to case); ``None`` when the file is not a GeoJSON
        FeatureCollection or Feature with ``count`` features (e.g. ESRI JSON or
        TopoJSON, which GDAL also reads): then the values read by GDAL are kept.
    """
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or UTF-8
        return None
    if not isinstance(data, dict):
        return None
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
    elif data.get("type") == "Feature":
        features = [data]
    else:
        return None
    if not isinstance(features, list) or len(features) != count:
        return None
    out: list[dict[str, object]] = []
    for feature in features:
        if not isinstance(feature, dict):
            return None
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            return None
        out.append({str(k).lower(): v for k, v in props.items()})
    return out


def _with_raw_attributes(
    frame: gpd.GeoDataFrame, properties: list[dict[str, object]]
) -> gpd.GeoDataFrame:
    """Replace the attribute columns that are GeoJSON properties by the raw values."""
    keys = set().union(*properties) if properties else set()
    frame = frame.copy()
    for column in frame.columns:
        key = str(column).lower()
        if column == frame.geometry.name or key not in keys:
            continue  # the geometry, or a field GDAL made itself (e.g. from a feature "id")
        frame[column] = pd.Series(
            [props.get(key) for props in properties], index=frame.index, dtype=object
        )
    return frame


def vg250_filter(path: Path, layer: str | None, kreis_ags: str | None) -> str | None:
    """Attribute filter that reads only the Kreis from a VG250 file of all Germany.

    Parameters
    ----------
    path : Path
        The Gemeinde layer's file; only shapefiles and GeoPackages are filtered.
    layer : str or None
        Layer name (GeoPackage).
    kreis_ags : str or None
        ``annahmen.kreis.ags`` (2 to 5 digits).

    Returns
    -------
    str or None
        An OGR SQL ``where`` clause (``AGS LIKE '05899%'``) for a VG250 layer
        (fields ``AGS``, ``GEN``, ``GF``) when ``kreis_ags`` is set; ``None``
        otherwise (the whole file is read).
    """
    if not kreis_ags or not re.fullmatch(r"\d{2,5}", str(kreis_ags).strip()):
        return None  # no Kreis, or not digits (then never put into SQL)
    if path.suffix.lower() not in (".shp", ".gpkg"):
        return None  # the BKG ships VG250 as shapefile or GeoPackage; GeoJSON is read whole
    info = pyogrio.read_info(path, layer=layer)
    fields = [str(f) for f in info["fields"]]
    by_upper = {f.upper(): f for f in fields}
    if not {"AGS", "GEN", "GF"} <= set(by_upper):
        return None
    prefix = str(kreis_ags).strip()
    name = by_upper["AGS"]
    if str(info["dtypes"][fields.index(name)]).startswith(("int", "float")):
        # AGS stored as a number (leading zero lost): the prefix is a range of numbers
        lower = int(prefix.ljust(8, "0"))
        return f"{name} >= {lower} AND {name} < {lower + 10 ** (8 - len(prefix))}"
    return f"{name} LIKE '{prefix}%'"


def _check_coordinates(frame: gpd.GeoDataFrame, datei: str) -> None:
    """Refuse metre coordinates declared as degrees (GeoJSON without ``crs`` member)."""
    if not frame.crs.is_geographic or frame.geometry.isna().all():
        return
    minx, miny, maxx, maxy = frame.total_bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise DataError(
            [
                Problem(
                    datei,
                    "Koordinaten passen nicht zum Koordinatensystem: die "
                    f"Datei gibt Grad an ({frame.crs.to_string()}), die Werte sind "
                    "aber Meter",
                    "Bitte das Koordinatensystem angeben (z. B. in "
                    "QGIS 'Layer-KBS zuweisen': EPSG:25832) und neu speichern",
                )
            ]
        )


def _from_vg250(
    frame: gpd.GeoDataFrame, datei: str, kreis_ags: str | None, warnings: list[str]
) -> gpd.GeoDataFrame:
    frame = frame.rename(columns={c: c.upper() for c in frame.columns if c != "geometry"})
    frame["AGS"] = frame["AGS"].map(lambda v: "" if v is None or v != v else _text(v).zfill(8))
    land = frame[pd.to_numeric(frame["GF"], errors="coerce") == VG250_LAND]
    if kreis_ags:
        land = land[land["AGS"].str.startswith(str(kreis_ags))]
    if land.empty:
        where = f" mit AGS-Anfang {kreis_ags} (annahmen.yaml: kreis.ags)" if kreis_ags else ""
        raise DataError(
            [
                Problem(
                    datei,
                    f"keine Landflächen (GF = 4){where} gefunden",
                    "Bitte kreis.ags in annahmen.yaml und die VG250-Datei prüfen",
                )
            ]
        )
    kreise = land["AGS"].str[:5].nunique()
    if not kreis_ags and kreise > 1:
        warnings.append(
            f"{datei}: die VG250-Datei enthält {kreise} Kreise und alle werden "
            "gelesen. Für eine Datei von ganz Deutschland bitte in annahmen.yaml "
            'kreis.ags (z. B. "05558") setzen: dann wird nur dieser Kreis '
            "gelesen."
        )
    dropped = len(frame) - len(land)
    if dropped:
        warnings.append(
            f"{datei}: {dropped} Flächen ohne GF = 4 (z. B. Wasserflächen) oder "
            "außerhalb des Kreises wurden weggelassen (BKG VG250)."
        )
    agg = {"GEN": "first"}
    if "EWZ" in land.columns:
        # EWZ (VG250-EW) is an attribute of the Gemeinde, repeated on each of its land
        # records, not split between them: take it once.
        # (text, from a VG250 extract saved as GeoJSON, is typed later: the first)
        agg["EWZ"] = "max" if pd.api.types.is_numeric_dtype(land["EWZ"]) else "first"
    dissolved = land.dissolve(by="AGS", aggfunc=agg).reset_index()
    out = dissolved.rename(columns={"AGS": "ags", "GEN": "name", "EWZ": "einwohner"})
    return out[[c for c in ("ags", "name", "einwohner", "geometry") if c in out.columns]]


def _normalise(frame: gpd.GeoDataFrame, datei: str, warnings: list[str]) -> gpd.GeoDataFrame:
    problems = ProblemCollector()
    zeilen = list(range(1, len(frame) + 1))
    label = f"{datei} (Zeile = Objekt-Nr.)"
    missing = [c.name for c in schemas.GEBIETE_ATTRIBUTE if c.required and c.name not in frame]
    for name in missing:
        problems.add(
            datei,
            "Pflichtspalte fehlt",
            "Vorhandene Spalten: " + ", ".join(c for c in frame.columns if c != "geometry"),
            spalte=name,
        )
    problems.raise_if_any()
    out = {}
    for col in schemas.GEBIETE_ATTRIBUTE:
        if col.name in frame.columns:
            raw = frame[col.name].map(lambda v: "" if v is None or v != v else _text(v))
            out[col.name] = type_column(raw, col, label, zeilen, problems, warnings)
        else:
            out[col.name] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for zeile, einwohner in zip(zeilen, out["einwohner"], strict=True):
        if einwohner is not None and einwohner < 0:
            problems.add(
                label,
                "Einwohnerzahl darf nicht negativ sein",
                "Bitte die amtliche Einwohnerzahl eintragen (unbekannt: leer lassen)",
                zeile=zeile,
                spalte="einwohner",
                wert=einwohner,
            )
    for i, geom in enumerate(frame.geometry):
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            problems.add(
                label,
                "Geometrie fehlt oder ist keine Fläche",
                "Bitte eine Flächengeometrie (Polygon) für die Gemeinde angeben",
                zeile=i + 1,
                spalte="geometry",
            )
    seen: dict[str, int] = {}
    for zeile, ags in zip(zeilen, out["ags"], strict=True):
        if ags is not None and ags in seen:
            problems.add(
                label,
                f"Gemeindeschlüssel kommt mehrfach vor (auch Objekt {seen[ags]})",
                "Bitte Teilflächen zu einer Gemeinde zusammenfassen (in QGIS: 'Auflösen' nach ags)",
                zeile=zeile,
                spalte="ags",
                wert=ags,
            )
        seen.setdefault(ags, zeile)
    problems.raise_if_any()
    geometry = frame.geometry
    invalid = ~geometry.is_valid
    if invalid.any():
        warnings.append(
            f"{datei}: {int(invalid.sum())} ungültige Geometrien wurden repariert "
            "(shapely.make_valid)."
        )
        repaired = [_polygonal(g) for g in shapely.make_valid(geometry.to_numpy())]
        geometry = gpd.GeoSeries(repaired, crs=geometry.crs, index=geometry.index)
    result = gpd.GeoDataFrame(
        {
            "ags": out["ags"].astype(str),
            "name": out["name"].astype(str),
            "einwohner": pd.array(
                [None if v is None else int(v) for v in out["einwohner"]], dtype="Int64"
            ),
            "plz": out["plz"].map(
                lambda v: tuple(normalise_plz(p) for p in v) if isinstance(v, tuple) else ()
            ),
        },
        geometry=geometry.to_numpy(),
        crs=frame.crs,
    )
    return result.sort_values("ags").reset_index(drop=True)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the areas of a repaired geometry (make_valid may add lines or points)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def find_feinraster(folder: Path) -> Path | None:
    """The optional finer population layer ``feinraster.gpkg``/``.geojson``/``.shp``."""
    return next(
        (folder / f"feinraster{s}" for s in GEO_SUFFIXES if (folder / f"feinraster{s}").exists()),
        None,
    )


def read_feinraster(
    folder: Path, gebiete: gpd.GeoDataFrame, warnings: list[str]
) -> gpd.GeoDataFrame | None:
    """Read the optional finer population layer ``feinraster.gpkg``/``.geojson``/``.shp``.

    Units finer than a Gemeinde (e.g. a Zensus grid or statistical districts)
    with ``einwohner`` (whole numbers >= 0) and optionally ``ags``; a unit
    without ``ags`` gets the Gemeinde its representative point lies in. Used to
    place each Gemeinde's point where its people live (population-weighted).

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``ags``, ``einwohner``, geometry in EPSG:25832; None without the file.

    Raises
    ------
    DataError
        For unreadable files, a missing ``einwohner`` column or bad values.
    """
    path = find_feinraster(folder)
    if path is None:
        return None
    datei = path.name
    try:
        frame = read_geodatei(path)
    except DataError:
        raise
    except Exception:  # noqa: BLE001 - pyogrio raises DataSourceError, DataLayerError, ...
        raise DataError(
            [
                Problem(
                    datei,
                    "Geodatei kann nicht gelesen werden",
                    "Bitte in QGIS öffnen und als GeoPackage neu speichern",
                )
            ]
        ) from None
    if frame.crs is None:
        raise DataError([_ohne_crs(path)])
    _check_coordinates(frame, datei)
    frame.columns = [c if c == "geometry" else str(c).strip().lower() for c in frame.columns]
    problems = ProblemCollector()
    if "einwohner" not in frame.columns:
        problems.add(
            datei,
            "Pflichtspalte fehlt",
            "Bitte die Einwohnerzahl je Fläche oder Punkt in der Spalte 'einwohner' angeben",
            spalte="einwohner",
        )
        problems.raise_if_any()
    zeilen = list(range(1, len(frame) + 1))
    label = f"{datei} (Zeile = Objekt-Nr.)"
    raw = frame["einwohner"].map(lambda v: "" if v is None or v != v else _text(v))
    col = next(c for c in schemas.GEBIETE_ATTRIBUTE if c.name == "einwohner")
    einwohner = type_column(raw, replace(col, allow_empty=False), label, zeilen, problems, warnings)
    for zeile, value in zip(zeilen, einwohner, strict=True):
        if value is not None and value < 0:
            problems.add(
                label,
                "darf nicht negativ sein",
                "Bitte die Einwohnerzahl prüfen",
                zeile=zeile,
                spalte="einwohner",
                wert=value,
            )
    problems.raise_if_any()
    fein = gpd.GeoDataFrame(
        {"einwohner": einwohner.fillna(0).astype(float).to_numpy()},
        geometry=frame.geometry.to_crs(CRS_METRIC).to_numpy(),
        crs=CRS_METRIC,
    )
    if "ags" in frame.columns:
        fein["ags"] = frame["ags"].map(lambda v: _text(v).zfill(8)).to_numpy()
    else:
        points = gpd.GeoDataFrame(geometry=fein.geometry.representative_point(), crs=CRS_METRIC)
        joined = gpd.sjoin(points, gebiete[["ags", "geometry"]], how="left", predicate="within")
        fein["ags"] = joined.loc[~joined.index.duplicated(), "ags"].to_numpy()
    outside = fein["ags"].isna() | ~fein["ags"].isin(set(gebiete["ags"]))
    if outside.any():
        warnings.append(
            f"{datei}: {int(outside.sum())} Einheiten liegen in keiner Gemeinde der "
            "Arbeitsmappe und werden nicht verwendet."
        )
    return fein.loc[~outside, ["ags", "einwohner", "geometry"]].reset_index(drop=True)
