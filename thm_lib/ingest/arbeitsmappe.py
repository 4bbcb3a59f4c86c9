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
from thm_lib.core.errors import DataError, Problem, ProblemCollector, zeilen_text
from thm_lib.core.formats import zahl
from thm_lib.core.programme import load_programm
from thm_lib.core.settings import DATEI, Annahmen
from thm_lib.core.workspace import CRS_METRIC, CRS_WEB, Workspace
from thm_lib.ingest import schemas
from thm_lib.ingest.columns import (
    Column,
    Dezimalzeichen,
    dezimalzeichen,
    normalise_plz,
    type_column,
)
from thm_lib.ingest.gebiete import read_feinraster, read_gebiete
from thm_lib.ingest.tables import (
    RawTable,
    find_file,
    find_table,
    read_table,
    read_xlsx,
    sheet_names,
)

ANNAHMEN = DATEI
_BAND_RE = re.compile(r"^\s*(\d{1,3})\s*(?:-|–|bis)\s*(\d{1,3})\s*(?:jahre)?\s*$", re.I)


def load_workspace(folder: str | Path, overrides: dict[str, Any] | None = None) -> Workspace:
    """Read and validate an Arbeitsmappe.

    Parameters
    ----------
    folder : str or Path
        Folder with ``gebiete.*``, ``zielgruppe.*``, ``angebote.*`` and optionally
        ``faelle.*``, ``bedarfe.*``, ``reisezeiten.*``, ``kommunen.*``,
        ``annahmen.yaml``, ``programm.yaml``.
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
        raise DataError(
            [
                Problem(
                    str(folder), "Ordner der Arbeitsmappe nicht gefunden", "Bitte den Pfad prüfen"
                )
            ]
        )
    _kein_land(folder)
    annahmen = load_annahmen(find_file(folder, ANNAHMEN), overrides)
    programm = load_programm(find_file(folder, "programm.yaml"))
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
            _datei(bedarfe),
            "Bedarfe ohne Fälle: 'faelle' fehlt oder ist leer",
            "Bitte die Fälle in 'faelle.xlsx' oder 'faelle.csv' eintragen oder die "
            "Bedarfe entfernen",
        )
    problems.raise_if_any()
    assert gebiete is not None and zielgruppe is not None and angebote_raw is not None

    _cross_checks(
        gebiete, zielgruppe, angebote_raw, faelle, bedarfe, reisezeiten, kommunen, problems
    )
    _duplicate_checks(zielgruppe, bedarfe, reisezeiten, problems, warnings)
    _check_stichtage(zielgruppe, problems, warnings)
    problems.raise_if_any()
    angebote = _locate_offers(angebote_raw, gebiete, problems, warnings)
    problems.raise_if_any()
    feinraster = read_feinraster(folder, gebiete, warnings)

    _warn_stichtag(annahmen, zielgruppe, warnings)
    _warn_ohne_plaetze(angebote_raw, warnings)
    if faelle is not None:
        _warn_alter_der_faelle(faelle, annahmen, warnings)
        _warn_daten_der_faelle(faelle, warnings)
    _final_dtypes(zielgruppe, faelle, angebote)
    name = annahmen.kreis.name
    if not name:
        name = folder.resolve().name
        warnings.append(
            f"annahmen.yaml: kein Name des Kreises (kreis.name); die Berichte "
            f"tragen den Ordnernamen '{name}'. Bitte den Namen in annahmen.yaml "
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
    """The Arbeitsmappen of a Land folder: its subfolders holding an ``annahmen.yaml``
    (any case), sorted."""
    return sorted(
        p for p in Path(ordner).iterdir() if p.is_dir() and find_file(p, ANNAHMEN) is not None
    )


def ist_land(ordner: Path) -> bool:
    """True for a folder of Arbeitsmappen: no ``annahmen.yaml`` itself, some in subfolders."""
    ordner = Path(ordner)
    return ordner.is_dir() and find_file(ordner, ANNAHMEN) is None and bool(arbeitsmappen(ordner))


def _kein_land(folder: Path) -> None:
    """A folder of Arbeitsmappen (a Land) is no Arbeitsmappe: say so, instead of listing
    every file it lacks."""
    if not ist_land(folder):
        return
    mappen = [p.name for p in arbeitsmappen(folder)]
    beispiel = folder / mappen[0]
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


def _warn_stichtag(annahmen: Annahmen, zielgruppe: pd.DataFrame, warnings: list[str]) -> None:
    stichtag = annahmen.kreis.stichtag
    if stichtag is None:
        return
    vorhanden = set(zielgruppe["stichtag"].dropna())
    if pd.Timestamp(stichtag) not in vorhanden:
        shown = ", ".join(sorted(t.strftime("%d.%m.%Y") for t in vorhanden))
        warnings.append(
            f"annahmen.yaml: Für den Stichtag {pd.Timestamp(stichtag):%d.%m.%Y} "
            f"gibt es keine Zeilen in der Zielgruppe (vorhanden: {shown}); "
            "gezählt wird am letzten Stichtag davor (sonst am frühesten)."
        )


def _warn_ohne_plaetze(angebote: pd.DataFrame, warnings: list[str]) -> None:
    """Offers with 0 places: listed and mapped, but they cover no need in the coverage.

    Not an error (a placeholder while the capacity is asked for), but never a silent
    zero: the planner learns which offers count for nothing.
    """
    ohne = angebote[angebote["plaetze"] == 0]
    if ohne.empty:
        return
    ids = ", ".join(str(i) for i in ohne["angebot_id"])
    warnings.append(
        f"{_datei(angebote)}, Spalte 'plaetze': {len(ohne)} "
        f"{'Angebot' if len(ohne) == 1 else 'Angebote'} mit 0 Plätzen "
        f"({zeilen_text(int(z) for z in ohne['_zeile'])}: {ids}). Sie stehen im "
        "Angebotsverzeichnis und auf der Karte, decken bei der Versorgung aber keinen Bedarf. "
        "Bitte die Plätze pro Jahr eintragen (eine Schätzung ist besser als keine) oder ein "
        "beendetes Angebot mit 'ende' abschließen."
    )


def _zeilen_mit_werten(frame: pd.DataFrame, spalte: str, text: Any, bis: int = 5) -> str:
    """``Zeile 2: 35, Zeile 4: 17`` for the first ``bis`` rows, then ``und n weitere``."""
    teile = ", ".join(
        f"Zeile {int(z)}: {text(w)}"
        for z, w in frame[["_zeile", spalte]].head(bis).itertuples(index=False)
    )
    return teile + (f" und {len(frame) - bis} weitere" if len(frame) > bis else "")


def _warn_alter_der_faelle(faelle: pd.DataFrame, annahmen: Annahmen, warnings: list[str]) -> None:
    """Cases whose age at the start lies outside the target group (a typo, or a case that
    came in later): counted in the Fallzahlen, not in the need rates of the target group.

    The warning names rows and ages only, never a pseudonym (it reaches the console).
    """
    von, bis = annahmen.zielgruppe.alter_min, annahmen.zielgruppe.alter_max
    aussen = faelle[(faelle["alter"] < von) | (faelle["alter"] > bis)]
    if aussen.empty:
        return
    zeilen = _zeilen_mit_werten(aussen, "alter", lambda a: str(int(a)))
    warnings.append(
        f"{_datei(faelle)}, Spalte 'alter': {len(aussen)} "
        f"{'Fall ist' if len(aussen) == 1 else 'Fälle sind'} bei Beginn nicht {von} bis {bis} "
        f"Jahre alt ({zeilen}). Sie zählen in den Fallzahlen, aber nicht für die "
        "Bedarfsquoten der Zielgruppe. Bitte das Alter prüfen (Tippfehler?)."
    )


def _warn_daten_der_faelle(
    faelle: pd.DataFrame, warnings: list[str], heute: pd.Timestamp | None = None
) -> None:
    """Case dates that look like typos: after today, or a closure reason without an end.

    A case that begins after today counts in no period up to now; one with an
    ``abschlussgrund`` but no ``ende`` counts as active. Warnings, not errors (a
    start may be entered ahead); rows only, never a pseudonym.
    """
    heute = pd.Timestamp.today().normalize() if heute is None else heute
    datei = _datei(faelle)
    for spalte in ("beginn", "ende"):
        spaet = faelle[faelle[spalte] > heute]
        if len(spaet):
            zeilen = _zeilen_mit_werten(spaet, spalte, lambda d: f"{d:%d.%m.%Y}")
            warnings.append(
                f"{datei}, Spalte '{spalte}': {len(spaet)} "
                f"{'Datum liegt' if len(spaet) == 1 else 'Daten liegen'} nach dem heutigen Tag "
                f"({zeilen}). Ein Fall zählt nur in Zeiträumen, in denen er "
                "begonnen hat und nicht beendet ist. Tippfehler im Jahr?"
            )
    offen = faelle[faelle["abschlussgrund"].notna() & faelle["ende"].isna()]
    if len(offen):
        warnings.append(
            f"{datei}, Spalte 'ende': {len(offen)} "
            f"{'Fall hat' if len(offen) == 1 else 'Fälle haben'} einen Abschlussgrund, aber "
            f"kein Ende ({zeilen_text(int(z) for z in offen['_zeile'])}) und "
            f"{'zählt' if len(offen) == 1 else 'zählen'} als aktiv. Bitte das Ende eintragen "
            "oder den Abschlussgrund löschen."
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
                f"Bitte '{table}.xlsx' oder '{table}.csv' anlegen (Vorlage: 'thm vorlage ORDNER')",
            )
        return None
    try:
        raw = read_table(path, [c.name for c in schemas.TABLES[table]])
    except DataError as exc:
        problems.problems.extend(exc.problems)
        return None
    return _type_unless_empty(raw, table, problems, warnings, required=required, felder=felder)


def _type_unless_empty(
    raw: RawTable,
    table: str,
    problems: ProblemCollector,
    warnings: list[str],
    *,
    required: bool,
    felder: tuple[str, ...] | None = None,
) -> pd.DataFrame | None:
    """Type ``raw``; a table with only a header is a problem if required, else left out."""
    warnings.extend(raw.hinweise)
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
        for name in missing:
            problems.add(
                raw.datei,
                "Pflichtspalte fehlt",
                "Vorhandene Spalten: "
                + ", ".join(raw.frame.columns)
                + ". Bitte die Kopfzeile wie in der "
                "Vorlage schreiben",
                zeile=1,
                spalte=name,
            )
        return None
    known = {c.name for c in columns}
    unknown = [c for c in raw.frame.columns if c not in known]
    if unknown:
        warnings.append(
            f"{raw.datei}: unbekannte Spalten werden nicht ausgewertet: "
            f"{', '.join(unknown)} (Tippfehler? Bekannt sind: "
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
            f"Jeder Wert in '{column}' darf "
            "nur einmal vorkommen: bitte doppelte Zeilen löschen oder eine neue "
            "Kennung vergeben",
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
    datei = _datei(frame)
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


def _datei(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("datei", "?"))


def _unknown_ags(
    frame: pd.DataFrame,
    datei: str,
    known: set[str],
    problems: ProblemCollector,
    column: str = "ags",
) -> None:
    for ags, zeile in zip(frame[column], frame["_zeile"], strict=True):
        if ags is not None and not pd.isna(ags) and ags not in known:
            problems.add(
                datei,
                "Gemeindeschlüssel gibt es in 'gebiete' nicht",
                "Bitte den AGS prüfen oder die Gemeinde in 'gebiete' ergänzen",
                zeile=int(zeile),
                spalte=column,
                wert=ags,
            )


def _cross_checks(
    gebiete: gpd.GeoDataFrame,
    zielgruppe: pd.DataFrame,
    angebote: pd.DataFrame,
    faelle: pd.DataFrame | None,
    bedarfe: pd.DataFrame | None,
    reisezeiten: pd.DataFrame | None,
    kommunen: pd.DataFrame | None,
    problems: ProblemCollector,
) -> None:
    known = set(gebiete["ags"])
    folder_files = {
        "zielgruppe": zielgruppe,
        "angebote": angebote,
        "faelle": faelle,
        "reisezeiten": reisezeiten,
        "kommunen": kommunen,
    }
    for frame in folder_files.values():
        if frame is not None:
            _unknown_ags(frame, _datei(frame), known, problems)
    for ids, zeile in zip(angebote["einzugsgebiet"], angebote["_zeile"], strict=True):
        for ags in ids:
            if ags not in known:
                problems.add(
                    _datei(angebote),
                    "Einzugsgebiet nennt einen unbekannten AGS",
                    "Bitte nur AGS aus 'gebiete' eintragen",
                    zeile=int(zeile),
                    spalte="einzugsgebiet",
                    wert=ags,
                )
    for frame in (angebote, faelle):
        if frame is None:
            continue
        datei = _datei(frame)
        bad = frame["ende"].notna() & frame["beginn"].notna() & (frame["ende"] < frame["beginn"])
        for zeile, beginn, ende in frame.loc[bad, ["_zeile", "beginn", "ende"]].itertuples(
            index=False
        ):
            problems.add(
                datei,
                "Ende liegt vor dem Beginn",
                "Bitte die Daten prüfen (vertauscht?)",
                zeile=int(zeile),
                spalte="ende",
                wert=f"beginn={beginn:%d.%m.%Y}, ende={ende:%d.%m.%Y}",
            )
    if reisezeiten is not None:
        ids = set(angebote["angebot_id"])
        for aid, zeile in zip(reisezeiten["angebot_id"], reisezeiten["_zeile"], strict=True):
            if aid not in ids:
                problems.add(
                    _datei(reisezeiten),
                    "Angebot gibt es in 'angebote' nicht",
                    "Bitte die angebot_id prüfen",
                    zeile=int(zeile),
                    spalte="angebot_id",
                    wert=aid,
                )
    if bedarfe is not None and faelle is not None:
        ids = set(faelle["fall_id"])
        for fid, zeile in zip(bedarfe["fall_id"], bedarfe["_zeile"], strict=True):
            if fid not in ids:
                problems.add(
                    _datei(bedarfe),
                    "Fall gibt es in 'faelle' nicht",
                    "Bitte die fall_id prüfen",
                    zeile=int(zeile),
                    spalte="fall_id",
                    wert=fid,
                )


#: A Stichtag standing in at most this many rows of zielgruppe, while another one
#: stands in :data:`SELTEN_FAKTOR` times as many, is likely a typo (warning).
SELTEN_ZEILEN = 3
SELTEN_FAKTOR = 10


def _check_stichtage(
    zielgruppe: pd.DataFrame,
    problems: ProblemCollector,
    warnings: list[str],
    heute: pd.Timestamp | None = None,
) -> None:
    """Stichtage that cannot be right (in the future) or look like a typo (a stray date).

    A count of the target group is never dated after today: an error. A Stichtag
    found in only a few rows while the others fill hundreds is most likely a
    mistyped date; it is not harmless, because each Gemeinde is counted at its
    own latest Stichtag (:func:`thm_lib.analysis.target_group.stichtag_je_gemeinde`):
    one row dated 31.12.2031 instead of 2021 made the Gemeinde count that row
    alone, another date in between dropped the row without a word. A warning,
    since a Stichtag may hold just a few rows on purpose.
    """
    datei = _datei(zielgruppe)
    heute = pd.Timestamp.today().normalize() if heute is None else heute
    zukunft = zielgruppe[zielgruppe["stichtag"] > heute]
    for zeile, tag in zukunft[["_zeile", "stichtag"]].itertuples(index=False):
        problems.add(
            datei,
            "Stichtag liegt in der Zukunft",
            f"Bitte das Datum prüfen (heute ist der {heute:%d.%m.%Y}; Tippfehler im Jahr?)",
            zeile=int(zeile),
            spalte="stichtag",
            wert=f"{tag:%d.%m.%Y}",
        )
    je_gemeinde = zielgruppe.groupby(["ags", "stichtag"]).size()
    selten, sonst = [], 0
    for tag, zeilen in zielgruppe.groupby("stichtag"):
        rows = zeilen["_zeile"]
        if len(rows) > SELTEN_ZEILEN:
            continue
        # each of its Gemeinden has another Stichtag with many more rows (a Gemeinde
        # counted in a few rows at every Stichtag, e.g. by age band, is no typo)
        andere = [je_gemeinde[g].drop(tag) for g in zeilen["ags"].unique()]
        if all(len(a) and a.max() >= SELTEN_FAKTOR * len(rows) for a in andere):
            selten.append(f"{tag:%d.%m.%Y} ({zeilen_text(int(z) for z in rows)})")
            sonst = max(sonst, *(int(a.max()) for a in andere))
    if selten:
        warnings.append(
            f"{datei}: {'Der Stichtag' if len(selten) == 1 else 'Die Stichtage'} "
            f"{', '.join(selten)} {'steht' if len(selten) == 1 else 'stehen'} nur in "
            f"wenigen Zeilen; ihre Gemeinden haben an anderen Stichtagen bis zu "
            f"{zahl(sonst)} Zeilen. Tippfehler im Datum? Jede Gemeinde wird an ihrem letzten "
            "Stichtag gezählt; eine Zeile mit falschem Datum zählt dann allein oder gar nicht."
        )


def _duplicate_rows(frame: pd.DataFrame, keys: list[str]) -> list[list[int]]:
    """User-visible rows of every group of rows that agree on ``keys`` (groups of 2+)."""
    dup = frame.duplicated(subset=keys, keep=False)
    if not dup.any():
        return []
    groups = frame.loc[dup].groupby(keys, dropna=False, sort=False)["_zeile"]
    return sorted(sorted(int(z) for z in rows) for _, rows in groups)


def _duplicate_checks(
    zielgruppe: pd.DataFrame,
    bedarfe: pd.DataFrame | None,
    reisezeiten: pd.DataFrame | None,
    problems: ProblemCollector,
    warnings: list[str],
) -> None:
    """Repeated keys: an error where they would count twice, a warning in zielgruppe.

    ``zielgruppe`` may legitimately repeat a key when the source splits further
    (e.g. by nationality, an unknown column that is not read); the counts are added.
    """
    for frame, keys, was in (
        (bedarfe, ["fall_id", "handlungsfeld"], "Bedarf"),
        (reisezeiten, ["ags", "angebot_id"], "Reisezeit"),
    ):
        if frame is None:
            continue
        for zeilen in _duplicate_rows(frame, keys):
            problems.add(
                _datei(frame),
                f"{was} steht mehrfach in der Tabelle (Zeilen {', '.join(map(str, zeilen))})",
                f"Bitte jede Kombination aus {' und '.join(keys)} nur einmal eintragen",
                zeile=zeilen[0],
                spalte=keys[-1],
            )
    groups = _duplicate_rows(
        zielgruppe, ["ags", "stichtag", "status", "alter_von", "alter_bis", "geschlecht"]
    )
    if groups:
        shown = "; ".join(", ".join(map(str, g)) for g in groups[:5])
        warnings.append(
            f"{_datei(zielgruppe)}: {len(groups)} Kombinationen aus ags, stichtag, "
            f"status, Alter und geschlecht stehen mehrfach da und werden addiert "
            f"(Zeilen {shown}{' …' if len(groups) > 5 else ''}). Bitte prüfen, ob "
            "Zeilen doppelt eingefügt wurden."
        )


def _locate_offers(
    angebote: pd.DataFrame,
    gebiete: gpd.GeoDataFrame,
    problems: ProblemCollector,
    warnings: list[str],
) -> gpd.GeoDataFrame:
    """Give every offer a point in EPSG:25832: coordinates, else PLZ, else Gemeinde."""
    points = gebiete.set_index("ags").geometry.representative_point()
    plz_to_ags = {
        plz: ags for ags, plzs in zip(gebiete["ags"], gebiete["plz"], strict=True) for plz in plzs
    }
    angebote["plz"] = pd.Series(
        [None if pd.isna(v) else normalise_plz(str(v)) for v in angebote["plz"]],
        index=angebote.index,
        dtype=object,
    )
    has_xy = angebote["lat"].notna() & angebote["lon"].notna()
    half = angebote["lat"].notna() ^ angebote["lon"].notna()
    for zeile in angebote.loc[half, "_zeile"]:
        problems.add(
            _datei(angebote),
            "nur eine der beiden Koordinaten angegeben",
            "Bitte lat und lon beide eintragen oder beide leer lassen",
            zeile=int(zeile),
            spalte="lat",
        )
    xy = gpd.GeoSeries(
        gpd.points_from_xy(angebote["lon"], angebote["lat"]), crs=CRS_WEB, index=angebote.index
    ).to_crs(CRS_METRIC)
    _check_outside(angebote, xy, has_xy, gebiete, problems, warnings)
    geometry, quelle, ags_out = [], [], []
    fallback: dict[str, list[str]] = {"plz": [], "gemeinde": []}
    for i, row in angebote.iterrows():
        if has_xy[i]:
            geometry.append(xy[i])
            quelle.append("koordinaten")
            ags_out.append(row["ags"])
        elif not pd.isna(row["plz"]) and row["plz"] in plz_to_ags:
            ags = plz_to_ags[row["plz"]]
            geometry.append(points[ags])
            quelle.append("plz")
            ags_out.append(ags if pd.isna(row["ags"]) else row["ags"])
            fallback["plz"].append(str(row["angebot_id"]))
        elif not pd.isna(row["ags"]):
            geometry.append(points[row["ags"]])
            quelle.append("gemeinde")
            ags_out.append(row["ags"])
            fallback["gemeinde"].append(str(row["angebot_id"]))
        else:
            problems.add(
                _datei(angebote),
                "Standort fehlt (weder lat/lon noch bekannte PLZ noch AGS)",
                "Bitte Koordinaten oder den AGS der Gemeinde eintragen",
                zeile=int(row["_zeile"]),
                spalte="lat",
            )
            geometry.append(None)
            quelle.append(None)
            ags_out.append(None)
    for kind, ids in fallback.items():
        if ids:
            via = "Postleitzahl" if kind == "plz" else "Gemeinde (AGS)"
            warnings.append(
                f"{_datei(angebote)}: {len(ids)} Angebote ohne Koordinaten "
                f"werden über die {via} in die Mitte der Gemeinde gelegt: "
                f"{', '.join(ids[:10])}"
                + (" …" if len(ids) > 10 else "")
                + ". Entfernungen sind dort "
                "ungenauer."
            )
    out = gpd.GeoDataFrame(angebote.drop(columns="_zeile"), geometry=geometry, crs=CRS_METRIC)
    out["standort_quelle"] = quelle
    out["ags"] = ags_out
    out["aufsuchend"] = out["aufsuchend"].fillna(False).astype(bool)
    _assign_ags_by_location(out, gebiete)
    return out.reset_index(drop=True)


#: Offers up to this far outside the Kreis are plausible (an offer in a neighbouring town).
PUFFER_KM = 30


def _deg(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".").replace(".", ",")


def _check_outside(
    angebote: pd.DataFrame,
    xy: gpd.GeoSeries,
    has_xy: pd.Series,
    gebiete: gpd.GeoDataFrame,
    problems: ProblemCollector,
    warnings: list[str],
) -> None:
    """Report offers whose coordinates lie outside the Kreis.

    Up to :data:`PUFFER_KM` outside: a warning (they are counted). Further: a
    problem, with the hint "Breite und Länge vertauscht?" when the swapped
    coordinates lie in or near the Kreis.
    """
    if not has_xy.any():
        return
    kreis = gebiete.geometry.union_all()
    nah = kreis.buffer(PUFFER_KM * 1000)
    distanz = xy[has_xy].distance(kreis)
    aussen = distanz[distanz > 0]
    if aussen.empty:
        return
    rows = angebote.loc[aussen.index]
    swapped = gpd.GeoSeries(
        gpd.points_from_xy(rows["lat"], rows["lon"]), crs=CRS_WEB, index=rows.index
    ).to_crs(CRS_METRIC)
    datei = _datei(angebote)
    nah_zeilen = []
    for i, km in (aussen / 1000).items():
        zeile = int(angebote.at[i, "_zeile"])
        wert = f"lat={_deg(angebote.at[i, 'lat'])}, lon={_deg(angebote.at[i, 'lon'])}"
        if km <= PUFFER_KM:
            nah_zeilen.append(zeile)
        elif swapped[i].within(nah):
            problems.add(
                datei,
                "Standort liegt außerhalb des Kreises; mit vertauschten "
                "Koordinaten läge er im Kreis",
                "Breite und Länge vertauscht? lat ist "
                "die Breite (in NRW etwa 50,3 bis 52,5), lon die Länge (etwa 5,9 bis "
                "9,5)",
                zeile=zeile,
                spalte="lat",
                wert=wert,
            )
        else:
            problems.add(
                datei,
                f"Standort liegt mehr als {PUFFER_KM} km außerhalb des Kreises",
                "Bitte lat und lon prüfen (Breite und Länge vertauscht? "
                "Komma verrutscht?); ein so weit entferntes Angebot bitte aus der "
                "Liste nehmen",
                zeile=zeile,
                spalte="lat",
                wert=wert,
            )
    if nah_zeilen:
        warnings.append(
            f"{datei}: {len(nah_zeilen)} Angebote liegen außerhalb des Kreises, "
            f"aber höchstens {PUFFER_KM} km entfernt ({zeilen_text(nah_zeilen)}); "
            "sie werden mitgerechnet. Bitte prüfen, ob die Koordinaten stimmen."
        )


def _assign_ags_by_location(angebote: gpd.GeoDataFrame, gebiete: gpd.GeoDataFrame) -> None:
    """Fill a missing ``ags`` from the Gemeinde the point lies in (NA when outside)."""
    missing = angebote["ags"].isna() & angebote.geometry.notna()
    if not missing.any():
        return
    joined = gpd.sjoin(
        angebote.loc[missing, ["geometry"]],
        gebiete[["ags", "geometry"]],
        how="left",
        predicate="within",
    )
    joined = joined[~joined.index.duplicated()]
    angebote.loc[missing, "ags"] = joined["ags"].where(joined["ags"].notna(), None)


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
