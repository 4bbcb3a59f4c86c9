"""Scenarios: the same Kreis under two or more configurations, as one tidy table.

A scenario is a name and a small mapping of changes::

    {
        "Schlüssel 1:100": {},
        "Schlüssel 1:80": {"annahmen": {"stellen": {"betreuungsschluessel": 80}}},
        "Fördersatz 80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}},
        "THM fortgesetzt": {"programm": {"zeitraum": {"ende": "2024-12"}}},
        "KIM-Beispiel": {"programm": {"basis": "kim"}, "modell": "fallzahl"},
    }

Keys of a scenario: ``programm`` (partial programme, deep-merged onto the
Workspace's programme, or onto a shipped one when it names a ``basis``, then
validated again), ``annahmen`` (partial assumptions, deep-merged and checked),
``modell`` (which positions to finance: ``faq`` default, ``fallzahl``,
``arbeitszeit``, ``bestand``) and ``finanzierung`` (keyword arguments for
:func:`thm_lib.analysis.funding.finanzierungsplan`, e.g. ``{"entgeltgruppe": "EG 9b"}``).
The result is long: one row per scenario × Gemeinde/Kreis × measure (× year for
yearly amounts), ready for ``pivot_table``, plotting or an app.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from thm_lib.analysis.funding import (
    BETRAG_SPALTEN,
    finanzierungsplaene,
    finanzierungsplan,
    foerdersatz,
    plaene_tabelle,
)
from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.core.config import merge
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import prozent
from thm_lib.core.programme import validate_programm
from thm_lib.core.workspace import Workspace

SCHLUESSEL = ("programm", "annahmen", "modell", "finanzierung")
STELLEN_KENNZAHLEN = (
    "faq_personen",
    "faq_stellen",
    "fallzahl_klienten",
    "fallzahl_stellen",
    "arbeitszeit_stellen",
    "stellen_bestand",
)
SPALTEN = ["szenario", "ags", "name", "ebene", "kennzahl", "jahr", "wert"]


def szenario_workspace(
    ws: Workspace, aenderungen: Mapping[str, Any], name: str = "Szenario"
) -> Workspace:
    """Return a copy of ``ws`` with a scenario's programme and assumption changes.

    Parameters
    ----------
    ws : Workspace
        The base Workspace (not modified).
    aenderungen : mapping
        ``{"programm": {...}, "annahmen": {...}}`` (both optional).
    name : str
        Scenario name for error messages.

    Returns
    -------
    Workspace

    Raises
    ------
    DataError
        If a changed programme or assumption is invalid (German, naming the
        scenario and the field).
    """
    datei = f"Szenario '{name}'"
    unknown = sorted(set(aenderungen) - set(SCHLUESSEL))
    if unknown:
        raise DataError(
            [Problem(datei, f"unbekannte Schlüssel {unknown}", "Erlaubt: " + ", ".join(SCHLUESSEL))]
        )
    programm = ws.programm
    change = aenderungen.get("programm")
    if change:
        base = {} if change.get("basis") else ws.programm
        programm = validate_programm(merge(base, change), datei)
    annahmen = ws.annahmen
    if aenderungen.get("annahmen"):
        annahmen = ws.annahmen.mit(aenderungen["annahmen"], datei)
    return replace(ws, programm=copy.deepcopy(programm), annahmen=annahmen)


def _long(frame: pd.DataFrame, kennzahlen: list[str], jahr: bool) -> pd.DataFrame:
    ids = ["ags", "name", "ebene"] + (["jahr"] if jahr else [])
    out = frame.melt(id_vars=ids, value_vars=kennzahlen, var_name="kennzahl", value_name="wert")
    if not jahr:
        out["jahr"] = pd.NA
    return out


def vergleiche(ws: Workspace, szenarien: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Compute staffing and funding for every scenario, as one long table.

    Parameters
    ----------
    ws : Workspace
        The base Workspace.
    szenarien : mapping name -> changes
        See the module docstring; ``{}`` is the unchanged base.

    Returns
    -------
    pandas.DataFrame
        Columns ``szenario``, ``ags``, ``name``, ``ebene`` (gemeinde/kreis),
        ``kennzahl``, ``jahr`` (Int64; NA for values of the whole period or
        without time), ``wert`` (float). Measures: the staffing estimates
        (``faq_personen``, ``faq_stellen``, ``fallzahl_klienten``,
        ``fallzahl_stellen``, ``arbeitszeit_stellen``, ``stellen_bestand``),
        ``finanzierte_stellen``, ``monate``, and the funding amounts
        (``personalkosten``, ``sachkosten``, ``foerderfaehig``, ``zuwendung``,
        ``eigenanteil_foerderfaehig``, ``nicht_foerderfaehig``, ``eigenanteil``,
        ``gesamtkosten``) per year and for the whole period (``jahr`` NA).

    Raises
    ------
    DataError
        If a scenario's changes are invalid.
    """
    if not szenarien:
        raise ValueError("at least one scenario is needed")
    frames = []
    for name, aenderungen in szenarien.items():
        sws = szenario_workspace(ws, aenderungen, name)
        modell = aenderungen.get("modell", "faq")
        kwargs = dict(aenderungen.get("finanzierung") or {})
        bem = stellenbemessung(sws)
        parts = [_long(bem, list(STELLEN_KENNZAHLEN), jahr=False)]
        plans = finanzierungsplaene(sws, bem, modell=modell, **kwargs)
        yearly = plaene_tabelle(plans, bem, modell)
        if plans:
            yearly = yearly.rename(columns={"stellen": "finanzierte_stellen"})
            parts.append(_long(yearly, list(BETRAG_SPALTEN), jahr=True))
            info = bem.set_index(bem["ags"].astype(str))
            totals = pd.DataFrame(
                [
                    {
                        "ags": ags,
                        "name": info.loc[ags, "name"],
                        "ebene": info.loc[ags, "ebene"],
                        "finanzierte_stellen": float(plan.jahre["stellen"].iloc[0])
                        if len(plan.jahre)
                        else float("nan"),
                        **plan.gesamt.to_dict(),
                    }
                    for ags, plan in plans.items()
                ]
            )
            parts.append(
                _long(totals, ["finanzierte_stellen", "monate", *BETRAG_SPALTEN], jahr=False)
            )
        long = pd.concat(parts, ignore_index=True)
        long.insert(0, "szenario", name)
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["jahr"] = out["jahr"].astype("Int64")
    out["wert"] = out["wert"].astype("float64")
    return out[SPALTEN]


