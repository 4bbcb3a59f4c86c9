"""The validated Arbeitsmappe: typed tables plus configuration."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from thm_lib.core.settings import Annahmen

CRS_METRIC = "EPSG:25832"
CRS_WEB = "EPSG:4326"


def angebote_fuer(angebote: pd.DataFrame, ags: str) -> pd.Series:
    """True for offers that stand in Gemeinde ``ags`` or list it in their ``einzugsgebiet``."""
    return (angebote["ags"] == ags) | angebote["einzugsgebiet"].map(lambda e: ags in e)


@dataclass(frozen=True)
class Workspace:
    """All inputs of one Kreis, validated and typed (see ``docs/datenmodell.md``).

    Attributes
    ----------
    name : str
        Name of the Kreis (``annahmen.kreis.name`` or the folder name).
    folder : Path
        The Arbeitsmappe folder the data came from.
    gebiete : geopandas.GeoDataFrame
        One row per Gemeinde: ``ags`` (8-digit str), ``name``, ``einwohner``
        (Int64, may be NA), ``plz`` (tuple of str), geometry in EPSG:25832.
    zielgruppe : pandas.DataFrame or None
        ``ags``, ``stichtag`` (datetime64), ``status``, ``alter`` (Int64, NA for
        bands), ``alter_von``, ``alter_bis`` (int), ``geschlecht``, ``anzahl``
        (Int64; NA where the source had a statistics placeholder). None only in
        the public part an app holds (:func:`thm_lib.apps.paket_bauen.oeffentlich`).
    angebote : geopandas.GeoDataFrame
        The offer inventory; ``einzugsgebiet`` is a tuple of AGS,
        ``standort_quelle`` says where the point came from (``koordinaten``,
        ``plz``, ``gemeinde``); ``beginn``/``ende`` NaT mean open-ended;
        geometry: points in EPSG:25832.
    annahmen : Annahmen
        Merged, checked assumptions (defaults of :class:`thm_lib.core.settings.Annahmen`
        + user file).
    programm : dict
        The validated funding programme (``programm.yaml`` or the THM default).
    faelle : pandas.DataFrame or None
        Case records (pseudonymised), internal only.
    bedarfe : pandas.DataFrame or None
        Needs per case in long form: ``fall_id``, ``handlungsfeld``, ``ergebnis``.
    reisezeiten : pandas.DataFrame or None
        ``ags``, ``angebot_id``, ``minuten``.
    feinraster : geopandas.GeoDataFrame or None
        Optional finer population layer (``ags``, ``einwohner``, geometry in
        EPSG:25832) for population-weighted Gemeinde points.
    kommunen : pandas.DataFrame
        Per Gemeinde: ``ags``, ``geschaeftsfuehrende_stelle``,
        ``haushaltssicherung`` (bool), ``stellen_bestand`` (float, NaN = unknown),
        ``stichtag_erstantrag`` (datetime64, NaT = unknown).
    warnungen : tuple of str
        German warnings raised while loading (placeholders, fallbacks).
    """

    name: str
    folder: Path
    gebiete: gpd.GeoDataFrame
    zielgruppe: pd.DataFrame | None
    angebote: gpd.GeoDataFrame
    annahmen: Annahmen
    programm: dict[str, Any]
    kommunen: pd.DataFrame
    faelle: pd.DataFrame | None = None
    bedarfe: pd.DataFrame | None = None
    reisezeiten: pd.DataFrame | None = None
    feinraster: gpd.GeoDataFrame | None = None
    warnungen: tuple[str, ...] = field(default=())
    kommune: str | None = None

    @property
    def stichtag(self) -> pd.Timestamp:
        """The analysis reference date: configured, else the latest in ``zielgruppe``."""
        configured = self.annahmen.kreis.stichtag
        if configured:
            return pd.Timestamp(configured)
        return pd.Timestamp(self.zielgruppe["stichtag"].max())

    @property
    def kreisschluessel(self) -> str:
        """The Kreis's five-digit key, for the Land run and the results bundle.

        ``kreis.ags`` of the annahmen when it has five digits; else the first five
        digits every Gemeinde's AGS shares, if they begin with what ``kreis.ags`` gives
        (a Kreis without ``annahmen.yaml``, or with only the Land's "05"); else what
        ``kreis.ags`` gives, possibly empty. A kreisfreie Stadt ``05315000`` without
        ``kreis.ags`` has the key ``05315``. Round 2, session 56: the Land index showed
        "None" for a Kreis without the key and headed the Land "Mehrere Länder".
        """
        eigener = str(self.annahmen.kreis.ags or "")
        if len(eigener) == 5:
            return eigener
        anfaenge = {str(a)[:5] for a in self.gebiete["ags"]}
        if len(anfaenge) == 1:
            (anfang,) = anfaenge
            if len(anfang) == 5 and anfang.startswith(eigener):
                return anfang
        return eigener

    @property
    def handlungsfelder(self) -> list[str]:
        """The configured fields of action, in order."""
        return list(self.annahmen.handlungsfelder)

    def gemeinde_name(self, ags: str) -> str:
        """Return the name of the Gemeinde ``ags``."""
        return str(self.gebiete.loc[self.gebiete["ags"] == ags, "name"].iloc[0])

    def for_kommune(self, ags: str) -> Workspace:
        """Return the same structure limited to one Gemeinde.

        Offers are kept when they stand in the Gemeinde or list it in their
        ``einzugsgebiet``. For spatial access (which crosses borders), compute
        on the whole Kreis and filter the result instead.

        Raises
        ------
        KeyError
            If ``ags`` is not a Gemeinde of this Workspace.
        """
        ags = str(ags)
        if ags not in set(self.gebiete["ags"]):
            raise KeyError(f"Gemeinde {ags} gibt es in '{self.name}' nicht")
        ang = self.angebote
        keep = angebote_fuer(ang, ags)
        faelle = bedarfe = None
        if self.faelle is not None:
            faelle = self.faelle[self.faelle["ags"] == ags].reset_index(drop=True)
            if self.bedarfe is not None:
                ids = set(faelle["fall_id"])
                bedarfe = self.bedarfe[self.bedarfe["fall_id"].isin(ids)].reset_index(drop=True)
        reisezeiten = None
        if self.reisezeiten is not None:
            reisezeiten = self.reisezeiten[self.reisezeiten["ags"] == ags].reset_index(drop=True)
        annahmen = self.annahmen
        if not annahmen.kreis.stichtag:
            # the Stichtag is the Kreis's, also where this Gemeinde's counts stop earlier
            kreis = annahmen.kreis.model_copy(update={"stichtag": self.stichtag.date()})
            annahmen = annahmen.model_copy(update={"kreis": kreis})
        return replace(
            self,
            annahmen=annahmen,
            gebiete=self.gebiete[self.gebiete["ags"] == ags].reset_index(drop=True),
            zielgruppe=None
            if self.zielgruppe is None
            else self.zielgruppe[self.zielgruppe["ags"] == ags].reset_index(drop=True),
            angebote=ang[keep].reset_index(drop=True),
            kommunen=self.kommunen[self.kommunen["ags"] == ags].reset_index(drop=True),
            faelle=faelle,
            bedarfe=bedarfe,
            reisezeiten=reisezeiten,
            feinraster=None
            if self.feinraster is None
            else self.feinraster[self.feinraster["ags"] == ags].reset_index(drop=True),
            kommune=ags,
        )

    def _repr_html_(self) -> str:
        rows = [
            ("Kreis", self.name),
            ("Gemeinden", len(self.gebiete)),
            ("Stichtag", self.stichtag.strftime("%d.%m.%Y")),
            ("Zielgruppe (Zeilen)", len(self.zielgruppe)),
            ("Angebote", len(self.angebote)),
            ("Fälle", "–" if self.faelle is None else len(self.faelle)),
            ("Warnungen", len(self.warnungen)),
        ]
        body = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"
