"""Privacy guard: finds planted pseudonyms and planted small counts, passes clean files."""

from __future__ import annotations

import html
import json

import nbformat
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from thm_lib.disclosure.privacy import PSEUDONYM, SMALL_COUNT, assert_clean, scan_file, scan_paths
from thm_lib.disclosure.suppression import add_totals, suppress
from thm_lib.publish.excel import write_buendnis_workbook

IDS = ["F-0001", "F-0002", "TM7Q2"]


def _published():
    t = pd.DataFrame(
        {"passend": [3, 10, 20], "offen": [6, 8, 30]},
        index=pd.Index(["Sprache", "Arbeit", "Wohnen"], name="handlungsfeld"),
    )
    t = add_totals(t, total_row="Insgesamt", total_col="gesamt")
    t["anteil_passend"] = t["passend"] / t["gesamt"]
    return suppress(
        t,
        5,
        total_row="Insgesamt",
        total_col="gesamt",
        share_cols={"anteil_passend": ["passend", "gesamt"]},
        titel="Bedarfe",
    )


def _planted_small_count() -> str:
    """The published table with a 3 written into Arbeit/passend (row 3, column 2), a cell
    the suppression hides: a small count where none may stand."""
    return (
        _published().to_html().replace("<th>Arbeit</th><td>.</td>", "<th>Arbeit</th><td>3</td>", 1)
    )


def _kinds(findings):
    return sorted(f.kind for f in findings)


# --- HTML ---------------------------------------------------------------------------


def test_html_clean(tmp_path):
    page = tmp_path / "bericht.html"
    # a table may hold small numbers in columns that do not count persons (declared by
    # their header, e.g. offers); labels are <th>
    page.write_text(
        "<html><body><p>Bericht F-00012 und XF-0001</p>"
        + _published().to_html()
        + "<table><tr><th>Angebote</th></tr><tr><td>3</td></tr></table>"
        "</body></html>",
        encoding="utf-8",
    )
    assert scan_file(page, IDS) == []
    assert_clean(page, IDS)


def test_html_planted_pseudonym_and_small_count(tmp_path):
    table = _planted_small_count()
    page = tmp_path / "bericht.html"
    page.write_text(f"<html><body><p>Fall f-0002 offen</p>{table}</body></html>", encoding="utf-8")
    found = scan_file(page, IDS)
    assert _kinds(found) == [SMALL_COUNT, PSEUDONYM]
    small = next(f for f in found if f.kind == SMALL_COUNT)
    assert small.value == "3" and "Zeile 3, Spalte 2" in small.where
    pseud = next(f for f in found if f.kind == PSEUDONYM)
    assert pseud.value == "f-0002" and "F-0002" not in str(pseud)  # masked in messages
    with pytest.raises(AssertionError, match="Datenschutzprüfung"):
        assert_clean(page, IDS)


def test_unmarked_html_table_with_small_counts_is_found(tmp_path):
    # issue 13, point 6: the old scan looked only at tables marked thm-published
    page = tmp_path / "bericht.html"
    page.write_text(
        "<html><body><table><thead><tr><th>Gemeinde</th><th>Duldung</th>"
        "<th>Gestattung</th></tr></thead><tbody><tr><th>Dorf</th><td>3</td>"
        "<td>1</td></tr><tr><th>Stadt</th><td>40</td><td>0</td></tr></tbody>"
        "</table></body></html>",
        encoding="utf-8",
    )
    found = scan_file(page, IDS)
    assert sorted(f.value for f in found) == ["1", "3"]
    assert all(f.kind == SMALL_COUNT for f in found)
    assert any("Spalte 2 (Duldung)" in f.where for f in found)


