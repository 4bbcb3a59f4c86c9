"""The audit of a whole published run (issue 13, point 4) on real batch output.

The audit reads only the published files (and settings/names of the
Arbeitsmappe). Here, and only here, its results are compared with the true
values from the raw data: every recovered value must be the true one, and the
true value of every hidden cell must lie inside the range the audit reports.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from audit_laeufe import SAMPLE, kleiner_kreis_lauf, musterkreis_lauf, personenspalten_ohne_regel
from click.testing import CliRunner

from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.core import labels
from thm_lib.core.formats import zahl
from thm_lib.disclosure.audit import INSGESAMT, AuditErgebnis, Befund, audit_run, vorlesen
from thm_lib.disclosure.audit_deutung import kontext_aus
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.publish.html_seiten import pruefung_absatz
from thm_lib.run.cli import main
from thm_lib.run.differenzpruefung import Bedarfstausch, DifferenzErgebnis, Fallverschiebung

pytestmark = pytest.mark.slow


_WAHRHEIT: dict[int, dict[tuple, float]] = {}


def wahrheit(ws) -> dict[tuple, float]:
    """True values of the audit quantities from the raw data (tests only), keyed like
    the audit's quantities; the period of Berichtswesen keys is left out."""
    if id(ws) in _WAHRHEIT:
        return _WAHRHEIT[id(ws)]
    out: dict[tuple, float] = {}
    for tag in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique()):
        t = views.zielgruppe_je_gemeinde(ws, stichtag=pd.Timestamp(tag)).internal_unsuppressed
        for gem, row in t.iterrows():
            for col, v in row.items():
                out[("Zielgruppe", f"{pd.Timestamp(tag):%d.%m.%Y}", gem, col)] = float(v)
    sex = {k: lab for k, lab in labels.GESCHLECHT_LABEL.items()}
    for band, row in views.zielgruppe_struktur(ws).internal_unsuppressed.iterrows():
        for col, v in row.items():
            out[("Struktur", band, sex.get(col, col))] = float(v)
    tables = views.bericht_tabellen(ws)
    name_of = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    reich = tables["Reichweite"].internal_unsuppressed
    for ags, row in reich.iterrows():
        gem = name_of.get(ags, INSGESAMT)
        for s in ws.annahmen.zielgruppe.status:
            out[("Klient*innen", gem, s)] = float(row[f"klient_innen_{s}"])
        out[("Klient*innen", gem, "gesamt")] = float(row["klient_innen"])
    fz = tables["Fallzahlen"]
    for ags, row in fz.internal_unsuppressed.iterrows():
        for col in ("neu", "aktiv", "abgeschlossen"):
            out[("Fallzahlen", name_of.get(ags, INSGESAMT), fz.column_labels[col])] = float(
                row[col]
            )
    for grund, v in tables["Abschlüsse"].internal_unsuppressed["anzahl"].items():
        out[("Abschlüsse", grund)] = float(v)
    erg = {k: lab for k, lab in labels.ERGEBNIS_LABEL.items()}
    for art, t in (
        ("Bedarfe", tables["Bedarfe"]),
        ("Fallevidenz", views.fallevidenz(ws)),
    ):
        for hf, row in t.internal_unsuppressed.iterrows():
            for col in (*erg, "entschieden", "gesamt"):
                if col in row:
                    out[(art, hf, erg.get(col, col))] = float(row[col])
    for _, row in stellenbemessung(ws).iterrows():
        wer = INSGESAMT if row["ebene"] == "kreis" else row["name"]
        out[("Personen (FAQ-Zählung)", wer)] = float(row["faq_personen"])
        out[("Personen Fallzahlmodell", wer)] = float(row["fallzahl_personen"])
    _WAHRHEIT[id(ws)] = out
    return out


def wahrer_wert(ws, key: tuple) -> float:
    """The true value of an audit quantity (period parts of the key dropped)."""
    art = key[0]
    if art == "Struktur":
        k = ("Struktur", key[2], key[3])
    elif art in ("Klient*innen", "Fallzahlen"):
        k = (art, key[2], key[3])
    elif art == "Abschlüsse":
        k = (art, key[2])
    elif art.startswith("Bedarfe nach Ergebnis"):
        k = ("Bedarfe", key[1], key[2])
    else:
        k = key
    return wahrheit(ws)[k]


