"""Published states one after the other: counts of a Stichtag that a new run changes.

The audit (:mod:`thm_lib.disclosure.audit`) checks all outputs of one run together.
The Bündniskerngruppe keeps the runs it got, though. A new Stichtag leaves the tables
of the earlier ones as they were (each is built from its own counts,
:meth:`thm_lib.disclosure.publication.Publication.zielgruppe`), but a corrected
count of a Stichtag already published puts two versions of one table side by side,
and their differences (with another hiding pattern) can narrow a hidden count: the
classic differencing of releases.

This module keeps what a run published of the table "Zielgruppe je Gemeinde" of each
Stichtag (values as shown, with the suppression marks; nothing internal) and names the
cells that a later run shows otherwise. The batch says so on the console and in its
log; it does not hold the run, since a correction may be needed. Written by hand: a
comparison of two tables of our own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.core.atomic import atomic_write_text
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import publication

STAND = "stand.json"
"""File of the last published state, in the Kreis's internal folder."""

Stand = dict[str, dict[str, dict[str, str]]]
"""Stichtag (``"31.12.2020"``) → Gemeinde → column → the cell as shown."""


def stand(ws: Workspace) -> Stand:
    """The published tables "Zielgruppe je Gemeinde" of every Stichtag of ``ws``.

    Cells as the reports show them: a number, ``"<5"`` or the symbol.
    """
    pub = publication.fuer(ws)
    out: Stand = {}
    for tag in pub.stichtage:
        tabelle = pub.zielgruppe(tag)
        spalten = tabelle.column_labels or {}
        gezeigt = tabelle.published
        out[f"{tag:%d.%m.%Y}"] = {
            str(zeile): {str(spalten.get(c, c)): str(w) for c, w in gezeigt.loc[zeile].items()}
            for zeile in gezeigt.index
        }
    return out


def aenderungen(alt: Stand, neu: Stand) -> list[str]:
    """German lines naming each cell of a Stichtag of both states that differs.

    A Stichtag, Gemeinde or column in one state only is no change (a new Stichtag,
    a Gemeinde added); a cell shown otherwise is, e.g.
    ``"31.12.2020, Musterstadt, Duldung: 45 → 46"``.
    """
    zeilen = []
    for tag in alt.keys() & neu.keys():
        for gemeinde in alt[tag].keys() & neu[tag].keys():
            vorher, nachher = alt[tag][gemeinde], neu[tag][gemeinde]
            for spalte in vorher.keys() & nachher.keys():
                if vorher[spalte] != nachher[spalte]:
                    zeilen.append(
                        f"{tag}, {gemeinde}, {spalte}: {vorher[spalte]} → {nachher[spalte]}"
                    )
    return sorted(zeilen, key=lambda z: (pd.to_datetime(z[:10], dayfirst=True), z))


def hinweis(alt: Stand, neu: Stand, bis: int = 5) -> str | None:
    """The German note for the console when ``neu`` shows cells of ``alt`` otherwise."""
    geaendert = aenderungen(alt, neu)
    if not geaendert:
        return None
    beispiele = "; ".join(geaendert[:bis]) + (" …" if len(geaendert) > bis else "")
    n = len(geaendert)
    return (
        f"Frühere Veröffentlichung: {n} {'Zahl' if n == 1 else 'Zahlen'} schon "
        f"veröffentlichter Stichtage zeigt dieser Lauf anders ({beispiele}). Wer beide "
        "Stände hat, kann aus den "
        "Unterschieden verborgene Zahlen eingrenzen: nur nötige Korrekturen veröffentlichen "
        "und den alten Stand zurückziehen (docs/datenschutz.md)."
    )


def lesen(ordner: Path) -> Stand | None:
    """The state last published from ``ordner`` (the Kreis's internal folder), if any."""
    pfad = Path(ordner) / STAND
    if not pfad.is_file():
        return None
    try:
        daten: Any = json.loads(pfad.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # an unreadable state compares with nothing; the next run writes it
    return daten if isinstance(daten, dict) else None


def schreiben(ordner: Path, neu: Stand) -> None:
    """Keep ``neu`` as the state last published (atomically)."""
    atomic_write_text(Path(ordner) / STAND, json.dumps(neu, ensure_ascii=False, indent=1))
