"""The Arbeitsmappe loader: VG250, CSV dialects, Excel, placeholders, location fallback."""

from __future__ import annotations

import warnings
from datetime import datetime

import geopandas as gpd
import pandas as pd
import pytest
from helpers_io import (
    KREIS,
    MUSTERSTADT,
    SAMPLE,
    column,
    copy_sample,
    csv_to_xlsx,
    edit_table,
    read_rows,
    set_cell,
    write_rows,
    write_xlsx,
)
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon, box

from thm_lib.columns import CellError, parse_ags, parse_date, parse_float, parse_int
from thm_lib.errors import MAX_SHOWN, DataError, ProblemCollector
from thm_lib.gebiete import read_gebiete
from thm_lib.io import load_workspace, type_table
from thm_lib.tables import read_csv_text, read_table
from thm_lib.templates import write_templates
from thm_lib.workspace import CRS_METRIC

# --- the BKG VG250 path -------------------------------------------------------------------

X0, Y0 = 400_000, 5_700_000
KM = 1000


def vg250_frame() -> gpd.GeoDataFrame:
    """A tiny VG250_GEM layer: AGS as numbers, a lake (GF 2), a two-part Gemeinde."""
    rows = [
        # AGS, GEN, BEZ, GF, geometry
        (5899004, "Seestadt", "Stadt", 4, box(X0, Y0, X0 + 4 * KM, Y0 + 3 * KM)),
        (5899004, "Seestadt", "Stadt", 2, box(X0 + 4 * KM, Y0, X0 + 5 * KM, Y0 + 3 * KM)),
        (5899008, "Zweiteil", "Gemeinde", 4, box(X0 + 5 * KM, Y0, X0 + 7 * KM, Y0 + 3 * KM)),
        (5899008, "Zweiteil", "Gemeinde", 4, box(X0 + 8 * KM, Y0, X0 + 9 * KM, Y0 + 1 * KM)),
        (5900004, "Nachbarort", "Stadt", 4, box(X0, Y0 + 3 * KM, X0 + 9 * KM, Y0 + 5 * KM)),
    ]
    return gpd.GeoDataFrame(
        {"AGS": [r[0] for r in rows], "GEN": [r[1] for r in rows],
         "BEZ": [r[2] for r in rows], "GF": [r[3] for r in rows]},
        geometry=[r[4] for r in rows], crs="EPSG:25832")


def write_small_arbeitsmappe(folder, kreis_ags: str | None = KREIS) -> None:
    """Minimal tables for the VG250 Gemeinden 05899004 and 05899008."""
    write_rows(folder / "zielgruppe.csv", ["ags", "stichtag", "status", "alter", "anzahl"],
               [["5899004", "31.12.2021", "duldung", "19", "7"],
                ["05899008", "31.12.2021", "gestattung", "25", "3"]])
    write_rows(folder / "angebote.csv",
               ["angebot_id", "name", "traeger", "handlungsfeld", "foerderlinie",
                "zugang_duldung", "zugang_gestattung", "alter_min", "alter_max", "plaetze",
                "ags"],
               [["A1", "Kurs", "VHS", "Sprache", "bamf", "nein", "ja", "18", "27", "12",
                 "05899008"]])
    if kreis_ags:
        (folder / "annahmen.yaml").write_text(f'kreis:\n  ags: "{kreis_ags}"\n',
                                              encoding="utf-8")


def check_vg250(gebiete: gpd.GeoDataFrame) -> None:
    assert list(gebiete["ags"]) == ["05899004", "05899008"]
    assert list(gebiete["name"]) == ["Seestadt", "Zweiteil"]
    assert gebiete.crs == CRS_METRIC
    areas = dict(zip(gebiete["ags"], gebiete.area, strict=True))
    assert areas["05899004"] == pytest.approx(12 * KM * KM)  # the lake (GF 2) is left out
    assert areas["05899008"] == pytest.approx(7 * KM * KM)  # both parts, dissolved
    geom = gebiete.set_index("ags").geometry
    assert isinstance(geom["05899008"], MultiPolygon) and len(geom["05899008"].geoms) == 2
    assert gebiete["einwohner"].isna().all()


