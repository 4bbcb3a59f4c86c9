"""The Differenzprüfung (thm_lib.run.differenzpruefung): hidden persons moved, nothing
published may change.

The hand-made Kreis of ``test_versorgung_veroeffentlicht`` (see there): shown Altstadt and
Neustadt (with the three Sprache offers); hidden Kleinbach, Nachbar (in reach of
Neustadt's offers), Heide and Moor. Here Nachbar and Heide hold 2 Geduldete each, so a
move of one between them keeps both "<5".
"""

from __future__ import annotations

import csv
import functools
import shutil
from pathlib import Path

import pandas as pd
import pytest
from arbeitsmappen import ArbeitsmappeSpec, Ort, OrtAngebot, ort_ags, schreibe, schreibe_orte
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from thm_lib.analysis import coverage, target_group
from thm_lib.core.paths import PRUEFUNG, SAMPLE
from thm_lib.disclosure import versorgung
from thm_lib.disclosure.publication import Publication
from thm_lib.ingest import arbeitsmappe
from thm_lib.ingest.synthetic import KOPF_BEDARFE, KOPF_FAELLE, schreibe_csv
from thm_lib.publish import views
from thm_lib.run import differenzpruefung as dp
from thm_lib.run.batch import intern_ordner, run_batch
from thm_lib.run.cli import main

ALTSTADT, KLEINBACH, NEUSTADT, NACHBAR, HEIDE, MOOR = (ort_ags(i) for i in range(6))


def _orte(nachbar: int = 2, heide: int = 2) -> list[Ort]:
    return [
        Ort("Altstadt", 0, (("duldung", 20, "m", 30), ("gestattung", 22, "w", 17))),
        Ort("Kleinbach", 1, (("duldung", 21, "m", 1), ("gestattung", 22, "w", 2))),
        Ort("Neustadt", 10, (("duldung", 20, "w", 25), ("gestattung", 24, "m", 25))),
        Ort("Nachbar", 11, (("duldung", 23, "w", nachbar),)),
        Ort("Heide", 21, (("duldung", 23, "w", heide),)),
        Ort("Moor", 22, (("gestattung", 22, "w", 2),)),
    ]


ANGEBOTE = [
    OrtAngebot("Kurs A", "Sprache", 8, 2),
    OrtAngebot("Kurs B", "Sprache", 11, 2),
    OrtAngebot("Kurs C", "Sprache", 30, 2),
]
ANNAHMEN = "erreichbarkeit:\n  einheit: km\n  schwelle: 10\n"


@pytest.fixture(scope="module")
def mappe(tmp_path_factory) -> Path:
    return schreibe_orte(tmp_path_factory.mktemp("differenz"), _orte(), ANGEBOTE, ANNAHMEN)


@pytest.fixture(scope="module")
def kreis(mappe):
    return arbeitsmappe.load_workspace(mappe)


def _personen(ws, ags: str) -> float:
    zg = ws.zielgruppe
    return float(zg.loc[zg["ags"].astype(str) == ags, "anzahl"].sum())


def test_a_move_takes_one_person_from_one_gemeinde_to_the_other(kreis) -> None:
    v = dp.Verschiebung(NACHBAR, HEIDE, "duldung", 23, "w")
    vorher = kreis.zielgruppe.copy()
    anders = dp.verschieben(kreis, v)
    assert (_personen(anders, NACHBAR), _personen(anders, HEIDE)) == (1, 3)
    assert anders.zielgruppe["anzahl"].sum() == vorher["anzahl"].sum()
    # to a Gemeinde without such a row: a new row with one person
    anders = dp.verschieben(kreis, dp.Verschiebung(NACHBAR, MOOR, "duldung", 23, "w"))
    assert (_personen(anders, NACHBAR), _personen(anders, MOOR)) == (1, 3)
    assert v.text({NACHBAR: "Nachbar", HEIDE: "Heide"}) == (
        "1 Person (duldung, 23 Jahre, w) von Nachbar nach Heide"
    )
    assert kreis.zielgruppe.equals(vorher)  # the user's data stays as it was


