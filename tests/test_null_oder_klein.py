"""A hidden count of 0 to 3 says less than a "<5" (round 2, session 42).

Found by ``tests.suche_kreise --anzahl 4 --seed 4204 --max-gemeinden 25 --faelle-mal 5
--zielgruppe 16 27``: a Kreis of 25 Gemeinden whose Gemeinde 24 counts one Geduldete
(16 years old) and two Gestattete. Its FAQ count (Geduldete 18-27) is 0, hidden with
the symbol beside its "<5" target group; the row "<5", "<5", "<5" leaves each status
1 to 3, so the FAQ count (at most the Geduldete) lies in 0 to 3. The audit wanted 5
values of every "." and held the Kreis back. A range 0 to 3 holds every value a "<5"
of 1 to 3 holds, and 0 besides: it tells less than such a "<5", which passes.
"""

from __future__ import annotations

from audit_laeufe import kreis_und_kommune
from hypothesis import given
from hypothesis import strategies as st

from tests.arbeitsmappen import ArbeitsmappeSpec, schreibe
from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.disclosure.audit_modell import null_oder_klein, schutzverletzung
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views

T = 5

NULL_NEBEN_KLEIN = ArbeitsmappeSpec(
    seed=232415910,
    n_gemeinden=25,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=True,
    stichtage=("31.12.2019", "31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(2, 1, 2, 3, 3, 1, 1, 1, 1, 0, 0, 3, 3)
    + (2, 2, 2, 1, 2, 2, 3, 1, 2, 2, 2, 3),
    ohne_angebote=frozenset({10}),
    zielgruppe_null=frozenset({1}),
    n_angebote=56,
    n_faelle=25,
    stichtag_konfiguriert=True,
    klein=frozenset({0, 2, 5, 8, 9, 10, 11, 13, 15, 16, 18, 21, 22, 23, 24}),
    zielgruppe_alter=(16, 27),
    kreis_nr=3,  # AGS 05955
)
G24 = "05955096"


def test_the_audit_takes_a_hidden_count_of_0_to_3_as_it_takes_a_small_one() -> None:
    assert schutzverletzung(True, 1, 3, T) is None  # "<5" of 1 to 3
    assert null_oder_klein(0, 3, T)  # "." of 0 to 3: 1 to 3, or nobody
    # still too narrow: 0 to 2 (a "<5" of 1 to 2 fails too), 1 to 3 (surely small), a
    # large count narrowed to 4 values; the suppression keeps to 5 values
    assert not null_oder_klein(0, 2, T) and not null_oder_klein(1, 3, T)
    assert not null_oder_klein(6, 9, T)
    assert schutzverletzung(False, 0, 3, T) is not None


@given(st.integers(2, 8), st.integers(0, 10))
def test_a_range_from_0_passes_where_the_small_cell_of_its_values_passes(schwelle, hi) -> None:
    # the argument of the rule: 0..hi holds every value a "<schwelle" cell of 1..hi may
    # have, and 0 besides
    klein_ok = hi < schwelle and schutzverletzung(True, 1, hi, schwelle) is None
    assert null_oder_klein(0, hi, schwelle) == klein_ok


def test_the_kreis_publishes_with_the_faq_count_of_gemeinde_24_hidden(tmp_path) -> None:
    ws = load_workspace(schreibe(NULL_NEBEN_KLEIN, tmp_path / "mappe"))
    zielgruppe = views.zielgruppe_je_gemeinde(ws).published
    assert list(zielgruppe.loc["Gemeinde 24"]) == ["<5", "<5", "<5"]
    personen = views.personen_tabelle(ws, stellenbemessung(ws)).published
    assert personen.loc[G24, "faq_personen"] == ws.annahmen.datenschutz.zeichen_geheim
    result = kreis_und_kommune(tmp_path / "mappe", G24, tmp_path)
    assert result.veroeffentlicht, result.pruefung.zusammenfassung()
