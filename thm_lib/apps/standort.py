"""Standortplanung panel of the Übersicht app: Handlungsfeld and p → sites, map before/after.

Computed on demand (button): the first run imports ``spopt`` (about 3 s);
after that one Handlungsfeld takes well under a second on the sample Kreis
(see ``docs/performance.md``). Published figures follow
:func:`thm_lib.publish.views.versorgung_gesperrt` (via :mod:`thm_lib.analysis.standort`).
"""

from __future__ import annotations

import html
import re
from typing import Any

import ipywidgets as widgets

from thm_lib.analysis import standort
from thm_lib.analysis.coverage import CoverageResult
from thm_lib.apps.common import WIDE, esc, guarded, refit_on_resize, table_html
from thm_lib.core.formats import zahl
from thm_lib.core.workspace import Workspace
from thm_lib.publish import maps, standort_anzeige
from thm_lib.publish.standort_anzeige import ZUSTAENDE, feld_waehlen, karte

ZUGANG_OPTIONEN = [
    ("alle Status", ""),
    ("nur Duldung", "duldung"),
    ("nur Aufenthaltsgestattung", "gestattung"),
]
P_MAX = 5


def markdown_html(text: str) -> str:
    """The little Markdown of :func:`~thm_lib.publish.standort_anzeige.erklaerung` as HTML."""
    parts = []
    for block in text.split("\n"):
        if not block.strip():
            continue
        line = esc(block)
        line = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", line)
        parts.append(f"<p>{line}</p>")
    return "".join(parts)


def table_frame_html(frame: Any, css: str) -> str:
    """A published table (index + columns) as formatted HTML text cells."""

    flat = frame.reset_index()
    text = flat.map(lambda v: zahl(v, 1) if isinstance(v, float) else str(v))
    numeric = tuple(c for c in flat.columns if flat[c].dtype.kind == "f")
    return table_html(text, css, numeric=numeric)


class StandortPanel:
    """Widgets: Handlungsfeld, p, Zugang, button; text, tables and a before/after map.

    Parameters
    ----------
    ws : Workspace
    result : CoverageResult
        The app's coverage of the whole Kreis (reused, not recomputed).
    """

    def __init__(self, ws: Workspace, result: CoverageResult) -> None:
        self.ws = ws
        self.result = result
        self.plan: standort.Standortplanung | None = None
        self._maps: dict[str, str] = {}
        start = feld_waehlen(ws, result)
        self.handlungsfeld = widgets.Dropdown(
            options=ws.handlungsfelder, value=start, description="Handlungsfeld", style=WIDE
        )
        self.handlungsfeld.add_class("thm-standort-feld")
        self.p = widgets.Dropdown(
            options=list(range(1, P_MAX + 1)), value=2, description="neue Standorte", style=WIDE
        )
        self.p.add_class("thm-standort-p")
        self.zugang = widgets.Dropdown(
            options=ZUGANG_OPTIONEN, value="", description="offen für", style=WIDE
        )
        self.rechnen = widgets.Button(description="Standorte berechnen", icon="map-marker")
        self.rechnen.add_class("thm-standort-rechnen")
        self.ansicht = widgets.ToggleButtons(
            options=[("vorher", "vorher"), ("nachher", "nachher")],
            value="nachher",
            description="Karte",
        )
        self.text = widgets.HTML().add_class("thm-standort-text")
        self.tabellen = widgets.HTML().add_class("thm-standort-tabellen")
        self.karte = widgets.HTML().add_class("thm-standort-karte")
        self.status = widgets.HTML().add_class("thm-status")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.handlungsfeld, self.p, self.zugang, self.rechnen]),
                self.status,
                self.text,
                self.tabellen,
                self.ansicht,
                self.karte,
            ]
        ).add_class("thm-standort")
        self.rechnen.on_click(guarded(self.status, self.update))
        self.ansicht.observe(guarded(self.status, self.zeige_karte), names="value")
        self.text.value = (
            "<p>Handlungsfeld und Anzahl neuer Standorte wählen, dann „Standorte berechnen“.</p>"
        )

    def update(self) -> None:
        """Solve for the current choice and show text, tables and map."""
        self.status.value = ""
        self.plan = standort.planen(
            self.ws,
            self.handlungsfeld.value,
            p=int(self.p.value),
            zugang=self.zugang.value,
            vorher=self.result,
        )
        self._maps = {}
        self.text.value = markdown_html(standort_anzeige.erklaerung(self.ws, self.plan))
        if len(self.plan.loesung.auswahl):
            self.tabellen.value = (
                table_frame_html(
                    standort_anzeige.standort_tabelle(self.ws, self.plan), "thm-standort-tabelle"
                )
                + "<h4>Wirkung je Gemeinde (neu berechnet)</h4>"
                + table_frame_html(
                    standort_anzeige.wirkung_tabelle(self.ws, self.plan), "thm-standort-wirkung"
                )
            )
        else:
            self.tabellen.value = ""
        self.zeige_karte()

    def karte_html(self, zustand: str) -> str:
        """The map before or after as an ``<iframe srcdoc>`` (offline Leaflet)."""

        if self.plan is None or zustand not in ZUSTAENDE:
            return ""
        if zustand not in self._maps:
            height = int(self.ws.annahmen.apps.karte_hoehe_px)
            fmap = karte(self.plan, self.ws, zustand, height=f"{height}px")
            page = html.escape(refit_on_resize(maps.map_html(fmap)), quote=True)
            self._maps[zustand] = (
                f'<iframe class="thm-standort-frame" data-zustand="{zustand}" '
                f'srcdoc="{page}" style="width:100%;height:{height + 10}px;border:0" '
                'sandbox="allow-scripts"></iframe>'
            )
        return self._maps[zustand]

    def zeige_karte(self, *_args: Any) -> None:
        """Show the map of the chosen state."""
        self.karte.value = self.karte_html(self.ansicht.value)
