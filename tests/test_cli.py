"""The `thm` command: summary of the sample Kreis, templates and their round trip."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers_io import thm
from openpyxl import load_workbook

from thm_lib.core import labels
from thm_lib.core.config import load_annahmen
from thm_lib.core.programme import default_programm, load_programm
from thm_lib.ingest.arbeitsmappe import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def test_zusammenfassung_prints_german_table_per_gemeinde() -> None:
    proc = thm("zusammenfassung", str(SAMPLE))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "Musterkreis (fiktiv) – Stichtag 31.12.2021" in lines[0]
    musterstadt = next(line for line in lines if "Musterstadt" in line).split()
    # Geduldete and Gestattete 18-27 at 31.12.2021, counted from the raw CSV by hand
    raw = {"duldung": 0, "gestattung": 0}
    for row in (SAMPLE / "zielgruppe.csv").read_text(encoding="utf-8-sig").splitlines()[1:]:
        ags, stichtag, status, alter, _, anzahl = row.split(";")
        if (
            ags == "05899004"
            and stichtag == "31.12.2021"
            and 18 <= int(alter) <= 27
            and status in raw
        ):
            raw[status] += int(anzahl)
    assert musterstadt[:2] == ["05899004", "Musterstadt"]
    assert [int(x) for x in musterstadt[3:6]] == [
        raw["duldung"],
        raw["gestattung"],
        raw["duldung"] + raw["gestattung"],
    ]
    assert "Kreis insgesamt" in proc.stdout


def test_zusammenfassung_of_a_kreis_without_a_row_for_one_status(tmp_path: Path) -> None:
    # a table that leaves out zero rows has no row "duldung" at all: a traceback before
    from thm_lib.analysis.summary import gemeinde_uebersicht

    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    lines = (mappe / "zielgruppe.csv").read_text(encoding="utf-8-sig").splitlines()
    ohne = [lines[0]] + [z for z in lines[1:] if z.split(";")[2] != "duldung"]
    (mappe / "zielgruppe.csv").write_text("\n".join(ohne) + "\n", encoding="utf-8-sig")
    gestattung = sum(
        int(z.split(";")[5])
        for z in ohne[1:]
        if z.split(";")[1:3] == ["31.12.2021", "gestattung"] and 18 <= int(z.split(";")[3]) <= 27
    )
    tabelle = gemeinde_uebersicht(load_workspace(mappe)).set_index("Gemeinde")
    assert tabelle["Duldung"].tolist() == [0] * 13
    assert tabelle.loc["Kreis insgesamt", "Gestattung"] == gestattung
    assert tabelle.loc["Kreis insgesamt", "Zielgruppe"] == gestattung
    proc = thm("zusammenfassung", str(mappe))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_zusammenfassung_says_unknown_for_a_missing_population(tmp_path: Path) -> None:
    # a VG250 file without EWZ, or gebiete without einwohner for some Gemeinden: the
    # console showed "NaN", and the Kreis total was the sum of the others
    import json

    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    daten = json.loads((mappe / "gebiete.geojson").read_text(encoding="utf-8"))
    daten["features"][0]["properties"]["einwohner"] = None
    (mappe / "gebiete.geojson").write_text(json.dumps(daten), encoding="utf-8")
    proc = thm("zusammenfassung", str(mappe))
    assert proc.returncode == 0, proc.stderr
    zeilen = {
        z.split()[1] if z.startswith("0") else "Kreis": z.split()
        for z in proc.stdout.splitlines()[2:]
    }
    assert zeilen["Musterstadt"][2] == "unbekannt"
    assert zeilen["Beispielheim"][2] == "24300"
    assert zeilen["Kreis"][2] == "unbekannt"
    assert "NaN" not in proc.stdout and "<NA>" not in proc.stdout


def test_zusammenfassung_reports_data_errors_without_traceback(tmp_path: Path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    text = (mappe / "angebote.csv").read_text(encoding="utf-8-sig")
    (mappe / "angebote.csv").write_text(
        text.replace(";bamf;nein;ja;", ";bamf;vielleicht;ja;", 1), encoding="utf-8-sig"
    )
    proc = thm("zusammenfassung", str(mappe))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "angebote.csv" in proc.stderr and "Zeile 2" in proc.stderr
    assert "zugang_duldung" in proc.stderr and "vielleicht" in proc.stderr


def test_vorlage_writes_templates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    proc = thm("vorlage", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(tmp_path / "angebote.xlsx")
    sheet = wb["angebote"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["angebot_id", "name", "traeger", "handlungsfeld"]
    lists = {
        next(iter(dv.sqref.ranges)).coord.split(":")[0][:-1]: dv.formula1
        for dv in sheet.data_validations.dataValidation
    }
    col = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    assert "Sprache" in lists[col["handlungsfeld"]] and "kim" in lists[col["foerderlinie"]]
    assert lists[col["zugang_duldung"]] == '"ja,nein"'
    assert sheet["A1"].comment is not None
    assert "Erläuterungen" in wb.sheetnames
    faelle_wb = load_workbook(tmp_path / "faelle.xlsx")
    # keys kept over years (session 52): a renamed offer or a moved person gets a new key
    erklaert = {
        (r[0], r[1]): r[2]
        for book in (wb, faelle_wb)
        for r in book["Erläuterungen"].iter_rows(min_row=2, values_only=True)
        if r and r[1]
    }
    assert "umbenanntes" in erklaert[("angebote", "angebot_id")]
    assert "neue Zeile mit neuer Kennung" in erklaert[("angebote", "angebot_id")]
    assert "zieht eine Person um" in erklaert[("faelle", "fall_id")]
    assert "neuer Fall mit neuer" in erklaert[("faelle", "fall_id")]
    assert faelle_wb.sheetnames[:2] == ["faelle", "bedarfe"]
    f_headers = [c.value for c in faelle_wb["faelle"][1]]
    f_lists = {
        next(iter(dv.sqref.ranges)).coord.split(":")[0][:-1]: dv.formula1
        for dv in faelle_wb["faelle"].data_validations.dataValidation
    }
    # the closure reasons as a list: a typed text is published only as "sonstiger Grund"
    grund = chr(ord("A") + f_headers.index("abschlussgrund"))
    assert f_lists[grund] == '"' + ",".join(labels.ABSCHLUSSGRUENDE) + '"'
    kommunen = load_workbook(tmp_path / "kommunen.xlsx")["kommunen"]
    k_headers = [c.value for c in kommunen[1]]
    assert k_headers == [
        "ags",
        "geschaeftsfuehrende_stelle",
        "haushaltssicherung",
        "stellen_bestand",
        "stichtag_erstantrag",
    ]
    k_lists = {
        next(iter(dv.sqref.ranges)).coord.split(":")[0]: dv.formula1
        for dv in kommunen.data_validations.dataValidation
    }
    assert k_lists == {"B2": '"ja,nein"', "C2": '"ja,nein"'}
    assert kommunen["A1"].comment is not None
    assert "name: null" in (tmp_path / "annahmen.yaml").read_text(encoding="utf-8")
    assert "Bitte in annahmen.yaml den Namen des Kreises" in proc.stdout
    before = (tmp_path / "angebote.xlsx").read_bytes()
    again = thm("vorlage", str(tmp_path))
    assert again.returncode == 2 and "wird nicht überschrieben" in again.stderr
    assert (tmp_path / "angebote.xlsx").read_bytes() == before


def _fill(path: Path, sheet: str, rows: list[list[object]]) -> None:
    wb = load_workbook(path)
    for row in rows:
        wb[sheet].append(row)
    wb.save(path)


def test_filled_templates_load_without_change(tmp_path: Path) -> None:
    assert thm("vorlage", str(tmp_path)).returncode == 0
    shutil.copy(SAMPLE / "gebiete.geojson", tmp_path)
    _fill(
        tmp_path / "zielgruppe.xlsx",
        "zielgruppe",
        [
            ["05899004", date(2021, 12, 31), "duldung", 19, "m", 12],
            [5899008, date(2021, 12, 31), "gestattung", 25, "w", 3],  # AGS typed as a number
        ],
    )
    _fill(
        tmp_path / "faelle.xlsx",
        "faelle",
        [["TM-ABC123", "05899004", 20, "duldung", "m", "ja", date(2021, 3, 1), None, None]],
    )
    _fill(tmp_path / "faelle.xlsx", "bedarfe", [["TM-ABC123", "Sprache", "naechstbeste"]])
    _fill(
        tmp_path / "angebote.xlsx",
        "angebote",
        [
            [
                "A1",
                "Sprachkurs",
                "VHS",
                "Sprache",
                "bamf",
                "nein",
                "ja",
                18,
                27,
                20,
                51.5,
                7.9,
                None,
                "05899004",
                "nein",
                None,
                date(2020, 1, 1),
                None,
            ]
        ],
    )
    ws = load_workspace(tmp_path)
    assert ws.zielgruppe["ags"].tolist() == ["05899004", "05899008"]
    assert ws.zielgruppe["anzahl"].tolist() == [12, 3]
    assert ws.faelle["einwilligung"].tolist() == [True]
    assert ws.bedarfe["ergebnis"].tolist() == ["naechstbeste"]
    a = ws.angebote.iloc[0]
    assert (a["zugang_duldung"], a["zugang_gestattung"], a["plaetze"]) == (False, True, 20.0)
    assert a["standort_quelle"] == "koordinaten"


def test_vorlage_to_zusammenfassung_titles_the_kreis_from_annahmen(tmp_path: Path) -> None:
    """vorlage -> minimal rows -> zusammenfassung: the Kreis is named as in annahmen.yaml."""
    mappe = tmp_path / "neuer_ordner"
    assert thm("vorlage", str(mappe)).returncode == 0
    yaml_path = mappe / "annahmen.yaml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8").replace("name: null", 'name: "Kreis Beispielhausen"'),
        encoding="utf-8",
    )
    shutil.copy(SAMPLE / "gebiete.geojson", mappe)
    _fill(
        mappe / "zielgruppe.xlsx",
        "zielgruppe",
        [
            ["05899004", date(2021, 12, 31), "geduldet", 19, "m", 12],  # German word for duldung
            ["05899008", date(2021, 12, 31), "gestattung", 25, "w", 3],
        ],
    )
    _fill(
        mappe / "angebote.xlsx",
        "angebote",
        [
            [
                "A1",
                "Sprachkurs",
                "VHS",
                "Sprache",
                "Baustein 2",
                "nein",
                "ja",
                18,
                27,
                20,
                None,
                None,
                None,
                "05899004",
                "nein",
                None,
                None,
                None,
            ]
        ],
    )
    _fill(mappe / "kommunen.xlsx", "kommunen", [["05899004", "ja", "nein", 0.5, None]])
    proc = thm("zusammenfassung", str(mappe))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("Kreis Beispielhausen – Stichtag 31.12.2021")
    assert "neuer_ordner" not in proc.stdout
    ws = load_workspace(mappe)
    assert ws.name == "Kreis Beispielhausen"
    assert ws.programm["zeitraum"]["beginn"] == date(2019, 11, 1)
    assert ws.kommunen.set_index("ags").loc["05899004", "stellen_bestand"] == 0.5
    assert ws.angebote["foerderlinie"].tolist() == ["baustein_2"]


def test_vorlage_options_fill_annahmen(tmp_path: Path) -> None:
    proc = thm(
        "vorlage",
        str(tmp_path),
        "--name",
        "Kreis Borken",
        "--ags",
        "05554",
        "--stichtag",
        "31.12.2021",
    )
    assert proc.returncode == 0, proc.stderr
    annahmen = load_annahmen(tmp_path / "annahmen.yaml")
    defaults = load_annahmen(None)
    assert annahmen.kreis.name == "Kreis Borken"
    assert annahmen.kreis.ags == "05554"
    assert str(annahmen.kreis.stichtag) == "2021-12-31"
    # apart from the three options, the template keeps every default
    ohne = {"kreis": {"name", "ags", "stichtag"}}
    assert annahmen.model_dump(exclude=ohne) == defaults.model_dump(exclude=ohne)
    assert load_programm(tmp_path / "programm.yaml") == {**default_programm(), "basis": "thm"}


def test_vorlage_rejects_bad_options(tmp_path: Path) -> None:
    proc = thm("vorlage", str(tmp_path), "--ags", "5554x", "--stichtag", "31.13.2021")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "Option --ags: Kreisschlüssel muss 2 bis 5 Ziffern haben (Wert: '5554x')" in proc.stderr
    assert "Option --stichtag: kein gültiges Datum (Wert: '31.13.2021')" in proc.stderr
    assert not any(tmp_path.iterdir())


def test_vorlage_keeps_existing_user_files(tmp_path: Path) -> None:
    """A folder with data: only the missing templates are written, nothing is touched."""
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    before = {p.name: p.read_bytes() for p in mappe.iterdir()}
    proc = thm("vorlage", str(mappe))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in mappe.iterdir()} - set(before) == {"programm.yaml"}
    assert all((mappe / name).read_bytes() == data for name, data in before.items())
    for name in ("zielgruppe.csv", "faelle.csv", "angebote.csv", "kommunen.csv", "annahmen.yaml"):
        assert f"Vorhanden, nicht überschrieben: {mappe / name}" in proc.stdout
    assert load_workspace(mappe).name == "Musterkreis (fiktiv)"


def test_vorlage_prefills_kommunen_from_gebiete(tmp_path: Path) -> None:
    shutil.copy(SAMPLE / "gebiete.geojson", tmp_path)
    assert thm("vorlage", str(tmp_path)).returncode == 0
    sheet = load_workbook(tmp_path / "kommunen.xlsx")["kommunen"]
    gebiete = load_workspace(SAMPLE).gebiete
    rows = [
        (r[0].value, r[0].comment.text if r[0].comment else None)
        for r in sheet.iter_rows(min_row=2)
        if r[0].value
    ]
    assert rows == [
        (a, f"Gemeinde: {n}") for a, n in zip(gebiete["ags"], gebiete["name"], strict=True)
    ]
    assert sheet["A2"].number_format == "@"  # AGS stay text with their leading zero
    for name in ("zielgruppe.csv", "angebote.csv"):
        (
            tmp_path / "zielgruppe.xlsx" if name.startswith("ziel") else tmp_path / "angebote.xlsx"
        ).unlink()
        shutil.copy(SAMPLE / name, tmp_path)
    ws = load_workspace(tmp_path)  # the prefilled rows alone load, as 'no information'
    assert ws.kommunen["ags"].tolist() == gebiete["ags"].tolist()
    assert not ws.kommunen["geschaeftsfuehrende_stelle"].any()


def test_a_wrong_call_is_answered_in_german_without_traceback(tmp_path: Path) -> None:
    # each mistake: exit code 2, the usage line, where to get help, what is wrong; no
    # English frame of click, nothing written
    faelle = {
        ("batch", "--jobs", "0"): "Ungültiger Wert für '--jobs': 0 geht nicht; die kleinste "
        "Angabe ist 1.",
        ("batch", "--jobs", "-1"): "Ungültiger Wert für '--jobs': -1 geht nicht",
        ("batch", "--jobs", "zwei"): "Ungültiger Wert für '--jobs': 'zwei' ist keine ganze Zahl.",
        ("batch", "--kommnue", "Musterstadt"): "Unbekannte Option '--kommnue'. Meinten Sie "
        "'--kommune'?",
        ("batch", "--jobs"): "Bei der Option '--jobs' fehlt der Wert.",
        ("batch", "--neu=ja"): "Die Option '--neu' hat keinen Wert.",
        ("pruefen",): "Es fehlt die Angabe REPORTS_DIR.",
        ("pruefen", str(tmp_path), "--fruehere", "-2"): "Ungültiger Wert für '--fruehere'",
        ("berichte",): "Unbekannter Befehl 'berichte'.",
        ("zusammenfassung", str(SAMPLE), "zuviel"): "Überzählige Angabe: zuviel.",
    }
    for args, text in faelle.items():
        if args[0] == "batch":
            proc = thm("batch", "--ausgabe", str(tmp_path), *args[1:])
        else:
            proc = thm(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert f"Fehler im Aufruf: {text}" in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
        befehl = "thm" if args[0] == "berichte" else f"thm {args[0]}"
        assert f"Aufruf: {befehl}" in proc.stderr, proc.stderr
        assert f"Hilfe: {befehl} --hilfe" in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())


def test_help_pages_are_german() -> None:
    for args in (("--hilfe",), ("batch", "--hilfe"), ("import", "statistik", "--hilfe")):
        proc = thm(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("Aufruf: thm"), proc.stdout
        assert "Optionen:" in proc.stdout and "Diese Hilfe zeigen und beenden." in proc.stdout
        for englisch in ("Usage:", "Options:", "Commands:", "Show this message", "[default:"):
            assert englisch not in proc.stdout, (args, englisch)
    batch = thm("batch", "--hilfe").stdout
    assert "--jobs ZAHL≥1" in batch and "[Standard: reports]" in batch
    assert "Befehle:" in thm("--hilfe").stdout


def test_pruefen_refuses_reports_of_another_kreis(tmp_path: Path) -> None:
    # without the second argument the Musterkreis was taken for any run's reports
    from thm_lib.run.report import index_html, kreis_des_index

    ordner = tmp_path / "zufallskreis_21"
    ordner.mkdir()
    ws = load_workspace(SAMPLE, {"kreis": {"name": "Zufallskreis 21"}})
    (ordner / "index.html").write_text(index_html(ws, {}, [], ordner), encoding="utf-8")
    assert kreis_des_index(ordner / "index.html") == "Zufallskreis 21"
    proc = thm("pruefen", str(ordner))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        f"Fehler: Die Berichte in {ordner} sind die von „Zufallskreis 21“, die Arbeitsmappe "
        f"{SAMPLE} ist „Musterkreis (fiktiv)“. Bitte die Arbeitsmappe des Laufs als zweites "
        "Argument angeben: thm pruefen REPORTS_DIR ARBEITSMAPPE."
    ) in proc.stderr
    assert "Geprüft" not in proc.stdout


@pytest.mark.parametrize("name", ['Kreis "Nord" & <Süd>', "Stadt: Berichte je Kommune", "Ä"])
def test_the_kreis_of_an_index_is_read_back_whatever_its_name(tmp_path: Path, name) -> None:
    from thm_lib.run.report import index_html, kreis_des_index

    index = tmp_path / "index.html"
    assert kreis_des_index(index) is None  # no index yet
    index.write_text("<html><title>Berichte je Kommune</title></html>", encoding="utf-8")
    assert kreis_des_index(index) is None  # no Kreis index
    ws = load_workspace(SAMPLE, {"kreis": {"name": name}})
    index.write_text(index_html(ws, {}, [], tmp_path), encoding="utf-8")
    assert kreis_des_index(index) == name


def test_an_output_folder_that_is_a_file_is_a_german_error(tmp_path: Path) -> None:
    datei = tmp_path / "berichte"
    datei.write_text("keine Berichte", encoding="utf-8")
    proc = thm("batch", "--ausgabe", str(datei), "--kommune", "Musterstadt", "--jobs", "1")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        f"Fehler: {datei}/intern/musterkreis_fiktiv: ein Teil des Pfads ist eine Datei, kein "
        "Ordner. Bitte den Pfad prüfen."
    ) in proc.stderr
    assert datei.read_text(encoding="utf-8") == "keine Berichte"
    # the same for every command that writes (templates, GeoPackage, a sample Land)
    for args in (
        ("vorlage", str(datei / "mappe")),
        ("export", "gpkg", str(SAMPLE), str(datei / "kreis.gpkg")),
        ("beispiel-land", str(datei / "land")),
    ):
        proc = thm(*args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith(f"Fehler: {datei}"), proc.stderr
        assert "Bitte den Pfad prüfen." in proc.stderr, proc.stderr


def test_a_land_run_names_what_it_does_not_read(tmp_path):
    # session 56: ZIP files and folders without an Arbeitsmappe were passed over without
    # a word; a Kreis unpacked one level too deep was simply missing from the Land index
    land = tmp_path / "land"
    (land / "kreis_a").mkdir(parents=True)  # misnamed only: runs, and fails with the reason
    (land / "kreis_a" / "Zielgruppe.ods").write_bytes(b"")
    for name in ("kreis_b", "kreis_c"):
        shutil.copytree(SAMPLE, land / "Eingang 2026" / name)
    (land / "Eingang 2026" / "Anschreiben.pdf").write_bytes(b"%PDF")
    (land / "Notizen").mkdir()
    (land / "Notizen" / "protokoll.docx").write_bytes(b"")
    shutil.make_archive(str(land / "kreis_d"), "zip", SAMPLE)
    proc = thm("batch", str(land), "--ausgabe", str(tmp_path / "berichte"), "--ohne-fortschritt")
    assert proc.returncode == 1, proc.stderr
    assert "NICHT GELAUFEN kreis_a: " in proc.stderr
    assert "Vorhanden, aber nicht gelesen: 'Zielgruppe.ods'" in proc.stderr
    kein = "keine Arbeitsmappe darin (weder 'annahmen.yaml' noch eine Tabelle wie "
    assert proc.stdout.splitlines()[:3] == [
        "Hinweis: 'kreis_d.zip' im Landesordner wird nicht gelesen: Bitte entpacken (in einen "
        "eigenen Ordner), wenn darin eine Arbeitsmappe liegt, die mitlaufen soll.",
        f"Hinweis: Ordner 'Eingang 2026' im Landesordner wird übersprungen: {kein}"
        "'zielgruppe.xlsx' oder 'angebote.csv'). Eine Ebene tiefer liegen 2 Arbeitsmappen "
        "('Eingang 2026/kreis_b', 'Eingang 2026/kreis_c'); sollen sie mitlaufen, bitte ihre "
        "Ordner direkt in den Landesordner verschieben.",
        f"Hinweis: Ordner 'Notizen' im Landesordner wird übersprungen: {kein}"
        "'zielgruppe.xlsx' oder 'angebote.csv').",
    ]
    assert "Fertig: 0 von 1 Kreisen veröffentlicht." in proc.stdout
