"""A corpus of broken Arbeitsmappen: one fault each, built from a copy of the sample Kreis.

Every fault must end in a :class:`DataError` (never another exception) whose German
message names the file and, where they exist, the row as Excel shows it (header =
row 1) and the column.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pytest
from helpers_io import (
    copy_sample,
    csv_to_xlsx,
    edit_table,
    read_rows,
    set_cell,
    write_rows,
    write_xlsx,
)

from thm_lib.core.errors import DataError
from thm_lib.ingest.arbeitsmappe import load_workspace

#: Words that betray an untranslated (English) library message.
ENGLISH = re.compile(
    r"\b(error|invalid|could not|cannot|failed|not found|unable|expected|"
    r"traceback|exception)\b",
    re.I,
)


@dataclass(frozen=True)
class Fault:
    """One broken Arbeitsmappe: how to break it and what the message must name."""

    name: str
    spoil: Callable[[Path], None]
    datei: str
    zeile: int | None = None
    spalte: str | None = None
    text: str = ""  # a further fragment the message must contain


# --- ways to break a copy of the sample ------------------------------------------------------


def delete(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def cell(name: str, zeile: int, spalte: str, value: str) -> Callable[[Path], None]:
    return lambda folder: set_cell(folder, name, zeile, spalte, value)


def drop_column(name: str, spalte: str) -> Callable[[Path], None]:
    def change(header, rows):
        j = header.index(spalte)
        return header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows]

    return lambda folder: edit_table(folder, name, change)


def write_bytes(name: str, data: bytes, remove: str | None = None) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        if remove:
            (folder / remove).unlink()
        (folder / name).write_bytes(data)

    return spoil


def utf16(folder: Path) -> None:
    path = folder / "zielgruppe.csv"
    path.write_bytes(path.read_bytes().decode("utf-8-sig").encode("utf-16"))


def header_only(folder: Path) -> None:
    edit_table(folder, "zielgruppe.csv", lambda header, rows: (header, []))


def duplicate_row(name: str, source: int, target: int) -> Callable[[Path], None]:
    """Copy the id of Excel row ``source`` into row ``target``."""

    def change(header, rows):
        rows[target - 2][0] = rows[source - 2][0]

    return lambda folder: edit_table(folder, name, change)


def extra_sheet_first(folder: Path) -> None:
    header, rows = read_rows(folder / "angebote.csv")
    (folder / "angebote.csv").unlink()
    write_xlsx(
        folder / "angebote.xlsx", {"Hinweise": [["Stand: 2021"]], "Tabelle1": [header, *rows]}
    )


def both_formats(folder: Path) -> None:
    header, rows = read_rows(folder / "kommunen.csv")
    write_xlsx(folder / "kommunen.xlsx", {"kommunen": [header, *rows]})


def duplicate_header(folder: Path) -> None:
    edit_table(
        folder,
        "zielgruppe.csv",
        lambda header, rows: (header + ["Anzahl"], [r + ["1"] for r in rows]),
    )


def too_many_cells(folder: Path) -> None:
    def change(header, rows):
        rows[5] = rows[5] + ["Zusatz", "noch was"]

    edit_table(folder, "faelle.csv", change)


def with_reisezeiten(rows: list[list[str]]) -> Callable[[Path], None]:
    return lambda folder: write_rows(
        folder / "reisezeiten.csv", ["ags", "angebot_id", "minuten"], rows
    )


def bedarf_for_unknown_case(folder: Path) -> None:
    edit_table(
        folder,
        "bedarfe.csv",
        lambda header, rows: (header, rows + [["TM-NIEMAND", "Sprache", "offen"]]),
    )


def altersgruppe(band: str) -> Callable[[Path], None]:
    def change(header, rows):
        j = header.index("alter")
        header[j] = "altersgruppe"
        for r in rows:
            r[j] = "18-20"
        rows[2][j] = band

    return lambda folder: edit_table(folder, "zielgruppe.csv", change)


def offer_without_location(folder: Path) -> None:
    def change(header, rows):
        for col in ("lat", "lon", "plz", "ags"):
            rows[0][header.index(col)] = ""

    edit_table(folder, "angebote.csv", change)


def geojson(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        path = folder / "gebiete.geojson"
        doc = json.loads(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(json.dumps(doc), encoding="utf-8")

    return spoil


def drop_crs(doc: dict) -> None:
    del doc["crs"]


def duplicate_ags(doc: dict) -> None:
    doc["features"][2]["properties"]["ags"] = doc["features"][1]["properties"]["ags"]


def null_geometry(doc: dict) -> None:
    doc["features"][3]["geometry"] = None


def negative_einwohner(doc: dict) -> None:
    doc["features"][1]["properties"]["einwohner"] = -24300


def no_name(doc: dict) -> None:
    for f in doc["features"]:
        del f["properties"]["name"]


def shapefile_without_crs(folder: Path) -> None:
    frame = gpd.read_file(folder / "gebiete.geojson")
    (folder / "gebiete.geojson").unlink()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        frame.set_crs(None, allow_override=True).to_file(folder / "gebiete.shp", engine="pyogrio")
    assert not (folder / "gebiete.prj").exists()


def yaml_text(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def corrupt_faelle_xlsx(folder: Path) -> None:
    (folder / "faelle.csv").unlink()
    (folder / "bedarfe.csv").unlink()
    (folder / "faelle.xlsx").write_bytes(b"PK\x03\x04 kaputt" * 50)


def bedarfe_without_faelle(folder: Path) -> None:
    (folder / "faelle.csv").unlink()


def xlsx_bad_date(folder: Path) -> None:
    csv_to_xlsx(folder, "faelle")
    from openpyxl import load_workbook

    wb = load_workbook(folder / "faelle.xlsx")
    wb["faelle"]["G4"] = "32.01.2021"  # column G = beginn
    wb.save(folder / "faelle.xlsx")


FAULTS = [
    Fault("missing_file_angebote", delete("angebote.csv"), "angebote"),
    Fault("missing_file_zielgruppe", delete("zielgruppe.csv"), "zielgruppe"),
    Fault("missing_gebiete", delete("gebiete.geojson"), "gebiete"),
    Fault(
        "missing_column",
        drop_column("zielgruppe.csv", "status"),
        "zielgruppe.csv",
        1,
        "status",
        "Pflichtspalte fehlt",
    ),
    Fault(
        "missing_alter_and_altersgruppe",
        drop_column("zielgruppe.csv", "alter"),
        "zielgruppe.csv",
        1,
        "alter",
    ),
    Fault(
        "wrong_type_int",
        cell("zielgruppe.csv", 5, "anzahl", "zwölf"),
        "zielgruppe.csv",
        5,
        "anzahl",
        "zwölf",
    ),
    Fault(
        "wrong_type_float",
        cell("angebote.csv", 7, "plaetze", "viele"),
        "angebote.csv",
        7,
        "plaetze",
    ),
    Fault(
        "wrong_type_bool",
        cell("angebote.csv", 4, "zugang_duldung", "vielleicht"),
        "angebote.csv",
        4,
        "zugang_duldung",
        "'ja' oder 'nein'",
    ),
    Fault(
        "wrong_type_ags",
        cell("faelle.csv", 9, "ags", "Musterstadt"),
        "faelle.csv",
        9,
        "ags",
        "8-stellig",
    ),
    Fault(
        "huge_number", cell("zielgruppe.csv", 3, "anzahl", "1" * 25), "zielgruppe.csv", 3, "anzahl"
    ),
    Fault(
        "negative_count",
        cell("zielgruppe.csv", 8, "anzahl", "-3"),
        "zielgruppe.csv",
        8,
        "anzahl",
        "negativ",
    ),
    Fault(
        "negative_places",
        cell("angebote.csv", 10, "plaetze", "-5"),
        "angebote.csv",
        10,
        "plaetze",
        "negativ",
    ),
    Fault(
        "unknown_status",
        cell("zielgruppe.csv", 12, "status", "abgelehnt"),
        "zielgruppe.csv",
        12,
        "status",
        "duldung, gestattung, sonstige",
    ),
    Fault(
        "unknown_geschlecht",
        cell("faelle.csv", 6, "geschlecht", "q"),
        "faelle.csv",
        6,
        "geschlecht",
        "m, w, d, x",
    ),
    Fault(
        "unknown_handlungsfeld",
        cell("bedarfe.csv", 20, "handlungsfeld", "Freizeit"),
        "bedarfe.csv",
        20,
        "handlungsfeld",
        "Sprache",
    ),
    Fault(
        "unknown_foerderlinie",
        cell("angebote.csv", 2, "foerderlinie", "esf"),
        "angebote.csv",
        2,
        "foerderlinie",
        "baustein_1",
    ),
    Fault(
        "duplicate_angebot_id",
        duplicate_row("angebote.csv", 5, 9),
        "angebote.csv",
        5,
        "angebot_id",
        "Zeilen 5, 9",
    ),
    Fault(
        "duplicate_fall_id",
        duplicate_row("faelle.csv", 3, 30),
        "faelle.csv",
        3,
        "fall_id",
        "Zeilen 3, 30",
    ),
    Fault(
        "unknown_ags",
        cell("zielgruppe.csv", 14, "ags", "05899999"),
        "zielgruppe.csv",
        14,
        "ags",
        "gebiete",
    ),
    Fault(
        "unknown_ags_offer", cell("angebote.csv", 6, "ags", "05111000"), "angebote.csv", 6, "ags"
    ),
    Fault(
        "bad_date",
        cell("zielgruppe.csv", 2, "stichtag", "31.13.2021"),
        "zielgruppe.csv",
        2,
        "stichtag",
        "TT.MM.JJJJ",
    ),
    Fault(
        "date_out_of_range",
        cell("faelle.csv", 11, "beginn", "01.01.2300"),
        "faelle.csv",
        11,
        "beginn",
        "2100",
    ),
    Fault("bad_date_in_xlsx", xlsx_bad_date, "faelle.xlsx", 4, "beginn"),
    Fault("wrong_encoding_utf16", utf16, "zielgruppe.csv", text="UTF-8"),
    Fault("empty_file", write_bytes("angebote.csv", b""), "angebote.csv", text="leer"),
    Fault(
        "blank_lines_only",
        write_bytes("kommunen.csv", b";;\r\n\r\n  \r\n"),
        "kommunen.csv",
        text="leer",
    ),
    Fault("header_only", header_only, "zielgruppe.csv", 2, text="nur die Kopfzeile"),
    Fault("excel_extra_sheet_first", extra_sheet_first, "angebote.xlsx", text="Tabelle1"),
    Fault("csv_and_xlsx_both", both_formats, "kommunen", text="doppelt"),
    Fault(
        "alter_min_gt_alter_max",
        cell("angebote.csv", 3, "alter_max", "15"),
        "angebote.csv",
        3,
        "alter_min",
        "größer als alter_max",
    ),
    Fault(
        "age_out_of_range",
        cell("faelle.csv", 7, "alter", "130"),
        "faelle.csv",
        7,
        "alter",
        "zwischen 0 und 120",
    ),
    Fault(
        "einzugsgebiet_unknown_ags",
        cell("angebote.csv", 8, "einzugsgebiet", "05899004,05899777"),
        "angebote.csv",
        8,
        "einzugsgebiet",
        "05899777",
    ),
    Fault(
        "einzugsgebiet_garbage",
        cell("angebote.csv", 8, "einzugsgebiet", "alle"),
        "angebote.csv",
        8,
        "einzugsgebiet",
    ),
    Fault(
        "reisezeit_unknown_offer",
        with_reisezeiten([["05899004", "A001", "12,5"], ["05899008", "A999", "30"]]),
        "reisezeiten.csv",
        3,
        "angebot_id",
        "A999",
    ),
    Fault(
        "reisezeit_negative",
        with_reisezeiten([["05899004", "A001", "-1"]]),
        "reisezeiten.csv",
        2,
        "minuten",
    ),
    Fault(
        "reisezeit_twice",
        with_reisezeiten(
            [["05899004", "A001", "12"], ["05899008", "A001", "30"], ["05899004", "A001", "14"]]
        ),
        "reisezeiten.csv",
        2,
        "angebot_id",
        "Zeilen 2, 4",
    ),
    Fault(
        "bedarf_twice",
        lambda f: edit_table(f, "bedarfe.csv", lambda h, r: (h, r + [r[0]])),
        "bedarfe.csv",
        2,
        "handlungsfeld",
        "mehrfach",
    ),
    Fault(
        "bedarf_unknown_case", bedarf_for_unknown_case, "bedarfe.csv", None, "fall_id", "TM-NIEMAND"
    ),
    Fault("bedarfe_without_faelle", bedarfe_without_faelle, "bedarfe.csv", text="faelle"),
    Fault(
        "ende_before_beginn_case",
        cell("faelle.csv", 3, "ende", "01.01.2019"),
        "faelle.csv",
        3,
        "ende",
        "vor dem Beginn",
    ),
    Fault(
        "ende_before_beginn_offer",
        cell("angebote.csv", 12, "ende", "31.12.2019"),
        "angebote.csv",
        12,
        "ende",
        "vor dem Beginn",
    ),
    Fault(
        "lat_without_lon",
        cell("angebote.csv", 2, "lon", ""),
        "angebote.csv",
        2,
        "lat",
        "lat und lon",
    ),
    Fault(
        "lat_out_of_range",
        cell("angebote.csv", 2, "lat", "451,2"),
        "angebote.csv",
        2,
        "lat",
        "451,2",
    ),
    Fault("no_location", offer_without_location, "angebote.csv", 2, "lat", "Standort fehlt"),
    Fault("duplicate_header", duplicate_header, "zielgruppe.csv", 1, text="anzahl"),
    Fault("too_many_cells", too_many_cells, "faelle.csv", 7, text="mehr Zellen"),
    Fault(
        "corrupt_xlsx",
        write_bytes("zielgruppe.xlsx", bytes(range(256)) * 20, remove="zielgruppe.csv"),
        "zielgruppe.xlsx",
    ),
    Fault("corrupt_faelle_xlsx", corrupt_faelle_xlsx, "faelle.xlsx"),
    Fault(
        "renamed_text_as_xlsx",
        write_bytes("kommunen.xlsx", b"ags;x\r\n05899004;1\r\n", remove="kommunen.csv"),
        "kommunen.xlsx",
    ),
    Fault(
        "kommunen_duplicate_ags",
        lambda f: edit_table(f, "kommunen.csv", lambda h, r: (h, r + [r[0]])),
        "kommunen.csv",
        2,
        "ags",
        "Zeilen 2, 4",
    ),
    Fault("gebiete_without_crs", shapefile_without_crs, "gebiete.shp", text="EPSG:25832"),
    Fault("geojson_metres_without_crs", geojson(drop_crs), "gebiete.geojson", text="Meter"),
    Fault("gebiete_duplicate_ags", geojson(duplicate_ags), "gebiete.geojson", 3, "ags", "mehrfach"),
    Fault("gebiete_null_geometry", geojson(null_geometry), "gebiete.geojson", 4, "geometry"),
    Fault(
        "gebiete_negative_einwohner",
        geojson(negative_einwohner),
        "gebiete.geojson",
        2,
        "einwohner",
        "negativ",
    ),
    Fault("gebiete_missing_name", geojson(no_name), "gebiete.geojson", None, "name"),
    Fault(
        "gebiete_corrupt_gpkg",
        write_bytes("gebiete.gpkg", b"SQLite format 3\x00" + b"x" * 999, remove="gebiete.geojson"),
        "gebiete.gpkg",
        text="beschädigt",
    ),
    Fault(
        "annahmen_bad_value",
        yaml_text("annahmen.yaml", "erreichbarkeit:\n  schwelle: -5\n"),
        "annahmen.yaml",
        None,
        "erreichbarkeit.schwelle",
    ),
    Fault(
        "annahmen_not_a_number",
        yaml_text("annahmen.yaml", "erreichbarkeit:\n  schwelle: dreißig\n"),
        "annahmen.yaml",
        None,
        "erreichbarkeit.schwelle",
        "dreißig",
    ),
    Fault(
        "annahmen_unknown_section",
        yaml_text("annahmen.yaml", "kries:\n  name: X\n"),
        "annahmen.yaml",
        text="kries",
    ),
    Fault(
        "annahmen_yaml_syntax",
        yaml_text("annahmen.yaml", 'kreis:\n  name: [Muster\n  ags: "05899"\n'),
        "annahmen.yaml",
        text="YAML",
    ),
    Fault(
        "annahmen_octal_kreis_ags",
        yaml_text("annahmen.yaml", "kreis:\n  ags: 05111\n"),
        "annahmen.yaml",
        None,
        "kreis.ags",
        "Anführungszeichen",
    ),
    Fault(
        "annahmen_bad_stichtag",
        yaml_text("annahmen.yaml", "kreis:\n  stichtag: gestern\n"),
        "annahmen.yaml",
        None,
        "kreis.stichtag",
        "gestern",
    ),
    Fault("programm_yaml_syntax", yaml_text("programm.yaml", "foerderung: [\n"), "programm.yaml"),
    Fault("bad_altersgruppe", altersgruppe("27-18"), "zielgruppe.csv", 4, "altersgruppe", "27-18"),
    Fault(
        "altersgruppe_text", altersgruppe("junge Erwachsene"), "zielgruppe.csv", 4, "altersgruppe"
    ),
]


def test_corpus_is_large_and_distinct():
    names = [f.name for f in FAULTS]
    assert len(names) == len(set(names))
    assert len(FAULTS) >= 25


@pytest.mark.filterwarnings("ignore:GPKG:RuntimeWarning")  # pyogrio on the damaged GeoPackage
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_broken_arbeitsmappe(tmp_path, fault: Fault):
    folder = copy_sample(tmp_path)
    fault.spoil(folder)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    exc = info.value
    message = str(exc)
    assert re.match(r"Es wurden? \d+ Probleme? in den Eingabedaten gefunden:", message)
    assert not ENGLISH.search(message), message
    assert fault.datei in message
    assert fault.text in message, message
    matching = [
        p
        for p in exc.problems
        if fault.datei in p.datei
        and (fault.zeile is None or p.zeile == fault.zeile)
        and (fault.spalte is None or p.spalte == fault.spalte)
    ]
    assert matching, message
    problem = matching[0]
    if fault.zeile is not None:
        assert f"Zeile {fault.zeile}" in str(problem)
    if fault.spalte is not None:
        kind = "Schlüssel" if fault.datei.endswith(".yaml") else "Spalte"
        assert f"{kind} '{fault.spalte}'" in str(problem)
    # the user is told what to do (a hint, or a message that is itself the instruction)
    assert problem.hinweis or re.search(r"\b(muss|darf|erlaubt)\b", problem.meldung), problem


def test_several_problems_of_one_file_are_all_reported(tmp_path):
    """Different faults in one file come together; beyond the cap 'und N weitere'."""
    folder = copy_sample(tmp_path)
    many = 30

    def spoil(header, rows):
        rows[1][header.index("status")] = "Duldung?"
        rows[3][header.index("stichtag")] = "gestern"
        rows[5][header.index("alter")] = "neunzehn"
        for r in rows[10 : 10 + many]:
            r[header.index("anzahl")] = "-1"

    edit_table(folder, "zielgruppe.csv", spoil)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    found = {(p.zeile, p.spalte) for p in info.value.problems}
    assert {(3, "status"), (5, "stichtag"), (7, "alter")} <= found
    message = str(info.value)
    # type errors are reported first; range checks run only on cleanly typed tables
    assert len(info.value.problems) == 3
    assert "und" not in message.splitlines()[-1]

    def fix_types(header, rows):
        rows[1][header.index("status")] = "duldung"
        rows[3][header.index("stichtag")] = "31.12.2019"
        rows[5][header.index("alter")] = "19"

    edit_table(folder, "zielgruppe.csv", fix_types)
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    problems = info.value.problems
    assert [p.zeile for p in problems] == list(range(12, 12 + many))
    assert all(p.spalte == "anzahl" and p.datei == "zielgruppe.csv" for p in problems)
    # the same mistake in 30 rows is reported once, with the row range
    assert str(info.value).splitlines()[1:] == [
        f"- zielgruppe.csv, Zeilen 12\u2013{11 + many}, Spalte 'anzahl': darf nicht negativ "
        "sein (Wert: '-1'). Bitte eine Zahl ab 0 eintragen (unbekannt: Zelle leer lassen)"
    ]
