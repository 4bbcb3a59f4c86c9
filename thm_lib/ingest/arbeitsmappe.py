"""Loading an Arbeitsmappe (a folder of files per Kreis) into a validated Workspace.

All reading of user input happens here; everything downstream works on the
typed frames of :class:`thm_lib.core.workspace.Workspace`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.errors

from thm_lib.core.config import load_annahmen
from thm_lib.core.errors import DataError, Problem, ProblemCollector, ist_personendatei
from thm_lib.core.programme import load_programm
from thm_lib.core.settings import DATEI
from thm_lib.core.workspace import Workspace
from thm_lib.ingest import schemas
from thm_lib.ingest.columns import (
    Column,
    Dezimalzeichen,
    dezimalzeichen,
    type_column,
)
from thm_lib.ingest.dateinamen import (
    aehnliche_dateien,
    blaetter_in_anderen_dateien,
    find_yaml,
    hat_aehnliche_eingabe,
    hat_eingabe,
    nicht_gelesen,
    speichern_als,
)
from thm_lib.ingest.gebiete import read_feinraster, read_gebiete
from thm_lib.ingest.pruefungen import (
    check_kennungen,
    check_stichtage,
    cross_checks,
    duplicate_checks,
    warn_alter_der_faelle,
    warn_daten_der_faelle,
    warn_kreisschluessel,
    warn_ohne_plaetze,
    warn_stichtag,
)
from thm_lib.ingest.standorte import gemeinden_anderer_kreise, locate_offers
from thm_lib.ingest.tables import (
    RawTable,
    datei_von,
    find_file,
    find_table,
    read_table,
    read_xlsx,
    sheet_names,
)

ANNAHMEN = DATEI
"""``annahmen.yaml``; ``annahmen.yml`` is read the same (:func:`dateinamen.find_yaml`)."""
_BAND_RE = re.compile(r"^\s*(\d{1,3})\s*(?:-|–|bis)\s*(\d{1,3})\s*(?:jahre)?\s*$", re.I)


def load_workspace(folder: str | Path, overrides: dict[str, Any] | None = None) -> Workspace:
    """Read and validate an Arbeitsmappe.

    Parameters
    ----------
    folder : str or Path
        Folder with ``gebiete.*``, ``zielgruppe.*``, ``angebote.*`` and optionally
        ``faelle.*``, ``bedarfe.*``, ``reisezeiten.*``, ``kommunen.*``,
        ``annahmen.yaml``, ``programm.yaml`` (each also as ``.yml``). Other files
        named like one of them (``kommunen.ods``, ``Fälle.csv``) are not read and
        get a warning (:func:`thm_lib.ingest.dateinamen.nicht_gelesen`).
    overrides : dict, optional
        Nested overrides of the assumptions (e.g. from notebook parameters).

    Returns
    -------
    Workspace

    Raises
    ------
    DataError
        With a German message naming file, row, column and what to do, for
        every problem found.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError([_kein_ordner(folder)])
    _kein_land(folder)
    _nur_archive(folder)
    annahmen_datei = find_yaml(folder, "annahmen")
    annahmen = load_annahmen(annahmen_datei, overrides)
    programm = load_programm(find_yaml(folder, "programm"))
    warnings: list[str] = []
    problems = ProblemCollector()
    try:
        gebiete = read_gebiete(folder, annahmen.kreis.ags, warnings)
    except DataError as exc:  # still read the tables, to report all problems at once
        problems.problems.extend(exc.problems)
        gebiete = None
    zielgruppe = _load_zielgruppe(folder, problems, warnings)
    felder = tuple(annahmen.handlungsfelder)  # the configured list, not the default one
    angebote_raw = _load(folder, "angebote", problems, warnings, required=True, felder=felder)
    before = len(problems.problems)
    faelle = _load(folder, "faelle", problems, warnings, required=False)
    faelle_ok = len(problems.problems) == before
    bedarfe = _load_bedarfe(folder, faelle is not None, faelle_ok, problems, warnings, felder)
    reisezeiten = _load(folder, "reisezeiten", problems, warnings, required=False)
    kommunen = _load(folder, "kommunen", problems, warnings, required=False)
    if bedarfe is not None and faelle is None and faelle_ok:
        problems.add(
            datei_von(bedarfe),
            "Bedarfe ohne Fälle: 'faelle' fehlt oder ist leer",
            _nicht_gelesen_text(folder, "faelle")
            or "Bitte die Fälle in 'faelle.xlsx' oder 'faelle.csv' eintragen oder die "
            "Bedarfe entfernen",
        )
    problems.raise_if_any()
    assert gebiete is not None and zielgruppe is not None and angebote_raw is not None

    nachbarorte = gemeinden_anderer_kreise(angebote_raw, gebiete, problems, warnings)
    cross_checks(
        gebiete, zielgruppe, angebote_raw, faelle, bedarfe, reisezeiten, kommunen, problems
    )
    duplicate_checks(zielgruppe, bedarfe, reisezeiten, problems, warnings)
    check_kennungen(faelle, angebote_raw, problems)
    check_stichtage(zielgruppe, problems, warnings)
    problems.raise_if_any()
    angebote = locate_offers(angebote_raw, gebiete, problems, warnings, nachbarorte)
    problems.raise_if_any()
    feinraster = read_feinraster(folder, gebiete, warnings)

    warn_stichtag(annahmen, zielgruppe, warnings)
    warn_kreisschluessel(annahmen, gebiete, warnings)
    warn_ohne_plaetze(angebote_raw, warnings)
    if faelle is not None:
        warn_alter_der_faelle(faelle, annahmen, warnings)
        warn_daten_der_faelle(faelle, warnings)
    _final_dtypes(zielgruppe, faelle, angebote)
    # first: a file that is not read explains many of the warnings after it
    warnings[:0] = nicht_gelesen(folder, gebiete["ags"])
    name = annahmen.kreis.name or folder.resolve().name
    if annahmen_datei is None:
        warnings.append(
            f"{ANNAHMEN} fehlt: es gelten die Voreinstellungen des Programms (unter anderem "
            f"Sperrschwelle {annahmen.datenschutz.schwelle}), und die Berichte tragen den "
            f"Ordnernamen '{name}'. Bitte {ANNAHMEN} anlegen und darin mindestens den Namen "
            "und den Kreisschlüssel eintragen (Vorlage: 'thm vorlage ORDNER')."
        )
    elif not annahmen.kreis.name:
        warnings.append(
            f"{annahmen_datei.name}: kein Name des Kreises (kreis.name); die Berichte "
            f"tragen den Ordnernamen '{name}'. Bitte den Namen in {annahmen_datei.name} "
            "eintragen (Vorlage: 'thm vorlage ORDNER')."
        )
    return Workspace(
        name=str(name),
        folder=folder,
        gebiete=gebiete,
        zielgruppe=_drop_rows(zielgruppe),
        angebote=angebote,
        annahmen=annahmen,
        programm=programm,
        kommunen=_complete_kommunen(kommunen, gebiete),
        faelle=None if faelle is None else _drop_rows(faelle),
        bedarfe=None if bedarfe is None else _drop_rows(bedarfe),
        reisezeiten=None if reisezeiten is None else _drop_rows(reisezeiten),
        feinraster=feinraster,
        warnungen=tuple(warnings),
    )


