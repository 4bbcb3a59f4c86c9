"""Publishing a Kreis folder: one run at a time, all outputs audited together.

The whole Kreis folder is built in a staging copy (``<ausgabe>/.<kreis>.neu``, starting
from the last published run) and audited as a whole
(:func:`thm_lib.disclosure.audit.audit_run`: every published output together); only a
run that passes replaces the published folder. A run that fails the audit publishes
nothing: the findings go to ``pruefung.txt`` in the internal folder.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from thm_lib.core.atomic import atomic_write_text, replace_dir
from thm_lib.core.errors import DataError, OrdnerBelegt, Problem
from thm_lib.core.paths import PROTOKOLL, PRUEFUNG
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import staende
from thm_lib.disclosure.audit import Befund, audit_run
from thm_lib.disclosure.audit_lesen import Vorlesung
from thm_lib.publish import html_seiten
from thm_lib.run import differenzpruefung
from thm_lib.run.protokoll import protokollieren

LOGGER = logging.getLogger("thm_lib.run.batch")
"""The batch's console messages: one logger for all of them (one line each, no traceback)."""

SPERRE = "lauf.lock"
"""Lock file of a Kreis's run, in its internal folder."""


def sperren(intern: Path, ziel: Path, was: str = "diesen Kreis") -> FileLock:
    """Take the lock of a Kreis (or, with ``was``, of a Land run), or stop: another run
    writes into the same folder ``ziel``.

    Two runs of one Kreis into one output folder (a colleague on the shared drive, a
    second start) deleted each other's staging folder and published half a run. The
    lock (:mod:`filelock`; the system frees it when a process dies, so a crashed or
    killed run leaves none behind) is held until the run has published.
    """
    sperre = FileLock(intern / SPERRE)
    try:
        sperre.acquire(timeout=0)
    except Timeout:
        raise OrdnerBelegt(
            [
                Problem(
                    str(ziel),
                    f"Für {was} schreibt gerade ein anderer Lauf (thm batch) in denselben "
                    "Ausgabeordner",
                    "Bitte warten, bis er fertig ist, oder einen anderen Ausgabeordner wählen "
                    "(--ausgabe)",
                )
            ]
        ) from None
    return sperre


def reste_entfernen(stage: Path) -> None:
    """Remove the staging folders of reports (``.<key>.neu``, ``.<key>.alt``) that a
    stopped worker left in the Kreis folder: hidden, unaudited, but served."""
    for rest in [*stage.glob(".*.neu"), *stage.glob(".*.alt")]:
        if rest.is_dir():
            shutil.rmtree(rest)


def staging_kopie(kreis_dir: Path) -> Path:
    """A fresh staging folder for the whole Kreis, starting as a copy of the published one.

    Kommunen not rerun (``--kommune``) and the last good files of failed parts
    are carried over from the copy.
    """
    stage = kreis_dir.with_name(f".{kreis_dir.name}.neu")
    if stage.exists():
        shutil.rmtree(stage)
    alt = kreis_dir.with_name(f".{kreis_dir.name}.alt")
    if alt.is_dir() and not kreis_dir.exists():  # a run stopped between the two renames
        os.replace(alt, kreis_dir)
    if kreis_dir.is_dir():
        shutil.copytree(kreis_dir, stage)
        # internal files an older version left in the published folder
        for leftover in [
            *stage.rglob("*.ipynb"),
            *stage.glob("status.json"),
            *stage.glob(f"{PROTOKOLL}*"),
        ]:
            leftover.unlink()
        reste_entfernen(stage)
    else:
        stage.mkdir(parents=True)
    return stage


