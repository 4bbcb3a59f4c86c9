"""Differenzprüfung: move hidden persons, and no published figure may change.

The audit of all outputs (:mod:`thm_lib.disclosure.audit`) solves for hidden
counts from every published table together, but it takes modelled figures
(Versorgungsgrad, fehlende Plätze, Lückenliste, Standortplanung, Stellen) as
given: they are not linear in the counts. Such a figure leaks when it follows
the persons of a hidden Gemeinde (the 2SFCA of a shown neighbour did, until
:mod:`thm_lib.disclosure.versorgung`).

This check tests that property directly on the Kreis. A *Verschiebung* moves
one person (same status, age and sex) from one Gemeinde to another, both
outside the Gemeinden whose modelled figures are shown; a *Tausch* moves one
person each way (other age, sex or status), so every Gemeinde keeps its
number of persons and the Kreis its age structure. A change is
*indistinguishable* when every published count table and every hiding pattern
stays the same; then every published figure must stay the same too, or a
reader could tell the two Kreise apart by a modelled figure. The check computes
every published figure for the true Kreis and for a few indistinguishable
changes (chosen at random from a fixed seed) and reports each figure
that differs.

What is compared (:func:`zaehlungen` and :func:`modellwerte`): the published
tables of the Kreis reports (:func:`thm_lib.run.buendel.berechnen`), the
published coverage of the shown Gemeinden, and the apps' published data
(Übersicht with map values and explanations, Stellen und Förderung, the
Standortplanung for every Handlungsfeld and Zugang with 1 and
:data:`~thm_lib.apps.standort.P_MAX` sites).

More kinds of change: an exchange of age band or sex between a shown Gemeinde
whose cell is or becomes small and a hidden one (what a shown Gemeinde's
figures reveal about its own ages and sexes; the cells rule (b) lets it reveal
count as published), a :class:`Bedarfstausch` (one documented need passes
between cases of two segments whose published rates stay the same; the counts
then include the published rates), and a :class:`Fallverschiebung` (a case
recorded in another Gemeinde, both without a shown case count), and a
:class:`Verschiebung` at an earlier Stichtag (:func:`frueher_kandidaten`: what the
trend and the count of the Erstantrag, from which the FAQ rule sizes the
positions, are taken from).

Written by hand: statistical disclosure control tools (sdcMicro, τ-ARGUS)
check tables, not a model's outputs; a difference test on our own publication
functions needs our own code.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass, replace
from multiprocessing import get_context
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis import coverage, needs, staffing, target_group
from thm_lib.apps.standort import StandortVorrat
from thm_lib.apps.stellen import StellenDaten
from thm_lib.apps.uebersicht import UebersichtDaten
from thm_lib.core.formats import anzahl, zahl
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.suppression import PublishedTable
from thm_lib.disclosure.versorgung import gezeigte_gemeinden, gezeigte_zellen, modellquoten
from thm_lib.publish import views
from thm_lib.run import buendel

Werte = dict[str, Any]
"""Published figures by path, e.g. ``"bericht/versorgung_matrix/Altstadt/Sprache"``."""

STANDORT_P = (1, 5)
"""Numbers of new sites whose Standortplanung is compared (the panel offers 1 to 5)."""


@dataclass(frozen=True)
class Verschiebung:
    """One person moved between two Gemeinden whose modelled figures are hidden.

    At each Gemeinde's own Stichtag (the count the analysis uses), or at the
    earlier ``stichtag`` given (:func:`frueher_kandidaten`).
    """

    von: str
    nach: str
    status: str
    alter: int
    geschlecht: str
    stichtag: pd.Timestamp | None = None

    @property
    def person(self) -> tuple[str, int, str]:
        """Who moves: status, age, sex."""
        return (self.status, self.alter, self.geschlecht)

    def text(self, namen: dict[str, str]) -> str:
        """German description, e.g. ``1 Person (duldung, 20 Jahre, w) von A nach B``."""
        am = "" if self.stichtag is None else f" am {self.stichtag:%d.%m.%Y}"
        return (
            f"1 Person ({self.status}, {self.alter} Jahre, {self.geschlecht}) von "
            f"{namen.get(self.von, self.von)} nach {namen.get(self.nach, self.nach)}{am}"
        )


@dataclass(frozen=True)
class Tausch:
    """Two such Gemeinden give each other one person (other age, sex or status).

    Every Gemeinde keeps its number of persons and the Kreis its age structure; only
    who lives where changes (with another status: the status cells of both).
    """

    hin: Verschiebung
    zurueck: Verschiebung

    def text(self, namen: dict[str, str]) -> str:
        """German description of both moves."""
        return f"{self.hin.text(namen)} und {self.zurueck.text(namen)}"


@dataclass(frozen=True)
class Bedarfstausch:
    """One documented need passes from one case to another of another segment.

    Both cases are consented cases of the target group; the first has a need in
    ``handlungsfeld``, the second has none there. Every Handlungsfeld keeps its
    number of needs; only the segment (status, Altersgruppe, Geschlecht) that has
    it changes, and with it the need rates of both segments.
    """

    handlungsfeld: str
    von_fall: str
    nach_fall: str
    von_segment: tuple[str, str, str]
    nach_segment: tuple[str, str, str]

    def text(self, namen: dict[str, str]) -> str:
        """German description by segments, never a pseudonym (``namen`` is not needed)."""
        von, nach = (", ".join(s) for s in (self.von_segment, self.nach_segment))
        return (
            f"1 dokumentierter Bedarf ({self.handlungsfeld}) wechselt von einem Fall ({von}) "
            f"zu einem Fall ({nach})"
        )


@dataclass(frozen=True)
class Fallverschiebung:
    """One case of the case documentation recorded in another Gemeinde.

    Both Gemeinden show none of their case counts in the Berichtswesen; the Kreis
    keeps every count, only where the case is recorded changes.
    """

    fall_id: str
    von: str
    nach: str
    segment: tuple[str, str, str]

    def text(self, namen: dict[str, str]) -> str:
        """German description by segment, never a pseudonym."""
        return (
            f"1 Fall ({', '.join(self.segment)}) von {namen.get(self.von, self.von)} nach "
            f"{namen.get(self.nach, self.nach)}"
        )


Aenderung = Verschiebung | Tausch | Bedarfstausch | Fallverschiebung
"""What :func:`pruefen` tries: a person moved, two exchanged, a need passed on, a case moved."""


@dataclass
class DifferenzErgebnis:
    """Outcome of :func:`pruefen`."""

    geprueft: list[Aenderung]
    """The indistinguishable changes whose published figures were compared."""
    unterscheidbar: int
    """Changes tried and dropped: a published count, rate or hiding pattern changed."""
    werte: int
    """Published figures compared per change."""
    befunde: list[str] = field(default_factory=list)
    """German findings: a change and the published figures it changed."""
    sekunden: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no published figure followed a hidden count."""
        return not self.befunde

    def zusammenfassung(self) -> str:
        """German summary for the CLI."""
        bedarfe = sum(isinstance(g, Bedarfstausch) for g in self.geprueft)
        faelle = sum(isinstance(g, Fallverschiebung) for g in self.geprueft)
        frueher = sum(isinstance(g, Verschiebung) and g.stichtag is not None for g in self.geprueft)
        personen = len(self.geprueft) - bedarfe - faelle - frueher
        aenderungen = anzahl(
            len(self.geprueft), "ununterscheidbare Änderung", "ununterscheidbare Änderungen"
        )
        kopf = (
            f"Differenzprüfung: {aenderungen} "
            f"({anzahl(personen, 'Verschiebung oder Tausch', 'Verschiebungen oder Tausche')} "
            f"verborgener Personen, {frueher} an früheren Stichtagen, "
            f"{anzahl(bedarfe, 'Tausch', 'Tausche')} dokumentierter Bedarfe, "
            f"{anzahl(faelle, 'Verschiebung', 'Verschiebungen')} von Fällen), "
            f"je {anzahl(self.werte, 'veröffentlichter Wert', 'veröffentlichte Werte')} "
            f"verglichen ({self.unterscheidbar} weitere verworfen, weil sich eine "
            f"veröffentlichte Zählung, Quote oder ein Sperrmuster änderte); "
            f"Dauer {zahl(self.sekunden, 1)} s."
        )
        if not self.geprueft:
            return (
                kopf + "\nErgebnis: nicht anwendbar – keine Verschiebung und kein Tausch "
                "zwischen zwei gesperrten Gemeinden, kein Tausch eines Bedarfs zwischen zwei "
                "Fällen und keine Verschiebung eines Falls lässt alle veröffentlichten Zählungen "
                "und Quoten gleich."
            )
        if self.ok:
            return kopf + "\nErgebnis: bestanden – kein veröffentlichter Wert hängt davon ab."
        zeilen = [
            kopf,
            f"Ergebnis: NICHT bestanden – {anzahl(len(self.befunde), 'Befund', 'Befunde')}:",
        ]
        return "\n".join(zeilen + [f"- {b}" for b in self.befunde])