def arbeitsmappen(ordner: Path) -> list[Path]:
    """The Arbeitsmappen of a Land folder, sorted: its subfolders holding an input of an
    Arbeitsmappe or a file named like one (:func:`hat_aehnliche_eingabe`).

    ``annahmen.yaml`` is not needed: a Kreis without one runs on its own with the
    defaults, and a Land run left it out without a word (round 2, session 56). A
    Kreis whose files are misnamed runs too, and fails with the German reason.
    """
    return sorted(p for p in _unterordner(ordner) if hat_aehnliche_eingabe(p))


def keine_arbeitsmappen(ordner: Path) -> dict[Path, list[Path]]:
    """Subfolders of a Land folder that a Land run skips although they hold something.

    Returns
    -------
    dict
        Folder → the Arbeitsmappen one level below it (an archive unpacked into a folder
        of its own name; often empty: notes, older reports), in sorted order. Empty
        folders are not listed.
    """
    return {
        p: arbeitsmappen(p)
        for p in _unterordner(ordner)
        if not hat_aehnliche_eingabe(p) and any(not q.name.startswith(".") for q in p.iterdir())
    }


def _unterordner(ordner: Path) -> list[Path]:
    """The subfolders of ``ordner`` that are not hidden, sorted; ``__MACOSX`` (what
    unpacking a ZIP file made on a Mac leaves beside its content) counts as hidden."""
    return sorted(
        p
        for p in Path(ordner).iterdir()
        if p.is_dir() and not p.name.startswith(".") and p.name != "__MACOSX"
    )


