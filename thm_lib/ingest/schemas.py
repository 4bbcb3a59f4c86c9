"""The columns of every Arbeitsmappe table, and pandera checks on the typed frames."""

from __future__ import annotations

import pandera.pandas as pa

from thm_lib.core import labels
from thm_lib.ingest.columns import Column

ZIELGRUPPE = (
    Column("ags", "ags", beschreibung="8-stelliger Gemeindeschlüssel (AGS), z. B. 05899004"),
    Column("stichtag", "date", beschreibung="Stichtag der Zählung, z. B. 31.12.2021"),
    Column(
        "status",
        "category",
        choices=labels.STATUS,
        beschreibung="Aufenthaltsstatus: duldung, gestattung oder sonstige",
    ),
    Column(
        "alter",
        "int",
        required=False,
        allow_empty=True,
        beschreibung="Alter in vollendeten Jahren (oder Spalte altersgruppe)",
    ),
    Column(
        "altersgruppe",
        "text",
        required=False,
        allow_empty=True,
        beschreibung="Altersgruppe 'von-bis', z. B. 18-20 (statt alter)",
    ),
    Column(
        "geschlecht",
        "category",
        required=False,
        choices=labels.GESCHLECHT,
        beschreibung="m, w, d oder x (ohne Angabe)",
    ),
    Column(
        "anzahl",
        "int",
        placeholders=True,
        beschreibung="Anzahl Personen ('-' = nichts vorhanden = 0; '.', 'x', '/' = unbekannt)",
    ),
)

FAELLE = (
    Column(
        "fall_id",
        "text",
        beschreibung="Pseudonym des Falls (kein Name!), je Fall eines; zieht eine Person um "
        "oder wird sie nach einem Abschluss wieder betreut, ist das ein neuer Fall mit neuer "
        "Kennung",
    ),
    Column("ags", "ags", beschreibung="Gemeinde des Wohnorts (AGS)"),
    Column("alter", "int", beschreibung="Alter zu Beginn in Jahren"),
    Column("status", "category", choices=labels.STATUS, beschreibung="Aufenthaltsstatus"),
    Column("geschlecht", "category", choices=labels.GESCHLECHT, beschreibung="m, w, d, x"),
    Column(
        "einwilligung",
        "bool",
        beschreibung="Einwilligung in den Datenaustausch liegt vor (ja/nein)",
    ),
    Column("beginn", "date", beschreibung="Aufnahme in das Teilhabemanagement"),
    Column(
        "ende",
        "date",
        required=False,
        allow_empty=True,
        beschreibung="Ende des Verfahrens (leer = läuft noch)",
    ),
    Column(
        "abschlussgrund",
        "text",
        required=False,
        allow_empty=True,
        # offered as the template's list; another text is read, but published only as
        # "sonstiger Grund" (it could be a name)
        choices=labels.ABSCHLUSSGRUENDE,
        beschreibung="Grund der Beendigung, einer aus der Liste; anderer Text zählt in "
        "den Berichten als „sonstiger Grund“",
    ),
)

BEDARFE = (
    Column("fall_id", "text", beschreibung="Pseudonym des Falls wie in 'faelle'"),
    Column(
        "handlungsfeld",
        "category",
        choices=labels.HANDLUNGSFELDER,
        beschreibung="Handlungsfeld des Bedarfs",
    ),
    Column(
        "ergebnis",
        "category",
        choices=labels.ERGEBNIS,
        beschreibung="passend, naechstbeste, kein_angebot oder offen",
    ),
)