def test_vg250_shapefile(tmp_path):
    vg250_frame().to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    warn: list[str] = []
    gebiete = read_gebiete(tmp_path, KREIS, warn)
    check_vg250(gebiete)
    # The lake is left out; the neighbour Kreis is not even read (VG250 attribute filter).
    assert any("GF = 4" in w and "1 Flächen" in w for w in warn)


def test_vg250_geopackage_layer(tmp_path):
    path = tmp_path / "DE_VG250.gpkg"
    other = vg250_frame().dissolve(by="AGS").reset_index()
    other.to_file(path, layer="VG250_KRS", engine="pyogrio")  # another layer first
    vg250_frame().to_file(path, layer="VG250_GEM", engine="pyogrio")
    check_vg250(read_gebiete(tmp_path, KREIS, []))


def test_vg250_text_ags_and_population(tmp_path):
    """AGS as text (as the BKG ships it) and EWZ of VG250-EW, taken once per Gemeinde."""
    frame = vg250_frame()
    frame["AGS"] = frame["AGS"].map(lambda a: f"{a:08d}")
    frame["EWZ"] = [5000, 0, 800, 800, 100]
    frame.to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    gebiete = read_gebiete(tmp_path, KREIS, [])
    assert list(gebiete["ags"]) == ["05899004", "05899008"]
    assert list(gebiete["einwohner"]) == [5000, 800]


def test_vg250_without_kreis_keeps_every_land_area(tmp_path):
    vg250_frame().to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    gebiete = read_gebiete(tmp_path, None, [])
    assert list(gebiete["ags"]) == ["05899004", "05899008", "05900004"]


def test_vg250_whole_arbeitsmappe(tmp_path):
    vg250_frame().to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    write_small_arbeitsmappe(tmp_path)
    ws = load_workspace(tmp_path)
    check_vg250(ws.gebiete)
    assert list(ws.zielgruppe["ags"]) == ["05899004", "05899008"]
    offer = ws.angebote.iloc[0]
    assert offer["standort_quelle"] == "gemeinde"
    assert ws.gebiete.geometry[1].contains(offer.geometry)
    assert any("A1" in w and "Gemeinde" in w for w in ws.warnungen)


def test_vg250_wrong_kreis_is_a_data_error(tmp_path):
    vg250_frame().to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    write_small_arbeitsmappe(tmp_path, kreis_ags="05111")
    with pytest.raises(DataError, match="VG250_GEM.shp.*05111"):
        load_workspace(tmp_path)


def test_geopackage_and_plz_of_gebiete(tmp_path):
    """Plain gebiete.gpkg; AGS and PLZ stored as numbers keep their leading zeros."""
    frame = vg250_frame().query("GF == 4").dissolve(by="AGS").reset_index()
    frame = frame.rename(columns={"AGS": "ags", "GEN": "name"})[["ags", "name", "geometry"]]
    frame["einwohner"] = [5000, 800, 100]
    frame["plz"] = ["1234, 1235", "01240", ""]
    frame.to_file(tmp_path / "gebiete.gpkg", engine="pyogrio")
    gebiete = read_gebiete(tmp_path, None, [])
    assert list(gebiete["ags"]) == ["05899004", "05899008", "05900004"]
    assert list(gebiete["plz"]) == [("01234", "01235"), ("01240",), ()]
    assert list(gebiete["einwohner"]) == [5000, 800, 100]


# --- CSV as German offices export it ------------------------------------------------------

ANGEBOT_HEADER = ["angebot_id", "name", "traeger", "handlungsfeld", "foerderlinie",
                  "zugang_duldung", "zugang_gestattung", "alter_min", "alter_max", "plaetze",
                  "lat", "lon", "plz", "ags"]
