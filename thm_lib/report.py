"""Report artefacts of the batch: map, workbook and key figures per Kommune, and the index.

Everything here is published output: counts pass through
:mod:`thm_lib.suppression`, no case record is written.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from thm_lib import coverage, staffing, views
from thm_lib.batch import KREIS_KEY, NOTEBOOKS
from thm_lib.formats import zahl
from thm_lib.notebook import (
    KEINE_FALLDOKUMENTATION,
    hat_faelle,
    quoten_text,
    stichtag_text,
    zeitraum_text,
)
from thm_lib.suppression import small_label
from thm_lib.workspace import Workspace

NOTEBOOK_TITLES = {
    "zielgruppe": "Zielgruppe",
    "bedarfs_und_angebotsanalyse": "Bedarfs- und Angebotsanalyse",
    "karten": "Karten",
    "stellen_und_foerderung": "Stellen und Förderung",
}
#: German titles of every part of a batch run (see :mod:`thm_lib.batch`).
TEIL_TITEL = {**NOTEBOOK_TITLES, "karte": "Karte", "bericht": "Excel", "kennzahlen": "Kennzahlen"}
TOP_GAPS = 3


def key_figures(
    ws: Workspace, ags: str, result: coverage.CoverageResult, bemessung: pd.DataFrame
) -> dict[str, Any]:
    """Published key figures of the Kreis (``ags == ""``) or one Gemeinde.

    Returns
    -------
    dict
        ``zielgruppe`` (as published in the Kreis table, with its hidden cells),
        ``stellen_faq`` (positions by the FAQ rule; None where they would reveal
        a hidden count), ``unterversorgung`` (shown Gemeinde × Handlungsfeld
        cells in Unterversorgung) and ``luecken`` (the largest shown gaps, German).
    """
    gem = result.gemeinden[~views.versorgung_gesperrt(ws, result)]
    personen = views.personen_tabelle(ws, bemessung)
    shown = views.zielgruppe_je_gemeinde(ws).published.loc[
        ws.gemeinde_name(ags) if ags else views.TOTAL, "gesamt"
    ]
    row = views.bemessung_zeile(bemessung, ags)
    if ags:
        gem = gem[gem["ags"] == ags]
    hidden = views.stellen_gesperrt(personen, ags or views.KREIS, str(row["faq_regel"]))
    stellen = None if hidden["faq"] else float(row["faq_stellen"])
    gaps = gem[gem["klasse"] == "Unterversorgung"].nlargest(TOP_GAPS, "fehlende_plaetze")
    luecken = [
        f"{r.handlungsfeld}"
        + ("" if ags else f" ({r.name})")
        + f": {zahl(r.fehlende_plaetze)} Plätze fehlen"
        for r in gaps.itertuples()
    ]
    return {
        "zielgruppe": shown if isinstance(shown, str) else int(shown),
        "stellen_faq": stellen,
        "unterversorgung": int((gem["klasse"] == "Unterversorgung").sum()),
        "luecken": luecken,
    }


class Analyse:
    """Coverage and staffing of a Workspace, computed once on first use.

    The parts of a batch run (workbook, key figures) share it; an error is
    raised again to every part that asks (each part fails on its own).
    """

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._result: coverage.CoverageResult | None = None
        self._bemessung: pd.DataFrame | None = None

    @property
    def result(self) -> coverage.CoverageResult:
        """:func:`thm_lib.coverage.analyse` of the Workspace."""
        if self._result is None:
            self._result = coverage.analyse(self.ws)
        return self._result

    @property
    def bemessung(self) -> pd.DataFrame:
        """:func:`thm_lib.staffing.stellenbemessung` of the Workspace."""
        if self._bemessung is None:
            self._bemessung = staffing.stellenbemessung(self.ws)
        return self._bemessung


def write_karte(ws: Workspace, ags: str, path: Path) -> Path:
    """Write the map of the target group of one Kommune (or the Kreis) to ``path``."""
    from thm_lib import maps

    view = ws.for_kommune(ags) if ags else ws
    fmap = maps.kreis_map(view, views.karten_mass(ws, "zielgruppe"))
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


def kommune_outputs(ws: Workspace, ags: str, folder: Path) -> dict[str, Any]:
    """Write ``karte.html`` and ``bericht.xlsx`` for one Kommune (or the Kreis) into ``folder``.

    Returns
    -------
    dict
        The published key figures (:func:`key_figures`).
    """
    analyse = Analyse(ws)
    write_karte(ws, ags, folder / "karte.html")
    write_bericht(ws, ags, folder / "bericht.xlsx", analyse)
    return kennzahlen_fuer(ws, ags, analyse)


def buendnis_workbook(
    ws: Workspace, ags: str, result: coverage.CoverageResult, bemessung: pd.DataFrame, path: Path
) -> Path:
    """Write the Excel workbook for the Bündniskerngruppe (published tables only)."""
    from thm_lib.export import write_buendnis_workbook

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
        sheets["Fallevidenz"] = views.fallevidenz(result, ws, ags)
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
        KEINE_FALLDOKUMENTATION if not faelle else "",
        quoten_text(ws, result),
        stichtag_text(ws, ags),
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


def _text_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _zustand(entry: dict[str, Any], has_report: bool) -> str:
    """The "Stand" cell: current, or each failed part with its reason and what is shown."""
    if entry.get("ok", False):
        return '<span class="ok">aktuell</span>'
    teile = entry.get("teile") or {}
    if not teile:  # the Kommune did not run at all (e.g. unknown AGS)
        frueher = entry.get("letzter_erfolg")
        alt = (
            f"<br>Angezeigt: letzter guter Bericht vom {html.escape(frueher)}"
            if frueher and has_report
            else "<br>Kein früherer Bericht vorhanden"
        )
        return (
            f'<span class="fehler">FEHLGESCHLAGEN</span>: {_text_html(entry.get("grund", ""))}{alt}'
        )
    groups: dict[tuple[str, str], list[str]] = {}
    for teil, t in teile.items():
        if t.get("ok"):
            continue
        frueher = t.get("letzter_erfolg")
        if teil == "kennzahlen":
            alt = " (Kennzahlen des letzten guten Laufs)" if entry.get("kennzahlen") else ""
        elif frueher:
            alt = f"<br>Angezeigt: letzter guter Bericht vom {html.escape(frueher)}"
        else:
            alt = "<br>Kein früherer Bericht vorhanden"
        groups.setdefault((str(t.get("grund", "")), alt), []).append(TEIL_TITEL.get(teil, teil))
    return "<br>".join(
        f'<span class="fehler">FEHLGESCHLAGEN</span> '
        f'<span class="teil">{html.escape(", ".join(titel))}</span>: {_text_html(grund)}{alt}'
        for (grund, alt), titel in groups.items()
    )


def index_html(
    ws: Workspace, status: dict[str, dict[str, Any]], keys: list[str], kreis_dir: Path
) -> str:
    """The Kreis index page: one row per Kommune, links to its reports, failures marked."""
    rows = []
    for key in keys:
        entry = status.get(key, {})
        k = entry.get("kennzahlen", {}) or {}
        has_report = (kreis_dir / key).is_dir()
        links = " · ".join(
            f'<a href="{key}/{nb}.html">{NOTEBOOK_TITLES[nb]}</a>'
            for nb in NOTEBOOKS
            if (kreis_dir / key / f"{nb}.html").exists()
        )
        extra = [
            f'<a href="{key}/{name}">{label}</a>'
            for name, label in (("karte.html", "Karte"), ("bericht.xlsx", "Excel"))
            if (kreis_dir / key / name).exists()
        ]
        links = " · ".join(x for x in (links, *extra) if x) or "–"
        zustand = _zustand(entry, has_report)
        name = ws.name if key == KREIS_KEY else entry.get("name", key)
        rows.append(
            "<tr>"
            f"<td>{'' if key == KREIS_KEY else html.escape(key)}</td>"
            f"<td>{html.escape(str(name))}</td>"
            f"<td class='zahl'>{html.escape(str(k.get('zielgruppe', '–')))}</td>"
            f"<td class='zahl'>{zahl(k.get('stellen_faq'), 2)}</td>"
            f"<td class='zahl'>{k.get('unterversorgung', '–')}</td>"
            f"<td>{'<br>'.join(html.escape(x) for x in k.get('luecken', [])) or '–'}</td>"
            f"<td>{links}</td><td>{zustand}</td></tr>"
        )
    schwelle = ws.annahmen.datenschutz.schwelle
    zg = ws.annahmen.zielgruppe
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8">
<title>THM-Werkbank – {html.escape(ws.name)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 4px 8px; vertical-align: top; }}
th {{ background: #dde7f0; }}
td.zahl {{ text-align: right; }}
.ok {{ color: #1a7f37; }} .fehler {{ color: #b00020; font-weight: bold; }}
</style></head><body>
<h1>{html.escape(ws.name)}: Berichte je Kommune</h1>
<p>Stichtag {ws.stichtag:%d.%m.%Y}. Zielgruppe: {zg.alter_min}–{zg.alter_max} Jahre,
Status {", ".join(zg.status)}.
Kleine Fallzahlen (1 bis {schwelle - 1}) werden als „{small_label(schwelle)}“ gezeigt.</p>
<table class="thm-published" data-thm-published="{schwelle}">
<thead><tr><th>AGS</th><th>Kommune</th><th>Zielgruppe</th><th>Stellen (FAQ-Schlüssel)</th>
<th>Unterversorgung (Handlungsfelder)</th><th>Größte Lücken</th><th>Berichte</th><th>Stand</th>
</tr></thead><tbody>
{"".join(rows)}
</tbody></table>
</body></html>
"""
