"""The Arbeitsmappe loader: VG250, CSV dialects, Excel, placeholders, location fallback."""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import datetime
from pathlib import Path

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
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon, box

from thm_lib.core import labels
from thm_lib.core.errors import (
    MAX_SHOWN,
    DataError,
    Problem,
    ProblemCollector,
    zeilen_bereiche,
    zeilen_text,
)
from thm_lib.core.workspace import CRS_METRIC
from thm_lib.ingest.arbeitsmappe import load_workspace, type_table
from thm_lib.ingest.columns import (
    CellError,
    category_lookup,
    normalise_word,
    parse_ags,
    parse_date,
    parse_float,
    parse_int,
)
from thm_lib.ingest.gebiete import read_gebiete
from thm_lib.ingest.tables import read_csv_text, read_table
from thm_lib.ingest.vorlagen import write_templates

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
        {
            "AGS": [r[0] for r in rows],
            "GEN": [r[1] for r in rows],
            "BEZ": [r[2] for r in rows],
            "GF": [r[3] for r in rows],
        },
        geometry=[r[4] for r in rows],
        crs="EPSG:25832",
    )


def write_small_arbeitsmappe(folder, kreis_ags: str | None = KREIS) -> None:
    """Minimal tables for the VG250 Gemeinden 05899004 and 05899008."""
    write_rows(
        folder / "zielgruppe.csv",
        ["ags", "stichtag", "status", "alter", "anzahl"],
        [
            ["5899004", "31.12.2021", "duldung", "19", "7"],
            ["05899008", "31.12.2021", "gestattung", "25", "3"],
        ],
    )
    write_rows(
        folder / "angebote.csv",
        [
            "angebot_id",
            "name",
            "traeger",
            "handlungsfeld",
            "foerderlinie",
            "zugang_duldung",
            "zugang_gestattung",
            "alter_min",
            "alter_max",
            "plaetze",
            "ags",
        ],
        [["A1", "Kurs", "VHS", "Sprache", "bamf", "nein", "ja", "18", "27", "12", "05899008"]],
    )
    if kreis_ags:
        (folder / "annahmen.yaml").write_text(f'kreis:\n  ags: "{kreis_ags}"\n', encoding="utf-8")


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
    assert any(
        ": 1 Angebot ohne Koordinaten wird über die Gemeinde (AGS) in die Mitte der Gemeinde "
        "gelegt: A1." in w
        for w in ws.warnungen
    ), ws.warnungen


def test_missing_kreis_name_falls_back_to_folder_with_warning(tmp_path):
    mappe = tmp_path / "kreis_ordner"
    mappe.mkdir()
    vg250_frame().to_file(mappe / "VG250_GEM.shp", engine="pyogrio")
    write_small_arbeitsmappe(mappe)
    ws = load_workspace(mappe)
    assert ws.name == "kreis_ordner"
    assert (
        "annahmen.yaml: kein Name des Kreises (kreis.name); die Berichte tragen den "
        "Ordnernamen 'kreis_ordner'. Bitte den Namen in annahmen.yaml eintragen (Vorlage: "
        "'thm vorlage ORDNER')."
    ) in ws.warnungen


def test_without_annahmen_the_note_says_the_defaults_hold(tmp_path):
    # session 56: it said only "kein Name des Kreises ... Bitte den Namen in annahmen.yaml
    # eintragen", for a file that is not there, and not that every setting is a default
    mappe = shutil.copytree(SAMPLE, tmp_path / "Kreis Höxter (Entwurf)")
    (mappe / "annahmen.yaml").unlink()
    ws = load_workspace(mappe)
    assert ws.name == "Kreis Höxter (Entwurf)"
    assert (
        "annahmen.yaml fehlt: es gelten die Voreinstellungen des Programms (unter anderem "
        "Sperrschwelle 5), und die Berichte tragen den Ordnernamen 'Kreis Höxter (Entwurf)'. "
        "Bitte annahmen.yaml anlegen und darin mindestens den Namen und den Kreisschlüssel "
        "eintragen (Vorlage: 'thm vorlage ORDNER')."
    ) in ws.warnungen
    assert not any("kein Name des Kreises" in w for w in ws.warnungen)


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

ANGEBOT_HEADER = [
    "angebot_id",
    "name",
    "traeger",
    "handlungsfeld",
    "foerderlinie",
    "zugang_duldung",
    "zugang_gestattung",
    "alter_min",
    "alter_max",
    "plaetze",
    "lat",
    "lon",
    "plz",
    "ags",
]
ANGEBOT_ROWS = [
    [
        "Ü1",
        "Sprachkurs für Mädchen",
        "Träger Süd e. V.",
        "Sprache",
        "baustein_2",
        "ja",
        "ja",
        "16",
        "27",
        "12,5",
        "51,53682",
        "7,86433",
        "",
        MUSTERSTADT,
    ],
    [
        "Ü2",
        "Straßenschule",
        "Jugendwerkstatt Öhringen",
        "Schulabschluss",
        "baustein_3",
        "Nein",
        "JA",
        "18",
        "25",
        "1.234,5",
        "",
        "",
        "",
        MUSTERSTADT,
    ],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ","])
def test_csv_encodings_and_separators(tmp_path, encoding, sep):
    folder = copy_sample(tmp_path)
    write_rows(folder / "angebote.csv", ANGEBOT_HEADER, ANGEBOT_ROWS, encoding=encoding, sep=sep)
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
    write_xlsx(
        folder / "zielgruppe.xlsx",
        {
            "zielgruppe": [
                ["ags", "stichtag", "status", "alter", "geschlecht", "anzahl"],
                [5899004, datetime(2021, 12, 31), "duldung", 19, "m", 7],
                [5899008.0, "31.12.2021", "Gestattung", 20.0, "w", 3],
            ]
        },
    )
    ws = load_workspace(folder)
    z = ws.zielgruppe
    assert list(z["ags"]) == ["05899004", "05899008"]
    assert list(z["stichtag"]) == [pd.Timestamp(2021, 12, 31)] * 2
    assert list(z["status"]) == ["duldung", "gestattung"]
    assert list(z["alter"]) == [19, 20] and list(z["anzahl"]) == [7, 3]


def test_plz_from_excel_number_finds_its_gemeinde(tmp_path):
    folder = copy_sample(tmp_path)
    (folder / "angebote.csv").unlink()
    write_xlsx(
        folder / "angebote.xlsx",
        {
            "angebote": [
                ANGEBOT_HEADER,
                [
                    "P1",
                    "Kurs",
                    "VHS",
                    "Sprache",
                    "bamf",
                    "nein",
                    "ja",
                    18,
                    27,
                    10,
                    None,
                    None,
                    111,
                    None,
                ],
            ]
        },
    )
    ws = load_workspace(folder)
    offer = ws.angebote.iloc[0]
    assert offer["plz"] == "00111" and offer["standort_quelle"] == "plz"
    assert offer["ags"] == "05899008"  # Beispielheim owns PLZ 00111


@pytest.mark.parametrize(
    "sheets",
    [
        ["angebote"],
        ["Tabelle1"],  # the only sheet, whatever its name
        ["Hinweise", "Angebote"],  # named like the table, not first
    ],
)
def test_xlsx_sheet_choice(tmp_path, sheets):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    (folder / "angebote.csv").unlink()
    content = {s: [["Bitte nicht löschen"]] for s in sheets}
    content[sheets[-1]] = [header, *rows]
    write_xlsx(folder / "angebote.xlsx", content)
    ws = load_workspace(folder)
    assert list(ws.angebote["angebot_id"]) == column(header, rows, "angebot_id")
    assert ws.angebote["plaetze"].sum() == sum(float(p) for p in column(header, rows, "plaetze"))


def test_bedarfe_sheet_in_faelle_xlsx(tmp_path):
    folder = copy_sample(tmp_path)
    fh, frows = read_rows(folder / "faelle.csv")
    bh, brows = read_rows(folder / "bedarfe.csv")
    (folder / "faelle.csv").unlink()
    (folder / "bedarfe.csv").unlink()
    write_xlsx(
        folder / "faelle.xlsx",
        {
            "faelle": [fh, *frows],
            "bedarfe": [bh, *brows],
            "Erläuterungen": [["Spalte", "Bedeutung"]],
        },
    )
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
    pd.testing.assert_frame_equal(
        xlsx_ws.angebote.drop(columns="geometry"), csv_ws.angebote.drop(columns="geometry")
    )


# --- placeholders, fallback, several problems -----------------------------------------------


@pytest.mark.parametrize("placeholder", [".", "...", "…", "x", "/", "X", " . ", "g", "u", "k", "t"])
def test_unknown_placeholders_become_missing_with_warning(tmp_path, placeholder):
    """Destatis '.', '...', 'x', '/' and the letter scheme g u k t x mean 'unknown'."""
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
    assert warning.startswith("zielgruppe.csv, Spalte 'anzahl': 1 Wert ist Platzhalter")
    assert "(Zeile 6)" in warning and "wird als fehlend gelesen, nicht als 0" in warning


@pytest.mark.parametrize("dash", ["-", " - ", "\u2013"])
def test_dash_means_nothing_there_and_is_zero(tmp_path, dash):
    """Destatis '-' = 'nichts vorhanden': a count of 0, not unknown, and no warning."""
    folder = copy_sample(tmp_path)
    set_cell(folder, "zielgruppe.csv", 6, "anzahl", dash)
    ws = load_workspace(folder)
    assert ws.zielgruppe.loc[4, "anzahl"] == 0
    assert not any("Zeile 6" in w for w in ws.warnungen)


def test_symbols_in_one_column_each_by_its_rule(tmp_path):
    """'-' rows count 0, '.' rows are missing; the warning names only the unknown rows."""
    folder = copy_sample(tmp_path)

    def change(header, rows):
        j = header.index("anzahl")
        for r, value in zip(rows[:6], ["-", ".", "-", "...", "/", "7"], strict=True):
            r[j] = value
        return header, rows[:6]

    edit_table(folder, "zielgruppe.csv", change)
    ws = load_workspace(folder)
    assert ws.zielgruppe["anzahl"].tolist()[:6] == [0, pd.NA, 0, pd.NA, pd.NA, 7]
    warning = next(w for w in ws.warnungen if "Platzhalter" in w)
    assert "3 Werte" in warning and "(Zeilen 3, 5–6)" in warning


def test_dash_in_einwohner_is_zero_dot_is_missing(tmp_path):
    folder = copy_sample(tmp_path)
    frame = gpd.read_file(folder / "gebiete.geojson")
    frame["einwohner"] = frame["einwohner"].astype(str)
    frame.loc[0, "einwohner"] = "-"
    frame.loc[1, "einwohner"] = "."
    (folder / "gebiete.geojson").unlink()
    frame.to_file(folder / "gebiete.gpkg", engine="pyogrio")
    ws = load_workspace(folder)
    einwohner = ws.gebiete.set_index("ags")["einwohner"]
    assert einwohner[frame.loc[0, "ags"]] == 0
    assert pd.isna(einwohner[frame.loc[1, "ags"]])


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
    # the same mistake in 27 rows is one line with the row range
    assert text.splitlines()[1:] == [
        f"- zielgruppe.csv, Zeilen 2\u2013{n_bad + 1}, Spalte 'anzahl': keine ganze Zahl "
        "(Wert: 'viele'). Bitte eine ganze Zahl ohne Einheit eintragen",
        "- angebote.csv, Zeile 2, Spalte 'plaetze': keine Zahl (Wert: 'zehn'). Bitte eine "
        "Zahl eintragen (Dezimalkomma erlaubt)",
    ]


