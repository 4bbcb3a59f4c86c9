"""Property: whatever a user puts into the Arbeitsmappe, the loader either succeeds or
raises a :class:`DataError` with a German message — never another exception."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import pytest
from helpers_io import SAMPLE, edit_table, read_rows, write_rows, write_xlsx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon, box

from thm_lib.core.errors import DataError, ProblemCollector
from thm_lib.ingest import schemas
from thm_lib.ingest.arbeitsmappe import load_workspace, type_table
from thm_lib.ingest.gebiete import read_gebiete
from thm_lib.ingest.tables import RawTable, read_csv_text, read_table

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ZIELGRUPPE_ROWS = 60  # the fuzzed Arbeitsmappe keeps only this many target-group rows


def only_data_error(action: Callable[[], object]) -> object | None:
    """Run ``action``; a DataError must carry a German message, anything else fails."""
    try:
        return action()
    except DataError as exc:
        assert str(exc).startswith("Es wurde"), str(exc)
        assert exc.problems and all(p.datei for p in exc.problems)
        return None


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory) -> Path:
    """The sample Kreis with a shortened zielgruppe, to keep each example fast."""
    folder = tmp_path_factory.mktemp("fuzz") / "musterkreis"
    shutil.copytree(SAMPLE, folder)
    edit_table(folder, "zielgruppe.csv", lambda h, r: (h, r[:ZIELGRUPPE_ROWS]))
    return folder


def fresh_copy(base: Path) -> Path:
    target = Path(tempfile.mkdtemp(dir=base.parent)) / "musterkreis"
    shutil.copytree(base, target)
    return target


# --- random bytes ------------------------------------------------------------------------

CSV_ALPHABET = st.sampled_from(
    list(';,\t"\r\n -.:/0123456789xjanäöüßÄ\u00a0\ufeff') + ["ags", "anzahl"]
)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_as_csv(data):
    result = only_data_error(lambda: read_csv_text(data, "zielgruppe.csv"))
    if result is not None:
        assert isinstance(result, RawTable)
        assert len(result.zeilen) == len(result.frame)
        assert all(z >= 2 for z in result.zeilen)


@FUZZ
@given(
    st.lists(CSV_ALPHABET, max_size=400).map("".join),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_csv_like_text(text, encoding):
    data = text.encode(encoding, errors="replace")
    raw = only_data_error(lambda: read_csv_text(data, "zielgruppe.csv"))
    if raw is not None:
        problems = ProblemCollector()
        type_table(raw, "zielgruppe", problems, [])  # records problems, never raises


def small_xlsx() -> bytes:
    """A valid little workbook, as bytes, to be damaged by the tests."""
    folder = Path(tempfile.mkdtemp())
    try:
        path = folder / "k.xlsx"
        write_xlsx(
            path, {"kommunen": [["ags", "stellen_bestand"], [5899004, 1.5], ["05899008", ""]]}
        )
        return path.read_bytes()
    finally:
        shutil.rmtree(folder)


VALID_XLSX = small_xlsx()


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2000),
        # a real workbook with some bytes overwritten, or cut short
        st.lists(
            st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)),
            min_size=1,
            max_size=8,
        ).map(lambda edits: _patched(VALID_XLSX, edits)),
        st.integers(0, len(VALID_XLSX)).map(lambda n: VALID_XLSX[:n]),
    )
)
def test_random_bytes_as_xlsx(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("xlsx") / "kommunen.xlsx"
    path.write_bytes(data)
    raw = only_data_error(lambda: read_table(path))
    if raw is not None:
        problems = ProblemCollector()
        type_table(raw, "kommunen", problems, [])


def _patched(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for pos, value in edits:
        out[pos] = value
    return bytes(out)


# --- random cell values -------------------------------------------------------------------

SPECIAL = [
    "",
    " ",
    "-",
    ".",
    "...",
    "x",
    "/",
    "0",
    "-1",
    "1.234",
    "1,5",
    "12,0",
    "1e400",
    "nan",
    "inf",
    "99999999999999999999",
    "31.12.2021",
    "2021-12-31",
    "31.12.2300",
    "29.02.2021",
    "05899004",
    "5899004",
    "05899999",
    "00101",
    "ja",
    "nein",
    "JA",
    "duldung",
    "gestattung",
    "sonstige",
    "m",
    "w",
    "A001",
    "TM-7JHEMP",
    "18-27",
    "27-18",
    "05899004,05899008",
    "51,5",
    "7,1",
    "Sprache",
    "bamf",
    "passend",
    "=SUMME(A1)",
    "\u00a0",
    "ä",
    "\ufeff",
]

#: Text Excel can hold (no control characters).
EXCEL_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=15)
EXCEL_VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    EXCEL_TEXT,
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=False),
    st.booleans(),
    st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1000, 1, 1)),
    st.none(),
)


@FUZZ
@given(table=st.sampled_from(sorted(schemas.TABLES)), data=st.data())
def test_random_excel_cells_typed(tmp_path_factory, table, data):
    columns = [c.name for c in schemas.TABLES[table]]
    header = data.draw(
        st.permutations(columns).flatmap(
            lambda cols: st.integers(1, len(cols)).map(lambda n: list(cols[:n]))
        ),
        label="header",
    )
    rows = data.draw(
        st.lists(
            st.lists(EXCEL_VALUES, min_size=len(header), max_size=len(header) + 1), max_size=6
        ),
        label="rows",
    )
    path = tmp_path_factory.mktemp("cells") / f"{table}.xlsx"
    write_xlsx(path, {table: [header, *rows]})
    raw = only_data_error(lambda: read_table(path))
    if raw is not None:
        problems = ProblemCollector()
        frame = type_table(raw, table, problems, [])
        if not problems.problems:
            assert frame is not None and len(frame) == len(raw.frame)


REPLACEABLE = ["zielgruppe.csv", "angebote.csv", "faelle.csv", "bedarfe.csv", "kommunen.csv"]


def mutated_rows(rows: list[list[str]], width: int) -> st.SearchStrategy[list[list[str]]]:
    """Real rows of the sample with 0-2 cells replaced by odd values, now and then a random row."""
    odd = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=10))
    edited = st.tuples(
        st.sampled_from(rows), st.lists(st.tuples(st.integers(0, width - 1), odd), max_size=2)
    )

    def apply(pair: tuple[list[str], list[tuple[int, str]]]) -> list[str]:
        row, edits = list(pair[0]), pair[1]
        for j, value in edits:
            row[j] = value
        return row

    random_row = st.lists(odd, min_size=width, max_size=width)
    return st.lists(
        st.one_of(edited.map(apply), edited.map(apply), edited.map(apply), random_row),
        min_size=0,
        max_size=8,
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(REPLACEABLE), data=st.data())
def test_workspace_with_one_random_table(small_sample, name, data):
    """One table replaced by odd rows; the rest of the Arbeitsmappe stays valid."""
    header, real = read_rows(small_sample / name)
    rows = data.draw(mutated_rows(real, len(header)), label="rows")
    sep = data.draw(st.sampled_from([";", ","]), label="sep")
    folder = fresh_copy(small_sample)
    try:
        write_rows(folder / name, header, rows, encoding="utf-8-sig", sep=sep)
        ws = only_data_error(lambda: load_workspace(folder))
        event("geladen" if ws is not None else "DataError")
        if ws is not None:
            assert len(ws.gebiete) == 12
            assert set(ws.angebote["standort_quelle"]) <= {"koordinaten", "plz", "gemeinde"}
            assert ws.zielgruppe["anzahl"].dropna().ge(0).all()
            assert ws.angebote.geometry.notna().all()
    finally:
        shutil.rmtree(folder.parent)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(REPLACEABLE + ["gebiete.geojson", "annahmen.yaml"]),
    data=st.binary(max_size=500),
)
def test_workspace_with_one_file_of_random_bytes(small_sample, name, data):
    folder = fresh_copy(small_sample)
    try:
        (folder / name).write_bytes(data)
        only_data_error(lambda: load_workspace(folder))
    finally:
        shutil.rmtree(folder.parent)


GEO_VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    EXCEL_TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=False),
    st.none(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            GEO_VALUES,
            GEO_VALUES,
            GEO_VALUES,
            GEO_VALUES,
            st.sampled_from(["box", "none", "line", "bowtie"]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["gebiete.geojson", "gebiete.gpkg", "VG250_GEM.shp"]),
)
def test_random_gebiete_attributes(tmp_path_factory, features, name):
    shapes = {
        "box": box(0, 0, 1000, 1000),
        "none": None,
        "line": LineString([(0, 0), (1000, 1000)]),
        "bowtie": Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000)]),
    }
    columns = (
        ["AGS", "GEN", "GF", "EWZ"]
        if name.startswith("VG250")
        else ["ags", "name", "einwohner", "plz"]
    )
    frame = gpd.GeoDataFrame(
        {col: [_storable(f[j]) for f in features] for j, col in enumerate(columns)},
        geometry=[shapes[f[4]] for f in features],
        crs="EPSG:25832",
    )
    folder = tmp_path_factory.mktemp("gebiete")
    try:
        frame.to_file(folder / name, engine="pyogrio")
    except Exception:  # noqa: BLE001 - a value the format cannot store: not the loader's case
        return
    result = only_data_error(lambda: read_gebiete(folder, None, []))
    if result is not None:
        assert result["ags"].str.fullmatch(r"\d{8}").all()
        assert set(result.geom_type) <= {"Polygon", "MultiPolygon"}


def _storable(value: object) -> object:
    """Mixed-type columns are stored as text, as a GIS would export them."""
    return None if value is None else str(value)