def test_an_exchange_keeps_every_gemeinde_s_number_of_persons(kreis) -> None:
    t = dp.Tausch(
        dp.Verschiebung(KLEINBACH, NACHBAR, "duldung", 21, "m"),
        dp.Verschiebung(NACHBAR, KLEINBACH, "duldung", 23, "w"),
    )
    anders = dp.verschieben(kreis, t)
    for ags in (KLEINBACH, NACHBAR):
        assert _personen(anders, ags) == _personen(kreis, ags)
    zg = anders.zielgruppe
    nachbar = zg[zg["ags"] == NACHBAR].set_index(["alter", "geschlecht"])["anzahl"]
    assert nachbar.to_dict() == {(23, "w"): 1, (21, "m"): 1}
    assert t.text({KLEINBACH: "Kleinbach", NACHBAR: "Nachbar"}) == (
        "1 Person (duldung, 21 Jahre, m) von Kleinbach nach Nachbar und "
        "1 Person (duldung, 23 Jahre, w) von Nachbar nach Kleinbach"
    )


def test_a_gemeinde_whose_counts_stop_earlier_changes_its_last_count(mappe, tmp_path) -> None:
    # Heide counted only on 31.12.2020: the analysis of 31.12.2021 uses that count
    # (target_group.stichtag_je_gemeinde), so the move changes it, not a new 2021 row
    ordner = tmp_path / "mappe"
    shutil.copytree(mappe, ordner)
    pfad = ordner / "zielgruppe.csv"
    with pfad.open(encoding="utf-8-sig", newline="") as f:
        zeilen = list(csv.reader(f, delimiter=";"))
    for z in zeilen[1:]:
        if z[0] == HEIDE:
            z[1] = "31.12.2020"
    with pfad.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows(zeilen)
    ws = arbeitsmappe.load_workspace(ordner)
    assert ws.stichtag == pd.Timestamp("2021-12-31")
    assert any(
        HEIDE in {k.von, k.nach} for k in dp.kandidaten(ws) if isinstance(k, dp.Verschiebung)
    )
    anders = dp.verschieben(ws, dp.Verschiebung(NACHBAR, HEIDE, "duldung", 23, "w"))
    heide = anders.zielgruppe[anders.zielgruppe["ags"] == HEIDE]
    assert heide["stichtag"].tolist() == [pd.Timestamp("2020-12-31")]
    assert heide["anzahl"].tolist() == [3]
    # the same published counts (the Verlauf too), the same published figures
    assert dp.zaehlungen(anders) == dp.zaehlungen(ws)
    modell = functools.partial(dp.modellwerte, standort_p=(2,), standort_felder=("Sprache",))
    assert modell(anders) == modell(ws)


def _schritte(k: dp.Aenderung) -> list[dp.Verschiebung]:
    return [k.hin, k.zurueck] if isinstance(k, dp.Tausch) else [k]


def test_candidates_are_hidden_in_both_gemeinden(kreis) -> None:
    kandidaten = list(dp.kandidaten(kreis))
    verborgen = {KLEINBACH, NACHBAR, HEIDE, MOOR}
    assert kandidaten
    schritte = [v for k in kandidaten for v in _schritte(k)]
    # between hidden Gemeinden, or an exchange of age bands or sexes with a shown one
    # whose cell becomes or was small (Altstadt's 30 Geduldete aged 20 against one aged 21)
    band = functools.partial(target_group.band_of_age, annahmen=kreis.annahmen)
    for k in kandidaten:
        if isinstance(k, dp.Verschiebung):
            assert {k.von, k.nach} <= verborgen, k
        elif not {k.hin.von, k.hin.nach} <= verborgen:
            assert k.hin.von in {ALTSTADT, NEUSTADT} and k.hin.nach in verborgen, k
            assert k.hin.status == k.zurueck.status
            zellen = [
                (band(pd.Series([v.alter])).iloc[0], v.geschlecht) for v in (k.hin, k.zurueck)
            ]
            assert zellen[0] != zellen[1], k
    assert any(
        isinstance(k, dp.Tausch) and k.hin.von == ALTSTADT and k.hin.nach == KLEINBACH
        for k in kandidaten
    )
    # each of the persons exists where it is taken from
    zg = kreis.zielgruppe
    for v in schritte:
        row = zg[(zg["ags"] == v.von) & (zg["status"] == v.status) & (zg["alter"] == v.alter)]
        assert row["anzahl"].sum() >= 1
    # Nachbar's Geduldete may go to Heide and the other way round
    paare = {(k.von, k.nach, k.status) for k in kandidaten if isinstance(k, dp.Verschiebung)}
    assert {(NACHBAR, HEIDE, "duldung"), (HEIDE, NACHBAR, "duldung")} <= paare
    # an exchange across statuses needs all four status cells hidden: Nachbar shows
    # 0 persons with Gestattung, so none between Nachbar and Moor
    for k in kandidaten:
        if isinstance(k, dp.Tausch) and k.hin.status != k.zurueck.status:
            assert {k.hin.von, k.hin.nach} <= {KLEINBACH, MOOR}
    assert any(isinstance(k, dp.Tausch) for k in kandidaten)
    # the same seed gives the same order
    assert list(dp.kandidaten(kreis, seed=0)) == kandidaten


