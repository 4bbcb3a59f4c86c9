"""Tests of thm_lib.analysis.staffing: FAQ rule (hand-computed), caseload and workload models."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from thm_lib.analysis.staffing import (
    REGEL_MINDEST,
    REGEL_SCHLUESSEL,
    REGEL_VOLL,
    faq_stellen,
    runde_stellen,
    stellenbemessung,
)
from thm_lib.core.config import default_annahmen
from thm_lib.core.errors import DataError
from thm_lib.core.programme import default_programm
from thm_lib.core.workspace import CRS_METRIC, Workspace

KREIS = "05999"
A1, A2 = "05999004", "05999008"


def make_ws(
    zielgruppe: list[tuple],
    kommunen: list[dict] | None = None,
    annahmen: dict | None = None,
    programm: dict | None = None,
) -> Workspace:
    """A Workspace from hand-made rows (ags, stichtag, status, alter_von, alter_bis, anzahl)."""
    zg = pd.DataFrame(
        zielgruppe, columns=["ags", "stichtag", "status", "alter_von", "alter_bis", "anzahl"]
    )
    zg["stichtag"] = pd.to_datetime(zg["stichtag"])
    zg["alter"] = zg["alter_von"].where(zg["alter_von"] == zg["alter_bis"]).astype("Int64")
    zg["geschlecht"] = "x"
    zg["anzahl"] = zg["anzahl"].astype("Int64")
    ags = sorted({r[0] for r in zielgruppe}) or [A1]
    gebiete = gpd.GeoDataFrame(
        {
            "ags": ags,
            "name": [f"Gemeinde {a[-3:]}" for a in ags],
            "einwohner": pd.array([1000] * len(ags), dtype="Int64"),
            "plz": [()] * len(ags),
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(len(ags))],
        crs=CRS_METRIC,
    )
    kom = pd.DataFrame({"ags": ags})
    kom["geschaeftsfuehrende_stelle"] = False
    kom["haushaltssicherung"] = False
    kom["stellen_bestand"] = np.nan
    kom["stichtag_erstantrag"] = pd.Series(pd.NaT, index=kom.index, dtype="datetime64[ns]")
    for row in kommunen or []:
        for key, value in row.items():
            if key != "ags":
                kom.loc[kom["ags"] == row["ags"], key] = (
                    pd.Timestamp(value) if key == "stichtag_erstantrag" else value
                )
    base = default_annahmen().mit({"kreis": {"name": "Testkreis"}})  # ags: from Gemeinden
    angebote = gpd.GeoDataFrame(
        {
            "angebot_id": pd.Series([], dtype=str),
            "ags": pd.Series([], dtype=str),
            "einzugsgebiet": pd.Series([], dtype=object),
        },
        geometry=[],
        crs=CRS_METRIC,
    )
    return Workspace(
        name="Testkreis",
        folder=Path("."),
        gebiete=gebiete,
        zielgruppe=zg,
        angebote=angebote,
        annahmen=base.mit(annahmen or {}),
        programm=programm or default_programm(),
        kommunen=kom,
    )


def geduldete(n: int, ags: str = A1, stichtag: str = "2019-12-31", alter: int = 20) -> tuple:
    return (ags, stichtag, "duldung", alter, alter, n)


def row(table: pd.DataFrame, ags: str) -> pd.Series:
    return table.set_index("ags").loc[ags]


REGEL = default_programm()["stellenregel"]

# persons -> (positions with GS, rule with GS, positions without GS, rule without GS)
FAQ_CASES = {
    0: (0.5, REGEL_MINDEST, 0.0, REGEL_SCHLUESSEL),
    1: (0.5, REGEL_MINDEST, 0.01, REGEL_SCHLUESSEL),
    49: (0.5, REGEL_MINDEST, 0.49, REGEL_SCHLUESSEL),
    50: (0.5, REGEL_SCHLUESSEL, 0.5, REGEL_SCHLUESSEL),
    74: (0.74, REGEL_SCHLUESSEL, 0.74, REGEL_SCHLUESSEL),
    75: (1.0, REGEL_VOLL, 1.0, REGEL_VOLL),
    99: (1.0, REGEL_VOLL, 1.0, REGEL_VOLL),
    100: (1.0, REGEL_SCHLUESSEL, 1.0, REGEL_SCHLUESSEL),
    101: (1.01, REGEL_SCHLUESSEL, 1.01, REGEL_SCHLUESSEL),
    150: (1.5, REGEL_SCHLUESSEL, 1.5, REGEL_SCHLUESSEL),
    850: (8.5, REGEL_SCHLUESSEL, 8.5, REGEL_SCHLUESSEL),
}


@pytest.mark.parametrize("gs", [True, False], ids=["mit_GS", "ohne_GS"])
@pytest.mark.parametrize("n", sorted(FAQ_CASES))
def test_faq_rule_boundaries(n, gs):
    stellen, regel = FAQ_CASES[n][:2] if gs else FAQ_CASES[n][2:]
    result = faq_stellen(n, REGEL, geschaeftsfuehrende_stelle=gs)
    assert result.stellen == pytest.approx(stellen, abs=1e-12)
    assert result.regel == regel
    assert result.stellen_rechnerisch == pytest.approx(n / 100)


@pytest.mark.parametrize("gs", [True, False], ids=["mit_GS", "ohne_GS"])
@pytest.mark.parametrize("n", [0, 49, 50, 74, 75, 99, 101, 850])
def test_faq_rule_boundaries_through_the_workspace(n, gs):
    ws = make_ws([geduldete(n)], [{"ags": A1, "geschaeftsfuehrende_stelle": gs}])
    r = row(stellenbemessung(ws), A1)
    stellen, regel = FAQ_CASES[n][:2] if gs else FAQ_CASES[n][2:]
    assert r["faq_personen"] == n
    assert r["faq_stellen"] == pytest.approx(stellen, abs=1e-12)
    assert r["faq_regel"] == regel


def test_rule_is_named_in_words():
    assert faq_stellen(20, REGEL, True).begruendung == (
        "Mindestanteil 0,5 Stelle (Geschäftsführende Stelle)"
    )
    assert faq_stellen(80, REGEL, True).begruendung == "volle Stelle ab 75 Personen"
    assert faq_stellen(850, REGEL, True).begruendung == "Schlüssel 1:100: 850 / 100"


def test_gestattete_are_not_counted_by_the_faq_rule():
    ws = make_ws(
        [
            geduldete(60),
            (A1, "2019-12-31", "gestattung", 20, 20, 500),
            (A1, "2019-12-31", "sonstige", 20, 20, 300),
        ]
    )
    r = row(stellenbemessung(ws), A1)
    assert r["faq_personen"] == 60
    assert r["faq_stellen"] == pytest.approx(0.6)
    # the caseload model's reach rate refers to Geduldete only (stellen.erreichung_status):
    # 60 Geduldete; the 500 Gestattete and 300 sonstige do not enter it
    assert r["fallzahl_personen"] == 60


def test_ages_17_18_27_28():
    rows = [
        geduldete(1000, alter=17),
        geduldete(7, alter=18),
        geduldete(5, alter=27),
        geduldete(1000, alter=28),
    ]
    r = row(stellenbemessung(make_ws(rows)), A1)
    assert r["faq_personen"] == 12
    assert r["fallzahl_personen"] == 12


def test_age_band_straddling_the_range_is_split_evenly():
    # 25-29: 3 of 5 years are counted -> 50 * 3/5 = 30; 10-17 is outside entirely
    rows = [(A1, "2019-12-31", "duldung", 25, 29, 50), (A1, "2019-12-31", "duldung", 10, 17, 99)]
    assert row(stellenbemessung(make_ws(rows)), A1)["faq_personen"] == pytest.approx(30)


def test_count_freezes_at_the_first_application():
    rows = [geduldete(165, stichtag="2019-12-31"), geduldete(240, stichtag="2021-12-31")]
    kom = [{"ags": A1, "stichtag_erstantrag": "2019-12-31", "geschaeftsfuehrende_stelle": True}]
    ws = make_ws(rows, kom)
    r = row(stellenbemessung(ws), A1)
    assert r["faq_personen"] == 165 and r["faq_stellen"] == pytest.approx(1.65)
    assert r["faq_stichtag"] == pd.Timestamp("2019-12-31") and r["faq_eingefroren"]
    assert r["fallzahl_personen"] == 240  # current demand: latest Stichtag
    assert r["stichtag"] == pd.Timestamp("2021-12-31")
    # only when the user asks, the later Stichtag counts
    later = row(stellenbemessung(ws, einfrieren=False), A1)
    assert later["faq_personen"] == 240 and later["faq_stellen"] == pytest.approx(2.4)


def test_erstantrag_between_stichtage_uses_the_count_before_it():
    rows = [geduldete(165, stichtag="2019-12-31"), geduldete(240, stichtag="2020-12-31")]
    ws = make_ws(rows, annahmen={"kreis": {"stichtag_erstantrag": "2020-06-30"}})
    assert row(stellenbemessung(ws), A1)["faq_personen"] == 165


def test_kreis_erstantrag_is_the_fallback_for_gemeinden():
    rows = [geduldete(100, stichtag="2019-12-31"), geduldete(300, stichtag="2021-12-31")]
    ws = make_ws(rows, annahmen={"kreis": {"stichtag_erstantrag": "2019-12-31"}})
    assert row(stellenbemessung(ws), A1)["faq_personen"] == 100


def test_unknown_erstantrag_uses_the_analysis_date_and_says_so():
    rows = [geduldete(100, stichtag="2019-12-31"), geduldete(300, stichtag="2021-12-31")]
    r = row(stellenbemessung(make_ws(rows)), A1)
    assert r["faq_personen"] == 300
    assert "Stichtag des Erstantrags unbekannt" in r["hinweis"]


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        (0.74, 0.5, 0.5),
        (0.75, 0.5, 1.0),
        (1.24, 0.5, 1.0),
        (1.25, 0.5, 1.5),
        (1.024, 0.05, 1.0),
        (0.725, 0.05, 0.75),
        (0.74, None, 0.74),
        (0.74, "keine", 0.74),
    ],
)
def test_rounding(value, step, expected):
    assert runde_stellen(value, step) == expected


def test_rounding_is_configured_and_named():
    ws = make_ws(
        [geduldete(74)],
        [{"ags": A1, "geschaeftsfuehrende_stelle": True}],
        annahmen={"stellen": {"rundung": 0.5}},
    )
    r = row(stellenbemessung(ws), A1)
    assert r["faq_stellen"] == 0.5 and r["faq_stellen_rechnerisch"] == pytest.approx(0.74)
    assert r["faq_begruendung"].endswith("gerundet auf 0,5")


def test_koeln_plausibility():
    koeln = "05315000"
    ws = make_ws(
        [geduldete(850, ags=koeln)],
        [{"ags": koeln, "geschaeftsfuehrende_stelle": True}],
        annahmen={
            "stellen": {
                "erreichungsquote": 400 / 850,
                "betreuungsschluessel": 100,
                "steuerungsanteil": 0.25,
            }
        },
    )
    r = row(stellenbemessung(ws), koeln)
    assert r["faq_stellen"] == pytest.approx(8.5) and r["faq_regel"] == REGEL_SCHLUESSEL
    assert r["fallzahl_klienten"] == pytest.approx(400)
    assert r["fallzahl_fallstellen"] == pytest.approx(4.0)
    assert r["fallzahl_steuerung"] == pytest.approx(1.0)
    assert r["fallzahl_stellen"] == pytest.approx(5.0)


def test_koeln_reach_rate_applies_to_geduldete_not_gestattete():
    """KOKIP: about 850 Geduldete -> 4.0 case positions + 1.0 steering (issue 12, rule 2)."""
    koeln = "05315000"
    ws = make_ws(
        [geduldete(850, ags=koeln), (koeln, "2019-12-31", "gestattung", 20, 20, 300)],
        [{"ags": koeln, "geschaeftsfuehrende_stelle": True}],
    )
    r = row(stellenbemessung(ws), koeln)
    # default reach rate 0.47 (400 cases / 850 Geduldete, rounded), caseload 1:100, steering
    # 0.25 per case position (1.0 per 4.0). By hand: 850 × 0.47 = 399.5 clients;
    # 399.5 / 100 = 3.995 case positions; 3.995 × 0.25 = 0.99875 steering; total 4.99375.
    # The wrong rule (Duldung + Gestattung) would give 1150 × 0.47 / 100 = 5.405 + 1.35.
    assert r["fallzahl_personen"] == 850
    assert r["fallzahl_klienten"] == pytest.approx(399.5)
    assert r["fallzahl_fallstellen"] == pytest.approx(3.995)
    assert r["fallzahl_steuerung"] == pytest.approx(0.99875)
    assert r["fallzahl_stellen"] == pytest.approx(4.99375)
    assert round(r["fallzahl_fallstellen"], 1) == 4.0 and round(r["fallzahl_steuerung"], 1) == 1.0
    assert r["erreichung_status"] == "duldung"


def test_reach_rate_basis_is_configurable_and_checked():
    rows = [geduldete(100), (A1, "2019-12-31", "gestattung", 20, 20, 300)]
    ws = make_ws(rows, annahmen={"stellen": {"erreichung_status": ["duldung", "gestattung"]}})
    # by hand: (100 + 300) × 0.47 = 188 clients -> 1.88 case positions
    assert row(stellenbemessung(ws), A1)["fallzahl_fallstellen"] == pytest.approx(1.88)
    with pytest.raises(DataError, match="stellen.erreichung_status"):
        make_ws(rows, annahmen={"stellen": {"erreichung_status": ["geduldet"]}})


def test_workload_model_hand_computed():
    ws = make_ws(
        [geduldete(850)],
        annahmen={
            "stellen": {
                "erreichungsquote": 400 / 850,
                "stunden_je_fall": 40,
                "netto_jahresarbeitsstunden": 1600,
                "steuerungsanteil": 0.25,
            }
        },
    )
    r = row(stellenbemessung(ws), A1)
    assert r["arbeitszeit_faelle"] == pytest.approx(400)
    assert r["arbeitszeit_fallstellen"] == pytest.approx(10.0)  # 400 * 40 / 1600
    assert r["arbeitszeit_stellen"] == pytest.approx(12.5)  # + 0.25 * 10


def test_workload_defaults_agree_with_caseload_and_take_case_counts():
    ws = make_ws([geduldete(850)])
    t = stellenbemessung(ws)
    r = row(t, A1)
    assert r["stunden_je_fall"] == 16  # 1600 h / 1:100
    assert r["arbeitszeit_stellen"] == pytest.approx(r["fallzahl_stellen"])
    r2 = row(stellenbemessung(ws, faelle={A1: 120}), A1)
    assert r2["arbeitszeit_faelle"] == 120
    assert r2["arbeitszeit_stellen"] == pytest.approx(120 * 16 / 1600 * 1.25)


def test_kreis_row_applies_the_rule_once_to_the_sum():
    # neither Gemeinde has its own Geschäftsführende Stelle: the Kreis applies for both
    rows = [geduldete(30, ags=A1), geduldete(30, ags=A2)]
    t = stellenbemessung(make_ws(rows))
    assert list(t["ebene"]) == ["gemeinde", "gemeinde", "kreis"]
    # each alone: 30 / 100 = 0.3 (no minimum without GS)
    assert row(t, A1)["faq_stellen"] == 0.3 and row(t, A2)["faq_stellen"] == 0.3
    kreis = row(t, KREIS)
    # the Kreis (GS by default): (30 + 30) / 100 = 0.6 > minimum 0.5
    assert kreis["faq_personen"] == 60 and kreis["faq_stellen"] == pytest.approx(0.6)
    assert kreis["name"] == "Testkreis"
    assert kreis["fallzahl_stellen"] == pytest.approx(
        row(t, A1)["fallzahl_stellen"] + row(t, A2)["fallzahl_stellen"]
    )


def test_kreis_count_leaves_out_gemeinden_that_apply_themselves():
    """DESIGN.md "Applicants": nobody is counted for two applicants (issue 12, rule 3)."""
    a3 = "05999012"
    rows = [
        geduldete(120, ags=A1),
        geduldete(40, ags=A2),
        geduldete(50, ags=a3),
        (A2, "2019-12-31", "gestattung", 20, 20, 10),
    ]
    kom = [
        {"ags": A1, "geschaeftsfuehrende_stelle": True, "stellen_bestand": 1.0},
        {"ags": A2, "stellen_bestand": 0.25},
    ]
    t = stellenbemessung(make_ws(rows, kom))
    a1, kreis = row(t, A1), row(t, KREIS)
    assert a1["eigener_antrag"] and not row(t, A2)["eigener_antrag"]
    # A1 applies itself: 120 / 100 = 1.2 positions
    assert a1["faq_personen"] == 120 and a1["faq_stellen"] == pytest.approx(1.2)
    # the Kreis counts only A2 and A3: 40 + 50 = 90 Geduldete -> 90 >= 75: one full position
    # (the wrong rule, all three: 210 / 100 = 2.1, A1's 120 persons counted twice)
    assert kreis["faq_personen"] == 90
    assert kreis["faq_stellen"] == 1.0 and kreis["faq_regel"] == REGEL_VOLL
    # caseload model, Kreis: 90 Geduldete × 0.47 = 42.3 clients / 100 = 0.423 + 25 % = 0.52875
    assert kreis["fallzahl_personen"] == 90
    assert kreis["fallzahl_stellen"] == pytest.approx(0.52875)
    # funded positions of the Kreis, if not given: the covered Gemeinden's only (0.25, not 1.25)
    assert kreis["stellen_bestand"] == 0.25
    assert "ohne die selbst antragstellenden Gemeinden: Gemeinde 004" in kreis["hinweis"]
    # the applicants together count every person once: 120 + 90 = 210 Geduldete
    assert t.loc[t["eigener_antrag"], "faq_personen"].sum() == 210


def test_kreisfreie_stadt_is_one_applicant():
    koeln = "05315000"
    ws = make_ws(
        [geduldete(850, ags=koeln)],
        annahmen={"kreis": {"haushaltssicherung": True, "stellen_bestand": 5.0}},
    )
    t = stellenbemessung(ws)
    # one row: the city; no Kreis row that counts the same 850 persons again
    assert list(t["ebene"]) == ["gemeinde"] and list(t["ags"]) == [koeln]
    r = row(t, koeln)
    # settings not in kommunen come from annahmen.kreis (default: GS yes)
    assert r["eigener_antrag"] and r["antragsberechtigt"] and r["haushaltssicherung"]
    assert r["faq_stellen"] == pytest.approx(8.5)  # 850 / 100
    assert r["differenz_faq"] == pytest.approx(3.5)  # 8.5 - 5.0


def test_difference_to_funded_positions():
    rows = [geduldete(165, ags=A1), geduldete(10, ags=A2)]
    kom = [{"ags": A1, "stellen_bestand": 0.5, "geschaeftsfuehrende_stelle": True}]
    t = stellenbemessung(make_ws(rows, kom))
    assert row(t, A1)["differenz_faq"] == pytest.approx(1.15)
    assert np.isnan(row(t, A2)["differenz_faq"])
    # A1 applies itself, so its 0.5 are not the Kreis's; A2 gave none: unknown
    assert np.isnan(row(t, KREIS)["stellen_bestand"])
    t2 = stellenbemessung(make_ws(rows, kom, annahmen={"kreis": {"stellen_bestand": 2.0}}))
    # Kreis counts A2 only: 10 persons -> minimum 0.5 (Kreis has a GS); 0.5 - 2.0
    assert row(t2, KREIS)["differenz_faq"] == pytest.approx(0.5 - 2.0)


def test_gemeinde_without_gs_is_marked_not_eligible_for_thm_but_for_kim():
    ws = make_ws([geduldete(10)])
    r = row(stellenbemessung(ws), A1)
    assert not r["antragsberechtigt"] and "nicht selbst antragsberechtigt" in r["hinweis"]
    kim = make_ws([geduldete(10)], programm=default_programm("kim"))
    assert row(stellenbemessung(kim), A1)["antragsberechtigt"]


def test_placeholders_are_left_out_and_reported():
    rows = [geduldete(50), (A1, "2019-12-31", "duldung", 21, 21, None)]
    r = row(stellenbemessung(make_ws(rows)), A1)
    assert r["faq_personen"] == 50
    assert "1 Zeile ohne Anzahl" in r["hinweis"]


def test_invalid_stellen_assumptions_name_the_field():
    with pytest.raises(DataError) as info:
        make_ws(
            [geduldete(10)],
            annahmen={
                "stellen": {"erreichungsquote": 1.5, "betreuungsschluessel": 0, "rundung": 0.1}
            },
        )
    text = str(info.value)
    for field in ("stellen.erreichungsquote", "stellen.betreuungsschluessel", "stellen.rundung"):
        assert field in text
    assert stellenbemessung(make_ws([geduldete(10)])).shape[0] > 0  # the defaults are valid


def test_inputs_are_not_modified():
    ws = make_ws([geduldete(165)])
    before = ws.zielgruppe.copy()
    stellenbemessung(ws)
    pd.testing.assert_frame_equal(ws.zielgruppe, before)


@settings(max_examples=80, deadline=None)
@given(
    a=st.integers(0, 3000),
    b=st.integers(0, 3000),
    gs=st.booleans(),
    rundung=st.sampled_from([None, 0.05, 0.5]),
)
def test_faq_rule_properties(a, b, gs, rundung):
    lo, hi = sorted((a, b))
    r_lo, r_hi = (faq_stellen(n, REGEL, gs, rundung) for n in (lo, hi))
    assert r_lo.stellen <= r_hi.stellen  # monotone
    assert r_hi.stellen >= runde_stellen(hi / 100, rundung)  # never below the key
    if gs:
        assert r_lo.stellen >= 0.5
    if lo >= 75:
        assert r_lo.stellen >= 1.0


def test_workspace_for_one_kommune_has_no_kreis_row():
    ws = make_ws([geduldete(30, ags=A1), geduldete(90, ags=A2)])
    t = stellenbemessung(ws.for_kommune(A2))
    assert list(t["ags"]) == [A2] and t["faq_stellen"].iloc[0] == 1.0


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 400), min_size=1, max_size=6),
    gs=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_every_person_counted_for_exactly_one_applicant(counts, gs):
    """Property of DESIGN.md "Applicants": the applicants' counts add up to the Kreis total."""
    ags = [f"05999{4 * (i + 1):03d}" for i in range(len(counts))]
    rows = [geduldete(n, ags=a) for n, a in zip(counts, ags, strict=True)]
    kom = [{"ags": a, "geschaeftsfuehrende_stelle": g} for a, g in zip(ags, gs, strict=False)]
    t = stellenbemessung(make_ws(rows, kom))
    applicants = t[t["eigener_antrag"]]  # self-applying Gemeinden and the Kreis row
    assert applicants["faq_personen"].sum() == pytest.approx(sum(counts))
    assert applicants["fallzahl_personen"].sum() == pytest.approx(sum(counts))
    kreis = row(t, KREIS)
    assert kreis["faq_personen"] == pytest.approx(
        sum(n for n, g in zip(counts, gs, strict=False) if not g)
    )
