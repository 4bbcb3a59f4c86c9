"""The batch: every notebook for every Kommune, in parallel, replaced atomically.

The Kreis is loaded and computed once (:func:`vorbereiten` writes its results
bundle, :mod:`thm_lib.run.buendel`); the reports are tasks (:func:`run_kommune`)
on local worker processes or a Dask cluster (:mod:`thm_lib.run.ausfuehrung`),
each worker keeping one Jupyter kernel (:mod:`thm_lib.run.kernel`); a report
whose inputs, settings and code are unchanged since its last good run is kept.

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
        notebooks/<key>/<notebook>.ipynb   executed notebooks (glue values, parameters)
        buendel/kreis/          the results bundle (``buendel/<ags>/`` for own settings)

The whole Kreis folder is built in a staging copy (``reports/.<kreis>.neu``,
starting from the last published run) and audited as a whole
(:func:`thm_lib.disclosure.audit.audit_run`: every published output together, issue 13);
only a run that passes replaces the published folder. A run that fails the
audit publishes nothing: the findings go to ``pruefung.txt``.

Each notebook, the map and the workbook are separate **parts** (:func:`teil_dateien`);
the key figures of the index are one more. A failing part does not stop the
others: they are published, and the index names the failed part with its
German reason. A Kommune is written into a hidden staging folder and swapped
in as a whole only at the end; a part that failed keeps the files of its last
good run (copied over from the previous folder, marked in the index with that
run's date), so a failed rerun never leaves a half-written part and never
throws away a good one. A :class:`~thm_lib.core.errors.DataError` is shown with its
German text (values quoted from case records left out,
:func:`thm_lib.core.errors.ohne_personenwerte`); any other exception is written with its
traceback to ``protokoll.log`` and shown as "interner Fehler (Protokoll: …)": no
Python traceback reaches the index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import logging.handlers
import os
import re
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tqdm import tqdm

from thm_lib.analysis.staffing import nur_ein_antragsteller
from thm_lib.core import paths
from thm_lib.core.atomic import atomic_write_text
from thm_lib.core.config import kommune_overrides
from thm_lib.core.errors import DataError, Problem, ohne_personenwerte
from thm_lib.core.labels import KREIS, KREIS_ORDNER
from thm_lib.core.pruefsumme import arbeitsmappe_pruefsumme, programmstand, pruefsumme
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import staende
from thm_lib.disclosure.audit import Befund, audit_run, vorlesen
from thm_lib.disclosure.audit_deutung import kontext_aus
from thm_lib.disclosure.audit_lesen import Vorlesung
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.columns import parse_ags
from thm_lib.publish import html_seiten
from thm_lib.publish.html_seiten import BERICHT_VORLAGE, VORLAGEN, stylesheet
from thm_lib.run import buendel, differenzpruefung
from thm_lib.run.ausfuehrung import Ausfuehrer
from thm_lib.run.kernel import NotebookFehler, kernel, vorwaermen
from thm_lib.run.notebook import oeffne
from thm_lib.run.report import (
    NOTEBOOKS,
    TEIL_TITEL,
    Analyse,
    index_html,
    kennzahlen_fuer,
    write_bericht,
    write_karte,
)

NOTEBOOK_DIR = paths.NOTEBOOKS
KARTE, BERICHT, KENNZAHLEN = "karte", "bericht", "kennzahlen"
#: Published files of the parts that are not notebooks (a notebook ``nb`` has ``nb.html``).
TEIL_DATEIEN = {KARTE: ("karte.html",), BERICHT: ("bericht.xlsx",), KENNZAHLEN: ()}
PROTOKOLL = "protokoll.log"
PRUEFUNG = "pruefung.txt"
INTERN = "intern"
"""Folder beside the published Kreis folders for everything internal."""
LOGGER = logging.getLogger(__name__)
"""Messages for the console of the batch (one line each, no traceback)."""
PROTOKOLL_LOGGER = logging.getLogger(f"{__name__}.protokoll")
"""Internal errors with their traceback: only into ``protokoll.log`` (:func:`_protokoll_datei`)."""
PROTOKOLL_LOGGER.propagate = False
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def teil_dateien(teil: str) -> tuple[str, ...]:
    """The files a part writes into the Kommune's folder."""
    return TEIL_DATEIEN.get(teil, (f"{teil}.html",))


