"""Typed assumptions (``annahmen.yaml``): the pydantic model tree and its German errors.

The model is the one place of the defaults: :class:`Annahmen` built without
arguments holds every standard value (sources in ``docs/annahmen.md``). The
shipped ``thm_lib/defaults/annahmen.yaml`` is the commented copy users read; a
test checks that it equals the model's defaults.

Every section is a frozen model with unknown keys forbidden (a typo such as
``betreuungschluessel`` is an error naming the allowed keys). Only
``bedarf.standardquoten`` and ``finanzierung.personalkosten_je_vzae`` are open
maps: their keys are data (a Handlungsfeld, a pay grade). Values are checked
strictly as in ``programm.yaml`` (``"0,9"`` or ``true`` are not numbers). A
user's file is merged over the defaults by :func:`thm_lib.core.config.load_annahmen`;
:func:`validate_annahmen` turns pydantic's errors into one German
:class:`~thm_lib.core.errors.Problem` per key, naming the key path, the value, the
allowed values and the default.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import MISSING

DATEI = "annahmen.yaml"
#: Dates in ``annahmen.yaml``: ISO (YAML reads it as a date) or German in quotes.
DATUMSFORMATE = ("%Y-%m-%d", "%d.%m.%Y")

Status = Literal["duldung", "gestattung", "sonstige"]  # = thm_lib.core.labels.STATUS (tested)


def _ganz(value: Any) -> Any:
    """Accept ``5.0`` where a whole number is asked for (YAML users write either)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A number as written: ``45`` stays ``45``, ``0.47`` stays ``0.47`` (no bool, no text).
Zahl = int | float
#: A whole number; ``5.0`` is accepted as ``5``.
GanzeZahl = Annotated[int, BeforeValidator(_ganz)]

_JA_NEIN = "true oder false"
_DATUM = 'ein Datum als JJJJ-MM-TT (z. B. 2021-12-31) oder "TT.MM.JJJJ", oder leer (null)'
_LEER = " oder leer (null)"


def _feld(default: Any, erlaubt: str, **constraints: Any) -> Any:
    """A field with its default and the German text of its allowed values."""
    return Field(default, description=erlaubt, **constraints)


def _fehler(meldung: str, feld: str = "", hinweis: str = "", wert: Any = None) -> Exception:
    """A validation error with a German message for a (relative) key ``feld``."""
    ctx = {"meldung": meldung, "feld": feld, "hinweis": hinweis}
    if wert is not None:
        ctx["wert"] = str(wert)
    return PydanticCustomError("thm", "{meldung}", ctx)


def _datum(value: Any) -> Any:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        for fmt in DATUMSFORMATE:
            try:
                return dt.datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    raise _fehler(
        "kein gültiges Datum",
        hinweis="Bitte als TT.MM.JJJJ oder JJJJ-MM-TT eintragen, z. B. 2021-12-31",
    )


