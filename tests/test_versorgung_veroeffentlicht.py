"""Published coverage from published demand only (thm_lib.disclosure.versorgung).

A hand-made Kreis (standard need rates 0.6 × Inanspruchnahme 0.8 = 0.48 for Sprache,
the same for every status and age, reach 10 km, 4 km squares on one row):

* Altstadt (30 Geduldete, 17 with Gestattung, shown) and Kleinbach (1 Geduldete, k
  with Gestattung) at columns 0 and 1, no offer in reach;
* Neustadt (25 Geduldete, 25 with Gestattung, shown) at column 10 with the Kreis's
  three Sprache offers (8, 11 and 30 places), and Nachbar (n Geduldete) at column 11,
  in reach of the same three offers;
* Heide (m Geduldete) and Moor (4 - k with Gestattung) at columns 21 and 22, out of
  reach.

Altstadt and Neustadt are shown, the four small Gemeinden hidden (each other's "<5").
On the internal model the Versorgungsgrad of Neustadt is 49 / (24 + 0.48 n): 200.2 /
196.3 / 192.6 / 189.0 % for n = 1 / 2 / 3 / 4, Nachbar's hidden count exactly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from arbeitsmappen import Ort, OrtAngebot, ort_ags, schreibe_orte
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thm_lib.analysis import coverage
from thm_lib.disclosure import versorgung
from thm_lib.ingest import arbeitsmappe
from thm_lib.publish import views

JE_PERSON = 0.6 * 0.8
PLAETZE = 8 + 11 + 30


def _kreis(folder: Path, nachbar: int = 1, heide: int = 3, kleinbach_g: int = 2):
    orte = [
        Ort("Altstadt", 0, (("duldung", 20, "m", 30), ("gestattung", 22, "w", 17))),
        Ort("Kleinbach", 1, (("duldung", 21, "m", 1), ("gestattung", 22, "w", kleinbach_g))),
        Ort("Neustadt", 10, (("duldung", 20, "w", 25), ("gestattung", 24, "m", 25))),
        Ort("Nachbar", 11, (("duldung", 23, "w", nachbar),)),
        Ort("Heide", 21, (("duldung", 23, "w", heide),)),
        Ort("Moor", 22, (("gestattung", 22, "w", 4 - kleinbach_g),)),
    ]
    angebote = [
        OrtAngebot("Kurs A", "Sprache", 8, 2),
        OrtAngebot("Kurs B", "Sprache", 11, 2),
        OrtAngebot("Kurs C", "Sprache", 30, 2),
    ]
    annahmen = "erreichbarkeit:\n  einheit: km\n  schwelle: 10\n"
    return arbeitsmappe.load_workspace(schreibe_orte(folder, orte, angebote, annahmen))


@pytest.fixture(scope="module")
def kreis(tmp_path_factory):
    return _kreis(tmp_path_factory.mktemp("nachbar"))


def _zeile(result, name: str) -> pd.Series:
    g = result.gemeinden
    return g[(g["name"] == name) & (g["handlungsfeld"] == "Sprache")].iloc[0]


def test_neustadt_from_published_demand_by_hand(kreis) -> None:
    ws = kreis
    zielgruppe_vorher = ws.zielgruppe.copy()
    res = versorgung.versorgung_veroeffentlicht(ws, ["Sprache"])
    name = res.gemeinden.set_index("ags")["name"]
    gezeigt = versorgung.gezeigte_gemeinden(ws, ["Sprache"])
    assert sorted(name[list(gezeigt)]) == ["Altstadt", "Neustadt"]
    gesperrt = set(res.gemeinden.loc[views.versorgung_gesperrt(ws, res), "name"])
    assert gesperrt == {"Kleinbach", "Nachbar", "Heide", "Moor"}
    # published: Kreis 30+1+25+1+3+0 = 60 Geduldete and 17+2+25+0+0+2 = 46 with
    # Gestattung; minus the shown 55 and 42, the remainder 5 + 4 = 9 persons is split
    # equally among the four hidden Gemeinden: 2.25 each, Nachbar's demand 2.25 × 0.48
    zg = views.zielgruppe_je_gemeinde(ws).published
    assert (int(zg.loc["Insgesamt", "duldung"]), int(zg.loc["Insgesamt", "gestattung"])) == (
        60,
        46,
    )
    nachbar = (60 - 55 + 46 - 42) / 4 * JE_PERSON
    assert _zeile(res, "Nachbar")["bedarf"] == pytest.approx(nachbar)
    neustadt = 50 * JE_PERSON  # shown: its true demand
    assert _zeile(res, "Neustadt")["bedarf"] == pytest.approx(neustadt)
    # every offer reaches Neustadt and Nachbar with weight 1: A = 49 / (24 + 1.08)
    grad = PLAETZE / (neustadt + nachbar) * 100
    assert round(grad, 1) == 195.4
    assert _zeile(res, "Neustadt")["versorgungsgrad"] == pytest.approx(grad)
    # the internal model: 49 / (24 + 0.48) = 200.2 %, Nachbar's one Geduldete exactly
    intern = coverage.analyse(ws, ["Sprache"])
    assert round(_zeile(intern, "Neustadt")["versorgungsgrad"], 1) == 200.2
    # the matrix and the map show the published value
    matrix = views.versorgung_matrix(ws, res)
    assert float(matrix.loc["Neustadt", "Sprache"]) == pytest.approx(round(grad), abs=0.51)
    karte = views.karten_mass(ws, "versorgungsgrad", "Sprache")
    ags = res.gemeinden.set_index("name")["ags"]
    assert karte.values[ags["Neustadt"]] == pytest.approx(grad)
    # the user's Workspace is unchanged
    pd.testing.assert_frame_equal(ws.zielgruppe, zielgruppe_vorher)


def _ohne_nan(obj: object) -> object:
    """``obj`` with NaN as None (NaN != NaN would fail any comparison of dicts)."""
    if isinstance(obj, dict):
        return {k: _ohne_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_ohne_nan(v) for v in obj]
    return None if isinstance(obj, float) and obj != obj else obj


def _veroeffentlicht(ws) -> dict[str, object]:
    """Every published coverage figure of the Kreis (tables, map, app explanations)."""
    res = versorgung.versorgung_veroeffentlicht(ws)
    gesperrt = views.versorgung_gesperrt(ws, res)
    gezeigt = res.gemeinden[~gesperrt.to_numpy()]
    out: dict[str, object] = {
        "gezeigt": gezeigt.drop(columns=coverage.EVIDENZ_COLUMNS, errors="ignore").to_dict(
            "records"
        ),
        "matrix": views.versorgung_matrix(ws, res).to_dict(),
        "luecken": views.lueckenliste(ws, res).to_dict(),
        "karte": views.karten_mass(ws, "versorgungsgrad", "Sprache", res).values.to_dict(),
    }
    for _, r in gezeigt.iterrows():
        tab = coverage.explain(res, r["ags"], r["handlungsfeld"])
        out[f"erklaerung_{r['name']}_{r['handlungsfeld']}"] = tab.round(9).to_dict("records")
    return _ohne_nan(out)


@pytest.fixture(scope="module")
def basis(kreis) -> dict[str, object]:
    return _veroeffentlicht(kreis)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nachbar=st.integers(1, 3), kleinbach_g=st.integers(1, 3))
def test_published_coverage_does_not_depend_on_hidden_counts(
    basis, kreis, tmp_path_factory, nachbar, kleinbach_g
) -> None:
    # Geduldete (23 years, female) move between hidden Nachbar and hidden Heide (4 in
    # all), persons with Gestattung (22, female) between hidden Kleinbach and Moor: the
    # published Kreis totals, age structure and hiding pattern stay, so nothing
    # published may change. On the internal model Neustadt's Versorgungsgrad followed
    # Nachbar's count.
    ws = _kreis(tmp_path_factory.mktemp("anders"), nachbar, 4 - nachbar, kleinbach_g)
    for tab in (views.zielgruppe_je_gemeinde, views.zielgruppe_struktur):
        assert tab(ws).published.equals(tab(kreis).published)
    assert versorgung.gezeigte_gemeinden(ws) == versorgung.gezeigte_gemeinden(kreis)
    assert _veroeffentlicht(ws) == basis


# --------------------------------------------------------------------------- offers' ages
def _altersgrenzen_kreis(tmp_path: Path, alter_max: int, altstadt_26: int = 2):
    """Without case records every rate is the Standardquote (equal for all ages); only the
    Sprache course's ages split the age bands. Altstadt holds 2 Geduldete aged 26 (32 in
    all), Dorf 3 (23 in all); ``altstadt_26`` moves persons between 20 and 26 in both
    Gemeinden so that their totals and the Kreis's age structure stay."""
    orte = [
        Ort(
            "Altstadt",
            0,
            (("duldung", 20, "m", 32 - altstadt_26), ("duldung", 26, "m", altstadt_26)),
        ),
        Ort("Neustadt", 1, (("duldung", 20, "w", 25), ("duldung", 22, "m", 25))),
        Ort(
            "Dorf",
            2,
            (("duldung", 20, "m", 18 + altstadt_26), ("duldung", 26, "m", 5 - altstadt_26)),
        ),
    ]
    kurs = [OrtAngebot("Kurs", "Sprache", 20, 0, alter_min=18, alter_max=alter_max)]
    annahmen = "erreichbarkeit:\n  einheit: km\n  schwelle: 10\n"
    return arbeitsmappe.load_workspace(
        schreibe_orte(tmp_path / f"bis_{alter_max}_{altstadt_26}", orte, kurs, annahmen)
    )


