"""The papermill batch: every notebook for every Kommune, in parallel, replaced atomically.

Layout of the output (``reports/<kreis>/``)::

    index.html              summary across Kommunen, links, failures marked
    status.json             last result per Kommune (kept across runs)
    <ags>/                  the last GOOD report of a Kommune
        <notebook>.ipynb    executed notebook (internal)
        <notebook>.html     report without code (nbconvert, no input cells)
        karte.html          the map
        bericht.xlsx        the workbook for the Bündniskerngruppe

A Kommune is first written into a hidden staging folder and only swapped in
when every step succeeded, so a failed rerun leaves the previous report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from thm_lib.atomic import atomic_write_text
from thm_lib.errors import DataError

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ("zielgruppe", "bedarfs_und_angebotsanalyse", "karten", "stellen_und_foerderung")
KREIS_KEY = "kreis"  # folder of the report for the whole Kreis


@dataclass
class KommuneResult:
    """Outcome of one Kommune's run."""

    key: str
    name: str
    ok: bool
    grund: str = ""
    sekunden: float = 0.0
    zeitpunkt: str = ""
    kennzahlen: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    """Outcome of a batch run."""

    kreis_dir: Path
    index: Path
    results: list[KommuneResult]

    @property
    def failed(self) -> list[KommuneResult]:
        """The Kommunen whose run failed."""
        return [r for r in self.results if not r.ok]


def slug(text: str) -> str:
    """A file-system friendly name: ``Musterkreis (fiktiv)`` -> ``musterkreis_fiktiv``."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                           "Ü": "Ue"})
    return re.sub(r"[^a-z0-9]+", "_", text.translate(table).lower()).strip("_") or "kreis"


def failure_reason(exc: BaseException) -> str:
    """A German one-line reason for a failed run (the DataError text where there is one)."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, DataError):
        return str(exc)
    if isinstance(exc, PapermillExecutionError):
        if exc.ename == "DataError":
            return exc.evalue
        return f"Fehler im Notebook (Zelle {exc.exec_count}): {exc.ename}: {exc.evalue}"
    return f"{type(exc).__name__}: {exc}"


def execute(notebook: str, out: Path, parameters: dict[str, Any]) -> None:
    """Run one project notebook with papermill into ``out`` (a real kernel)."""
    import papermill

    # no papermill ``cwd``: it changes the working directory of the whole process
    # (unsafe beside other threads); every path here is absolute.
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{notebook}.ipynb"), str(out), parameters=parameters,
        kernel_name="python3", progress_bar=False,
        # NOTES.md: avoids a 4 s stall in about 1 of 20 kernel shutdowns
        shutdown_kernel="immediate",
        # ipykernel 7 warns at every start that local TCP is unencrypted; the kernel
        # only listens on loopback for this run, so keep the batch output readable
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


def to_html(notebook: Path, out: Path) -> None:
    """Write an HTML report without code cells or prompts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_filename(str(notebook))
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


def run_kommune(arbeitsmappe: Path, key: str, name: str, kreis_dir: Path,
                notebooks: Sequence[str]) -> KommuneResult:
    """Run every notebook for one Kommune (``key`` = AGS or ``kreis``) and swap the result in.

    Map, workbook and key figures come first (:func:`thm_lib.report.kommune_outputs`,
    with the Kommune's own ``annahmen_<ags>.yaml``), then the notebooks. Never
    raises: a failure is returned as ``ok=False`` with a German reason. A
    top-level function of plain arguments, so it can run in a worker process.
    """
    from thm_lib.notebook import oeffne
    from thm_lib.report import kommune_outputs

    start = time.perf_counter()
    staging = kreis_dir / f".{key}.neu"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    ags = "" if key == KREIS_KEY else key
    try:
        kennzahlen = kommune_outputs(oeffne(arbeitsmappe, ags), ags, staging)
        for nb in notebooks:
            out = staging / f"{nb}.ipynb"
            execute(nb, out, {"arbeitsmappe": str(arbeitsmappe), "ags": ags})
            to_html(out, staging / f"{nb}.html")
        _swap_in(staging, kreis_dir / key)
        ok, grund = True, ""
    except Exception as exc:  # one Kommune's failure must not stop the others
        kennzahlen, ok, grund = {}, False, failure_reason(exc)
        shutil.rmtree(staging, ignore_errors=True)
    return KommuneResult(key, name, ok, grund, round(time.perf_counter() - start, 2),
                         datetime.now().isoformat(timespec="seconds"), kennzahlen)


def _load_status(kreis_dir: Path) -> dict[str, dict[str, Any]]:
    path = kreis_dir / "status.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def run_batch(arbeitsmappe: str | Path, ausgabe: str | Path = "reports",
              kommunen: Sequence[str] | None = None, jobs: int | None = None,
              notebooks: Sequence[str] = NOTEBOOKS, mit_kreis: bool = True,
              progress: bool = True) -> BatchResult:
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
        Parallel runs (default: number of cores).
    notebooks : sequence of str
        Notebook names under ``notebooks/``.
    mit_kreis : bool
        Also run the report for the whole Kreis (folder ``kreis``).
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    BatchResult

    Raises
    ------
    DataError
        If the Arbeitsmappe itself cannot be loaded (nothing runs then).
    """
    from tqdm import tqdm

    from thm_lib.io import load_workspace
    from thm_lib.report import index_html

    arbeitsmappe = Path(arbeitsmappe).resolve()
    ws = load_workspace(arbeitsmappe)
    kreis_dir = Path(ausgabe).resolve() / slug(ws.name)
    kreis_dir.mkdir(parents=True, exist_ok=True)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    keys = list(kommunen) if kommunen else list(names)
    if mit_kreis and not kommunen:
        keys.insert(0, KREIS_KEY)
    names[KREIS_KEY] = ws.name

    jobs = jobs or os.cpu_count() or 1
    results: list[KommuneResult] = []
    # processes, not threads: besides the kernels, each run does GIL-bound work here
    # (analysis, map, workbook, nbconvert); "spawn" avoids forking a threaded parent
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {}
        for key in keys:
            if key != KREIS_KEY and key not in names:
                results.append(KommuneResult(key, "?", False, f"Gemeinde {key} gibt es in "
                                             f"'{ws.name}' nicht (gebiete)."))
                continue
            futures[pool.submit(run_kommune, arbeitsmappe, key, names[key], kreis_dir,
                                tuple(notebooks))] = key
        bar = tqdm(total=len(futures), desc="Berichte", unit="Kommune", disable=not progress)
        for future in as_completed(futures):
            results.append(future.result())
            bar.update()
        bar.close()
    order = {k: i for i, k in enumerate(keys)}
    results.sort(key=lambda r: order.get(r.key, len(order)))

    status = _load_status(kreis_dir)
    for r in results:
        previous = status.get(r.key, {})
        entry = asdict(r)
        if not r.ok:  # keep the figures and time of the last good report
            entry["kennzahlen"] = previous.get("kennzahlen", {})
            entry["letzter_erfolg"] = previous.get("letzter_erfolg")
        else:
            entry["letzter_erfolg"] = r.zeitpunkt
        status[r.key] = entry
    atomic_write_text(kreis_dir / "status.json", json.dumps(status, ensure_ascii=False,
                                                             indent=1))
    index = atomic_write_text(kreis_dir / "index.html",
                              index_html(ws, status, [r.key for r in results], kreis_dir))
    return BatchResult(kreis_dir, index, results)
