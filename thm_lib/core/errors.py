"""The one exception type for problems in the user's data, with German messages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SHOWN = 20
#: Row ranges and distinct values shown in one grouped message.
MAX_BEREICHE = 10
MAX_WERTE = 3
#: In configuration files a "column" is a (dotted) key.
YAML_SUFFIXES = (".yaml", ".yml")
#: Files that hold case records: their values (pseudonyms, ages, dates) are personal data.
PERSONEN_DATEIEN = ("faelle", "bedarfe")
_WERT = re.compile(r" \(Werte?: .*?\)(?=\. |\.?$)")
#: Cells listed in a message (a header row that was a case record), up to the hint.
_VORHANDEN = re.compile(r"(?:\. )?Vorhandene Spalten: .*?(?=\. Bitte |$)")
_DOPPELT = re.compile(r"(Spaltenüberschrift doppelt): .*?(?=\. Bitte |$)")
#: A parenthesis quoting something ("(die Datei schreibt '1,5' in Zeile 3 …)").
_ZITAT_KLAMMER = re.compile(r" ?\([^()]*['\"][^()]*\)")


@dataclass(frozen=True)
class Problem:
    """One problem in one place of one input file.

    Parameters
    ----------
    datei : str
        File name as the user sees it (e.g. ``angebote.csv``).
    meldung : str
        What is wrong, in German.
    hinweis : str
        What to do about it, in German.
    zeile : int or None
        Row as shown in Excel / a text editor (the header is row 1).
    spalte : str or None
        Column name (in YAML files: the dotted key, shown as "Schlüssel").
    wert : str or None
        The offending value as read.
    """

    datei: str
    meldung: str
    hinweis: str = ""
    zeile: int | None = None
    spalte: str | None = None
    wert: str | None = None

    def __str__(self) -> str:
        where = [self.datei]
        if self.zeile is not None:
            where.append(f"Zeile {self.zeile}")
        if self.spalte is not None:
            kind = "Schlüssel" if self.datei.lower().endswith(YAML_SUFFIXES) else "Spalte"
            where.append(f"{kind} '{self.spalte}'")
        text = ", ".join(where) + ": " + self.meldung
        if self.wert is not None:
            text += f" (Wert: '{self.wert}')"
        if self.hinweis:
            text += f". {self.hinweis}"
        return text


def zeilen_bereiche(zeilen: Iterable[int], limit: int = MAX_BEREICHE) -> str:
    """Row numbers as ranges: ``[2, 3, 4, 9, 11, 12]`` -> ``"2–4, 9, 11–12"``.

    Parameters
    ----------
    zeilen : iterable of int
        Row numbers (any order, repeats allowed).
    limit : int
        At most this many ranges are shown, then " …".

    Returns
    -------
    str
        The ranges, joined by ", " (en dash inside a range).
    """
    rows = sorted(set(zeilen))
    ranges: list[tuple[int, int]] = []
    for z in rows:
        if ranges and z == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], z)
        else:
            ranges.append((z, z))
    parts = [str(a) if a == b else f"{a}\u2013{b}" for a, b in ranges[:limit]]
    return ", ".join(parts) + (" …" if len(ranges) > limit else "")


def zeilen_text(zeilen: Iterable[int]) -> str:
    """``"Zeile 5"`` for one row, ``"Zeilen 2–312"`` for several (see :func:`zeilen_bereiche`)."""
    rows = sorted(set(zeilen))
    return f"Zeile {rows[0]}" if len(rows) == 1 else f"Zeilen {zeilen_bereiche(rows)}"


def _group_key(p: Problem) -> tuple[str, str, str, str | None]:
    return (p.datei, p.meldung, p.hinweis, p.spalte)


def _group_text(group: list[Problem]) -> str:
    """One line for the same mistake in several rows: rows as ranges, distinct values."""
    first = group[0]
    if len(group) == 1:
        return str(first)
    where = [first.datei]
    rows = [p.zeile for p in group if p.zeile is not None]
    if rows:
        where.append(zeilen_text(rows))
    if first.spalte is not None:
        kind = "Schlüssel" if first.datei.lower().endswith(YAML_SUFFIXES) else "Spalte"
        where.append(f"{kind} '{first.spalte}'")
    text = ", ".join(where) + ": " + first.meldung
    werte = list(dict.fromkeys(p.wert for p in group if p.wert is not None))
    if len(werte) == 1:
        text += f" (Wert: '{werte[0]}')"
    elif werte:
        shown = ", ".join(f"'{w}'" for w in werte[:MAX_WERTE])
        text += f" (Werte: {shown}{' …' if len(werte) > MAX_WERTE else ''})"
    if first.hinweis:
        text += f". {first.hinweis}"
    return text


def group_problems(problems: Iterable[Problem]) -> list[list[Problem]]:
    """Group the same mistake (file, message, hint, column) across rows, in first-seen order."""
    groups: dict[tuple[str, str, str, str | None], list[Problem]] = {}
    for p in problems:
        groups.setdefault(_group_key(p), []).append(p)
    return list(groups.values())


class DataError(Exception):
    """Problems in the user's input data (Arbeitsmappe or configuration).

    The message is German and lists every problem found; the same mistake in
    several rows is one line with the row ranges ("Zeilen 2–312"). At most
    ``MAX_SHOWN`` lines are shown, with a count of the rest. ``problems`` keeps
    one :class:`Problem` per cell.
    """

    #: Heading of the command line's message (``thm``) above the text.
    ueberschrift = "Fehler in den Eingabedaten"

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("DataError needs at least one problem")
        self.problems = list(problems)
        super().__init__(self._format())

    def _kopf(self, n: int) -> str:
        if n == 1:
            return "Es wurde 1 Problem in den Eingabedaten gefunden:"
        return f"Es wurden {n} Probleme in den Eingabedaten gefunden:"

    def _format(self) -> str:
        n = len(self.problems)
        head = self._kopf(n)
        groups = group_problems(self.problems)
        lines = [head] + [f"- {_group_text(g)}" for g in groups[:MAX_SHOWN]]
        if len(groups) > MAX_SHOWN:
            rest = sum(len(g) for g in groups[MAX_SHOWN:])
            lines.append(f"- und {rest} weitere")
        return "\n".join(lines)


class OrdnerBelegt(DataError):
    """Another run writes into the same output folder: not a mistake in the data.

    A :class:`DataError` (callers that list a Kreis's reason, such as the Land
    run, treat it alike), headed as what it is.
    """

    ueberschrift = "Lauf nicht gestartet"

    def _kopf(self, n: int) -> str:
        return "Der Ausgabeordner ist belegt:"


class ProblemCollector:
    """Collects problems while a file is checked; raises them all at the end."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        datei: str,
        meldung: str,
        hinweis: str = "",
        zeile: int | None = None,
        spalte: str | None = None,
        wert: object = None,
    ) -> None:
        """Record one problem."""
        shown = None if wert is None else str(wert)[:60]
        self.problems.append(Problem(datei, meldung, hinweis, zeile, spalte, shown))

    def raise_if_any(self) -> None:
        """Raise a :class:`DataError` holding every recorded problem, if any."""
        if self.problems:
            raise DataError(self.problems)


