"""Standortplanung panel of the Übersicht app: Handlungsfeld and p → sites, map before/after.

A plan needs the unmet demand of every Gemeinde, hidden ones included, so the
app cannot compute it: every choice (Handlungsfeld × 1..:data:`P_MAX` sites ×
:func:`zugang_optionen`) is computed in the process that builds the apps' bundle
(:class:`StandortVorrat`, :mod:`thm_lib.apps.daten`), and only what the panel
shows is kept: the text, the two tables and the two maps' classes, all after
:func:`thm_lib.publish.views.versorgung_gesperrt` (via :mod:`thm_lib.analysis.standort`
and :mod:`thm_lib.publish.standort_anzeige`; the places of the planned offers from
published figures only, :func:`~thm_lib.publish.standort_anzeige.planen_veroeffentlicht`).
About 0.1 s per choice on the sample Kreis (``docs/performance.md``).
"""

from __future__ import annotations

import html
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import ipywidgets as widgets
import pandas as pd

from thm_lib.analysis import coverage, standort
from thm_lib.apps.common import (
    WIDE,
    esc,
    guarded,
    leaflet_verlinken,
    refit_on_resize,
    table_html,
)
from thm_lib.core.formats import zahl
from thm_lib.core.labels import STATUS_LABEL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.versorgung import (
    modellquoten,
    versorgung_veroeffentlicht,
    ws_veroeffentlicht,
)
from thm_lib.publish import maps, standort_anzeige
from thm_lib.publish.maps.measure import Measure, nur_gezeigte
from thm_lib.publish.standort_anzeige import ZUSTAENDE, feld_waehlen

P_MAX = 5


def zugang_optionen(status: Sequence[str]) -> list[tuple[str, str]]:
    """The panel's "offen für" choices for the Kreis's statuses (``zielgruppe.status``):
    all of them, and each alone when there are several.

    Examples
    --------
    >>> zugang_optionen(["duldung", "gestattung"])
    [('alle Status', ''), ('nur Duldung', 'duldung'), ('nur Aufenthaltsgestattung', 'gestattung')]
    >>> zugang_optionen(["duldung"])
    [('alle Status', '')]
    """
    einzeln = [(f"nur {STATUS_LABEL.get(s, s)}", s) for s in status] if len(status) > 1 else []
    return [("alle Status", ""), *einzeln]


