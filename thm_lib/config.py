"""Assumptions (``annahmen.yaml``): shipped defaults merged with the user's file."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thm_lib.errors import DataError, Problem

DEFAULTS_PACKAGE = "thm_lib.defaults"


def default_annahmen() -> dict[str, Any]:
    """Return a fresh copy of the shipped default assumptions."""
    text = resources.files(DEFAULTS_PACKAGE).joinpath("annahmen.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning syntax errors into a German :class:`DataError`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError([Problem(path.name, "Datei ist nicht UTF-8-kodiert",
                                 "Bitte als UTF-8 speichern")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        zeile = mark.line + 1 if mark is not None else None
        raise DataError([Problem(path.name, "YAML-Syntaxfehler", "Bitte Einrückung und "
                                 "Doppelpunkte prüfen", zeile=zeile)]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DataError([Problem(path.name, "Datei enthält keine Zuordnung 'schlüssel: wert'",
                                 "Bitte die Vorlage aus der Dokumentation verwenden")])
    return data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (mappings merge, others replace)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_annahmen(data: dict[str, Any], datei: str) -> list[Problem]:
    defaults = default_annahmen()
    problems = []
    for section, value in data.items():
        if section not in defaults:
            problems.append(Problem(datei, f"unbekannter Abschnitt '{section}'",
                                    "Erlaubt: " + ", ".join(defaults)))
        elif isinstance(defaults[section], dict) and not isinstance(value, dict):
            problems.append(Problem(datei, f"Abschnitt '{section}' muss Unterschlüssel haben"))
    return problems


def _check_values(a: dict[str, Any], datei: str) -> list[Problem]:
    problems = []

    def need(ok: bool, key: str, msg: str) -> None:
        if not ok:
            problems.append(Problem(datei, msg, spalte=key))

    def number(section: str, key: str) -> float | None:
        value = a[section].get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(Problem(datei, "muss eine Zahl sein", spalte=f"{section}.{key}",
                                    wert=str(value)))
            return None
        return float(value)

    z = a["zielgruppe"]
    lo, hi = number("zielgruppe", "alter_min"), number("zielgruppe", "alter_max")
    if lo is not None and hi is not None:
        need(lo <= hi, "zielgruppe.alter_min", "alter_min darf nicht größer als alter_max sein")
    bad = [s for s in z.get("status", []) if s not in ("duldung", "gestattung", "sonstige")]
    need(not bad, "zielgruppe.status", f"unbekannter Status {bad}; erlaubt: duldung, "
         "gestattung, sonstige")
    for key in ("mindestfaelle", "inanspruchnahme"):
        v = number("bedarf", key)
        if v is not None:
            need(v >= 0, f"bedarf.{key}", "darf nicht negativ sein")
    for key in ("schwelle", "umwegfaktor", "geschwindigkeit_kmh"):
        v = number("erreichbarkeit", key)
        if v is not None:
            need(v > 0, f"erreichbarkeit.{key}", "muss größer als 0 sein")
    need(a["erreichbarkeit"].get("gewichtung") in ("stufe", "linear", "gauss", "gravitation"),
         "erreichbarkeit.gewichtung", "erlaubt: stufe, linear, gauss, gravitation")
    need(a["erreichbarkeit"].get("einheit") in ("minuten", "km"), "erreichbarkeit.einheit",
         "erlaubt: minuten, km")
    lo, hi = number("versorgung", "untere_schwelle"), number("versorgung", "obere_schwelle")
    if lo is not None and hi is not None:
        need(0 <= lo <= hi, "versorgung.untere_schwelle",
             "untere_schwelle muss zwischen 0 und obere_schwelle liegen")
    s = number("datenschutz", "schwelle")
    if s is not None:
        need(s >= 1 and float(s).is_integer(), "datenschutz.schwelle",
             "muss eine ganze Zahl ab 1 sein")
    for key, rate in a["bedarf"].get("standardquoten", {}).items():
        need(isinstance(rate, int | float) and 0 <= rate <= 1,
             f"bedarf.standardquoten.{key}", "Quote muss zwischen 0 und 1 liegen")
    symbol = a["datenschutz"].get("zeichen_geheim")
    need(isinstance(symbol, str) and symbol != "" and not any(c.isdigit() for c in symbol),
         "datenschutz.zeichen_geheim", "muss ein Zeichen ohne Ziffern sein, z. B. '.'")
    # the staffing and funding sections are checked by their own modules
    from thm_lib.funding import check_finanzierung_annahmen
    from thm_lib.staffing import check_stellen_annahmen

    problems += check_stellen_annahmen(a, datei) + check_finanzierung_annahmen(a, datei)
    return problems


def load_annahmen(path: Path | None = None, overrides: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    """Load the assumptions: defaults, then the user's file, then explicit overrides.

    Parameters
    ----------
    path : Path, optional
        A user ``annahmen.yaml``; missing or ``None`` means defaults only.
    overrides : dict, optional
        Nested overrides, e.g. ``{"stellen": {"betreuungsschluessel": 80}}``.

    Returns
    -------
    dict
        The merged, checked assumptions.

    Raises
    ------
    DataError
        If the file cannot be read or a value is invalid.
    """
    result = default_annahmen()
    datei = "annahmen.yaml"
    if path is not None and Path(path).exists():
        user = read_yaml(Path(path))
        problems = _check_annahmen(user, datei)
        if problems:
            raise DataError(problems)
        result = merge(result, user)
    if overrides:
        result = merge(result, overrides)
    problems = _check_values(result, datei)
    if problems:
        raise DataError(problems)
    return result


def kommune_overrides(folder: Path, ags: str) -> dict[str, Any]:
    """Assumptions of one Kommune: ``annahmen_<ags>.yaml`` in the Arbeitsmappe, if present.

    They override the Kreis's ``annahmen.yaml`` for that Kommune's report only.

    Raises
    ------
    DataError
        If the file is unreadable or names unknown sections; values are checked
        when merged by :func:`load_annahmen`.
    """
    path = Path(folder) / f"annahmen_{ags}.yaml"
    if not path.exists():
        return {}
    data = read_yaml(path)
    problems = _check_annahmen(data, path.name)
    problems = problems or _check_values(merge(default_annahmen(), data), path.name)
    if problems:
        raise DataError(problems)
    return data
