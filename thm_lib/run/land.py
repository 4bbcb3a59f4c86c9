"""The whole Land: every Arbeitsmappe of a folder, one after the other, and a Land index.

``thm batch LANDORDNER`` runs each Kreis (or kreisfreie Stadt) as
:func:`thm_lib.run.batch.run_batch` would, on one set of workers: while the
workers make the reports of one Kreis, this process loads and computes the
next (:func:`thm_lib.run.batch.vorbereiten`), and audits and publishes each
Kreis as soon as its reports are done. The Land index
(``<ausgabe>/index.html`` and ``karte.html``) shows the key figures of each
Kreis exactly as the Kreis's own published index shows them (hidden stays
hidden; there is no Land total of the target group, which would reveal a
hidden Kreis figure next to the shown ones).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from thm_lib.analysis.staffing import nur_ein_antragsteller
from thm_lib.core.config import load_annahmen
from thm_lib.core.errors import DataError, Problem, ohne_personenwerte
from thm_lib.core.labels import KREIS_ORDNER
from thm_lib.core.paths import INTERN, PROTOKOLL
from thm_lib.ingest.arbeitsmappe import arbeitsmappen
from thm_lib.ingest.dateinamen import find_yaml
from thm_lib.publish.land_index import LandZeile, fremde_land_seiten, schreibe_land_seiten
from thm_lib.run.ausfuehrung import Ausfuehrer
from thm_lib.run.batch import (
    BatchResult,
    KreisLauf,
    Optionen,
    abschliessen,
    einreichen,
    intern_ordner,
    kreis_ordner_name,
    vorbereiten,
)
from thm_lib.run.kommune import NOTEBOOK_DIR, failure_reason
from thm_lib.run.protokoll import eintragen
from thm_lib.run.report import NOTEBOOKS
from thm_lib.run.veroeffentlichen import sperren


def doppelte_kreise(mappen: list[Path]) -> dict[Path, str]:
    """Arbeitsmappen naming a Kreis that an earlier one of the Land folder names already.

    Two Arbeitsmappen of one Kreis (an old copy beside the current one) would write
    into the same report folder, at the same time; the Land index would list the
    Kreis twice. The later one (in sorted order) does not run; its German reason
    goes on the Land index and the console. Same Kreis: the same ``kreis.ags``, or
    the same report folder (the name; the folder's name where ``kreis.name`` is
    missing). Two Kreise whose names give one folder but whose ``kreis.ags`` differ
    are told apart in the reason (give one of them its own name). An unreadable
    ``annahmen.yaml`` is reported when that Kreis is loaded.

    Returns
    -------
    dict
        Arbeitsmappe → reason, for each one that must not run.
    """
    erste: dict[tuple[str, str], tuple[Path, str]] = {}
    doppelt: dict[Path, str] = {}
    for mappe in mappen:
        try:
            kreis = load_annahmen(find_yaml(mappe, "annahmen")).kreis
        except DataError:
            continue
        name = str(kreis.name or mappe.resolve().name)
        ags = str(kreis.ags or "")
        schluessel = [("ordner", kreis_ordner_name(name))]
        if ags:
            schluessel.append(("ags", ags))
        gleich = next((k for k in schluessel if k in erste), None)
        if gleich is None:
            erste.update(dict.fromkeys(schluessel, (mappe, ags)))
            continue
        vorher, ags_vorher = erste[gleich]
        if ags and ags_vorher and ags != ags_vorher:  # two Kreise, one folder name
            doppelt[mappe] = (
                f"derselbe Berichtsordner '{gleich[1]}' wie '{vorher.name}', aber ein anderer "
                f"Kreis (Kreisschlüssel {ags_vorher} und {ags}; hier: {name}). Bitte einem der "
                "beiden in annahmen.yaml unter kreis: name einen eigenen Namen geben."
            )
            continue
        worin = (
            f"derselbe Kreisschlüssel {kreis.ags}"
            if gleich[0] == "ags"
            else f"derselbe Berichtsordner '{gleich[1]}'"
        )
        doppelt[mappe] = (
            f"derselbe Kreis wie in '{vorher.name}' ({worin}; hier: {name}). Bitte nur "
            "eine Arbeitsmappe je Kreis im Landesordner lassen (ältere Stände in einen "
            "anderen Ordner verschieben)."
        )
    return doppelt


@dataclass
class KreisErgebnis:
    """One Kreis of a Land run: its batch result, or the German reason it could not run.

    ``fehler`` is the whole reason (for the console of the Land run); ``grund`` the one
    published on the Land index, without values quoted from case records
    (:func:`~thm_lib.core.errors.ohne_personenwerte`; empty: derived from ``fehler``).
    """

    arbeitsmappe: Path
    result: BatchResult | None = None
    fehler: str = ""
    zeile: LandZeile | None = None
    grund: str = ""


@dataclass
class LandResult:
    """Outcome of a Land run."""

    ausgabe: Path
    index: Path
    kreise: list[KreisErgebnis] = field(default_factory=list)

    @property
    def veroeffentlicht(self) -> int:
        """Number of Kreise whose run passed the audit and was published."""
        return sum(1 for k in self.kreise if k.result is not None and k.result.veroeffentlicht)


def run_land(
    ordner: str | Path,
    ausgabe: str | Path = "reports",
    jobs: int | None = None,
    notebooks: tuple[str, ...] = NOTEBOOKS,
    progress: bool = True,
    notebook_ordner: str | Path = NOTEBOOK_DIR,
    *,
    neu: bool = False,
    cluster: str | None = None,
    differenz: bool = False,
) -> LandResult:
    """Run every Arbeitsmappe of ``ordner`` and write the Land index.

    Parameters
    ----------
    ordner : str or Path
        Folder with one Arbeitsmappe per Kreis / kreisfreie Stadt (:func:`arbeitsmappen`).
    ausgabe : str or Path
        Output root: ``<ausgabe>/<kreis>/`` per Kreis, ``<ausgabe>/index.html`` for the Land.
    jobs, notebooks, progress, notebook_ordner, neu, cluster, differenz
        As for :func:`thm_lib.run.batch.run_batch`.

    Returns
    -------
    LandResult
        A Kreis whose Arbeitsmappe cannot be loaded is listed with its German
        reason; the others run. So is a Kreis that meets a fault of the program
        while it is prepared or published (its traceback goes to
        ``<ausgabe>/intern/protokoll.log``).

    Raises
    ------
    DataError
        If ``ausgabe`` holds pages of something else than a Land run, or another
        Land run holds it.
    OSError
        If a path cannot be read or written (a full disk) or the workers are lost
        (a Dask cluster gone): every Kreis's lock is freed and the run stops, as on
        Ctrl+C.
    """
    mappen = arbeitsmappen(Path(ordner))
    ausgabe = Path(ausgabe).resolve()
    fremd = fremde_land_seiten(ausgabe)
    if fremd:
        raise DataError(
            [
                Problem(
                    str(datei),
                    "Diese Datei stammt nicht aus einem Landeslauf; der Landeslauf würde sie "
                    "durch die Landesübersicht ersetzen",
                    "Bitte einen anderen Ausgabeordner wählen (--ausgabe) oder die Datei "
                    "an einen anderen Ort verschieben",
                )
                for datei in fremd
            ]
        )
    (ausgabe / INTERN).mkdir(parents=True, exist_ok=True)
    # a second Land run would find every Kreis locked and overwrite the Land index with
    # "nicht gelaufen" for all of them
    sperre = sperren(ausgabe / INTERN, ausgabe, "dieses Land")
    try:
        optionen = Optionen(notebooks, notebook_ordner, neu, differenz)
        return _run_land(mappen, ausgabe, jobs, optionen, progress, cluster)
    finally:
        sperre.release()


def _run_land(
    mappen: list[Path],
    ausgabe: Path,
    jobs: int | None,
    optionen: Optionen,
    progress: bool,
    cluster: str | None,
) -> LandResult:
    """:func:`run_land` while holding the Land's lock."""
    doppelt = doppelte_kreise(mappen)
    ergebnisse = [KreisErgebnis(m, fehler=doppelt.get(m, "")) for m in mappen]
    laeufe: dict[int, KreisLauf] = {}
    # a Kreis's lock is freed when it is published, or when the Land run stops early
    with Ausfuehrer(jobs or os.cpu_count() or 1, cluster) as aus, ExitStack() as offen:
        bar_kreise = tqdm(total=len(mappen), desc="Kreise", unit="Kreis", disable=not progress)
        bar_berichte = tqdm(total=0, desc="Berichte", unit="Bericht", disable=not progress)

        def fertig(i: int) -> None:
            with _fehler_des_kreises(ergebnisse[i], ausgabe):
                ergebnisse[i].result = abschliessen(laeufe.pop(i))
            bar_kreise.update()

        def sammeln(warten: bool) -> None:
            for (i, _key), result in aus.fertige(warten):
                laeufe[i].results.append(result)
                bar_berichte.update()
                if laeufe[i].fertig:
                    fertig(i)

        for i, mappe in enumerate(mappen):
            if mappe in doppelt:
                bar_kreise.update()
                continue
            lauf = None
            with _fehler_des_kreises(ergebnisse[i], ausgabe):
                lauf = vorbereiten(mappe, ausgabe, optionen=optionen, aus=aus)
            if lauf is None:
                bar_kreise.update()
                continue
            laeufe[i] = offen.enter_context(lauf)
            bar_berichte.total += len(lauf.auftraege)
            bar_berichte.refresh()
            einreichen(lauf, aus, i)
            if lauf.fertig:
                fertig(i)
            sammeln(warten=False)
        while aus.offen:
            sammeln(warten=True)
        bar_berichte.close()
        bar_kreise.close()
    zeilen = [land_zeile(e) for e in ergebnisse]
    for e, z in zip(ergebnisse, zeilen, strict=True):
        e.zeile = z
    schwelle, zeichen = _schutz(ergebnisse)
    index, _karte = schreibe_land_seiten(ausgabe, zeilen, schwelle=schwelle, zeichen=zeichen)
    return LandResult(ausgabe, index, ergebnisse)