def intern_ordner(kreis_dir: Path) -> Path:
    """The internal folder of the published Kreis folder ``kreis_dir`` (never handed over)."""
    return kreis_dir.parent / INTERN / kreis_dir.name


@dataclass
class TeilResult:
    """Outcome of one part (a notebook, the map, the workbook or the key figures)."""

    ok: bool
    grund: str = ""
    letzter_erfolg: str | None = None


@dataclass
class KommuneResult:
    """Outcome of one Kommune's run.

    ``ok`` is True when every part succeeded; ``grund`` names the failed parts
    with their German reasons; ``teile`` holds the outcome per part;
    ``protokoll`` the tracebacks of internal errors (written to
    ``protokoll.log`` by the parent process, never shown).
    """

    key: str
    name: str
    ok: bool
    grund: str = ""
    sekunden: float = 0.0
    zeitpunkt: str = ""
    kennzahlen: dict[str, Any] = field(default_factory=dict)
    teile: dict[str, TeilResult] = field(default_factory=dict)
    protokoll: list[str] = field(default_factory=list)
    pruefsumme: str = ""
    """Of the inputs, settings and code this report was made from (see :class:`Auftrag`)."""
    uebersprungen: bool = False
    """True when the report was kept from the last run (nothing it depends on changed)."""
    vorgelesen: dict[str, Vorlesung] = field(default_factory=dict)
    """Its published files read for the run's audit where they were written (by the worker)."""


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


def slug(text: str) -> str:
    """A file-system friendly name: ``Musterkreis (fiktiv)`` -> ``musterkreis_fiktiv``."""
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
    )
    return re.sub(r"[^a-z0-9]+", "_", text.translate(table).lower()).strip("_") or "kreis"


def kreis_ordner_name(name: str) -> str:
    """The name of a Kreis's report folder under the output root: its :func:`slug`.

    A Kreis whose name gives ``intern`` or ``apps`` (the folders of internal files and
    of the apps' bundles beside the Kreis folders) gets ``_kreis`` appended; its
    published folder would otherwise be those folders.
    """
    ordner = slug(name)
    return f"{ordner}_kreis" if ordner in (INTERN, "apps") else ordner


def teil_titel(teil: str) -> str:
    """German title of a part (e.g. ``Karte``, ``Stellen und Förderung``)."""

    return TEIL_TITEL.get(teil, teil)


def interner_fehler(eintrag: str) -> str:
    """The German reason shown for an unexpected error logged under ``eintrag``."""
    return f"interner Fehler (Protokoll: {INTERN}/…/{PROTOKOLL}, Eintrag {eintrag})"


def failure_reason(exc: BaseException, eintrag: str = "") -> tuple[str, str | None]:
    """German one-line reason for a failed part, and the traceback to log (None if expected).

    A :class:`~thm_lib.core.errors.DataError` (also one raised inside a notebook)
    is expected: its German text is the reason. Anything else is an internal
    error: the reason points to the log, the traceback goes there.

    Parameters
    ----------
    exc : BaseException
        The exception of the part.
    eintrag : str
        Name of the log entry (e.g. ``05899016/karten``).

    Returns
    -------
    (str, str or None)
    """
    if isinstance(exc, DataError):
        return ohne_personenwerte(str(exc)), None
    if isinstance(exc, NotebookFehler):
        if exc.ename == "DataError":
            return ohne_personenwerte(exc.evalue), None
        lines = [_ANSI.sub("", line) for line in exc.traceback]
        text = f"Notebook-Zelle {exc.exec_count}: {exc.ename}: {exc.evalue}\n" + "\n".join(lines)
        return interner_fehler(eintrag), text
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return interner_fehler(eintrag), text


