"""Templates for everything a user fills in: Excel tables with drop-downs and
explanations, and commented ``annahmen.yaml`` and ``programm.yaml``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from thm_lib.core import labels
from thm_lib.core.atomic import atomic_save_workbook, atomic_write_text
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.programme import default_programm
from thm_lib.ingest import schemas
from thm_lib.ingest.columns import Column, parse_date
from thm_lib.ingest.gebiete import read_gebiete
from thm_lib.ingest.tables import TABLE_SUFFIXES, find_file

#: template file -> sheets (table names) it holds
TEMPLATES: dict[str, tuple[str, ...]] = {
    "zielgruppe.xlsx": ("zielgruppe",),
    "faelle.xlsx": ("faelle", "bedarfe"),
    "angebote.xlsx": ("angebote",),
    "kommunen.xlsx": ("kommunen",),
}
#: The YAML templates (configuration of the Kreis and of the funding programme).
YAML_TEMPLATES = ("annahmen.yaml", "programm.yaml")
VALIDATION_ROWS = 2000
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_KIND_LABEL = {
    "text": "Text",
    "ags": "AGS (8 Ziffern, als Text)",
    "int": "ganze Zahl",
    "float": "Zahl",
    "bool": "ja/nein",
    "date": "Datum TT.MM.JJJJ",
    "category": "Auswahl",
    "ags_list": "Liste von AGS",
    "text_list": "Liste",
}


def _choices(col: Column) -> tuple[str, ...]:
    if col.kind == "bool":
        return labels.JA_NEIN
    return col.choices


def _add_sheet(wb: Workbook, table: str, first: bool) -> None:
    ws: Worksheet = wb.active if first else wb.create_sheet()
    ws.title = table
    columns = schemas.TABLES[table]
    if table == "zielgruppe":
        columns = tuple(c for c in columns if c.name != "altersgruppe")
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        pflicht = "Pflichtangabe" if col.required and not col.allow_empty else "freiwillig"
        cell.comment = Comment(
            f"{col.beschreibung}\n({_KIND_LABEL[col.kind]}, {pflicht})",
            "THM-Werkbank",
            width=300,
            height=110,
        )
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(14, len(col.name) + 4)
        rng = f"{letter}2:{letter}{VALIDATION_ROWS}"
        choices = _choices(col)
        if choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Ungültiger Wert",
                error="Bitte einen Wert aus der Liste wählen: " + ", ".join(choices),
            )
            ws.add_data_validation(dv)
            dv.add(rng)
        if col.kind in ("ags", "text", "ags_list", "text_list"):
            for row in range(2, VALIDATION_ROWS + 1):
                ws.cell(row=row, column=j).number_format = "@"
    ws.freeze_panes = "A2"


def _add_explanations(wb: Workbook, tables: tuple[str, ...]) -> None:
    ws = wb.create_sheet("Erläuterungen")
    ws.append(["Tabelle", "Spalte", "Bedeutung", "Format", "Pflicht", "Erlaubte Werte"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for table in tables:
        for col in schemas.TABLES[table]:
            ws.append(
                [
                    table,
                    col.name,
                    col.beschreibung,
                    _KIND_LABEL[col.kind],
                    "ja" if col.required and not col.allow_empty else "nein",
                    ", ".join(_choices(col)),
                ]
            )
    ws.append([])
    ws.append(
        [
            "Hinweis",
            "",
            "Eine Zeile je Eintrag; die Kopfzeile nicht ändern (Titelzeilen "
            "darüber sind erlaubt). Die Blätter mit den Daten heißen wie die Tabelle (z. B. "
            "'angebote'). Statt der Codes werden auch die deutschen Bezeichnungen gelesen "
            "(z. B. 'Duldung', 'geduldet', 'nächstbeste Lösung', 'Förderbaustein 2'). "
            "Dieses Blatt wird beim Einlesen nicht ausgewertet.",
        ]
    )
    for letter, width in zip("ABCDEF", (14, 26, 70, 24, 8, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Vorlagen:
    """What :func:`write_templates` did.

    Attributes
    ----------
    geschrieben : list of Path
        Files written.
    behalten : list of Path
        Files (or tables in another format, e.g. ``zielgruppe.csv``) that were
        already there and left untouched.
    """

    geschrieben: list[Path]
    behalten: list[Path]


def _yaml_text(value: str | None) -> str:
    """A YAML scalar: ``null`` or a double-quoted string (JSON strings are valid YAML)."""
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def _check_options(name: str | None, ags: str | None, stichtag: str | None) -> date | None:
    problems = []
    if name is not None and not name.strip():
        problems.append(
            Problem(
                "Option --name",
                "Name ist leer",
                'Bitte den Namen des Kreises angeben, z. B. --name "Kreis Borken"',
            )
        )
    if ags is not None and not re.fullmatch(r"\d{2,5}", ags.strip()):
        problems.append(
            Problem(
                "Option --ags",
                "Kreisschlüssel muss 2 bis 5 Ziffern haben",
                "Bitte die ersten 5 Stellen des AGS angeben, z. B. --ags 05554",
                wert=ags,
            )
        )
    tag = None
    if stichtag is not None:
        try:
            tag = parse_date(stichtag).date()
        except ValueError:
            problems.append(
                Problem(
                    "Option --stichtag",
                    "kein gültiges Datum",
                    "Bitte als TT.MM.JJJJ angeben, z. B. 31.12.2021",
                    wert=stichtag,
                )
            )
    if problems:
        raise DataError(problems)
    return tag


def annahmen_text(
    name: str | None = None, ags: str | None = None, stichtag: date | None = None
) -> str:
    """The commented ``annahmen.yaml`` template (German comments).

    Parameters
    ----------
    name : str, optional
        Name of the Kreis (the title of every report); ``None`` leaves it empty.
    ags : str, optional
        Kreisschlüssel (first 2-5 digits of the AGS).
    stichtag : date, optional
        Analysis date.

    Returns
    -------
    str
        YAML text that :func:`thm_lib.core.config.load_annahmen` accepts.
    """
    zeitraum = default_programm()["zeitraum"]
    ende = zeitraum["ende"]
    bis = f"bis {ende:%d.%m.%Y}" if ende else "unbefristet"
    tag = "null" if stichtag is None else stichtag.isoformat()
    return f"""# Annahmen dieser Arbeitsmappe (Vorlage von 'thm vorlage').
