"""The file names an Arbeitsmappe is read from, and notes on files that look like one.

An office saves ``kommunen.ods``, ``Fälle.csv``, ``faelle - Kopie.csv`` or (Windows
Notepad) ``annahmen.yaml.txt`` and expects them to count. Only the names below are
read; every other file whose name starts like one of them gets a German note saying it
is not read and how to name it (:func:`nicht_gelesen`), and the "missing" message of a
table names it (:func:`aehnliche_dateien`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from thm_lib.core.errors import DataError
from thm_lib.ingest.gebiete import GEO_SUFFIXES, find_feinraster, find_gebiete
from thm_lib.ingest.schemas import TABLES
from thm_lib.ingest.tables import TABLE_SUFFIXES, find_one, find_table, sheet_names

YAML_SUFFIXES = (".yaml", ".yml")
"""Both usual endings of a YAML file; ``annahmen.yml`` is read like ``annahmen.yaml``."""
YAML_DATEIEN = ("annahmen", "programm")
GEO_DATEIEN = ("gebiete", "feinraster")

_TABELLE_ENDUNGEN = {
    *TABLE_SUFFIXES,
    *(".xls", ".xlsm", ".xlsb", ".ods", ".fods", ".numbers", ".tsv", ".tab", ".txt", ".dat"),
}
_YAML_ENDUNGEN = {*YAML_SUFFIXES, ".txt", ".json"}
_GEO_ENDUNGEN = {*GEO_SUFFIXES, ".kml", ".kmz", ".gml", ".fgb", ".zip", ".txt"}
"""Endings of files that may hold the data of such a file; anything else (``.pdf``,
``.docx``, a shapefile's ``.dbf``/``.prj`` next to its ``.shp``) is clearly something else."""

_KOMMUNE_ANNAHMEN = re.compile(r"^annahmen_(.+)\.yaml$")
"""``annahmen_<ags>.yaml``: one Gemeinde's own assumptions (``config.kommune_overrides``)."""


def find_yaml(folder: Path, stem: str) -> Path | None:
    """Return ``folder/stem.yaml`` or ``folder/stem.yml`` (any case); error if both exist.

    Parameters
    ----------
    folder : Path
        The Arbeitsmappe.
    stem : str
        ``annahmen`` or ``programm``.

    Returns
    -------
    Path or None

    Raises
    ------
    DataError
        If both files exist (which one holds the settings is not clear).
    """
    return find_one(folder, stem, YAML_SUFFIXES)


def hat_eingabe(folder: Path) -> bool:
    """True if ``folder`` holds a file read as an input (``annahmen.yaml``, ``angebote.csv``,
    ``gebiete.gpkg`` …, any case): an Arbeitsmappe, possibly an incomplete one."""
    return any(_gelesen_als_eingabe(p) for p in folder.iterdir())


def hat_aehnliche_eingabe(folder: Path) -> bool:
    """True if ``folder`` holds a file read as an input or named like one
    (``Zielgruppe.ods``, ``faelle - Kopie.csv``): an Arbeitsmappe to a Land run, which
    then says what is missing or misnamed instead of leaving the folder out."""
    return any(_aehnlich(p) is not None for p in folder.iterdir())


def nicht_gelesen(folder: Path, gemeinden: Iterable[str] = ()) -> list[str]:
    """German notes on the files in ``folder`` that look like an input but are not read.

    Parameters
    ----------
    folder : Path
        The Arbeitsmappe (only its files, not its subfolders, are looked at).
    gemeinden : iterable of str
        The AGS of the Gemeinden: ``annahmen_<ags>.yaml`` of one of them is read.

    Returns
    -------
    list of str
        One note per file, e.g. "kommunen.ods wird nicht gelesen: Bitte als
        'kommunen.xlsx' (Excel-Arbeitsmappe) oder 'kommunen.csv' speichern."
    """
    gelesen = _gelesen(folder)
    ags = set(gemeinden)
    notes = []
    for path in sorted(folder.iterdir()):
        stem = _aehnlich(path)
        if stem is None or any(path.samefile(p) for p in gelesen.values()):
            continue
        kommune = _KOMMUNE_ANNAHMEN.match(path.name)
        if kommune and kommune.group(1) in ags:
            continue  # read with the reports of that Gemeinde
        if kommune:
            notes.append(
                f"{path.name} wird nicht gelesen: keine Gemeinde mit dem Schlüssel "
                f"'{kommune.group(1)}' in 'gebiete' (Name: 'annahmen_<AGS>.yaml' mit dem "
                "achtstelligen Gemeindeschlüssel)."
            )
            continue
        notes.append(_note(path.name, stem, gelesen.get(stem)))
    return notes


def aehnliche_dateien(folder: Path, stem: str) -> list[str]:
    """Names of the files in ``folder`` that look like the input ``stem`` but are not read.

    For the "Datei fehlt" message of a table: ``faelle.xls`` or ``Fälle.csv`` is
    there, just not under a name that is read.
    """
    gelesen = _gelesen(folder).get(stem)
    return [
        p.name
        for p in sorted(folder.iterdir())
        if _aehnlich(p) == stem and (gelesen is None or not p.samefile(gelesen))
    ]


def blaetter_in_anderen_dateien(folder: Path, stem: str) -> list[tuple[str, str]]:
    """Sheets named like the input ``stem`` in Excel files of ``folder`` that are not read.

    A whole Arbeitsmappe kept as one workbook (``THM_Arbeitsmappe.xlsx`` with the sheets
    "Zielgruppe" and "Angebote") is not read: each table is read from a file of its own.
    The "missing" message of the table names the sheet (round 2, session 56).

    Returns
    -------
    list of tuple
        (file name, sheet name), in the order of the file names; files that cannot be
        opened are passed over (the message is advice, not a check of those files).
    """
    gelesen = list(_gelesen(folder).values())
    gefunden = []
    for path in sorted(folder.iterdir()):
        if (
            path.suffix.lower() not in (".xlsx", ".xlsm")
            or path.name.startswith((".", "~$"))
            or not path.is_file()
            or any(path.samefile(p) for p in gelesen)
        ):
            continue
        try:
            blaetter = sheet_names(path)
        except DataError:
            continue
        gefunden += [(path.name, b) for b in blaetter if _normal(b) == stem]
    return gefunden


def speichern_als(stem: str) -> str:
    """The German advice how to name the input ``stem`` so that it is read."""
    if stem in YAML_DATEIEN:
        return f"Bitte als '{stem}.yaml' speichern"
    if stem in GEO_DATEIEN:
        return f"Bitte als '{stem}.gpkg' (GeoPackage) oder '{stem}.geojson' speichern"
    return f"Bitte als '{stem}.xlsx' (Excel-Arbeitsmappe) oder '{stem}.csv' speichern"


def _gelesen(folder: Path) -> dict[str, Path]:
    """The file each input is read from, by stem (only those present)."""
    found: dict[str, Path | None] = {}
    for stem in TABLES:
        try:
            found[stem] = find_table(folder, stem)
        except DataError:  # both .csv and .xlsx: load_workspace reports it
            found[stem] = None
    for stem in YAML_DATEIEN:
        try:
            found[stem] = find_yaml(folder, stem)
        except DataError:
            found[stem] = None
    try:
        found["gebiete"] = find_gebiete(folder)[0]
    except DataError:
        found["gebiete"] = None
    found["feinraster"] = find_feinraster(folder)
    return {stem: path for stem, path in found.items() if path is not None}


def _normal(name: str) -> str:
    """``name`` lower-cased with umlauts spelt out: ``Fälle.CSV`` -> ``faelle.csv``."""
    text = unicodedata.normalize("NFC", name).strip().lower()
    for umlaut, ersatz in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, ersatz)
    return text