def execute(
    notebook: str, out: Path, parameters: dict[str, Any], ordner: Path = NOTEBOOK_DIR
) -> None:
    """Run the notebook ``ordner/<notebook>.ipynb`` into ``out`` in this worker's kernel.

    The kernel is started once per worker process and reused
    (:func:`thm_lib.run.kernel.kernel`); every path here is absolute.
    """
    kernel().ausfuehren(Path(ordner) / f"{notebook}.ipynb", out, parameters)


def to_html(
    notebook: Path,
    out: Path,
    *,
    titel: str = "",
    wo: str = "",
    kreis: str = "",
    index: str = "../index.html",
    links: Sequence[tuple[str, str]] = (),
) -> None:
    """Write an HTML report without code cells or prompts (nbconvert, our template).

    The template ``thm_lib/publish/vorlagen/bericht`` loads nothing from the internet
    (no require.js, MathJax or fonts), links back to the Kreis index and
    carries the THM stylesheet (screen and A4 print).

    Parameters
    ----------
    notebook : Path
        The executed notebook.
    out : Path
        The HTML file to write.
    titel : str
        Name of the report (default: the notebook's file name).
    wo : str
        The Gemeinde (or the Kreis) the report is about.
    kreis : str
        Name of the Kreis (Arbeitsmappe).
    index : str
        Link to the Kreis index, relative to ``out``.
    links : sequence of (str, str)
        ``(href, title)`` of the other parts of this report (navigation).
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    titel = titel or Path(notebook).stem
    orte = [x for x in dict.fromkeys((wo, kreis)) if x]
    nb.metadata["title"] = " – ".join([titel, *orte])
    heute = datetime.now().strftime("%d.%m.%Y")
    thm = {
        "css": stylesheet(),
        "index": index,
        "kreis": kreis or "Kreis",
        "kopf": f"Bericht „{titel}“" + (f" für {', '.join(orte)}" if orte else ""),
        "fuss": (
            f"THM-Werkbank, erstellt am {heute}. Alle Zahlen sind zusammengefasst; kleine "
            "Fallzahlen sind zum Schutz der Personen verborgen."
        ),
        "links": [
            {"href": href, "titel": name, "aktuell": href == Path(out).name} for href, name in links
        ],
    }
    exporter = HTMLExporter(
        template_name=BERICHT_VORLAGE,
        extra_template_basedirs=[str(VORLAGEN)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="de",
    )
    body, _ = exporter.from_notebook_node(nb, resources={"thm": thm})
    atomic_write_text(out, body)


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging``; the old folder is removed only after the swap."""
    old = final.with_name(f".{final.name}.alt")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    if old.exists():
        shutil.rmtree(old)


def _run_part(
    key: str, teil: str, staging: Path, work: Callable[[], None], log: list[str]
) -> TeilResult:
    """Run one part; on failure remove its half-written files and record the reason."""
    try:
        work()
        return TeilResult(True)
    except Exception as exc:  # one part's failure must not stop the others
        grund, text = failure_reason(exc, f"{key}/{teil}")
        if text is not None:
            log.append(f"{key}/{teil}\n{text}")
        for name in teil_dateien(teil):
            (staging / name).unlink(missing_ok=True)
        return TeilResult(False, grund)


def _keep_previous(final: Path, staging: Path, teile: dict[str, TeilResult]) -> None:
    """Copy the files of the last good run of every failed part into ``staging``."""
    for teil, result in teile.items():
        if result.ok:
            continue
        files = teil_dateien(teil)
        if files and all((final / name).is_file() for name in files):
            for name in files:
                shutil.copy2(final / name, staging / name)


@dataclass(frozen=True)
class Auftrag:
    """Everything a worker needs for one Kommune's report (plain values, picklable)."""

    key: str
    name: str
    kreis_dir: Path
    notebooks: tuple[str, ...]
    notebook_ordner: Path
    intern_dir: Path
    arbeitsmappe: Path
    buendel: Path | None
    """The results bundle (None: load the Arbeitsmappe, as a notebook in JupyterLab does)."""
    pruefsumme: str = ""
    """Checksum of everything the report depends on (:func:`auftrag_pruefsumme`)."""
    pruefung: tuple[str, int] | None = None
    """Symbol and threshold of the run's audit: the worker reads its files ahead for it."""


