"""German labels and the allowed values of categorical columns.

One place for every user-facing category and label, so that modules, the
Excel templates and the apps use the same words.
"""

from __future__ import annotations

STATUS = ("duldung", "gestattung", "sonstige")
GESCHLECHT = ("m", "w", "d", "x")
ERGEBNIS = ("passend", "naechstbeste", "kein_angebot", "offen")
#: Results of a decided need (all but ``offen``): what the Fallevidenz counts.
ENTSCHIEDEN = ERGEBNIS[:3]
FOERDERLINIEN = (
    "baustein_1",
    "baustein_2",
    "baustein_3",
    "baustein_4",
    "baustein_5",
    "baustein_6",
    "kim",
    "jmd",
    "jobcenter",
    "arbeitsagentur",
    "bamf",
    "kommune",
    "sonstige",
)
HANDLUNGSFELDER = (
    "Sprache",
    "Schulabschluss",
    "Berufsvorbereitung",
    "Qualifizierung",
    "Ausbildung",
    "Arbeit",
    "Coaching",
    "Aufenthaltsrecht",
    "Wohnen",
    "Gesundheit",
    "Psychosoziales",
    "Sonstiges",
)
JA_NEIN = ("ja", "nein")

KREIS = ""
"""The whole Kreis wherever a Gemeinde key (``ags``) is expected: a function's ``ags``
argument, the Kreis row of a published table, the Kreis choice in an app. The one
marker for "no single Gemeinde"; it is falsy, so ``ags or KREIS`` and ``if ags`` read
naturally."""

KREIS_ORDNER = "kreis"
"""Folder (and index key) of the Kreis report of a batch run (a folder needs a name)."""

EBENE_GEMEINDE, EBENE_KREIS = "gemeinde", "kreis"
"""Level of an applicant in the staffing estimate (column ``ebene``): one Gemeinde, or
the Kreis applying for the Gemeinden without their own Geschäftsführende Stelle."""

INSGESAMT = "Insgesamt"
"""Label of the row of sums in published tables (Kreis total, Berichtswesen totals)."""

#: Column of the published list of gaps: whose age structure a row's demand is modelled
#: with, :data:`ALTERSSTRUKTUR_KREIS` or "Gemeinde" (``views.mit_kreisstruktur``).
ALTERSSTRUKTUR = "Altersstruktur im Modell"
ALTERSSTRUKTUR_KREIS = "Kreis"

#: Columns of modelled demand (persons × published need rates; list of gaps, Standortplanung).
#: "geschätzt" says they are estimates, not counts: the privacy scan does not read them as
#: counts of persons (:data:`thm_lib.disclosure.publication.KEINE_ZAEHLUNG`), and a small
#: estimate is shown (round 2, session 26; ``docs/datenschutz.md``).
BEDARF_GESCHAETZT = "Bedarf (geschätzt)"
BEDARF_GEDULDETE_GESCHAETZT = "Bedarf Geduldeter ohne offenes Angebot (geschätzt)"

#: The gap classes of a Gemeinde × Handlungsfeld (thresholds in ``annahmen.versorgung``;
#: the rule is :func:`thm_lib.analysis.coverage.gap_class`).
KLASSE_UNTER = "Unterversorgung"
KLASSE_OK = "bedarfsgerecht"
KLASSE_UEBER = "Überversorgung"
KLASSE_KEIN_BEDARF = "kein Bedarf"

STATUS_LABEL = {
    "duldung": "Duldung",
    "gestattung": "Aufenthaltsgestattung",
    "sonstige": "Sonstige",
}
GESCHLECHT_LABEL = {"m": "männlich", "w": "weiblich", "d": "divers", "x": "ohne Angabe"}
ERGEBNIS_LABEL = {
    "passend": "passendes Angebot",
    "naechstbeste": "nächstbeste Lösung",
    "kein_angebot": "kein Angebot",
    "offen": "offen",
}
#: Columns of the Fallevidenz: the decided needs (the shares' base) and all needs.
BEDARFE_ENTSCHIEDEN = "Bedarfe entschieden"
BEDARFE_INSGESAMT = "Bedarfe insgesamt"

FOERDERLINIE_LABEL = {
    **{f"baustein_{i}": f"Förderbaustein {i}" for i in range(1, 7)},
    "kim": "KIM",
    "jmd": "Jugendmigrationsdienst",
    "jobcenter": "Jobcenter",
    "arbeitsagentur": "Agentur für Arbeit",
    "bamf": "BAMF",
    "kommune": "Kommune",
    "sonstige": "sonstige",
}

#: Which part of the FAQ staffing rule produced the positions (thm_lib.analysis.staffing.REGEL_*).
STELLENMODELL_LABEL = {"faq": "FAQ-Regel", "fallzahl": "Fallzahl", "arbeitszeit": "Arbeitszeit"}
"""The three staffing estimates of ``staffing.stellenbemessung`` (FAQ rule of the programme,
caseload, workload) and their short German names (choices in the apps)."""

STELLEN_SPALTE_LABEL = {
    "faq": "Stellen FAQ-Schlüssel",
    "fallzahl": "Stellen Fallzahlmodell",
    "arbeitszeit": "Stellen Arbeitszeitmodell",
}
"""Header of each estimate's positions in published tables (read back by the audit)."""

FAQ_REGEL_LABEL = {
    "schluessel": "Schlüssel (Personen ÷ Schlüssel)",
    "mindeststellen": "Mindestausstattung",
    "volle_stelle": "volle Stelle ab Schwelle",
}

#: German headers of column and index names that are codes (tables, charts, reports).
SPALTEN_LABEL = {
    "ags": "Gemeindeschlüssel",
    "name": "Gemeinde",
    "handlungsfeld": "Handlungsfeld",
    "status": "Status",
    "altersgruppe": "Altersgruppe",
    "geschlecht": "Geschlecht",
    "abschlussgrund": "Abschlussgrund",
    "kennzahl": "Kennzahl",
    "szenario": "Szenario",
    "jahr": "Haushaltsjahr",
}


def spaltenname(name: object) -> str:
    """German header for a column/index name or a category code (``duldung`` -> ``Duldung``).

    German labels pass unchanged; ``None`` becomes "".

    Examples
    --------
    >>> spaltenname("ags"), spaltenname("duldung"), spaltenname("Plätze"), spaltenname(None)
    ('Gemeindeschlüssel', 'Duldung', 'Plätze', '')
    """
    if name is None:
        return ""
    text = str(name)
    return SPALTEN_LABEL.get(text) or STATUS_LABEL.get(text) or text


ABSCHLUSSGRUENDE: tuple[str, ...] = (
    "Ausbildung aufgenommen",
    "Arbeit aufgenommen",
    "Schulabschluss erreicht",
    "Ziele erreicht",
    "Wegzug",
    "Rückkehr ins Herkunftsland",
    "Kontaktabbruch",
)
"""The closure reasons (``faelle.abschlussgrund``) published under their own name; the
Excel template offers them as its list. The column is free text: case managers type
remarks, even names, into it, so a typed text never becomes a row label of a published
table; every other text counts as "sonstiger Grund"
(:func:`thm_lib.analysis.berichtswesen.abschlussgrund_label`)."""