@pytest.fixture(scope="module")
def lauf() -> Path:
    return musterkreis_lauf()


@pytest.fixture(scope="module")
def ergebnis(lauf):
    return audit_run(lauf, SAMPLE)


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


def zellbefunde(ergebnis) -> list:
    """Findings about hidden cells (recovered or too narrow), not about files."""
    return [b for b in ergebnis.befunde if b.art in ("aufgedeckt", "zu_eng")]


def test_audit_passes_on_the_sample_run(ergebnis, lauf):
    # issue 13 reproduced 52 recovered counts here on the old code; with the publication
    # layer no hidden cell may be pinned or narrowed below the protection rule
    assert zellbefunde(ergebnis) == [], "\n".join(b.text for b in zellbefunde(ergebnis))
    assert ergebnis.aufgedeckt == {}
    assert ergebnis.engste_werte is not None and ergebnis.engste_werte >= 3
    # executed notebooks live in reports/intern/<kreis>/ (issue 13.5): the run passes whole
    assert not list(lauf.rglob("*.ipynb"))
    assert ergebnis.ok, ergebnis.zusammenfassung()


def test_every_true_value_lies_in_its_range(ergebnis, ws):
    assert len(ergebnis.bereiche) > 50
    # every collected relation fits the published numbers (no contradiction, no infeasible
    # program): otherwise a relation would be wrong and ranges could be too narrow
    assert not [
        h
        for h in ergebnis.hinweise
        if "passt nicht" in h or "Keine Lösung" in h or "Verschiedene Werte" in h
    ]
    for key, (lo, hi) in ergebnis.bereiche.items():
        if key[0] == "Tabelle":
            continue
        assert lo <= wahrer_wert(ws, key) <= hi, (key, lo, hi)


def test_figures_are_counted(ergebnis):
    # every hidden person count of the run is counted once per place it is shown
    assert ergebnis.verborgen >= ergebnis.groessen > 0
    assert ergebnis.zellen > ergebnis.verborgen
    assert "bis" in ergebnis.engster_bereich
    html = " ".join(pruefung_absatz(ergebnis).split())
    assert f"{zahl(ergebnis.zellen)} veröffentlichte Zahlen" in html  # 12.154
    assert f"davon {zahl(ergebnis.verborgen)} verborgene" in html


def test_a_run_without_hidden_figures_says_so() -> None:
    from types import SimpleNamespace

    ohne = SimpleNamespace(ok=True, zellen=441, verborgen=0, engste_text=lambda: "–")
    absatz = " ".join(pruefung_absatz(ohne).split())
    assert absatz.endswith("bestanden. 441 veröffentlichte Zahlen, keine davon verborgen.</p>")
    eine = SimpleNamespace(ok=True, zellen=441, verborgen=1, engste_text=lambda: "3")
    absatz = " ".join(pruefung_absatz(eine).split())
    assert "441 veröffentlichte Zahlen, davon 1 verborgene Personenzahl; die am" in absatz


def test_notebooks_in_the_published_folder_are_findings(ergebnis, lauf):
    notebooks = sorted(
        p.relative_to(lauf).as_posix()
        for p in lauf.rglob("*.ipynb")
        if "intern" not in p.relative_to(lauf).parts
    )
    found = sorted(b.text.split(":")[0] for b in ergebnis.befunde if b.art == "notebook")
    assert found == notebooks


def sauber(lauf: Path, ziel: Path) -> Path:
    """A copy of the run without executed notebooks (as batch.py on main publishes it)."""
    shutil.copytree(lauf, ziel, ignore=shutil.ignore_patterns("*.ipynb"))
    return ziel


def plant_unmasked_copy(kopie: Path, ws) -> tuple:
    """One extra table showing the Kreis target-group table unmasked (the issue's leak)."""
    table = views.zielgruppe_je_gemeinde(ws)
    wahr = table.internal_unsuppressed
    # a plain pandas table (no suppression) with the caption of the published one
    html = wahr.rename(
        columns={
            **{s: labels.STATUS_LABEL[s] for s in ("duldung", "gestattung")},
            "gesamt": "Zielgruppe insgesamt",
        }
    ).to_html()
    html = html.replace(">\n  <thead>", f"><caption>{table.titel}</caption>\n  <thead>", 1)
    (kopie / "kreis" / "extra.html").write_text(
        f"<html><body>{html}</body></html>", encoding="utf-8"
    )
    return table, wahr


