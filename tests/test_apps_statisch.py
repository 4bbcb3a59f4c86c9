"""The static view (``thm app --statisch``): real files, real chromium from ``file://``.

The sample Kreis is written once; the pages are opened with every non-file request
aborted and, selection by selection, compared with the Voilà app objects built
in-process (same strings). A Kreis unlike the sample (a Gemeinde without offers and
cases, a kreisfreie Stadt) must open without a JavaScript error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.arbeitsmappen import kleiner_kreis, schreibe
from thm_lib.analysis.angebotssuche import Profil
from thm_lib.apps import angebotsfinder, paket_bauen, statisch, uebersicht
from thm_lib.core.labels import KREIS
from thm_lib.core.paths import SAMPLE
from thm_lib.disclosure.privacy import scan_file
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.run.cli import main

pytestmark = pytest.mark.browser

TEXT_JS = """(sel) => {
  const el = document.querySelector(sel);
  return el ? el.innerText.split(/\\s+/).filter(Boolean).join(" ") : null;
}"""
"""The visible text of an element, whitespace collapsed."""

HTML_TEXT_JS = """(html) => {
  const d = document.createElement("div");
  d.innerHTML = html;
  document.body.appendChild(d);
  const t = d.innerText.split(/\\s+/).filter(Boolean).join(" ");
  d.remove();
  return t;
}"""
"""The visible text the app's widget HTML has when rendered in the same page."""

DETAILS_JS = """(html) => {
  const d = document.createElement("div");
  d.innerHTML = html;
  const det = d.querySelector("details");
  return det ? det.textContent.split(/\\s+/).filter(Boolean).join(" ") : null;
}"""
"""All text of the (closed) table per Gemeinde in some HTML."""

TABELLE_JS = """(sel) => Array.from(document.querySelectorAll(sel + " tbody tr")).map(
  (tr) => Array.from(tr.children).map((c) => c.textContent))"""

KACHELN_JS = """() => Object.fromEntries(Array.from(document.querySelectorAll(
  "#kennzahlen .thm-kachel")).map((k) => [k.classList[1], k.querySelector(".thm-wert")
  .textContent]))"""