def test_the_published_figures_of_the_kreis_pass(kreis) -> None:
    ergebnis = dp.pruefen(kreis, anzahl=2)
    assert ergebnis.ok, ergebnis.zusammenfassung()
    assert len(ergebnis.geprueft) == 2
    assert ergebnis.werte > 500  # tables, maps, apps and six site plans
    assert "Ergebnis: bestanden" in ergebnis.zusammenfassung()


def _internes_modell(ws) -> dp.Werte:
    """The coverage of the shown Gemeinden on the TRUE target group (the leak of old)."""
    res = coverage.analyse(ws, ["Sprache"])
    gezeigt = res.gemeinden[~views.versorgung_gesperrt(ws, res).to_numpy()]
    return dp.flach(gezeigt[["name", "versorgungsgrad"]].reset_index(drop=True), "intern")


def test_the_check_finds_a_coverage_that_follows_a_hidden_neighbour(kreis) -> None:
    # Neustadt's internal Versorgungsgrad is 49 / (24 + 0.48 n) for n Geduldete in
    # Nachbar: 49 / 24.96 = 196.3 % for n = 2, 49 / 24.48 = 200.2 % for n = 1
    ergebnis = dp.pruefen(kreis, anzahl=20, versuche=50, modell=_internes_modell)
    assert not ergebnis.ok
    von_nachbar = [b for b in ergebnis.befunde if "von Nachbar nach" in b]
    assert von_nachbar, ergebnis.zusammenfassung()
    assert "versorgungsgrad: 196.3141026 → 200.1633987" in von_nachbar[0]
    # moves that do not touch Nachbar change no internal figure of a shown Gemeinde
    assert all("Nachbar" in b for b in ergebnis.befunde)
    assert "NICHT bestanden" in ergebnis.zusammenfassung()
    # in two processes (thm pruefen, the batch's gate): the same changes, the same findings
    zwei = dp.pruefen(kreis, anzahl=20, versuche=50, modell=_internes_modell, prozesse=2)
    assert (zwei.geprueft, zwei.befunde, zwei.werte) == (
        ergebnis.geprueft,
        ergebnis.befunde,
        ergebnis.werte,
    )


def test_one_gemeinde_has_nothing_to_move(tmp_path) -> None:
    stadt = [Ort("Stadt", 0, (("duldung", 20, "m", 30), ("gestattung", 22, "w", 17)))]
    ws = arbeitsmappe.load_workspace(
        schreibe_orte(tmp_path, stadt, [OrtAngebot("Kurs", "Sprache", 8, 0)])
    )
    ergebnis = dp.pruefen(ws)
    assert ergebnis.ok
    assert ergebnis.geprueft == []
    assert "nicht anwendbar" in ergebnis.zusammenfassung()


def test_cli_pruefen_reports_the_check(mappe, tmp_path) -> None:
    # an empty run folder: the audit has nothing to read, the check still runs on the
    # Arbeitsmappe
    (tmp_path / "lauf").mkdir()
    res = CliRunner().invoke(main, ["pruefen", str(tmp_path / "lauf"), str(mappe)])
    assert res.exit_code == 0, res.output
    # default: 3 changes of persons (one of each kind), 1 of needs (this Kreis has no
    # case documentation)
    assert "Differenzprüfung: 3 ununterscheidbare Änderungen (3 Verschiebungen" in res.output
    assert "0 Tausche dokumentierter Bedarfe" in res.output
    assert "kein veröffentlichter Wert hängt davon ab" in res.output
    res = CliRunner().invoke(
        main,
        ["pruefen", str(tmp_path / "lauf"), str(mappe), "--verschiebungen", "0"]
        + ["--fruehere", "0", "--bedarfstausche", "0", "--fallverschiebungen", "0"],
    )
    assert res.exit_code == 0, res.output
    assert "Differenzprüfung" not in res.output


