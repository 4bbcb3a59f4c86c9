"""Official statistics tables (Destatis GENESIS-Online, Regionaldatenbank) to ``zielgruppe``.

Pure functions: bytes and mappings in, frames and a report out; no file
access (the command ``thm import statistik`` reads and writes, see
:mod:`thm_lib.ingest.statistik_import`). Two source formats:

- GENESIS-Online "flat" CSV (ffcsv): one value per row, columns
  ``statistics_code``, ``time``, ``value``, ``value_unit``,
  ``value_variable_code/label``, ``k_variable_code``,
  ``k_variable_attribute_code/label`` (k = 1, 2, ...), optional quality
  columns ending in ``_q``; UTF-8, ``;``, possibly zipped or saved by Excel as .xlsx.
- Regionaldatenbank table CSV (or the same table as .xlsx): Latin-1, ``;``,
  title lines, one or more header rows (merged cells left empty), data rows
  ``[Zeit;] Schlüssel; Name; [Zeilenmerkmale;] Werte``, a footer from ``__________`` with
  "© Statistische Ämter …" and "Stand: …". The key length gives the level
  (2 Land, 3 Regierungsbezirk, 5 Kreis, 8 Gemeinde, 9 Gemeindeverband); a key
  one digit short (Excel dropped the leading zero) gets the zero back, with a note.

Every category label is classified by the rules of a mapping
(:class:`Zuordnung`, shipped in ``thm_lib/defaults/statistik_zuordnung.yaml``):
sum/total, unit, Stichtag, status, sex or age band. Labels no rule knows are
left out and listed, never dropped silently. Destatis symbols: ``-`` (nichts
vorhanden) is 0; ``.``, ``...``, ``x``, ``/`` and the letters g, u, k, t are
unknown and written as the symbol, so the loader reads them as missing with a
warning.

Hand-written on purpose: the two formats are small, documented layouts; the
Python packages for Destatis data are clients of the online API or parts of a
larger framework, and none reads the Regionaldatenbank table CSV offline
(``docs/statistik_import.md``).
"""

from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from thm_lib.core import labels
from thm_lib.core.errors import DataError, Problem, ProblemCollector
from thm_lib.core.formats import anzahl, zahl
from thm_lib.ingest import schemas
from thm_lib.ingest.columns import CellError, parse_int, statistik_symbol

FORMAT_FLAT = "GENESIS-Online Flat-CSV (ffcsv)"
FORMAT_TABELLE = "Regionaldatenbank-Tabelle (CSV)"

#: Destatis "nichts vorhanden" as written into ``zielgruppe.csv`` (read back as 0).
NICHTS = "-"
#: Symbol written for a sum of unknown parts with different symbols.
UNBEKANNT_STANDARD = "."
#: Upper age of open bands ("65 Jahre und mehr").
ALTER_MAX = schemas.ALTER_GRENZEN[1]

EBENE_GEMEINDE = "Gemeinde"
EBENE_KREIS = "Kreis"
_EBENEN = {
    2: "Land",
    3: "Regierungsbezirk",
    5: EBENE_KREIS,
    8: EBENE_GEMEINDE,
    9: "Gemeindeverband",
    12: EBENE_GEMEINDE,
}
_DEUTSCHLAND = frozenset({"dg", "d", "dinsg", "de"})
#: Key lengths of no level: Excel dropped the leading zero (5899004 for 05899004).
_OHNE_NULL = frozenset({1, 4, 7, 11})
_TABLE_CODE = re.compile(r"\b(\d{5}-[0-9A-Z]{2,4}(?:-[0-9A-Z]{1,4}){0,3})\b")
_DATE_DE = re.compile(r"^(?:stichtag\s*)?(\d{1,2})\.(\d{1,2})\.(\d{4})$", re.I)
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(?:jahr\s*)?((?:19|20)\d{2})$", re.I)
#: Value units that are counts of persons (GENESIS ``value_unit``).
ZAEHLEINHEITEN = frozenset({"", "anzahl", "personen", "number", "persons"})
#: Quality marks of the ffcsv ``_q`` columns (GENESIS): shown in the report.
QUALITAET = {
    "e": "endgültig",
    "p": "vorläufig",
    "v": "vorläufig",
    "r": "berichtigt",
    "s": "geschätzt",
}


# --------------------------------------------------------------------------- mapping
@dataclass(frozen=True)
class Regel:
    """One rule of the mapping: a pattern and what a matching label means.

    Attributes
    ----------
    muster : re.Pattern
        Searched in the normalised label (lower case, single spaces).
    code : str or None
        Code of the Arbeitsmappe; ``None`` = deliberately not used.
    erklaerung : str
        German explanation shown in the report.
    von, bis : int or None
        Fixed age band of an ``alter`` rule (else from the named groups).
    quelle : str
        File the rule came from (for messages).
    auslassen : bool
        An ``alter`` rule with ``code: null``: matching age bands are not used.
    """

    muster: re.Pattern[str]
    code: str | None = None
    erklaerung: str = ""
    von: int | None = None
    bis: int | None = None
    quelle: str = ""
    auslassen: bool = False


@dataclass(frozen=True)
class Zuordnung:
    """The merged mapping: rule lists per kind, the user's rules first."""

    summen: tuple[re.Pattern[str], ...]
    einheiten: tuple[re.Pattern[str], ...]
    status: tuple[Regel, ...]
    geschlecht: tuple[Regel, ...]
    alter: tuple[Regel, ...]
    dateien: tuple[str, ...] = ()


_SECTIONS = ("summen", "einheiten", "status", "geschlecht", "alter")


def zuordnung_aus(teile: Sequence[tuple[Mapping[str, Any], str]]) -> Zuordnung:
    """Build a :class:`Zuordnung` from mapping files' contents, highest priority first.

    Parameters
    ----------
    teile : sequence of (mapping, str)
        The parsed YAML of each file and its name, e.g. the user's
        ``statistik_zuordnung.yaml`` before the shipped default.

    Returns
    -------
    Zuordnung

    Raises
    ------
    DataError
        For unknown sections, bad patterns or codes, naming file and key.
    """
    problems = ProblemCollector()
    lists: dict[str, list[Any]] = {s: [] for s in _SECTIONS}
    for data, datei in teile:
        for key in data:
            if key not in _SECTIONS:
                problems.add(
                    datei,
                    "unbekannter Abschnitt",
                    "Erlaubt sind: " + ", ".join(_SECTIONS),
                    spalte=str(key),
                )
        for section in _SECTIONS:
            entries = data.get(section) or []
            if not isinstance(entries, list):
                problems.add(
                    datei,
                    "Abschnitt muss eine Liste sein",
                    "Bitte jede Regel mit '- ' beginnen",
                    spalte=section,
                )
                continue
            for i, entry in enumerate(entries, start=1):
                rule = _rule(section, entry, datei, f"{section}[{i}]", problems)
                if rule is not None:
                    lists[section].append(rule)
    problems.raise_if_any()
    return Zuordnung(
        summen=tuple(lists["summen"]),
        einheiten=tuple(lists["einheiten"]),
        status=tuple(lists["status"]),
        geschlecht=tuple(lists["geschlecht"]),
        alter=tuple(lists["alter"]),
        dateien=tuple(d for _, d in teile),
    )


def _compile(text: Any, datei: str, key: str, problems: ProblemCollector) -> re.Pattern[str] | None:
    if not isinstance(text, str) or not text.strip():
        problems.add(
            datei,
            "Muster fehlt oder ist kein Text",
            "Bitte z. B. muster: 'duldung' schreiben",
            spalte=key,
        )
        return None
    try:
        return re.compile(text, re.I)
    except re.error as exc:
        problems.add(
            datei,
            f"Muster ist kein gültiger regulärer Ausdruck ({exc})",
            "Bitte das Muster prüfen (Sonderzeichen wie ( ) . * mit \\ schützen)",
            spalte=key,
            wert=text,
        )
        return None


