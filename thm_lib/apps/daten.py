"""The apps' bundle: everything an app kernel holds, and all of it publishable.

``thm app`` builds the bundle from an Arbeitsmappe in a process of its own
(``python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER``); a data
error is reported there, on the console of the person who starts the server,
never to a viewer. The app kernels read only the bundle (``$THM_APP_BUENDEL``):
the case documentation and the unsuppressed counts are not on the app
server's path at all. The folder holds::

    manifest.json   format, package version, code checksum, Kreis, Stichtag,
                    Arbeitsmappe (name and checksum), time of building
    daten.pickle    :class:`AppDaten`

:class:`AppDaten` holds the public part of the Arbeitsmappe (:func:`oeffentlich`:
Gemeinden, offers, travel times, assumptions, programme; no target-group
counts, no cases, no needs, no population raster) and what the publication
layer made of the rest: the Übersicht's published tables and map classes
(:class:`~thm_lib.apps.uebersicht.UebersichtDaten`), every choice of the
Standortplanung (:class:`~thm_lib.apps.standort.StandortVorrat`), the published
staffing rows (:class:`~thm_lib.apps.stellen.StellenDaten`) and the Angebotsfinder's
cost matrix (:class:`~thm_lib.analysis.angebotssuche.Finder`). The pickle is read
only when the manifest's code checksum equals the running code's.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from thm_lib.analysis import coverage
from thm_lib.analysis.angebotssuche import Finder
from thm_lib.apps.standort import StandortVorrat
from thm_lib.apps.stellen import StellenDaten
from thm_lib.apps.uebersicht import UebersichtDaten
from thm_lib.core import paths
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.pruefsumme import programmstand, pruefsumme
from thm_lib.core.workspace import Workspace
from thm_lib.ingest.arbeitsmappe import load_workspace

FORMAT = 1
"""Version of the bundle layout."""
MANIFEST = "manifest.json"
DATEI = "daten.pickle"
ENV_BUENDEL = "THM_APP_BUENDEL"
"""Environment variable naming the bundle folder the app kernels read (``thm app`` sets it)."""


@dataclass
class AppDaten:
    """What the three apps need, published (see the module's docstring).

    Attributes
    ----------
    ws : Workspace
        The public part of the Arbeitsmappe (:func:`oeffentlich`).
    uebersicht : UebersichtDaten
    standort : StandortVorrat
    stellen : StellenDaten
    finder : Finder
    """

    ws: Workspace
    uebersicht: UebersichtDaten
    standort: StandortVorrat
    stellen: StellenDaten
    finder: Finder


def oeffentlich(ws: Workspace) -> Workspace:
    """The public part of ``ws``: no target group, cases, needs or population raster.

    The Stichtag is fixed in the assumptions (it was read from the target group).
    A new object: the publication layer kept on ``ws`` does not come along.
    """
    kreis = ws.annahmen.kreis.model_copy(update={"stichtag": ws.stichtag.date()})
    return replace(
        ws,
        annahmen=ws.annahmen.model_copy(update={"kreis": kreis}),
        zielgruppe=None,
        faelle=None,
        bedarfe=None,
        feinraster=None,
        warnungen=(),
    )


def erstellen(ws: Workspace) -> AppDaten:
    """Compute the apps' data from a loaded Arbeitsmappe (the whole Kreis).

    The Standortplanung is computed per choice when first asked for
    (:meth:`StandortVorrat.vollstaendig` computes all; :func:`schreiben` does).
    """
    result = coverage.analyse(ws)
    offen = oeffentlich(ws)
    return AppDaten(
        ws=offen,
        uebersicht=UebersichtDaten.build(ws, result),
        standort=StandortVorrat.rechnen(ws, result),
        stellen=StellenDaten.build(ws),
        finder=Finder(offen, ws.annahmen.apps.profil_alter),
    )


def manifest(ws: Workspace, arbeitsmappe: Path | None) -> dict[str, Any]:
    """The manifest of a bundle of ``ws`` (see the module's docstring)."""
    return {
        "format": FORMAT,
        "paket": version("thm-werkbank"),
        "programmstand": programmstand(),
        "kreis": ws.name,
        "stichtag": f"{ws.stichtag:%Y-%m-%d}",
        "arbeitsmappe": None if arbeitsmappe is None else Path(arbeitsmappe).name,
        "pruefsumme_arbeitsmappe": None if arbeitsmappe is None else pruefsumme(arbeitsmappe),
        "erstellt": datetime.now().isoformat(timespec="seconds"),
    }


def schreiben(daten: AppDaten, ordner: Path, arbeitsmappe: Path | None = None) -> Path:
    """Write the bundle to ``ordner`` (replaced as a whole, never half-written).

    Computes every choice of the Standortplanung first.
    """
    ordner = Path(ordner)
    ordner.parent.mkdir(parents=True, exist_ok=True)
    daten.standort.vollstaendig()
    tmp = Path(tempfile.mkdtemp(prefix=f".{ordner.name}.", dir=ordner.parent))
    try:
        with open(tmp / DATEI, "wb") as f:
            pickle.dump(daten, f, protocol=pickle.HIGHEST_PROTOCOL)
        text = json.dumps(manifest(daten.ws, arbeitsmappe), ensure_ascii=False, indent=2)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
        alt = ordner.with_name(f".{ordner.name}.alt")
        if ordner.exists():
            shutil.rmtree(alt, ignore_errors=True)
            ordner.rename(alt)
        tmp.rename(ordner)
        shutil.rmtree(alt, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ordner


def manifest_lesen(ordner: Path) -> dict[str, Any] | None:
    """The manifest of the bundle in ``ordner``, or None if there is none."""
    try:
        return json.loads((Path(ordner) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def aktuell(ordner: Path, arbeitsmappe: Path) -> bool:
    """True if ``ordner`` holds a bundle of ``arbeitsmappe`` as it is now, made by this code."""
    m = manifest_lesen(ordner)
    return (
        m is not None
        and m.get("format") == FORMAT
        and m.get("programmstand") == programmstand()
        and m.get("pruefsumme_arbeitsmappe") == pruefsumme(arbeitsmappe)
        and (Path(ordner) / DATEI).is_file()
    )


def lesen(ordner: str | os.PathLike[str]) -> AppDaten:
    """Read the bundle in ``ordner``.

    Raises
    ------
    thm_lib.core.errors.DataError
        German, when the folder holds no bundle or one of another code state.
    """
    ordner = Path(ordner)
    m = manifest_lesen(ordner)
    if m is None or not (ordner / DATEI).is_file():
        raise DataError(
            [
                Problem(
                    str(ordner),
                    "kein Datenpaket der Apps gefunden",
                    "Bitte die Apps mit `thm app` starten (das baut das Paket aus der "
                    "Arbeitsmappe).",
                )
            ]
        )
    if m.get("format") != FORMAT or m.get("programmstand") != programmstand():
        raise DataError(
            [
                Problem(
                    str(ordner / MANIFEST),
                    "Datenpaket der Apps stammt von einem anderen Programmstand",
                    "Bitte `thm app` neu starten; es baut das Paket neu.",
                )
            ]
        )
    with open(ordner / DATEI, "rb") as f:
        return pickle.load(f)


def ordner_der_apps(value: str | os.PathLike[str] | None = None) -> Path:
    """The bundle the app kernels open: ``value``, else ``$THM_APP_BUENDEL``, else the
    sample Kreis's bundle (:data:`thm_lib.core.paths.SAMPLE`, built when missing)."""
    if value:
        return Path(value)
    env = os.environ.get(ENV_BUENDEL)
    if env:
        return Path(env)
    ordner = standard_ordner(paths.SAMPLE)
    if not aktuell(ordner, paths.SAMPLE):
        bauen(paths.SAMPLE, ordner)
    return ordner


def standard_ordner(arbeitsmappe: Path) -> Path:
    """Where ``thm app`` keeps the bundle of an Arbeitsmappe: ``reports/apps/<folder name>``."""
    return paths.REPORTS / "apps" / Path(arbeitsmappe).resolve().name


def bauen(arbeitsmappe: Path, ordner: Path) -> Path:
    """Load ``arbeitsmappe``, compute the apps' data and write the bundle to ``ordner``.

    Raises
    ------
    thm_lib.core.errors.DataError
        With German messages when the Arbeitsmappe has problems.
    """
    ws = load_workspace(Path(arbeitsmappe))
    return schreiben(erstellen(ws), Path(ordner), Path(arbeitsmappe))