@contextmanager
def _fehler_des_kreises(e: KreisErgebnis, ausgabe: Path) -> Iterator[None]:
    """Record why one Kreis of the Land run has no result; the other Kreise go on.

    A :class:`DataError` is the Kreis's data: the console shows its whole German text,
    the published Land index a reason without anything quoted from a case record.
    Anything else is a fault of the program in this Kreis: the reason points to the
    Land's log, the traceback goes there. A file-system error (a path, a full disk)
    and anything that is not an :class:`Exception` (Strg+C) stop the whole run.
    """
    try:
        yield
    except OSError:
        raise
    except Exception as exc:
        eintrag = f"Kreis {e.arbeitsmappe.name}"
        e.grund, text = failure_reason(exc, eintrag, protokoll=f"{INTERN}/{PROTOKOLL}")
        e.fehler = str(exc) if text is None else e.grund
        if text is not None:
            eintragen(ausgabe / INTERN, [(eintrag, text)])


def _schutz(ergebnisse: list[KreisErgebnis]) -> tuple[int, str]:
    """Threshold and symbol named on the Land page: the strictest threshold of the Kreise."""
    werte = [
        (int(d.schwelle), str(d.zeichen_geheim))
        for e in ergebnisse
        if e.result is not None
        for d in [e.result.ws.annahmen.datenschutz]
    ]
    return max(werte, default=(5, "."))