def ist_land(ordner: Path) -> bool:
    """True for a folder of Arbeitsmappen: no input of an Arbeitsmappe itself
    (:func:`hat_eingabe`), some in subfolders."""
    ordner = Path(ordner)
    return ordner.is_dir() and not hat_eingabe(ordner) and bool(arbeitsmappen(ordner))


def _kein_ordner(folder: Path) -> Problem:
    """The problem for an Arbeitsmappe path that is no folder (missing, a ZIP file, a table)."""
    if folder.is_file() and folder.suffix.lower() == ".zip":
        return Problem(
            str(folder),
            "Die Arbeitsmappe ist eine ZIP-Datei, kein Ordner",
            "Bitte die ZIP-Datei entpacken und den entpackten Ordner angeben",
        )
    if folder.is_file():
        return Problem(
            str(folder),
            "Die Arbeitsmappe ist eine Datei, kein Ordner",
            f"Bitte den Ordner angeben, in dem die Tabellen liegen ('{folder.parent}')",
        )
    return Problem(str(folder), "Ordner der Arbeitsmappe nicht gefunden", "Bitte den Pfad prüfen")


def _kein_land(folder: Path) -> None:
    """A folder of Arbeitsmappen (a Land) is no Arbeitsmappe: say so, instead of listing
    every file it lacks; a folder of one Arbeitsmappe names it (it said "Ordner mit 1
    Arbeitsmappen (ein Land …)" until round 2, session 56)."""
    if not ist_land(folder):
        return
    mappen = [p.name for p in arbeitsmappen(folder)]
    beispiel = folder / mappen[0]
    if len(mappen) == 1:  # an archive unpacked into a folder of its own name
        raise DataError(
            [
                Problem(
                    str(folder),
                    f"Keine Arbeitsmappe; sie liegt eine Ebene tiefer, in '{mappen[0]}'",
                    f"Bitte {beispiel} angeben",
                )
            ]
        )
    raise DataError(
        [
            Problem(
                str(folder),
                f"Ordner mit {len(mappen)} Arbeitsmappen (ein Land: "
                f"{', '.join(mappen[:5])}{' …' if len(mappen) > 5 else ''}), keine "
                "einzelne Arbeitsmappe",
                f"Bitte eine davon angeben, z. B. {beispiel}; nur 'thm batch' rechnet "
                "ein ganzes Land",
            )
        ]
    )


def archive(ordner: Path) -> list[Path]:
    """The ZIP files in ``ordner`` (not hidden), sorted: Arbeitsmappen as an office sends
    them, read only once unpacked."""
    return sorted(
        p
        for p in Path(ordner).iterdir()
        if p.is_file() and p.suffix.lower() == ".zip" and not p.name.startswith(".")
    )


def _nur_archive(folder: Path) -> None:
    """A folder holding ZIP files but no input of an Arbeitsmappe: say to unpack them,
    instead of listing every file it lacks (round 2, session 56)."""
    if hat_aehnliche_eingabe(folder) or not (zips := archive(folder)):
        return
    namen = ", ".join(p.name for p in zips[:5]) + (" …" if len(zips) > 5 else "")
    raise DataError(
        [
            Problem(
                str(folder),
                f"Keine Arbeitsmappe, nur ZIP-Dateien ({namen})",
                "Bitte die ZIP-Dateien entpacken (jede in einen eigenen Ordner) und dann den "
                "Ordner der Arbeitsmappe angeben, für ein ganzes Land den Ordner mit den "
                "entpackten Ordnern",
            )
        ]
    )