def test_no_false_alarm_on_counts_of_handlungsfelder_offers_and_places(tmp_path):
    # the batch index counts Handlungsfelder in Unterversorgung in a marked table; the
    # offer inventory counts offers open to Duldung: neither counts persons
    page = tmp_path / "index.html"
    page.write_text(
        '<table class="thm-published" data-thm-published="5"><thead><tr><th>Kommune</th>'
        "<th>Zielgruppe</th><th>Unterversorgung (Handlungsfelder)</th><th>Fehlende Plätze"
        "</th></tr></thead><tbody><tr><td>Dorf</td><td>&lt;5</td><td>2</td><td>3</td></tr>"
        "</tbody></table><table><caption>Angebote je Handlungsfeld</caption><thead><tr>"
        "<th></th><th>Angebote</th><th>offen für Duldung</th></tr></thead><tbody><tr>"
        "<th>Sprache</th><td>4</td><td>1</td></tr></tbody></table>",
        encoding="utf-8",
    )
    assert scan_file(page, IDS) == []
    # the same numbers in a column of persons are found
    page.write_text(
        page.read_text(encoding="utf-8").replace("<td>&lt;5</td>", "<td>4</td>"), encoding="utf-8"
    )
    assert [f.value for f in scan_file(page, IDS)] == ["4"]


def _eigene_mappe(path, titel: str, kopf: list[str], zeile: list[object]):
    """An unmarked workbook of one sheet as a user might make it: title, header, one row."""
    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    sheet.title = titel[:31]
    for row in ([titel], kopf, zeile):
        sheet.append(row)
    wb.save(path)
    return path


def test_unmarked_xlsx_sheet_is_scanned_by_column_header(tmp_path):
    path = _eigene_mappe(
        tmp_path / "eigen.xlsx",
        "Eigene Auswertung",
        ["Gemeinde", "Personen", "Angebote"],
        ["Dorf", 2, 3],
    )
    found = scan_file(path, IDS)
    assert [(f.value, "B3" in f.where) for f in found] == [("2", True)]


def test_an_estimated_demand_is_no_count_but_the_same_number_as_demand_is(tmp_path):
    # since session 26 the list of gaps shows small estimates (persons × published rates)
    # under a header saying "geschätzt"; a plain "Bedarf" column still counts persons
    from thm_lib.core import labels

    titel, zeile = "Versorgungslücken (Unterversorgung)", ["Dorf", 3.0, 2.0]
    kopf = ["Gemeinde", labels.BEDARF_GESCHAETZT, labels.BEDARF_GEDULDETE_GESCHAETZT]
    assert scan_file(_eigene_mappe(tmp_path / "a.xlsx", titel, kopf, zeile), IDS) == []
    kopf[1] = "Bedarf"
    found = scan_file(_eigene_mappe(tmp_path / "b.xlsx", titel, kopf, zeile), IDS)
    assert [(f.kind, f.value, "B3" in f.where) for f in found] == [(SMALL_COUNT, "3", True)]


def test_html_inside_iframe_srcdoc(tmp_path):
    inner = (
        '<table data-thm-published="5"><tr><th>A</th><td>2</td></tr></table>'
        '<script>var t = "TM7Q2";</script>'
    )
    page = tmp_path / "karte.html"
    page.write_text(
        f'<iframe srcdoc="{html.escape(inner, quote=True)}"></iframe>', encoding="utf-8"
    )
    found = scan_file(page, IDS)
    assert _kinds(found) == [SMALL_COUNT, PSEUDONYM]


def test_threshold_from_marking_and_override(tmp_path):
    page = tmp_path / "t.html"
    page.write_text(
        '<table class="thm-published" data-thm-published="10"><tr><td>7</td></tr></table>',
        encoding="utf-8",
    )
    assert _kinds(scan_file(page, [])) == [SMALL_COUNT]
    assert scan_file(page, [], threshold=5) == []


# --- xlsx ---------------------------------------------------------------------------


def _workbook(tmp_path):
    path = tmp_path / "buendnis.xlsx"
    write_buendnis_workbook(
        path, {"Bedarfe": _published()}, stichtag="2025-12-31", quellen=["Musterdaten"]
    )
    return path


def test_xlsx_clean_export(tmp_path):
    path = _workbook(tmp_path)
    assert scan_file(path, IDS) == []


