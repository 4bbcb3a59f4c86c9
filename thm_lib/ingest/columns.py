"""Typing raw text columns, cell by cell, with a German problem per bad cell.

Hand-written on purpose: German number formats (decimal comma, thousands
dot), official-statistics placeholders and 8-digit AGS that Excel stored as
numbers are not what generic validators parse; pandera then checks the typed
frames (:mod:`thm_lib.ingest.schemas`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd

from thm_lib.core import labels
from thm_lib.core.errors import ProblemCollector, zeilen_text

#: Destatis "-" = "nichts vorhanden": a true zero, read as 0 (also the en dash that
#: Excel's autocorrect makes of it).
NICHTS_VORHANDEN = frozenset({"-", "\u2013"})
#: Destatis symbols for unknown values (``.`` unbekannt/geheim, ``...`` fällt später an,
#: ``x`` nicht sinnvoll, ``/`` nicht sicher genug) and the newer letter scheme
#: (g u k t x); read as missing with a warning.
PLACEHOLDERS = frozenset({".", "...", "\u2026", "x", "/", "g", "u", "k", "t"})
PLACEHOLDER_HINT = "Platzhalter der amtlichen Statistik"

TRUE_WORDS = frozenset({"ja", "j", "true", "wahr", "1", "x", "yes", "y"})
FALSE_WORDS = frozenset({"nein", "n", "false", "falsch", "0", "no"})

#: The one table of German words accepted for category codes beyond the codes themselves
#: and their labels in :mod:`thm_lib.core.labels` (which are accepted too, see
#: :func:`category_lookup`). Keys are written as users write them; matching ignores case,
#: umlauts (ä = ae) and spaces/hyphens (= "_").
SYNONYME: dict[str, str] = {
    "geduldet": "duldung",
    "geduldete": "duldung",
    "gestattet": "gestattung",
    "gestattete": "gestattung",
    "nächstbestes Angebot": "naechstbeste",
    "keine Angabe": "x",
}
_LABEL_TABLES = (
    labels.STATUS_LABEL,
    labels.GESCHLECHT_LABEL,
    labels.ERGEBNIS_LABEL,
    labels.FOERDERLINIE_LABEL,
)
_UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

_INT_RE = re.compile(r"^[+-]?\d{1,3}([. ]\d{3})+$|^[+-]?\d+$")
#: "1.200", "12.500", "1.234.567": thousands dots or a decimal point with 3 decimals.
_AMBIGUOUS_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
#: "51,23", "1.234,5": a decimal comma (German).
_COMMA_DECIMAL_RE = re.compile(r"^[+-]?(\d+|\d{1,3}(\.\d{3})+),\d+$")
_POINT_DECIMAL_RE = re.compile(r"^[+-]?\d*\.\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_AGS_RE = re.compile(r"^\d{7,8}$")
_PLZ_RE = re.compile(r"^\d{1,5}$")
_PLZ_MIT_ORT_RE = re.compile(r"^(?:D\s*-\s*)?(\d{5})(?:\s+\D.*)?$", re.IGNORECASE)
_DATE_FORMATS = (
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%d.%m.%y",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
)
_EXCEL_SERIAL_RE = re.compile(r"^\d{5}([.,]\d+)?$")
#: Largest magnitude an integer cell may have (pandas Int64 holds up to 2**63 - 1).
INT_LIMIT = 2**53
#: Plausible years of a date cell; also keeps dates inside datetime64[ns] (1677-2262).
DATE_YEARS = (1900, 2100)


class CellError(ValueError):
    """A cell that cannot be read, with its own German message.

    Parameters
    ----------
    meldung : str
        What is wrong.
    hinweis : str
        What to do.
    """

    def __init__(self, meldung: str, hinweis: str):
        super().__init__(meldung)
        self.meldung = meldung
        self.hinweis = hinweis


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Parameters
    ----------
    name : str
        German snake_case column name (the schema).
    kind : str
        ``text``, ``ags``, ``int``, ``float``, ``bool``, ``date``, ``category``,
        ``ags_list`` or ``text_list``.
    required : bool
        Whether the column must be present.
    allow_empty : bool
        Whether empty cells are allowed (become missing).
    choices : tuple of str
        Allowed values for ``category`` columns.
    placeholders : bool
        Whether statistics symbols are accepted: ``-`` (nichts vorhanden) as 0,
        the others (:data:`PLACEHOLDERS`) as missing with a warning.
    tausender : bool
        ``float`` columns only: whether a thousands separator is plausible
        (places, minutes). ``False`` for coordinates: "7.123" is always 7.123.
    beschreibung : str
        German explanation for templates and messages.
    """

    name: str
    kind: str
    required: bool = True
    allow_empty: bool = False
    choices: tuple[str, ...] = ()
    placeholders: bool = False
    tausender: bool = True
    beschreibung: str = ""