def test_planted_unmasked_copy_is_caught(lauf, ws, tmp_path):
    kopie = sauber(lauf, tmp_path / "kreis")
    table, wahr = plant_unmasked_copy(kopie, ws)
    hidden = table.mask
    r = audit_run(kopie, ws=ws)
    tag = f"{ws.stichtag:%d.%m.%Y}"
    planted = 0
    for gem in wahr.index:
        for col in ("duldung", "gestattung", "gesamt"):
            if hidden.loc[gem, col]:
                key = ("Zielgruppe", tag, gem, col)
                assert r.aufgedeckt.get(key) == wahr.loc[gem, col], key
                planted += 1
    assert planted
    assert any("extra.html" in b.text for b in r.befunde)
    # a finding names the file, the table, the row and the column where the cell is hidden,
    # and the place where the same number is visible
    gem, col = next(
        (g, c) for g in wahr.index for c in ("duldung", "gestattung") if hidden.loc[g, c]
    )
    befund = next(b for b in r.befunde if b.key == ("Zielgruppe", tag, gem, col))
    assert any(
        o.datei == "kreis/zielgruppe.html"
        and o.tabelle == table.titel
        and o.zeile == gem
        and o.spalte == labels.STATUS_LABEL[col]
        for o in befund.orte
    ), befund.orte
    assert str(befund.orte[0]) in befund.text
    assert f"Zeile „{gem}“" in befund.text
    assert f"Spalte „{labels.STATUS_LABEL[col]}“" in befund.text
    assert "dieselbe Zahl ist sichtbar in kreis/extra.html" in befund.text


def test_copy_with_raw_column_codes_and_a_pseudonym_are_caught(lauf, ws, tmp_path):
    # round 2's known gap: a pandas Styler copy with the published caption but raw column
    # codes ("duldung") was read as the known table and no cell got a meaning, so nothing
    # was found. Cells no rule can name are now checked with the privacy guard's rule.
    kopie = sauber(lauf, tmp_path / "kreis")
    table = views.zielgruppe_je_gemeinde(ws)
    wahr = table.internal_unsuppressed
    styler = wahr.style.set_caption(table.titel).to_html()
    fall = str(ws.faelle["fall_id"].iloc[0])
    (kopie / "kreis" / "extra.html").write_text(
        f"<html><body>{styler}<p>Fall {fall}</p></body></html>", encoding="utf-8"
    )
    r = audit_run(kopie, ws=ws)
    assert not r.ok
    small = {(o.zeile, o.spalte) for b in r.befunde if b.art == "kleine_zahl" for o in b.orte}
    expected = {
        (g, c)
        for g in wahr.index
        for c in ("duldung", "gestattung", "gesamt")
        if 1 <= wahr.loc[g, c] < 5
    }
    assert expected and small == expected
    assert all("kreis/extra.html" in b.text for b in r.befunde if b.art == "kleine_zahl")
    pseud = [b for b in r.befunde if b.art == "pseudonym"]
    assert len(pseud) == 1 and "kreis/extra.html" in pseud[0].text
    assert fall not in pseud[0].text  # the finding masks the pseudonym


