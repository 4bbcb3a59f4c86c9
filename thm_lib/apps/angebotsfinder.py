"""Angebotsfinder app: which offers are open to a profile, ranked by access cost.

A profile is status, age, Gemeinde and Handlungsfeld — not a person; nothing
about persons is shown. The search and its reasons are
:mod:`thm_lib.analysis.angebotssuche`; this module holds the widgets.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from thm_lib.analysis.angebotssuche import ALLE, Finder, Profil
from thm_lib.apps.common import (
    WIDE,
    ausserhalb,
    bereich,
    eingabefehler_html,
    esc,
    gemeinde_options,
    guarded,
    header,
    table_html,
)
from thm_lib.core.formats import zahl
from thm_lib.core.labels import STATUS, STATUS_LABEL


class Angebotsfinder:
    """The Angebotsfinder app (widgets around :class:`Finder`).

    Attributes
    ----------
    status, gemeinde, handlungsfeld : ipywidgets.Dropdown
    alter : ipywidgets.IntText
        Any whole number can be typed; outside ``alter_bereich`` the app says so.
    liste, ausgeschlossen : ipywidgets.HTML
    widget : ipywidgets.VBox
    """

    def __init__(self, daten: Any) -> None:
        ws = daten.ws
        self.ws = ws
        self.finder: Finder = daten.finder
        status = list(ws.annahmen.zielgruppe.status) + [
            s for s in STATUS if s not in ws.annahmen.zielgruppe.status
        ]
        self.status = widgets.Dropdown(
            options=[(STATUS_LABEL[s], s) for s in status],
            value=status[0],
            description="Status",
            style=WIDE,
        )
        self.status.add_class("thm-status-wahl")
        lo, hi = (int(x) for x in ws.annahmen.apps.profil_alter)
        start = int(ws.annahmen.zielgruppe.alter_min)
        self.alter_bereich = (lo, hi)
        # not a BoundedIntText: the browser would clamp 99 to 40 without a word
        self.alter = widgets.IntText(
            value=min(max(start, lo), hi), description=f"Alter ({bereich(lo, hi)})", style=WIDE
        )
        self.alter.add_class("thm-alter")
        opts = gemeinde_options(ws)
        self.gemeinde = widgets.Dropdown(
            options=opts, value=opts[0][1], description="Gemeinde", style=WIDE
        )
        self.gemeinde.add_class("thm-gemeinde")
        felder = [(h, h) for h in ws.handlungsfelder] + [("Alle Handlungsfelder", ALLE)]
        self.handlungsfeld = widgets.Dropdown(
            options=felder, value=felder[0][1], description="Handlungsfeld", style=WIDE
        )
        self.handlungsfeld.add_class("thm-handlungsfeld")
        self.meldung = widgets.HTML().add_class("thm-meldung")
        self.liste = widgets.HTML().add_class("thm-angebote")
        self.ausgeschlossen = widgets.HTML().add_class("thm-ausgeschlossen")
        self.widget = (
            widgets.VBox(
                [
                    header("Angebotsfinder: passende Angebote für ein Profil", ws),
                    widgets.HBox([self.status, self.alter]),
                    widgets.HBox([self.gemeinde, self.handlungsfeld]),
                    self.meldung,
                    widgets.HTML("<h3>Passende Angebote (nächstes zuerst)</h3>"),
                    self.liste,
                    widgets.HTML("<h3>Nicht passende Angebote und warum</h3>"),
                    self.ausgeschlossen,
                ]
            )
            .add_class("thm-app")
            .add_class("thm-angebotsfinder")
        )
        handler = guarded(self.meldung, self.update)
        for w in (self.status, self.alter, self.gemeinde, self.handlungsfeld):
            w.observe(handler, names="value")
        self.update()

    @property
    def profil(self) -> Profil:
        """The profile set in the widgets."""
        return Profil(
            self.status.value, int(self.alter.value), self.gemeinde.value, self.handlungsfeld.value
        )

    def update(self) -> None:
        """Search again and show both lists (or say why not: an age outside its range)."""
        self.meldung.value = ""
        fehler = ausserhalb("Alter", self.alter.value, *self.alter_bereich)
        if fehler:
            self.meldung.value = eingabefehler_html(fehler)
            self.liste.value = self.ausgeschlossen.value = (
                "<p class='thm-keine'>Keine Suche: bitte das Alter korrigieren.</p>"
            )
            return
        passend, aus = self.finder.suche(self.profil)
        einheit = self.finder.einheit
        shown = pd.DataFrame(
            {
                "Rang": passend["rang"].astype(str),
                "Angebot": passend["name"],
                "Träger": passend["traeger"],
                "Handlungsfeld": passend["handlungsfeld"],
                "Standort": passend["standort"],
                f"Weg ({einheit})": [
                    ("aufsuchend" if a else zahl(k))
                    for a, k in zip(passend["aufsuchend"], passend["kosten"], strict=True)
                ],
                "Plätze/Jahr": [zahl(p) for p in passend["plaetze"]],
            }
        )
        self.liste.value = (
            table_html(shown, "thm-angebote-tabelle", numeric=(f"Weg ({einheit})", "Plätze/Jahr"))
            if len(shown)
            else "<p class='thm-keine'>Kein passendes Angebot für dieses Profil.</p>"
        )
        ausg = pd.DataFrame(
            {
                "Angebot": aus["name"],
                "Träger": aus["traeger"],
                "Handlungsfeld": aus["handlungsfeld"],
                "Grund": aus["gruende"],
            }
        )
        self.ausgeschlossen.value = (
            table_html(ausg, "thm-ausgeschlossen-tabelle") if len(ausg) else "<p>Keine.</p>"
        )
        self.meldung.value = (
            f"<div class='thm-hinweis'>{len(passend)} passende, {len(aus)} "
            f"nicht passende Angebote · Stichtag "
            f"{esc(f'{self.ws.stichtag:%d.%m.%Y}')}</div>"
        )


def build(daten: Any) -> Angebotsfinder:
    """Build the Angebotsfinder from the apps' bundle (:class:`thm_lib.apps.daten.AppDaten`)."""
    return Angebotsfinder(daten)
