"""Funding programmes (``programm.yaml``) as validated configuration.

A programme holds the rules that come from the funder: the funding period, who
is counted for the staffing key, the key itself with its minimum and
full-position threshold, and the funding rate, eligible cost types and caps.
Local assumptions (personnel cost per FTE, workplace costs, reach rate) are not
programme rules; they live in ``annahmen.yaml`` (sections ``stellen`` and
``finanzierung``).

The schema is declared with pydantic (already installed as a dependency of
pandera) in strict mode: no silent coercion of ``"0,9"`` or ``true`` into
numbers, unknown keys are rejected (typos). pydantic's English messages are
translated into German per error type, and every message names the field
(e.g. ``foerderung.foerdersatz``). See ``docs/annahmen.md`` for every default
and its source.

Returned structure (stable; ``dict`` of plain Python values)::

    name: str, kurzname: str, quelle: str, basis: str | None
    zeitraum: {beginn: date, ende: date | None}          # None = open-ended
    zaehlung: {status: list[str], alter_min: int, alter_max: int, einfrieren: bool}
    stellenregel: {schluessel: float, mindeststellen: float | None,
                   mindeststellen_nur_mit_gs: bool, volle_stelle_ab: float | None,
                   volle_stelle: float}
    foerderung: {foerdersatz: float, foerdersatz_haushaltssicherung: float,
                 foerdersatz_begruendung: str,           # why the rates are what they are
                 foerderfaehig: list[str],               # "personal", "sachkosten"
                 hoechstbetrag_je_vzae_jahr: float | None,
                 hoechstbetrag_jahr: float | None,
                 antrag_nur_mit_gs: bool}                # only Kommunen with a GS may apply
"""

from __future__ import annotations

import calendar
import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from thm_lib.core.config import merge, read_yaml
from thm_lib.core.errors import DataError, Problem

DEFAULTS_PACKAGE = "thm_lib.defaults"
DEFAULT_NAME = "thm"
SHIPPED = ("thm", "kim")
DATEI = "programm.yaml"

_Status = Literal["duldung", "gestattung", "sonstige"]  # = thm_lib.core.labels.STATUS (tested)
_Kostenart = Literal["personal", "sachkosten"]


