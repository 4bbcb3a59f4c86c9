"""Every Arbeitsmappe the loader accepts gives every report (issue 12): real batch runs.

- random valid Arbeitsmappen (``tests/arbeitsmappen.py``) through the whole batch;
- an office hand-over (VG250 shapefile, xlsx with numeric AGS, cp1252 CSV) through
  ``thm batch``;
- a failing part (a notebook) does not throw away the Kommune's other parts.

CI runs few examples (hypothesis, derandomized there) and restricts the generated
Kreise to the Kreis report plus one telling Gemeinde (the in-process test runs
every Kommune of smaller Kreise); ``THM_BEISPIELE=20`` runs
20 examples with every Kommune (see ``docs/robustheit.md``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import nbformat
import pytest
import shapely
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tests.arbeitsmappen import (
    STICHTAG_OHNE_NEUE_ZAHL,
    STICHTAGE_THM,
    ArbeitsmappeSpec,
    arbeitsmappen,
    fuehre_notebook_aus,
    schreibe,
)
from tests.audit_laeufe import freie_texte_in, personenspalten_ohne_regel
from tests.helpers_io import SAMPLE, read_rows, write_rows
from tests.helpers_land import pruefe_landeszeile
from thm_lib.core.labels import KREIS, KREIS_ORDNER
from thm_lib.core.paths import PROTOKOLL
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run.batch import intern_ordner, report_keys, run_batch, slug
from thm_lib.run.kommune import NOTEBOOK_DIR
from thm_lib.run.land import run_land
from thm_lib.run.notebook import oeffne
from thm_lib.run.report import NOTEBOOKS, Analyse, kennzahlen_fuer, write_bericht, write_karte

pytestmark = pytest.mark.slow

BEISPIELE = int(os.environ.get("THM_BEISPIELE", "0"))
"""More examples, every Kommune, drawn at random (0 = the CI setting: few examples, chosen
Kommunen, the same examples on every run, so that CI judges the change and not the draw;
explore with e.g. ``THM_BEISPIELE=20``)."""
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


def auswahl(spec: ArbeitsmappeSpec) -> list[str]:
    """One telling Gemeinde for CI: one without offers, else one without a current count
    (or with a target group of 0), else the first. The in-process test covers all."""
    k = len(spec.stichtage)
    later = [
        i for i, n in enumerate(spec.stichtage_je_gemeinde) if n < k or i in spec.zielgruppe_null
    ]
    picks = sorted(spec.ohne_angebote) or later or [0]
    return [spec.ags[picks[0]]]


def assert_complete(kreis_dir: Path, keys: list[str]) -> None:
    """Every part of every report exists and the index shows no failure and no traceback."""
    for key in keys:
        folder = kreis_dir / key
        for nb in NOTEBOOKS:
            assert (folder / f"{nb}.html").stat().st_size > 0, (key, nb)
        assert (folder / "karte.html").stat().st_size > 0, key
        assert "Hinweise" in load_workbook(folder / "bericht.xlsx").sheetnames, key
    index = (kreis_dir / "index.html").read_text(encoding="utf-8")
    assert "FEHLGESCHLAGEN" not in index and "Traceback" not in index
    assert index.count('class="ok">aktuell') == len(keys)
    assert not (intern_ordner(kreis_dir) / PROTOKOLL).exists()
    assert not list(kreis_dir.rglob("*.ipynb"))
    assert not list(kreis_dir.parent.glob(".*.neu")) and not list(kreis_dir.glob(".*.neu"))
    # names as written: a "*", "_" or "<b>" in a name never turns into formatting
    for page in kreis_dir.rglob("*.html"):
        dom = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not dom.find_all(["i", "em", "b"]), (page, dom.find_all(["i", "em", "b"])[:3])


# --------------------------------------------------------------------------- generated
#: Found by CI: cases in 3 Gemeinden (1, 1, 2 clients), no target-group count in 23 of
#: 24 Gemeinden. Three "<5" under a "<5" total pinned each other; FAQ counts of 0 without
#: a count were hidden although the target-group table shows the 0. The audit stopped
#: the publication.
KLEINE_FAELLE = ArbeitsmappeSpec(
    seed=11998,
    n_gemeinden=24,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=True,
    mit_kommunen=True,
    stichtage=("31.12.2021",),
    stichtage_je_gemeinde=(0,) * 23 + (1,),
    ohne_angebote=frozenset({6, 11, 23}),
    zielgruppe_null=frozenset(),
    n_angebote=51,
    n_faelle=6,
    stichtag_konfiguriert=False,
)


#: Found exploring with THM_BEISPIELE: shown client sums of the reach table and
#: "clients <= active cases" left the hidden active cases of Gemeinde 7 at 1..2. The reach
#: table is now checked together with the cells of "Fallzahlen".
KLIENTEN_UND_FAELLE = ArbeitsmappeSpec(
    seed=70522016,
    n_gemeinden=9,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=True,
    mit_kommunen=False,
    stichtage=("31.12.2023", "31.12.2024"),
    stichtage_je_gemeinde=(1, 0, 1, 2, 0, 0, 0, 1, 0),
    ohne_angebote=frozenset({8, 2, 4, 5}),
    zielgruppe_null=frozenset({1, 2}),
    n_angebote=23,
    n_faelle=39,
    stichtag_konfiguriert=True,
)


#: Found exploring with THM_BEISPIELE: 15 active cases, nearly all "<5" per Gemeinde, and
#: clients in 7 Gemeinden. With "Fallzahlen" as published, "clients <= active cases" left
#: the hidden Kreis total of clients only 3 possible values, and no cell of the reach table
#: could widen it: the audit stopped the run and nothing was published. Now the joint
#: check may hide cells of "Fallzahlen" too (here its Kreis total of active cases).
FALLZAHLEN_BINDEN = ArbeitsmappeSpec(
    seed=4,
    n_gemeinden=20,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=False,
    stichtage=("31.12.2019", "31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(3, 3, 1, 1, 3, 1, 2, 1, 3, 0, 3, 0, 0, 2, 1, 1, 1, 2, 2, 0),
    ohne_angebote=frozenset({8}),
    zielgruppe_null=frozenset({1, 4, 13, 9}),
    n_angebote=53,
    n_faelle=19,
    stichtag_konfiguriert=True,
)


#: A new Geschäftsführende Stelle: cases and a target group, no offer documented yet
#: (the loader refused such a Kreis until round 2, session 15).
NOCH_KEINE_ANGEBOTE = ArbeitsmappeSpec(
    seed=15,
    n_gemeinden=4,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=True,
    stichtage=("31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(2, 2, 1, 2),
    ohne_angebote=frozenset({0, 1, 2, 3}),
    zielgruppe_null=frozenset(),
    n_angebote=5,
    n_faelle=40,
    stichtag_konfiguriert=False,
    klein=frozenset({3}),
)


#: Names with Markdown and HTML characters, and offers only in the neighbouring town: a
#: Gemeinde without a count was named unescaped in the note on Stichtage (round 2,
#: session 16, found by a Land run of such Kreise).
NAMEN_UND_NACHBARSTADT = dataclasses.replace(
    NOCH_KEINE_ANGEBOTE,
    stichtage_je_gemeinde=(2, 0, 1, 2),
    nachbar_angebote=2,
    sonderzeichen=True,
)


#: A Kreis planning for 16- to 27-year-olds while the programme counts 18-27 (round 2,
#: session 23: no FAQ count, FAQ positions or funding plan was published for such a Kreis);
#: Gemeinden with their own Stichtag of the first application, a Gemeinde counted once.
ZIELGRUPPE_AB_16 = dataclasses.replace(
    NOCH_KEINE_ANGEBOTE, ohne_angebote=frozenset({2}), zielgruppe_alter=(16, 27)
)


#: A Kreis kept over years (round 2, session 52): cases begun since 2019, closed with a
#: listed reason, a typed remark (two of them) or none, a person who moved on to another
#: Gemeinde as a new case; offers that ended, begin after the Stichtag or were renamed.
UEBER_JAHRE = dataclasses.replace(
    NOCH_KEINE_ANGEBOTE, seed=18, ohne_angebote=frozenset({2}), n_angebote=8, verlauf=True
)


#: Found by the search of Kreise kept over years (round 2, session 52): a kreisfreie Stadt
#: whose only closure of the report year has no reason. Folding the reasons gave a column
#: of floats; the Berichtswesen failed and with it the whole Land run (a traceback).
OHNE_ABSCHLUSSGRUND = ArbeitsmappeSpec(
    seed=2,
    n_gemeinden=1,
    kreisfrei=True,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=True,
    stichtage=STICHTAGE_THM,
    stichtage_je_gemeinde=(2,),
    ohne_angebote=frozenset(),
    zielgruppe_null=frozenset(),
    n_angebote=3,
    n_faelle=12,
    stichtag_konfiguriert=False,
    klein=frozenset({0}),
    nachbar_angebote=2,
    sonderzeichen=True,
    zielgruppe_alter=(20, 27),
    verlauf=True,
)


@settings(
    max_examples=BEISPIELE or 2,
    deadline=None,
    suppress_health_check=SLOW_OK,
    derandomize=not BEISPIELE,
)
@given(spec=arbeitsmappen(einstellungen=True))
@example(spec=KLEINE_FAELLE)
@example(spec=KLIENTEN_UND_FAELLE)
@example(spec=FALLZAHLEN_BINDEN)
@example(spec=NOCH_KEINE_ANGEBOTE)
@example(spec=NAMEN_UND_NACHBARSTADT)
@example(spec=STICHTAG_OHNE_NEUE_ZAHL)
@example(spec=ZIELGRUPPE_AB_16)
@example(spec=UEBER_JAHRE)
@example(spec=OHNE_ABSCHLUSSGRUND)
def test_generated_arbeitsmappe_gives_every_report(
    tmp_path_factory: pytest.TempPathFactory, spec: ArbeitsmappeSpec
) -> None:
    root = tmp_path_factory.mktemp("gen")
    folder = schreibe(spec, root / "mappe")
    ws = load_workspace(folder)
    kommunen = None if BEISPIELE or spec.kreisfrei else auswahl(spec)
    result = run_batch(folder, root / "reports", kommunen, jobs=2, mit_kreis=True, progress=False)
    keys = report_keys(ws, kommunen, mit_kreis=True)
    assert [r.key for r in result.results] == keys
    assert not result.failed, [(r.key, r.grund) for r in result.failed]
    assert_complete(result.kreis_dir, keys)
    assert personenspalten_ohne_regel(result.kreis_dir, ws) == set()
    assert freie_texte_in(result.kreis_dir) == []  # typed closure remarks count as a label
    if spec.kreisfrei:
        assert keys == [KREIS_ORDNER]


@settings(
    max_examples=BEISPIELE or 3,
    deadline=None,
    suppress_health_check=SLOW_OK,
    derandomize=not BEISPIELE,
)
@given(spec=arbeitsmappen(max_gemeinden=40 if BEISPIELE else 6))
def test_generated_arbeitsmappe_every_part_of_every_kommune(
    tmp_path_factory: pytest.TempPathFactory, spec: ArbeitsmappeSpec
) -> None:
    """The same parts as the batch, for EVERY Kommune, notebooks run in this process."""
    root = tmp_path_factory.mktemp("gen")
    folder = schreibe(spec, root / "mappe")
    for key in report_keys(load_workspace(folder)):
        ags = KREIS if key == KREIS_ORDNER else key
        ws = oeffne(folder, ags)
        analyse = Analyse(ws)
        write_karte(ws, ags, root / f"{key}.html")
        write_bericht(ws, ags, root / f"{key}.xlsx", analyse)
        figures = kennzahlen_fuer(ws, ags, analyse)
        assert set(figures) == {"zielgruppe", "stellen_faq", "unterversorgung", "luecken"}
        for nb in NOTEBOOKS:
            with contextlib.redirect_stdout(io.StringIO()):
                fuehre_notebook_aus(nb, {"arbeitsmappe": str(folder), "ags": ags})


def _ohne_letzte_gemeinde(spec: ArbeitsmappeSpec) -> ArbeitsmappeSpec | None:
    """The same Kreis drawn with its last Gemeinde gone (None where that is no valid Kreis)."""
    n = spec.n_gemeinden - 1
    ohne = frozenset(i for i in spec.ohne_angebote if i < n)
    if spec.kreisfrei or n < 1 or not any(spec.stichtage_je_gemeinde[:n]):
        return None
    return dataclasses.replace(
        spec,
        n_gemeinden=n,
        stichtage_je_gemeinde=spec.stichtage_je_gemeinde[:n],
        ohne_angebote=ohne,
        zielgruppe_null=frozenset(i for i in spec.zielgruppe_null if i < n),
        n_angebote=min(spec.n_angebote, 3 * n + 2),
        klein=frozenset(i for i in spec.klein if i < n),
    )


def _eine_zahl_mehr(folder: Path, zeile: int) -> None:
    """A correction: one more person in one row of zielgruppe.csv."""
    header, rows = read_rows(folder / "zielgruppe.csv")
    row = rows[zeile % len(rows)]
    row[header.index("anzahl")] = str(int(row[header.index("anzahl")]) + 1)
    write_rows(folder / "zielgruppe.csv", header, rows)


@settings(
    max_examples=BEISPIELE or 3,
    deadline=None,
    suppress_health_check=SLOW_OK,
    derandomize=not BEISPIELE,
)
@given(
    spec=arbeitsmappen(max_gemeinden=5),
    gemeinde_weg=st.booleans(),
    wahl=st.integers(0, 1000),
)
def test_a_run_of_one_kommune_after_a_correction_leaves_one_state_published(
    tmp_path_factory: pytest.TempPathFactory, spec: ArbeitsmappeSpec, gemeinde_weg, wahl
) -> None:
    """After any correction, ``--kommune X`` publishes a folder of one state only: every
    report renewed or removed, the audit without "Verschiedene Werte", nothing left to
    renew. (Two states side by side can narrow a hidden count; the parts without a kernel
    suffice here: which reports a run makes does not depend on the notebooks.)"""
    assume(not spec.kreisfrei and spec.n_gemeinden >= 2)
    root = tmp_path_factory.mktemp("korrektur")
    folder = schreibe(spec, root / "mappe")

    def lauf(kommunen: list[str] | None):
        result = run_batch(folder, root / "reports", kommunen, jobs=1, notebooks=(), progress=False)
        assert result.veroeffentlicht, result.pruefung.zusammenfassung()
        return result

    lauf(None)
    danach = _ohne_letzte_gemeinde(spec) if gemeinde_weg else None
    if danach is not None:
        shutil.rmtree(folder)
        schreibe(danach, folder)
    else:
        _eine_zahl_mehr(folder, wahl)
    ws = load_workspace(folder)
    gewaehlt = list(ws.gebiete["ags"])[wahl % len(ws.gebiete)]
    zweiter = lauf([gewaehlt])
    assert {p.name for p in zweiter.kreis_dir.iterdir() if p.is_dir()} == set(report_keys(ws))
    assert not [h for h in zweiter.pruefung.hinweise if "Verschiedene Werte" in h]
    dritter = lauf([gewaehlt])
    assert all(r.uebersprungen for r in dritter.results) and not dritter.veraltet


# --------------------------------------------------------------------------- hand-over
KREIS_GEMEINDEN = {"05899004": "Musterstadt", "05899016": "Probstadt", "05899040": "Vorlagenfeld"}
MIT_ANGEBOTEN = "05899004"
TRAEGER = "Jugendhilfe Süd – Straßenarbeit"  # cp1252 has ü, ß and the en dash


def _vg250(mappe: Path) -> None:
    """VG250_GEM.shp as the BKG ships it: all Gemeinden around (other Kreise too), GF 2
    (water) beside GF 4 (land), fields AGS/GEN/BEZ/GF, EPSG:25832."""
    sample = gpd.read_file(SAMPLE / "gebiete.geojson")
    rows = []
    for r in sample.itertuples():
        ags = r.ags if r.ags in KREIS_GEMEINDEN else "05898" + r.ags[5:]  # neighbour Kreis
        rows.append({"AGS": ags, "GEN": r.name, "BEZ": "Stadt", "GF": 4, "geometry": r.geometry})
        if ags == MIT_ANGEBOTEN:  # a lake: a GF 2 record of the same Gemeinde
            c = r.geometry.representative_point()
            rows.append(
                {
                    "AGS": ags,
                    "GEN": r.name,
                    "BEZ": "Stadt",
                    "GF": 2,
                    "geometry": shapely.box(c.x - 100, c.y - 100, c.x + 100, c.y + 100),
                }
            )
    frame = gpd.GeoDataFrame(rows, crs=sample.crs).to_crs("EPSG:25832")
    frame.to_file(mappe / "VG250_GEM.shp", engine="pyogrio")


def _zielgruppe_xlsx(mappe: Path) -> dict[str, int]:
    """zielgruppe.xlsx with numeric AGS (Excel drops the leading zero) and Excel dates;
    returns the target group (duldung + gestattung, 18..27) per AGS at the last Stichtag."""
    header, rows = read_rows(SAMPLE / "zielgruppe.csv")
    i = {h: header.index(h) for h in header}
    wb = Workbook()
    sheet = wb.active
    sheet.title = "zielgruppe"
    sheet.append(header)
    expected = dict.fromkeys(KREIS_GEMEINDEN, 0)
    for r in rows:
        if r[i["ags"]] not in KREIS_GEMEINDEN:
            continue
        sheet.append(
            [
                int(r[i["ags"]]),
                datetime.strptime(r[i["stichtag"]], "%d.%m.%Y"),
                r[i["status"]],
                int(r[i["alter"]]),
                r[i["geschlecht"]],
                int(r[i["anzahl"]]),
            ]
        )
        if (
            r[i["stichtag"]] == "31.12.2021"
            and r[i["status"]] != "sonstige"
            and 18 <= int(r[i["alter"]]) <= 27
        ):
            expected[r[i["ags"]]] += int(r[i["anzahl"]])
    wb.save(mappe / "zielgruppe.xlsx")
    return expected


def _angebote_cp1252(mappe: Path) -> int:
    """angebote.csv in cp1252 with decimal comma and dd.mm.yyyy: only Musterstadt's offers,
    so Probstadt and Vorlagenfeld have none."""
    header, rows = read_rows(SAMPLE / "angebote.csv")
    a, e = header.index("ags"), header.index("einzugsgebiet")
    kept = [r for r in rows if r[a] == MIT_ANGEBOTEN]
    for r in kept:
        r[e] = ",".join(x for x in r[e].split(",") if x == MIT_ANGEBOTEN)
    kept[0][header.index("traeger")] = TRAEGER
    assert any("," in r[header.index("lat")] for r in kept)
    assert any(r[header.index("beginn")].count(".") == 2 for r in kept)
    write_rows(mappe / "angebote.csv", header, kept, encoding="cp1252")
    return len(kept)


def test_office_handover_vg250_xlsx_cp1252_without_cases(tmp_path: Path) -> None:
    mappe = tmp_path / "kreis_uebergabe"
    mappe.mkdir()
    _vg250(mappe)
    expected = _zielgruppe_xlsx(mappe)
    n_offers = _angebote_cp1252(mappe)
    assert TRAEGER.encode("cp1252") in (mappe / "angebote.csv").read_bytes()
    (mappe / "annahmen.yaml").write_text(
        'kreis:\n  name: Kreis Übergabe\n  ags: "05899"\n', encoding="utf-8"
    )
    out = tmp_path / "reports"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "thm_lib.run.cli",
            "batch",
            str(mappe),
            "--ausgabe",
            str(out),
            "--jobs",
            "2",
            "--ohne-fortschritt",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Fertig: 4 von 4 Berichten erstellt." in proc.stdout
    kreis_dir = out / slug("Kreis Übergabe")
    assert kreis_dir.name == "kreis_uebergabe"
    assert_complete(kreis_dir, [KREIS_ORDNER, *KREIS_GEMEINDEN])
    status = json.loads((intern_ordner(kreis_dir) / "status.json").read_text(encoding="utf-8"))
    assert status[MIT_ANGEBOTEN]["kennzahlen"]["zielgruppe"] == expected[MIT_ANGEBOTEN]
    assert status[KREIS_ORDNER]["kennzahlen"]["zielgruppe"] == sum(expected.values())
    ws = load_workspace(mappe)
    assert sorted(ws.gebiete["ags"]) == sorted(KREIS_GEMEINDEN)
    assert len(ws.angebote) == n_offers and ws.faelle is None
    assert TRAEGER in set(ws.angebote["traeger"])
    report = (kreis_dir / "05899016" / "zielgruppe.html").read_text(encoding="utf-8")
    assert "Noch keine Falldokumentation" in report


# --------------------------------------------------------------------------- failing part
def _notebooks(folder: Path, kaputt: dict[str, str]) -> Path:
    """Copies of the project notebooks; ``kaputt`` appends a failing cell to some."""
    folder.mkdir(exist_ok=True)
    for nb in NOTEBOOKS:
        shutil.copy(NOTEBOOK_DIR / f"{nb}.ipynb", folder / f"{nb}.ipynb")
    for nb, code in kaputt.items():
        doc = nbformat.read(folder / f"{nb}.ipynb", as_version=4)
        doc.cells.append(nbformat.v4.new_code_cell(code))
        nbformat.write(doc, folder / f"{nb}.ipynb")
    return folder


def test_failing_part_keeps_the_other_parts_and_logs_internal_errors(tmp_path: Path) -> None:
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    out = tmp_path / "reports"
    nbs = ("zielgruppe", "stellen_und_foerderung")
    gut = _notebooks(tmp_path / "gut", {})
    first = run_batch(
        mappe, out, ["05899044"], jobs=2, notebooks=nbs, progress=False, notebook_ordner=gut
    )
    assert not first.failed
    folder = first.kreis_dir / "05899044"
    before = (folder / "zielgruppe.html").read_bytes()

    kaputt = _notebooks(
        tmp_path / "kaputt",
        {
            "zielgruppe": "1 / 0",
            "stellen_und_foerderung": "from thm_lib.core.errors import DataError, Problem\n"
            "raise DataError([Problem('test.csv', 'absichtlich kaputt')])",
        },
    )
    second = run_batch(
        mappe, out, ["05899044"], jobs=2, notebooks=nbs, progress=False, notebook_ordner=kaputt
    )
    r = second.results[0]
    assert not r.ok
    assert r.teile["karte"].ok and r.teile["bericht"].ok and r.teile["kennzahlen"].ok
    assert r.teile["zielgruppe"].grund == (
        "interner Fehler (Protokoll: intern/…/protokoll.log, Eintrag 05899044/zielgruppe)"
    )
    assert "test.csv: absichtlich kaputt" in r.teile["stellen_und_foerderung"].grund
    # the failed parts keep their last good files; the others are new
    assert (folder / "zielgruppe.html").read_bytes() == before
    assert (folder / "karte.html").exists() and (folder / "bericht.xlsx").exists()
    log = (intern_ordner(second.kreis_dir) / PROTOKOLL).read_text(encoding="utf-8")
    assert "05899044/zielgruppe" in log and "ZeroDivisionError" in log
    assert "absichtlich" not in log  # a DataError is expected, not an internal error
    index = (second.kreis_dir / "index.html").read_text(encoding="utf-8")
    assert "ZeroDivisionError" not in index and "Traceback" not in index
    assert "interner Fehler (Protokoll: intern/…/protokoll.log" in index
    assert index.count("Angezeigt: letzter guter Bericht vom") == 2
    assert 'href="05899044/karte.html"' in index
    status = json.loads(
        (intern_ordner(second.kreis_dir) / "status.json").read_text(encoding="utf-8")
    )
    teile = status["05899044"]["teile"]
    assert teile["zielgruppe"]["letzter_erfolg"] == first.results[0].zeitpunkt
    assert teile["karte"]["letzter_erfolg"] == r.zeitpunkt
    assert not list(second.kreis_dir.glob(".*.neu"))


#: Three Arbeitsmappen unlike the sample and unlike each other, side by side in one Land
#: folder: a Kreis without case records, population or ``kommunen`` (one Gemeinde without
#: offers, one with a target group of 0, target group 16-27); a kreisfreie Stadt with case
#: records, three Stichtage and target group 16-25; a Kreis with case records, small
#: Gemeinden, counts that stop at earlier Stichtage and names with HTML characters.
LAND_UNGLEICH = (
    ArbeitsmappeSpec(
        seed=11,
        n_gemeinden=6,
        kreisfrei=False,
        mit_faellen=False,
        mit_einwohner=False,
        mit_kommunen=False,
        stichtage=("31.12.2021",),
        stichtage_je_gemeinde=(1,) * 6,
        ohne_angebote=frozenset({4}),
        zielgruppe_null=frozenset({5}),
        n_angebote=8,
        n_faelle=1,
        stichtag_konfiguriert=False,
        zielgruppe_alter=(16, 27),
        kreis_nr=0,
    ),
    ArbeitsmappeSpec(
        seed=12,
        n_gemeinden=1,
        kreisfrei=True,
        mit_faellen=True,
        mit_einwohner=True,
        mit_kommunen=True,
        stichtage=STICHTAGE_THM,
        stichtage_je_gemeinde=(3,),
        ohne_angebote=frozenset(),
        zielgruppe_null=frozenset(),
        n_angebote=5,
        n_faelle=60,
        stichtag_konfiguriert=True,
        zielgruppe_alter=(16, 25),
        kreis_nr=1,
    ),
    ArbeitsmappeSpec(
        seed=13,
        n_gemeinden=9,
        kreisfrei=False,
        mit_faellen=True,
        mit_einwohner=True,
        mit_kommunen=True,
        stichtage=STICHTAGE_THM,
        stichtage_je_gemeinde=(3, 3, 2, 3, 1, 3, 0, 3, 3),
        ohne_angebote=frozenset({2}),
        zielgruppe_null=frozenset(),
        n_angebote=12,
        n_faelle=40,
        stichtag_konfiguriert=False,
        klein=frozenset({1, 3, 5}),
        nachbar_angebote=1,
        sonderzeichen=True,
        kreis_nr=2,
    ),
)


def test_a_land_of_generated_kreise_unlike_the_sample(tmp_path: Path) -> None:
    """Every Kreis of a Land unlike the sample is published and audited; the Land index
    shows each Kreis's own figures, under its own key, on the map at its own place."""
    for spec in LAND_UNGLEICH:
        schreibe(spec, tmp_path / "land" / slug(spec.name))
    assert len({s.kreis_ags for s in LAND_UNGLEICH}) == 3
    result = run_land(
        tmp_path / "land", tmp_path / "reports", jobs=2, notebooks=("zielgruppe",), progress=False
    )
    assert result.veroeffentlicht == 3, [k.zeile.grund for k in result.kreise]
    flaechen = []
    for k in result.kreise:
        pruefe_landeszeile(result.index, k)
        spec = next(s for s in LAND_UNGLEICH if s.name == k.result.ws.name)
        assert k.zeile.ags == spec.kreis_ags and k.zeile.kreisfrei == spec.kreisfrei
        assert k.zeile.geometrie is not None
        flaechen.append(k.zeile.geometrie)
    # each Kreis at its own place: the outlines do not overlap
    for i, a in enumerate(flaechen):
        for b in flaechen[i + 1 :]:
            assert a.intersection(b).area < 1e-9 * a.area