def veroeffentlichen_wenn_sicher(
    ws: Workspace,
    stage: Path,
    kreis_dir: Path,
    intern: Path,
    vorgelesen: dict[str, Vorlesung] | None = None,
    *,
    differenz: bool = False,
    prozesse: int = 1,
) -> Any:
    """Audit the staged run as a whole; swap it in only when it passes.

    The audit's figures (no cell names) go on the index page; the findings of
    a failed audit name cells and recovered values, so they stay internal
    (``pruefung.txt``) and the previous published run stays as it was. With
    ``differenz`` a passed audit is followed by the Differenzprüfung of the
    Arbeitsmappe (in ``prozesse`` processes); its findings count as findings of the
    audit. Counts of a Stichtag or period that the last published run showed
    otherwise are named in a note (:mod:`thm_lib.disclosure.staende`).
    """

    try:
        ergebnis = audit_run(stage, ws=ws, vorgelesen=vorgelesen)
        if ergebnis.ok and differenz:
            _differenz_dazu(ergebnis, ws, prozesse)
    except Exception:  # an audit that cannot run publishes nothing (fail safe)
        protokollieren(intern, "Geheimhaltungsprüfung: interner Fehler, nichts veröffentlicht")
        shutil.rmtree(stage, ignore_errors=True)
        raise DataError(
            [
                Problem(
                    "Geheimhaltungsprüfung",
                    "interner Fehler; nichts veröffentlicht",
                    f"Protokoll: {intern / PROTOKOLL}",
                )
            ]
        ) from None
    (intern / PRUEFUNG).unlink(missing_ok=True)
    if not ergebnis.ok:
        atomic_write_text(intern / PRUEFUNG, ergebnis.zusammenfassung() + "\n")
        shutil.rmtree(stage, ignore_errors=True)
        LOGGER.error(
            "Geheimhaltungsprüfung nicht bestanden, nichts veröffentlicht: %s", intern / PRUEFUNG
        )
        return ergebnis
    neu = _mit_frueherem_stand(ergebnis, intern)
    index = stage / "index.html"
    text = index.read_text(encoding="utf-8")
    absatz = html_seiten.pruefung_absatz(ergebnis)
    atomic_write_text(index, text.replace("</body>", absatz + "\n</body>", 1))
    replace_dir(stage, kreis_dir)
    if neu is not None:
        staende.schreiben(intern, neu)
    return ergebnis


def _mit_frueherem_stand(ergebnis: Any, intern: Path) -> staende.Stand | None:
    """Add a note naming dated counts the last published run showed otherwise; the new state.

    Advisory: a comparison that cannot be made is logged and publishes anyway.
    """
    try:
        neu = staende.stand(ergebnis)
        alt = staende.lesen(intern)
        hinweis = staende.hinweis(alt, neu) if alt else None
    except Exception:  # noqa: BLE001 - a note, not a gate
        protokollieren(intern, "Vergleich mit dem veröffentlichten Stand nicht möglich")
        return None
    if hinweis:
        ergebnis.hinweise.append(hinweis)  # on the console once, by the command
        LOGGER.info("%s", hinweis)
    return neu


def _differenz_dazu(ergebnis: Any, ws: Workspace, prozesse: int) -> None:
    """Add the Differenzprüfung of ``ws`` to a passed audit: its findings as findings."""
    geprueft = differenzpruefung.pruefen(ws, prozesse=prozesse)
    text = geprueft.zusammenfassung()
    LOGGER.info("%s", text)
    kopf, ergebnis_zeile = text.splitlines()[:2]
    ergebnis.hinweise.append(f"{kopf} {ergebnis_zeile}")
    ergebnis.befunde += [
        Befund(f"Differenzprüfung: {b}", art="differenz") for b in geprueft.befunde
    ]


def nicht_in_der_ausgabe(arbeitsmappe: Path, kreis_dir: Path, intern: Path) -> None:
    """Refuse a run whose report folder would replace the Arbeitsmappe.

    With the Arbeitsmappe ``daten/musterkreis_fiktiv`` and ``--ausgabe daten`` the
    Kreis's report folder *was* the Arbeitsmappe: the run copied it (case data
    included) into the folder for the Bündniskerngruppe and swapped it in.
    """
    for ordner in (kreis_dir, intern):
        if arbeitsmappe == ordner or ordner in arbeitsmappe.parents:
            raise DataError(
                [
                    Problem(
                        str(arbeitsmappe),
                        f"Die Arbeitsmappe liegt im Berichtsordner dieses Laufs ({ordner}); "
                        "der Lauf würde sie durch die Berichte ersetzen und ihre Daten in den "
                        "Ordner für die Bündniskerngruppe legen",
                        "Bitte einen anderen Ausgabeordner wählen (--ausgabe, Standard: reports)",
                    )
                ]
            )
