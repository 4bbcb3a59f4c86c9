"""A synthetic Land: one Arbeitsmappe per Kreis and kreisfreie Stadt, shaped like NRW.

:func:`schreibe_land` writes, deterministically from a seed, the folders a
Land-wide batch would read: by default 53 Arbeitsmappen (22 kreisfreie Städte
with one Gemeinde whose AGS ends in ``000``, 31 Kreise sharing the other
Gemeinden), 396 Gemeinden in all, laid out without overlaps inside an
NRW-sized box in EPSG:25832. Everything is fictional: names end in
"(fiktiv)", Kreisschlüssel lie in the Regierungsbezirke 8 and 9, which do not
exist in NRW (``058xx`` kreisfreie Städte, ``059xx`` Kreise; ``05899`` stays the
sample Kreis's). Magnitudes follow ``data_samples/musterkreis`` and
FACTS.md: target group per inhabitant as in the sample, offers about one per
18 persons, case records for roughly 15 % of the target group, in most but
not all Kreise.

Layout: a Voronoi coverage of about four cells per Kreis is grown into
contiguous regions (a kreisfreie Stadt keeps one cell, a Kreis grows from its
seed cell); the Gemeinden of a Kreis are the Voronoi cells of random points
clipped to its outline. Coordinates are whole metres.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from thm_lib.core.formats import slug
from thm_lib.ingest.synthetic import (
    KOPF_ANGEBOTE,
    KOPF_BEDARFE,
    KOPF_FAELLE,
    KOPF_KOMMUNEN,
    KOPF_ZIELGRUPPE,
    NRW_BOUNDS,
    de_zahl,
    faelle_zeilen,
    gebiete_geojson,
    geojson_feature,
    ja_nein,
    nach_wgs84,
    schreibe_csv,
    voronoi_coverage,
    zielgruppe_zeilen,
)

STICHTAGE = ("31.12.2019", "31.12.2020", "31.12.2021")
"""Stichtage of the target-group counts (within THM 11/2019 – 06/2022); the last is evaluated."""
STICHTAG = "2021-12-31"
ZELLEN_JE_KREIS = 4
"""Voronoi cells of the layout per Kreis (a kreisfreie Stadt keeps one)."""
#: persons aged 16-29 per inhabitant and status: half the sample Kreis's rates (560 / 400 / 90
#: on 237,600), so that NRW's about 18 million give about 22,000 Geduldete aged 16-29
#: (65,961 of all ages at 31.12.2020, FACTS.md)
RATE = {"duldung": 0.0012, "gestattung": 0.0009, "sonstige": 0.0002}
WACHSTUM = {
    "duldung": (1.0, 1.06, 1.1),
    "gestattung": (1.0, 0.9, 0.85),
    "sonstige": (1.0, 1.0, 1.05),
}
PERSONEN_JE_ANGEBOT = 18.0
FAELLE_ANTEIL = 0.15
"""Case records per person aged 16-29 (about 6,700 reached in NRW, FOGS)."""
ANTEIL_MIT_FAELLEN = 0.8
MAX_KREISFREIE = 98  # 05801 … 05898
MAX_KREISE = 99  # 05901 … 05999

_STAMM = (
    "Nord", "Süd", "Ost", "West", "Ober", "Nieder", "Hoch", "Alt", "Neu", "Mittel",
    "Grün", "Stein", "Wald", "Sand", "Moor", "Hügel",
)  # fmt: skip
_LAND = (
    "heide", "mark", "gau", "land", "tal", "feld", "bruch", "höhe", "wald", "aue", "grund",
    "eifel", "börde", "weide",
)  # fmt: skip
_SILBE = (
    "Ulm", "Brak", "Wend", "Kolv", "Merl", "Tess", "Harv", "Fenn", "Gorm", "Quel", "Varn", "Ebb",
    "Istr", "Ottl", "Pell", "Sarn", "Trud", "Wilk", "Dorn", "Lorv",
)  # fmt: skip
_BINDUNG = ("en", "er", "in", "el")
_ORT = (
    "au", "stadt", "burg", "heim", "furt", "born", "hausen", "dorf", "feld", "bach", "rode",
    "hagen", "brück", "berg", "stein", "kirchen", "wede", "loh",
)  # fmt: skip

# handlungsfeld, foerderlinie, Träger ({k}: Kreis stem), Duldung, Gestattung, places, weight
ANGEBOTSTYPEN = (
    ("Sprache", "bamf", "Volkshochschule {k}", False, True, 25, 5),
    ("Sprache", "baustein_2", "Bildungswerk {k} e. V.", True, True, 15, 4),
    ("Sprache", "baustein_4", "Jugendmigrationsdienst {k}", True, True, 12, 2),
    ("Schulabschluss", "baustein_3", "Berufskolleg {k}", True, True, 20, 4),
    ("Berufsvorbereitung", "arbeitsagentur", "Agentur für Arbeit {k}", False, True, 16, 3),
    ("Berufsvorbereitung", "baustein_4", "Jugendwerkstatt {k}", True, True, 12, 3),
    ("Qualifizierung", "baustein_2", "Qualifizierungszentrum {k} gGmbH", True, True, 10, 4),
    ("Qualifizierung", "jobcenter", "Jobcenter {k}", False, False, 20, 2),
    ("Ausbildung", "arbeitsagentur", "Agentur für Arbeit {k}", True, True, 15, 3),
    ("Ausbildung", "kommune", "Ausbildungsverbund {k}", True, True, 8, 3),
    ("Arbeit", "jobcenter", "Jobcenter {k}", False, True, 20, 3),
    ("Arbeit", "baustein_1", "Coaching-Netz {k} e. V.", True, True, 10, 3),
    ("Coaching", "baustein_1", "Coaching-Netz {k} e. V.", True, True, 20, 5),
    ("Coaching", "jmd", "Jugendmigrationsdienst {k}", True, True, 30, 3),
    ("Aufenthaltsrecht", "kommune", "Flüchtlingsberatung {k}", True, True, 40, 4),
    ("Wohnen", "kommune", "Wohnungsnotfallhilfe {k}", True, True, 15, 3),
    ("Gesundheit", "sonstige", "Gesundheitsamt {k}", True, True, 30, 2),
    ("Psychosoziales", "sonstige", "Psychosoziales Zentrum {k}", True, True, 12, 1),
    ("Sonstiges", "baustein_5", "Innovationsfonds-Projekt {k}", True, True, 15, 2),
    ("Coaching", "kim", "KIM-Fallmanagement {k}", True, True, 60, 2),
)


@dataclass
class _Kreis:
    """One Kreis or kreisfreie Stadt of the layout."""

    index: int
    kreisfrei: bool
    schluessel: str  # 5 digits
    stamm: str  # fictional stem, e.g. "Nordheide" or "Ulmenau"
    outline: shapely.Geometry
    n_gemeinden: int

    @property
    def name(self) -> str:
        return f"{'Stadt' if self.kreisfrei else 'Kreis'} {self.stamm} (fiktiv)"


def pruefe_argumente(kreise: int, gemeinden: int, kreisfreie: int) -> None:
    """Raise ``ValueError`` (German message) unless the sizes describe a possible Land."""
    if kreise < 1:
        raise ValueError("Es muss mindestens einen Kreis oder eine kreisfreie Stadt geben.")
    if gemeinden < kreise:
        raise ValueError(
            f"Die Zahl der Gemeinden ({gemeinden}) muss mindestens so groß sein wie die "
            f"Zahl der Kreise und kreisfreien Städte ({kreise})."
        )
    if not 0 <= kreisfreie <= kreise:
        raise ValueError(
            f"Die Zahl der kreisfreien Städte ({kreisfreie}) muss zwischen 0 und der Zahl "
            f"der Kreise und kreisfreien Städte ({kreise}) liegen."
        )
    if kreisfreie > MAX_KREISFREIE or kreise - kreisfreie > MAX_KREISE:
        raise ValueError(
            f"Höchstens {MAX_KREISFREIE} kreisfreie Städte und {MAX_KREISE} Kreise "
            "(fiktive Kreisschlüssel 05801–05898 und 05901–05999)."
        )
    if kreise == kreisfreie and gemeinden != kreise:
        raise ValueError(
            "Ohne Kreise hat jede kreisfreie Stadt genau eine Gemeinde: "
            f"die Zahl der Gemeinden muss dann {kreise} sein."
        )
    if gemeinden - kreisfreie > 249 * (kreise - kreisfreie):
        raise ValueError("Höchstens 249 Gemeinden je Kreis.")


# --------------------------------------------------------------------------- layout
def _adjacency(cells: list[shapely.Geometry]) -> list[set[int]]:
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    out: list[set[int]] = [set() for _ in cells]
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a < b and cells[a].boundary.intersection(cells[b].boundary).length > 1.0:
            out[a].add(b)
            out[b].add(a)
    return out


def _regionen(
    cells: list[shapely.Geometry], n: int, kreisfrei: list[bool], rng: np.random.Generator
) -> list[list[int]]:
    """Group the cells into ``n`` contiguous regions; kreisfreie regions keep one cell."""
    centres = shapely.get_coordinates(shapely.centroid(cells))
    # seeds spread by farthest-point sampling from a random start
    seeds = [int(rng.integers(len(cells)))]
    dist = np.hypot(*(centres - centres[seeds[0]]).T)
    while len(seeds) < n:
        nxt = int(np.argmax(dist))
        seeds.append(nxt)
        dist = np.minimum(dist, np.hypot(*(centres - centres[nxt]).T))
    nachbarn = _adjacency(cells)
    owner = np.full(len(cells), -1)
    regions = [[s] for s in seeds]
    for r, s in enumerate(seeds):
        owner[s] = r
    while (owner < 0).any():
        wachsend = [r for r in range(n) if not kreisfrei[r]]
        grown = False
        for pool in (wachsend, list(range(n))):  # kreisfreie grow only if nothing else can
            best: tuple[int, float, int, int] | None = None
            for r in pool:
                frei = {c for m in regions[r] for c in nachbarn[m] if owner[c] < 0}
                for c in frei:
                    d = float(np.hypot(*(centres[c] - centres[seeds[r]])))
                    key = (len(regions[r]), d, r, c)
                    if best is None or key < best:
                        best = key
            if best is not None:
                _, _, r, c = best
                regions[r].append(c)
                owner[c] = r
                grown = True
                break
        if not grown:  # pragma: no cover - a coverage is connected
            raise RuntimeError("Zellen ohne Nachbarn")
    return regions


def _groessen(n: int, total: int, rng: np.random.Generator) -> list[int]:
    """``n`` Gemeinde counts summing to ``total``, each at least ``min(5, total // n)``."""
    if n == 0:
        return []
    lo = max(1, min(5, total // n))
    extra = total - n * lo
    w = rng.gamma(3.0, size=n)
    raw = extra * w / w.sum()
    sizes = np.floor(raw).astype(int)
    rest = extra - int(sizes.sum())
    for i in np.argsort(-(raw - sizes), kind="stable")[:rest]:
        sizes[i] += 1
    return [lo + int(s) for s in sizes]


def _punkt_in(poly: shapely.Geometry, rng: np.random.Generator) -> shapely.Point:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(10_000):
        p = shapely.Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()  # pragma: no cover - slivers only


def _gemeinde_flaechen(
    outline: shapely.Geometry, n: int, rng: np.random.Generator
) -> list[shapely.Geometry]:
    """``n`` Gemeinden partitioning ``outline``: Voronoi cells of random points, clipped."""
    if n == 1:
        return [outline]
    for _ in range(20):
        pts = [_punkt_in(outline, rng) for _ in range(n)]
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=outline)
        )
        out = []
        for p in pts:
            cell = next(c for c in cells if c.contains(p))
            out.append(shapely.intersection(cell, outline))
        if all(
            not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon") and g.area > 1e5
            for g in out
        ):
            return out
    raise RuntimeError(f"{n} Gemeinden passen nicht in den Kreis")  # pragma: no cover


def _auf_meter(flaechen: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """The polygons with whole-metre vertices, still without overlaps or gaps.

    Rounding each polygon on its own would move a shared border differently on
    either side; instead all borders are noded together on the 1 m grid,
    polygonized, and each face goes to the polygon that covers most of it.
    """
    linien = shapely.union_all(shapely.boundary(flaechen), grid_size=1.0)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(linien)))
    tree = shapely.STRtree(flaechen)
    teile: list[list[shapely.Geometry]] = [[] for _ in flaechen]
    for face in faces:
        kandidaten = tree.query(face, predicate="intersects")
        if len(kandidaten) == 0:  # pragma: no cover - a hole of the layout
            continue
        flaeche = shapely.area(shapely.intersection(np.asarray(flaechen)[kandidaten], face))
        teile[int(kandidaten[int(np.argmax(flaeche))])].append(face)
    return [shapely.union_all(t, grid_size=1.0) for t in teile]


