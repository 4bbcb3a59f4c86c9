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
