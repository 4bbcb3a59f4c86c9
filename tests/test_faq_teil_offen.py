"""An FAQ count is not shown because a stronger reader than any real one knew it anyway
(round 2, session 43).

Found by ``tests.suche_kreise --anzahl 4 --seed 4305 --max-gemeinden 25 --schwelle 3
--faelle-mal 4 --min-stichtage 2``: a Kreis of 13 Gemeinden, target group 16-27,
threshold 3. On 31.12.2021 Gemeinde 8 counts 77 Geduldete of 16-27, two of them 16
years old; its FAQ count (Geduldete 18-27) is 75. The FAQ table assumes a reader knows
the persons of 16-17 of every Gemeinde whose age bands a model figure may reveal
(all 13 here) and of the Kreis, where 0 or large: then Gemeinde 8's 2 follow from the
Kreis's 28 minus the others' 26, the pattern stays open, and the F a reader "derives
anyway" (75 = 77 - 2) was shown - giving the 2 to a real reader, who knows no such
band: the audit found it and nothing was published. Now, where the F so derived would
give a real reader (published target group, the Kreis's bands, those F) a small part,
only the F the published target group alone gives are shown.
"""

from __future__ import annotations

from audit_laeufe import kreis_und_kommune

from tests.arbeitsmappen import ArbeitsmappeSpec, schreibe
from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.core.labels import KREIS
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views

FAQ_TEIL_OFFEN = ArbeitsmappeSpec(
    seed=500,
    n_gemeinden=13,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=False,
    stichtage=("31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(0, 0, 1, 0, 1, 0, 0, 2, 0, 0, 0, 0, 1),
    ohne_angebote=frozenset({10}),
    zielgruppe_null=frozenset({4}),
    n_angebote=2,
    n_faelle=188,
    stichtag_konfiguriert=False,
    sonderzeichen=True,
    zielgruppe_alter=(16, 27),
    schwelle=3,
)
G3, G8, G13 = "05958012", "05958032", "05958052"
NAME_G8 = 'Bad <i>8</i> & "Söhne"'


def test_the_faq_count_beside_a_small_part_stays_hidden(tmp_path) -> None:
    ws = load_workspace(schreibe(FAQ_TEIL_OFFEN, tmp_path / "mappe"))
    # zielgruppe.csv of Gemeinde 8 on 31.12.2021, Duldung: 2 (16 y.), 20, 2, 13, 11, 29
    zielgruppe = views.zielgruppe_je_gemeinde(ws)
    assert zielgruppe.internal_unsuppressed.loc[NAME_G8, "duldung"] == 77
    assert str(zielgruppe.published.loc[NAME_G8, "duldung"]) == "77"  # shown: 77 >= 3
    bemessung = stellenbemessung(ws)
    faq = bemessung.set_index("ags")["faq_personen"]
    assert round(float(faq.loc[G8])) == 75  # 77 - 2 would give the two 16-year-olds
    personen = views.personen_tabelle(ws, bemessung).published["faq_personen"]
    zeichen = ws.annahmen.datenschutz.zeichen_geheim
    assert personen.loc[G8] == zeichen
    # The Kreis's count (140, every Gemeinde's) follows from the target group anyway
    # (168 minus the Kreis's 28 of 16-17); beside it the other counts (22 and 43, the
    # rest are 0) would give Gemeinde 8's back: they stay hidden with it.
    assert personen.loc[KREIS] == 140
    assert personen.loc[[G3, G13]].tolist() == [zeichen, zeichen]
    andere = personen.drop([G3, G8, G13, KREIS])
    assert andere.tolist() == [0] * 10


def test_the_kreis_publishes_and_passes_the_audit(tmp_path) -> None:
    result = kreis_und_kommune(schreibe(FAQ_TEIL_OFFEN, tmp_path / "mappe"), G8, tmp_path)
    assert result.veroeffentlicht, result.pruefung.zusammenfassung()