def test_files_read_ahead_count_only_while_unchanged(lauf, ws, tmp_path):
    # the batch reads each report's files in its worker (issue 15); the run's audit takes
    # them only while a file's bytes are those that were read
    kopie = sauber(lauf, tmp_path / "kreis")
    ctx = kontext_aus(ws)
    vor = vorlesen(kopie / "kreis", "kreis", ws, ctx.symbol, ctx.schwelle)
    assert "kreis/zielgruppe.html" in vor and vor["kreis/zielgruppe.html"].tabellen
    direkt, mit = audit_run(kopie, ws=ws), audit_run(kopie, ws=ws, vorgelesen=vor)
    assert mit.ok and (mit.zellen, mit.verborgen) == (direkt.zellen, direkt.verborgen)
    assert mit.bereiche == direkt.bereiche
    # taken from the read-ahead while unchanged (here: emptied on purpose) ...
    leer = {**vor, "kreis/zielgruppe.html": replace(vor["kreis/zielgruppe.html"], tabellen=[])}
    assert audit_run(kopie, ws=ws, vorgelesen=leer).zellen < direkt.zellen
    # ... and read again once the file changed after it was read ahead
    table, wahr = plant_unmasked_copy(kopie, ws)
    datei = kopie / "kreis" / "zielgruppe.html"
    extra = (kopie / "kreis" / "extra.html").read_text(encoding="utf-8")
    fall = str(ws.faelle["fall_id"].iloc[0])
    datei.write_text(
        datei.read_text(encoding="utf-8").replace("</body>", f"{extra}<p>{fall}</p></body>"),
        encoding="utf-8",
    )
    (kopie / "kreis" / "extra.html").unlink()
    r = audit_run(kopie, ws=ws, vorgelesen=vor)
    assert not r.ok
    assert any(b.art == "pseudonym" and "kreis/zielgruppe.html" in b.text for b in r.befunde)
    assert r.aufgedeckt, r.zusammenfassung()


def test_cli_pruefen_passes_the_clean_run_and_fails_a_planted_leak(lauf, ws, tmp_path):
    kopie = sauber(lauf, tmp_path / "kreis")
    args = ["pruefen", str(kopie), str(SAMPLE)]
    res = CliRunner().invoke(main, [*args, "--verschiebungen", "1", "--bedarfstausche", "1"])
    assert res.exit_code == 0, res.output
    assert "Ergebnis: bestanden" in res.output
    assert "verborgene Personenzahlen" in res.output
    # the Differenzprüfung (thm_lib.run.differenzpruefung) ran on the sample too, with
    # its defaults of one person moved at an earlier Stichtag and one case moved between
    # Gemeinden with hidden Fallzahlen
    assert (
        "Differenzprüfung: 4 ununterscheidbare Änderungen (1 Verschiebung oder Tausch "
        "verborgener Personen, 1 an früheren Stichtagen, 1 Tausch dokumentierter Bedarfe, "
        "1 Verschiebung von Fällen)" in res.output
    )
    assert "kein veröffentlichter Wert hängt davon ab" in res.output
    plant_unmasked_copy(kopie, ws)
    aus = ["--verschiebungen", "0", "--fruehere", "0", "--bedarfstausche", "0"]
    aus += ["--fallverschiebungen", "0"]
    res = CliRunner().invoke(main, [*args, *aus])
    assert res.exit_code == 1, res.output
    assert "Ergebnis: NICHT bestanden" in res.output


def test_cli_pruefen_missing_folder_is_a_german_error(tmp_path):
    res = CliRunner().invoke(main, ["pruefen", str(tmp_path / "fehlt"), str(SAMPLE)])
    assert res.exit_code == 2
    assert "Ordner nicht gefunden" in res.output


def test_second_generated_kreis_with_many_small_gemeinden():
    mappe, lauf = kleiner_kreis_lauf()
    ws = load_workspace(mappe)
    r = audit_run(lauf, ws=ws)
    # many small Gemeinden: far more hidden counts than in the sample, none recovered
    assert r.verborgen > 100
    assert zellbefunde(r) == [], "\n".join(b.text for b in zellbefunde(r))
    assert not [
        h
        for h in r.hinweise
        if "passt nicht" in h or "Keine Lösung" in h or "Verschiedene Werte" in h
    ]
    for key, (lo, hi) in r.bereiche.items():
        if key[0] != "Tabelle":
            assert lo <= wahrer_wert(ws, key) <= hi, (key, lo, hi)


def test_every_column_of_persons_in_both_runs_is_read_by_a_rule(lauf, ws):
    # a number in a column of persons that no rule reads is a finding once it is 1 .. 4
    assert personenspalten_ohne_regel(lauf, ws) == set()
    mappe, klein = kleiner_kreis_lauf()
    assert personenspalten_ohne_regel(klein, load_workspace(mappe)) == set()