ANGEBOTE = (
    Column(
        "angebot_id",
        "text",
        beschreibung="Eindeutige Kennung des Angebots; ein umbenanntes oder neu aufgelegtes "
        "Angebot bekommt eine neue Zeile mit neuer Kennung, die alte Zeile ein Ende",
    ),
    Column("name", "text", beschreibung="Name des Angebots"),
    Column("traeger", "text", beschreibung="Träger"),
    Column(
        "handlungsfeld", "category", choices=labels.HANDLUNGSFELDER, beschreibung="Handlungsfeld"
    ),
    Column(
        "foerderlinie",
        "category",
        choices=labels.FOERDERLINIEN,
        beschreibung="Förderlinie, z. B. baustein_2, kim, jobcenter",
    ),
    Column("zugang_duldung", "bool", beschreibung="offen für Menschen mit Duldung (ja/nein)"),
    Column(
        "zugang_gestattung",
        "bool",
        beschreibung="offen für Menschen mit Aufenthaltsgestattung (ja/nein)",
    ),
    Column("alter_min", "int", beschreibung="Mindestalter"),
    Column("alter_max", "int", beschreibung="Höchstalter"),
    Column("plaetze", "float", beschreibung="Plätze pro Jahr"),
    Column(
        "lat",
        "float",
        required=False,
        allow_empty=True,
        tausender=False,
        beschreibung="Breitengrad (WGS84), z. B. 51,4321",
    ),
    Column(
        "lon",
        "float",
        required=False,
        allow_empty=True,
        tausender=False,
        beschreibung="Längengrad (WGS84), z. B. 7,1234",
    ),
    Column(
        "plz",
        "text",
        required=False,
        allow_empty=True,
        beschreibung="Postleitzahl (wenn keine Koordinaten)",
    ),
    Column(
        "ags",
        "ags",
        required=False,
        allow_empty=True,
        beschreibung="Gemeinde des Standorts (wenn keine Koordinaten)",
    ),
    Column(
        "aufsuchend",
        "bool",
        required=False,
        allow_empty=True,
        beschreibung="aufsuchendes Angebot (kommt zu den Menschen), ja/nein",
    ),
    Column(
        "einzugsgebiet",
        "ags_list",
        required=False,
        allow_empty=True,
        beschreibung="AGS der versorgten Gemeinden, durch Komma getrennt",
    ),
    Column(
        "beginn",
        "date",
        required=False,
        allow_empty=True,
        beschreibung="Beginn der Laufzeit (leer = unbegrenzt)",
    ),
    Column(
        "ende",
        "date",
        required=False,
        allow_empty=True,
        beschreibung="Ende der Laufzeit (leer = unbegrenzt)",
    ),
)

REISEZEITEN = (
    Column("ags", "ags", beschreibung="Gemeinde (AGS)"),
    Column("angebot_id", "text", beschreibung="Kennung des Angebots"),
    Column("minuten", "float", beschreibung="Reisezeit in Minuten"),
)

KOMMUNEN = (
    Column("ags", "ags", beschreibung="Gemeinde (AGS)"),
    Column(
        "geschaeftsfuehrende_stelle",
        "bool",
        required=False,
        allow_empty=True,
        beschreibung="Gemeinde hat eine eigene Geschäftsführende Stelle (ja/nein)",
    ),
    Column(
        "haushaltssicherung",
        "bool",
        required=False,
        allow_empty=True,
        beschreibung="Haushaltssicherungskommune (ja/nein)",
    ),
    Column(
        "stellen_bestand",
        "float",
        required=False,
        allow_empty=True,
        beschreibung="bereits geförderte THM-Stellen (VZÄ)",
    ),
    Column(
        "stichtag_erstantrag",
        "date",
        required=False,
        allow_empty=True,
        beschreibung="Stichtag der Zählung beim Erstantrag",
    ),
)

GEBIETE_ATTRIBUTE = (
    Column("ags", "ags", beschreibung="8-stelliger Gemeindeschlüssel"),
    Column("name", "text", beschreibung="Name der Gemeinde"),
    Column(
        "einwohner",
        "int",
        required=False,
        allow_empty=True,
        placeholders=True,
        beschreibung="Einwohnerzahl",
    ),
    Column(
        "plz",
        "text_list",
        required=False,
        allow_empty=True,
        beschreibung="Postleitzahlen der Gemeinde, durch Komma getrennt",
    ),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "zielgruppe": ZIELGRUPPE,
    "faelle": FAELLE,
    "bedarfe": BEDARFE,
    "angebote": ANGEBOTE,
    "reisezeiten": REISEZEITEN,
    "kommunen": KOMMUNEN,
}

#: Plausible ages (years) for every age column and age band.
ALTER_GRENZEN = (0, 120)

NICHT_NEGATIV = "darf nicht negativ sein"
ALTER_BEREICH = f"Alter muss zwischen {ALTER_GRENZEN[0]} und {ALTER_GRENZEN[1]} liegen"
BREITE_BEREICH = "Breitengrad muss zwischen -90 und 90 liegen"
LAENGE_BEREICH = "Längengrad muss zwischen -180 und 180 liegen"
ALTER_MIN_MAX = "alter_min ist größer als alter_max"