def run_kommune(auftrag: Auftrag) -> KommuneResult:
    """Run every part for one Kommune (``key`` = AGS or ``kreis``) and swap the result in.

    The parts: map, workbook and key figures (:mod:`thm_lib.run.report`), then
    each notebook (from ``notebook_ordner``), all from the Kreis's results
    bundle (:mod:`thm_lib.run.buendel`; the Kommune's own ``annahmen_<ags>.yaml``
    is in its own bundle). Never raises: failed parts are returned with a German
    reason; the others are published. When every part failed, the previous
    folder stays as it was. A top-level function of one plain argument, so it
    can run in a worker process or on a Dask worker. Executed notebooks go to
    ``<intern_dir>/notebooks/<key>/``, never into the published folder.
    """

    a = auftrag
    start = time.perf_counter()
    final = a.kreis_dir / a.key
    staging = a.kreis_dir / f".{a.key}.neu"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    ags = KREIS if a.key == KREIS_ORDNER else a.key
    ausgefuehrt = a.intern_dir / "notebooks" / a.key
    ausgefuehrt.mkdir(parents=True, exist_ok=True)
    log: list[str] = []
    teile: dict[str, TeilResult] = {}
    kennzahlen: dict[str, Any] = {}
    try:
        if a.buendel is not None:
            stand = buendel.laden(a.buendel)
            ws, analyse = stand.ws, Analyse(stand.ws, stand.result, stand.bemessung)
        else:  # the batch could not compute the Kreis: each report tries on its own
            ws = oeffne(a.arbeitsmappe, ags)
            analyse = Analyse(ws)
    except Exception as exc:  # the Kreis with this Kommune's assumptions is unusable
        grund, text = failure_reason(exc, f"{a.key}/laden")
        if text is not None:
            log.append(f"{a.key}/laden\n{text}")
        teile = {t: TeilResult(False, grund) for t in (KARTE, BERICHT, KENNZAHLEN, *a.notebooks)}
    else:
        teile = _teile(a, ws, analyse, ags, staging, ausgefuehrt, kennzahlen, log)
    vorgelesen: dict[str, Vorlesung] = {}
    if any(t.ok for t in teile.values()):
        _keep_previous(final, staging, teile)
        _swap_in(staging, final)
        vorgelesen = _vorlesen(a, final, ws) if a.pruefung and a.buendel else {}
    else:  # nothing new: the previous report stays untouched
        shutil.rmtree(staging, ignore_errors=True)
    failed = [f"{teil_titel(t)}: {r.grund}" for t, r in teile.items() if not r.ok]
    return KommuneResult(
        a.key,
        a.name,
        not failed,
        "; ".join(failed),
        round(time.perf_counter() - start, 2),
        datetime.now().isoformat(timespec="seconds"),
        kennzahlen,
        teile,
        log,
        a.pruefsumme,
        vorgelesen=vorgelesen,
    )


def _vorlesen(a: Auftrag, final: Path, ws: Workspace) -> dict[str, Vorlesung]:
    """Read the report's files for the run's audit here, in the worker (else the audit does)."""
    assert a.pruefung is not None
    try:
        return vorlesen(final, a.key, ws, *a.pruefung)
    except Exception:  # the audit then reads the files itself
        LOGGER.debug("Vorlesen für die Prüfung fehlgeschlagen: %s", a.key, exc_info=True)
        return {}


