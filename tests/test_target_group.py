"""Tests for thm_lib.analysis.target_group: segments, eligibility filters, reach."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from thm_lib.analysis import target_group as tg
from thm_lib.core.config import default_annahmen

G1, G2, G3 = "05999001", "05999002", "05999003"


def zg(rows, stichtag="2021-12-31"):
    """rows: (ags, status, alter or (von, bis), geschlecht, anzahl or None)."""
    out = []
    for ags, status, age, sex, n in rows:
        von, bis = age if isinstance(age, tuple) else (age, age)
        out.append(
            {
                "ags": ags,
                "stichtag": pd.Timestamp(stichtag),
                "status": status,
                "alter": pd.NA if isinstance(age, tuple) else age,
                "alter_von": von,
                "alter_bis": bis,
                "geschlecht": sex,
                "anzahl": n,
            }
        )
    df = pd.DataFrame(out)
    df["alter"] = df["alter"].astype("Int64")
    df["anzahl"] = df["anzahl"].astype("Int64")
    return df


def persons(seg, **keys):
    sel = pd.Series(True, index=seg.index)
    for k, v in keys.items():
        sel &= seg[k] == v
    return seg.loc[sel, "personen"].sum()


def test_single_years_into_bands_and_filters():
    ann = default_annahmen()
    seg = tg.segments(
        zg(
            [
                (G1, "duldung", 17, "m", 5),
                (G1, "duldung", 18, "m", 3),
                (G1, "duldung", 20, "m", 4),
                (G1, "duldung", 27, "w", 2),
                (G1, "duldung", 28, "w", 9),
                (G1, "sonstige", 20, "m", 7),
                (G2, "gestattung", 22, "d", 6),
                (G2, "gestattung", 23, "d", None),
            ]
        ),
        ann,
    )
    assert persons(seg, ags=G1, altersgruppe="18-20", geschlecht="m") == 7
    assert persons(seg, ags=G1, altersgruppe="25-27") == 2
    assert persons(seg, status="sonstige") == 0  # not configured
    assert persons(seg) == 7 + 2 + 6  # 17, 28 and the NA row left out
    assert list(seg.columns) == ["ags", "status", "altersgruppe", "geschlecht", "personen"]
    # with sonstige configured they count
    ann2 = ann.mit({"zielgruppe": {"status": ["duldung", "gestattung", "sonstige"]}})
    assert persons(tg.segments(zg([(G1, "sonstige", 20, "m", 7)]), ann2)) == 7


def test_band_rows_split_evenly_over_years():
    seg = tg.segments(
        zg([(G1, "duldung", (18, 27), "m", 100), (G1, "gestattung", (16, 20), "w", 50)]),
        default_annahmen(),
    )
    assert persons(seg, status="duldung", altersgruppe="18-20") == pytest.approx(30)
    assert persons(seg, status="duldung", altersgruppe="21-24") == pytest.approx(40)
    assert persons(seg, status="duldung", altersgruppe="25-27") == pytest.approx(30)
    assert persons(seg, status="gestattung") == pytest.approx(30)  # 3 of 5 years eligible


def test_configured_ages_cut_bands():
    ann = default_annahmen().mit({"zielgruppe": {"alter_min": 19, "alter_max": 25}})
    assert [b[2] for b in tg.altersgruppen(ann)] == ["19-20", "21-24", "25"]
    seg = tg.segments(zg([(G1, "duldung", 18, "m", 4), (G1, "duldung", 25, "m", 5)]), ann)
    assert persons(seg) == 5


def test_stichtag_selection():
    rows = pd.concat(
        [
            zg([(G1, "duldung", 20, "m", 10)], "2020-12-31"),
            zg([(G1, "duldung", 20, "m", 12)], "2021-12-31"),
            zg([(G1, "duldung", 20, "m", 99)], "2022-12-31"),
        ]
    )
    ann = default_annahmen()
    assert persons(tg.segments(rows, ann, pd.Timestamp("2021-12-31"))) == 12
    assert persons(tg.segments(rows, ann, pd.Timestamp("2021-06-30"))) == 10
    assert persons(tg.segments(rows, ann)) == 99
    assert persons(tg.segments(rows, ann, pd.Timestamp("2019-01-01"))) == 10


def test_per_gemeinde_lists_every_gemeinde():
    geb = gpd.GeoDataFrame(
        {"ags": [G1, G2, G3], "name": ["A", "B", "C"]},
        geometry=[box(0, 0, 1, 1)] * 3,
        crs="EPSG:25832",
    )
    seg = tg.segments(
        zg([(G1, "duldung", 20, "m", 3), (G1, "gestattung", 20, "m", 2)]), default_annahmen()
    )
    p = tg.per_gemeinde(seg, geb).set_index("ags")
    assert p.loc[G1, "gesamt"] == 5 and p.loc[G1, "duldung"] == 3
    assert p.loc[G3, "gesamt"] == 0 and p.loc[G3, "name"] == "C"


def test_reach_counts_consented_target_group_cases():
    ann = default_annahmen()
    seg = tg.segments(zg([(G1, "duldung", 20, "m", 40), (G2, "duldung", 20, "m", 10)]), ann)
    faelle = pd.DataFrame(
        {
            "fall_id": list("abcdef"),
            "ags": [G1, G1, G1, G1, G1, G2],
            "alter": [20, 21, 30, 22, 23, 19],
            "status": ["duldung", "gestattung", "duldung", "duldung", "duldung", "sonstige"],
            "geschlecht": "m",
            "einwilligung": [True, True, True, False, True, True],
            "beginn": pd.to_datetime(
                ["2020-01-01", "2021-01-01", "2021-01-01", "2021-01-01", "2022-03-01", "2021-01-01"]
            ),
            "ende": pd.to_datetime(["2021-01-01", None, None, None, None, None]),
        }
    )
    r = tg.reach(seg, faelle, ann, pd.Timestamp("2021-12-31")).set_index("ags")
    # a, b count; c too old; d no consent; e starts after the Stichtag; f sonstige
    assert r.loc[G1, "klienten"] == 2 and r.loc[G1, "reichweite"] == pytest.approx(2 / 40)
    assert r.loc[G2, "klienten"] == 0 and r.loc[G2, "reichweite"] == 0
    active = tg.reach(seg, faelle, ann, pd.Timestamp("2021-12-31"), nur_aktive=True)
    assert active.set_index("ags").loc[G1, "klienten"] == 1
    none = tg.reach(seg, None, ann)
    assert (none["klienten"] == 0).all()
