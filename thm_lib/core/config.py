"""Reading configuration files; assumptions (``annahmen.yaml``) merged over the defaults.

The assumptions are typed by :class:`thm_lib.core.settings.Annahmen` (the one place
of their defaults); this module reads the user's files and merges them in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import yaml

from thm_lib.core.errors import DataError, Problem
from thm_lib.core.settings import Annahmen, merge, validate_annahmen

DEFAULTS_PACKAGE = "thm_lib.defaults"

__all__ = ["DEFAULTS_PACKAGE", "default_annahmen", "kommune_overrides", "load_annahmen", "merge"]


def default_annahmen() -> Annahmen:
    """Return the default assumptions (no file is read)."""
    return Annahmen()


def _doppelt(node: yaml.Node | None, pfad: tuple[str, ...] = ()) -> tuple[str, int, int] | None:
    """The first key given twice in a mapping of ``node``: dotted key, first and second line.

    PyYAML keeps the last of two equal keys without a word; in a hand-edited
    ``annahmen.yaml`` (a block copied, one value changed) the analysis would then
    run with the value the user meant to replace.
    """
    if isinstance(node, yaml.MappingNode):
        erste: dict[str, int] = {}
        for key, wert in node.value:
            name, zeile = str(key.value), key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and name != "<<":
                if name in erste:
                    return ".".join((*pfad, name)), erste[name], zeile
                erste[name] = zeile
            if found := _doppelt(wert, (*pfad, name)):
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, wert in enumerate(node.value, start=1):
            if found := _doppelt(wert, (*pfad, str(i))):
                return found
    return None


class _Syntax(NamedTuple):
    """One of PyYAML's error texts in German."""

    muster: str
    """Text matched in the error's ``problem`` or ``context``."""
    zeile_des_kontexts: bool
    """Name the line of the context (where the broken key or quote began), not the
    line where PyYAML noticed the error."""
    meldung: str
    hinweis: str


_SYNTAX: tuple[_Syntax, ...] = (
    _Syntax(
        "'\\t'",
        False,
        "Tabulatorzeichen in der Zeile",
        "Bitte Tabulatoren durch Leerzeichen ersetzen (zwei Leerzeichen je Stufe)",
    ),
    _Syntax(
        "could not find expected ':'",
        True,
        "Doppelpunkt nach dem Schlüssel fehlt",
        "Bitte 'schlüssel: wert' schreiben (Doppelpunkt und ein Leerzeichen)",
    ),
    _Syntax(
        "mapping values are not allowed here",
        False,
        "Doppelpunkt an unerwarteter Stelle",
        "Bitte so tief einrücken wie die Nachbarzeilen; enthält der Wert selbst einen "
        "Doppelpunkt, den Wert in Anführungszeichen setzen",
    ),
    _Syntax(
        "while scanning a quoted scalar",
        True,
        "Anführungszeichen nicht geschlossen",
        "Bitte das schließende Anführungszeichen ergänzen",
    ),
    _Syntax(
        "expected <block end>",
        False,
        "Einrückung passt nicht zu den Zeilen davor",
        "Bitte so tief einrücken wie die Nachbarzeilen (zwei Leerzeichen je Stufe)",
    ),
)
"""PyYAML's error texts in German; unknown errors keep the general message."""


def _syntaxfehler(datei: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a German :class:`Problem` naming the line and its text."""
    problem, kontext = getattr(exc, "problem", None) or "", getattr(exc, "context", None) or ""
    meldung, hinweis = "YAML-Syntaxfehler", "Bitte Einrückung und Doppelpunkte prüfen"
    mark = getattr(exc, "problem_mark", None)
    for fehler in _SYNTAX:
        if fehler.muster in problem or fehler.muster in kontext:
            meldung, hinweis = f"YAML-Syntaxfehler: {fehler.meldung}", fehler.hinweis
            if fehler.zeile_des_kontexts and getattr(exc, "context_mark", None) is not None:
                mark = exc.context_mark
            break
    if mark is None:
        return Problem(datei, meldung, hinweis)
    zeilen = text.splitlines()
    inhalt = zeilen[mark.line].strip() if mark.line < len(zeilen) else ""
    return Problem(datei, meldung, hinweis, zeile=mark.line + 1, wert=inhalt[:60] or None)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning syntax errors into a German :class:`DataError`.

    A key given twice in one mapping is an error too (YAML would keep the second).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = yaml.safe_load(text)
        doppelt = _doppelt(yaml.compose(text, Loader=yaml.SafeLoader))
    except UnicodeDecodeError:
        raise DataError(
            [Problem(path.name, "Datei ist nicht UTF-8-kodiert", "Bitte als UTF-8 speichern")]
        ) from None
    except yaml.YAMLError as exc:
        raise DataError([_syntaxfehler(path.name, text, exc)]) from None
    if doppelt:
        schluessel, erste, zweite = doppelt
        raise DataError(
            [
                Problem(
                    path.name,
                    f"Schlüssel steht zweimal (Zeilen {erste} und {zweite})",
                    "Bitte eine der beiden Zeilen löschen (sonst gälte ohne Hinweis die zweite)",
                    zeile=zweite,
                    spalte=schluessel,
                )
            ]
        )
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataError(
            [
                Problem(
                    path.name,
                    "Datei enthält keine Zuordnung 'schlüssel: wert'",
                    "Bitte die Vorlage aus der Dokumentation verwenden",
                )
            ]
        )
    return data


def load_annahmen(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Annahmen:
    """Load the assumptions: defaults, then the user's file, then explicit overrides.

    Mappings merge key by key (a user file with only ``stellen:
    betreuungsschluessel: 80`` keeps every other default); lists and single
    values replace the default.

    Parameters
    ----------
    path : Path, optional
        A user ``annahmen.yaml``; missing or ``None`` means defaults only.
    overrides : dict, optional
        Nested overrides, e.g. ``{"stellen": {"betreuungsschluessel": 80}}``.

    Returns
    -------
    Annahmen
        The merged, checked assumptions.

    Raises
    ------
    DataError
        If the file cannot be read or a value is invalid (German, naming the
        file, the key, the value and the allowed values).
    """
    result = Annahmen()
    if path is not None and Path(path).exists():
        user = read_yaml(Path(path))
        result = validate_annahmen(merge(result.model_dump(), user), Path(path).name)
    if overrides:
        result = result.mit(overrides, "Parameter 'annahmen'")
    return result


def kommune_overrides(folder: Path, ags: str) -> dict[str, Any]:
    """Assumptions of one Kommune: ``annahmen_<ags>.yaml`` in the Arbeitsmappe, if present.

    They override the Kreis's ``annahmen.yaml`` for that Kommune's report only.

    Returns
    -------
    dict
        The file's mapping as read (empty without a file), to be merged by
        :func:`load_annahmen`.

    Raises
    ------
    DataError
        If the file is unreadable or a value is invalid over the defaults.
    """
    path = Path(folder) / f"annahmen_{ags}.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path)
    Annahmen().mit(data, path.name)
    return data