def _rule(section: str, entry: Any, datei: str, key: str, problems: ProblemCollector) -> Any:
    if section in ("summen", "einheiten"):
        return _compile(entry, datei, key, problems)
    if not isinstance(entry, dict) or "muster" not in entry:
        problems.add(
            datei,
            "Regel braucht 'muster'",
            "Bitte z. B. '- muster: duldung' und '  code: duldung' schreiben",
            spalte=key,
        )
        return None
    pattern = _compile(entry["muster"], datei, f"{key}.muster", problems)
    code = entry.get("code")
    choices = {"status": labels.STATUS, "geschlecht": labels.GESCHLECHT}.get(section)
    if choices is not None and "code" not in entry:
        problems.add(
            datei,
            "Regel braucht 'code'",
            "Erlaubt: " + ", ".join(choices) + " oder null (nicht verwenden)",
            spalte=f"{key}.code",
        )
    elif choices is not None and code is not None and code not in choices:
        problems.add(
            datei,
            "unbekannter Code",
            "Erlaubt: " + ", ".join(choices) + " oder null (nicht verwenden)",
            spalte=f"{key}.code",
            wert=code,
        )
    von, bis = entry.get("von"), entry.get("bis")
    if section == "alter":
        lo, hi = schemas.ALTER_GRENZEN
        for name, value in (("von", von), ("bis", bis)):
            if value is not None and not (isinstance(value, int) and lo <= value <= hi):
                problems.add(
                    datei,
                    f"Alter muss eine ganze Zahl zwischen {lo} und {hi} sein",
                    "Bitte z. B. von: 18 und bis: 24 schreiben",
                    spalte=f"{key}.{name}",
                    wert=value,
                )
        if (von is None) != (bis is None):
            problems.add(
                datei,
                "'von' und 'bis' nur gemeinsam angeben",
                "Bitte beide Werte oder keinen (dann benannte Gruppen im Muster) eintragen",
                spalte=key,
            )
        if (
            pattern is not None
            and von is None
            and "code" not in entry
            and not ({"von", "bis", "bis_unter"} & set(pattern.groupindex))
        ):
            problems.add(
                datei,
                "Altersregel ohne Altersangabe",
                "Bitte 'von:' und 'bis:' "
                "angeben oder im Muster Gruppen (?P<von>…) und (?P<bis>…) bzw. "
                "(?P<bis_unter>…) verwenden",
                spalte=key,
            )
    if pattern is None:
        return None
    erklaerung = entry.get("erklaerung") or ""
    auslassen = section == "alter" and "code" in entry and code is None
    return Regel(
        pattern,
        code if section != "alter" else None,
        str(erklaerung).strip(),
        von,
        bis,
        datei,
        auslassen,
    )


def normalise_label(text: str) -> str:
    """Label for matching: lower case, single spaces, no footnote marks or colons."""
    t = str(text).replace("\u00a0", " ").strip().lower()
    t = re.sub(r"^(darunter|davon)\s*:?\s*", "", t)
    t = re.sub(r"\s+", " ", t).strip(" :;")
    return t


# --------------------------------------------------------------------------- raw cells
class Wert(NamedTuple):
    """One value of the source table with everything that describes it.

    A named tuple (not a dataclass): a table has up to millions of values.

    Attributes
    ----------
    zeile : int
        Line in the source file (1 = first line).
    spalte : str
        Source column (name or header labels) for messages.
    schluessel : str
        Area key as given (``05``, ``05558``, ``05558004``, ``DG`` ...).
    gebiet : str
        Area name as given.
    zeit : str
        Time as given (empty when the time is one of ``merkmale``).
    merkmale : tuple of (str, str)
        Category labels with their code ("" if none), e.g.
        ``("Schutzsuchende mit offenem Schutzstatus", "SCHUTZ01")``.
    text : str
        The value cell as given (number or Destatis symbol).
    qualitaet : str
        Quality mark of the ``_q`` column ("" if none).
    einheit : str
        Value unit (ffcsv ``value_unit``; "" if not given).
    """

    zeile: int
    spalte: str
    schluessel: str
    gebiet: str
    zeit: str
    merkmale: tuple[tuple[str, str], ...]
    text: str
    qualitaet: str = ""
    einheit: str = ""


@dataclass(frozen=True)
class Rohtabelle:
    """A statistics table read into :class:`Wert` records, with its metadata."""

    datei: str
    format: str
    werte: list[Wert]
    tabelle: str = ""
    titel: str = ""
    quelle: str = ""
    stand: str = ""
    ohne_null: frozenset[str] = frozenset()
    """Keys read with a leading zero added (as given in the file, e.g. ``5899004``)."""


def parse_statistik(data: bytes, datei: str) -> Rohtabelle:
    """Read a GENESIS flat CSV (also zipped or as .xlsx) or a Regionaldatenbank table.

    Parameters
    ----------
    data : bytes
        The file content (``.csv``, a ``.zip`` with one CSV, or ``.xlsx``).
    datei : str
        File name for messages.

    Returns
    -------
    Rohtabelle

    Raises
    ------
    DataError
        When the format is not recognised (naming a wrong delimiter), the table is
        damaged, a flat CSV lacks ``time`` or ``value``, or it has no values.
    """
    with _ohne_gc():
        if data[:4] == b"PK\x03\x04" and _is_xlsx(data):
            rows = _xlsx_rows(data, datei)
        else:
            if data[:4] == b"PK\x03\x04":
                data, datei = _unzip(data, datei)
            rows = _rows(data, datei)
        header = [c.strip().lower().removeprefix("\ufeff") for c in (rows[0] if rows else [])]
        if any(h.endswith("_variable_code") or h == "statistics_code" for h in header):
            return _parse_flat(rows, header, datei)
        return _parse_tabelle(rows, datei)


@contextmanager
def _ohne_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small, acyclic records are made.

    Measured (benchmarks/bench_statistik.py): the collector's repeated full passes
    over the growing list took about half of the parsing time; nothing built here
    forms reference cycles, so pausing it frees nothing later than otherwise.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _xlsx_rows(data: bytes, datei: str) -> list[list[str]]:
    """Rows of the first visible sheet of a Regionaldatenbank Excel download, as text."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types on damaged files
        raise DataError(
            [
                Problem(
                    datei,
                    "Excel-Datei kann nicht geöffnet werden",
                    "Bitte die Tabelle neu herunterladen (oder als CSV)",
                )
            ]
        ) from None
    try:
        sheet = next(ws for ws in wb.worksheets if ws.sheet_state == "visible")
        return [[_xlsx_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        wb.close()


def _xlsx_text(value: object) -> str:
    """A cell as the CSV download writes it (dates TT.MM.JJJJ, whole numbers without .0)."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _unzip(data: bytes, datei: str) -> tuple[bytes, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise DataError(
                    [
                        Problem(
                            datei,
                            f"ZIP-Archiv enthält {len(names)} CSV-Dateien statt einer",
                            "Bitte die CSV-Datei der Tabelle entpacken und angeben",
                        )
                    ]
                )
            return archive.read(names[0]), f"{datei} [{names[0]}]"
    except zipfile.BadZipFile:
        raise DataError(
            [Problem(datei, "ZIP-Archiv ist beschädigt", "Bitte die Tabelle neu herunterladen")]
        ) from None


