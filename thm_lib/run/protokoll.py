"""The internal log of a batch run (``<ausgabe>/intern/<kreis>/protokoll.log``).

Internal errors go there with their Python traceback, never to a published page or
the console; the console gets one line naming the entry.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from thm_lib.core.paths import PROTOKOLL
from thm_lib.run.kommune import KommuneResult

LOGGER = logging.getLogger("thm_lib.run.batch")
"""The batch's console messages: one logger for all of them (one line each, no traceback)."""

PROTOKOLL_LOGGER = logging.getLogger(__name__)
"""Internal errors with their traceback: only into ``protokoll.log`` (:func:`protokoll_datei`)."""
PROTOKOLL_LOGGER.propagate = False


@contextmanager
def protokoll_datei(intern: Path) -> Iterator[None]:
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


def eintragen(intern: Path, eintraege: Sequence[tuple[str, str]]) -> None:
    """Log internal errors to ``<intern>/protokoll.log``, one line each to the console.

    Parameters
    ----------
    intern : pathlib.Path
        The internal folder of the run (or of one Kreis).
    eintraege : sequence of (str, str)
        Per error the name of its entry (``05899016/karte``, ``Kreis kreis_05``; the
        published reason names it, :func:`thm_lib.run.kommune.interner_fehler`) and
        its traceback. The file gets ``interner Fehler, Eintrag <name>`` with the
        traceback, the console the same line with the file's path.
    """
    if not eintraege:
        return
    with protokoll_datei(intern):
        for eintrag, text in eintraege:
            PROTOKOLL_LOGGER.error("interner Fehler, Eintrag %s\n%s", eintrag, text)
            LOGGER.warning("interner Fehler, Eintrag %s: siehe %s", eintrag, intern / PROTOKOLL)


def fehler_schreiben(intern: Path, results: Sequence[KommuneResult]) -> None:
    """Log the internal errors of Kommune reports (:func:`eintragen`).

    The tracebacks were formatted where the error happened (in a worker process,
    :func:`thm_lib.run.kommune.failure_reason`); only this process writes the file, so
    the rotation is safe.
    """
    eintragen(intern, [eintrag for r in results for eintrag in r.protokoll])


def protokollieren(intern: Path, text: str, *args: object) -> None:
    """Write ``text`` and the exception being handled into ``<intern>/protokoll.log``."""
    with protokoll_datei(intern):
        PROTOKOLL_LOGGER.exception(text, *args)