ANGEBOT_ROWS = [
    ["Ü1", "Sprachkurs für Mädchen", "Träger Süd e. V.", "Sprache", "baustein_2", "ja", "ja",
     "16", "27", "12,5", "51,53682", "7,86433", "", MUSTERSTADT],
    ["Ü2", "Straßenschule", "Jugendwerkstatt Öhringen", "Schulabschluss", "baustein_3", "Nein",
     "JA", "18", "25", "1.234,5", "", "", "", MUSTERSTADT],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ","])
def test_csv_encodings_and_separators(tmp_path, encoding, sep):
    folder = copy_sample(tmp_path)
    write_rows(folder / "angebote.csv", ANGEBOT_HEADER, ANGEBOT_ROWS, encoding=encoding,
               sep=sep)
    raw = (folder / "angebote.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert (b'"12,5"' in raw) == (sep == ",")  # decimal comma quoted only for ','
    ws = load_workspace(folder)
    a = ws.angebote.set_index("angebot_id")
    assert list(a.index) == ["Ü1", "Ü2"]
    assert a.at["Ü1", "name"] == "Sprachkurs für Mädchen"
    assert a.at["Ü2", "traeger"] == "Jugendwerkstatt Öhringen"
    assert a.at["Ü1", "plaetze"] == 12.5 and a.at["Ü2", "plaetze"] == 1234.5
    assert a.at["Ü1", "lat"] == 51.53682 and a.at["Ü1", "lon"] == 7.86433
    assert list(a["zugang_duldung"]) == [True, False]
    assert list(a["zugang_gestattung"]) == [True, True]


def test_csv_tab_separator_and_lf_line_ends():
    text = "ags\tanzahl\n05899004\t3\n\n05899008\t4\n"
    raw = read_csv_text(text.encode("utf-8"), "zielgruppe.csv")
    assert list(raw.frame.columns) == ["ags", "anzahl"]
    assert raw.frame.values.tolist() == [["05899004", "3"], ["05899008", "4"]]
    assert raw.zeilen == [2, 4]  # blank line 3 skipped, numbering kept


def test_header_is_case_and_space_insensitive():
    raw = read_csv_text(b"\xef\xbb\xbf AGS ; Anzahl \r\n05899004;3\r\n", "zielgruppe.csv")
    assert list(raw.frame.columns) == ["ags", "anzahl"]


def test_mixed_encoding_with_bom_keeps_first_column():
    """A UTF-8 BOM followed by cp1252 umlauts: still the column 'ags'."""
    data = b"\xef\xbb\xbfags;name\r\n05899004;M\xfchlheim\r\n"
    raw = read_csv_text(data, "gebiete.csv")
    assert list(raw.frame.columns) == ["ags", "name"]
    assert raw.frame.iloc[0, 1] == "Mühlheim"


# --- Excel ---------------------------------------------------------------------------------

def test_ags_leading_zero_from_excel_number(tmp_path):
    folder = copy_sample(tmp_path)
    (folder / "zielgruppe.csv").unlink()
    write_xlsx(folder / "zielgruppe.xlsx", {"zielgruppe": [
        ["ags", "stichtag", "status", "alter", "geschlecht", "anzahl"],
        [5899004, datetime(2021, 12, 31), "duldung", 19, "m", 7],
        [5899008.0, "31.12.2021", "Gestattung", 20.0, "w", 3],
    ]})
    ws = load_workspace(folder)
    z = ws.zielgruppe
    assert list(z["ags"]) == ["05899004", "05899008"]
    assert list(z["stichtag"]) == [pd.Timestamp(2021, 12, 31)] * 2
    assert list(z["status"]) == ["duldung", "gestattung"]
    assert list(z["alter"]) == [19, 20] and list(z["anzahl"]) == [7, 3]


def test_plz_from_excel_number_finds_its_gemeinde(tmp_path):
    folder = copy_sample(tmp_path)
    (folder / "angebote.csv").unlink()
    write_xlsx(folder / "angebote.xlsx", {"angebote": [
        ANGEBOT_HEADER,
        ["P1", "Kurs", "VHS", "Sprache", "bamf", "nein", "ja", 18, 27, 10, None, None, 111,
         None],
    ]})
    ws = load_workspace(folder)
    offer = ws.angebote.iloc[0]
    assert offer["plz"] == "00111" and offer["standort_quelle"] == "plz"
    assert offer["ags"] == "05899008"  # Beispielheim owns PLZ 00111


@pytest.mark.parametrize("sheets", [
    ["angebote"],
    ["Tabelle1"],  # the only sheet, whatever its name
    ["Hinweise", "Angebote"],  # named like the table, not first
])
def test_xlsx_sheet_choice(tmp_path, sheets):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    (folder / "angebote.csv").unlink()
    content = {s: [["Bitte nicht löschen"]] for s in sheets}
    content[sheets[-1]] = [header, *rows]
    write_xlsx(folder / "angebote.xlsx", content)
    ws = load_workspace(folder)
    assert list(ws.angebote["angebot_id"]) == column(header, rows, "angebot_id")
    assert ws.angebote["plaetze"].sum() == sum(float(p) for p in column(header, rows,
                                                                           "plaetze"))


def test_bedarfe_sheet_in_faelle_xlsx(tmp_path):
    folder = copy_sample(tmp_path)
    fh, frows = read_rows(folder / "faelle.csv")
    bh, brows = read_rows(folder / "bedarfe.csv")
    (folder / "faelle.csv").unlink()
    (folder / "bedarfe.csv").unlink()
    write_xlsx(folder / "faelle.xlsx", {"faelle": [fh, *frows], "bedarfe": [bh, *brows],
                                        "Erläuterungen": [["Spalte", "Bedeutung"]]})
    ws = load_workspace(folder)
    assert len(ws.faelle) == len(frows) and len(ws.bedarfe) == len(brows)
    assert list(ws.bedarfe["fall_id"]) == column(bh, brows, "fall_id")
    assert not any("fehlen die Bedarfe" in w for w in ws.warnungen)


def test_faelle_without_bedarfe_warns(tmp_path):
    folder = copy_sample(tmp_path)
    (folder / "bedarfe.csv").unlink()
    ws = load_workspace(folder)
    assert ws.bedarfe is None
    assert any("fehlen die Bedarfe" in w for w in ws.warnungen)


def test_xlsx_and_csv_give_the_same_workspace(tmp_path):
    folder = copy_sample(tmp_path)
    csv_ws = load_workspace(folder)
    for name in ("zielgruppe", "angebote", "faelle", "kommunen"):
        csv_to_xlsx(folder, name)
    xlsx_ws = load_workspace(folder)
    pd.testing.assert_frame_equal(xlsx_ws.zielgruppe, csv_ws.zielgruppe)
    pd.testing.assert_frame_equal(xlsx_ws.faelle, csv_ws.faelle)
    pd.testing.assert_frame_equal(xlsx_ws.kommunen, csv_ws.kommunen)
    pd.testing.assert_frame_equal(xlsx_ws.angebote.drop(columns="geometry"),
                                  csv_ws.angebote.drop(columns="geometry"))


# --- placeholders, fallback, several problems -----------------------------------------------

@pytest.mark.parametrize("placeholder", ["-", ".", "...", "x", "/", "X", " - "])
def test_placeholders_become_missing_with_warning(tmp_path, placeholder):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "zielgruppe.csv")
    j = header.index("anzahl")
    before = sum(int(r[j]) for r in rows if r[j].isdigit())
    removed = int(rows[4][j])
    set_cell(folder, "zielgruppe.csv", 6, "anzahl", placeholder)  # data row 5 = Excel row 6
    ws = load_workspace(folder)
    assert pd.isna(ws.zielgruppe.loc[4, "anzahl"])
    assert int(ws.zielgruppe["anzahl"].sum()) == before - removed
    warning = next(w for w in ws.warnungen if "Platzhalter" in w)
    assert "zielgruppe.csv" in warning and "'anzahl'" in warning and " 6" in warning
    assert "nicht als 0" in warning


