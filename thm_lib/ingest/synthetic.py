"""Synthetic Kreise for tests and benchmarks (no real data, fixed seeds).

:func:`voronoi_coverage` builds a polygon coverage from the Voronoi cells of
random points, optionally with wiggly shared borders (a Brownian bridge along
each edge, tapered at the nodes) so polygons have realistic vertex counts of
several hundred to thousands; :func:`synthetic_workspace` wraps such a
coverage and a few offers into a :class:`~thm_lib.core.workspace.Workspace`.

The second half writes Arbeitsmappe files as offices hand them over
(:func:`schreibe_csv`, :func:`gebiete_geojson`, :func:`zielgruppe_zeilen`,
:func:`faelle_zeilen`): shared by ``data_samples/generate_musterkreis.py``,
``tests/arbeitsmappen.py`` and :mod:`thm_lib.ingest.land_synthetic`.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from thm_lib.core.labels import HANDLUNGSFELDER
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import CRS_METRIC, Workspace

#: Rough extent of NRW in EPSG:25832 (metres): about 250 km × 250 km.
NRW_BOUNDS = (280_000.0, 5_580_000.0, 530_000.0, 5_830_000.0)


def _wiggle(
    line: shapely.LineString, rng: np.random.Generator, steps: int, amplitude: float
) -> shapely.LineString:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    if steps < 2 or length == 0:
        return line
    t = np.linspace(0.0, 1.0, steps + 1)
    walk = np.concatenate([[0.0], np.cumsum(rng.normal(size=steps))])
    bridge = walk - t * walk[-1]
    peak = np.abs(bridge).max() or 1.0
    offset = bridge / peak * amplitude * length * np.sin(np.pi * t)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    xs = x0 + t * (x1 - x0) + offset * nx
    ys = y0 + t * (y1 - y0) + offset * ny
    xs[0], ys[0], xs[-1], ys[-1] = x0, y0, x1, y1  # exact nodes, or polygonize cannot close rings
    return shapely.LineString(np.column_stack([xs, ys]))


def voronoi_coverage(
    n: int,
    bounds: tuple[float, float, float, float],
    seed: int = 0,
    steps_per_edge: int = 0,
    amplitude: float = 0.04,
) -> list[shapely.Polygon]:
    """Return ``n`` polygons that tile ``bounds`` (a valid coverage).

    Parameters
    ----------
    n : int
        Number of polygons.
    bounds : tuple
        ``(minx, miny, maxx, maxy)`` in a metric CRS.
    seed : int
        Random seed.
    steps_per_edge : int
        Vertices per border segment (0 = straight Voronoi edges).
    amplitude : float
        Maximal sideways displacement of a border, as a share of its length.

    Raises
    ------
    RuntimeError
        If the wiggled borders crossed and the cells could not be rebuilt.
    """
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    pts = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
    box = shapely.box(*bounds)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box)
    polys = [c.intersection(box) for c in shapely.get_parts(cells)]
    if steps_per_edge <= 0:
        return polys
    noded = shapely.union_all([p.boundary for p in polys])
    segments = [
        shapely.LineString([a, b])
        for part in shapely.get_parts(noded)
        for a, b in zip(part.coords[:-1], part.coords[1:], strict=True)
    ]
    edges = [_wiggle(e, rng, steps_per_edge, amplitude) for e in segments]
    out = list(shapely.get_parts(shapely.polygonize(edges)))
    if len(out) != n:
        raise RuntimeError(f"{len(out)} statt {n} Flächen; amplitude verkleinern")
    return out


def synthetic_workspace(
    n: int = 10,
    seed: int = 1,
    *,
    bounds: tuple[float, ...] | None = None,
    steps_per_edge: int = 0,
    offers_per_field: int = 2,
    fields: int = 3,
    name: str = "Testkreis (synthetisch)",
) -> Workspace:
    """A Workspace with ``n`` Gemeinden (AGS ``0599900x``) and offers in the first fields.

    Offers: ``offers_per_field`` per Handlungsfeld for the first ``fields``
    configured Handlungsfelder, placed at representative points of the
    Gemeinden; the first offer is ``A001`` "Sprachkurs <Nord> & Co" (a name
    that needs HTML escaping), Träger "VHS Test", Förderlinie ``baustein_6``,
    12 places, open for Duldung, not for Gestattung, not outreach.
    """
    bounds = bounds or (400_000.0, 5_700_000.0, 440_000.0, 5_740_000.0)
    polys = voronoi_coverage(n, bounds, seed, steps_per_edge)
    ags = [f"05999{i:03d}" for i in range(1, n + 1)]
    gebiete = gpd.GeoDataFrame(
        {
            "ags": ags,
            "name": [f"Gemeinde {chr(65 + i % 26)}{i // 26 or ''}" for i in range(n)],
            "einwohner": pd.array([10_000 + 1000 * i for i in range(n)], dtype="Int64"),
            "plz": [()] * n,
        },
        geometry=polys,
        crs=CRS_METRIC,
    )
    annahmen = Annahmen().mit({"kreis": {"stichtag": "2024-12-31"}})
    felder = annahmen.handlungsfelder[:fields]
    rows, pts = [], []
    reps = gebiete.geometry.representative_point()
    k = 0
    for f in felder:
        for _ in range(offers_per_field):
            g = k % n
            first = k == 0
            rows.append(
                {
                    "angebot_id": f"A{k + 1:03d}",
                    "name": "Sprachkurs <Nord> & Co" if first else f"{f} {k + 1}",
                    "traeger": "VHS Test" if first else "Träger e. V.",
                    "handlungsfeld": f,
                    "foerderlinie": "baustein_6" if first else "kommune",
                    "zugang_duldung": True,
                    "zugang_gestattung": not first,
                    "alter_min": 18,
                    "alter_max": 27,
                    "plaetze": 12.0 if first else 20.0,
                    "lat": np.nan,
                    "lon": np.nan,
                    "plz": None,
                    "ags": ags[g],
                    "aufsuchend": k == 1,
                    "einzugsgebiet": (),
                    "beginn": pd.NaT,
                    "ende": pd.NaT,
                    "standort_quelle": "gemeinde",
                }
            )
            p = reps.iloc[g]
            pts.append(shapely.Point(p.x + 300 * (k // n), p.y))
            k += 1
    angebote = gpd.GeoDataFrame(rows, geometry=pts, crs=CRS_METRIC)
    zielgruppe = pd.DataFrame(
        {
            "ags": ags,
            "stichtag": pd.Timestamp("2024-12-31"),
            "status": "duldung",
            "alter": pd.array([20] * n, dtype="Int64"),
            "alter_von": 20,
            "alter_bis": 20,
            "geschlecht": "m",
            "anzahl": pd.array([10] * n, dtype="Int64"),
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
        name=name,
        folder=Path("."),
        gebiete=gebiete,
        zielgruppe=zielgruppe,
        angebote=angebote,
        annahmen=annahmen,
        programm={},
        kommunen=kommunen,
    )


# --------------------------------------------------------------------------- Arbeitsmappe files
# Shared by the sample generator (data_samples/generate_musterkreis.py), the test helper
# (tests/arbeitsmappen.py) and the synthetic Land (thm_lib.ingest.land_synthetic): files
# written as a German office hands them over.

KOPF_ZIELGRUPPE = ["ags", "stichtag", "status", "alter", "geschlecht", "anzahl"]
KOPF_FAELLE = [
    "fall_id",
    "ags",
    "alter",
    "status",
    "geschlecht",
    "einwilligung",
    "beginn",
    "ende",
    "abschlussgrund",
]
KOPF_BEDARFE = ["fall_id", "handlungsfeld", "ergebnis"]
KOPF_ANGEBOTE = [
    "angebot_id",
    "name",
    "traeger",
    "handlungsfeld",
    "foerderlinie",
    "zugang_duldung",
    "zugang_gestattung",
    "alter_min",
    "alter_max",
    "plaetze",
    "lat",
    "lon",
    "plz",
    "ags",
    "aufsuchend",
    "einzugsgebiet",
    "beginn",
    "ende",
]
KOPF_KOMMUNEN = [
    "ags",
    "geschaeftsfuehrende_stelle",
    "haushaltssicherung",
    "stellen_bestand",
    "stichtag_erstantrag",
]


def schreibe_csv(
    path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8"
) -> None:
    """Write a German-office CSV (``;``, CRLF like Excel) in the given encoding."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def de_zahl(value: float, decimals: int) -> str:
    """A number with a decimal comma and no thousands separator (``1234,50``)."""
    return f"{value:.{decimals}f}".replace(".", ",")


