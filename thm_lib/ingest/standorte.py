"""Where the offers are: a point for every offer, from coordinates, PLZ or Gemeinde.

Coordinates (WGS84) win; an offer without them gets its PLZ's or its Gemeinde's
point, and the planner is told how many. Coordinates outside the Kreis are errors
with the row, except just beyond the border (up to :data:`PUFFER_KM`: an offer in
the neighbouring town), which is kept with a warning. Such an offer may name its
Gemeinde's key (:func:`gemeinden_anderer_kreise`).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from thm_lib.core.errors import ProblemCollector, zeilen_text
from thm_lib.core.workspace import CRS_METRIC, CRS_WEB
from thm_lib.ingest.columns import normalise_plz
from thm_lib.ingest.tables import datei_von


def locate_offers(
    angebote: pd.DataFrame,
    gebiete: gpd.GeoDataFrame,
    problems: ProblemCollector,
    warnings: list[str],
    nachbarorte: pd.Index | None = None,
) -> gpd.GeoDataFrame:
    """Give every offer a point in EPSG:25832: coordinates, else PLZ, else Gemeinde.

    ``nachbarorte`` are offers known to lie in a neighbouring town
    (:func:`gemeinden_anderer_kreise`): no warning that they lie outside the Kreis.
    """
    points = gebiete.set_index("ags").geometry.representative_point()
    plz_to_ags = {
        plz: ags for ags, plzs in zip(gebiete["ags"], gebiete["plz"], strict=True) for plz in plzs
    }
    angebote["plz"] = pd.Series(
        [None if pd.isna(v) else normalise_plz(str(v)) for v in angebote["plz"]],
        index=angebote.index,
        dtype=object,
    )
    has_xy = angebote["lat"].notna() & angebote["lon"].notna()
    half = angebote["lat"].notna() ^ angebote["lon"].notna()
    for zeile in angebote.loc[half, "_zeile"]:
        problems.add(
            datei_von(angebote),
            "nur eine der beiden Koordinaten angegeben",
            "Bitte lat und lon beide eintragen oder beide leer lassen",
            zeile=int(zeile),
            spalte="lat",
        )
    xy = _punkte(angebote)
    _check_outside(angebote, xy, has_xy, gebiete, problems, warnings, nachbarorte)
    geometry, quelle, ags_out = [], [], []
    fallback: dict[str, list[str]] = {"plz": [], "gemeinde": []}
    for i, row in angebote.iterrows():
        if has_xy[i]:
            geometry.append(xy[i])
            quelle.append("koordinaten")
            ags_out.append(row["ags"])
        elif not pd.isna(row["plz"]) and row["plz"] in plz_to_ags:
            ags = plz_to_ags[row["plz"]]
            geometry.append(points[ags])
            quelle.append("plz")
            ags_out.append(ags if pd.isna(row["ags"]) else row["ags"])
            fallback["plz"].append(str(row["angebot_id"]))
        elif not pd.isna(row["ags"]):
            geometry.append(points[row["ags"]])
            quelle.append("gemeinde")
            ags_out.append(row["ags"])
            fallback["gemeinde"].append(str(row["angebot_id"]))
        else:
            _ohne_standort(row, datei_von(angebote), problems)
            geometry.append(None)
            quelle.append(None)
            ags_out.append(None)
    for kind, ids in fallback.items():
        if ids:
            via = "Postleitzahl" if kind == "plz" else "Gemeinde (AGS)"
            warnings.append(
                f"{datei_von(angebote)}: "
                + (
                    "1 Angebot ohne Koordinaten wird"
                    if len(ids) == 1
                    else f"{len(ids)} Angebote ohne Koordinaten werden"
                )
                + f" über die {via} in die Mitte der Gemeinde gelegt: "
                f"{', '.join(ids[:10])}"
                + (" …" if len(ids) > 10 else "")
                + ". Entfernungen sind dort "
                "ungenauer."
            )
    out = gpd.GeoDataFrame(angebote.drop(columns="_zeile"), geometry=geometry, crs=CRS_METRIC)
    out["standort_quelle"] = quelle
    out["ags"] = ags_out
    out["aufsuchend"] = out["aufsuchend"].fillna(False).astype(bool)
    _assign_ags_by_location(out, gebiete)
    _check_ags_am_ort(out, angebote["_zeile"], gebiete, datei_von(angebote), warnings)
    return out.reset_index(drop=True)


def _punkte(angebote: pd.DataFrame) -> gpd.GeoSeries:
    """The offers' coordinates (``lat``/``lon``, WGS84) as points in EPSG:25832 (missing: empty)."""
    return gpd.GeoSeries(
        gpd.points_from_xy(angebote["lon"], angebote["lat"]), crs=CRS_WEB, index=angebote.index
    ).to_crs(CRS_METRIC)


