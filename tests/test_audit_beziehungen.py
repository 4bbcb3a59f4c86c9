"""Each way in of issue 13 as a small hand-made publication: the audit pins the cell.

Tables are written in the project's published form (caption, German labels);
the expected values are computed by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from thm_lib.core.labels import FAQ_REGEL_LABEL
from thm_lib.disclosure.audit import INSGESAMT, Kontext, pruefe_lesung
from thm_lib.disclosure.audit_lesen import lese_ordner
from thm_lib.publish.html_seiten import pruefung_absatz

TAG = pd.Timestamp("2019-12-31")
SCHLUESSEL = FAQ_REGEL_LABEL["schluessel"]
#: caseload model: 0.47 reach / 100 cases per position × 1.25 (steering share)
FALLZAHL = 0.47 / 100 * 1.25


def kontext(**extra) -> Kontext:
    werte = {
        "schwelle": 5,
        "symbol": ".",
        "name_of": {"01001": "Adorf", "01002": "Bdorf"},
        "einwohner": {},
        "kreis_name": "Testkreis",
        "stichtag": "31.12.2021",
        "status": {"Duldung": "duldung", "Aufenthaltsgestattung": "gestattung"},
        "faq": {
            "schluessel": 100,
            "vergleichbar": True,
            "einfrieren": True,
            "status": ["duldung"],
            "rundung": None,
        },
        "fallzahl": FALLZAHL,
        "arbeitszeit": FALLZAHL,
        "erstantrag": {"Adorf": TAG, "Bdorf": TAG, INSGESAMT: TAG},
        "erreichung_status": ["duldung"],
    }
    return Kontext(**{**werte, **extra})


def table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        "<tr><th>"
        + r[0]
        + "</th>"
        + "".join(f"<td>{c.replace('<', '&lt;')}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )
    return (
        f'<table class="thm-published" data-thm-published="5"><caption>{caption}'
        f"</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
    )


def write(path: Path, *tables: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html><body>" + "".join(tables) + "</body></html>", encoding="utf-8")


ZG_HEAD = ["Gemeinde", "Duldung", "Aufenthaltsgestattung", "Zielgruppe insgesamt"]
VERLAUF_HEAD = ["Stichtag", "Duldung", "Aufenthaltsgestattung", "Zielgruppe insgesamt"]
STELLEN_HEAD = [
    "Kommune",
    "Personen (FAQ-Zählung)",
    "Stellen FAQ-Schlüssel",
    "Regel",
    "Stellen Fallzahlmodell",
]


def kreis_zielgruppe(folder: Path) -> None:
    # Adorf 10 + a = A, Bdorf 20 + b = B, a + b = 5 (true: a = 2, b = 3)
    write(
        folder / "kreis" / "zielgruppe.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status",
            ZG_HEAD,
            [["Adorf", "10", "<5", "."], ["Bdorf", "20", "<5", "."], [INSGESAMT, "30", "5", "35"]],
        ),
    )


def audit(folder: Path, **extra):
    return pruefe_lesung(lese_ordner(folder), kontext(**extra))


def key(tag: str, gem: str, status: str) -> tuple:
    return ("Zielgruppe", tag, gem, status)


def test_alone_the_kreis_table_pins_nothing(tmp_path):
    kreis_zielgruppe(tmp_path)
    r = audit(tmp_path)
    assert r.bereiche[key("31.12.2021", "Adorf", "gestattung")] == (1, 4)
    assert r.bereiche[key("31.12.2021", "Adorf", "gesamt")] == (11, 14)
    assert not r.aufgedeckt
    # "." cells 11..14 are narrower than the threshold, but each is a known number plus one
    # "<5" (Adorf 10 + a): they tell what the "<5" tells, the run passes (since session 39;
    # a hint names them), and the index gives the narrowest range
    assert r.ok and r.engste_werte == 4
    [hinweis] = [h for h in r.hinweise if "verschoben oder gespiegelt" in h]
    assert "Zielgruppe / 31.12.2021 / Adorf / gesamt (11 bis 14) = bekannte Zahl + " in hinweis
    absatz = " ".join(pruefung_absatz(r).split())
    assert "bestanden" in absatz and "noch 4 mögliche Werte" in absatz
    assert "Adorf" not in absatz
    # a total of 3 leaves each "<5" only 1..2: the run fails, the index says so, no names
    write(
        tmp_path / "kreis" / "zielgruppe.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status",
            ZG_HEAD,
            [["Adorf", "10", "<5", "."], ["Bdorf", "20", "<5", "."], [INSGESAMT, "30", "3", "33"]],
        ),
    )
    r = audit(tmp_path)
    assert not r.ok and r.engste_werte == 2
    absatz = " ".join(pruefung_absatz(r).split())
    assert "NICHT bestanden" in absatz and "noch 2 mögliche Werte" in absatz
    assert "Adorf" not in absatz


def kreis_zielgruppe_duldung_verborgen(folder: Path) -> None:
    # Adorf d + a = 15, Bdorf e + b = 22, d + e = 32, a + b = 5 (true: d = 12, a = 3,
    # e = 20, b = 2); alone: a in 1..4, d = 15 - a in 11..14
    write(
        folder / "kreis" / "zielgruppe.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status",
            ZG_HEAD,
            [["Adorf", ".", "<5", "15"], ["Bdorf", ".", "<5", "22"], [INSGESAMT, "32", "5", "37"]],
        ),
    )


def test_caseload_positions_pin_a_hidden_duldung_count(tmp_path):
    kreis_zielgruppe_duldung_verborgen(tmp_path)
    assert not audit(tmp_path).aufgedeckt
    # the caseload model counts the Geduldete (erreichung_status [duldung]):
    # 12 × 0.005875 = 0.0705 -> "0,07"; 0.065 <= 0.005875 d <= 0.075 gives d in
    # 11.06..12.77, so d = 12, a = 15 - 12 = 3, b = 5 - 3 = 2, e = 22 - 2 = 20
    write(
        tmp_path / "01001" / "stellen.html",
        table("Stellenbemessung", STELLEN_HEAD, [["Adorf", "–", "–", SCHLUESSEL, "0,07"]]),
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "duldung")] == 12
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "gestattung")] == 3
    assert r.aufgedeckt[key("31.12.2021", "Bdorf", "gestattung")] == 2
    assert r.aufgedeckt[key("31.12.2021", "Bdorf", "duldung")] == 20
    texte = " ".join(b.text for b in r.befunde)
    assert "Stellen Fallzahlmodell = Zielgruppe (duldung) ×" in texte


def test_caseload_positions_of_all_statuses_pin_a_hidden_total(tmp_path):
    # with erreichung_status [duldung, gestattung] the model scales the total:
    # Kreis table with shown Duldung, hidden Gestattung and totals (as in
    # kreis_zielgruppe): 12 × 0.005875 -> "0,07" -> total 12 -> a = 2, b = 3
    kreis_zielgruppe(tmp_path)
    write(
        tmp_path / "01001" / "stellen.html",
        table("Stellenbemessung", STELLEN_HEAD, [["Adorf", "–", "–", SCHLUESSEL, "0,07"]]),
    )
    assert not audit(tmp_path).aufgedeckt  # Duldung 10 -> 0,06: consistent, nothing new
    r = audit(tmp_path, erreichung_status=["duldung", "gestattung"])
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "gesamt")] == 12
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "gestattung")] == 2
    assert r.aufgedeckt[key("31.12.2021", "Bdorf", "gestattung")] == 3


def test_caseload_persons_column_pins_a_hidden_duldung_count(tmp_path):
    # "Personen Fallzahlmodell (Duldung)" of Adorf = Duldung of Adorf at the Stichtag
    kreis_zielgruppe_duldung_verborgen(tmp_path)
    write(
        tmp_path / "kreis" / "personen.html",
        table(
            "Gezählte Personen",
            ["Kommune", "Personen (FAQ-Zählung)", "Personen Fallzahlmodell (Duldung)"],
            [["Adorf", ".", "12"]],
        ),
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "gestattung")] == 3


def test_kreis_faq_count_leaves_out_gemeinden_applying_themselves(tmp_path):
    # Bdorf applies itself: the Kreis row counts Adorf only. Trend of the Kreis
    # Stichtag 31.12.2019 hides Adorf's Duldung (12) and Gestattung (3), total 15;
    # the Kreis FAQ count 12 is Adorf's Duldung -> Gestattung 15 - 12 = 3
    write(
        tmp_path / "01001" / "zielgruppe.html",
        table(
            "Entwicklung der Zielgruppe je Stichtag",
            VERLAUF_HEAD,
            [["31.12.2019", ".", "<5", "15"]],
        ),
    )
    write(
        tmp_path / "kreis" / "stellen.html",
        table("Stellenbemessung", STELLEN_HEAD, [["Kreis", "12", "0,12", SCHLUESSEL, "–"]]),
    )
    r = audit(tmp_path, kreis_zaehlt=["Adorf"])
    assert r.aufgedeckt[key("31.12.2019", "Adorf", "duldung")] == 12
    assert r.aufgedeckt[key("31.12.2019", "Adorf", "gestattung")] == 3
    assert not [h for h in r.hinweise if "passt nicht" in h]
    duldung = next(b for b in r.befunde if b.key == key("31.12.2019", "Adorf", "duldung"))
    assert "ohne die selbst antragstellenden Bdorf" in duldung.text
    # counted over both Gemeinden (old rule) the same page pins nothing
    assert not audit(tmp_path).aufgedeckt


def test_faq_count_beside_a_trend_row_pins_gestattung(tmp_path):
    # trend 31.12.2019 of Adorf: Duldung ".", Gestattung "<5", insgesamt 15;
    # the FAQ count (Duldung at the first application, 31.12.2019) shows 12: Gestattung 3
    write(
        tmp_path / "01001" / "zielgruppe.html",
        table(
            "Entwicklung der Zielgruppe je Stichtag",
            VERLAUF_HEAD,
            [["31.12.2019", ".", "<5", "15"]],
        ),
    )
    write(
        tmp_path / "01001" / "stellen.html",
        table("Stellenbemessung", STELLEN_HEAD, [["Adorf", "12", "0,12", SCHLUESSEL, "–"]]),
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[key("31.12.2019", "Adorf", "duldung")] == 12
    assert r.aufgedeckt[key("31.12.2019", "Adorf", "gestattung")] == 3


def test_faq_positions_by_key_pin_a_hidden_faq_count(tmp_path):
    # FAQ count hidden, but positions = persons / 100 shown as 0,12 -> 11.5..12.5 -> 12
    write(
        tmp_path / "01001" / "zielgruppe.html",
        table(
            "Entwicklung der Zielgruppe je Stichtag",
            VERLAUF_HEAD,
            [["31.12.2019", ".", "<5", "15"]],
        ),
    )
    write(
        tmp_path / "01001" / "stellen.html",
        table("Stellenbemessung", STELLEN_HEAD, [["Adorf", ".", "0,12", SCHLUESSEL, "–"]]),
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[key("31.12.2019", "Adorf", "gestattung")] == 3
    # the same positions under the minimum rule reveal nothing
    write(
        tmp_path / "01001" / "stellen.html",
        table(
            "Stellenbemessung",
            STELLEN_HEAD,
            [["Adorf", ".", "0,5", FAQ_REGEL_LABEL["mindeststellen"], "–"]],
        ),
    )
    assert not audit(tmp_path).aufgedeckt


def test_a_shown_share_pins_its_hidden_numerator(tmp_path):
    # reach 30,0 % of a shown target group of 10: clients in 2.995..3.005 -> 3
    head = [
        "ags",
        "Gemeinde",
        "Klient*innen Duldung",
        "Zielgruppe Duldung",
        "Reichweite Duldung",
        "Klient*innen gesamt",
        "Zielgruppe gesamt",
    ]
    write(
        tmp_path / "kreis" / "zielgruppe.html",
        table(
            "Reichweite: Klient*innen im Zeitraum 01.01.2021 bis 31.12.2021 je Zielgruppe am "
            "31.12.2021",
            head,
            [["01001", "Adorf", "<5", "10", "30,0 %", "<5", "12"]],
        ),
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[("Klient*innen", "01.01.2021–31.12.2021", "Adorf", "duldung")] == 3


def test_a_map_tooltip_showing_a_hidden_total_is_caught(tmp_path):
    kreis_zielgruppe(tmp_path)
    feature = (
        '{"features": [{"geometry": null, "properties": {"ags": "01001", '
        '"name": "Adorf", "anzeige": "12"}, "type": "Feature"}], '
        '"type": "FeatureCollection"}'
    )
    (tmp_path / "kreis" / "karte.html").write_text(
        '<html><script>let fields = ["name", "anzeige"];\n'
        'aliases = ["Gemeinde", "Zielgruppe (Personen)"];\n'
        f"geo_json_0abc_add({feature});</script></html>",
        encoding="utf-8",
    )
    r = audit(tmp_path)
    assert r.aufgedeckt[key("31.12.2021", "Adorf", "gestattung")] == 2
    assert any("kreis/karte.html" in b.text for b in r.befunde)


def test_the_internal_folder_is_not_read(tmp_path):
    kreis_zielgruppe(tmp_path)
    # unsuppressed numbers and notebooks under intern/ are not handed out
    write(
        tmp_path / "intern" / "roh.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status", ZG_HEAD, [["Adorf", "10", "2", "12"]]
        ),
    )
    (tmp_path / "intern" / "zielgruppe.ipynb").write_text("{}", encoding="utf-8")
    r = audit(tmp_path)
    assert not r.aufgedeckt
    assert not [b for b in r.befunde if b.art == "notebook"]
    # the same file in a published folder is a leak
    write(
        tmp_path / "01001" / "roh.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status", ZG_HEAD, [["Adorf", "10", "2", "12"]]
        ),
    )
    assert audit(tmp_path).aufgedeckt[key("31.12.2021", "Adorf", "gestattung")] == 2


def test_cli_pruefen_passes_a_clean_folder(tmp_path):
    from click.testing import CliRunner

    from thm_lib.run.cli import main

    sample = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"
    write(
        tmp_path / "kreis" / "zielgruppe.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status",
            ZG_HEAD,
            [["Musterstadt", "268", "139", "407"]],
        ),
    )
    aus = ["--verschiebungen", "0", "--fruehere", "0", "--bedarfstausche", "0"]
    aus += ["--fallverschiebungen", "0"]
    res = CliRunner().invoke(main, ["pruefen", str(tmp_path), str(sample), *aus])
    assert res.exit_code == 0, res.output
    assert "Ergebnis: bestanden" in res.output
    assert "3 veröffentlichte Zahlen, davon 0 verborgene" in res.output


def fallevidenz_und_bedarfe(folder: Path) -> None:
    # the attack of session 31 (Kreis 32, Wohnen): "Bedarfe" passend + kein Angebot =
    # 18 - 5 - 8 = 5, so with every case active in the year the Fallevidenz's passend +
    # kein Angebot <= 5 and its nächstbeste = 8 - that >= 3: "<5" in 3..4 (true 4)
    ergebnis = ["passendes Angebot", "nächstbeste Lösung", "kein Angebot"]
    write(
        folder / "kreis" / "bericht.html",
        table(
            "Bedarfe je Handlungsfeld nach Ergebnis, 01.01.2021 bis 31.12.2021",
            ["Handlungsfeld", *ergebnis, "offen", "Bedarfe gesamt"],
            [[hf, "<5", "5", "<5", "8", "18"] for hf in ("Wohnen", INSGESAMT)],
        ),
        table(
            "Fallevidenz: Bedarfe der Zielgruppe aus der gesamten Falldokumentation",
            ["Handlungsfeld", *ergebnis, "Bedarfe entschieden", "offen", "Bedarfe insgesamt"],
            [[hf, "<5", "<5", "<5", "8", "6", "14"] for hf in ("Wohnen", INSGESAMT)],
        ),
    )


def test_the_fallevidenz_is_bounded_by_the_needs_of_the_year_and_the_inactive_cases(tmp_path):
    fallevidenz_und_bedarfe(tmp_path)
    naechstbeste = ("Fallevidenz", "Wohnen", "nächstbeste Lösung")
    r = audit(tmp_path, nicht_aktive=0)
    assert r.bereiche[naechstbeste] == (3, 4) and not r.ok
    # two inactive cases may hold 2 more passend / kein Angebot: 8 - 7 = 1, "<5" in 1..4
    assert audit(tmp_path, nicht_aktive=2).bereiche[naechstbeste] == (1, 4)
    # without case records (no count of inactive cases) the tables stand apart
    assert audit(tmp_path).bereiche[naechstbeste] == (1, 4)


def test_a_kreis_without_date_of_first_application_counts_at_the_analysis_stichtag(tmp_path):
    # the staffing estimate counts an applicant without date at the analysis Stichtag
    # (found in session 33: the audit left such a count unlinked). The Kreis counts
    # Adorf and Bdorf: FAQ "." = 48 + Bdorf's "<5" = 49..52, four values only
    write(
        tmp_path / "kreis" / "zielgruppe.html",
        table(
            "Zielgruppe am 31.12.2021 je Gemeinde und Status",
            ZG_HEAD,
            [
                ["Adorf", "48", "30", "78"],
                ["Bdorf", "<5", ".", "."],
                ["Cdorf", ".", ".", "."],
                ["Ddorf", ".", ".", "50"],
                [INSGESAMT, "75", "115", "190"],
            ],
        ),
    )
    stellen = table("Stellenbemessung", STELLEN_HEAD, [["Kreis", ".", ".", ".", "–"]])
    write(tmp_path / "kreis" / "stellen.html", stellen)
    namen = {"01001": "Adorf", "01002": "Bdorf", "01003": "Cdorf", "01004": "Ddorf"}
    faq = ("Personen (FAQ-Zählung)", INSGESAMT)
    ohne_datum = audit(tmp_path, name_of=namen, kreis_zaehlt=["Adorf", "Bdorf"], erstantrag={})
    assert ohne_datum.bereiche[faq] == (49, 52)
    # four values, but 48 plus one "<5": nothing beyond it (a finding until session 39)
    assert ohne_datum.ok, ohne_datum.zusammenfassung()
    assert any("Personen (FAQ-Zählung) / Insgesamt (49 bis 52)" in h for h in ohne_datum.hinweise)
    # with a date before every count the earliest count is used, as by the estimate
    frueh = {INSGESAMT: pd.Timestamp("2015-01-01")}
    assert audit(
        tmp_path, name_of=namen, kreis_zaehlt=["Adorf", "Bdorf"], erstantrag=frueh
    ).bereiche[faq] == (49, 52)


def test_site_tables_with_every_cell_hidden_are_modelled_values(tmp_path):
    # a kreisfreie Stadt whose planned site closes places of 1..4 modelled persons per
    # status (search seed 4104): both cells hidden; the audit read the table as one of no
    # known meaning (a notice) before round 2, session 41
    write(
        tmp_path / "kreis" / "bedarfs_und_angebotsanalyse.html",
        table(
            "Geschlossene Lücken je Status – Sprache",
            ["Standort", "Status", "geschlossene Plätze"],
            [["1", "Duldung", "."], ["1", "Aufenthaltsgestattung", "."]],
        ),
    )
    r = audit(tmp_path)
    assert r.ok
    assert not [h for h in r.hinweise if "ohne bekannte Bedeutung" in h]
    assert [h for h in r.hinweise if h.startswith("2 verborgene Modellwerte")]