def test_distinct_mistakes_are_capped():
    problems = [
        Problem("angebote.csv", f"Fehler {i}", "Bitte prüfen", zeile=i + 2, spalte=f"s{i}")
        for i in range(MAX_SHOWN + 5)
    ]
    problems.append(Problem("angebote.csv", "Fehler 0", "Bitte prüfen", zeile=40, spalte="s0"))
    text = str(DataError(problems))
    lines = text.splitlines()
    assert len(lines) == 1 + MAX_SHOWN + 1
    assert lines[1] == "- angebote.csv, Zeilen 2, 40, Spalte 's0': Fehler 0. Bitte prüfen"
    assert lines[-1] == "- und 5 weitere"


@pytest.mark.parametrize(
    ("zeilen", "text"),
    [
        ([5], "Zeile 5"),
        ([2, 3], "Zeilen 2\u20133"),
        (list(range(2, 313)), "Zeilen 2\u2013312"),
        ([9, 2, 3, 4, 11, 12, 9], "Zeilen 2\u20134, 9, 11\u201312"),
        (list(range(2, 40, 2)), "Zeilen " + ", ".join(str(z) for z in range(2, 22, 2)) + " …"),
    ],
)
def test_row_ranges(zeilen, text):
    assert zeilen_text(zeilen) == text


def test_grouped_values_are_listed_distinct():
    problems = [
        Problem(
            "faelle.csv",
            "kein Ja/Nein-Wert",
            "Bitte 'ja' oder 'nein' eintragen",
            zeile=z,
            spalte="einwilligung",
            wert=w,
        )
        for z, w in ((2, "evtl."), (3, "evtl."), (4, "?"), (5, "k.A."), (6, "unklar"))
    ]
    assert str(DataError(problems)).splitlines()[1] == (
        "- faelle.csv, Zeilen 2\u20136, Spalte 'einwilligung': kein Ja/Nein-Wert (Werte: "
        "'evtl.', '?', 'k.A.' …). Bitte 'ja' oder 'nein' eintragen"
    )


def test_problems_of_several_files_together(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "zielgruppe.csv", 2, "status", "abgelehnt")
    set_cell(folder, "faelle.csv", 4, "einwilligung", "vielleicht")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    files = {p.datei for p in info.value.problems}
    assert files == {"zielgruppe.csv", "faelle.csv"}
    assert "Erlaubt sind: duldung, gestattung, sonstige" in str(info.value)


def test_overrides_are_applied(tmp_path):
    ws = load_workspace(
        copy_sample(tmp_path),
        overrides={"stellen": {"betreuungsschluessel": 80}, "kreis": {"stichtag": "31.12.2020"}},
    )
    assert ws.annahmen.stellen.betreuungsschluessel == 80
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


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("1.234", 1234),
        ("1 234", 1234),
        ("-3", -3),
        ("12,0", 12),
        ("7.0", 7),
        ("7.00", 7),
        # a point before three digits is a thousands point, also before zeros (the
        # decimal-zeros shortcut for "7.0" read "5.000" einwohner as 5, session 29)
        ("1.000", 1000),
        ("5.000", 5000),
        ("100.000", 100000),
        ("1.000.000", 1000000),
    ],
)
def test_parse_int(text, value):
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["1,5", "12a", "", "1_000", "1.23", "1e3"])
def test_parse_int_rejects(text):
    with pytest.raises(ValueError):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("51,23", 51.23),
        ("51.23", 51.23),
        ("1.234,5", 1234.5),
        ("-0,5", -0.5),
        ("3", 3.0),
        ("1e3", 1000.0),
    ],
)
def test_parse_float(text, value):
    assert parse_float(text) == value


@pytest.mark.parametrize("text", ["nan", "inf", "1_0", "1,2,3", "zwölf", "1e999"])
def test_parse_float_rejects(text):
    with pytest.raises(ValueError):
        parse_float(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("31.12.2021", pd.Timestamp(2021, 12, 31)),
        ("2021-12-31", pd.Timestamp(2021, 12, 31)),
        ("1.2.21", pd.Timestamp(2021, 2, 1)),
        ("2021-12-31 00:00:00", pd.Timestamp(2021, 12, 31)),
        ("31.12.2021 00:00", pd.Timestamp(2021, 12, 31)),
    ],
)
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


@pytest.mark.parametrize(
    ("text", "value"),
    [("05899004", "05899004"), ("5899004", "05899004"), ("05 899 004", "05899004")],
)
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
        header[header.index("einzugsgebiet")] = " Einzugsbereich"

    edit_table(folder, "angebote.csv", typo)
    ws = load_workspace(folder)
    assert all(e == () for e in ws.angebote["einzugsgebiet"])
    warning = next(w for w in ws.warnungen if "unbekannte Spalten" in w)
    # the column is named as the user wrote it (was lower-cased: "einzugsbereich")
    assert warning.startswith("angebote.csv: unbekannte Spalten werden nicht ausgewertet: ")
    assert "ausgewertet: Einzugsbereich (Tippfehler? Bekannt sind: " in warning
    assert "einzugsgebiet" in warning


def test_invalid_geometry_is_repaired_to_an_area(tmp_path):
    spike = Polygon(
        [
            (X0, Y0),
            (X0 + KM, Y0),
            (X0 + KM, Y0 + KM),
            (X0, Y0 + KM),
            (X0, Y0),
            (X0, Y0 + 5 * KM),
            (X0, Y0),
        ]
    )
    frame = gpd.GeoDataFrame(
        {"ags": ["05899004", "05899008"], "name": ["A", "B"]},
        geometry=[spike, box(X0 + KM, Y0, X0 + 2 * KM, Y0 + KM)],
        crs="EPSG:25832",
    )
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
    edit_table(folder, "zielgruppe.csv", lambda h, r: (h, r[:-1]))
    warning = next(w for w in load_workspace(folder).warnungen if "mehrfach" in w)
    assert warning.startswith(
        "zielgruppe.csv: 1 Kombination aus ags, stichtag, status, Alter und geschlecht steht "
        "mehrfach da und wird addiert (Zeilen 2, "
    )


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
        (6, "stellen_bestand", "eins")
    ]


def test_excel_sep_directive_line():
    """'sep=;' in the first line is a setting Excel hides: the header stays row 1."""
    raw = read_csv_text(
        'sep=,\r\nags,plaetze\r\n05899004,"1,5"\r\n'.encode("cp1252"), "angebote.csv"
    )
    assert list(raw.frame.columns) == ["ags", "plaetze"]
    assert raw.frame.values.tolist() == [["05899004", "1,5"]]
    assert raw.zeilen == [2]


def test_file_names_in_any_case(tmp_path):
    """Windows users write 'Angebote.xlsx'; the server's file system tells case apart."""
    folder = copy_sample(tmp_path)
    csv_to_xlsx(folder, "angebote")
    for old, new in (
        ("angebote.xlsx", "Angebote.XLSX"),
        ("zielgruppe.csv", "Zielgruppe.csv"),
        ("gebiete.geojson", "Gebiete.GeoJSON"),
        ("annahmen.yaml", "Annahmen.yaml"),
    ):
        (folder / old).rename(folder / new)
    ws = load_workspace(folder)
    assert len(ws.angebote) == len(read_rows(SAMPLE / "angebote.csv")[1])
    assert ws.name == "Musterkreis (fiktiv)"  # from Annahmen.yaml
    assert any("Angebote.XLSX" in w for w in ws.warnungen)


# --- German words for codes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "word", "code"),
    [
        (labels.STATUS, "geduldet", "duldung"),
        (labels.STATUS, "Duldung", "duldung"),
        (labels.STATUS, "Gestattete", "gestattung"),
        (labels.STATUS, "Aufenthaltsgestattung", "gestattung"),
        (labels.ERGEBNIS, "nächstbeste", "naechstbeste"),
        (labels.ERGEBNIS, "Nächstbeste Lösung", "naechstbeste"),
        (labels.ERGEBNIS, "kein Angebot", "kein_angebot"),
        (labels.ERGEBNIS, "kein-Angebot", "kein_angebot"),
        (labels.ERGEBNIS, "passendes Angebot", "passend"),
        (labels.FOERDERLINIEN, "Baustein 2", "baustein_2"),
        (labels.FOERDERLINIEN, "Förderbaustein 6", "baustein_6"),
        (labels.FOERDERLINIEN, "Agentur für Arbeit", "arbeitsagentur"),
        (labels.FOERDERLINIEN, "Jugendmigrationsdienst", "jmd"),
        (labels.GESCHLECHT, "weiblich", "w"),
        (labels.GESCHLECHT, "keine Angabe", "x"),
        (labels.HANDLUNGSFELDER, "sprache", "Sprache"),
    ],
)
def test_german_words_are_read_as_codes(choices, word, code):
    assert category_lookup(choices)[normalise_word(word)] == code


def test_words_of_one_column_are_not_codes_of_another():
    assert normalise_word("geduldet") not in category_lookup(labels.ERGEBNIS)
    assert normalise_word("abgelehnt") not in category_lookup(labels.STATUS)  # FACTS.md
    assert normalise_word("Sonstiges") not in category_lookup(labels.STATUS)


def test_german_words_in_real_files(tmp_path):
    """A cp1252 CSV with words instead of codes loads as the codes; unknown words still fail."""
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "zielgruppe.csv")
    j = header.index("status")
    rows[0][j], rows[1][j], rows[2][j] = "geduldet", "Aufenthaltsgestattung", "Gestattete"
    write_rows(folder / "zielgruppe.csv", header, rows, encoding="cp1252")
    bh, brows = read_rows(folder / "bedarfe.csv")
    k = bh.index("ergebnis")
    brows[0][k], brows[1][k], brows[2][k] = "nächstbeste", "kein Angebot", "nächstbeste Lösung"
    write_rows(folder / "bedarfe.csv", bh, brows, encoding="cp1252")
    csv_to_xlsx(folder, "angebote")
    from openpyxl import load_workbook

    wb = load_workbook(folder / "angebote.xlsx")
    sheet = wb["angebote"]
    col = [c.value for c in sheet[1]].index("foerderlinie") + 1
    sheet.cell(row=2, column=col, value="Baustein 2")
    sheet.cell(row=3, column=col, value="Förderbaustein 6")
    wb.save(folder / "angebote.xlsx")
    ws = load_workspace(folder)
    assert ws.zielgruppe["status"].tolist()[:3] == ["duldung", "gestattung", "gestattung"]
    assert ws.bedarfe["ergebnis"].tolist()[:3] == ["naechstbeste", "kein_angebot", "naechstbeste"]
    assert ws.angebote["foerderlinie"].tolist()[:2] == ["baustein_2", "baustein_6"]
    set_cell(folder, "bedarfe.csv", 5, "ergebnis", "geduldet")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert str(info.value).splitlines()[1] == (
        "- bedarfe.csv, Zeile 5, Spalte 'ergebnis': unbekannter Wert (Wert: 'geduldet'). "
        "Erlaubt sind: passend, naechstbeste, kein_angebot, offen"
    )