#: What to do, per check message (the pandera ``error`` text is the German message).
HINWEISE: dict[str, str] = {
    NICHT_NEGATIV: "Bitte eine Zahl ab 0 eintragen (unbekannt: Zelle leer lassen)",
    ALTER_BEREICH: "Bitte das Alter in vollendeten Jahren eintragen",
    BREITE_BEREICH: "Bitte Koordinaten in WGS84-Grad eintragen (Breitengrad in NRW etwa "
    "50,3 bis 52,5); lat und lon vertauscht?",
    LAENGE_BEREICH: "Bitte Koordinaten in WGS84-Grad eintragen (Längengrad in NRW etwa "
    "5,9 bis 9,5); lat und lon vertauscht?",
    ALTER_MIN_MAX: "Bitte Mindest- und Höchstalter prüfen (vertauscht?)",
}

#: Advice for a key that occurs twice, where the key's table is kept over years and a
#: repeated key usually means a new episode, not a typo (other keys: "bitte doppelte
#: Zeilen löschen oder eine neue Kennung vergeben").
DOPPELT_HINWEISE: dict[str, str] = {
    "fall_id": "Jeder Fall braucht eine eigene Kennung: bitte doppelte Zeilen löschen. Ist "
    "die Person umgezogen oder wird sie nach einem Abschluss wieder betreut, bitte den "
    "alten Fall mit 'ende' und 'abschlussgrund' (z. B. Wegzug) abschließen und den neuen "
    "unter einer neuen Kennung anlegen",
    "angebot_id": "Jedes Angebot braucht eine eigene Kennung: bitte doppelte Zeilen "
    "löschen. Wurde ein Angebot umbenannt oder neu aufgelegt, bitte die alte Zeile mit "
    "'ende' abschließen und das Angebot unter einer neuen Kennung neu eintragen",
}

#: Columns a frame-wide check is about (reported once per row, first column named).
FRAME_CHECK_SPALTEN: dict[str, tuple[str, ...]] = {ALTER_MIN_MAX: ("alter_min", "alter_max")}

_NONNEG = pa.Check.ge(0, error=NICHT_NEGATIV)
_AGE = pa.Check.in_range(*ALTER_GRENZEN, error=ALTER_BEREICH)

#: pandera checks on the typed frames (key columns are checked for uniqueness; no
#: dtype checks on text columns, the typing in :mod:`thm_lib.ingest.columns` does that).
CHECKS: dict[str, pa.DataFrameSchema] = {
    "zielgruppe": pa.DataFrameSchema(
        {
            "anzahl": pa.Column("Int64", _NONNEG, nullable=True),
            "alter": pa.Column("Int64", _AGE, nullable=True),
        }
    ),
    "faelle": pa.DataFrameSchema(
        {
            "fall_id": pa.Column(None, unique=True, nullable=True),
            "alter": pa.Column("Int64", _AGE, nullable=True),
        }
    ),
    "angebote": pa.DataFrameSchema(
        {
            "angebot_id": pa.Column(None, unique=True, nullable=True),
            "alter_min": pa.Column("Int64", _AGE, nullable=True),
            "alter_max": pa.Column("Int64", _AGE, nullable=True),
            "plaetze": pa.Column(float, _NONNEG, nullable=True),
            "lat": pa.Column(
                float, pa.Check.in_range(-90, 90, error=BREITE_BEREICH), nullable=True
            ),
            "lon": pa.Column(
                float, pa.Check.in_range(-180, 180, error=LAENGE_BEREICH), nullable=True
            ),
        },
        checks=pa.Check(
            lambda df: (
                df["alter_min"].isna()
                | df["alter_max"].isna()
                | (df["alter_min"] <= df["alter_max"])
            ),
            error=ALTER_MIN_MAX,
            name="alter_min_max",
        ),
    ),
    "reisezeiten": pa.DataFrameSchema(
        {
            "minuten": pa.Column(float, _NONNEG, nullable=True),
        }
    ),
    "kommunen": pa.DataFrameSchema(
        {
            "ags": pa.Column(None, unique=True, nullable=True),
            "stellen_bestand": pa.Column(float, _NONNEG, nullable=True),
        }
    ),
}
