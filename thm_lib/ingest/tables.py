"""Reading user tables (CSV as German offices export it, or Excel) as raw text.

Every cell is read as text first; typing happens column by column in
:mod:`thm_lib.ingest.columns`, so each bad cell can be reported with file, row and
column. Rows are numbered as the user sees them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.core.errors import DataError, Problem, ist_personendatei, zeilen_text
from thm_lib.ingest.columns import normalise_word

TABLE_SUFFIXES = (".xlsx", ".csv")
#: The header row is searched among this many non-blank rows (title rows above it).
HEADER_SEARCH = 20
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
    zahlzellen : frozenset of (int, str)
        (frame row, column) of cells Excel stored as numbers (their text uses a
        decimal point and is never ambiguous); empty for CSV.
    hinweise : tuple of str
        German notes on how the table was read (e.g. title rows above the header).
    kopf : dict of str to str
        Each column's header cell as the user wrote it (``"aktenzeichen"`` ->
        ``"Aktenzeichen"``), for messages that name a column the program does not know.
    """

    datei: str
    frame: pd.DataFrame
    zeilen: list[int]
    zahlzellen: frozenset[tuple[int, str]] = field(default=frozenset())
    hinweise: tuple[str, ...] = ()
    kopf: dict[str, str] = field(default_factory=dict)

    def wie_geschrieben(self, spalte: str) -> str:
        """The header cell of ``spalte`` as written in the file (else ``spalte``)."""
        return self.kopf.get(spalte, spalte)


def find_file(folder: Path, name: str) -> Path | None:
    """Return the file ``name`` in ``folder``, ignoring case (``Angebote.XLSX``)."""
    exact = folder / name
    if exact.is_file():
        return exact
    matches = sorted(p for p in folder.iterdir() if p.name.lower() == name.lower() and p.is_file())
    return matches[0] if matches else None


def find_table(folder: Path, stem: str) -> Path | None:
    """Return ``folder/stem.xlsx`` or ``folder/stem.csv`` (any case); error if both exist."""
    return find_one(folder, stem, TABLE_SUFFIXES)


def find_one(folder: Path, stem: str, suffixes: tuple[str, ...]) -> Path | None:
    """Return ``folder/<stem><suffix>`` for one of ``suffixes`` (any case).

    Raises
    ------
    DataError
        If the file exists with more than one of the suffixes (which one holds
        the data is not clear).
    """
    found = [p for p in (find_file(folder, f"{stem}{s}") for s in suffixes) if p]
    if len(found) > 1:
        raise DataError(
            [
                Problem(
                    found[0].name,
                    f"'{stem}' liegt doppelt vor ({', '.join(p.name for p in found)})",
                    "Bitte nur eine der Dateien in der Arbeitsmappe lassen",
                )
            ]
        )
    return found[0] if found else None


#: A well-formed UTF-8 sequence of two to four bytes.
_UTF8_FOLGE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
#: Typographic marks common in German UTF-8 text (in Windows-1252: "â€ž" and the like).
_UTF8_SATZZEICHEN = frozenset("„“”‚‘’–—…€")


def _utf8_zeichen(data: bytes) -> bool:
    """Whether ``data`` holds a character written as UTF-8 (ä as two bytes, not one).

    Only Latin, Greek and Cyrillic letters and typographic marks count: in a
    Windows-1252 text other byte pairs occur by chance ("ß“" reads as an NKo
    letter in UTF-8), these practically never ("Ã¤" for ä).
    """
    for folge in _UTF8_FOLGE.finditer(data):
        try:
            zeichen = folge.group().decode("utf-8")
        except UnicodeDecodeError:  # overlong forms, surrogates
            continue
        if ("\u00c0" <= zeichen <= "\u04ff" and zeichen.isalpha()) or (
            zeichen in _UTF8_SATZZEICHEN
        ):
            return True
    return False