# --- title rows and merged cells above the header -------------------------------------------


def _angebote_with_title(folder, header_names=None) -> None:
    """angebote.xlsx as an office makes it: a merged title, a 'Stand' row, a blank row."""
    header, rows = read_rows(folder / "angebote.csv")
    (folder / "angebote.csv").unlink()
    wb = Workbook()
    sheet = wb.active
    sheet.title = "angebote"
    sheet["A1"] = "Angebotsübersicht Musterkreis"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "Stand: 01.01.2022"
    sheet.merge_cells("A2:C2")
    sheet.append([])  # row 3 blank
    sheet.append(header_names or header)  # row 4
    for r in rows:
        sheet.append(r)
    wb.save(folder / "angebote.xlsx")


def test_xlsx_title_rows_and_merged_cells_above_header(tmp_path):
    folder = copy_sample(tmp_path)
    csv_ws = load_workspace(copy_sample(tmp_path / "csv"))
    _angebote_with_title(folder)
    ws = load_workspace(folder)
    pd.testing.assert_frame_equal(
        ws.angebote.drop(columns="geometry"), csv_ws.angebote.drop(columns="geometry")
    )
    assert (
        "angebote.xlsx: Kopfzeile in Zeile 4 gefunden; Zeilen 1\u20132 darüber (Titel) "
        "werden nicht gelesen."
    ) in ws.warnungen
    # rows are still numbered as Excel shows them: the first offer is in row 5
    from openpyxl import load_workbook

    wb = load_workbook(folder / "angebote.xlsx")
    wb["angebote"]["J6"] = "viele"  # column J = plaetze, second offer
    wb.save(folder / "angebote.xlsx")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert (
        str(info.value)
        .splitlines()[1]
        .startswith("- angebote.xlsx, Zeile 6, Spalte 'plaetze': keine Zahl (Wert: 'viele')")
    )


def test_xlsx_title_row_without_a_header_says_so(tmp_path):
    folder = copy_sample(tmp_path)
    header, _ = read_rows(folder / "angebote.csv")
    _angebote_with_title(folder, [f"Feld {i}" for i, _ in enumerate(header, 1)])
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    problem = info.value.problems[0]
    assert (problem.datei, problem.zeile) == ("angebote.xlsx", 1)
    assert problem.meldung.startswith(
        "Kopfzeile nicht gefunden: keine der ersten 20 Zeilen enthält die Spaltennamen (z. B. "
    )
    assert "Titelzeilen darüber sind erlaubt" in problem.hinweis
    assert "Trennzeichen" not in str(info.value) and "Semikolon" not in str(info.value)


def test_csv_title_line_above_header_cp1252(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "kommunen.csv")
    text = (
        "Kommunen im Musterkreis (Stand März 2022)\r\n"
        + ";".join(header)
        + "\r\n"
        + "\r\n".join(";".join(r) for r in rows)
        + "\r\n"
    )
    (folder / "kommunen.csv").write_bytes(text.encode("cp1252"))
    ws = load_workspace(folder)
    assert ws.kommunen.set_index("ags").loc[MUSTERSTADT, "stellen_bestand"] == 1.5
    assert any(
        w.startswith("kommunen.csv: Kopfzeile in Zeile 2 gefunden; Zeile 1 darüber")
        for w in ws.warnungen
    )


def test_a_bracketed_note_in_a_header_cell_names_the_column(tmp_path):
    # Excel headers like "anzahl⏎(Personen)" were reported as a missing column 'anzahl'
    folder = copy_sample(tmp_path)
    erwartet = load_workspace(copy_sample(tmp_path / "csv")).zielgruppe
    header, rows = read_rows(folder / "zielgruppe.csv")
    (folder / "zielgruppe.csv").unlink()
    wb = Workbook()
    wb.active.title = "zielgruppe"
    wb.active.append(["anzahl\n(Personen)" if h == "anzahl" else h for h in header])
    for r in rows:
        wb.active.append(r)
    wb.save(folder / "zielgruppe.xlsx")
    ws = load_workspace(folder)
    pd.testing.assert_frame_equal(ws.zielgruppe, erwartet, check_dtype=False)
    assert "zielgruppe.xlsx: Spalten gelesen: 'anzahl (personen)' als 'anzahl'." in ws.warnungen


def test_column_headers_written_in_words_name_the_columns(tmp_path):
    # "Geschäftsführende Stelle", "Plätze", "Angebot-ID" were missing columns
    folder = copy_sample(tmp_path)
    erwartet = load_workspace(copy_sample(tmp_path / "csv"))
    deutsch = {
        "angebote.csv": "Angebot-ID;Name;Träger;Handlungsfeld;Förderlinie;Zugang Duldung;"
        "Zugang Gestattung;Alter min;Alter max;Plätze;Lat;Lon;PLZ;AGS;Aufsuchend;"
        "Einzugsgebiet;Beginn;Ende",
        "kommunen.csv": "AGS;Geschäftsführende Stelle;Haushaltssicherung;Stellen Bestand;"
        "Stichtag Erstantrag",
    }
    for datei, kopf in deutsch.items():
        pfad = folder / datei
        text = pfad.read_bytes().decode("utf-8-sig")
        pfad.write_bytes(("\ufeff" + re.sub(r"^[^\r\n]*", kopf, text)).encode("utf-8"))
    ws = load_workspace(folder)
    pd.testing.assert_frame_equal(ws.angebote, erwartet.angebote)
    pd.testing.assert_frame_equal(ws.kommunen, erwartet.kommunen)
    assert (
        "kommunen.csv: Spalten gelesen: 'geschäftsführende stelle' als "
        "'geschaeftsfuehrende_stelle', 'stellen bestand' als 'stellen_bestand', "
        "'stichtag erstantrag' als 'stichtag_erstantrag'."
    ) in ws.warnungen
    assert any(
        w.startswith("angebote.csv: Spalten gelesen: 'angebot-id' als 'angebot_id', ")
        and "'plätze' als 'plaetze'" in w
        for w in ws.warnungen
    )


def test_a_copied_sheet_beside_the_table_says_which_one_is_read(tmp_path):
    # Excel names a copied sheet "zielgruppe (2)"; which one counted was not said
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "zielgruppe.csv")
    (folder / "zielgruppe.csv").unlink()
    wb = Workbook()
    wb.active.title = "zielgruppe"
    kopie = wb.create_sheet("Zielgruppe (2)")
    for blatt in (wb.active, kopie):
        blatt.append(header)
        for r in rows:
            blatt.append(r)
    wb.save(folder / "zielgruppe.xlsx")
    assert (
        "zielgruppe.xlsx: gelesen wird nur das Blatt 'zielgruppe', nicht 'Zielgruppe (2)'. "
        "Stehen die Daten dort, bitte das Blatt in 'zielgruppe' umbenennen."
    ) in load_workspace(folder).warnungen
    del wb["Zielgruppe (2)"]
    wb.create_sheet("Erläuterungen")  # another sheet is no look-alike
    wb.save(folder / "zielgruppe.xlsx")
    assert not any("Blatt" in w for w in load_workspace(folder).warnungen)


def test_a_bracketed_note_never_replaces_a_column_of_that_name():
    raw = read_csv_text(
        b"ags;stellen_bestand;stellen_bestand (geplant)\r\n05899004;1,5;3\r\n",
        "kommunen.csv",
        ["ags", "stellen_bestand"],
    )
    assert raw.frame.columns.tolist() == ["ags", "stellen_bestand", "stellen_bestand (geplant)"]
    assert raw.frame.loc[0, "stellen_bestand"] == "1,5" and raw.hinweise == ()


def test_single_column_header_is_a_header():
    raw = read_csv_text(b"ags\r\n05899004\r\n", "kommunen.csv", ["ags", "stellen_bestand"])
    assert raw.frame.columns.tolist() == ["ags"] and raw.zeilen == [2]


def test_too_wide_xlsx_row_gets_excel_advice(tmp_path):
    path = tmp_path / "kommunen.xlsx"
    write_xlsx(path, {"kommunen": [["ags", "stellen_bestand"], ["05899004", 1, "Notiz"]]})
    with pytest.raises(DataError) as info:
        read_table(path, ["ags", "stellen_bestand"])
    assert "Zellen rechts neben der Tabelle leeren" in str(info.value)
    assert "Semikolon" not in str(info.value)


# --- thousands separators -----------------------------------------------------------------


def _angebote_cells(
    folder, changes: dict[tuple[int, str], str], encoding="cp1252", drop_xy: bool = False
) -> None:
    """Rewrite angebote.csv (cp1252, decimal comma as in the sample) with cell changes."""
    header, rows = read_rows(folder / "angebote.csv")
    for (zeile, spalte), value in changes.items():
        rows[zeile - 2][header.index(spalte)] = value
    if drop_xy:
        for r in rows:
            r[header.index("lat")] = r[header.index("lon")] = ""
    write_rows(folder / "angebote.csv", header, rows, encoding=encoding)


def test_thousands_dot_in_decimal_comma_file_is_thousands(tmp_path):
    folder = copy_sample(tmp_path)
    _angebote_cells(
        folder, {(2, "plaetze"): "1.200", (3, "plaetze"): "12.500", (4, "plaetze"): "1.200,5"}
    )
    set_cell(folder, "zielgruppe.csv", 2, "anzahl", "1.200")  # an integer column
    ws = load_workspace(folder)
    assert ws.angebote["plaetze"].tolist()[:3] == [1200.0, 12500.0, 1200.5]
    assert ws.zielgruppe.loc[0, "anzahl"] == 1200
    assert not any("Dezimalpunkt" in w for w in ws.warnungen)