class Abschnitt(BaseModel):
    """Base of every section: strict, frozen (read only), unknown keys forbidden."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


DateOrNone = Annotated[dt.date | None, BeforeValidator(_datum)]


class Kreis(Abschnitt):
    """The Kreis of the Arbeitsmappe."""

    name: str | None = _feld(None, 'ein Text, z. B. "Kreis Borken",' + _LEER)
    ags: str | None = _feld(None, '2 bis 5 Ziffern in Anführungszeichen, z. B. "05554",' + _LEER)
    stichtag: DateOrNone = _feld(None, _DATUM)
    geschaeftsfuehrende_stelle: bool = _feld(True, _JA_NEIN)
    haushaltssicherung: bool = _feld(False, _JA_NEIN)
    stellen_bestand: Zahl | None = _feld(None, "eine Zahl ab 0 (VZÄ)" + _LEER, ge=0)
    stichtag_erstantrag: DateOrNone = _feld(None, _DATUM)

    @field_validator("ags", mode="before")
    @classmethod
    def _ags(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{2,5}", v.strip()):
            return v.strip()
        raise _fehler(
            "Kreisschlüssel muss 2 bis 5 Ziffern in Anführungszeichen sein",
            hinweis='Bitte z. B. ags: "05111" schreiben (ohne Anführungszeichen liest YAML '
            "05111 als Zahl)",
        )


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
    bands: list[list[int]], alter_min: int, alter_max: int, datei: str = DATEI
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


_ALTERSGRUPPEN = "eine Liste von [von, bis]-Paaren ganzer Zahlen, z. B. [[18, 20], [21, 27]]"


class Zielgruppe(Abschnitt):
    """Who belongs to the target group, and the age groups of the segments."""

    alter_min: GanzeZahl = _feld(18, "eine ganze Zahl von 0 bis 120", ge=0, le=120)
    alter_max: GanzeZahl = _feld(27, "eine ganze Zahl von 0 bis 120", ge=0, le=120)
    status: list[Status] = _feld(
        ["duldung", "gestattung"],
        "eine Liste aus duldung, gestattung, sonstige (in Rangfolge), z. B. [duldung, gestattung]",
        min_length=1,
    )
    altersgruppen: list[list[GanzeZahl]] = _feld(
        [[18, 20], [21, 24], [25, 27]], _ALTERSGRUPPEN, min_length=1
    )

    @field_validator("altersgruppen")
    @classmethod
    def _paare(cls, v: list[list[int]]) -> list[list[int]]:
        if not all(len(b) == 2 and b[0] <= b[1] for b in v):
            raise _fehler("jede Gruppe muss ein Paar [von, bis] mit von nicht größer als bis sein")
        return v

    @model_validator(mode="after")
    def _alter(self) -> Zielgruppe:
        if self.alter_min > self.alter_max:
            raise _fehler(
                "alter_min darf nicht größer als alter_max sein",
                "alter_min",
                "Bitte die Altersgrenzen tauschen oder korrigieren",
                self.alter_min,
            )
        for p in check_altersgruppen(self.altersgruppen, self.alter_min, self.alter_max):
            raise _fehler(p.meldung, "altersgruppen", p.hinweis, p.wert)
        return self


STANDARDQUOTEN = {
    "Sprache": 0.6,
    "Schulabschluss": 0.35,
    "Berufsvorbereitung": 0.4,
    "Qualifizierung": 0.3,
    "Ausbildung": 0.3,
    "Arbeit": 0.35,
    "Coaching": 0.5,
    "Aufenthaltsrecht": 0.5,
    "Wohnen": 0.2,
    "Gesundheit": 0.15,
    "Psychosoziales": 0.2,
    "Sonstiges": 0.1,
}

_Quote = Annotated[Zahl, Field(ge=0, le=1)]


class Bedarf(Abschnitt):
    """Need rates: pooling, confidence, take-up and standard rates."""

    mindestfaelle: Zahl = _feld(30, "eine Zahl ab 0", ge=0)
    konfidenz: Zahl = _feld(
        0.95, "eine Zahl größer als 0 und kleiner als 1, z. B. 0.95", gt=0, lt=1
    )
    inanspruchnahme: Zahl = _feld(0.8, "ein Anteil zwischen 0 und 1, z. B. 0.8", ge=0, le=1)
    standardquoten: dict[str, _Quote] = _feld(
        STANDARDQUOTEN,
        "je Handlungsfeld eine Quote zwischen 0 und 1, z. B. 'Sprache: 0.6'",
    )


class Erreichbarkeit(Abschnitt):
    """How reachable an offer is (``docs/methodik_erreichbarkeit.md``)."""

    gewichtung: Literal["stufe", "linear", "gauss", "gravitation"] = _feld(
        "stufe", "stufe, linear, gauss, gravitation"
    )
    einheit: Literal["minuten", "km"] = _feld("minuten", "minuten, km")
    schwelle: Zahl = _feld(45, "eine Zahl größer als 0", gt=0)
    umwegfaktor: Zahl = _feld(1.3, "eine Zahl größer als 0", gt=0)
    geschwindigkeit_kmh: Zahl = _feld(20, "eine Zahl größer als 0", gt=0)
    gauss_sigma: Zahl | None = _feld(None, "eine Zahl größer als 0" + _LEER, gt=0)
    gravitation_exponent: Zahl = _feld(1.0, "eine Zahl größer als 0", gt=0)
    gravitation_mindestkosten: Zahl = _feld(5, "eine Zahl größer als 0", gt=0)


class Versorgung(Abschnitt):
    """Bounds of under- and over-supply (ratio of offers to need)."""

    untere_schwelle: Zahl = _feld(0.75, "eine Zahl von 0 bis obere_schwelle", ge=0)
    obere_schwelle: Zahl = _feld(
        1.10,
        "ein Anteil größer als 0, ab untere_schwelle bis 5 (1.10 für 110 %, nicht 110)",
        gt=0,
        le=5,
    )

    @model_validator(mode="after")
    def _order(self) -> Versorgung:
        if self.untere_schwelle > self.obere_schwelle:
            raise _fehler(
                "untere_schwelle muss zwischen 0 und obere_schwelle liegen",
                "untere_schwelle",
                f"obere_schwelle ist {self.obere_schwelle:g}",
                self.untere_schwelle,
            )
        return self


def _keine(value: Any) -> Any:
    """``rundung: keine`` means no rounding, like an empty value."""
    return None if value == "keine" else value


class Stellen(Abschnitt):
    """Planning assumptions of the caseload and workload models."""

    erreichungsquote: Zahl = _feld(0.47, "ein Anteil zwischen 0 und 1, z. B. 0.47", ge=0, le=1)
    erreichung_status: list[Status] = _feld(
        ["duldung"],
        "eine Liste aus duldung, gestattung, sonstige, auf die sich die Erreichungsquote "
        "bezieht (KOKIP: 400 Fälle je rund 850 Geduldete)",
        min_length=1,
    )
    betreuungsschluessel: Zahl = _feld(100, "eine Zahl größer als 0 (Fälle je VZÄ)", gt=0)
    steuerungsanteil: Zahl = _feld(0.25, "ein Anteil von 0 bis 1 (0.25 für 25 %)", ge=0, le=1)
    stunden_je_fall: Zahl | None = _feld(None, "eine Zahl ab 0" + _LEER, ge=0)
    netto_jahresarbeitsstunden: Zahl = _feld(1600, "eine Zahl größer als 0", gt=0)
    rundung: Annotated[Literal[0.05, 0.5] | None, BeforeValidator(_keine)] = _feld(
        None, "0.05, 0.5 oder leer (null, nicht runden)"
    )


class Finanzierung(Abschnitt):
    """Costs per FTE and the planning horizon of open-ended programmes."""

    personalkosten_je_vzae: dict[str, Annotated[Zahl, Field(ge=0)]] = _feld(
        {"EG 6": 55900, "EG 9b": 71600, "EG 9c": 72300, "EG 14": 100300},
        "je Entgeltgruppe ein Betrag ab 0 (EUR je VZÄ und Jahr), z. B. 'EG 9c: 72300'",
        min_length=1,
    )
    entgeltgruppe: str = _feld("EG 9c", "eine der Entgeltgruppen unter personalkosten_je_vzae")
    sachkosten_je_vzae: Zahl | None = _feld(None, "ein Betrag ab 0" + _LEER, ge=0)
    sachkostenzuschlag: Zahl = _feld(0.20, "ein Anteil von 0 bis 1 (0.2 für 20 %)", ge=0, le=1)
    planungsjahre: GanzeZahl = _feld(3, "eine ganze Zahl ab 1", ge=1)

    @field_validator("entgeltgruppe")
    @classmethod
    def _gruppe(cls, v: str, info: ValidationInfo) -> str:
        kosten = info.data.get("personalkosten_je_vzae")
        if kosten is not None and v not in kosten:
            raise _fehler(
                "ist nicht unter personalkosten_je_vzae aufgeführt",
                hinweis="Erlaubt: " + ", ".join(kosten),
            )
        return v


STRICHE = ("-", "‐", "‒", "–", "—", "−")
"""Dashes a reader takes for the outputs' "no value" (:data:`~thm_lib.core.formats.MISSING`)."""