def _zeile_von(data: bytes, position: int) -> int:
    """The line (from 1, as a text editor counts) of the byte at ``position``."""
    davor = data[:position]
    return davor.count(b"\n") + davor.count(b"\r") - davor.count(b"\r\n") + 1


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096]:
        raise DataError(
            [
                Problem(
                    name,
                    "Datei ist keine Textdatei im erwarteten Format "
                    "(z. B. UTF-16 oder eine umbenannte Excel-Datei)",
                    "Bitte in Excel 'Speichern unter' > 'CSV UTF-8 "
                    "(durch Trennzeichen getrennt)' wählen",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _utf8_zeichen(data):
            raise DataError(
                [
                    Problem(
                        name,
                        "Datei mischt zwei Zeichenkodierungen (UTF-8 und Windows-1252)",
                        "Bitte die Datei in Excel öffnen, die Umlaute in dieser Zeile prüfen "
                        "und als 'CSV UTF-8 (durch Trennzeichen getrennt)' neu speichern",
                        zeile=_zeile_von(exc.object, exc.start),
                    )
                ]
            ) from None
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    raise DataError(
        [
            Problem(
                name,
                "Zeichenkodierung nicht erkannt (weder UTF-8 noch Windows-1252)",
                "Bitte als 'CSV UTF-8' speichern",
            )
        ]
    )


def _delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ";"


def _header_delimiter(lines: list[str], spalten: Collection[str] | None) -> str | None:
    """The separator that splits one of ``lines`` into expected column names, if any.

    A title line above the header ("Angebote, Stand 2022") then does not decide it.
    """
    if not spalten:
        return None
    expected = {s.lower() for s in spalten}
    need = min(2, len(expected))
    for line in lines:
        for sep in (";", "\t", ","):
            cells = {c.strip().strip('"').lower().removeprefix("\ufeff") for c in line.split(sep)}
            if len(expected & cells) >= need:
                return sep
    return None


def read_csv_text(data: bytes, name: str, spalten: Collection[str] | None = None) -> RawTable:
    """Parse CSV bytes (``;``/``,``/tab, UTF-8 with or without BOM, or cp1252).

    Parameters
    ----------
    data : bytes
        The file content.
    name : str
        File name for messages.
    spalten : collection of str, optional
        Expected column names; with them, title rows above the header are skipped
        (:func:`find_header`).
    """
    text = _decode(data, name)
    directive = _SEP_DIRECTIVE.match(text)
    if directive:  # Excel's "sep=;" first line: a setting, not a row Excel shows
        text = text[directive.end() :]
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DataError(
            [
                Problem(
                    name,
                    "Datei ist leer",
                    "Bitte die Kopfzeile und Daten eintragen (Vorlage: 'thm vorlage')",
                )
            ]
        )
    first = next(i for i, line in enumerate(lines) if line.strip())
    sep = (
        directive.group(1)
        if directive
        else (
            _header_delimiter(lines[first : first + HEADER_SEARCH], spalten)
            or _delimiter(lines[first])
        )
    )
    try:
        # newline="": csv itself splits CR-only (old Excel for Mac), CRLF and LF lines
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error:
        raise DataError(
            [
                Problem(
                    name,
                    "CSV kann nicht gelesen werden (z. B. eine Zelle mit "
                    "mehr als 131.072 Zeichen oder ein offenes Anführungszeichen)",
                    "Bitte Anführungszeichen in den Zellen prüfen",
                )
            ]
        ) from None
    return _to_raw(rows, name, row_offset=1, spalten=spalten)


def read_xlsx(path: Path, sheet: str, spalten: Collection[str] | None = None) -> RawTable:
    """Read the sheet named ``sheet`` (or the only/first matching sheet) of an xlsx file.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str
        Preferred sheet name (the table's name, e.g. ``angebote``).
    spalten : collection of str, optional
        Expected column names; with them, title rows (also merged cells) above the
        header are skipped (:func:`find_header`).
    """
    name = path.name
    wb = _open_workbook(path)
    try:
        names = wb.sheetnames
        chosen = next((n for n in names if n.strip().lower() == sheet), None)
        if chosen is None:
            visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
            if len(visible) != 1:
                raise DataError(
                    [
                        Problem(
                            name,
                            f"kein Tabellenblatt '{sheet}' gefunden "
                            f"(vorhanden: {', '.join(names)})",
                            f"Bitte das Blatt mit den Daten '{sheet}' nennen",
                        )
                    ]
                )
            chosen = visible[0]
        rows, numeric, leer = [], [], set()
        for i, row in enumerate(wb[chosen].iter_rows(values_only=True)):
            rows.append(["" if v is None else _cell_text(v) for v in row])
            numeric.append(
                {
                    j
                    for j, v in enumerate(row)
                    if isinstance(v, int | float) and not isinstance(v, bool)
                }
            )
            leer.update((i, j) for j, v in enumerate(row) if v is None)
        formeln = _formeln_ohne_ergebnis(path, chosen, leer) if leer else {}
    except DataError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many types on damaged files
        raise DataError(
            [Problem(name, "Excel-Datei ist beschädigt", "Bitte in Excel öffnen und neu speichern")]
        ) from None
    finally:
        wb.close()
    for (i, j), formel in formeln.items():
        rows[i][j] = formel  # a row of such cells must not pass for a blank row
    plain = chosen.strip().lower() == path.stem.lower() or len(names) == 1
    label = name if plain else f"{name} [{chosen}]"
    raw = _to_raw(rows, label, row_offset=1, spalten=spalten, numeric=numeric, formeln=set(formeln))
    aehnlich = [n for n in names if n != chosen and n.strip().lower().startswith(sheet)]
    if not aehnlich:
        return raw
    andere = ", ".join(f"'{n}'" for n in aehnlich)
    hinweis = (
        f"{name}: gelesen wird nur das Blatt '{chosen}', nicht {andere}. Stehen die Daten "
        f"dort, bitte das Blatt in '{sheet}' umbenennen."
    )
    return replace(raw, hinweise=(*raw.hinweise, hinweis))


#: A formula element in a worksheet's XML (``<f>``, ``<f t="shared" …/>``, ``<x:f>``).
_FORMEL_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _formeln_ohne_ergebnis(
    path: Path, sheet: str, leer: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Formulas of the cells read as empty because the file holds no result for them.

    Excel and LibreOffice store each formula's last result, which is what the
    workbench reads; files written by other programs may hold the formula only.
    Such a cell must not pass for an empty one (a missing value, or a row dropped
    as blank). The second reading of the sheet is paid only where a worksheet of
    the file holds a formula at all.

    Parameters
    ----------
    path : Path
        The workbook.
    sheet : str
        The sheet read.
    leer : set of (int, int)
        (row, column) positions, from 0, of the cells read as empty.

    Returns
    -------
    dict
        The formula (``"=F29+1"``) by position, for those of ``leer`` that hold one.
    """
    with zipfile.ZipFile(path) as archive:
        if not any(
            _FORMEL_RE.search(archive.read(n))
            for n in archive.namelist()
            if n.startswith("xl/worksheets/") and n.endswith(".xml")
        ):
            return {}
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        return {
            (i, j): str(getattr(cell.value, "text", cell.value))  # an ArrayFormula's text
            for i, row in enumerate(wb[sheet].iter_rows())
            for j, cell in enumerate(row)
            if cell.data_type == "f" and (i, j) in leer
        }
    finally:
        wb.close()


def _open_workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zipfile, XML parsers and openpyxl raise many types
        kind = (
            "keine gültige xlsx-Datei"
            if isinstance(exc, zipfile.BadZipFile)
            else ("Inhalt beschädigt")
        )
        raise DataError(
            [
                Problem(
                    path.name,
                    f"Excel-Datei kann nicht geöffnet werden ({kind})",
                    "Bitte in Excel öffnen und als "
                    "'Excel-Arbeitsmappe (*.xlsx)' neu speichern (nicht .xls, "
                    "nicht umbenannt)",
                )
            ]
        ) from None


def sheet_names(path: Path) -> list[str]:
    """Return the sheet names of an xlsx file (DataError if it cannot be opened)."""
    wb = _open_workbook(path)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    """Text of an Excel cell value as the user sees it (5899004.0 -> '5899004').

    A date cell gives its day only (dates in the Arbeitsmappe are days): with a
    time of day, 31.12.2021 14:03 would lie after the Stichtag 31.12.2021 00:00.
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


#: First cell of a row of sums under a table ("Summe", "Gesamt", "Insgesamt", "Zwischensumme
#: Musterstadt"; not "Gesamtschule …").
_SUMME_RE = re.compile(r"(zwischen)?summe\b|gesamt(summe)?\b|insgesamt\b|total\b", re.I)
_SUMME_HINWEIS = (
    "Bitte Summen- und Zwischensummenzeilen löschen: die Werkbank bildet alle Summen "
    "selbst, und eine Summenzeile würde als Gemeinde gelesen"
)
_FORMEL_HINWEIS = (
    "Die Datei enthält nur die Formel, nicht ihr Ergebnis (so schreiben manche Programme "
    "Excel-Dateien). Bitte die Datei in Excel oder LibreOffice öffnen und speichern, "
    "dann steht das Ergebnis darin, oder den Wert statt der Formel eintragen"
)
_CSV_ZU_BREIT = (
    "Bitte Trennzeichen in den Zellen prüfen (Semikolon im Text in Anführungszeichen setzen)"
)
_EXCEL_ZU_BREIT = (
    "Bitte Zellen rechts neben der Tabelle leeren oder der Spalte eine "
    "Überschrift in der Kopfzeile geben"
)


def _wie_geschrieben(row: list[str]) -> list[str]:
    """Header cells as written, stripped and without a byte order mark."""
    cells = [str(c).strip() for c in row]
    if cells:
        cells[0] = cells[0].removeprefix("\ufeff").removeprefix("ï»¿").strip()
    return cells


def _header_cells(row: list[str]) -> list[str]:
    return [c.lower() for c in _wie_geschrieben(row)]


#: A header cell with a note in brackets, also on its own line ("anzahl⏎(Personen)").
_MIT_ZUSATZ = re.compile(r"(?P<spalte>[^()]+?)\s*\([^()]*\)")


def _als_spalte(kopf: str, expected: Collection[str]) -> str:
    """The expected column a header cell names, else the cell itself.

    Written in words (``Geschäftsführende Stelle``, ``Alter min``, ``Angebot-ID``:
    :func:`~thm_lib.ingest.columns.normalise_word`) or with a note in brackets
    (``anzahl (Personen)``).
    """
    if kopf in expected:
        return kopf
    text = " ".join(kopf.split())
    m = _MIT_ZUSATZ.fullmatch(text)
    for form in (text, m["spalte"] if m else None):
        spalte = normalise_word(form) if form else None
        if spalte in expected:
            return spalte
    return kopf


def _spaltennamen(
    columns: list[str], spalten: Collection[str] | None, name: str
) -> tuple[list[str], tuple[str, ...]]:
    """Header cells as the expected columns they name (:func:`_als_spalte`), and a note.

    A cell is renamed only if the table has no column of that name already, so
    ``stellen_bestand (geplant)`` beside ``stellen_bestand`` stays what it is.
    """
    expected = {s.lower() for s in spalten or ()}
    neu, umbenannt = list(columns), []
    for j, kopf in enumerate(columns):
        spalte = _als_spalte(kopf, expected)
        if spalte != kopf and spalte not in neu:
            neu[j] = spalte
            umbenannt.append(f"'{' '.join(kopf.split())}' als '{spalte}'")
    if not umbenannt:
        return neu, ()
    return neu, (f"{name}: Spalten gelesen: {', '.join(umbenannt)}.",)


def find_header(
    numbered: list[tuple[int, list[str]]], spalten: Collection[str] | None, name: str
) -> int:
    """Position (in ``numbered``) of the header row: the first row naming expected columns.

    A row is the header when it names two expected columns, or when every filled
    cell of it is an expected column name. Without ``spalten`` the first row is
    the header. Title rows above the header (a
    heading, a merged cell, "Stand: ...") are skipped.

    Raises
    ------
    DataError
        When none of the first :data:`HEADER_SEARCH` rows names the expected
        columns and the first row looks like a title (one filled cell), or names
        none of them at all (a table without its header: the first row is data).
    """
    if not spalten:
        return 0
    expected = {s.lower() for s in spalten}
    need = min(2, len(expected))
    for pos, (_, row) in enumerate(numbered[:HEADER_SEARCH]):
        cells = {_als_spalte(c, expected) for c in _header_cells(row) if c}
        found = len(expected & cells)
        if found >= need or (found and found == len(cells)):
            return pos
    if sum(1 for c in numbered[0][1] if str(c).strip()) <= 1:
        shown = ", ".join(sorted(expected)[:6])
        raise DataError(
            [
                Problem(
                    name,
                    "Kopfzeile nicht gefunden: keine der ersten "
                    f"{HEADER_SEARCH} Zeilen enthält die Spaltennamen "
                    f"(z. B. {shown})",
                    "Bitte die Spaltenüberschriften wie in "
                    "der Vorlage ('thm vorlage ORDNER') in eine Zeile schreiben; "
                    "Titelzeilen darüber sind erlaubt",
                    zeile=numbered[0][0],
                )
            ]
        )
    if not expected & {_als_spalte(c, expected) for c in _header_cells(numbered[0][1]) if c}:
        raise DataError([_kopfzeile_fehlt(numbered[0], list(spalten), name)])
    return 0


def _kopfzeile_fehlt(erste: tuple[int, list[str]], spalten: list[str], name: str) -> Problem:
    """The problem of a first row that names none of the expected columns (no header).

    Its cells are quoted (to recognise them) except in ``faelle``/``bedarfe``, where
    they are a case record (:func:`thm_lib.core.errors.ist_personendatei`).
    """
    zeile, row = erste
    cells = [str(c).strip() for c in row if str(c).strip()]
    if any(ch.isdigit() for c in cells for ch in c):
        meldung = "Kopfzeile fehlt, diese Zeile sieht wie Daten aus"
    else:
        meldung = "Kopfzeile fehlt, diese Zeile enthält keinen der erwarteten Spaltennamen"
    if name.lower().endswith(".csv"):
        kopf = ";".join(spalten)
    else:
        kopf = ", ".join(spalten) + " (je Spalte eine Überschrift)"
    hinweis = (
        "Bitte die Kopfzeile wie in der Vorlage ('thm vorlage ORDNER') über dieser Zeile "
        f"einfügen: {kopf}"
    )
    if not ist_personendatei(name):
        gezeigt = ", ".join(c[:30] for c in cells[:8]) + (" …" if len(cells) > 8 else "")
        hinweis += f". Diese Zeile enthält: {gezeigt}"
    return Problem(name, meldung, hinweis, zeile=zeile)


def _to_raw(
    rows: list[list[str]],
    name: str,
    row_offset: int,
    spalten: Collection[str] | None = None,
    numeric: list[set[int]] | None = None,
    formeln: set[tuple[int, int]] | None = None,
) -> RawTable:
    """Turn rows (title rows, header, data) into a RawTable; blank rows are skipped.

    ``numeric`` holds, per row of ``rows``, the positions of cells Excel stored as numbers;
    ``formeln`` the (row, column) positions of formulas the file holds no result for
    (:func:`_formeln_ohne_ergebnis`): each one in the table is a problem.
    """
    numbered = [(i + row_offset, r) for i, r in enumerate(rows)]
    numbered = [(n, r) for n, r in numbered if any(str(c).strip() for c in r)]
    if not numbered:
        raise DataError(
            [
                Problem(
                    name,
                    "Datei ist leer",
                    "Bitte die Kopfzeile und Daten eintragen (Vorlage: 'thm vorlage')",
                )
            ]
        )
    start = find_header(numbered, spalten, name)
    hinweise = ()
    if start:
        skipped = [n for n, _ in numbered[:start]]
        hinweise = (
            f"{name}: Kopfzeile in Zeile {numbered[start][0]} gefunden; "
            f"{zeilen_text(skipped)} darüber (Titel) "
            f"{'wird' if len(skipped) == 1 else 'werden'} nicht gelesen.",
        )
    header_row, header = numbered[start]
    columns = _header_cells(header)
    while columns and columns[-1] == "":
        columns.pop()
    columns, gelesen = _spaltennamen(columns, spalten, name)
    kopf = {c: cell for c, cell in zip(columns, _wie_geschrieben(header), strict=False) if c}
    hinweise += gelesen
    dupes = sorted({c for c in columns if c and columns.count(c) > 1})
    if dupes:
        raise DataError(
            [
                Problem(
                    name,
                    f"Spaltenüberschrift doppelt: {', '.join(dupes)}",
                    "Bitte jede Spalte nur einmal anlegen",
                    zeile=header_row,
                )
            ]
        )
    width = len(columns)
    body, numbers, zahlzellen = [], [], set()
    problems = []
    for n, r in numbered[start + 1 :]:
        cells = [str(c).strip() for c in r]
        erste = next((c for c in cells if c), "")
        if spalten and _SUMME_RE.match(erste):
            problems.append(Problem(name, "Summenzeile", _SUMME_HINWEIS, zeile=n, wert=erste))
            continue
        if len(cells) > width and any(cells[width:]):
            problems.append(
                Problem(
                    name,
                    f"mehr Zellen ({len(cells)}) als Spalten ({width})",
                    _EXCEL_ZU_BREIT if numeric is not None else _CSV_ZU_BREIT,
                    zeile=n,
                )
            )
            continue
        problems += [
            Problem(
                name,
                "Formel ohne gespeichertes Ergebnis",
                _FORMEL_HINWEIS,
                zeile=n,
                spalte=columns[j],
                wert=cells[j],
            )
            for j in range(width)
            if columns[j] and (n - row_offset, j) in (formeln or ())
        ]
        if numeric is not None:
            zahlzellen.update(
                (len(body), columns[j]) for j in numeric[n - row_offset] if j < width and columns[j]
            )
        body.append((cells + [""] * width)[:width])
        numbers.append(n)
    if problems:
        raise DataError(problems)
    frame = (
        pd.DataFrame(body, columns=columns, dtype=object)
        if body
        else pd.DataFrame(columns=columns, dtype=object)
    )
    frame = frame.loc[:, [c for c in frame.columns if c != ""]]
    return RawTable(
        name, frame.reset_index(drop=True), numbers, frozenset(zahlzellen), hinweise, kopf
    )


def read_table(path: Path, spalten: Collection[str] | None = None) -> RawTable:
    """Read a CSV or xlsx table as text, whatever its encoding or separator.

    Parameters
    ----------
    path : Path
        The file.
    spalten : collection of str, optional
        Expected column names, to find the header below title rows.
    """
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, path.stem.lower(), spalten)
    return read_csv_text(path.read_bytes(), path.name, spalten)


def datei_von(frame: pd.DataFrame) -> str:
    """The file a typed table was read from (for messages), or ``?``."""
    return str(frame.attrs.get("datei", "?"))