def test_placeholder_not_allowed_outside_counts(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 3, "alter_min", "x")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert "angebote.csv, Zeile 3, Spalte 'alter_min'" in str(info.value)


def test_offers_without_coordinates_fall_back_to_gemeinde(tmp_path):
    folder = copy_sample(tmp_path)

    def strip_coordinates(header, rows):
        for r in rows[:3]:
            r[header.index("lat")] = r[header.index("lon")] = r[header.index("plz")] = ""
            r[header.index("ags")] = "05899012"
    edit_table(folder, "angebote.csv", strip_coordinates)
    ws = load_workspace(folder)
    first = ws.angebote.iloc[:3]
    assert (first["standort_quelle"] == "gemeinde").all()
    assert (first["ags"] == "05899012").all()
    gemeinde = ws.gebiete.set_index("ags").geometry["05899012"]
    assert all(gemeinde.contains(p) for p in first.geometry)
    assert first["lat"].isna().all()
    warning = next(w for w in ws.warnungen if "Gemeinde (AGS)" in w)
    for aid in first["angebot_id"]:
        assert aid in warning


def test_all_problems_of_a_file_are_reported_and_capped(tmp_path):
    folder = copy_sample(tmp_path)
    n_bad = MAX_SHOWN + 7

    def spoil(header, rows):
        for r in rows[:n_bad]:
            r[header.index("anzahl")] = "viele"
    edit_table(folder, "zielgruppe.csv", spoil)
    set_cell(folder, "angebote.csv", 2, "plaetze", "zehn")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    exc = info.value
    assert len(exc.problems) == n_bad + 1
    rows = sorted(p.zeile for p in exc.problems if p.datei == "zielgruppe.csv")
    assert rows == list(range(2, n_bad + 2))
    text = str(exc)
    assert text.startswith(f"Es wurden {n_bad + 1} Probleme in den Eingabedaten gefunden")
    assert text.count("\n- ") == MAX_SHOWN + 1
    assert text.endswith(f"- und {n_bad + 1 - MAX_SHOWN} weitere")


