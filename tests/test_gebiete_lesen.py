"""Reading gebiete.geojson: property values as the file holds them, German rules, no warnings.

GDAL gives a GeoJSON property of mixed types (numbers and text) as a JSON text
field and pyogrio parses each value with JSON rules ("5.000" -> 5.0, "98.400" ->
98.4) and warns in English when a value is not JSON ("24 300"). The loader reads
the raw properties instead, so the German number rules of ``columns.type_column``
apply and nothing English reaches the console. Files are edited with the ``json``
module, never with the loader under test.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers_io import copy_sample

from thm_lib.core.errors import DataError
from thm_lib.core.workspace import Workspace
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.gebiete import read_gebiete, read_geodatei

#: Einwohner of the sample (data_samples/musterkreis/gebiete.geojson), by Gemeinde.
SAMPLE_EINWOHNER = {
    "05899004": 98400,  # Musterstadt
    "05899008": 24300,  # Beispielheim
    "05899012": 17800,  # Neudorf am Muster
    "05899016": 31200,  # Probstadt
    "05899020": 12600,  # Testingen
    "05899024": 9900,  # Fiktivhausen
    "05899028": 8300,  # Modellbach
    "05899032": 6700,  # Exemplarsdorf
    "05899036": 7400,  # Schablonberg
    "05899040": 11200,  # Vorlagenfeld
    "05899044": 5200,  # Entwurfsweiler
    "05899048": 4600,  # Annahmsrode
}
SAMPLE_TOTAL = 237600  # sum of the values above
ENTWURFSWEILER = "05899044"
MUSTERSTADT = "05899004"
BEISPIELHEIM = "05899008"

Edit = Callable[[dict], None]


def edit_geojson(folder: Path, edit: Edit) -> Path:
    """Change ``gebiete.geojson`` of a sample copy with the json module."""
    path = folder / "gebiete.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def set_property(ags: str, key: str, value: object) -> Edit:
    """An edit that sets one property of the feature with ``ags``."""

    def edit(data: dict) -> None:
        feature = next(f for f in data["features"] if f["properties"]["ags"] == ags)
        feature["properties"][key] = value

    return edit


def load_quietly(folder: Path) -> Workspace:
    """Load the Arbeitsmappe and assert that no Python warning was emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ws = load_workspace(folder)
    assert [str(w.message) for w in caught] == []
    return ws


def einwohner(ws: Workspace) -> dict[str, int]:
    return {a: int(e) for a, e in zip(ws.gebiete["ags"], ws.gebiete["einwohner"], strict=True)}


def test_sample_values_are_the_expected_ones(tmp_path):
    ws = load_quietly(copy_sample(tmp_path))
    assert einwohner(ws) == SAMPLE_EINWOHNER
    assert sum(SAMPLE_EINWOHNER.values()) == SAMPLE_TOTAL
    assert int(ws.gebiete["einwohner"].sum()) == SAMPLE_TOTAL


def test_text_with_thousands_dot_among_numbers_is_not_read_as_json(tmp_path):
    # B11: pyogrio's JSON rules made "5.200" 5.2 (and "5.000" 5); the German rule
    # says 5.200 is 5200, so the Kreis keeps the sample's total
    folder = copy_sample(tmp_path)
    path = edit_geojson(folder, set_property(ENTWURFSWEILER, "einwohner", "5.200"))
    frame = read_geodatei(path)
    assert frame["einwohner"].tolist()[10] == "5.200"  # the text, as the file holds it
    assert frame["einwohner"].tolist()[0] == 98400  # numbers stay numbers
    ws = load_quietly(folder)
    assert einwohner(ws)[ENTWURFSWEILER] == 5200
    assert int(ws.gebiete["einwohner"].sum()) == SAMPLE_TOTAL


def test_text_5000_with_thousands_dot_is_5000(tmp_path):
    folder = copy_sample(tmp_path)
    edit_geojson(folder, set_property(ENTWURFSWEILER, "einwohner", "5.000"))
    ws = load_quietly(folder)
    assert einwohner(ws)[ENTWURFSWEILER] == 5000
    assert int(ws.gebiete["einwohner"].sum()) == SAMPLE_TOTAL - 5200 + 5000  # 237400


def test_text_5000_reaches_the_german_rules_as_text(tmp_path):
    # what gebiete.py owns: the value handed to the typing is the file's text, not 5.0
    folder = copy_sample(tmp_path)
    path = edit_geojson(folder, set_property(ENTWURFSWEILER, "einwohner", "5.000"))
    assert read_geodatei(path)["einwohner"].tolist()[10] == "5.000"


def test_single_text_value_is_not_turned_into_a_decimal(tmp_path):
    # B11 (einwohner_string_single): formerly an error quoting '98.4', a value not in the file
    folder = copy_sample(tmp_path)
    edit_geojson(folder, set_property(MUSTERSTADT, "einwohner", "98.400"))
    ws = load_quietly(folder)
    assert einwohner(ws) == SAMPLE_EINWOHNER