@st.composite
def kleine_kreise(draw: st.DrawFn) -> tuple[list[Ort], list[OrtAngebot]]:
    """1–3 large Gemeinden (shown) and 2–3 small ones with Geduldete of two ages each
    (hidden; the ages differ between them, so two small ones can always exchange a
    person), on a row with gaps; 1–4 offers of two Handlungsfelder."""
    gross = draw(st.integers(1, 3))
    klein = draw(st.integers(2, 3))
    spalten = draw(
        st.lists(st.integers(0, 10), min_size=gross + klein, max_size=gross + klein, unique=True)
    )
    zelle = st.tuples(
        st.sampled_from(["duldung", "gestattung"]),
        st.integers(18, 27),
        st.sampled_from(["m", "w"]),
        st.integers(5, 30),
    )
    orte = [
        Ort(
            f"Groß {i}",
            spalten[i],
            tuple(draw(st.lists(zelle, min_size=1, max_size=3, unique_by=lambda z: z[:3]))),
        )
        for i in range(gross)
    ]
    for j in range(klein):
        n = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
        g = draw(st.sampled_from(["m", "w"]))
        personen = (("duldung", 18 + 3 * j, g, n[0]), ("duldung", 19 + 3 * j, g, n[1]))
        orte.append(Ort(f"Klein {j}", spalten[gross + j], personen))
    angebot = st.tuples(
        st.sampled_from(["Sprache", "Schulabschluss"]),
        st.integers(1, 30),
        st.integers(0, gross + klein - 1),
    )
    angebote = [
        OrtAngebot(f"Kurs {k}", feld, plaetze, ort)
        for k, (feld, plaetze, ort) in enumerate(draw(st.lists(angebot, min_size=1, max_size=4)))
    ]
    return orte, angebote


#: Found by this test unseeded (round 2, session 50): Groß 0 and Groß 1 have the same unmet
#: need for Schulabschluss, 8.4. Swapping a hidden 22-year-old of Klein 1 for one of Groß 0's
#: 24-year-olds (same age band, same rate) summed Groß 0's need as 8.399999999999999, and the
#: two planned offers changed their numbers ("Geplantes Angebot Schulabschluss 1 (Groß 0)"
#: became "... 1 (Groß 1)"): the plan followed the order of a hidden sum's last bits.
ZWEI_GLEICH_GROSSE = (
    [
        Ort("Groß 0", 7, (("duldung", 24, "w", 30),)),
        Ort("Groß 1", 2, (("duldung", 19, "m", 30),)),
        Ort("Groß 2", 0, (("duldung", 24, "w", 29),)),
        Ort("Klein 0", 1, (("duldung", 18, "w", 1), ("duldung", 19, "w", 1))),
        Ort("Klein 1", 4, (("duldung", 21, "m", 2), ("duldung", 22, "m", 2))),
    ],
    [
        OrtAngebot("Kurs 0", "Schulabschluss", 25, 2),
        OrtAngebot("Kurs 1", "Sprache", 13, 0),
        OrtAngebot("Kurs 2", "Sprache", 20, 2),
        OrtAngebot("Kurs 3", "Sprache", 29, 4),
    ],
)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kreis=kleine_kreise())
@example(kreis=ZWEI_GLEICH_GROSSE)
def test_random_small_kreise_pass_the_check(tmp_path_factory, kreis) -> None:
    # every published figure (Standortplanung of the two fields with offers, 2 sites)
    # stays when hidden persons move; each Kreis has at least one such change
    orte, angebote = kreis
    ws = arbeitsmappe.load_workspace(
        schreibe_orte(tmp_path_factory.mktemp("zufall"), orte, angebote, ANNAHMEN)
    )
    modell = functools.partial(
        dp.modellwerte, standort_p=(2,), standort_felder=("Sprache", "Schulabschluss")
    )
    ergebnis = dp.pruefen(ws, anzahl=2, versuche=10, modell=modell)
    assert ergebnis.geprueft, ergebnis.zusammenfassung()
    assert ergebnis.ok, ergebnis.zusammenfassung()