def _teile(
    a: Auftrag,
    ws: Workspace,
    analyse: Analyse,
    ags: str,
    staging: Path,
    ausgefuehrt: Path,
    kennzahlen: dict[str, Any],
    log: list[str],
) -> dict[str, TeilResult]:
    """Run the map, the workbook, the key figures and the notebooks of one Kommune."""
    teile: dict[str, TeilResult] = {}

    def figures() -> None:
        kennzahlen.update(kennzahlen_fuer(ws, ags, analyse))

    teile[KARTE] = _run_part(
        a.key, KARTE, staging, lambda: write_karte(ws, ags, staging / "karte.html"), log
    )
    teile[BERICHT] = _run_part(
        a.key,
        BERICHT,
        staging,
        lambda: write_bericht(ws, ags, staging / "bericht.xlsx", analyse),
        log,
    )
    teile[KENNZAHLEN] = _run_part(a.key, KENNZAHLEN, staging, figures, log)
    links = [(f"{nb}.html", teil_titel(nb)) for nb in a.notebooks] + [
        (datei, titel)
        for teil, datei, titel in (
            (KARTE, "karte.html", "Karte"),
            (BERICHT, "bericht.xlsx", "Excel"),
        )
        if teile[teil].ok
    ]
    parameter = {
        "arbeitsmappe": str(a.arbeitsmappe),
        "ags": ags,
        "buendel": str(a.buendel or ""),
    }
    for nb in a.notebooks:

        def notebook(nb: str = nb) -> None:
            out = ausgefuehrt / f"{nb}.ipynb"
            execute(nb, out, parameter, a.notebook_ordner)
            to_html(
                out,
                staging / f"{nb}.html",
                titel=teil_titel(nb),
                wo=a.name,
                kreis=ws.name,
                links=links,
            )

        teile[nb] = _run_part(a.key, nb, staging, notebook, log)
    return teile


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


@contextmanager
def _protokoll_datei(intern: Path) -> Iterator[None]:
    """While open, :data:`PROTOKOLL_LOGGER` writes to ``<intern>/protokoll.log`` (rotated)."""
    intern.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        intern / PROTOKOLL, maxBytes=2_000_000, backupCount=2, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    PROTOKOLL_LOGGER.addHandler(handler)
    try:
        yield
    finally:
        PROTOKOLL_LOGGER.removeHandler(handler)
        handler.close()


