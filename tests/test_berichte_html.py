"""The published HTML reports as a reader gets them (issue 14, point 4).

Reuses the batch run of the sample Kreis shared with the audit tests
(``audit_laeufe.musterkreis_lauf``: every Kommune plus the Kreis report), so the
suite runs the batch once. The browser checks open the index, the Kreis report
and the reports of one Kommune in Debian chromium with every request outside
``file:``/``data:``/``blob:``/``about:`` aborted; screenshots (1280 px) and A4
PDFs go to ``/tmp/berichte_shots`` for a person to look at.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
from audit_laeufe import musterkreis_lauf

from thm_lib.core.labels import KREIS_ORDNER
from thm_lib.core.paths import SAMPLE
from thm_lib.publish.html_seiten import tabelle
from thm_lib.run.report import NOTEBOOKS, TEIL_TITEL

GOOD = "05899004"
SHOTS = Path("/tmp/berichte_shots")
# a dot used as decimal point: "40.0", "79.8", "0.125" (German thousands "1.061" and dates pass)
DEZIMALPUNKT = re.compile(r"(?<![\d.,])\d+\.(?:\d{1,2}|\d{4,})(?![\d.])")
DATUM = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{2}/\d{4}\b")
ROHE_CODES = re.compile(
    r"\b(ags|handlungsfeld|duldung|gestattung|altersgruppe|abschlussgrund|kennzahl|status)\b"
)
TABELLEN_JS = """() => Array.from(document.querySelectorAll('table')).map(t => ({
  kopf: Array.from(t.querySelectorAll('thead th')).map(c => c.innerText.trim()),
  zeilen: Array.from(t.tBodies).flatMap(b => Array.from(b.rows)).map(
    r => Array.from(r.cells).map(c => c.innerText.trim())),
}))"""

BREITE_JS = """() => Math.max(document.documentElement.scrollWidth, ...Array.from(
  document.querySelectorAll('table, img, iframe')).map(e => e.getBoundingClientRect().right))"""


def _dezimalpunkte(text: str) -> list[str]:
    return DEZIMALPUNKT.findall(DATUM.sub(" ", text))


# ---------------------------------------------------------------- without a browser (fast)
def test_dezimalpunkt_regex_finds_what_it_should() -> None:
    """The check below would catch the numbers of issue 14 and lets German ones pass."""
    assert _dezimalpunkte("101.0 und 40.9 Plätze, 16.0") == ["101.0", "40.9", "16.0"]
    assert _dezimalpunkte("1.061 Bedarfe, 40,9 Plätze, 1.232.715 €, Stichtag 31.12.2021") == []


def test_tabelle_shows_no_default_index_and_german_headers() -> None:
    frame = pd.DataFrame({"Gemeinde": ["Adorf", "Bdorf"], "Plätze": [1234.5, 7.0]})
    html = tabelle(frame, lambda _c, v: v if isinstance(v, str) else f"{v:,.1f}").html
    assert "<th>0</th>" not in html and "<th>1</th>" not in html
    assert "<tr><th>Adorf</th>" in html  # the first column labels the rows
    multi = pd.DataFrame(
        [["1", "2", "3"]],
        index=pd.Index(["Sprache"], name="handlungsfeld"),
        columns=pd.MultiIndex.from_tuples(
            [("duldung", "18-20"), ("duldung", "21-24"), ("gestattung", "18-20")],
            names=["status", "altersgruppe"],
        ),
    )
    html = tabelle(multi, lambda _c, v: v).html
    assert '<th colspan="2">Duldung</th><th>Aufenthaltsgestattung</th>' in html
    assert "<th>Status</th>" in html and "<th>Handlungsfeld</th>" in html
    assert not ROHE_CODES.search(re.sub(r"<[^>]+>", " ", html))


def test_kosten_chart_stacks_grant_and_own_share_per_year() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from thm_lib.publish.plots import kosten_chart

    plan = pd.DataFrame(
        {
            "Zuwendung €": [29823.75, 178942.5, 208766.25],
            "Eigenanteil gesamt €": [9941.25, 59647.5, 69588.75],
            "Gesamtkosten €": [39765.0, 238590.0, 278355.0],
        },
        index=pd.Index([2019, 2020, "Summe"], name="Haushaltsjahr"),
    )
    ax = kosten_chart(plan)
    bars = ax.patches
    assert len(bars) == 4  # two years × (grant, own share); the sum row is no bar
    assert [b.get_height() for b in bars[:2]] == [29823.75, 178942.5]
    assert [b.get_y() for b in bars[2:]] == [29823.75, 178942.5]  # own share on top
    assert [b.get_y() + b.get_height() for b in bars[2:]] == [39765.0, 238590.0]
    assert [t.get_text() for t in ax.texts] == ["39.765 €", "238.590 €"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2019", "2020"]
    assert ax.yaxis.get_major_formatter()(100000, 0) == "100.000"
    assert kosten_chart(plan.iloc[0:0]) is None  # hidden plan: no chart


# ---------------------------------------------------------------- the published folder
@pytest.fixture(scope="module")
def kreis_dir() -> Path:
    return musterkreis_lauf()


def _seiten(kreis_dir: Path) -> list[Path]:
    """Index, the Kreis report and the reports of one Kommune (notebooks and map)."""
    pages = [kreis_dir / "index.html"]
    for key in (KREIS_ORDNER, GOOD):
        pages += [kreis_dir / key / f"{nb}.html" for nb in NOTEBOOKS]
        pages.append(kreis_dir / key / "karte.html")
    return pages


@pytest.mark.slow
def test_no_report_page_names_an_outside_resource(kreis_dir: Path) -> None:
    """Every published HTML page of the run (all Kommunen): no script, style, font or
    frame from the internet, the report pages from our template."""
    pages = sorted(kreis_dir.rglob("*.html"))
    assert len(pages) >= 13 * (len(NOTEBOOKS) + 1)
    outside = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""")
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not outside.search(text), page
        assert "require.js" not in text and "mathjax" not in text.lower(), page
        assert "Make this Notebook Trusted" not in text, page  # folium's English note
        # two maps on each maps page, the Standortplanung map in the Kreis's analysis
        karten = {"karten.html": 2}
        if page.parent.name == KREIS_ORDNER:
            karten["bedarfs_und_angebotsanalyse.html"] = 1
        assert text.count("Interaktive Karte.") == karten.get(page.name, 0), page
        if page.name in {f"{nb}.html" for nb in NOTEBOOKS}:
            assert 'class="thm-nav"' in text and 'href="../index.html"' in text, page
            assert "@page { size: A4" in text and "font-family: system-ui, -apple" in text, page


