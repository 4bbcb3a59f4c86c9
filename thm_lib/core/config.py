"""Assumptions (``annahmen.yaml``): shipped defaults merged with the user's file."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thm_lib.core.errors import DataError, Problem

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
        raise DataError(
            [Problem(path.name, "Datei ist nicht UTF-8-kodiert", "Bitte als UTF-8 speichern")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        zeile = mark.line + 1 if mark is not None else None
        raise DataError(
            [
                Problem(
                    path.name,
                    "YAML-Syntaxfehler",
                    "Bitte Einrückung und Doppelpunkte prüfen",
                    zeile=zeile,
                )
            ]
        ) from None
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


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (mappings merge, others replace)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


#: Sections whose keys are data (a Handlungsfeld, a pay grade), not fixed settings.
OPEN_MAPS = frozenset({"bedarf.standardquoten", "finanzierung.personalkosten_je_vzae"})


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "ja/nein"
    if isinstance(value, int | float):
        return "Zahl"
    if isinstance(value, str):
        return "Text"
    if isinstance(value, list):
        return "Liste"
    if isinstance(value, dict):
        return "Zuordnung"
    return "leer" if value is None else type(value).__name__


def _check_shape(data: Any, default: Any, key: str, datei: str) -> list[Problem]:
    """Compare a user value with the shape of its default (mapping, list, number, text)."""
    if default is None or data is None:
        return []
    want, got = _kind(default), _kind(data)
    if want == "Zahl" and got == "Zahl":
        return []
    if want != got:
        return [
            Problem(
                datei,
                f"muss {'eine ' if want != 'ja/nein' else ''}{want} sein, ist {got}",
                "Bitte wie in der Vorlage (docs/annahmen.md) angeben",
                spalte=key,
                wert=str(data),
            )
        ]
    if want != "Zuordnung":
        return []
    problems = []
    for sub, value in data.items():
        path = f"{key}.{sub}" if key else str(sub)
        if key in OPEN_MAPS:
            sample = next(iter(default.values()), None)
            problems += _check_shape(value, sample, path, datei)
        elif sub not in default:
            problems.append(
                Problem(
                    datei,
                    "unbekannter Schlüssel",
                    "Erlaubt: " + ", ".join(map(str, default)),
                    spalte=path,
                )
            )
        else:
            problems += _check_shape(value, default[sub], path, datei)
    return problems


def _check_annahmen(data: dict[str, Any], datei: str) -> list[Problem]:
    return _check_shape(data, default_annahmen(), "", datei)


def _check_values(a: dict[str, Any], datei: str) -> list[Problem]:
    problems = []

    def need(ok: bool, key: str, msg: str) -> None:
        if not ok:
            problems.append(Problem(datei, msg, spalte=key))

    def number(section: str, key: str) -> float | None:
        value = a[section].get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(
                Problem(datei, "muss eine Zahl sein", spalte=f"{section}.{key}", wert=str(value))
            )
            return None
        return float(value)

    z = a["zielgruppe"]
    lo, hi = number("zielgruppe", "alter_min"), number("zielgruppe", "alter_max")
    if lo is not None and hi is not None:
        need(lo <= hi, "zielgruppe.alter_min", "alter_min darf nicht größer als alter_max sein")
    bad = [s for s in z.get("status", []) if s not in ("duldung", "gestattung", "sonstige")]
    need(
        not bad,
        "zielgruppe.status",
        f"unbekannter Status {bad}; erlaubt: duldung, gestattung, sonstige",
    )
    for key in ("mindestfaelle", "inanspruchnahme"):
        v = number("bedarf", key)
        if v is not None:
            need(v >= 0, f"bedarf.{key}", "darf nicht negativ sein")
    for key in ("schwelle", "umwegfaktor", "geschwindigkeit_kmh"):
        v = number("erreichbarkeit", key)
        if v is not None:
            need(v > 0, f"erreichbarkeit.{key}", "muss größer als 0 sein")
    need(
        a["erreichbarkeit"].get("gewichtung") in ("stufe", "linear", "gauss", "gravitation"),
        "erreichbarkeit.gewichtung",
        "erlaubt: stufe, linear, gauss, gravitation",
    )
    need(
        a["erreichbarkeit"].get("einheit") in ("minuten", "km"),
        "erreichbarkeit.einheit",
        "erlaubt: minuten, km",
    )
    lo, hi = number("versorgung", "untere_schwelle"), number("versorgung", "obere_schwelle")
    if lo is not None and hi is not None:
        need(
            0 <= lo <= hi,
            "versorgung.untere_schwelle",
            "untere_schwelle muss zwischen 0 und obere_schwelle liegen",
        )
    s = number("datenschutz", "schwelle")
    if s is not None:
        need(
            s >= 1 and float(s).is_integer(),
            "datenschutz.schwelle",
            "muss eine ganze Zahl ab 1 sein",
        )
    felder = a.get("handlungsfelder") or []
    ok_felder = all(isinstance(f, str) and f.strip() for f in felder)
    need(
        bool(felder) and ok_felder and len(set(felder)) == len(felder),
        "handlungsfelder",
        "muss eine Liste verschiedener, nicht leerer Namen sein, z. B. [Sprache, Arbeit]",
    )
    quoten = a["bedarf"].get("standardquoten") or {}
    ohne = [f for f in felder if isinstance(f, str) and f not in quoten]
    need(
        not ohne,
        "bedarf.standardquoten",
        f"für die Handlungsfelder {', '.join(ohne)} fehlt "
        "eine Standardquote (Bedarfsquote, wenn es zu wenige Fälle gibt); bitte unter "
        "bedarf.standardquoten ergänzen, z. B. 'Mobilität: 0.2'",
    )
    for key, rate in a["bedarf"].get("standardquoten", {}).items():
        need(
            isinstance(rate, int | float) and 0 <= rate <= 1,
            f"bedarf.standardquoten.{key}",
            "Quote muss zwischen 0 und 1 liegen",
        )
    bands = z.get("altersgruppen") or []
    ok_bands = all(
        isinstance(b, list) and len(b) == 2 and all(isinstance(x, int) for x in b) and b[0] <= b[1]
        for b in bands
    )
    need(
        bool(bands) and ok_bands,
        "zielgruppe.altersgruppen",
        "muss eine Liste von [von, bis]-Paaren ganzer Zahlen sein, z. B. [[18, 20], [21, 27]]",
    )
    a_lo, a_hi = z.get("alter_min"), z.get("alter_max")
    if (
        bands
        and ok_bands
        and all(isinstance(x, int) and not isinstance(x, bool) for x in (a_lo, a_hi))
        and a_lo <= a_hi
    ):
        problems += check_altersgruppen(bands, a_lo, a_hi, datei)
    g = number("erreichbarkeit", "gravitation_mindestkosten")
    if g is not None:
        need(g > 0, "erreichbarkeit.gravitation_mindestkosten", "muss größer als 0 sein")
    k = a["karten"]
    need(
        k.get("klassifikation") in ("natural_breaks", "quantiles"),
        "karten.klassifikation",
        "erlaubt: natural_breaks, quantiles",
    )
    klassen = number("karten", "klassen")
    if klassen is not None:
        need(
            2 <= klassen <= 9 and klassen.is_integer(),
            "karten.klassen",
            "muss eine ganze Zahl von 2 bis 9 sein",
        )
    symbol = a["datenschutz"].get("zeichen_geheim")
    need(
        isinstance(symbol, str) and symbol != "" and not any(c.isdigit() for c in symbol),
        "datenschutz.zeichen_geheim",
        "muss ein Zeichen ohne Ziffern sein, z. B. '.'",
    )
    # the staffing and funding sections are checked by their own modules

    problems += check_stellen_annahmen(a, datei) + check_finanzierung_annahmen(a, datei)
    return problems


def _spans(years: list[int]) -> str:
    """Consecutive years as German ranges: ``[18, 19, 20, 25]`` -> ``"18–20, 25"``."""
    out: list[str] = []
    for y in years:
        if out and int(out[-1].split("–")[-1]) == y - 1:
            out[-1] = f"{out[-1].split('–')[0]}–{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


def check_altersgruppen(
    bands: list[list[int]], alter_min: int, alter_max: int, datei: str = "annahmen.yaml"
) -> list[Problem]:
    """Check that the age groups cover ``alter_min..alter_max`` exactly once.

    Groups may reach beyond the range (they are cut to it), but within it every
    age must lie in exactly one group: an overlap would count persons twice
    (shares above 100 %), a gap would lose them (shares below 100 %).

    Parameters
    ----------
    bands : list of [von, bis]
        ``zielgruppe.altersgruppen`` (inclusive, already checked as pairs).
    alter_min, alter_max : int
        ``zielgruppe.alter_min`` and ``alter_max``.
    datei : str
        File name used in the messages.

    Returns
    -------
    list of Problem
        At most one problem, naming the key, the groups and the ages concerned.

    Examples
    --------
    >>> check_altersgruppen([[18, 20], [21, 27]], 18, 27)
    []
    >>> print(check_altersgruppen([[18, 21], [21, 27]], 18, 27)[0].meldung)
    Altersgruppen überschneiden sich: Alter 21 in [18, 21] und [21, 27]
    """
    doppelt: dict[int, list[list[int]]] = {}
    fehlt = []
    for year in range(alter_min, alter_max + 1):
        hits = [b for b in bands if b[0] <= year <= b[1]]
        if len(hits) > 1:
            doppelt[year] = hits
        elif not hits:
            fehlt.append(year)
    teile = []
    if doppelt:
        paare: dict[str, list[int]] = {}
        for year, hits in doppelt.items():
            paare.setdefault(" und ".join(str(b) for b in hits), []).append(year)
        teile.append(
            "Altersgruppen überschneiden sich: "
            + "; ".join(f"Alter {_spans(years)} in {groups}" for groups, years in paare.items())
        )
    if fehlt:
        teile.append(f"keine Altersgruppe enthält Alter {_spans(fehlt)}")
    if not teile:
        return []
    return [
        Problem(
            datei,
            "; ".join(teile),
            f"Die Altersgruppen müssen jedes Alter von {alter_min} bis {alter_max} "
            "(zielgruppe.alter_min bis alter_max) genau einmal abdecken: jede Gruppe "
            "beginnt ein Jahr nach dem Ende der vorigen, z. B. [[18, 20], [21, 24], "
            "[25, 27]]",
            spalte="zielgruppe.altersgruppen",
            wert=str(bands),
        )
    ]


def load_annahmen(
    path: Path | None = None, overrides: dict[str, Any] | None = None
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
        problems = _check_shape(overrides, default_annahmen(), "", "Parameter 'annahmen'")
        if problems:
            raise DataError(problems)
        result = merge(result, overrides)
    problems = _check_values(result, datei)
    if problems:
        raise DataError(problems)
    return result


def checked_section(annahmen: dict[str, Any], section: str, check: Any) -> dict[str, Any]:
    """``annahmen[section]`` after ``check(annahmen)`` found no problem (else DataError).

    For modules that also accept assumptions not loaded through
    :func:`load_annahmen` (tests, scenarios).
    """
    problems = check(annahmen)
    if problems:
        raise DataError(problems)
    return annahmen[section]


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


# ------------------------------------------------- sections of staffing and funding

RUNDUNG = (None, 0.05, 0.5)
"""Allowed rounding steps of positions (``stellen.rundung``)."""


def _zahl(x: float) -> str:
    """German number format without trailing zeros (``0,5``, ``1``, ``8,5``)."""
    return f"{x:g}".replace(".", ",")


def check_stellen_annahmen(
    annahmen: Mapping[str, Any], datei: str = "annahmen.yaml"
) -> list[Problem]:
    """Check the ``stellen`` section of the assumptions.

    Parameters
    ----------
    annahmen : mapping
        Merged assumptions.
    datei : str
        File name used in the messages.

    Returns
    -------
    list of Problem
        Empty when everything is valid.
    """
    s = annahmen.get("stellen") or {}
    problems: list[Problem] = []

    def number(
        key: str,
        lo: float | None = None,
        hi: float | None = None,
        positive: bool = False,
        optional: bool = False,
    ) -> None:
        v = s.get(key)
        if v is None and optional:
            return
        if isinstance(v, bool) or not isinstance(v, int | float):
            problems.append(
                Problem(datei, "muss eine Zahl sein", spalte=f"stellen.{key}", wert=str(v))
            )
            return
        if positive and v <= 0:
            problems.append(
                Problem(datei, "muss größer als 0 sein", spalte=f"stellen.{key}", wert=str(v))
            )
        if lo is not None and v < lo:
            problems.append(
                Problem(
                    datei,
                    f"darf nicht kleiner als {_zahl(lo)} sein",
                    spalte=f"stellen.{key}",
                    wert=str(v),
                )
            )
        if hi is not None and v > hi:
            problems.append(
                Problem(
                    datei,
                    f"darf nicht größer als {_zahl(hi)} sein",
                    spalte=f"stellen.{key}",
                    wert=str(v),
                )
            )

    number("erreichungsquote", 0, 1)
    basis = s.get("erreichung_status")
    if (
        not isinstance(basis, list)
        or not basis
        or any(b not in ("duldung", "gestattung", "sonstige") for b in basis)
    ):
        problems.append(
            Problem(
                datei,
                "muss eine Liste von Status sein (duldung, gestattung, "
                "sonstige), auf die sich die Erreichungsquote bezieht",
                "Standard: [duldung] (KOKIP: 400 Fälle je rund 850 Geduldete)",
                spalte="stellen.erreichung_status",
                wert=str(basis),
            )
        )
    number("betreuungsschluessel", positive=True)
    number("steuerungsanteil", 0)
    number("stunden_je_fall", 0, optional=True)
    number("netto_jahresarbeitsstunden", positive=True)
    r = s.get("rundung")
    if r not in RUNDUNG and r != "keine":
        problems.append(
            Problem(
                datei, "erlaubt: keine (leer), 0.05, 0.5", spalte="stellen.rundung", wert=str(r)
            )
        )
    return problems


def check_finanzierung_annahmen(
    annahmen: Mapping[str, Any], datei: str = "annahmen.yaml"
) -> list[Problem]:
    """Check the ``finanzierung`` section of the assumptions; empty list when valid."""
    f = annahmen.get("finanzierung") or {}
    problems: list[Problem] = []

    def bad(key: str, msg: str, wert: Any) -> None:
        problems.append(Problem(datei, msg, spalte=f"finanzierung.{key}", wert=str(wert)))

    def is_num(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    kosten = f.get("personalkosten_je_vzae")
    if not isinstance(kosten, dict) or not kosten:
        bad("personalkosten_je_vzae", "muss Entgeltgruppen mit Beträgen enthalten", kosten)
    else:
        for grade, value in kosten.items():
            if not is_num(value) or value < 0:
                bad(f"personalkosten_je_vzae.{grade}", "muss ein Betrag ab 0 sein", value)
        if f.get("entgeltgruppe") not in kosten:
            bad(
                "entgeltgruppe",
                "ist nicht unter personalkosten_je_vzae aufgeführt; erlaubt: "
                + ", ".join(map(str, kosten)),
                f.get("entgeltgruppe"),
            )
    sach = f.get("sachkosten_je_vzae")
    if sach is not None and (not is_num(sach) or sach < 0):
        bad("sachkosten_je_vzae", "muss leer oder ein Betrag ab 0 sein", sach)
    zuschlag = f.get("sachkostenzuschlag")
    if not is_num(zuschlag) or zuschlag < 0:
        bad("sachkostenzuschlag", "muss eine Zahl ab 0 sein (0.2 für 20 %)", zuschlag)
    jahre = f.get("planungsjahre")
    if not isinstance(jahre, int) or isinstance(jahre, bool) or jahre < 1:
        bad("planungsjahre", "muss eine ganze Zahl ab 1 sein", jahre)
    return problems
