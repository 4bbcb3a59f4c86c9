"""Tests of thm_lib.analysis.scenarios: several configurations as one tidy long table."""

from __future__ import annotations

import pandas as pd
import pytest
from test_staffing import A1, KREIS, geduldete, make_ws

from thm_lib.analysis.scenarios import SPALTEN, szenario_workspace, vergleiche
from thm_lib.core.errors import DataError

KOELN = "05315000"


@pytest.fixture
def koeln():
    return make_ws(
        [geduldete(850, ags=KOELN)],
        [{"ags": KOELN, "geschaeftsfuehrende_stelle": True}],
        annahmen={"stellen": {"erreichungsquote": 400 / 850}},
    )


def value(
    table: pd.DataFrame, szenario: str, kennzahl: str, ags: str = KOELN, jahr: int | None = None
) -> float:
    sel = (table["szenario"] == szenario) & (table["ags"] == ags) & (table["kennzahl"] == kennzahl)
    sel &= table["jahr"].isna() if jahr is None else table["jahr"] == jahr
    hits = table.loc[sel, "wert"]
    assert len(hits) == 1, (szenario, kennzahl, ags, jahr)
    return float(hits.iloc[0])


def test_caseload_80_vs_100(koeln):
    t = vergleiche(
        koeln,
        {
            "1:100": {},
            "1:80": {"annahmen": {"stellen": {"betreuungsschluessel": 80}}, "modell": "fallzahl"},
        },
    )
    assert value(t, "1:100", "fallzahl_stellen") == pytest.approx(5.0)
    assert value(t, "1:80", "fallzahl_stellen") == pytest.approx(400 / 80 * 1.25)
    assert value(t, "1:80", "finanzierte_stellen") == pytest.approx(6.25)
    assert value(t, "1:100", "finanzierte_stellen") == pytest.approx(8.5)  # FAQ rule
    assert value(t, "1:80", "faq_stellen") == pytest.approx(8.5)  # rule unchanged


