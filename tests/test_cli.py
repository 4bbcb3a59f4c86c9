"""The `thm` command: summary of the sample Kreis, templates and their round trip."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from thm_lib.io import load_workspace

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def _thm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "thm_lib.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_zusammenfassung_prints_german_table_per_gemeinde() -> None:
    proc = _thm("zusammenfassung", str(SAMPLE))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "Musterkreis (fiktiv) – Stichtag 31.12.2021" in lines[0]
    musterstadt = next(line for line in lines if "Musterstadt" in line).split()
    # Geduldete and Gestattete 18-27 at 31.12.2021, counted from the raw CSV by hand
    raw = {"duldung": 0, "gestattung": 0}
    for row in (SAMPLE / "zielgruppe.csv").read_text(encoding="utf-8-sig").splitlines()[1:]:
        ags, stichtag, status, alter, _, anzahl = row.split(";")
        if ags == "05899004" and stichtag == "31.12.2021" and 18 <= int(alter) <= 27 \
                and status in raw:
            raw[status] += int(anzahl)
    assert musterstadt[:2] == ["05899004", "Musterstadt"]
    assert [int(x) for x in musterstadt[3:6]] == [raw["duldung"], raw["gestattung"],
                                                  raw["duldung"] + raw["gestattung"]]
    assert "Kreis insgesamt" in proc.stdout


def test_zusammenfassung_reports_data_errors_without_traceback(tmp_path: Path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    text = (mappe / "angebote.csv").read_text(encoding="utf-8-sig")
    (mappe / "angebote.csv").write_text(text.replace(";bamf;nein;ja;", ";bamf;vielleicht;ja;", 1),
                                        encoding="utf-8-sig")
    proc = _thm("zusammenfassung", str(mappe))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "angebote.csv" in proc.stderr and "Zeile 2" in proc.stderr
    assert "zugang_duldung" in proc.stderr and "vielleicht" in proc.stderr


def test_vorlage_writes_templates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    proc = _thm("vorlage", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    wb = load_workbook(tmp_path / "angebote.xlsx")
    sheet = wb["angebote"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["angebot_id", "name", "traeger", "handlungsfeld"]
    lists = {next(iter(dv.sqref.ranges)).coord.split(":")[0][:-1]: dv.formula1
             for dv in sheet.data_validations.dataValidation}
    col = {h: chr(ord("A") + i) for i, h in enumerate(headers)}
    assert "Sprache" in lists[col["handlungsfeld"]] and "kim" in lists[col["foerderlinie"]]
    assert lists[col["zugang_duldung"]] == '"ja,nein"'
    assert sheet["A1"].comment is not None
    assert "Erläuterungen" in wb.sheetnames
    assert load_workbook(tmp_path / "faelle.xlsx").sheetnames[:2] == ["faelle", "bedarfe"]
    before = (tmp_path / "angebote.xlsx").read_bytes()
    again = _thm("vorlage", str(tmp_path))
    assert again.returncode == 2 and "wird nicht überschrieben" in again.stderr
    assert (tmp_path / "angebote.xlsx").read_bytes() == before


def _fill(path: Path, sheet: str, rows: list[list[object]]) -> None:
    wb = load_workbook(path)
    for row in rows:
        wb[sheet].append(row)
    wb.save(path)


def test_filled_templates_load_without_change(tmp_path: Path) -> None:
    assert _thm("vorlage", str(tmp_path)).returncode == 0
    shutil.copy(SAMPLE / "gebiete.geojson", tmp_path)
    _fill(tmp_path / "zielgruppe.xlsx", "zielgruppe", [
        ["05899004", date(2021, 12, 31), "duldung", 19, "m", 12],
        [5899008, date(2021, 12, 31), "gestattung", 25, "w", 3],  # AGS typed as a number
    ])
    _fill(tmp_path / "faelle.xlsx", "faelle", [
        ["TM-ABC123", "05899004", 20, "duldung", "m", "ja", date(2021, 3, 1), None, None]])
    _fill(tmp_path / "faelle.xlsx", "bedarfe", [["TM-ABC123", "Sprache", "naechstbeste"]])
    _fill(tmp_path / "angebote.xlsx", "angebote", [
        ["A1", "Sprachkurs", "VHS", "Sprache", "bamf", "nein", "ja", 18, 27, 20, 51.5, 7.9,
         None, "05899004", "nein", None, date(2020, 1, 1), None]])
    ws = load_workspace(tmp_path)
    assert ws.zielgruppe["ags"].tolist() == ["05899004", "05899008"]
    assert ws.zielgruppe["anzahl"].tolist() == [12, 3]
    assert ws.faelle["einwilligung"].tolist() == [True]
    assert ws.bedarfe["ergebnis"].tolist() == ["naechstbeste"]
    a = ws.angebote.iloc[0]
    assert (a["zugang_duldung"], a["zugang_gestattung"], a["plaetze"]) == (False, True, 20.0)
    assert a["standort_quelle"] == "koordinaten"