def _rows(data: bytes, datei: str) -> list[list[str]]:
    """All rows of a ``;`` CSV as text (UTF-8 with/without BOM, else Latin-1/cp1252)."""
    if b"\x00" in data[:4096]:
        raise DataError(
            [
                Problem(
                    datei,
                    "Datei ist keine Textdatei (z. B. UTF-16 oder eine umbenannte Excel-Datei)",
                    "Bitte die Tabelle als CSV herunterladen und unverändert angeben",
                )
            ]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Regionaldatenbank: Latin-1
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=";")]
    if not any(any(r) for r in rows):
        raise DataError([Problem(datei, "Datei ist leer", "Bitte die Tabelle neu herunterladen")])
    _check_delimiter(rows, text, datei)
    return rows


def _check_delimiter(rows: list[list[str]], text: str, datei: str) -> None:
    """Refuse a file without any ``;`` that is separated by tabs or commas instead."""
    if any(len(r) > 1 for r in rows):
        return
    lines = [line for line in text.splitlines() if line.strip()]
    for zeichen, name in (("\t", "Tabulator"), (",", "Komma")):
        if sum(zeichen in line for line in lines) >= len(lines) / 2:
            raise DataError(
                [
                    Problem(
                        datei,
                        f"die Spalten sind mit {name} statt mit Semikolon (;) getrennt "
                        "(z. B. mit englischem Excel oder LibreOffice gespeichert)",
                        "Bitte die Originaldatei aus GENESIS bzw. der Regionaldatenbank "
                        "verwenden oder die Datei mit ';' als Trennzeichen speichern",
                    )
                ]
            )


def _parse_flat(rows: list[list[str]], header: list[str], datei: str) -> Rohtabelle:
    col = {name: i for i, name in enumerate(header)}
    for name in ("time", "value"):
        if name not in col:
            raise DataError(
                [
                    Problem(
                        datei,
                        f"Flat-CSV von GENESIS-Online erkannt, aber die Spalte '{name}' fehlt",
                        "Bitte die Flat-CSV unverändert aus GENESIS-Online verwenden "
                        "(Spalten statistics_code, time, k_variable_code …, value); "
                        "wurden Spalten gelöscht oder umbenannt, die Tabelle neu herunterladen",
                    )
                ]
            )
    variables = []
    k = 1
    while f"{k}_variable_code" in col:
        variables.append(
            (
                col[f"{k}_variable_code"],
                col.get(f"{k}_variable_attribute_code"),
                col.get(f"{k}_variable_attribute_label"),
                col.get(f"{k}_variable_label"),
            )
        )
        k += 1
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(r)]
    if not body:
        raise DataError(
            [
                Problem(
                    datei,
                    "die Datei enthält keine Werte, nur die Kopfzeile",
                    "Bitte die Tabelle neu herunterladen (Download abgebrochen oder "
                    "Auswahl ohne Ergebnis?)",
                )
            ]
        )

    def cell(r: list[str], i: int | None) -> str:
        return r[i] if i is not None and i < len(r) else ""

    region = None
    for v in variables:
        keys = [cell(r, v[1]) for _, r in body[:500] if cell(r, v[1])]
        if keys and sum(ebene(k) is not None for k in keys) >= 0.9 * len(keys):
            region = v
            break
    if region is None:
        raise DataError(
            [
                Problem(
                    datei,
                    "In der Flat-CSV fehlt das Gebietsmerkmal (Spalten "
                    "k_variable_attribute_code mit Gemeinde- oder "
                    "Kreisschlüsseln)",
                    "Bitte die Tabelle mit regionaler "
                    "Gliederung (Kreise oder Gemeinden) herunterladen",
                )
            ]
        )
    others = [v for v in variables if v is not region]
    quality = col.get("value_q", next((i for n, i in col.items() if n.endswith("_q")), None))
    werte, ohne_null = [], set()
    for n, r in body:
        schluessel = cell(r, region[1])
        if _schluessel(schluessel) != schluessel:
            ohne_null.add(schluessel)
        text = cell(r, col["value"])
        q = cell(r, quality)
        if text == "" and q:
            text, q = q, ""  # symbol given in the quality column only
        merkmale = [
            (cell(r, v[2]) or cell(r, v[1]), cell(r, v[1])) for v in others if cell(r, v[0])
        ]
        measure = cell(r, col.get("value_variable_label"))
        if measure:
            merkmale.append((measure, cell(r, col.get("value_variable_code"))))
        werte.append(
            Wert(
                n,
                "value",
                _schluessel(schluessel),
                cell(r, region[2]),
                cell(r, col["time"]),
                tuple(merkmale),
                text,
                q,
                cell(r, col.get("value_unit")),
            )
        )
    first = body[0][1] if body else []
    code = cell(first, col.get("statistics_code"))
    match = _TABLE_CODE.search(datei)
    return Rohtabelle(
        datei,
        FORMAT_FLAT,
        werte,
        tabelle=match.group(1) if match else code,
        titel=cell(first, col.get("statistics_label")),
        ohne_null=frozenset(ohne_null),
    )


def ebene(schluessel: str) -> str | None:
    """Level of an area key: Land, Regierungsbezirk, Kreis, Gemeinde, ...; None if no key.

    A key whose leading zero Excel dropped (1, 4, 7 or 11 digits) has the level of
    the key with the zero (:func:`_schluessel`).
    """
    k = _schluessel(schluessel)
    if k.lower() in _DEUTSCHLAND:
        return "Deutschland"
    if not k.isdigit():
        return None
    return _EBENEN.get(len(k))


def _schluessel(text: str) -> str:
    """The key with the leading zero added where Excel dropped it (``5899004`` → ``05899004``).

    Like :func:`thm_lib.ingest.columns.parse_ags` for a 7-digit AGS: digit keys one
    digit short of a level (1, 4, 7, 11 digits) have lost a zero; so have 2- and
    8-digit keys starting with 2 to 9 (Länder are 01 to 16: ``58995001`` is the
    Gemeindeverband ``058995001``, ``58`` the Regierungsbezirk ``058``).
    """
    k = text.strip()
    if k.isdigit() and (len(k) in _OHNE_NULL or (len(k) in (2, 8) and k[0] >= "2")):
        return "0" + k
    return k


def gemeinde_ags(schluessel: str) -> str:
    """8-digit AGS of a Gemeinde key (8-digit AGS or 12-digit ARS)."""
    k = schluessel.strip()
    return k[:5] + k[9:] if len(k) == 12 else k


def _is_period(text: str) -> bool:
    return bool(_DATE_DE.match(text) or _DATE_ISO.match(text) or _YEAR.match(text))


def _is_value(text: str) -> bool:
    t = text.strip()
    if statistik_symbol(t)[0]:
        return True
    try:
        parse_int(t)
    except (ValueError, CellError):
        return False
    return True


