"""Shared helpers for the loader tests: copies of the sample Kreis and table editing.

Tables are read and written with the standard ``csv`` module and openpyxl, never
with the loader under test.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "musterkreis"
KREIS = "05899"
MUSTERSTADT = "05899004"

Rows = list[list[str]]


def copy_sample(dest: Path) -> Path:
    """Copy the sample Kreis to ``dest/musterkreis`` and return that folder."""
    target = dest / "musterkreis"
    shutil.copytree(SAMPLE, target)
    return target


def detect_encoding(data: bytes) -> str:
    """Return the encoding a sample file was written in (UTF-8 with/without BOM, cp1252)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def read_rows(path: Path) -> tuple[list[str], Rows]:
    """Read a ``;``-separated CSV file with the csv module: header and data rows."""
    data = path.read_bytes()
    text = data.decode(detect_encoding(data))
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return rows[0], [r for r in rows[1:] if r]


def write_rows(
    path: Path, header: list[str], rows: Rows, encoding: str = "utf-8-sig", sep: str = ";"
) -> None:
    """Write a CSV file as Excel does (CRLF), quoting where needed."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def edit_table(
    folder: Path, name: str, change: Callable[[list[str], Rows], tuple[list[str], Rows] | None]
) -> None:
    """Apply ``change(header, rows)`` to ``folder/name`` in place (in-place edits or new pair)."""
    path = folder / name
    data = path.read_bytes()
    header, rows = read_rows(path)
    result = change(header, rows)
    if result is not None:
        header, rows = result
    write_rows(path, header, rows, encoding=detect_encoding(data))


def set_cell(folder: Path, name: str, zeile: int, spalte: str, value: str) -> None:
    """Set one cell; ``zeile`` is the row as Excel shows it (header = row 1)."""

    def change(header: list[str], rows: Rows) -> None:
        rows[zeile - 2][header.index(spalte)] = value

    edit_table(folder, name, change)


def column(header: list[str], rows: Rows, name: str) -> list[str]:
    """All values of one column."""
    j = header.index(name)
    return [r[j] for r in rows]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    """Write an xlsx file with the given sheets (first sheet first), values as given."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)


def csv_to_xlsx(folder: Path, name: str, sheet: str | None = None) -> Path:
    """Replace ``folder/name.csv`` by ``name.xlsx`` holding the same text cells."""
    header, rows = read_rows(folder / f"{name}.csv")
    (folder / f"{name}.csv").unlink()
    target = folder / f"{name}.xlsx"
    write_xlsx(target, {sheet or name: [header, *rows]})
    return target


def thm(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run the ``thm`` command line with ``args`` as a user does (text output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "thm_lib.run.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