class Datenschutz(Abschnitt):
    """Suppression threshold and the mark of hidden cells (``docs/datenschutz.md``)."""

    schwelle: GanzeZahl = _feld(
        5, "eine ganze Zahl ab 3 (mit 1 oder 2 schützt die Sperrung nicht: „<2“ heißt 1)", ge=3
    )
    zeichen_geheim: str = _feld(".", "ein Zeichen ohne Ziffern, z. B. '.'", min_length=1)

    @field_validator("zeichen_geheim")
    @classmethod
    def _zeichen(cls, v: str) -> str:
        if any(c.isdigit() for c in v):
            raise _fehler("darf keine Ziffern enthalten")
        if not v.strip():
            raise _fehler("darf nicht leer sein", hinweis="Üblich sind '.' oder 'x'")
        if v.strip() in STRICHE:  # one mark, two meanings: a reader could not tell them apart
            raise _fehler(
                f"darf kein Strich sein: '{MISSING}' steht in den Berichten für „kein Wert“ "
                "(in der amtlichen Statistik für „nichts vorhanden“)",
                hinweis="Üblich sind '.' oder 'x'",
            )
        return v


class Karten(Abschnitt):
    """Maps (``docs/karten.md``)."""

    klassifikation: Literal["natural_breaks", "quantiles"] = _feld(
        "natural_breaks", "natural_breaks, quantiles"
    )
    klassen: GanzeZahl = _feld(5, "eine ganze Zahl von 2 bis 9", ge=2, le=9)
    vereinfachung_m: Zahl | None = _feld(None, "eine Zahl ab 0 (Meter)" + _LEER, ge=0)
    vereinfachung_teile: Zahl = _feld(2000, "eine Zahl größer als 0", gt=0)
    koordinaten_stellen: GanzeZahl = _feld(5, "eine ganze Zahl von 0 bis 15", ge=0, le=15)
    quellenangabe: str = _feld("Gebiete: © GeoBasis-DE / BKG", "ein Text")
    png_groesse_cm: list[Annotated[Zahl, Field(gt=0)]] = _feld(
        [20, 24], "[Breite, Höhe] in cm, z. B. [20, 24]", min_length=2, max_length=2
    )
    png_dpi: GanzeZahl = _feld(150, "eine ganze Zahl ab 10", ge=10)