@dataclass(frozen=True)
class Dezimalzeichen:
    """Which decimal separator a file uses, with the first cell showing each.

    Attributes
    ----------
    komma, punkt : tuple of (int, str, str) or None
        (row, column, text) of the first cell written with a decimal comma
        ("51,23") or an unambiguous decimal point ("51.4321", "1.5").
    """

    komma: tuple[int, str, str] | None = None
    punkt: tuple[int, str, str] | None = None

    @property
    def zeichen(self) -> str | None:
        """``"komma"`` or ``"punkt"`` when the file uses only that one, else ``None``."""
        if self.komma and not self.punkt:
            return "komma"
        if self.punkt and not self.komma:
            return "punkt"
        return None

    def beleg(self) -> str:
        """German description of the evidence, for messages."""
        parts = [
            f"'{b[2]}' in Zeile {b[0]}, Spalte '{b[1]}'"
            for b in (self.komma, self.punkt)
            if b is not None
        ]
        if not parts:
            return "die Datei enthält keine andere Zahl mit Nachkommastellen"
        return "die Datei schreibt " + " und ".join(parts)


def statistik_symbol(text: str) -> tuple[bool, int | None]:
    """Read a Destatis symbol: ``(True, 0)`` for "-", ``(True, None)`` for unknown symbols.

    Parameters
    ----------
    text : str
        One cell as written.

    Returns
    -------
    tuple of (bool, int or None)
        ``(False, None)`` when ``text`` is no symbol (then parse it as a number).
    """
    t = text.strip().lower()
    if t in NICHTS_VORHANDEN:
        return True, 0
    if t in PLACEHOLDERS:
        return True, None
    return False, None


@lru_cache(maxsize=4096)
def normalise_word(text: str) -> str:
    """Comparable form of a category word: "Nächstbeste Lösung" -> "naechstbeste_loesung".

    Cached: a table repeats the same few words thousands of times.
    """
    t = text.strip().lower().translate(_UMLAUTE)
    return re.sub(r"[\s\-_]+", "_", t).strip("_")


@lru_cache(maxsize=64)
def category_lookup(choices: tuple[str, ...]) -> dict[str, str]:
    """Accepted spellings of ``choices``: the codes, their German labels and :data:`SYNONYME`.

    Parameters
    ----------
    choices : tuple of str
        The allowed codes of a column (e.g. :data:`thm_lib.core.labels.STATUS`).

    Returns
    -------
    dict
        Normalised word (:func:`normalise_word`) -> code; only codes in ``choices``.
    """
    words = [(c, c) for c in choices]
    words += [(label, code) for table in _LABEL_TABLES for code, label in table.items()]
    words += list(SYNONYME.items())
    lookup: dict[str, str] = {}
    for word, code in words:
        if code in choices:
            lookup.setdefault(normalise_word(word), code)
    return lookup


def parse_int(text: str) -> int:
    """Parse a German or plain integer ("1.234", "1 234", "12", "12,0", "12.0").

    A point before groups of three digits is a thousands separator ("1.000" is
    1000, the rule of ``docs/datenmodell.md``), before other zeros a decimal
    point ("7.0", "7.00").
    """
    t = text.replace("\u00a0", " ").strip()
    if not _INT_RE.match(t) and re.fullmatch(r"[+-]?\d+[,.]0+", t):
        t = re.split(r"[,.]", t)[0]
    if not _INT_RE.match(t):
        raise ValueError(text)
    value = int(t.replace(".", "").replace(" ", ""))
    if abs(value) > INT_LIMIT:
        raise CellError(
            "Zahl ist unplausibel groß",
            "Bitte die Zahl prüfen (keine Kennung oder Telefonnummer in einer Zahlenspalte)",
        )
    return value


def parse_float(text: str) -> float:
    """Parse a number with decimal comma or point ("51,23", "51.23", "1.234,5")."""
    t = text.replace("\u00a0", "").replace(" ", "").strip()
    if "," in t:
        if not _COMMA_DECIMAL_RE.match(t):  # "1,234.5", "1,2,3": not a German number
            raise ValueError(text)
        t = t.replace(".", "").replace(",", ".")
    if not _FLOAT_RE.match(t):
        raise ValueError(text)
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def dezimalzeichen(cells: Iterable[tuple[int, str, str, bool]]) -> Dezimalzeichen:
    """Find the decimal separator a file uses from its number cells.

    Parameters
    ----------
    cells : iterable of (int, str, str, bool)
        (row, column, text, thousands plausible) of the text cells of every
        ``float`` column (not cells Excel stored as numbers).

    Returns
    -------
    Dezimalzeichen
        The first cell with a decimal comma and the first with an unambiguous
        decimal point ("1.200" in a column with thousands is no evidence).
    """
    komma = punkt = None
    for zeile, spalte, text, tausender in cells:
        t = text.replace("\u00a0", "").replace(" ", "").strip()
        if komma is None and _COMMA_DECIMAL_RE.match(t):
            komma = (zeile, spalte, text.strip())
        elif (
            punkt is None
            and _POINT_DECIMAL_RE.match(t)
            and not (tausender and _AMBIGUOUS_RE.match(t))
        ):
            punkt = (zeile, spalte, text.strip())
        if komma and punkt:
            break
    return Dezimalzeichen(komma, punkt)