def _mappe_mit_kurs_bis_25(tmp_path: Path) -> Path:
    """No case records (every rate the Standardquote, equal for all ages); the one Sprache
    course is for 18 to 25. Altstadt holds 2 Geduldete aged 26, Dorf 3; Heide and Moor
    2 each aged 23 (hidden)."""
    orte = [
        Ort("Altstadt", 0, (("duldung", 20, "m", 30), ("duldung", 26, "m", 2))),
        Ort("Neustadt", 1, (("duldung", 20, "w", 25), ("duldung", 22, "m", 25))),
        Ort("Dorf", 2, (("duldung", 20, "m", 20), ("duldung", 26, "m", 3))),
        Ort("Heide", 21, (("duldung", 23, "m", 2),)),
        Ort("Moor", 22, (("duldung", 23, "m", 2),)),
    ]
    kurs = [OrtAngebot("Kurs", "Sprache", 20, 0, alter_min=18, alter_max=25)]
    return schreibe_orte(tmp_path, orte, kurs, ANNAHMEN)


def _kreis_mit_kurs_bis_25(tmp_path: Path):
    return arbeitsmappe.load_workspace(_mappe_mit_kurs_bis_25(tmp_path))


def test_an_age_band_exchange_finds_the_rule_without_offers_ages(tmp_path, monkeypatch) -> None:
    # The rule before round 2, session 11 saw only rates that differ by age: switched
    # back to it, Altstadt stays shown in Sprache, and its Versorgungsgrad follows its
    # 2 persons aged 26 (the course counts the band 25-27 by a third): one of them
    # exchanged against a 23-year-old of Heide changes it, every count staying the same
    ws = _kreis_mit_kurs_bis_25(tmp_path)
    modell = functools.partial(dp.modellwerte, standort_p=(1,), standort_felder=("Sprache",))
    with monkeypatch.context() as m:
        m.setattr(
            Publication, "_alter_getrennt", lambda self, felder: dict.fromkeys(self.status, False)
        )
        alt = dp.pruefen(ws, anzahl=12, versuche=60, modell=modell)
    assert not alt.ok, alt.zusammenfassung()
    assert any("von Altstadt nach" in b and "versorgungsgrad" in b.lower() for b in alt.befunde), (
        alt.befunde
    )
    # with the rule (an offer open to some bands more than others reveals them) the same
    # exchanges change a hiding pattern (dropped) or no published figure
    ws = _kreis_mit_kurs_bis_25(tmp_path / "neu")
    neu = dp.pruefen(ws, anzahl=12, versuche=60, modell=modell)
    assert neu.ok, neu.zusammenfassung()


def _kreis_mit_quoten_je_geschlecht(tmp_path: Path):
    """Sprache rates by sex (documented cases, aged 20: 12 of 20 women and 6 of 20 men
    need Sprache). Altstadt holds 30 men and 2 women aged 20; Heide, Moor, Dorf and Feld
    hold 1 to 4 persons each (hidden), 6 men and 6 women together."""
    orte = [
        Ort("Altstadt", 0, (("duldung", 20, "m", 30), ("duldung", 20, "w", 2))),
        Ort("Neustadt", 1, (("duldung", 20, "w", 25), ("duldung", 20, "m", 25))),
        Ort("Heide", 21, (("duldung", 20, "m", 2), ("duldung", 20, "w", 2))),
        Ort("Moor", 22, (("duldung", 20, "m", 3), ("duldung", 20, "w", 1))),
        Ort("Dorf", 23, (("duldung", 20, "m", 1), ("duldung", 20, "w", 2))),
        Ort("Feld", 24, (("duldung", 20, "w", 1),)),
    ]
    mindestfaelle = "bedarf:\n  mindestfaelle: 10\n"
    mappe = schreibe_orte(
        tmp_path, orte, [OrtAngebot("Kurs", "Sprache", 20, 0)], ANNAHMEN + mindestfaelle
    )
    faelle, bedarfe = [], []
    for sex, mit_bedarf in (("w", 12), ("m", 6)):
        for k in range(20):
            fall = f"TM-{sex}{k:03d}"
            faelle.append([fall, ort_ags(1), 20, "duldung", sex, "ja", "01.03.2021", "", ""])
            bedarfe += [[fall, "Sprache", "passend"]] if k < mit_bedarf else []
    schreibe_csv(mappe / "faelle.csv", KOPF_FAELLE, faelle)
    schreibe_csv(mappe / "bedarfe.csv", KOPF_BEDARFE, bedarfe)
    return arbeitsmappe.load_workspace(mappe)