_BEREICH = "[von, bis, Schritt], z. B. "


class Apps(Abschnitt):
    """Voilà apps of the Bündniskerngruppe (``docs/apps.md``)."""

    top_luecken: GanzeZahl = _feld(5, "eine ganze Zahl ab 1", ge=1)
    angebote_je_luecke: GanzeZahl = _feld(3, "eine ganze Zahl ab 1", ge=1)
    karte_hoehe_px: GanzeZahl = _feld(420, "eine ganze Zahl ab 100", ge=100)
    profil_alter: list[GanzeZahl] = _feld(
        [14, 40], "[von, bis], z. B. [14, 40]", min_length=2, max_length=2
    )
    betreuungsschluessel: list[Zahl] = _feld(
        [20, 200, 5], _BEREICH + "[20, 200, 5]", min_length=3, max_length=3
    )
    erreichungsquote: list[Zahl] = _feld(
        [0.05, 1.0, 0.01], _BEREICH + "[0.05, 1.0, 0.01]", min_length=3, max_length=3
    )
    stunden_je_fall: list[Zahl] = _feld(
        [2, 80, 1], _BEREICH + "[2, 80, 1]", min_length=3, max_length=3
    )
    foerdersatz: list[Zahl] = _feld(
        [0.0, 1.0, 0.05], _BEREICH + "[0.0, 1.0, 0.05]", min_length=3, max_length=3
    )
    personalkosten: list[Zahl] = _feld(
        [30000, 150000, 500], _BEREICH + "[30000, 150000, 500]", min_length=3, max_length=3
    )


_HANDLUNGSFELDER = "eine Liste verschiedener, nicht leerer Namen, z. B. [Sprache, Arbeit]"