def _to_date(value: Any, month_end: bool) -> Any:
    """Accept ``date``, ``datetime``, ``"JJJJ-MM-TT"`` and ``"JJJJ-MM"`` (month start/end)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 7:
                year, month = (int(p) for p in text.split("-"))
                day = calendar.monthrange(year, month)[1] if month_end else 1
                return dt.date(year, month, day)
            return dt.date.fromisoformat(text)
        except ValueError:
            return value  # left to the type check: "muss ein Datum sein"
    return value


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Zeitraum(_Model):
    """Funding period; ``ende`` None means open-ended."""

    beginn: dt.date
    ende: dt.date | None

    @field_validator("beginn", mode="before")
    @classmethod
    def _beginn(cls, v: Any) -> Any:
        return _to_date(v, month_end=False)

    @field_validator("ende", mode="before")
    @classmethod
    def _ende(cls, v: Any) -> Any:
        return _to_date(v, month_end=True)

    @model_validator(mode="after")
    def _order(self) -> Zeitraum:
        if self.ende is not None and self.ende < self.beginn:
            raise ValueError("zeitraum.ende: Ende liegt vor dem Beginn")
        return self


class Zaehlung(_Model):
    """Who is counted for the staffing key."""

    status: list[_Status] = Field(min_length=1)
    alter_min: int = Field(ge=0, le=120)
    alter_max: int = Field(ge=0, le=120)
    einfrieren: bool = True

    @model_validator(mode="after")
    def _ages(self) -> Zaehlung:
        if self.alter_min > self.alter_max:
            raise ValueError("zaehlung.alter_min: darf nicht größer als alter_max sein")
        return self


class Stellenregel(_Model):
    """The staffing key: persons per position, minimum, full-position threshold."""

    schluessel: float = Field(gt=0)
    mindeststellen: float | None = Field(default=None, ge=0)
    mindeststellen_nur_mit_gs: bool = True
    volle_stelle_ab: float | None = Field(default=None, ge=0)
    volle_stelle: float = Field(default=1.0, gt=0)


class Foerderung(_Model):
    """Funding rate, eligible cost types and caps."""

    foerdersatz: float = Field(ge=0, le=1)
    foerdersatz_haushaltssicherung: float | None = Field(default=None, ge=0, le=1)
    foerdersatz_begruendung: str = ""
    foerderfaehig: list[_Kostenart] = Field(min_length=1)
    hoechstbetrag_je_vzae_jahr: float | None = Field(default=None, ge=0)
    hoechstbetrag_jahr: float | None = Field(default=None, ge=0)
    antrag_nur_mit_gs: bool = False

    @model_validator(mode="after")
    def _fill(self) -> Foerderung:
        if self.foerdersatz_haushaltssicherung is None:
            self.foerdersatz_haushaltssicherung = self.foerdersatz
        return self


class Programm(_Model):
    """A funding programme (see the module docstring for the structure)."""

    name: str = Field(min_length=1)
    kurzname: str = ""
    quelle: str = ""
    basis: str | None = None
    zeitraum: Zeitraum
    zaehlung: Zaehlung
    stellenregel: Stellenregel
    foerderung: Foerderung


_MESSAGES = {
    "missing": "Pflichtfeld fehlt",
    "extra_forbidden": "unbekanntes Feld (Tippfehler?)",
    "float_type": "muss eine Zahl sein (Dezimalpunkt, z. B. 0.9)",
    "int_type": "muss eine ganze Zahl sein",
    "bool_type": "muss true oder false sein",
    "string_type": "muss ein Text sein",
    "date_type": "muss ein Datum sein (JJJJ-MM-TT oder JJJJ-MM)",
    "list_type": "muss eine Liste sein, z. B. [duldung]",
    "model_type": "muss Unterschlüssel haben",
    "dict_type": "muss Unterschlüssel haben",
    "too_short": "darf nicht leer sein",
    "string_too_short": "darf nicht leer sein",
    "literal_error": "unbekannter Wert; erlaubt: {expected}",
    "greater_than_equal": "darf nicht kleiner als {ge} sein",
    "greater_than": "muss größer als {gt} sein",
    "less_than_equal": "darf nicht größer als {le} sein",
    "less_than": "muss kleiner als {lt} sein",
}
_HINTS = {
    "foerderung.foerdersatz": "Fördersatz als Anteil angeben, z. B. 0.9 für 90 %",
    "foerderung.foerdersatz_haushaltssicherung": "Als Anteil angeben, z. B. 0.9 für 90 %",
}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _problems(exc: ValidationError, datei: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        kind = err["type"]
        if kind == "value_error":
            text = str(err["ctx"]["error"])
            field, _, text = text.partition(": ")
        else:
            field = ".".join(loc)
            ctx = {k: _number(v).replace(" or ", ", ") for k, v in (err.get("ctx") or {}).items()}
            text = _MESSAGES.get(kind, err["msg"]).format(**ctx)
        wert = None if kind in ("missing", "model_type") else err.get("input")
        if isinstance(wert, dict | list):
            wert = None
        hinweis = _HINTS.get(field, "")
        problems.append(
            Problem(
                datei,
                f"Feld '{field}': {text}",
                hinweis,
                wert=None if wert is None else str(wert)[:60],
            )
        )
    return problems


def _shipped(name: str) -> dict[str, Any]:
    if name not in SHIPPED:
        raise DataError(
            [
                Problem(
                    DATEI,
                    f"Feld 'basis': unbekanntes Programm '{name}'",
                    "Erlaubt: " + ", ".join(SHIPPED),
                )
            ]
        )
    text = resources.files(DEFAULTS_PACKAGE).joinpath(f"programm_{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def validate_programm(data: dict[str, Any], datei: str = DATEI) -> dict[str, Any]:
    """Validate a programme mapping and return it with defaults filled in.

    If ``data`` has a key ``basis`` (``thm`` or ``kim``), it is deep-merged
    onto that shipped programme first, so a user file may change single values.

    Parameters
    ----------
    data : dict
        The programme as read from YAML (or built in code, e.g. for scenarios).
    datei : str
        File name used in error messages.

    Returns
    -------
    dict
        The validated programme (structure in the module docstring).

    Raises
    ------
    DataError
        German messages, one per problem, each naming the field.
    """
    if not isinstance(data, dict):
        raise DataError([Problem(datei, "Datei enthält keine Zuordnung 'schlüssel: wert'")])
    basis = data.get("basis")
    if basis is not None:
        data = merge(_shipped(str(basis)), data)
    try:
        model = Programm.model_validate(data)
    except ValidationError as exc:
        raise DataError(_problems(exc, datei)) from None
    return model.model_dump()


def default_programm(name: str = DEFAULT_NAME) -> dict[str, Any]:
    """Return a fresh, validated copy of a shipped programme.

    Parameters
    ----------
    name : {"thm", "kim"}
        ``thm``: Teilhabemanagement, Förderbaustein 6 (the default);
        ``kim``: a KIM-like case-management example with another key and rate.

    Raises
    ------
    DataError
        If ``name`` is not a shipped programme.
    """
    return validate_programm(_shipped(name), f"programm_{name}.yaml")


def load_programm(path: Path | None = None) -> dict[str, Any]:
    """Load and validate a ``programm.yaml``; the THM default if there is none.

    Parameters
    ----------
    path : Path, optional
        The user's programme file; ``None`` or a missing file gives
        :func:`default_programm`.

    Returns
    -------
    dict
        The validated programme.

    Raises
    ------
    DataError
        If the file cannot be read or a field is missing or invalid.
    """
    if path is None or not Path(path).exists():
        return default_programm()
    path = Path(path)
    return validate_programm(read_yaml(path), path.name)
