"""The sample Kreis: loader totals against an independent reading of the raw files.

The expected values are computed here with the ``csv``/``json`` modules only, so a
bug in the loader's typing cannot hide in both sides of an assertion.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from helpers_io import MUSTERSTADT, SAMPLE, column, read_rows

from thm_lib.core.workspace import CRS_METRIC
from thm_lib.ingest.arbeitsmappe import load_workspace

GENERATOR = SAMPLE.parent / "generate_musterkreis.py"
STICHTAG = "31.12.2021"  # kreis.stichtag of data_samples/musterkreis/annahmen.yaml
ALTER = (18, 27)  # Förderbaustein 6: 18 bis einschließlich 27


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


@pytest.fixture(scope="module")
def gemeinden() -> dict[str, dict]:
    doc = json.loads((SAMPLE / "gebiete.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["ags"]: f["properties"] for f in doc["features"]}


def raw_zielgruppe() -> Counter:
    """Persons 18-27 at the Stichtag per (ags, status), placeholders skipped."""
    header, rows = read_rows(SAMPLE / "zielgruppe.csv")
    i = {name: header.index(name) for name in header}
    totals: Counter = Counter()
    for r in rows:
        if r[i["stichtag"]] != STICHTAG or not ALTER[0] <= int(r[i["alter"]]) <= ALTER[1]:
            continue
        if r[i["anzahl"]].isdigit():
            totals[r[i["ags"]], r[i["status"]]] += int(r[i["anzahl"]])
    return totals


def raw_offer_ags(gemeinden: dict[str, dict]) -> dict[str, str]:
    """angebot_id -> Gemeinde: the ags column, else the Gemeinde owning the PLZ."""
    plz_owner = {plz: ags for ags, props in gemeinden.items() for plz in props["plz"].split(",")}
    header, rows = read_rows(SAMPLE / "angebote.csv")
    out = {}
    for aid, ags, plz in zip(
        column(header, rows, "angebot_id"),
        column(header, rows, "ags"),
        column(header, rows, "plz"),
        strict=True,
    ):
        out[aid] = ags if ags else plz_owner[plz]
    return out


def test_sample_has_the_documented_shape(ws, gemeinden):
    assert ws.name == "Musterkreis (fiktiv)"
    assert ws.stichtag == pd.Timestamp("2021-12-31")
    assert list(ws.gebiete["ags"]) == sorted(gemeinden)
    assert 10 <= len(ws.gebiete) <= 15
    assert ws.gebiete.crs == CRS_METRIC
    assert all(a.startswith("05899") for a in ws.gebiete["ags"])
    assert 50 <= len(ws.angebote) <= 80
    assert ws.faelle is not None and ws.bedarfe is not None
    assert len(ws.faelle) == len(column(*read_rows(SAMPLE / "faelle.csv"), "fall_id"))
    assert len(ws.bedarfe) == len(read_rows(SAMPLE / "bedarfe.csv")[1])
    # Gemeinden share borders without gaps or overlaps: the union's area is the sum
    union = ws.gebiete.union_all()
    assert union.area == pytest.approx(ws.gebiete.area.sum(), rel=1e-9)
    assert union.geom_type == "Polygon"


def test_target_group_per_gemeinde_and_status(ws):
    expected = raw_zielgruppe()
    z = ws.zielgruppe
    sel = z[(z["stichtag"] == pd.Timestamp(2021, 12, 31)) & z["alter"].between(*ALTER)]
    got = sel.groupby(["ags", "status"])["anzahl"].sum()
    assert {k: int(v) for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    geduldet = {ags: n for (ags, status), n in expected.items() if status == "duldung"}
    # several hundred geduldete 18-27 year olds, skewed to the larger town
    assert 200 <= sum(geduldet.values()) <= 1000
    assert max(geduldet, key=geduldet.get) == MUSTERSTADT


def test_target_group_concrete_totals(ws):
    """Pinned Kreis totals at the Stichtag (change only together with the generator)."""
    expected = raw_zielgruppe()
    z = ws.zielgruppe
    sel = z[(z["stichtag"] == pd.Timestamp(2021, 12, 31)) & z["alter_von"].between(*ALTER)]
    for status in ("duldung", "gestattung", "sonstige"):
        total = sum(n for (_, s), n in expected.items() if s == status)
        assert int(sel.loc[sel["status"] == status, "anzahl"].sum()) == total
    assert int(sel["anzahl"].sum()) == sum(expected.values())


def test_dash_placeholders_are_zero(ws):
    """The sample's Destatis '-' (nichts vorhanden) rows count 0, not missing (FACTS.md)."""
    header, rows = read_rows(SAMPLE / "zielgruppe.csv")
    j = header.index("anzahl")
    dashes = [i for i, r in enumerate(rows) if r[j] == "-"]
    assert dashes, "the sample should contain the statistics symbol '-'"
    assert all(r[j].isdigit() or r[j] == "-" for r in rows)
    assert ws.zielgruppe["anzahl"].notna().all()
    assert (ws.zielgruppe.loc[dashes, "anzahl"] == 0).all()
    assert not any("Platzhalter" in w for w in ws.warnungen)


