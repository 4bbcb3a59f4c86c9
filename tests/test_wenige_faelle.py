"""A Kreis in its first months: a handful of documented cases (round 2, session 40).

Every count of the Berichtswesen is small there, and its tables pin each other: a
"<5" hidden everywhere was narrowed to two values. None of them is published then,
nor the reach; the reports say why in a sentence.
"""

from __future__ import annotations

from audit_laeufe import kreis_und_kommune
from openpyxl import load_workbook

from tests.arbeitsmappen import ArbeitsmappeSpec, schreibe
from thm_lib.core.labels import KREIS
from thm_lib.disclosure import publication
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.run import notebook as nb
from thm_lib.run.batch import kreis_ordner_name

FUENF_FAELLE = ArbeitsmappeSpec(
    seed=385,
    n_gemeinden=4,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=True,
    mit_kommunen=False,
    stichtage=("31.12.2021",),
    stichtage_je_gemeinde=(0, 1, 0, 1),
    ohne_angebote=frozenset(),
    zielgruppe_null=frozenset(),
    n_angebote=11,
    n_faelle=5,
    stichtag_konfiguriert=True,
    klein=frozenset({1}),
    kreis_nr=5,  # AGS 05953
)
"""Found by ``tests.suche_kreise --seed 4001 --max-faelle 5``: five cases, four with
consent, active in 2021 in Gemeinde 2 (2) and Gemeinde 4 (2); the audit of all outputs
held the Kreis back (12 findings), nothing was published."""
G2, G4 = "05953008", "05953016"


def test_the_berichtswesen_of_five_cases_is_withheld_as_it_pins_its_small_counts(tmp_path):
    ws = load_workspace(schreibe(FUENF_FAELLE, tmp_path / "mappe"))
    pub = publication.fuer(ws)
    geprueft = pub._bericht_geprueft
    fall, reich = geprueft["Fallzahlen"].published, geprueft["Reichweite"].published
    # hidden as well as can be, and still narrowed (by hand): Gemeinde 4's clients are
    # Duldung "<5" + Gestattung "<5" >= 2, active >= clients, so Gemeinde 2's active
    # cases are Kreis ("<5", <= 4) minus Gemeinde 4 (>= 2): 1 or 2 - a "<5" needs 1..4
    assert [fall.loc[a, "aktiv"] for a in (G2, G4, "Insgesamt")] == ["<5"] * 3
    assert [reich.loc[G4, f"klient_innen_{s}"] for s in ("duldung", "gestattung")] == ["<5"] * 2
    assert geprueft["Fallzahlen"].internal_unsuppressed.loc[G2, "aktiv"] == 2
    assert geprueft["Reichweite"].unresolved
    # so none of the tables is published, nor the reach
    assert pub.berichtswesen_zurueckgehalten
    assert views.bericht_tabellen(ws) == {} and views.bericht_tabellen(ws, G2) == {}
    kennzahlen = views.kennzahlen_tabelle(ws)
    assert set(kennzahlen.published["klienten"]) == {"–"}
    assert "Reichweite: nicht gezeigt" in kennzahlen.titel
    assert nb.berichtswesen_hinweis(ws) == nb.BERICHTSWESEN_NICHT_GEZEIGT
    assert nb.karte(ws, KREIS, "reichweite") is None  # the note instead of a map
    # the target group stays as it was
    assert (
        kennzahlen.published.loc[KREIS, "zielgruppe"]
        == (views.zielgruppe_je_gemeinde(ws).published.loc["Insgesamt", "gesamt"])
    )
    # all outputs of a run together pass the audit (before: nothing was published)
    result = kreis_und_kommune(tmp_path / "mappe", G2, tmp_path)
    assert result.veroeffentlicht, result.pruefung.zusammenfassung()
    satz = nb.BERICHTSWESEN_NICHT_GEZEIGT.split("**")[1]
    for ordner in ("kreis", G2):
        bericht = tmp_path / "out" / kreis_ordner_name(ws.name) / ordner
        seite = (bericht / "zielgruppe.html").read_text("utf-8")
        assert satz in seite and "Klient*innen im Zeitraum" not in seite
        mappe = load_workbook(bericht / "bericht.xlsx")
        assert not {"Fallzahlen", "Abschlüsse", "Bedarfe", "Reichweite"} & set(mappe.sheetnames)
        hinweise = [v for row in mappe["Hinweise"].iter_rows(values_only=True) for v in row]
        assert any(isinstance(v, str) and v.startswith(satz) for v in hinweise)