def test_rate_80_vs_90(koeln):
    t = vergleiche(koeln, {"90 %": {}, "80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}}})
    g90, g80 = value(t, "90 %", "zuwendung"), value(t, "80 %", "zuwendung")
    assert g80 / g90 == pytest.approx(0.8 / 0.9)
    assert value(t, "80 %", "zuwendung", jahr=2020) == pytest.approx(8.5 * 72300 * 0.8)
    assert value(t, "80 %", "gesamtkosten") == pytest.approx(value(t, "90 %", "gesamtkosten"))


def test_thm_ended_vs_continued(koeln):
    t = vergleiche(
        koeln, {"beendet": {}, "fortgesetzt": {"programm": {"zeitraum": {"ende": "2024-12"}}}}
    )
    assert value(t, "beendet", "monate") == 32
    assert value(t, "fortgesetzt", "monate") == 62
    years = t[
        (t["szenario"] == "fortgesetzt") & (t["kennzahl"] == "zuwendung") & (t["ags"] == KOELN)
    ]["jahr"].dropna()
    assert sorted(years) == [2019, 2020, 2021, 2022, 2023, 2024]
    assert value(t, "fortgesetzt", "zuwendung", jahr=2022) == pytest.approx(8.5 * 72300 * 0.9)


def test_another_programme_as_scenario(koeln):
    t = vergleiche(
        koeln,
        {
            "THM": {},
            "KIM": {"programm": {"basis": "kim"}, "finanzierung": {"entgeltgruppe": "EG 9b"}},
        },
    )
    assert value(t, "KIM", "faq_stellen") == pytest.approx(850 / 150)
    assert value(t, "KIM", "personalkosten", jahr=2023) == pytest.approx(850 / 150 * 71600)


def test_table_is_tidy(koeln):
    t = vergleiche(koeln, {"a": {}, "b": {"annahmen": {"stellen": {"steuerungsanteil": 0}}}})
    assert list(t.columns) == SPALTEN
    assert not t.duplicated(["szenario", "ags", "kennzahl", "jahr"]).any()
    assert t["jahr"].dtype == "Int64" and t["wert"].dtype == "float64"
    # a kreisfreie Stadt is one applicant: no Kreis row beside the city's (issue 12, rule 3)
    assert set(t["ebene"]) == {"gemeinde"}
    assert set(t["ags"]) == {KOELN}
    wide = t.pivot_table(index=["ags", "kennzahl"], columns="szenario", values="wert")
    assert wide.loc[(KOELN, "fallzahl_stellen"), "b"] == pytest.approx(4.0)


def test_base_workspace_is_not_changed(koeln):
    before = (
        koeln.programm["foerderung"]["foerdersatz"],
        koeln.annahmen.stellen.betreuungsschluessel,
    )
    vergleiche(
        koeln,
        {
            "x": {
                "programm": {"foerderung": {"foerdersatz": 0.5}},
                "annahmen": {"stellen": {"betreuungsschluessel": 50}},
            }
        },
    )
    assert (
        koeln.programm["foerderung"]["foerdersatz"],
        koeln.annahmen.stellen.betreuungsschluessel,
    ) == before


def test_invalid_scenarios_give_german_errors_naming_scenario_and_field(koeln):
    with pytest.raises(DataError) as info:
        vergleiche(koeln, {"zu hoch": {"programm": {"foerderung": {"foerdersatz": 1.5}}}})
    assert "Szenario 'zu hoch'" in str(info.value)
    assert "foerderung.foerdersatz" in str(info.value)
    with pytest.raises(DataError, match="stellen.erreichungsquote"):
        szenario_workspace(koeln, {"annahmen": {"stellen": {"erreichungsquote": -1}}}, "neg")
    with pytest.raises(DataError, match="unbekannte Schlüssel"):
        szenario_workspace(koeln, {"programme": {}}, "Tippfehler")
    with pytest.raises(ValueError):
        vergleiche(koeln, {})


def test_gemeinde_rows_in_a_kreis():
    a2 = "05999008"
    ws = make_ws(
        [geduldete(120, ags=A1), geduldete(60, ags=a2)],
        [{"ags": A1, "geschaeftsfuehrende_stelle": True}],
    )
    t = vergleiche(ws, {"basis": {}})
    assert value(t, "basis", "faq_stellen", ags=A1) == pytest.approx(1.2)  # 120 / 100
    # the Kreis leaves out A1 (applies itself): 60 / 100 = 0.6 (was 180 / 100 = 1.8)
    assert value(t, "basis", "faq_personen", ags=KREIS) == 60
    assert value(t, "basis", "faq_stellen", ags=KREIS) == pytest.approx(0.6)
    # the Kreis's plan finances 0.6 positions: 0.6 × 72,300 EUR × 90 % in 2020 (12 months)
    assert value(t, "basis", "zuwendung", ags=KREIS, jahr=2020) == pytest.approx(0.6 * 72300 * 0.9)


def test_rate_scenario_that_changes_nothing_says_why():
    """Issue 12, rule 6: a Haushaltssicherungskommune keeps its own rate when only
    ``foerdersatz`` (the rate for the others) changes."""
    from thm_lib.publish import views

    a2 = "05999008"
    ws = make_ws(
        [geduldete(120, ags=A1), geduldete(120, ags=a2)],
        [
            {"ags": A1, "geschaeftsfuehrende_stelle": True, "haushaltssicherung": True},
            {"ags": a2, "geschaeftsfuehrende_stelle": True},
        ],
    )
    szen = {"Basis": {}, "Fördersatz 80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}}}
    hsk = views.szenarien_tabelle(ws, A1, szen)
    # by hand, A1 (HSK, 90 %): 1.2 VZÄ × 72,300 EUR × 32 months / 12 × 0.9 = 208,224 EUR
    assert hsk.loc["Fördersatz 80 %", "Zuwendung €"] == pytest.approx(208224.0)
    assert hsk.loc["Fördersatz 80 %", "Zuwendung €"] == hsk.loc["Basis", "Zuwendung €"]
    note = hsk.loc["Fördersatz 80 %", "Hinweis"]
    assert note.startswith("Unverändert") and "Haushaltssicherungskommune" in note
    assert "foerderung.foerdersatz_haushaltssicherung = 90 %" in note
    assert hsk.loc["Basis", "Hinweis"] == ""
    # a2 (no HSK): 1.2 × 72,300 × 32 / 12 × 0.8 = 185,088 EUR, changed, no note
    other = views.szenarien_tabelle(ws, a2, szen)
    assert other.loc["Fördersatz 80 %", "Zuwendung €"] == pytest.approx(185088.0)
    assert other.loc["Fördersatz 80 %", "Hinweis"] == ""


def test_capped_grant_scenario_says_why():
    from thm_lib.analysis.scenarios import warum_unveraendert
    from thm_lib.analysis.staffing import stellenbemessung

    ws = make_ws(
        [geduldete(120)],
        [{"ags": A1, "geschaeftsfuehrende_stelle": True}],
        programm=szenario_workspace(
            make_ws([geduldete(1)]),
            {"programm": {"foerderung": {"hoechstbetrag_je_vzae_jahr": 10000}}},
        ).programm,
    )
    zeile = stellenbemessung(ws).set_index("ags").loc[A1]
    # 10,000 EUR per VZÄ and year is below 72,300 × 0.8 = 57,840: capped at any rate
    text = warum_unveraendert(ws, {"programm": {"foerderung": {"foerdersatz": 0.8}}}, zeile)
    assert "gedeckelt" in text