def test_offers_per_gemeinde(ws, gemeinden):
    expected = Counter(raw_offer_ags(gemeinden).values())
    got = ws.angebote.groupby("ags").size()
    assert got.to_dict() == dict(expected)
    assert got.idxmax() == MUSTERSTADT


def test_offers_lie_in_their_gemeinde(ws):
    joined = ws.angebote.sjoin(
        ws.gebiete[["ags", "geometry"]], predicate="within", lsuffix="angebot", rsuffix="gebiet"
    )
    assert len(joined) == len(ws.angebote)
    assert (joined["ags_angebot"] == joined["ags_gebiet"]).all()


def test_offer_location_sources(ws):
    header, rows = read_rows(SAMPLE / "angebote.csv")
    lat, plz, ags = (column(header, rows, c) for c in ("lat", "plz", "ags"))
    expected = Counter(
        "koordinaten" if la else "plz" if p else "gemeinde"
        for la, p, _ in zip(lat, plz, ags, strict=True)
    )
    assert ws.angebote["standort_quelle"].value_counts().to_dict() == dict(expected)
    by_id = ws.angebote.set_index("angebot_id")
    for aid, la, lo in zip(
        column(header, rows, "angebot_id"), lat, column(header, rows, "lon"), strict=True
    ):
        if la:
            assert by_id.at[aid, "lat"] == float(la.replace(",", "."))
            assert by_id.at[aid, "lon"] == float(lo.replace(",", "."))


def test_consented_cases_per_gemeinde(ws):
    header, rows = read_rows(SAMPLE / "faelle.csv")
    expected = Counter(
        a
        for a, e in zip(
            column(header, rows, "ags"), column(header, rows, "einwilligung"), strict=True
        )
        if e == "ja"
    )
    f = ws.faelle
    got = f[f["einwilligung"]].groupby("ags").size().to_dict()
    assert got == dict(expected)
    assert f["einwilligung"].dtype == bool
    assert 0 < (~f["einwilligung"]).sum() < len(f)


def test_needs_outcomes(ws):
    header, rows = read_rows(SAMPLE / "bedarfe.csv")
    expected = Counter(column(header, rows, "ergebnis"))
    assert ws.bedarfe["ergebnis"].value_counts().to_dict() == dict(expected)
    assert expected["naechstbeste"] > 0 and expected["kein_angebot"] > 0


def test_cases_keep_open_ends_and_dates(ws):
    header, rows = read_rows(SAMPLE / "faelle.csv")
    ende = column(header, rows, "ende")
    assert int(ws.faelle["ende"].isna().sum()) == sum(1 for e in ende if not e)
    first = rows[0]
    d, m, y = first[header.index("beginn")].split(".")
    assert ws.faelle.loc[0, "beginn"] == pd.Timestamp(int(y), int(m), int(d))
    assert ws.faelle.loc[0, "fall_id"] == first[header.index("fall_id")]


