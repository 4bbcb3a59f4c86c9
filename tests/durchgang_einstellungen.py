"""Sweep outside CI: the sample Kreis under unusual settings, each through ``thm batch``.

Each variant changes a few keys of ``annahmen.yaml`` or ``programm.yaml`` of a copy of the
sample (merged into the file: other keys stay) and runs ``thm batch`` for one Kommune.
A variant either gives its reports (``bericht``) or stops with a German message naming
the key (``meldung``); an internal error, a traceback, a run that publishes nothing or
an outcome other than the expected one is a finding. Prints one line per variant and a
summary; exit code 1 on any finding.

Run from the project folder (about 20 s per variant)::

    .venv/bin/python -m tests.durchgang_einstellungen --ziel /tmp/durchgang

Not collected by pytest (no ``test_`` prefix). Found with it (round 2, session 48): a
blank or dash symbol, ``versorgung.obere_schwelle: 0`` (an internal error in the
heatmap) and ``apps.profil_alter: [18]`` ("darf nicht leer sein"); the settings tests
of ``tests/test_config.py`` keep them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from thm_lib.core.paths import SAMPLE
from thm_lib.core.settings import merge

KOMMUNE = "05899004"  # Musterstadt


@dataclass(frozen=True)
class Variante:
    """Keys merged into ``datei`` of a copy of the sample, and the expected outcome."""

    name: str
    datei: str  # "annahmen.yaml" or "programm.yaml"
    werte: dict[str, Any]
    erwartet: str = "bericht"  # or "meldung"


def _a(name: str, werte: dict[str, Any], erwartet: str = "bericht") -> Variante:
    return Variante(name, "annahmen.yaml", werte, erwartet)


def _p(name: str, werte: dict[str, Any], erwartet: str = "bericht") -> Variante:
    return Variante(name, "programm.yaml", werte, erwartet)


VARIANTEN = [
    _a(
        "alle_alter",
        {"zielgruppe": {"alter_min": 0, "alter_max": 120, "altersgruppen": [[0, 120]]}},
    ),
    _a(
        "ein_alter", {"zielgruppe": {"alter_min": 27, "alter_max": 27, "altersgruppen": [[27, 27]]}}
    ),
    _a("nur_duldung", {"zielgruppe": {"status": ["duldung"]}}),
    _a("nur_sonstige", {"zielgruppe": {"status": ["sonstige"]}}),
    _a("erreichung_sonstige", {"stellen": {"erreichung_status": ["sonstige"]}}),
    _a("ein_handlungsfeld", {"handlungsfelder": ["Sprache"]}, "meldung"),
    _a("mindestfaelle_0", {"bedarf": {"mindestfaelle": 0}}),
    _a("konfidenz_0999", {"bedarf": {"konfidenz": 0.999}}),
    _a("inanspruchnahme_0", {"bedarf": {"inanspruchnahme": 0}}),
    _a("erreichungsquote_0", {"stellen": {"erreichungsquote": 0}}),
    _a("steuerungsanteil_1", {"stellen": {"steuerungsanteil": 1}}),
    _a("stunden_0", {"stellen": {"stunden_je_fall": 0, "betreuungsschluessel": 0.001}}),
    _a("jahresstunden_1", {"stellen": {"netto_jahresarbeitsstunden": 1}}),
    _a("ohne_rundung", {"stellen": {"rundung": None}}),
    _a(
        "personalkosten_0",
        {"finanzierung": {"personalkosten_je_vzae": {"EG 9c": 0}, "sachkosten_je_vzae": 0}},
    ),
    _a("planung_30_jahre", {"finanzierung": {"planungsjahre": 30, "sachkostenzuschlag": 1}}),
    _a("erreichbar_klein", {"erreichbarkeit": {"schwelle": 0.001}}),
    _a("gravitation", {"erreichbarkeit": {"gewichtung": "gravitation", "einheit": "km"}}),
    _a("umweg_100", {"erreichbarkeit": {"umwegfaktor": 100}}),
    _a(
        "klassen_9",
        {"karten": {"klassen": 9, "klassifikation": "quantiles", "koordinaten_stellen": 0}},
    ),
    _a("png_winzig", {"karten": {"png_dpi": 10, "png_groesse_cm": [1, 1]}}),
    _a(
        "vereinfachung_grob", {"karten": {"vereinfachung_m": 100000, "vereinfachung_teile": 0.0001}}
    ),
    _a("schwelle_3", {"datenschutz": {"schwelle": 3}}),
    _a("schwelle_100", {"datenschutz": {"schwelle": 100}}),
    _a("zeichen_x", {"datenschutz": {"zeichen_geheim": "x"}}),
    _a("zeichen_leer", {"datenschutz": {"zeichen_geheim": " "}}, "meldung"),
    _a("zeichen_strich", {"datenschutz": {"zeichen_geheim": "–"}}, "meldung"),
    _a("versorgung_0", {"versorgung": {"untere_schwelle": 0, "obere_schwelle": 0}}, "meldung"),
    _a(
        "apps_ein_alter",
        {"apps": {"top_luecken": 1, "angebote_je_luecke": 1, "profil_alter": [18]}},
        "meldung",
    ),
    _a("stichtag_2000", {"kreis": {"stichtag": dt.date(2000, 12, 31)}}),
    _a(
        "stichtag_2030",
        {
            "kreis": {
                "stichtag": dt.date(2030, 12, 31),
                "stichtag_erstantrag": dt.date(2030, 1, 1),
                "stellen_bestand": 1000,
            }
        },
    ),
    _a("ohne_gs", {"kreis": {"geschaeftsfuehrende_stelle": False, "haushaltssicherung": True}}),
    _p("programm_sonstige", {"zaehlung": {"status": ["sonstige"]}}),
    _p("programm_alle_alter", {"zaehlung": {"alter_min": 0, "alter_max": 120}}),
    _p("schluessel_halb", {"stellenregel": {"schluessel": 0.5}}),
    _p("foerdersatz_0", {"foerderung": {"foerdersatz": 0, "foerdersatz_haushaltssicherung": 0}}),
    _p(
        "hoechstbetrag_0",
        {"foerderung": {"hoechstbetrag_je_vzae_jahr": 0, "hoechstbetrag_jahr": 0}},
    ),
    _p("volle_stelle_0", {"stellenregel": {"volle_stelle_ab": 0, "mindeststellen": 5}}),
    _p(
        "ende_vor_beginn",
        {"zeitraum": {"beginn": dt.date(2022, 1, 1), "ende": dt.date(2021, 1, 1)}},
        "meldung",
    ),
    _p("ein_tag", {"zeitraum": {"beginn": dt.date(2021, 12, 31), "ende": dt.date(2021, 12, 31)}}),
]
"""The variants of session 48's sweep; expected outcomes as measured then and reviewed."""