def _parse_tabelle(rows: list[list[str]], datei: str) -> Rohtabelle:
    start, lead = _data_start(rows)
    if start is None:
        raise DataError(
            [
                Problem(
                    datei,
                    "Format nicht erkannt: weder GENESIS-Flat-CSV "
                    "(Spalten statistics_code, time, value) noch eine Tabelle "
                    "der Regionaldatenbank mit Gebietszeilen (Schlüssel; Name; "
                    "Werte)",
                    "Bitte die Tabelle als 'CSV' oder 'Flat-CSV' "
                    "herunterladen und unverändert angeben",
                )
            ]
        )
    end = len(rows)
    for i in range(start, len(rows)):
        if rows[i] and rows[i][0].startswith("__"):
            end = i
            break
    data = [(i, r) for i, r in enumerate(rows[start:end], start=start) if any(r)]
    data = [(i, r) for i, r in data if ebene(_get(r, lead)) is not None]
    width = max(len(r) for _, r in data)
    first_value = lead + 2
    label_cols = [
        c
        for c in range(first_value, width)
        if all(_get(r, c) and not _is_value(_get(r, c)) for _, r in data)
    ]
    value_cols = [
        c
        for c in range(first_value, width)
        if c not in label_cols and any(_get(r, c) for _, r in data)
    ]
    head_top = start
    while head_top - 1 >= 0 and any(_get(rows[head_top - 1], c) for c in value_cols):
        head_top -= 1
    headers = [list(rows[i]) for i in range(head_top, start)]
    filled = [_fill_right(h, value_cols) for h in headers]
    titles = [" ".join(c for c in r if c) for r in rows[:head_top] if any(r)]
    werte = []
    ohne_null = {k for _, r in data for k in [_get(r, lead)] if _schluessel(k) != k}
    for i, r in data:
        zeit = _get(r, 0) if lead == 1 else ""
        row_labels = [(_get(r, c), "") for c in label_cols]
        for c in value_cols:
            col_labels = [(h[c], "") for h in filled if h[c]]
            spalte = " / ".join(lbl for lbl, _ in col_labels) or f"Spalte {c + 1}"
            merkmale = tuple(dict.fromkeys(col_labels + row_labels))
            werte.append(
                Wert(
                    i + 1,
                    spalte,
                    _schluessel(_get(r, lead)),
                    _get(r, lead + 1),
                    zeit,
                    merkmale,
                    _get(r, c),
                )
            )
    footer = [" ".join(c for c in r if c) for r in rows[end:]]
    quelle = next((f.strip() for f in footer if "©" in f or "(c)" in f.lower()), "")
    stand = next((f.split("Stand:", 1)[1].strip() for f in footer if "Stand:" in f), "")
    code = next((m.group(1) for t in titles[:2] for m in [_TABLE_CODE.search(t)] if m), "")
    titel = re.sub(r"\s+", " ", " ".join(titles[:2]).replace(code, "", 1)).strip(" :;-")
    return Rohtabelle(
        datei,
        FORMAT_TABELLE,
        werte,
        tabelle=code,
        titel=titel,
        quelle=quelle,
        stand=stand,
        ohne_null=frozenset(ohne_null),
    )