RATE_KEYS = ("foerdersatz", "foerdersatz_haushaltssicherung")


def warum_unveraendert(ws: Workspace, aenderungen: Mapping[str, Any], zeile: pd.Series) -> str:
    """German sentence on why a scenario changes none of an applicant's key figures.

    Parameters
    ----------
    ws : Workspace
        The base Workspace.
    aenderungen : mapping
        The scenario's changes (see the module docstring).
    zeile : pandas.Series
        The applicant's row of :func:`thm_lib.analysis.staffing.stellenbemessung`
        (``name``, ``haushaltssicherung``).

    Returns
    -------
    str
        The most specific reason found: a changed funding rate that does not
        apply to this applicant (Haushaltssicherung or not), a grant capped at
        the maximum, no positions to finance, or that the change does not
        touch these figures.
    """

    sws = szenario_workspace(ws, aenderungen)
    hsk = bool(zeile["haushaltssicherung"])
    name = str(zeile["name"])
    alt, neu = ws.programm["foerderung"], sws.programm["foerderung"]
    changed = [k for k in RATE_KEYS if alt.get(k) != neu.get(k)]
    satz = foerdersatz(sws.programm, hsk)
    if changed and satz == foerdersatz(ws.programm, hsk):
        key = "foerdersatz_haushaltssicherung" if hsk else "foerdersatz"
        art = "Haushaltssicherungskommune" if hsk else "Kommune ohne Haushaltssicherung"
        return (
            f"Unverändert: Das Szenario ändert {', '.join('foerderung.' + k for k in changed)}"
            f"; für {name} als {art} gilt foerderung.{key} = {prozent(satz)} wie bisher."
        )
    stellen = float(zeile["faq_stellen"])
    if stellen <= 0:
        return f"Unverändert: Für {name} sind keine Stellen zu finanzieren."
    if changed:
        plan = finanzierungsplan(stellen, sws.programm, sws.annahmen, haushaltssicherung=hsk)
        if len(plan.jahre) and bool(plan.jahre["gedeckelt"].all()):
            return (
                "Unverändert: Die Zuwendung ist in jedem Jahr auf den Höchstbetrag des "
                "Programms gedeckelt; ein anderer Fördersatz ändert sie nicht."
            )
        if not len(plan.jahre) or float(plan.gesamt["monate"]) == 0:
            return "Unverändert: Der Förderzeitraum enthält keinen Monat."
    return f"Unverändert: Die Änderung berührt die Stellen und die Finanzierung von {name} nicht."


def hinweise(
    ws: Workspace, szenarien: Mapping[str, Mapping[str, Any]], wide: pd.DataFrame, zeile: pd.Series
) -> pd.Series:
    """A German note for every scenario whose figures equal the first scenario's.

    Parameters
    ----------
    ws : Workspace
        The base Workspace.
    szenarien : mapping name -> changes
        As for :func:`vergleiche`; the first one is the comparison basis.
    wide : pandas.DataFrame
        One applicant's whole-period figures, index ``szenario``, one column per
        measure (as pivoted from :func:`vergleiche`).
    zeile : pandas.Series
        The applicant's row of :func:`thm_lib.analysis.staffing.stellenbemessung`.

    Returns
    -------
    pandas.Series
        Index ``szenario``; ``""`` where a scenario changes something (and for
        the basis), else :func:`warum_unveraendert`.
    """
    names = list(wide.index)
    out = pd.Series("", index=wide.index, dtype=object)
    if not names:
        return out
    base = wide.loc[names[0]].astype(float).to_numpy()
    for name in names[1:]:
        values = wide.loc[name].astype(float).to_numpy()
        same = ((values == base) | (pd.isna(values) & pd.isna(base))).all()
        if same:
            out[name] = warum_unveraendert(ws, szenarien[name], zeile)
    return out
