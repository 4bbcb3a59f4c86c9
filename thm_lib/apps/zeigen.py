"""What the app notebooks call: read the apps' bundle and show one app (or a German note).

The kernel reads only the bundle (:func:`thm_lib.apps.daten.lesen`, folder
``$THM_APP_BUENDEL``), never an Arbeitsmappe. Errors are logged to the server
console (:func:`~thm_lib.apps.common.protokolliere`); the viewer sees a German
note without a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from thm_lib.apps import angebotsfinder as _angebotsfinder
from thm_lib.apps import stellen as _stellen
from thm_lib.apps import uebersicht as _uebersicht
from thm_lib.apps.common import CSS, error_html, protokoll_einrichten, protokolliere
from thm_lib.apps.daten import APP_TEILE, lesen, ordner_der_apps


def zeigen(
    build: Callable[[Any], Any], app: str, ordner: str | os.PathLike[str] | None = None
) -> Any:
    """Read the app's parts of the bundle, build it and display its widget (or a German note).

    Parameters
    ----------
    build : callable
        ``build(AppDaten)`` of an app module.
    app : str
        Key of :data:`thm_lib.apps.daten.APP_TEILE`: which parts the app reads.
    ordner : path, optional
        The bundle folder (default: :func:`thm_lib.apps.daten.ordner_der_apps`).

    Returns
    -------
    object or None
        The app, or None when the bundle could not be read.
    """
    from IPython.display import display

    protokoll_einrichten()
    try:
        gebaut = build(lesen(ordner_der_apps(ordner), APP_TEILE[app]))
    except Exception as exc:  # noqa: BLE001 - viewers get a German message, no traceback
        protokolliere(exc, getattr(build, "__module__", "App"))
        display(widgets.HTML(CSS + error_html(exc)))
        return None
    display(gebaut.widget)
    return gebaut


def uebersicht(ordner: str | os.PathLike[str] | None = None) -> Any:
    """Show the Übersicht (:mod:`thm_lib.apps.uebersicht`)."""
    return zeigen(_uebersicht.build, "uebersicht", ordner)


def angebotsfinder(ordner: str | os.PathLike[str] | None = None) -> Any:
    """Show the Angebotsfinder (:mod:`thm_lib.apps.angebotsfinder`)."""
    return zeigen(_angebotsfinder.build, "angebotsfinder", ordner)


def stellen(ordner: str | os.PathLike[str] | None = None) -> Any:
    """Show Stellen und Förderung (:mod:`thm_lib.apps.stellen`)."""
    return zeigen(_stellen.build, "stellen", ordner)
