"""``thm import statistik``: official statistics tables to ``zielgruppe.csv``.

The fixtures in ``tests/data/statistik/`` are written by hand after the
published format descriptions (GENESIS-Online ffcsv; Regionaldatenbank table
CSV in Latin-1 with title lines, two header rows, period column and footer).
Every expected number below is computed by hand from those files.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from thm_lib.core.errors import DataError
from thm_lib.ingest import statistik
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.statistik_import import importiere_statistik, lade_zuordnung
from thm_lib.run.cli import main

DATA = Path(__file__).parent / "data" / "statistik"
FLAT = DATA / "12531-Z-01_flat.csv"
REGIO = DATA / "12531-02-02-4_kreise.csv"
REGIO_GEM = DATA / "12531-03-01-5_gemeinden.csv"
SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
#: Einwohner of the sample Gemeinden (gebiete.geojson), in AGS order.
EINWOHNER = [98400, 24300, 17800, 31200, 12600, 9900, 8300, 6700, 7400, 11200, 5200, 4600]


@pytest.fixture
def mappe(tmp_path: Path) -> Path:
    """The sample Arbeitsmappe without its zielgruppe (to be imported)."""
    folder = tmp_path / "mappe"
    shutil.copytree(SAMPLE, folder)
    (folder / "zielgruppe.csv").unlink()
    return folder


def _cells(frame: pd.DataFrame) -> dict[tuple[str, str, str, str, str], str]:
    return {
        (r.ags, r.stichtag, r.status, r.altersgruppe, r.geschlecht): r.anzahl
        for r in frame.itertuples()
    }


def _known_sum(frame: pd.DataFrame, **where: str) -> int:
    rows = frame
    for key, value in where.items():
        rows = rows[rows[key] == value]
    return int(pd.to_numeric(rows["anzahl"], errors="coerce").fillna(0).sum())


# --------------------------------------------------------------------------- GENESIS flat
def test_flat_gemeinde_table_gives_the_hand_computed_rows(mappe: Path) -> None:
    result = importiere_statistik(FLAT, mappe)
    t = "31.12.2023"
    assert _cells(result.zielgruppe) == {
        ("05899004", t, "duldung", "18-24", "m"): "9",
        ("05899004", t, "duldung", "18-24", "w"): "0",  # '-' = nichts vorhanden
        ("05899004", t, "duldung", "25-29", "m"): "x",
        ("05899004", t, "duldung", "25-29", "w"): "/",
        ("05899004", t, "gestattung", "18-24", "m"): "12",
        ("05899004", t, "gestattung", "18-24", "w"): "7",
        ("05899004", t, "gestattung", "25-29", "m"): ".",
        ("05899004", t, "gestattung", "25-29", "w"): "...",
        ("05899004", t, "sonstige", "18-24", "m"): "20",
        ("05899016", t, "duldung", "18-24", "m"): "k",
        ("05899016", t, "duldung", "18-24", "w"): "t",
        ("05899016", t, "duldung", "25-29", "m"): "4",
        ("05899016", t, "duldung", "25-29", "w"): "2",
        ("05899016", t, "gestattung", "18-24", "m"): "g",
        ("05899016", t, "gestattung", "18-24", "w"): "u",
        ("05899016", t, "gestattung", "25-29", "m"): "3",
        ("05899016", t, "gestattung", "25-29", "w"): "0",  # a real 0 stays 0
    }


def test_flat_report_lists_symbols_quality_and_everything_left_out(mappe: Path) -> None:
    b = importiere_statistik(FLAT, mappe).bericht
    assert b.format == statistik.FORMAT_FLAT
    assert b.werte_gelesen == 24 and b.zeilen_geschrieben == 17
    assert b.stichtage == [pd.Timestamp("2023-12-31")]
    assert b.gemeinden == ["05899004", "05899016"]
    assert b.status_summen == {"duldung": 15, "gestattung": 22, "sonstige": 20}
    assert b.nichts_als_null == 1
    assert dict(b.unbekannt) == {s: 1 for s in (".", "...", "x", "/", "g", "u", "k", "t")}
    assert dict(b.qualitaet) == {"e": 8, "p": 1}
    left = {grund.split(":")[0]: tuple(n) for grund, n in b.ausgelassen.items()}
    assert left == {
        "'Schutzsuchende mit abgelehntem Schutzstatus' bewusst nicht verwendet": (1, 15),
        "nicht zugeordnete Kategorie 'Schutzstatus ungeklärt' (Zuordnung ergänzen)": (1, 5),
        "andere Einheit als Anzahl ('Jahre')": (1, 0),
        "Gemeinden außerhalb der Arbeitsmappe": (1, 50),
        "übergeordnete oder zusammengefasste Gebiete (Deutschland)": (1, 9999),
        "Summen über Geschlecht (die Aufteilung wird verwendet)": (1, 19),
        "Kreissummen (Gemeindezahlen liegen vor)": (1, 100),
    }
    text = b.text()
    assert "Schutzstatus ungeklärt" in text and "Stichtage: 31.12.2023" in text
    assert "10 Gemeinden der Arbeitsmappe kommen in der Quelle nicht vor" in text
    assert "'Jahre'): 1 Wert, 0 Personen" in text  # was "1 Werte"
    assert "Kreissummen (Gemeindezahlen liegen vor): 1 Wert, 100 Personen" in text


def test_flat_zip_reads_like_the_csv(mappe: Path, tmp_path: Path) -> None:
    archive = tmp_path / "12531-Z-01_flat.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(FLAT, FLAT.name)
    plain = importiere_statistik(FLAT, mappe).zielgruppe
    zipped = importiere_statistik(archive, mappe).zielgruppe
    pd.testing.assert_frame_equal(plain, zipped)


def test_user_mapping_in_the_arbeitsmappe_comes_first(mappe: Path) -> None:
    (mappe / "statistik_zuordnung.yaml").write_text(
        "status:\n  - muster: 'ungeklärt'\n    code: sonstige\n"
        "    erklaerung: 'laut Ausländerbehörde ohne Duldung'\n",
        encoding="utf-8",
    )
    b = importiere_statistik(FLAT, mappe).bericht
    assert b.status_summen == {"duldung": 15, "gestattung": 22, "sonstige": 25}
    assert not any("ungeklärt" in g for g in b.ausgelassen)
    assert "laut Ausländerbehörde" in b.zuordnungen["Schutzstatus ungeklärt"]


# --------------------------------------------------------------------------- Regionaldatenbank
def test_regional_kreis_table_is_split_by_population_share(mappe: Path) -> None:
    result = importiere_statistik(REGIO, mappe)
    z = result.zielgruppe
    # Duldung, männlich, 18 bis unter 25, 31.12.2023: 101 persons in the Kreis.
    # 101 * Einwohner / 237600 = 41.83, 10.33, 7.57, 13.26, 5.36, 4.21, 3.53, 2.85, 3.15,
    # 4.76, 2.21, 1.96; floors add to 95, the six largest remainders get +1.
    cell = z[
        (z["stichtag"] == "31.12.2023")
        & (z["status"] == "duldung")
        & (z["altersgruppe"] == "18-24")
        & (z["geschlecht"] == "m")
    ]
    assert cell["anzahl"].astype(int).tolist() == [42, 10, 8, 13, 5, 4, 4, 3, 3, 5, 2, 2]
    assert sum(EINWOHNER) == 237600
    # Per Stichtag and status the Gemeinden add up to the Kreis value of the source.
    assert _known_sum(z, stichtag="31.12.2023", status="duldung", geschlecht="m") == 361
    assert _known_sum(z, stichtag="31.12.2023", status="duldung", geschlecht="w") == 79
    assert _known_sum(z, stichtag="31.12.2023", status="gestattung") == 480 + 320
    assert _known_sum(z, stichtag="31.12.2023", status="sonstige") == 1500 + 1280
    assert _known_sum(z, stichtag="31.12.2022", status="duldung") == 95
    # Unknown Kreis values stay unknown in every Gemeinde; '-' is 0 in every Gemeinde.
    x = z[
        (z["stichtag"] == "31.12.2023")
        & (z["status"] == "duldung")
        & (z["altersgruppe"] == "30-120")
        & (z["geschlecht"] == "w")
    ]
    assert x["anzahl"].tolist() == ["x"] * 12
    zero = z[
        (z["stichtag"] == "31.12.2023")
        & (z["status"] == "duldung")
        & (z["altersgruppe"] == "25-29")
        & (z["geschlecht"] == "w")
    ]
    assert zero["anzahl"].tolist() == ["0"] * 12
    assert len(z) == (4 * 6 + 6) * 12


def test_regional_excel_download_reads_like_the_csv(mappe: Path, tmp_path: Path) -> None:
    """The same Regionaldatenbank table as .xlsx: dates and numbers as Excel values."""
    from datetime import datetime

    from openpyxl import Workbook

    wb = Workbook()
    sheet = wb.active
    for line in REGIO.read_bytes().decode("latin-1").splitlines():
        cells: list[object] = line.split(";")
        if cells[0][:2] == "31" and len(cells) > 4:
            cells[0] = datetime.strptime(cells[0], "%d.%m.%Y")
            cells[4:] = [int(c) if c.isdigit() else c for c in cells[4:]]
        sheet.append([c if c != "" else None for c in cells])
    xlsx = tmp_path / "12531-02-02-4.xlsx"
    wb.save(xlsx)
    from_csv = importiere_statistik(REGIO, mappe)
    from_xlsx = importiere_statistik(xlsx, mappe)
    pd.testing.assert_frame_equal(from_csv.zielgruppe, from_xlsx.zielgruppe)
    assert from_xlsx.bericht.tabelle == "12531-02-02-4"
    assert from_xlsx.bericht.status_summen == from_csv.bericht.status_summen


def test_regional_report_says_estimated_and_how(mappe: Path) -> None:
    b = importiere_statistik(REGIO, mappe).bericht
    assert b.format == statistik.FORMAT_TABELLE and b.tabelle == "12531-02-02-4"
    assert b.quelle.startswith("© Statistische Ämter des Bundes und der Länder")
    assert b.stand.startswith("15.05.2024")
    assert b.stichtage == [pd.Timestamp("2022-12-31"), pd.Timestamp("2023-12-31")]
    assert "Kreis (5-stelliger Schlüssel)" in b.ebene
    assert "Einwohnern" in b.schaetzung and "größten Reste" in b.schaetzung
    assert b.status_summen == {"duldung": 535, "gestattung": 980, "sonstige": 3300}
    assert b.nichts_als_null == 1 and dict(b.unbekannt) == {".": 1, "x": 1, "/": 1}
    abgelehnt = next(
        n for g, n in b.ausgelassen.items() if g.startswith("'Schutzsuchende mit abgelehntem")
    )
    # 8 rows carry the abgelehnt column: NRW, Kreis total, 4 ages, Bochum, 2022.
    assert abgelehnt == [8, 100000 + 730 + 200 + 130 + 100 + 300 + 600 + 180]


def test_regional_gemeinde_table_with_stichtag_in_the_header(mappe: Path) -> None:
    """Gemeinde level, time in header rows, age as a row label, no sex, '(C)opyright'."""
    result = importiere_statistik(REGIO_GEM, mappe)
    t = "31.12.2023"
    assert _cells(result.zielgruppe) == {
        ("05899004", t, "duldung", "18-24", "x"): "12",
        ("05899004", t, "duldung", "25-29", "x"): "8",
        ("05899004", t, "gestattung", "18-24", "x"): "30",
        ("05899004", t, "gestattung", "25-29", "x"): "20",
        ("05899004", t, "sonstige", "18-24", "x"): "50",
        ("05899004", t, "sonstige", "25-29", "x"): ".",
        ("05899008", t, "duldung", "18-24", "x"): "3",
        ("05899008", t, "duldung", "25-29", "x"): "/",
        ("05899008", t, "gestattung", "18-24", "x"): "4",
        ("05899008", t, "gestattung", "25-29", "x"): "...",
        ("05899008", t, "sonstige", "18-24", "x"): "0",
        ("05899008", t, "sonstige", "25-29", "x"): "x",
    }
    b = result.bericht
    assert b.tabelle == "12531-03-01-5" and b.stand.startswith("02.03.2024")
    assert b.quelle.startswith("(C)opyright Statistische Ämter")
    assert not b.schaetzung  # Gemeinde values, nothing estimated
    left = {g: tuple(n) for g, n in b.ausgelassen.items()}
    assert left == {
        "übergeordnete oder zusammengefasste Gebiete (Gemeindeverband)": (3, 11),
        "Summen über Altersgruppe (die Aufteilung wird verwendet)": (3, 1150),
        "Kreissummen (Gemeindezahlen liegen vor)": (3, 175),
    }


def test_abgelehnt_is_never_counted_as_duldung(mappe: Path) -> None:
    """FACTS.md: Duldung is a subset of 'abgelehnt'; only explicit Duldung categories count."""
    zuordnung = lade_zuordnung(mappe)
    rule = statistik._match(
        zuordnung.status, statistik.normalise_label("Schutzsuchende mit abgelehntem Schutzstatus")
    )
    assert rule is not None and rule[0].code is None
    for label, code in (
        ("darunter: mit Duldung", "duldung"),
        ("Ausreisepflichtige ohne Duldung", "sonstige"),
        ("Schutzsuchende mit offenem Schutzstatus", "gestattung"),
        ("Schutzsuchende mit anerkanntem Schutzstatus", "sonstige"),
    ):
        hit = statistik._match(zuordnung.status, statistik.normalise_label(label))
        assert hit is not None and hit[0].code == code, label
    z = importiere_statistik(REGIO, mappe).zielgruppe
    assert _known_sum(z, status="duldung") == 361 + 79 + 95  # the Duldung columns only


# --------------------------------------------------------------------------- symbols, errors
def _flat(
    value: str,
    *,
    status: str = "Schutzsuchende mit offenem Schutzstatus",
    age: str = "18 bis unter 25 Jahre",
    extra: str = "",
) -> bytes:
    head = (
        "statistics_code;time;1_variable_code;1_variable_attribute_code;"
        "1_variable_attribute_label;2_variable_code;2_variable_attribute_code;"
        "2_variable_attribute_label;3_variable_code;3_variable_attribute_code;"
        "3_variable_attribute_label;value;value_unit;value_q\n"
    )
    row = (
        f"12531;31.12.2023;GEMEIN;05899004;Musterstadt;SCHST;S1;{status};ALTX20;A1;{age};"
        f"{value};Anzahl;\n"
    )
    return (head + row + extra).encode("utf-8")


@pytest.mark.parametrize(
    ("symbol", "written", "zero", "unknown"),
    [
        ("-", "0", 1, {}),
        ("\u2013", "0", 1, {}),
        (".", ".", 0, {".": 1}),
        ("...", "...", 0, {"...": 1}),
        ("…", "...", 0, {"...": 1}),
        ("x", "x", 0, {"x": 1}),
        ("/", "/", 0, {"/": 1}),
        ("g", "g", 0, {"g": 1}),
        ("u", "u", 0, {"u": 1}),
        ("k", "k", 0, {"k": 1}),
        ("t", "t", 0, {"t": 1}),
        ("0", "0", 0, {}),
        ("1.234", "1234", 0, {}),
    ],
)
def test_every_destatis_symbol(
    symbol: str, written: str, zero: int, unknown: dict[str, int]
) -> None:
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["Musterstadt"], "einwohner": [1]})
    roh = statistik.parse_statistik(_flat(symbol), "t_flat.csv")
    result = statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)
    assert result.zielgruppe["anzahl"].tolist() == [written]
    assert result.bericht.nichts_als_null == zero
    assert dict(result.bericht.unbekannt) == unknown


def test_a_partly_unknown_sum_keeps_both_the_known_part_and_the_symbol(mappe: Path) -> None:
    """'anerkannt' and 'ohne Duldung' both map to sonstige; one part is unknown."""
    extra = (
        "12531;31.12.2023;GEMEIN;05899004;Musterstadt;SCHST;S9;ausreisepflichtig ohne "
        "Duldung;ALTX20;A1;18 bis unter 25 Jahre;.;Anzahl;\n"
    )
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["M"], "einwohner": [1]})
    roh = statistik.parse_statistik(
        _flat("5", status="Schutzsuchende mit anerkanntem Schutzstatus", extra=extra), "t.csv"
    )
    result = statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)
    assert result.zielgruppe["anzahl"].tolist() == ["5", "."]
    assert set(result.zielgruppe["status"]) == {"sonstige"}
    assert "Untergrenze" in result.bericht.hinweise[0]
    result.zielgruppe.to_csv(mappe / "zielgruppe.csv", sep=";", index=False)
    ws = load_workspace(mappe)  # the loader adds the parts and warns about the symbol
    assert ws.zielgruppe["anzahl"].sum() == 5 and ws.zielgruppe["anzahl"].isna().sum() == 1
    assert any("Platzhalter" in w for w in ws.warnungen)


def test_a_bad_value_names_file_row_and_column() -> None:
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["M"], "einwohner": [1]})
    roh = statistik.parse_statistik(_flat("12a"), "t_flat.csv")
    with pytest.raises(DataError) as err:
        statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)
    text = str(err.value)
    assert "t_flat.csv, Zeile 2, Spalte 'value'" in text and "'12a'" in text


def test_a_table_without_status_is_refused() -> None:
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["M"], "einwohner": [1]})
    roh = statistik.parse_statistik(_flat("5", status="Insgesamt"), "t_flat.csv")
    with pytest.raises(DataError, match="unterscheidet keine Aufenthaltsstatus"):
        statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)


def test_overlapping_age_bands_are_refused() -> None:
    extra = (
        "12531;31.12.2023;GEMEIN;05899004;Musterstadt;SCHST;S1;Schutzsuchende mit "
        "offenem Schutzstatus;ALTX20;A2;20 bis unter 30 Jahre;3;Anzahl;\n"
    )
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["M"], "einwohner": [1]})
    roh = statistik.parse_statistik(_flat("5", extra=extra), "t_flat.csv")
    with pytest.raises(DataError, match="Altersgruppen überschneiden sich: 18-24 und 20-29"):
        statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)


def test_an_overlapping_band_can_be_left_out_by_the_mapping(mappe: Path) -> None:
    extra = (
        "12531;31.12.2023;GEMEIN;05899004;Musterstadt;SCHST;S1;Schutzsuchende mit "
        "offenem Schutzstatus;ALTX20;A2;20 bis unter 30 Jahre;3;Anzahl;\n"
    )
    (mappe / "statistik_zuordnung.yaml").write_text(
        "alter:\n  - muster: '^20 bis unter 30'\n    code: null\n"
        "    erklaerung: 'überschneidet sich mit 18 bis unter 25'\n",
        encoding="utf-8",
    )
    gebiete = pd.DataFrame({"ags": ["05899004"], "name": ["M"], "einwohner": [1]})
    roh = statistik.parse_statistik(_flat("5", extra=extra), "t_flat.csv")
    result = statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(mappe), gebiete)
    assert result.zielgruppe["altersgruppe"].tolist() == ["18-24"]
    assert result.zielgruppe["anzahl"].tolist() == ["5"]
    assert [tuple(n) for g, n in result.bericht.ausgelassen.items() if "überschneidet" in g] == [
        (1, 3)
    ]


def test_kreis_table_needs_population_figures() -> None:
    gebiete = pd.DataFrame(
        {"ags": ["05899004", "05899008"], "name": ["A", "B"], "einwohner": [100, None]}
    )
    roh = statistik.parse_statistik(REGIO.read_bytes(), REGIO.name)
    with pytest.raises(DataError, match=r"fehlen Einwohnerzahlen in 'gebiete' \(B\)"):
        statistik.zielgruppe_aus_statistik(roh, lade_zuordnung(), gebiete)


def test_bad_mapping_file_names_file_and_key(mappe: Path) -> None:
    (mappe / "statistik_zuordnung.yaml").write_text(
        "status:\n  - muster: '(offen'\n    code: gestattung\n"
        "  - muster: 'x'\n    code: geduldet\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        lade_zuordnung(mappe)
    text = str(err.value)
    assert "statistik_zuordnung.yaml, Schlüssel 'status[1].muster'" in text
    assert "Schlüssel 'status[2].code': unbekannter Code (Wert: 'geduldet')" in text


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="Format nicht erkannt"):
        statistik.parse_statistik(b"a;b;c\n1;2;3\n", "x.csv")


@given(
    total=st.integers(0, 10_000), weights=st.lists(st.integers(1, 200_000), min_size=1, max_size=30)
)
def test_largest_remainder_keeps_the_sum_and_stays_within_one(
    total: int, weights: list[int]
) -> None:
    w = np.array(weights, dtype=float)
    parts = statistik._largest_remainder(total, w)
    assert sum(parts) == total
    exact = total * w / w.sum()
    assert all(abs(p - e) < 1 for p, e in zip(parts, exact, strict=True))


# --------------------------------------------------------------------------- command line
def test_cli_writes_a_zielgruppe_that_loads_and_never_overwrites(mappe: Path) -> None:
    before = hashlib.sha256(REGIO.read_bytes()).hexdigest()
    runner = CliRunner()
    result = runner.invoke(main, ["import", "statistik", str(REGIO), str(mappe)])
    assert result.exit_code == 0, result.output
    assert "GESCHÄTZT" in result.output and "Geschrieben:" in result.output
    ws = load_workspace(mappe)
    duldung = ws.zielgruppe[ws.zielgruppe["status"] == "duldung"]["anzahl"]
    assert int(duldung.sum()) == 535 and int(duldung.isna().sum()) == 2 * 12
    assert hashlib.sha256(REGIO.read_bytes()).hexdigest() == before  # input unchanged
    summary = runner.invoke(main, ["zusammenfassung", str(mappe)])
    assert summary.exit_code == 0, summary.output
    assert "Kreis insgesamt" in summary.output and "Platzhalter" in summary.output

    written = (mappe / "zielgruppe.csv").read_bytes()
    again = runner.invoke(main, ["import", "statistik", str(FLAT), str(mappe)])
    assert again.exit_code == 2 and "--ersetzen" in again.output
    assert (mappe / "zielgruppe.csv").read_bytes() == written
    replaced = runner.invoke(main, ["import", "statistik", str(FLAT), str(mappe), "--ersetzen"])
    assert replaced.exit_code == 0, replaced.output
    assert load_workspace(mappe).zielgruppe["ags"].nunique() == 2
    assert not list(mappe.glob(".zielgruppe.csv.*"))  # no temporary file left


def test_cli_error_is_german_without_traceback(mappe: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kaputt.csv"
    bad.write_bytes(_flat("zwölf"))
    result = CliRunner().invoke(main, ["import", "statistik", str(bad), str(mappe)])
    assert result.exit_code == 2
    assert "kaputt.csv, Zeile 2, Spalte 'value'" in result.output
    assert "Traceback" not in result.output
    assert not (mappe / "zielgruppe.csv").exists()


def test_zip_with_several_csv_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a.csv", "x")
        z.writestr("b.csv", "y")
    with pytest.raises(DataError, match="2 CSV-Dateien"):
        statistik.parse_statistik(buffer.getvalue(), "t.zip")


# --------------------------------------------------------------------------- robustness (round 3)
_ROW = (
    "12531;{time};GEMEIN;{key};Musterstadt;SCHST;S1;{status};ALTX20;A1;"
    "18 bis unter 25 Jahre;{value};Anzahl;\n"
)
_ONE = pd.DataFrame({"ags": ["05899004"], "name": ["Musterstadt"], "einwohner": [1]})


def _row(
    value: str,
    *,
    status: str = "Schutzsuchende mit offenem Schutzstatus",
    time: str = "31.12.2023",
    key: str = "05899004",
) -> str:
    return _ROW.format(time=time, key=key, status=status, value=value)


def _import(data: bytes, name: str = "t_flat.csv", gebiete: pd.DataFrame = _ONE, **kw: object):
    roh = statistik.parse_statistik(data, name)
    return statistik.zielgruppe_aus_statistik(
        roh, lade_zuordnung(kw.pop("mappe", None)), gebiete, **kw
    )


def test_a_repeated_row_is_refused_naming_both_lines() -> None:
    """B1: two downloads appended: the same value twice would be added (5 + 5 = 10)."""
    with pytest.raises(DataError) as err:
        _import(_flat("5", extra=_row("5")))
    text = str(err.value)
    assert "t_flat.csv, Spalte 'value': Zeile 3 wiederholt Zeile 2" in text
    assert "gleiches Gebiet (05899004 Musterstadt), gleicher Stichtag (31.12.2023)" in text
    assert "gleicher Wert '5'" in text and "Bitte die doppelten Zeilen entfernen" in text


def test_a_repeated_row_with_another_value_names_both_values() -> None:
    with pytest.raises(DataError, match="Zeile 3 wiederholt Zeile 2.*andere Werte '5' und '7'"):
        _import(_flat("5", extra=_row("7")))


def test_the_same_categories_on_another_stichtag_are_no_repetition() -> None:
    result = _import(_flat("5", extra=_row("7", time="31.12.2022")))
    assert _cells(result.zielgruppe) == {
        ("05899004", "31.12.2022", "gestattung", "18-24", "x"): "7",
        ("05899004", "31.12.2023", "gestattung", "18-24", "x"): "5",
    }


def test_a_regional_table_copied_twice_is_refused(tmp_path: Path, mappe: Path) -> None:
    """B1: the two Musterstadt lines (9, 10) pasted again below the table (lines 14, 15)."""
    lines = REGIO_GEM.read_bytes().split(b"\n")
    doppelt = tmp_path / "12531-03-01-5_doppelt.csv"
    doppelt.write_bytes(b"\n".join(lines[:13] + lines[8:10] + lines[13:]))
    with pytest.raises(DataError) as err:
        importiere_statistik(doppelt, mappe)
    text = str(err.value)
    assert "Zeile 14 wiederholt Zeile 9: gleiches Gebiet (05899004 Musterstadt, Stadt)" in text
    assert "Zeile 15 wiederholt Zeile 10" in text and "andere Werte" not in text


#: Regionaldatenbank Kreis table: offen by sex (and its total), anerkannt by sex, the
#: Duldung only as "Insgesamt" over sex (B3, case R19).
_DULDUNG_OHNE_GESCHLECHT = """12531-02-02-4: Schutzsuchende nach Schutzstatus und Geschlecht
Schutzsuchende (Anzahl)
;;;;Schutzsuchende mit offenem Schutzstatus;;;anerkannter Schutzstatus;;darunter: mit Duldung
;;;;männlich;weiblich;Insgesamt;männlich;weiblich;Insgesamt
31.12.2023;05899;Musterkreis;unter 18 Jahre;100;90;190;300;280;70
31.12.2023;05899;Musterkreis;18 bis unter 25 Jahre;120;80;200;300;250;150
31.12.2023;05899;Musterkreis;25 bis unter 30 Jahre;60;40;100;200;150;70
__________
Stand: 15.05.2024
"""


def test_a_total_is_used_where_its_group_has_no_split(tmp_path: Path, mappe: Path) -> None:
    """B3: Duldung only over both sexes is kept (x); the offen total beside its split is not."""
    datei = tmp_path / "12531-02-02-4.csv"
    datei.write_bytes(_DULDUNG_OHNE_GESCHLECHT.encode("latin-1"))
    result = importiere_statistik(datei, mappe)
    z = result.zielgruppe
    assert _known_sum(z, status="duldung") == 70 + 150 + 70
    assert set(z.loc[z["status"] == "duldung", "geschlecht"]) == {"x"}
    assert _known_sum(z, status="gestattung") == 100 + 90 + 120 + 80 + 60 + 40  # not + 490
    assert set(z.loc[z["status"] == "gestattung", "geschlecht"]) == {"m", "w"}
    left = {g: tuple(n) for g, n in result.bericht.ausgelassen.items()}
    assert left == {"Summen über Geschlecht (die Aufteilung wird verwendet)": (3, 490)}


_KLEINE_GEMEINDEN = """12531-03-01-5;Schutzsuchende nach Schutzstatus und Altersgruppen;;;
;;;31.12.2023;;
;;Altersgruppen;mit offenem Schutzstatus;mit anerkanntem Schutzstatus;darunter: mit Duldung
05899;Musterkreis;Insgesamt;300;700;150
05899004;Musterstadt, Stadt;18 bis unter 25 Jahre;30;50;12
05899004;Musterstadt, Stadt;25 bis unter 30 Jahre;20;40;8
05899008;Beispielheim;Insgesamt;40;60;25
05899012;Neudorf am Muster;Insgesamt;30;35;9
"""


def test_gemeinden_with_only_an_age_total_are_named_not_called_missing(
    tmp_path: Path, mappe: Path
) -> None:
    """B3: an age total without age groups cannot give the Zielgruppe; say so by name."""
    datei = tmp_path / "12531-03-01-5.csv"
    datei.write_bytes(_KLEINE_GEMEINDEN.encode("latin-1"))
    result = importiere_statistik(datei, mappe)
    assert set(result.zielgruppe["ags"]) == {"05899004"}
    b = result.bericht
    left = {g: tuple(n) for g, n in b.ausgelassen.items()}
    assert left == {
        # Beispielheim 40 + 60 + 25, Neudorf 30 + 35 + 9
        "Summen über Altersgruppe ohne Aufteilung (nicht verwendbar)": (6, 199),
        "Kreissummen (Gemeindezahlen liegen vor)": (3, 300 + 700 + 150),
    }
    text = b.text()
    assert (
        "Nur Summen ('Insgesamt'), keine Altersgruppen für: Beispielheim (05899008), "
        "Neudorf am Muster (05899012) (199 Personen)" in text
    )
    assert "9 Gemeinden der Arbeitsmappe kommen in der Quelle nicht vor" in text
    assert "die Aufteilung wird verwendet" not in text


def test_a_darunter_category_with_the_code_of_its_superset_is_refused(mappe: Path) -> None:
    """B4: 'offen' (5) and its part 'darunter: mit Aufenthaltsgestattung' (3) are not added."""
    teil = "offener Schutzstatus, darunter: mit Aufenthaltsgestattung"
    data = _flat("5", extra=_row("3", status=teil))
    with pytest.raises(DataError) as err:
        _import(data)
    text = str(err.value)
    assert (
        "die Kategorien 'Schutzsuchende mit offenem Schutzstatus' und "
        f"'{teil}' werden beide als gestattung gezählt" in text
    )
    assert "mit code: null auslassen" in text
    snippet = text[text.index("\n\nstatus:") :]
    (mappe / "statistik_zuordnung.yaml").write_text(snippet, encoding="utf-8")
    result = _import(data, mappe=mappe)  # the suggested rule resolves it: only the part counts
    assert _cells(result.zielgruppe) == {
        ("05899004", "31.12.2023", "gestattung", "18-24", "x"): "3"
    }


@pytest.mark.parametrize(
    ("datei", "teil"),
    [(FLAT, "abgelehnter Schutzstatus, mit Duldung"), (REGIO, "darunter: mit Duldung")],
)
def test_a_user_rule_matching_a_superset_and_its_part_is_refused(
    mappe: Path, datei: Path, teil: str
) -> None:
    """B4 (W14): 'abgelehnt -> duldung' counts the Geduldeten in 'abgelehnt' a second time."""
    (mappe / "statistik_zuordnung.yaml").write_text(
        "status:\n  - muster: 'abgelehnt'\n    code: duldung\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as err:
        importiere_statistik(datei, mappe)
    assert (
        f"'Schutzsuchende mit abgelehntem Schutzstatus' und '{teil}' werden beide als "
        "duldung gezählt" in str(err.value)
    )


def test_disjoint_categories_with_one_code_are_still_added() -> None:
    """'ohne Duldung' is part of 'abgelehnt' (not used), not of 'anerkannt': 5 + 2 = 7."""
    extra = _row("2", status="abgelehnter Schutzstatus, ohne Duldung")
    result = _import(_flat("5", status="Schutzsuchende mit anerkanntem Schutzstatus", extra=extra))
    assert _cells(result.zielgruppe) == {("05899004", "31.12.2023", "sonstige", "18-24", "x"): "7"}


def test_a_key_without_its_leading_zero_is_read_and_reported() -> None:
    """B8: Excel turned 05899004 into 5899004."""
    result = _import(_flat("5").replace(b";05899004;", b";5899004;"))
    assert result.zielgruppe["ags"].tolist() == ["05899004"]
    assert (
        "führende Null ergänzt (von Excel entfernt?) bei 1 Schlüssel, z. B. "
        "'5899004' -> '05899004'" in result.bericht.text()
    )


def test_a_regional_table_without_leading_zeros_reads_like_the_original(
    tmp_path: Path, mappe: Path
) -> None:
    """B8: Gemeinde table saved by Excel: 5899, 5899004, 5899008 (and the Amt 58995001)."""
    text = REGIO_GEM.read_bytes().replace(b"\n0589", b"\n589")
    datei = tmp_path / "12531-03-01-5_excel.csv"
    datei.write_bytes(text)
    original = importiere_statistik(REGIO_GEM, mappe)
    result = importiere_statistik(datei, mappe)
    pd.testing.assert_frame_equal(result.zielgruppe, original.zielgruppe)
    assert result.bericht.ausgelassen == original.bericht.ausgelassen  # Amt: Gemeindeverband
    assert "bei 4 Schlüsseln, z. B. '58995001' -> '058995001'" in result.bericht.text()


def test_a_regional_excel_file_with_keys_as_numbers(tmp_path: Path, mappe: Path) -> None:
    """B8: in .xlsx the Kreis key is the number 5899."""
    from openpyxl import Workbook

    wb = Workbook()
    for line in REGIO.read_bytes().decode("latin-1").splitlines():
        cells: list[object] = line.split(";")
        if cells[0][:2] == "31" and len(cells) > 4:
            cells[1] = int(cells[1])
        wb.active.append([c if c != "" else None for c in cells])
    xlsx = tmp_path / "12531-02-02-4.xlsx"
    wb.save(xlsx)
    result = importiere_statistik(xlsx, mappe)
    pd.testing.assert_frame_equal(result.zielgruppe, importiere_statistik(REGIO, mappe).zielgruppe)


def test_a_flat_csv_without_time_says_so() -> None:
    """B9: the column 'time' was deleted."""
    data = _flat("5").replace(b"statistics_code;time;", b"statistics_code;zeit;")
    with pytest.raises(
        DataError, match="Flat-CSV von GENESIS-Online erkannt, aber die Spalte 'time' fehlt"
    ):
        statistik.parse_statistik(data, "t_flat.csv")


def test_a_flat_csv_with_only_the_header_says_so() -> None:
    with pytest.raises(
        DataError, match="t_flat.csv: die Datei enthält keine Werte, nur die Kopfzeile"
    ):
        statistik.parse_statistik(_flat("5").split(b"\n")[0] + b"\n", "t_flat.csv")


def test_a_flat_csv_saved_as_excel_reads_like_the_csv(tmp_path: Path, mappe: Path) -> None:
    """B9: opened in Excel and saved as .xlsx (keys and values became numbers)."""
    from openpyxl import Workbook

    wb = Workbook()
    for line in FLAT.read_text(encoding="utf-8").splitlines():
        wb.active.append([int(c) if c.isdigit() else c for c in line.split(";")])
    xlsx = tmp_path / "12531-Z-01_flat.xlsx"
    wb.save(xlsx)
    result = importiere_statistik(xlsx, mappe)
    pd.testing.assert_frame_equal(result.zielgruppe, importiere_statistik(FLAT, mappe).zielgruppe)
    assert result.bericht.format == statistik.FORMAT_FLAT


def test_stichtag_option_that_contradicts_the_table_is_refused(mappe: Path) -> None:
    """B11: the table has its own dates; --stichtag 31.12.2024 would be ignored silently."""
    with pytest.raises(DataError) as err:
        importiere_statistik(REGIO, mappe, stichtag="31.12.2024")
    text = str(err.value)
    assert "die Tabelle nennt eigene Stichtage (31.12.2022, 31.12.2023)" in text
    assert "--stichtag 31.12.2024 passt nicht dazu" in text and "Option weglassen" in text


def test_stichtag_option_equal_to_the_tables_date_is_accepted(mappe: Path) -> None:
    with_option = importiere_statistik(REGIO_GEM, mappe, stichtag="31.12.2023")
    pd.testing.assert_frame_equal(
        with_option.zielgruppe, importiere_statistik(REGIO_GEM, mappe).zielgruppe
    )


@pytest.mark.parametrize(("zeichen", "name"), [(b",", "Komma"), (b"\t", "Tabulator")])
def test_another_delimiter_is_named(zeichen: bytes, name: str) -> None:
    """B12: saved by an English Excel or LibreOffice."""
    with pytest.raises(DataError, match=f"die Spalten sind mit {name} statt mit Semikolon"):
        statistik.parse_statistik(_flat("5").replace(b";", zeichen), "t.csv")


def test_a_kreisfreie_stadt_is_not_estimated() -> None:
    """B12: one Gemeinde is the whole Kreis: its figure is the Kreis figure, exactly."""
    gebiete = pd.DataFrame({"ags": ["05911000"], "name": ["Bochum"], "einwohner": [365000]})
    result = _import(
        _flat("5").replace(b";05899004;Musterstadt;", b";05911;Bochum;"), gebiete=gebiete
    )
    assert _cells(result.zielgruppe) == {
        ("05911000", "31.12.2023", "gestattung", "18-24", "x"): "5"
    }
    assert not result.bericht.schaetzung and "GESCHÄTZT" not in result.bericht.text()
    assert "nur eine Gemeinde (kreisfreie Stadt)" in result.bericht.text()
    assert "keine Schätzung" in result.bericht.text()


def test_an_age_band_counted_in_part_is_named(tmp_path: Path, mappe: Path) -> None:
    """B12: '18 bis unter 30' reaches beyond 18-27: 10 of its 12 years are counted."""
    datei = tmp_path / "t_flat.csv"
    datei.write_bytes(_flat("12", age="18 bis unter 30 Jahre"))
    text = importiere_statistik(datei, mappe).bericht.text()
    assert (
        "Altersgruppe 18-29 reicht über die Zielgruppe (18-27 Jahre) hinaus: gezählt werden "
        "10/12 ihrer Personen" in text
    )
