"""Typing raw text columns, cell by cell, with a German problem per bad cell.

Hand-written on purpose: German number formats (decimal comma, thousands
dot), official-statistics placeholders and 8-digit AGS that Excel stored as
numbers are not what generic validators parse; pandera then checks the typed
frames (:mod:`thm_lib.schemas`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd

from thm_lib import labels
from thm_lib.errors import ProblemCollector, zeilen_text

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
#: and their labels in :mod:`thm_lib.labels` (which are accepted too, see
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
_LABEL_TABLES = (labels.STATUS_LABEL, labels.GESCHLECHT_LABEL, labels.ERGEBNIS_LABEL,
                 labels.FOERDERLINIE_LABEL)
_UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

_INT_RE = re.compile(r"^[+-]?\d{1,3}([. ]\d{3})+$|^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_AGS_RE = re.compile(r"^\d{7,8}$")
_PLZ_RE = re.compile(r"^\d{1,5}$")
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%d.%m.%y", "%Y-%m-%d %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")
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
    beschreibung : str
        German explanation for templates and messages.
    """

    name: str
    kind: str
    required: bool = True
    allow_empty: bool = False
    choices: tuple[str, ...] = ()
    placeholders: bool = False
    beschreibung: str = ""


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


def normalise_word(text: str) -> str:
    """Comparable form of a category word: "Nächstbeste Lösung" -> "naechstbeste_loesung"."""
    t = text.strip().lower().translate(_UMLAUTE)
    return re.sub(r"[\s\-_]+", "_", t).strip("_")


@lru_cache(maxsize=64)
def category_lookup(choices: tuple[str, ...]) -> dict[str, str]:
    """Accepted spellings of ``choices``: the codes, their German labels and :data:`SYNONYME`.

    Parameters
    ----------
    choices : tuple of str
        The allowed codes of a column (e.g. :data:`thm_lib.labels.STATUS`).

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
    """Parse a German or plain integer ("1.234", "1 234", "12", "12,0")."""
    t = text.replace("\u00a0", " ").strip()
    if re.fullmatch(r"[+-]?\d+,0+", t) or re.fullmatch(r"[+-]?\d+\.0+", t):
        t = re.split(r"[,.]", t)[0]
    if not _INT_RE.match(t):
        raise ValueError(text)
    value = int(t.replace(".", "").replace(" ", ""))
    if abs(value) > INT_LIMIT:
        raise CellError("Zahl ist unplausibel groß", "Bitte die Zahl prüfen (keine Kennung "
                        "oder Telefonnummer in einer Zahlenspalte)")
    return value


def parse_float(text: str) -> float:
    """Parse a number with decimal comma or point ("51,23", "51.23", "1.234,5")."""
    t = text.replace("\u00a0", "").replace(" ", "").strip()
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    if not _FLOAT_RE.match(t):
        raise ValueError(text)
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


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

    Cached: a table repeats the same few dates thousands of times.
    """
    t = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            value = datetime.strptime(t, fmt)
        except ValueError:
            continue
        if not DATE_YEARS[0] <= value.year <= DATE_YEARS[1]:
            raise CellError(f"Datum liegt nicht zwischen {DATE_YEARS[0]} und {DATE_YEARS[1]}",
                            "Bitte das Jahr prüfen (vierstellig, z. B. 31.12.2021)")
        return pd.Timestamp(value)
    if _EXCEL_SERIAL_RE.match(t):
        raise CellError("Datum steht als Excel-Zahl da, nicht als Datum",
                        "Bitte die Spalte in Excel als Datum formatieren (TT.MM.JJJJ) und neu "
                        "speichern")
    raise ValueError(text)


def parse_ags(text: str) -> str:
    """Return an 8-digit AGS; restores the leading zero Excel drops (5012004 -> 05012004)."""
    t = text.strip().replace(" ", "")
    if not _AGS_RE.match(t):
        raise ValueError(text)
    return t.zfill(8)


def normalise_plz(text: str) -> str:
    """Return a 5-digit PLZ when ``text`` is 1-5 digits (Excel drops leading zeros)."""
    t = text.strip()
    return t.zfill(5) if _PLZ_RE.match(t) else t


def _split_list(text: str) -> list[str]:
    return [p for p in re.split(r"[,|/\s]+", text.strip()) if p]


_PARSERS: dict[str, tuple[Callable[[str], object], str, str]] = {
    "int": (parse_int, "keine ganze Zahl", "Bitte eine ganze Zahl ohne Einheit eintragen"),
    "float": (parse_float, "keine Zahl", "Bitte eine Zahl eintragen (Dezimalkomma erlaubt)"),
    "bool": (parse_bool, "kein Ja/Nein-Wert", "Bitte 'ja' oder 'nein' eintragen"),
    "date": (parse_date, "kein gültiges Datum", "Bitte als TT.MM.JJJJ eintragen, "
             "z. B. 31.12.2021"),
    "ags": (parse_ags, "kein gültiger 8-stelliger Gemeindeschlüssel (AGS)",
            "Bitte den amtlichen Gemeindeschlüssel mit 8 Ziffern eintragen, z. B. 05899004"),
}


def type_column(raw: pd.Series, col: Column, datei: str, zeilen: list[int],
                problems: ProblemCollector, warnings: list[str]) -> pd.Series:
    """Type one raw text column; record a problem per bad cell.

    Returns
    -------
    pandas.Series
        The typed column (object dtype; the caller sets final dtypes).
    """
    out: list[object] = []
    placeholder_rows: list[int] = []
    for text, zeile in zip(raw.tolist(), zeilen, strict=True):
        text = str(text).strip()
        if text == "":
            if not col.allow_empty:
                problems.add(datei, "Pflichtangabe fehlt", "Bitte einen Wert eintragen",
                             zeile=zeile, spalte=col.name)
            out.append(None)
            continue
        if col.placeholders:
            symbol, value = statistik_symbol(text)
            if symbol:
                if value is None:
                    placeholder_rows.append(zeile)
                out.append(value)
                continue
        out.append(_parse_cell(text, col, datei, zeile, problems))
    if placeholder_rows:
        warnings.append(f"{datei}, Spalte '{col.name}': {len(placeholder_rows)} Werte sind "
                        f"{PLACEHOLDER_HINT} für unbekannte Werte (z. B. '.', '...', 'x', "
                        "'/') und werden als fehlend gelesen, nicht als 0 "
                        f"({zeilen_text(placeholder_rows)}). Summen sind damit Untergrenzen.")
    return pd.Series(out, index=raw.index, dtype=object)


def _parse_cell(text: str, col: Column, datei: str, zeile: int,
                problems: ProblemCollector) -> object:
    if col.kind == "text":
        return text
    if col.kind == "category":
        code = category_lookup(col.choices).get(normalise_word(text))
        if code is not None:
            return code
        problems.add(datei, "unbekannter Wert", "Erlaubt sind: " + ", ".join(col.choices),
                     zeile=zeile, spalte=col.name, wert=text)
        return None
    if col.kind in ("ags_list", "text_list"):
        parts = _split_list(text)
        if col.kind == "text_list":
            return tuple(parts)
        try:
            return tuple(parse_ags(p) for p in parts)
        except ValueError:
            problems.add(datei, "Liste enthält einen ungültigen Gemeindeschlüssel",
                         "Bitte 8-stellige AGS durch Komma getrennt eintragen", zeile=zeile,
                         spalte=col.name, wert=text)
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
