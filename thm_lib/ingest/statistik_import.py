"""``thm import statistik``: read a statistics file, write ``zielgruppe.csv`` (atomically).

The file work around :mod:`thm_lib.ingest.statistik` (which is pure): reading the
table and the mapping files, the Arbeitsmappe's Gemeinden, and writing the
result. See ``docs/statistik_import.md``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from thm_lib.core.atomic import atomic_write_text
from thm_lib.core.config import DEFAULTS_PACKAGE, load_annahmen, read_yaml
from thm_lib.core.errors import DataError, Problem
from thm_lib.ingest.columns import parse_date
from thm_lib.ingest.dateinamen import find_yaml
from thm_lib.ingest.gebiete import read_gebiete
from thm_lib.ingest.statistik import (
    ImportErgebnis,
    Zuordnung,
    parse_statistik,
    teilweise_gezaehlte_altersgruppen,
    zielgruppe_aus_statistik,
    zuordnung_aus,
)
from thm_lib.ingest.tables import TABLE_SUFFIXES, find_file

ZUORDNUNG_DATEI = "statistik_zuordnung.yaml"
"""Name of the shipped mapping and of the user's extension in the Arbeitsmappe."""


def lade_zuordnung(arbeitsmappe: Path | None = None, datei: Path | None = None) -> Zuordnung:
    """The category mapping: ``datei``, then the Arbeitsmappe's file, then the default.

    Parameters
    ----------
    arbeitsmappe : Path, optional
        Folder that may hold ``statistik_zuordnung.yaml``.
    datei : Path, optional
        A further mapping file (command-line option ``--zuordnung``); highest priority.

    Returns
    -------
    Zuordnung

    Raises
    ------
    DataError
        For a missing ``datei`` or invalid rules.
    """
    teile = []
    if datei is not None:
        if not Path(datei).is_file():
            raise DataError(
                [Problem(str(datei), "Zuordnungsdatei nicht gefunden", "Bitte den Pfad prüfen")]
            )
        teile.append((read_yaml(Path(datei)), Path(datei).name))
    eigene = find_file(arbeitsmappe, ZUORDNUNG_DATEI) if arbeitsmappe is not None else None
    if eigene is not None:
        teile.append((read_yaml(eigene), eigene.name))
    default = resources.files(DEFAULTS_PACKAGE).joinpath(ZUORDNUNG_DATEI).read_text("utf-8")
    teile.append((yaml.safe_load(default), f"{ZUORDNUNG_DATEI} (Standard)"))
    return zuordnung_aus(teile)


def importiere_statistik(
    datei: Path, arbeitsmappe: Path, *, zuordnung: Path | None = None, stichtag: str | None = None
) -> ImportErgebnis:
    """Read ``datei`` and compute the Arbeitsmappe's ``zielgruppe`` rows (nothing written).

    Parameters
    ----------
    datei : Path
        GENESIS flat CSV (or its ZIP) or Regionaldatenbank table CSV.
    arbeitsmappe : Path
        The Arbeitsmappe (its ``gebiete`` and ``annahmen.yaml`` are read).
    zuordnung : Path, optional
        Extra mapping file.
    stichtag : str, optional
        TT.MM.JJJJ, for tables without a time (refused if the table's own dates differ).

    Returns
    -------
    ImportErgebnis

    Raises
    ------
    DataError
        With German messages for every problem.
    """
    datei, arbeitsmappe = Path(datei), Path(arbeitsmappe)
    if not datei.is_file():
        raise DataError(
            [Problem(str(datei), "Statistikdatei nicht gefunden", "Bitte den Pfad prüfen")]
        )
    if not arbeitsmappe.is_dir():
        raise DataError(
            [
                Problem(
                    str(arbeitsmappe),
                    "Ordner der Arbeitsmappe nicht gefunden",
                    "Bitte den Pfad prüfen",
                )
            ]
        )
    tag = None
    if stichtag is not None:
        try:
            tag = parse_date(stichtag)
        except ValueError:
            raise DataError(
                [
                    Problem(
                        "Option --stichtag",
                        "kein gültiges Datum",
                        "Bitte als TT.MM.JJJJ angeben",
                        wert=stichtag,
                    )
                ]
            ) from None
    mapping = lade_zuordnung(arbeitsmappe, zuordnung)
    annahmen = load_annahmen(find_yaml(arbeitsmappe, "annahmen"))
    kreis = annahmen.kreis.ags
    warnungen: list[str] = []
    gebiete = read_gebiete(arbeitsmappe, kreis, warnungen)
    roh = parse_statistik(datei.read_bytes(), datei.name)
    ergebnis = zielgruppe_aus_statistik(roh, mapping, gebiete.drop(columns="geometry"), tag)
    ergebnis.bericht.hinweise.extend(warnungen)
    ergebnis.bericht.hinweise.extend(
        teilweise_gezaehlte_altersgruppen(
            ergebnis.zielgruppe, annahmen.zielgruppe.alter_min, annahmen.zielgruppe.alter_max
        )
    )
    return ergebnis


def schreibe_zielgruppe(
    ergebnis: ImportErgebnis, arbeitsmappe: Path, *, ersetzen: bool = False
) -> Path:
    """Write ``zielgruppe.csv`` (``;``, UTF-8 with BOM for Excel) atomically.

    Raises
    ------
    DataError
        If a ``zielgruppe`` table exists and ``ersetzen`` is false, or if
        ``zielgruppe.xlsx`` exists (it would compete with the CSV).
    """
    arbeitsmappe = Path(arbeitsmappe)
    vorhanden = [
        p
        for p in (find_file(arbeitsmappe, f"zielgruppe{s}") for s in TABLE_SUFFIXES)
        if p is not None
    ]
    xlsx = [p for p in vorhanden if p.suffix.lower() == ".xlsx"]
    if xlsx:
        raise DataError(
            [
                Problem(
                    xlsx[0].name,
                    "in der Arbeitsmappe liegt schon eine Zielgruppe als Excel-Datei",
                    "Bitte die Datei umbenennen "
                    "oder verschieben; der Import schreibt zielgruppe.csv und "
                    "ändert vorhandene Excel-Dateien nicht",
                )
            ]
        )
    if vorhanden and not ersetzen:
        raise DataError(
            [
                Problem(
                    vorhanden[0].name,
                    "Datei gibt es schon und wird nicht überschrieben",
                    "Zum Ersetzen --ersetzen angeben",
                )
            ]
        )
    path = vorhanden[0] if vorhanden else arbeitsmappe / "zielgruppe.csv"
    frame: pd.DataFrame = ergebnis.zielgruppe
    text = frame.to_csv(sep=";", index=False, lineterminator="\n")
    atomic_write_text(path, "\ufeff" + text)
    return path
