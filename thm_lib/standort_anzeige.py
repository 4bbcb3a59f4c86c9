"""Showing a Standortplanung: map before/after and the notebook/report section.

The analysis is :mod:`thm_lib.standort`; this module only selects, formats
and displays (so the notebook cells stay one-liners and the Übersicht app
shares the map code).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from thm_lib import standort, views
from thm_lib.coverage import CoverageResult
from thm_lib.errors import DataError, Problem
from thm_lib.workspace import Workspace

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


def karte(
    plan: standort.Standortplanung, ws: Workspace, zustand: str = "nachher", **kwargs: Any
) -> Any:
    """Folium map of the Versorgungsgrad before or after, with the proposed offers.

    ``nachher`` shows the Workspace with the proposed offers (named
    „Geplantes Angebot …“); values hidden as in the published tables.
    """
    from thm_lib import maps

    if zustand not in ZUSTAENDE:
        raise ValueError(f"zustand muss 'vorher' oder 'nachher' sein, nicht {zustand!r}")
    w, res = (ws, plan.vorher) if zustand == "vorher" else (plan.ws_nachher, plan.nachher)
    mass = views.karten_mass(w, "versorgungsgrad", plan.handlungsfeld, res)
    mass = replace(mass, label=f"{mass.label} ({zustand})")
    return maps.kreis_map(w, mass, handlungsfeld=plan.handlungsfeld, **kwargs)


def glue_werte(ws: Workspace, plan: standort.Standortplanung) -> dict[str, Any]:
    """Key figures of the section: number of sites and shown missing places closed."""
    tab = standort.standort_tabelle(ws, plan)
    geschlossen = (
        float((tab["fehlende Plätze dort vorher"] - tab["fehlende Plätze dort nachher"]).sum())
        if len(tab)
        else 0.0
    )
    return {
        "standorte": int(len(plan.loesung.auswahl)),
        "standort_geschlossen": round(geschlossen, 1),
    }


def abschnitt(
    ws: Workspace,
    ergebnis: CoverageResult,
    ags: str = "",
    handlungsfeld: str = "",
    p: int = 2,
    zugang: str = "",
) -> standort.Standortplanung | None:
    """Display the notebook's Standortplanung section (Kreis report only).

    Parameters
    ----------
    ws, ergebnis
        The Workspace and its ``coverage.analyse`` result.
    ags : str
        The Kommune of the report; "" = the Kreis (only then the section runs,
        the model places offers anywhere in the Kreis).
    handlungsfeld : str
        "" = the field with the most (shown) missing places.
    p : int
        Number of new sites.
    zugang : str
        Statuses the planned offer is open to (comma-separated, "" = all).

    Returns
    -------
    Standortplanung or None
    """
    from IPython.display import Markdown, display

    from thm_lib import notebook as nb

    if ags:
        display(
            Markdown("Die Standortplanung rechnet für den ganzen Kreis; sie steht im Kreisbericht.")
        )
        return None
    try:
        status = standort.zugang_text(zugang, ws.annahmen)
        feld = feld_waehlen(ws, ergebnis, handlungsfeld)
        if int(p) < 1:
            raise ValueError("Parameter 'p': Anzahl neuer Standorte muss mindestens 1 sein")
    except ValueError as exc:
        raise DataError(
            [Problem("Parameter", str(exc), "Bitte den Parameter korrigieren")]
        ) from None
    plan = standort.planen(ws, feld, p=int(p), zugang=list(status), vorher=ergebnis)
    display(Markdown(standort.erklaerung(ws, plan)))
    if len(plan.loesung.auswahl):
        display(nb.deutsch(standort.standort_tabelle(ws, plan), nachkomma=1))
        display(Markdown("**Wirkung je Gemeinde** (neu berechnet, nur veränderte Gemeinden):"))
        display(nb.deutsch(standort.wirkung_tabelle(ws, plan), nachkomma=1))
        display(Markdown("**Für welche Gruppen** (geschlossene Plätze je Standort):"))
        display(nb.deutsch(standort.segment_tabelle(ws, plan), nachkomma=1))
        display(karte(plan, ws, "nachher", height="450px"))
    display(
        Markdown(
            "**Alternativen mit bestehenden Angeboten** (für Geduldete öffnen oder "
            "10 Plätze aufstocken; geschlossene Plätze neu berechnet):"
        )
    )
    var = standort.varianten(ws, feld, vorher=plan.vorher)
    display(nb.deutsch(standort.varianten_tabelle(ws, var, plan.vorher), nachkomma=1))
    for name, wert in glue_werte(ws, plan).items():
        nb.glue(name, wert)
    return plan
