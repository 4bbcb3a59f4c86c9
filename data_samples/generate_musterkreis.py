"""Generate the fictional sample Kreis ``data_samples/musterkreis/`` deterministically.

Run ``python data_samples/generate_musterkreis.py`` to rewrite the committed
files byte-identically (seeded; no timestamps in any file). See
``data_samples/README.md`` for what is synthetic and which real magnitudes it
follows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from thm_lib.ingest.synthetic import (
    KOPF_ANGEBOTE,
    KOPF_BEDARFE,
    KOPF_FAELLE,
    KOPF_KOMMUNEN,
    KOPF_ZIELGRUPPE,
    de_zahl,
    faelle_zeilen,
    gebiete_geojson,
    geojson_feature,
    nach_wgs84,
    schreibe_csv,
    zielgruppe_zeilen,
)

SEED = 20191101
OUT = Path(__file__).resolve().parent / "musterkreis"
KREIS_AGS = "05899"  # Regierungsbezirk 8 does not exist in NRW: no real Kreis uses it
CENTER = (420_000.0, 5_710_000.0)  # EPSG:25832, fictional placement

# name, offset of the seed point from the centre (km), inhabitants, PLZ
GEMEINDEN = [
    ("Musterstadt", (0.0, 0.0), 98_400, ("00101", "00102", "00103")),
    ("Beispielheim", (-13.0, 9.0), 24_300, ("00111",)),
    ("Neudorf am Muster", (12.0, 12.0), 17_800, ("00121",)),
    ("Probstadt", (15.0, -8.0), 31_200, ("00131", "00132")),
    ("Testingen", (-4.0, -16.0), 12_600, ("00141",)),
    ("Fiktivhausen", (-16.0, -6.0), 9_900, ("00151",)),
    ("Modellbach", (2.0, 19.0), 8_300, ("00161",)),
    ("Exemplarsdorf", (24.0, 2.0), 6_700, ("00171",)),
    ("Schablonberg", (-24.0, 4.0), 7_400, ("00181",)),
    ("Vorlagenfeld", (7.0, -21.0), 11_200, ("00191",)),
    ("Entwurfsweiler", (-10.0, 21.0), 5_200, ("00201",)),
    ("Annahmsrode", (19.0, -18.0), 4_600, ("00211",)),
]
STICHTAGE = ("31.12.2019", "31.12.2020", "31.12.2021")


def ags_of(i: int) -> str:
    """AGS of the i-th Gemeinde (4, 8, 12, … as NRW numbers its Gemeinden)."""
    return f"{KREIS_AGS}{4 * (i + 1):03d}"


def kreis_outline(rng: np.random.Generator) -> Polygon:
    """A lobed, irregular outline of about 30 km radius."""
    angles = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    radius = 22_000 * (1 + 0.12 * np.sin(3 * angles + 0.7) + 0.05 * rng.standard_normal(72))
    xs = CENTER[0] + radius * np.cos(angles)
    ys = CENTER[1] + radius * np.sin(angles)
    return Polygon(np.round(np.column_stack([xs, ys])))


def gemeinde_polygons(rng: np.random.Generator) -> list[Polygon]:
    """Voronoi cells of the seed points clipped to the outline: shared borders, no gaps."""
    outline = kreis_outline(rng)
    seeds = [Point(CENTER[0] + dx * 750, CENTER[1] + dy * 750) for _, (dx, dy), _, _ in GEMEINDEN]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline.buffer(20_000))
    result = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.contains(seed))
        clipped = shapely.set_precision(cell.intersection(outline), 1.0)
        result.append(clipped)
    return result


def write_gebiete(polygons: list[Polygon]) -> None:
    """GeoJSON in EPSG:25832 (named CRS member), coordinates in whole metres."""
    features = [
        geojson_feature(
            {"ags": ags_of(i), "name": name, "einwohner": einwohner, "plz": ",".join(plz)}, poly
        )
        for i, ((name, _, einwohner, plz), poly) in enumerate(zip(GEMEINDEN, polygons, strict=True))
    ]
    (OUT / "gebiete.geojson").write_text(gebiete_geojson(features, indent=1), encoding="utf-8")


def zielgruppe_rows(rng: np.random.Generator) -> list[list[str]]:
    """Counts per Gemeinde, Stichtag, status, single year of age 16–29 and sex."""
    weights = np.array([g[2] for g in GEMEINDEN], dtype=float)
    weights[0] *= 1.8  # asylum seekers and tolerated persons concentrate in the larger town
    weights /= weights.sum()
    # persons aged 16-29 per status in the whole Kreis and growth per year
    totals = {"duldung": 560.0, "gestattung": 400.0, "sonstige": 90.0}
    growth = {
        "duldung": (1.0, 1.06, 1.1),
        "gestattung": (1.0, 0.9, 0.85),
        "sonstige": (1.0, 1.0, 1.05),
    }
    return zielgruppe_zeilen(
        rng,
        [ags_of(i) for i in range(len(GEMEINDEN))],
        weights,
        totals,
        growth,
        STICHTAGE,
        frozenset((0, i, "sonstige", 29) for i in (7, 10)),  # Destatis "nichts vorhanden"
    )


def faelle_rows(rng: np.random.Generator) -> tuple[list[list[str]], list[list[str]]]:
    """About 320 pseudonymised case records and their needs in long form."""
    weights = np.array([g[2] for g in GEMEINDEN], dtype=float)
    weights[0] *= 2.2
    weights /= weights.sum()
    return faelle_zeilen(rng, [ags_of(i) for i in range(len(GEMEINDEN))], weights, 320)


# handlungsfeld, foerderlinie, traeger, open to Duldung, open to Gestattung, places, count
ANGEBOTSTYPEN = [
    ("Sprache", "bamf", "Volkshochschule Musterkreis", False, True, 25, 5),
    ("Sprache", "baustein_2", "Bildungswerk Muster e. V.", True, True, 15, 4),
    ("Sprache", "baustein_4", "Jugendmigrationsdienst Musterkreis", True, True, 12, 2),
    ("Schulabschluss", "baustein_3", "Berufskolleg Musterstadt", True, True, 20, 4),
    ("Berufsvorbereitung", "arbeitsagentur", "Agentur für Arbeit (fiktiv)", False, True, 16, 3),
    ("Berufsvorbereitung", "baustein_4", "Jugendwerkstatt Probstadt", True, True, 12, 3),
    ("Qualifizierung", "baustein_2", "Qualifizierungszentrum Muster gGmbH", True, True, 10, 4),
    ("Qualifizierung", "jobcenter", "Jobcenter Musterkreis", False, False, 20, 2),
    ("Ausbildung", "arbeitsagentur", "Agentur für Arbeit (fiktiv)", True, True, 15, 3),
    ("Ausbildung", "kommune", "Ausbildungsverbund Musterkreis", True, True, 8, 3),
    ("Arbeit", "jobcenter", "Jobcenter Musterkreis", False, True, 20, 3),
    ("Arbeit", "baustein_1", "Coaching-Netz Muster e. V.", True, True, 10, 3),
    ("Coaching", "baustein_1", "Coaching-Netz Muster e. V.", True, True, 20, 5),
    ("Coaching", "jmd", "Jugendmigrationsdienst Musterkreis", True, True, 30, 3),
    ("Aufenthaltsrecht", "kommune", "Flüchtlingsberatung Musterkreis", True, True, 40, 4),
    ("Wohnen", "kommune", "Wohnungsnotfallhilfe Musterstadt", True, True, 15, 3),
    ("Gesundheit", "sonstige", "Gesundheitsamt Musterkreis", True, True, 30, 2),
    ("Psychosoziales", "sonstige", "Psychosoziales Zentrum (fiktiv)", True, True, 12, 1),
    ("Sonstiges", "baustein_5", "Innovationsfonds-Projekt Muster", True, True, 15, 2),
    ("Coaching", "kim", "KIM-Fallmanagement Musterkreis", True, True, 60, 2),
]


def angebote_rows(rng: np.random.Generator, polygons: list[Polygon]) -> list[list[str]]:
    """About 60 offers; the larger town gets the most, some only with PLZ or AGS."""
    weights = np.array([g[2] for g in GEMEINDEN], dtype=float) ** 0.9
    weights /= weights.sum()
    rows = []
    n = 0
    for hf, linie, traeger, duldung, gestattung, plaetze, count in ANGEBOTSTYPEN:
        for _ in range(count):
            n += 1
            i = int(rng.choice(len(GEMEINDEN), p=weights))
            poly = polygons[i]
            point = _random_point_in(poly, rng)
            lat, lon = nach_wgs84(point.x, point.y)
            aufsuchend = hf in ("Coaching", "Aufenthaltsrecht") and rng.random() < 0.35
            einzugsgebiet = ""
            if aufsuchend:
                others = rng.choice(np.arange(1, len(GEMEINDEN)), 3, replace=False)
                einzugsgebiet = ",".join(ags_of(int(j)) for j in sorted({i, *others}))
            location = rng.random()
            lat_s, lon_s, plz, ags = de_zahl(lat, 5), de_zahl(lon, 5), "", ags_of(i)
            if location < 0.08:
                lat_s, lon_s, plz, ags = "", "", GEMEINDEN[i][3][0], ""
            elif location < 0.16:
                lat_s, lon_s = "", ""
            alter_min, alter_max = (16, 27) if rng.random() < 0.7 else (18, 25)
            beginn = "01.01.2020" if rng.random() < 0.8 else "01.09.2020"
            ende = "" if rng.random() < 0.85 else "30.06.2021"
            rows.append(
                [
                    f"A{n:03d}",
                    f"{hf} {GEMEINDEN[i][0]} {n}",
                    traeger,
                    hf,
                    linie,
                    "ja" if duldung else "nein",
                    "ja" if gestattung else "nein",
                    str(alter_min),
                    str(alter_max),
                    str(int(plaetze * rng.uniform(1.5, 3.5))),
                    lat_s,
                    lon_s,
                    plz,
                    ags,
                    "ja" if aufsuchend else "nein",
                    einzugsgebiet,
                    beginn,
                    ende,
                ]
            )
    return rows


def _random_point_in(poly: Polygon, rng: np.random.Generator) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    inner = poly.buffer(-800)
    while True:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(p):
            return p


ANNAHMEN = """\
# Annahmen für den fiktiven Musterkreis (überschreiben die Standardwerte).
kreis:
  name: Musterkreis (fiktiv)
  ags: "05899"
  stichtag: 2021-12-31
  geschaeftsfuehrende_stelle: true
  haushaltssicherung: false
  stellen_bestand: 2.0
  stichtag_erstantrag: 2019-12-31
