"""The apps' bundle: everything an app kernel holds, and all of it publishable.

``thm app`` builds the bundle from an Arbeitsmappe in a process of its own
(``python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER``); a data
error is reported there, on the console of the person who starts the server,
never to a viewer. The app kernels read only the bundle (``$THM_APP_BUENDEL``):
the case documentation and the unsuppressed counts are not on the app
server's path at all. The folder holds::

    manifest.json       format, package version, code checksum, Kreis, Stichtag,
                        Arbeitsmappe (name and checksum), time of building
    <teil>.pickle       one part of :class:`AppDaten` each (:data:`TEILE`), so a
                        kernel reads (and imports) only what its app needs

:class:`AppDaten` holds the public part of the Arbeitsmappe (:func:`oeffentlich`:
Gemeinden, offers, travel times, assumptions, programme; no target-group
counts, no cases, no needs, no population raster) and what the publication
layer made of the rest: the Übersicht's published tables and map classes
(:class:`~thm_lib.apps.uebersicht.UebersichtDaten`), every choice of the
Standortplanung (:class:`~thm_lib.apps.standort.StandortVorrat`), the published
staffing rows (:class:`~thm_lib.apps.stellen.StellenDaten`) and the Angebotsfinder's
cost matrix (:class:`~thm_lib.analysis.angebotssuche.Finder`). The pickles are read
only when the manifest's code checksum equals the running code's. This module is
what a kernel needs (reading); building is :mod:`thm_lib.apps.paket_bauen`.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thm_lib.core import paths
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.pruefsumme import arbeitsmappe_pruefsumme, programmstand

FORMAT = 2
"""Version of the bundle layout."""
MANIFEST = "manifest.json"
TEILE = ("ws", "uebersicht", "standort", "stellen", "finder")
"""The parts of the bundle, one file ``<teil>.pickle`` each."""
APP_TEILE = {
    "uebersicht": ("ws", "uebersicht", "standort"),
    "stellen": ("ws", "stellen"),
    "angebotsfinder": ("ws", "finder"),
}
"""The parts each app reads."""
ENV_BUENDEL = "THM_APP_BUENDEL"
"""Environment variable naming the bundle folder the app kernels read (``thm app`` sets it)."""


@dataclass
class AppDaten:
    """What the three apps need, published (see the module's docstring).

    Attributes
    ----------
    ws : Workspace
        The public part of the Arbeitsmappe (:func:`thm_lib.apps.paket_bauen.oeffentlich`).
    uebersicht : thm_lib.apps.uebersicht.UebersichtDaten or None
    standort : thm_lib.apps.standort.StandortVorrat or None
    stellen : thm_lib.apps.stellen.StellenDaten or None
    finder : thm_lib.analysis.angebotssuche.Finder or None
        None for a part not read (:func:`lesen` with ``teile``).
    """

    ws: Any
    uebersicht: Any = None
    standort: Any = None
    stellen: Any = None
    finder: Any = None


def datei(teil: str) -> str:
    """The file name of a part."""
    return f"{teil}.pickle"


def manifest_lesen(ordner: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of the bundle in ``ordner``, or None if there is none."""
    try:
        return json.loads((Path(ordner) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def vollstaendig(ordner: str | os.PathLike[str]) -> bool:
    """True if ``ordner`` holds a manifest of this format and every part."""
    m = manifest_lesen(ordner)
    return (
        m is not None
        and m.get("format") == FORMAT
        and all((Path(ordner) / datei(t)).is_file() for t in TEILE)
    )


def aktuell(ordner: str | os.PathLike[str], arbeitsmappe: str | os.PathLike[str]) -> bool:
    """True if ``ordner`` holds a bundle of ``arbeitsmappe`` as it is now, made by this code."""
    m = manifest_lesen(ordner)
    return (
        vollstaendig(ordner)
        and m is not None
        and m.get("programmstand") == programmstand()
        and m.get("pruefsumme_arbeitsmappe") == arbeitsmappe_pruefsumme(Path(arbeitsmappe))
    )


def lesen(ordner: str | os.PathLike[str], teile: tuple[str, ...] = TEILE) -> AppDaten:
    """Read ``teile`` of the bundle in ``ordner`` (default: all).

    Raises
    ------
    thm_lib.core.errors.DataError
        German, when the folder holds no bundle or one of another code state.
    """
    ordner = Path(ordner)
    m = manifest_lesen(ordner)
    if m is None or (m.get("format") == FORMAT and not vollstaendig(ordner)):
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
    werte = {}
    for teil in teile:
        with open(ordner / datei(teil), "rb") as f:
            werte[teil] = pickle.load(f)
    return AppDaten(**werte)


def standard_ordner(arbeitsmappe: str | os.PathLike[str]) -> Path:
    """Where ``thm app`` keeps the bundle of an Arbeitsmappe: ``reports/apps/<folder name>``."""
    return paths.REPORTS / "apps" / Path(arbeitsmappe).resolve().name


def sperrdatei(ordner: str | os.PathLike[str]) -> Path:
    """The lock a running ``thm app`` holds on its bundle: beside the folder, because a
    rebuild replaces the folder as a whole."""
    ordner = Path(ordner)
    return ordner.with_name(f".{ordner.name}.lock")


def ordner_der_apps(value: str | os.PathLike[str] | None = None) -> Path:
    """The bundle the app kernels open: ``value``, else ``$THM_APP_BUENDEL``, else the
    sample Kreis's bundle in :func:`standard_ordner` (``thm app`` builds it)."""
    if value:
        return Path(value)
    env = os.environ.get(ENV_BUENDEL)
    return Path(env) if env else standard_ordner(paths.SAMPLE)