@pytest.mark.slow
@pytest.mark.browser
def test_reports_render_offline_and_print_on_a4(kreis_dir: Path, offline_page) -> None:
    page = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    SHOTS.mkdir(exist_ok=True)
    for path in _seiten(kreis_dir):
        errors.clear()
        page.goto(path.as_uri(), wait_until="load")
        name = f"{path.parent.name}_{path.stem}"
        assert page.blocked_requests == [], (name, page.blocked_requests)
        assert page.title().strip(), name
        if path.name == "index.html":
            assert page.title().startswith("THM-Werkbank"), name
        elif path.name == "karte.html":
            assert page.title().startswith("Karte der Zielgruppe"), name
        else:
            assert page.title().startswith(TEIL_TITEL[path.stem]), name
        if path.parent != kreis_dir:
            back = page.locator("a.thm-zurueck")
            assert back.count() == 1, name
            assert back.get_attribute("href") == "../index.html"
            assert (path.parent / "../index.html").resolve().is_file()
            assert "Musterkreis (fiktiv)" in page.title(), name
        if path.stem in ("karten", "karte"):  # folium maps keep rendering offline
            maps = 0
            for frame in [page.main_frame, *page.main_frame.child_frames]:
                if frame.locator(".leaflet-container").count():
                    frame.wait_for_selector(".leaflet-overlay-pane path", state="attached")
                    maps += frame.locator(".leaflet-container").count()
            assert maps >= (2 if path.stem == "karten" else 1), name
        assert errors == [], (name, errors)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        pdf = page.pdf(path=str(SHOTS / f"{name}.pdf"), format="A4", print_background=True)
        assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000, name
        # what the A4 print looks like, as a picture (printable width of A4 at 96 dpi)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 703, "height": 1000})
        page.screenshot(path=str(SHOTS / f"{name}_druck.png"), full_page=True)
        breite = page.evaluate(BREITE_JS)
        assert breite <= 704 or path.name == "karte.html", (name, breite)  # nothing cut off
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.blocked_requests == [], (name, page.blocked_requests)