def _get(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _data_start(rows: list[list[str]]) -> tuple[int | None, int]:
    """First data row and the number of leading columns before the key (0, or 1: time)."""
    for i, r in enumerate(rows):
        for lead in (0, 1):
            key, name = _get(r, lead), _get(r, lead + 1)
            if (
                ebene(key) is not None
                and name
                and ebene(name) is None
                and (lead == 0 or _is_period(_get(r, 0)))
                and any(_is_value(c) for c in r[lead + 2 :])
            ):
                return i, lead
    return None, 0


def _fill_right(row: list[str], value_cols: list[int]) -> dict[int, str]:
    """Header labels of the value columns; empty cells repeat the label on their left."""
    out, last = {}, ""
    for c in value_cols:
        text = _get(row, c)
        last = text or last
        out[c] = last
    return out


# --------------------------------------------------------------------------- classifying
@dataclass
class _Zelle:
    wert: Wert
    ags: str = ""
    ebene: str = ""
    stichtag: pd.Timestamp | None = None
    status: str | None = None
    alter: tuple[int, int] | None = None
    geschlecht: str | None = None
    anzahl: int | None = None
    symbol: str = ""
    quelle_status: str = ""


@dataclass
class Bericht:
    """What the import read, wrote and left out (German text via :meth:`text`)."""

    datei: str
    format: str
    tabelle: str = ""
    titel: str = ""
    quelle: str = ""
    stand: str = ""
    werte_gelesen: int = 0
    zeilen_geschrieben: int = 0
    stichtage: list[pd.Timestamp] = field(default_factory=list)
    gemeinden: list[str] = field(default_factory=list)
    gemeinden_arbeitsmappe: int = 0
    ebene: str = ""
    schaetzung: str = ""
    status_summen: dict[str, int] = field(default_factory=dict)
    zuordnungen: dict[str, str] = field(default_factory=dict)
    nichts_als_null: int = 0
    unbekannt: Counter[str] = field(default_factory=Counter)
    qualitaet: Counter[str] = field(default_factory=Counter)
    ausgelassen: dict[str, list[int]] = field(default_factory=dict)
    hinweise: list[str] = field(default_factory=list)

    def weglassen(self, grund: str, anzahl: int | None) -> None:
        """Count one left-out value under ``grund`` (and its persons, if known)."""
        entry = self.ausgelassen.setdefault(grund, [0, 0])
        entry[0] += 1
        entry[1] += anzahl or 0

    def text(self) -> str:
        """The German report for the command line."""
        tage = ", ".join(f"{t:%d.%m.%Y}" for t in self.stichtage) or "keine"
        lines = [
            f"Statistik eingelesen: {self.datei}",
            f"  Format: {self.format}" + (f", Tabelle {self.tabelle}" if self.tabelle else ""),
        ]
        if self.titel:
            lines.append(f"  Titel: {self.titel}")
        if self.quelle or self.stand:
            lines.append(
                f"  Quelle: {self.quelle}" + (f" (Stand: {self.stand})" if self.stand else "")
            )
        lines += [
            f"  Werte gelesen: {zahl(self.werte_gelesen)}; Zeilen geschrieben: "
            f"{zahl(self.zeilen_geschrieben)}",
            f"  Stichtage: {tage}",
            f"  Ebene der Quelle: {self.ebene}",
            f"  Gemeinden: {len(self.gemeinden)} von {self.gemeinden_arbeitsmappe} der "
            "Arbeitsmappe",
        ]
        if self.schaetzung:
            lines.append(f"  GESCHÄTZT: {self.schaetzung}")
        status = ", ".join(
            f"{labels.STATUS_LABEL.get(s, s)} {zahl(n)}" for s, n in self.status_summen.items()
        )
        lines.append(
            f"  Personen je Status (alle Stichtage und Alter, bekannte Werte): {status or 'keine'}"
        )
        for quelle, ziel in self.zuordnungen.items():
            lines.append(f"    '{quelle}' -> {ziel}")
        unbekannt = ", ".join(f"'{s}' {n}×" for s, n in sorted(self.unbekannt.items()))
        lines.append(
            f"  Platzhalter: '-' (nichts vorhanden) als 0 gelesen: "
            f"{self.nichts_als_null}×; unbekannt (als fehlend geschrieben, nicht 0): "
            f"{unbekannt or 'keine'}"
        )
        if self.qualitaet:
            lines.append(
                "  Qualitätskennzeichen: "
                + ", ".join(
                    f"{QUALITAET.get(q.lower(), q)} ({q}) {n}×"
                    for q, n in sorted(self.qualitaet.items())
                )
            )
        if self.ausgelassen:
            lines.append("  Nicht übernommen:")
            for grund, (n, personen) in self.ausgelassen.items():
                werte, leute = anzahl(n, "Wert", "Werte"), anzahl(personen, "Person", "Personen")
                lines.append(f"    - {grund}: {werte}, {leute}")
        else:
            lines.append("  Nicht übernommen: nichts")
        lines += [f"  Hinweis: {h}" for h in self.hinweise]
        return "\n".join(lines)


@dataclass(frozen=True)
class ImportErgebnis:
    """Result of :func:`zielgruppe_aus_statistik`.

    Attributes
    ----------
    zielgruppe : pandas.DataFrame
        Text columns ``ags``, ``stichtag`` (TT.MM.JJJJ), ``status``,
        ``altersgruppe`` (von-bis), ``geschlecht``, ``anzahl`` (whole number or
        Destatis symbol for unknown), ready to be written as ``zielgruppe.csv``.
    bericht : Bericht
    """

    zielgruppe: pd.DataFrame
    bericht: Bericht


def parse_stichtag(text: str) -> pd.Timestamp | None:
    """Stichtag of a time label: ``31.12.2023``, ``2023-12-31`` or a year (31.12.)."""
    t = text.strip()
    for regex, order in ((_DATE_DE, (3, 2, 1)), (_DATE_ISO, (1, 2, 3))):
        m = regex.match(t)
        if m:
            try:
                return pd.Timestamp(
                    year=int(m.group(order[0])),
                    month=int(m.group(order[1])),
                    day=int(m.group(order[2])),
                )
            except ValueError:
                return None
    m = _YEAR.match(t)
    return pd.Timestamp(year=int(m.group(1)), month=12, day=31) if m else None


def _match(rules: Iterable[Regel], text: str) -> tuple[Regel, re.Match[str]] | None:
    for rule in rules:
        m = rule.muster.search(text)
        if m:
            return rule, m
    return None


def _age(rule: Regel, m: re.Match[str]) -> tuple[int, int] | None:
    if rule.von is not None and rule.bis is not None:
        return rule.von, rule.bis
    groups = m.groupdict()
    von = int(groups["von"]) if groups.get("von") else 0
    if groups.get("bis"):
        bis = int(groups["bis"])
    elif groups.get("bis_unter"):
        bis = int(groups["bis_unter"]) - 1
    else:
        bis = ALTER_MAX
    return (von, bis) if 0 <= von <= bis <= ALTER_MAX else None


_DIMS = ("stichtag", "status", "alter", "geschlecht", "quelle_status")


def _classify_cached(
    z: _Zelle, zuordnung: Zuordnung, bericht: Bericht, cache: dict[Any, Any]
) -> str | None:
    """:func:`_classify` once per distinct label combination and time (tables repeat them)."""
    key = (z.wert.merkmale, z.wert.zeit)
    if key not in cache:
        probe = _Zelle(z.wert)
        grund = _classify(probe, zuordnung, bericht)
        cache[key] = (grund, tuple(getattr(probe, d) for d in _DIMS))
    grund, values = cache[key]
    for dim, value in zip(_DIMS, values, strict=True):
        setattr(z, dim, value)
    return grund


def _classify(z: _Zelle, zuordnung: Zuordnung, bericht: Bericht) -> str | None:
    """Fill the dimensions of ``z`` from its labels; return a reason to leave it out."""
    if z.wert.zeit:
        z.stichtag = parse_stichtag(z.wert.zeit)
        if z.stichtag is None:
            return f"Zeitangabe nicht lesbar: '{z.wert.zeit}'"
    for label, code in z.wert.merkmale:
        found = None
        for text in (label, code):
            t = normalise_label(text)
            if not t:
                continue
            found = _classify_label(t, text, z, zuordnung, bericht)
            if found is not None:
                break
        if found is None:
            return f"nicht zugeordnete Kategorie '{label or code}' (Zuordnung ergänzen)"
        if found:
            return found
    return None


def _classify_label(
    t: str, original: str, z: _Zelle, zuordnung: Zuordnung, bericht: Bericht
) -> str | None:
    """'' when the label was understood, a reason to leave the value out, None if unknown."""
    if any(p.search(t) for p in zuordnung.summen + zuordnung.einheiten):
        return ""
    tag = parse_stichtag(t)
    if tag is not None:
        return _set(z, "stichtag", tag, original)
    hit = _match(zuordnung.status, t)
    if hit is not None:
        rule = hit[0]
        if rule.code is None:
            return f"'{original}' bewusst nicht verwendet: {rule.erklaerung or 'Zuordnung null'}"
        bericht.zuordnungen[original] = rule.code + (
            f" ({rule.erklaerung})" if rule.erklaerung else ""
        )
        z.quelle_status = original
        return _set(z, "status", rule.code, original)
    hit = _match(zuordnung.geschlecht, t)
    if hit is not None:
        if hit[0].code is None:
            return f"'{original}' bewusst nicht verwendet: {hit[0].erklaerung}"
        return _set(z, "geschlecht", hit[0].code, original)
    hit = _match(zuordnung.alter, t)
    if hit is not None:
        if hit[0].auslassen:
            return f"'{original}' bewusst nicht verwendet: {hit[0].erklaerung or 'code: null'}"
        band = _age(*hit)
        if band is None:
            return f"Altersgruppe '{original}' nicht lesbar"
        return _set(z, "alter", band, original)
    return None


def _set(z: _Zelle, name: str, value: Any, original: str) -> str:
    old = getattr(z, name)
    if old is not None and old != value:
        return f"widersprüchliche Angaben ('{original}' und {old})"
    setattr(z, name, value)
    return ""


def _read_value(z: _Zelle, datei: str, problems: ProblemCollector) -> None:
    text = z.wert.text.strip()
    symbol, value = statistik_symbol(text)  # the one rule for Destatis symbols (columns.py)
    if symbol and value == 0:
        z.anzahl = 0
        z.symbol = NICHTS
    elif symbol:
        z.symbol = text.lower() if text.lower() != "…" else "..."
    else:
        try:
            value = parse_int(text)
        except (ValueError, CellError):
            problems.add(
                datei,
                "Wert ist weder eine ganze Zahl noch ein Zeichen der amtlichen "
                "Statistik ('-', '.', '...', 'x', '/', g, u, k, t)",
                "Bitte die Datei unverändert aus GENESIS bzw. der Regionaldatenbank verwenden",
                zeile=z.wert.zeile,
                spalte=z.wert.spalte,
                wert=text,
            )
            return
        if value < 0:
            problems.add(
                datei,
                "Anzahl darf nicht negativ sein",
                "Bitte die Quelle prüfen",
                zeile=z.wert.zeile,
                spalte=z.wert.spalte,
                wert=text,
            )
            return
        z.anzahl = value


def _count_symbols(cells: list[_Zelle], bericht: Bericht) -> None:
    """Count the placeholders and quality marks of the values that are used."""
    for z in cells:
        if z.symbol == NICHTS:
            bericht.nichts_als_null += 1
        elif z.symbol:
            bericht.unbekannt[z.symbol] += 1
        if z.wert.qualitaet:
            bericht.qualitaet[z.wert.qualitaet] += 1


# --------------------------------------------------------------------------- main entry
def zielgruppe_aus_statistik(
    roh: Rohtabelle,
    zuordnung: Zuordnung,
    gebiete: pd.DataFrame,
    stichtag: pd.Timestamp | None = None,
) -> ImportErgebnis:
    """Turn a statistics table into ``zielgruppe`` rows for the Gemeinden of ``gebiete``.

    Parameters
    ----------
    roh : Rohtabelle
        From :func:`parse_statistik`.
    zuordnung : Zuordnung
        The category mapping (:func:`zuordnung_aus`).
    gebiete : pandas.DataFrame
        The Arbeitsmappe's Gemeinden: ``ags``, ``name``, ``einwohner`` (needed
        only for Kreis-level tables).
    stichtag : pandas.Timestamp, optional
        Used when the table carries no time; refused if the table's own dates differ.

    Returns
    -------
    ImportErgebnis

    Raises
    ------
    DataError
        For unreadable values, a table without status or age breakdown,
        overlapping age bands, a value repeated with the same area, time and
        categories, a "darunter" category counted with the code of its superset,
        a ``stichtag`` that contradicts the table's dates, or a Kreis-level table
        without population figures in ``gebiete``.
    """
    with _ohne_gc():
        return _zielgruppe(roh, zuordnung, gebiete, stichtag)


def _zielgruppe(
    roh: Rohtabelle, zuordnung: Zuordnung, gebiete: pd.DataFrame, stichtag: pd.Timestamp | None
) -> ImportErgebnis:
    bericht = Bericht(
        roh.datei,
        roh.format,
        roh.tabelle,
        roh.titel,
        roh.quelle,
        roh.stand,
        werte_gelesen=len(roh.werte),
        gemeinden_arbeitsmappe=len(gebiete),
    )
    problems = ProblemCollector()
    cells = []
    cache: dict[Any, Any] = {}
    eigene_tage: set[pd.Timestamp] = set()
    for w in roh.werte:
        z = _Zelle(w)
        if (
            w.einheit
            and w.einheit.lower() != "anzahl"
            and (normalise_label(w.einheit) not in ZAEHLEINHEITEN)
        ):
            bericht.weglassen(f"andere Einheit als Anzahl ('{w.einheit}')", None)
            continue
        _read_value(z, roh.datei, problems)
        grund = _classify_cached(z, zuordnung, bericht, cache)
        if grund:
            bericht.weglassen(grund, z.anzahl)
            continue
        if z.stichtag is not None:
            eigene_tage.add(z.stichtag)
        else:
            if stichtag is None:
                problems.add(
                    roh.datei,
                    "Stichtag fehlt (weder Zeitspalte noch Datum in den Kopfzeilen)",
                    "Bitte mit --stichtag TT.MM.JJJJ angeben",
                    zeile=w.zeile,
                    spalte=w.spalte,
                )
                problems.raise_if_any()
            z.stichtag = pd.Timestamp(stichtag)
        cells.append(z)
    problems.raise_if_any()
    _check_stichtag_option(stichtag, eigene_tage, roh.datei)
    _note_ohne_null(roh, bericht)
    cells = _areas(cells, gebiete, bericht)
    _check_duplicates(cells, roh.datei)
    cells = _drop_totals(cells, roh.datei, bericht)
    cells, ungegliedert = _drop_ungegliedert(cells, bericht)
    _check_bands(cells, roh.datei)
    _check_teilmengen(cells, zuordnung, roh.datei)
    cells = _drop_kreissummen(cells, bericht)
    _count_symbols(cells, bericht)
    cells = _distribute(cells, gebiete, roh.datei, bericht)
    frame = _aggregate(cells, bericht)
    bericht.zeilen_geschrieben = len(frame)
    bericht.stichtage = sorted({z.stichtag for z in cells if z.stichtag is not None})
    bericht.gemeinden = sorted({z.ags for z in cells})
    fehlend = len(
        {
            a
            for a in set(gebiete["ags"].astype(str)) - set(bericht.gemeinden)
            if a not in ungegliedert and a[:5] not in ungegliedert
        }
    )
    if fehlend:
        bericht.hinweise.append(
            f"{anzahl(fehlend, 'Gemeinde', 'Gemeinden')} der Arbeitsmappe "
            f"{'kommt' if fehlend == 1 else 'kommen'} in der Quelle nicht vor (für sie wird "
            "keine Zielgruppe geschrieben)."
        )
    return ImportErgebnis(frame, bericht)


def _check_stichtag_option(
    stichtag: pd.Timestamp | None, eigene: set[pd.Timestamp], datei: str
) -> None:
    """``--stichtag`` is for tables without a time: refuse it if the table's own dates differ."""
    if stichtag is None or not eigene or eigene == {pd.Timestamp(stichtag)}:
        return
    tage = ", ".join(f"{t:%d.%m.%Y}" for t in sorted(eigene))
    raise DataError(
        [
            Problem(
                datei,
                f"die Tabelle nennt eigene Stichtage ({tage}), die Option --stichtag "
                f"{pd.Timestamp(stichtag):%d.%m.%Y} passt nicht dazu",
                "--stichtag gilt nur für Tabellen ohne Zeitangabe; bitte die Option "
                "weglassen (dann gelten die Stichtage der Tabelle) oder die Tabelle für "
                "den gewünschten Stichtag herunterladen",
            )
        ]
    )


def _note_ohne_null(roh: Rohtabelle, bericht: Bericht) -> None:
    """Say in the report that keys were read with a leading zero added."""
    if roh.ohne_null:
        beispiel = min(roh.ohne_null, key=lambda k: (-len(k), k))
        bericht.hinweise.append(
            f"Gebietsschlüssel: führende Null ergänzt (von Excel entfernt?) bei "
            f"{zahl(len(roh.ohne_null))} "
            f"{'Schlüssel' if len(roh.ohne_null) == 1 else 'Schlüsseln'}, z. B. "
            f"'{beispiel}' -> '0{beispiel}'. Bitte prüfen, ob die Datei in Excel bearbeitet "
            "wurde; die Originaldatei ist sicherer."
        )


def _check_duplicates(cells: list[_Zelle], datei: str) -> None:
    """Refuse values that repeat the same area, time and categories (they would be added)."""
    seen: dict[tuple[Any, ...], _Zelle] = {}
    problems = []
    doppelt = 0
    for z in cells:
        w = z.wert
        first = seen.setdefault((w.schluessel, w.zeit, w.merkmale, w.spalte), z)
        if first is not z:
            doppelt += 1
            if len(problems) < 5:
                problems.append(_duplicate_problem(first, z, datei))
    if not problems:
        return
    if doppelt > len(problems):
        problems.append(
            Problem(datei, f"insgesamt {zahl(doppelt)} doppelte Werte (die ersten 5 oben)")
        )
    raise DataError(problems)


def _duplicate_problem(first: _Zelle, z: _Zelle, datei: str) -> Problem:
    w, v = first.wert, z.wert
    tag = f"{z.stichtag:%d.%m.%Y}" if z.stichtag is not None else (v.zeit or "ohne")
    merkmale = ", ".join(label or code for label, code in v.merkmale)
    if v.text == w.text:
        werte = f"gleicher Wert '{v.text}'"
    else:
        werte = f"andere Werte '{w.text}' und '{v.text}'"
    return Problem(
        datei,
        f"Zeile {v.zeile} wiederholt Zeile {w.zeile}: gleiches Gebiet ({v.schluessel} "
        f"{v.gebiet}), gleicher Stichtag ({tag}) und gleiche Merkmale ({merkmale}), {werte}",
        "Die Werte würden doppelt gezählt. Bitte die doppelten Zeilen entfernen (z. B. "
        "zwei aneinandergehängte Downloads) und die Datei erneut importieren",
        spalte=v.spalte,
    )


def teilweise_gezaehlte_altersgruppen(zielgruppe: pd.DataFrame, von: int, bis: int) -> list[str]:
    """Report lines for age bands that reach beyond the target ages (counted in part).

    The analysis spreads a band evenly over its years (``docs/annahmen.md``), so a band
    ``18-29`` counts with 10/12 of its persons for the ages 18 to 27.

    Parameters
    ----------
    zielgruppe : pandas.DataFrame
        Rows as written (column ``altersgruppe`` as ``von-bis``).
    von, bis : int
        The target ages (``annahmen.yaml``: ``zielgruppe.alter_min``/``alter_max``).

    Returns
    -------
    list of str
        One German line per band that is counted only in part.
    """
    out = []
    bands = {tuple(int(x) for x in b.split("-")) for b in zielgruppe["altersgruppe"]}
    for a, b in sorted(bands):
        jahre, drin = b - a + 1, min(b, bis) - max(a, von) + 1
        if 0 < drin < jahre:
            out.append(
                f"Altersgruppe {a}-{b} reicht über die Zielgruppe ({von}-{bis} Jahre) hinaus: "
                f"gezählt werden {drin}/{jahre} ihrer Personen (gleichmäßig auf die Jahre "
                "verteilt angenommen, docs/annahmen.md)."
            )
    return out


def _areas(cells: list[_Zelle], gebiete: pd.DataFrame, bericht: Bericht) -> list[_Zelle]:
    known = set(gebiete["ags"].astype(str))
    kreise = {a[:5] for a in known}
    out, levels = [], Counter()
    for z in cells:
        level = ebene(z.wert.schluessel)
        key = z.wert.schluessel.strip()
        if level == EBENE_GEMEINDE:
            z.ags, z.ebene = gemeinde_ags(key), EBENE_GEMEINDE
            if z.ags not in known:
                bericht.weglassen("Gemeinden außerhalb der Arbeitsmappe", z.anzahl)
                continue
        elif level == EBENE_KREIS:
            z.ags, z.ebene = key, EBENE_KREIS
            if key not in kreise:
                bericht.weglassen("Kreise außerhalb der Arbeitsmappe", z.anzahl)
                continue
        else:
            bericht.weglassen(f"übergeordnete oder zusammengefasste Gebiete ({level})", z.anzahl)
            continue
        levels[z.ebene] += 1
        out.append(z)
    bericht.ebene = (
        " und ".join(
            f"{e} ({'8-stelliger' if e == EBENE_GEMEINDE else '5-stelliger'} Schlüssel)"
            for e in (EBENE_GEMEINDE, EBENE_KREIS)
            if levels[e]
        )
        or "keine passenden Gebiete"
    )
    return out


_SUMMEN_DIMS = (("status", "Status"), ("alter", "Altersgruppe"), ("geschlecht", "Geschlecht"))


def _merkmale(z: _Zelle) -> tuple[Any, ...]:
    """Categories of a cell; a status is its source category (two may share a code)."""
    return (z.quelle_status or None, z.alter, z.geschlecht)


def _aufgeteilt(cells: list[_Zelle]) -> dict[tuple[Any, ...], frozenset[tuple[Any, ...]]]:
    """Per area and date: the categories (:func:`_merkmale`) the table breaks down further.

    A cell with a total (None) in some categories is split if another cell of its area
    and date agrees on everything it states and states more; so every coarser form of
    every cell is split. Areas share their layout, hence the cache.
    """
    present: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)
    for z in cells:
        present[(z.ags, z.stichtag)].add(_merkmale(z))
    cache: dict[frozenset[tuple[Any, ...]], frozenset[tuple[Any, ...]]] = {}
    out = {}
    for gruppe, merkmale in present.items():
        key = frozenset(merkmale)
        if key not in cache:
            cache[key] = frozenset(c for m in key for c in _groeber(m))
        out[gruppe] = cache[key]
    return out