# --------------------------------------------------------------------------- flattening


def _wert(v: Any) -> Any:
    """A comparable scalar: NaN as None, floats to 10 significant digits."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if math.isnan(v) else float(f"{v:.10g}")
    if v is None or isinstance(v, str | int | bool):
        return v
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def flach(obj: Any, pfad: str = "", out: Werte | None = None) -> Werte:
    """Every value inside ``obj`` by path (tables cell by cell, hidden cells as their mark).

    Parameters
    ----------
    obj
        A published table, DataFrame, Series, dataclass, dict, list or scalar.
    pfad
        Prefix of the paths.

    Returns
    -------
    dict
        Path → comparable scalar (:func:`_wert`).
    """
    out = {} if out is None else out
    if isinstance(obj, PublishedTable):
        obj = obj.published  # shown values and the marks of hidden cells
    if isinstance(obj, pd.DataFrame):
        if "geometry" in obj.columns:
            obj = pd.DataFrame(obj).assign(geometry=obj["geometry"].map(str))
        for i, zeile in zip(obj.index, obj.itertuples(index=False), strict=True):
            for spalte, v in zip(obj.columns, zeile, strict=True):
                out[f"{pfad}/{i}/{spalte}"] = _wert(v)
        out[f"{pfad}/#"] = (len(obj), tuple(map(str, obj.columns)))
    elif isinstance(obj, pd.Series):
        for i, v in obj.items():
            out[f"{pfad}/{i}"] = _wert(v)
        out[f"{pfad}/#"] = len(obj)
    elif is_dataclass(obj) and not isinstance(obj, type):
        for f in fields(obj):
            flach(getattr(obj, f.name), f"{pfad}/{f.name}", out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            flach(v, f"{pfad}/{_schluessel(k)}", out)
        out[f"{pfad}/#"] = len(obj)
    elif isinstance(obj, list | tuple):
        for k, v in enumerate(obj):
            flach(v, f"{pfad}/{k}", out)
        out[f"{pfad}/#"] = len(obj)
    else:
        out[pfad] = _wert(obj)
    return out


def _schluessel(k: Hashable) -> str:
    return "|".join(map(str, k)) if isinstance(k, tuple) else str(k)


# --------------------------------------------------------------------------- published figures


def veroeffentlichte_quoten(ws: Workspace) -> pd.DataFrame:
    """The need rates as the reports show them: rate, interval and source per segment.

    :func:`thm_lib.disclosure.versorgung.modellquoten` (the rates the published model
    uses are the published ones), without the case numbers ``k`` and ``n``.
    """
    spalten = ["handlungsfeld", *target_group.SEGMENT, "quote", "ki_unten", "ki_oben", "quelle"]
    return modellquoten(ws)[spalten]


def zaehlungen(ws: Workspace) -> Werte:
    """The published counts of the target group and every hiding pattern they decide.

    Two Kreise with equal :func:`zaehlungen` look the same in every published count.
    Counted as published also: the persons of each shown Gemeinde per Altersgruppe
    (and Geschlecht) where its figures may reveal them (:func:`gezeigte_zellen`,
    rule (b) of the layer: 0 or at least the threshold); and the table "Zielgruppe
    je Gemeinde" of every Stichtag, whose rows the trend of each Gemeinde shows.
    """
    bemessung = staffing.stellenbemessung(ws)
    tage = sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique())
    tabellen: dict[str, Any] = {
        "zielgruppe_je_gemeinde": views.zielgruppe_je_gemeinde(ws),
        "zielgruppe_je_stichtag": {
            f"{pd.Timestamp(t):%Y-%m-%d}": views.zielgruppe_je_gemeinde(ws, stichtag=t)
            for t in tage
        },
        "zielgruppe_struktur": views.zielgruppe_struktur(ws),
        "zielgruppe_verlauf": views.zielgruppe_verlauf(ws),
        "kennzahlen": views.kennzahlen_tabelle(ws),
        "personen": views.personen_tabelle(ws, bemessung),
        "gezeigt": sorted(gezeigte_gemeinden(ws)),
    }
    if ws.faelle is not None and len(ws.faelle):
        tabellen["berichtswesen"] = views.bericht_tabellen(ws)
        tabellen["bedarfsquoten"] = veroeffentlichte_quoten(ws)
    tabellen["gezeigte_zellen"] = gezeigte_zellen(ws)
    for feld in ws.handlungsfelder:
        tabellen[f"gezeigt_{feld}"] = sorted(gezeigte_gemeinden(ws, [feld]))
        tabellen[f"gezeigte_zellen_{feld}"] = gezeigte_zellen(ws, [feld])
    return flach(tabellen, "zaehlung")


def modellwerte(
    ws: Workspace,
    standort_p: tuple[int, ...] = STANDORT_P,
    standort_felder: tuple[str, ...] | None = None,
) -> Werte:
    """Every other published figure: the reports' tables and the apps' data.

    Parameters
    ----------
    ws : Workspace
        The whole Kreis.
    standort_p : tuple of int
        Numbers of new sites of the Standortplanungen compared (each with every Zugang).
    standort_felder : tuple of str, optional
        Handlungsfelder of the Standortplanungen compared (default: all).
    """
    stand = buendel.berechnen(ws)
    result = stand.result
    gesperrt = views.versorgung_gesperrt(ws, result)
    # the case evidence per Gemeinde is not published (only the Kreis's, "fallevidenz")
    gezeigt = result.gemeinden[~gesperrt.to_numpy()].drop(
        columns=coverage.EVIDENZ_COLUMNS, errors="ignore"
    )
    bericht: dict[str, Any] = {
        "versorgung_gezeigt": gezeigt.reset_index(drop=True),
        "versorgung_matrix": views.versorgung_matrix(ws, result),
        "lueckenliste": views.lueckenliste(ws, result),
        "stellen": views.stellen_tabelle(ws, stand.bemessung),
        "szenarien": views.szenarien_tabelle(ws),
    }
    if ws.faelle is not None and len(ws.faelle):
        bericht["fallevidenz"] = views.fallevidenz(ws)
    for feld in ws.handlungsfelder:
        for mass in ("versorgungsgrad", "fehlende_plaetze"):
            bericht[f"karte_{feld}_{mass}"] = views.karten_mass(ws, mass, feld, result)
    vorrat = StandortVorrat.rechnen(ws, result)
    felder = ws.handlungsfelder if standort_felder is None else standort_felder
    standort = {
        wahl: vorrat.ansicht(*wahl)
        for wahl in vorrat.wahlen()
        if wahl[0] in felder and wahl[1] in standort_p
    }
    apps = {
        "uebersicht": UebersichtDaten.build(ws, result),
        "stellen": StellenDaten.build(ws),
        "standort": standort,
    }
    return flach(bericht, "bericht") | flach(apps, "apps")


# --------------------------------------------------------------------------- moves


def verschieben(ws: Workspace, v: Aenderung) -> Workspace:
    """A copy of ``ws`` with the change ``v`` (``ws`` is not changed).

    Each Gemeinde's count of its own Stichtag changes (the one the analysis uses,
    :func:`thm_lib.analysis.target_group.stichtag_je_gemeinde`: a Gemeinde whose
    counts stop earlier changes its last count), or that of the Verschiebung's
    ``stichtag``.
    """
    if isinstance(v, Tausch):
        return verschieben(verschieben(ws, v.hin), v.zurueck)
    if isinstance(v, Fallverschiebung):
        faelle = ws.faelle.copy()
        faelle.loc[faelle["fall_id"].astype(str) == v.fall_id, "ags"] = v.nach
        return replace(ws, faelle=faelle)
    if isinstance(v, Bedarfstausch):
        bedarfe = ws.bedarfe.copy()
        zeile = (bedarfe["fall_id"].astype(str) == v.von_fall) & (
            bedarfe["handlungsfeld"] == v.handlungsfeld
        )
        bedarfe.loc[zeile, "fall_id"] = v.nach_fall
        return replace(ws, bedarfe=bedarfe)
    zg = ws.zielgruppe.copy()
    tag = target_group.stichtag_je_gemeinde(zg, ws.stichtag)
    tage = pd.to_datetime(zg["stichtag"])
    ags = zg["ags"].astype(str)
    gleich = (
        (zg["status"] == v.status)
        & (pd.to_numeric(zg["alter"], errors="coerce") == v.alter)
        & (zg["geschlecht"] == v.geschlecht)
    )
    von_tag, nach_tag = (tag[v.von], tag[v.nach]) if v.stichtag is None else (v.stichtag,) * 2
    quelle = gleich & (ags == v.von) & (tage == von_tag)
    ziel = gleich & (ags == v.nach) & (tage == nach_tag)
    i = zg.index[quelle & (zg["anzahl"] >= 1)][0]
    zg.loc[i, "anzahl"] -= 1
    if ziel.any():
        zg.loc[zg.index[ziel][0], "anzahl"] += 1
    else:
        neu = zg.loc[[i]].assign(ags=v.nach, anzahl=1, stichtag=nach_tag)
        zg = pd.concat([zg, neu], ignore_index=True)
    return replace(ws, zielgruppe=zg)


def kandidaten(ws: Workspace, seed: int = 0) -> Iterator[Aenderung]:
    """Changes of hidden persons: each kind in turn (the exchanges with a shown Gemeinde
    first), in a random order within each kind.

    Only persons of the target group (one age, ``alter``) at each Gemeinde's own
    Stichtag (:func:`verschieben`).

    * :class:`Verschiebung`: of a status whose cell in the table "Zielgruppe je
      Gemeinde" is hidden in both Gemeinden, as is both Gemeinden's total (else the
      move shows); each pair of Gemeinden and status once, a random person of the first.
    * :class:`Tausch`: each pair of Gemeinden once, a random person of each; with two
      statuses only where all four status cells are hidden.
    * :class:`Tausch` between a Gemeinde shown in some Handlungsfeld and one shown in
      none: a person of one age band or sex against one of another band or sex (same
      status), only where a cell of the shown Gemeinde this changes numbers 1 ..
      threshold-1 before or after (:func:`_zellentausche`). Its status cells and the
      Kreis's structure by age and sex stay; its figures may follow its bands (and
      sexes) only where they are 0 or at least the threshold (rule (b) of
      :meth:`thm_lib.disclosure.publication.Publication.versorgung_gesperrt`).
    """
    zg = ws.zielgruppe
    if zg is None or not len(zg) or "alter" not in zg.columns:
        return
    gezeigt = gezeigte_gemeinden(ws).union(
        *(gezeigte_gemeinden(ws, [feld]) for feld in ws.handlungsfelder)
    )  # a Gemeinde may be shown in one Handlungsfeld only (its rates differ by less)
    maske = views.zielgruppe_je_gemeinde(ws).mask
    namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True))
    summen = [c for c in maske.columns if c not in set(ws.annahmen.zielgruppe.status)]

    def verborgen(ags: str, spalten: list[str]) -> bool:
        return _verborgen(maske, namen[ags], spalten)

    jetzt = target_group.select_stichtag(zg, ws.stichtag)
    jetzt = jetzt[
        (jetzt["anzahl"] >= 1)
        & target_group.band_of_age(jetzt["alter"], ws.annahmen).notna().to_numpy()
        & jetzt["status"].isin(maske.columns).to_numpy()
    ]
    rng = random.Random(seed)

    def person(ags: str, nach: str, status: str | None = None) -> Verschiebung | None:
        zeilen = jetzt[jetzt["ags"].astype(str) == ags]
        if status is not None:
            zeilen = zeilen[zeilen["status"] == status]
        if not len(zeilen):
            return None
        r = zeilen.iloc[rng.randrange(len(zeilen))]
        return Verschiebung(ags, nach, str(r["status"]), int(r["alter"]), str(r["geschlecht"]))

    mit_zahlen = set(zg["ags"].astype(str))  # a Gemeinde without any count has no Stichtag
    orte = [a for a in namen if a not in gezeigt and a in mit_zahlen]
    verschiebungen: list[Aenderung] = []
    for s in pd.unique(jetzt["status"]):
        for a in orte:
            for b in orte:
                if a != b and verborgen(a, [s, *summen]) and verborgen(b, [s, *summen]):
                    v = person(a, b, s)
                    verschiebungen += [v] if v else []
    tausche: list[Aenderung] = []
    for i, a in enumerate(orte):
        for b in orte[i + 1 :]:
            hin, zurueck = person(a, b), person(b, a)
            if hin is None or zurueck is None:
                continue
            if hin.person == zurueck.person:  # the same kind of person: no change
                continue
            zellen = sorted({hin.status, zurueck.status})
            if len(zellen) > 1 and not (verborgen(a, zellen) and verborgen(b, zellen)):
                continue
            tausche.append(Tausch(hin, zurueck))
    arten = [_zellentausche(ws, jetzt, gezeigt, orte, rng), verschiebungen, tausche]
    for art in arten:
        rng.shuffle(art)
    for runde in itertools.zip_longest(*arten):  # each kind in turn: all get tried
        yield from (v for v in runde if v is not None)


def _verborgen(maske: pd.DataFrame, name: str, spalten: list[str]) -> bool:
    """True when every cell of ``spalten`` of Gemeinde ``name`` is hidden in ``maske``."""
    return name in maske.index and bool(maske.loc[name, spalten].all())


def frueher_kandidaten(ws: Workspace, seed: int = 0) -> Iterator[Verschiebung]:
    """Persons moved at an earlier Stichtag, in a random order.

    Earlier counts are published in the trend of each Gemeinde (the rows of the
    table "Zielgruppe je Gemeinde" of that Stichtag) and, where the Erstantrag was
    counted earlier (``stichtag_erstantrag``), in the persons the FAQ rule sizes
    the positions from. A :class:`Verschiebung` with ``stichtag``: a person of a
    status whose cell and totals are hidden at that Stichtag in both Gemeinden,
    at a Stichtag that is neither Gemeinde's own (their own is
    :func:`kandidaten`'s); both Gemeinden have counts of that day. Each ordered
    pair of Gemeinden and status once per Stichtag, a random person of the first.
    """
    zg = ws.zielgruppe
    if zg is None or not len(zg) or "alter" not in zg.columns:
        return
    eigener = target_group.stichtag_je_gemeinde(zg, ws.stichtag)
    tage = pd.to_datetime(zg["stichtag"])
    im_alter = target_group.band_of_age(zg["alter"], ws.annahmen).notna().to_numpy()
    namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True))
    status = set(ws.annahmen.zielgruppe.status)
    rng = random.Random(seed)
    moeglich: list[Verschiebung] = []
    for tag in sorted(pd.Timestamp(t) for t in tage.unique()):
        maske = views.zielgruppe_je_gemeinde(ws, stichtag=tag).mask
        summen = [c for c in maske.columns if c not in status]
        dort = zg[(tage == tag).to_numpy() & im_alter & (zg["anzahl"] >= 1).to_numpy()]
        mit_zahlen = set(zg.loc[(tage == tag).to_numpy(), "ags"].astype(str))
        orte = [a for a in namen if a in mit_zahlen and eigener.get(a) != tag]

        def verborgen(a: str, spalten: list[str], maske: pd.DataFrame = maske) -> bool:
            return _verborgen(maske, namen[a], spalten)

        for s in sorted(set(dort["status"]) & set(maske.columns)):
            for a in orte:
                zeilen = dort[(dort["ags"].astype(str) == a) & (dort["status"] == s)]
                for b in orte:
                    if a == b or not len(zeilen):
                        continue
                    if verborgen(a, [s, *summen]) and verborgen(b, [s, *summen]):
                        r = zeilen.iloc[rng.randrange(len(zeilen))]
                        moeglich.append(
                            Verschiebung(
                                a, b, s, int(r["alter"]), str(r["geschlecht"]), stichtag=tag
                            )
                        )
    rng.shuffle(moeglich)
    yield from moeglich


def _zellentausche(
    ws: Workspace, jetzt: pd.DataFrame, gezeigt: frozenset[str], orte: list[str], rng: random.Random
) -> list[Tausch]:
    """Tausche that change a small age band or sex of a shown Gemeinde (:func:`kandidaten`).

    The shown Gemeinde ``g`` gives a person of one cell (Altersgruppe, Geschlecht) of a
    status and gets one of another cell of the same status from ``h``. Only where a
    cell of ``g`` this changes is or becomes 1 .. threshold-1: per Altersgruppe where
    the bands differ, per Altersgruppe and Geschlecht always (rule (b) reveals that
    level where the rates differ by sex). One partner ``h``, chosen at random, per
    shown Gemeinde, status and pair of cells: what is tested is the pair of cells.
    """
    t = int(ws.annahmen.datenschutz.schwelle)
    band = target_group.band_of_age(jetzt["alter"], ws.annahmen).astype(str).to_numpy()
    jetzt = jetzt.assign(band=band, ags=jetzt["ags"].astype(str))
    je_band = jetzt.groupby(["ags", "status", "band"])["anzahl"].sum()
    je_zelle = jetzt.groupby(["ags", "status", "band", "geschlecht"])["anzahl"].sum()

    def klein(g: str, status: str, gibt: tuple[str, str], bekommt: tuple[str, str]) -> bool:
        zaehlung = [
            (float(je_zelle.get((g, status, *gibt), 0)), -1),
            (float(je_zelle.get((g, status, *bekommt), 0)), +1),
        ]
        if gibt[0] != bekommt[0]:
            zaehlung += [
                (float(je_band.get((g, status, gibt[0]), 0)), -1),
                (float(je_band.get((g, status, bekommt[0]), 0)), +1),
            ]
        return any(1 <= c < t or 1 <= c + d < t for c, d in zaehlung)

    def zufall(zeilen: pd.DataFrame, zelle: tuple[str, str]) -> pd.Series:
        passt = zeilen[(zeilen["band"] == zelle[0]) & (zeilen["geschlecht"] == zelle[1])]
        return passt.iloc[rng.randrange(len(passt))]

    je_paar: dict[tuple[str, str, tuple[str, str], tuple[str, str]], list[Tausch]] = {}
    for g in sorted(gezeigt & set(jetzt["ags"])):
        for h in orte:
            for status, paar in jetzt[jetzt["ags"].isin([g, h])].groupby("status"):
                mein, dein = paar[paar["ags"] == g], paar[paar["ags"] == h]
                meine = sorted(set(zip(mein["band"], mein["geschlecht"], strict=True)))
                deine = sorted(set(zip(dein["band"], dein["geschlecht"], strict=True)))
                for gibt in meine:
                    for bekommt in deine:
                        if gibt == bekommt or not klein(g, str(status), gibt, bekommt):
                            continue  # no change, or the Gemeinde's cells stay publishable
                        x, y = zufall(mein, gibt), zufall(dein, bekommt)
                        je_paar.setdefault((g, str(status), gibt, bekommt), []).append(
                            Tausch(
                                Verschiebung(g, h, str(status), int(x["alter"]), gibt[1]),
                                Verschiebung(h, g, str(status), int(y["alter"]), bekommt[1]),
                            )
                        )
    return [tausche[rng.randrange(len(tausche))] for tausche in je_paar.values()]


_STELLEN = {stufe: len(spalten) for stufe, spalten in needs.POOL_LEVELS} | {needs.FALLBACK: 0}
"""How much of a segment (status, Altersgruppe, Geschlecht) names the group of its rate."""

GEPOOLT = ("status", "kreis", needs.FALLBACK)
"""Sources of a published rate that a need passing between two segments can leave alone."""


def bedarfs_kandidaten(ws: Workspace, seed: int = 0) -> Iterator[Bedarfstausch]:
    """Needs passing between consented target-group cases, in a random order.

    Only between segments whose published rate does not show their own cases
    (:func:`veroeffentlichte_quoten` with source status, Kreis or Standardquote; at the
    status level both of the same status): each Handlungsfeld and pair of segments
    once, a random case of each. Whether the published counts stay the same decides
    :func:`pruefen`.
    """
    if ws.faelle is None or not len(ws.faelle) or ws.bedarfe is None or not len(ws.bedarfe):
        return
    faelle = target_group.eligible_cases(ws.faelle, ws.annahmen).drop_duplicates("fall_id")
    segment = {
        str(r.fall_id): (str(r.status), str(r.altersgruppe), str(r.geschlecht))
        for r in faelle.itertuples()
    }
    quellen = {
        (r.handlungsfeld, (str(r.status), str(r.altersgruppe), str(r.geschlecht))): r.quelle
        for r in veroeffentlichte_quoten(ws).itertuples()
    }
    gruppe = {  # the cases whose rate the model uses for a segment
        (r.handlungsfeld, (str(r.status), str(r.altersgruppe), str(r.geschlecht))): (
            r.quelle,
            (str(r.status), str(r.altersgruppe), str(r.geschlecht))[: _STELLEN[r.quelle]],
        )
        for r in needs.need_rates(ws.faelle, ws.bedarfe, ws.annahmen).itertuples()
    }
    hat = set(zip(ws.bedarfe["fall_id"].astype(str), ws.bedarfe["handlungsfeld"], strict=True))
    rng = random.Random(seed)
    moeglich: list[Bedarfstausch] = []
    for feld in ws.handlungsfelder:
        mit: dict[tuple[str, str, str], list[str]] = {}
        ohne: dict[tuple[str, str, str], list[str]] = {}
        for fall, seg in segment.items():
            (mit if (fall, feld) in hat else ohne).setdefault(seg, []).append(fall)
        for s1, faelle_mit in mit.items():
            for s2, faelle_ohne in ohne.items():
                q1, q2 = quellen.get((feld, s1)), quellen.get((feld, s2))
                if gruppe[(feld, s1)] == gruppe[(feld, s2)]:  # the model's rates stay the same
                    continue
                if q1 not in GEPOOLT or q2 not in GEPOOLT:
                    continue
                if "status" in (q1, q2) and s1[0] != s2[0]:
                    continue
                von, nach = rng.choice(faelle_mit), rng.choice(faelle_ohne)
                moeglich.append(Bedarfstausch(feld, von, nach, s1, s2))
    rng.shuffle(moeglich)
    yield from moeglich


def _ohne_fallzahlen(ws: Workspace) -> list[str]:
    """Gemeinden (ags) whose row of the table "Fallzahlen" shows no count but 0.

    The total row is not a Gemeinde (a case cannot be recorded there), even when it
    shows no count either (no case active in the period).
    """
    tabelle = views.bericht_tabellen(ws).get("Fallzahlen")
    if tabelle is None:
        return []
    zahlen = tabelle.published.drop(columns="name", errors="ignore")
    gemeinden = set(ws.gebiete["ags"].astype(str))
    return [
        str(ags)
        for ags, zeile in zahlen.iterrows()
        if str(ags) in gemeinden
        and all(not pd.api.types.is_number(v) or v == 0 for v in zeile.to_numpy())
    ]


def fall_kandidaten(ws: Workspace, seed: int = 0) -> Iterator[Fallverschiebung]:
    """Cases recorded in another Gemeinde, in a random order.

    Only between two Gemeinden whose rows of the table "Fallzahlen" show no count
    (each cell hidden or 0): each ordered pair once, a random case of the first.
    Whether every published count (the other tables of the Berichtswesen too) stays
    the same decides :func:`pruefen`.
    """
    if ws.faelle is None or not len(ws.faelle):
        return
    keine = _ohne_fallzahlen(ws)
    faelle = ws.faelle.assign(ags=ws.faelle["ags"].astype(str))
    band = target_group.band_of_age(faelle["alter"], ws.annahmen).astype(str)
    rng = random.Random(seed)
    moeglich: list[Fallverschiebung] = []
    for a in keine:
        zeilen = faelle[faelle["ags"] == a]
        if not len(zeilen):
            continue
        for b in keine:
            if a != b:
                i = zeilen.index[rng.randrange(len(zeilen))]
                segment = (
                    str(faelle.at[i, "status"]),
                    str(band[i]),
                    str(faelle.at[i, "geschlecht"]),
                )
                moeglich.append(Fallverschiebung(str(faelle.at[i, "fall_id"]), a, b, segment))
    rng.shuffle(moeglich)
    yield from moeglich


def _unterschiede(a: Werte, b: Werte) -> list[str]:
    return [k for k in sorted(a.keys() | b.keys()) if a.get(k, "∅") != b.get(k, "∅")]


def _fertig(werte: Werte) -> Callable[[], Werte]:
    return lambda: werte


@contextmanager
def _rechner(
    modell: Callable[[Workspace], Werte], prozesse: int
) -> Iterator[Callable[[Workspace], Callable[[], Werte]]]:
    """``rechne(ws)`` starts ``modell(ws)`` and returns a function that gives its result.

    With ``prozesse`` > 1 in that many processes beside this one (started on the first
    call), so this one goes on choosing changes meanwhile; else here, at once.
    """
    if prozesse <= 1:
        yield lambda w: _fertig(modell(w))
        return
    # "spawn" as the batch's workers (thm_lib.run.ausfuehrung): no fork of a threaded parent
    with ProcessPoolExecutor(prozesse, mp_context=get_context("spawn")) as pool:
        yield lambda w: pool.submit(modell, w).result


def pruefen(
    ws: Workspace,
    anzahl: int = 3,
    *,
    frueher: int = 1,
    bedarfstausche: int = 1,
    fallverschiebungen: int = 1,
    versuche: int = 20,
    seed: int = 0,
    modell: Callable[[Workspace], Werte] = modellwerte,
    prozesse: int = 1,
) -> DifferenzErgebnis:
    """Compare every published figure of ``ws`` with those of moved hidden persons or needs.

    Parameters
    ----------
    ws : Workspace
        The whole Kreis (true Arbeitsmappe).
    anzahl : int
        Indistinguishable Verschiebungen or Tausche of persons to compare.
    frueher : int
        Indistinguishable Verschiebungen at an earlier Stichtag to compare
        (:func:`frueher_kandidaten`).
    bedarfstausche : int
        Indistinguishable :class:`Bedarfstausch` changes to compare (after the persons).
    fallverschiebungen : int
        Indistinguishable :class:`Fallverschiebung` changes to compare (last).
    versuche : int
        At most this many changes of each kind are tried.
    seed : int
        Seed of the random choice (the same Kreis and seed give the same moves).
    modell : callable
        The published figures besides the counts (default :func:`modellwerte`).
    prozesse : int
        The figures of the Kreis and of each change are computed in this many
        processes beside this one (``modell`` must then be a module-level function);
        they are independent (the sample Kreis on two cores: 102 s instead of 139 s).

    Returns
    -------
    DifferenzErgebnis
        A finding per Verschiebung that changed a published figure, naming up to
        five of them with both values.
    """
    start = time.perf_counter()
    namen = {str(a): str(n) for a, n in zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True)}
    basis_z: Werte | None = None
    gewaehlt: list[tuple[Aenderung, Callable[[], Werte]]] = []
    basis_m: Callable[[], Werte] | None = None
    unterscheidbar = 0
    reihen = (
        (kandidaten(ws, seed), anzahl),
        (frueher_kandidaten(ws, seed), frueher),
        (bedarfs_kandidaten(ws, seed), bedarfstausche),
        (fall_kandidaten(ws, seed), fallverschiebungen),
    )
    with _rechner(modell, prozesse) as rechne:
        for reihe, bis in reihen:
            gefunden = 0
            for n, v in enumerate(reihe):
                if gefunden >= bis or n >= versuche:
                    break
                basis_z = zaehlungen(ws) if basis_z is None else basis_z
                anders = verschieben(ws, v)
                if _unterschiede(basis_z, zaehlungen(anders)):
                    unterscheidbar += 1
                    continue
                basis_m = rechne(ws) if basis_m is None else basis_m
                gewaehlt.append((v, rechne(anders)))
                gefunden += 1
        werte = [basis_m(), *(andere() for _, andere in gewaehlt)] if basis_m else []
    geprueft = [v for v, _ in gewaehlt]
    befunde: list[str] = []
    for v, andere in zip(geprueft, werte[1:], strict=True):
        geaendert = _unterschiede(werte[0], andere)
        if geaendert:
            beispiele = "; ".join(
                f"{k}: {werte[0].get(k)} → {andere.get(k)}" for k in geaendert[:5]
            )
            befunde.append(
                f"{v.text(namen)} (alle veröffentlichten Zählungen und Sperrmuster gleich) "
                f"ändert {len(geaendert)} veröffentlichte Werte, z. B. {beispiele}"
            )
    return DifferenzErgebnis(
        geprueft=geprueft,
        unterscheidbar=unterscheidbar,
        werte=len(werte[0]) if werte else 0,
        befunde=befunde,
        sekunden=time.perf_counter() - start,
    )


__all__ = [
    "Aenderung",
    "Bedarfstausch",
    "DifferenzErgebnis",
    "Fallverschiebung",
    "Tausch",
    "Verschiebung",
    "bedarfs_kandidaten",
    "fall_kandidaten",
    "flach",
    "frueher_kandidaten",
    "kandidaten",
    "modellwerte",
    "pruefen",
    "verschieben",
    "veroeffentlichte_quoten",
    "zaehlungen",
]