def schreibe_variante(v: Variante, mappe: Path) -> Path:
    """A copy of the sample in ``mappe`` with the keys of ``v`` merged in."""
    shutil.copytree(SAMPLE, mappe)
    datei = mappe / v.datei
    if datei.exists():
        text = datei.read_text(encoding="utf-8")
    else:  # the sample has no programm.yaml: the default programme's file
        text = (resources.files("thm_lib.defaults") / "programm_thm.yaml").read_text("utf-8")
    daten = merge(yaml.safe_load(text) or {}, v.werte)
    datei.write_text(yaml.safe_dump(daten, allow_unicode=True, sort_keys=False), "utf-8")
    return mappe


def ausgang(rc: int, text: str) -> str:
    """``bericht``, ``meldung`` or ``befund`` for a run's return code and output."""
    zeichen = ("interner Fehler", "Traceback", "nicht veröffentlicht", "nichts veröffentlicht")
    if any(z in text for z in zeichen):
        return "befund"
    if rc == 0 and "Fertig: 1 von 1" in text:
        return "bericht"
    return "meldung" if rc != 0 else "befund"


def _kern(text: str) -> str:
    """The line that says how a run ended: its summary, else its first message."""
    zeilen = [z.strip() for z in text.splitlines() if z.strip()]
    for marke in ("Fertig:", "- "):
        for z in zeilen:
            if z.startswith(marke):
                return z[:200]
    return zeilen[-1][:200] if zeilen else ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ziel", type=Path, required=True, help="Ordner (wird geleert)")
    p.add_argument("--nur", nargs="+", metavar="NAME", help="nur diese Varianten")
    a = p.parse_args(argv)
    thm = str(Path(sys.executable).with_name("thm"))
    shutil.rmtree(a.ziel, ignore_errors=True)
    a.ziel.mkdir(parents=True)
    befunde = 0
    for v in VARIANTEN:
        if a.nur and v.name not in a.nur:
            continue
        mappe = schreibe_variante(v, a.ziel / v.name / "mappe")
        befehl = [thm, "batch", str(mappe), "--ausgabe", str(a.ziel / v.name / "berichte")]
        r = subprocess.run(
            [*befehl, "--jobs", "1", "--kommune", KOMMUNE], capture_output=True, text=True
        )
        text = r.stdout + r.stderr
        (a.ziel / v.name / "batch.log").write_text(text, encoding="utf-8")
        ist = ausgang(r.returncode, text)
        befund = ist != v.erwartet
        befunde += befund
        marke = "BEFUND" if befund else "ok"
        print(f"{v.name}: {marke} ({ist}, erwartet {v.erwartet}) – {_kern(text)}", flush=True)
    print(f"{befunde} Befunde", flush=True)
    return 1 if befunde else 0


if __name__ == "__main__":
    sys.exit(main())
