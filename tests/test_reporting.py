"""Berichtswesen KPIs on a small hand-made case set with hand-computed expectations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from thm_lib.analysis import berichtswesen
from thm_lib.analysis.berichtswesen import (
    TOTAL,
    Period,
    build_report,
    client_counts,
    closures_by_reason,
    excluded_without_consent,
    needs_by_field,
    period_flags,
    reach_by_status,
)
from thm_lib.core.config import default_annahmen
from thm_lib.disclosure.berichtswesen import ohne_einwilligung, veroeffentlichen

A, B = "05100001", "05100002"
VON, BIS = "2026-01-01", "2026-03-31"
NaT = pd.NaT


@pytest.fixture
def faelle() -> pd.DataFrame:
    rows = [
        # fall_id, ags, alter, status, einwilligung, beginn, ende, abschlussgrund
        ("F01", A, 20, "duldung", True, "2025-06-01", NaT, None),  # active
        ("F02", A, 22, "duldung", True, "2026-01-01", NaT, None),  # new on 'von'
        ("F03", A, 19, "gestattung", True, "2025-10-01", "2025-12-31", "Ausbildung"),  # before
        ("F04", A, 25, "duldung", True, "2025-11-01", "2026-01-01", "Arbeit"),  # closed on von
        ("F05", B, 24, "gestattung", True, "2026-03-31", NaT, None),  # new on 'bis'
        ("F06", B, 30, "sonstige", True, "2026-04-01", NaT, None),  # after the period
        ("F07", B, 21, "duldung", False, "2026-02-01", NaT, None),  # no consent
        ("F08", B, 26, "duldung", True, "2025-01-01", "2026-03-31", "Wegzug"),  # closed on bis
        ("F09", A, 23, "duldung", None, "2026-02-01", NaT, None),  # consent unknown
        ("F10", B, 28, "sonstige", True, "2026-02-15", "2026-03-01", None),  # no reason
    ]
    f = pd.DataFrame(
        rows,
        columns=[
            "fall_id",
            "ags",
            "alter",
            "status",
            "einwilligung",
            "beginn",
            "ende",
            "abschlussgrund",
        ],
    )
    f["geschlecht"] = "w"
    f["einwilligung"] = f["einwilligung"].astype("boolean")
    f["beginn"] = pd.to_datetime(f["beginn"])
    f["ende"] = pd.to_datetime(f["ende"])
    f["abschlussgrund"] = f["abschlussgrund"].astype("string")
    return f


@pytest.fixture
def bedarfe() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("F01", "Sprache", "passend"),
            ("F01", "Arbeit", "kein_angebot"),
            ("F02", "Sprache", "naechstbeste"),
            ("F03", "Sprache", "passend"),  # case not active in the period
            ("F04", "Wohnen", "offen"),
            ("F07", "Sprache", "kein_angebot"),  # no consent
            ("F10", "Sprache", "passend"),
        ],
        columns=["fall_id", "handlungsfeld", "ergebnis"],
    )


@pytest.fixture
def zielgruppe() -> pd.DataFrame:
    rows = [
        (A, "2025-12-31", "duldung", 20, 10),
        (A, "2025-12-31", "duldung", 30, 5),  # 30: too old
        (A, "2025-12-31", "gestattung", 19, 4),
        (B, "2025-12-31", "duldung", 25, 8),
        (B, "2025-12-31", "gestattung", 22, 6),
        (B, "2025-12-31", "sonstige", 20, 7),
        (A, "2024-12-31", "duldung", 20, 99),  # older Stichtag: ignored
    ]
    z = pd.DataFrame(rows, columns=["ags", "stichtag", "status", "alter", "anzahl"])
    z["stichtag"] = pd.to_datetime(z["stichtag"])
    z["alter"] = z["alter"].astype("Int64")
    z["alter_von"] = z["alter"].astype("int64")
    z["alter_bis"] = z["alter"].astype("int64")
    z["geschlecht"] = "m"
    z["anzahl"] = z["anzahl"].astype("Int64")
    return z


def test_period_boundaries(faelle):
    flags = period_flags(faelle, VON, BIS).set_index(faelle["fall_id"])
    assert flags.loc["F02"].tolist() == [True, True, False]  # beginn == von: new
    assert flags.loc["F05"].tolist() == [True, True, False]  # beginn == bis: new
    assert flags.loc["F03"].tolist() == [False, False, False]  # ended the day before von
    assert flags.loc["F04"].tolist() == [False, True, True]  # ende == von: active, closed
    assert flags.loc["F08"].tolist() == [False, True, True]  # ende == bis: closed
    assert flags.loc["F06"].tolist() == [False, False, False]  # begins the day after bis


def test_period_ignores_time_of_day_and_checks_order():
    f = pd.DataFrame({"beginn": pd.to_datetime(["2026-03-31 17:30"]), "ende": [NaT]})
    assert period_flags(f, Period(VON, BIS))["neu"].item()
    with pytest.raises(ValueError, match="liegt nach"):
        Period(BIS, VON)


def test_client_counts_only_consented(faelle):
    t = client_counts(faelle, VON, BIS)
    assert list(t.index) == [A, B, TOTAL]
    assert t.loc[A].tolist() == [1, 3, 1]
    assert t.loc[B].tolist() == [2, 3, 2]
    assert t.loc[TOTAL].tolist() == [3, 6, 3]
    assert excluded_without_consent(faelle, VON, BIS) == 2  # F07, F09
    assert excluded_without_consent(faelle, VON, BIS, ags=B) == 1


def test_client_counts_for_one_kommune_and_all_gemeinden(faelle):
    t = client_counts(faelle, VON, BIS, ags=A)
    assert list(t.index) == [A] and t.loc[A].tolist() == [1, 3, 1]
    gem = pd.DataFrame({"ags": [A, B, "05100003"], "name": ["Ahaus", "Borken", "Coesfeld"]})
    t = client_counts(faelle, VON, BIS, gemeinden=gem)
    assert t.loc["05100003", ["neu", "aktiv", "abgeschlossen"]].tolist() == [0, 0, 0]
    assert t["name"].tolist() == ["Ahaus", "Borken", "Coesfeld", "Kreis"]


def test_closures_by_reason(faelle):
    t = closures_by_reason(faelle, VON, BIS)
    # "Arbeit" is not a reason of the fixed list: a typed text is never a published label
    # (it could be a name; session 29), it counts as "sonstiger Grund"
    assert t["anzahl"].to_dict() == {
        "Wegzug": 1,
        berichtswesen.NO_REASON: 1,
        berichtswesen.OTHER_REASON: 1,
        TOTAL: 3,
    }
    t = closures_by_reason(faelle, VON, BIS, gruende=["Ausbildung", "Arbeit"])
    assert list(t.index)[:2] == ["Ausbildung", "Arbeit"]
    assert t.loc["Ausbildung", "anzahl"] == 0  # F03 closed before the period


def test_needs_by_field(faelle, bedarfe):
    hf = default_annahmen().handlungsfelder
    t = needs_by_field(faelle, bedarfe, VON, BIS, handlungsfelder=hf)
    assert list(t.index) == [*hf, TOTAL]
    cols = ["passend", "naechstbeste", "kein_angebot", "offen", "gesamt"]
    assert t.loc["Sprache", cols].tolist() == [2, 1, 0, 0, 3]  # F03 and F07 left out
    assert t.loc["Arbeit", cols].tolist() == [0, 0, 1, 0, 1]
    assert t.loc["Wohnen", cols].tolist() == [0, 0, 0, 1, 1]
    assert t.loc[TOTAL, cols].tolist() == [2, 1, 1, 1, 5]
    assert t.loc["Sprache", "anteil_passend"] == pytest.approx(2 / 3)
    assert t.loc[TOTAL, "anteil_kein_angebot"] == pytest.approx(0.2)
    assert math.isnan(t.loc["Gesundheit", "anteil_passend"])


def test_reach_by_status(faelle, zielgruppe):
    an = default_annahmen()
    t = reach_by_status(faelle, zielgruppe, an, "2026-03-31", VON, BIS)
    assert t.loc[A, ["klient_innen_duldung", "zielgruppe_duldung"]].tolist() == [3, 10]
    assert t.loc[A, ["klient_innen_gestattung", "zielgruppe_gestattung"]].tolist() == [0, 4]
    assert t.loc[B, ["klient_innen_duldung", "zielgruppe_duldung"]].tolist() == [1, 8]
    assert t.loc[B, ["klient_innen_gestattung", "zielgruppe_gestattung"]].tolist() == [1, 6]
    assert t.loc[TOTAL, ["klient_innen", "zielgruppe"]].tolist() == [5, 28]
    assert t.loc[A, "reichweite_duldung"] == pytest.approx(0.3)
    assert t.loc[TOTAL, "reichweite"] == pytest.approx(5 / 28)
    one = reach_by_status(faelle, zielgruppe, an, "2026-03-31", VON, BIS, ags=B)
    assert list(one.index) == [B] and one.loc[B, "klient_innen"] == 2


def test_report_published_tables_are_suppressed(faelle, bedarfe, zielgruppe):
    rep = build_report(faelle, bedarfe, zielgruppe, default_annahmen(), VON, BIS)
    assert rep.ohne_einwilligung == 2 and ohne_einwilligung(rep, 5) == "<5"
    pub = veroeffentlichen(rep, 5)
    assert set(pub) == {"Fallzahlen", "Abschlüsse", "Bedarfe", "Reichweite"}
    for table in pub.values():
        for c in table.count_cols:
            for x in table.published[c]:
                assert isinstance(x, str) or not 1 <= x < 5
    # the internal numbers stay available and marked
    assert pub["Fallzahlen"].internal_unsuppressed.loc[TOTAL, "aktiv"] == 6
    assert pub["Fallzahlen"].published.loc[TOTAL, "aktiv"] == 6
    assert pub["Bedarfe"].published.loc["Sprache", "anteil_passend"] == "."
    # with threshold 1 nothing is hidden
    assert pub["Fallzahlen"].published.loc[A, "aktiv"] == "<5"
    alle = veroeffentlichen(
        build_report(faelle, bedarfe, zielgruppe, default_annahmen(), VON, BIS), 1
    )
    assert alle["Fallzahlen"].published.loc[A, "aktiv"] == 3


def test_kommune_report_publishes_its_row_as_in_the_kreis_report(faelle, bedarfe, zielgruppe):
    more = pd.concat([faelle[faelle["fall_id"] == "F05"]] * 5, ignore_index=True)
    more["fall_id"] = [f"G{i}" for i in range(5)]
    f = pd.concat([faelle, more], ignore_index=True)  # B: 8 active, A: 3 active
    an = default_annahmen()
    kreis = veroeffentlichen(build_report(f, bedarfe, zielgruppe, an, VON, BIS), 5)
    kommune = veroeffentlichen(build_report(f, bedarfe, zielgruppe, an, VON, BIS, ags=B), 5)
    for name in ("Fallzahlen", "Reichweite"):
        assert list(kommune[name].published.index) == [B]
        assert kommune[name].published.loc[B].tolist() == kreis[name].published.loc[B].tolist()
    # A's "<5" in column 'aktiv' (3 + 8 = 11) needs a complement: B's 8. Published alone,
    # the Kommune report would show 8 and give A's value away (11 - 8). With the total 11
    # shown, B would lie in 7..10, four values, fewer than the threshold: the total is
    # hidden too (the bounded rule for ".").
    assert kreis["Fallzahlen"].published["aktiv"].tolist() == ["<5", ".", "."]
    assert kommune["Fallzahlen"].published.loc[B, "aktiv"] == "."
    assert kommune["Fallzahlen"].internal_unsuppressed.loc[B, "aktiv"] == 8


def test_reprs_show_no_internal_numbers(faelle, bedarfe, zielgruppe):
    rep = build_report(faelle, bedarfe, zielgruppe, default_annahmen(), VON, BIS)
    assert "6" not in repr(rep).replace("2026", "")
    assert not hasattr(rep, "_repr_html_")  # shown only through the suppression gate
    html = "".join(t.to_html() for t in veroeffentlichen(rep).values())
    assert 'class="thm-published"' in html and "&lt;5" in html
    table = veroeffentlichen(rep, 5)["Fallzahlen"]
    text = repr(table)
    assert "<5" in text and " 1 " not in text  # A's 'neu' = 1 is shown as <5 only


def test_threshold_and_symbol_from_the_arbeitsmappe(faelle, bedarfe, zielgruppe):
    an = default_annahmen().mit({"datenschutz": {"schwelle": 3, "zeichen_geheim": "x"}})
    rep = build_report(faelle, bedarfe, zielgruppe, an, VON, BIS)
    pub = veroeffentlichen(
        rep,
    )["Fallzahlen"]
    assert pub.threshold == 3
    assert pub.published["neu"].tolist() == ["<3", "<3", 3]  # 1, 2 | 3
    assert ohne_einwilligung(rep) == "<3"
    # 1 + 1 + 1 = 3 would reveal every reason: the total is hidden, with the symbol "x"
    assert veroeffentlichen(
        rep,
    )["Abschlüsse"].published["anzahl"].tolist() == ["<3"] * 3 + ["x"]


def test_two_outcome_tables_count_different_needs_and_say_so():
    """Issue 12, rule 7: Berichtswesen "Bedarfe" and the Fallevidenz differ by what they leave
    out, and each title says what; hand-made cases, expected numbers by hand."""
    from thm_lib.analysis.coverage import case_evidence

    f = pd.DataFrame(
        [
            # fall_id, ags, alter, status, einwilligung, beginn, ende
            ("G1", A, 20, "duldung", True, "2026-02-01", NaT),  # active, target group
            ("G2", A, 30, "sonstige", True, "2026-02-01", NaT),  # active, not target group
            ("G3", A, 22, "duldung", True, "2025-01-01", "2025-06-30"),  # target group, before
            ("G4", A, 21, "gestattung", False, "2026-01-05", NaT),  # no consent
        ],
        columns=["fall_id", "ags", "alter", "status", "einwilligung", "beginn", "ende"],
    )
    f["beginn"], f["ende"] = pd.to_datetime(f["beginn"]), pd.to_datetime(f["ende"])
    b = pd.DataFrame(
        [
            ("G1", "Sprache", "passend"),
            ("G1", "Arbeit", "offen"),
            ("G2", "Sprache", "kein_angebot"),
            ("G3", "Sprache", "naechstbeste"),
            ("G4", "Sprache", "passend"),
        ],
        columns=["fall_id", "handlungsfeld", "ergebnis"],
    )
    bericht = needs_by_field(f, b, VON, BIS)
    # Berichtswesen, 1st quarter 2026: consented active cases G1, G2 -> Sprache passend 1,
    # kein Angebot 1; Arbeit offen 1; total 3
    assert bericht.loc[TOTAL, "gesamt"] == 3 and bericht.loc[TOTAL, "offen"] == 1
    evidenz = case_evidence(f, b, default_annahmen(), ["ags"])
    # Fallevidenz: target group (G1, G3), any time, decided only -> Sprache passend 1,
    # nächstbeste 1; total 2 (G2: not target group, G1 Arbeit: open, G4: no consent)
    assert evidenz["faelle_n"].sum() == 2
    # the open need of G1 Arbeit counts apart (Fallevidenz column "offen")
    offen = evidenz.set_index("handlungsfeld")["offen_n"]
    assert offen.to_dict() == {"Arbeit": 1, "Sprache": 0}
    sprache = evidenz.set_index("handlungsfeld").loc["Sprache"]
    assert sprache["anteil_passend"] == 0.5 and sprache["anteil_naechstbeste"] == 0.5
    # 3 = 2 + 1 open (G1 Arbeit) + 1 outside the target group (G2) - 1 outside the period (G3)
    assert 3 == 2 + 1 + 1 - 1
    titel = berichtswesen.fallevidenz_titel(default_annahmen())
    for words in (
        "Duldung, Aufenthaltsgestattung, 18–27 Jahre",
        "gesamten Falldokumentation",
        "Anteile an den entschiedenen Bedarfen",
        "ohne Fälle außerhalb der Zielgruppe",
        "ohne Zeitraum",
    ):
        assert words in titel
    assert berichtswesen.bedarfe_titel(Period(VON, BIS)) == (
        "Bedarfe je Handlungsfeld nach Ergebnis, 01.01.2026 bis 31.03.2026: alle im Zeitraum "
        "aktiven Fälle mit Einwilligung (alle Status und Alter), einschließlich offener Bedarfe"
    )
