"""Dated counts that a new run shows otherwise than the last published one."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner
from helpers_io import edit_table, set_cell

from thm_lib.core.paths import SAMPLE
from thm_lib.disclosure import staende
from thm_lib.disclosure.audit import AuditErgebnis
from thm_lib.run.batch import intern_ordner
from thm_lib.run.cli import main


def test_only_figures_in_both_states_that_differ_are_changes() -> None:
    alt = {
        "Zielgruppe / 31.12.2020 / A / duldung": "7",
        "Zielgruppe / 31.12.2020 / A / gesamt": "9",
        "Fallzahlen / 01.01.2020–31.12.2020 / B / neu aufgenommen": "gesperrt",
    }
    neu = {
        "Zielgruppe / 31.12.2020 / A / duldung": "8",
        "Zielgruppe / 31.12.2020 / A / gesamt": "9",
        "Fallzahlen / 01.01.2020–31.12.2020 / B / neu aufgenommen": "6",
        "Zielgruppe / 31.12.2021 / A / duldung": "1",  # a new Stichtag: nothing to compare
    }
    assert staende.aenderungen(alt, neu) == [
        "Fallzahlen / 01.01.2020–31.12.2020 / B / neu aufgenommen: gesperrt → 6",
        "Zielgruppe / 31.12.2020 / A / duldung: 7 → 8",
    ]
    assert staende.aenderungen(alt, alt) == [] and staende.hinweis(alt, alt) is None
    assert staende.hinweis(alt, neu).startswith(
        "Frühere Veröffentlichung: 2 Zahlen schon veröffentlichter Stichtage oder Zeiträume "
        "zeigt dieser Lauf anders (Fallzahlen / 01.01.2020–31.12.2020 / B / neu aufgenommen: "
        "gesperrt → 6; Zielgruppe / 31.12.2020 / A / duldung: 7 → 8)."
    )


def test_the_state_keeps_dated_figures_only(tmp_path) -> None:
    ergebnis = AuditErgebnis([], [], 0, 0, 0, "–", 0.0, {}, 0)
    ergebnis.gezeigt = {
        ("Zielgruppe", "31.12.2021", "Musterstadt", "duldung"): "141",
        ("Struktur", "31.12.2021", "18-20", "weiblich"): "gesperrt",
        ("Fallevidenz", "Sprache", "passendes Angebot"): "10",  # grows with every case
        ("Personen (FAQ-Zählung)", "Musterstadt"): "19",
    }
    stand = staende.stand(ergebnis)
    assert stand == {
        "Zielgruppe / 31.12.2021 / Musterstadt / duldung": "141",
        "Struktur / 31.12.2021 / 18-20 / weiblich": "gesperrt",
    }
    staende.schreiben(tmp_path, stand)
    assert staende.lesen(tmp_path) == stand
    # a state of the first format (one table per Stichtag) compares with nothing
    alt = {"31.12.2020": {"Musterstadt": {"Duldung": "294"}}}
    (tmp_path / staende.STAND).write_text(json.dumps(alt), encoding="utf-8")
    assert staende.lesen(tmp_path) is None


def test_corrected_counts_and_late_cases_are_named_by_the_next_run(tmp_path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    befehl = ["batch", str(mappe), "--ausgabe", str(tmp_path / "reports"), "--jobs", "1"]
    befehl += ["--kommune", "05899004", "--ohne-fortschritt"]
    erster = CliRunner().invoke(main, befehl)
    assert erster.exit_code == 0, erster.output
    assert "Frühere Veröffentlichung" not in erster.output
    intern = intern_ordner(tmp_path / "reports" / "musterkreis_fiktiv")
    stand = staende.lesen(intern)
    assert stand is not None
    # zielgruppe.csv: Musterstadt's Geduldete of 18 to 27 on 31.12.2020 add up to 294
    assert stand["Zielgruppe / 31.12.2020 / Musterstadt / duldung"] == "294"
    arten = {k.split(" / ")[0] for k in stand}
    assert {"Zielgruppe", "Struktur", "Fallzahlen", "Klient*innen"} <= arten
    assert "Fallevidenz" not in arten and "gesperrt" in stand.values()
    nochmal = CliRunner().invoke(main, befehl)
    assert "Frühere Veröffentlichung" not in nochmal.output  # the same counts again

    set_cell(mappe, "zielgruppe.csv", 1018, "anzahl", "26")  # Musterstadt, duldung, 20, m
    korrigiert = CliRunner().invoke(main, befehl)
    assert korrigiert.exit_code == 0, korrigiert.output  # a note, the run is published
    zeile = next(z for z in korrigiert.output.splitlines() if "Frühere Veröffentlichung" in z)
    assert "Zielgruppe / 31.12.2020 / Musterstadt / duldung: 294 → 295" in zeile

    def spaet_erfasst(header: list[str], rows: list[list[str]]) -> None:
        # a case of 2021 in Musterstadt, recorded only after the last publication
        neu = dict.fromkeys(header, "")
        neu.update(fall_id="TM-SPAET1", ags="05899004", alter="22", status="duldung")
        neu.update(geschlecht="w", einwilligung="ja", beginn="15.03.2021")
        rows.append([neu[h] for h in header])

    edit_table(mappe, "faelle.csv", spaet_erfasst)
    nachgetragen = CliRunner().invoke(main, befehl)
    assert nachgetragen.exit_code == 0, nachgetragen.output
    zeile = next(z for z in nachgetragen.output.splitlines() if "Frühere Veröffentlichung" in z)
    assert "Fallzahlen / 01.01.2021–31.12.2021 / Musterstadt / neu aufgenommen:" in zeile, zeile
    assert "Zielgruppe /" not in zeile  # the counts stayed as published last time