def _groeber(merkmale: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """Every strictly coarser form: one or more stated categories replaced by None."""
    stated = [i for i, v in enumerate(merkmale) if v is not None]
    for r in range(1, len(stated) + 1):
        for weg in combinations(stated, r):
            yield tuple(None if i in weg else v for i, v in enumerate(merkmale))


def _drop_totals(cells: list[_Zelle], datei: str, bericht: Bericht) -> list[_Zelle]:
    """Keep the finest breakdown: drop a total only where its own group is split.

    Decided per area, date and the other categories, so a status given only as
    "Insgesamt" over sex is kept while the other statuses use their split.
    """
    split = _aufgeteilt(cells)
    kept = []
    for z in cells:
        if _merkmale(z) in split[(z.ags, z.stichtag)]:
            name = next(n for dim, n in _SUMMEN_DIMS if getattr(z, dim) is None)
            bericht.weglassen(f"Summen über {name} (die Aufteilung wird verwendet)", z.anzahl)
        else:
            kept.append(z)
    cells = kept
    if not cells:
        ausgelassen = list(bericht.ausgelassen.items())[:6]
        gruende = "; ".join(f"{g} ({anzahl(n[0], 'Wert', 'Werte')})" for g, n in ausgelassen)
        raise DataError(
            [
                Problem(
                    datei,
                    "keine verwertbaren Werte für die Gemeinden der "
                    f"Arbeitsmappe. Nicht übernommen: {gruende or 'nichts'}",
                    "Bitte prüfen, ob die Tabelle den Kreis der Arbeitsmappe "
                    "enthält und ihre Kategorien zugeordnet sind "
                    "(statistik_zuordnung.yaml)",
                )
            ]
        )
    missing = [
        name
        for dim, name in (("status", "Aufenthaltsstatus"), ("alter", "Altersgruppen"))
        if all(getattr(z, dim) is None for z in cells)
    ]
    if missing:
        raise DataError(
            [
                Problem(
                    datei,
                    f"die Tabelle unterscheidet keine {' und keine '.join(missing)}",
                    "Für die Zielgruppe "
                    "(Duldung/Gestattung, 18–27 Jahre) bitte eine Tabelle mit "
                    "Aufenthaltsstatus und Altersgruppen herunterladen (z. B. "
                    "Tabellenfamilie 12531) oder die Kategorien in "
                    "statistik_zuordnung.yaml zuordnen",
                )
            ]
        )
    for z in cells:
        if z.geschlecht is None:
            z.geschlecht = "x"
    return cells


def _drop_ungegliedert(cells: list[_Zelle], bericht: Bericht) -> tuple[list[_Zelle], set[str]]:
    """Leave out totals over status or age that have no breakdown in their group, by name.

    The Zielgruppe needs status and age; such values are not used, and the report
    names the areas (they do occur in the source). Kreis values beside Gemeinde values
    are kept for :func:`_drop_kreissummen`. Returns the kept cells and the keys of the
    areas whose values were all left out this way.
    """
    kept, gebiete, personen = [], {}, Counter()
    gem_keys = {(z.ags[:5], z.stichtag) for z in cells if z.ebene == EBENE_GEMEINDE}
    for z in cells:
        fehlt = "Status" if z.status is None else "Altersgruppe" if z.alter is None else ""
        if not fehlt or (z.ebene == EBENE_KREIS and (z.ags, z.stichtag) in gem_keys):
            kept.append(z)
            continue
        bericht.weglassen(f"Summen über {fehlt} ohne Aufteilung (nicht verwendbar)", z.anzahl)
        gebiete.setdefault(fehlt, {})[z.ags] = z.wert.gebiet or z.ags
        personen[fehlt] += z.anzahl or 0
    for fehlt, namen in gebiete.items():
        liste = ", ".join(f"{n} ({a})" for a, n in sorted(namen.items()))
        was = "Aufenthaltsstatus" if fehlt == "Status" else "Altersgruppen"
        bericht.hinweise.append(
            f"Nur Summen ('Insgesamt'), keine {was} für: {liste} ({zahl(personen[fehlt])} "
            f"Personen). Die Zielgruppe wird nach {was} abgegrenzt; diese Werte werden nicht "
            "verwendet. Bitte eine Tabelle mit Aufteilung oder Zahlen der "
            "Ausländerbehörde verwenden."
        )
    verwendet = {z.ags for z in kept}
    return kept, {a for namen in gebiete.values() for a in namen} - verwendet


def _check_bands(cells: list[_Zelle], datei: str) -> None:
    bands = sorted({z.alter for z in cells if z.alter is not None})
    for (a_von, a_bis), (b_von, b_bis) in zip(bands, bands[1:], strict=False):
        if b_von <= a_bis:
            raise DataError(
                [
                    Problem(
                        datei,
                        f"Altersgruppen überschneiden sich: {a_von}-{a_bis} "
                        f"und {b_von}-{b_bis} (Personen würden doppelt gezählt)",
                        "Bitte nur überschneidungsfreie Altersgruppen "
                        "herunterladen oder eine davon in "
                        "statistik_zuordnung.yaml mit code: null ausschließen",
                    )
                ]
            )


#: A category that is part of another ("darunter: mit Duldung", "offen, darunter: …",
#: "abgelehnter Schutzstatus, mit Duldung").
_TEILMENGE = re.compile(r"\b(darunter|davon)\b|,\s*(mit|ohne)\b", re.I)


def _check_teilmengen(cells: list[_Zelle], zuordnung: Zuordnung, datei: str) -> None:
    """Refuse a "darunter" category counted with the same code as its superset.

    Adding a subset to its superset would count people twice. A label like
    "offener Schutzstatus, darunter: …" names its superset: a conflict only if that
    maps to the same code. A bare "darunter: …" (table column) does not: then every
    other category with the same code is a possible superset.
    """
    quellen: dict[str, set[str]] = defaultdict(set)
    for z in cells:
        quellen[z.status or ""].add(z.quelle_status)
    problems = []
    for code, namen in sorted(quellen.items()):
        ganze = sorted(n for n in namen if n and not _TEILMENGE.search(n))
        teile = [
            n
            for n in sorted(namen)
            if _TEILMENGE.search(n) and _oberbegriff_gleicher_code(n, code, zuordnung)
        ]
        if teile and ganze:
            problems.append(_teilmenge_problem(code, ganze[0], teile[0], datei))
    if problems:
        raise DataError(problems)


def _oberbegriff_gleicher_code(teil: str, code: str, zuordnung: Zuordnung) -> bool:
    """Whether the superset named before "darunter"/", mit" maps to ``code`` (True if unnamed)."""
    match = _TEILMENGE.search(teil)
    vorne = normalise_label(teil[: match.start()]) if match else ""
    if not vorne:
        return True
    hit = _match(zuordnung.status, vorne)
    return hit is not None and hit[0].code == code


def _teilmenge_problem(code: str, ganz: str, teil: str, datei: str) -> Problem:
    muster = "^" + re.escape(normalise_label(ganz)).replace("\\ ", " ").replace("'", "''") + "$"
    return Problem(
        datei,
        f"die Kategorien '{ganz}' und '{teil}' werden beide als {code} gezählt, "
        f"'{teil}' ist aber eine Teilmenge ('darunter'): Personen würden doppelt gezählt",
        "Bitte eine der beiden in statistik_zuordnung.yaml der Arbeitsmappe mit code: null "
        "auslassen (als erste Regel unter status:), z. B. die Oberkategorie:\n\n"
        f"status:\n  - muster: '{muster}'\n    code: null\n"
        f"    erklaerung: 'Teilmenge {teil.replace(chr(39), chr(39) * 2)} wird verwendet'\n",
    )


def _drop_kreissummen(cells: list[_Zelle], bericht: Bericht) -> list[_Zelle]:
    """Leave out Kreis values where the table has Gemeinde values of that Kreis and date."""
    gem_keys = {(z.ags[:5], z.stichtag) for z in cells if z.ebene == EBENE_GEMEINDE}
    out = []
    for z in cells:
        if z.ebene == EBENE_KREIS and (z.ags, z.stichtag) in gem_keys:
            bericht.weglassen("Kreissummen (Gemeindezahlen liegen vor)", z.anzahl)
        else:
            out.append(z)
    return out


def _distribute(
    cells: list[_Zelle], gebiete: pd.DataFrame, datei: str, bericht: Bericht
) -> list[_Zelle]:
    """Kreis values to Gemeinden by population share (largest remainder, sums kept)."""
    kreis_cells = [z for z in cells if z.ebene == EBENE_KREIS]
    if not kreis_cells:
        return cells
    out = [z for z in cells if z.ebene == EBENE_GEMEINDE]
    g = gebiete.assign(ags=gebiete["ags"].astype(str))
    verteilt: set[str] = set()
    uebernommen: set[str] = set()
    for z in kreis_cells:
        members = g[g["ags"].str[:5] == z.ags].sort_values("ags")
        einwohner = pd.to_numeric(members["einwohner"], errors="coerce")
        if einwohner.isna().any() or float(einwohner.sum()) <= 0:
            names = ", ".join(members.loc[einwohner.isna(), "name"].astype(str)) or "alle"
            raise DataError(
                [
                    Problem(
                        datei,
                        f"die Tabelle hat nur Kreiszahlen ({z.ags}); für "
                        "die Schätzung der Gemeindeanteile fehlen Einwohnerzahlen "
                        f"in 'gebiete' ({names})",
                        "Bitte die Spalte 'einwohner' "
                        "in gebiete ergänzen (oder die VG250-EW-Datei mit EWZ "
                        "verwenden) oder eine Tabelle auf Gemeindeebene "
                        "herunterladen",
                    )
                ]
            )
        shares = _largest_remainder(z.anzahl, einwohner.to_numpy(dtype=float))
        for ags, share in zip(members["ags"], shares, strict=True):
            out.append(
                _Zelle(
                    z.wert,
                    ags,
                    EBENE_GEMEINDE,
                    z.stichtag,
                    z.status,
                    z.alter,
                    z.geschlecht,
                    share,
                    z.symbol,
                )
            )
        (verteilt if len(members) > 1 else uebernommen).add(z.ags)
    if uebernommen:
        bericht.hinweise.append(
            f"Die Quelle hat für {', '.join(sorted(uebernommen))} nur Kreiszahlen; der Kreis "
            "hat nur eine Gemeinde (kreisfreie Stadt), die Kreiszahlen gelten unverändert "
            "für sie (keine Schätzung)."
        )
    if verteilt:
        bericht.schaetzung = (
            f"Die Quelle hat für {', '.join(sorted(verteilt))} nur Kreiszahlen. Die "
            "Gemeindezahlen sind nach dem Anteil der Gemeinde an den Einwohnern des Kreises "
            "(gebiete, Spalte einwohner) geschätzt, je Stichtag, Status, Altersgruppe und "
            "Geschlecht; gerundet nach dem Verfahren der größten Reste, sodass die Summe je "
            "Kreis der Quelle entspricht. Unbekannte Kreiswerte bleiben in jeder Gemeinde "
            "unbekannt. Annahme: die Zielgruppe verteilt sich wie die Bevölkerung."
        )
    return out


def _largest_remainder(total: int | None, weights: np.ndarray) -> list[int | None]:
    """Split a whole number by weights into whole numbers that add up to it."""
    if total is None:
        return [None] * len(weights)
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(int)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return [int(v) for v in base]


def _aggregate(cells: list[_Zelle], bericht: Bericht) -> pd.DataFrame:
    """One row per key; unknown parts stay visible as a row with the symbol."""
    groups: dict[tuple[Any, ...], list[_Zelle]] = defaultdict(list)
    for z in cells:
        groups[(z.ags, z.stichtag, z.status, z.alter, z.geschlecht)].append(z)
    status_summen: Counter[str] = Counter()
    rows = []
    tage = {tag: f"{tag:%d.%m.%Y}" for tag in {k[1] for k in groups}}
    for (ags, tag, status, band, sex), members in sorted(groups.items(), key=_sort_key):
        known = [z.anzahl for z in members if z.anzahl is not None]
        symbols = {z.symbol for z in members if z.anzahl is None}
        base = {
            "ags": ags,
            "stichtag": tage[tag],
            "status": status,
            "altersgruppe": f"{band[0]}-{band[1]}",
            "geschlecht": sex,
        }
        if known:
            rows.append({**base, "anzahl": str(sum(known))})
            status_summen[status] += sum(known)
        if symbols:
            rows.append(
                {**base, "anzahl": symbols.pop() if len(symbols) == 1 else UNBEKANNT_STANDARD}
            )
            if known:
                bericht.hinweise.append(
                    f"{ags}, {tag:%d.%m.%Y}, {status}, {band[0]}-{band[1]}, {sex}: ein Teil "
                    "ist unbekannt, eine zweite Zeile mit dem Platzhalter hält das fest "
                    "(die Summe ist eine Untergrenze)."
                )
    bericht.status_summen = {s: status_summen[s] for s in labels.STATUS if s in status_summen}
    columns = ["ags", "stichtag", "status", "altersgruppe", "geschlecht", "anzahl"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _sort_key(item: tuple[tuple[Any, ...], list[_Zelle]]) -> tuple[Any, ...]:
    ags, tag, status, band, sex = item[0]
    return (ags, tag, labels.STATUS.index(status), band, labels.GESCHLECHT.index(sex))
