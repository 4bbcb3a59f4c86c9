"""Empty Excel templates for the Arbeitsmappe, with drop-downs and explanations."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from thm_lib import labels, schemas
from thm_lib.atomic import atomic_save_workbook
from thm_lib.columns import Column
from thm_lib.errors import DataError, Problem

#: template file -> sheets (table names) it holds
TEMPLATES: dict[str, tuple[str, ...]] = {
    "zielgruppe.xlsx": ("zielgruppe",),
    "faelle.xlsx": ("faelle", "bedarfe"),
    "angebote.xlsx": ("angebote",),
}
VALIDATION_ROWS = 2000
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_KIND_LABEL = {
    "text": "Text", "ags": "AGS (8 Ziffern, als Text)", "int": "ganze Zahl", "float": "Zahl",
    "bool": "ja/nein", "date": "Datum TT.MM.JJJJ", "category": "Auswahl",
    "ags_list": "Liste von AGS", "text_list": "Liste",
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
        cell.comment = Comment(f"{col.beschreibung}\n({_KIND_LABEL[col.kind]}, {pflicht})",
                               "THM-Werkbank", width=300, height=110)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(14, len(col.name) + 4)
        rng = f"{letter}2:{letter}{VALIDATION_ROWS}"
        choices = _choices(col)
        if choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"',
                                allow_blank=True, showErrorMessage=True,
                                errorTitle="Ungültiger Wert",
                                error="Bitte einen Wert aus der Liste wählen: "
                                + ", ".join(choices))
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
            ws.append([table, col.name, col.beschreibung, _KIND_LABEL[col.kind],
                       "ja" if col.required and not col.allow_empty else "nein",
                       ", ".join(_choices(col))])
    ws.append([])
    ws.append(["Hinweis", "", "Eine Zeile je Eintrag; die Kopfzeile nicht ändern. Die Blätter "
               "mit den Daten heißen wie die Tabelle (z. B. 'angebote'). Dieses Blatt wird "
               "beim Einlesen nicht ausgewertet."])
    for letter, width in zip("ABCDEF", (14, 26, 70, 24, 8, 40), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


def write_templates(folder: str | Path) -> list[Path]:
    """Write empty ``zielgruppe.xlsx``, ``faelle.xlsx`` and ``angebote.xlsx`` into ``folder``.

    Parameters
    ----------
    folder : str or Path
        Target folder (created if missing).

    Returns
    -------
    list of Path
        The written files.

    Raises
    ------
    DataError
        If any of the files already exists (nothing is overwritten).
    """
    folder = Path(folder)
    existing = [folder / name for name in TEMPLATES if (folder / name).exists()]
    if existing:
        raise DataError([Problem(p.name, "Datei gibt es schon; sie wird nicht überschrieben",
                                 "Bitte einen leeren Ordner wählen oder die Datei umbenennen")
                         for p in existing])
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, tables in TEMPLATES.items():
        wb = Workbook()
        for i, table in enumerate(tables):
            _add_sheet(wb, table, first=i == 0)
        _add_explanations(wb, tables)
        path = folder / name
        atomic_save_workbook(wb, path)
        written.append(path)
    return written