class Annahmen(Abschnitt):
    """All assumptions of one Arbeitsmappe; ``Annahmen()`` holds the defaults."""

    kreis: Kreis = Field(default_factory=Kreis)
    zielgruppe: Zielgruppe = Field(default_factory=Zielgruppe)
    handlungsfelder: list[str] = _feld(list(STANDARDQUOTEN), _HANDLUNGSFELDER, min_length=1)
    bedarf: Bedarf = Field(default_factory=Bedarf)
    erreichbarkeit: Erreichbarkeit = Field(default_factory=Erreichbarkeit)
    versorgung: Versorgung = Field(default_factory=Versorgung)
    stellen: Stellen = Field(default_factory=Stellen)
    finanzierung: Finanzierung = Field(default_factory=Finanzierung)
    datenschutz: Datenschutz = Field(default_factory=Datenschutz)
    karten: Karten = Field(default_factory=Karten)
    apps: Apps = Field(default_factory=Apps)

    @field_validator("handlungsfelder")
    @classmethod
    def _felder(cls, v: list[str]) -> list[str]:
        if not all(f.strip() for f in v) or len(set(v)) != len(v):
            raise _fehler(f"muss {_HANDLUNGSFELDER} sein")
        return v

    @model_validator(mode="after")
    def _quoten(self) -> Annahmen:
        ohne = [f for f in self.handlungsfelder if f not in self.bedarf.standardquoten]
        if ohne:
            felder = (
                f"das Handlungsfeld {ohne[0]}"
                if len(ohne) == 1
                else f"die Handlungsfelder {', '.join(ohne)}"
            )
            raise _fehler(
                f"für {felder} fehlt eine Standardquote "
                "(Bedarfsquote, wenn es zu wenige Fälle gibt)",
                "bedarf.standardquoten",
                f"Unter bedarf.standardquoten ergänzen, z. B. '{ohne[0]}: 0.2'",
            )
        return self

    def mit(self, aenderungen: Mapping[str, Any], datei: str = "Parameter 'annahmen'") -> Annahmen:
        """These assumptions with nested changes merged in, checked again.

        Parameters
        ----------
        aenderungen : mapping
            Nested changes, e.g. ``{"stellen": {"betreuungsschluessel": 80}}``;
            mappings merge key by key, other values replace.
        datei : str
            Where the changes come from (named in error messages).

        Returns
        -------
        Annahmen
            A new object; ``self`` is not changed.

        Raises
        ------
        DataError
            If a changed value is invalid.

        Examples
        --------
        >>> Annahmen().mit({"stellen": {"betreuungsschluessel": 80}}).stellen.betreuungsschluessel
        80
        """
        return validate_annahmen(merge(self.model_dump(), aenderungen), datei)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (mappings merge, others replace).

    Examples
    --------
    >>> merge({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}, 'b': 1}
    """
    out = {key: _copy(value) for key, value in base.items()}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = _copy(value)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# --------------------------------------------------------------------------- messages

_MESSAGES = {
    "missing": "Pflichtfeld fehlt",
    "extra_forbidden": "unbekannter Schlüssel (Tippfehler?)",
    "float_type": "muss eine Zahl sein (Dezimalpunkt, z. B. 0.5)",
    "int_type": "muss eine ganze Zahl sein",
    "bool_type": "muss true oder false sein",
    "string_type": "muss ein Text sein",
    "list_type": "muss eine Liste sein",
    "model_type": "muss eine Zuordnung mit Unterschlüsseln sein",
    "dict_type": "muss eine Zuordnung 'Name: Wert' sein",
    "too_short": "darf nicht leer sein",
    "zu_wenige": "braucht mindestens {min_length} Einträge",
    "too_long": "hat zu viele Einträge",
    "string_too_short": "darf nicht leer sein",
    "literal_error": "unbekannter Wert",
    "greater_than_equal": "darf nicht kleiner als {ge} sein",
    "greater_than": "muss größer als {gt} sein",
    "less_than_equal": "darf nicht größer als {le} sein",
    "less_than": "muss kleiner als {lt} sein",
}
#: Parts of an error location that name a type tried, not a key.
_TAG = re.compile(
    r"(int|float|str|bool|none|date|list|dict|tuple|literal|nullable|union|"
    r"function-\w+|lax-or-strict|json-or-python|constrained-\w+)(\[.*\])?"
)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: Any, inner: bool = False) -> str:
    """A value as it would be written in YAML: ``true``, ``null``, ``[duldung, gestattung]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_shown(v, True) for v in value) + "]"
    if isinstance(value, str) and not inner and not re.fullmatch(r"[\w ]+", value):
        return f'"{value}"'
    return _number(value)