def _final_dtypes(
    zielgruppe: pd.DataFrame, faelle: pd.DataFrame | None, angebote: pd.DataFrame
) -> None:
    """Set the int64 columns of docs/datenmodell.md (all values present after the checks)."""
    for frame, columns in (
        (zielgruppe, ("alter_von", "alter_bis")),
        (faelle, ("alter",)),
        (angebote, ("alter_min", "alter_max")),
    ):
        if frame is not None:
            for col in columns:
                frame[col] = frame[col].astype("int64")


def _drop_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="_zeile").reset_index(drop=True)


def _load(
    folder: Path,
    table: str,
    problems: ProblemCollector,
    warnings: list[str],
    *,
    required: bool,
    felder: tuple[str, ...] | None = None,
) -> pd.DataFrame | None:
    try:
        path = find_table(folder, table)
    except DataError as exc:
        problems.problems.extend(exc.problems)
        return None
    if path is None:
        if required:
            problems.add(
                f"{table}.csv/.xlsx",
                "Datei fehlt in der Arbeitsmappe",
                _nicht_gelesen_text(folder, table)
                or f"Bitte '{table}.xlsx' oder '{table}.csv' anlegen (Vorlage: 'thm vorlage "
                "ORDNER')",
            )
        return None
    try:
        raw = read_table(path, [c.name for c in schemas.TABLES[table]])
    except DataError as exc:
        problems.problems.extend(exc.problems)
        return None
    return _type_unless_empty(raw, table, problems, warnings, required=required, felder=felder)


def _nicht_gelesen_text(folder: Path, table: str) -> str:
    """Advice naming the files that look like ``table`` but are not read, or the sheet of
    another Excel file that holds it, else ""."""
    andere = aehnliche_dateien(folder, table)
    if andere:
        namen = ", ".join(f"'{n}'" for n in andere)
        return f"Vorhanden, aber nicht gelesen: {namen}. {speichern_als(table)}"
    blaetter = blaetter_in_anderen_dateien(folder, table)
    if blaetter:
        datei, blatt = blaetter[0]
        return (
            f"Vorhanden als Blatt '{blatt}' in '{datei}', aber jede Tabelle wird aus einer "
            f"eigenen Datei gelesen. Bitte das Blatt als '{table}.xlsx' speichern (in Excel: "
            "Blatt verschieben/kopieren in eine neue Arbeitsmappe)"
        )
    return ""


def _type_unless_empty(
    raw: RawTable,
    table: str,
    problems: ProblemCollector,
    warnings: list[str],
    *,
    required: bool,
    felder: tuple[str, ...] | None = None,
) -> pd.DataFrame | None:
    """Type ``raw``; a table with only a header is a problem if required, else left out.

    The offers are the exception: a Kreis that has not documented any yet (a new
    Geschäftsführende Stelle) gets its target group, staffing and needs, with every
    need a gap, and a warning.
    """
    warnings.extend(raw.hinweise)
    if raw.frame.empty and table == "angebote":
        warnings.append(
            f"{raw.datei}: noch keine Angebote erfasst. Die Versorgung ist überall 0 %, "
            "jeder Bedarf ist eine Lücke; Zielgruppe und Stellen hängen nicht davon ab. "
            "Bitte die Angebote ab Zeile 2 eintragen."
        )
        return type_table(raw, table, problems, warnings, felder)
    if raw.frame.empty:
        if required:
            problems.add(
                raw.datei,
                "Datei enthält nur die Kopfzeile, keine Daten",
                "Bitte die Daten ab Zeile 2 eintragen",
                zeile=2,
            )
        else:
            warnings.append(f"{raw.datei}: enthält keine Datenzeilen und wird nicht verwendet.")
        return None
    return type_table(raw, table, problems, warnings, felder)