def de_datum(day: np.datetime64) -> str:
    """A day as ``dd.mm.yyyy``."""
    y, m, d = str(day).split("-")
    return f"{d}.{m}.{y}"


def ja_nein(flag: bool) -> str:
    """``"ja"`` or ``"nein"``."""
    return "ja" if flag else "nein"


@functools.cache
def _nach_wgs84() -> Transformer:
    return Transformer.from_crs(25832, 4326, always_xy=True)


def nach_wgs84(x: float, y: float) -> tuple[float, float]:
    """Return ``(lat, lon)`` in WGS84, rounded to 5 decimals, of a point in EPSG:25832."""
    lon, lat = _nach_wgs84().transform(x, y)
    return round(lat, 5), round(lon, 5)


def _ganze_meter(coords: Any) -> Any:
    if coords and isinstance(coords[0], int | float):
        return [int(c) for c in coords]
    return [_ganze_meter(c) for c in coords]


def geojson_feature(props: dict[str, Any], geometry: shapely.Geometry) -> dict[str, Any]:
    """One GeoJSON feature with the coordinates in whole metres (truncated)."""
    geom = shapely.geometry.mapping(geometry)
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": geom["type"], "coordinates": _ganze_meter(geom["coordinates"])},
    }


def gebiete_geojson(features: list[dict[str, Any]], indent: int | None = None) -> str:
    """A FeatureCollection named ``gebiete`` in EPSG:25832 (named CRS member), as text."""
    doc = {
        "type": "FeatureCollection",
        "name": "gebiete",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        "features": features,
    }
    return json.dumps(doc, ensure_ascii=False, indent=indent) + "\n"


