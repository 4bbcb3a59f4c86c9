"""One Jupyter kernel per worker process, reused for every notebook it runs.

Starting a kernel and importing the stack (pandas, geopandas, folium,
matplotlib, thm_lib) takes about 2 s; running a report notebook on a loaded
Kreis well under one. The batch therefore keeps one kernel per worker
(:func:`kernel`) and runs notebook after notebook in it. Before each notebook
the user namespace is cleared (``%reset``, without its full garbage collection)
and open figures are closed, so
a notebook sees what a fresh kernel would show it, except that imported
modules are already loaded (and the Kreis loaded from a bundle is cached by
:mod:`thm_lib.run.buendel`).

Parameters are injected with papermill (the ``parameters`` cell, as
``papermill`` would); the execution is nbclient's, with our own kernel
manager so the kernel outlives the notebook. Written by hand around nbclient
because papermill starts and stops a kernel for every notebook.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from thm_lib.core.atomic import atomic_write_text

LOGGER = logging.getLogger(__name__)
KERNEL_NAME = "python3"
NEUSTART_NACH = 150
"""Notebooks per kernel before it is restarted (bounds memory over a long Land run)."""
#: ipykernel 7 warns at every start that local TCP is unencrypted; the kernel only
#: listens on loopback for this worker, so keep the batch output readable.
KERNEL_ARGUMENTE = ["--IPKernelApp.log_level=ERROR"]
VORLADEN = (
    "import thm_lib.run.notebook\n"
    "import thm_lib.publish.views\n"
    "import thm_lib.publish.plots\n"
    "import matplotlib.pyplot"
)
"""What every report notebook imports first (done while the Kreis is being computed)."""
ZURUECKSETZEN = (
    "from thm_lib.run.notebook import zuruecksetzen as _zuruecksetzen\n"
    "_zuruecksetzen(get_ipython())"
)
"""Run before each notebook (:func:`thm_lib.run.notebook.zuruecksetzen`)."""


class NotebookFehler(Exception):
    """A cell of a notebook raised: ``ename``/``evalue`` of the kernel, the cell and its traceback.

    Carries the same attributes as papermill's ``PapermillExecutionError``
    (``exec_count``, ``ename``, ``evalue``, ``traceback`` as a list of lines).
    """

    def __init__(self, exec_count: int, ename: str, evalue: str, traceback: list[str]) -> None:
        super().__init__(f"{ename}: {evalue}")
        self.exec_count = exec_count
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.exec_count, self.ename, self.evalue, self.traceback)


class Kernel:
    """A kernel that runs one notebook after the other (see the module docstring)."""

    def __init__(self, neustart_nach: int = NEUSTART_NACH) -> None:
        self.neustart_nach = neustart_nach
        self._km: AsyncKernelManager | None = None
        self._client: NotebookClient | None = None
        self.laeufe = 0
        self.starts = 0

    def _bereit(self) -> NotebookClient:
        """The notebook client of a running kernel (started or restarted when needed)."""
        alive = self._km is not None and run_sync(self._km.is_alive)()
        if alive and self.laeufe >= self.neustart_nach:
            self.beenden()
            alive = False
        if not alive:
            self.beenden()
            self._km = AsyncKernelManager(kernel_name=KERNEL_NAME)
            run_sync(self._km.start_kernel)(extra_arguments=KERNEL_ARGUMENTE)
            self._client = NotebookClient(
                nbformat.v4.new_notebook(), km=self._km, timeout=None, startup_timeout=120
            )
            self.laeufe = 0
            self.starts += 1
        assert self._client is not None
        return self._client

    def ausfuehren(self, vorlage: Path, ziel: Path, parameter: dict[str, Any]) -> None:
        """Run the notebook ``vorlage`` with ``parameter`` and write the executed one to ``ziel``.

        Raises
        ------
        NotebookFehler
            If a cell raised (the executed notebook is written all the same).
        """
        nb = load_notebook_node(str(vorlage))  # adds the ``tags`` papermill expects
        nb = parameterize_notebook(nb, parameter, kernel_name=KERNEL_NAME, language="python")
        reset = nbformat.v4.new_code_cell(ZURUECKSETZEN)
        nb.cells.insert(0, reset)
        client = self._bereit()
        self.laeufe += 1
        client.nb = nb
        try:
            client.execute()
        except CellExecutionError as exc:
            raise _fehler(nb, exc) from None
        except Exception:  # the kernel died or hung: start afresh for the next notebook
            self.beenden()
            raise
        finally:
            nb.cells.remove(reset)
            atomic_write_text(ziel, nbformat.writes(nb))

    def vorwaermen(self, waehrenddessen: Callable[[], Any] | None = None) -> None:
        """Start the kernel and import the report modules in it, before the first notebook.

        ``waehrenddessen`` runs in this process while the kernel process starts.
        """
        client = self._bereit()
        if waehrenddessen is not None:
            waehrenddessen()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(VORLADEN)])
        client.nb = nb
        client.execute()

    def beenden(self) -> None:
        """Stop the kernel (if any)."""
        client, km = self._client, self._km
        self._client = self._km = None
        if client is not None and client.kc is not None:
            client.kc.stop_channels()
        if km is not None:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # already gone
                LOGGER.debug("Kernel war schon beendet", exc_info=True)


def _fehler(nb: Any, exc: CellExecutionError) -> NotebookFehler:
    """The failing cell's number (1 = first code cell of the notebook) and its error."""
    code = [c for c in nb.cells if c.cell_type == "code"][1:]  # without the reset cell
    nummer = next(
        (
            i
            for i, cell in enumerate(code, 1)
            if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ),
        0,
    )
    return NotebookFehler(nummer, exc.ename, exc.evalue, str(exc.traceback).splitlines())


_KERNEL: Kernel | None = None


def vorwaermen(*module: str) -> None:
    """Start this worker's kernel with the report modules loaded (a task of its own).

    While the kernel process starts, this process imports ``module`` (e.g. the
    module of the report task), so the first report does not wait for either.
    """
    kernel().vorwaermen(lambda: [importlib.import_module(m) for m in module])


def kernel() -> Kernel:
    """The kernel of this process, started on first use and stopped when the process ends."""
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = Kernel()
        # worker processes of multiprocessing (and Dask's nanny) skip ``atexit``;
        # their finalizers run at a normal exit
        multiprocessing.util.Finalize(_KERNEL, _KERNEL.beenden, exitpriority=10)
    return _KERNEL