def markdown_html(text: str) -> str:
    """The little Markdown of :func:`~thm_lib.publish.standort_anzeige.erklaerung` as HTML.

    Bold (``**…**``) and the backslash escapes of names (:func:`thm_lib.core.formats.md`):
    an escaped ``\\*`` is no bold mark, and its backslash is dropped.
    """
    parts = []
    for block in text.split("\n"):
        if not block.strip():
            continue
        line = esc(block)
        line = re.sub(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", r"<b>\1</b>", line)
        line = re.sub(r"\\(.)", r"\1", line)
        parts.append(f"<p>{line}</p>")
    return "".join(parts)


def table_frame_html(frame: Any, css: str) -> str:
    """A published table (index + columns) as formatted HTML text cells."""

    flat = frame.reset_index()
    text = flat.map(lambda v: zahl(v, 1) if isinstance(v, float) else str(v))
    numeric = tuple(c for c in flat.columns if flat[c].dtype.kind == "f")
    return table_html(text, css, numeric=numeric)


@dataclass(frozen=True)
class StandortAnsicht:
    """What the panel shows for one choice: published text, tables and the maps' classes.

    Attributes
    ----------
    text : str
        :func:`~thm_lib.publish.standort_anzeige.erklaerung` (Markdown).
    standorte, wirkung : pandas.DataFrame or None
        :func:`~thm_lib.publish.standort_anzeige.standort_tabelle` and
        :func:`~thm_lib.publish.standort_anzeige.wirkung_tabelle`; None without a site.
    karten : dict
        ``vorher``/``nachher`` → :func:`~thm_lib.publish.standort_anzeige.karten_measure`.
    neue_angebote : geopandas.GeoDataFrame
        The proposed offers (the map after shows them with the others).
    handlungsfeld : str
    """

    text: str
    standorte: pd.DataFrame | None
    wirkung: pd.DataFrame | None
    karten: dict[str, Measure]
    neue_angebote: gpd.GeoDataFrame
    handlungsfeld: str


def ansicht(ws: Workspace, plan: standort.Standortplanung) -> StandortAnsicht:
    """The published view of a plan (computed where the Arbeitsmappe is, never in an app)."""
    mit = bool(len(plan.loesung.auswahl))
    return StandortAnsicht(
        text=standort_anzeige.erklaerung(ws, plan),
        standorte=standort_anzeige.standort_tabelle(ws, plan) if mit else None,
        wirkung=standort_anzeige.wirkung_tabelle(ws, plan) if mit else None,
        karten={z: nur_gezeigte(standort_anzeige.karten_measure(plan, ws, z)) for z in ZUSTAENDE},
        neue_angebote=plan.neue_angebote,
        handlungsfeld=plan.handlungsfeld,
    )


Wahl = tuple[str, int, str]
"""A choice of the panel: Handlungsfeld, number of sites, Zugang."""


class StandortVorrat:
    """Every choice of the panel, computed once (see the module's docstring).

    Parameters
    ----------
    start_feld : str
        The Handlungsfeld shown first (:func:`~thm_lib.publish.standort_anzeige.feld_waehlen`).
    felder : list of str
        The Handlungsfelder.
    rechner : callable, optional
        Computes the view of a choice; only in the process that holds the Arbeitsmappe.
        A pickled Vorrat holds every view and no calculator.
    zugaenge : list of (label, value)
        The "offen für" choices (:func:`zugang_optionen`).
    """

    def __init__(
        self,
        start_feld: str,
        felder: list[str],
        rechner: Callable[[Wahl], StandortAnsicht],
        zugaenge: list[tuple[str, str]],
    ) -> None:
        self.start_feld = start_feld
        self.felder = list(felder)
        self.zugaenge = list(zugaenge)
        # a view, or its pickle (a kernel unpickles only the views a viewer asks for)
        self._ansichten: dict[Wahl, StandortAnsicht | bytes] = {}
        self._rechner: Callable[[Wahl], StandortAnsicht] | None = rechner

    @classmethod
    def rechnen(cls, ws: Workspace, result: coverage.CoverageResult) -> StandortVorrat:
        """A Vorrat for ``ws`` that computes each choice when first asked for it.

        ``result`` (an analysis of ``ws``) chooses the Handlungsfeld shown first. Call
        :meth:`vollstaendig` before handing the Vorrat to an app kernel.
        """
        quoten = modellquoten(ws)
        # per Handlungsfeld, shared by its P_MAX × zugaenge choices
        vorher: dict[str, coverage.CoverageResult] = {}
        modell_ws: dict[str, Workspace] = {}
        orte: list[standort.Orte] = []  # candidates and costs: one for every choice

        def rechner(wahl: Wahl) -> StandortAnsicht:
            feld, p, zugang = wahl
            if feld not in vorher:
                vorher[feld] = versorgung_veroeffentlicht(ws, [feld], quoten=quoten)
                modell_ws[feld] = ws_veroeffentlicht(ws, [feld], quoten=quoten)
            if not orte:
                orte.append(standort.orte_und_kosten(ws))
            plan = standort_anzeige.planen_veroeffentlicht(
                ws,
                feld,
                p=p,
                zugang=zugang,
                vorher=vorher[feld],
                quoten=quoten,
                modell_ws=modell_ws[feld],
                orte=orte[0],
            )
            return ansicht(ws, plan)

        zugaenge = zugang_optionen(ws.annahmen.zielgruppe.status)
        return cls(feld_waehlen(ws, result), ws.handlungsfelder, rechner, zugaenge)

    def wahlen(self) -> list[Wahl]:
        """Every choice the panel offers."""
        return [
            (feld, p, zugang)
            for feld in self.felder
            for p in range(1, P_MAX + 1)
            for _, zugang in self.zugaenge
        ]

    def ansicht(self, feld: str, p: int, zugang: str) -> StandortAnsicht:
        """The view of one choice."""
        wahl = (feld, int(p), zugang)
        if wahl not in self._ansichten:
            if self._rechner is None:
                raise KeyError(f"Standortplanung {wahl} ist nicht vorberechnet")
            self._ansichten[wahl] = self._rechner(wahl)
        gespeichert = self._ansichten[wahl]
        if isinstance(gespeichert, bytes):
            gespeichert = self._ansichten[wahl] = pickle.loads(gespeichert)
        return gespeichert

    def vollstaendig(self) -> StandortVorrat:
        """Compute every choice (:meth:`wahlen`) and drop the calculator."""
        for wahl in self.wahlen():
            self.ansicht(*wahl)
        self._rechner = None
        return self

    def __getstate__(self) -> dict[str, Any]:
        if self._rechner is not None:
            raise ValueError("StandortVorrat.vollstaendig() vor dem Speichern aufrufen")
        state = self.__dict__.copy()
        state["_ansichten"] = {
            wahl: a if isinstance(a, bytes) else pickle.dumps(a, pickle.HIGHEST_PROTOCOL)
            for wahl, a in self._ansichten.items()
        }
        return state


class StandortPanel:
    """Widgets: Handlungsfeld, p, Zugang, button; text, tables and a before/after map.

    Parameters
    ----------
    ws : Workspace
        The public part of the Arbeitsmappe (:func:`thm_lib.apps.paket_bauen.oeffentlich`).
    vorrat : StandortVorrat
        The computed choices.
    """

    def __init__(self, ws: Workspace, vorrat: StandortVorrat) -> None:
        self.ws = ws
        self.vorrat = vorrat
        self.plan: StandortAnsicht | None = None
        self._maps: dict[str, str] = {}
        start = vorrat.start_feld
        self.handlungsfeld = widgets.Dropdown(
            options=ws.handlungsfelder, value=start, description="Handlungsfeld", style=WIDE
        )
        self.handlungsfeld.add_class("thm-standort-feld")
        self.p = widgets.Dropdown(
            options=list(range(1, P_MAX + 1)), value=2, description="neue Standorte", style=WIDE
        )
        self.p.add_class("thm-standort-p")
        self.zugang = widgets.Dropdown(
            options=vorrat.zugaenge, value="", description="offen für", style=WIDE
        )
        self.rechnen = widgets.Button(
            description="Standorte berechnen",
            icon="map-marker",
            layout=widgets.Layout(width="auto"),  # the whole label, not "Standorte berech…"
        )
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
        """Show text, tables and map of the current choice."""
        self.status.value = ""
        self.plan = self.vorrat.ansicht(
            self.handlungsfeld.value, int(self.p.value), self.zugang.value
        )
        self._maps = {}
        self.text.value = markdown_html(self.plan.text)
        if self.plan.standorte is not None and self.plan.wirkung is not None:
            self.tabellen.value = (
                table_frame_html(self.plan.standorte, "thm-standort-tabelle")
                + "<h4>Wirkung je Gemeinde (neu berechnet)</h4>"
                + table_frame_html(self.plan.wirkung, "thm-standort-wirkung")
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
            w = self.ws
            if zustand == "nachher":
                w = standort.mit_angeboten(self.ws, self.plan.neue_angebote)
            fmap = maps.kreis_map(
                w,
                self.plan.karten[zustand],
                handlungsfeld=self.plan.handlungsfeld,
                height=f"{height}px",
            )
            page = html.escape(leaflet_verlinken(refit_on_resize(maps.map_html(fmap))), quote=True)
            self._maps[zustand] = (
                f'<iframe class="thm-standort-frame" data-zustand="{zustand}" '
                f'srcdoc="{page}" style="width:100%;height:{height + 10}px;border:0" '
                'sandbox="allow-scripts"></iframe>'
            )
        return self._maps[zustand]

    def zeige_karte(self, *_args: Any) -> None:
        """Show the map of the chosen state."""
        self.karte.value = self.karte_html(self.ansicht.value)