ALTER_ZIELGRUPPE = np.arange(16, 30)
"""Single years of age of synthetic target-group counts (the statistics' 16 to 29)."""


def zielgruppe_zeilen(
    rng: np.random.Generator,
    ags: list[str],
    gewichte: np.ndarray,
    summen: dict[str, float],
    wachstum: dict[str, tuple[float, ...]],
    stichtage: tuple[str, ...],
    nichts_vorhanden: frozenset[tuple[int, int, str, int]] = frozenset(),
) -> list[list[str]]:
    """Counts per Gemeinde, Stichtag, status, single year of age 16–29 and sex (Poisson).

    Parameters
    ----------
    rng : numpy.random.Generator
        Random numbers (consumed in the order of the rows).
    ags : list of str
        The Gemeinden.
    gewichte : numpy.ndarray
        Share of each Gemeinde in the Kreis totals (sums to 1).
    summen : dict
        Persons aged 16–29 per status in the whole Kreis at the first Stichtag.
    wachstum : dict
        Per status, a factor per Stichtag.
    stichtage : tuple of str
        ``dd.mm.yyyy``.
    nichts_vorhanden : frozenset
        ``(stichtag index, Gemeinde index, status, age)`` written as Destatis ``-``.
    """
    age_w = np.exp(-0.5 * ((ALTER_ZIELGRUPPE - 22.5) / 4.0) ** 2)
    age_w /= age_w.sum()
    sex_w = np.array([0.68, 0.32])
    rows = []
    for t, stichtag in enumerate(stichtage):
        for i, a in enumerate(ags):
            for status, total in summen.items():
                means = total * wachstum[status][t] * gewichte[i] * age_w[:, None] * sex_w[None, :]
                counts = rng.poisson(means)
                for j, age in enumerate(ALTER_ZIELGRUPPE):
                    strich = (t, i, status, int(age)) in nichts_vorhanden
                    for s, sex in enumerate(("m", "w")):
                        cell = "-" if strich else str(int(counts[j, s]))
                        rows.append([a, stichtag, status, str(age), sex, cell])
    return rows


