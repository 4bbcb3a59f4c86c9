"""One Kommune's report: its parts, made in a staging folder and swapped in as a whole.

Each notebook, the map and the workbook are separate **parts** (:func:`teil_dateien`);
the key figures of the index are one more. A failing part does not stop the others.
A Kommune is written into a hidden staging folder (``.<key>.neu``) and swapped in as a
whole only at the end; a part that failed keeps the files of its last good run, so a
failed rerun never leaves a half-written part and never throws away a good one.
:func:`run_kommune` is the task a worker process or a Dask worker runs
(:mod:`thm_lib.run.batch` plans and publishes the whole Kreis).
"""

from __future__ import annotations

import logging
import re
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thm_lib.core import paths
from thm_lib.core.atomic import atomic_write_text, replace_dir
from thm_lib.core.errors import DataError, ohne_personenwerte
from thm_lib.core.labels import KREIS, KREIS_ORDNER
from thm_lib.core.paths import INTERN, PROTOKOLL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit import vorlesen
from thm_lib.disclosure.audit_lesen import Vorlesung
from thm_lib.publish.html_seiten import BERICHT_VORLAGE, VORLAGEN, stylesheet
from thm_lib.run import buendel
from thm_lib.run.kernel import NotebookFehler, kernel
from thm_lib.run.notebook import oeffne
from thm_lib.run.report import (
    TEIL_TITEL,
    Analyse,
    kennzahlen_fuer,
    write_bericht,
    write_karte,
)

if TYPE_CHECKING:  # imported when the first report is written (slow import)
    from nbconvert import HTMLExporter

LOGGER = logging.getLogger("thm_lib.run.batch")
"""The batch's console messages: one logger for all of them (one line each, no traceback)."""

NOTEBOOK_DIR = paths.NOTEBOOKS
KARTE, BERICHT, KENNZAHLEN = "karte", "bericht", "kennzahlen"
#: Published files of the parts that are not notebooks (a notebook ``nb`` has ``nb.html``).
TEIL_DATEIEN = {KARTE: ("karte.html",), BERICHT: ("bericht.xlsx",), KENNZAHLEN: ()}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def teil_dateien(teil: str) -> tuple[str, ...]:
    """The files a part writes into the Kommune's folder."""
    return TEIL_DATEIEN.get(teil, (f"{teil}.html",))


@dataclass
class TeilResult:
    """Outcome of one part (a notebook, the map, the workbook or the key figures)."""

    ok: bool
    grund: str = ""


@dataclass
class KommuneResult:
    """Outcome of one Kommune's run.

    ``ok`` is True when every part succeeded; ``grund`` names the failed parts
    with their German reasons; ``teile`` holds the outcome per part;
    ``protokoll`` the internal errors as (entry name, traceback) (written to
    ``protokoll.log`` by the parent process, :func:`thm_lib.run.protokoll.eintragen`;
    never shown).
    """

    key: str
    name: str
    ok: bool
    grund: str = ""
    sekunden: float = 0.0
    zeitpunkt: str = ""
    kennzahlen: dict[str, Any] = field(default_factory=dict)
    teile: dict[str, TeilResult] = field(default_factory=dict)
    protokoll: list[tuple[str, str]] = field(default_factory=list)
    pruefsumme: str = ""
    """Of the inputs, settings and code this report was made from (see :class:`Auftrag`)."""
    uebersprungen: bool = False
    """True when the report was kept from the last run (nothing it depends on changed)."""
    vorgelesen: dict[str, Vorlesung] = field(default_factory=dict)
    """Its published files read for the run's audit where they were written (by the worker)."""


def teil_titel(teil: str) -> str:
    """German title of a part (e.g. ``Karte``, ``Stellen und Förderung``)."""

    return TEIL_TITEL.get(teil, teil)


def interner_fehler(eintrag: str, protokoll: str = f"{INTERN}/…/{PROTOKOLL}") -> str:
    """The German reason shown for an unexpected error logged under ``eintrag``.

    ``protokoll``: where the log is, from the output folder (default: a Kreis's log,
    ``intern/<kreis>/protokoll.log``).
    """
    return f"interner Fehler (Protokoll: {protokoll}, Eintrag {eintrag})"


def failure_reason(
    exc: BaseException, eintrag: str = "", protokoll: str = f"{INTERN}/…/{PROTOKOLL}"
) -> tuple[str, str | None]:
    """German one-line reason for a failed part, and the traceback to log (None if expected).

    A :class:`~thm_lib.core.errors.DataError` (also one raised inside a notebook)
    is expected: its German text is the reason, without anything quoted from a case
    record (:func:`~thm_lib.core.errors.ohne_personenwerte`; the reason is published
    on the index pages). Anything else is an internal error: the reason points to the
    log, the traceback goes there.

    Parameters
    ----------
    exc : BaseException
        The exception of the part.
    eintrag : str
        Name of the log entry (e.g. ``05899016/karten``).
    protokoll : str
        Where that log is, from the output folder (see :func:`interner_fehler`).

    Returns
    -------
    (str, str or None)
    """
    if isinstance(exc, DataError):
        return ohne_personenwerte(exc), None
    if isinstance(exc, NotebookFehler):
        if exc.ename == "DataError":  # only its text came back from the kernel
            return ohne_personenwerte(exc.evalue), None
        lines = [_ANSI.sub("", line) for line in exc.traceback]
        text = f"Notebook-Zelle {exc.exec_count}: {exc.ename}: {exc.evalue}\n" + "\n".join(lines)
        return interner_fehler(eintrag, protokoll), text
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return interner_fehler(eintrag, protokoll), text


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
    body, _ = _exporter().from_notebook_node(nb, resources={"thm": thm})
    atomic_write_text(out, body)


@cache
def _exporter() -> HTMLExporter:
    """The nbconvert exporter of the report pages, one per process: a new one compiles its
    templates again (≈ 45 of 75 ms per notebook); nbconvert's own command line converts
    many notebooks with one exporter, too."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=BERICHT_VORLAGE,
        extra_template_basedirs=[str(VORLAGEN)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="de",
    )


def _run_part(
    key: str, teil: str, staging: Path, work: Callable[[], None], log: list[tuple[str, str]]
) -> TeilResult:
    """Run one part; on failure remove its half-written files and record the reason."""
    try:
        work()
        return TeilResult(True)
    except Exception as exc:  # one part's failure must not stop the others
        grund, text = failure_reason(exc, f"{key}/{teil}")
        if text is not None:
            log.append((f"{key}/{teil}", text))
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
    log: list[tuple[str, str]] = []
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
            log.append((f"{a.key}/laden", text))
        teile = {t: TeilResult(False, grund) for t in (KARTE, BERICHT, KENNZAHLEN, *a.notebooks)}
    else:
        teile = _teile(a, ws, analyse, ags, staging, ausgefuehrt, kennzahlen, log)
    vorgelesen: dict[str, Vorlesung] = {}
    if any(t.ok for t in teile.values()):
        _keep_previous(final, staging, teile)
        replace_dir(staging, final)
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
    log: list[tuple[str, str]],
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
