"""Benchmark of the publication layer: building it once per Kreis, then every view from it.

Run from the repository root::

    .venv/bin/python benchmarks/bench_publication.py [--gemeinden 40]

For the sample Kreis and a generated Kreis with many small Gemeinden
(``tests/helpers_kreis.py``) prints

- seconds to load the Workspace and to run the coverage analysis and the
  staffing estimates (the analyses, for scale);
- seconds for the first round of published tables (the layer is built:
  target group per Stichtag, reach, staffing persons, coverage mask) and for
  a second round (everything from the cache, as a Kommune report of the same
  run sees it);
- how many Gemeinde × Handlungsfeld coverage rows are shown, and how many
  target-group cells are hidden;
- seconds for the joint check of the Fallevidenz and "Bedarfe" in a Kreis of the
  synthetic Land (seed 5) with I = 0, 1 and 3 target cases not active in the
  report year (few inactive cases made it slow: round 2, session 33).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _round(ws, result, bemessung) -> None:
    from thm_lib.publish import views

    views.zielgruppe_je_gemeinde(ws)
    views.zielgruppe_verlauf(ws, str(ws.gebiete["ags"].iloc[0]))
    views.zielgruppe_struktur(ws)
    if ws.faelle is not None:
        views.bericht_tabellen(ws)
    views.stellen_tabelle(ws, bemessung)
    views.lueckenliste(ws, result)
    views.versorgung_matrix(ws, result)
    views.karten_mass(ws, "zielgruppe")


def measure(folder: Path, label: str) -> None:
    """Print the figures for one Arbeitsmappe."""
    from thm_lib.analysis import coverage, staffing
    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.publish import views

    t0 = time.perf_counter()
    ws = load_workspace(folder)
    t1 = time.perf_counter()
    result = coverage.analyse(ws)
    bemessung = staffing.stellenbemessung(ws)
    t2 = time.perf_counter()
    _round(ws, result, bemessung)
    t3 = time.perf_counter()
    _round(ws, result, bemessung)
    t4 = time.perf_counter()
    shown = int((~views.versorgung_gesperrt(ws, result)).sum())
    zg = views.zielgruppe_je_gemeinde(ws)
    print(f"{label}: {len(ws.gebiete)} Gemeinden")
    print(f"  laden {t1 - t0:.2f} s, Analysen {t2 - t1:.2f} s")
    print(
        f"  Tabellen erste Runde (Schicht wird gebaut) {t3 - t2:.2f} s, "
        f"zweite Runde (Cache) {t4 - t3:.3f} s"
    )
    print(
        f"  Versorgungszeilen gezeigt {shown} von {len(result.gemeinden)}; "
        f"Zielgruppenzellen gesperrt {int(zg.mask.to_numpy().sum())} von {zg.mask.size}"
    )


def mit_inaktiven(quelle: Path, ziel: Path, inaktiv: int) -> Path:
    """Copy an Arbeitsmappe so that exactly ``inaktiv`` target cases with consent are
    not active in the report year (the others begin on 1 June of it and stay open)."""
    import shutil

    import pandas as pd

    from thm_lib.analysis import target_group
    from thm_lib.analysis.berichtswesen import period_flags
    from thm_lib.ingest.arbeitsmappe import load_workspace

    ws = load_workspace(quelle)
    f = target_group.eligible_cases(ws.faelle, ws.annahmen)
    von = pd.Timestamp(year=ws.stichtag.year, month=1, day=1)
    nicht_aktiv = sorted(f.loc[~period_flags(f, von, ws.stichtag)["aktiv"].to_numpy(), "fall_id"])
    shutil.copytree(quelle, ziel)
    pfad = ziel / "faelle.csv"
    roh = pd.read_csv(pfad, sep=";", dtype=str, keep_default_na=False)
    aktiv = roh["fall_id"].isin(nicht_aktiv[inaktiv:])
    roh.loc[aktiv, ["beginn", "ende", "abschlussgrund"]] = [f"01.06.{ws.stichtag.year}", "", ""]
    roh.to_csv(pfad, sep=";", index=False)
    return ziel


def gemeinsame_pruefung(tmp: Path) -> None:
    """Print the seconds of the joint check of the Fallevidenz and "Bedarfe" for I = 0, 1, 3."""
    from thm_lib.disclosure import publication
    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.ingest.land_synthetic import schreibe_land

    mappen = schreibe_land(tmp / "land", seed=5)
    quelle = next(m for m in mappen if m.name == "kreis_oberaue_fiktiv")
    for inaktiv in (0, 1, 3):
        ws = load_workspace(mit_inaktiven(quelle, tmp / f"i{inaktiv}", inaktiv))
        pub = publication.fuer(ws)
        pub._fallevidenz_allein(pub._fallevidenz_zahlen())
        pub._bericht_einzeln  # noqa: B018 - each table on its own first, not timed
        t0 = time.perf_counter()
        evidenz, bedarfe = pub._fallevidenz_und_bedarfe
        print(
            f"  Fallevidenz und Bedarfe gemeinsam, {quelle.name}, I = {pub.nicht_aktive_faelle}: "
            f"{time.perf_counter() - t0:.1f} s (verborgen {int(evidenz.mask.to_numpy().sum())} "
            f"und {int(bedarfe.mask.to_numpy().sum())})"
        )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gemeinden", type=int, default=40)
    args = parser.parse_args()
    from helpers_kreis import write_kreis

    measure(ROOT / "data_samples" / "musterkreis", "Musterkreis")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_kreis(Path(tmp) / "kreis", n=args.gemeinden, seed=3)
        measure(folder, "Generierter Kreis")
        gemeinsame_pruefung(Path(tmp))


if __name__ == "__main__":
    main()
