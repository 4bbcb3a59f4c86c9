"""Report artefacts of the batch: map, workbook and key figures per Kommune, and the index.

Everything here is published output: counts pass through
:mod:`thm_lib.disclosure.suppression`, no case record is written.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib.analysis import coverage, staffing
from thm_lib.core.formats import zahl
from thm_lib.core.labels import KREIS_ORDNER, STATUS_LABEL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.suppression import small_label
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.publish import maps, views
from thm_lib.publish.excel import write_buendnis_workbook
from thm_lib.publish.html_seiten import seite
from thm_lib.run.notebook import (
    berichtswesen_hinweis,
    hat_faelle,
    quoten_text,
    stichtag_text,
    unbekannt_text,
    zeitraum_text,
)

NOTEBOOK_TITLES = {
    "zielgruppe": "Zielgruppe",
    "bedarfs_und_angebotsanalyse": "Bedarfs- und Angebotsanalyse",
    "karten": "Karten",
    "stellen_und_foerderung": "Stellen und Förderung",
}
#: German titles of every part of a batch run (see :mod:`thm_lib.run.batch`).
TEIL_TITEL = {**NOTEBOOK_TITLES, "karte": "Karte", "bericht": "Excel", "kennzahlen": "Kennzahlen"}
TOP_GAPS = 3


NOTEBOOKS = ("zielgruppe", "bedarfs_und_angebotsanalyse", "karten", "stellen_und_foerderung")
"""The report notebooks, in the order of the index."""


def key_figures(
    ws: Workspace, ags: str, result: coverage.CoverageResult, bemessung: pd.DataFrame
) -> dict[str, Any]:
    """Published key figures of the Kreis (``ags == ""``) or one Gemeinde.

    Returns
    -------
    dict
        ``zielgruppe`` (as published in the Kreis table, with its hidden cells),
        ``stellen_faq`` (positions by the FAQ rule; the suppression symbol where they would reveal
        a hidden count), ``unterversorgung`` (shown Gemeinde × Handlungsfeld
        cells in Unterversorgung as text: ``mindestens …`` or the suppression symbol when
        cells are hidden, :func:`~thm_lib.publish.views.unterversorgung_anzahl`) and
        ``luecken`` (the largest shown gaps, German; missing places with one decimal as in
        the reports' list of gaps, so a gap under half a place does not read "0 Plätze").
    """
    zellen = views.zellen_auswahl(views.versorgung_zellen(ws, result), ags)
    personen = views.personen_tabelle(ws, bemessung)
    shown = views.zielgruppe_je_gemeinde(ws).published.loc[
        ws.gemeinde_name(ags) if ags else views.TOTAL, "gesamt"
    ]
    row = views.bemessung_zeile(bemessung, ags)
    hidden = views.stellen_gesperrt(personen, ags or views.KREIS)
    stellen = views.zeichen_geheim(ws) if hidden["faq"] else float(row["faq_stellen"])
    luecken = [
        f"{r.handlungsfeld}"
        + ("" if ags else f" ({r.name})")
        + f": {zahl(r.fehlende_plaetze, 1)} Plätze fehlen"
        for r in views.groesste_luecken(zellen, TOP_GAPS).itertuples()
    ]
    return {
        "zielgruppe": shown if isinstance(shown, str) else int(shown),
        "stellen_faq": stellen,
        "unterversorgung": views.unterversorgung_anzahl(zellen, views.zeichen_geheim(ws)),
        "luecken": luecken,
    }


class Analyse:
    """Coverage and staffing of a Workspace, computed once on first use (or given: the bundle's).

    The parts of a batch run (workbook, key figures) share it; an error is
    raised again to every part that asks (each part fails on its own).
    """

    def __init__(
        self,
        ws: Workspace,
        result: coverage.CoverageResult | None = None,
        bemessung: pd.DataFrame | None = None,
    ) -> None:
        self.ws = ws
        self._result = result
        self._bemessung = bemessung

    @property
    def result(self) -> coverage.CoverageResult:
        """Coverage of the Workspace to publish
        (:func:`thm_lib.disclosure.versorgung.versorgung_veroeffentlicht`)."""
        if self._result is None:
            self._result = versorgung_veroeffentlicht(self.ws)
        return self._result

    @property
    def bemessung(self) -> pd.DataFrame:
        """:func:`thm_lib.analysis.staffing.stellenbemessung` of the Workspace."""
        if self._bemessung is None:
            self._bemessung = staffing.stellenbemessung(self.ws)
        return self._bemessung


def write_karte(ws: Workspace, ags: str, path: Path) -> Path:
    """Write the map of the target group of one Kommune (or the Kreis) to ``path``."""
    import folium

    view = ws.for_kommune(ags) if ags else ws
    fmap = maps.kreis_map(view, views.karten_mass(ws, "zielgruppe"))
    orte = dict.fromkeys([ws.gemeinde_name(ags) if ags else ws.name, ws.name])
    # folium puts the title into <title> as it is: a name with "<" or "&" is text here
    fmap.get_root().title = html.escape(" – ".join(["Karte der Zielgruppe", *orte]))
    zurueck = seite("karte_navigation.html.j2", index="../index.html", kreis=ws.name)
    fmap.get_root().html.add_child(folium.Element(zurueck))
    maps.save_map(fmap, path)
    return path


def write_bericht(ws: Workspace, ags: str, path: Path, analyse: Analyse | None = None) -> Path:
    """Write the workbook of one Kommune (or the Kreis) to ``path``."""
    analyse = analyse or Analyse(ws)
    return buendnis_workbook(ws, ags, analyse.result, analyse.bemessung, path)


def kennzahlen_fuer(ws: Workspace, ags: str, analyse: Analyse | None = None) -> dict[str, Any]:
    """The published key figures of the index (:func:`key_figures`)."""
    analyse = analyse or Analyse(ws)
    return key_figures(ws, ags, analyse.result, analyse.bemessung)


def buendnis_workbook(
    ws: Workspace, ags: str, result: coverage.CoverageResult, bemessung: pd.DataFrame, path: Path
) -> Path:
    """Write the Excel workbook for the Bündniskerngruppe (published tables only)."""

    threshold = views.schwelle(ws)
    sheets: dict[str, Any] = {
        "Zielgruppe": views.zielgruppe_je_gemeinde(ws, ags),
        "Struktur": views.zielgruppe_struktur(ws, ags),
        "Verlauf": views.zielgruppe_verlauf(ws, ags),
    }
    faelle = hat_faelle(ws)
    if faelle:
        sheets.update(views.bericht_tabellen(ws, ags))
    sheets.update(
        {
            "Angebote": views.angebote_uebersicht(ws, ags),
            "Versorgung": views.versorgung_matrix(ws, result, ags),
            "Lücken": views.lueckenliste(ws, result, ags),
        }
    )
    if faelle:
        sheets["Fallevidenz"] = views.fallevidenz(ws, ags)
    sheets.update(
        {
            "Stellen": views.stellen_tabelle(ws, bemessung, ags),
            "Finanzierung": views.finanzierung_tabelle(ws, bemessung, ags)[1],
        }
    )
    wo = ws.gemeinde_name(ags) if ags else ws.name
    quellen = [
        f"Arbeitsmappe {ws.name}: zielgruppe, angebote"
        + (", faelle (nur mit Einwilligung)" if faelle else ""),
        f"Annahmen: annahmen.yaml; Förderprogramm: {ws.programm['name']}",
    ]
    hinweise = [
        berichtswesen_hinweis(ws),
        quoten_text(ws, result),
        views.kreisstruktur_hinweis(ws, result, ags),
        stichtag_text(ws, ags),
        unbekannt_text(ws, ags),
        zeitraum_text(ws),
    ]
    quellen += [_plain(h) for h in hinweise if h]
    return write_buendnis_workbook(
        path,
        sheets,
        stichtag=ws.stichtag,
        schwelle=threshold,
        zeichen=views.zeichen_geheim(ws),
        quellen=quellen,
        titel=f"THM-Werkbank: Auswertung für die Bündniskerngruppe – {wo}",
    )


def _plain(markdown: str) -> str:
    """A German note without Markdown emphasis and code marks (for Excel cells)."""
    return markdown.replace("**", "").replace("`", "")


def _zustand(entry: dict[str, Any], has_report: bool) -> list[dict[str, Any]]:
    """The "Stand" cell: nothing when current, else each failed part with its reason and
    what is shown (one dict per group of parts failing for the same reason)."""

    def fehler(teile: str, grund: str, alt: str, alt_zeile: bool = True) -> dict[str, Any]:
        return {"teile": teile, "grund": grund.split("\n"), "alt": alt, "alt_zeile": alt_zeile}

    if entry.get("ok", False):
        return []
    teile = entry.get("teile") or {}
    if not teile:  # the Kommune did not run at all (e.g. unknown AGS)
        frueher = entry.get("letzter_erfolg")
        alt = (
            f"Angezeigt: letzter guter Bericht vom {frueher}"
            if frueher and has_report
            else "Kein früherer Bericht vorhanden"
        )
        return [fehler("", str(entry.get("grund", "")), alt)]
    groups: dict[tuple[str, str, bool], list[str]] = {}
    for teil, t in teile.items():
        if t.get("ok"):
            continue
        frueher = t.get("letzter_erfolg")
        if teil == "kennzahlen":
            alt = " (Kennzahlen des letzten guten Laufs)" if entry.get("kennzahlen") else ""
            zeile = False
        elif frueher:
            alt, zeile = f"Angezeigt: letzter guter Bericht vom {frueher}", True
        else:
            alt, zeile = "Kein früherer Bericht vorhanden", True
        groups.setdefault((str(t.get("grund", "")), alt, zeile), []).append(
            TEIL_TITEL.get(teil, teil)
        )
    return [
        fehler(", ".join(titel), grund, alt, zeile) for (grund, alt, zeile), titel in groups.items()
    ]


def _zahl_oder_zeichen(wert: Any, nachkomma: int = 0) -> str:
    """A key figure as shown: a number in German format, or the symbol it is hidden with."""
    return wert if isinstance(wert, str) else zahl(wert, nachkomma)


KREIS_META = "thm-kreis"
"""Name of the ``<meta>`` element of a Kreis index naming its Kreis (:func:`kreis_des_index`)."""


def kreis_des_index(index: Path) -> str | None:
    """The Kreis a Kreis index page (:func:`index_html`) was made for.

    Returns
    -------
    str or None
        The Kreis's name; None when ``index`` is missing or no Kreis index.
    """
    if not index.is_file():
        return None
    treffer = re.search(
        rf'<meta name="{KREIS_META}" content="([^"]*)">',
        index.read_text(encoding="utf-8", errors="replace"),
    )
    return html.unescape(treffer.group(1)) if treffer else None


def index_html(
    ws: Workspace, status: dict[str, dict[str, Any]], keys: list[str], kreis_dir: Path
) -> str:
    """The Kreis index page: one row per Kommune, links to its reports, failures marked.

    Rendered from ``thm_lib/publish/vorlagen/index.html.j2`` with the report stylesheet;
    :func:`kreis_des_index` reads its Kreis back.
    """

    zeilen = []
    for key in keys:
        entry = status.get(key, {})
        k = entry.get("kennzahlen", {}) or {}
        has_report = (kreis_dir / key).is_dir()
        links = [
            {"href": f"{key}/{nb}.html", "titel": NOTEBOOK_TITLES[nb]}
            for nb in NOTEBOOKS
            if (kreis_dir / key / f"{nb}.html").exists()
        ] + [
            {"href": f"{key}/{name}", "titel": label}
            for name, label in (("karte.html", "Karte"), ("bericht.xlsx", "Excel"))
            if (kreis_dir / key / name).exists()
        ]
        zielgruppe = k.get("zielgruppe", "–")
        unterversorgung = k.get("unterversorgung")
        zeilen.append(
            {
                "ags": "" if key == KREIS_ORDNER else key,
                "name": ws.name if key == KREIS_ORDNER else entry.get("name", key),
                "zielgruppe": _zahl_oder_zeichen(zielgruppe),
                "stellen": _zahl_oder_zeichen(k.get("stellen_faq"), 2),
                "unterversorgung": "–" if unterversorgung is None else zahl(unterversorgung),
                "luecken": list(k.get("luecken", [])),
                "links": links,
                "aktuell": bool(entry.get("ok", False)),
                "fehler": _zustand(entry, has_report),
            }
        )
    zg = ws.annahmen.zielgruppe
    schwelle = int(ws.annahmen.datenschutz.schwelle)
    return seite(
        "index.html.j2",
        kreis=ws.name,
        kreis_meta=KREIS_META,
        stichtag=f"{ws.stichtag:%d.%m.%Y}",
        alter_min=zg.alter_min,
        alter_max=zg.alter_max,
        status=", ".join(STATUS_LABEL.get(s, s) for s in zg.status),
        schwelle=schwelle,
        klein=small_label(schwelle),
        zeichen=views.zeichen_geheim(ws),
        stellenregel=staffing.stellenregel_text(ws.programm),
        zeilen=zeilen,
    )