def _namen(rng: np.random.Generator, n_kreise: int, n_orte: int) -> tuple[list[str], list[str]]:
    """Distinct fictional stems: ``n_kreise`` Kreis stems and ``n_orte`` place names."""
    kreis = [a + b for a in _STAMM for b in _LAND]
    orte = [a + m + b for a in _SILBE for m in _BINDUNG for b in _ORT]
    kreis = [kreis[i] for i in rng.permutation(len(kreis))]
    orte = [orte[i] for i in rng.permutation(len(orte))]

    def take(pool: list[str], k: int) -> list[str]:
        return [
            pool[i % len(pool)] + ("" if i < len(pool) else f" {i // len(pool) + 1}")
            for i in range(k)
        ]

    return take(kreis, n_kreise), take(orte, n_orte)


def _layout(kreise: int, gemeinden: int, kreisfreie: int, rng: np.random.Generator) -> list[_Kreis]:
    n_cells = max(kreise, ZELLEN_JE_KREIS * kreise)
    cells = voronoi_coverage(n_cells, NRW_BOUNDS, int(rng.integers(2**31)))
    cells = [shapely.set_precision(c, 1.0) for c in cells]
    kreisfrei = [False] * kreise
    for i in rng.choice(kreise, size=kreisfreie, replace=False):
        kreisfrei[int(i)] = True
    regions = _regionen(cells, kreise, kreisfrei, rng)
    outlines = [shapely.union_all([cells[c] for c in reg], grid_size=1.0) for reg in regions]
    # larger Kreise get more Gemeinden
    landkreise = [i for i in range(kreise) if not kreisfrei[i]]
    sizes = sorted(_groessen(len(landkreise), gemeinden - kreisfreie, rng))
    by_area = sorted(landkreise, key=lambda i: outlines[i].area)
    n_gem = dict.fromkeys(range(kreise), 1)
    n_gem.update(zip(by_area, sizes, strict=True))
    # Kreisschlüssel from north-west to south-east, as NRW numbers roughly
    order = sorted(
        range(kreise), key=lambda i: (-round(outlines[i].centroid.y, -4), outlines[i].centroid.x)
    )
    out, nk, nf = [], 0, 0
    for i in order:
        if kreisfrei[i]:
            nf += 1
            key = f"058{nf:02d}"
        else:
            nk += 1
            key = f"059{nk:02d}"
        out.append(_Kreis(i, kreisfrei[i], key, "", outlines[i], n_gem[i]))
    return out