# Was hier steht, ersetzt die Standardwerte der THM-Werkbank; alle anderen Werte
# bleiben wie im Standard (Übersicht und Quellen: docs/annahmen.md).
# "null" heißt: kein eigener Wert. Datumsangaben als JJJJ-MM-TT (z. B. 2021-12-31)
# oder in Anführungszeichen als "31.12.2021".

kreis:
  # Name des Kreises bzw. der kreisfreien Stadt: der Titel aller Berichte.
  # Bitte eintragen, z. B. "Kreis Borken" (bei null tragen die Berichte den Ordnernamen).
  name: {_yaml_text(name)}
  # Kreisschlüssel: die ersten 5 Stellen des AGS, in Anführungszeichen, z. B. "05554".
  # Nötig, wenn die Gemeindegrenzen aus einer BKG-Datei VG250 für ganz Deutschland
  # oder NRW kommen: dann werden nur die Gemeinden dieses Kreises gelesen.
  ags: {_yaml_text(ags)}
  # Auswertungsstichtag; null = der letzte Stichtag in der Zielgruppe.
  stichtag: {tag}
  # Stichtag der Zählung beim Erstantrag (FAQ: die Zahl "friert ein");
  # null = der Auswertungsstichtag. Je Gemeinde in kommunen.xlsx.
  stichtag_erstantrag: null
  # Hat der Kreis eine Geschäftsführende Stelle? (true/false)
  geschaeftsfuehrende_stelle: true
  # Ist der Kreis Haushaltssicherungskommune? Bestimmt den Fördersatz. (true/false)
  haushaltssicherung: false
  # Bereits geförderte THM-Stellen des Kreises in VZÄ; null = Summe aus kommunen.xlsx.
  stellen_bestand: null

# Förderzeitraum: steht im Förderprogramm, in programm.yaml (von 'thm vorlage'
# mitgeschrieben). Standard: {default_programm()["name"]},
# {zeitraum["beginn"]:%d.%m.%Y} {bis}.
"""


def programm_text() -> str:
    """The commented ``programm.yaml`` template: the default programme and its period."""
    p = default_programm()
    ende = "null" if p["zeitraum"]["ende"] is None else p["zeitraum"]["ende"].isoformat()
    return f"""# Förderprogramm dieser Arbeitsmappe (Vorlage von 'thm vorlage').
