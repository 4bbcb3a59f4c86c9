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
from thm_lib.suppression import small_label
from thm_lib.workspace import Workspace

NOTEBOOK_TITLES = {
    "zielgruppe": "Zielgruppe",
    "bedarfs_und_angebotsanalyse": "Bedarfs- und Angebotsanalyse",
    "karten": "Karten",
    "stellen_und_foerderung": "Stellen und Förderung",
}
TOP_GAPS = 3


def key_figures(ws: Workspace, ags: str, result: coverage.CoverageResult,
                bemessung: pd.DataFrame) -> dict[str, Any]:
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
        ws.gemeinde_name(ags) if ags else views.TOTAL, "gesamt"]
    row = views.bemessung_zeile(bemessung, ags)
    if ags:
        gem = gem[gem["ags"] == ags]
    hidden = views.stellen_gesperrt(personen, ags or views.KREIS, str(row["faq_regel"]))
    stellen = None if hidden["faq"] else float(row["faq_stellen"])
    gaps = gem[gem["klasse"] == "Unterversorgung"].nlargest(TOP_GAPS, "fehlende_plaetze")
    luecken = [f"{r.handlungsfeld}" + ("" if ags else f" ({r.name})") +
               f": {zahl(r.fehlende_plaetze)} Plätze fehlen"
               for r in gaps.itertuples()]
    return {
        "zielgruppe": shown if isinstance(shown, str) else int(shown),
        "stellen_faq": stellen,
        "unterversorgung": int((gem["klasse"] == "Unterversorgung").sum()),
        "luecken": luecken,
    }


def kommune_outputs(ws: Workspace, ags: str, folder: Path) -> dict[str, Any]:
    """Write ``karte.html`` and ``bericht.xlsx`` for one Kommune (or the Kreis) into ``folder``.

    Returns
    -------
    dict
        The published key figures (:func:`key_figures`).
    """
    from thm_lib import maps

    result = coverage.analyse(ws)
    bemessung = staffing.stellenbemessung(ws)
    view = ws.for_kommune(ags) if ags else ws
    fmap = maps.kreis_map(view, views.karten_mass(ws, "zielgruppe"))
    maps.save_map(fmap, folder / "karte.html")
    buendnis_workbook(ws, ags, result, bemessung, folder / "bericht.xlsx")
    return key_figures(ws, ags, result, bemessung)


def buendnis_workbook(ws: Workspace, ags: str, result: coverage.CoverageResult,
                      bemessung: pd.DataFrame, path: Path) -> Path:
    """Write the Excel workbook for the Bündniskerngruppe (published tables only)."""
    from thm_lib.export import write_buendnis_workbook

    threshold = views.schwelle(ws)
    sheets: dict[str, Any] = {
        "Zielgruppe": views.zielgruppe_je_gemeinde(ws, ags),
        "Struktur": views.zielgruppe_struktur(ws, ags),
        "Verlauf": views.zielgruppe_verlauf(ws, ags),
    }
    if ws.faelle is not None:
        sheets.update(views.bericht_tabellen(ws, ags))
    sheets.update({
        "Angebote": views.angebote_uebersicht(ws, ags),
        "Versorgung": views.versorgung_matrix(ws, result, ags),
        "Lücken": views.lueckenliste(ws, result, ags),
        "Fallevidenz": views.fallevidenz(result, ws, ags),
        "Stellen": views.stellen_tabelle(ws, bemessung, ags),
        "Finanzierung": views.finanzierung_tabelle(ws, bemessung, ags)[1],
    })
    wo = ws.gemeinde_name(ags) if ags else ws.name
    return write_buendnis_workbook(
        path, sheets, stichtag=ws.stichtag, schwelle=threshold, zeichen=views.zeichen_geheim(ws),
        quellen=[f"Arbeitsmappe {ws.name}: zielgruppe, angebote, faelle (nur mit Einwilligung)",
                 f"Annahmen: annahmen.yaml; Förderprogramm: {ws.programm['name']}"],
        titel=f"THM-Werkbank: Auswertung für die Bündniskerngruppe – {wo}")


def index_html(ws: Workspace, status: dict[str, dict[str, Any]], keys: list[str],
               kreis_dir: Path) -> str:
    """The Kreis index page: one row per Kommune, links to its reports, failures marked."""
    rows = []
    for key in keys:
        entry = status.get(key, {})
        k = entry.get("kennzahlen", {}) or {}
        ok = entry.get("ok", False)
        has_report = (kreis_dir / key).is_dir()
        links = " · ".join(
            f'<a href="{key}/{nb}.html">{NOTEBOOK_TITLES[nb]}</a>' for nb in NOTEBOOKS
            if (kreis_dir / key / f"{nb}.html").exists())
        extra = [f'<a href="{key}/{name}">{label}</a>' for name, label in
                 (("karte.html", "Karte"), ("bericht.xlsx", "Excel"))
                 if (kreis_dir / key / name).exists()]
        links = " · ".join(x for x in (links, *extra) if x) or "–"
        if ok:
            zustand = '<span class="ok">aktuell</span>'
        else:
            grund = html.escape(entry.get("grund", ""))
            frueher = entry.get("letzter_erfolg")
            alt = (f"<br>Angezeigt: letzter guter Bericht vom {html.escape(frueher)}"
                   if frueher and has_report else "<br>Kein früherer Bericht vorhanden")
            zustand = f'<span class="fehler">FEHLGESCHLAGEN</span>: {grund}{alt}'
        name = ws.name if key == KREIS_KEY else entry.get("name", key)
        rows.append(
            "<tr>"
            f"<td>{'' if key == KREIS_KEY else html.escape(key)}</td>"
            f"<td>{html.escape(str(name))}</td>"
            f"<td class='zahl'>{html.escape(str(k.get('zielgruppe', '–')))}</td>"
            f"<td class='zahl'>{zahl(k.get('stellen_faq'), 2)}</td>"
            f"<td class='zahl'>{k.get('unterversorgung', '–')}</td>"
            f"<td>{'<br>'.join(html.escape(x) for x in k.get('luecken', [])) or '–'}</td>"
            f"<td>{links}</td><td>{zustand}</td></tr>")
    schwelle = ws.annahmen["datenschutz"]["schwelle"]
    zg = ws.annahmen["zielgruppe"]
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
<p>Stichtag {ws.stichtag:%d.%m.%Y}. Zielgruppe: {zg['alter_min']}–{zg['alter_max']} Jahre,
Status {', '.join(zg['status'])}.
Kleine Fallzahlen (1 bis {schwelle - 1}) werden als „{small_label(schwelle)}“ gezeigt.</p>
<table class="thm-published" data-thm-published="{schwelle}">
<thead><tr><th>AGS</th><th>Kommune</th><th>Zielgruppe</th><th>Stellen (FAQ-Schlüssel)</th>
<th>Unterversorgung (Handlungsfelder)</th><th>Größte Lücken</th><th>Berichte</th><th>Stand</th>
</tr></thead><tbody>
{''.join(rows)}
</tbody></table>
</body></html>
"""
