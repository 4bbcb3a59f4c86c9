"""BKG VG250 for all of Germany: only the configured Kreis is read, through a filter."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from helpers_vg250 import kreis_ags, vg250_frame, write_vg250

from thm_lib.core.errors import DataError
from thm_lib.ingest import gebiete

SIZES = [5, 7, 4, 9]  # Gemeinden per synthetic Kreis (plus one water area each)


@pytest.fixture(params=["gpkg", "shp"])
def vg250(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    folder = tmp_path / "mappe"
    write_vg250(folder, vg250_frame(len(SIZES), SIZES), request.param)
    return folder


def test_only_the_configured_kreis_is_read_with_a_filter(
    vg250: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str | None, int]] = []
    real = gpd.read_file

    def spy(*args: object, **kwargs: object) -> gpd.GeoDataFrame:
        frame = real(*args, **kwargs)
        calls.append((kwargs.get("where"), len(frame)))  # type: ignore[arg-type]
        return frame

    monkeypatch.setattr(gebiete.gpd, "read_file", spy)
    warnings: list[str] = []
    kreis = kreis_ags(1)
    result = gebiete.read_gebiete(vg250, kreis, warnings)
    # 7 Gemeinden of the Kreis, dissolved; the water area (GF 2) left out.
    assert result["ags"].tolist() == [f"{kreis}{g + 1:03d}" for g in range(7)]
    assert result["einwohner"].tolist() == [1000 + 37 * g for g in range(7)]
    assert result.crs.to_epsg() == 25832
    # Read with the attribute filter: 7 land areas + 1 water area of this Kreis, not the
    # 25 + 4 features of the file.
    assert calls == [(f"AGS LIKE '{kreis}%'", 8)]
    assert "1 Flächen ohne GF = 4" in warnings[0]


def test_a_kreis_not_in_the_file_is_a_clear_error(vg250: Path) -> None:
    with pytest.raises(DataError, match="keine Landflächen .* mit AGS-Anfang 05999"):
        gebiete.read_gebiete(vg250, "05999", [])


def test_filter_only_for_vg250_with_a_valid_kreis_key(vg250: Path, tmp_path: Path) -> None:
    path, layer = gebiete.find_gebiete(vg250)
    assert gebiete.vg250_filter(path, layer, "05101") == "AGS LIKE '05101%'"
    assert gebiete.vg250_filter(path, layer, None) is None
    assert gebiete.vg250_filter(path, layer, "05' OR '1'='1") is None  # never into SQL
    plain = vg250_frame(1, 2).rename(columns={"AGS": "ags", "GEN": "name"})
    plain[["ags", "name", "geometry"]].to_file(tmp_path / "gebiete.gpkg", engine="pyogrio")
    assert gebiete.vg250_filter(tmp_path / "gebiete.gpkg", None, "05100") is None


def test_filter_on_numeric_ags_is_a_number_range(tmp_path: Path) -> None:
    """AGS saved as a number (leading zero lost): 05899 -> 5899000 <= AGS < 5900000."""
    frame = vg250_frame(2, 3)
    frame["AGS"] = frame["AGS"].astype(int)
    path = write_vg250(tmp_path, frame, "shp")
    assert gebiete.vg250_filter(path, None, "05101") == "AGS >= 5101000 AND AGS < 5102000"
    assert gebiete.vg250_filter(path, None, "05") == "AGS >= 5000000 AND AGS < 6000000"
    result = gebiete.read_gebiete(tmp_path, "05101", [])
    assert result["ags"].tolist() == ["05101001", "05101002", "05101003"]


def test_without_kreis_ags_a_multi_kreis_file_is_read_whole_with_a_hint(vg250: Path) -> None:
    warnings: list[str] = []
    result = gebiete.read_gebiete(vg250, None, warnings)
    assert len(result) == sum(SIZES)
    assert any("enthält 4 Kreise" in w and "kreis.ags" in w for w in warnings)


@pytest.mark.parametrize("fehlt", [".shx", ".dbf"])
def test_a_shapefile_without_one_of_its_parts_names_it(tmp_path: Path, fehlt: str) -> None:
    # without .dbf: "Pflichtspalte fehlt. Vorhandene Spalten: " (none); without .shx a
    # general message (session 30)
    folder = tmp_path / "mappe"
    write_vg250(folder, vg250_frame(1, 3), "shp")
    (folder / f"VG250_GEM{fehlt}").unlink()
    with pytest.raises(DataError) as info:
        gebiete.read_gebiete(folder, kreis_ags(0), [])
    problem = info.value.problems[0]
    assert (problem.datei, problem.meldung) == (
        "VG250_GEM.shp",
        f"Zum Shapefile fehlen die Dateien VG250_GEM{fehlt}",
    )
    assert problem.hinweis.startswith("Ein Shapefile besteht aus mehreren Dateien")


def test_a_shapefile_without_its_prj_names_it_in_the_crs_message(tmp_path: Path) -> None:
    folder = tmp_path / "mappe"
    write_vg250(folder, vg250_frame(1, 3), "shp")
    (folder / "VG250_GEM.prj").unlink()
    with pytest.raises(DataError) as info:
        gebiete.read_gebiete(folder, kreis_ags(0), [])
    assert str(info.value.problems[0]) == (
        "VG250_GEM.shp: Koordinatensystem (CRS) fehlt: zum Shapefile fehlt die Datei "
        "VG250_GEM.prj. Bitte die Datei mit Koordinatensystem speichern (z. B. EPSG:25832)"
    )


def test_a_utf8_shapefile_without_its_cpg_keeps_its_umlauts(tmp_path: Path) -> None:
    # read as Latin-1, "Möhne-Süß" became "MÃ¶hne-SÃ¼Ã\x9f" without a word (session 30)
    folder = tmp_path / "mappe"
    frame = vg250_frame(1, 3)
    frame.loc[0, "GEN"] = "Möhne-Süß"
    write_vg250(folder, frame, "shp")  # pyogrio writes UTF-8 and a .cpg saying so
    assert (folder / "VG250_GEM.cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    (folder / "VG250_GEM.cpg").unlink()
    namen = gebiete.read_gebiete(folder, kreis_ags(0), [])["name"].tolist()
    assert namen == ["Möhne-Süß", f"Gemeinde {kreis_ags(0)}002", f"Gemeinde {kreis_ags(0)}003"]
    # a Latin-1 file (an older delivery) stays Latin-1
    latin = tmp_path / "latin"
    latin.mkdir()
    frame.to_file(latin / "VG250_GEM.shp", engine="pyogrio", encoding="ISO-8859-1")
    for cpg in latin.glob("*.cpg"):
        cpg.unlink()
    assert gebiete.read_gebiete(latin, kreis_ags(0), [])["name"].tolist()[0] == "Möhne-Süß"


def test_vg250_unpacked_with_its_folders_is_found_and_a_gebiete_file_beside_it_is_named(
    tmp_path: Path,
) -> None:
    # the BKG's ZIP unpacked into the Arbeitsmappe: "Gemeindegrenzen fehlen" (session 30)
    folder = tmp_path / "mappe"
    write_vg250(
        folder / "vg250_01-01.utm32s.shape.ebenen" / "vg250_ebenen_0101", vg250_frame(1, 3), "shp"
    )
    warnings: list[str] = []
    result = gebiete.read_gebiete(folder, kreis_ags(0), warnings)
    assert result["ags"].tolist() == [f"{kreis_ags(0)}{g:03d}" for g in (1, 2, 3)]
    assert (
        "Gemeindegrenzen aus vg250_01-01.utm32s.shape.ebenen/vg250_ebenen_0101/VG250_GEM.shp "
        "(Unterordner)."
    ) in warnings
    # a gebiete file wins over a VG250 file beside it, and the note says so
    neben = tmp_path / "neben"
    write_vg250(neben, vg250_frame(1, 3), "gpkg")
    plain = vg250_frame(1, 2).rename(columns={"AGS": "ags", "GEN": "name"})
    plain = plain[plain["GF"] == 4]  # without the water area
    plain[["ags", "name", "geometry"]].to_file(neben / "gebiete.gpkg", engine="pyogrio")
    warnings = []
    assert len(gebiete.read_gebiete(neben, None, warnings)) == 2
    assert (
        "gebiete.gpkg wird gelesen, nicht DE_VG250.gpkg. Sollen die Grenzen aus VG250 kommen, "
        "bitte gebiete.gpkg entfernen oder umbenennen."
    ) in warnings
