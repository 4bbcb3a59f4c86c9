"""The settings sweep (``tests/durchgang_einstellungen.py``) changes only what it says."""

from __future__ import annotations

import yaml

from tests.durchgang_einstellungen import VARIANTEN, Variante, ausgang, schreibe_variante
from thm_lib.core.config import load_annahmen
from thm_lib.core.paths import SAMPLE


def test_a_variant_merges_its_keys_and_keeps_the_others(tmp_path):
    v = Variante("probe", "annahmen.yaml", {"zielgruppe": {"status": ["duldung"]}})
    mappe = schreibe_variante(v, tmp_path / "mappe")
    neu = yaml.safe_load((mappe / "annahmen.yaml").read_text("utf-8"))
    alt = yaml.safe_load((SAMPLE / "annahmen.yaml").read_text("utf-8"))
    assert neu["zielgruppe"] == {**alt.get("zielgruppe", {}), "status": ["duldung"]}
    assert {k: w for k, w in neu.items() if k != "zielgruppe"} == {
        k: w for k, w in alt.items() if k != "zielgruppe"
    }
    assert list(load_annahmen(mappe / "annahmen.yaml").zielgruppe.status) == ["duldung"]


def test_a_programme_variant_starts_from_the_default_programme(tmp_path):
    v = Variante("probe", "programm.yaml", {"stellenregel": {"schluessel": 0.5}})
    daten = yaml.safe_load((schreibe_variante(v, tmp_path / "m") / "programm.yaml").read_text())
    assert daten["stellenregel"]["schluessel"] == 0.5
    assert daten["zaehlung"]["alter_max"] == 27  # the rest as in programm_thm.yaml


def test_an_internal_error_is_a_finding_whatever_the_return_code():
    assert ausgang(0, "Fertig: 1 von 1 Berichten erstellt.") == "bericht"
    assert ausgang(2, "Fehler in den Eingabedaten:\n- annahmen.yaml …") == "meldung"
    assert ausgang(1, "FEHLGESCHLAGEN …: interner Fehler (Protokoll …)") == "befund"
    assert ausgang(0, "Fertig: 0 von 1 Berichten erstellt.") == "befund"
    nicht_bestanden = "Geheimhaltungsprüfung nicht bestanden, nichts veröffentlicht: …"
    assert ausgang(0, f"{nicht_bestanden}\nFertig: 1 von 1 Berichten erstellt.") == "befund"
    assert len({v.name for v in VARIANTEN}) == len(VARIANTEN)