# --------------------------------------------------------------------------- writing
def _einwohner(kreis: _Kreis, n: int, rng: np.random.Generator) -> np.ndarray:
    if kreis.kreisfrei:
        return np.array([int(np.clip(rng.lognormal(12.5, 0.6), 100_000, 1_100_000))])
    ew = np.clip(rng.lognormal(9.85, 0.7, size=n), 2_000, 200_000)
    ew[0] = max(ew) * 1.5  # the Kreisstadt
    return np.round(ew, -2).astype(int)


def _angebote(
    kreis: _Kreis,
    ags: list[str],
    namen: list[str],
    flaechen: list[shapely.Geometry],
    einwohner: np.ndarray,
    personen: float,
    rng: np.random.Generator,
) -> list[list[str]]:
    n = int(np.clip(round(personen / PERSONEN_JE_ANGEBOT), 8, 400))
    typ_w = np.array([t[6] for t in ANGEBOTSTYPEN], dtype=float)
    typ_w /= typ_w.sum()
    ort_w = einwohner.astype(float) ** 1.3
    ort_w /= ort_w.sum()
    inner = [f.buffer(-500) for f in flaechen]
    rows = []
    for k in range(n):
        hf, linie, traeger, duldung, gestattung, plaetze, _ = ANGEBOTSTYPEN[
            int(rng.choice(len(ANGEBOTSTYPEN), p=typ_w))
        ]
        i = int(rng.choice(len(ags), p=ort_w))
        p = _punkt_in(inner[i] if not inner[i].is_empty else flaechen[i], rng)
        lat, lon = nach_wgs84(p.x, p.y)
        aufsuchend = hf in ("Coaching", "Aufenthaltsrecht") and rng.random() < 0.35
        einzugsgebiet = ""
        if aufsuchend and len(ags) > 1:
            others = rng.choice(len(ags), size=min(3, len(ags)), replace=False)
            einzugsgebiet = ",".join(ags[int(j)] for j in sorted({i, *others.tolist()}))
        lat_s, lon_s = de_zahl(lat, 5), de_zahl(lon, 5)
        if rng.random() < 0.08:
            lat_s, lon_s = "", ""  # only the Gemeinde is known
        alter_min, alter_max = (16, 27) if rng.random() < 0.7 else (18, 25)
        rows.append(
            [
                f"A{k + 1:03d}",
                f"{hf} {namen[i]} {k + 1}",
                traeger.format(k=kreis.stamm),
                hf,
                linie,
                ja_nein(duldung),
                ja_nein(gestattung),
                str(alter_min),
                str(alter_max),
                str(int(plaetze * rng.uniform(1.5, 3.5))),
                lat_s,
                lon_s,
                "",
                ags[i],
                ja_nein(aufsuchend),
                einzugsgebiet,
                "01.01.2020" if rng.random() < 0.8 else "01.09.2020",
                "" if rng.random() < 0.85 else "30.06.2021",
            ]
        )
    return rows