def test_text_values_with_dot_and_space_read_without_warning(tmp_path):
    # B8: formerly "UserWarning: Could not parse column 'einwohner' as JSON" on the console
    folder = copy_sample(tmp_path)

    def edit(data: dict) -> None:
        set_property(MUSTERSTADT, "einwohner", "98.400")(data)
        set_property(BEISPIELHEIM, "einwohner", "24 300")(data)

    edit_geojson(folder, edit)
    ws = load_quietly(folder)
    assert einwohner(ws) == SAMPLE_EINWOHNER
    assert int(ws.gebiete["einwohner"].sum()) == SAMPLE_TOTAL


def test_text_that_is_no_number_is_a_german_error(tmp_path):
    folder = copy_sample(tmp_path)
    edit_geojson(folder, set_property("05899012", "einwohner", "viele"))  # object 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError) as info:
            load_workspace(folder)
    assert [str(w.message) for w in caught] == []
    [problem] = info.value.problems
    assert problem.datei.startswith("gebiete.geojson")
    assert (problem.zeile, problem.spalte, problem.wert) == (3, "einwohner", "viele")
    text = str(info.value)
    assert "gebiete.geojson (Zeile = Objekt-Nr.), Zeile 3, Spalte 'einwohner'" in text
    assert "'viele'" in text
    assert "keine ganze Zahl" in text


def test_numeric_ags_without_leading_zero_is_repaired(tmp_path):
    folder = copy_sample(tmp_path)

    def edit(data: dict) -> None:
        for feature in data["features"]:
            feature["properties"]["ags"] = int(feature["properties"]["ags"])  # 5899004

    edit_geojson(folder, edit)
    ws = load_quietly(folder)
    assert einwohner(ws) == SAMPLE_EINWOHNER


def test_mixed_ags_name_and_plz_types(tmp_path):
    # one ags as number among texts, a name given as number, a PLZ as number
    folder = copy_sample(tmp_path)

    def edit(data: dict) -> None:
        set_property(MUSTERSTADT, "ags", 5899004)(data)
        set_property(BEISPIELHEIM, "name", 1234)(data)
        set_property(BEISPIELHEIM, "plz", 111)(data)

    edit_geojson(folder, edit)
    ws = load_quietly(folder)
    assert einwohner(ws) == SAMPLE_EINWOHNER
    gebiete = ws.gebiete.set_index("ags")
    assert gebiete.loc[BEISPIELHEIM, "name"] == "1234"
    assert gebiete.loc[BEISPIELHEIM, "plz"] == ("00111",)
    assert gebiete.loc[MUSTERSTADT, "name"] == "Musterstadt"
    assert gebiete.loc[MUSTERSTADT, "plz"] == ("00101", "00102", "00103")


def test_upper_case_property_names_and_gdal_notes(tmp_path):
    # "Einwohner" matches like "einwohner"; duplicate feature ids make GDAL warn in English
    folder = copy_sample(tmp_path)

    def edit(data: dict) -> None:
        for feature in data["features"]:
            feature["id"] = 1
            props = feature["properties"]
            props["Einwohner"] = props.pop("einwohner")
        set_property(MUSTERSTADT, "Einwohner", "98.400")(data)

    edit_geojson(folder, edit)
    ws = load_quietly(folder)
    assert einwohner(ws) == SAMPLE_EINWOHNER


def test_vg250_as_geojson_with_text_ewz(tmp_path):
    # a VG250 extract saved as GeoJSON: Musterstadt in two land parts (GF 4) and a
    # water area (GF 2); EWZ partly text. Expected: dissolved, EWZ 98400 once.
    folder = copy_sample(tmp_path)

    def edit(data: dict) -> None:
        extra = []
        for feature in data["features"]:
            p = feature["properties"]
            feature["properties"] = {"AGS": p["ags"], "GEN": p["name"], "GF": 4}
            feature["properties"]["EWZ"] = p["einwohner"]
            if p["ags"] == MUSTERSTADT:
                feature["properties"]["EWZ"] = "98.400"
                for gf in (4, 2):
                    copy = json.loads(json.dumps(feature))
                    copy["properties"]["GF"] = gf
                    extra.append(copy)
        data["features"].extend(extra)

    edit_geojson(folder, edit)
    hinweise: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gebiete = read_gebiete(folder, None, hinweise)  # VG250 has no PLZ for angebote.csv
    assert [str(w.message) for w in caught] == []
    assert dict(zip(gebiete["ags"], gebiete["einwohner"].astype(int), strict=True)) == (
        SAMPLE_EINWOHNER
    )
    assert any("1 Flächen ohne GF = 4" in h for h in hinweise)


def test_feinraster_geojson_text_values(tmp_path):
    # the finer population layer is read the same way: "1.200" among numbers is 1200
    folder = copy_sample(tmp_path)
    gebiete = load_quietly(folder).gebiete.set_index("ags")
    punkte = [gebiete.geometry[a].representative_point() for a in (MUSTERSTADT, BEISPIELHEIM)]
    data = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"einwohner": wert},
                "geometry": {"type": "Point", "coordinates": [p.x, p.y]},
            }
            for p, wert in zip(punkte, ["1.200", 800], strict=True)
        ],
    }
    (folder / "feinraster.geojson").write_text(json.dumps(data), encoding="utf-8")
    fein = load_quietly(folder).feinraster
    assert dict(zip(fein["ags"], fein["einwohner"], strict=True)) == {
        MUSTERSTADT: 1200.0,
        BEISPIELHEIM: 800.0,
    }