@pytest.mark.parametrize("wo", ["_planen", "_abschliessen"])
def test_an_internal_error_in_one_kreis_leaves_the_other_kreise_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wo: str
) -> None:
    """A fault of the program in one Kreis (round 2, session 52: a closure without a reason,
    while the Kreis was prepared) stopped the whole Land run with a traceback. Now that
    Kreis is listed with a German reason pointing to the log, its lock is freed, and the
    others are published – whether the fault comes while the Kreis is prepared (after it
    is locked) or while it is audited and published."""
    import thm_lib.run.batch as batch_modul
    from thm_lib.run.veroeffentlichen import sperren

    gut, kaputt = (dataclasses.replace(s, kreis_nr=i) for i, s in enumerate(LAND_UNGLEICH[:2]))
    for spec in (gut, kaputt):
        schreibe(spec, tmp_path / "land" / slug(spec.name))
    echt = getattr(batch_modul, wo)

    def mit_fehler(erstes: object, *args: object, **kw: object) -> object:
        ws = erstes if wo == "_planen" else erstes.ws  # type: ignore[attr-defined]
        if ws.name == kaputt.name:  # injected: no data makes such an error any more
            raise ZeroDivisionError("division by zero")
        return echt(erstes, *args, **kw)

    monkeypatch.setattr(batch_modul, wo, mit_fehler)
    result = run_land(
        tmp_path / "land", tmp_path / "reports", jobs=1, notebooks=("zielgruppe",), progress=False
    )
    assert result.veroeffentlicht == 1
    (fehler,) = [k for k in result.kreise if k.result is None]
    eintrag = f"Kreis {slug(kaputt.name)}"
    assert (
        fehler.zeile.grund == f"interner Fehler (Protokoll: intern/{PROTOKOLL}, Eintrag {eintrag})"
    )
    (veroeffentlicht,) = [k for k in result.kreise if k.result is not None]
    assert veroeffentlicht.result.ws.name == gut.name
    protokoll = (tmp_path / "reports" / "intern" / PROTOKOLL).read_text(encoding="utf-8")
    assert f"interner Fehler, Eintrag {eintrag}" in protokoll
    assert "ZeroDivisionError: division by zero" in protokoll  # the traceback, for the developers
    seite = result.index.read_text(encoding="utf-8")
    assert "Traceback" not in seite and "ZeroDivisionError" not in seite
    assert "interner Fehler" in seite
    kreis_dir = tmp_path / "reports" / slug(kaputt.name)
    sperren(intern_ordner(kreis_dir), kreis_dir).release()  # free again: the next run may go