def type_table(
    raw: RawTable,
    table: str,
    problems: ProblemCollector,
    warnings: list[str],
    felder: tuple[str, ...] | None = None,
) -> pd.DataFrame | None:
    """Type a raw table by its schema; record problems; return the typed frame.

    Parameters
    ----------
    raw : RawTable
        The table as text (:func:`thm_lib.ingest.tables.read_table`).
    table : str
        Key of :data:`thm_lib.ingest.schemas.TABLES`, e.g. ``angebote``.
    problems : ProblemCollector
        Receives one problem per bad cell (never raises itself).
    warnings : list of str
        Receives German warnings (placeholders, unknown columns).
    felder : tuple of str, optional
        The configured Handlungsfelder (``annahmen.handlungsfelder``), allowed in
        a ``handlungsfeld`` column instead of the default list of the schema.

    Returns
    -------
    pandas.DataFrame or None
        Typed columns plus ``_zeile`` (the user-visible row number); ``None``
        when required columns are missing.
    """
    columns = tuple(
        replace(c, choices=felder) if felder and c.name == "handlungsfeld" else c
        for c in schemas.TABLES[table]
    )
    missing = [c.name for c in columns if c.required and c.name not in raw.frame.columns]
    if missing:
        # the header cells of faelle/bedarfe are not listed: were the header row left
        # out, they would be a case record (a table without any expected name in its
        # first row is refused before, in thm_lib.ingest.tables.find_header)
        vorhanden = (
            ""
            if ist_personendatei(raw.datei)
            else "Vorhandene Spalten: "
            + ", ".join(raw.wie_geschrieben(c) for c in raw.frame.columns)
            + ". "
        )
        for name in missing:
            problems.add(
                raw.datei,
                "Pflichtspalte fehlt",
                vorhanden + "Bitte die Kopfzeile wie in der Vorlage schreiben",
                zeile=1,
                spalte=name,
            )
        return None
    known = {c.name for c in columns}
    unknown = [c for c in raw.frame.columns if c not in known]
    if unknown:
        warnings.append(
            f"{raw.datei}: unbekannte Spalten werden nicht ausgewertet: "
            f"{', '.join(raw.wie_geschrieben(c) for c in unknown)} (Tippfehler? Bekannt sind: "
            f"{', '.join(c.name for c in columns)})."
        )
    before = len(problems.problems)
    dezimal = _dezimalzeichen(raw, columns)
    excel: dict[str, set[int]] = {}
    for i, name in raw.zahlzellen:
        excel.setdefault(name, set()).add(i)
    typed = {"_zeile": pd.Series(raw.zeilen, index=raw.frame.index, dtype="int64")}
    for col in columns:
        if col.name in raw.frame.columns:
            typed[col.name] = type_column(
                raw.frame[col.name],
                col,
                raw.datei,
                raw.zeilen,
                problems,
                warnings,
                dezimal,
                excel.get(col.name, set()),
            )
        else:
            typed[col.name] = pd.Series(
                [None] * len(raw.frame), index=raw.frame.index, dtype=object
            )
    frame = _set_dtypes(pd.DataFrame(typed), columns)
    frame.attrs["datei"] = raw.datei
    frame.attrs["spalten"] = tuple(raw.frame.columns)
    if len(problems.problems) == before:
        _pandera_checks(frame, table, raw, problems)
    return frame


def _dezimalzeichen(raw: RawTable, columns: tuple[Column, ...]) -> Dezimalzeichen:
    """The decimal separator of ``raw``, from the text cells of its ``float`` columns."""
    floats = [c for c in columns if c.kind == "float" and c.name in raw.frame.columns]
    return dezimalzeichen(
        (zeile, col.name, text, col.tausender)
        for col in floats
        for i, (text, zeile) in enumerate(zip(raw.frame[col.name], raw.zeilen, strict=True))
        if (i, col.name) not in raw.zahlzellen
    )


