"""Benchmark: the project's 2SFCA against PySAL ``access``, and the full analysis.

Run::

    .venv/bin/python benchmarks/bench_coverage.py            # all sizes
    .venv/bin/python benchmarks/bench_coverage.py --quick    # skip 10,000 × 2,000

Prints, per problem size (demand points × offers, full cost matrix, one
Handlungsfeld, no eligibility restrictions) and weight function, the wall
time (best of the repeats, computation only: inputs are built beforehand,
each side in its natural format — a dense matrix for the project, a long
cost table for ``access``) and the peak memory of the computation
(``tracemalloc``, in a separate run so tracing does not distort the time),
plus the largest difference between the two results. Then the full
``coverage.analyse`` on an NRW-sized synthetic Workspace (396 Gemeinden,
12 Handlungsfelder, 5,000 offers, 20 segments with persons).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from thm_lib.analysis import coverage
from thm_lib.analysis.access import weight_function
from thm_lib.core.config import default_annahmen
from thm_lib.core.workspace import CRS_METRIC, Workspace

SIZES = [(100, 50), (1_000, 500), (10_000, 2_000)]
THRESHOLD = 45.0  # minutes
SIGMA = THRESHOLD / 2
GRAVITY_C0, GRAVITY_BETA = 5.0, 1.0
AREA_KM = 100.0  # demand points and offers spread over a 100 km square
MINUTES_PER_KM = 1.3 / 20 * 60


def make_problem(n_g: int, n_j: int, seed: int = 0):
    """Random points; cost = straight line × detour ÷ speed (minutes)."""
    rng = np.random.default_rng(seed)
    d_xy = rng.uniform(0, AREA_KM, (n_g, 2))
    s_xy = rng.uniform(0, AREA_KM, (n_j, 2))
    cost = np.hypot(d_xy[:, :1] - s_xy[None, :, 0], d_xy[:, 1:] - s_xy[None, :, 1])
    cost *= MINUTES_PER_KM
    demand = rng.integers(1, 500, n_g).astype(float)
    supply = rng.integers(1, 100, n_j).astype(float)
    return demand, supply, cost


def _access_inputs(demand, supply, cost):
    from access import Access

    n_g, n_j = cost.shape
    cost_df = pd.DataFrame(
        {
            "origin": np.repeat(np.arange(n_g), n_j),
            "dest": np.tile(np.arange(n_j), n_g),
            "cost": cost.ravel(),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Access(
            demand_df=pd.DataFrame({"geoid": np.arange(n_g), "pop": demand}),
            demand_index="geoid",
            demand_value="pop",
            supply_df=pd.DataFrame({"geoid": np.arange(n_j), "pl": supply}),
            supply_index="geoid",
            supply_value="pl",
            cost_df=cost_df,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )


def _access_weight(kind: str):
    from access import weights

    return {
        "stufe": None,
        "gauss": weights.gaussian(SIGMA),
        "gravitation": weights.gravity(GRAVITY_C0, -GRAVITY_BETA, GRAVITY_C0),
    }[kind]


def _run_access(acc, kind: str, threshold: float) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return acc.two_stage_fca(
            name=f"b{kind}", max_cost=threshold, weight_fn=_access_weight(kind)
        )


def measure(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Best wall time (s) of ``repeats`` runs, then peak traced memory (MB) of one more.

    The best run (as ``timeit`` recommends) rather than the median: the machine
    is shared, and other load only ever adds time.
    """
    times = []
    result = None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        del result
    gc.collect()
    tracemalloc.start()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20, result


def bench_fca(
    sizes,
    kinds,
    repeats: int = 7,
    access_repeats: int = 3,
    threshold: float = THRESHOLD,
    label: str = "",
) -> list[dict]:
    rows = []
    for n_g, n_j in sizes:
        demand, supply, cost = make_problem(n_g, n_j)
        acc = _access_inputs(demand, supply, cost)
        for kind in kinds:
            wfn = weight_function(kind, threshold, SIGMA, GRAVITY_BETA, GRAVITY_C0)
            t_ours, m_ours, ours = measure(
                partial(coverage.fca_from_cost_matrix, demand, supply, cost, wfn), repeats
            )
            t_acc, m_acc, theirs = measure(
                partial(_run_access, acc, kind, threshold), access_repeats
            )
            theirs = theirs[f"b{kind}_pl"].reindex(np.arange(n_g)).to_numpy()
            diff = float(np.nanmax(np.abs(ours - np.nan_to_num(theirs, nan=0.0))))
            rows.append(
                {
                    "groesse": f"{n_g:,} × {n_j:,}{label}",
                    "gewichtung": kind,
                    "zeit_projekt_s": t_ours,
                    "zeit_access_s": t_acc,
                    "faktor_zeit": t_acc / t_ours,
                    "speicher_projekt_mb": m_ours,
                    "speicher_access_mb": m_acc,
                    "anteil_speicher": m_ours / m_acc,
                    "max_abweichung": diff,
                }
            )
            print(_fmt(rows[-1]), flush=True)
    return rows