def test_a_sex_exchange_finds_a_rule_that_ignores_sex(tmp_path, monkeypatch) -> None:
    # rule (b) with the sexes left out (switched off here): Altstadt is shown, though its
    # 2 women aged 20 have another rate than its men; a woman of Altstadt exchanged
    # against a man of a hidden Gemeinde changes its published figures
    ws = _kreis_mit_quoten_je_geschlecht(tmp_path)
    q = versorgung.modellquoten(ws)
    sprache = q[
        (q["handlungsfeld"] == "Sprache")
        & (q["status"] == "duldung")
        & (q["altersgruppe"] == "18-20")
    ]
    assert sprache.set_index("geschlecht").loc[["m", "w"], "quote"].tolist() == [0.3, 0.6]
    modell = functools.partial(dp.modellwerte, standort_p=(1,), standort_felder=("Sprache",))
    regel = Publication._revealed_keys

    def ohne_geschlecht(self, quoten):
        return {s: [k for k in ks if k != "geschlecht"] for s, ks in regel(self, quoten).items()}

    with monkeypatch.context() as m:
        m.setattr(Publication, "_revealed_keys", ohne_geschlecht)
        assert ort_ags(0) in versorgung.eigene_struktur(ws, ["Sprache"])
        alt = dp.pruefen(ws, anzahl=12, versuche=60, modell=modell)
    assert not alt.ok, alt.zusammenfassung()
    assert any(
        "von Altstadt nach" in b
        and "Jahre, m)" in b
        and "Jahre, w)" in b
        and "versorgungsgrad" in b.lower()
        for b in alt.befunde
    ), alt.befunde
    # with the rule, Altstadt's small cell keeps its own persons per sex out of the model
    # (since session 24 it is shown with the Kreis's age structure and sexes instead of
    # hidden), and the same exchanges pass
    ws = _kreis_mit_quoten_je_geschlecht(tmp_path / "neu")
    assert ort_ags(0) not in versorgung.eigene_struktur(ws, ["Sprache"])
    assert ort_ags(0) in versorgung.gezeigte_gemeinden(ws, ["Sprache"])
    neu = dp.pruefen(ws, anzahl=12, versuche=60, modell=modell)
    assert neu.ok, neu.zusammenfassung()


def test_the_cells_a_shown_gemeinde_reveals_count_as_published(tmp_path) -> None:
    # Neustadt is shown; its Sprache rates differ by sex, so its figures follow its
    # persons per Altersgruppe and Geschlecht (25 and 25, both at least the threshold)
    ws = _kreis_mit_quoten_je_geschlecht(tmp_path)
    zellen = versorgung.gezeigte_zellen(ws, ["Sprache"])
    neustadt = ort_ags(1)
    assert zellen.to_dict() == {
        f"{neustadt}|duldung|18-20|m": 25.0,
        f"{neustadt}|duldung|18-20|w": 25.0,
    }
    # an exchange that changes them shows in the published figures legitimately: it is
    # not "indistinguishable", the Differenzprüfung leaves it out
    tausch = dp.Tausch(
        dp.Verschiebung(neustadt, ort_ags(2), "duldung", 20, "w"),
        dp.Verschiebung(ort_ags(2), neustadt, "duldung", 20, "m"),
    )
    vorher, nachher = dp.zaehlungen(ws), dp.zaehlungen(dp.verschieben(ws, tausch))
    geaendert = sorted(k for k in vorher.keys() | nachher.keys() if vorher.get(k) != nachher.get(k))
    assert f"zaehlung/gezeigte_zellen_Sprache/{neustadt}|duldung|18-20|w" in geaendert
    assert not any("zielgruppe" in k for k in geaendert), geaendert


