"""Where the test suite's time went: two runs of it side by side.

Run the suite twice, e.g. an older and a newer commit, each in its own clone with its
own ``.venv`` (so that kernels and ``thm`` subprocesses import that clone's code), on
a quiet machine, one after the other::

    CI=1 .venv/bin/python -m pytest -p no:cacheprovider --junitxml=/tmp/alt.xml
    .venv/bin/python benchmarks/bench_testlauf.py /tmp/alt.xml /tmp/neu.xml

Prints the total of both runs, the files and the tests whose time changed most.
A test's time is pytest's (set-up, call and tear-down together).
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path


def zeiten(junit: Path) -> dict[str, float]:
    """Seconds per test (``module::name``) of a pytest JUnit XML report."""
    return {
        f"{fall.get('classname')}::{fall.get('name')}": float(fall.get("time") or 0.0)
        for fall in ET.parse(junit).getroot().iter("testcase")
    }


def je_datei(zeit: dict[str, float]) -> dict[str, float]:
    """Seconds per test module."""
    out: dict[str, float] = defaultdict(float)
    for test, sekunden in zeit.items():
        out[test.split("::")[0]] += sekunden
    return out


def _zeilen(alt: dict[str, float], neu: dict[str, float], anzahl: int) -> list[str]:
    namen = sorted(set(alt) | set(neu), key=lambda n: alt.get(n, 0.0) - neu.get(n, 0.0))
    wahl = namen if len(namen) <= 2 * anzahl else [*namen[:anzahl], *namen[-anzahl:]]
    zeilen = []
    for n in wahl:
        a, b = alt.get(n, 0.0), neu.get(n, 0.0)
        zeilen.append(f"{b - a:+8.1f} {a:8.1f} {b:8.1f}  {n}")
    return zeilen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("alt", type=Path, help="JUnit XML des älteren Laufs")
    parser.add_argument("neu", type=Path, help="JUnit XML des neueren Laufs")
    parser.add_argument("--anzahl", type=int, default=15, help="Zeilen je Richtung")
    args = parser.parse_args()
    alt, neu = zeiten(args.alt), zeiten(args.neu)
    print(f"Tests: {len(alt)} / {len(neu)}")
    print(f"Summe: {sum(alt.values()):.0f} s / {sum(neu.values()):.0f} s")
    print("\n  Änderung      alt      neu  Datei (größte Zunahmen, dann Abnahmen)")
    print("\n".join(_zeilen(je_datei(alt), je_datei(neu), args.anzahl)))
    print("\n  Änderung      alt      neu  Test")
    print("\n".join(_zeilen(alt, neu, args.anzahl)))


if __name__ == "__main__":
    main()
