"""Assumptions: defaults, user file, overrides, and German errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from thm_lib.config import default_annahmen, kommune_overrides, load_annahmen
from thm_lib.errors import DataError


def _load(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "annahmen.yaml"
    path.write_text(text, encoding="utf-8")
    return load_annahmen(path)


def test_user_file_overrides_single_values_only(tmp_path: Path) -> None:
    a = _load(tmp_path, "stellen:\n  betreuungsschluessel: 80\n")
    assert a["stellen"]["betreuungsschluessel"] == 80
    assert a["stellen"]["erreichungsquote"] == default_annahmen()["stellen"]["erreichungsquote"]
    assert a["zielgruppe"]["alter_min"] == 18 and a["zielgruppe"]["alter_max"] == 27


@pytest.mark.parametrize(("text", "key", "words"), [
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
])
def test_bad_values_give_german_errors_naming_the_key(tmp_path: Path, text: str,
                                                      key: str | None, words: str) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, text)
    message = str(err.value)
    assert "annahmen.yaml" in message and words in message
    if key is not None:
        assert f"'{key}'" in message


def test_overrides_are_checked_like_the_file() -> None:
    with pytest.raises(DataError, match="Parameter 'annahmen'"):
        load_annahmen(None, {"stellen": {"betreuungsschluesel": 80}})
    assert load_annahmen(None, {"stellen": {"betreuungsschluessel": 80}})[
        "stellen"]["betreuungsschluessel"] == 80


def test_kommune_file_is_checked_with_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "annahmen_05899008.yaml").write_text("bedarf:\n  inanspruchnahme: -1\n",
                                                     encoding="utf-8")
    with pytest.raises(DataError, match="annahmen_05899008.yaml"):
        kommune_overrides(tmp_path, "05899008")
    assert kommune_overrides(tmp_path, "05899004") == {}