@pytest.mark.parametrize("lauf", ["Kreis", "Land"])
def test_an_internal_error_on_the_command_line_is_one_german_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lauf: str
) -> None:
    """A run of one Kreis, or a Land run outside its Kreise, that meets a fault of the
    program: one German line naming the log and exit code 1, the traceback only in the log
    (before: a Python traceback). The Kreis is not left locked."""
    from click.testing import CliRunner

    import thm_lib.run.batch as batch_modul
    import thm_lib.run.land as land_modul
    from thm_lib.run.cli import main
    from thm_lib.run.veroeffentlichen import sperren

    def kaputt(*args: object, **kw: object) -> object:
        raise ZeroDivisionError("division by zero")  # injected: no data makes one any more

    if lauf == "Kreis":
        monkeypatch.setattr(batch_modul, "_planen", kaputt)
        eingabe = mappe = tmp_path / "musterkreis"
    else:  # before any Kreis runs
        monkeypatch.setattr(land_modul, "doppelte_kreise", kaputt)
        eingabe, mappe = tmp_path / "land", tmp_path / "land" / "musterkreis"
    shutil.copytree(SAMPLE, mappe)
    res = CliRunner().invoke(main, ["batch", str(eingabe), "--ausgabe", str(tmp_path / "out")])
    assert res.exit_code == 1
    protokoll = tmp_path / "out" / "intern" / PROTOKOLL
    eintrag = f"{lauf} {eingabe.name}"
    assert res.output == (
        f"Fehler: interner Fehler des Programms ({eintrag}), kein Fehler in den Daten. "
        f"Die Einzelheiten stehen in {protokoll} (Eintrag {eintrag}); bitte diese "
        "Datei an die Betreuung der THM-Werkbank geben. Die Arbeitsmappe wurde nicht "
        "verändert.\n"
    )
    text = protokoll.read_text(encoding="utf-8")
    assert f"interner Fehler, Eintrag {eintrag}" in text
    assert "ZeroDivisionError: division by zero" in text
    if lauf == "Kreis":  # not left locked
        kreis_dir = tmp_path / "out" / "musterkreis_fiktiv"
        sperren(intern_ordner(kreis_dir), kreis_dir).release()
    else:
        sperren(tmp_path / "out" / "intern", tmp_path / "out").release()  # the Land's
