"""Arbeitsmappen as a Fachverfahren exports them (:func:`exportieren`).

An office rarely types its tables; it exports them from the software it keeps its
cases and offers in. Such an export holds the same data in another form: the columns
in another order, columns of its own (file number, case worker, export date), a title
above the header, real Excel cells (numbers, whole ones also as ``23.0``, dates,
WAHR/FALSCH for ja/nein, the Gemeindeschlüssel as a number without its leading zero) or
a CSV in another encoding with ISO dates or tabs. Used by ``tests/test_fachverfahren.py``
and ``tests/suche_kreise.py --fachverfahren``.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path

from tests.helpers_io import edit_table, read_rows, write_rows, write_xlsx

TABELLEN = ("zielgruppe", "angebote", "faelle", "bedarfe", "kommunen")
#: Columns a Fachverfahren adds: none is a column of the Arbeitsmappe or a word for one.
EIGENE_SPALTEN = ("Aktenzeichen", "Sachbearbeitung", "Exportdatum", "Datensatznummer")
DATUM = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
GANZZAHL = re.compile(r"^-?\d+$")
KOMMAZAHL = re.compile(r"^-?\d+,\d+$")
#: Names in the export's own column "Sachbearbeitung": no published file may show one.
EIGENE_TEXTE = ("Frau Beispiel", "Herr Muster")
FORMEN = ("xlsx", "xlsx mit Titel", "csv cp1252 iso", "csv tab")
TITEL = "Export aus dem Fachverfahren, Stand 07.12.2026"


def _zelle(text: str, gleitkomma: bool) -> object:
    """The cell Excel holds after an export: a date, a number, a truth value, or the text.

    ``gleitkomma``: whole numbers as floating-point cells (``23.0``), as some exports
    write every number.
    """
    if m := DATUM.match(text):
        return datetime(int(m[3]), int(m[2]), int(m[1]))
    if GANZZAHL.match(text):  # a Gemeindeschlüssel loses its leading zero, as in Excel
        return float(text) if gleitkomma else int(text)
    if KOMMAZAHL.match(text):
        return float(text.replace(",", "."))
    return {"ja": True, "nein": False}.get(text, text)


def _iso(text: str) -> str:
    m = DATUM.match(text)
    return f"{m[3]}-{m[2]}-{m[1]}" if m else text


def _eigener_wert(spalte: str, i: int) -> str:
    return {
        "Aktenzeichen": f"AZ 51.{i:04d}/2021",
        "Sachbearbeitung": EIGENE_TEXTE[i % 2],
        "Exportdatum": "07.12.2026",
        "Datensatznummer": str(1000 + i),
    }[spalte]


def exportieren(mappe: Path, rnd: random.Random) -> dict[str, list[str]]:
    """Rewrite each table of ``mappe`` in an export form drawn with ``rnd``.

    Returns the columns of the Fachverfahren's own added per table.
    """
    neu: dict[str, list[str]] = {}
    for name in TABELLEN:
        pfad = mappe / f"{name}.csv"
        if not pfad.exists():
            continue
        kopf, zeilen = read_rows(pfad)
        reihenfolge = rnd.sample(range(len(kopf)), len(kopf))
        eigene = rnd.sample(EIGENE_SPALTEN, rnd.randint(0, 2))
        kopf = [kopf[j] for j in reihenfolge] + eigene
        zeilen = [
            [z[j] for j in reihenfolge] + [_eigener_wert(s, i) for s in eigene]
            for i, z in enumerate(zeilen)
        ]
        neu[name] = eigene
        form = rnd.choice(FORMEN)
        pfad.unlink()
        if form.startswith("xlsx"):
            titel = [[TITEL], []] if "Titel" in form else []
            gleitkomma = rnd.random() < 0.5
            blatt = [kopf, *([_zelle(x, gleitkomma) for x in z] for z in zeilen)]
            write_xlsx(mappe / f"{name}.xlsx", {name: [*titel, *blatt]})
        elif form == "csv cp1252 iso":
            iso = [[_iso(x) for x in z] for z in zeilen]
            try:
                write_rows(pfad, kopf, iso, encoding="cp1252")
            except UnicodeEncodeError:  # a name cp1252 cannot hold: the export is UTF-8
                write_rows(pfad, kopf, iso, encoding="utf-8-sig")
        else:
            write_rows(pfad, kopf, zeilen, encoding="utf-8-sig", sep="\t")
    return neu


def mische_zeilen(mappe: Path, rnd: random.Random) -> None:
    """Put the rows of each CSV table of ``mappe`` in another order (as an export sorted
    by another key would have them); header, encoding and separator stay."""
    for name in TABELLEN:
        if (mappe / f"{name}.csv").exists():
            edit_table(mappe, f"{name}.csv", lambda _kopf, zeilen: rnd.shuffle(zeilen))
