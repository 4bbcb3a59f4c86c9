"""Übersicht app: key figures, map, coverage matrix and the largest gaps per Kommune.

Everything is computed once for the whole Kreis when the app starts
(:class:`UebersichtDaten`); a change of Kommune or Handlungsfeld only selects
and formats. Person counts are published through
:func:`thm_lib.disclosure.suppression.suppress` as ONE table (Gemeinden plus the Kreis
total), so switching between Kommunen cannot recover a hidden count by
difference. Coverage cells and gaps of a Gemeinde whose target group is
hidden, or whose modelled demand is a small count, are hidden as well.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import ipywidgets as widgets
import mapclassify  # noqa: F401 - the map classes need it; ~1 s import, paid with the app
import numpy as np
import pandas as pd

from thm_lib.analysis import access, coverage, staffing
from thm_lib.apps.common import (
    WIDE,
    esc,
    fmt_positions,
    gemeinde_options,
    guarded,
    header,
    published_count,
    refit_on_resize,
    show_app,
    table_html,
    tiles_html,
)
from thm_lib.apps.standort import StandortPanel
from thm_lib.core.formats import prozent, zahl
from thm_lib.core.labels import KREIS
from thm_lib.core.workspace import Workspace, angebote_fuer
from thm_lib.disclosure.suppression import PublishedTable
from thm_lib.publish import maps
from thm_lib.publish.maps.legend import legend_entries
from thm_lib.publish.maps.measure import Measure, classes_for, textfarbe
from thm_lib.publish.views import (
    bemessung_zeile,
    kennzahlen_tabelle,
    personen_tabelle,
    stellen_gesperrt,
    versorgung_gesperrt,
    zeichen_geheim,
)

ALLE = "__alle__"
"""Dropdown value meaning "all Handlungsfelder"."""
LABEL_KREIS = "Ganzer Kreis"


@dataclass
class UebersichtDaten:
    """Aggregates of the whole Kreis behind the Übersicht (computed once).

    Attributes
    ----------
    ws : Workspace
    result : thm_lib.analysis.coverage.CoverageResult
    kennzahlen : PublishedTable
        Index ``ags`` plus the total row :data:`KREIS`; count columns
        ``zielgruppe`` and ``klienten``, share ``reichweite``.
    bemessung : pandas.DataFrame
        :func:`thm_lib.analysis.staffing.stellenbemessung` (positions, not persons).
    """

    ws: Workspace
    result: coverage.CoverageResult
    kennzahlen: PublishedTable
    bemessung: pd.DataFrame

    @classmethod
    def build(cls, ws: Workspace) -> UebersichtDaten:
        """Compute the Kreis-wide aggregates of ``ws``."""
        # the reports' table (same numbers, same hidden cells as the Excel and HTML)
        pub = kennzahlen_tabelle(ws)
        return cls(
            ws=ws,
            result=coverage.analyse(ws),
            kennzahlen=pub,
            bemessung=staffing.stellenbemessung(ws),
        )

    # ------------------------------------------------------------------ derived tables
    @cached_property
    def angebote_gueltig(self) -> pd.DataFrame:
        """Offers valid at the Stichtag (public inventory)."""
        ang = self.ws.angebote
        return ang[access.valid_at(ang, self.ws.stichtag)].reset_index(drop=True)

    @cached_property
    def versorgung(self) -> pd.DataFrame:
        """Coverage per Gemeinde × Handlungsfeld with a ``gesperrt`` flag.

        The rule of the reports: :func:`thm_lib.publish.views.versorgung_gesperrt`.
        """
        g = self.result.gemeinden.copy()
        g["gesperrt"] = versorgung_gesperrt(self.ws, self.result).to_numpy()
        return g

    # ------------------------------------------------------------------ views
    def kennzahlen_html(self) -> str:
        """The published per-Gemeinde table (library rendering, marked for the privacy guard)."""
        pub = self.kennzahlen.published.rename(
            index=lambda a: "Kreis insgesamt" if a == KREIS else self.ws.gemeinde_name(a)
        )
        pub.index.name = "Gemeinde"
        return replace(self.kennzahlen, published=pub).to_html()

    def shown_kennzahl(self, ags: str, column: str) -> Any:
        """The published value of ``column`` for a Gemeinde (or :data:`KREIS`)."""
        return self.kennzahlen.published.loc[ags, column]

    @cached_property
    def personen(self) -> PublishedTable:
        """Published person counts behind the staffing estimates (:func:`personen_tabelle`)."""
        return personen_tabelle(self.ws, self.bemessung)

    def faq_stellen(self, ags: str) -> float | str:
        """FAQ positions of a Gemeinde, or of the Kreis as one applicant.

        The suppression mark when the positions would reveal a hidden count.
        """
        row = bemessung_zeile(self.bemessung, ags)
        if stellen_gesperrt(self.personen, ags, row["faq_regel"])["faq"]:
            return zeichen_geheim(self.ws)
        return float(row["faq_stellen"])

    def anzahl_angebote(self, ags: str, feld: str) -> int:
        """Offers valid at the Stichtag in (or serving) the Gemeinde, in the field."""
        ang = self.angebote_gueltig
        if ags != KREIS:
            ang = ang[angebote_fuer(ang, ags)]
        if feld != ALLE:
            ang = ang[ang["handlungsfeld"] == feld]
        return len(ang)

    def zeilen(self, ags: str, feld: str) -> pd.DataFrame:
        """Rows of :attr:`versorgung` for the selection."""
        v = self.versorgung
        if ags != KREIS:
            v = v[v["ags"] == ags]
        if feld != ALLE:
            v = v[v["handlungsfeld"] == feld]
        return v

    def unterversorgung(self, ags: str, feld: str) -> int:
        """Number of Gemeinde × Handlungsfeld cells classed Unterversorgung (shown ones)."""
        v = self.zeilen(ags, feld)
        return int(((v["klasse"] == coverage.KLASSE_UNTER) & ~v["gesperrt"]).sum())

    def luecken(self, ags: str, feld: str) -> pd.DataFrame:
        """The largest gaps (missing places) of the selection, hidden cells left out."""
        v = self.zeilen(ags, feld)
        v = v[~v["gesperrt"] & (v["fehlende_plaetze"] > 0) & (v["klasse"] == coverage.KLASSE_UNTER)]
        n = int(self.ws.annahmen.apps.top_luecken)
        return v.sort_values("fehlende_plaetze", ascending=False).head(n)

    # ------------------------------------------------------------------ one picture
    @cached_property
    def gesperrt_legende(self) -> tuple[str, str]:
        """``(colour, German text)`` of a hidden value: the maps' legend entry, used by map,
        matrix and texts alike."""
        return legend_entries(
            [], any_suppressed=True, any_missing=False, threshold=self.kennzahlen.threshold
        )[0]

    @cached_property
    def klassen_farben(self) -> dict[str, str]:
        """Colour of each gap class: the map's (:func:`thm_lib.publish.maps.gap_class_measure`).

        The classes themselves come from :mod:`thm_lib.analysis.coverage` with the thresholds
        of the assumptions (``versorgung.untere_schwelle``/``obere_schwelle``).
        """
        feld = str(self.result.gemeinden["handlungsfeld"].iloc[0])
        return dict(maps.gap_class_measure(self.result, feld).categories)

    def gesperrt_in(self, ags: str, feld: str) -> int:
        """Number of hidden Gemeinde × Handlungsfeld cells in the selection."""
        return int(self.zeilen(ags, feld)["gesperrt"].sum())

    def karten_measure(self, feld: str) -> Measure:
        """What the map colours, as categories with the hidden cells as the suppression entry.

        All fields: the published target group (classes of the shown counts, as a count
        map would draw them). One field: the gap class of each Gemeinde (thresholds from
        the assumptions), the Versorgungsgrad in the tooltip. A value the published
        tables hide is shown with the same mark and legend text as in the matrix.
        """
        farbe, text = self.gesperrt_legende
        if feld == ALLE:
            pub = self.kennzahlen.published["zielgruppe"].drop(KREIS)
            hidden = self.kennzahlen.mask["zielgruppe"].drop(KREIS).astype(bool)
            numbers = pd.to_numeric(pub.where(~hidden), errors="coerce").astype(float)
            base = maps.count_measure(numbers, "Zielgruppe (Personen)")
            cfg = self.ws.annahmen.karten
            classes = classes_for(numbers.dropna(), base, cfg.klassifikation, cfg.klassen)
            label_of = dict(zip(classes.colors, classes.labels, strict=True)) if classes else {}
            values = pd.Series(
                [
                    label_of.get(classes.color_of(v)) if classes and pd.notna(v) else None
                    for v in numbers
                ],
                index=numbers.index,
                dtype=object,
            )
            details = pub.where(hidden, numbers.map(lambda v: f"{zahl(v)} Personen"))
            categories = tuple(zip(classes.labels, classes.colors, strict=True)) if classes else ()
            measure = Measure(
                values=values,
                label=base.label,
                kind="klasse",
                categories=categories,
                details=details,
            )
        else:
            measure = maps.gap_class_measure(self.result, feld)
            hidden = (
                self.versorgung.loc[self.versorgung["handlungsfeld"] == feld]
                .set_index("ags")["gesperrt"]
                .reindex(measure.values.index)
                .fillna(False)
                .astype(bool)
            )
            details = measure.details.astype(object).copy()
            details[hidden] = zeichen_geheim(self.ws)  # never the hidden Versorgungsgrad
            values = measure.values.astype(object).copy()
            measure = replace(measure, values=values, details=details)
        values = measure.values.copy()
        values[hidden.reindex(values.index).fillna(False).astype(bool)] = text
        return replace(measure, values=values, categories=(*measure.categories, (text, farbe)))


class Uebersicht:
    """The Übersicht app: Kommune and Handlungsfeld → figures, map, matrix, gaps.

    Parameters
    ----------
    ws : Workspace
        The loaded Arbeitsmappe.
    daten : UebersichtDaten, optional
        Precomputed aggregates (default: computed from ``ws``).
    mit_karte : bool, optional
        Draw the map on every change (default). False leaves the map empty: for callers
        that only read the figures and tables of many selections (the static view).

    Attributes
    ----------
    kommune, handlungsfeld : ipywidgets.Dropdown
    kennzahlen, karte, matrix, luecken : ipywidgets.HTML
    widget : ipywidgets.VBox
        The whole app.
    """

    def __init__(
        self, ws: Workspace, daten: UebersichtDaten | None = None, *, mit_karte: bool = True
    ) -> None:
        self.ws = ws
        self.mit_karte = mit_karte
        self.daten = daten or UebersichtDaten.build(ws)
        self._maps: dict[tuple[str, str], str] = {}
        self.kommune = widgets.Dropdown(
            options=gemeinde_options(ws, LABEL_KREIS),
            value=KREIS,
            description="Kommune",
            style=WIDE,
        )
        self.kommune.add_class("thm-kommune")
        felder = [("Alle Handlungsfelder", ALLE)] + [(h, h) for h in ws.handlungsfelder]
        self.handlungsfeld = widgets.Dropdown(
            options=felder, value=ALLE, description="Handlungsfeld", style=WIDE
        )
        self.handlungsfeld.add_class("thm-handlungsfeld")
        self.kennzahlen = widgets.HTML().add_class("thm-kennzahlen-box")
        self.karte = widgets.HTML().add_class("thm-karte")
        self.matrix = widgets.HTML().add_class("thm-matrix")
        self.luecken = widgets.HTML().add_class("thm-luecken")
        self.status = widgets.HTML().add_class("thm-status")
        self.standort = StandortPanel(ws, self.daten.result)
        self.widget = (
            widgets.VBox(
                [
                    header("Übersicht: Zielgruppe, Angebote und Versorgungslücken", ws),
                    widgets.HBox([self.kommune, self.handlungsfeld]),
                    self.kennzahlen,
                    self.status,
                    widgets.HTML("<h3>Karte</h3>"),
                    self.karte,
                    widgets.HTML("<h3>Versorgungsgrad je Gemeinde und Handlungsfeld</h3>"),
                    self.matrix,
                    widgets.HTML("<h3>Größte Versorgungslücken</h3>"),
                    self.luecken,
                    widgets.HTML(
                        "<h3>Standortplanung: wo neue Plätze die meisten Lücken schließen</h3>"
                    ),
                    self.standort.widget,
                ]
            )
            .add_class("thm-app")
            .add_class("thm-uebersicht")
        )
        handler = guarded(self.status, self.update)
        self.kommune.observe(handler, names="value")
        self.handlungsfeld.observe(handler, names="value")
        self.update()

    # ------------------------------------------------------------------ figures
    def werte(self) -> dict[str, str]:
        """The key figures as shown (German text), by key."""
        d, ags, feld = self.daten, self.kommune.value, self.handlungsfeld.value
        zg = d.shown_kennzahl(ags, "zielgruppe")
        kl = d.shown_kennzahl(ags, "klienten")
        rw = d.shown_kennzahl(ags, "reichweite")
        return {
            "zielgruppe": zahl(zg),
            "klienten": zahl(kl),
            "reichweite": prozent(rw),
            "stellen": fmt_positions(d.faq_stellen(ags)),
            "angebote": zahl(d.anzahl_angebote(ags, feld)),
            "unterversorgung": zahl(d.unterversorgung(ags, feld)),
        }

    def _kennzahlen_html(self) -> str:
        w = self.werte()
        a = self.ws.annahmen.zielgruppe
        zg_label = f"Zielgruppe ({a.alter_min}–{a.alter_max} J., Personen)"
        feld = self.handlungsfeld.value
        suffix = "" if feld == ALLE else f" ({feld})"
        tiles = tiles_html(
            [
                ("thm-zielgruppe", zg_label, w["zielgruppe"]),
                ("thm-klienten", f"Klient*innen THM {self.ws.stichtag.year}", w["klienten"]),
                ("thm-reichweite", f"Reichweite {self.ws.stichtag.year}", w["reichweite"]),
                ("thm-stellen", "Stellen nach FAQ-Regel (VZÄ)", w["stellen"]),
                ("thm-angebote", "Angebote am Stichtag" + suffix, w["angebote"]),
                (
                    "thm-unterversorgung",
                    "Unterversorgung (Gemeinde × Handlungsfeld)" + suffix,
                    w["unterversorgung"],
                ),
            ]
        )
        t = self.daten.kennzahlen.threshold
        note = (
            f'<div class="thm-hinweis">Werte von 1 bis {t - 1} als „&lt;{t}“, weitere '
            f"gesperrte Werte als „{esc(zeichen_geheim(self.ws))}“ (Datenschutz).</div>"
        )
        table = ""
        if self.kommune.value == KREIS:
            table = (
                "<details class='thm-je-gemeinde'><summary>Zielgruppe und Reichweite je "
                "Gemeinde</summary>" + self.daten.kennzahlen_html() + "</details>"
            )
        return tiles + note + table

    # ------------------------------------------------------------------ map
    def karte_seite(self, ags: str, feld: str) -> str:
        """The folium page of the map of a selection (Leaflet inlined, no network).

        Parameters
        ----------
        ags : str
            A Gemeinde or :data:`KREIS`.
        feld : str
            A Handlungsfeld or :data:`ALLE`.

        Returns
        -------
        str
            A complete HTML page that re-fits the map when its frame changes size.
        """
        ws = self.ws if ags == KREIS else self.ws.for_kommune(ags)
        height = int(self.ws.annahmen.apps.karte_hoehe_px)
        fmap = maps.kreis_map(
            ws,
            self.daten.karten_measure(feld),
            handlungsfeld=None if feld == ALLE else feld,
            height=f"{height}px",
        )
        return refit_on_resize(maps.map_html(fmap))

    def karte_html(self) -> str:
        """The map of the selection as an ``<iframe srcdoc>`` (Leaflet inlined, no network)."""
        key = (self.kommune.value, self.handlungsfeld.value)
        if key not in self._maps:
            ags, feld = key
            height = int(self.ws.annahmen.apps.karte_hoehe_px)
            page = html.escape(self.karte_seite(ags, feld), quote=True)
            auswahl = html.escape(f"{ags}|{feld}", quote=True)
            self._maps[key] = (
                f'<iframe class="thm-karte-frame" data-auswahl="{auswahl}" '
                f'srcdoc="{page}" '
                f'style="width:100%;height:{height + 10}px;border:0" '
                'sandbox="allow-scripts"></iframe>'
            )
        return self._maps[key]

    # ------------------------------------------------------------------ matrix
    def matrix_tabelle(self) -> pd.DataFrame:
        """The coverage matrix as shown: Gemeinde rows, Handlungsfeld columns, text cells."""
        v = self.daten.zeilen(self.kommune.value, ALLE)
        text = np.where(
            v["gesperrt"],
            zeichen_geheim(self.ws),
            np.where(
                v["klasse"] == coverage.KLASSE_KEIN_BEDARF,
                "–",
                [zahl(x) + " %" for x in v["versorgungsgrad"]],
            ),
        )
        wide = v.assign(text=text).pivot(index="name", columns="handlungsfeld", values="text")
        wide = wide.reindex(columns=self.ws.handlungsfelder)
        order = v.drop_duplicates("ags")["name"]
        return wide.reindex(order)

    def _matrix_html(self) -> str:
        v = self.daten.zeilen(self.kommune.value, ALLE)
        farben = self.daten.klassen_farben
        gesperrt_farbe, gesperrt_text = self.daten.gesperrt_legende
        colour = {
            (r.name, r.handlungsfeld): gesperrt_farbe
            if r.gesperrt
            else farben.get(r.klasse, "#fff")
            for r in v.itertuples()
        }
        wide = self.matrix_tabelle()
        feld = self.handlungsfeld.value
        head = "<th>Gemeinde</th>" + "".join(
            f"<th{' class=thm-aktiv style=background:#ffe' if h == feld else ''}>{esc(h)}</th>"
            for h in wide.columns
        )
        rows = []
        for name, row in wide.iterrows():
            cells = "".join(
                f'<td class="thm-zahl" style="{_farben(colour.get((name, h), "#fff"))}">'
                f"{esc(row[h])}</td>"
                for h in wide.columns
            )
            rows.append(f"<tr><th>{esc(name)}</th>{cells}</tr>")
        legend = " ".join(
            f'<span class="thm-legende-eintrag" style="{_farben(c)};padding:0 6px;'
            f'border:1px solid #ccc">{esc(k)}</span>'
            for k, c in [*farben.items(), (gesperrt_text, gesperrt_farbe)]
        )
        a = self.ws.annahmen.versorgung
        note = (
            f"Versorgungsgrad = erreichbare Plätze je Person mit Bedarf. Unterversorgung "
            f"unter {prozent(a.untere_schwelle)}, Überversorgung über "
            f"{prozent(a.obere_schwelle)}."
        )
        return (
            f'<div style="overflow-x:auto"><table class="thm-tabelle thm-matrix-tabelle">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f"<div class='thm-hinweis'>{legend}<br>"
            f"{esc(note)}</div>"
        )

    # ------------------------------------------------------------------ gaps
    def luecken_tabelle(self) -> pd.DataFrame:
        """The top gaps with the offers that explain them (formatted text)."""
        d = self.daten
        gaps = d.luecken(self.kommune.value, self.handlungsfeld.value)
        n_off = int(self.ws.annahmen.apps.angebote_je_luecke)
        einheit = "Min." if self.ws.annahmen.erreichbarkeit.einheit == "minuten" else "km"
        rows = []
        for r in gaps.itertuples():
            if r.kein_angebot_erreichbar:
                erklaerung = "kein passendes Angebot erreichbar"
            else:
                ex = coverage.explain(d.result, r.ags, r.handlungsfeld).head(n_off)
                erklaerung = (
                    "; ".join(
                        f"{o.name} ({o.traeger}, "
                        + ("aufsuchend" if o.aufsuchend else f"{zahl(o.kosten)} {einheit}")
                        + f", {prozent(o.anteil)} der erreichbaren Plätze)"
                        for o in ex.itertuples()
                    )
                    or "kein passendes Angebot erreichbar"
                )
            rows.append(
                {
                    "Gemeinde": r.name,
                    "Handlungsfeld": r.handlungsfeld,
                    "Versorgungsgrad": zahl(r.versorgungsgrad) + " %",
                    "Fehlende Plätze": zahl(
                        published_count(r.fehlende_plaetze, d.kennzahlen.threshold)
                    ),
                    "Angebote (größter Beitrag zuerst)": erklaerung,
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "Gemeinde",
                "Handlungsfeld",
                "Versorgungsgrad",
                "Fehlende Plätze",
                "Angebote (größter Beitrag zuerst)",
            ],
        )

    def _luecken_html(self) -> str:
        table = self.luecken_tabelle()
        n_hidden = self.daten.gesperrt_in(self.kommune.value, self.handlungsfeld.value)
        hint = ""
        if n_hidden:
            hint = (
                f"<p class='thm-hinweis thm-gesperrt-hinweis'>{zahl(n_hidden)} Werte "
                f"(Gemeinde × Handlungsfeld) sind gesperrt: "
                f"{esc(self.daten.gesperrt_legende[1])}. Dort kann eine Unterversorgung "
                "bestehen; sie ist hier nicht aufgeführt.</p>"
            )
        if table.empty:
            if n_hidden:
                return "<p>Keine Unterversorgung unter den gezeigten Werten.</p>" + hint
            return "<p>Keine Unterversorgung in dieser Auswahl.</p>"
        return (
            table_html(table, "thm-luecken-tabelle", numeric=("Versorgungsgrad", "Fehlende Plätze"))
            + hint
        )

    # ------------------------------------------------------------------ update
    def update(self) -> None:
        """Recompute every output for the current selection."""
        self.status.value = ""
        self.kennzahlen.value = self._kennzahlen_html()
        self.matrix.value = self._matrix_html()
        self.luecken.value = self._luecken_html()
        self.karte.value = self.karte_html() if self.mit_karte else ""


def _farben(hintergrund: str) -> str:
    """CSS of a coloured cell: the background and a text colour readable on it."""
    return f"background:{hintergrund};color:{textfarbe(hintergrund)}"


def build(ws: Workspace) -> Uebersicht:
    """Build the Übersicht app for a Workspace."""
    return Uebersicht(ws)


def show(arbeitsmappe: str | os.PathLike[str] | None = None) -> Uebersicht | None:
    """Display the Übersicht for an Arbeitsmappe (default: ``$THM_ARBEITSMAPPE`` or sample)."""
    return show_app(build, arbeitsmappe)