@pytest.mark.slow
@pytest.mark.browser
def test_report_tables_read_german(kreis_dir: Path, page) -> None:
    """Headers without raw codes, no pandas index 0…n, no decimal point, no 5-digit number
    without thousands separator, in every table and the visible text of each report."""
    found: list[tuple[str, str]] = []
    for path in _seiten(kreis_dir):
        if path.name == "karte.html":
            continue
        page.goto(path.as_uri(), wait_until="load")
        name = f"{path.parent.name}/{path.name}"
        tables = page.evaluate(TABELLEN_JS)
        assert tables or path.stem == "karten", name  # the maps page shows maps only
        for t in tables:
            for head in t["kopf"]:
                if ROHE_CODES.search(head):
                    found.append((name, f"Spaltenkopf {head!r}"))
            rows = t["zeilen"]
            if len(rows) >= 2 and [r[0] for r in rows] == [str(i) for i in range(len(rows))]:
                found.append((name, f"Index 0…n in Tabelle {t['kopf'][:3]}"))
            skip = {i for i, h in enumerate(t["kopf"]) if h == "Gemeindeschlüssel"}
            for row in rows:
                for j, cell in enumerate(row):
                    if j in skip:
                        continue
                    if cell in ("duldung", "gestattung", "sonstige", "True", "False", "nan"):
                        found.append((name, f"Code {cell!r}"))
                    for number in _dezimalpunkte(cell):
                        found.append((name, f"Dezimalpunkt {number!r} in {cell!r}"))
                    if re.fullmatch(r"\d{5,}([,]\d+)?( €| %)?", cell):
                        found.append((name, f"ohne Tausenderpunkt {cell!r}"))
        text = page.evaluate("(document.querySelector('main') || document.body).innerText")
        for number in _dezimalpunkte(text):
            found.append((name, f"Dezimalpunkt im Text {number!r}"))
    assert found == []