def _protokoll(intern: Path, results: Sequence[KommuneResult]) -> None:
    """Log the tracebacks of internal errors to ``protokoll.log``, one line each to the console.

    The tracebacks were formatted where the error happened (in a worker process,
    :func:`failure_reason`); only this process writes the file, so the rotation
    is safe.
    """
    entries = [(r, text) for r in results for text in r.protokoll]
    if not entries:
        return
    with _protokoll_datei(intern):
        for r, text in entries:
            PROTOKOLL_LOGGER.error("interner Fehler %s (%s), Eintrag %s", r.key, r.name, text)
            eintrag = text.split("\n", 1)[0]
            LOGGER.warning("interner Fehler, Eintrag %s: siehe %s", eintrag, intern / PROTOKOLL)


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
    with Ausfuehrer(jobs or os.cpu_count() or 1, cluster) as aus:
        return run_kreis(
            arbeitsmappe,
            ausgabe,
            aus,
            kommunen=kommunen,
            notebooks=notebooks,
            mit_kreis=mit_kreis,
            progress=progress,
            notebook_ordner=notebook_ordner,
            neu=neu,
            differenz=differenz,
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
                with _protokoll_datei(intern):
                    PROTOKOLL_LOGGER.exception("Ergebnisbündel %s nicht erstellt", name)
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
            with _protokoll_datei(lauf.intern):
                PROTOKOLL_LOGGER.exception("GeoPackage des Ergebnisbündels %s", ordner.name)


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
    notebooks: Sequence[str] = NOTEBOOKS,
    mit_kreis: bool | None = None,
    notebook_ordner: str | Path = NOTEBOOK_DIR,
    neu: bool = False,
    aus: Ausfuehrer | None = None,
    differenz: bool = False,
) -> KreisLauf:
    """Load the Kreis, decide which reports to make, compute and write their bundles.

    Reports whose inputs, settings and code did not change since their last
    good run are kept (unless ``neu``). With ``aus`` its workers start their
    kernels while the Kreis is computed. ``differenz``: see :func:`run_batch`.

    Raises
    ------
    DataError
        If the Arbeitsmappe itself cannot be loaded.
    """
    arbeitsmappe = Path(arbeitsmappe).resolve()
    notebook_ordner = Path(notebook_ordner).resolve()
    notebooks = tuple(notebooks)
    ws = load_workspace(arbeitsmappe)
    kommunen = gewaehlte_kommunen(ws, kommunen) if kommunen else kommunen
    kreis_dir = Path(ausgabe).resolve() / kreis_ordner_name(ws.name)
    intern = intern_ordner(kreis_dir)
    _nicht_in_der_ausgabe(arbeitsmappe, kreis_dir, intern)
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
            notebooks=notebooks,
            mit_kreis=mit_kreis,
            notebook_ordner=notebook_ordner,
            neu=neu,
            aus=aus,
            differenz=differenz,
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
    notebooks: tuple[str, ...],
    mit_kreis: bool | None,
    notebook_ordner: Path,
    neu: bool,
    aus: Ausfuehrer | None,
    differenz: bool,
) -> KreisLauf:
    """:func:`vorbereiten` once the Kreis is loaded and locked: which reports to make, and
    their bundles."""
    stage = _staging_copy(kreis_dir)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    keys = report_keys(ws, kommunen, mit_kreis)
    names[KREIS_ORDNER] = ws.name
    status = _load_status(intern)
    eingabe = arbeitsmappe_pruefsumme(arbeitsmappe)
    code = programmstand()
    nb_summe = auftrag_pruefsumme(
        *[pruefsumme(notebook_ordner, muster=(f"{nb}.ipynb",)) for nb in notebooks]
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
        if not neu and _aktuell(status.get(key, {}), pruef, stage / key, notebooks):
            kept = KommuneResult(key, names[key], True, pruefsumme=pruef, uebersprungen=True)
            results.append(kept)
        else:
            offen.append((key, pruef))
    if offen and aus is not None:
        # kernels start (and workers load this module) while the Kreis is computed
        aus.vorwaermen(functools.partial(vorwaermen, __name__))
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
            notebook_ordner,
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
        differenz,
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


def abschliessen(lauf: KreisLauf) -> BatchResult:
    """Write the status, the index, audit the whole Kreis folder and publish it if it passes.

    Releases the Kreis's lock (:func:`sperren`) in any case.
    """
    with lauf:
        return _abschliessen(lauf)


def _abschliessen(lauf: KreisLauf) -> BatchResult:
    order = {k: i for i, k in enumerate(lauf.keys)}
    results = sorted(lauf.results, key=lambda r: order.get(r.key, len(order)))
    vorgelesen: dict[str, Vorlesung] = {}
    for r in results:
        vorgelesen.update(r.vorgelesen)
        r.vorgelesen = {}
    _protokoll(lauf.intern, results)
    status, stage = lauf.status, lauf.stage
    _reste_entfernen(stage)
    for r in results:
        if not r.uebersprungen:
            status[r.key] = _status_entry(r, status.get(r.key, {}), stage)
    shown = list(
        dict.fromkeys([*[r.key for r in results], *[k for k in status if (stage / k).is_dir()]])
    )
    shown.sort(key=lambda k: order.get(k, len(order)))
    atomic_write_text(stage / "index.html", index_html(lauf.ws, status, shown, stage))
    pruefung = _publish_if_safe(
        lauf.ws, stage, lauf.kreis_dir, lauf.intern, vorgelesen, differenz=lauf.differenz
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
    notebooks: Sequence[str] = NOTEBOOKS,
    mit_kreis: bool | None = None,
    progress: bool = True,
    notebook_ordner: str | Path = NOTEBOOK_DIR,
    neu: bool = False,
    differenz: bool = False,
) -> BatchResult:
    """One Kreis on the workers of ``aus`` (the parameters: :func:`run_batch`).

    ``aus`` takes no further task: its workers end while the run is audited.
    """
    with vorbereiten(
        arbeitsmappe,
        ausgabe,
        kommunen=kommunen,
        notebooks=notebooks,
        mit_kreis=mit_kreis,
        notebook_ordner=notebook_ordner,
        neu=neu,
        aus=aus,
        differenz=differenz,
    ) as lauf:
        einreichen(lauf, aus)
        bar = tqdm(total=len(lauf.auftraege), desc="Berichte", unit="Bericht", disable=not progress)
        while aus.offen:
            for _key, result in aus.fertige():
                lauf.results.append(result)
                bar.update()
        bar.close()
        aus.freigeben()  # the workers end while the run is audited
        return abschliessen(lauf)


def _nochmal(result: KommuneResult) -> bool:
    """A report with an internal error is made once more (a data error would fail again)."""
    return bool(result.protokoll)


def _abgebrochen(key: str, name: str, exc: BaseException) -> KommuneResult:
    """The result of a report whose task failed twice (e.g. the worker process died)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    grund = interner_fehler(f"{key}/aufgabe")
    return KommuneResult(key, name, False, grund, protokoll=[f"{key}/aufgabe\n{text}"])


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
        raise DataError(
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


def _reste_entfernen(stage: Path) -> None:
    """Remove the staging folders of reports (``.<key>.neu``, ``.<key>.alt``) that a
    stopped worker left in the Kreis folder: hidden, unaudited, but served."""
    for rest in [*stage.glob(".*.neu"), *stage.glob(".*.alt")]:
        if rest.is_dir():
            shutil.rmtree(rest)


def _staging_copy(kreis_dir: Path) -> Path:
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
        _reste_entfernen(stage)
    else:
        stage.mkdir(parents=True)
    return stage


def _publish_if_safe(
    ws: Workspace,
    stage: Path,
    kreis_dir: Path,
    intern: Path,
    vorgelesen: dict[str, Vorlesung] | None = None,
    *,
    differenz: bool = False,
) -> Any:
    """Audit the staged run as a whole; swap it in only when it passes.

    The audit's figures (no cell names) go on the index page; the findings of
    a failed audit name cells and recovered values, so they stay internal
    (``pruefung.txt``) and the previous published run stays as it was. With
    ``differenz`` a passed audit is followed by the Differenzprüfung of the
    Arbeitsmappe; its findings count as findings of the audit. Counts of a Stichtag or
    period that the last published run showed otherwise are named in a note
    (:mod:`thm_lib.disclosure.staende`).
    """

    try:
        ergebnis = audit_run(stage, ws=ws, vorgelesen=vorgelesen)
        if ergebnis.ok and differenz:
            _differenz_dazu(ergebnis, ws)
    except Exception:  # an audit that cannot run publishes nothing (fail safe)
        with _protokoll_datei(intern):
            PROTOKOLL_LOGGER.exception(
                "Geheimhaltungsprüfung: interner Fehler, nichts veröffentlicht"
            )
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
    _swap_in(stage, kreis_dir)
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
        with _protokoll_datei(intern):
            PROTOKOLL_LOGGER.exception("Vergleich mit dem veröffentlichten Stand nicht möglich")
        return None
    if hinweis:
        ergebnis.hinweise.append(hinweis)  # on the console once, by the command
        LOGGER.info("%s", hinweis)
    return neu


def _differenz_dazu(ergebnis: Any, ws: Workspace) -> None:
    """Add the Differenzprüfung of ``ws`` to a passed audit: its findings as findings."""
    geprueft = differenzpruefung.pruefen(ws)
    text = geprueft.zusammenfassung()
    LOGGER.info("%s", text)
    kopf, ergebnis_zeile = text.splitlines()[:2]
    ergebnis.hinweise.append(f"{kopf} {ergebnis_zeile}")
    ergebnis.befunde += [
        Befund(f"Differenzprüfung: {b}", art="differenz") for b in geprueft.befunde
    ]


def _nicht_in_der_ausgabe(arbeitsmappe: Path, kreis_dir: Path, intern: Path) -> None:
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
