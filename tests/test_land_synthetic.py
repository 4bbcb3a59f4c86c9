"""The synthetic Land (thm_lib.ingest.land_synthetic): NRW's shape, loadable, no overlaps."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from thm_lib.analysis.staffing import nur_ein_antragsteller
from thm_lib.disclosure import publication
from thm_lib.disclosure.suppression import SEKUNDAER
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.land_synthetic import schreibe_land, slug
from thm_lib.run.cli import main


@pytest.fixture(scope="module")
def land(tmp_path_factory) -> tuple[list[Path], float]:
    start = time.perf_counter()
    paths = schreibe_land(tmp_path_factory.mktemp("land"))
    return paths, time.perf_counter() - start


@pytest.fixture(scope="module")
def mappen(land) -> list:
    return [load_workspace(p) for p in land[0]]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_default_land_has_the_shape_of_nrw(land, mappen):
    paths, seconds = land
    assert seconds < 20, seconds
    assert len(paths) == 53 == len({p.name for p in paths})
    assert all(re.fullmatch(r"(kreis|stadt)_[a-z0-9_]+_fiktiv", p.name) for p in paths)
    assert sum(len(ws.gebiete) for ws in mappen) == 396
    kreisfrei = [ws for ws in mappen if nur_ein_antragsteller(ws)]
    assert len(kreisfrei) == 22
    assert all(ws.name.startswith("Stadt ") and ws.name.endswith("(fiktiv)") for ws in kreisfrei)
    kreise = [ws for ws in mappen if not nur_ein_antragsteller(ws)]
    assert all(ws.name.startswith("Kreis ") for ws in kreise)
    sizes = [len(ws.gebiete) for ws in kreise]
    assert 5 <= min(sizes) and max(sizes) <= 25 and sum(sizes) == 396 - 22
    assert all(ws.stichtag == pd.Timestamp("2021-12-31") for ws in mappen)


def test_keys_are_fictional_unique_and_consistent(mappen):
    ags = [a for ws in mappen for a in ws.gebiete["ags"]]
    assert len(ags) == len(set(ags)) == 396
    assert all(re.fullmatch(r"05[89]\d{5}", a) for a in ags)
    assert not any(a.startswith("05899") for a in ags)  # the sample Kreis keeps its key
    keys = [ws.annahmen.kreis.ags for ws in mappen]
    assert len(set(keys)) == 53
    for ws, key in zip(mappen, keys, strict=True):
        assert len(key) == 5 and all(a[:5] == key for a in ws.gebiete["ags"])
        assert nur_ein_antragsteller(ws) == key.startswith("058")


def test_kreise_do_not_overlap_and_gemeinden_partition_them(mappen):
    outlines = [ws.gebiete.union_all() for ws in mappen]
    tree = shapely.STRtree(outlines)
    left, right = tree.query(outlines, predicate="intersects")
    touching = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
    assert touching  # neighbours share borders
    assert max(outlines[a].intersection(outlines[b]).area for a, b in touching) < 1.0
    for ws, outline in zip(mappen, outlines, strict=True):
        assert ws.gebiete.geometry.is_valid.all()
        assert abs(ws.gebiete.area.sum() - outline.area) < 1.0  # no overlap inside a Kreis
    total = sum(o.area for o in outlines) / 1e6
    assert 30_000 < total < 70_000  # km², an NRW-sized box (NRW: about 34,000)


def test_magnitudes_and_the_gaps_that_matter(land, mappen):
    paths, _ = land
    without_cases = [p for p in paths if not (p / "faelle.csv").exists()]
    assert 1 <= len(without_cases) < len(paths) // 2
    assert sum(ws.faelle is not None for ws in mappen) == len(paths) - len(without_cases)
    offers = [a for ws in mappen for a in ws.angebote["ags"].dropna()]
    assert 1_000 < len(offers) < 6_000
    gemeinden = {a for ws in mappen for a in ws.gebiete["ags"]}
    assert len(gemeinden - set(offers)) >= 1  # some Gemeinden have no offer at all
    duldung = 0
    small = 0
    for ws in mappen:
        z = ws.zielgruppe[ws.zielgruppe["stichtag"] == ws.stichtag]
        z = z[(z["alter_von"] >= 18) & (z["alter_bis"] <= 27)]
        per = z.groupby(["ags", "status"])["anzahl"].sum()
        small += int(per.between(1, 4).sum())
        duldung += int(per.xs("duldung", level="status").sum())
    assert 10_000 < duldung < 40_000  # NRW: 65,961 Geduldete of all ages (31.12.2020)
    assert small >= 1  # counts 1-4 per Gemeinde and status: disclosure control matters


def test_hochfeld_keeps_its_reach_totals_the_joint_check_weighs_both_remedies(land, mappen):
    # round 2, sessions 47/48: in Kreis Hochfeld the joint check of "Fallzahlen" and
    # "Reichweite" leaves a hidden client count pinned by the shown active cases. Two
    # remedies protect it: hide two active-case counts of "Fallzahlen", or relabel more
    # small client counts; the second hid the reach table's largest counts (Sarnerheim's
    # 73 clients) and loses more values. The one that loses fewer is published.
    ws = mappen[[p.name for p in land[0]].index("kreis_hochfeld_fiktiv")]
    pub = publication.fuer(ws)
    fall, reich = pub.bericht_tabellen["Fallzahlen"], pub.bericht_tabellen["Reichweite"]
    rows = {name: ags for ags, name in reich.published["name"].items()}
    reach = reich.published.set_index("name")["klient_innen"]
    assert reach["Sarnerheim"] == 73 and reach["Kreis"] == 90
    aktiv = fall.published.set_index("name")["aktiv"]
    assert aktiv["Fennelburg"] == aktiv["Gormerstein"] == fall.symbol
    assert fall.reason.loc[rows["Fennelburg"], "aktiv"] == SEKUNDAER
    assert not reich.unresolved and not fall.unresolved


def test_two_calls_write_byte_identical_files(land, tmp_path):
    paths, _ = land
    again = schreibe_land(tmp_path / "zweimal")
    assert [p.name for p in again] == [p.name for p in paths]
    for first, second in zip(paths, again, strict=True):
        assert _files(first) == _files(second), first.name


def test_small_lands_and_options(tmp_path):
    only_cities = schreibe_land(tmp_path / "a", kreise=3, gemeinden=3, kreisfreie=3, seed=1)
    wss = [load_workspace(p) for p in only_cities]
    assert all(nur_ein_antragsteller(ws) for ws in wss)
    one = schreibe_land(tmp_path / "b", kreise=1, gemeinden=1, kreisfreie=0, faelle=False)
    ws = load_workspace(one[0])
    assert len(ws.gebiete) == 1 and not nur_ein_antragsteller(ws) and ws.faelle is None
    small = schreibe_land(tmp_path / "c", kreise=6, gemeinden=40, kreisfreie=2, faelle=False)
    assert sum(len(load_workspace(p).gebiete) for p in small) == 40
    assert not any((p / "faelle.csv").exists() for p in small)
    other = schreibe_land(tmp_path / "d", kreise=6, gemeinden=40, kreisfreie=2, seed=7)
    assert _files(small[0]) != _files(other[0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"kreise": 5, "gemeinden": 4}, "mindestens so groß"),
        ({"kreise": 5, "gemeinden": 10, "kreisfreie": 6}, "kreisfreien Städte"),
        ({"kreise": 3, "gemeinden": 5, "kreisfreie": 3}, "genau eine Gemeinde"),
        ({"kreise": 0, "gemeinden": 5, "kreisfreie": 0}, "mindestens einen"),
    ],
)
def test_impossible_sizes_are_refused_in_german(tmp_path, args, message):
    with pytest.raises(ValueError, match=message):
        schreibe_land(tmp_path, **args)
    assert not any(tmp_path.iterdir())


def test_slug():
    assert slug("Kreis Nordheide (fiktiv)") == "kreis_nordheide_fiktiv"
    assert slug("Stadt Ölbrück (fiktiv)") == "stadt_oelbrueck_fiktiv"


def test_command_writes_the_land_and_refuses_in_german(tmp_path):
    runner = CliRunner()
    out = tmp_path / "land"
    args = ["beispiel-land", str(out), "--kreise", "4", "--gemeinden", "12", "--kreisfreie", "1"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "4 Arbeitsmappen geschrieben" in result.output and str(out) in result.output
    assert len([p for p in out.iterdir() if (p / "gebiete.geojson").exists()]) == 4
    eins = ["beispiel-land", str(tmp_path / "eins"), "--kreise", "1", "--gemeinden", "3"]
    result = runner.invoke(main, [*eins, "--kreisfreie", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 Arbeitsmappe geschrieben nach ")
    bad = runner.invoke(main, ["beispiel-land", str(tmp_path / "x"), "--gemeinden", "10"])
    assert bad.exit_code == 2
    assert "Gemeinden (10) muss mindestens so groß sein" in bad.output
    assert not (tmp_path / "x").exists()


def test_command_writes_into_an_empty_folder_or_over_an_earlier_sample_land_only(tmp_path):
    # it wrote 53 Arbeitsmappen into the folder of a real Arbeitsmappe
    runner = CliRunner()
    args = ["--kreise", "2", "--gemeinden", "5", "--kreisfreie", "1"]
    mappe = tmp_path / "mein_kreis"
    mappe.mkdir()
    (mappe / "annahmen.yaml").write_text("kreis:\n  name: Mein Kreis\n", encoding="utf-8")
    bad = runner.invoke(main, ["beispiel-land", str(mappe), *args])
    assert bad.exit_code == 2, bad.output
    assert f"{mappe} ist nicht leer (annahmen.yaml)." in bad.output
    assert [p.name for p in mappe.iterdir()] == ["annahmen.yaml"]
    land = tmp_path / "land"
    for _ in range(2):  # again over the first one: the same files
        ok = runner.invoke(main, ["beispiel-land", str(land), *args])
        assert ok.exit_code == 0, ok.output
    assert len(list(land.iterdir())) == 2
