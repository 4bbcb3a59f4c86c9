"""Assumptions: defaults, user file, overrides, and German errors for bad values."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from thm_lib.core.config import default_annahmen, kommune_overrides, load_annahmen, read_yaml
from thm_lib.core.errors import DataError
from thm_lib.core.labels import STATUS
from thm_lib.core.settings import (
    Annahmen,
    Status,
    check_altersgruppen,
    merge,
    validate_annahmen,
)

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def _load(tmp_path: Path, text: str) -> Annahmen:
    path = tmp_path / "annahmen.yaml"
    path.write_text(text, encoding="utf-8")
    return load_annahmen(path)


def test_user_file_overrides_single_values_only(tmp_path: Path) -> None:
    a = _load(tmp_path, "stellen:\n  betreuungsschluessel: 80\n")
    assert a.stellen.betreuungsschluessel == 80
    assert a.stellen.erreichungsquote == default_annahmen().stellen.erreichungsquote == 0.47
    assert a.zielgruppe.alter_min == 18 and a.zielgruppe.alter_max == 27


def test_overriding_one_nested_key_keeps_the_other_defaults(tmp_path: Path) -> None:
    a = _load(tmp_path, "bedarf:\n  standardquoten:\n    Wohnen: 0.3\n")
    quoten = a.bedarf.standardquoten
    assert quoten["Wohnen"] == 0.3
    # the other eleven rates and the other keys of 'bedarf' are the shipped values
    assert len(quoten) == 12 and quoten["Sprache"] == 0.6 and quoten["Sonstiges"] == 0.1
    assert (a.bedarf.mindestfaelle, a.bedarf.konfidenz, a.bedarf.inanspruchnahme) == (
        30,
        0.95,
        0.8,
    )
    # an open map also takes new keys: a pay grade added next to the shipped ones
    b = _load(tmp_path, "finanzierung:\n  personalkosten_je_vzae:\n    S 12: 68000\n")
    assert b.finanzierung.personalkosten_je_vzae == {
        "EG 6": 55900,
        "EG 9b": 71600,
        "EG 9c": 72300,
        "EG 14": 100300,
        "S 12": 68000,
    }
    assert b.finanzierung.entgeltgruppe == "EG 9c"
    # every other section is untouched
    assert a.model_dump(exclude={"bedarf"}) == Annahmen().model_dump(exclude={"bedarf"})


def test_shipped_yaml_validates_and_equals_the_model_defaults() -> None:
    text = resources.files("thm_lib.defaults").joinpath("annahmen.yaml").read_text("utf-8")
    shipped = yaml.safe_load(text)
    assert validate_annahmen(shipped, "annahmen.yaml") == Annahmen()
    assert shipped == Annahmen().model_dump()  # the same keys and values, nothing extra
    assert default_annahmen() == Annahmen()


def test_status_values_are_the_labels_ones() -> None:
    assert set(Status.__args__) == set(STATUS)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        # wrong shape
        ("bedarf: {standardquoten: 5}", "bedarf.standardquoten", "Zuordnung"),
        ("handlungsfelder: 5", "handlungsfelder", "Liste"),
        ("zielgruppe: {status: duldung}", "zielgruppe.status", "Liste"),
        ("stellen: null", "stellen", "Unterschlüssel erreichungsquote"),
        # typos: the allowed keys are listed
        ("stellen: {betreuungschluessel: 80}", "stellen.betreuungschluessel", "unbekannter"),
        (
            "stellen: {betreuungschluessel: 80}",
            "stellen.betreuungschluessel",
            "betreuungsschluessel",
        ),
        ("unsinn: 1", "unsinn", "Erlaubt: kreis, zielgruppe"),
        # wrong type: text, yes/no, German decimal comma are no numbers
        ("bedarf: {standardquoten: {Sprache: hoch}}", "bedarf.standardquoten.Sprache", "Zahl"),
        ("stellen: {erreichungsquote: '0,47'}", "stellen.erreichungsquote", "Zahl"),
        ("stellen: {betreuungsschluessel: true}", "stellen.betreuungsschluessel", "Zahl"),
        ("kreis: {haushaltssicherung: ja bitte}", "kreis.haushaltssicherung", "true oder false"),
        ("datenschutz: {schwelle: 2.5}", "datenschutz.schwelle", "ganze Zahl ab 3"),
        ("karten: {quellenangabe: 5}", "karten.quellenangabe", "Text"),
        # out of range: the range is named
        ("bedarf: {standardquoten: {Sprache: 1.5}}", "bedarf.standardquoten.Sprache", "zwischen"),
        ("zielgruppe: {alter_min: 30}", "zielgruppe.alter_min", "größer"),
        ("zielgruppe: {altersgruppen: [[20, 18]]}", "zielgruppe.altersgruppen", "von, bis"),
        ("versorgung: {untere_schwelle: 1.5}", "versorgung.untere_schwelle", "zwischen"),
        ("datenschutz: {schwelle: 0}", "datenschutz.schwelle", "ab 3"),
        # a threshold of 1 or 2 hides nothing ("<2" is 1; robustness exploration, session 29)
        ("datenschutz: {schwelle: 2}", "datenschutz.schwelle", "„<2“ heißt 1"),
        ("datenschutz: {schwelle: 1}", "datenschutz.schwelle", "kleiner als 3"),
        # a percentage where a share is meant: 110 for 110 % (session 29)
        ("versorgung: {obere_schwelle: 110}", "versorgung.obere_schwelle", "1.10 für 110 %"),
        # 0 and 0 made every Gemeinde oversupplied and the heatmap failed (session 48)
        (
            "versorgung: {untere_schwelle: 0, obere_schwelle: 0}",
            "versorgung.obere_schwelle",
            "größer als 0",
        ),
        (
            "finanzierung: {sachkostenzuschlag: 20}",
            "finanzierung.sachkostenzuschlag",
            "0.2 für 20 %",
        ),
        ("stellen: {steuerungsanteil: 25}", "stellen.steuerungsanteil", "0.25 für 25 %"),
        ("karten: {klassen: 20}", "karten.klassen", "2 bis 9"),
        # one age where two are asked for is not "empty" (session 48)
        ("apps: {profil_alter: [18]}", "apps.profil_alter", "mindestens 2 Einträge"),
        ("handlungsfelder: []", "handlungsfelder", "nicht leer"),
        ("stellen: {betreuungsschluessel: -3}", "stellen.betreuungsschluessel", "größer als 0"),
        ("finanzierung: {planungsjahre: 0}", "finanzierung.planungsjahre", "ganze Zahl ab 1"),
        # not one of the allowed values: they are listed
        ("erreichbarkeit: {gewichtung: dreieck}", "erreichbarkeit.gewichtung", "gauss"),
        ("stellen: {rundung: 0.1}", "stellen.rundung", "0.05, 0.5"),
        ("zielgruppe: {status: [geduldet]}", "zielgruppe.status", "duldung, gestattung"),
        ("finanzierung: {entgeltgruppe: S 12}", "finanzierung.entgeltgruppe", "EG 9b, EG 9c"),
        ("datenschutz: {zeichen_geheim: '1'}", "datenschutz.zeichen_geheim", "ohne Ziffern"),
        # the outputs' "no value" and an empty mark (session 48: the empty one crashed)
        ("datenschutz: {zeichen_geheim: '–'}", "datenschutz.zeichen_geheim", "kein Wert"),
        ("datenschutz: {zeichen_geheim: ' - '}", "datenschutz.zeichen_geheim", "kein Strich"),
        ("datenschutz: {zeichen_geheim: ' '}", "datenschutz.zeichen_geheim", "nicht leer"),
        ("kreis: {ags: 5554}", "kreis.ags", "Anführungszeichen"),
        ("kreis: {stichtag: 31.13.2021}", "kreis.stichtag", "TT.MM.JJJJ"),
        (
            "handlungsfelder: [Sprache, Mobilität]",
            "bedarf.standardquoten",
            "für das Handlungsfeld Mobilität fehlt",
        ),
        (
            "handlungsfelder: [Sprache, Mobilität, Kultur]",
            "bedarf.standardquoten",
            "für die Handlungsfelder Mobilität, Kultur fehlt",
        ),
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
    assert "Problem in den Eingabedaten" in message
    if key is not None:
        assert f"'{key}'" in message
        assert "Bitte in annahmen.yaml korrigieren" in message


def test_message_names_value_allowed_range_and_default(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, "stellen:\n  erreichungsquote: 1.5\n")
    (problem,) = err.value.problems
    assert problem.spalte == "stellen.erreichungsquote" and problem.wert == "1.5"
    assert problem.meldung == "darf nicht größer als 1 sein"
    assert problem.hinweis == (
        "Erlaubt: ein Anteil zwischen 0 und 1, z. B. 0.47. Standard: 0.47. "
        "Bitte in annahmen.yaml korrigieren"
    )


def test_every_bad_key_is_reported_once(tmp_path: Path) -> None:
    # three mistakes in three sections: three problems, one per key (the number-or-empty
    # field 'stunden_je_fall' is one line, not one per type tried)
    with pytest.raises(DataError) as err:
        _load(
            tmp_path,
            "stellen:\n  stunden_je_fall: viele\nkarten:\n  klassen: 1\nbedarf:\n  konfidenz: 1\n",
        )
    assert sorted(p.spalte for p in err.value.problems) == [
        "bedarf.konfidenz",
        "karten.klassen",
        "stellen.stunden_je_fall",
    ]
    assert "Es wurden 3 Probleme" in str(err.value)


def test_values_are_read_as_written(tmp_path: Path) -> None:
    a = _load(
        tmp_path,
        'kreis:\n  ags: " 05554 "\n  stichtag: "31.12.2021"\n  stichtag_erstantrag: 2020-06-30\n'
        "stellen:\n  rundung: keine\ndatenschutz:\n  schwelle: 3.0\n",
    )
    assert a.kreis.ags == "05554"
    assert a.kreis.stichtag == dt.date(2021, 12, 31)
    assert a.kreis.stichtag_erstantrag == dt.date(2020, 6, 30)
    assert a.stellen.rundung is None
    assert a.datenschutz.schwelle == 3 and isinstance(a.datenschutz.schwelle, int)
    # whole numbers stay whole: texts show "45 Minuten", not "45.0"
    assert str(a.erreichbarkeit.schwelle) == "45"


def test_settings_are_read_only() -> None:
    a = Annahmen()
    with pytest.raises(ValueError):
        a.stellen.betreuungsschluessel = 80  # type: ignore[misc]
    b = a.mit({"stellen": {"betreuungsschluessel": 80}})
    assert (a.stellen.betreuungsschluessel, b.stellen.betreuungsschluessel) == (100, 80)


def test_overrides_are_checked_like_the_file() -> None:
    with pytest.raises(DataError, match="Parameter 'annahmen'"):
        load_annahmen(None, {"stellen": {"betreuungsschluesel": 80}})
    assert load_annahmen(None, {"stellen": {"betreuungsschluessel": 80}}).stellen == (
        Annahmen().stellen.model_copy(update={"betreuungsschluessel": 80})
    )


def test_kommune_file_is_checked_with_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "annahmen_05899008.yaml").write_text(
        "bedarf:\n  inanspruchnahme: -1\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="annahmen_05899008.yaml"):
        kommune_overrides(tmp_path, "05899008")
    assert kommune_overrides(tmp_path, "05899004") == {}


def test_broken_annahmen_gives_german_message_without_traceback(tmp_path: Path) -> None:
    mappe = tmp_path / "musterkreis"
    shutil.copytree(SAMPLE, mappe)
    with (mappe / "annahmen.yaml").open("a", encoding="utf-8") as f:
        f.write("\nerreichbarkeit:\n  schwelle: '45 min'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "thm_lib.run.cli", "zusammenfassung", str(mappe)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.startswith("Fehler in den Eingabedaten:")
    assert (
        "annahmen.yaml, Schlüssel 'erreichbarkeit.schwelle': muss eine Zahl sein "
        "(Dezimalpunkt, z. B. 0.5) (Wert: '45 min'). Erlaubt: eine Zahl größer als 0. "
        "Standard: 45. Bitte in annahmen.yaml korrigieren"
    ) in proc.stderr


def _fresh(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_settings_need_no_computation_module_and_suppression_no_file() -> None:
    """config imports neither staffing nor funding (no cycle hidden in a function);
    suppression takes its default from the model, without the file loader."""
    assert (
        _fresh(
            "import sys, thm_lib.core.config\n"
            "print(sorted(m for m in sys.modules\n"
            "             if m in ('thm_lib.analysis.staffing', 'thm_lib.analysis.funding')))"
        )
        == "[]"
    )
    assert (
        _fresh(
            "import sys, thm_lib.disclosure.suppression as s\n"
            "print(s.default_threshold(), s.default_symbol(), 'thm_lib.core.config' in sys.modules)"
        )
        == "5 . False"
    )


# --------------------------------------------------------------------------- property


def _leaves(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out += _leaves(value, (*prefix, key))
        out.append((*prefix, key))
    return out


LEAVES = _leaves(Annahmen().model_dump())
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.dates(),
    st.lists(st.one_of(st.integers(-50, 200), st.text(max_size=4)), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(-5, 5), max_size=3),
)


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path):
        value = {key: value}
    return value


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.one_of(st.sampled_from(LEAVES), st.just(("stellen", "tippfehler"))), WRONG),
        min_size=1,
        max_size=3,
    )
)
def test_any_wrong_value_gives_only_the_project_error(changes) -> None:
    """Whatever a user writes, loading gives a checked model or a German DataError."""
    override: dict[str, Any] = {}
    for path, value in changes:
        override = merge(override, _nest(path, value))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "annahmen.yaml"
        path.write_text(yaml.safe_dump(override, allow_unicode=True), encoding="utf-8")
        try:
            a = load_annahmen(path)
        except DataError as err:
            sections = {p[0] for p, _ in changes}
            for problem in err.problems:
                assert problem.datei == "annahmen.yaml"
                assert problem.spalte is not None and problem.meldung
                # the key named is in a section that was changed (cross-checks stay inside
                # a section, except the Handlungsfelder that need a standard rate)
                top = problem.spalte.split(".")[0]
                assert top in sections or (top == "bedarf" and "handlungsfelder" in sections)
                assert "Bitte in annahmen.yaml korrigieren" in problem.hinweis
            return
    # accepted: the model is complete and validates again unchanged
    assert validate_annahmen(a.model_dump()) == a
    assert a.datenschutz.schwelle >= 1 and 2 <= a.karten.klassen <= 9


# --------------------------------------------------------------------------- age groups


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
    assert a.zielgruppe.altersgruppen == [[16, 20], [21, 30]]
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
    ann = default_annahmen().mit({"zielgruppe": {"altersgruppen": groups}})
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


@pytest.mark.parametrize(
    ("text", "key", "zeilen"),
    [
        # a line copied and changed, the old one left: YAML would take 2020 without a word
        ("kreis:\n  stichtag: 2021-12-31\n  stichtag: 2020-12-31\n", "kreis.stichtag", (2, 3)),
        ("kreis:\n  name: A\nstellen: {}\nkreis:\n  ags: '05554'\n", "kreis", (1, 4)),
        ("bedarf:\n  standardquoten:\n    Sprache: 0.5\n    Sprache: 0.4\n", None, (3, 4)),
    ],
)
def test_a_key_given_twice_is_an_error_naming_both_lines(
    tmp_path: Path, text: str, key: str | None, zeilen: tuple[int, int]
) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, text)
    (problem,) = err.value.problems
    assert problem.datei == "annahmen.yaml"
    assert problem.spalte == (key or "bedarf.standardquoten.Sprache")
    assert problem.meldung == f"Schlüssel steht zweimal (Zeilen {zeilen[0]} und {zeilen[1]})"
    assert problem.zeile == zeilen[1]


def test_the_same_key_in_two_mappings_is_no_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "zuordnung.yaml"
    path.write_text("a:\n  x: 1\nb:\n  x: 2\nc: [{x: 3}, {x: 4}]\n", encoding="utf-8")
    assert read_yaml(path) == {"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]}


@pytest.mark.parametrize(
    ("text", "zeile", "meldung", "inhalt"),
    [
        # what a hand edit does to the file: the line named is the one to correct
        ("kreis:\n\tname: A\n", 2, "Tabulatorzeichen in der Zeile", "name: A"),
        (
            "kreis:\n  name: A\n  stellen_bestand 2\n",
            3,
            "Doppelpunkt nach dem Schlüssel fehlt",
            "stellen_bestand 2",
        ),
        (
            "karten:\n  quellenangabe: Gebiete: x\n",
            2,
            "Doppelpunkt an unerwarteter Stelle",
            "quellenangabe: Gebiete: x",
        ),
        ("kreis:\n  name: A\n   ags: '05899'\n", 3, "Doppelpunkt an unerwarteter Stelle", None),
        ('kreis:\n  name: "A\n  ags: 1\n', 2, "Anführungszeichen nicht geschlossen", 'name: "A'),
        (
            "kreis:\n  name: A\n ags: '05899'\n",
            3,
            "Einrückung passt nicht zu den Zeilen davor",
            None,
        ),
    ],
)
def test_a_syntax_error_names_the_line_to_correct_and_what_is_wrong(
    tmp_path: Path, text: str, zeile: int, meldung: str, inhalt: str | None
) -> None:
    with pytest.raises(DataError) as err:
        _load(tmp_path, text)
    (problem,) = err.value.problems
    assert (problem.datei, problem.zeile) == ("annahmen.yaml", zeile)
    assert problem.meldung == f"YAML-Syntaxfehler: {meldung}"
    assert problem.wert == (inhalt or text.splitlines()[zeile - 1].strip())
    assert problem.hinweis.startswith("Bitte ")
