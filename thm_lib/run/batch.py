"""The batch: every notebook for every Kommune, in parallel, replaced atomically.

The Kreis is loaded and computed once (:func:`vorbereiten` writes its results
bundle, :mod:`thm_lib.run.buendel`); the reports are tasks
(:func:`thm_lib.run.kommune.run_kommune`) on local worker processes or a Dask
cluster (:mod:`thm_lib.run.ausfuehrung`), each worker keeping one Jupyter kernel
(:mod:`thm_lib.run.kernel`); a report whose inputs, settings and code are unchanged
since its last good run is kept. The Kreis folder is published only as a whole,
after the audit of all its outputs together (:mod:`thm_lib.run.veroeffentlichen`).

Layout of the output::

    reports/<kreis>/            PUBLISHED: the folder for the Bündniskerngruppe
        index.html              summary across Kommunen, links, failed parts marked,
                                figures of the disclosure audit
        <key>/                  the report of a Kommune (``key`` = AGS, ``kreis`` = whole Kreis)
            <notebook>.html     report without code (nbconvert, no input cells)
            karte.html          the map
            bericht.xlsx        the workbook for the Bündniskerngruppe
    reports/intern/<kreis>/     INTERNAL: never handed over
        status.json             last result per Kommune and part (kept across runs)
        protokoll.log           internal errors with their Python traceback
        pruefung.txt            findings of the last disclosure audit that failed
        lauf.lock               held while a run of the Kreis writes
        notebooks/<key>/<notebook>.ipynb   executed notebooks (glue values, parameters)
        buendel/kreis/          the results bundle (``buendel/<ags>/`` for own settings)

A failing part of a report does not stop the others: they are published, and the
index names the failed part with its German reason (a part that failed keeps the
files of its last good run, marked in the index with that run's date). A
:class:`~thm_lib.core.errors.DataError` is shown with its German text (values quoted
from case records left out, :func:`thm_lib.core.errors.ohne_personenwerte`); any other
exception is written with its traceback to ``protokoll.log``
(:mod:`thm_lib.run.protokoll`) and shown as "interner Fehler (Protokoll: …)": no
Python traceback reaches the index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock
from tqdm import tqdm

from thm_lib.analysis.staffing import nur_ein_antragsteller
from thm_lib.core.atomic import atomic_write_text
from thm_lib.core.config import kommune_overrides
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import slug
from thm_lib.core.labels import KREIS, KREIS_ORDNER
from thm_lib.core.paths import INTERN
from thm_lib.core.pruefsumme import arbeitsmappe_pruefsumme, programmstand, pruefsumme
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit_deutung import kontext_aus
from thm_lib.disclosure.audit_lesen import Vorlesung
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.columns import parse_ags
from thm_lib.run import buendel
from thm_lib.run.ausfuehrung import Ausfuehrer
from thm_lib.run.kernel import vorwaermen
from thm_lib.run.kommune import (
    BERICHT,
    KARTE,
    KENNZAHLEN,
    NOTEBOOK_DIR,
    Auftrag,
    KommuneResult,
    TeilResult,
    interner_fehler,
    run_kommune,
    teil_dateien,
)
from thm_lib.run.notebook import oeffne
from thm_lib.run.protokoll import fehler_schreiben, protokollieren
from thm_lib.run.report import NOTEBOOKS, index_html
from thm_lib.run.veroeffentlichen import (
    nicht_in_der_ausgabe,
    reste_entfernen,
    sperren,
    staging_kopie,
    veroeffentlichen_wenn_sicher,
)

LOGGER = logging.getLogger(__name__)
"""Messages for the console of the batch (one line each, no traceback)."""


@dataclass(frozen=True)
class Optionen:
    """How the reports of a run are made: the same for every Kreis of a Land run.

    :func:`run_batch` and :func:`thm_lib.run.land.run_land` take them as keywords and
    hand this one object on (to :func:`run_kreis`, :func:`vorbereiten`, :func:`_planen`).
    """

    notebooks: tuple[str, ...] = NOTEBOOKS
    """Notebook names under ``notebook_ordner``."""
    notebook_ordner: Path = NOTEBOOK_DIR
    """Folder of the notebooks (default: the project's ``notebooks/``)."""
    neu: bool = False
    """Make every report again, also those whose inputs did not change."""
    differenz: bool = False
    """Run the Differenzprüfung before publishing."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "notebooks", tuple(self.notebooks))
        object.__setattr__(self, "notebook_ordner", Path(self.notebook_ordner).resolve())


def intern_ordner(kreis_dir: Path) -> Path:
    """The internal folder of the published Kreis folder ``kreis_dir`` (never handed over)."""
    return kreis_dir.parent / INTERN / kreis_dir.name


@dataclass
class BatchResult:
    """Outcome of a batch run."""

    kreis_dir: Path
    index: Path
    results: list[KommuneResult]
    pruefung: Any = None
    """The disclosure audit of the whole run (:class:`thm_lib.disclosure.audit.AuditErgebnis`)."""
    ws: Any = None
    """The Kreis as loaded (:class:`~thm_lib.core.workspace.Workspace`)."""
    veraltet: list[str] = field(default_factory=list)
    """Reports outside the chosen Kommunen made anew, because they were made from other
    inputs (:func:`_veraltete_berichte`)."""

    @property
    def veroeffentlicht(self) -> bool:
        """True when the run passed the audit and replaced the published folder."""
        return self.pruefung is None or bool(self.pruefung.ok)

    @property
    def failed(self) -> list[KommuneResult]:
        """The Kommunen with at least one failed part."""
        return [r for r in self.results if not r.ok]


def kreis_ordner_name(name: str) -> str:
    """The name of a Kreis's report folder under the output root: its :func:`slug`.

    A Kreis whose name gives ``intern`` or ``apps`` (the folders of internal files and
    of the apps' bundles beside the Kreis folders) gets ``_kreis`` appended; its
    published folder would otherwise be those folders.
    """
    ordner = slug(name)
    return f"{ordner}_kreis" if ordner in (INTERN, "apps") else ordner


def _load_status(intern: Path) -> dict[str, dict[str, Any]]:
    path = intern / "status.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _status_entry(r: KommuneResult, previous: dict[str, Any], kreis_dir: Path) -> dict[str, Any]:
    """The status.json entry of one Kommune: this run, with the last good run of failed parts."""
    entry = asdict(r)
    entry.pop("protokoll")
    before = previous.get("teile", {}) or {}
    for teil, t in entry["teile"].items():
        if t["ok"]:
            t["letzter_erfolg"] = r.zeitpunkt
            continue
        files = teil_dateien(teil)
        kept = files and all((kreis_dir / r.key / name).is_file() for name in files)
        old = (before.get(teil) or {}).get("letzter_erfolg") or previous.get("letzter_erfolg")
        t["letzter_erfolg"] = old if kept else None
    if not r.teile.get(KENNZAHLEN, TeilResult(True)).ok:  # keep the last good figures
        entry["kennzahlen"] = previous.get("kennzahlen", {})
    entry["letzter_erfolg"] = r.zeitpunkt if r.ok else previous.get("letzter_erfolg")
    return entry


def run_batch(
    arbeitsmappe: str | Path,
    ausgabe: str | Path = "reports",
    kommunen: Sequence[str] | None = None,
    jobs: int | None = None,
    notebooks: Sequence[str] = NOTEBOOKS,
    mit_kreis: bool | None = None,
    progress: bool = True,
    notebook_ordner: str | Path = NOTEBOOK_DIR,
    *,
    neu: bool = False,
    cluster: str | None = None,
    differenz: bool = False,
) -> BatchResult:
    """Run the notebooks for every Kommune (or the given ones) and write the index.

    Parameters
    ----------
    arbeitsmappe : str or Path
        The Arbeitsmappe folder.
    ausgabe : str or Path
        Output root; the Kreis gets ``<ausgabe>/<kreis>/``.
    kommunen : sequence of str, optional
        AGS to run; default all Gemeinden. Unknown AGS fail with a German reason.
    jobs : int, optional
        Parallel local worker processes (default: number of cores).
    notebooks : sequence of str
        Notebook names under ``notebooks/``.
    mit_kreis : bool, optional
        Also run the report for the whole Kreis (folder ``kreis``); default:
        only when no ``kommunen`` are given. A kreisfreie Stadt
        (:func:`nur_ein_antragsteller`) run in full gets this one report only.
    progress : bool
        Show a progress bar (tqdm).
    notebook_ordner : str or Path
        Folder of the notebooks (default: the project's ``notebooks/``).
    neu : bool
        Make every report again, also those whose inputs, settings and code did
        not change since their last good run (which are kept otherwise).
    cluster : str, optional
        Address of a ``dask.distributed`` scheduler; the reports are made by its
        workers, which must see the Arbeitsmappe and ``ausgabe`` under the same paths.
    differenz : bool
        Before publishing, also run the Differenzprüfung
        (:func:`thm_lib.run.differenzpruefung.pruefen` with its defaults); a finding
        holds the publication like one of the audit.

    Returns
    -------
    BatchResult

    Raises
    ------
    DataError
        If the Arbeitsmappe itself cannot be loaded (nothing runs then).
    """
    optionen = Optionen(tuple(notebooks), notebook_ordner, neu, differenz)
    with Ausfuehrer(jobs or os.cpu_count() or 1, cluster) as aus:
        return run_kreis(
            arbeitsmappe,
            ausgabe,
            aus,
            kommunen=kommunen,
            mit_kreis=mit_kreis,
            progress=progress,
            optionen=optionen,
        )


def auftrag_pruefsumme(*teile: str) -> str:
    """Checksum of a report's inputs: Arbeitsmappe, code, notebooks, Kommune and parts."""
    return hashlib.sha256("\0".join(teile).encode()).hexdigest()


def _aktuell(entry: dict[str, Any], pruef: str, ordner: Path, notebooks: Sequence[str]) -> bool:
    """True when the last run of this report was good, from the same inputs, and is complete."""
    if not entry.get("ok") or entry.get("pruefsumme") != pruef:
        return False
    return all(
        (ordner / datei).is_file()
        for teil in (KARTE, BERICHT, *notebooks)
        for datei in teil_dateien(teil)
    )


def _berichtsordner(stage: Path) -> list[Path]:
    """The report folders of the staged Kreis folder (one per Gemeinde, and ``kreis``)."""
    return sorted(p for p in stage.iterdir() if p.is_dir() and not p.name.startswith("."))


def _verschwundene_entfernen(
    stage: Path, status: dict[str, dict[str, Any]], names: dict[str, str]
) -> None:
    """Remove the reports of Gemeinden the Arbeitsmappe no longer has from the staged folder.

    Their figures are of an old state, and no run can renew them. A folder this batch
    did not make (not in ``status``) is the user's and stays.
    """
    for ordner in _berichtsordner(stage):
        key = ordner.name
        if key != KREIS_ORDNER and key not in names and key in status:
            shutil.rmtree(ordner)
            status.pop(key)
            LOGGER.info("Bericht %s entfernt: die Gemeinde gibt es nicht mehr", key)


def _veraltete_berichte(
    stage: Path,
    status: dict[str, dict[str, Any]],
    keys: Sequence[str],
    names: dict[str, str],
    pruefsumme_von: Callable[[str], str],
) -> list[str]:
    """Published reports outside this run's choice that were made from other inputs.

    A run of some Kommunen (``--kommune``) after the Arbeitsmappe, the settings or the
    program changed left the other reports of the old state beside the new ones: two
    versions of the same figures in the folder for the Bündniskerngruppe (the audit
    saw "Verschiedene Werte für dieselbe Größe"), whose differences can narrow a
    hidden count. These reports run too.
    """
    return [
        o.name
        for o in _berichtsordner(stage)
        if o.name not in keys
        and (o.name == KREIS_ORDNER or o.name in names)
        and status.get(o.name, {}).get("pruefsumme") != pruefsumme_von(o.name)
    ]


def _buendel_fuer(
    ws: Workspace,
    arbeitsmappe: Path,
    keys: Sequence[str],
    ziel: Path,
    eingabe: str,
    code: str,
    intern: Path,
) -> tuple[dict[str, Path | None], list[tuple[buendel.Kreisstand, Path]]]:
    """Compute each distinct setting of the Kreis once and write its bundle.

    The Kreis's own settings go to ``ziel/kreis``; a Kommune whose
    ``annahmen_<ags>.yaml`` changes them gets ``ziel/<ags>``. A Kommune whose
    bundle cannot be made gets None: its report loads the Arbeitsmappe itself
    and shows the reason per part, as a notebook would. Also returns the bundles
    whose GeoPackage is still to be written (:func:`_karten_nachtragen`).
    """
    out: dict[str, Path | None] = {}
    gemacht: dict[str, Path | None] = {}
    karten: list[tuple[buendel.Kreisstand, Path]] = []

    def machen(name: str, kreis: Workspace) -> Path | None:
        if name not in gemacht:
            try:
                stand = buendel.berechnen(kreis)
                gemacht[name] = buendel.schreiben(
                    stand,
                    ziel / name,
                    arbeitsmappe=arbeitsmappe,
                    eingabe=eingabe,
                    stand_code=code,
                    karten=False,
                )
                karten.append((stand, ziel / name))
            except Exception:  # each report then fails (or not) on its own, with its reason
                protokollieren(intern, "Ergebnisbündel %s nicht erstellt", name)
                gemacht[name] = None
        return gemacht[name]

    for key in keys:
        ags = KREIS if key == KREIS_ORDNER else key
        try:
            eigene = bool(ags) and bool(kommune_overrides(arbeitsmappe, ags))
            kommune_ws = oeffne(arbeitsmappe, ags) if eigene else ws
        except Exception:  # shown in the Kommune's own report
            out[key] = None
            continue
        eigene = eigene and kommune_ws.annahmen != ws.annahmen
        out[key] = machen(buendel.buendel_name(key, eigene), kommune_ws if eigene else ws)
    return out, karten


def _karten_nachtragen(lauf: KreisLauf) -> None:
    """Write the GeoPackages of the Kreis's bundles (while the workers render the reports)."""
    while lauf.karten:
        stand, ordner = lauf.karten.pop()
        try:
            buendel.karten_schreiben(stand, ordner)
        except Exception:  # the reports do not need it; the log says why it is missing
            protokollieren(lauf.intern, "GeoPackage des Ergebnisbündels %s", ordner.name)


@dataclass
class KreisLauf:
    """A Kreis being run: prepared by :func:`vorbereiten`, finished by :func:`abschliessen`."""

    ws: Workspace
    kreis_dir: Path
    stage: Path
    intern: Path
    keys: list[str]
    status: dict[str, dict[str, Any]]
    results: list[KommuneResult]
    auftraege: list[Auftrag]
    karten: list[tuple[buendel.Kreisstand, Path]] = field(default_factory=list)
    """Bundles whose GeoPackage is written after the reports are started."""
    differenz: bool = False
    """Run the Differenzprüfung before publishing (:func:`abschliessen`)."""
    veraltet: list[str] = field(default_factory=list)
    """Reports run because they were made from other inputs (:func:`_veraltete_berichte`)."""
    sperre: FileLock | None = None
    """Held from :func:`vorbereiten` until :func:`abschliessen` has published (:func:`sperren`)."""

    @property
    def fertig(self) -> bool:
        """True when every report of the Kreis has its result."""
        return len(self.results) == len(self.keys)

    def freigeben(self) -> None:
        """Release the Kreis's lock (again: nothing happens)."""
        if self.sperre is not None:
            self.sperre.release()

    def __enter__(self) -> KreisLauf:
        return self

    def __exit__(self, *exc: object) -> None:
        self.freigeben()


def vorbereiten(
    arbeitsmappe: str | Path,
    ausgabe: str | Path,
    *,
    kommunen: Sequence[str] | None = None,
    mit_kreis: bool | None = None,
    optionen: Optionen | None = None,
    aus: Ausfuehrer | None = None,
) -> KreisLauf:
    """Load the Kreis, decide which reports to make, compute and write their bundles.

    Reports whose inputs, settings and code did not change since their last
    good run are kept (unless ``optionen.neu``). With ``aus`` its workers start their
    kernels while the Kreis is computed. ``kommunen``, ``mit_kreis``: see :func:`run_batch`.

    Raises
    ------
    DataError
        If the Arbeitsmappe itself cannot be loaded.
    """
    arbeitsmappe = Path(arbeitsmappe).resolve()
    ws = load_workspace(arbeitsmappe)
    kommunen = gewaehlte_kommunen(ws, kommunen) if kommunen else kommunen
    kreis_dir = Path(ausgabe).resolve() / kreis_ordner_name(ws.name)
    intern = intern_ordner(kreis_dir)
    nicht_in_der_ausgabe(arbeitsmappe, kreis_dir, intern)
    intern.mkdir(parents=True, exist_ok=True)
    sperre = sperren(intern, kreis_dir)
    try:
        return _planen(
            ws,
            arbeitsmappe,
            kreis_dir,
            intern,
            sperre,
            kommunen=kommunen,
            mit_kreis=mit_kreis,
            optionen=optionen or Optionen(),
            aus=aus,
        )
    except BaseException:
        sperre.release()
        raise


def _planen(
    ws: Workspace,
    arbeitsmappe: Path,
    kreis_dir: Path,
    intern: Path,
    sperre: FileLock,
    *,
    kommunen: Sequence[str] | None,
    mit_kreis: bool | None,
    optionen: Optionen,
    aus: Ausfuehrer | None,
) -> KreisLauf:
    """:func:`vorbereiten` once the Kreis is loaded and locked: which reports to make, and
    their bundles."""
    notebooks = optionen.notebooks
    stage = staging_kopie(kreis_dir)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    keys = report_keys(ws, kommunen, mit_kreis)
    names[KREIS_ORDNER] = ws.name
    status = _load_status(intern)
    eingabe = arbeitsmappe_pruefsumme(arbeitsmappe)
    code = programmstand()
    nb_summe = auftrag_pruefsumme(
        *[pruefsumme(optionen.notebook_ordner, muster=(f"{nb}.ipynb",)) for nb in notebooks]
    )

    def pruef_von(key: str) -> str:
        return auftrag_pruefsumme(eingabe, code, nb_summe, key, *notebooks)

    _verschwundene_entfernen(stage, status, names)
    veraltet = _veraltete_berichte(stage, status, keys, names, pruef_von)
    keys = [*keys, *veraltet]

    results: list[KommuneResult] = []
    offen: list[tuple[str, str]] = []
    for key in keys:
        if key != KREIS_ORDNER and key not in names:
            grund = f"Gemeinde {key} gibt es in '{ws.name}' nicht (gebiete)."
            results.append(KommuneResult(key, "?", False, grund))
            continue
        pruef = pruef_von(key)
        if not optionen.neu and _aktuell(status.get(key, {}), pruef, stage / key, notebooks):
            kept = KommuneResult(key, names[key], True, pruefsumme=pruef, uebersprungen=True)
            results.append(kept)
        else:
            offen.append((key, pruef))
    if offen and aus is not None:
        # kernels start (and workers load this module) while the Kreis is computed
        aus.vorwaermen(functools.partial(vorwaermen, run_kommune.__module__))
    pfade, karten = _buendel_fuer(
        ws, arbeitsmappe, [k for k, _ in offen], intern / "buendel", eingabe, code, intern
    )
    ctx = kontext_aus(ws)
    auftraege = [
        Auftrag(
            key,
            names[key],
            stage,
            notebooks,
            optionen.notebook_ordner,
            intern,
            arbeitsmappe,
            pfade[key],
            pruef,
            (ctx.symbol, ctx.schwelle),
        )
        for key, pruef in offen
    ]
    return KreisLauf(
        ws,
        kreis_dir,
        stage,
        intern,
        keys,
        status,
        results,
        auftraege,
        karten,
        optionen.differenz,
        veraltet,
        sperre,
    )


def einreichen(lauf: KreisLauf, aus: Ausfuehrer, kennung: Any = None) -> None:
    """Start every report of ``lauf`` on ``aus`` (results under ``(kennung, key)``)."""
    for a in lauf.auftraege:
        aus.einreichen(
            (kennung, a.key),
            run_kommune,
            (a,),
            _nochmal,
            lambda k, exc, name=a.name: _abgebrochen(k[1], name, exc),
        )
    _karten_nachtragen(lauf)


def abschliessen(lauf: KreisLauf, prozesse: int = 1) -> BatchResult:
    """Write the status, the index, audit the whole Kreis folder and publish it if it passes.

    Releases the Kreis's lock (:func:`sperren`) in any case. ``prozesse``: processes
    of the Differenzprüfung, if the run has one (free cores only: the workers of a
    Land run still make other Kreise).
    """
    with lauf:
        return _abschliessen(lauf, prozesse)


def _abschliessen(lauf: KreisLauf, prozesse: int) -> BatchResult:
    order = {k: i for i, k in enumerate(lauf.keys)}
    results = sorted(lauf.results, key=lambda r: order.get(r.key, len(order)))
    vorgelesen: dict[str, Vorlesung] = {}
    for r in results:
        vorgelesen.update(r.vorgelesen)
        r.vorgelesen = {}
    fehler_schreiben(lauf.intern, results)
    status, stage = lauf.status, lauf.stage
    reste_entfernen(stage)
    for r in results:
        if not r.uebersprungen:
            status[r.key] = _status_entry(r, status.get(r.key, {}), stage)
    shown = list(
        dict.fromkeys([*[r.key for r in results], *[k for k in status if (stage / k).is_dir()]])
    )
    shown.sort(key=lambda k: order.get(k, len(order)))
    atomic_write_text(stage / "index.html", index_html(lauf.ws, status, shown, stage))
    pruefung = veroeffentlichen_wenn_sicher(
        lauf.ws,
        stage,
        lauf.kreis_dir,
        lauf.intern,
        vorgelesen,
        differenz=lauf.differenz,
        prozesse=prozesse,
    )
    if pruefung.ok:
        text = json.dumps(status, ensure_ascii=False, indent=1)
        atomic_write_text(lauf.intern / "status.json", text)
    return BatchResult(
        lauf.kreis_dir, lauf.kreis_dir / "index.html", results, pruefung, lauf.ws, lauf.veraltet
    )


def run_kreis(
    arbeitsmappe: str | Path,
    ausgabe: str | Path,
    aus: Ausfuehrer,
    *,
    kommunen: Sequence[str] | None = None,
    mit_kreis: bool | None = None,
    progress: bool = True,
    optionen: Optionen | None = None,
) -> BatchResult:
    """One Kreis on the workers of ``aus`` (the parameters: :func:`run_batch`).

    ``aus`` takes no further task: its workers end while the run is audited.
    """
    with vorbereiten(
        arbeitsmappe, ausgabe, kommunen=kommunen, mit_kreis=mit_kreis, optionen=optionen, aus=aus
    ) as lauf:
        einreichen(lauf, aus)
        bar = tqdm(total=len(lauf.auftraege), desc="Berichte", unit="Bericht", disable=not progress)
        while aus.offen:
            for _key, result in aus.fertige():
                lauf.results.append(result)
                bar.update()
        bar.close()
        aus.freigeben()  # the workers end while the run is audited
        # their cores are free: the Differenzprüfung may use as many (not a cluster's)
        return abschliessen(lauf, prozesse=1 if aus.cluster else aus.jobs)


def _nochmal(result: KommuneResult) -> bool:
    """A report with an internal error is made once more (a data error would fail again)."""
    return bool(result.protokoll)


def _abgebrochen(key: str, name: str, exc: BaseException) -> KommuneResult:
    """The result of a report whose task failed twice (e.g. the worker process died)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    grund = interner_fehler(f"{key}/aufgabe")
    return KommuneResult(key, name, False, grund, protokoll=[(f"{key}/aufgabe", text)])


def gewaehlte_kommunen(ws: Workspace, auswahl: Sequence[str]) -> list[str]:
    """The AGS of the Gemeinden chosen with ``--kommune``: by AGS or by name.

    An AGS without its leading zero (``5899004``, as Excel shows it) is read as
    the 8-digit AGS, a name regardless of case. A choice that is no Gemeinde of
    the Kreis stops the run before anything is written.

    Raises
    ------
    DataError
        Naming each unknown choice and the Gemeinden there are.
    """
    namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"].astype(str), strict=True))
    je_name = {n.casefold(): a for a, n in namen.items()}
    gewaehlt, unbekannt = [], []
    for wahl in auswahl:
        try:
            ags = parse_ags(wahl)
        except ValueError:
            ags = je_name.get(wahl.strip().casefold(), wahl)
        (gewaehlt if ags in namen else unbekannt).append(ags)
    if unbekannt:
        vorhanden = ", ".join(f"{a} ({n})" for a, n in sorted(namen.items()))
        raise DataError(
            [
                Problem(
                    "--kommune",
                    f"Gemeinde '{w}' gibt es in '{ws.name}' nicht",
                    f"Bitte den AGS oder den Namen einer Gemeinde angeben: {vorhanden}",
                )
                for w in unbekannt
            ]
        )
    return list(dict.fromkeys(gewaehlt))


def report_keys(
    ws: Workspace, kommunen: Sequence[str] | None = None, mit_kreis: bool | None = None
) -> list[str]:
    """The report folders a batch writes: ``kreis`` first (if wanted), then the Gemeinden.

    Without ``kommunen`` every Gemeinde and (unless ``mit_kreis`` is False) the
    Kreis; a kreisfreie Stadt (:func:`nur_ein_antragsteller`) gets only the
    ``kreis`` report. With ``kommunen`` those, plus the Kreis if ``mit_kreis``.
    """
    if kommunen:
        return ([KREIS_ORDNER] if mit_kreis else []) + list(kommunen)
    if nur_ein_antragsteller(ws):
        return [KREIS_ORDNER]
    keys = list(ws.gebiete["ags"])
    return keys if mit_kreis is False else [KREIS_ORDNER, *keys]