def _daten(ordner: Path, name: str) -> dict:
    text = (ordner / f"daten_{name}.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :].rstrip().rstrip(";"))


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


@pytest.fixture(scope="module")
def app_daten(ws):
    return paket_bauen.erstellen(ws)


@pytest.fixture(scope="module")
def geschrieben(app_daten, tmp_path_factory) -> statisch.StatischErgebnis:
    """(a) The static view of the sample Kreis, written once."""
    return statisch.schreibe_statisch(app_daten, tmp_path_factory.mktemp("statisch") / "ansicht")


@pytest.fixture(scope="module")
def ordner(geschrieben) -> Path:
    return geschrieben.ordner


@pytest.fixture(scope="module")
def ueb(app_daten):
    # the app's own code; the map is not drawn for each of the 169 selections (it is
    # compared separately: the static view shows the Kreis maps)
    return uebersicht.Uebersicht(app_daten, mit_karte=False)


@pytest.fixture(scope="module")
def finder(app_daten):
    return angebotsfinder.build(app_daten)


def _fehler_sammeln(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


# --------------------------------------------------------------------------- (a) files
def test_folder_holds_pages_data_script_and_excel(geschrieben, ordner):
    names = {p.relative_to(ordner).as_posix() for p in geschrieben.dateien}
    for name in (
        "index.html",
        "uebersicht.html",
        "angebotsfinder.html",
        "statisch.js",
        "statisch.css",
        "daten_uebersicht.js",
        "daten_angebotsfinder.js",
        "excel/thm_stellen_foerderung_Kreis.xlsx",
        statisch.MARKE,
    ):
        assert name in names, name
    assert geschrieben.auswahlen == 13 * 13  # Kreis + 12 Gemeinden × all + 12 fields
    assert geschrieben.profile == 3 * 27 * 12 * 13
    for page in ("index.html", "uebersicht.html", "angebotsfinder.html"):
        text = (ordner / page).read_text(encoding="utf-8")
        assert '<html lang="de">' in text
        # nothing from outside the folder: no scheme, no protocol-relative address
        assert not re.search(r"""(src|href)=["'](https?:|//)""", text), page
        for href in re.findall(r'href="(excel/[^"]+)"', text):
            assert (ordner / href).is_file(), href
    # no leftovers of the atomic write beside the folder
    assert [p.name for p in ordner.parent.iterdir()] == [ordner.name]


# --------------------------------------------------------------------------- (b) Übersicht
def test_uebersicht_every_selection_shows_the_apps_strings(ordner, ueb, offline_page):
    page = offline_page
    errors = _fehler_sammeln(page)
    page.goto((ordner / "uebersicht.html").as_uri(), wait_until="load")
    assert page.title().startswith("Übersicht – Musterkreis (fiktiv)")
    n = 0
    for ags, feld in statisch.auswahlen(ueb):
        page.select_option("#kommune", ags)
        page.select_option("#handlungsfeld", feld)
        ueb.kommune.value, ueb.handlungsfeld.value = ags, feld
        wo = (ags, feld)
        assert page.get_attribute("body", "data-auswahl") == f"{ags}|{feld}"
        kacheln = page.evaluate(KACHELN_JS)
        w = ueb.werte()
        assert kacheln == {f"thm-{k}": w[k] for k in statisch.KACHELN}, wo
        matrix = page.evaluate(TABELLE_JS, "#matrix")
        tabelle = ueb.matrix_tabelle()
        assert matrix == [[str(name), *row] for name, row in tabelle.iterrows()], wo
        luecken = page.evaluate(TABELLE_JS, "#luecken")
        assert luecken == ueb.luecken_tabelle().values.tolist(), wo
        for box, widget in (
            ("#kennzahlen", ueb.kennzahlen),
            ("#matrix", ueb.matrix),
            ("#luecken", ueb.luecken),
        ):
            assert page.evaluate(TEXT_JS, box) == page.evaluate(HTML_TEXT_JS, widget.value), (
                wo,
                box,
            )
        if ags == KREIS:  # the published table per Gemeinde (closed <details>)
            statisch_html = page.inner_html("#kennzahlen")
            assert page.evaluate(DETAILS_JS, statisch_html) == page.evaluate(
                DETAILS_JS, ueb.kennzahlen.value
            )
            assert "Kreis insgesamt" in page.evaluate(DETAILS_JS, statisch_html)
        n += 1
    assert n == 169
    assert errors == [] and page.blocked_requests == []


def test_uebersicht_maps_render_offline(ordner, offline_page):
    page = offline_page
    errors = _fehler_sammeln(page)
    page.goto((ordner / "uebersicht.html").as_uri(), wait_until="load")
    daten = _daten(ordner, "uebersicht")
    for feld in (uebersicht.ALLE, daten["felder"][1][1]):
        page.select_option("#handlungsfeld", feld)
        assert page.get_attribute("#karte", "src") == daten["karten"][feld]
        frame = page.frame_locator("#karte")
        frame.locator(".leaflet-overlay-pane path").first.wait_for(state="attached")
        assert frame.locator(".leaflet-container").count() == 1
    page.select_option("#kommune", daten["kommunen"][1][1])
    assert "ganzen Kreis" in page.inner_text("#karte-hinweis")
    assert errors == [] and page.blocked_requests == []


def test_matrix_text_is_readable_on_every_class_colour(ordner, offline_page):
    # the "Unterversorgung" chip of the legend showed grey text on red (contrast 1.4)
    page = offline_page
    page.goto((ordner / "uebersicht.html").as_uri(), wait_until="load")
    chips = page.eval_on_selector_all(
        "#matrix .thm-legende-eintrag",
        "els => els.map(e => [e.textContent, getComputedStyle(e).color])",
    )
    farben = dict(chips)
    assert farben["Unterversorgung"] == "rgb(255, 255, 255)"
    assert farben["bedarfsgerecht"] == "rgb(34, 34, 34)"
    zellen = page.eval_on_selector_all(
        "#matrix td",
        "els => els.map(e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color])",
    )
    rot = [farbe for hintergrund, farbe in zellen if hintergrund == "rgb(215, 25, 28)"]
    assert rot and set(rot) == {"rgb(255, 255, 255)"}


# --------------------------------------------------------------------------- (c) Angebotsfinder
def _repraesentative_profile(finder) -> list[Profil]:
    lo, hi = finder.alter_bereich
    gemeinden = [v for _, v in finder.gemeinde.options]
    felder = [v for _, v in finder.handlungsfeld.options]
    out = []
    for i, (_, status) in enumerate(finder.status.options):
        for alter in (lo, int(finder.alter.value), hi):
            for ags in gemeinden[i::3]:
                for feld in (felder[0], felder[len(felder) // 2], angebotsfinder.ALLE):
                    out.append(Profil(status, alter, ags, feld))
    return out


def test_angebotsfinder_profiles_show_the_apps_strings(ordner, finder, offline_page):
    page = offline_page
    errors = _fehler_sammeln(page)
    page.goto((ordner / "angebotsfinder.html").as_uri(), wait_until="load")
    label = page.inner_text("#alter-label").split("\n")[0].strip()
    assert label == finder.alter.description
    profile = _repraesentative_profile(finder)
    assert len(profile) >= 100
    for p in profile:
        for sel, value in (
            ("#status", p.status),
            ("#alter", str(p.alter)),
            ("#gemeinde", p.ags),
            ("#handlungsfeld", p.handlungsfeld),
        ):
            page.select_option(sel, value)
        finder.status.value, finder.alter.value = p.status, p.alter
        finder.gemeinde.value, finder.handlungsfeld.value = p.ags, p.handlungsfeld
        assert finder.profil == p
        for box, widget in (
            ("#meldung", finder.meldung),
            ("#liste", finder.liste),
            ("#ausgeschlossen", finder.ausgeschlossen),
        ):
            assert page.evaluate(TEXT_JS, box) == page.evaluate(HTML_TEXT_JS, widget.value), (
                p,
                box,
            )
        passend, aus = finder.finder.suche(p)
        assert len(page.evaluate(TABELLE_JS, "#liste")) == len(passend)
        assert len(page.evaluate(TABELLE_JS, "#ausgeschlossen")) == len(aus)
    assert errors == [] and page.blocked_requests == []


def test_every_stored_profile_equals_finder_suche(ordner, finder):
    """The property for all 12,636 profiles: the stored rows are the app's rows."""
    daten = _daten(ordner, "angebotsfinder")
    n = 0
    for p in statisch.profile(finder):
        passend, aus = finder.finder.suche(p)
        erwartet_passend = [
            [str(r.rang), *row]
            for r, row in zip(
                passend.itertuples(), statisch._passend_zeilen(finder, passend), strict=True
            )
        ]
        assert statisch.ergebnis(daten, p) == (erwartet_passend, statisch._aus_zeilen(aus)), p
        n += 1
    assert n == len(daten["profile"])


# --------------------------------------------------------------------------- (d) privacy
def test_no_pseudonym_or_small_count_in_any_file(ws, ordner, geschrieben):
    pseudonyme = ws.faelle["fall_id"].astype(str)
    t = int(ws.annahmen.datenschutz.schwelle)
    for path in geschrieben.dateien:
        assert scan_file(path, pseudonyme, threshold=t) == [], path
        if path.suffix in (".js", ".html", ".css"):
            text = path.read_text(encoding="utf-8")
            assert not set(pseudonyme) & set(re.findall(r"[A-Za-z0-9_-]+", text)), path


def test_hidden_cells_of_the_published_table_appear_as_their_mark(ws, ueb, ordner):
    daten = _daten(ordner, "uebersicht")
    texte = daten["texte"]
    pub = ueb.daten.kennzahlen
    t = pub.threshold
    spalten = {"zielgruppe": 0, "klienten": 1, "reichweite": 2}
    gesehen = 0
    for ags in pub.published.index:
        for spalte, i in spalten.items():
            shown = {texte[daten["werte"][f"{ags}|{feld}"][i]] for _, feld in daten["felder"]}
            assert len(shown) == 1, (ags, spalte)  # the field does not change a count
            (text,) = shown
            if spalte != "reichweite":  # a shown count is never 1..t-1
                assert not re.fullmatch(rf"[1-{t - 1}]", text), (ags, spalte, text)
            if bool(pub.mask.loc[ags, spalte]):
                gesehen += 1
                assert text in (f"<{t}", views.zeichen_geheim(ws)), (ags, spalte, text)
                assert text == str(pub.published.loc[ags, spalte]), (ags, spalte)
    assert gesehen > 0, "the sample Kreis hides cells; none seen"
    # the matrix: hidden Gemeinde × Handlungsfeld cells are the mark
    v = ueb.daten.versorgung
    rows = {texte[z[0]]: z for z in daten["matrix"][KREIS]}
    felder = daten["matrix_kopf"]
    for r in v[v["gesperrt"]].itertuples():
        z = rows[r.name]
        assert texte[z[1 + 2 * felder.index(r.handlungsfeld)]] == views.zeichen_geheim(ws)


# --------------------------------------------------------------------------- (e) CLI
def test_cli_writes_and_refuses_a_foreign_folder(tmp_path):
    mappe = schreibe(kleiner_kreis(kreisfrei=True), tmp_path / "stadt")
    ziel = tmp_path / "ansicht"
    runner = CliRunner()
    r = runner.invoke(main, ["app", "--arbeitsmappe", str(mappe), "--statisch", str(ziel)])
    assert r.exit_code == 0, r.output
    assert "Statische Ansicht geschrieben" in r.output
    # German figures (was "0.4 MB" and "25272 Profile")
    assert re.search(
        r"\(\d+ Dateien, \d+,\d MB; \d+ Auswahlen der Übersicht, [\d.]+ Profile", r.output
    )
    assert (ziel / "index.html").is_file() and (ziel / statisch.MARKE).is_file()
    # its own folder is replaced
    r = runner.invoke(main, ["app", "--arbeitsmappe", str(mappe), "--statisch", str(ziel)])
    assert r.exit_code == 0, r.output
    fremd = tmp_path / "fremd"
    fremd.mkdir()
    (fremd / "wichtig.txt").write_text("bitte behalten", encoding="utf-8")
    r = runner.invoke(main, ["app", "--arbeitsmappe", str(mappe), "--statisch", str(fremd)])
    assert r.exit_code != 0
    assert "nicht leer" in r.output and "nicht überschrieben" in r.output
    assert "Traceback" not in r.output
    assert [p.name for p in fremd.iterdir()] == ["wichtig.txt"]


def test_cli_data_error_is_german_without_traceback(tmp_path):
    kaputt = tmp_path / "kaputt"
    kaputt.mkdir()
    r = CliRunner().invoke(
        main, ["app", "--arbeitsmappe", str(kaputt), "--statisch", str(tmp_path / "x")]
    )
    assert r.exit_code != 0
    assert "Fehler in den Eingabedaten" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- (f) other Kreise
@pytest.mark.parametrize("kreisfrei", [False, True], ids=["ohne_angebote_und_faelle", "stadt"])
def test_other_kreise_open_without_javascript_errors(kreisfrei, tmp_path, offline_page):
    mappe = schreibe(kleiner_kreis(kreisfrei), tmp_path / "mappe")
    ws = load_workspace(mappe)
    if not kreisfrei:
        assert ws.faelle is None or ws.faelle.empty  # no case documentation at all
    erg = statisch.schreibe_statisch(paket_bauen.erstellen(ws), tmp_path / "ansicht")
    page = offline_page
    errors = _fehler_sammeln(page)
    for name in ("index.html", "uebersicht.html", "angebotsfinder.html"):
        page.goto((erg.ordner / name).as_uri(), wait_until="load")
        assert page.title(), name
    page.goto((erg.ordner / "uebersicht.html").as_uri(), wait_until="load")
    daten = _daten(erg.ordner, "uebersicht")
    for _, ags in daten["kommunen"]:
        for _, feld in daten["felder"][:3]:
            page.select_option("#kommune", ags)
            page.select_option("#handlungsfeld", feld)
            assert page.locator("#kennzahlen .thm-kachel").count() == 6
    page.goto((erg.ordner / "angebotsfinder.html").as_uri(), wait_until="load")
    for _, ags in _daten(erg.ordner, "angebotsfinder")["gemeinden"]:
        page.select_option("#gemeinde", ags)
        assert "Angebote · Stichtag" in page.inner_text("#meldung")
    assert errors == [] and page.blocked_requests == []
