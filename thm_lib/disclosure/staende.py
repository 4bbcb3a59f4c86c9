"""Published states one after the other: dated counts that a new run shows otherwise.

The audit (:mod:`thm_lib.disclosure.audit`) checks all outputs of one run together.
The Bündniskerngruppe keeps the runs it got, though. A new Stichtag or period leaves
the figures of the earlier ones as they were (each is built from its own counts), but
a corrected count of a Stichtag already published, or a case recorded late in a
period already published, puts two versions of one figure side by side, and their
differences (with another hiding pattern) can narrow a hidden count: the classic
differencing of releases.

This module keeps every person count a run published whose meaning is tied to a
date: the target group of each Stichtag (per Gemeinde and status, by age band and
sex) and the Berichtswesen of each period (cases, clients, needs, closures), as the
audit read them from the published files (the number, or "gesperrt"; nothing
internal). Figures without a date (the Fallevidenz of the whole case documentation)
grow with every documented case and are not compared. The next run names each
figure it shows otherwise. The batch says so on the console and in its log; it does
not hold the run, since a correction may be needed. Written by hand: a comparison
of two dictionaries of our own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.core.atomic import atomic_write_text

STAND = "stand.json"
"""File of the last published state, in the Kreis's internal folder."""

FORMAT = 2
"""Version of :data:`STAND` (1 held only the table "Zielgruppe je Gemeinde")."""

Stand = dict[str, str]
"""Figure (``"Zielgruppe / 31.12.2020 / Musterstadt / duldung"``) → as shown (``"294"``,
``"gesperrt"``)."""

_DATUM = re.compile(r"\d{2}\.\d{2}\.\d{4}")


def _name(key: Hashable) -> str:
    return " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)


def stand(pruefung: Any) -> Stand:
    """The dated person counts a run published, from its audit.

    Parameters
    ----------
    pruefung : AuditErgebnis
        The passed audit of the run (:attr:`~thm_lib.disclosure.audit.AuditErgebnis.gezeigt`).

    Returns
    -------
    Stand
        Each figure whose key names a date (a Stichtag or a period), as shown.
    """
    return {
        name: wert for key, wert in pruefung.gezeigt.items() if _DATUM.search(name := _name(key))
    }


def _reihenfolge(zeile: str) -> tuple[pd.Timestamp, str]:
    datum = _DATUM.search(zeile)
    assert datum is not None  # every figure of a Stand names a date
    return pd.to_datetime(datum.group(), dayfirst=True), zeile


def aenderungen(alt: Stand, neu: Stand) -> list[str]:
    """German lines naming each figure of both states that is shown otherwise.

    A figure in one state only is no change (a new Stichtag or period, a Gemeinde
    added, a Kommune not run this time); one shown otherwise is, e.g.
    ``"Zielgruppe / 31.12.2020 / Musterstadt / duldung: 294 → 295"``. Sorted by date.
    """
    zeilen = [f"{k}: {alt[k]} → {neu[k]}" for k in alt.keys() & neu.keys() if alt[k] != neu[k]]
    return sorted(zeilen, key=_reihenfolge)


def hinweis(alt: Stand, neu: Stand, bis: int = 5) -> str | None:
    """The German note for the console when ``neu`` shows figures of ``alt`` otherwise."""
    geaendert = aenderungen(alt, neu)
    if not geaendert:
        return None
    beispiele = "; ".join(geaendert[:bis]) + (" …" if len(geaendert) > bis else "")
    n = len(geaendert)
    return (
        f"Frühere Veröffentlichung: {n} {'Zahl' if n == 1 else 'Zahlen'} schon "
        f"veröffentlichter Stichtage oder Zeiträume zeigt dieser Lauf anders ({beispiele}). "
        "Wer beide Stände hat, kann aus den Unterschieden verborgene Zahlen eingrenzen: nur "
        "nötige Korrekturen veröffentlichen und den alten Stand zurückziehen "
        "(docs/datenschutz.md)."
    )


def lesen(ordner: Path) -> Stand | None:
    """The state last published from ``ordner`` (the Kreis's internal folder), if any.

    A state of another format or an unreadable file compares with nothing; the next
    run writes it anew.
    """
    pfad = Path(ordner) / STAND
    if not pfad.is_file():
        return None
    try:
        daten: Any = json.loads(pfad.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(daten, dict) or daten.get("format") != FORMAT:
        return None
    zahlen = daten.get("zahlen")
    return zahlen if isinstance(zahlen, dict) else None


def schreiben(ordner: Path, neu: Stand) -> None:
    """Keep ``neu`` as the state last published (atomically)."""
    text = json.dumps({"format": FORMAT, "zahlen": neu}, ensure_ascii=False, indent=1)
    atomic_write_text(Path(ordner) / STAND, text)
