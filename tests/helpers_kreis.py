"""A generated Kreis with many small Gemeinden (test helper, no real data).

The sample Kreis has few Gemeinden with 1-4 persons; disclosure problems
(issue 13) show up in a Kreis where most cells are small. ``write_kreis``
writes a complete Arbeitsmappe: square Gemeinden on a grid (EPSG:25832),
target group per Stichtag, single year of age, sex and status (Poisson,
small means), case records whose needs differ by status (so need rates are
pooled at status level and differ between Duldung and Gestattung), offers
placed by AGS, and Kommunen of which some have a Geschäftsführende Stelle.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from thm_lib.core.labels import HANDLUNGSFELDER
from thm_lib.ingest.synthetic import KOPF_ANGEBOTE

KREIS_AGS = "05898"
STICHTAGE = ("31.12.2019", "31.12.2020", "31.12.2021")
FELDER = HANDLUNGSFELDER


def ags_of(i: int) -> str:
    """AGS of the i-th generated Gemeinde."""
    return f"{KREIS_AGS}{4 * (i + 1):03d}"


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = [";".join(header)] + [";".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_kreis(
    folder: Path,
    n: int = 16,
    seed: int = 7,
    mean: float = 0.35,
    big: float = 4.0,
    faelle: int = 160,
    mindestfaelle: int | None = None,
) -> Path:
    """Write an Arbeitsmappe of ``n`` Gemeinden into ``folder`` and return it.

    Parameters
    ----------
    folder : Path
        Target folder (created).
    n : int
        Number of Gemeinden (a grid of squares, 8 km wide).
    seed : int
        Random seed.
    mean : float
        Mean persons per Gemeinde, status, single year of age and sex in a
        small Gemeinde (0.35 gives rows of 1-10 persons per status).
    big : float
        The same for the first Gemeinde (the Kreis town).
    faelle : int
        Number of case records.
    mindestfaelle : int, optional
        Pooling minimum of the need rates (default: the standard 30).
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    side = int(np.ceil(np.sqrt(n)))
    x0, y0, w = 400_000, 5_700_000, 8_000
    features = []
    for i in range(n):
        cx, cy = x0 + (i % side) * w, y0 + (i // side) * w
        ring = [[cx, cy], [cx + w, cy], [cx + w, cy + w], [cx, cy + w], [cx, cy]]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "ags": ags_of(i),
                    "name": f"Gemeinde {i + 1:02d}",
                    "einwohner": int(30_000 if i == 0 else rng.integers(2_000, 9_000)),
                },
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    doc = {
        "type": "FeatureCollection",
        "name": "gebiete",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": features,
    }
    (folder / "gebiete.geojson").write_text(json.dumps(doc), encoding="utf-8")

    rows = []
    for t, tag in enumerate(STICHTAGE):
        for i in range(n):
            m = (big if i == 0 else mean) * (1.0 + 0.1 * t)
            for status in ("duldung", "gestattung"):
                for age in range(18, 28):
                    for sex in ("m", "w"):
                        rows.append(
                            [
                                ags_of(i),
                                tag,
                                status,
                                str(age),
                                sex,
                                str(int(rng.poisson(m * (0.7 if sex == "w" else 1.0)))),
                            ]
                        )
    _csv(
        folder / "zielgruppe.csv",
        ["ags", "stichtag", "status", "alter", "geschlecht", "anzahl"],
        rows,
    )

    f_rows, b_rows = [], []
    p_need = {"duldung": 0.65, "gestattung": 0.3}
    for k in range(faelle):
        i = int(rng.integers(0, n))
        status = "duldung" if rng.random() < 0.6 else "gestattung"
        start = np.datetime64("2021-01-04") + int(rng.integers(0, 300))
        y, mo, d = str(start).split("-")
        fid = f"GK-{k:05d}"
        f_rows.append(
            [
                fid,
                ags_of(i),
                str(int(rng.integers(18, 28))),
                status,
                "m" if rng.random() < 0.7 else "w",
                "ja",
                f"{d}.{mo}.{y}",
                "",
                "",
            ]
        )
        for j, feld in enumerate(FELDER):
            if rng.random() < p_need[status] * (1.0 - 0.04 * j):
                b_rows.append(
                    [
                        fid,
                        feld,
                        str(rng.choice(["passend", "naechstbeste", "kein_angebot", "offen"])),
                    ]
                )
    _csv(
        folder / "faelle.csv",
        [
            "fall_id",
            "ags",
            "alter",
            "status",
            "geschlecht",
            "einwilligung",
            "beginn",
            "ende",
            "abschlussgrund",
        ],
        f_rows,
    )
    _csv(folder / "bedarfe.csv", ["fall_id", "handlungsfeld", "ergebnis"], b_rows)

    a_rows = []
    for j, feld in enumerate(FELDER):
        for k in range(2):
            i = int(rng.integers(0, n))
            a_rows.append(
                [
                    f"A{j:02d}{k}",
                    f"{feld} {k}",
                    "Träger",
                    feld,
                    "sonstige",
                    "ja" if k == 0 else "nein",
                    "ja",
                    "16",
                    "27",
                    str(int(rng.integers(5, 30))),
                    "",
                    "",
                    "",
                    ags_of(i),
                    "nein",
                    "",
                    "01.01.2020",
                    "",
                ]
            )
    _csv(
        folder / "angebote.csv",
        KOPF_ANGEBOTE,
        a_rows,
    )
    _csv(
        folder / "kommunen.csv",
        [
            "ags",
            "geschaeftsfuehrende_stelle",
            "haushaltssicherung",
            "stellen_bestand",
            "stichtag_erstantrag",
        ],
        [[ags_of(i), "ja" if i % 3 == 0 else "nein", "nein", "", "31.12.2020"] for i in range(n)],
    )
    (folder / "annahmen.yaml").write_text(
        'kreis:\n  name: Kleinkreis (generiert)\n  ags: "05898"\n  stichtag: 2021-12-31\n'
        "  stichtag_erstantrag: 2020-12-31\n"
        + ("" if mindestfaelle is None else f"bedarf:\n  mindestfaelle: {mindestfaelle}\n"),
        encoding="utf-8",
    )
    return folder
