"""No case record in error texts shown beyond the Geschäftsführende Stelle: a faelle/bedarfe
table without its header row, a duplicate pseudonym, the app's error box, the Land index."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.helpers_io import (
    SAMPLE,
    column,
    copy_sample,
    detect_encoding,
    read_rows,
    set_cell,
    write_rows,
    write_xlsx,
)
from thm_lib.apps.common import error_html
from thm_lib.core.errors import DataError, ohne_personenwerte
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run.land import run_land


def _ohne_kopfzeile(folder: Path, name: str) -> list[str]:
    """Drop the header row of ``folder/name``; return the cells of the new first row."""
    path = folder / name
    data = path.read_bytes()
    encoding = detect_encoding(data)
    lines = data.decode(encoding).splitlines()
    path.write_bytes(("\r\n".join(lines[1:]) + "\r\n").encode(encoding))
    erste, _ = read_rows(folder / name)  # the csv module's "header": the first data row
    return erste


def _genannt(wert: str, text: str) -> bool:
    """Whether ``wert`` stands in ``text`` as a whole word (any case)."""
    return re.search(rf"(?<![\w.-]){re.escape(wert)}(?![\w.-])", text, re.I) is not None


def _werte(zeile: list[str]) -> list[str]:
    return [c.strip() for c in zeile if c.strip()]


def _pseudonyme(folder: Path) -> list[str]:
    header, rows = read_rows(folder / "faelle.csv")
    return column(header, rows, "fall_id")


def _kopfzeile_fehlt(folder: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    return info.value


@pytest.mark.parametrize("name", ["faelle.csv", "bedarfe.csv"])
def test_a_table_of_cases_without_header_is_one_problem_without_values(tmp_path, name):
    folder = copy_sample(tmp_path)
    erste = _ohne_kopfzeile(folder, name)
    exc = _kopfzeile_fehlt(folder)
    (problem,) = exc.problems
    assert (problem.datei, problem.zeile, problem.wert) == (name, 1, None)
    assert problem.meldung == "Kopfzeile fehlt, diese Zeile sieht wie Daten aus"
    # the hint names the header to insert, as the template writes it
    assert "Bitte die Kopfzeile wie in der Vorlage" in problem.hinweis
    assert "fall_id;" in problem.hinweis
    text = str(exc)
    assert "Pflichtspalte fehlt" not in text and "Vorhandene Spalten" not in text
    for wert in _werte(erste):
        assert not _genannt(wert, text), wert
    box = error_html(exc)
    assert "Kopfzeile fehlt" in box
    for wert in _werte(erste):
        assert not _genannt(wert, box), wert


def test_faelle_xlsx_without_header_names_no_cell(tmp_path):
    folder = copy_sample(tmp_path)
    _, rows = read_rows(folder / "faelle.csv")
    (folder / "faelle.csv").unlink()
    write_xlsx(folder / "faelle.xlsx", {"faelle": rows})
    exc = _kopfzeile_fehlt(folder)
    assert [(p.datei, p.zeile) for p in exc.problems] == [("faelle.xlsx", 1)]
    assert exc.problems[0].meldung.startswith("Kopfzeile fehlt")
    for wert in _werte(rows[0]):
        assert not _genannt(wert, str(exc)), wert


def test_other_tables_without_header_show_their_first_row(tmp_path):
    # offers are no personal data: the cells help to see that row 1 is data
    folder = copy_sample(tmp_path)
    erste = _ohne_kopfzeile(folder, "angebote.csv")
    (problem,) = _kopfzeile_fehlt(folder).problems
    assert problem.meldung.startswith("Kopfzeile fehlt")
    assert f"Diese Zeile enthält: {erste[0]}, " in problem.hinweis


def test_a_misnamed_column_of_faelle_lists_no_cells(tmp_path):
    folder = copy_sample(tmp_path)
    header, rows = read_rows(folder / "faelle.csv")
    header[header.index("alter")] = "lebensalter"
    write_rows(folder / "faelle.csv", header, rows)
    exc = _kopfzeile_fehlt(folder)
    (problem,) = exc.problems
    assert (problem.spalte, problem.meldung) == ("alter", "Pflichtspalte fehlt")
    assert "Vorhandene Spalten" not in str(exc)


def test_a_duplicate_pseudonym_is_left_out(tmp_path):
    folder = copy_sample(tmp_path)
    pseudonyme = _pseudonyme(folder)
    set_cell(folder, "faelle.csv", 3, "fall_id", pseudonyme[0])
    with pytest.raises(DataError) as info:
        load_workspace(folder)
    assert pseudonyme[0] in str(info.value)  # the office's own console names it
    for text in (
        ohne_personenwerte(str(info.value)),
        ohne_personenwerte(info.value),
        html.unescape(error_html(info.value)),
    ):
        assert "faelle.csv, Zeile" in text and "'fall_id'" in text
        for p in pseudonyme:
            assert not _genannt(p, text), p


def test_old_texts_lose_the_listed_cells_of_a_case_record():
    text = (
        "- faelle.csv, Zeile 1, Spalte 'fall_id': Pflichtspalte fehlt. Vorhandene Spalten: "
        "tm-7jhemp, 05899004, 27, sonstige, m, ja, 01.07.2021. Bitte die Kopfzeile wie in der "
        "Vorlage schreiben\n"
        "- bedarfe.csv, Zeile 1: Spaltenüberschrift doppelt: tm-1, ja. Bitte jede Spalte nur "
        "einmal anlegen\n"
        "- angebote.csv, Zeile 1, Spalte 'name': Pflichtspalte fehlt. Vorhandene Spalten: "
        "angebot_id, titel. Bitte die Kopfzeile wie in der Vorlage schreiben"
    )
    assert ohne_personenwerte(text).splitlines() == [
        "- faelle.csv, Zeile 1, Spalte 'fall_id': Pflichtspalte fehlt. Bitte die Kopfzeile "
        "wie in der Vorlage schreiben",
        "- bedarfe.csv, Zeile 1: Spaltenüberschrift doppelt. Bitte jede Spalte nur einmal anlegen",
        text.splitlines()[2],  # offers keep their header names
    ]


def _kreis(land: Path, ordner: str, name: str, ags: str) -> Path:
    mappe = land / ordner
    shutil.copytree(SAMPLE, mappe)
    yaml = mappe / "annahmen.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("name: Musterkreis (fiktiv)", f"name: {name}", 1)
    yaml.write_text(text.replace('ags: "05899"', f'ags: "{ags}"', 1), encoding="utf-8")
    return mappe


def test_the_land_index_names_file_and_row_but_no_case_value(tmp_path):
    land = tmp_path / "land"
    doppelt = _kreis(land, "kreis_a", "Kreis Adorf (fiktiv)", "05899")
    ohne_kopf = _kreis(land, "kreis_b", "Kreis Bedorf (fiktiv)", "05898")
    pseudonyme = _pseudonyme(doppelt)
    set_cell(doppelt, "faelle.csv", 3, "fall_id", pseudonyme[0])
    _, rows = read_rows(SAMPLE / "faelle.csv")
    werte = {w for r in rows for w in _werte(r)}
    _ohne_kopfzeile(ohne_kopf, "faelle.csv")

    result = run_land(land, tmp_path / "reports", jobs=1, notebooks=("zielgruppe",), progress=False)
    assert result.veroeffentlicht == 0
    assert all(pseudonyme[0] in k.fehler or "Kopfzeile" in k.fehler for k in result.kreise)
    seite = BeautifulSoup(result.index.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "faelle.csv, Zeile 2, Spalte 'fall_id': Wert kommt mehrfach vor (Zeilen 2, 3)" in seite
    assert "faelle.csv, Zeile 1: Kopfzeile fehlt" in seite
    for wert in sorted(werte):
        if len(wert) > 2 or wert.isdigit():  # not 'm'/'w'/'ja' (words of the page)
            assert not _genannt(wert, seite), wert
    for p in pseudonyme:
        assert p not in seite and p.lower() not in seite.lower()