def _fmt(r: dict) -> str:
    return (
        f"{r['groesse']:>22} {r['gewichtung']:>11}  projekt {r['zeit_projekt_s']:8.4f} s "
        f"{r['speicher_projekt_mb']:8.1f} MB | access {r['zeit_access_s']:8.3f} s "
        f"{r['speicher_access_mb']:8.1f} MB | ×{r['faktor_zeit']:6.1f} schneller, "
        f"{100 * r['anteil_speicher']:5.1f} % Speicher, Abw. {r['max_abweichung']:.1e}"
    )


# --------------------------------------------------------------------------- NRW-sized
def nrw_workspace(
    seed: int = 0, n_gemeinden: int = 396, n_angebote: int = 5_000, n_faelle: int = 5_000
) -> Workspace:
    """Synthetic NRW-sized Workspace: 22 × 18 grid of 9.3 km Gemeinden, 12 Handlungsfelder,
    2 statuses × 5 age bands × 2 sexes = 20 segments with persons."""
    rng = np.random.default_rng(seed)
    side = 9_300.0
    cols = 22
    ags = [f"05{i:06d}" for i in range(n_gemeinden)]
    polys = [
        box((i % cols) * side, (i // cols) * side, (i % cols + 1) * side, (i // cols + 1) * side)
        for i in range(n_gemeinden)
    ]
    gebiete = gpd.GeoDataFrame(
        {
            "ags": ags,
            "name": [f"Gemeinde {i}" for i in range(n_gemeinden)],
            "einwohner": pd.array(rng.integers(5_000, 200_000, n_gemeinden), dtype="Int64"),
            "plz": [()] * n_gemeinden,
        },
        geometry=polys,
        crs=CRS_METRIC,
    )
    ann = default_annahmen().mit(
        {
            "kreis": {"stichtag": "2021-12-31"},
            "zielgruppe": {"altersgruppen": [[18, 19], [20, 21], [22, 23], [24, 25], [26, 27]]},
        },
    )
    felder = ann.handlungsfelder
    ages = np.arange(18, 28)
    grid = pd.MultiIndex.from_product(
        [ags, ["duldung", "gestattung"], ages, ["m", "w"]],
        names=["ags", "status", "alter", "geschlecht"],
    )
    zg = grid.to_frame(index=False)
    zg["alter"] = zg["alter"].astype("Int64")
    zg["alter_von"] = zg["alter"].astype("int64")
    zg["alter_bis"] = zg["alter"].astype("int64")
    zg["anzahl"] = pd.array(rng.poisson(3, len(zg)), dtype="Int64")
    zg["stichtag"] = pd.Timestamp("2021-12-31")
    n = n_angebote
    width, height = cols * side, (n_gemeinden // cols) * side
    x, y = rng.uniform(0, width, n), rng.uniform(0, height, n)
    home = (
        np.minimum(y // side, n_gemeinden // cols - 1) * cols + np.minimum(x // side, cols - 1)
    ).astype(int)
    aufsuchend = rng.random(n) < 0.1
    einzugsgebiet = [
        tuple(ags[k] for k in {h, *rng.integers(0, n_gemeinden, 3)}) if a else ()
        for h, a in zip(home, aufsuchend, strict=True)
    ]
    angebote = gpd.GeoDataFrame(
        {
            "angebot_id": [f"A{i:05d}" for i in range(n)],
            "name": [f"Angebot {i}" for i in range(n)],
            "traeger": rng.choice([f"Träger {k}" for k in range(40)], n),
            "handlungsfeld": rng.choice(felder, n),
            "foerderlinie": "sonstige",
            "zugang_duldung": rng.random(n) < 0.7,
            "zugang_gestattung": rng.random(n) < 0.9,
            "alter_min": pd.array(rng.choice([16, 18, 21], n), dtype="Int64"),
            "alter_max": pd.array(rng.choice([25, 27], n), dtype="Int64"),
            "plaetze": rng.integers(5, 40, n).astype(float),
            "lat": np.nan,
            "lon": np.nan,
            "plz": None,
            "ags": [ags[h] for h in home],
            "aufsuchend": aufsuchend,
            "einzugsgebiet": einzugsgebiet,
            "beginn": pd.Timestamp("2020-01-01"),
            "ende": pd.to_datetime(np.where(rng.random(n) < 0.1, "2021-06-30", None)),
            "standort_quelle": "koordinaten",
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS_METRIC,
    )
    fid = [f"TM-{i:06d}" for i in range(n_faelle)]
    faelle = pd.DataFrame(
        {
            "fall_id": fid,
            "ags": rng.choice(ags, n_faelle),
            "alter": pd.array(rng.integers(18, 28, n_faelle), dtype="Int64"),
            "status": rng.choice(["duldung", "gestattung"], n_faelle),
            "geschlecht": rng.choice(["m", "w"], n_faelle),
            "einwilligung": rng.random(n_faelle) < 0.9,
            "beginn": pd.Timestamp("2020-06-01"),
            "ende": pd.NaT,
            "abschlussgrund": None,
        }
    )
    need = rng.random((n_faelle, len(felder))) < 0.3
    fi, hi = np.nonzero(need)
    bedarfe = pd.DataFrame(
        {
            "fall_id": np.asarray(fid)[fi],
            "handlungsfeld": np.asarray(felder)[hi],
            "ergebnis": rng.choice(["passend", "naechstbeste", "kein_angebot", "offen"], len(fi)),
        }
    )
    kommunen = pd.DataFrame(
        {
            "ags": ags,
            "geschaeftsfuehrende_stelle": False,
            "haushaltssicherung": False,
            "stellen_bestand": np.nan,
            "stichtag_erstantrag": pd.NaT,
        }
    )
    return Workspace(
        name="NRW (synthetisch)",
        folder=Path("."),
        gebiete=gebiete,
        zielgruppe=zg,
        angebote=angebote,
        annahmen=ann,
        programm={},
        kommunen=kommunen,
        faelle=faelle,
        bedarfe=bedarfe,
    )


def bench_nrw() -> dict:
    ws = nrw_workspace()
    t_an, m_an, res = measure(lambda: coverage.analyse(ws), 5)
    n_seg = len(res.segmente[["status", "altersgruppe", "geschlecht"]].drop_duplicates())
    t_ov, m_ov, ov = measure(lambda: coverage.overlaps(res), 3)
    t_ex, _, _ = measure(lambda: coverage.explain(res, ws.gebiete["ags"].iloc[200], "Sprache"), 3)
    out = {
        "analyse_s": t_an,
        "analyse_mb": m_an,
        "doppelangebote_s": t_ov,
        "doppelangebote_mb": m_ov,
        "explain_s": t_ex,
        "zeilen_gemeinden": len(res.gemeinden),
        "zeilen_segmente": len(res.segmente),
        "segmente": n_seg,
        "zeilen_doppelangebote": len(ov),
        "angebote_gueltig": len(res.angebote),
    }
    print(
        f"NRW-groß (396 Gemeinden, 12 Handlungsfelder, 5.000 Angebote, {n_seg} Segmente): "
        f"analyse {t_an:.2f} s, {m_an:.0f} MB; Doppelangebote {t_ov:.2f} s "
        f"({len(ov):,} Zeilen); explain {1000 * t_ex:.1f} ms",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ohne 10.000 × 2.000")
    parser.add_argument("--nur-nrw", action="store_true", help="nur die Gesamtanalyse")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)  # access logs "Overwriting ..." on every repeat
    print(
        f"Python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"Last (1 min) zu Beginn {os.getloadavg()[0]:.1f} bei {os.cpu_count()} Kernen"
    )
    if not args.nur_nrw:
        sizes = SIZES[:2] if args.quick else SIZES
        bench_fca(sizes, ["stufe", "gauss", "gravitation"])
        # Worst case for the project: every pair in reach, so the weights stay dense.
        bench_fca(sizes[-1:], ["stufe"], threshold=1e12, label=" alle")
    bench_nrw()
    print(f"Last (1 min) am Ende {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
