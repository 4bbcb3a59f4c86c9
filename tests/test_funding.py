"""Tests of thm_lib.analysis.funding: month split, Remscheid, caps, and the year/period property."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_staffing import A1, A2, KREIS, geduldete, make_ws

from thm_lib.analysis.funding import (
    BETRAG_SPALTEN,
    finanzierungsplaene,
    finanzierungsplan,
    foerderzeitraum,
    kosten_je_vzae,
    monate,
    monate_je_jahr,
    plaene_tabelle,
)
from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.core.config import default_annahmen, merge
from thm_lib.core.errors import DataError
from thm_lib.core.programme import default_programm, validate_programm

THM = default_programm("thm")
KIM = default_programm("kim")
ANNAHMEN = default_annahmen()


def programm_with(**foerderung) -> dict:
    return validate_programm(merge(THM, {"foerderung": foerderung}))


def by_year(plan) -> pd.DataFrame:
    return plan.jahre.set_index("jahr")


def test_thm_period_splits_into_2_12_12_6_months():
    assert monate_je_jahr("2019-11-01", "2022-06-30").to_dict() == {
        2019: 2.0,
        2020: 12.0,
        2021: 12.0,
        2022: 6.0,
    }
    plan = finanzierungsplan(1.0, THM, ANNAHMEN)
    assert list(plan.jahre["monate"]) == [2.0, 12.0, 12.0, 6.0]
    assert plan.gesamt["monate"] == 32.0
    assert (plan.beginn, plan.ende) == (dt.date(2019, 11, 1), dt.date(2022, 6, 30))


def test_partial_months_count_by_days():
    assert monate("2020-02-15", "2020-02-29") == pytest.approx(15 / 29)
    assert monate("2021-01-16", "2021-03-31") == pytest.approx(16 / 31 + 2)
    assert monate("2021-03-01", "2021-02-28") == 0.0


def test_remscheid_half_position_at_90_percent():
    plan = finanzierungsplan(0.5, THM, ANNAHMEN, haushaltssicherung=True, personalkosten=75556)
    year = by_year(plan).loc[2020]
    assert year["zuwendung"] == pytest.approx(34000, abs=1)
    assert year["foerderfaehig"] == pytest.approx(37778)
    assert year["eigenanteil_foerderfaehig"] == pytest.approx(3777.8)
    assert plan.entgeltgruppe == "individuell"


def test_hand_computed_year_with_non_eligible_workplace_costs():
    # EG 9c 72,300 EUR; KGSt surcharge 20 % -> 14,460 EUR, not eligible under THM
    year = by_year(finanzierungsplan(1.0, THM, ANNAHMEN)).loc[2020]
    assert year["personalkosten"] == pytest.approx(72300)
    assert year["sachkosten"] == pytest.approx(14460)
    assert year["foerderfaehig"] == pytest.approx(72300)
    assert year["zuwendung"] == pytest.approx(65070)
    assert year["nicht_foerderfaehig"] == pytest.approx(14460)
    assert year["eigenanteil"] == pytest.approx(7230 + 14460)
    assert year["gesamtkosten"] == pytest.approx(86760)
    first = by_year(finanzierungsplan(1.0, THM, ANNAHMEN)).loc[2019]
    assert first["zuwendung"] == pytest.approx(65070 * 2 / 12)


def test_rate_without_haushaltssicherung_is_the_programme_rate():
    p = programm_with(foerdersatz=0.8, foerdersatz_haushaltssicherung=0.9)
    assert by_year(finanzierungsplan(1.0, p, ANNAHMEN)).loc[2020, "foerdersatz"] == 0.8
    assert (
        by_year(finanzierungsplan(1.0, p, ANNAHMEN, haushaltssicherung=True)).loc[
            2020, "foerdersatz"
        ]
        == 0.9
    )


def test_pay_grade_and_fixed_workplace_costs():
    a = ANNAHMEN.mit({"finanzierung": {"sachkosten_je_vzae": 9000}})
    assert kosten_je_vzae(a, "EG 14") == {
        "entgeltgruppe": "EG 14",
        "personalkosten": 100300.0,
        "sachkosten": 9000.0,
    }
    with pytest.raises(DataError, match="Entgeltgruppe 'EG 99'"):
        kosten_je_vzae(ANNAHMEN, "EG 99")


def test_kim_example_open_ended_eligible_material_costs_and_cap():
    assert foerderzeitraum(KIM, ANNAHMEN) == (dt.date(2022, 7, 1), dt.date(2025, 6, 30))
    plan = finanzierungsplan(1.0, KIM, ANNAHMEN)
    assert plan.jahre["monate"].tolist() == [6.0, 12.0, 12.0, 6.0]
    year = by_year(plan).loc[2023]
    assert year["foerderfaehig"] == pytest.approx(86760)  # personnel + material
    assert year["zuwendung"] == pytest.approx(0.8 * 86760)  # 69,408 < cap 70,000
    assert not year["gedeckelt"] and year["nicht_foerderfaehig"] == 0
    capped = by_year(finanzierungsplan(2.0, KIM, ANNAHMEN, entgeltgruppe="EG 14")).loc[2023]
    assert capped["gedeckelt"]
    assert capped["zuwendung"] == pytest.approx(2 * 70000)
    assert capped["eigenanteil"] == pytest.approx(2 * 100300 * 1.2 - 140000)


def test_cap_per_applicant_and_year_pro_rata():
    p = programm_with(hoechstbetrag_jahr=30000)
    plan = by_year(finanzierungsplan(1.0, p, ANNAHMEN))
    assert plan.loc[2020, "zuwendung"] == pytest.approx(30000)
    assert plan.loc[2019, "zuwendung"] == pytest.approx(5000)
    assert plan.loc[2020, "gedeckelt"]


def test_position_filled_later_is_cut_to_the_programme():
    plan = finanzierungsplan(1.0, THM, ANNAHMEN, beginn="2020-03-01", ende="2030-01-01")
    assert plan.jahre["monate"].tolist() == [10.0, 12.0, 6.0]
    empty = finanzierungsplan(1.0, THM, ANNAHMEN, beginn="2023-01-01")
    assert empty.jahre.empty and empty.gesamt["zuwendung"] == 0


def test_tabelle_adds_a_total_row():
    t = finanzierungsplan(0.5, THM, ANNAHMEN).tabelle()
    assert t["jahr"].tolist() == [2019, 2020, 2021, 2022, "Summe"]
    assert t.iloc[-1]["monate"] == 32


def test_invalid_input():
    with pytest.raises(DataError, match="nicht negativ"):
        finanzierungsplan(-1, THM, ANNAHMEN)
    bad = {"finanzierung": {"sachkostenzuschlag": -1, "planungsjahre": 0, "entgeltgruppe": "S 12"}}
    with pytest.raises(DataError, match="finanzierung.sachkostenzuschlag") as info:
        ANNAHMEN.mit(bad)
    assert {p.spalte for p in info.value.problems} == {
        "finanzierung.sachkostenzuschlag",
        "finanzierung.planungsjahre",
        "finanzierung.entgeltgruppe",
    }
    assert "EG 9c" in str(info.value)  # the allowed pay grades are named


def test_plans_per_gemeinde_use_their_own_rate():
    p = programm_with(foerdersatz=0.8, foerdersatz_haushaltssicherung=0.9)
    ws = make_ws(
        [geduldete(165, ags=A1), geduldete(40, ags=A2)],
        [
            {"ags": A1, "haushaltssicherung": True, "geschaeftsfuehrende_stelle": True},
            {"ags": A2, "geschaeftsfuehrende_stelle": True},
        ],
        programm=p,
    )
    bem = stellenbemessung(ws)

    def je_kommune(modell: str = "faq") -> pd.DataFrame:
        return plaene_tabelle(finanzierungsplaene(ws, bem, modell), bem, modell)

    t = je_kommune()
    assert set(t["ags"]) == {A1, A2, KREIS}
    assert len(t) == 3 * 4
    y = t[t["jahr"] == 2020].set_index("ags")
    assert y.loc[A1, "stellen"] == pytest.approx(1.65) and y.loc[A1, "foerdersatz"] == 0.9
    assert y.loc[A2, "stellen"] == 0.5 and y.loc[A2, "foerdersatz"] == 0.8
    assert y.loc[A1, "zuwendung"] == pytest.approx(1.65 * 72300 * 0.9)
    caseload = je_kommune("fallzahl")
    assert (caseload["modell"] == "fallzahl").all()
    bestand = je_kommune("bestand")
    assert bestand.empty  # no funded positions given


dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31))


@settings(max_examples=80, deadline=None)
@given(
    beginn=dates,
    ende=dates,
    stellen=st.floats(0, 20, allow_nan=False),
    hsk=st.booleans(),
    cap=st.one_of(st.none(), st.floats(0, 200000)),
    kim=st.booleans(),
)
def test_years_add_up_to_the_period_total(beginn, ende, stellen, hsk, cap, kim):
    base = KIM if kim else THM
    beginn, ende = sorted((beginn, ende))
    p = validate_programm(merge(base, {"zeitraum": {"beginn": beginn, "ende": ende}}))
    p["foerderung"]["hoechstbetrag_je_vzae_jahr"] = cap
    plan = finanzierungsplan(stellen, p, ANNAHMEN, haushaltssicherung=hsk)
    assert plan.jahre["monate"].sum() == pytest.approx(plan.gesamt["monate"], abs=1e-9)
    for col in BETRAG_SPALTEN:
        assert plan.jahre[col].sum() == pytest.approx(plan.gesamt[col], rel=1e-9, abs=1e-6)
    g = plan.gesamt
    assert g["zuwendung"] + g["eigenanteil"] == pytest.approx(g["gesamtkosten"], abs=1e-6)
    assert g["zuwendung"] <= g["foerderfaehig"] + 1e-9
    if plan.jahre.shape[0]:
        assert plan.jahre["jahr"].tolist() == list(range(plan.beginn.year, plan.ende.year + 1))


def test_default_programme_states_that_both_rates_are_equal_and_why():
    """Issue 12, rule 6: FACTS.md finds no rate for non-HSK Kommunen, so the default keeps
    both at the documented 90 % and every plan says so (no invented lower rate)."""
    from thm_lib.analysis.funding import foerdersatz_text

    p = default_programm()
    assert p["foerderung"]["foerdersatz"] == p["foerderung"]["foerdersatz_haushaltssicherung"]
    for hsk in (True, False):
        text = foerdersatz_text(p, hsk)
        assert text.startswith(
            "Fördersatz 90 % für Kommunen mit und ohne Haushaltssicherung gleich"
        )
        assert "keine gefundene Quelle" in text and "Zuwendungsbescheid" in text
    # equal rates: by hand 1 VZÄ × 72,300 EUR × 12 months / 12 × 90 % = 65,070 EUR in 2020
    for hsk in (True, False):
        plan = finanzierungsplan(1.0, p, default_annahmen(), haushaltssicherung=hsk)
        assert plan.jahre.set_index("jahr").loc[2020, "zuwendung"] == pytest.approx(65070)


def test_different_rates_are_named_and_used():
    from thm_lib.analysis.funding import foerdersatz_text
    from thm_lib.core.programme import validate_programm

    p = default_programm()
    p["foerderung"]["foerdersatz"] = 0.8
    p["foerderung"]["foerdersatz_begruendung"] = ""
    p = validate_programm(p)
    assert foerdersatz_text(p, False) == (
        "Fördersatz 80 % (keine Haushaltssicherung; Haushaltssicherungskommunen 90 %)."
    )
    assert foerdersatz_text(p, True) == (
        "Fördersatz 90 % (Haushaltssicherungskommune; ohne Haushaltssicherung 80 %)."
    )
    # by hand, 2020: 72,300 × 0.8 = 57,840 EUR without, 72,300 × 0.9 = 65,070 EUR with HSK
    ohne = finanzierungsplan(1.0, p, default_annahmen(), haushaltssicherung=False)
    mit = finanzierungsplan(1.0, p, default_annahmen(), haushaltssicherung=True)
    assert ohne.jahre.set_index("jahr").loc[2020, "zuwendung"] == pytest.approx(57840)
    assert mit.jahre.set_index("jahr").loc[2020, "zuwendung"] == pytest.approx(65070)
