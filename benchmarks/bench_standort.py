"""Benchmark: Standortplanung on an NRW-sized synthetic Kreis (issue 17).

Run::

    .venv/bin/python benchmarks/bench_standort.py

Synthetic Kreis: 100 Gemeinden scattered over 60 km × 50 km, 300 candidate
sites (the 100 Gemeinde points and 200 existing offer sites near them),
12 Handlungsfelder with unmet need in about 60 % of the Gemeinden, costs as in
the sample's assumptions (straight-line km × 1.3 ÷ 20 km/h, threshold 45
minutes, step weights). For each Handlungsfeld, MCLP for p = 1..5
(:func:`thm_lib.analysis.standort.mclp_reihe`, one model across p), MCLP for p = 3 alone
(:func:`~thm_lib.analysis.standort.mclp`) and LSCP
(:func:`~thm_lib.analysis.standort.lscp`) are solved
(spopt + CBC, exact reduction first). Prints the time per Handlungsfeld and
for all (wall time, spopt already imported; the import is timed once), and,
for comparison, spopt on the unreduced problem for one Handlungsfeld. Then
the full :func:`thm_lib.analysis.standort.planen` on the sample Kreis (model + adding
the offers + recomputing coverage).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from thm_lib.analysis import standort

N_G, N_OFFERS, N_FELDER, P_MAX = 100, 200, 12, 5
SCHWELLE_MIN = 45.0
KMH, UMWEG = 20.0, 1.3
SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "musterkreis"


def synthetic(seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cost matrix (minutes, Gemeinden × candidates) and unmet need per Handlungsfeld."""
    rng = np.random.default_rng(seed)
    gem = rng.uniform([0, 0], [60, 50], (N_G, 2))
    host = rng.integers(0, N_G, N_OFFERS)
    sites = np.vstack([gem, gem[host] + rng.normal(0, 1.5, (N_OFFERS, 2))])
    km = np.hypot(gem[:, None, 0] - sites[None, :, 0], gem[:, None, 1] - sites[None, :, 1])
    minutes = km * UMWEG / KMH * 60.0
    needs = [
        np.where(rng.uniform(size=N_G) < 0.6, rng.gamma(2.0, 8.0, N_G), 0.0)
        for _ in range(N_FELDER)
    ]
    return minutes, needs


def main() -> None:
    """Print the timings."""
    t0 = time.perf_counter()
    import pulp
    from spopt.locate import MCLP

    print(f"Import spopt + pulp: {time.perf_counter() - t0:.2f} s (einmal je Prozess)")

    cost, needs = synthetic()
    a = cost <= SCHWELLE_MIN
    print(
        f"Kreis: {N_G} Gemeinden × {a.shape[1]} Kandidaten, {N_FELDER} Handlungsfelder, "
        f"im Mittel {a.sum(axis=1).mean():.1f} Kandidaten je Gemeinde in Reichweite"
    )
    total_mclp = total_lscp = total_einzeln = 0.0
    for h, u in enumerate(needs):
        t = time.perf_counter()
        einzeln = standort.mclp(a, u, 3, cost)
        t_einzeln = time.perf_counter() - t
        t = time.perf_counter()
        reihe = standort.mclp_reihe(a, u, range(1, P_MAX + 1), cost)
        res = [reihe[p] for p in range(1, P_MAX + 1)]
        t_mclp = time.perf_counter() - t
        assert res[2].zielwert == einzeln.zielwert
        total_einzeln += t_einzeln
        t = time.perf_counter()
        cover = standort.lscp(a, u, cost)
        t_lscp = time.perf_counter() - t
        total_mclp += t_mclp
        total_lscp += t_lscp
        share = res[-1].zielwert / u.sum()
        opt = all(r.optimal for r in res) and cover.optimal
        print(
            f"Handlungsfeld {h + 1:2d}: MCLP p=1..{P_MAX} {t_mclp:.3f} s "
            f"({t_mclp / P_MAX:.3f} s je p; p={P_MAX} deckt {share:.0%}), "
            f"LSCP {t_lscp:.3f} s ({len(cover.auswahl)} Standorte), optimal={opt}"
        )
    print(
        f"Alle {N_FELDER} Handlungsfelder: MCLP p=1..{P_MAX} (mclp_reihe) "
        f"{total_mclp:.2f} s; MCLP p=3 allein {total_einzeln:.2f} s; "
        f"LSCP {total_lscp:.2f} s"
    )

    t = time.perf_counter()
    direct = MCLP.from_cost_matrix(cost, needs[0], SCHWELLE_MIN, p_facilities=P_MAX).solve(
        pulp.PULP_CBC_CMD(msg=False, timeLimit=60)
    )
    t_direct = time.perf_counter() - t
    t = time.perf_counter()
    ours = standort.mclp(a, needs[0], P_MAX, cost)
    t_ours = time.perf_counter() - t
    print(
        f"Vergleich Handlungsfeld 1, p={P_MAX}: spopt unreduziert {t_direct:.3f} s "
        f"(Ziel {pulp.value(direct.problem.objective):.2f}), mit Reduktion {t_ours:.3f} s "
        f"(Ziel {ours.zielwert:.2f})"
    )

    from thm_lib.analysis import coverage
    from thm_lib.ingest import arbeitsmappe

    ws = arbeitsmappe.load_workspace(SAMPLE)
    vorher = coverage.analyse(ws)
    t = time.perf_counter()
    for feld in ws.handlungsfelder:
        standort.planen(ws, feld, p=2, vorher=vorher)
    t_plan = time.perf_counter() - t
    print(
        f"Musterkreis: planen(p=2) für alle {len(ws.handlungsfelder)} Handlungsfelder "
        f"(Modell + Neuberechnung) {t_plan:.2f} s, je Handlungsfeld "
        f"{t_plan / len(ws.handlungsfelder):.2f} s"
    )


if __name__ == "__main__":
    main()