def _schreibe_kreis(
    ordner: Path,
    kreis: _Kreis,
    orte: list[str],
    flaechen: list[shapely.Geometry],
    mit_faellen: bool,
    rng: np.random.Generator,
) -> Path:
    folder = ordner / slug(kreis.name)
    folder.mkdir(parents=True, exist_ok=True)
    n = kreis.n_gemeinden
    if kreis.kreisfrei:
        ags, namen = [f"{kreis.schluessel}000"], [kreis.stamm]
    else:
        step = 4 if n <= 249 else 1
        ags = [f"{kreis.schluessel}{step * (i + 1):03d}" for i in range(n)]
        namen = orte[:n]
    einwohner = _einwohner(kreis, n, rng)
    features = [
        geojson_feature({"ags": a, "name": nm, "einwohner": int(ew)}, f)
        for a, nm, ew, f in zip(ags, namen, einwohner, flaechen, strict=True)
    ]
    (folder / "gebiete.geojson").write_text(gebiete_geojson(features), encoding="utf-8")

    # target group: rate per inhabitant, more in the larger towns, noise per Gemeinde
    gewichte = einwohner * rng.lognormal(0.0, 0.35, size=n) * (1 + 0.5 * (einwohner > 50_000))
    gewichte = gewichte / gewichte.sum()
    basis = float(einwohner.sum())
    summen = {s: r * basis * float(rng.uniform(0.7, 1.3)) for s, r in RATE.items()}
    schreibe_csv(
        folder / "zielgruppe.csv",
        KOPF_ZIELGRUPPE,
        zielgruppe_zeilen(rng, ags, gewichte, summen, WACHSTUM, STICHTAGE),
        "utf-8-sig",
    )
    personen = sum(summen.values())
    schreibe_csv(
        folder / "angebote.csv",
        KOPF_ANGEBOTE,
        _angebote(kreis, ags, namen, flaechen, einwohner, personen, rng),
        "utf-8-sig",
    )
    kommunen = []
    for i, a in enumerate(ags):
        if i == 0 or rng.random() < 0.08:  # the Kreisstadt and a few others have a GS
            kommunen.append(
                [
                    a,
                    ja_nein(i == 0 or kreis.kreisfrei),
                    ja_nein(bool(rng.random() < 0.3)),
                    de_zahl(float(rng.choice([0.5, 1.0, 1.5, 2.0])), 1),
                    "31.12.2019",
                ]
            )
    schreibe_csv(folder / "kommunen.csv", KOPF_KOMMUNEN, kommunen, "utf-8-sig")
    if mit_faellen:
        fall_w = gewichte**1.2
        faelle, bedarfe = faelle_zeilen(
            rng, ags, fall_w / fall_w.sum(), max(3, int(rng.poisson(FAELLE_ANTEIL * personen)))
        )
        schreibe_csv(folder / "faelle.csv", KOPF_FAELLE, faelle, "utf-8")
        schreibe_csv(folder / "bedarfe.csv", KOPF_BEDARFE, bedarfe, "utf-8")
    annahmen = (
        f"# Annahmen für {kreis.name}: synthetisch erzeugt (thm beispiel-land), alles erfunden.\n"
        "kreis:\n"
        f'  name: "{kreis.name}"\n'
        f'  ags: "{kreis.schluessel}"\n'
        f"  stichtag: {STICHTAG}\n"
        "karten:\n"
        '  quellenangabe: "Gebiete: synthetisches Land (fiktiv)"\n'
    )
    (folder / "annahmen.yaml").write_text(annahmen, encoding="utf-8")
    return folder