@pytest.mark.slow
def test_index_page_from_template(kreis_dir: Path) -> None:
    text = (kreis_dir / "index.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="de">' in text
    assert "<title>THM-Werkbank – Musterkreis (fiktiv): Berichte je Kommune</title>" in text
    assert "@page { size: A4" in text  # the reports' stylesheet, not HTML-escaped
    assert 'font-family: system-ui, -apple-system, "Segoe UI"' in text
    for href in re.findall(r'href="([^"]+)"', text):
        assert (kreis_dir / href).is_file(), href
    assert f'href="{GOOD}/stellen_und_foerderung.html"' in text
    assert "Status Duldung, Aufenthaltsgestattung" in text
    assert not _dezimalpunkte(re.sub(r"<[^>]+>", " ", text.split("<body", 1)[1]))


# ---------------------------------------------------------------- names as an office writes them

KREISNAME = "Städteregion Aß & <b>Co</b>"
ORTSNAME = 'Bad <i>Ems</i> & "Söhne" *Süd*'


def test_names_with_markup_characters_read_as_written_in_a_report(tmp_path: Path) -> None:
    # the frame of every report page (link back, heading, navigation) and a notebook's
    # Markdown heading (nb.titel): "<b>Co</b>" was set in bold, "*Süd*" in italics
    import nbformat
    from bs4 import BeautifulSoup

    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.run import notebook as nb
    from thm_lib.run.kommune import to_html
    from thm_lib.run.report import write_karte

    ws = load_workspace(SAMPLE)
    ws = dataclasses.replace(
        ws, name=KREISNAME, gebiete=ws.gebiete.assign(name=ws.gebiete["name"].mask(
            ws.gebiete["ags"] == GOOD, ORTSNAME))
    )  # fmt: skip
    kopf = nb.titel(ws, GOOD)
    heft = nbformat.v4.new_notebook()
    heft.cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={"text/markdown": f"**{kopf}**", "text/plain": ""})])]  # fmt: skip
    nbformat.write(heft, tmp_path / "teil.ipynb")
    out = tmp_path / "teil.html"
    to_html(
        tmp_path / "teil.ipynb", out, titel="Zielgruppe", wo=ORTSNAME,
        kreis=KREISNAME, links=[("teil.html", "Zielgruppe"), ("karte.html", "Karte")],
    )  # fmt: skip
    dom = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert dom.select_one("a.thm-zurueck").get_text() == f"← Übersicht aller Berichte ({KREISNAME})"
    assert dom.select_one("p.thm-kopf").get_text() == (
        f"Bericht „Zielgruppe“ für {ORTSNAME}, {KREISNAME}"
    )
    assert dom.select_one("main strong").get_text() == f"{ORTSNAME} – Stichtag 31.12.2021"
    assert dom.title.get_text() == f"Zielgruppe – {ORTSNAME} – {KREISNAME}"
    assert not dom.select("nav b, nav i, p.thm-kopf b, p.thm-kopf i, main i, main em, main b")
    karte = BeautifulSoup(
        write_karte(ws, GOOD, tmp_path / "karte.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert karte.title.get_text() == f"Karte der Zielgruppe – {ORTSNAME} – {KREISNAME}"
    assert karte.select_one("a.thm-zurueck").get_text() == (
        f"← Übersicht aller Berichte ({KREISNAME})"
    )


def test_the_one_exporter_of_a_process_writes_each_report_as_a_new_one_would(
    tmp_path: Path,
) -> None:
    # to_html keeps one nbconvert exporter per process (templates compiled once): a report
    # written after another must equal the same report written by a fresh exporter
    import nbformat

    from thm_lib.run import kommune

    def heft(name: str, text: str) -> Path:
        ausgabe = nbformat.v4.new_output(
            "display_data",
            data={"text/html": f"<table><tr><td>{text}</td></tr></table>", "text/plain": ""},
        )
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_markdown_cell(f"# {text}"),
            nbformat.v4.new_code_cell("x", outputs=[ausgabe]),
        ]
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    a, b = heft("a.ipynb", "Erster Ort 111"), heft("b.ipynb", "Zweiter Ort 222")
    args_b = {"titel": "Karten", "wo": "Gemeinde B", "kreis": "Kreis K",
              "links": [("b.html", "Karten"), ("c.html", "Stellen")]}  # fmt: skip
    kommune.to_html(a, tmp_path / "a.html", titel="Zielgruppe", wo="Gemeinde A",
                    links=[("a.html", "Zielgruppe")])  # fmt: skip
    kommune.to_html(b, tmp_path / "b1.html", **args_b)
    assert kommune._exporter() is kommune._exporter()
    kommune._exporter.cache_clear()
    kommune.to_html(b, tmp_path / "b2.html", **args_b)
    nach_a = (tmp_path / "b1.html").read_text(encoding="utf-8")
    assert nach_a == (tmp_path / "b2.html").read_text(encoding="utf-8")
    assert "Zweiter Ort 222" in nach_a and "Stellen" in nach_a
    for von_a in ("Erster Ort 111", "Gemeinde A", "Zielgruppe"):
        assert von_a not in nach_a


def test_the_report_matrix_shows_the_versorgungsgrad_its_colour_is_decided_on() -> None:
    # Thresholds of the sample (75 % / 110 %). The class follows the published value
    # with one decimal (coverage.gap_class), so the cell shows that decimal: 74.96 %
    # is shown as "75,0" and green; 74.94 % as "74,9" and red (was "75" in red).
    from bs4 import BeautifulSoup

    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.run import notebook as nb

    ws = load_workspace(SAMPLE)
    assert (ws.annahmen.versorgung.untere_schwelle, ws.annahmen.versorgung.obere_schwelle) == (
        0.75,
        1.1,
    )
    werte = [74.94, 74.96, 75.0, 110.0, 110.04, 110.06, "."]
    matrix = pd.DataFrame({"Sprache": werte}, index=[f"G{i}" for i in range(len(werte))])
    dom = BeautifulSoup(nb.farbige_matrix(matrix, ws).html, "html.parser")
    zellen = [(td.get_text(strip=True), td.get("style", "")) for td in dom.select("tbody td")]
    rot, gruen, blau = "#d7191c66", "#a6d96a66", "#2b83ba66"
    assert [text for text, _ in zellen] == ["74,9", "75,0", "75,0", "110,0", "110,0", "110,1", "."]
    farben = [next((f for f in (rot, gruen, blau) if f in stil), "") for _, stil in zellen]
    assert farben == [rot, gruen, gruen, gruen, gruen, blau, ""]
