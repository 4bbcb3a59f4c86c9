"""Übersicht app: key figures, map, coverage matrix and the largest gaps per Kommune.

Everything is computed once for the whole Kreis, before the app starts, in
the process that builds the apps' bundle (:class:`UebersichtDaten`, made by
:mod:`thm_lib.apps.daten`); a change of Kommune or Handlungsfeld only selects
and formats. Person counts are published through
:func:`thm_lib.disclosure.suppression.suppress` as ONE table (Gemeinden plus the Kreis
total), so switching between Kommunen cannot recover a hidden count by
difference. Coverage cells and gaps of a Gemeinde whose target group is
hidden, or whose modelled demand is a small count, are hidden as well, and
the bundle holds no figure of them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Any

import ipywidgets as widgets
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
    leaflet_verlinken,
    mit_skript,
    refit_on_resize,
    table_html,
    tiles_html,
)
from thm_lib.apps.standort import StandortPanel
from thm_lib.core import paths
from thm_lib.core.formats import prozent, versorgungsgrad, zahl
from thm_lib.core.labels import KREIS
from thm_lib.core.workspace import Workspace, angebote_fuer
from thm_lib.disclosure.suppression import PublishedTable, ohne_interne_werte
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.publish import maps, views
from thm_lib.publish.maps.legend import legend_entries
from thm_lib.publish.maps.measure import Measure, classes_for, gap_class_colours, textfarbe
from thm_lib.publish.views import (
    bemessung_zeile,
    kennzahlen_tabelle,
    personen_tabelle,
    stellen_gesperrt,
    zeichen_geheim,
)

KARTE_TAUSCH = (paths.APP_PAGES / "karte_tausch.js").read_text(encoding="utf-8")
"""The script of the map frame that swaps in the next map (``seiten/karte_tausch.js``)."""
ALLE = "__alle__"
"""Dropdown value meaning "all Handlungsfelder"."""
LABEL_KREIS = "Ganzer Kreis"


@dataclass
class UebersichtDaten:
    """The published aggregates of the whole Kreis behind the Übersicht (computed once).

    Made by :meth:`build` from the Arbeitsmappe, in the process that builds the
    apps' bundle (:mod:`thm_lib.apps.daten`); the app kernel holds only this: no
    case record, no unsuppressed count, no modelled figure of a hidden cell.

    Attributes
    ----------
    kennzahlen : PublishedTable
        Index ``ags`` plus the total row :data:`KREIS`; count columns
        ``zielgruppe`` and ``klienten``, share ``reichweite``; published cells and
        their mask only (:func:`thm_lib.disclosure.suppression.ohne_interne_werte`).
    versorgung : pandas.DataFrame
        Coverage per Gemeinde × Handlungsfeld (``ags``, ``name``, ``handlungsfeld``,
        ``klasse``, ``versorgungsgrad``, ``fehlende_plaetze``,
        ``kein_angebot_erreichbar``) with a ``gesperrt`` flag
        (:func:`thm_lib.publish.views.versorgung_gesperrt`); a hidden row carries no figure.
    faq : dict
        FAQ positions per ``ags`` and :data:`KREIS` as shown: a number or the mark.
    angebote : pandas.DataFrame
        Offers valid at the Stichtag (public inventory): ``handlungsfeld``, ``ags``,
        ``einzugsgebiet``.
    erklaerungen : dict
        ``(ags, handlungsfeld)`` → the offers explaining a shown gap
        (:func:`thm_lib.analysis.coverage.explain`, first ``angebote_je_luecke``).
    karten : dict
        Handlungsfeld (or :data:`ALLE`) → what the map colours (:meth:`karten_measure`).
    gesperrt_legende : tuple of str
        ``(colour, German text)`` of a hidden value, used by map, matrix and texts alike.
    namen : dict
        ``ags`` → name of the Gemeinde.
    top_luecken : int
        How many gaps the list shows (``annahmen.apps.top_luecken``).
    """

    kennzahlen: PublishedTable
    versorgung: pd.DataFrame
    faq: dict[str, float | str]
    angebote: pd.DataFrame
    erklaerungen: dict[tuple[str, str], pd.DataFrame]
    karten: dict[str, Measure]
    gesperrt_legende: tuple[str, str]
    namen: dict[str, str]
    top_luecken: int

    @classmethod
    def build(cls, ws: Workspace, result: coverage.CoverageResult | None = None) -> UebersichtDaten:
        """Compute the published aggregates of ``ws`` (the whole Kreis).

        Parameters
        ----------
        ws : Workspace
            The loaded Arbeitsmappe.
        result : CoverageResult, optional
            ``versorgung_veroeffentlicht(ws)`` (the coverage to publish), if already computed.
        """
        result = versorgung_veroeffentlicht(ws) if result is None else result
        # the reports' tables (same numbers, same hidden cells as the Excel and HTML)
        kennzahlen = kennzahlen_tabelle(ws)
        bemessung = staffing.stellenbemessung(ws)
        personen = personen_tabelle(ws, bemessung)
        versorgung = views.versorgung_zellen(ws, result)
        legende = legend_entries(
            [],
            any_suppressed=True,
            any_missing=False,
            threshold=kennzahlen.threshold,
            symbol=zeichen_geheim(ws),
        )[0]
        karten = {ALLE: _karte_zielgruppe(ws, kennzahlen, legende)}
        for feld in ws.handlungsfelder:
            karten[feld] = _karte_feld(ws, result, versorgung, feld, legende)
        faq: dict[str, float | str] = {}
        for ags in [KREIS, *ws.gebiete["ags"].astype(str)]:
            row = bemessung_zeile(bemessung, ags)
            hidden = stellen_gesperrt(personen, ags)["faq"]
            faq[ags] = zeichen_geheim(ws) if hidden else float(row["faq_stellen"])
        ang = ws.angebote
        gueltig = ang[access.valid_at(ang, ws.stichtag)].reset_index(drop=True)
        n_off = int(ws.annahmen.apps.angebote_je_luecke)
        gezeigt = versorgung[
            ~versorgung["gesperrt"]
            & (versorgung["klasse"] == coverage.KLASSE_UNTER)
            & ~versorgung["kein_angebot_erreichbar"].astype(bool)
        ]
        erklaerungen = {
            (r.ags, r.handlungsfeld): coverage.explain(result, r.ags, r.handlungsfeld)
            .head(n_off)[["name", "traeger", "aufsuchend", "kosten", "anteil"]]
            .reset_index(drop=True)
            for r in gezeigt.itertuples()
        }
        return cls(
            kennzahlen=ohne_interne_werte(kennzahlen),
            versorgung=versorgung,
            faq=faq,
            angebote=pd.DataFrame(gueltig[["handlungsfeld", "ags", "einzugsgebiet"]]),
            erklaerungen=erklaerungen,
            karten=karten,
            gesperrt_legende=legende,
            namen=dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True)),
            top_luecken=int(ws.annahmen.apps.top_luecken),
        )

    # ------------------------------------------------------------------ views
    def kennzahlen_html(self) -> str:
        """The published per-Gemeinde table (library rendering, marked for the privacy guard)."""
        pub = self.kennzahlen.published.rename(
            index=lambda a: "Kreis insgesamt" if a == KREIS else self.namen[a]
        )
        pub.index.name = "Gemeinde"
        return replace(self.kennzahlen, published=pub).to_html()

    def shown_kennzahl(self, ags: str, column: str) -> Any:
        """The published value of ``column`` for a Gemeinde (or :data:`KREIS`)."""
        return self.kennzahlen.published.loc[ags, column]

    def faq_stellen(self, ags: str) -> float | str:
        """FAQ positions of a Gemeinde, or of the Kreis as one applicant.

        The suppression mark when the positions would reveal a hidden count.
        """
        return self.faq[ags]

    def anzahl_angebote(self, ags: str, feld: str) -> int:
        """Offers valid at the Stichtag in (or serving) the Gemeinde, in the field."""
        ang = self.angebote
        if ags != KREIS:
            ang = ang[angebote_fuer(ang, ags)]
        if feld != ALLE:
            ang = ang[ang["handlungsfeld"] == feld]
        return len(ang)

    def zeilen(self, ags: str, feld: str) -> pd.DataFrame:
        """Cells of :attr:`versorgung` for the selection (:func:`.views.zellen_auswahl`)."""
        return views.zellen_auswahl(self.versorgung, ags, None if feld == ALLE else feld)

    def luecken(self, ags: str, feld: str) -> pd.DataFrame:
        """The largest gaps (missing places) of the selection, hidden cells left out."""
        return views.groesste_luecken(self.zeilen(ags, feld), self.top_luecken)

    def erklaerung(self, ags: str, feld: str) -> pd.DataFrame:
        """The offers that explain the shown gap of ``ags`` in ``feld`` (largest share first)."""
        return self.erklaerungen.get((ags, feld), pd.DataFrame())

    # ------------------------------------------------------------------ one picture
    @property
    def klassen_farben(self) -> dict[str, str]:
        """Colour of each gap class: the map's (:func:`thm_lib.publish.maps.gap_class_colours`).

        The classes themselves come from :mod:`thm_lib.analysis.coverage` with the thresholds
        of the assumptions (``versorgung.untere_schwelle``/``obere_schwelle``).
        """
        return dict(gap_class_colours())

    def gesperrt_in(self, ags: str, feld: str) -> int:
        """Number of hidden Gemeinde × Handlungsfeld cells in the selection."""
        return int(self.zeilen(ags, feld)["gesperrt"].sum())

    def karten_measure(self, feld: str) -> Measure:
        """What the map colours for ``feld`` (a Handlungsfeld or :data:`ALLE`).

        All fields: classes of the published target group. One field: the gap class of
        each Gemeinde, the Versorgungsgrad in the tooltip. A value the published tables
        hide is shown with the same mark and legend text as in the matrix.
        """
        return self.karten[feld]


def _karte_zielgruppe(
    ws: Workspace, kennzahlen: PublishedTable, legende: tuple[str, str]
) -> Measure:
    """The map of all fields: classes of the published target group (count map classes)."""
    farbe, text = legende
    pub = kennzahlen.published["zielgruppe"].drop(KREIS)
    hidden = kennzahlen.mask["zielgruppe"].drop(KREIS).astype(bool)
    numbers = pd.to_numeric(pub.where(~hidden), errors="coerce").astype(float)
    base = maps.count_measure(numbers, "Zielgruppe (Personen)")
    cfg = ws.annahmen.karten
    classes = classes_for(numbers.dropna(), base, cfg.klassifikation, cfg.klassen)
    label_of = dict(zip(classes.colors, classes.labels, strict=True)) if classes else {}
    values = pd.Series(
        [label_of.get(classes.color_of(v)) if classes and pd.notna(v) else None for v in numbers],
        index=numbers.index,
        dtype=object,
    )
    values[hidden] = text
    details = pub.where(hidden, numbers.map(lambda v: f"{zahl(v)} Personen"))
    categories = tuple(zip(classes.labels, classes.colors, strict=True)) if classes else ()
    return Measure(
        values=values,
        label=base.label,
        kind="klasse",
        categories=(*categories, (text, farbe)),
        details=details,
    )


def _karte_feld(
    ws: Workspace,
    result: coverage.CoverageResult,
    versorgung: pd.DataFrame,
    feld: str,
    legende: tuple[str, str],
) -> Measure:
    """The map of one field: gap classes (thresholds from the assumptions), hidden as the mark."""
    farbe, text = legende
    measure = maps.gap_class_measure(result, feld)
    hidden = (
        versorgung.loc[versorgung["handlungsfeld"] == feld]
        .set_index("ags")["gesperrt"]
        .reindex(measure.values.index)
        .fillna(False)
        .astype(bool)
    )
    details = measure.details.astype(object).copy()
    details[hidden] = zeichen_geheim(ws)  # never the hidden Versorgungsgrad
    values = measure.values.astype(object).copy()
    values[hidden] = text
    return replace(
        measure, values=values, details=details, categories=(*measure.categories, (text, farbe))
    )


class Uebersicht:
    """The Übersicht app: Kommune and Handlungsfeld → figures, map, matrix, gaps.

    Parameters
    ----------
    daten : thm_lib.apps.daten.AppDaten
        The apps' bundle: the public part of the Arbeitsmappe (``daten.ws``) and the
        published aggregates (``daten.uebersicht``, ``daten.standort``).
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

    def __init__(self, daten: Any, *, mit_karte: bool = True) -> None:
        ws = daten.ws
        self.ws = ws
        self.mit_karte = mit_karte
        self.daten: UebersichtDaten = daten.uebersicht
        self._seiten: dict[tuple[str, str], str] = {}
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
        # one map frame, made with the first map; every next map goes into a hidden
        # element, from which the page hands it to the frame to swap in (a new frame per
        # selection loaded and compiled Leaflet again: ≈ 60 ms of each change)
        self._rahmen = widgets.HTML().add_class("thm-karte-rahmen")
        self._rahmen_quellen: tuple[str, ...] | None = None
        self._naechste = widgets.HTML(layout=widgets.Layout(display="none"))
        self.karte = widgets.VBox([self._rahmen, self._naechste]).add_class("thm-karte")
        self.matrix = widgets.HTML().add_class("thm-matrix")
        self.luecken = widgets.HTML().add_class("thm-luecken")
        self.status = widgets.HTML().add_class("thm-status")
        self.standort = StandortPanel(ws, daten.standort)
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
            "unterversorgung": views.unterversorgung_anzahl(
                d.zeilen(ags, feld), zeichen_geheim(self.ws)
            ),
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
        note = f'<div class="thm-hinweis">{esc(views.sperrhinweis(self.ws))}</div>'
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

    def karte_dokument(self) -> str:
        """The map page of the selection as the app shows it: Leaflet from the app server,
        with the frame's script that swaps in the next map (``seiten/karte_tausch.js``)."""
        key = (self.kommune.value, self.handlungsfeld.value)
        if key not in self._seiten:
            page = leaflet_verlinken(self.karte_seite(*key))
            self._seiten[key] = mit_skript(page, f"<script>{KARTE_TAUSCH}</script>")
        return self._seiten[key]

    def karte_html(self) -> str:
        """The map frame of the selection: an ``<iframe srcdoc>`` of :meth:`karte_dokument`."""
        height = int(self.ws.annahmen.apps.karte_hoehe_px)
        page = html.escape(self.karte_dokument(), quote=True)
        return (
            f'<iframe class="thm-karte-frame" data-auswahl="{self._auswahl()}" '
            f'srcdoc="{page}" '
            f'style="width:100%;height:{height + 10}px;border:0" '
            'sandbox="allow-scripts"></iframe>'
        )

    def karte_naechste_html(self) -> str:
        """The map of the selection for the frame to swap in: a hidden element that holds
        the page (``karte_post.js`` of the app template hands it to the frame)."""
        page = html.escape(self.karte_dokument(), quote=True)
        auswahl = self._auswahl()
        return f'<div class="thm-karte-neu" data-auswahl="{auswahl}" data-seite="{page}"></div>'

    def _auswahl(self) -> str:
        """The selection as the map frame names it: ``ags|feld`` (attribute-escaped)."""
        return html.escape(f"{self.kommune.value}|{self.handlungsfeld.value}", quote=True)

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
                [versorgungsgrad(x) for x in v["versorgungsgrad"]],
            ),
        )
        wide = v.assign(text=text).pivot(index="name", columns="handlungsfeld", values="text")
        wide = wide.reindex(columns=self.ws.handlungsfelder)
        order = v.drop_duplicates("ags")["name"]
        return wide.reindex(order)

    def matrix_hinweis(self) -> str:
        """The note under the matrix: the classes, and which Gemeinden of the selected
        Kommune are estimated with the Kreis age structure
        (:func:`thm_lib.publish.views.kreisstruktur_text`)."""
        a = self.ws.annahmen.versorgung
        v = self.daten.zeilen(self.kommune.value, ALLE)
        namen = list(dict.fromkeys(v.loc[v["kreisstruktur"].astype(bool), "name"]))
        text = views.kreisstruktur_text(namen)
        return (
            f"Versorgungsgrad = erreichbare Plätze je Person mit Bedarf. Unterversorgung "
            f"unter {prozent(a.untere_schwelle)}, Überversorgung über "
            f"{prozent(a.obere_schwelle)}." + (f" {text}" if text else "")
        )

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
        note = self.matrix_hinweis()
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
                ex = d.erklaerung(r.ags, r.handlungsfeld).head(n_off)
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
                    "Versorgungsgrad": versorgungsgrad(r.versorgungsgrad),
                    # an estimate, not a count of persons: one decimal as in the
                    # reports' list of gaps (published there unsuppressed)
                    "Fehlende Plätze": zahl(r.fehlende_plaetze, 1),
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
        leer, hinweis = self.luecken_texte()
        if leer:
            html = f"<p>{esc(leer)}</p>"
        else:
            numeric = ("Versorgungsgrad", "Fehlende Plätze")
            html = table_html(self.luecken_tabelle(), "thm-luecken-tabelle", numeric=numeric)
        if hinweis:
            html += f"<p class='thm-hinweis thm-gesperrt-hinweis'>{esc(hinweis)}</p>"
        return html

    def luecken_texte(self) -> tuple[str | None, str | None]:
        """The text instead of the gap table (if none) and under it (if cells are hidden)."""
        n_hidden = self.daten.gesperrt_in(self.kommune.value, self.handlungsfeld.value)
        leer = views.keine_luecke_text(n_hidden) if self.luecken_tabelle().empty else None
        hinweis = views.verborgene_zellen_text(n_hidden, self.daten.gesperrt_legende[1])
        return leer, hinweis if n_hidden else None

    # ------------------------------------------------------------------ update
    def update(self) -> None:
        """Recompute every output for the current selection."""
        self.status.value = ""
        self.kennzahlen.value = self._kennzahlen_html()
        self.matrix.value = self._matrix_html()
        self.luecken.value = self._luecken_html()
        if self.mit_karte:
            self._zeige_karte()

    def _zeige_karte(self) -> None:
        """Show the map of the selection: the first one (or one that needs other scripts
        than the frame has) as a new frame, every next one for the frame to swap in."""
        quellen = _quellen(self.karte_dokument())
        if quellen != self._rahmen_quellen:
            self._naechste.value = ""
            self._rahmen.value = self.karte_html()
            self._rahmen_quellen = quellen
        else:
            self._naechste.value = self.karte_naechste_html()


def _quellen(page: str) -> tuple[str, ...]:
    """The scripts and style sheets a page loads (``src`` and ``href``), in order."""
    return tuple(re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", page))


def _farben(hintergrund: str) -> str:
    """CSS of a coloured cell: the background and a text colour readable on it."""
    return f"background:{hintergrund};color:{textfarbe(hintergrund)}"


def build(daten: Any) -> Uebersicht:
    """Build the Übersicht app from the apps' bundle (:class:`thm_lib.apps.daten.AppDaten`)."""
    return Uebersicht(daten)