def test_the_batch_gate_holds_a_differenz_finding(tmp_path, monkeypatch) -> None:
    # `thm batch --differenzpruefung`: the same Kreis under the old rule (patched in this
    # process, which computes the Kreis and runs the gate; with --jobs 1 its Differenzprüfung
    # runs here too) is audited, then held by the Differenzprüfung; under today's rule it
    # is published
    with monkeypatch.context() as m:
        m.setattr(
            Publication, "_alter_getrennt", lambda self, felder: dict.fromkeys(self.status, False)
        )
        mappe = _mappe_mit_kurs_bis_25(tmp_path / "alt")
        alt = run_batch(mappe, tmp_path / "r1", jobs=1, progress=False, differenz=True)
    assert not alt.veroeffentlicht
    assert not (alt.kreis_dir / "index.html").exists()
    befunde = (intern_ordner(alt.kreis_dir) / PRUEFUNG).read_text(encoding="utf-8")
    assert "NICHT bestanden" in befunde
    assert "Differenzprüfung: 1 Person" in befunde and "von Altstadt nach" in befunde
    # today's rule, through the command: published, and the console says what was checked
    mappe = _mappe_mit_kurs_bis_25(tmp_path / "neu")
    ausgabe = tmp_path / "neu" / "reports"
    args = ["batch", str(mappe), "--ausgabe", str(ausgabe), "--jobs", "1", "--ohne-fortschritt"]
    res = CliRunner().invoke(main, [*args, "--differenzpruefung"])
    assert res.exit_code == 0, res.output
    assert "Fertig: 6 von 6 Berichten erstellt." in res.output
    zeile = next(z for z in res.output.splitlines() if z.startswith("Differenzprüfung: "))
    assert "ununterscheidbare Änderungen" in zeile
    assert "Ergebnis: bestanden" in zeile
    assert len(list(ausgabe.glob("*/index.html"))) == 1


def test_a_land_run_says_what_the_differenzpruefung_found_per_kreis(tmp_path) -> None:
    # a Land folder (one Arbeitsmappe per Kreis): the console names each Kreis's result,
    # so "nicht anwendbar" is not mistaken for a pass
    _mappe_mit_kurs_bis_25(tmp_path / "land" / "handkreis")
    ausgabe = tmp_path / "reports"
    args = ["batch", str(tmp_path / "land"), "--ausgabe", str(ausgabe), "--jobs", "1"]
    res = CliRunner().invoke(main, [*args, "--ohne-fortschritt", "--differenzpruefung"])
    assert res.exit_code == 0, res.output
    assert "Fertig: 1 von 1 Kreisen veröffentlicht." in res.output
    zeile = next(z for z in res.output.splitlines() if "Differenzprüfung: " in z)
    assert zeile.startswith("Handkreis: Differenzprüfung: ")
    assert "Ergebnis: bestanden" in zeile


# --------------------------------------------------------------------------- earlier Stichtage


@pytest.fixture(scope="module")
def muster():
    """The sample Kreis: counts of 2019, 2020 and 2021, the Erstantrag counted in 2019."""
    return arbeitsmappe.load_workspace(SAMPLE)


def _je_stichtag(ws, ags: str) -> dict[pd.Timestamp, float]:
    zg = ws.zielgruppe
    return zg[zg["ags"].astype(str) == ags].groupby("stichtag")["anzahl"].sum().to_dict()


def test_an_earlier_move_changes_that_stichtag_only(muster) -> None:
    v = next(dp.frueher_kandidaten(muster))
    assert v.stichtag < muster.stichtag
    vorher = muster.zielgruppe.copy()
    anders = dp.verschieben(muster, v)
    for ags, schritt in ((v.von, -1), (v.nach, 1)):
        alt, neu = _je_stichtag(muster, ags), _je_stichtag(anders, ags)
        assert {t: neu[t] - alt[t] for t in alt} == {
            t: (schritt if t == v.stichtag else 0) for t in alt
        }
    assert v.text({}).endswith(f"am {v.stichtag:%d.%m.%Y}")
    assert muster.zielgruppe.equals(vorher)  # the user's data stays as it was


def test_earlier_candidates_are_hidden_that_day_in_both_gemeinden(muster) -> None:
    kandidaten = list(dp.frueher_kandidaten(muster))
    assert {v.stichtag for v in kandidaten} == {
        pd.Timestamp("2019-12-31"),
        pd.Timestamp("2020-12-31"),
    }
    namen = dict(zip(muster.gebiete["ags"], muster.gebiete["name"], strict=True))
    for v in kandidaten:
        maske = views.zielgruppe_je_gemeinde(muster, stichtag=v.stichtag).mask
        for ags in (v.von, v.nach):
            assert maske.loc[namen[ags], [v.status, "gesamt"]].all()


