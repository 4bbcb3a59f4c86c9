"""``python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER``: build the apps' bundle.

``thm app`` runs this in a process of its own (:func:`thm_lib.apps.server.
buendel_bereitstellen`), so the server process never holds the Arbeitsmappe. A data
error is printed in German to stderr (file, row, column): the console of the person
who starts the apps, never a viewer's page. A module of its own, not
``python -m thm_lib.apps.daten``: run as ``__main__``, that module's classes would be
pickled under the name ``__main__`` and an app kernel could not read them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from thm_lib.apps.daten import bauen
from thm_lib.core.errors import DataError


def main(argv: list[str] | None = None) -> int:
    """Build the bundle of ``ARBEITSMAPPE`` in ``ORDNER``; exit code 0, or 2 on an error."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("Aufruf: python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER", file=sys.stderr)
        return 2
    try:
        bauen(Path(args[0]), Path(args[1]))
    except DataError as exc:
        print(f"Die Arbeitsmappe '{args[0]}' enthält Fehler:\n{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
