"""Issue 12, rule 5: the Handlungsfelder list in annahmen.yaml is really configurable.

A copy of the sample Kreis gets an extra Handlungsfeld "Mobilität" (annahmen.yaml, with a
standard rate), one offer in it (40 places in Musterstadt) and 80 documented needs of
consented target-group cases (40 passend, 40 kein Angebot). It must load and appear in
every table, map and the Excel workbook.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from thm_lib.analysis import coverage, staffing
from thm_lib.analysis.target_group import eligible_cases
from thm_lib.core.errors import DataError
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.publish.maps.interactive import handlungsfeld_colors, kreis_map
from thm_lib.publish.maps.static import static_map
from thm_lib.run.report import buendnis_workbook

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
FELD = "Mobilität"
OFFER = (
    f"A900;Mobilitätstraining Musterstadt;Verkehrsverbund Musterkreis;{FELD};kommune;ja;ja;"
    "18;27;40;51,53682;7,86433;;05899004;nein;;01.01.2020;"
)
FELDER = (
    "[Sprache, Schulabschluss, Berufsvorbereitung, Qualifizierung, Ausbildung, Arbeit, "
    f"Coaching, Aufenthaltsrecht, Wohnen, Gesundheit, Psychosoziales, Sonstiges, {FELD}]"
)


def _append(path: Path, lines: list[str]) -> None:
    """Append lines in the file's own encoding (UTF-8 with or without BOM, else cp1252)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    text = "".join(line + "\n" for line in lines)
    sep = b"" if data.endswith(b"\n") else b"\n"
    path.write_bytes(data + sep + text.encode(encoding))


def _copy(tmp: Path, *, configure: bool = True, quote: bool = True) -> Path:
    folder = tmp / "musterkreis_mobilitaet"
    shutil.copytree(SAMPLE, folder)
    _append(folder / "angebote.csv", [OFFER])
    ziel = eligible_cases(load_workspace(SAMPLE).faelle, load_workspace(SAMPLE).annahmen)
    ids = list(ziel["fall_id"])[:80]
    _append(
        folder / "bedarfe.csv",
        [f"{i};{FELD};{'passend' if n % 2 == 0 else 'kein_angebot'}" for n, i in enumerate(ids)],
    )
    if configure:
        extra = f"handlungsfelder: {FELDER}\n"
        if quote:
            extra += f"bedarf:\n  standardquoten:\n    {FELD}: 0.25\n"
        _append(folder / "annahmen.yaml", [extra])
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy(tmp_path_factory.mktemp("hf"))


@pytest.fixture(scope="module")
def ws(folder: Path):
    return load_workspace(folder)


@pytest.fixture(scope="module")
def result(ws):
    return coverage.analyse(ws)


def test_extra_field_and_its_offer_load(ws) -> None:
    assert ws.handlungsfelder[-1] == FELD and len(ws.handlungsfelder) == 13
    offer = ws.angebote.set_index("angebot_id").loc["A900"]
    assert offer["handlungsfeld"] == FELD and offer["plaetze"] == 40
    assert (ws.bedarfe["handlungsfeld"] == FELD).sum() == 80


def test_unconfigured_field_is_still_an_error_naming_the_cell(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_workspace(_copy(tmp_path, configure=False))
    text = str(err.value)
    assert "angebote.csv" in text and "Spalte 'handlungsfeld'" in text and FELD in text
    assert "Erlaubt sind: Sprache" in text


def test_extra_field_needs_a_standard_rate(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'bedarf.standardquoten'.*Mobilität"):
        load_workspace(_copy(tmp_path, quote=False))


def test_extra_field_in_every_table(ws, result) -> None:
    g = result.gemeinden
    rows = g[g["handlungsfeld"] == FELD]
    assert len(rows) == len(ws.gebiete)  # one row per Gemeinde
    assert rows["bedarf"].sum() > 0  # 80 documented needs give a rate
    assert FELD in views.versorgung_matrix(ws, result).columns
    uebersicht = views.angebote_uebersicht(ws)
    assert FELD in uebersicht.index
    assert FELD in views.angebote_uebersicht(ws, "05899004").index
    # Fallevidenz by hand: 80 needs of target-group cases, 40 passend, 40 kein Angebot
    evidenz = views.fallevidenz(ws).internal_unsuppressed.loc[FELD]
    assert (evidenz["passend"], evidenz["kein_angebot"], evidenz["gesamt"]) == (40, 40, 80)
    assert FELD in views.bericht_tabellen(ws)["Bedarfe"].published.index
    values = views.karten_mass(ws, "versorgungsgrad", FELD, result).values
    assert values.notna().any()


def test_extra_field_in_the_maps(ws, result) -> None:
    colors = handlungsfeld_colors(ws.handlungsfelder)
    assert colors[FELD] != colors["Sprache"]  # no colour shared in the legend
    assert len(set(colors.values())) == 13
    fmap = kreis_map(ws, views.karten_mass(ws, "versorgungsgrad", FELD, result), handlungsfeld=FELD)
    page = fmap.get_root().render()
    escaped = json.dumps(FELD)[1:-1]  # the page holds JSON strings
    assert f"Versorgungsgrad {escaped}" in page  # choropleth title
    # the legend lists the offer's field with its own colour, and the layer control
    assert f'background:{colors[FELD]}\\"\\u003e\\u003c/span\\u003e{escaped}' in page
    assert f'"{escaped} (1)"' in page
    fig = static_map(ws, views.karten_mass(ws, "zielgruppe"), offers=True)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"Angebot {FELD}" in labels


def test_extra_field_in_the_excel_workbook(ws, result, tmp_path: Path) -> None:
    path = buendnis_workbook(
        ws, "", result, staffing.stellenbemessung(ws), tmp_path / "buendnis.xlsx"
    )
    wb = openpyxl.load_workbook(path)
    sheets_with = [
        s.title for s in wb.worksheets if any(c.value == FELD for row in s.iter_rows() for c in row)
    ]
    assert len(sheets_with) >= 3, sheets_with


@pytest.mark.slow
def test_extra_field_in_the_notebook_tables(folder: Path, tmp_path: Path) -> None:
    """The analysis notebook, run by papermill on the copy, shows the field in its tables."""
    from thm_lib.run.kommune import execute

    out = tmp_path / "bedarfs_und_angebotsanalyse.ipynb"
    execute("bedarfs_und_angebotsanalyse", out, {"arbeitsmappe": str(folder), "ags": ""})
    nb = json.loads(out.read_text(encoding="utf-8"))
    html = [
        (
            "".join(o["data"]["text/html"])
            if isinstance(o["data"]["text/html"], list)
            else o["data"]["text/html"]
        )
        for c in nb["cells"]
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if "data" in o and "text/html" in o["data"]
    ]
    tables = [h for h in html if "<table" in h]
    assert sum(FELD in h for h in tables) >= 3  # offers, coverage matrix, case evidence