def _fruehere_zahlen(ws) -> dict[str, float]:
    """A model that forgets to hide: every Gemeinde's count of each earlier Stichtag."""
    zg = ws.zielgruppe
    frueher = zg[pd.to_datetime(zg["stichtag"]) < ws.stichtag]
    summen = frueher.groupby([frueher["ags"].astype(str), "stichtag"])["anzahl"].sum()
    return {f"{a}|{t:%Y}": float(n) for (a, t), n in summen.items()}


def test_an_earlier_move_finds_a_model_that_shows_earlier_hidden_counts(muster) -> None:
    nur_frueher = dp.pruefen(
        muster, 0, frueher=1, bedarfstausche=0, fallverschiebungen=0, modell=_fruehere_zahlen
    )
    assert not nur_frueher.ok
    assert " am 31.12.20" in nur_frueher.befunde[0]
    assert "1 an früheren Stichtagen" in nur_frueher.zusammenfassung()
    # moves at each Gemeinde's own Stichtag (2021) cannot see these counts
    nur_jetzt = dp.pruefen(
        muster, 1, frueher=0, bedarfstausche=0, fallverschiebungen=0, modell=_fruehere_zahlen
    )
    assert nur_jetzt.ok and len(nur_jetzt.geprueft) == 1


# Found by the search (tests/suche_kreise.py, seed 2801, target group 16-25, the fourth
# Kreis drawn): three shown Gemeinden without persons were modelled with the Kreis's age
# structure or with their own depending on the age bands of a hidden Gemeinde (the rule
# that keeps the remainder of the Kreis structure from being small dropped them first);
# an exchange of two persons between a hidden and a shown Gemeinde flipped their
# "Kreisstruktur" flag in the Übersicht's data (session 28)
GEFUNDEN_2801 = ArbeitsmappeSpec(
    seed=263194,
    n_gemeinden=10,
    kreisfrei=False,
    mit_faellen=False,
    mit_einwohner=True,
    mit_kommunen=True,
    stichtage=("31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(1, 2, 2, 0, 2, 2, 1, 2, 0, 2),
    ohne_angebote=frozenset({0, 2, 5, 7, 9}),
    zielgruppe_null=frozenset(),
    n_angebote=18,
    n_faelle=21,
    stichtag_konfiguriert=True,
    klein=frozenset({0, 9}),
    nachbar_angebote=1,
    zielgruppe_alter=(16, 25),
    kreis_nr=3,
)


def test_a_shown_gemeinde_without_persons_keeps_its_model_whatever_a_hidden_one_holds(
    tmp_path,
) -> None:
    ws = arbeitsmappe.load_workspace(schreibe(GEFUNDEN_2801, tmp_path / "mappe"))
    ags = {str(n): str(a) for a, n in zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True)}
    tausch = dp.Tausch(
        dp.Verschiebung(ags["Gemeinde 8"], ags["Gemeinde 5"], "gestattung", 17, "m"),
        dp.Verschiebung(ags["Gemeinde 5"], ags["Gemeinde 8"], "gestattung", 24, "w"),
    )
    anders = dp.verschieben(ws, tausch)
    assert not dp._unterschiede(dp.zaehlungen(ws), dp.zaehlungen(anders))  # looks the same
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    personen = seg.groupby(seg["ags"].astype(str))["personen"].sum()
    ohne = {a for a in versorgung.gezeigte_gemeinden(ws) if personen.get(a, 0) == 0}
    assert len(ohne) == 3
    for felder in [None, *([f] for f in ws.handlungsfelder)]:
        eigene = versorgung.eigene_struktur(ws, felder)
        assert ohne <= eigene, felder  # their figures are 0 either way: no flag
        assert eigene == versorgung.eigene_struktur(anders, felder), felder
    modell = functools.partial(dp.modellwerte, standort_p=(1,), standort_felder=("Sprache",))
    geaendert = dp._unterschiede(modell(ws), modell(anders))
    assert geaendert == [], geaendert[:5]