def parse_bool(text: str) -> bool:
    """Parse ja/nein, wahr/falsch, true/false, 1/0."""
    t = text.strip().lower()
    if t in TRUE_WORDS:
        return True
    if t in FALSE_WORDS:
        return False
    raise ValueError(text)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> pd.Timestamp:
    """Parse a German (31.12.2021) or ISO (2021-12-31) date.

    Dates in the Arbeitsmappe are days: a time of day ("31.12.2021 14:03") is
    dropped, else the row would lie after the Stichtag 31.12.2021 00:00.
    Cached: a table repeats the same few dates thousands of times.
    """
    t = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            value = datetime.strptime(t, fmt)
        except ValueError:
            continue
        if not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
            raise CellError(
                f"Datum liegt nicht zwischen {DATE_YEARS[0]} und {DATE_YEARS[1]}",
                "Bitte das Jahr prüfen (vierstellig, z. B. 31.12.2021)",
            )
        return pd.Timestamp(value).normalize()
    if _EXCEL_SERIAL_RE.match(t):
        raise CellError(
            "Datum steht als Excel-Zahl da, nicht als Datum",
            "Bitte die Spalte in Excel als Datum formatieren (TT.MM.JJJJ) und neu speichern",
        )
    raise ValueError(text)


def parse_ags(text: str) -> str:
    """Return an 8-digit AGS; restores the leading zero Excel drops (5012004 -> 05012004)."""
    t = text.strip().replace(" ", "")
    if not _AGS_RE.match(t):
        raise ValueError(text)
    return t.zfill(8)


def normalise_plz(text: str) -> str:
    """Return a 5-digit PLZ when ``text`` is 1-5 digits (Excel drops leading zeros).

    A PLZ written with its place or country mark ("00181 Schablonberg",
    "D-00181") is its five digits.
    """
    t = text.strip()
    if _PLZ_RE.match(t):
        return t.zfill(5)
    mit_ort = _PLZ_MIT_ORT_RE.match(t)
    return mit_ort.group(1) if mit_ort else t


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[,|/\s]+", text.strip()) if p]


_PARSERS: dict[str, tuple[Callable[[str], object], str, str]] = {
    "int": (parse_int, "keine ganze Zahl", "Bitte eine ganze Zahl ohne Einheit eintragen"),
    "float": (parse_float, "keine Zahl", "Bitte eine Zahl eintragen (Dezimalkomma erlaubt)"),
    "bool": (parse_bool, "kein Ja/Nein-Wert", "Bitte 'ja' oder 'nein' eintragen"),
    "date": (parse_date, "kein gültiges Datum", "Bitte als TT.MM.JJJJ eintragen, z. B. 31.12.2021"),
    "ags": (
        parse_ags,
        "kein gültiger 8-stelliger Gemeindeschlüssel (AGS)",
        "Bitte den amtlichen Gemeindeschlüssel mit 8 Ziffern eintragen, z. B. 05899004",
    ),
}