def gemeinden_anderer_kreise(
    angebote: pd.DataFrame,
    gebiete: gpd.GeoDataFrame,
    problems: ProblemCollector,
    warnings: list[str],
) -> pd.Index:
    """Offers whose ``ags`` is a Gemeinde of another Kreis: an offer in the neighbouring town.

    An office knows the key of the town next door and writes it down; it was refused as
    "Gemeindeschlüssel gibt es in 'gebiete' nicht" with the advice to add that town to
    the Kreis. Now such an offer counts by its coordinates (checked like any point
    outside the Kreis by :func:`locate_offers`) and belongs to no Gemeinde of the Kreis:
    its ``ags`` is emptied here, in the table as read (the file stays as it is), with a
    warning. Without coordinates it cannot be placed, and coordinates inside the Kreis
    contradict the key: both are problems with the row. A key of the Kreis itself that
    is not in ``gebiete`` stays an error of :func:`~thm_lib.ingest.pruefungen.cross_checks`.

    Returns
    -------
    pandas.Index
        The offers counted this way, for :func:`locate_offers` (their key says where
        they are: no second warning about their distance from the Kreis).
    """
    kreise = {str(a)[:5] for a in gebiete["ags"]}
    ags = angebote["ags"]
    fremd = ags.notna() & ~ags.astype(str).str[:5].isin(kreise)
    if not fremd.any():
        return angebote.index[fremd]
    datei = datei_von(angebote)
    has_xy = angebote["lat"].notna() & angebote["lon"].notna()
    im_kreis = has_xy & _punkte(angebote).within(gebiete.geometry.union_all())
    fehler = (
        (
            fremd & ~has_xy,
            "Gemeindeschlüssel einer Gemeinde außerhalb des Kreises, aber keine Koordinaten",
            "Für ein Angebot außerhalb des Kreises bitte lat und lon eintragen (daraus werden "
            "die Entfernungen berechnet); sonst den AGS prüfen",
        ),
        (
            fremd & im_kreis,
            "Gemeindeschlüssel einer Gemeinde außerhalb des Kreises, die Koordinaten liegen "
            "aber im Kreis",
            "Bitte den AGS prüfen oder leer lassen (dann gilt die Gemeinde, in der die "
            "Koordinaten liegen)",
        ),
    )
    for maske, meldung, hinweis in fehler:
        for i in angebote.index[maske]:
            problems.add(
                datei,
                meldung,
                hinweis,
                zeile=int(angebote.at[i, "_zeile"]),
                spalte="ags",
                wert=ags[i],
            )
    draussen = fremd & has_xy & ~im_kreis
    if draussen.any():
        zeilen = zeilen_text(int(z) for z in angebote.loc[draussen, "_zeile"])
        n = int(draussen.sum())
        warnings.append(
            f"{datei}: {n} {'Angebot' if n == 1 else 'Angebote'} mit dem Gemeindeschlüssel "
            f"einer Gemeinde außerhalb des Kreises ({zeilen}) "
            f"{'wird' if n == 1 else 'werden'} über die Koordinaten mitgerechnet und keiner "
            "Gemeinde des Kreises zugeordnet."
        )
    angebote.loc[fremd, "ags"] = None  # reported above; no second "unbekannter AGS"
    return angebote.index[draussen]


#: Offers up to this far outside the Kreis are plausible (an offer in a neighbouring town).
PUFFER_KM = 30
#: A point this far beyond its Gemeinde's border still counts as lying in it.
AGS_TOLERANZ_M = 500


def _deg(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".").replace(".", ",")


def _check_outside(
    angebote: pd.DataFrame,
    xy: gpd.GeoSeries,
    has_xy: pd.Series,
    gebiete: gpd.GeoDataFrame,
    problems: ProblemCollector,
    warnings: list[str],
    nachbarorte: pd.Index | None = None,
) -> None:
    """Report offers whose coordinates lie outside the Kreis.

    Up to :data:`PUFFER_KM` outside: a warning (they are counted), except for the
    ``nachbarorte``, which were announced already. Further: a problem, with the hint
    "Breite und Länge vertauscht?" when the swapped coordinates lie in or near the Kreis.
    """
    if not has_xy.any():
        return
    kreis = gebiete.geometry.union_all()
    nah = kreis.buffer(PUFFER_KM * 1000)
    distanz = xy[has_xy].distance(kreis)
    aussen = distanz[distanz > 0]
    if aussen.empty:
        return
    rows = angebote.loc[aussen.index]
    swapped = gpd.GeoSeries(
        gpd.points_from_xy(rows["lat"], rows["lon"]), crs=CRS_WEB, index=rows.index
    ).to_crs(CRS_METRIC)
    datei = datei_von(angebote)
    nah_zeilen = []
    for i, km in (aussen / 1000).items():
        zeile = int(angebote.at[i, "_zeile"])
        wert = f"lat={_deg(angebote.at[i, 'lat'])}, lon={_deg(angebote.at[i, 'lon'])}"
        if km <= PUFFER_KM:
            if nachbarorte is None or i not in nachbarorte:
                nah_zeilen.append(zeile)
        elif swapped[i].within(nah):
            problems.add(
                datei,
                "Standort liegt außerhalb des Kreises; mit vertauschten "
                "Koordinaten läge er im Kreis",
                "Breite und Länge vertauscht? lat ist "
                "die Breite (in NRW etwa 50,3 bis 52,5), lon die Länge (etwa 5,9 bis "
                "9,5)",
                zeile=zeile,
                spalte="lat",
                wert=wert,
            )
        else:
            problems.add(
                datei,
                f"Standort liegt mehr als {PUFFER_KM} km außerhalb des Kreises",
                "Bitte lat und lon prüfen (Breite und Länge vertauscht? "
                "Komma verrutscht?); ein so weit entferntes Angebot bitte aus der "
                "Liste nehmen",
                zeile=zeile,
                spalte="lat",
                wert=wert,
            )
    if nah_zeilen:
        n = len(nah_zeilen)
        warnings.append(
            f"{datei}: {n} {'Angebot liegt' if n == 1 else 'Angebote liegen'} außerhalb "
            f"des Kreises, aber höchstens {PUFFER_KM} km entfernt ({zeilen_text(nah_zeilen)}); "
            f"{'es wird' if n == 1 else 'sie werden'} mitgerechnet. Bitte prüfen, ob die "
            "Koordinaten stimmen."
        )


