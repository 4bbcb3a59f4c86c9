"""Assumptions: defaults, user file, overrides, and German errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thm_lib.core.config import (
    check_altersgruppen,
    default_annahmen,
    kommune_overrides,
    load_annahmen,
    merge,
)
from thm_lib.core.errors import DataError


def _load(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "annahmen.yaml"
    path.write_text(text, encoding="utf-8")
    return load_annahmen(path)


def test_user_file_overrides_single_values_only(tmp_path: Path) -> None:
    a = _load(tmp_path, "stellen:\n  betreuungsschluessel: 80\n")
    assert a["stellen"]["betreuungsschluessel"] == 80
    assert a["stellen"]["erreichungsquote"] == default_annahmen()["stellen"]["erreichungsquote"]
    assert a["zielgruppe"]["alter_min"] == 18 and a["zielgruppe"]["alter_max"] == 27


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("bedarf: {standardquoten: 5}", "bedarf.standardquoten", "Zuordnung"),
        ("handlungsfelder: 5", "handlungsfelder", "Liste"),
        ("zielgruppe: {status: duldung}", "zielgruppe.status", "Liste"),
        ("stellen: {betreuungschluessel: 80}", "stellen.betreuungschluessel", "unbekannter"),
        ("bedarf: {standardquoten: {Sprache: hoch}}", "bedarf.standardquoten.Sprache", "Zahl"),
        ("bedarf: {standardquoten: {Sprache: 1.5}}", "bedarf.standardquoten.Sprache", "zwischen"),
        ("zielgruppe: {alter_min: 30}", "zielgruppe.alter_min", "größer"),
        ("zielgruppe: {altersgruppen: [[20, 18]]}", "zielgruppe.altersgruppen", "von, bis"),
        ("erreichbarkeit: {gewichtung: dreieck}", "erreichbarkeit.gewichtung", "gauss"),
        ("versorgung: {untere_schwelle: 1.5}", "versorgung.untere_schwelle", "zwischen"),
        ("datenschutz: {schwelle: 0}", "datenschutz.schwelle", "ab 1"),
        ("karten: {klassen: 20}", "karten.klassen", "2 bis 9"),
        ("stellen: {betreuungsschluessel: -3}", "stellen.betreuungsschluessel", "größer als 0"),
        ("unsinn: 1", "unsinn", "unbekannter"),
        ("stellen: [1, 2\n", None, "YAML"),
    ],
)
def test_bad_values_give_german_errors_naming_the_key(
    tmp_path: Path, text: str, key: str | None, words: str
) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, text)
    message = str(err.value)
    assert "annahmen.yaml" in message and words in message
    if key is not None:
        assert f"'{key}'" in message


def test_overrides_are_checked_like_the_file() -> None:
    with pytest.raises(DataError, match="Parameter 'annahmen'"):
        load_annahmen(None, {"stellen": {"betreuungsschluesel": 80}})
    assert (
        load_annahmen(None, {"stellen": {"betreuungsschluessel": 80}})["stellen"][
            "betreuungsschluessel"
        ]
        == 80
    )


def test_kommune_file_is_checked_with_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "annahmen_05899008.yaml").write_text(
        "bedarf:\n  inanspruchnahme: -1\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="annahmen_05899008.yaml"):
        kommune_overrides(tmp_path, "05899008")
    assert kommune_overrides(tmp_path, "05899004") == {}


@pytest.mark.parametrize(
    ("groups", "words"),
    [
        # overlap: ages 20-22 in both groups; 10 persons per year would be counted
        # 50 + 80 = 130 times out of 100 (130 %) without the check
        ("[[18, 22], [20, 27]]", "Alter 20–22 in [18, 22] und [20, 27]"),
        # gap: ages 21-22 in no group; 10 persons per year -> 80 of 100 (80 %)
        ("[[18, 20], [23, 27]]", "keine Altersgruppe enthält Alter 21–22"),
        # top missing: 27 not covered
        ("[[18, 20], [21, 26]]", "keine Altersgruppe enthält Alter 27"),
    ],
)
def test_age_groups_must_cover_the_target_ages_exactly_once(
    tmp_path: Path, groups: str, words: str
) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, f"zielgruppe:\n  altersgruppen: {groups}\n")
    message = str(err.value)
    assert "'zielgruppe.altersgruppen'" in message and words in message
    assert "genau einmal" in message and groups in message


def test_age_groups_may_reach_beyond_the_range_and_are_checked_per_kommune(tmp_path: Path) -> None:
    # 16-20 and 21-30 cover 18..27 exactly once after cutting: valid
    a = _load(tmp_path, "zielgruppe:\n  altersgruppen: [[16, 20], [21, 30]]\n")
    assert a["zielgruppe"]["altersgruppen"] == [[16, 20], [21, 30]]
    # the default groups 18-20, 21-24, 25-27 still fit a narrower range 19..25
    assert _load(tmp_path, "zielgruppe:\n  alter_min: 19\n  alter_max: 25\n")
    # ... but not a wider one: 28 is in no group
    with pytest.raises(DataError, match="keine Altersgruppe enthält Alter 28"):
        _load(tmp_path, "zielgruppe:\n  alter_max: 28\n")
    (tmp_path / "annahmen_05999004.yaml").write_text(
        "zielgruppe:\n  altersgruppen: [[18, 24], [24, 27]]\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="annahmen_05999004.yaml.*Alter 24 in"):
        kommune_overrides(tmp_path, "05999004")


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.sets(st.integers(19, 27), max_size=9), extra=st.integers(-2, 2), where=st.integers(0, 8)
)
def test_age_groups_property(cuts, extra, where) -> None:
    """A partition of 18..27 is valid and counts everybody once; moving one bound breaks it."""
    from thm_lib.analysis import target_group

    starts = [18, *sorted(cuts)]
    groups = [[s, e - 1] for s, e in zip(starts, [*starts[1:], 28], strict=True)]
    assert check_altersgruppen(groups, 18, 27) == []
    ann = merge(default_annahmen(), {"zielgruppe": {"altersgruppen": groups}})
    rows = pd.DataFrame(
        {
            "ags": "05999004",
            "stichtag": pd.Timestamp("2021-12-31"),
            "status": "duldung",
            "alter": pd.array(range(18, 28), dtype="Int64"),
            "alter_von": range(18, 28),
            "alter_bis": range(18, 28),
            "geschlecht": "m",
            "anzahl": pd.array([10] * 10, dtype="Int64"),
        }
    )
    # by hand: 10 persons in each of the 10 ages = 100, each counted once
    assert target_group.segments(rows, ann)["personen"].sum() == pytest.approx(100)
    i = where % len(groups)
    if extra and not (i == len(groups) - 1 and extra > 0):  # the last may reach beyond 27
        broken = [list(g) for g in groups]
        broken[i][1] += extra  # later end: overlap with the next; earlier end: a gap
        if broken[i][0] <= broken[i][1]:
            assert check_altersgruppen(broken, 18, 27) != []