def _endungen(stem: str) -> set[str]:
    """The endings a file with the data of the input ``stem`` may have."""
    if stem in YAML_DATEIEN:
        return _YAML_ENDUNGEN
    if stem in GEO_DATEIEN:
        return _GEO_ENDUNGEN
    return _TABELLE_ENDUNGEN


def _gelesen_als(stem: str) -> tuple[str, ...]:
    """The endings a file of the input ``stem`` is read with."""
    if stem in YAML_DATEIEN:
        return YAML_SUFFIXES
    if stem in GEO_DATEIEN:
        return GEO_SUFFIXES
    return TABLE_SUFFIXES


def _aehnlich(path: Path) -> str | None:
    """The input whose name ``path`` starts like, if it may hold such data; else None.

    Hidden files, Excel's lock files (``~$faelle.xlsx``), folders and files with
    another ending (``faelle_auswertung.pdf``) are none.
    """
    if path.name.startswith((".", "~$")) or not path.is_file():
        return None
    name = _normal(path.name)
    stem = next((s for s in (*TABLES, *YAML_DATEIEN, *GEO_DATEIEN) if name.startswith(s)), None)
    if stem is None or Path(name).suffix not in _endungen(stem):
        return None
    return stem


def _gelesen_als_eingabe(path: Path) -> bool:
    """True if ``path`` has the name of an input (any case): ``Angebote.XLSX``."""
    stem = _aehnlich(path)
    return stem is not None and path.name.lower() in {stem + s for s in _gelesen_als(stem)}


def _note(name: str, stem: str, gelesen: Path | None) -> str:
    """The German note on the unread file ``name`` that looks like the input ``stem``."""
    if name.lower().split(".")[0] != stem:  # another name: "Fälle.csv", "faelle - Kopie.csv"
        if gelesen is not None:
            return f"{name} wird nicht gelesen (Name nicht erkannt): gelesen wird '{gelesen.name}'."
        return f"{name} wird nicht gelesen (Name nicht erkannt): gelesen wird nur {_namen(stem)}."
    if gelesen is not None:  # the same name in another format, next to the one read
        return f"{name} wird nicht gelesen; gelesen wird '{gelesen.name}'."
    ohne_txt = name[: -len(".txt")]
    if name.lower().endswith(".txt") and Path(ohne_txt).suffix.lower() in _gelesen_als(stem):
        return (
            f"{name} wird nicht gelesen: Bitte die Endung '.txt' entfernen ('{ohne_txt}'; "
            "Windows blendet Dateiendungen oft aus)."
        )
    return f"{name} wird nicht gelesen: {speichern_als(stem)}."


def _namen(stem: str) -> str:
    """The names read for ``stem``, in German ("'faelle.xlsx' oder 'faelle.csv'")."""
    if stem == "annahmen":
        return "'annahmen.yaml' (oder 'annahmen.yml') und je Gemeinde 'annahmen_<AGS>.yaml'"
    if stem in YAML_DATEIEN:
        return f"'{stem}.yaml' oder '{stem}.yml'"
    if stem in GEO_DATEIEN:
        return f"'{stem}.gpkg', '{stem}.geojson' oder '{stem}.shp'"
    return f"'{stem}.xlsx' oder '{stem}.csv'"