def test_kommunen_completed_for_every_gemeinde(ws):
    k = ws.kommunen
    assert list(k["ags"]) == list(ws.gebiete["ags"])
    row = k.set_index("ags").loc[MUSTERSTADT]
    assert row["geschaeftsfuehrende_stelle"] and not row["haushaltssicherung"]
    assert row["stellen_bestand"] == 1.5
    assert row["stichtag_erstantrag"] == pd.Timestamp(2019, 12, 31)
    others = k[~k["ags"].isin(["05899004", "05899016"])]
    assert not others["geschaeftsfuehrende_stelle"].any()
    assert others["stellen_bestand"].isna().all()


def test_datenmodell_dtypes(ws):
    z, a, f = ws.zielgruppe, ws.angebote, ws.faelle
    assert str(z["anzahl"].dtype) == "Int64" and str(z["alter"].dtype) == "Int64"
    for frame, cols in (
        (z, ("alter_von", "alter_bis")),
        (f, ("alter",)),
        (a, ("alter_min", "alter_max")),
    ):
        for col in cols:
            assert frame[col].dtype == "int64", col
    for col in ("zugang_duldung", "zugang_gestattung", "aufsuchend"):
        assert a[col].dtype == bool
    assert a.crs == CRS_METRIC
    assert all(isinstance(e, tuple) for e in a["einzugsgebiet"])
    assert all(len(x) == 8 and x.isdigit() for x in ws.gebiete["ags"])
    assert isinstance(ws.annahmen.kreis.stichtag, date)


def test_for_kommune(ws):
    one = ws.for_kommune(MUSTERSTADT)
    assert one.kommune == MUSTERSTADT
    assert list(one.gebiete["ags"]) == [MUSTERSTADT]
    assert set(one.zielgruppe["ags"]) == {MUSTERSTADT}
    assert len(one.zielgruppe) == int((ws.zielgruppe["ags"] == MUSTERSTADT).sum())
    assert set(one.faelle["ags"]) == {MUSTERSTADT}
    assert set(one.bedarfe["fall_id"]) <= set(one.faelle["fall_id"])
    n_bedarfe = ws.bedarfe["fall_id"].isin(set(one.faelle["fall_id"])).sum()
    assert len(one.bedarfe) == n_bedarfe
    assert list(one.kommunen["ags"]) == [MUSTERSTADT]
    # offers standing in the Gemeinde or serving it as outreach
    expected = {
        aid
        for aid, ags, area in zip(
            ws.angebote["angebot_id"], ws.angebote["ags"], ws.angebote["einzugsgebiet"], strict=True
        )
        if ags == MUSTERSTADT or MUSTERSTADT in area
    }
    assert set(one.angebote["angebot_id"]) == expected
    assert one.annahmen == ws.annahmen and one.stichtag == ws.stichtag


def test_for_kommune_partitions_the_kreis(ws):
    parts = [ws.for_kommune(a) for a in ws.gebiete["ags"]]
    assert sum(int(p.zielgruppe["anzahl"].sum()) for p in parts) == int(
        ws.zielgruppe["anzahl"].sum()
    )
    assert sum(len(p.faelle) for p in parts) == len(ws.faelle)
    assert sum(len(p.bedarfe) for p in parts) == len(ws.bedarfe)


def test_for_kommune_unknown_gemeinde(ws):
    with pytest.raises(KeyError, match="05899999"):
        ws.for_kommune("05899999")


def test_generator_is_byte_identical(tmp_path):
    """Running a copy of the generator writes exactly the committed files."""
    script = tmp_path / GENERATOR.name
    shutil.copy(GENERATOR, script)
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path, timeout=120)
    fresh = tmp_path / SAMPLE.name
    committed = sorted(p.name for p in SAMPLE.iterdir())
    assert sorted(p.name for p in fresh.iterdir()) == committed
    for name in committed:
        assert (fresh / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_loading_twice_gives_equal_tables(ws):
    again = load_workspace(Path(SAMPLE))
    pd.testing.assert_frame_equal(again.zielgruppe, ws.zielgruppe)
    pd.testing.assert_frame_equal(
        again.angebote.drop(columns="geometry"), ws.angebote.drop(columns="geometry")
    )
    assert again.warnungen == ws.warnungen


def test_sample_warnings_are_only_fallbacks(ws):
    """The sample is clean apart from its deliberate offers without points ('-' is 0)."""
    assert ws.warnungen
    for warning in ws.warnungen:
        assert "ohne Koordinaten" in warning, warning
