"""Search outside CI: generated Kreise through the whole batch, audit and difference check.

Draws Arbeitsmappen with the strategy of :mod:`tests.arbeitsmappen` (a fixed seed, so a
finding can be repeated), writes them into one Land folder (each its own key and place,
``kreis_nr``), runs ``thm batch`` on the folder (every Kreis's reports and the Land index,
with the audit of all outputs per Kreis) and ``thm pruefen`` with the difference check on
each Kreis, and checks each Kreis's row of the Land index (:func:`landesbefund`). Prints
one line per Kreis and a summary; exit code 1 on any finding.

Run from the project folder (takes minutes per Kreis)::

    .venv/bin/python -m tests.suche_kreise --anzahl 8 --seed 2601 --ziel /tmp/suche

``--max-faelle N`` draws only Kreise with 1 to N documented cases (a Kreis's first
months: every count of the Berichtswesen is small), ``--zielgruppe 16 27`` only Kreise
planning for those ages, ``--min-stichtage 2`` only Kreise whose population counts have
at least two Stichtage, ``--faelle-mal 8`` Kreise with eight times the drawn cases (up to
640: a larger Kreis after a few years of THM), ``--schwelle 3`` every Kreis with that
suppression threshold (``datenschutz.schwelle``; default 5), ``--programm kim`` every Kreis
under the example programme ``defaults/programm_kim.yaml`` (other statuses and ages counted
for the staffing key, counted at the analysis Stichtag), ``--gemischt`` threshold, symbol,
programme and target-group statuses drawn per Kreis (where not given), ``--verlauf`` only
Kreise kept over years (cases and offers across the years, closure reasons with typed
remarks; ``ArbeitsmappeSpec.verlauf``), ``--fachverfahren`` every Arbeitsmappe rewritten
as a Fachverfahren exports it (:func:`tests.fachverfahren.exportieren`: other column order,
columns of its own, Excel cells, other encodings; ``thm pruefen`` reads the export). Every
Kreis's published files are also searched for the typed remarks
(:func:`tests.audit_laeufe.freie_texte_in`).

Not collected by pytest (no ``test_`` prefix): the test suite has fixed examples of the
same kind (``tests/test_robust_batch.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, seed, settings

from tests.arbeitsmappen import ArbeitsmappeSpec, arbeitsmappen, schreibe
from tests.audit_laeufe import freie_texte_in
from tests.fachverfahren import exportieren
from tests.helpers_land import tabellenzeile
from thm_lib.core.formats import anzahl
from thm_lib.disclosure.suppression import default_symbol, default_threshold
from thm_lib.run.batch import kreis_ordner_name


def ziehe(
    anzahl: int,
    startwert: int,
    max_gemeinden: int,
    zielgruppe: tuple[int, int] | None = None,
    max_faelle: int | None = None,
    min_stichtage: int = 1,
    faelle_mal: int = 1,
    schwelle: int | None = None,
    programm: str | None = None,
    gemischt: bool = False,
    verlauf: bool = False,
) -> list[ArbeitsmappeSpec]:
    """``anzahl`` Arbeitsmappen of the strategy, the same for the same ``startwert``.

    Each with its own name: two drawn with the same seed would be one Kreis to the
    Land run (one report folder), and the second would not run (seed 2701 of session 27).
    With ``zielgruppe`` (ages), only Kreise planning for that target group; with
    ``max_faelle``, only Kreise with case records, 1 to ``max_faelle`` cases (the drawn
    number folded into that range); only Kreise with at least ``min_stichtage`` Stichtage;
    with ``faelle_mal`` above 1, only Kreise with case records, that many times the drawn
    cases (after the folding); every one with the suppression threshold ``schwelle``
    and the programme ``programm`` if given; with ``gemischt``, threshold, symbol,
    programme and target-group statuses drawn (``arbeitsmappen(einstellungen=True)``)
    where not given; with ``verlauf``, only Kreise kept over years.
    """
    gezogen: list[ArbeitsmappeSpec] = []

    @seed(startwert)
    @settings(
        max_examples=(3 if zielgruppe is None and max_faelle is None and faelle_mal == 1 else 30)
        * min_stichtage
        * anzahl,
        database=None,
        deadline=None,
        phases=["generate"],
        suppress_health_check=list(HealthCheck),
    )
    @given(arbeitsmappen(max_gemeinden=max_gemeinden, einstellungen=gemischt))
    def sammle(spec: ArbeitsmappeSpec) -> None:
        passt = zielgruppe is None or (spec.zielgruppe_alter or (18, 27)) == zielgruppe
        passt = passt and len(spec.stichtage) >= min_stichtage
        passt = passt and (spec.verlauf or not verlauf)
        if max_faelle is not None:
            passt = passt and spec.mit_faellen
            spec = dataclasses.replace(spec, n_faelle=1 + (spec.n_faelle - 1) % max_faelle)
        if faelle_mal > 1:
            passt = passt and spec.mit_faellen
            spec = dataclasses.replace(spec, n_faelle=spec.n_faelle * faelle_mal)
        if passt and len(gezogen) < anzahl and spec.name not in {g.name for g in gezogen}:
            gezogen.append(
                dataclasses.replace(
                    spec,
                    kreis_nr=len(gezogen),
                    schwelle=spec.schwelle if schwelle is None else schwelle,
                    programm=programm or spec.programm,
                )
            )

    sammle()
    return gezogen[:anzahl]


def beschreibe(spec: ArbeitsmappeSpec) -> str:
    """One line: what makes this Arbeitsmappe unlike the sample."""
    gemeinden = anzahl(spec.n_gemeinden, "Gemeinde", "Gemeinden")
    art = "kreisfreie Stadt" if spec.kreisfrei else f"Kreis, {gemeinden}"
    teile = [
        f"{spec.kreis_ags} {art}",
        "" if spec.mit_faellen else "ohne Fälle",
        "Einwohner" if spec.mit_einwohner else "ohne Einwohner",
        anzahl(len(spec.stichtage), "Stichtag", "Stichtage"),
        anzahl(spec.n_faelle, "Fall", "Fälle") if spec.mit_faellen else "",
        f"{len(spec.klein)} klein",
        f"{len(spec.ohne_angebote)} ohne Angebote",
        f"Zielgruppe {spec.zielgruppe_alter or (18, 27)}",
        "" if spec.schwelle is None else f"Schwelle {spec.schwelle}",
        "" if spec.zeichen is None else f"Zeichen {spec.zeichen!r}",
        "" if spec.programm == "thm" else f"Programm {spec.programm}",
        "" if spec.zielgruppe_status is None else f"Status {'/'.join(spec.zielgruppe_status)}",
        "über Jahre gepflegt" if spec.verlauf else "",
    ]
    return ", ".join(t for t in teile if t)


def einstellung(spec: ArbeitsmappeSpec) -> tuple[int, str]:
    """Threshold and symbol the Kreis publishes with (the defaults where not drawn)."""
    return spec.schwelle or default_threshold(), spec.zeichen or default_symbol()


def landesbefund(berichte: Path, spec: ArbeitsmappeSpec, alle: list[ArbeitsmappeSpec]) -> str:
    """What is wrong with the Kreis's row of the Land index ("" when nothing).

    The row shows what the Kreis's own index shows for the whole Kreis, and where the
    Kreise publish with different thresholds or symbols, the page names the Kreis
    beside its own (round 2, session 49: it named only the strictest).
    """
    index = berichte / "index.html"
    try:
        land = tabellenzeile(index, spec.name)
        kreis = tabellenzeile(berichte / kreis_ordner_name(spec.name) / "index.html", spec.name)
    except (AssertionError, OSError) as err:
        return str(err)
    if land[3:7] != kreis[1:5]:
        return f"Landeszeile {land[3:7]} statt {kreis[1:5]}"
    if len({einstellung(s) for s in alle}) == 1:
        return ""
    t, z = einstellung(spec)
    seite = BeautifulSoup(index.read_text(encoding="utf-8"), "html.parser")
    text = " ".join(seite.get_text(" ").split())
    gruppe = re.search(rf"„<{t}“[^(]*?„{re.escape(z)}“\s*\(([^)]*)\)", text)
    if gruppe is None or spec.name not in [n.strip() for n in gruppe.group(1).split(",")]:
        return f"Einstellung ({t}, {z!r}) nicht mit dem Kreis genannt"
    return ""


def lauf(befehl: list[str], log: Path) -> tuple[int, str]:
    """Run ``befehl``, keep its output in ``log``; return code and last line."""
    r = subprocess.run(befehl, capture_output=True, text=True)
    log.write_text(r.stdout + r.stderr)
    zeilen = [z for z in (r.stdout + r.stderr).splitlines() if z.strip()]
    return r.returncode, zeilen[-1] if zeilen else ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--anzahl", type=int, default=6)
    p.add_argument("--seed", type=int, default=2601)
    p.add_argument("--max-gemeinden", type=int, default=10)
    p.add_argument("--verschiebungen", type=int, default=4)
    p.add_argument("--ziel", type=Path, required=True, help="Ordner (wird geleert)")
    p.add_argument(
        "--zielgruppe", type=int, nargs=2, metavar=("VON", "BIS"), help="nur diese Alter"
    )
    p.add_argument("--max-faelle", type=int, help="nur Kreise mit 1 bis so vielen Fällen")
    p.add_argument(
        "--min-stichtage", type=int, default=1, help="nur Kreise mit so vielen Stichtagen"
    )
    p.add_argument("--faelle-mal", type=int, default=1, help="so viel mal die gezogenen Fälle")
    p.add_argument("--schwelle", type=int, help="Sperrschwelle aller Kreise (sonst 5)")
    p.add_argument("--programm", choices=("thm", "kim"), help="Förderprogramm aller Kreise")
    p.add_argument(
        "--gemischt",
        action="store_true",
        help="Sperrschwelle, Sperrzeichen, Programm und Status der Zielgruppe je Kreis ziehen",
    )
    p.add_argument("--verlauf", action="store_true", help="nur über Jahre gepflegte Kreise")
    p.add_argument(
        "--fachverfahren", action="store_true", help="jede Arbeitsmappe als Export umschreiben"
    )
    a = p.parse_args(argv)
    thm = str(Path(sys.executable).with_name("thm"))
    shutil.rmtree(a.ziel, ignore_errors=True)
    land, berichte = a.ziel / "land", a.ziel / "berichte"
    zielgruppe = tuple(a.zielgruppe) if a.zielgruppe else None
    specs = ziehe(
        a.anzahl,
        a.seed,
        a.max_gemeinden,
        zielgruppe,
        a.max_faelle,
        a.min_stichtage,
        a.faelle_mal,
        a.schwelle,
        a.programm,
        a.gemischt,
        a.verlauf,
    )
    for spec in specs:
        mappe = schreibe(spec, land / f"kreis_{spec.kreis_nr:02d}")
        if a.fachverfahren:
            exportieren(mappe, random.Random(a.seed * 1000 + spec.kreis_nr))
        print(f"kreis_{spec.kreis_nr:02d}: {beschreibe(spec)}", flush=True)
    t0 = time.perf_counter()
    rc, letzte = lauf(
        [thm, "batch", str(land), "--ausgabe", str(berichte), "--jobs", "2"], a.ziel / "batch.log"
    )
    print(f"thm batch: RC {rc}, {time.perf_counter() - t0:.0f} s – {letzte}", flush=True)
    befunde = int(rc != 0)
    for spec in specs:
        kreis = berichte / kreis_ordner_name(spec.name)
        if not (kreis / "index.html").exists():
            print(f"kreis_{spec.kreis_nr:02d}: kein Berichtsordner", flush=True)
            befunde += 1
            continue
        t0 = time.perf_counter()
        rc, letzte = lauf(
            [
                thm,
                "pruefen",
                str(kreis),
                str(land / f"kreis_{spec.kreis_nr:02d}"),
                "--verschiebungen",
                str(a.verschiebungen),
            ],
            a.ziel / f"pruefen_{spec.kreis_nr:02d}.log",
        )
        print(
            f"kreis_{spec.kreis_nr:02d}: thm pruefen RC {rc}, "
            f"{time.perf_counter() - t0:.0f} s – {letzte}",
            flush=True,
        )
        befunde += int(rc != 0)
        if dateien := freie_texte_in(kreis):
            print(f"kreis_{spec.kreis_nr:02d}: freier Text in {', '.join(dateien)}", flush=True)
            befunde += 1
        if befund := landesbefund(berichte, spec, specs):
            print(f"kreis_{spec.kreis_nr:02d}: Landesübersicht – {befund}", flush=True)
            befunde += 1
    kreise, gefunden = anzahl(len(specs), "Kreis", "Kreise"), anzahl(befunde, "Befund", "Befunde")
    print(f"{kreise}, {gefunden}", flush=True)
    return 1 if befunde else 0


if __name__ == "__main__":
    sys.exit(main())