def test_problems_of_several_files_together(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "zielgruppe.csv", 2, "status", "geduldet")
    set_cell(folder, "faelle.csv", 4, "einwilligung", "vielleicht")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    files = {p.datei for p in info.value.problems}
    assert files == {"zielgruppe.csv", "faelle.csv"}
    assert "Erlaubt sind: duldung, gestattung, sonstige" in str(info.value)


def test_overrides_are_applied(tmp_path):
    ws = load_workspace(copy_sample(tmp_path), overrides={"stellen": {"betreuungsschluessel": 80},
                                                         "kreis": {"stichtag": "31.12.2020"}})
    assert ws.annahmen["stellen"]["betreuungsschluessel"] == 80
    assert ws.stichtag == pd.Timestamp(2020, 12, 31)


def test_stichtag_without_rows_warns(tmp_path):
    ws = load_workspace(copy_sample(tmp_path), overrides={"kreis": {"stichtag": "2022-06-30"}})
    assert any("30.06.2022" in w and "31.12.2021" in w for w in ws.warnungen)


def test_loading_emits_no_python_warnings(tmp_path):
    folder = copy_sample(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_workspace(folder)


def test_read_table_dispatches_on_suffix(tmp_path):
    path = tmp_path / "kommunen.xlsx"
    write_xlsx(path, {"kommunen": [["ags", "stellen_bestand"], [5899004, 1.5]]})
    raw = read_table(path)
    assert raw.datei == "kommunen.xlsx"
    assert raw.frame.values.tolist() == [["5899004", "1.5"]]


# --- cell parsers ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("1.234", 1234), ("1 234", 1234), ("-3", -3), ("12,0", 12), ("7.0", 7)])
def test_parse_int(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["1,5", "12a", "", "1_000", "1.23", "1e3"])
def test_parse_int_rejects(text):
    with pytest.raises(ValueError):
        parse_int(text)


@pytest.mark.parametrize(("text", "value"), [
    ("51,23", 51.23), ("51.23", 51.23), ("1.234,5", 1234.5), ("-0,5", -0.5), ("3", 3.0),
    ("1e3", 1000.0)])
def test_parse_float(text, value):
    assert parse_float(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "1_0", "1,2,3", "zwölf", "1e999"])
