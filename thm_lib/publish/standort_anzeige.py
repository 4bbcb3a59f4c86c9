"""Showing a Standortplanung: map before/after and the notebook/report section.

The analysis is :mod:`thm_lib.analysis.standort`; this module selects what may be
shown (only Gemeinden whose modelled figures are published), builds the German
tables and text, and draws the map before/after (shared by the notebook section
:func:`thm_lib.run.notebook.standort_abschnitt` and the Übersicht app).

A published plan comes from :func:`planen_veroeffentlicht`: the standard plan
on the published demand (:mod:`thm_lib.disclosure.versorgung`), where hidden
Gemeinden count with their share of the published remainder, not with their
true persons. So the state before, the site choice, the places and the state
after follow from published figures only; the tables and the text then show
figures of the Gemeinden with published figures only (hidden ones are counted,
not named) and the map after takes the hiding pattern of the state before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis import coverage, standort
from thm_lib.analysis.coverage import CoverageResult
from thm_lib.analysis.standort import QUELLE_GEMEINDE, Standortplanung
from thm_lib.core import formats, labels
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import gerundet
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.suppression import mark_public
from thm_lib.disclosure.versorgung import (
    modellquoten,
    versorgung_veroeffentlicht,
    ws_veroeffentlicht,
)
from thm_lib.publish import maps, views
from thm_lib.publish.views import schwelle, versorgung_gesperrt, zeichen_geheim

ZUSTAENDE = ("vorher", "nachher")


def feld_waehlen(ws: Workspace, ergebnis: CoverageResult, handlungsfeld: str = "") -> str:
    """The Handlungsfeld parameter, or ("" ) the one with the most shown missing places.

    Raises
    ------
    DataError
        For a Handlungsfeld that is not configured (a notebook parameter).
    """
    if handlungsfeld:
        if handlungsfeld not in ws.handlungsfelder:
            raise DataError(
                [
                    Problem(
                        "Parameter 'handlungsfeld'",
                        f"unbekanntes Handlungsfeld '{handlungsfeld}'",
                        "Erlaubt: " + ", ".join(ws.handlungsfelder),
                    )
                ]
            )
        return handlungsfeld
    g = ergebnis.gemeinden[~views.versorgung_gesperrt(ws, ergebnis)]
    summe = (
        g.groupby("handlungsfeld")["fehlende_plaetze"]
        .sum()
        .reindex(ws.handlungsfelder, fill_value=0.0)
    )
    return str(summe.idxmax())


def planen_veroeffentlicht(
    ws: Workspace,
    handlungsfeld: str,
    *,
    vorher: CoverageResult | None = None,
    quoten: pd.DataFrame | None = None,
    modell_ws: Workspace | None = None,
    **planung: Any,
) -> Standortplanung:
    """A Standortplanung to publish: :func:`thm_lib.analysis.standort.planen` on the
    Workspace with the published demand.

    The plan is computed on :func:`thm_lib.disclosure.versorgung.ws_veroeffentlicht`:
    every Gemeinde whose modelled figures are hidden counts with its share of the
    published Kreis remainder, not with its true persons. So the state before
    (``vorher``, :func:`thm_lib.disclosure.versorgung.versorgung_veroeffentlicht`),
    the sites, the places (the standard rule
    :func:`thm_lib.analysis.standort.plaetze_nach_bedarf`: the unmet need of all
    Gemeinden assigned to a site, hidden ones with their estimated need), the
    proposed offers and the state after (``nachher``, ``ws_nachher``; the new
    offers serve every Gemeinde in reach) follow from published figures, offers
    and travel times only. The places minus the shown missing places give the
    estimated need of the hidden Gemeinden assigned, which a reader can compute
    from the published remainder anyway, and the Versorgungsgrad after of a
    shown Gemeinde depends on hidden ones only through that estimate.

    Every published output of a plan (tables, text, maps, the apps' views)
    must start from here; what is hidden is still decided on the true ``ws``.

    Parameters
    ----------
    ws, handlungsfeld, vorher, quoten
        As for ``planen``, ``ws`` the true Workspace (it decides what is hidden);
        ``quoten`` the published rates (default
        :func:`thm_lib.disclosure.versorgung.modellquoten`);
        ``vorher`` must be the published coverage
        (:func:`thm_lib.disclosure.versorgung.versorgung_veroeffentlicht`) and is
        computed for the Handlungsfeld alone when missing or holding other fields.
    modell_ws
        ``ws_veroeffentlicht(ws, [handlungsfeld], quoten)``, computed when missing;
        pass it to plan one Handlungsfeld several times (the apps' Vorrat).
    **planung
        The other options of ``planen`` (``p``, ``modell``, ``zugang``, ``alter``,
        ``liste``, ``zeitlimit``); not ``plaetze``.

    Raises
    ------
    ValueError
        As ``planen``, for an unknown Handlungsfeld, model or status.
    """
    quoten = modellquoten(ws) if quoten is None else quoten
    if handlungsfeld not in ws.handlungsfelder:  # planen raises
        modell_ws = ws
    else:
        if vorher is None or vorher.felder != (handlungsfeld,):
            vorher = versorgung_veroeffentlicht(ws, [handlungsfeld], quoten=quoten)
        if modell_ws is None:
            modell_ws = ws_veroeffentlicht(ws, [handlungsfeld], quoten=quoten)
    return standort.planen(modell_ws, handlungsfeld, vorher=vorher, quoten=quoten, **planung)


def _zustand(
    plan: standort.Standortplanung, ws: Workspace, zustand: str
) -> tuple[Workspace, CoverageResult]:
    if zustand not in ZUSTAENDE:
        raise ValueError(f"zustand muss 'vorher' oder 'nachher' sein, nicht {zustand!r}")
    return (ws, plan.vorher) if zustand == "vorher" else (plan.ws_nachher, plan.nachher)


def karten_measure(
    plan: standort.Standortplanung, ws: Workspace, zustand: str = "nachher"
) -> maps.Measure:
    """What the map before or after colours: the gap class of each Gemeinde.

    The classes of :func:`thm_lib.analysis.coverage.gap_class` (thresholds from
    ``annahmen.versorgung``) in the colours of every gap-class map and of the
    Übersicht's matrix, the Versorgungsgrad in the tooltip; fixed classes, so
    before and after are drawn on the same scale. Gemeinden hidden in the
    published tables show the suppression mark.
    """
    _, res = _zustand(plan, ws, zustand)
    # the hiding pattern of the state before, for both states: the published tables
    # use it (_sichtbar), and the state after's own pattern may differ (a new offer
    # open to Geduldete turns a small "Geduldete ohne Angebot" into 0) and would show
    # a Gemeinde after that every table hides
    versorgung = views.karten_mass(ws, "versorgungsgrad", plan.handlungsfeld, plan.vorher)
    klassen = maps.gap_class_measure(res, plan.handlungsfeld)
    return replace(
        klassen,
        label=f"{klassen.label} ({zustand})",
        gesperrt=versorgung.gesperrt,
        zeichen=versorgung.zeichen,
    )


def karte(
    plan: standort.Standortplanung, ws: Workspace, zustand: str = "nachher", **kwargs: Any
) -> Any:
    """Folium map of the gap classes before or after, with the proposed offers.

    ``nachher`` shows the Workspace with the proposed offers (named
    „Geplantes Angebot …“); classes and hidden values as in
    :func:`karten_measure`.
    """

    w, _ = _zustand(plan, ws, zustand)
    mass = karten_measure(plan, ws, zustand)
    return maps.kreis_map(w, mass, handlungsfeld=plan.handlungsfeld, **kwargs)


def glue_werte(ws: Workspace, plan: standort.Standortplanung) -> dict[str, Any]:
    """Key figures of the section: number of sites and shown missing places closed."""
    tab = standort_tabelle(ws, plan)
    geschlossen = (
        float((tab["fehlende Plätze dort vorher"] - tab["fehlende Plätze dort nachher"]).sum())
        if len(tab)
        else 0.0
    )
    return {
        "standorte": int(len(plan.loesung.auswahl)),
        "standort_geschlossen": float(gerundet(geschlossen, 1)),
    }


# --------------------------------------------------------------------------- publication
def _sichtbar(ws: Workspace, result: coverage.CoverageResult) -> pd.Series:
    """Per ags: True where the Gemeinde's modelled figures may be published."""

    hidden = versorgung_gesperrt(ws, result)
    return (~hidden).groupby(result.gemeinden["ags"]).all()


def standort_tabelle(ws: Workspace, plan: Standortplanung) -> pd.DataFrame:
    """Proposed sites: where, how many places, Gemeinden reached, missing places closed.

    Figures sum over Gemeinden whose modelled values may be shown
    (:func:`thm_lib.publish.views.versorgung_gesperrt`); hidden ones are only counted.
    ``plan`` comes from :func:`planen_veroeffentlicht`: its places also cover
    the estimated need of hidden Gemeinden assigned to a site (the cell of
    reached Gemeinden says so).
    """
    sicht = _sichtbar(ws, plan.vorher)
    g = plan.gemeinden.set_index("ags")
    rows = []
    for i, (_, site) in enumerate(plan.kandidaten.iloc[plan.loesung.auswahl].iterrows()):
        zu = plan.zuordnung[plan.zuordnung["standort"] == i + 1]["ags"]
        shown = [a for a in zu if sicht.get(a, False)]
        rows.append(
            {
                "Standort": i + 1,
                "Ort": site["name"],
                "Art des Orts": site["quelle"],
                "Plätze (geplant)": float(plan.neue_angebote["plaetze"].iloc[i]),
                "erreichte Gemeinden mit Lücke": ", ".join(g.loc[a, "name"] for a in shown)
                + (
                    f" (+{len(zu) - len(shown)} ohne Zahlen, mit geschätztem Bedarf)"
                    if len(zu) > len(shown)
                    else ""
                ),
                "fehlende Plätze dort vorher": float(
                    gerundet(g.loc[shown, "fehlende_vorher"].sum(), 1)
                ),
                "fehlende Plätze dort nachher": float(
                    gerundet(g.loc[shown, "fehlende_nachher"].sum(), 1)
                ),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "Standort",
            "Ort",
            "Art des Orts",
            "Plätze (geplant)",
            "erreichte Gemeinden mit Lücke",
            "fehlende Plätze dort vorher",
            "fehlende Plätze dort nachher",
        ],
    ).set_index("Standort")
    return mark_public(
        table,
        "modellierte Bedarfe und Plätze",
        titel=f"Vorgeschlagene Standorte – {plan.handlungsfeld}",
    )


def wirkung_tabelle(ws: Workspace, plan: Standortplanung) -> pd.DataFrame:
    """Versorgungsgrad and missing places per Gemeinde before/after (changed ones only)."""
    sicht = _sichtbar(ws, plan.vorher)
    g = plan.gemeinden
    g = g[g["ags"].map(lambda a: bool(sicht.get(a, False))) & (g["geschlossen"].abs() > 0.05)]
    g = g.sort_values("geschlossen", ascending=False)
    table = pd.DataFrame(
        {
            "Gemeinde": g["name"],
            labels.BEDARF_GESCHAETZT: gerundet(g["bedarf"], 1),
            "Versorgungsgrad % vorher": gerundet(g["versorgungsgrad_vorher"], 1),
            "Versorgungsgrad % nachher": gerundet(g["versorgungsgrad_nachher"], 1),
            "fehlende Plätze vorher": gerundet(g["fehlende_vorher"], 1),
            "fehlende Plätze nachher": gerundet(g["fehlende_nachher"], 1),
            "geschlossen": gerundet(g["geschlossen"], 1),
        }
    ).set_index("Gemeinde")
    return mark_public(
        table,
        "modellierte Bedarfe und Plätze",
        titel=f"Wirkung je Gemeinde (neu berechnet) – {plan.handlungsfeld}",
    )


def segment_tabelle(ws: Workspace, plan: Standortplanung) -> pd.DataFrame:
    """Missing places closed per site and status, shown Gemeinden.

    Only the statuses the planned offer is open to. Not by Altersgruppe (until
    round 2, session 30): the plan of one Handlungsfeld models a shown Gemeinde with
    its own persons per age band wherever that Handlungsfeld's rates and offers do not
    differ by age, also a Gemeinde whose small age bands the other figures estimate
    with the Kreis structure, and a split by age band then published them (an attack
    found Vorlagenfeld's 4 Geduldete of 18–20). Per status, the figures follow from
    the shown counts per status.
    A cell is hidden (suppression symbol) where the status's modelled demand
    over the site's shown Gemeinden rounds to a small count (1 .. schwelle-1,
    the rule of :func:`thm_lib.publish.views.versorgung_gesperrt`); if that hides one
    cell of a site only, its smallest other cell is hidden too, so the hidden
    one cannot be recovered as the difference to the site's total (no such
    cell: the whole site is hidden).
    """

    sicht = _sichtbar(ws, plan.vorher)
    keys = ["ags", "status"]
    v = plan.vorher.segmente.groupby(keys)[["fehlende_plaetze", "bedarf"]].sum()
    n = plan.nachher.segmente.groupby(keys)["fehlende_plaetze"].sum()
    diff = v.assign(geschlossen=v["fehlende_plaetze"] - n.reindex(v.index, fill_value=0.0))
    diff = diff.reset_index()
    diff = diff[
        diff["ags"].map(lambda a: bool(sicht.get(a, False))) & diff["status"].isin(plan.zugang)
    ]
    diff = diff.merge(plan.zuordnung[["standort", "ags"]], on="ags")
    tab = diff.groupby(["standort", "status"])[["geschlossen", "bedarf"]].sum()
    tab = tab.reset_index()
    t = schwelle(ws)
    tab["klein"] = tab["bedarf"].map(lambda b: 1 <= round(float(b)) < t)
    for _, rows in tab.groupby("standort"):
        if int(rows["klein"].sum()) == 1:
            rest = rows[~rows["klein"] & (rows["geschlossen"] > 0)]
            if len(rest):
                tab.loc[rest["geschlossen"].idxmin(), "klein"] = True
            else:
                tab.loc[rows.index, "klein"] = True
    tab["geschlossen"] = gerundet(tab["geschlossen"], 1).astype(object)
    tab.loc[tab["klein"], "geschlossen"] = zeichen_geheim(ws)
    tab["status"] = tab["status"].map(labels.STATUS_LABEL)
    table = tab.rename(
        columns={
            "standort": "Standort",
            "status": "Status",
            "geschlossen": "geschlossene Plätze",
        }
    ).set_index(["Standort", "Status"])[["geschlossene Plätze"]]
    return mark_public(
        table,
        "modellierte Bedarfe und Plätze",
        titel=f"Geschlossene Lücken je Status – {plan.handlungsfeld}",
    )


def varianten_tabelle(
    ws: Workspace, var: pd.DataFrame, result: coverage.CoverageResult, n: int = 10
) -> pd.DataFrame:
    """The top ``n`` changes to existing offers, summed over shown Gemeinden only."""
    sicht = _sichtbar(ws, result)
    mask = np.array([bool(sicht.get(a, False)) for a in result.kosten.index])
    total = var["_je_gemeinde"].map(lambda x: float(np.asarray(x)[mask].sum()))
    t = var.assign(sum_=total).sort_values("sum_", ascending=False, kind="stable").head(n)
    art = {"oeffnen": "für Geduldete öffnen", "plaetze": "Plätze aufstocken"}
    table = pd.DataFrame(
        {
            "Änderung": t["variante"].map(art),
            "Angebot": t["name"],
            "Träger": t["traeger"],
            "geschlossene Plätze": gerundet(t["sum_"], 1),
        }
    )
    return mark_public(
        table.reset_index(drop=True),
        "modellierte Bedarfe und Plätze",
        titel="Bestehende Angebote ändern: geschlossene Lücken",
    )


def erklaerung(ws: Workspace, plan: Standortplanung) -> str:
    """German Markdown text explaining the proposal for a Bündniskerngruppe.

    ``plan`` comes from :func:`planen_veroeffentlicht`; in a Kreis with hidden
    Gemeinden the text says that they count with an estimate from published
    figures (and, where one is assigned to a site, that the places include it).
    """
    e = ws.annahmen.erreichbarkeit
    einheit = "Minuten" if e.einheit == "minuten" else "km"
    gruppen = ", ".join(labels.STATUS_LABEL[s] for s in plan.zugang)
    sicht = _sichtbar(ws, plan.vorher)
    g = plan.gemeinden.set_index("ags")
    feld = formats.md(plan.handlungsfeld)
    if not len(plan.loesung.auswahl):
        return (
            f"**{feld}:** Es gibt keine fehlenden Plätze für {gruppen} "
            f"({plan.alter[0]}–{plan.alter[1]} Jahre), die ein neues Angebot schließen "
            "könnte. Kein neuer Standort vorgeschlagen."
        )
    n = len(plan.loesung.auswahl)
    if plan.modell == "mclp":
        kopf = (
            f"**{feld}: {formats.anzahl(n, 'neuer Standort', 'neue Standorte')}**, "
            f"gewählt so, dass möglichst viele fehlende Plätze in Reichweite "
            f"(höchstens {formats.zahl(e.schwelle)} {einheit}) liegen."
        )
    else:
        # Gemeinden no candidate reaches are named below; the headline does not promise them
        erreichbar = (
            ", die ein möglicher Standort erreicht," if plan.loesung.nicht_abdeckbar.any() else ""
        )
        kopf = (
            f"**{feld}: {formats.anzahl(n, 'Standort reicht', 'Standorte reichen')}**, "
            f"damit jede Gemeinde mit fehlenden Plätzen{erreichbar} ein Angebot in Reichweite "
            f"(höchstens {formats.zahl(e.schwelle)} {einheit}) hat."
        )
    lines = [
        kopf,
        "",
        f"Das geplante Angebot steht offen für: {gruppen}, {plan.alter[0]}–{plan.alter[1]} Jahre.",
        "",
    ]
    gesperrt_zugeordnet = False
    for i, (_, site) in enumerate(plan.kandidaten.iloc[plan.loesung.auswahl].iterrows()):
        zu = [a for a in plan.zuordnung[plan.zuordnung["standort"] == i + 1]["ags"]]
        shown = [a for a in zu if sicht.get(a, False)]
        ort = (
            f"in {formats.md(site['name'])}"
            if site["quelle"] == QUELLE_GEMEINDE
            else f"am Ort von „{formats.md(site['name'])}“"
        )
        teile = [
            f"{formats.md(g.loc[a, 'name'])} (Versorgungsgrad "
            f"{formats.versorgungsgrad(g.loc[a, 'versorgungsgrad_vorher'])} → "
            f"{formats.versorgungsgrad(g.loc[a, 'versorgungsgrad_nachher'])})"
            for a in shown
        ]
        if len(zu) > len(shown):
            weitere = formats.anzahl(len(zu) - len(shown), "weitere Gemeinde", "weitere Gemeinden")
            teile.append(f"{weitere}, deren Zahlen zum Schutz kleiner Zahlen nicht gezeigt werden")
        plaetze = formats.anzahl(round(plan.neue_angebote["plaetze"].iloc[i]), "Platz", "Plätzen")
        gesperrt_zugeordnet = gesperrt_zugeordnet or len(zu) > len(shown)
        vor = formats.zahl(g.loc[shown, "fehlende_vorher"].sum(), 1)
        nach = formats.zahl(g.loc[shown, "fehlende_nachher"].sum(), 1)
        lines.append(
            f"{i + 1}. **Standort {ort}** mit {plaetze} erreicht: "
            f"{'; '.join(teile) or 'keine Gemeinde mit Lücke'}. Dort fehlen bisher "
            f"{vor} Plätze, danach {nach}."
        )
    if gesperrt_zugeordnet:
        lines += [
            "",
            "Die Plätze decken die fehlenden Plätze aller zugeordneten Gemeinden; für "
            "Gemeinden, deren Zahlen nicht gezeigt werden, ist das ein Schätzwert (siehe "
            "unten).",
        ]
    if plan.loesung.nicht_abdeckbar.any():
        lines += [
            "",
            f"{formats.anzahl(int(plan.loesung.nicht_abdeckbar.sum()), 'Gemeinde', 'Gemeinden')}"
            " mit Lücke erreicht kein möglicher Standort; dort hilft nur ein aufsuchendes "
            "Angebot.",
        ]
    if not plan.loesung.optimal:
        lines += [
            "",
            "Hinweis: Die Rechnung wurde nach dem Zeitlimit beendet; der Vorschlag "
            "ist gut, aber nicht sicher der beste.",
        ]
    gesperrt_im_kreis = (
        " Gemeinden, deren Zahlen zum Schutz kleiner Zahlen nicht gezeigt werden, zählen "
        "dabei (bei der Wahl der Orte, den Plätzen und vorher/nachher) nicht mit ihrer "
        "wirklichen Zielgruppe, sondern mit einem gleichen Anteil an dem, was nach den "
        "veröffentlichten Zahlen im Kreis übrig bleibt (Kreis insgesamt minus gezeigte "
        "Gemeinden); ihr wirklicher Bedarf kann davon abweichen."
        if not bool(sicht.all())
        else ""
    )
    lines += [
        "",
        "Vorher/nachher ist mit demselben Verfahren neu berechnet (die neuen Plätze "
        "teilen sich alle Berechtigten in Reichweite, auch schon versorgte), nicht "
        f"geschätzt.{gesperrt_im_kreis} Modellwerte, keine Zählung.",
    ]
    return "\n".join(lines)