def test_a_header_without_its_unit_is_named_whatever_its_numbers(lauf, ws, tmp_path):
    # the header of round 2, session 21: on the sample no difference is exactly 1, the
    # column is named all the same
    seite = (lauf / "05899004" / "stellen_und_foerderung.html").read_text(encoding="utf-8")
    assert seite.count("Differenz Stellen FAQ – Bestand") == 1
    (tmp_path / "05899004").mkdir()
    ziel = tmp_path / "05899004" / "stellen_und_foerderung.html"
    ziel.write_text(seite, encoding="utf-8")
    assert personenspalten_ohne_regel(tmp_path, ws) == set()
    ziel.write_text(seite.replace("Differenz Stellen FAQ", "Differenz FAQ"), encoding="utf-8")
    (gefunden,) = personenspalten_ohne_regel(tmp_path, ws)
    assert gefunden.startswith("05899004/stellen_und_foerderung.html: „")
    assert gefunden.endswith("Spalte „Differenz FAQ – Bestand“")


def test_files_that_are_no_report_are_named_but_a_file_browser_s_are_not(tmp_path):
    from thm_lib.disclosure.audit_lesen import lese_ordner

    (tmp_path / "05899004").mkdir()
    (tmp_path / "index.html").write_text("<html><body><p>Übersicht</p></body></html>")
    (tmp_path / "faelle.csv").write_text("fall_id;ags\nTM-1;05899004\n")
    (tmp_path / "05899004" / "Anschreiben.pdf").write_bytes(b"%PDF")
    for system in ("Thumbs.db", "desktop.ini", ".DS_Store"):
        (tmp_path / "05899004" / system).write_bytes(b"x")
    (tmp_path / "._index.html").write_bytes(b"\x00\x05\x16\x07\x00\x02")  # macOS
    # hidden: served by a web server, but the audit read none of them
    (tmp_path / ".faelle.csv").write_text("fall_id;ags\nTM-1;05899004\n")
    (tmp_path / ".05899008.neu").mkdir()  # a stopped worker's staging folder
    (tmp_path / ".05899008.neu" / "zielgruppe.html").write_text("<html></html>")
    (tmp_path / "._notiz.html").write_text("<p>1 Person</p>")  # no macOS file
    lesung = lese_ordner(tmp_path)
    assert lesung.fremd == [
        ".05899008.neu/zielgruppe.html",
        "._notiz.html",
        ".faelle.csv",
        "05899004/Anschreiben.pdf",
        "faelle.csv",
    ]
    assert lesung.dateien == ["index.html"]


def test_audit_summaries_put_a_count_of_one_in_the_singular() -> None:
    audit = AuditErgebnis([Befund("x", art="zu_eng")], [], 1, 1, 1, "1 bis 3", 0.0, {}, 1)
    assert audit.zusammenfassung().startswith(
        "Geprüft: 1 veröffentlichte Zahl, davon 1 verborgene Personenzahl; 1 unbekannte Größe "
        "(verborgene Zahlen und Teile, die nur in anderen Zahlen stecken), 1 bekannte Beziehung; "
    )
    assert "NICHT bestanden – 1 Befund:\n- x" in audit.zusammenfassung()
    audit = AuditErgebnis([], [], 2345, 2, 2, "–", 0.0, {}, 0)
    assert audit.zusammenfassung().startswith(
        "Geprüft: 2.345 veröffentlichte Zahlen, davon 2 verborgene Personenzahlen; 2 unbekannte "
        "Größen (verborgene Zahlen und Teile, die nur in anderen Zahlen stecken), 0 bekannte "
        "Beziehungen; "
    )
    tausch = Bedarfstausch("Sprache", "a", "b", ("duldung", "18-20", "m"), ("x", "y", "z"))
    fall = Fallverschiebung("a", "A", "B", ("duldung", "18-20", "m"))
    differenz = DifferenzErgebnis([tausch, fall], 0, 1, befunde=["y"])
    assert differenz.zusammenfassung().startswith(
        "Differenzprüfung: 2 ununterscheidbare Änderungen (0 Verschiebungen oder Tausche "
        "verborgener Personen, 0 an früheren Stichtagen, 1 Tausch dokumentierter Bedarfe, "
        "1 Verschiebung von Fällen), je 1 veröffentlichter Wert verglichen"
    )
    assert "NICHT bestanden – 1 Befund:\n- y" in differenz.zusammenfassung()
