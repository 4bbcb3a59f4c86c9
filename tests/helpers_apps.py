"""Shared helpers of the app tests: is an app bundle held by a running ``thm app``?"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from thm_lib.apps import daten


def in_gebrauch(ordner: Path) -> bool:
    """True while a ``thm app`` holds the bundle ``ordner`` (``server.buendel_gesperrt``).

    Tries the lock the server takes, without waiting, and gives it back at once.
    """
    sperre = FileLock(daten.sperrdatei(ordner))
    try:
        sperre.acquire(timeout=0)
    except Timeout:
        return True
    sperre.release()
    return False
