"""The one exception type for problems in the user's data, with German messages."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 20
#: In configuration files a "column" is a (dotted) key.
YAML_SUFFIXES = (".yaml", ".yml")


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


class DataError(Exception):
    """Problems in the user's input data (Arbeitsmappe or configuration).

    The message is German and lists every problem found, capped at
    ``MAX_SHOWN`` lines with a count of the rest.
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("DataError needs at least one problem")
        self.problems = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        n = len(self.problems)
        head = "Es wurde 1 Problem in den Eingabedaten gefunden:" if n == 1 else (
            f"Es wurden {n} Probleme in den Eingabedaten gefunden:"
        )
        lines = [head] + [f"- {p}" for p in self.problems[:MAX_SHOWN]]
        if n > MAX_SHOWN:
            lines.append(f"- und {n - MAX_SHOWN} weitere")
        return "\n".join(lines)


class ProblemCollector:
    """Collects problems while a file is checked; raises them all at the end."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, datei: str, meldung: str, hinweis: str = "", zeile: int | None = None,
            spalte: str | None = None, wert: object = None) -> None:
        """Record one problem."""
        shown = None if wert is None else str(wert)[:60]
        self.problems.append(Problem(datei, meldung, hinweis, zeile, spalte, shown))

    def raise_if_any(self) -> None:
        """Raise a :class:`DataError` holding every recorded problem, if any."""
        if self.problems:
            raise DataError(self.problems)