def _set_dtypes(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    for col in columns:
        s = frame[col.name]
        if col.kind == "int":
            frame[col.name] = pd.array([None if v is None else int(v) for v in s], dtype="Int64")
        elif col.kind == "float":
            frame[col.name] = pd.to_numeric(s, errors="coerce").astype(float)
        elif col.kind == "date":
            frame[col.name] = pd.to_datetime(s, errors="coerce").astype("datetime64[ns]")
        elif col.kind == "bool":
            frame[col.name] = s.astype(bool) if s.notna().all() else s.astype("boolean")
        elif col.kind in ("ags_list", "text_list"):
            frame[col.name] = s.map(lambda v: v if isinstance(v, tuple) else ())
    return frame


def _pandera_checks(
    frame: pd.DataFrame, table: str, raw: RawTable, problems: ProblemCollector
) -> None:
    """Run the pandera checks of ``table``; one German problem per bad row and check."""
    schema = schemas.CHECKS.get(table)
    if schema is None:
        return
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        _report_failures(exc.failure_cases, frame, raw, problems)


def _raw_text(raw: RawTable, idx: Any, column: str) -> str | None:
    if column in raw.frame.columns and idx in raw.frame.index:
        return str(raw.frame.at[idx, column])
    return None


def _report_failures(
    cases: pd.DataFrame, frame: pd.DataFrame, raw: RawTable, problems: ProblemCollector
) -> None:
    """Turn pandera failure cases into problems naming row, column and the cell as written.

    Frame-wide checks become one problem per row (blaming the columns of
    ``schemas.FRAME_CHECK_SPALTEN``); duplicates one problem per value listing
    every row; all sorted by row.
    """
    found = ProblemCollector()
    duplicates: dict[tuple[str, str], list[int]] = {}
    seen: set[tuple[Any, str]] = set()
    for case in cases.to_dict("records"):
        idx, column, check = case.get("index"), case.get("column"), str(case.get("check"))
        if idx is None or pd.isna(idx) or idx not in frame.index:
            found.add(
                raw.datei,
                f"Tabelle passt nicht zum Schema ({check})",
                "Bitte die Vorlage verwenden ('thm vorlage ORDNER')",
                spalte=None if pd.isna(column) else str(column),
            )
            continue
        zeile = int(frame.at[idx, "_zeile"])
        if check == "field_uniqueness":
            duplicates.setdefault((str(column), str(case.get("failure_case"))), []).append(zeile)
            continue
        spalten = schemas.FRAME_CHECK_SPALTEN.get(check)
        if spalten:
            if (idx, check) in seen:
                continue
            seen.add((idx, check))
            wert = ", ".join(f"{c}={_raw_text(raw, idx, c)}" for c in spalten)
            found.add(
                raw.datei,
                check,
                schemas.HINWEISE.get(check, ""),
                zeile=zeile,
                spalte=spalten[0],
                wert=wert,
            )
            continue
        found.add(
            raw.datei,
            check,
            schemas.HINWEISE.get(check, "Bitte den Wert korrigieren"),
            zeile=zeile,
            spalte=str(column),
            wert=_raw_text(raw, idx, str(column)),
        )
    for (column, value), zeilen in duplicates.items():
        zeilen = sorted(zeilen)
        found.add(
            raw.datei,
            f"Wert kommt mehrfach vor (Zeilen {', '.join(str(z) for z in zeilen)})",
            schemas.DOPPELT_HINWEISE.get(
                column,
                f"Jeder Wert in '{column}' darf nur einmal vorkommen: bitte doppelte Zeilen "
                "löschen oder eine neue Kennung vergeben",
            ),
            zeile=zeilen[0],
            spalte=column,
            wert=value,
        )
    problems.problems.extend(sorted(found.problems, key=lambda p: (p.zeile or 0, p.spalte or "")))


def _load_zielgruppe(
    folder: Path, problems: ProblemCollector, warnings: list[str]
) -> pd.DataFrame | None:
    before = len(problems.problems)
    frame = _load(folder, "zielgruppe", problems, warnings, required=True)
    if frame is None or len(problems.problems) > before:
        return None  # age bands are checked once the cells are readable
    datei = datei_von(frame)
    if not {"alter", "altersgruppe"} & set(frame.attrs.get("spalten", ())):
        problems.add(
            datei,
            "Pflichtspalte fehlt: weder 'alter' noch 'altersgruppe'",
            "Bitte eine Spalte 'alter' (z. B. 19) oder 'altersgruppe' (z. B. 18-20) anlegen",
            zeile=1,
            spalte="alter",
        )
        return None
    lo, hi = schemas.ALTER_GRENZEN
    von, bis = [], []
    for alter, band, zeile in zip(
        frame["alter"], frame["altersgruppe"], frame["_zeile"], strict=True
    ):
        if not pd.isna(alter):
            von.append(int(alter))
            bis.append(int(alter))
            continue
        match = _BAND_RE.match(str(band)) if band is not None else None
        if band is None:
            problems.add(
                datei,
                "weder Alter noch Altersgruppe angegeben",
                "Bitte 'alter' (z. B. 19) oder 'altersgruppe' (z. B. 18-20) eintragen",
                zeile=zeile,
                spalte="alter",
            )
        elif match is None or not lo <= int(match.group(1)) <= int(match.group(2)) <= hi:
            problems.add(
                datei,
                "Altersgruppe nicht lesbar",
                f"Bitte als 'von-bis' mit Altern zwischen {lo} und {hi} eintragen, z. B. 18-20",
                zeile=zeile,
                spalte="altersgruppe",
                wert=band,
            )
        else:
            von.append(int(match.group(1)))
            bis.append(int(match.group(2)))
            continue
        von.append(None)
        bis.append(None)
    frame["alter_von"] = pd.array(von, dtype="Int64")
    frame["alter_bis"] = pd.array(bis, dtype="Int64")
    frame["geschlecht"] = frame["geschlecht"].fillna("x")
    return frame.drop(columns="altersgruppe")


def _load_bedarfe(
    folder: Path,
    have_faelle: bool,
    faelle_ok: bool,
    problems: ProblemCollector,
    warnings: list[str],
    felder: tuple[str, ...] | None = None,
) -> pd.DataFrame | None:
    """Needs from ``bedarfe.csv/.xlsx`` or the sheet 'bedarfe' of ``faelle.xlsx``.

    ``faelle_ok``: reading ``faelle`` raised no problem (it may have been empty).
    """
    try:
        path = find_table(folder, "bedarfe")
    except DataError as exc:
        problems.problems.extend(exc.problems)
        return None
    if path is not None:
        return _load(folder, "bedarfe", problems, warnings, required=False, felder=felder)
    faelle_xlsx = find_file(folder, "faelle.xlsx")
    if faelle_ok and faelle_xlsx is not None:  # else faelle.xlsx reported its own problems
        try:
            if "bedarfe" in [n.strip().lower() for n in sheet_names(faelle_xlsx)]:
                raw = read_xlsx(faelle_xlsx, "bedarfe", [c.name for c in schemas.TABLES["bedarfe"]])
                return _type_unless_empty(
                    raw, "bedarfe", problems, warnings, required=False, felder=felder
                )
        except DataError as exc:
            problems.problems.extend(exc.problems)
            return None
    if have_faelle:
        warnings.append(
            "Zu den Fällen fehlen die Bedarfe (bedarfe.csv/.xlsx oder Blatt "
            "'bedarfe' in faelle.xlsx): Bedarfsquoten kommen aus den Annahmen."
        )
    return None


def _complete_kommunen(kommunen: pd.DataFrame | None, gebiete: gpd.GeoDataFrame) -> pd.DataFrame:
    base = pd.DataFrame({"ags": gebiete["ags"].to_numpy()})
    if kommunen is not None:
        base = base.merge(kommunen.drop(columns="_zeile"), on="ags", how="left")
    else:
        for col in schemas.KOMMUNEN[1:]:
            base[col.name] = np.nan
    for col in ("geschaeftsfuehrende_stelle", "haushaltssicherung"):
        base[col] = base[col].astype("boolean").fillna(False).astype(bool)
    base["stellen_bestand"] = pd.to_numeric(base["stellen_bestand"]).astype(float)
    base["stichtag_erstantrag"] = pd.to_datetime(base["stichtag_erstantrag"]).astype(
        "datetime64[ns]"
    )
    return base