def land_zeile(e: KreisErgebnis) -> LandZeile:
    """The Land-index row of a Kreis: the key figures of its published Kreis report."""
    if e.result is None:
        return LandZeile(
            name=e.arbeitsmappe.name,
            ags="",
            href="",
            kreisfrei=False,
            veroeffentlicht=False,
            grund=e.grund or ohne_personenwerte(e.fehler),
        )
    r = e.result
    status = _status(r.kreis_dir)
    eintrag: dict[str, Any] = status.get(KREIS_ORDNER, {})
    ws = r.ws
    grund = ""
    if not r.veroeffentlicht:
        grund = "Geheimhaltungsprüfung nicht bestanden: dieser Lauf wurde nicht veröffentlicht"
    elif not eintrag.get("ok", False):
        grund = "Bericht für den ganzen Kreis nicht aktuell (siehe Kreisübersicht)"
    return LandZeile(
        name=ws.name,
        ags=ws.kreisschluessel,
        href=f"{r.kreis_dir.name}/index.html" if (r.kreis_dir / "index.html").exists() else "",
        kreisfrei=nur_ein_antragsteller(ws),
        kennzahlen=dict(eintrag.get("kennzahlen") or {}),
        veroeffentlicht=r.veroeffentlicht,
        grund=grund,
        stand=_datum(eintrag.get("letzter_erfolg")),
        geometrie=ws.gebiete.geometry.union_all(),
        schutz=(int(ws.annahmen.datenschutz.schwelle), str(ws.annahmen.datenschutz.zeichen_geheim)),
    )


def _status(kreis_dir: Path) -> dict[str, Any]:
    """The status of the last published run of the Kreis (empty if none)."""
    path = intern_ordner(kreis_dir) / "status.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _datum(zeitpunkt: Any) -> str:
    """``2026-11-29T17:40:00`` -> ``29.11.2026`` ("" when unknown)."""
    text = str(zeitpunkt or "")[:10]
    return ".".join(reversed(text.split("-"))) if len(text) == 10 else ""
