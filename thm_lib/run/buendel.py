"""The results bundle of a Kreis: computed once by the batch, read by every report.

The batch loads the Arbeitsmappe once, computes the Kreis (coverage, staffing
and every published table of the publication layer, whose disclosure checks
are the expensive part: about 5 s for the sample Kreis) and writes::

    <intern>/<kreis>/buendel/<name>/    INTERNAL (holds the case documentation)
        manifest.json      format, package version, Arbeitsmappe and its checksum,
                           settings, Stichtag, the files below
        tabellen/*.parquet input and result tables (zielgruppe, angebote,
                           versorgung, segmente, stellenbemessung, ...)
        karten.gpkg        Gemeinden (with the published coverage) and offers, opens in QGIS
        zustand.pickle     the computed Kreis (Workspace, analysis, publication layer)
                           for the workers and kernels of the same package version

Parquet and GeoPackage are the bundle's content for people and other tools
(QGIS, an evaluation in R or Python); ``zustand.pickle`` is the cache the
report processes restore the computed Kreis from in a few milliseconds instead
of repeating the disclosure checks. It is read only when the manifest's
package version and program checksum equal the running ones (a pickle of an
older code state is never trusted); it never leaves the internal folder.

A Kommune with its own ``annahmen_<ags>.yaml`` that changes the settings gets
a bundle of its own (:func:`buendel_name`).
"""

from __future__ import annotations

import json
import pickle
import shutil
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.analysis import coverage
from thm_lib.core.atomic import atomic_write_text, replace_dir
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.labels import KREIS
from thm_lib.core.pruefsumme import programmstand
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import publication
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.publish import views
from thm_lib.publish.geopackage import export_geopackage

FORMAT = 1
"""Version of the bundle layout (raised when files or their meaning change)."""
MANIFEST = "manifest.json"
ZUSTAND = "zustand.pickle"
KARTEN = "karten.gpkg"
KREIS_BUENDEL = "kreis"
"""Name of the bundle with the Kreis's own settings."""
PAKET = "thm-werkbank"


@dataclass
class Kreisstand:
    """A computed Kreis: the Workspace, its coverage and staffing, its publication layer.

    The publication layer lives on the Workspace object
    (:func:`thm_lib.disclosure.publication.fuer`); :func:`berechnen` fills it.
    """

    ws: Workspace
    result: coverage.CoverageResult
    bemessung: pd.DataFrame


def berechnen(ws: Workspace) -> Kreisstand:
    """Compute the Kreis once: coverage, staffing and the published tables of the Kreis.

    The published tables of a Kommune are rows of the Kreis's (one hiding
    pattern for all outputs), so computing the Kreis's views fills the
    publication layer for every Kommune.
    """
    result = versorgung_veroeffentlicht(ws)
    bemessung = views.kreis_bemessung(ws)
    views.zielgruppe_je_gemeinde(ws)
    views.zielgruppe_struktur(ws)
    views.zielgruppe_verlauf(ws)
    if ws.faelle is not None and len(ws.faelle):
        views.bericht_tabellen(ws)
        views.fallevidenz(ws)
    views.kennzahlen_tabelle(ws)
    views.versorgung_matrix(ws, result)
    views.lueckenliste(ws, result)
    views.personen_tabelle(ws, bemessung)
    views.stellen_tabelle(ws, bemessung)
    views.szenarien_tabelle(ws)
    return Kreisstand(ws, result, bemessung)


def _tabellen(stand: Kreisstand) -> dict[str, pd.DataFrame]:
    """The bundle's Parquet tables (no case records: those stay in the pickle only)."""
    ws, result = stand.ws, stand.result
    tabellen = {
        "gebiete": pd.DataFrame(ws.gebiete.drop(columns="geometry")),
        "zielgruppe": ws.zielgruppe,
        "angebote": pd.DataFrame(ws.angebote.drop(columns="geometry")),
        "kommunen": ws.kommunen,
        "versorgung": result.gemeinden,
        "segmente": result.segmente,
        "bedarfsquoten": result.bedarfsquoten,
        "bedarf": result.bedarf,
        "stellenbemessung": stand.bemessung,
    }
    out = {}
    for name, frame in tabellen.items():
        frame = frame.copy()
        for col in [c for c in frame.columns if frame[c].dtype == "object"]:
            if frame[col].map(lambda v: isinstance(v, tuple | list)).any():
                frame[col] = frame[col].map(lambda v: ", ".join(map(str, v)) if v else "")
        frame.columns = [str(c) for c in frame.columns]
        out[name] = frame
    return out


