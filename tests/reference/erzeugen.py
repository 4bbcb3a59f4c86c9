"""Write the reference PNGs of tests/test_abbildungen.py (run by hand, never by a test).

From the repository root::

    PYTHONPATH=. .venv/bin/python tests/reference/erzeugen.py            # all
    PYTHONPATH=. .venv/bin/python tests/reference/erzeugen.py verlauf    # one

Only after a wanted change of a figure: look at the new PNGs (``git diff`` shows
them as changed binaries; open them) before committing them.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abbildungen import ABBILDUNGEN, REFERENZ_ORDNER, zeichnen  # noqa: E402


def main(names: list[str]) -> None:
    """Draw the figures ``names`` (default: all) into :data:`REFERENZ_ORDNER`."""
    unknown = sorted(set(names) - set(ABBILDUNGEN))
    if unknown:
        raise SystemExit(
            f"Unbekannte Abbildung: {', '.join(unknown)} (bekannt: {', '.join(ABBILDUNGEN)})"
        )
    REFERENZ_ORDNER.mkdir(parents=True, exist_ok=True)
    for name in names or list(ABBILDUNGEN):
        path = zeichnen(name, REFERENZ_ORDNER / f"{name}.png")
        print(f"geschrieben: {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
