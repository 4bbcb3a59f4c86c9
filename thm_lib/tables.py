"""Reading user tables (CSV as German offices export it, or Excel) as raw text.

Every cell is read as text first; typing happens column by column in
:mod:`thm_lib.columns`, so each bad cell can be reported with file, row and
column. Rows are numbered as the user sees them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.errors import DataError, Problem

TABLE_SUFFIXES = (".xlsx", ".csv")
_SEP_DIRECTIVE = re.compile(r"\ufeff?sep=([;,\t|])[ \t]*(\r\n|\n|\r)", re.I)


@dataclass(frozen=True)
class RawTable:
    """A table read as text.

    Attributes
    ----------
    datei : str
        File name (with sheet, if Excel) for messages.
    frame : pandas.DataFrame
        All cells as ``str`` ("" for empty), column names stripped and lower-cased.
    zeilen : list of int
        The user-visible row number of each frame row.
    """

    datei: str
    frame: pd.DataFrame
    zeilen: list[int]


def find_file(folder: Path, name: str) -> Path | None:
    """Return the file ``name`` in ``folder``, ignoring case (``Angebote.XLSX``)."""
    exact = folder / name
    if exact.is_file():
        return exact
    matches = sorted(p for p in folder.iterdir() if p.name.lower() == name.lower() and p.is_file())
    return matches[0] if matches else None


def find_table(folder: Path, stem: str) -> Path | None:
    """Return ``folder/stem.xlsx`` or ``folder/stem.csv`` (any case); error if both exist."""
    found = [p for p in (find_file(folder, f"{stem}{s}") for s in TABLE_SUFFIXES) if p]
    if len(found) > 1:
        raise DataError([Problem(found[0].name, f"'{stem}' liegt doppelt vor "
                                 f"({', '.join(p.name for p in found)})",
                                 "Bitte nur eine der Dateien in der Arbeitsmappe lassen")])
    return found[0] if found else None


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise DataError([Problem(name, "Datei ist keine Textdatei im erwarteten Format "
                                 "(z. B. UTF-16 oder eine umbenannte Excel-Datei)",
                                 "Bitte in Excel 'Speichern unter' > 'CSV UTF-8 "
                                 "(durch Trennzeichen getrennt)' wählen")])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError([Problem(name, "Zeichenkodierung nicht erkannt (weder UTF-8 noch "
                             "Windows-1252)", "Bitte als 'CSV UTF-8' speichern")])


def _delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ";"


def read_csv_text(data: bytes, name: str) -> RawTable:
    """Parse CSV bytes (``;``/``,``/tab, UTF-8 with or without BOM, or cp1252)."""
    text = _decode(data, name)
    directive = _SEP_DIRECTIVE.match(text)
    if directive:  # Excel's "sep=;" first line: a setting, not a row Excel shows
        text = text[directive.end():]
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError([Problem(name, "Datei ist leer", "Bitte die Kopfzeile und Daten "
                                 "eintragen (Vorlage: 'thm vorlage')")])
    first = next(i for i, line in enumerate(lines) if line.strip())
    sep = directive.group(1) if directive else _delimiter(lines[first])
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error:
        raise DataError([Problem(name, "CSV kann nicht gelesen werden (z. B. eine Zelle mit "
                                 "mehr als 131.072 Zeichen oder ein offenes Anführungszeichen)",
                                 "Bitte Anführungszeichen in den Zellen prüfen")]) from None
    return _to_raw(rows, name, row_offset=1)


def read_xlsx(path: Path, sheet: str) -> RawTable:
    """Read the sheet named ``sheet`` (or the only/first matching sheet) of an xlsx file.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str
        Preferred sheet name (the table's name, e.g. ``angebote``).
    """
    name = path.name
    wb = _open_workbook(path)
    try:
        names = wb.sheetnames
        chosen = next((n for n in names if n.strip().lower() == sheet), None)
        if chosen is None:
            visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
            if len(visible) != 1:
                raise DataError([Problem(name, f"kein Tabellenblatt '{sheet}' gefunden "
                                         f"(vorhanden: {', '.join(names)})",
                                         f"Bitte das Blatt mit den Daten '{sheet}' nennen")])
            chosen = visible[0]
        rows = [["" if v is None else _cell_text(v) for v in row]
                for row in wb[chosen].iter_rows(values_only=True)]
    except DataError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many types on damaged files
        raise DataError([Problem(name, "Excel-Datei ist beschädigt",
                                 "Bitte in Excel öffnen und neu speichern")]) from None
    finally:
        wb.close()
    plain = chosen.strip().lower() == path.stem.lower() or len(names) == 1
    label = name if plain else f"{name} [{chosen}]"
    return _to_raw(rows, label, row_offset=1)


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile, XML parsers and openpyxl raise many types
        kind = "keine gültige xlsx-Datei" if isinstance(exc, zipfile.BadZipFile) else (
            "Inhalt beschädigt")
        raise DataError([Problem(path.name, f"Excel-Datei kann nicht geöffnet werden ({kind})",
                                 "Bitte in Excel öffnen und als "
                                 "'Excel-Arbeitsmappe (*.xlsx)' neu speichern (nicht .xls, "
                                 "nicht umbenannt)")]) from None


def sheet_names(path: Path) -> list[str]:
    """Return the sheet names of an xlsx file (DataError if it cannot be opened)."""
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    """Text of an Excel cell value as the user sees it (5899004.0 -> '5899004')."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _to_raw(rows: list[list[str]], name: str, row_offset: int) -> RawTable:
    """Turn rows (header first) into a RawTable; blank rows are skipped."""
    numbered = [(i + row_offset, r) for i, r in enumerate(rows)]
    numbered = [(n, r) for n, r in numbered if any(str(c).strip() for c in r)]
    if not numbered:
        raise DataError([Problem(name, "Datei ist leer", "Bitte die Kopfzeile und Daten "
                                 "eintragen (Vorlage: 'thm vorlage')")])
    header_row, header = numbered[0]
    columns = [str(c).strip().lower() for c in header]
    columns[0] = columns[0].removeprefix("\ufeff").removeprefix("ï»¿").strip()
    while columns and columns[-1] == "":
        columns.pop()
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        raise DataError([Problem(name, f"Spaltenüberschrift doppelt: {', '.join(dupes)}",
                                 "Bitte jede Spalte nur einmal anlegen", zeile=header_row)])
    width = len(columns)
    body, numbers = [], []
    problems = []
    for n, r in numbered[1:]:
        cells = [str(c).strip() for c in r]
        if len(cells) > width and any(cells[width:]):
            problems.append(Problem(name, f"mehr Zellen ({len(cells)}) als Spalten ({width})",
                                    "Bitte Trennzeichen in den Zellen prüfen (Semikolon im Text "
                                    "in Anführungszeichen setzen)", zeile=n))
            continue
        body.append((cells + [""] * width)[:width])
        numbers.append(n)
    if problems:
        raise DataError(problems)
    frame = pd.DataFrame(body, columns=columns, dtype=object) if body else pd.DataFrame(
        columns=columns, dtype=object)
    frame = frame.loc[:, [c for c in frame.columns if c != ""]]
    return RawTable(name, frame.reset_index(drop=True), numbers)


def read_table(path: Path) -> RawTable:
    """Read a CSV or xlsx table as text, whatever its encoding or separator."""
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, path.stem.lower())
    return read_csv_text(path.read_bytes(), path.name)