def schreibe_land(
    ordner: Path,
    *,
    kreise: int = 53,
    gemeinden: int = 396,
    kreisfreie: int = 22,
    seed: int = 2026,
    faelle: bool = True,
) -> list[Path]:
    """Write a synthetic Land: one Arbeitsmappe folder per Kreis and kreisfreie Stadt.

    Parameters
    ----------
    ordner : Path
        Target folder (created); each Kreis goes into ``ordner/<slug>/``, e.g.
        ``kreis_nordheide_fiktiv``. Files there are overwritten.
    kreise : int
        Kreise and kreisfreie Städte together (NRW: 53).
    gemeinden : int
        Gemeinden in all, the kreisfreie Städte included (NRW: 396).
    kreisfreie : int
        Kreisfreie Städte, each one Gemeinde with an AGS ending in ``000`` (NRW: 22).
    seed : int
        Random seed; equal arguments write byte-identical files.
    faelle : bool
        Write case records (``faelle.csv``, ``bedarfe.csv``) for most Kreise
        (about 80 %; with two or more Kreise at least one has none).

    Returns
    -------
    list of Path
        The Arbeitsmappen in the order of their Kreisschlüssel.

    Raises
    ------
    ValueError
        If the sizes are impossible (German message, see :func:`pruefe_argumente`).
    """
    pruefe_argumente(kreise, gemeinden, kreisfreie)
    root = np.random.SeedSequence(seed)
    layout_seq, namen_seq, *kreis_seqs = root.spawn(2 + kreise)
    layout = _layout(kreise, gemeinden, kreisfreie, np.random.default_rng(layout_seq))
    layout.sort(key=lambda k: k.schluessel)
    namen_rng = np.random.default_rng(namen_seq)
    stems, orte = _namen(namen_rng, kreise - kreisfreie, gemeinden)
    for kreis in layout:  # a kreisfreie Stadt is named like a place, a Kreis like a landscape
        kreis.stamm = orte.pop() if kreis.kreisfrei else stems.pop()
    mit = namen_rng.random(kreise) < ANTEIL_MIT_FAELLEN
    if faelle and kreise >= 2:
        if mit.all():
            mit[int(namen_rng.integers(kreise))] = False
        if not mit.any():
            mit[int(namen_rng.integers(kreise))] = True
    rngs = [np.random.default_rng(seq) for seq in kreis_seqs]
    flaechen = [
        _gemeinde_flaechen(k.outline, k.n_gemeinden, r) for k, r in zip(layout, rngs, strict=True)
    ]
    alle = _auf_meter([f for fl in flaechen for f in fl])
    out, start, ende = [], 0, 0
    for kreis, rng, fl in zip(layout, rngs, flaechen, strict=True):
        eigene_flaechen, ende = alle[ende : ende + len(fl)], ende + len(fl)
        n = 0 if kreis.kreisfrei else kreis.n_gemeinden
        eigene = orte[start : start + n]
        start += n
        out.append(
            _schreibe_kreis(
                Path(ordner),
                kreis,
                eigene,
                eigene_flaechen,
                faelle and bool(mit[len(out)]),
                rng,
            )
        )
    return out