def ist_personendatei(datei: str) -> bool:
    """Whether ``datei`` holds case records (``faelle``/``bedarfe``, also as Excel sheet).

    Examples
    --------
    >>> ist_personendatei("faelle.xlsx [bedarfe]"), ist_personendatei("angebote.csv")
    (True, False)
    """
    return datei.strip().lower().startswith(PERSONEN_DATEIEN)


def _ohne_werte(p: Problem) -> Problem:
    """``p`` with only file, row, column and the fixed start of its message.

    The message is cut before its first colon (what follows is a list: header
    cells, duplicate names) and loses any parenthesis that quotes something; hint
    and value are dropped (they may quote cells).
    """
    meldung = _ZITAT_KLAMMER.sub("", p.meldung.split(":", 1)[0]).strip()
    return Problem(p.datei, meldung or "Problem", zeile=p.zeile, spalte=p.spalte)


def ohne_personenwerte(text: str | DataError) -> str:
    """A data-error text without the values quoted from case records.

    Lines about ``faelle``/``bedarfe`` keep file, row, column and message but
    lose ``(Wert: '…')`` and the cells listed after "Vorhandene Spalten:" or
    "Spaltenüberschrift doppelt:" (a header row that was a case record): a
    pseudonym, an age or a date of a single case must not reach anything shown
    beyond the Geschäftsführende Stelle (index pages, app). Other files' values
    stay (they help to find the mistake).

    Given the :class:`DataError` itself (not its text), the result is stricter:
    a problem of ``faelle``/``bedarfe`` keeps only file, row, column and the
    fixed start of its message (:func:`_ohne_werte`), no hint and no value.

    Examples
    --------
    >>> ohne_personenwerte("- faelle.csv, Zeile 7, Spalte 'fall_id': Wert kommt mehrfach "
    ...                    "vor (Wert: 'TM-F5LQ2U'). Bitte korrigieren")
    "- faelle.csv, Zeile 7, Spalte 'fall_id': Wert kommt mehrfach vor. Bitte korrigieren"
    >>> ohne_personenwerte("- faelle.csv, Zeile 1, Spalte 'ags': Pflichtspalte fehlt. "
    ...                    "Vorhandene Spalten: tm-1, 05899004, 27. Bitte die Kopfzeile prüfen")
    "- faelle.csv, Zeile 1, Spalte 'ags': Pflichtspalte fehlt. Bitte die Kopfzeile prüfen"
    >>> ohne_personenwerte("angebote.csv, Zeile 3: falsch (Wert: 'x')")
    "angebote.csv, Zeile 3: falsch (Wert: 'x')"
    >>> print(ohne_personenwerte(DataError([Problem("bedarfe.csv", "unbekannter Fall",
    ...     "Bitte 'TM-1' prüfen", zeile=4, spalte="fall_id", wert="TM-1")])))
    Es wurde 1 Problem in den Eingabedaten gefunden:
    - bedarfe.csv, Zeile 4, Spalte 'fall_id': unbekannter Fall
    """
    if isinstance(text, DataError):
        return str(
            DataError([_ohne_werte(p) if ist_personendatei(p.datei) else p for p in text.problems])
        )
    lines = []
    for line in text.split("\n"):
        if ist_personendatei(line.lstrip("- ")):
            line = _DOPPELT.sub(r"\1", _VORHANDEN.sub("", _WERT.sub("", line)))
        lines.append(line)
    return "\n".join(lines)
