"""Two Arbeitsmappen the size of real ones, for the benchmarks. Prints the folders.

    .venv/bin/python benchmarks/grosse_kreise.py --ziel /tmp/gross

Writes ``ZIEL/kreis`` (a Kreis of 24 Gemeinden like Steinfurt, three Stichtage, 600
cases, 73 offers, two Gemeinden without offers, one without target group, five with
few persons) and ``ZIEL/stadt`` (a kreisfreie Stadt with target group 16–27, 1,500
cases, 122 offers) with the generator of the tests (:mod:`tests.arbeitsmappen`): the
same files for the same version. The generator draws a few cells of the target group
per Stichtag; a city has every cell, so the city's ``zielgruppe.csv`` is replaced by a
full table (Duldung and Gestattung, ages 16–29, both sexes, 0 to 89 each: about 2,200
persons of 16–27 per Stichtag). Used for the
figures "Kreise in der Größe echter Kreise" in ``docs/performance.md``, e.g.::

    .venv/bin/thm batch /tmp/gross/kreis --ausgabe /tmp/gross/out --jobs 2
    .venv/bin/python benchmarks/bench_apps.py --arbeitsmappe /tmp/gross/kreis
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.arbeitsmappen import STICHTAGE_THM, ArbeitsmappeSpec, schreibe  # noqa: E402
from thm_lib.ingest.synthetic import KOPF_ZIELGRUPPE, schreibe_csv  # noqa: E402

N_STICHTAGE = len(STICHTAGE_THM)

KREIS = ArbeitsmappeSpec(
    seed=4201,
    n_gemeinden=24,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=True,
    mit_kommunen=True,
    stichtage=STICHTAGE_THM,
    # every fifth Gemeinde counted at the last Stichtag only
    stichtage_je_gemeinde=tuple(N_STICHTAGE if i % 5 else 1 for i in range(24)),
    ohne_angebote=frozenset({3, 17}),
    zielgruppe_null=frozenset({11}),
    n_angebote=70,
    n_faelle=600,
    stichtag_konfiguriert=True,
    klein=frozenset({2, 7, 13, 19, 22}),
    nachbar_angebote=3,
    sonderzeichen=True,
)

STADT = ArbeitsmappeSpec(
    seed=4202,
    n_gemeinden=1,
    kreisfrei=True,
    mit_faellen=True,
    mit_einwohner=True,
    mit_kommunen=False,
    stichtage=STICHTAGE_THM,
    stichtage_je_gemeinde=(N_STICHTAGE,),
    ohne_angebote=frozenset(),
    zielgruppe_null=frozenset(),
    n_angebote=120,
    n_faelle=1500,
    stichtag_konfiguriert=True,
    nachbar_angebote=2,
    sonderzeichen=True,
    zielgruppe_alter=(16, 27),
    kreis_nr=1,
)


def volle_zielgruppe(spec: ArbeitsmappeSpec, folder: Path) -> None:
    """Replace ``zielgruppe.csv`` by every cell of each Stichtag (a city's count)."""
    rng = np.random.default_rng(spec.seed)
    rows = [
        [ags, tag, status, alter, g, int(rng.integers(0, 90))]
        for ags in spec.ags
        for tag in spec.stichtage
        for status in ("duldung", "gestattung")
        for alter in range(16, 30)
        for g in ("m", "w")
    ]
    schreibe_csv(folder / "zielgruppe.csv", KOPF_ZIELGRUPPE, rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ziel", type=Path, required=True, help="Ordner für kreis/ und stadt/")
    a = p.parse_args(argv)
    print(schreibe(KREIS, a.ziel / "kreis"))
    volle_zielgruppe(STADT, schreibe(STADT, a.ziel / "stadt"))
    print(a.ziel / "stadt")


if __name__ == "__main__":
    main()