def test_parse_float_rejects(text):
    with pytest.raises(ValueError):
        parse_float(text)


@pytest.mark.parametrize(("text", "value"), [
    ("31.12.2021", pd.Timestamp(2021, 12, 31)), ("2021-12-31", pd.Timestamp(2021, 12, 31)),
    ("1.2.21", pd.Timestamp(2021, 2, 1)), ("2021-12-31 00:00:00", pd.Timestamp(2021, 12, 31)),
    ("31.12.2021 00:00", pd.Timestamp(2021, 12, 31))])
def test_parse_date(text, value):
    assert parse_date(text) == value


@pytest.mark.parametrize("text", ["31.13.2021", "31.12.2300", "0001-01-01", "heute", "2021"])
def test_parse_date_rejects(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_excel_serial_date_gets_its_own_hint():
    with pytest.raises(CellError, match="Excel-Zahl") as info:
        parse_date("44561")
    assert "als Datum formatieren" in info.value.hinweis


@pytest.mark.parametrize(("text", "value"), [("05899004", "05899004"), ("5899004", "05899004"),
                                             ("05 899 004", "05899004")])
def test_parse_ags(text, value):
    assert parse_ags(text) == value


@pytest.mark.parametrize("text", ["589900", "058990041", "05899OO4", "-5899004"])
def test_parse_ags_rejects(text):
    with pytest.raises(ValueError):
        parse_ags(text)


# --- empty optional tables, templates -------------------------------------------------------

def test_empty_faelle_template_is_left_out(tmp_path):
    folder = copy_sample(tmp_path)
    (folder / "faelle.csv").unlink()
    (folder / "bedarfe.csv").unlink()
    write_templates(tmp_path / "vorlage")
    (tmp_path / "vorlage" / "faelle.xlsx").rename(folder / "faelle.xlsx")
    ws = load_workspace(folder)
    assert ws.faelle is None and ws.bedarfe is None
    assert any(w.startswith("faelle.xlsx: enthält keine Datenzeilen") for w in ws.warnungen)


def test_header_only_optional_csv_is_left_out(tmp_path):
    folder = copy_sample(tmp_path)
    edit_table(folder, "kommunen.csv", lambda header, rows: (header, []))
    ws = load_workspace(folder)
    assert len(ws.kommunen) == len(ws.gebiete)
    assert not ws.kommunen["geschaeftsfuehrende_stelle"].any()
    assert any(w.startswith("kommunen.csv: enthält keine Datenzeilen") for w in ws.warnungen)


def test_bedarfe_sheet_with_empty_faelle_is_an_error(tmp_path):
    folder = copy_sample(tmp_path)
    fh, _ = read_rows(folder / "faelle.csv")
    bh, brows = read_rows(folder / "bedarfe.csv")
    (folder / "faelle.csv").unlink()
    (folder / "bedarfe.csv").unlink()
    write_xlsx(folder / "faelle.xlsx", {"faelle": [fh], "bedarfe": [bh, *brows[:3]]})
    with pytest.raises(DataError, match=r"faelle.xlsx \[bedarfe\]: Bedarfe ohne Fälle"):
        load_workspace(folder)


def test_unknown_column_is_named_in_a_warning(tmp_path):
    folder = copy_sample(tmp_path)

    def typo(header, rows):
        header[header.index("einzugsgebiet")] = "einzugsbereich"
    edit_table(folder, "angebote.csv", typo)
    ws = load_workspace(folder)
    assert all(e == () for e in ws.angebote["einzugsgebiet"])
    warning = next(w for w in ws.warnungen if "unbekannte Spalten" in w)
    assert warning.startswith("angebote.csv:") and "einzugsbereich" in warning
    assert "einzugsgebiet" in warning


def test_invalid_geometry_is_repaired_to_an_area(tmp_path):
    spike = Polygon([(X0, Y0), (X0 + KM, Y0), (X0 + KM, Y0 + KM), (X0, Y0 + KM), (X0, Y0),
                     (X0, Y0 + 5 * KM), (X0, Y0)])
    frame = gpd.GeoDataFrame({"ags": ["05899004", "05899008"], "name": ["A", "B"]},
                             geometry=[spike, box(X0 + KM, Y0, X0 + 2 * KM, Y0 + KM)],
                             crs="EPSG:25832")
    assert not frame.is_valid.all()
    frame.to_file(tmp_path / "gebiete.gpkg", engine="pyogrio")
    warn: list[str] = []
    gebiete = read_gebiete(tmp_path, None, warn)
    assert gebiete.is_valid.all()
    assert set(gebiete.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gebiete.area.tolist() == pytest.approx([KM * KM, KM * KM])
    assert any("1 ungültige Geometrien wurden repariert" in w for w in warn)


def test_repeated_target_group_rows_are_added_with_a_warning(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "zielgruppe.csv")
    j = header.index("anzahl")
    total = sum(int(r[j]) for r in rows if r[j].isdigit())
    edit_table(folder, "zielgruppe.csv", lambda h, r: (h, r + [r[0], r[1]]))
    ws = load_workspace(folder)
    assert int(ws.zielgruppe["anzahl"].sum()) == total + int(rows[0][j]) + int(rows[1][j])
    n = len(rows) + 1
    warning = next(w for w in ws.warnungen if "mehrfach" in w)
    assert warning.startswith("zielgruppe.csv: 2 Kombinationen")
    assert f"Zeilen 2, {n + 1}; 3, {n + 2})" in warning


def test_excel_rows_are_numbered_as_excel_shows_them(tmp_path):
    """Header in B3, a blank row between data rows: rows 4 and 6, as in Excel."""
    wb = Workbook()
    ws = wb.active
    ws.title = "kommunen"
    ws["B3"], ws["C3"] = "ags", "stellen_bestand"
    ws["B4"], ws["C4"] = "05899004", "1,5"
    ws["B6"], ws["C6"] = 5899008, "eins"
    wb.save(tmp_path / "kommunen.xlsx")
    raw = read_table(tmp_path / "kommunen.xlsx")
    assert raw.zeilen == [4, 6]
    assert list(raw.frame.columns) == ["ags", "stellen_bestand"]
    problems = ProblemCollector()
    type_table(raw, "kommunen", problems, [])
    assert [(p.zeile, p.spalte, p.wert) for p in problems.problems] == [
        (6, "stellen_bestand", "eins")]


def test_excel_sep_directive_line():
    """'sep=;' in the first line is a setting Excel hides: the header stays row 1."""
    raw = read_csv_text("sep=,\r\nags,plaetze\r\n05899004,\"1,5\"\r\n".encode("cp1252"),
                        "angebote.csv")
    assert list(raw.frame.columns) == ["ags", "plaetze"]
    assert raw.frame.values.tolist() == [["05899004", "1,5"]]
    assert raw.zeilen == [2]


def test_file_names_in_any_case(tmp_path):
    """Windows users write 'Angebote.xlsx'; the server's file system tells case apart."""
    folder = copy_sample(tmp_path)
    csv_to_xlsx(folder, "angebote")
    for old, new in (("angebote.xlsx", "Angebote.XLSX"), ("zielgruppe.csv", "Zielgruppe.csv"),
                     ("gebiete.geojson", "Gebiete.GeoJSON"), ("annahmen.yaml", "Annahmen.yaml")):
        (folder / old).rename(folder / new)
    ws = load_workspace(folder)
    assert len(ws.angebote) == len(read_rows(SAMPLE / "angebote.csv")[1])
    assert ws.name == "Musterkreis (fiktiv)"  # from Annahmen.yaml
    assert any("Angebote.XLSX" in w for w in ws.warnungen)