ABSCHLUSS = (
    "Ausbildung aufgenommen",
    "Arbeit aufgenommen",
    "Schulabschluss erreicht",
    "Wegzug",
    "Kontaktabbruch",
    "Rückkehr ins Herkunftsland",
    "Ziele erreicht",
)
"""Closure reasons of synthetic cases."""
# probability that a need ends "passend", "naechstbeste", "kein_angebot" (rest: offen)
ERGEBNIS_P = {
    "Sprache": (0.55, 0.2, 0.15),
    "Schulabschluss": (0.6, 0.2, 0.1),
    "Berufsvorbereitung": (0.6, 0.2, 0.1),
    "Qualifizierung": (0.5, 0.25, 0.1),
    "Ausbildung": (0.4, 0.3, 0.2),
    "Arbeit": (0.45, 0.25, 0.15),
    "Coaching": (0.75, 0.1, 0.05),
    "Aufenthaltsrecht": (0.7, 0.15, 0.05),
    "Wohnen": (0.3, 0.3, 0.3),
    "Gesundheit": (0.6, 0.2, 0.1),
    "Psychosoziales": (0.25, 0.25, 0.4),
    "Sonstiges": (0.6, 0.2, 0.1),
}
#: probability that a case has a need in each Handlungsfeld (order of HANDLUNGSFELDER)
BEDARF_P = (0.7, 0.35, 0.4, 0.3, 0.35, 0.35, 0.55, 0.5, 0.25, 0.15, 0.25, 0.1)
_PSEUDONYM = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))


def faelle_zeilen(
    rng: np.random.Generator,
    ags: list[str],
    gewichte: np.ndarray,
    n: int,
    *,
    beginn_ab: str = "2020-01-06",
    tage: int = 880,
    ende_bis: str = "2022-06-30",
) -> tuple[list[list[str]], list[list[str]]]:
    """``n`` pseudonymised case records and their needs in long form.

    Cases start within ``tage`` days from ``beginn_ab``; about half end (with a
    closure reason) when the end falls on or before ``ende_bis``. Pseudonyms
    ``TM-`` + 6 characters are unique within the call.
    """
    faelle, bedarfe = [], []
    used: set[str] = set()
    start0, period_end = np.datetime64(beginn_ab), np.datetime64(ende_bis)
    for _ in range(n):
        while True:
            fid = "TM-" + "".join(rng.choice(_PSEUDONYM, 6))
            if fid not in used:
                used.add(fid)
                break
        i = int(rng.choice(len(ags), p=gewichte))
        status = str(rng.choice(["duldung", "gestattung", "sonstige"], p=[0.6, 0.33, 0.07]))
        age = int(rng.integers(18, 28))
        sex = str(rng.choice(["m", "w", "d"], p=[0.7, 0.29, 0.01]))
        consent = "ja" if rng.random() < 0.9 else "nein"
        start = start0 + int(rng.integers(0, tage))
        ende, grund = "", ""
        if rng.random() < 0.5:
            end = start + int(rng.integers(60, 540))
            if end <= period_end:
                ende = de_datum(end)
                grund = str(rng.choice(ABSCHLUSS))
        faelle.append([fid, ags[i], str(age), status, sex, consent, de_datum(start), ende, grund])
        for hf, p in zip(HANDLUNGSFELDER, BEDARF_P, strict=True):
            if rng.random() < p:
                pp, pn, pk = ERGEBNIS_P[hf]
                if status == "duldung" and hf in ("Sprache", "Qualifizierung"):
                    pp, pk = pp - 0.2, pk + 0.2  # many courses are closed to Geduldete
                r = rng.random()
                ergebnis = (
                    "passend"
                    if r < pp
                    else "naechstbeste"
                    if r < pp + pn
                    else "kein_angebot"
                    if r < pp + pn + pk
                    else "offen"
                )
                bedarfe.append([fid, hf, ergebnis])
    return faelle, bedarfe