karten:
  quellenangabe: "Gebiete: Musterkreis (fiktiv), synthetisch erzeugt"
"""

KOMMUNEN = [
    ["05899004", "ja", "nein", "1,5", "31.12.2019"],
    ["05899016", "ja", "ja", "0,5", "31.12.2019"],
]


def main() -> None:
    """Write every file of the sample Kreis."""
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    polygons = gemeinde_polygons(rng)
    write_gebiete(polygons)
    schreibe_csv(
        OUT / "zielgruppe.csv",
        KOPF_ZIELGRUPPE,
        zielgruppe_rows(rng),
        "utf-8-sig",
    )
    faelle, bedarfe = faelle_rows(rng)
    schreibe_csv(
        OUT / "faelle.csv",
        KOPF_FAELLE,
        faelle,
        "cp1252",
    )
    schreibe_csv(OUT / "bedarfe.csv", KOPF_BEDARFE, bedarfe, "utf-8")
    schreibe_csv(
        OUT / "angebote.csv",
        KOPF_ANGEBOTE,
        angebote_rows(rng, polygons),
        "utf-8-sig",
    )
    schreibe_csv(
        OUT / "kommunen.csv",
        KOPF_KOMMUNEN,
        KOMMUNEN,
        "utf-8-sig",
    )
    (OUT / "annahmen.yaml").write_text(ANNAHMEN, encoding="utf-8")


if __name__ == "__main__":
    main()
