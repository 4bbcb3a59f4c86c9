"""Loading an Arbeitsmappe (a folder of files per Kreis) into a validated Workspace.

All reading of user input happens here; everything downstream works on the
typed frames of :class:`thm_lib.workspace.Workspace`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.errors

from thm_lib import schemas
from thm_lib.columns import Column, type_column
from thm_lib.config import load_annahmen
from thm_lib.errors import DataError, Problem, ProblemCollector
from thm_lib.gebiete import read_gebiete
from thm_lib.programme import load_programm
from thm_lib.tables import RawTable, find_table, read_table, read_xlsx
from thm_lib.workspace import CRS_METRIC, CRS_WEB, Workspace

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
        raise DataError([Problem(str(folder), "Ordner der Arbeitsmappe nicht gefunden",
                                 "Bitte den Pfad prüfen")])
    annahmen = load_annahmen(folder / "annahmen.yaml", overrides)
    programm = load_programm(folder / "programm.yaml")
    warnings: list[str] = []
    gebiete = read_gebiete(folder, annahmen["kreis"].get("ags"), warnings)

    problems = ProblemCollector()
    zielgruppe = _load_zielgruppe(folder, problems, warnings)
    angebote_raw = _load(folder, "angebote", problems, warnings, required=True)
    faelle = _load(folder, "faelle", problems, warnings, required=False)
    bedarfe = _load_bedarfe(folder, faelle is not None, problems, warnings)
    reisezeiten = _load(folder, "reisezeiten", problems, warnings, required=False)
    kommunen = _load(folder, "kommunen", problems, warnings, required=False)
    problems.raise_if_any()

    _cross_checks(gebiete, zielgruppe, angebote_raw, faelle, bedarfe, reisezeiten, kommunen,
                  problems)
    problems.raise_if_any()
    angebote = _locate_offers(angebote_raw, gebiete, problems, warnings)
    problems.raise_if_any()

    name = annahmen["kreis"].get("name") or folder.resolve().name
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
        warnungen=tuple(warnings),
    )


def _drop_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns="_zeile").reset_index(drop=True)


def _load(folder: Path, table: str, problems: ProblemCollector, warnings: list[str],
          *, required: bool) -> pd.DataFrame | None:
    path = find_table(folder, table)
    if path is None:
        if required:
            problems.add(f"{table}.csv/.xlsx", "Datei fehlt in der Arbeitsmappe",
                         f"Bitte '{table}.xlsx' oder '{table}.csv' anlegen "
                         "(Vorlage: 'thm vorlage ORDNER')")
        return None
    try:
        raw = read_table(path)
    except DataError as exc:
        problems.problems.extend(exc.problems)
        return None
    return type_table(raw, table, problems, warnings)


def type_table(raw: RawTable, table: str, problems: ProblemCollector,
               warnings: list[str]) -> pd.DataFrame | None:
    """Type a raw table by its schema; record problems; return the typed frame.

    The frame keeps a ``_zeile`` column with the user-visible row number.
    """
    columns = schemas.TABLES[table]
    missing = [c.name for c in columns if c.required and c.name not in raw.frame.columns]
    if missing:
        for name in missing:
            problems.add(raw.datei, "Pflichtspalte fehlt", "Vorhandene Spalten: "
                         + ", ".join(raw.frame.columns) + ". Bitte die Kopfzeile wie in der "
                         "Vorlage schreiben", zeile=1, spalte=name)
        return None
    before = len(problems.problems)
    typed = {"_zeile": pd.Series(raw.zeilen, index=raw.frame.index, dtype="int64")}
    for col in columns:
        if col.name in raw.frame.columns:
            typed[col.name] = type_column(raw.frame[col.name], col, raw.datei, raw.zeilen,
                                          problems, warnings)
        else:
            typed[col.name] = pd.Series([None] * len(raw.frame), index=raw.frame.index,
                                        dtype=object)
    frame = _set_dtypes(pd.DataFrame(typed), columns)
    frame.attrs["datei"] = raw.datei
    if len(problems.problems) == before:
        _pandera_checks(frame, table, raw, problems)
    return frame


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


def _pandera_checks(frame: pd.DataFrame, table: str, raw: RawTable,
                    problems: ProblemCollector) -> None:
    schema = schemas.CHECKS.get(table)
    if schema is None:
        return
    check_frame = frame.copy()
    if table == "zielgruppe":
        check_frame = check_frame.assign(alter_von=pd.array([None] * len(frame), dtype="Int64"),
                                         alter_bis=pd.array([None] * len(frame), dtype="Int64"))
    try:
        schema.validate(check_frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for _, case in cases.iterrows():
            idx = case.get("index")
            column = case.get("column")
            check = str(case.get("check"))
            zeile = int(frame.loc[idx, "_zeile"]) if idx is not None and idx == idx else None
            if check == "field_uniqueness" or "unique" in check:
                meldung, hinweis = "Wert kommt mehrfach vor", "Jede Kennung darf nur einmal " \
                    "vorkommen"
            else:
                meldung, hinweis = check, "Bitte den Wert korrigieren"
            if column in (None, table) or column != column:
                column = "alter_min" if "alter_min" in check else None
            wert = None if column is None else frame.loc[idx, column] if zeile else None
            problems.add(raw.datei, meldung, hinweis, zeile=zeile, spalte=column, wert=wert)


def _load_zielgruppe(folder: Path, problems: ProblemCollector,
                     warnings: list[str]) -> pd.DataFrame | None:
    frame = _load(folder, "zielgruppe", problems, warnings, required=True)
    if frame is None:
        return None
    datei = find_table(folder, "zielgruppe").name
    von, bis = [], []
    for alter, band, zeile in zip(frame["alter"], frame["altersgruppe"], frame["_zeile"],
                                  strict=True):
        if not pd.isna(alter):
            von.append(int(alter))
            bis.append(int(alter))
            continue
        match = _BAND_RE.match(str(band)) if band is not None else None
        if band is None:
            problems.add(datei, "weder Alter noch Altersgruppe angegeben", "Bitte 'alter' "
                         "(z. B. 19) oder 'altersgruppe' (z. B. 18-20) eintragen", zeile=zeile,
                         spalte="alter")
        elif match is None or int(match.group(1)) > int(match.group(2)):
            problems.add(datei, "Altersgruppe nicht lesbar", "Bitte als 'von-bis' eintragen, "
                         "z. B. 18-20", zeile=zeile, spalte="altersgruppe", wert=band)
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


def _load_bedarfe(folder: Path, have_faelle: bool, problems: ProblemCollector,
                  warnings: list[str]) -> pd.DataFrame | None:
    path = find_table(folder, "bedarfe")
    faelle_xlsx = folder / "faelle.xlsx"
    if path is None and faelle_xlsx.exists():
        from openpyxl import load_workbook

        wb = load_workbook(faelle_xlsx, read_only=True)
        has_sheet = "bedarfe" in [n.lower() for n in wb.sheetnames]
        wb.close()
        if has_sheet:
            try:
                raw = read_xlsx(faelle_xlsx, "bedarfe")
            except DataError as exc:
                problems.problems.extend(exc.problems)
                return None
            return type_table(raw, "bedarfe", problems, warnings)
    if path is None:
        if have_faelle:
            warnings.append("Zu den Fällen fehlen die Bedarfe (bedarfe.csv/.xlsx oder Blatt "
                            "'bedarfe' in faelle.xlsx): Bedarfsquoten kommen aus den Annahmen.")
        return None
    return _load(folder, "bedarfe", problems, warnings, required=False)


def _datei(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("datei", "?"))


def _unknown_ags(frame: pd.DataFrame, datei: str, known: set[str],
                 problems: ProblemCollector, column: str = "ags") -> None:
    for ags, zeile in zip(frame[column], frame["_zeile"], strict=True):
        if ags is not None and not pd.isna(ags) and ags not in known:
            problems.add(datei, "Gemeindeschlüssel gibt es in 'gebiete' nicht",
                         "Bitte den AGS prüfen oder die Gemeinde in 'gebiete' ergänzen",
                         zeile=int(zeile), spalte=column, wert=ags)


def _cross_checks(gebiete: gpd.GeoDataFrame, zielgruppe: pd.DataFrame, angebote: pd.DataFrame,
                  faelle: pd.DataFrame | None, bedarfe: pd.DataFrame | None,
                  reisezeiten: pd.DataFrame | None, kommunen: pd.DataFrame | None,
                  problems: ProblemCollector) -> None:
    known = set(gebiete["ags"])
    folder_files = {"zielgruppe": zielgruppe, "angebote": angebote, "faelle": faelle,
                    "reisezeiten": reisezeiten, "kommunen": kommunen}
    for frame in folder_files.values():
        if frame is not None:
            _unknown_ags(frame, _datei(frame), known, problems)
    for ids, zeile in zip(angebote["einzugsgebiet"], angebote["_zeile"], strict=True):
        for ags in ids:
            if ags not in known:
                problems.add(_datei(angebote), "Einzugsgebiet nennt einen unbekannten AGS",
                             "Bitte nur AGS aus 'gebiete' eintragen", zeile=int(zeile),
                             spalte="einzugsgebiet", wert=ags)
    for frame in (angebote, faelle):
        if frame is None:
            continue
        datei = _datei(frame)
        bad = frame["ende"].notna() & frame["beginn"].notna() & (frame["ende"] < frame["beginn"])
        for zeile in frame.loc[bad, "_zeile"]:
            problems.add(datei, "Ende liegt vor dem Beginn", "Bitte die Daten prüfen",
                         zeile=int(zeile), spalte="ende")
    if reisezeiten is not None:
        ids = set(angebote["angebot_id"])
        for aid, zeile in zip(reisezeiten["angebot_id"], reisezeiten["_zeile"], strict=True):
            if aid not in ids:
                problems.add(_datei(reisezeiten), "Angebot gibt es in 'angebote' nicht",
                             "Bitte die angebot_id prüfen", zeile=int(zeile),
                             spalte="angebot_id", wert=aid)
    if bedarfe is not None and faelle is not None:
        ids = set(faelle["fall_id"])
        for fid, zeile in zip(bedarfe["fall_id"], bedarfe["_zeile"], strict=True):
            if fid not in ids:
                problems.add(_datei(bedarfe), "Fall gibt es in 'faelle' nicht",
                             "Bitte die fall_id prüfen", zeile=int(zeile), spalte="fall_id",
                             wert=fid)


def _locate_offers(angebote: pd.DataFrame, gebiete: gpd.GeoDataFrame,
                   problems: ProblemCollector, warnings: list[str]) -> gpd.GeoDataFrame:
    """Give every offer a point in EPSG:25832: coordinates, else PLZ, else Gemeinde."""
    points = gebiete.set_index("ags").geometry.representative_point()
    plz_to_ags = {plz: ags for ags, plzs in zip(gebiete["ags"], gebiete["plz"], strict=True)
                  for plz in plzs}
    has_xy = angebote["lat"].notna() & angebote["lon"].notna()
    half = angebote["lat"].notna() ^ angebote["lon"].notna()
    for zeile in angebote.loc[half, "_zeile"]:
        problems.add(_datei(angebote), "nur eine der beiden Koordinaten angegeben",
                     "Bitte lat und lon beide eintragen oder beide leer lassen",
                     zeile=int(zeile), spalte="lat")
    xy = gpd.GeoSeries(gpd.points_from_xy(angebote["lon"], angebote["lat"]), crs=CRS_WEB,
                       index=angebote.index).to_crs(CRS_METRIC)
    geometry, quelle, ags_out = [], [], []
    fallback: dict[str, list[str]] = {"plz": [], "gemeinde": []}
    for i, row in angebote.iterrows():
        if has_xy[i]:
            geometry.append(xy[i])
            quelle.append("koordinaten")
            ags_out.append(row["ags"])
        elif row["plz"] is not None and row["plz"] in plz_to_ags:
            ags = plz_to_ags[row["plz"]]
            geometry.append(points[ags])
            quelle.append("plz")
            ags_out.append(row["ags"] if row["ags"] is not None else ags)
            fallback["plz"].append(str(row["angebot_id"]))
        elif row["ags"] is not None:
            geometry.append(points[row["ags"]])
            quelle.append("gemeinde")
            ags_out.append(row["ags"])
            fallback["gemeinde"].append(str(row["angebot_id"]))
        else:
            problems.add(_datei(angebote), "Standort fehlt (weder lat/lon noch bekannte PLZ noch "
                         "AGS)", "Bitte Koordinaten oder den AGS der Gemeinde eintragen",
                         zeile=int(row["_zeile"]), spalte="lat")
            geometry.append(None)
            quelle.append(None)
            ags_out.append(None)
    for kind, ids in fallback.items():
        if ids:
            via = "Postleitzahl" if kind == "plz" else "Gemeinde (AGS)"
            warnings.append(f"{_datei(angebote)}: {len(ids)} Angebote ohne Koordinaten "
                            f"werden über die {via} in die Mitte der Gemeinde gelegt: "
                            f"{', '.join(ids[:10])}"
                            + (" …" if len(ids) > 10 else "") + ". Entfernungen sind dort "
                            "ungenauer.")
    out = gpd.GeoDataFrame(angebote.drop(columns="_zeile"), geometry=geometry, crs=CRS_METRIC)
    out["standort_quelle"] = quelle
    out["ags"] = ags_out
    out["aufsuchend"] = out["aufsuchend"].fillna(False).astype(bool)
    _assign_ags_by_location(out, gebiete)
    return out.reset_index(drop=True)


def _assign_ags_by_location(angebote: gpd.GeoDataFrame, gebiete: gpd.GeoDataFrame) -> None:
    """Fill a missing ``ags`` from the Gemeinde the point lies in (NA when outside)."""
    missing = angebote["ags"].isna() & angebote.geometry.notna()
    if not missing.any():
        return
    joined = gpd.sjoin(angebote.loc[missing, ["geometry"]], gebiete[["ags", "geometry"]],
                       how="left", predicate="within")
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
        "datetime64[ns]")
    return base
