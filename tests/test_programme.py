"""Tests of thm_lib.core.programme: shipped programmes and German errors for invalid files."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

import pytest
import yaml

from thm_lib.core import labels
from thm_lib.core.errors import DataError
from thm_lib.core.programme import (
    Zaehlung,
    default_programm,
    load_programm,
    validate_programm,
)


def write(tmp_path: Path, data: object, name: str = "programm.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def thm_raw() -> dict:
    """The shipped THM programme as plain YAML data (dates as ISO text)."""
    p = default_programm("thm")
    p["zeitraum"] = {k: v.isoformat() for k, v in p["zeitraum"].items()}
    del p["basis"]
    return p


def test_default_is_thm_with_the_faq_values():
    p = load_programm()
    assert p["kurzname"] == "thm"
    assert p["zeitraum"] == {"beginn": dt.date(2019, 11, 1), "ende": dt.date(2022, 6, 30)}
    assert p["zaehlung"] == {
        "status": ["duldung"],
        "alter_min": 18,
        "alter_max": 27,
        "einfrieren": True,
    }
    r = p["stellenregel"]
    assert (r["schluessel"], r["mindeststellen"], r["volle_stelle_ab"], r["volle_stelle"]) == (
        100,
        0.5,
        75,
        1.0,
    )
    assert r["mindeststellen_nur_mit_gs"] is True
    f = p["foerderung"]
    assert f["foerderfaehig"] == ["personal"]
    assert f["foerdersatz"] == 0.9 and f["foerdersatz_haushaltssicherung"] == 0.9
    assert f["hoechstbetrag_je_vzae_jahr"] is None and f["antrag_nur_mit_gs"] is True


def test_missing_file_and_none_give_the_default(tmp_path):
    assert load_programm(None) == default_programm()
    assert load_programm(tmp_path / "programm.yaml") == default_programm()


def test_kim_example_has_another_shape():
    thm, kim = default_programm("thm"), default_programm("kim")
    assert kim["zeitraum"]["ende"] is None  # open-ended
    assert kim["stellenregel"]["schluessel"] != thm["stellenregel"]["schluessel"]
    assert kim["stellenregel"]["mindeststellen"] is None
    assert kim["stellenregel"]["volle_stelle_ab"] is None
    assert kim["foerderung"]["foerdersatz"] != thm["foerderung"]["foerdersatz"]
    assert "sachkosten" in kim["foerderung"]["foerderfaehig"]
    assert kim["foerderung"]["hoechstbetrag_je_vzae_jahr"] > 0
    assert set(kim["zaehlung"]["status"]) == set(labels.STATUS)


def test_same_structure_for_every_programme():
    def shape(d):
        return {k: shape(v) if isinstance(v, dict) else None for k, v in d.items()}

    assert shape(default_programm("thm")) == shape(default_programm("kim"))


def test_status_literal_matches_labels():
    status_type = typing.get_args(Zaehlung.model_fields["status"].annotation)[0]
    assert set(typing.get_args(status_type)) == set(labels.STATUS)


def test_user_file_round_trip(tmp_path):
    assert load_programm(write(tmp_path, thm_raw())) == default_programm()


def test_month_dates_mean_month_start_and_end(tmp_path):
    raw = thm_raw()
    raw["zeitraum"] = {"beginn": "2019-11", "ende": "2022-06"}
    p = load_programm(write(tmp_path, raw))
    assert p["zeitraum"] == {"beginn": dt.date(2019, 11, 1), "ende": dt.date(2022, 6, 30)}


def test_basis_merges_changes_onto_a_shipped_programme(tmp_path):
    text = "basis: thm\nname: THM verlängert\nzeitraum:\n  ende: 2024-12-31\n"
    p = load_programm(write(tmp_path, text))
    assert p["zeitraum"]["ende"] == dt.date(2024, 12, 31)
    assert p["zeitraum"]["beginn"] == dt.date(2019, 11, 1)
    assert p["stellenregel"]["schluessel"] == 100 and p["basis"] == "thm"


def test_hsk_rate_defaults_to_the_rate():
    raw = thm_raw()
    raw["foerderung"] = {"foerdersatz": 0.8, "foerderfaehig": ["personal"]}
    assert validate_programm(raw)["foerderung"]["foerdersatz_haushaltssicherung"] == 0.8


def _without(section: str, key: str) -> dict:
    raw = thm_raw()
    del raw[section][key]
    return raw


def _with(section: str, key: str, value: object) -> dict:
    raw = thm_raw()
    raw[section][key] = value
    return raw


INVALID = {
    "missing_rate": (
        _without("foerderung", "foerdersatz"),
        "foerderung.foerdersatz",
        "Pflichtfeld fehlt",
    ),
    "missing_key": (
        _without("stellenregel", "schluessel"),
        "stellenregel.schluessel",
        "Pflichtfeld fehlt",
    ),
    "missing_end": (_without("zeitraum", "ende"), "zeitraum.ende", "Pflichtfeld fehlt"),
    "negative_rate": (
        _with("foerderung", "foerdersatz", -0.1),
        "foerderung.foerdersatz",
        "darf nicht kleiner als 0 sein",
    ),
    "rate_above_1": (
        _with("foerderung", "foerdersatz", 1.2),
        "foerderung.foerdersatz",
        "darf nicht größer als 1 sein",
    ),
    "rate_as_percent": (
        _with("foerderung", "foerdersatz_haushaltssicherung", 90),
        "foerderung.foerdersatz_haushaltssicherung",
        "darf nicht größer als 1 sein",
    ),
    "end_before_start": (
        _with("zeitraum", "ende", "2019-10-31"),
        "zeitraum.ende",
        "Ende liegt vor dem Beginn",
    ),
    "key_as_text": (
        _with("stellenregel", "schluessel", "1:100"),
        "stellenregel.schluessel",
        "muss eine Zahl sein",
    ),
    "key_zero": (
        _with("stellenregel", "schluessel", 0),
        "stellenregel.schluessel",
        "muss größer als 0 sein",
    ),
    "bool_as_number": (
        _with("stellenregel", "mindeststellen", True),
        "stellenregel.mindeststellen",
        "muss eine Zahl sein",
    ),
    "date_garbage": (
        _with("zeitraum", "beginn", "Herbst 2019"),
        "zeitraum.beginn",
        "muss ein Datum sein",
    ),
    "unknown_status": (
        _with("zaehlung", "status", ["geduldet"]),
        "zaehlung.status",
        "unbekannter Wert",
    ),
    "ages_swapped": (
        _with("zaehlung", "alter_min", 30),
        "zaehlung.alter_min",
        "darf nicht größer als alter_max sein",
    ),
    "typo": (_with("stellenregel", "schlusel", 100), "stellenregel.schlusel", "unbekanntes Feld"),
    "cost_type": (
        _with("foerderung", "foerderfaehig", ["personal", "miete"]),
        "foerderung.foerderfaehig",
        "erlaubt: 'personal', 'sachkosten'",
    ),
    "section_not_mapping": (
        {**thm_raw(), "zeitraum": "2019-2022"},
        "zeitraum",
        "muss Unterschlüssel haben",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_file_gives_german_error_naming_the_field(tmp_path, case):
    raw, field, text = INVALID[case]
    with pytest.raises(DataError) as info:
        load_programm(write(tmp_path, raw))
    message = str(info.value)
    assert f"Feld '{field}'" in message
    assert text in message
    assert "programm.yaml" in message
    assert message.startswith("Es wurde")


def test_several_problems_are_all_reported(tmp_path):
    raw = _with("foerderung", "foerdersatz", 2)
    raw["stellenregel"]["schluessel"] = -5
    with pytest.raises(DataError) as info:
        load_programm(write(tmp_path, raw))
    assert len(info.value.problems) == 2


def test_yaml_syntax_error_is_german(tmp_path):
    with pytest.raises(DataError, match="YAML-Syntaxfehler"):
        load_programm(write(tmp_path, "name: [THM\nzeitraum: x\n"))


def test_unknown_basis(tmp_path):
    with pytest.raises(DataError, match="unbekanntes Programm 'xyz'"):
        load_programm(write(tmp_path, "basis: xyz\n"))
    with pytest.raises(DataError, match="unbekanntes Programm"):
        default_programm("xyz")


def test_returned_dict_is_a_fresh_copy():
    p = default_programm()
    p["stellenregel"]["schluessel"] = 1
    assert default_programm()["stellenregel"]["schluessel"] == 100