def test_decimal_point_file_reads_point_with_warning(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    changes = {
        (z, c): rows[z - 2][header.index(c)].replace(",", ".")
        for z in range(2, len(rows) + 2)
        for c in ("lat", "lon")
    }
    changes[(2, "plaetze")] = "1.200"
    changes[(5, "plaetze")] = "2.500"
    _angebote_cells(folder, changes, encoding="utf-8")
    ws = load_workspace(folder)
    assert ws.angebote["plaetze"].tolist()[0] == 1.2
    assert ws.angebote["plaetze"].tolist()[3] == 2.5
    lat = rows[0][header.index("lat")].replace(",", ".")
    assert (
        f"angebote.csv, Spalte 'plaetze': Zahlen wie '1.200' (Zeilen 2, 5) werden mit "
        f"Dezimalpunkt gelesen (1.200 = 1,2), weil die Datei schreibt '{lat}' in Zeile 2, "
        "Spalte 'lat'. Ist ein Tausenderpunkt gemeint, bitte ohne Punkt schreiben "
        "(1200)."
    ) in ws.warnungen


def test_thousands_dot_without_evidence_is_reported(tmp_path):
    folder = copy_sample(tmp_path)
    _angebote_cells(folder, {(3, "plaetze"): "1.200"}, drop_xy=True)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert str(info.value).splitlines()[1] == (
        "- angebote.csv, Zeile 3, Spalte 'plaetze': Zahl ist mehrdeutig: Tausenderpunkt oder "
        "Dezimalpunkt? (die Datei enthält keine andere Zahl mit Nachkommastellen) "
        "(Wert: '1.200'). Bitte ohne Tausenderpunkt (1200) oder mit Dezimalkomma (1,2) "
        "schreiben"
    )


def test_thousands_dot_in_mixed_file_is_reported(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    lat = rows[0][header.index("lat")]
    _angebote_cells(folder, {(3, "plaetze"): "1.200", (4, "plaetze"): "2.5"})
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    problem = info.value.problems[0]
    assert (problem.zeile, problem.spalte, problem.wert) == (3, "plaetze", "1.200")
    assert problem.meldung == (
        "Zahl ist mehrdeutig: Tausenderpunkt oder Dezimalpunkt? (die Datei schreibt "
        f"'{lat}' in Zeile 2, Spalte 'lat' und '2.5' in Zeile 4, Spalte 'plaetze')"
    )


def test_coordinates_never_have_thousands(tmp_path):
    """lat '51.536' (3 decimals) is a decimal point even in a decimal-comma file."""
    folder = copy_sample(tmp_path)
    _angebote_cells(folder, {(2, "lat"): "51.536", (2, "lon"): "7.864"})
    ws = load_workspace(folder)
    assert (ws.angebote.loc[0, "lat"], ws.angebote.loc[0, "lon"]) == (51.536, 7.864)


def test_excel_numbers_are_never_ambiguous(tmp_path):
    folder = copy_sample(tmp_path)
    csv_to_xlsx(folder, "angebote")
    from openpyxl import load_workbook

    wb = load_workbook(folder / "angebote.xlsx")
    sheet = wb["angebote"]
    sheet["J2"] = 1.2  # a real Excel number
    sheet["J3"] = "1.200"  # text in a sheet whose other numbers are text with decimal comma
    wb.save(folder / "angebote.xlsx")
    ws = load_workspace(folder)
    assert ws.angebote["plaetze"].tolist()[:2] == [1.2, 1200.0]


@pytest.mark.parametrize("text", ["1,234.5", "1.234.5,6,7", "1,200,000"])
def test_english_thousands_are_rejected(text):
    with pytest.raises(ValueError):
        parse_float(text)


# --- coordinates outside the Kreis ----------------------------------------------------------


def _easternmost_point() -> tuple[float, float]:
    """(lat, lon) of the Kreis boundary's easternmost vertex, in WGS84."""
    kreis = gpd.read_file(SAMPLE / "gebiete.geojson").to_crs("EPSG:4326").geometry.union_all()
    xs, ys = (
        kreis.exterior.coords.xy
        if kreis.geom_type == "Polygon"
        else max(kreis.geoms, key=lambda g: g.bounds[2]).exterior.coords.xy
    )
    j = max(range(len(xs)), key=lambda k: xs[k])
    return ys[j], xs[j]


def _de(value: float) -> str:
    return f"{value:.5f}".replace(".", ",")


def test_swapped_coordinates_are_an_error_with_hint(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    lat, lon = rows[1][header.index("lat")], rows[1][header.index("lon")]
    _angebote_cells(folder, {(3, "lat"): lon, (3, "lon"): lat})
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert len(info.value.problems) == 1
    shown = f"lat={lon.rstrip('0').rstrip(',')}, lon={lat.rstrip('0').rstrip(',')}"
    assert str(info.value.problems[0]) == (
        "angebote.csv, Zeile 3, Spalte 'lat': Standort liegt außerhalb des Kreises; mit "
        f"vertauschten Koordinaten läge er im Kreis (Wert: '{shown}'). Breite und Länge "
        "vertauscht? lat ist die Breite (in NRW etwa 50,3 bis 52,5), lon die Länge (etwa 5,9 "
        "bis 9,5)"
    )


def test_whole_swapped_columns_are_one_message(tmp_path):
    """The classic: lat and lon headers swapped; one line with the row ranges."""
    folder = copy_sample(tmp_path)

    def swap(header, rows):
        i, j = header.index("lat"), header.index("lon")
        header[i], header[j] = header[j], header[i]

    edit_table(folder, "angebote.csv", swap)
    header, rows = read_rows(folder / "angebote.csv")
    with_xy = [z for z, r in enumerate(rows, start=2) if r[header.index("lat")]]
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert len(info.value.problems) == len(with_xy)
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(
        f"- angebote.csv, {zeilen_text(with_xy)}, Spalte 'lat': "
        "Standort liegt außerhalb des Kreises; mit vertauschten "
        "Koordinaten läge er im Kreis (Werte: "
    )
    assert lines[1].endswith(
        "Breite und Länge vertauscht? lat ist die Breite (in NRW etwa "
        "50,3 bis 52,5), lon die Länge (etwa 5,9 bis 9,5)"
    )


def test_offer_just_outside_the_kreis_is_a_warning(tmp_path):
    folder = copy_sample(tmp_path)
    lat, lon = _easternmost_point()
    _angebote_cells(folder, {(4, "lat"): _de(lat), (4, "lon"): _de(lon + 0.145)})  # ~10 km east
    ws = load_workspace(folder)
    assert ws.angebote.loc[2, "standort_quelle"] == "koordinaten"
    assert (
        "angebote.csv: 1 Angebot liegt außerhalb des Kreises, aber höchstens 30 km "
        "entfernt (Zeile 4); es wird mitgerechnet. Bitte prüfen, ob die Koordinaten "
        "stimmen."
    ) in ws.warnungen


def test_coordinates_in_another_gemeinde_than_the_ags_are_a_warning(tmp_path):
    # A003 (Modellbach, 05899028) given the coordinates of A001 in Musterstadt: counted in
    # Modellbach, distances from Musterstadt, and nobody was told
    folder = copy_sample(tmp_path)
    _angebote_cells(folder, {(4, "lat"): "51,53682", (4, "lon"): "7,86433"})
    ws = load_workspace(folder)
    namen = ws.gebiete.set_index("ags")["name"]
    assert ws.angebote.loc[2, "ags"] == "05899028"  # the AGS decides, as before
    assert (
        "angebote.csv: Koordinaten und AGS nennen verschiedene Gemeinden: Zeile 4 (A003: AGS "
        f"05899028 {namen['05899028']}, Koordinaten in {namen['05899004']}). Gezählt wird das "
        "Angebot in der Gemeinde seines AGS, Entfernungen gelten ab den Koordinaten. Bitte "
        "beides prüfen."
    ) in ws.warnungen
    assert not any(
        "Koordinaten und AGS" in w for w in load_workspace(copy_sample(tmp_path / "m")).warnungen
    )


def test_offer_far_outside_the_kreis_is_an_error(tmp_path):
    folder = copy_sample(tmp_path)
    lat, lon = _easternmost_point()
    _angebote_cells(folder, {(4, "lat"): _de(lat), (4, "lon"): _de(lon + 0.6)})  # ~40 km east
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    problem = info.value.problems[0]
    assert (problem.datei, problem.zeile, problem.spalte) == ("angebote.csv", 4, "lat")
    assert problem.meldung == "Standort liegt mehr als 30 km außerhalb des Kreises"
    assert problem.hinweis.startswith("Bitte lat und lon prüfen (Breite und Länge vertauscht?")


def test_offer_in_the_neighbouring_town_may_name_its_gemeindeschluessel(tmp_path):
    # refused before as "Gemeindeschlüssel gibt es in 'gebiete' nicht" with the advice
    # to add the town to the Kreis's Gemeinden
    folder = copy_sample(tmp_path)
    lat, lon = _easternmost_point()
    _angebote_cells(
        folder, {(4, "lat"): _de(lat), (4, "lon"): _de(lon + 0.145), (4, "ags"): "05974028"}
    )
    vorher = (folder / "angebote.csv").read_bytes()
    ws = load_workspace(folder)
    angebot = ws.angebote.loc[2]
    assert pd.isna(angebot["ags"]) and angebot["standort_quelle"] == "koordinaten"
    assert not ws.gebiete.geometry.union_all().contains(angebot.geometry)  # ~10 km east
    assert (
        "angebote.csv: 1 Angebot mit dem Gemeindeschlüssel einer Gemeinde außerhalb des "
        "Kreises (Zeile 4) wird über die Koordinaten mitgerechnet und keiner Gemeinde des "
        "Kreises zugeordnet."
    ) in ws.warnungen
    # one note for the offer: its key says it lies outside, no second one about that
    assert [w for w in ws.warnungen if "Zeile 4" in w] == [
        "angebote.csv: 1 Angebot mit dem Gemeindeschlüssel einer Gemeinde außerhalb des "
        "Kreises (Zeile 4) wird über die Koordinaten mitgerechnet und keiner Gemeinde des "
        "Kreises zugeordnet."
    ]
    assert len(ws.angebote) == len(read_rows(folder / "angebote.csv")[1])
    assert (folder / "angebote.csv").read_bytes() == vorher


@pytest.mark.parametrize(
    ("zellen", "meldung"),
    [
        (
            {(4, "lat"): "", (4, "lon"): "", (4, "plz"): "", (4, "ags"): "05974028"},
            "Gemeindeschlüssel einer Gemeinde außerhalb des Kreises, aber keine Koordinaten",
        ),
        (
            {(4, "ags"): "05974028"},  # the sample's coordinates: inside the Kreis
            "Gemeindeschlüssel einer Gemeinde außerhalb des Kreises, die Koordinaten liegen "
            "aber im Kreis",
        ),
        ({(4, "ags"): "05899999"}, "Gemeindeschlüssel gibt es in 'gebiete' nicht"),
    ],
)
def test_a_gemeindeschluessel_the_offer_cannot_have_is_an_error(tmp_path, zellen, meldung):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    if "lat" not in zellen:
        assert rows[2][header.index("lat")]  # row 4 has coordinates in the sample
    _angebote_cells(folder, zellen)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    (problem,) = info.value.problems
    assert (problem.datei, problem.zeile, problem.spalte) == ("angebote.csv", 4, "ags")
    assert problem.meldung == meldung


def test_repeated_mistake_below_a_title_is_one_line_with_excel_rows(tmp_path):
    """An office list: title rows, then the same wrong Förderlinie in every row."""
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    j = header.index("foerderlinie")
    for r in rows:
        r[j] = "ESF"
    write_rows(folder / "angebote.csv", header, rows)
    _angebote_with_title(folder)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert len(info.value.problems) == len(rows)
    assert str(info.value).splitlines() == [
        f"Es wurden {len(rows)} Probleme in den Eingabedaten gefunden:",
        f"- angebote.xlsx, Zeilen 5\u2013{len(rows) + 4}, Spalte 'foerderlinie': unbekannter "
        "Wert (Wert: 'ESF'). Erlaubt sind: " + ", ".join(labels.FOERDERLINIEN),
    ]


@pytest.mark.parametrize(
    "choices",
    [
        labels.STATUS,
        labels.GESCHLECHT,
        labels.ERGEBNIS,
        labels.FOERDERLINIEN,
        labels.HANDLUNGSFELDER,
    ],
)
def test_every_code_and_label_reads_as_itself(choices):
    lookup = category_lookup(choices)
    for code in choices:
        assert lookup[normalise_word(code)] == code
        assert lookup[normalise_word(code.upper())] == code
    for table in (
        labels.STATUS_LABEL,
        labels.GESCHLECHT_LABEL,
        labels.ERGEBNIS_LABEL,
        labels.FOERDERLINIE_LABEL,
    ):
        for code, label in table.items():
            if code in choices:
                assert lookup[normalise_word(label)] == code


def _german(value: int) -> str:
    return f"{value:,}".replace(",", ".")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1000, 10**7), st.integers(0, 99)), min_size=1, max_size=8),
    st.sampled_from(["utf-8-sig", "cp1252"]),
)
def test_german_numbers_round_trip(values, encoding):
    """Property: '1.234.567' is 1234567 and '1.234,56' is 1234.56 in a decimal-comma file."""
    lines = ["ags;angebot_id;minuten", "05899004;A0;12,5"]
    expected = [12.5]
    for i, (whole, cents) in enumerate(values, start=1):
        if cents % 2:
            lines.append(f"05899004;A{i};{_german(whole)},{cents:02d}")
            expected.append(whole + cents / 100)
        else:
            lines.append(f"05899004;A{i};{_german(whole)}")
            expected.append(float(whole))
    raw = read_csv_text(
        "\r\n".join(lines).encode(encoding), "reisezeiten.csv", ["ags", "angebot_id", "minuten"]
    )
    problems = ProblemCollector()
    frame = type_table(raw, "reisezeiten", problems, [])
    assert not problems.problems
    assert frame["minuten"].tolist() == pytest.approx(expected, rel=0, abs=1e-9)