# basis: das mitgelieferte Programm, auf dem diese Datei aufbaut (thm oder kim);
# nur Werte, die hier stehen, weichen davon ab. Alle Felder: docs/annahmen.md.
basis: {p["kurzname"]}   # {p["name"]}

# Förderzeitraum: der Finanzierungsplan folgt ihm.
zeitraum:
  beginn: {p["zeitraum"]["beginn"].isoformat()}   # Beginn der Förderung (JJJJ-MM-TT)
  ende: {ende}     # Ende der Förderung; null = unbefristet
"""


def _gemeinden(folder: Path, ags: str | None) -> list[tuple[str, str]]:
    """(AGS, name) of the Gemeinden in ``folder``'s boundaries; empty when there are none."""

    if not folder.is_dir():
        return []
    try:
        gebiete = read_gebiete(folder, ags, [])
    except DataError:
        return []  # no or unreadable boundaries: 'thm zusammenfassung' reports them
    return list(zip(gebiete["ags"], gebiete["name"], strict=True))


def _prefill_kommunen(wb: Workbook, gemeinden: list[tuple[str, str]]) -> None:
    """One row per Gemeinde with its AGS; the Gemeinde's name as a comment on the AGS cell."""
    ws = wb["kommunen"]
    for row, (ags, name) in enumerate(gemeinden, start=2):
        cell = ws.cell(row=row, column=1, value=ags)
        cell.comment = Comment(f"Gemeinde: {name}", "THM-Werkbank", width=200, height=40)


def _existing(folder: Path, name: str) -> Path | None:
    """The file ``name`` in ``folder`` (any case); for a table also its other format."""
    if not folder.is_dir():
        return None
    stem, suffix = name.rsplit(".", 1)
    names = [name] if f".{suffix}" not in TABLE_SUFFIXES else [f"{stem}{s}" for s in TABLE_SUFFIXES]
    if stem == "faelle":
        names += [f"bedarfe{s}" for s in TABLE_SUFFIXES]
    return next((found for n in names if (found := find_file(folder, n))), None)


def write_templates(
    folder: str | Path, name: str | None = None, ags: str | None = None, stichtag: str | None = None
) -> Vorlagen:
    """Write the templates of an Arbeitsmappe into ``folder``; never overwrite a file.

    Excel templates: ``zielgruppe.xlsx``, ``faelle.xlsx`` (with ``bedarfe``),
    ``angebote.xlsx`` and ``kommunen.xlsx``; commented ``annahmen.yaml`` and
    ``programm.yaml``. A template is left out when its file, or the same table in
    the other format (e.g. ``zielgruppe.csv``), is already there. When the folder
    already holds the Gemeinde boundaries, ``kommunen.xlsx`` gets one row per
    Gemeinde with its AGS (the name as a cell comment).

    Parameters
    ----------
    folder : str or Path
        Target folder (created if missing).
    name, ags, stichtag : str, optional
        Kreis name, Kreisschlüssel and Stichtag (TT.MM.JJJJ) for ``annahmen.yaml``.

    Returns
    -------
    Vorlagen
        The files written and the files kept.

    Raises
    ------
    DataError
        If an option is invalid, or every file already exists (nothing written).
    """
    folder = Path(folder)
    tag = _check_options(name, ags, stichtag)
    names = [*TEMPLATES, *YAML_TEMPLATES]
    kept = {n: found for n in names if (found := _existing(folder, n))}
    if len(kept) == len(names):
        raise DataError(
            [
                Problem(
                    p.name,
                    "Datei gibt es schon; sie wird nicht überschrieben",
                    "Bitte einen leeren Ordner wählen oder die Datei umbenennen",
                )
                for p in kept.values()
            ]
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, tables in TEMPLATES.items():
        if file_name in kept:
            continue
        wb = Workbook()
        for i, table in enumerate(tables):
            _add_sheet(wb, table, first=i == 0)
        _add_explanations(wb, tables)
        if "kommunen" in tables:
            _prefill_kommunen(wb, _gemeinden(folder, ags and ags.strip()))
        atomic_save_workbook(wb, folder / file_name)
        written.append(folder / file_name)
    texts = {
        "annahmen.yaml": lambda: annahmen_text(name and name.strip(), ags and ags.strip(), tag),
        "programm.yaml": programm_text,
    }
    for file_name in YAML_TEMPLATES:
        if file_name not in kept:
            atomic_write_text(folder / file_name, texts[file_name]())
            written.append(folder / file_name)
    return Vorlagen(written, sorted(set(kept.values())))