def type_column(
    raw: pd.Series,
    col: Column,
    datei: str,
    zeilen: list[int],
    problems: ProblemCollector,
    warnings: list[str],
    dezimal: Dezimalzeichen | None = None,
    excel_zahlen: Collection[int] = (),
) -> pd.Series:
    """Type one raw text column; record a problem per bad cell.

    Parameters
    ----------
    raw : pandas.Series
        The cells as text.
    col : Column
        What the column holds.
    datei : str
        File name for messages.
    zeilen : list of int
        User-visible row of each cell.
    problems : ProblemCollector
        Receives one problem per bad cell.
    warnings : list of str
        Receives German warnings (placeholders, decimal points read as such).
    dezimal : Dezimalzeichen, optional
        The file's decimal separator (:func:`dezimalzeichen`); decides how a
        ``float`` cell like "1.200" is read: 1200 in a decimal-comma file, 1.2
        (with a warning) in a decimal-point file, else a problem. Without it,
        such a cell is a problem.
    excel_zahlen : collection of int
        Positions of cells Excel stored as numbers (never ambiguous).

    Returns
    -------
    pandas.Series
        The typed column (object dtype; the caller sets final dtypes).
    """
    out: list[object] = []
    placeholder_rows: list[int] = []
    punkt_rows: list[int] = []
    for pos, (text, zeile) in enumerate(zip(raw.tolist(), zeilen, strict=True)):
        text = str(text).strip()
        if text == "":
            if not col.allow_empty:
                problems.add(
                    datei,
                    "Pflichtangabe fehlt",
                    "Bitte einen Wert eintragen",
                    zeile=zeile,
                    spalte=col.name,
                )
            out.append(None)
            continue
        if col.placeholders:
            symbol, value = statistik_symbol(text)
            if symbol:
                if value is None:
                    placeholder_rows.append(zeile)
                out.append(value)
                continue
        if (
            col.kind == "float"
            and col.tausender
            and pos not in excel_zahlen
            and _AMBIGUOUS_RE.match(text.replace("\u00a0", "").replace(" ", ""))
        ):
            out.append(_ambiguous_float(text, col, datei, zeile, dezimal, problems))
            if dezimal is not None and dezimal.zeichen == "punkt":
                punkt_rows.append(zeile)
            continue
        out.append(_parse_cell(text, col, datei, zeile, problems))
    if punkt_rows:
        assert dezimal is not None
        warnings.append(
            f"{datei}, Spalte '{col.name}': Zahlen wie '1.200' "
            f"({zeilen_text(punkt_rows)}) werden mit Dezimalpunkt gelesen (1.200 = "
            f"1,2), weil {dezimal.beleg()}. Ist ein Tausenderpunkt gemeint, bitte "
            "ohne Punkt schreiben (1200)."
        )
    if placeholder_rows:
        n = len(placeholder_rows)
        wie_viele = "1 Wert ist" if n == 1 else f"{n} Werte sind"
        warnings.append(
            f"{datei}, Spalte '{col.name}': {wie_viele} {PLACEHOLDER_HINT} für unbekannte "
            f"Werte (z. B. '.', '...', 'x', '/') und {'wird' if n == 1 else 'werden'} als "
            f"fehlend gelesen, nicht als 0 ({zeilen_text(placeholder_rows)}). Summen sind "
            "damit Untergrenzen."
        )
    return pd.Series(out, index=raw.index, dtype=object)


def _ambiguous_float(
    text: str,
    col: Column,
    datei: str,
    zeile: int,
    dezimal: Dezimalzeichen | None,
    problems: ProblemCollector,
) -> float | None:
    """Read "1.200" by the file's decimal separator, or record it as ambiguous."""
    t = text.replace("\u00a0", "").replace(" ", "")
    zeichen = None if dezimal is None else dezimal.zeichen
    if zeichen == "komma":
        return float(t.replace(".", ""))
    if zeichen == "punkt":
        return float(t)
    beleg = "" if dezimal is None else f" ({dezimal.beleg()})"
    problems.add(
        datei,
        f"Zahl ist mehrdeutig: Tausenderpunkt oder Dezimalpunkt?{beleg}",
        "Bitte ohne Tausenderpunkt (1200) oder mit Dezimalkomma (1,2) schreiben",
        zeile=zeile,
        spalte=col.name,
        wert=text,
    )
    return None


def _parse_cell(
    text: str, col: Column, datei: str, zeile: int, problems: ProblemCollector
) -> object:
    if col.kind == "text":
        return text
    if col.kind == "category":
        code = category_lookup(col.choices).get(normalise_word(text))
        if code is not None:
            return code
        problems.add(
            datei,
            "unbekannter Wert",
            "Erlaubt sind: " + ", ".join(col.choices),
            zeile=zeile,
            spalte=col.name,
            wert=text,
        )
        return None
    if col.kind in ("ags_list", "text_list"):
        parts = _split_list(text)
        if col.kind == "text_list":
            return tuple(parts)
        try:
            return tuple(parse_ags(p) for p in parts)
        except ValueError:
            problems.add(
                datei,
                "Liste enthält einen ungültigen Gemeindeschlüssel",
                "Bitte 8-stellige AGS durch Komma getrennt eintragen",
                zeile=zeile,
                spalte=col.name,
                wert=text,
            )
            return None
    parser, meldung, hinweis = _PARSERS[col.kind]
    try:
        return parser(text)
    except CellError as exc:
        problems.add(datei, exc.meldung, exc.hinweis, zeile=zeile, spalte=col.name, wert=text)
        return None
    except (ValueError, OverflowError):
        problems.add(datei, meldung, hinweis, zeile=zeile, spalte=col.name, wert=text)
        return None