def test_csv_title_with_a_comma_does_not_decide_the_separator():
    text = "Reisezeiten, Stand 2022\r\nags;angebot_id;minuten\r\n05899004;A001;12,5\r\n"
    raw = read_csv_text(text.encode("cp1252"), "reisezeiten.csv", ["ags", "angebot_id", "minuten"])
    assert raw.frame.values.tolist() == [["05899004", "A001", "12,5"]]
    assert raw.zeilen == [3]
    assert raw.hinweise == (
        "reisezeiten.csv: Kopfzeile in Zeile 2 gefunden; Zeile 1 darüber "
        "(Titel) wird nicht gelesen.",
    )


def test_header_decides_the_separator_not_commas_in_text():
    raw = read_csv_text(
        "Gemeinden\r\nags;name\r\n05899004;Stadt, Hansestadt, Kreis\r\n".encode("cp1252"),
        "liste.csv",
        ["ags", "name"],
    )
    assert raw.frame.values.tolist() == [["05899004", "Stadt, Hansestadt, Kreis"]]


def test_office_handover_arbeitsmappe(tmp_path):
    """As an office hands it over: VG250 with numeric AGS, a cp1252 CSV with decimal comma,
    Destatis symbols and German words, an offer list with a merged title in Excel."""
    vg250_frame().to_file(tmp_path / "VG250_GEM.shp", engine="pyogrio")
    (tmp_path / "annahmen.yaml").write_text(
        'kreis:\n  name: "Kreis Seeland"\n  ags: "05899"\n', encoding="utf-8"
    )
    write_rows(
        tmp_path / "zielgruppe.csv",
        ["ags", "stichtag", "status", "alter", "anzahl"],
        [
            ["5899004", "31.12.2021", "geduldet", "19", "1.200"],
            ["5899004", "31.12.2021", "Aufenthaltsgestattung", "19", "-"],
            ["05899008", "31.12.2021", "Duldung", "25", "."],
            ["05899008", "31.12.2021", "gestattet", "25", "3"],
        ],
        encoding="cp1252",
    )
    point = gpd.GeoSeries(
        gpd.points_from_xy([X0 + 1.5 * KM], [Y0 + 1.5 * KM]), crs="EPSG:25832"
    ).to_crs("EPSG:4326")[0]
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Tabelle1"
    sheet["A1"] = "Angebote im Kreis Seeland – Stand 01.03.2022"
    sheet.merge_cells("A1:K1")
    sheet.append(
        [
            "angebot_id",
            "name",
            "traeger",
            "handlungsfeld",
            "foerderlinie",
            "zugang_duldung",
            "zugang_gestattung",
            "alter_min",
            "alter_max",
            "plaetze",
            "lat",
            "lon",
        ]
    )
    sheet.append(
        [
            "A1",
            "Kurs",
            "VHS",
            "Sprache",
            "Baustein 2",
            "ja",
            "ja",
            18,
            27,
            "1.200",
            f"{point.y:.5f}".replace(".", ","),
            f"{point.x:.5f}".replace(".", ","),
        ]
    )
    sheet.append(
        [
            "A2",
            "Beratung",
            "Caritas",
            "Aufenthaltsrecht",
            "Förderbaustein 6",
            "ja",
            "nein",
            18,
            27,
            2.5,
            None,
            None,
        ]
    )
    wb.save(tmp_path / "angebote.xlsx")
    (tmp_path / "angebote.xlsx").rename(tmp_path / "Angebote.xlsx")
    # the offer without coordinates needs a location: add its AGS column by hand
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "Angebote.xlsx")
    sheet = wb["Tabelle1"]
    sheet["M2"], sheet["M3"], sheet["M4"] = "ags", None, "05899008"
    wb.save(tmp_path / "Angebote.xlsx")
    ws = load_workspace(tmp_path)
    assert ws.name == "Kreis Seeland"
    z = ws.zielgruppe
    assert z["status"].tolist() == ["duldung", "gestattung", "duldung", "gestattung"]
    assert z["anzahl"].tolist() == [1200, 0, pd.NA, 3]
    a = ws.angebote
    assert a["foerderlinie"].tolist() == ["baustein_2", "baustein_6"]
    assert a["plaetze"].tolist() == [1200.0, 2.5]
    assert a["standort_quelle"].tolist() == ["koordinaten", "gemeinde"]
    assert a["ags"].tolist() == ["05899004", "05899008"]
    assert any(
        w.startswith("Angebote.xlsx: Kopfzeile in Zeile 2 gefunden; Zeile 1 darüber")
        for w in ws.warnungen
    )
    assert any(
        w.startswith("zielgruppe.csv, Spalte 'anzahl': 1 Wert ist Platzhalter") and "(Zeile 4)" in w
        for w in ws.warnungen
    )


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(1, 400), min_size=1, max_size=60))
def test_row_ranges_round_trip(rows):
    """Property: the ranges of 'Zeilen …' name exactly the rows (when not cut short)."""
    text = zeilen_bereiche(rows, limit=1000)
    back = set()
    for part in text.split(", "):
        a, _, b = part.partition("\u2013")
        back |= set(range(int(a), int(b or a) + 1))
    assert back == rows
    assert len(text.split(", ")) == sum(1 for z in rows if z - 1 not in rows)


TITLE_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=';,\t"'),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        TITLE_TEXT.filter(
            lambda t: t.strip() and t.strip().lower() not in {"ags", "angebot_id", "minuten"}
        ),
        max_size=5,
    ),
    st.integers(0, 2),
)
def test_title_lines_shift_rows_only(titles, blanks):
    """Property: title lines above the header change the row numbers, nothing else."""
    header = "ags;angebot_id;minuten"
    body = ["05899004;A001;12,5", "05899008;A002;30"]
    plain = read_csv_text(
        "\r\n".join([header, *body]).encode("utf-8"), "r.csv", ["ags", "angebot_id", "minuten"]
    )
    lines = [*titles, *([""] * blanks), header, *body]
    raw = read_csv_text(
        "\r\n".join(lines).encode("utf-8"), "r.csv", ["ags", "angebot_id", "minuten"]
    )
    pd.testing.assert_frame_equal(raw.frame, plain.frame)
    offset = len(titles) + blanks
    assert raw.zeilen == [z + offset for z in plain.zeilen]
    assert bool(raw.hinweise) == bool(titles)


# --- formulas -----------------------------------------------------------------------------


