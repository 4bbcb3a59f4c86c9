"""Coverage to publish: the 2SFCA on the published demand only.

The Versorgungsgrad of a Gemeinde is places in reach ÷ the weighted demand
sharing them (:mod:`thm_lib.analysis.coverage`): it depends on the demand of
every Gemeinde in reach of the same offers. Computed on the true target group,
the published value of a shown Gemeinde would let a reader solve for the
demand (and so the persons) of a hidden neighbour.

:func:`versorgung_veroeffentlicht` computes coverage on a copy of the
Workspace with the *published demand* (:func:`ws_veroeffentlicht`): the shown
Gemeinden (:meth:`thm_lib.disclosure.publication.Publication.gezeigte_gemeinden`)
keep their target group where their demand follows from shown counts and
published rates anyway (:func:`eigene_struktur`); the other shown Gemeinden
keep their shown counts per status, spread over age bands and sex like the
published age structure of the Kreis (:func:`kreisschaetzung`, since round 2,
session 24: before, they were hidden); every non-shown Gemeinde gets an equal
share of the remainder per status (published Kreis total minus the shown
Gemeinden; 0 where the Kreis total is hidden), spread the same way. The need
rates are the published ones (:func:`modellquoten`), not the exact rates of the
case documentation. Every figure of the result thus follows from published
figures, offers and travel times only (``docs/datenschutz.md``).

Hiding is still decided by the publication layer of the TRUE Workspace
(:func:`thm_lib.disclosure.publication.fuer`); the copy returned by
:func:`ws_veroeffentlicht` serves the model only, never build a layer on it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from thm_lib.analysis import coverage, target_group
from thm_lib.analysis.coverage import CoverageResult
from thm_lib.core import labels
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import publication
from thm_lib.disclosure.publication import TOTAL


def modellquoten(ws: Workspace) -> pd.DataFrame:
    """The need rates of every published model figure (default of the functions here).

    :meth:`thm_lib.disclosure.publication.Publication.modellquoten` of the Kreis.
    """
    return publication.fuer(ws).modellquoten()


def gezeigte_gemeinden(
    ws: Workspace, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> frozenset[str]:
    """The Gemeinden (ags) whose modelled figures the layer may show for ``felder``.

    :meth:`thm_lib.disclosure.publication.Publication.gezeigte_gemeinden` of the
    true Workspace with the rates of the published model (default
    :func:`modellquoten`).
    """
    pub = publication.fuer(ws)
    return pub.gezeigte_gemeinden(pub.modellquoten_fuer(felder, quoten), ws.stichtag)


def gezeigte_zellen(
    ws: Workspace, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> pd.Series:
    """Persons of the shown Gemeinden at the levels their figures reveal, for ``felder``.

    :meth:`thm_lib.disclosure.publication.Publication.gezeigte_zellen` with the
    rates of the published model (as :func:`gezeigte_gemeinden`).
    """
    pub = publication.fuer(ws)
    return pub.gezeigte_zellen(pub.modellquoten_fuer(felder, quoten), ws.stichtag)


def eigene_struktur(
    ws: Workspace, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> frozenset[str]:
    """The shown Gemeinden (ags) modelled with their own age structure, for ``felder``.

    :meth:`thm_lib.disclosure.publication.Publication.eigene_struktur` of the true
    Workspace with the rates of the published model (as :func:`gezeigte_gemeinden`).
    The other shown Gemeinden are modelled with :func:`kreisschaetzung`.
    """
    pub = publication.fuer(ws)
    return pub.eigene_struktur(pub.modellquoten_fuer(felder, quoten), ws.stichtag)


def kreisprofil(ws: Workspace) -> dict[tuple[str, int, int, str], float]:
    """Share of each age band × sex in the published age structure of the Kreis.

    The shown cells of :attr:`thm_lib.disclosure.publication.Publication.struktur`
    (a hidden cell counts 0); without any, by the years of each band, sexes equally.
    Keys ``(Altersgruppe, von, bis, Geschlecht)``; the shares sum to 1.
    """
    st = publication.fuer(ws).struktur
    bands = target_group.altersgruppen(ws.annahmen)
    sexes = [g for g in labels.GESCHLECHT if g in st.mask.columns]
    profil = {}
    for von, bis, label in bands:
        for g in sexes:
            shown = label in st.mask.index and not bool(st.mask.loc[label, g])
            profil[(label, von, bis, g)] = (
                float(st.internal_unsuppressed.loc[label, g]) if shown else 0.0
            )
    if sum(profil.values()) <= 0:
        sexes = sexes or ["x"]
        profil = {
            (label, von, bis, g): float(bis - von + 1) / len(sexes)
            for von, bis, label in bands
            for g in sexes
        }
    summe = sum(profil.values())
    return {k: v / summe for k, v in profil.items()}


def _verteilt(je_status: dict[str, float], profil: dict) -> pd.DataFrame:
    """Persons per status spread over age band × sex by ``profil`` (rows > 0 only)."""
    rows = [
        (s, label, von, bis, g, n * p)
        for s, n in je_status.items()
        for (label, von, bis, g), p in profil.items()
        if n * p > 0
    ]
    return pd.DataFrame(
        rows, columns=["status", "altersgruppe", "von", "bis", "geschlecht", "personen"]
    )


def restschaetzung(ws: Workspace, gezeigt: frozenset[str]) -> pd.DataFrame:
    """Persons per status, age band and sex of ONE non-shown Gemeinde, from published figures.

    Per status: the published Kreis total minus the shown Gemeinden (0 where the
    Kreis cell is hidden, never negative), divided equally among the non-shown
    Gemeinden; spread over age band × sex by :func:`kreisprofil`.

    Returns
    -------
    pandas.DataFrame
        ``status``, ``altersgruppe``, ``von``, ``bis``, ``geschlecht``,
        ``personen`` (empty when every Gemeinde is shown).
    """
    pub = publication.fuer(ws)
    alle = [str(a) for a in ws.gebiete["ags"]]
    verborgen = [a for a in alle if a not in gezeigt]
    if not verborgen:
        return _verteilt({}, {})
    zg = pub.zielgruppe(ws.stichtag)
    werte = zg.internal_unsuppressed
    namen = [pub.name(a) for a in alle if a in gezeigt]
    rest = {}
    for s in pub.status:
        if bool(zg.mask.loc[TOTAL, s]):
            rest[s] = 0.0  # the Kreis total is not published: nothing to split
        else:
            rest[s] = max(float(werte.loc[TOTAL, s]) - float(werte.loc[namen, s].sum()), 0.0)
    return _verteilt({s: r / len(verborgen) for s, r in rest.items()}, kreisprofil(ws))


def kreisschaetzung(ws: Workspace, ags: str) -> pd.DataFrame:
    """Persons per status, age band and sex of a shown Gemeinde, from published figures.

    Its shown count per status (all its target-group cells are shown, rule (a)
    of :meth:`thm_lib.disclosure.publication.Publication.versorgung_gesperrt`)
    spread over age band × sex by :func:`kreisprofil`: for a Gemeinde whose own
    persons per age band must not be revealed. Columns as :func:`restschaetzung`.
    """
    pub = publication.fuer(ws)
    werte = pub.zielgruppe(ws.stichtag).internal_unsuppressed
    je_status = {s: float(werte.loc[pub.name(ags), s]) for s in pub.status}
    return _verteilt(je_status, kreisprofil(ws))


def ws_veroeffentlicht(
    ws: Workspace, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> Workspace:
    """A copy of ``ws`` with the published demand.

    The target group of every non-shown Gemeinde is replaced by
    :func:`restschaetzung`, that of every shown Gemeinde not in
    :func:`eigene_struktur` by :func:`kreisschaetzung` (one row per status, age
    band and sex at the Workspace's Stichtag). ``ws`` itself is not changed. The
    copy is for the model only: its target group is an estimate, so hiding must
    still be decided on ``ws``.
    """
    zg = ws.zielgruppe
    if zg is None:
        return ws
    gezeigt = gezeigte_gemeinden(ws, felder, quoten)
    eigene = eigene_struktur(ws, felder, quoten)
    alle = [str(a) for a in ws.gebiete["ags"]]
    verborgen = [a for a in alle if a not in gezeigt]
    ersetzt = dict.fromkeys(verborgen, restschaetzung(ws, gezeigt)) if verborgen else {}
    ersetzt |= {a: kreisschaetzung(ws, a) for a in alle if a in gezeigt and a not in eigene}
    if not ersetzt:
        return ws
    behalten = zg[~zg["ags"].astype(str).isin(ersetzt)]
    neu = []
    for a, je in ersetzt.items():
        if not len(je):
            # nothing to split: one empty row keeps the Gemeinde's Stichtag (and so
            # the Workspace's, when it is not configured)
            von, bis, label = target_group.altersgruppen(ws.annahmen)[0]
            status = list(ws.annahmen.zielgruppe.status)[0]
            je = pd.DataFrame([(status, label, von, bis, "x", 0.0)], columns=je.columns)
        part = pd.DataFrame(
            {
                "ags": a,
                "stichtag": pd.Timestamp(ws.stichtag),
                "status": je["status"].to_numpy(),
                "alter_von": je["von"].to_numpy(dtype=float),
                "alter_bis": je["bis"].to_numpy(dtype=float),
                "geschlecht": je["geschlecht"].to_numpy(),
                "anzahl": je["personen"].to_numpy(dtype=float),
            }
        )
        if "alter" in zg.columns:
            part["alter"] = np.nan
        neu.append(part.reindex(columns=zg.columns))
    zielgruppe = pd.concat([behalten, *neu], ignore_index=True)
    return replace(ws, zielgruppe=zielgruppe)


def versorgung_veroeffentlicht(
    ws: Workspace, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
) -> CoverageResult:
    """Coverage to publish: :func:`thm_lib.analysis.coverage.analyse` on
    :func:`ws_veroeffentlicht`.

    Every figure of a shown Gemeinde follows from published figures (its own
    counts, published Kreis totals, the published rates of :func:`modellquoten`,
    offers, travel times);
    where hidden Gemeinden are in reach of its offers it differs from the
    internal model. Hide rows with
    :func:`thm_lib.publish.views.versorgung_gesperrt` on the TRUE Workspace (the
    shown Gemeinden are the same: their demand is unchanged). Computed once per
    layer of ``ws`` and ``felder`` (when ``quoten`` is not given).
    """

    def make() -> CoverageResult:
        q = modellquoten(ws) if quoten is None else quoten
        return coverage.analyse(ws_veroeffentlicht(ws, felder, q), felder, quoten=q)

    if quoten is not None:
        return make()
    key = "versorgung_veroeffentlicht:" + "|".join(felder or ws.handlungsfelder)
    return publication.fuer(ws).gemerkt(key, make)


__all__ = [
    "eigene_struktur",
    "gezeigte_gemeinden",
    "gezeigte_zellen",
    "kreisprofil",
    "kreisschaetzung",
    "modellquoten",
    "restschaetzung",
    "versorgung_veroeffentlicht",
    "ws_veroeffentlicht",
]