def schreiben(
    stand: Kreisstand,
    ziel: Path,
    *,
    arbeitsmappe: Path,
    eingabe: str,
    stand_code: str,
    karten: bool = True,
) -> Path:
    """Write the bundle of ``stand`` to the folder ``ziel`` (replaced as a whole).

    Parameters
    ----------
    stand : Kreisstand
        From :func:`berechnen`.
    ziel : Path
        The bundle folder.
    arbeitsmappe : Path
        Where the Kreis was loaded from (recorded in the manifest).
    eingabe : str
        Checksum of the Arbeitsmappe (:func:`pruefsumme`).
    stand_code : str
        :func:`programmstand`.
    karten : bool
        Write the GeoPackage too; the batch writes it with :func:`karten_schreiben`
        while the reports render (no report reads it).
    """
    ziel = Path(ziel)
    neu = ziel.with_name(f".{ziel.name}.neu")
    if neu.exists():
        shutil.rmtree(neu)
    (neu / "tabellen").mkdir(parents=True)
    tabellen = _tabellen(stand)
    for name, frame in tabellen.items():
        frame.to_parquet(neu / "tabellen" / f"{name}.parquet")
    if karten:
        karten_schreiben(stand, neu)
    with open(neu / ZUSTAND, "wb") as f:
        pickle.dump(stand, f, protocol=pickle.HIGHEST_PROTOCOL)
    ws = stand.ws
    manifest = {
        "format": FORMAT,
        "paket": PAKET,
        "version": version(PAKET),
        "programmstand": stand_code,
        "erstellt": datetime.now().isoformat(timespec="seconds"),
        "kreis": ws.name,
        "kreisschluessel": ws.kreisschluessel,
        "stichtag": f"{ws.stichtag:%Y-%m-%d}",
        "arbeitsmappe": str(arbeitsmappe),
        "pruefsumme_arbeitsmappe": eingabe,
        "annahmen": ws.annahmen.model_dump(mode="json"),
        "foerderprogramm": ws.programm.get("name", ""),
        "tabellen": {name: f"tabellen/{name}.parquet" for name in tabellen},
        "karten": KARTEN,
        "zustand": ZUSTAND,
    }
    atomic_write_text(neu / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    replace_dir(neu, ziel)
    return ziel


def karten_schreiben(stand: Kreisstand, ordner: Path) -> Path:
    """Write the bundle's GeoPackage (Gemeinden and offers, for QGIS) into ``ordner``."""
    return export_geopackage(stand.ws, Path(ordner) / KARTEN, result=stand.result, ersetzen=True)


def manifest(ordner: Path) -> dict[str, Any]:
    """The manifest of the bundle ``ordner``.

    Raises
    ------
    DataError
        If the folder holds no readable bundle.
    """
    path = Path(ordner) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(
            [
                Problem(
                    str(path),
                    f"kein lesbares Ergebnisbündel ({type(exc).__name__})",
                    "Bitte das Bündel mit 'thm batch' neu erzeugen",
                )
            ]
        ) from None


_GELADEN: dict[str, Any] = {}
"""The bundle loaded last in this process: ``ordner``, ``erstellt`` and the Kreisstand."""


def laden(ordner: str | Path) -> Kreisstand:
    """The computed Kreis of the bundle ``ordner`` (kept for the next call in this process).

    Raises
    ------
    DataError
        If the bundle is missing or was written by another code state
        (then it is rebuilt by the next ``thm batch``).
    """
    ordner = Path(ordner).resolve()
    m = manifest(ordner)
    if _GELADEN.get("ordner") == ordner and _GELADEN.get("erstellt") == m.get("erstellt"):
        return _GELADEN["stand"]
    if m.get("format") != FORMAT or m.get("programmstand") != programmstand():
        raise DataError(
            [
                Problem(
                    str(ordner / MANIFEST),
                    "Ergebnisbündel stammt von einem anderen Programmstand",
                    "Bitte mit 'thm batch' neu erzeugen",
                )
            ]
        )
    with open(ordner / ZUSTAND, "rb") as f:
        stand: Kreisstand = pickle.load(f)  # noqa: S301 - own cache, checked against the manifest
    publication.nach_kopie(stand.ws)
    _GELADEN.clear()
    _GELADEN.update(ordner=ordner, erstellt=m.get("erstellt"), stand=stand)
    return stand


def zu(ws: Workspace) -> Kreisstand | None:
    """The loaded bundle's Kreisstand when ``ws`` is its Workspace, else None."""
    stand = _GELADEN.get("stand")
    return stand if stand is not None and stand.ws is ws else None


def buendel_name(key: str, eigene_annahmen: bool) -> str:
    """Folder name of the bundle a report uses: the Kreis's, or the Kommune's own."""
    return key if eigene_annahmen and key != KREIS else KREIS_BUENDEL
