"""Where the report tasks run: local worker processes, or a Dask cluster when one is given.

Both run the same top-level task function with the same plain arguments, so
the published outputs do not depend on where a task ran. A task whose run
raised (a worker died) or reported an internal error is run once more; its
second result counts. Worker processes keep their Jupyter kernel between
tasks (:mod:`thm_lib.run.kernel`), also across the Kreise of a Land run; a
process runs one task at a time, also a Dask worker with several threads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

import distributed

from thm_lib.core.errors import DataError, Problem

LOGGER = logging.getLogger(__name__)


def _waechter(eltern: int) -> None:
    """In a local worker: end it (and so its kernel) when the batch process is gone.

    A killed ``thm batch`` would otherwise leave its workers and their kernels running.
    """

    def wachen() -> None:
        while os.getppid() == eltern:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=wachen, name="thm-waechter", daemon=True).start()


_EIN_AUFTRAG = threading.Lock()


def _einzeln(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` while no other task of this process runs.

    The tasks of a process share its one kernel (:func:`thm_lib.run.kernel.kernel`). A
    Dask worker started the usual way (``dask worker ADRESSE``) has one thread per core
    and ran two tasks side by side on that kernel: the batch hung (Runde 2, Sitzung 45).
    """
    with _EIN_AUFTRAG:
        return fn(*args)


def _cluster_pruefen(client: Any, adresse: str) -> None:
    """Warn when the cluster's workers will not run the reports as the user may expect.

    A worker process runs one report at a time (:func:`_einzeln`), so threads beyond
    the first wait; and with no worker yet, the batch waits until one joins.
    """
    workers = client.scheduler_info()["workers"].values()
    if not workers:
        LOGGER.warning(
            "Am Dask-Scheduler %s ist noch kein Worker angemeldet. Der Lauf wartet, bis "
            "einer da ist (z. B. 'dask worker %s --nthreads 1'); abbrechen mit Strg+C.",
            adresse,
            adresse,
        )
        return
    mehrere = sum(1 for w in workers if w.get("nthreads", 1) > 1)
    if mehrere:
        LOGGER.warning(
            "%d von %d Dask-Workern %s mehrere Threads. Ein Worker-Prozess rechnet "
            "einen Bericht nach dem anderen (ein Kernel je Prozess), weitere Threads "
            "warten. Für mehrere Berichte zugleich die Worker mit 'dask worker %s "
            "--nworkers N --nthreads 1' starten.",
            mehrere,
            len(workers),
            "hat" if mehrere == 1 else "haben",
            adresse,
        )


class Ausfuehrer:
    """Runs tasks in ``jobs`` local processes, or on the Dask scheduler at ``cluster``.

    Use as a context manager: :meth:`einreichen` starts a task, :meth:`fertige`
    returns the finished ones.

    Parameters
    ----------
    jobs : int
        Local worker processes (ignored with ``cluster``).
    cluster : str, optional
        Address of a ``dask.distributed`` scheduler, e.g. ``tcp://host:8786``.
    """

    def __init__(self, jobs: int, cluster: str | None = None) -> None:
        self.jobs = max(1, int(jobs))
        self.cluster = cluster
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._offen: dict[Any, tuple[Any, ...]] = {}
        self._gewaermt = False
        self._waerme: list[Any] = []
        """Futures of the warm-up tasks (kept so Dask does not forget them)."""

    def __enter__(self) -> Ausfuehrer:
        if self.cluster:
            try:
                self._client = distributed.Client(self.cluster, timeout="20s")
            except OSError as exc:
                raise DataError(
                    [
                        Problem(
                            "Option --cluster",
                            f"Dask-Scheduler {self.cluster} nicht erreichbar ({exc})",
                            "Bitte Adresse prüfen (z. B. tcp://rechner:8786) oder ohne --cluster "
                            "lokal rechnen",
                        )
                    ]
                ) from None
            _cluster_pruefen(self._client, self.cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def freigeben(self) -> None:
        """No task follows: local workers (and their kernels) end in the background.

        :meth:`__exit__` still waits for them.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _lokal(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # processes, not threads: besides the kernels, each task does GIL-bound work
            # (map, workbook, nbconvert); "spawn" avoids forking a threaded parent
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=get_context("spawn"),
                initializer=_waechter,
                initargs=(os.getpid(),),
            )
        return self._pool

    def vorwaermen(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` once on every worker in the background (e.g. start its kernel).

        Local workers start while the parent still computes the Kreis; their
        first report then does not wait for the kernel. Only a head start: it never
        raises. Workers that cannot take it (a broken pool, a lost cluster) show that
        when the reports are started (:meth:`einreichen`), not while a Kreis is
        prepared, where it would look like a fault of that Kreis.
        """
        if self._gewaermt:
            return
        self._gewaermt = True
        try:
            self._waerme = self._vorwaermen(fn)
        except Exception as exc:
            LOGGER.info("Worker nicht vorgewärmt (%s)", exc)

    def _vorwaermen(self, fn: Callable[[], Any]) -> list[Any]:
        if self._client is not None:
            workers = list(self._client.scheduler_info()["workers"])
            return [
                self._client.submit(
                    _einzeln, fn, pure=False, workers=[w], allow_other_workers=False
                )
                for w in workers
            ]
        return [self._submit(fn, ()) for _ in range(self.jobs)]

    def _submit(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        if self._client is not None:
            return self._client.submit(_einzeln, fn, *args, pure=False)
        try:
            return self._lokal().submit(fn, *args)
        except BrokenProcessPool:  # a worker died: start a new pool for the rest
            self._pool = None
            return self._lokal().submit(fn, *args)

    def einreichen(
        self,
        key: Any,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        nochmal: Callable[[Any], bool],
        fehlschlag: Callable[[Any, BaseException], Any],
    ) -> None:
        """Start ``fn(*args)``; its result comes from :meth:`fertige` under ``key``.

        A task that raised, or whose result ``nochmal(result)`` flags, runs
        once more; a task that raised twice gives ``fehlschlag(key, exc)``.
        """
        self._offen[self._submit(fn, args)] = (key, fn, args, nochmal, fehlschlag, 1)

    @property
    def offen(self) -> int:
        """Number of tasks started and not yet returned by :meth:`fertige`."""
        return len(self._offen)

    def fertige(self, warten: bool = True) -> list[tuple[Any, Any]]:
        """The ``(key, result)`` of tasks finished since the last call.

        With ``warten`` block until at least one task has finished (unless
        none is open); a task run once more is not returned until its second run ends.
        """
        futures = list(self._offen)
        if not futures:
            return []
        if warten:
            if self._client is not None:
                distributed.wait(futures, return_when="FIRST_COMPLETED")
            else:
                wait(futures, return_when=FIRST_COMPLETED)
        out = []
        for future in [f for f in futures if f.done()]:
            key, fn, args, nochmal, fehlschlag, versuch = self._offen.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the worker died or the task could not run
                if versuch == 1:
                    LOGGER.warning("%s: Aufgabe abgebrochen (%s), neuer Versuch", key, exc)
                    self._offen[self._submit(fn, args)] = (key, fn, args, nochmal, fehlschlag, 2)
                else:
                    out.append((key, fehlschlag(key, exc)))
                continue
            if versuch == 1 and nochmal(result):
                LOGGER.info("%s: interner Fehler, neuer Versuch", key)
                self._offen[self._submit(fn, args)] = (key, fn, args, nochmal, fehlschlag, 2)
                continue
            out.append((key, result))
        return out