def test_an_offer_for_some_ages_reveals_the_persons_per_age_band(tmp_path) -> None:
    altstadt, neustadt, dorf = ort_ags(0), ort_ags(1), ort_ags(2)
    # open to 18-27: the demand sharing its places does not depend on age, and every
    # Gemeinde (every status cell shown) is modelled with its own persons
    alle = _altersgrenzen_kreis(tmp_path, 27)
    assert versorgung.gezeigte_gemeinden(alle, ["Sprache"]) == {altstadt, neustadt, dorf}
    assert versorgung.eigene_struktur(alle, ["Sprache"]) == {altstadt, neustadt, dorf}
    # open to 18-25: it takes a third of the band 25-27, so the demand sharing its
    # places would count Altstadt's band 18-20 whole and its 2 persons aged 26 by a third:
    # its Versorgungsgrad would follow a count the tables hide. Altstadt and Dorf (3) are
    # shown with the Kreis's age structure instead, Neustadt (0 in 25-27) with its own
    bis25 = _altersgrenzen_kreis(tmp_path, 25)
    assert versorgung.gezeigte_gemeinden(bis25, ["Sprache"]) == {altstadt, neustadt, dorf}
    assert versorgung.eigene_struktur(bis25, ["Sprache"]) == {neustadt}
    res = versorgung.versorgung_veroeffentlicht(bis25, ["Sprache"])
    assert not views.versorgung_gesperrt(bis25, res).any()
    kreis = dict(zip(res.gemeinden["name"], views.mit_kreisstruktur(bis25, res), strict=True))
    assert kreis == {"Altstadt": True, "Neustadt": False, "Dorf": True}
    # the Kreis: 75 aged 18-20 (50 m, 25 w), 25 aged 21-24, 5 aged 25-27; the course takes
    # 2/3 of band 25-27 less: Altstadt's eligible demand is 32 × (1 - 5/105 × 2/3) × 0.48
    modell = versorgung.ws_veroeffentlicht(bis25, ["Sprache"])
    alt = modell.zielgruppe[modell.zielgruppe["ags"].astype(str) == altstadt]
    assert alt["anzahl"].sum() == pytest.approx(32)
    je_band = alt.groupby("alter_von")["anzahl"].sum()
    assert je_band.to_dict() == pytest.approx(
        {18: 32 * 75 / 105, 21: 32 * 25 / 105, 25: 32 * 5 / 105}
    )
    text = views.kreisstruktur_hinweis(bis25, res)
    assert "von Altstadt und Dorf sind mit der Altersstruktur des Kreises geschätzt" in text
    # moving persons between 20 and 26 within Altstadt and Dorf (totals and the Kreis's
    # age structure stay) changes nothing published; on the own age structure it would
    for n in (1, 3):
        anders = _altersgrenzen_kreis(tmp_path, 25, altstadt_26=n)
        for tab in (views.zielgruppe_je_gemeinde, views.zielgruppe_struktur):
            assert tab(anders).published.equals(tab(bis25).published)
        assert _veroeffentlicht(anders) == _veroeffentlicht(bis25)
        intern = coverage.analyse(anders, ["Sprache"])
        assert _zeile(intern, "Altstadt")["versorgungsgrad"] != pytest.approx(
            _zeile(coverage.analyse(bis25, ["Sprache"]), "Altstadt")["versorgungsgrad"]
        )
    # other Handlungsfelder have no offer with an age limit: Altstadt's own persons there
    assert altstadt in versorgung.eigene_struktur(bis25, ["Wohnen"])