def _check_ags_am_ort(
    angebote: gpd.GeoDataFrame,
    zeilen: pd.Series,
    gebiete: gpd.GeoDataFrame,
    datei: str,
    warnings: list[str],
) -> None:
    """Warn about offers whose coordinates lie in another Gemeinde than their ``ags``.

    The ``ags`` decides where an offer counts; the point, how far it is. Points up to
    :data:`AGS_TOLERANZ_M` beyond their Gemeinde's border are not reported (coordinates
    taken from a map are that imprecise), nor points outside the Kreis (reported by
    :func:`_check_outside`).
    """
    flaechen = gebiete.set_index("ags").geometry
    mit_xy = angebote[
        (angebote["standort_quelle"] == "koordinaten") & angebote["ags"].isin(flaechen.index)
    ]
    if mit_xy.empty:
        return
    eigene = gpd.GeoSeries(
        flaechen.loc[mit_xy["ags"]].to_numpy(), index=mit_xy.index, crs=gebiete.crs
    )
    weit = mit_xy[mit_xy.geometry.distance(eigene) > AGS_TOLERANZ_M]
    if weit.empty:
        return
    lage = gpd.sjoin(weit[["geometry"]], gebiete[["ags", "name", "geometry"]], predicate="within")
    lage = lage[~lage.index.duplicated()]
    namen = gebiete.set_index("ags")["name"]
    teile = [
        f"Zeile {int(zeilen[i])} ({angebote.at[i, 'angebot_id']}: AGS {angebote.at[i, 'ags']} "
        f"{namen[angebote.at[i, 'ags']]}, Koordinaten in {r['name']})"
        for i, r in lage.iterrows()
    ]
    if teile:
        warnings.append(
            f"{datei}: Koordinaten und AGS nennen verschiedene Gemeinden: "
            f"{'; '.join(teile)}. Gezählt wird das Angebot in der Gemeinde seines AGS, "
            "Entfernungen gelten ab den Koordinaten. Bitte beides prüfen."
        )


def _assign_ags_by_location(angebote: gpd.GeoDataFrame, gebiete: gpd.GeoDataFrame) -> None:
    """Fill a missing ``ags`` from the Gemeinde the point lies in (NA when outside)."""
    missing = angebote["ags"].isna() & angebote.geometry.notna()
    if not missing.any():
        return
    joined = gpd.sjoin(
        angebote.loc[missing, ["geometry"]],
        gebiete[["ags", "geometry"]],
        how="left",
        predicate="within",
    )
    joined = joined[~joined.index.duplicated()]
    angebote.loc[missing, "ags"] = joined["ags"].where(joined["ags"].notna(), None)


def _ohne_standort(row: pd.Series, datei: str, problems: ProblemCollector) -> None:
    """Report an offer without a place: its unknown PLZ if it has one."""
    if pd.isna(row["plz"]):
        problems.add(
            datei,
            "Standort fehlt (weder lat/lon noch bekannte PLZ noch AGS)",
            "Bitte Koordinaten oder den AGS der Gemeinde eintragen",
            zeile=int(row["_zeile"]),
            spalte="lat",
        )
        return
    problems.add(
        datei,
        "Standort fehlt: die Postleitzahl gehört zu keiner Gemeinde in 'gebiete', "
        "und weder lat/lon noch AGS sind angegeben",
        "Liegt das Angebot außerhalb des Kreises, bitte Koordinaten eintragen; "
        "sonst die Postleitzahl prüfen oder den AGS der Gemeinde eintragen",
        zeile=int(row["_zeile"]),
        spalte="plz",
        wert=row["plz"],
    )