def _where(loc: tuple[int | str, ...]) -> tuple[list[str], FieldInfo | None, type[BaseModel]]:
    """Key path, the field concerned and the model that holds the last key."""
    model: type[BaseModel] | None = Annahmen
    parent: type[BaseModel] = Annahmen
    info: FieldInfo | None = None
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int) or (model is None and parts and _TAG.fullmatch(p)):
            continue
        parts.append(p)
        if model is not None:
            parent = model
            info = model.model_fields.get(p)
            ann = info.annotation if info is not None else None
            model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        else:
            model = None
    return parts, info, parent


def _erlaubt(info: FieldInfo | None, parent: type[BaseModel], kind: str) -> str:
    if kind == "extra_forbidden":
        return "Erlaubt: " + ", ".join(parent.model_fields)
    if info is None:
        return ""
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
        return "Erlaubt: Unterschlüssel " + ", ".join(info.annotation.model_fields)
    text = f"Erlaubt: {info.description}" if info.description else ""
    default = info.get_default(call_default_factory=True)
    if not isinstance(default, dict | BaseModel):
        text += f". Standard: {_shown(default)}"
    return text


def _problems(exc: ValidationError, datei: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for err in exc.errors():
        kind = err["type"]
        ctx = err.get("ctx") or {}
        parts, info, parent = _where(err["loc"])
        if kind == "thm":
            extra = [p for p in str(ctx["feld"]).split(".") if p]
            if extra:
                parts, info, parent = _where((*err["loc"], *extra))
            meldung = str(ctx["meldung"])
            hinweis = str(ctx["hinweis"]) or _erlaubt(info, parent, kind)
            wert = ctx.get("wert", err.get("input"))
        else:
            shown = {k: _number(v) for k, v in ctx.items()}
            if kind == "int_type" and err["loc"][-1] == "int":  # int | float: any number
                kind = "float_type"
            if kind == "too_short" and int(ctx.get("min_length", 1)) > 1:  # [18] for [von, bis]
                kind = "zu_wenige"
            meldung = _MESSAGES.get(kind, err["msg"]).format(**shown)
            hinweis = _erlaubt(info, parent, kind)
            wert = None if kind in ("missing", "extra_forbidden") else err.get("input")
        key = ".".join(parts)
        if key in seen:  # a union (number or empty) reports each member: one line per key
            continue
        seen.add(key)
        if isinstance(wert, dict | list | BaseModel):
            wert = None
        problems.append(
            Problem(
                datei,
                meldung,
                hinweis + (". " if hinweis else "") + f"Bitte in {datei} korrigieren",
                spalte=key or None,
                wert=None if wert is None else _shown(wert, inner=True)[:60],
            )
        )
    return problems


def validate_annahmen(data: Mapping[str, Any], datei: str = DATEI) -> Annahmen:
    """Check a complete assumptions mapping (defaults already merged in).

    Parameters
    ----------
    data : mapping
        Every section, e.g. ``merge(Annahmen().model_dump(), user_file)``.
    datei : str
        File name used in the messages.

    Returns
    -------
    Annahmen

    Raises
    ------
    DataError
        German messages, one per key, naming the key path, the value, the
        allowed values and the default.

    Examples
    --------
    >>> validate_annahmen({"datenschutz": {"schwelle": 0}})
    Traceback (most recent call last):
    ...
    thm_lib.core.errors.DataError: Es wurde 1 Problem in den Eingabedaten gefunden:
    - annahmen.yaml, Schlüssel 'datenschutz.schwelle': darf nicht kleiner als 3 sein \
(Wert: '0'). Erlaubt: eine ganze Zahl ab 3 (mit 1 oder 2 schützt die Sperrung nicht: \
„<2“ heißt 1). Standard: 5. Bitte in annahmen.yaml korrigieren
    """
    try:
        return Annahmen.model_validate(dict(data))
    except ValidationError as exc:
        raise DataError(_problems(exc, datei)) from None