def _mit_ergebnis(path, zelle: str, ergebnis: str) -> None:
    """Store a result for the formula in ``zelle`` of the first sheet, as Excel does on saving."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        teile = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet1.xml"
    xml = teile[name].decode()
    start = xml.index(f'<c r="{zelle}"')
    ende = xml.index("</c>", start)
    zelle_xml = xml[start:ende].replace("<v />", f"<v>{ergebnis}</v>")
    teile[name] = (xml[:start] + zelle_xml + xml[ende:]).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in teile.items():
            z.writestr(n, data)


def test_formula_without_stored_result_is_named_not_read_as_empty(tmp_path):
    """Formulas written without results: no 'Pflichtangabe fehlt', no row lost as blank."""
    path = tmp_path / "kommunen.xlsx"
    write_xlsx(
        path,
        {
            "kommunen": [
                ["ags", "stellen_bestand"],
                ["05899004", "=1+0,5"],
                ["=A2", "=B2"],  # a row of formulas only: read as blank, it would be dropped
                ["05899012", 2],
            ]
        },
    )
    with pytest.raises(DataError) as info:
        read_table(path, ["ags", "stellen_bestand"])
    assert [(p.zeile, p.spalte, p.wert) for p in info.value.problems] == [
        (2, "stellen_bestand", "=1+0,5"),
        (3, "ags", "=A2"),
        (3, "stellen_bestand", "=B2"),
    ]
    assert all(p.meldung == "Formel ohne gespeichertes Ergebnis" for p in info.value.problems)
    assert "in Excel oder LibreOffice öffnen und speichern" in str(info.value)


def test_formula_with_stored_result_reads_the_result(tmp_path):
    """What Excel and LibreOffice write: the stored result is the value."""
    path = tmp_path / "kommunen.xlsx"
    write_xlsx(path, {"kommunen": [["ags", "stellen_bestand"], ["05899004", "=1+0.5"]]})
    _mit_ergebnis(path, "B2", "1.5")
    raw = read_table(path, ["ags", "stellen_bestand"])
    assert raw.frame.to_dict("records") == [{"ags": "05899004", "stellen_bestand": "1.5"}]
    assert (0, "stellen_bestand") in raw.zahlzellen


# --- Stichtage that cannot be right ----------------------------------------------------


def test_a_stichtag_in_the_future_is_an_error_naming_the_row(tmp_path):
    """31.12.2031 typed for 2021: the Gemeinde was counted by that row alone (805 → 398)."""
    folder = copy_sample(tmp_path)
    set_cell(folder, "zielgruppe.csv", 5, "stichtag", "31.12.2099")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    (problem,) = info.value.problems
    assert (problem.datei, problem.zeile, problem.spalte, problem.wert) == (
        "zielgruppe.csv",
        5,
        "stichtag",
        "31.12.2099",
    )
    assert problem.meldung == "Stichtag liegt in der Zukunft"


def test_today_is_no_future_but_tomorrow_is():
    from thm_lib.core.errors import ProblemCollector
    from thm_lib.ingest.pruefungen import check_stichtage

    heute = pd.Timestamp("2026-11-30")
    zg = pd.DataFrame(
        {
            "ags": ["05899004", "05899004"],
            "stichtag": pd.to_datetime(["2026-11-30", "2026-12-01"]),
            "_zeile": [2, 3],
        }
    )
    zg.attrs["datei"] = "zielgruppe.csv"
    problems = ProblemCollector()
    check_stichtage(zg, problems, [], heute=heute)
    assert [p.zeile for p in problems.problems] == [3]


def test_a_stray_stichtag_warns_with_its_row(tmp_path):
    """30.12.2021 in one row: Musterstadt is counted at 31.12.2021, the row is left out."""
    folder = copy_sample(tmp_path)
    assert not any("Tippfehler im Datum" in w for w in load_workspace(folder).warnungen)
    set_cell(folder, "zielgruppe.csv", 5, "stichtag", "30.12.2021")
    (warnung,) = [w for w in load_workspace(folder).warnungen if "Tippfehler im Datum" in w]
    assert warnung.startswith("zielgruppe.csv: Der Stichtag 30.12.2021 (Zeile 5) steht nur")
    assert "ihre Gemeinden haben an anderen Stichtagen bis zu 84 Zeilen" in warnung


def test_a_gemeinde_counted_in_few_rows_at_each_stichtag_is_no_typo():
    """By age band: 3 rows a Stichtag; one Gemeinde delivers a later Stichtag alone."""
    from thm_lib.core.errors import ProblemCollector
    from thm_lib.ingest.pruefungen import check_stichtage

    tage = ["2020-12-31"] * 3 + ["2021-12-31"] * 3 + ["2020-12-31"] * 40 + ["2022-06-30"]
    zg = pd.DataFrame(
        {
            "ags": ["1"] * 6 + ["2"] * 40 + ["2"],
            "stichtag": pd.to_datetime(tage),
            "_zeile": range(2, 49),
        }
    )
    zg.attrs["datei"] = "zielgruppe.csv"
    warnungen: list[str] = []
    check_stichtage(zg, ProblemCollector(), warnungen, heute=pd.Timestamp("2026-11-30"))
    # Gemeinde 1's 3 rows of 2021 are its format; Gemeinde 2's single row of 2022 is not
    assert len(warnungen) == 1 and "Der Stichtag 30.06.2022 (Zeile 48)" in warnungen[0]


@pytest.mark.parametrize("erste", ["Summe", "Insgesamt", "Zwischensumme Musterstadt", "GESAMT"])
def test_a_row_of_sums_is_one_clear_problem(tmp_path, erste):
    """Offices add sums under a table: one problem for the row, not one per cell."""
    path = tmp_path / "zielgruppe.csv"
    path.write_text(
        "ags;stichtag;status;alter;geschlecht;anzahl\n"
        "05899004;31.12.2021;duldung;20;m;7\n"
        f"{erste};;;;;7\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        read_table(path, ["ags", "stichtag", "status", "alter", "geschlecht", "anzahl"])
    (problem,) = info.value.problems
    assert (problem.zeile, problem.meldung, problem.wert) == (3, "Summenzeile", erste)
    assert "Summen- und Zwischensummenzeilen löschen" in problem.hinweis


def test_a_name_beginning_like_a_sum_is_no_row_of_sums():
    raw = read_csv_text(
        b"name;plaetze\nGesamtschule Musterstadt;12\nTotalausfall-Hilfe;3\n",
        "angebote.csv",
        ["name", "plaetze"],
    )
    assert raw.frame["name"].tolist() == ["Gesamtschule Musterstadt", "Totalausfall-Hilfe"]


def test_offers_without_places_are_named_not_silently_zero(tmp_path):
    # 0 places counted for nothing in the coverage without a word
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 3, "plaetze", "0")
    set_cell(folder, "angebote.csv", 5, "plaetze", "0,0")
    ws = load_workspace(folder)
    assert (
        "angebote.csv, Spalte 'plaetze': 2 Angebote mit 0 Plätzen (Zeilen 3, 5: A002, A004). "
        "Sie stehen im Angebotsverzeichnis und auf der Karte, decken bei der Versorgung aber "
        "keinen Bedarf. Bitte die Plätze pro Jahr eintragen (eine Schätzung ist besser als "
        "keine) oder ein beendetes Angebot mit 'ende' abschließen."
    ) in ws.warnungen
    assert not any("0 Plätzen" in w for w in load_workspace(SAMPLE).warnungen)


def test_many_offers_without_places_are_one_readable_note(tmp_path):
    # all 61 offers of the sample at 0: the note listed 61 IDs on one line
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "angebote.csv")
    for zeile in range(2, len(rows) + 2):
        set_cell(folder, "angebote.csv", zeile, "plaetze", "0")
    (hinweis,) = [w for w in load_workspace(folder).warnungen if "0 Plätzen" in w]
    assert hinweis.startswith(
        f"angebote.csv, Spalte 'plaetze': {len(rows)} Angebote mit 0 Plätzen "
        f"(Zeilen 2–{len(rows) + 1}: A001, A002, A003, A004, A005, A006, A007, A008, A009, "
        f"A010 und {len(rows) - 10} weitere). Sie stehen im Angebotsverzeichnis"
    )


def test_one_offer_without_places_and_one_case_outside_the_ages_read_in_the_singular(tmp_path):
    # "1 Fall ist … Sie zählen" until round 2, session 41 (seen in a generated Kreis)
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 3, "plaetze", "0")
    set_cell(folder, "faelle.csv", 2, "alter", "35")
    ws = load_workspace(folder)
    assert (
        "angebote.csv, Spalte 'plaetze': 1 Angebot mit 0 Plätzen (Zeile 3: A002). "
        "Es steht im Angebotsverzeichnis und auf der Karte, deckt bei der Versorgung aber "
        "keinen Bedarf. Bitte die Plätze pro Jahr eintragen (eine Schätzung ist besser als "
        "keine) oder ein beendetes Angebot mit 'ende' abschließen."
    ) in ws.warnungen
    assert (
        "faelle.csv, Spalte 'alter': 1 Fall ist bei Beginn nicht 18 bis 27 Jahre alt "
        "(Zeile 2: 35). Er zählt in den Fallzahlen, aber nicht für die "
        "Bedarfsquoten der Zielgruppe. Bitte das Alter prüfen (Tippfehler?)."
    ) in ws.warnungen


def test_cases_outside_the_target_ages_are_named_by_row_not_pseudonym(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "faelle.csv", 2, "alter", "35")
    set_cell(folder, "faelle.csv", 4, "alter", "17")
    ws = load_workspace(folder)
    warnung = next(w for w in ws.warnungen if "Spalte 'alter'" in w)
    assert warnung == (
        "faelle.csv, Spalte 'alter': 2 Fälle sind bei Beginn nicht 18 bis 27 Jahre alt "
        "(Zeile 2: 35, Zeile 4: 17). Sie zählen in den Fallzahlen, aber nicht für die "
        "Bedarfsquoten der Zielgruppe. Bitte das Alter prüfen (Tippfehler?)."
    )
    header, rows = read_rows(folder / "faelle.csv")
    assert not any(p in warnung for p in column(header, rows, "fall_id"))
    # the bounds come from the settings: with 16..40 both are inside
    weit = {"zielgruppe": {"alter_min": 16, "alter_max": 40, "altersgruppen": [[16, 40]]}}
    assert not any("Spalte 'alter'" in w for w in load_workspace(folder, weit).warnungen)


def test_case_dates_that_look_like_typos_are_named_by_row(tmp_path):
    # a start in 2031 instead of 2021 made the case count in no period, without a word;
    # a closure reason without an end left the case active
    folder = copy_sample(tmp_path)
    set_cell(folder, "faelle.csv", 3, "beginn", "22.02.2032")  # TM-SMAJF6, no end
    set_cell(folder, "faelle.csv", 3, "abschlussgrund", "Wegzug")
    ws = load_workspace(folder)
    assert (
        "faelle.csv, Spalte 'beginn': 1 Datum liegt nach dem heutigen Tag (Zeile 3: "
        "22.02.2032). Ein Fall zählt nur in Zeiträumen, in denen er begonnen hat und nicht "
        "beendet ist. Tippfehler im Jahr?"
    ) in ws.warnungen
    assert (
        "faelle.csv, Spalte 'ende': 1 Fall hat einen Abschlussgrund, aber kein Ende (Zeile 3) "
        "und zählt als aktiv. Bitte das Ende eintragen oder den Abschlussgrund löschen."
    ) in ws.warnungen
    assert not any("TM-SMAJF6" in w for w in ws.warnungen)
    assert not any("faelle.csv" in w for w in load_workspace(SAMPLE).warnungen)


def test_a_kreis_without_any_offer_yet_loads_with_a_warning(tmp_path):
    # a new Geschäftsführende Stelle has its target group but no offer inventory yet:
    # the loader refused the whole Arbeitsmappe ("nur die Kopfzeile")
    from thm_lib.analysis.coverage import analyse

    shutil.copytree(SAMPLE, tmp_path / "mappe")
    edit_table(tmp_path / "mappe", "angebote.csv", lambda header, rows: (header, []))
    ws = load_workspace(tmp_path / "mappe")
    assert ws.angebote.empty and ws.angebote.crs == "EPSG:25832"
    assert {"angebot_id", "handlungsfeld", "plaetze", "geometry"} <= set(ws.angebote.columns)
    assert (
        "angebote.csv: noch keine Angebote erfasst. Die Versorgung ist überall 0 %, jeder "
        "Bedarf ist eine Lücke; Zielgruppe und Stellen hängen nicht davon ab. Bitte die "
        "Angebote ab Zeile 2 eintragen."
    ) in ws.warnungen
    assert ws.zielgruppe.equals(load_workspace(SAMPLE).zielgruppe)
    g = analyse(ws).gemeinden
    mit_bedarf = g[g["bedarf"] > 0]
    assert len(mit_bedarf) == 12 * 12  # 12 Gemeinden × 12 Handlungsfelder, all with need
    assert (mit_bedarf["klasse"] == "Unterversorgung").all()
    assert (mit_bedarf["versorgungsgrad"] == 0).all()
    assert mit_bedarf["kein_angebot_erreichbar"].all()
    assert (mit_bedarf["fehlende_plaetze"] == mit_bedarf["bedarf"]).all()


def test_a_table_kept_as_a_sheet_of_one_workbook_is_named(tmp_path):
    # session 56: an office keeping the whole Arbeitsmappe in one workbook got
    # "zielgruppe.csv/.xlsx: Datei fehlt" without a word about the sheet it had filled in
    for name in ("annahmen.yaml", "gebiete.geojson"):
        shutil.copy(SAMPLE / name, tmp_path)
    wb = Workbook()
    wb.active.title = "Notizen"
    for blatt in ("Zielgruppe", "Angebote"):
        wb.create_sheet(blatt).append(["ags", "stichtag"])
    wb.save(tmp_path / "THM_Arbeitsmappe.xlsx")
    (tmp_path / "kaputt.xlsx").write_bytes(b"keine Excel-Datei")  # passed over
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path)
    rat = (
        "aber jede Tabelle wird aus einer eigenen Datei gelesen. Bitte das Blatt als "
        "'{0}.xlsx' speichern (in Excel: Blatt verschieben/kopieren in eine neue Arbeitsmappe)"
    )
    assert [str(p) for p in info.value.problems] == [
        "zielgruppe.csv/.xlsx: Datei fehlt in der Arbeitsmappe. Vorhanden als Blatt "
        f"'Zielgruppe' in 'THM_Arbeitsmappe.xlsx', {rat.format('zielgruppe')}",
        "angebote.csv/.xlsx: Datei fehlt in der Arbeitsmappe. Vorhanden als Blatt "
        f"'Angebote' in 'THM_Arbeitsmappe.xlsx', {rat.format('angebote')}",
    ]


def test_an_arbeitsmappe_one_level_down_is_named(tmp_path):
    # session 56: a ZIP file unpacked into a folder of its own name got "Ordner mit 1
    # Arbeitsmappen (ein Land: kreis_a), keine einzelne Arbeitsmappe"
    shutil.copytree(SAMPLE, tmp_path / "kreis_a" / "kreis_a")
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path / "kreis_a")
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'kreis_a'}: Keine Arbeitsmappe; sie liegt eine Ebene tiefer, in "
        f"'kreis_a'. Bitte {tmp_path / 'kreis_a' / 'kreis_a'} angeben"
    ]


def test_a_folder_of_arbeitsmappen_is_named_as_a_land(tmp_path):
    # thm app / zusammenfassung / pruefen given a Land folder listed every file it lacked
    for name in ("kreis_a", "kreis_b"):
        shutil.copytree(SAMPLE, tmp_path / name)
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}: Ordner mit 2 Arbeitsmappen (ein Land: kreis_a, kreis_b), keine einzelne "
        f"Arbeitsmappe. Bitte eine davon angeben, z. B. {tmp_path / 'kreis_a'}; nur 'thm "
        "batch' rechnet ein ganzes Land"
    ]


def test_a_land_is_found_whatever_case_its_annahmen_file_has(tmp_path):
    # the Land run looked for "annahmen.yaml" exactly, loading one Arbeitsmappe any case
    from thm_lib.ingest.arbeitsmappe import arbeitsmappen, ist_land
    from thm_lib.run.land import doppelte_kreise

    for name, datei in (("kreis_a", "Annahmen.yaml"), ("kreis_b", "ANNAHMEN.YAML")):
        (tmp_path / name).mkdir()
        (tmp_path / name / datei).write_text('kreis:\n  ags: "05111"\n', encoding="utf-8")
    (tmp_path / "notizen").mkdir()
    assert arbeitsmappen(tmp_path) == [tmp_path / "kreis_a", tmp_path / "kreis_b"]
    assert ist_land(tmp_path)
    assert not ist_land(tmp_path / "kreis_a")
    assert list(doppelte_kreise(arbeitsmappen(tmp_path))) == [tmp_path / "kreis_b"]


def test_a_land_finds_kreise_without_annahmen_and_names_the_folders_it_skips(tmp_path):
    # session 56: a Kreis without annahmen.yaml runs on its own with the defaults, but a
    # Land run left it out without a word (52 of 53 Kreise on the Land index, no message)
    from thm_lib.ingest.arbeitsmappe import arbeitsmappen, ist_land, keine_arbeitsmappen

    shutil.copytree(SAMPLE, tmp_path / "kreis_a")
    shutil.copytree(SAMPLE, tmp_path / "kreis_b")
    (tmp_path / "kreis_b" / "annahmen.yaml").unlink()
    (tmp_path / "kreis_c").mkdir()  # only misnamed files: runs, and fails with the reason
    (tmp_path / "kreis_c" / "Zielgruppe.ods").write_bytes(b"")
    shutil.copytree(SAMPLE, tmp_path / "entpackt" / "kreis_d")  # one level too deep
    (tmp_path / "notizen").mkdir()
    (tmp_path / "notizen" / "protokoll.docx").write_bytes(b"")
    (tmp_path / "leer").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref\n", encoding="utf-8")
    (tmp_path / "__MACOSX" / "kreis_a").mkdir(parents=True)  # left by a ZIP file of a Mac
    (tmp_path / "__MACOSX" / "kreis_a" / "._zielgruppe.csv").write_bytes(b"\x00\x05\x16\x07")
    (tmp_path / "zielgruppe_land.xlsx").write_bytes(b"")  # a Land's own table: still a Land
    assert arbeitsmappen(tmp_path) == [tmp_path / n for n in ("kreis_a", "kreis_b", "kreis_c")]
    assert keine_arbeitsmappen(tmp_path) == {
        tmp_path / "entpackt": [tmp_path / "entpackt" / "kreis_d"],
        tmp_path / "notizen": [],
    }
    assert ist_land(tmp_path)
    assert not ist_land(tmp_path / "kreis_b")
    assert not ist_land(tmp_path / "entpackt" / "kreis_d")
    (tmp_path / "Angebote.XLSX").write_bytes(b"")  # an input of its own: an Arbeitsmappe
    assert not ist_land(tmp_path)


def test_a_folder_of_zip_files_is_told_to_be_unpacked(tmp_path):
    # session 56: a folder of the ZIP files the Kreise sent got "Gemeindegrenzen fehlen",
    # "zielgruppe fehlt", "angebote fehlt" (as if the user had to write those files)
    for name in ("kreis_a.zip", "Kreis B.ZIP", ".versteckt.zip"):
        (tmp_path / name).write_bytes(b"PK\x05\x06" + bytes(18))
    (tmp_path / "liesmich.txt").write_text("Daten der Kreise\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}: Keine Arbeitsmappe, nur ZIP-Dateien (Kreis B.ZIP, kreis_a.zip). Bitte "
        "die ZIP-Dateien entpacken (jede in einen eigenen Ordner) und dann den Ordner der "
        "Arbeitsmappe angeben, für ein ganzes Land den Ordner mit den entpackten Ordnern"
    ]
    # an Arbeitsmappe with a packed file of its own gets the usual messages
    shutil.copy(SAMPLE / "zielgruppe.csv", tmp_path)
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path)
    assert "nur ZIP-Dateien" not in str(info.value)
    assert "angebote.csv/.xlsx: Datei fehlt in der Arbeitsmappe" in str(info.value)


@pytest.mark.parametrize(
    ("kreis_ags", "gemeinden", "erwartet"),
    [
        ("05899", None, "05899"),  # given: as given
        (None, None, "05899"),  # no annahmen.yaml: the Gemeinden's common beginning
        ("05", None, "05899"),  # only the Land's key: completed
        (None, ["05315000"], "05315"),  # a kreisfreie Stadt
        (None, ["05315000", "05899004"], ""),  # Gemeinden of two Kreise: none
        ("05", ["05315000", "05899004"], "05"),
        ("09", None, "09"),  # not the Gemeinden's beginning (warned when loaded): as given
    ],
)
def test_the_kreisschluessel_is_given_or_the_gemeinden_s_common_beginning(
    kreis_ags, gemeinden, erwartet
):
    # session 56: the Land index showed "None" for a Kreis without kreis.ags
    from dataclasses import replace

    ws = load_workspace(SAMPLE)
    kreis = ws.annahmen.kreis.model_copy(update={"ags": kreis_ags})
    ws = replace(ws, annahmen=ws.annahmen.model_copy(update={"kreis": kreis}))
    if gemeinden is not None:
        ws = replace(ws, gebiete=ws.gebiete.iloc[: len(gemeinden)].assign(ags=gemeinden))
    assert ws.kreisschluessel == erwartet


def test_rows_with_values_name_five_and_count_the_rest():
    from thm_lib.ingest.pruefungen import zeilen_mit_werten

    frame = pd.DataFrame({"_zeile": range(2, 9), "alter": [35, 17, 40, 60, 16, 30, 29]})
    assert zeilen_mit_werten(frame, "alter", str) == (
        "Zeile 2: 35, Zeile 3: 17, Zeile 4: 40, Zeile 5: 60, Zeile 6: 16 und 2 weitere"
    )
    assert zeilen_mit_werten(frame.head(1), "alter", str) == "Zeile 2: 35"


def test_a_need_or_travel_time_naming_no_row_of_the_other_table_is_named(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "mappe")
    edit_table(
        tmp_path / "mappe",
        "bedarfe.csv",
        lambda header, rows: (header, [["TM-GIBTSNICHT", *rows[0][1:]], *rows[1:]]),
    )
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path / "mappe")
    (problem,) = info.value.problems
    assert str(problem) == (
        "bedarfe.csv, Zeile 2, Spalte 'fall_id': Fall gibt es in 'faelle' nicht (Wert: "
        "'TM-GIBTSNICHT'). Bitte die fall_id prüfen"
    )
    shutil.copy(SAMPLE / "bedarfe.csv", tmp_path / "mappe" / "bedarfe.csv")
    (tmp_path / "mappe" / "reisezeiten.csv").write_text(
        "ags;angebot_id;minuten\n05899004;A001;12\n05899004;X9;20\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path / "mappe")
    assert [str(p) for p in info.value.problems] == [
        "reisezeiten.csv, Zeile 3, Spalte 'angebot_id': Angebot gibt es in 'angebote' nicht "
        "(Wert: 'X9'). Bitte die angebot_id prüfen"
    ]


# --- dates with a time of day, mixed encodings, CR-only line ends ---------------------------


def _kreis_zielgruppe(folder) -> int:
    from thm_lib.analysis.summary import gemeinde_uebersicht

    return int(gemeinde_uebersicht(load_workspace(folder)).iloc[-1]["Zielgruppe"])


def test_a_date_with_a_time_of_day_is_read_as_its_day():
    assert parse_date("31.12.2021 14:03") == pd.Timestamp(2021, 12, 31)
    assert parse_date("2021-12-31 23:59:59") == pd.Timestamp(2021, 12, 31)
    assert parse_date("2021-12-31T08:00:00") == pd.Timestamp(2021, 12, 31)


def test_a_csv_stichtag_with_a_time_of_day_counts_at_that_stichtag(tmp_path):
    """Text "31.12.2021 14:03" lay after the Stichtag 31.12.2021 00:00: Kreis 812 for 805."""
    folder = copy_sample(tmp_path)

    def mit_uhrzeit(header, rows):
        j = header.index("stichtag")
        for r in rows:
            if r[j] == "31.12.2021":
                r[j] = "31.12.2021 14:03"

    edit_table(folder, "zielgruppe.csv", mit_uhrzeit)
    assert "31.12.2021 14:03" in (folder / "zielgruppe.csv").read_text(encoding="utf-8-sig")
    tage = set(load_workspace(folder).zielgruppe["stichtag"])
    assert tage == {pd.Timestamp(f"{jahr}-12-31") for jahr in (2019, 2020, 2021)}
    assert _kreis_zielgruppe(folder) == 805


def test_an_excel_stichtag_with_a_time_of_day_counts_at_that_stichtag(tmp_path):
    """Real Excel datetime cells 31.12.YYYY 14:03 (not text): the same 805 as the sample."""
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "zielgruppe.csv")
    (folder / "zielgruppe.csv").unlink()
    cells: list[list[object]] = [header]
    for r in rows:
        row: list[object] = list(r)
        tag = datetime.strptime(r[header.index("stichtag")], "%d.%m.%Y")
        row[header.index("stichtag")] = tag.replace(hour=14, minute=3)
        for name in ("alter", "anzahl"):
            if r[header.index(name)].isdigit():  # "-" stays text
                row[header.index(name)] = int(r[header.index(name)])
        cells.append(row)
    write_xlsx(folder / "zielgruppe.xlsx", {"zielgruppe": cells})
    tage = set(load_workspace(folder).zielgruppe["stichtag"])
    assert tage == {pd.Timestamp(f"{jahr}-12-31") for jahr in (2019, 2020, 2021)}
    assert _kreis_zielgruppe(folder) == 805


def _zeilen_bytes(path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def test_a_utf8_csv_with_one_windows_1252_byte_is_an_error_naming_its_line(tmp_path):
    """Read as Windows-1252 as a whole, 'Sprachförderung' became 'SprachfÃ¶rderung'."""
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 2, "name", "Sprachförderung Musterstadt 1")
    lines = _zeilen_bytes(folder / "angebote.csv")
    # row 5 pasted from an old file: its umlaut is one Windows-1252 byte
    lines[4] = lines[4].replace(b"Musterkreis", "Müsterkreis".encode("cp1252"))
    (folder / "angebote.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    (problem,) = info.value.problems
    assert (problem.datei, problem.zeile) == ("angebote.csv", 5)
    assert problem.meldung == "Datei mischt zwei Zeichenkodierungen (UTF-8 und Windows-1252)"
    assert "'CSV UTF-8 (durch Trennzeichen getrennt)'" in problem.hinweis


def test_the_line_of_a_mixed_encoding_counts_every_kind_of_line_end():
    data = "a;b\rc;ä\r\nd;e\n".encode() + "ö;f\n".encode("cp1252")
    for bom in (b"", b"\xef\xbb\xbf"):
        with pytest.raises(DataError) as info:
            read_csv_text(bom + data, "x.csv")
        assert [p.zeile for p in info.value.problems] == [4]


def test_a_pure_windows_1252_csv_is_read_with_its_umlauts(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 2, "name", "Sprachförderung „Großstraße“ Süd")
    set_cell(folder, "angebote.csv", 3, "traeger", "Bildungsträger Ärztehaus")
    text = (folder / "angebote.csv").read_bytes().decode("utf-8-sig")
    (folder / "angebote.csv").write_bytes(text.encode("cp1252"))
    angebote = load_workspace(folder).angebote.set_index("angebot_id")
    assert angebote.loc["A001", "name"] == "Sprachförderung „Großstraße“ Süd"
    assert angebote.loc["A002", "traeger"] == "Bildungsträger Ärztehaus"


def test_a_pure_utf8_csv_is_read_with_its_umlauts(tmp_path):
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 2, "name", "Sprachförderung „Großstraße“ Süd")
    text = (folder / "angebote.csv").read_bytes().decode("utf-8-sig")
    (folder / "angebote.csv").write_bytes(text.encode("utf-8"))  # without BOM
    angebote = load_workspace(folder).angebote.set_index("angebot_id")
    assert angebote.loc["A001", "name"] == "Sprachförderung „Großstraße“ Süd"


@pytest.mark.parametrize("ende", [b"\r", b"\n", b"\r\n"])
def test_cr_only_crlf_and_lf_line_ends_read_the_same_kommunen(tmp_path, ende):
    """CR only (Excel for Mac 'CSV (Macintosh)') was rejected as an open quotation mark."""
    folder = copy_sample(tmp_path)
    path = folder / "kommunen.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", ende))
    kommunen = load_workspace(folder).kommunen
    pd.testing.assert_frame_equal(kommunen, load_workspace(SAMPLE).kommunen)
    werte = kommunen.set_index("ags").loc[["05899004", "05899016"]]
    assert werte["stellen_bestand"].tolist() == [1.5, 0.5]
    assert werte["haushaltssicherung"].tolist() == [False, True]
    assert werte["stichtag_erstantrag"].tolist() == [pd.Timestamp(2019, 12, 31)] * 2


def test_a_quoted_cell_with_a_line_break_is_read_whatever_the_line_ends():
    for ende in ("\r", "\n", "\r\n"):
        text = ende.join(["ags;name", '05899004;"Haus am' + ende + 'See"', "05899008;B", ""])
        raw = read_csv_text(text.encode(), "x.csv")
        assert raw.frame.to_dict("records") == [
            {"ags": "05899004", "name": f"Haus am{ende}See"},
            {"ags": "05899008", "name": "B"},
        ]
        assert raw.zeilen == [2, 3]  # as Excel shows them: the cell is in one row


def test_a_kreis_key_of_another_kreis_gets_a_note_naming_it(tmp_path):
    # B9 of the robustness exploration (session 29): kreis.ags copied from another
    # Arbeitsmappe labelled the staffing table and the bundle's manifest without a word
    folder = copy_sample(tmp_path)
    text = (folder / "annahmen.yaml").read_text(encoding="utf-8")
    assert 'ags: "05899"' in text
    ohne = [w for w in load_workspace(folder).warnungen if "kreis.ags" in w]
    assert ohne == []
    (folder / "annahmen.yaml").write_text(text.replace('ags: "05899"', 'ags: "05958"'), "utf-8")
    (hinweis,) = [w for w in load_workspace(folder).warnungen if "Kreisschlüssel" in w]
    assert "'05958'" in hinweis
    assert "12 der 12 Gemeinden (05899004, 05899008, 05899012 …)" in hinweis


@pytest.mark.parametrize("kopie", ["tm-7jhemp", "TM 7JHEMP", "Tm-7JhEmP"])
def test_a_case_entered_twice_under_a_key_differing_in_case_or_hyphen_is_an_error(tmp_path, kopie):
    # B7 of the second robustness exploration (session 29): the copy counted as a second
    # person (Fälle 289 -> 290); the message names the rows, never the pseudonym
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "faelle.csv")
    assert rows[0][header.index("fall_id")] == "TM-7JHEMP"
    kopiert = [kopie, *rows[0][1:]]
    write_rows(folder / "faelle.csv", header, [*rows, kopiert])
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    text = str(info.value)
    zeile = len(rows) + 2
    assert "faelle.csv, Zeile 2, Spalte 'fall_id': Kennungen unterscheiden sich nur" in text
    assert f"(Zeilen 2, {zeile})" in text
    assert "7JHEMP" not in text.upper()


def test_a_key_reused_for_a_new_episode_gets_advice_on_keeping_the_history(tmp_path):
    # round 2, session 52 (Arbeitsmappen kept over years): a person who moved on to another
    # Gemeinde entered under the old key, an offer renamed in a copy of its row; the advice
    # says how to keep both episodes instead of only "delete the duplicate"
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "faelle.csv")
    umgezogen = [*rows[1]]
    umgezogen[header.index("ags")] = "05899008"
    umgezogen[header.index("beginn")] = "01.03.2022"
    write_rows(folder / "faelle.csv", header, [*rows, umgezogen])
    kopf, angebote = read_rows(folder / "angebote.csv")
    alt = [*angebote[0]]
    alt[kopf.index("name")], alt[kopf.index("ende")] = "Sprachkurs (alter Name)", "31.08.2020"
    write_rows(folder / "angebote.csv", kopf, [angebote[0], alt, *angebote[1:]])
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    fall, angebot = sorted(info.value.problems, key=lambda p: p.datei, reverse=True)
    assert (fall.datei, fall.zeile, fall.spalte) == ("faelle.csv", 3, "fall_id")
    assert f"(Zeilen 3, {len(rows) + 2})" in fall.meldung
    assert "umgezogen" in fall.hinweis and "'abschlussgrund' (z. B. Wegzug)" in fall.hinweis
    assert (angebot.datei, angebot.zeile, angebot.spalte) == ("angebote.csv", 2, "angebot_id")
    assert "(Zeilen 2, 3)" in angebot.meldung and "umbenannt" in angebot.hinweis
    assert "die alte Zeile mit 'ende' abschließen" in angebot.hinweis


def test_a_repeated_key_of_another_table_keeps_the_general_advice(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "kommunen.csv")
    write_rows(folder / "kommunen.csv", header, [*rows, rows[0]])
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    (problem,) = info.value.problems
    assert (problem.datei, problem.spalte) == ("kommunen.csv", "ags")
    assert problem.hinweis == (
        "Jeder Wert in 'ags' darf nur einmal vorkommen: bitte doppelte Zeilen löschen oder "
        "eine neue Kennung vergeben"
    )


def test_keys_that_differ_in_more_than_case_are_separate_cases(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "faelle.csv")
    ids = [r[header.index("fall_id")] for r in rows]
    norm = {i.lower().replace("-", "").replace(" ", "") for i in ids}
    assert len(norm) == len(ids)  # the sample's keys are distinct even so
    assert load_workspace(folder).faelle["fall_id"].nunique() == len(ids)


@pytest.mark.parametrize("plz", ["00181 Schablonberg", "D-00181", "d - 00181"])
def test_a_plz_written_with_its_place_or_country_mark_places_the_offer(tmp_path, plz):
    # B6 of the second robustness exploration (session 29)
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 23, "plz", plz)
    a022 = load_workspace(folder).angebote.set_index("angebot_id").loc["A022"]
    assert (a022["plz"], a022["standort_quelle"]) == ("00181", "plz")


def test_an_unknown_plz_without_coordinates_is_named_in_its_own_column(tmp_path):
    # before: "Spalte 'lat': Standort fehlt" without the PLZ (an offer in a neighbouring
    # city entered with its PLZ only)
    folder = copy_sample(tmp_path)
    set_cell(folder, "angebote.csv", 23, "plz", "44135")
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    (problem,) = info.value.problems
    assert (problem.datei, problem.zeile, problem.spalte, problem.wert) == (
        "angebote.csv",
        23,
        "plz",
        "44135",
    )
    assert "gehört zu keiner Gemeinde in 'gebiete'" in problem.meldung
    assert "außerhalb des Kreises" in problem.hinweis


def test_an_arbeitsmappe_as_zip_or_file_says_what_to_give_instead(tmp_path):
    # a ZIP file as handed over by the office was "Ordner nicht gefunden"
    folder = copy_sample(tmp_path / "mappe")
    archiv = Path(shutil.make_archive(str(tmp_path / "musterkreis"), "zip", folder))
    with pytest.raises(DataError) as info:
        load_workspace(archiv)
    assert str(info.value.problems[0]) == (
        f"{archiv}: Die Arbeitsmappe ist eine ZIP-Datei, kein Ordner. Bitte die ZIP-Datei "
        "entpacken und den entpackten Ordner angeben"
    )
    with pytest.raises(DataError) as info:
        load_workspace(folder / "angebote.csv")
    assert info.value.problems[0].meldung == "Die Arbeitsmappe ist eine Datei, kein Ordner"
    assert f"('{folder}')" in info.value.problems[0].hinweis
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path / "fehlt")
    assert info.value.problems[0].meldung == "Ordner der Arbeitsmappe nicht gefunden"
