"""``thm export gpkg``: the GeoPackage opens with pyogrio with the expected layers, CRS,
fields and values; what the reports hide is NULL there too; the QGIS style colours gap
classes as the maps do."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner
from pyproj import Transformer
from shapely.geometry import Point

from thm_lib.analysis import target_group
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.publish.geopackage import export_geopackage, kurzname
from thm_lib.publish.maps.measure import SUPPRESSED_COLOR, gap_class_colours
from thm_lib.run.cli import main

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


@pytest.fixture(scope="module")
def gpkg(ws, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_geopackage(ws, tmp_path_factory.mktemp("gpkg") / "musterkreis.gpkg")


def test_layers_crs_and_short_field_names(gpkg: Path) -> None:
    layers = {str(n): g for n, g in pyogrio.list_layers(gpkg)}
    assert layers == {"gemeinden": "Polygon", "angebote": "Point", "layer_styles": None}
    for layer in ("gemeinden", "angebote"):
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["crs"] == "EPSG:25832"
        assert all(len(f) <= 10 for f in info["fields"]), info["fields"]
    fields = list(pyogrio.read_info(gpkg, layer="gemeinden")["fields"])
    assert fields[:8] == [
        "ags",
        "name",
        "einwohner",
        "zg_duldung",
        "zg_gestatt",
        "zg_gesamt",
        "zg_anzeige",
        "struktur",
    ]
    assert fields[8:11] == ["vg_sprache", "fp_sprache", "kl_sprache"]
    assert len(fields) == 8 + 3 * 12


def test_hidden_counts_are_null_and_shown_counts_are_the_published_ones(ws, gpkg: Path) -> None:
    g = gpd.read_file(gpkg, layer="gemeinden").set_index("ags")
    table = views.zielgruppe_je_gemeinde(ws)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    # Entwurfsweiler: 1..4 geduldete persons (shown as "<5" in the reports) -> NULL here.
    raw = target_group.per_gemeinde(
        target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag), ws.gebiete
    )
    raw = raw.set_index("ags")
    assert 1 <= round(raw.loc["05899044", "duldung"]) <= 4
    assert table.published.loc["Entwurfsweiler", "duldung"] == "<5"
    assert g["zg_duldung"].isna()["05899044"]
    hidden_cells = 0
    for ags, row in g.iterrows():
        for col, feld in (
            ("duldung", "zg_duldung"),
            ("gestattung", "zg_gestatt"),
            ("gesamt", "zg_gesamt"),
        ):
            if table.mask.loc[names[ags], col]:
                assert row[feld] != row[feld], (ags, col)  # NULL
                hidden_cells += 1
            else:
                assert row[feld] == int(table.published.loc[names[ags], col])
                assert row[feld] == 0 or row[feld] >= 5  # never a small count
        assert row["zg_anzeige"] == str(table.published.loc[names[ags], "gesamt"])
    assert hidden_cells >= 4  # the sample has primary and secondary suppression


def test_coverage_fields_are_hidden_where_the_reports_hide_them(ws, gpkg: Path) -> None:
    g = gpd.read_file(gpkg, layer="gemeinden").set_index("ags")
    # the GeoPackage holds the published coverage (from published demand only)
    result = versorgung_veroeffentlicht(ws)
    gesperrt = views.versorgung_gesperrt(ws, result)
    rows = result.gemeinden.assign(gesperrt=gesperrt.to_numpy())
    sprache = rows[rows["handlungsfeld"] == "Sprache"].set_index("ags")
    assert sprache["gesperrt"].any() and not sprache["gesperrt"].all()
    # whose age structure the model uses, as the list of gaps says: Musterstadt its own,
    # Beispielheim (small age bands) the Kreis's, Schablonberg (hidden counts) no value
    kreis = views.mit_kreisstruktur(ws, result).to_numpy()
    for ags in g.index:
        eigene = rows[(rows["ags"] == ags)]
        if eigene["gesperrt"].all():
            assert g.loc[ags, "struktur"] is None or g["struktur"].isna()[ags]
        else:
            erwartet = "Kreis" if kreis[(rows["ags"] == ags).to_numpy()].any() else "Gemeinde"
            assert g.loc[ags, "struktur"] == erwartet
    assert g.loc[["05899004", "05899008"], "struktur"].tolist() == ["Gemeinde", "Kreis"]
    assert g["struktur"].isna()["05899036"]
    for ags, r in sprache.iterrows():
        if r["gesperrt"]:
            assert g.loc[ags, ["vg_sprache", "fp_sprache", "kl_sprache"]].isna().all()
        else:
            assert g.loc[ags, "vg_sprache"] == pytest.approx(round(r["versorgungsgrad"], 1))
            assert g.loc[ags, "fp_sprache"] == pytest.approx(round(r["fehlende_plaetze"], 1))
            assert g.loc[ags, "kl_sprache"] == r["klasse"]
    # the class rule of the maps: below 75 % Unterversorgung, above 110 % Überversorgung
    under, over = [], []
    for vg in [c for c in g.columns if c.startswith("vg_")]:
        kl = "kl_" + vg[3:]
        shown = g.dropna(subset=[vg])
        under += shown[shown[kl] == "Unterversorgung"][vg].tolist()
        over += shown[shown[kl] == "Überversorgung"][vg].tolist()
        assert (g[vg].isna() | g[kl].notna()).all()  # a hidden class hides its value too
    assert under and over
    assert max(under) < 75.01 and min(over) > 109.99


def test_offers_keep_their_attributes_and_position(ws, gpkg: Path) -> None:
    a = gpd.read_file(gpkg, layer="angebote")
    assert len(a) == len(ws.angebote)
    first = a[a["angebot_id"] == "A001"].iloc[0]
    # angebote.csv: A001;Sprache Musterstadt 1;Volkshochschule Musterkreis;Sprache;bamf;
    # nein;ja;16;27;53;51,53682;7,86433;;05899004;nein;;01.09.2020;
    assert (first["name"], first["traeger"], first["hdlgsfeld"], first["foerderl"]) == (
        "Sprache Musterstadt 1",
        "Volkshochschule Musterkreis",
        "Sprache",
        "bamf",
    )
    assert (bool(first["zug_duld"]), bool(first["zug_gest"])) == (False, True)
    assert (first["alter_min"], first["alter_max"], first["plaetze"]) == (16, 27, 53.0)
    assert str(first["beginn"])[:10] == "2020-09-01" and first["ende"] != first["ende"]
    x, y = Transformer.from_crs(4326, 25832, always_xy=True).transform(7.86433, 51.53682)
    assert first.geometry.x == pytest.approx(x, abs=0.01)
    assert first.geometry.y == pytest.approx(y, abs=0.01)


def test_qgis_styles_colour_gap_classes_like_the_maps(ws, gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as con:
        rows = con.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, "
            "useAsDefault FROM layer_styles ORDER BY id"
        ).fetchall()
        contents = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        geom = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'gemeinden'"
        ).fetchone()[0]
    assert contents["layer_styles"] == "attributes"
    assert [r[2] for r in rows] == [f"Versorgung {hf}" for hf in ws.handlungsfelder]
    assert [bool(r[4]) for r in rows] == [True] + [False] * 11
    assert {r[0] for r in rows} == {"gemeinden"} and {r[1] for r in rows} == {geom}
    qml = ET.fromstring(rows[0][3].split("\n", 1)[1])
    renderer = qml.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "kl_sprache"
    colours = {}
    for cat in renderer.iter("category"):
        symbol = renderer.find(f"symbols/symbol[@name='{cat.get('symbol')}']")
        colours[cat.get("value")] = symbol.find("layer/Option/Option[@name='color']").get("value")

    def rgba(h: str) -> str:
        return ",".join(str(int(h[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"

    assert colours == {**{k: rgba(c) for k, c in gap_class_colours()}, "": rgba(SUPPRESSED_COLOR)}
    aliases = {a.get("field"): a.get("name") for a in qml.iter("alias")}
    assert aliases["vg_sprache"] == "Versorgungsgrad Sprache (%)"
    assert aliases["zg_duldung"] == "Zielgruppe Duldung"
    assert aliases["zg_anzeige"] == "Zielgruppe insgesamt wie im Bericht (<5, . = gesperrt)"


def test_cli_default_style_and_unknown_handlungsfeld(tmp_path: Path) -> None:
    target = tmp_path / "out" / "k.gpkg"
    runner = CliRunner()
    assert runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(target)]).exit_code == 0
    ok = runner.invoke(
        main,
        ["export", "gpkg", str(SAMPLE), str(target), "--handlungsfeld", "Arbeit", "--ersetzen"],
    )
    assert ok.exit_code == 0, ok.output
    with sqlite3.connect(target) as con:
        default = con.execute("SELECT styleName FROM layer_styles WHERE useAsDefault").fetchall()
    assert default == [("Versorgung Arbeit",)]
    assert sorted(p.name for p in target.parent.iterdir()) == ["k.gpkg"]  # no temp left
    bad = runner.invoke(
        main, ["export", "gpkg", str(SAMPLE), str(tmp_path / "x.gpkg"), "--handlungsfeld", "Tanzen"]
    )
    assert bad.exit_code == 2 and "unbekanntes Handlungsfeld 'Tanzen'" in bad.output
    assert not (tmp_path / "x.gpkg").exists()


def test_short_names_are_unique_and_ascii() -> None:
    used: set[str] = set()
    names = [
        kurzname("vg_", t, used)
        for t in ("Qualifizierung", "Qualifizierung II", "Größe Ü", "Sprache")
    ]
    assert names == ["vg_qualifi", "vg_qualif1", "vg_groesse", "vg_sprache"]


def test_no_pseudonym_in_the_geopackage(ws, gpkg: Path) -> None:
    """Every text cell of every table (layers, styles, GeoPackage metadata) is searched.

    (``privacy.scan_file`` treats a .gpkg as text with word boundaries, which binary
    SQLite records defeat, so the cells are read with sqlite3 here.)
    """
    assert ws.faelle is not None and len(ws.faelle) > 100
    pseudonyms = {str(p) for p in ws.faelle["fall_id"]}
    texts = []
    with sqlite3.connect(gpkg) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                texts += [v for v in row if isinstance(v, str)]
    assert len(texts) > 500
    assert not [t for t in texts if any(p in t for p in pseudonyms)]


def test_the_export_never_replaces_a_file_of_the_arbeitsmappe(tmp_path: Path) -> None:
    # 'thm export gpkg mappe mappe/gebiete.gpkg' replaced the Gemeinde boundaries
    import shutil

    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    vorher = {p.name: p.read_bytes() for p in mappe.iterdir()}
    for ziel, text in (
        (mappe / "zielgruppe.csv", "Zieldatei muss auf .gpkg enden"),
        (mappe / "gebiete.gpkg", "Zieldatei liegt in der Arbeitsmappe"),
        (tmp_path / "kreis.xlsx", "Zieldatei muss auf .gpkg enden"),
    ):
        aufruf = CliRunner().invoke(main, ["export", "gpkg", str(mappe), str(ziel)])
        assert aufruf.exit_code == 2, aufruf.output
        assert f"{ziel}: {text}" in aufruf.output and "Traceback" not in aufruf.output
    assert {p.name: p.read_bytes() for p in mappe.iterdir()} == vorher
    assert not (tmp_path / "kreis.xlsx").exists()


def test_the_export_never_replaces_a_geopackage_with_the_users_layers(tmp_path: Path) -> None:
    # an office's GeoPackage with its own layers was replaced without a word (session 30)
    ziel = tmp_path / "kreis.gpkg"
    eigene = gpd.GeoDataFrame({"name": ["Schule"]}, geometry=[Point(420000, 5710000)], crs=25832)
    eigene.to_file(ziel, layer="schulen_eigene_erfassung", driver="GPKG")
    vorher = ziel.read_bytes()
    runner = CliRunner()
    for extra in ([], ["--ersetzen"]):
        aufruf = runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(ziel), *extra])
        assert aufruf.exit_code == 2, aufruf.output
        assert (
            f"{ziel}: Die Datei gibt es schon, mit eigenen Ebenen (schulen_eigene_erfassung). "
            "Sie wird nicht ersetzt. Bitte einen anderen Dateinamen angeben"
        ) in aufruf.output
    assert ziel.read_bytes() == vorher
    kein_gpkg = tmp_path / "notiz.gpkg"
    kein_gpkg.write_text("alt")
    aufruf = runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(kein_gpkg), "--ersetzen"])
    assert "mit eigenen Ebenen (keine lesbare GeoPackage-Datei)" in aufruf.output
    assert kein_gpkg.read_text() == "alt"
    ordner = tmp_path / "ordner.gpkg"
    ordner.mkdir()
    aufruf = runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(ordner), "--ersetzen"])
    assert f"{ordner}: Zieldatei ist ein Ordner" in aufruf.output  # not a temporary file's name
    # an earlier export: only with --ersetzen
    export = tmp_path / "export.gpkg"
    assert runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(export)]).exit_code == 0
    nochmal = runner.invoke(main, ["export", "gpkg", str(SAMPLE), str(export)])
    assert nochmal.exit_code == 2
    assert f"{export}: Die Datei gibt es schon. Zum Überschreiben bitte --ersetzen" in (
        nochmal.output
    )