def test_xlsx_planted_three_and_pseudonym(tmp_path):
    path = _workbook(tmp_path)
    wb = load_workbook(path)
    wb["Bedarfe"]["B5"] = 3  # a count cell of the published range
    wb["Hinweise"]["B20"] = "Rückfrage zu F-0001"
    wb.save(path)
    found = scan_file(path, IDS)
    assert _kinds(found) == [SMALL_COUNT, PSEUDONYM]
    small = next(f for f in found if f.kind == SMALL_COUNT)
    assert small.where.startswith("Blatt 'Bedarfe'!B5 ") and small.value == "3"


# --- notebooks and JSON ----------------------------------------------------------------


def _notebook(html_table: str, text: str):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("bericht.published()")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": html_table}),
        nbformat.v4.new_output("stream", name="stdout", text=text),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Bericht"), cell]
    return nb


def test_ipynb(tmp_path):
    clean = tmp_path / "clean.ipynb"
    nbformat.write(_notebook(_published().to_html(), "fertig\n"), clean)
    assert scan_file(clean, IDS) == []
    dirty = tmp_path / "dirty.ipynb"
    table = _planted_small_count()
    nbformat.write(_notebook(table, "Fall F-0001 geladen\n"), dirty)
    found = scan_file(dirty, IDS)
    assert _kinds(found) == [SMALL_COUNT, PSEUDONYM]
    assert all("Zelle 2" in f.where for f in found)


def test_json(tmp_path):
    doc = {"kennzahlen": _published().to_dict()}
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(doc), encoding="utf-8")
    assert scan_file(clean, IDS) == []  # shares like 1.0 are not counts
    block = doc["kennzahlen"]["thm_published"]
    block["data"][2][0] = 3
    doc["faelle"] = ["F-0002"]
    dirty = tmp_path / "dirty.json"
    dirty.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert _kinds(scan_file(dirty, IDS)) == [SMALL_COUNT, PSEUDONYM]


def test_scan_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_text("<p>TM7Q2</p>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("nichts", encoding="utf-8")
    found = scan_paths([tmp_path], IDS)
    assert [f.path.name for f in found] == ["a.html"]
    with pytest.raises(AssertionError):
        assert_clean(tmp_path, IDS)
    with pytest.raises(AssertionError, match="nicht gefunden"):
        assert_clean(tmp_path / "fehlt.html", IDS)
    (tmp_path / "leer").mkdir()
    with pytest.raises(AssertionError, match="Keine Dateien"):
        assert_clean(tmp_path / "leer", IDS)


# --- the gate and the guard agree --------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3), min_size=1, max_size=5)
)
def test_property_suppressed_output_passes_the_guard(tmp_path_factory, values):
    frame = pd.DataFrame(
        values, columns=["a", "b", "c"], index=[f"Gemeinde {i}" for i in range(len(values))]
    )
    pub = suppress(
        add_totals(frame, total_row="Summe", total_col="Summe"),
        5,
        total_row="Summe",
        total_col="Summe",
    )
    folder = tmp_path_factory.mktemp("guard")
    page = folder / "t.html"
    page.write_text(pub.to_html(), encoding="utf-8")
    doc = folder / "t.json"
    doc.write_text(json.dumps(pub.to_dict()), encoding="utf-8")
    assert_clean([page, doc], IDS)
    # every small count is hidden; "<5" stands only for small counts (the bounded check
    # may show a small one with the symbol instead, never a large one as "<5")
    small = (frame >= 1) & (frame < 5)
    assert pub.mask.loc[frame.index, frame.columns][small].fillna(True).all().all()
    text = pub.to_html()
    labelled = pub.published.loc[frame.index, frame.columns] == "<5"
    assert not (labelled & ~small).to_numpy().any()
    # replacing each "<5" by the real-looking "1" is caught exactly when one stood there
    raw = folder / "raw.html"
    raw.write_text(text.replace("&lt;5", "1"), encoding="utf-8")
    assert bool(scan_file(raw, [])) == ("&lt;5" in text)
