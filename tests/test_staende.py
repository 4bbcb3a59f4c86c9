"""Counts of a Stichtag that a new run shows otherwise than the last published one."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from helpers_io import set_cell

from thm_lib.core.paths import SAMPLE
from thm_lib.disclosure import staende
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run.cli import main


def test_only_cells_in_both_states_that_differ_are_changes() -> None:
    alt = {"31.12.2020": {"A": {"Duldung": "7", "Summe": "9"}, "B": {"Duldung": "<5"}}}
    neu = {
        "31.12.2020": {"A": {"Duldung": "8", "Summe": "9"}, "B": {"Duldung": "."}, "C": {}},
        "31.12.2021": {"A": {"Duldung": "1"}},  # a new Stichtag: nothing to compare
    }
    assert staende.aenderungen(alt, neu) == [
        "31.12.2020, A, Duldung: 7 → 8",
        "31.12.2020, B, Duldung: <5 → .",
    ]
    assert staende.aenderungen(alt, alt) == [] and staende.hinweis(alt, alt) is None
    assert staende.hinweis(alt, neu).startswith(
        "Frühere Veröffentlichung: 2 Zahlen schon veröffentlichter Stichtage zeigt dieser "
        "Lauf anders (31.12.2020, A, Duldung: 7 → 8; 31.12.2020, B, Duldung: <5 → .)."
    )


def test_the_state_holds_each_stichtag_as_published() -> None:
    stand = staende.stand(load_workspace(SAMPLE))
    assert list(stand) == ["31.12.2019", "31.12.2020", "31.12.2021"]
    # zielgruppe.csv: Musterstadt's Geduldete of 18 to 27 on 31.12.2020 add up to 294
    assert stand["31.12.2020"]["Musterstadt"]["Duldung"] == "294"
    zellen = [w for tag in stand.values() for z in tag.values() for w in z.values()]
    assert "<5" in zellen and all(w.isdigit() or w in ("<5", ".") for w in zellen)


def test_a_corrected_count_of_a_published_stichtag_is_named_by_the_next_run(tmp_path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    befehl = ["batch", str(mappe), "--ausgabe", str(tmp_path / "reports"), "--jobs", "1"]
    befehl += ["--kommune", "05899004", "--ohne-fortschritt"]
    erster = CliRunner().invoke(main, befehl)
    assert erster.exit_code == 0, erster.output
    assert "Frühere Veröffentlichung" not in erster.output
    nochmal = CliRunner().invoke(main, befehl)
    assert "Frühere Veröffentlichung" not in nochmal.output  # the same counts again
    set_cell(mappe, "zielgruppe.csv", 1018, "anzahl", "26")  # Musterstadt, duldung, 20, m
    korrigiert = CliRunner().invoke(main, befehl)
    assert korrigiert.exit_code == 0, korrigiert.output  # a note, the run is published
    zeile = next(z for z in korrigiert.output.splitlines() if "Frühere Veröffentlichung" in z)
    assert "31.12.2020, Musterstadt, Duldung: 294 → 295" in zeile
    assert "31.12.2020, Insgesamt, Duldung:" in zeile  # the Kreis total follows
