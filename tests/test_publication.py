"""Issue 13: one hiding pattern per quantity across all published tables of a Kreis run.

Each test first reproduced its way in on the code before the publication
layer (it failed there), using only the public ``views``/``notebook`` API and
an attack of its own, not the layer's rules. Two Kreise: the sample and a
generated one with many small Gemeinden (``helpers_kreis``), where need
rates are pooled per status and differ between Duldung and Gestattung.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.arbeitsmappen import SPALTE_SPAETER_GESCHUETZT, STICHTAG_OHNE_NEUE_ZAHL, schreibe
from thm_lib.analysis import coverage, staffing
from thm_lib.analysis.needs import wilson_interval
from thm_lib.core import labels
from thm_lib.disclosure import publication
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.run import notebook as nb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers_kreis import write_kreis  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


@pytest.fixture(scope="module", params=["sample", "klein", "winzig"])
def ws(request, tmp_path_factory):
    if request.param == "sample":
        return load_workspace(SAMPLE)
    if request.param == "winzig":  # Gemeinden whose whole target group is 1-4 or hidden
        return load_workspace(
            write_kreis(tmp_path_factory.mktemp("winzig"), seed=1, n=20, mean=0.15)
        )
    return load_workspace(write_kreis(tmp_path_factory.mktemp("kleinkreis")))


@pytest.fixture(scope="module")
def klein(tmp_path_factory):
    # rates pooled per status (too few cases per status × age band), differing by status
    return load_workspace(
        write_kreis(tmp_path_factory.mktemp("kleinkreis2"), seed=5, faelle=200, mindestfaelle=70)
    )


def _row_of_stichtag(ws, ags, tag):
    verlauf = views.zielgruppe_verlauf(ws, ags)
    label = f"{pd.Timestamp(tag):%d.%m.%Y}"
    return verlauf.published.loc[label], verlauf.mask.loc[label]


def test_faq_count_carries_the_mask_of_the_duldung_cell_of_its_stichtag(ws) -> None:
    # way in 1: "Personen (FAQ-Zählung)" is the Duldung count of the Stichtag of the first
    # application; hidden in the trend but shown in the staffing table (or vice versa)
    # gave Gestattung = total - FAQ count
    bemessung = staffing.stellenbemessung(ws)
    personen = views.personen_tabelle(ws, bemessung)
    assert ws.programm["zaehlung"]["status"] == ["duldung"]
    checked = hidden = 0
    for _, r in bemessung[bemessung["ebene"] != "kreis"].iterrows():
        shown, mask = _row_of_stichtag(ws, r["ags"], r["faq_stichtag"])
        faq_hidden = bool(personen.mask.loc[r["ags"], "faq_personen"])
        assert faq_hidden == bool(mask["duldung"]), r["name"]
        if not faq_hidden:
            assert int(personen.published.loc[r["ags"], "faq_personen"]) == int(shown["duldung"])
        checked += 1
        hidden += faq_hidden
    assert checked == len(ws.gebiete) and hidden >= 1


def test_staffing_figures_hidden_where_their_count_is_hidden(ws) -> None:
    # way in 1b: the caseload model (target group × rate) was shown where the target
    # group total was hidden; the FAQ positions (count / 100) where the count was hidden
    bemessung = staffing.stellenbemessung(ws)
    table = views.stellen_tabelle(ws, bemessung)
    symbol = views.zeichen_geheim(ws)
    zg = views.zielgruppe_je_gemeinde(ws)
    for _, r in bemessung[bemessung["ebene"] != "kreis"].iterrows():
        row = table.loc[r["name"]]
        shown = [c for c in zg.published.columns if not zg.mask.loc[r["name"], c]]
        # the caseload models count the statuses of the reach rate (rules: Geduldete)
        basis = list(ws.annahmen.stellen.erreichung_status)
        if zg.mask.loc[r["name"], basis].any():
            assert row["Stellen Fallzahlmodell"] == symbol, r["name"]
            assert row["Stellen Arbeitszeitmodell"] == symbol, r["name"]
        if row["Stellen Fallzahlmodell"] != symbol:
            # shown only when it follows from a shown number and the published parameters
            candidates = [
                round(
                    staffing.fallzahl_stellen(
                        float(zg.published.loc[r["name"], c]),
                        r["erreichungsquote"],
                        r["betreuungsschluessel"],
                        r["steuerungsanteil"],
                    )["stellen"],
                    2,
                )
                for c in shown
            ]
            assert row["Stellen Fallzahlmodell"] in candidates, r["name"]
        if (
            row["Personen (FAQ-Zählung)"] in (symbol, f"<{views.schwelle(ws)}")
            and r["faq_regel"] == staffing.REGEL_SCHLUESSEL
        ):
            assert row["Stellen FAQ-Schlüssel"] == symbol


def test_reach_and_structure_repeat_the_target_group_mask(ws) -> None:
    zg = views.zielgruppe_je_gemeinde(ws)
    if ws.faelle is not None:
        reach = views.reichweite_tabelle(ws)
        names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
        for ags, name in names.items():
            for s in ws.annahmen.zielgruppe.status:
                assert bool(reach.mask.loc[ags, f"zielgruppe_{s}"]) == bool(zg.mask.loc[name, s])
            assert bool(reach.mask.loc[ags, "zielgruppe"]) == bool(zg.mask.loc[name, "gesamt"])
    struktur = views.zielgruppe_struktur(ws)
    assert bool(struktur.mask.loc[views.TOTAL, "gesamt"]) == bool(
        zg.mask.loc[views.TOTAL, "gesamt"]
    )


def _attack_status_split(ws, result) -> list[tuple[str, int]]:
    """Solve the Duldung count of each Gemeinde from the gap list, the shown total and
    the need rates (an independent attacker: integer search over every possible split).

    Returns (Gemeinde, recovered count) for every Gemeinde whose hidden Duldung cell
    has exactly one feasible value.
    """
    zg = views.zielgruppe_je_gemeinde(ws)
    gaps = views.lueckenliste(ws, result)
    take_up = float(ws.annahmen.bedarf.inanspruchnahme)
    q = result.bedarfsquoten
    rate = q.groupby(["handlungsfeld", "status"])["quote"].agg(["min", "max"])
    recovered = []
    for name in zg.published.index.drop(views.TOTAL):
        if not zg.mask.loc[name, "duldung"] or zg.mask.loc[name, "gesamt"]:
            continue
        total = int(zg.published.loc[name, "gesamt"])
        rows = gaps[gaps.index.get_level_values("Gemeinde") == name]
        feasible = set(range(total + 1))
        for (_, feld), r in rows.iterrows():
            rd, rg = rate.loc[(feld, "duldung")], rate.loc[(feld, "gestattung")]
            if rd["min"] != rd["max"] or rg["min"] != rg["max"]:
                continue  # rates differ by age: not this attack
            feasible &= {
                d
                for d in range(total + 1)
                if round(take_up * (rd["min"] * d + rg["min"] * (total - d)), 1)
                == r[labels.BEDARF_GESCHAETZT]
            }
        if len(feasible) == 1:
            recovered.append((name, feasible.pop()))
    return recovered


def test_gap_list_does_not_pin_a_hidden_status_count(klein) -> None:
    # way in 2: demand = take-up × (rate_D × Duldung + rate_G × Gestattung) with a shown
    # total pins Duldung and Gestattung of a Gemeinde whose status cells are hidden
    result = coverage.analyse(klein)
    q = result.bedarfsquoten
    assert set(q["quelle"]) <= {"status", "kreis", "standardquote"}  # rates per status
    zg = views.zielgruppe_je_gemeinde(klein)
    # the way in exists: Gemeinden with a hidden Duldung cell and a shown total (before the
    # layer, four of them were in the gap list and all four were recovered)
    assert (zg.mask["duldung"] & ~zg.mask["gesamt"]).sum() >= 4
    assert _attack_status_split(klein, result) == []


def test_modelled_figures_hidden_wherever_a_status_cell_is_hidden(ws) -> None:
    result = coverage.analyse(ws)
    hidden = views.versorgung_gesperrt(ws, result)
    zg = views.zielgruppe_je_gemeinde(ws)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    for i, row in result.gemeinden.iterrows():
        if zg.mask.loc[names[row["ags"]]].any():
            assert hidden[i], row["name"]
    gaps = views.lueckenliste(ws, result)
    g = result.gemeinden
    assert not set(gaps.index) & set(
        zip(g.loc[hidden, "name"], g.loc[hidden, "handlungsfeld"], strict=True)
    )
    matrix = views.versorgung_matrix(ws, result)
    for i, row in result.gemeinden.iterrows():
        cell = matrix.loc[row["name"], row["handlungsfeld"]]
        assert (cell == views.zeichen_geheim(ws)) == bool(hidden[i])


def _cell_k_values(cell: str, n_max: int, minimum: int, konfidenz: float) -> set[int] | None:
    """All case numbers k (with the need) consistent with a shown rate cell "62 (48–74) SA"."""
    m = re.fullmatch(r"(\d+) \((\d+)–(\d+)\) (\w+)", cell)
    if not m:
        return None
    p, lo, hi = (int(m.group(i)) for i in (1, 2, 3))
    ks = set()
    for n in range(minimum, n_max + 1):
        k = np.arange(n + 1)
        a, b = wilson_interval(k, np.full(n + 1, n), konfidenz)
        ok = (
            ((np.floor(k / n * 100 + 0.5) == p) | (np.round(k / n * 100) == p))
            & (np.round(a * 100) == lo)
            & (np.round(b * 100) == hi)
        )
        ks |= {int(x) for x in k[ok]} | {-int(n - x) - 1 for x in k[ok]}
    return ks


def test_need_rates_and_intervals_do_not_pin_small_case_numbers(ws) -> None:
    # way in 3: "2 (0–10) S" with the pooling minimum of 30 determines k = 1
    result = coverage.analyse(ws)
    table = nb.quoten_tabelle(result)
    t = views.schwelle(ws)
    minimum = int(ws.annahmen.bedarf.mindestfaelle)
    n_max = int(result.bedarfsquoten["n"].max())
    pinned = []
    for feld, row in table.iterrows():
        for col, cell in row.items():
            found = _cell_k_values(str(cell), n_max, minimum, 0.95)
            if not found:
                continue
            ks = {k for k in found if k >= 0}
            rest = {-k - 1 for k in found if k < 0}
            if all(1 <= k < t for k in ks) or all(1 <= r < t for r in rest):
                pinned.append((feld, col, cell))
    assert pinned == []


def test_generated_kreis_workbook_passes_the_privacy_scan(klein, tmp_path) -> None:
    from thm_lib.disclosure.privacy import assert_clean
    from thm_lib.run.report import buendnis_workbook

    result = coverage.analyse(klein)
    bemessung = staffing.stellenbemessung(klein)
    paths = [buendnis_workbook(klein, "", result, bemessung, tmp_path / "kreis.xlsx")]
    for ags in klein.gebiete["ags"][:4]:
        paths.append(buendnis_workbook(klein, ags, result, bemessung, tmp_path / f"{ags}.xlsx"))
    assert_clean(paths, klein.faelle["fall_id"])


@pytest.mark.parametrize("mass", ["zielgruppe", "je_1000"])
def test_map_hides_exactly_the_gemeinden_the_table_hides(ws, mass) -> None:
    # one mask per quantity: the map neither shows a hidden total nor hides a shown one
    from thm_lib.publish.maps.interactive import gemeinde_layer_data

    zg = views.zielgruppe_je_gemeinde(ws)
    frame, _ = gemeinde_layer_data(
        ws.gebiete, views.karten_mass(ws, mass), views.schwelle(ws), "quantiles", 5
    )
    names = ws.gebiete.set_index("ags").loc[frame["ags"], "name"]
    for name, hidden, text in zip(
        names, frame["unterdrueckt"] != "", frame["anzeige"], strict=True
    ):
        assert hidden == bool(zg.mask.loc[name, "gesamt"]), name
        if mass == "zielgruppe" and not hidden:
            assert int(text.replace(".", "")) == int(zg.published.loc[name, "gesamt"])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000), n=st.integers(6, 24), mean=st.sampled_from([0.1, 0.2, 0.35, 0.6])
)
def test_property_one_mask_per_quantity_in_random_small_kreise(
    tmp_path_factory, seed, n, mean
) -> None:
    ws = load_workspace(
        write_kreis(tmp_path_factory.mktemp("zufall"), seed=seed, n=n, mean=mean, faelle=120)
    )
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    bemessung = staffing.stellenbemessung(ws)
    personen = views.personen_tabelle(ws, bemessung)
    for _, r in bemessung[bemessung["ebene"] != "kreis"].iterrows():
        shown, mask = _row_of_stichtag(ws, r["ags"], r["faq_stichtag"])
        assert bool(personen.mask.loc[r["ags"], "faq_personen"]) == bool(mask["duldung"])
    zg = views.zielgruppe_je_gemeinde(ws)
    reach = views.reichweite_tabelle(ws)
    for ags, name in names.items():
        assert bool(reach.mask.loc[ags, "zielgruppe"]) == bool(zg.mask.loc[name, "gesamt"])
        if not personen.mask.loc[ags, "fallzahl_personen"]:
            assert int(personen.published.loc[ags, "fallzahl_personen"]) in {
                int(zg.published.loc[name, c])
                for c in zg.published.columns
                if not zg.mask.loc[name, c]
            }
    result = coverage.analyse(ws)
    hidden = views.versorgung_gesperrt(ws, result)
    for i, row in result.gemeinden.iterrows():
        if zg.mask.loc[names[row["ags"]]].any():
            assert hidden[i]


def test_clients_equal_to_active_cases_carry_the_fallzahlen_mask(ws) -> None:
    if ws.faelle is None:
        pytest.skip("ohne Falldaten")
    tables = views.bericht_tabellen(ws)
    fall, reach = tables["Fallzahlen"], tables["Reichweite"]
    aktiv = fall.internal_unsuppressed["aktiv"]
    same = aktiv.eq(reach.internal_unsuppressed["klient_innen"].reindex(aktiv.index))
    for key in aktiv.index[same]:
        assert bool(fall.mask.loc[key, "aktiv"]) == bool(reach.mask.loc[key, "klient_innen"])


def test_threshold_and_symbol_from_the_settings_in_every_table(tmp_path) -> None:
    ws = load_workspace(SAMPLE, overrides={"datenschutz": {"schwelle": 4, "zeichen_geheim": "*"}})
    result = coverage.analyse(ws)
    bemessung = staffing.stellenbemessung(ws)
    tables = {
        "zielgruppe": views.zielgruppe_je_gemeinde(ws),
        "struktur": views.zielgruppe_struktur(ws),
        "verlauf": views.zielgruppe_verlauf(ws),
        "personen": views.personen_tabelle(ws, bemessung),
        "fallevidenz": views.fallevidenz(ws),
        **views.bericht_tabellen(ws),
    }
    for name, table in tables.items():
        assert table.threshold == 4 and table.symbol == "*", name
        shown = table.published.to_numpy()[table.mask.to_numpy(dtype=bool)]
        assert {str(v) for v in shown} <= {"<4", "*"}, name
    stellen = views.stellen_tabelle(ws, bemessung)
    assert "." not in set(stellen.astype(str).to_numpy().ravel())
    from openpyxl import load_workbook

    from thm_lib.run.report import buendnis_workbook

    path = buendnis_workbook(ws, "", result, bemessung, tmp_path / "b.xlsx")
    rule = " ".join(
        str(c.value) for row in load_workbook(path)["Hinweise"].iter_rows() for c in row if c.value
    )
    assert "„<4“" in rule and "„*“" in rule


def test_a_later_stichtag_repeating_an_earlier_one_hides_a_zero_as_last_resort(tmp_path):
    ws = load_workspace(schreibe(STICHTAG_OHNE_NEUE_ZAHL, tmp_path / "mappe"))
    pub = publication.fuer(ws)
    frueher, spaeter = (pub.zielgruppe(pd.Timestamp(t)) for t in ("2020-12-31", "2021-12-31"))
    assert frueher.unresolved == () and spaeter.unresolved == ()
    # Gemeinde 11: 1 Gestattete at 31.12.2020 ("<5"), none at 31.12.2021
    roh = spaeter.internal_unsuppressed
    assert frueher.internal_unsuppressed.loc["Gemeinde 11", "gestattung"] == 1
    assert roh.loc["Gemeinde 11"].tolist() == [0, 0, 0]
    # every other row is the earlier table's row with its mask; the Kreis totals differ
    # by that one person, so they are hidden, and a zero of Gemeinde 11 with its row total
    # (the only free cells) makes them unbounded
    andere = [r for r in roh.index if r not in ("Gemeinde 11", "Insgesamt")]
    assert roh.loc[andere].equals(frueher.internal_unsuppressed.loc[andere])
    assert spaeter.mask.loc[andere].equals(frueher.mask.loc[andere])
    assert spaeter.mask.loc["Insgesamt", "gesamt"]
    assert (
        roh.loc["Insgesamt", "gesamt"]
        == frueher.internal_unsuppressed.loc["Insgesamt", "gesamt"] - 1
    )
    zeile = spaeter.published.loc["Gemeinde 11"]
    assert zeile["gesamt"] == pub.zeichen and (zeile == pub.zeichen).sum() == 2
    # a Gemeinde without any count is 0 in every table: its zeros stay shown
    assert spaeter.published.loc["Gemeinde 1"].tolist() == [0, 0, 0]


def test_a_line_the_bounded_check_protected_is_not_reported_open(tmp_path):
    ws = load_workspace(schreibe(SPALTE_SPAETER_GESCHUETZT, tmp_path / "mappe"))
    pub = publication.fuer(ws)
    reach = pub.reichweite
    assert reach.unresolved == ()
    # four Gemeinden with 1 to 4 Gestattete clients each: a Kreis total "<5" would pin
    # every one of them to 1; it is shown with the symbol instead
    spalte = reach.internal_unsuppressed["klient_innen_gestattung"]
    klein = spalte.drop(reach.published.index[-1])
    assert int((klein > 0).sum()) == 4 and spalte.iloc[-1] == klein.sum()
    assert (reach.published.loc[klein.index[klein > 0], "klient_innen_gestattung"] == "<5").all()
    assert reach.published["klient_innen_gestattung"].iloc[-1] == pub.zeichen
    # and the zero of 31.12.2021 hidden as last resort (Gemeinde 9, "<5" before)
    zg = pub.zielgruppe(pd.Timestamp("2021-12-31"))
    assert zg.unresolved == () and zg.published.loc["Gemeinde 9", "gesamt"] == pub.zeichen
    assert zg.internal_unsuppressed.loc["Gemeinde 9", "gesamt"] == 0
