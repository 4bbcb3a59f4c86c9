"""Small helpers the notebooks call, so that notebook cells stay one-liners.

``glue`` records key figures in the executed notebook (a custom MIME type, in
the spirit of scrapbook) so tests and the batch can read them back without
parsing displayed text; ``read_glue`` reads them.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, Markdown, display

from thm_lib.analysis import staffing, standort
from thm_lib.analysis.access import valid_at
from thm_lib.analysis.coverage import CoverageResult, explain, gap_class, schwellen
from thm_lib.analysis.funding import zeitraum_hinweis
from thm_lib.analysis.needs import GESPERRT
from thm_lib.analysis.standort import Standortplanung
from thm_lib.analysis.target_group import stichtag_je_gemeinde, unbekannte_werte
from thm_lib.core import formats, labels
from thm_lib.core.config import kommune_overrides, merge
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import gerundet, kurz, md, zahl
from thm_lib.core.labels import KREIS
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import berichtswesen, publication
from thm_lib.disclosure.publication import bedarfsquoten
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.columns import parse_ags, parse_date
from thm_lib.publish import maps, standort_anzeige, views
from thm_lib.publish.html_seiten import tabelle
from thm_lib.publish.maps.measure import gap_class_colours
from thm_lib.publish.maps.static import png_bytes
from thm_lib.publish.views import bemessung_zeile, karten_mass, versorgung_gesperrt, zeichen_geheim
from thm_lib.run.buendel import laden as buendel_laden
from thm_lib.run.buendel import zu as buendel_zu

GLUE_MIME = "application/vnd.thm-werkbank.kennzahl+json"


def ags_text(ags: object) -> str:
    """The AGS parameter as 8-digit text ("" for the whole Kreis).

    ``papermill -p ags 05899016`` passes the number 5899016 (YAML drops the
    leading zero); this restores ``"05899016"``.
    """

    if ags is None or str(ags).strip() == "":
        return ""
    try:
        return parse_ags(str(ags))
    except ValueError:
        raise DataError(
            [
                Problem(
                    "Parameter 'ags'",
                    "kein gültiger 8-stelliger Gemeindeschlüssel",
                    "Bitte z. B. 05899016 angeben",
                    wert=str(ags),
                )
            ]
        ) from None


def oeffne(
    arbeitsmappe: str | Path,
    ags: str = KREIS,
    stichtag: str = "",
    annahmen: dict[str, Any] | None = None,
    buendel: str | Path = "",
) -> Workspace:
    """Load the Arbeitsmappe for a notebook run (always the whole Kreis).

    With ``buendel`` (the batch's results bundle, :mod:`thm_lib.run.buendel`)
    the computed Kreis is taken from there instead: the Arbeitsmappe is not
    read, and :func:`versorgung` and :func:`stellenbemessung` return the
    bundle's results.

    Parameters
    ----------
    arbeitsmappe : str or Path
        The Arbeitsmappe folder.
    ags : str
        The Kommune of the report ("" = whole Kreis). Its own assumptions
        ``annahmen_<ags>.yaml`` in the Arbeitsmappe are merged in.
    stichtag : str
        Analysis date (TT.MM.JJJJ or ISO); "" = from the data.
    annahmen : dict, optional
        Further overrides (notebook parameter).

    Returns
    -------
    Workspace
        The whole Kreis (spatial access crosses Gemeinde borders); limit
        results to ``ags`` after computing.
    """

    ags = ags_text(ags)
    if buendel:
        if stichtag or annahmen:
            raise DataError(
                [
                    Problem(
                        "Parameter 'buendel'",
                        "'stichtag' und 'annahmen' gelten nur ohne Ergebnisbündel",
                        "Bitte 'buendel' leer lassen, um mit eigenen Annahmen zu rechnen",
                    )
                ]
            )
        ws = buendel_laden(buendel).ws
    else:
        ws = _laden(arbeitsmappe, ags, stichtag, annahmen)
    pd.set_option("display.max_rows", 500)  # reports show whole tables, not "..."
    if ags and ags not in set(ws.gebiete["ags"]):
        raise DataError(
            [
                Problem(
                    "Parameter 'ags'",
                    f"Gemeinde {ags} gibt es in '{ws.name}' nicht",
                    "Bitte einen AGS aus 'gebiete' angeben",
                )
            ]
        )
    return ws


def _laden(
    arbeitsmappe: str | Path, ags: str, stichtag: str, annahmen: dict[str, Any] | None
) -> Workspace:
    """The Arbeitsmappe with the Kommune's own assumptions and the notebook's overrides."""
    overrides: dict[str, Any] = {}
    if ags:
        overrides = kommune_overrides(Path(arbeitsmappe), str(ags))
    if annahmen:
        overrides = merge(overrides, annahmen)
    if stichtag:
        overrides = merge(overrides, {"kreis": {"stichtag": parse_date(stichtag).date()}})
    return load_workspace(arbeitsmappe, overrides=overrides or None)


def versorgung(ws: Workspace) -> CoverageResult:
    """Coverage of the Kreis to publish: the bundle's result when ``ws`` came from one, else
    :func:`thm_lib.disclosure.versorgung.versorgung_veroeffentlicht`."""
    stand = buendel_zu(ws)
    return stand.result if stand is not None else versorgung_veroeffentlicht(ws)


def stellenbemessung(ws: Workspace) -> pd.DataFrame:
    """Staffing of the Kreis: the bundle's result when ``ws`` came from one, else computed."""
    stand = buendel_zu(ws)
    return stand.bemessung if stand is not None else views.kreis_bemessung(ws)


def zuruecksetzen(shell: Any) -> None:
    """Clear a reused kernel before the next notebook: ``%reset -f`` and closed figures.

    Called by the batch (:mod:`thm_lib.run.kernel`) in the kernel. The full
    garbage collection ``%reset`` ends with takes 0.25 s in a kernel that holds
    the whole stack, four times per Kommune; it is skipped (Python's own
    collection still runs). Figures are drawn once (:func:`_einmal_zeichnen`).
    """
    sammeln = gc.collect
    gc.collect = lambda *args, **kwargs: 0
    try:
        shell.reset(new_session=False)
    finally:
        gc.collect = sammeln
    plt.close("all")
    _einmal_zeichnen()


def _einmal_zeichnen() -> None:
    """Let a figure of a report be drawn only for its picture, not before.

    With the inline backend matplotlib is interactive, and pyplot draws every
    changed figure after each cell (its hook for windows that need refreshing;
    Agg draws at once) – right before matplotlib-inline draws it again for the
    PNG it sends. That first drawing is never seen and costs ≈ 0.07 s per chart
    (0.28 s of ≈ 2 s per Kommune). The backend is resolved first, because pyplot
    installs its hook when it does so.
    """
    plt.switch_backend(matplotlib.get_backend())
    plt.uninstall_repl_displayhook()


def titel(ws: Workspace, ags: str) -> str:
    """German heading (Markdown): Kreis or Gemeinde, with the Stichtag."""
    wo = ws.gemeinde_name(ags) if ags else ws.name
    return f"{md(wo)} – Stichtag {ws.stichtag:%d.%m.%Y}"


def glue(name: str, value: Any) -> None:
    """Record a key figure in the notebook's outputs (not shown in HTML reports)."""

    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    display({"text/plain": "", GLUE_MIME: {"name": name, "wert": value}}, raw=True)


def read_glue(path: str | Path) -> dict[str, Any]:
    """Read every figure recorded with :func:`glue` from an executed notebook."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    found: dict[str, Any] = {}
    for cell in doc.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(GLUE_MIME)
            if data is not None:
                found[data["name"]] = data["wert"]
    return found


QUELLE_KURZ = {
    "segment": "S",
    "status_altersgruppe": "SA",
    "status": "St",
    "kreis": "K",
    "standardquote": "A",
}


def quoten_tabelle(result: Any) -> pd.DataFrame:
    """Need rates per Handlungsfeld (rows) and status × age band (columns).

    Each cell reads "62 (48–74) SA": rate and 95 % interval in %, and the
    source (S segment, SA status × age band, St status, K Kreis, A assumption).
    Rates of the segments of one status × age band are the same unless the
    segment itself had enough cases; the first segment is shown. No case counts.
    Rates come from :func:`thm_lib.disclosure.publication.bedarfsquoten`: where a rate
    and its interval would pin 1-4 cases with or without the need, it is
    shown pooled, or as "<5 Fälle".
    """

    q = bedarfsquoten(result).drop_duplicates(["handlungsfeld", "status", "altersgruppe"])
    schwelle = int(result.annahmen.datenschutz.schwelle)

    def cell(r: Any) -> str:
        if r.quelle == GESPERRT:
            return f"<{schwelle} Fälle"
        interval = (
            f" ({r.ki_unten * 100:.0f}–{r.ki_oben * 100:.0f})" if r.ki_unten == r.ki_unten else ""
        )
        return f"{r.quote * 100:.0f}{interval} {QUELLE_KURZ.get(r.quelle, r.quelle)}"

    q = q.assign(zelle=[cell(r) for r in q.itertuples()])
    table = q.pivot(index="handlungsfeld", columns=["status", "altersgruppe"], values="zelle")
    table = table.reindex(list(dict.fromkeys(q["handlungsfeld"])))
    table.index.name = "Handlungsfeld"
    table.attrs["thm_titel"] = (
        "Bedarfsquoten in % mit 95-%-Intervall und Quelle, "
        "je Handlungsfeld, Status und Altersgruppe"
    )
    return table


def _zahlformat(nachkomma: int) -> Any:
    """Cell text of a table: German numbers (whole numbers without decimals), ja/nein,
    – for missing, text (e.g. the suppression symbols) as it is."""

    def number(_column: Any, v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "ja" if v else "nein"
        if isinstance(v, str):
            return v
        if v is None or v != v:
            return formats.MISSING
        whole = float(v).is_integer()
        return formats.zahl(v, 0 if whole else nachkomma)

    return number


def deutsch(
    frame: pd.DataFrame, prozent: tuple[str, ...] = (), nachkomma: int = 2, erklaerung: str = ""
) -> Any:
    """Display a table with German number formats (1.234,56; 90 %; ja/nein; – for missing).

    Text cells (e.g. the suppression symbols) are shown as they are; columns
    in ``prozent`` hold shares 0..1. The title of a published frame
    (``attrs["thm_titel"]``) becomes the caption; ``erklaerung`` is one German
    line below the table. A default index 0…n is not shown
    (:func:`thm_lib.publish.html_seiten.tabelle`).

    A table withheld as a whole (no columns, e.g. a Finanzierungsplan whose positions
    would reveal a hidden count; the sentence before it says so) shows nothing: no empty
    frame under its caption.

    Returns
    -------
    thm_lib.publish.html_seiten.Tabellenanzeige or None
    """

    if not frame.shape[1]:
        return None
    number = _zahlformat(nachkomma)

    def zelle(column: Any, v: Any) -> str:
        return formats.prozent(v) if column in prozent else number(column, v)

    titel = frame.attrs.get("thm_titel")  # the caption tells readers and the privacy scan
    return tabelle(frame, zelle, titel=str(titel) if titel else None, erklaerung=erklaerung)


def farbige_matrix(matrix: pd.DataFrame, ws: Workspace, hinweis: str = "") -> Any:
    """The Versorgungsgrad matrix (%) as a table coloured by gap class.

    ``hinweis``: a further sentence under the table (e.g.
    :func:`thm_lib.publish.views.kreisstruktur_hinweis`).

    Classes from :func:`thm_lib.analysis.coverage.gap_class`, colours of the maps
    (:func:`thm_lib.publish.maps.measure.gap_class_colours`), lightened so the
    numbers stay readable; hidden cells stay white.
    """
    farbe = dict(gap_class_colours())
    untere, obere = (100 * s for s in schwellen(ws.annahmen))

    def colour(_column: Any, v: Any) -> str:
        if isinstance(v, str) or v != v:
            return ""
        klasse = gap_class(np.array([v / 100]), np.array([1.0]), ws.annahmen)[0]
        return f"background-color: {farbe[klasse]}66"

    def cell(_column: Any, v: Any) -> str:  # one decimal: the value the class is decided on
        return formats.zahl(v, 1)

    return tabelle(
        matrix,
        cell,
        stil=colour,
        erklaerung=(
            f"Versorgungsgrad in %: erreichbare Plätze je Person mit Bedarf; rot unter "
            f"{untere:.0f} %, grün {untere:.0f}–{obere:.0f} %, blau über {obere:.0f} %; "
            f"„{ws.annahmen.datenschutz.zeichen_geheim}“ = verborgen (Schutz kleiner Zahlen)."
            + (f" {hinweis}" if hinweis else "")
        ),
    )


def erklaere_groesste_luecke(ws: Workspace, result: Any, ags: str = KREIS) -> Any:
    """The offers behind the shown Unterversorgung with the most missing places.

    Without one: what :func:`~thm_lib.publish.views.keine_luecke_text` says (and how many
    cells are hidden) and ``None`` (no empty table).
    """

    zellen = views.zellen_auswahl(views.versorgung_zellen(ws, result), ags)
    gaps = views.groesste_luecken(zellen, 1)
    if gaps.empty:
        verborgen = int(zellen["gesperrt"].sum())
        text = views.keine_luecke_text(verborgen)
        if verborgen:
            wie = f"„{md(ws.annahmen.datenschutz.zeichen_geheim)}“ (Schutz kleiner Zahlen)"
            text += " " + views.verborgene_zellen_text(verborgen, wie)
        display(Markdown(text))
        return None
    top = gaps.iloc[0]

    display(
        Markdown(
            f"**{md(top['name'])}, {md(top['handlungsfeld'])}**: Versorgungsgrad "
            f"{zahl(top['versorgungsgrad'])} %, {zahl(top['fehlende_plaetze'], 1)} Plätze "
            "fehlen. Beitragende Angebote:"
        )
    )
    table = explain(result, top["ags"], top["handlungsfeld"])
    columns = {
        "name": "Angebot",
        "traeger": "Träger",
        "kosten": "Reisezeit/Entfernung",
        "gewicht": "Gewicht",
        "plaetze": "Plätze",
        "beitrag": "Beitrag (Plätze)",
        "anteil": "Anteil",
    }
    shown = table[[c for c in columns if c in table.columns]].rename(columns=columns)
    return deutsch(
        shown,
        prozent=("Anteil",),
        nachkomma=1,
        erklaerung=(
            "Reisezeit/Entfernung: vom Gemeindepunkt zum Angebot; Gewicht: wie stark die "
            "Entfernung zählt (1 = nah, 0 = außer Reichweite); Beitrag: Plätze des Angebots, "
            "die auf diese Gemeinde entfallen; Anteil: Anteil an ihren erreichbaren Plätzen."
        ),
    )


def doppelangebote(result: Any, ags: str = KREIS, ws: Workspace | None = None) -> pd.DataFrame:
    """Overlapping offers (KOKIP "Doppelangebote") for the Kreis or one Kommune.

    The Versorgungsgrad of a segment rests on its demand (persons × rate): it
    is hidden where :func:`thm_lib.publish.views.versorgung_gesperrt` hides the
    Gemeinde's figures for that Handlungsfeld, and left out without ``ws``.
    """
    d = result.doppelangebote
    if ags:
        d = d[d["ags"] == ags]
    table = d[
        [
            "name",
            "handlungsfeld",
            "status",
            "altersgruppe",
            "anzahl_angebote",
            "angebote",
            "versorgungsgrad",
        ]
    ].copy()
    namen = (
        dict(zip(ws.angebote["angebot_id"], ws.angebote["name"], strict=True))
        if ws is not None and "name" in ws.angebote
        else {}
    )
    table["angebote"] = table["angebote"].map(lambda ids: ", ".join(namen.get(i, i) for i in ids))
    table["status"] = table["status"].map(lambda s: labels.STATUS_LABEL.get(s, s))
    table["versorgungsgrad"] = gerundet(table["versorgungsgrad"], 0)
    if ws is None:
        table = table.drop(columns="versorgungsgrad")
    else:
        g = result.gemeinden
        hidden = {
            (a, h)
            for a, h, x in zip(
                g["ags"], g["handlungsfeld"], versorgung_gesperrt(ws, result), strict=True
            )
            if x
        }
        rows = [(a, h) in hidden for a, h in zip(d["ags"], d["handlungsfeld"], strict=True)]
        table["versorgungsgrad"] = table["versorgungsgrad"].astype(object)
        table.loc[rows, "versorgungsgrad"] = zeichen_geheim(ws)
    return table.rename(
        columns={
            "name": "Gemeinde",
            "handlungsfeld": "Handlungsfeld",
            "status": "Status",
            "altersgruppe": "Altersgruppe",
            "anzahl_angebote": "Angebote (Anzahl)",
            "angebote": "Angebote",
            "versorgungsgrad": "Versorgungsgrad in %",
        }
    ).reset_index(drop=True)


def faq_stellen(bemessung: pd.DataFrame, ags: str = KREIS) -> float:
    """Positions by the FAQ rule for the Kommune (or the Kreis row)."""

    return float(bemessung_zeile(bemessung, ags)["faq_stellen"])


# ---------------------------------------------------------------- maps for the notebooks
def _gemeinden_view(ws: Workspace, ags: str) -> Workspace:
    return ws.for_kommune(ags) if ags else ws


def anzahl_gemeinden(ws: Workspace, ags: str = KREIS) -> int:
    """Number of Gemeinde polygons the maps draw."""
    return len(_gemeinden_view(ws, ags).gebiete)


def anzahl_angebote(ws: Workspace, ags: str = KREIS) -> int:
    """Number of offer markers the maps draw (offers valid at the Stichtag)."""

    ang = _gemeinden_view(ws, ags).angebote
    return int(valid_at(ang, ws.stichtag).sum())


def karte(ws: Workspace, ags: str, mass: str, handlungsfeld: str = "", kacheln: str = "") -> Any:
    """Interactive map of one measure (:data:`thm_lib.publish.views.KARTENMASSE`), hidden values
    left blank; coverage measures with the catchment rings of ``handlungsfeld``
    ("" = the first configured Handlungsfeld). Without (enough) case records the
    measure ``reichweite`` shows the note of :func:`berichtswesen_hinweis` instead (None)."""

    handlungsfeld = handlungsfeld or ws.handlungsfelder[0]
    hinweis = berichtswesen_hinweis(ws) if mass == "reichweite" else ""
    if hinweis:  # no reach without (enough) case records
        zeige(hinweis)
        return None

    rings = mass in ("versorgungsgrad", "fehlende_plaetze")
    return Kartenanzeige(
        maps.kreis_map(
            _gemeinden_view(ws, ags),
            karten_mass(ws, mass, handlungsfeld, result=_versorgung_fuer(ws, mass)),
            tiles=kacheln or None,
            handlungsfeld=handlungsfeld if rings else None,
            catchment=rings,
        )
    )


_FOLIUM_HINWEIS = "Make this Notebook Trusted to load map: File -> Trust Notebook"
KARTEN_HINWEIS = (
    "Interaktive Karte. Erscheint sie nicht, das Notebook als vertrauenswürdig markieren "
    "(JupyterLab: File → Trust Notebook)."
)


class Kartenanzeige:
    """An interactive map for a notebook and its report, with a German note.

    Folium puts an English line behind the map's frame ("Make this Notebook
    Trusted …"); readers of the HTML report meet it in screen readers, search and
    print. ``karte`` keeps the :class:`folium.Map`.
    """

    def __init__(self, karte: Any) -> None:
        self.karte = karte

    def _repr_html_(self) -> str:
        return self.karte._repr_html_().replace(_FOLIUM_HINWEIS, KARTEN_HINWEIS)


def _versorgung_fuer(ws: Workspace, mass: str) -> CoverageResult | None:
    """The coverage a map of ``mass`` needs (None: it needs none)."""
    return versorgung(ws) if mass in ("versorgungsgrad", "fehlende_plaetze") else None


def druckkarte(ws: Workspace, ags: str, mass: str = "zielgruppe", handlungsfeld: str = "") -> Any:
    """Static print map of one measure, as a PNG image for the notebook and its report."""

    mass_werte = karten_mass(ws, mass, handlungsfeld, result=_versorgung_fuer(ws, mass))
    fig = maps.static_map(_gemeinden_view(ws, ags), mass_werte)
    return Image(data=png_bytes(fig))


# ---------------------------------------------------------------- reports without some data
KEINE_FALLDOKUMENTATION = (
    "**Noch keine Falldokumentation.** Die Arbeitsmappe enthält keine Fälle (`faelle`): "
    "Reichweite, Klient*innen, Abschlüsse und Bedarfe je Handlungsfeld (Berichtswesen) sowie "
    "die Fallevidenz gibt es erst, wenn das Teilhabemanagement Fälle dokumentiert. Alle "
    "übrigen Teile dieses Berichts beruhen auf Zielgruppe, Angeboten und Annahmen."
)
BERICHTSWESEN_NICHT_GEZEIGT = (
    "**Berichtswesen nicht gezeigt.** Bei so wenigen dokumentierten Fällen ließen sich die "
    "kleinen Zahlen der Tabellen Fallzahlen, Abschlüsse, Bedarfe und Reichweite gegenseitig "
    "eingrenzen, auch verborgen (Schutz kleiner Zahlen). Sie erscheinen, sobald genug Fälle "
    "dokumentiert sind. Alle übrigen Teile dieses Berichts beruhen auf Zielgruppe, Angeboten "
    "und Annahmen."
)
QUOTEN_AUS_ANNAHMEN = (
    "**Bedarfsquoten aus den Annahmen.** {grund}: alle Bedarfsquoten stammen aus den "
    "Standardquoten der Annahmen (`bedarf.standardquoten` in `annahmen.yaml`, Quelle A), nicht "
    "aus Fällen dieses Kreises."
)


def hat_faelle(ws: Workspace) -> bool:
    """True when the Arbeitsmappe holds case records (``faelle`` with at least one row)."""
    return ws.faelle is not None and len(ws.faelle) > 0


def berichtswesen_hinweis(ws: Workspace) -> str:
    """Why the Berichtswesen tables and the reach are not shown (German, Markdown), else "".

    :data:`KEINE_FALLDOKUMENTATION` without case records, :data:`BERICHTSWESEN_NICHT_GEZEIGT`
    where they cannot be protected
    (:attr:`thm_lib.disclosure.publication.Publication.berichtswesen_zurueckgehalten`).
    """
    if not hat_faelle(ws):
        return KEINE_FALLDOKUMENTATION
    if publication.fuer(ws).berichtswesen_zurueckgehalten:
        return BERICHTSWESEN_NICHT_GEZEIGT
    return ""


def zeige(text: str) -> None:
    """Show a German note as Markdown in the notebook (nothing for "")."""

    if text:
        display(Markdown(text))


_RANG = ("erste", "zweite", "dritte")


_MIT_STATUS = {"sonstige": "einem sonstigen Aufenthaltsstatus"}
"""Statuses whose label does not read after "mit" ("mit Sonstige")."""


def zielgruppe_text(ws: Workspace) -> str:
    """Who the target group is, in German, from ``annahmen.zielgruppe`` (ages and status
    in the order of priority).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> a = NS(alter_min=18, alter_max=27, status=["duldung", "gestattung"])
    >>> zielgruppe_text(NS(annahmen=NS(zielgruppe=a)))
    'Junge Menschen von 18 bis einschließlich 27 Jahren mit Duldung (erste Priorität) oder \
Aufenthaltsgestattung (zweite Priorität).'
    >>> a.status, a.alter_min = ["duldung", "gestattung", "sonstige"], 16
    >>> zielgruppe_text(NS(annahmen=NS(zielgruppe=a))).split("), ")[-1]
    'Aufenthaltsgestattung (zweite Priorität) oder einem sonstigen Aufenthaltsstatus \
(dritte Priorität).'
    """
    a = ws.annahmen.zielgruppe
    status = [
        f"{_MIT_STATUS.get(s, labels.STATUS_LABEL.get(s, s))} ({rang} Priorität)"
        for s, rang in zip(a.status, _RANG, strict=False)
    ]
    wer = status[0] if len(status) == 1 else ", ".join(status[:-1]) + " oder " + status[-1]
    return f"Junge Menschen von {a.alter_min} bis einschließlich {a.alter_max} Jahren mit {wer}."


def stellenregel(ws: Workspace) -> str:
    """The programme's staffing rule as Markdown
    (:func:`thm_lib.analysis.staffing.stellenregel_text`)."""
    return md(staffing.stellenregel_text(ws.programm))


def sperrhinweis(ws: Workspace) -> str:
    """The report's German note on hidden counts (Markdown; threshold and mark from the
    settings, :func:`thm_lib.publish.views.sperrhinweis`)."""
    return "Alle Zahlen dieses Berichts sind zusammengefasst. " + md(views.sperrhinweis(ws))


def bericht_tabellen(ws: Workspace, ags: str = KREIS) -> dict[str, Any]:
    """The Berichtswesen tables (:func:`thm_lib.publish.views.bericht_tabellen`); without case
    records, or where they are withheld, an empty dict, and the German note of
    :func:`berichtswesen_hinweis` is shown."""

    hinweis = berichtswesen_hinweis(ws)
    if hinweis:
        zeige(hinweis)
        return {}
    return views.bericht_tabellen(ws, ags)


def ohne_einwilligung(ws: Workspace) -> Any:
    """Published number of active cases left out for lack of consent (None without cases)."""

    if not hat_faelle(ws):
        return None
    return berichtswesen.ohne_einwilligung(views.berichtsjahr(ws), views.schwelle(ws))


def quoten_text(ws: Workspace, result: Any) -> str:
    """German note when every need rate comes from the assumptions, else ""."""
    if set(result.bedarfsquoten["quelle"]) - {"standardquote"}:
        return ""
    grund = (
        "Noch keine Falldokumentation"
        if not hat_faelle(ws)
        else "Zu wenige Fälle mit Einwilligung (weniger als `bedarf.mindestfaelle` im Kreis)"
    )
    return QUOTEN_AUS_ANNAHMEN.format(grund=grund)


def intervall_text(ws: Workspace) -> str:
    """The confidence level of the need rates' intervals (``bedarf.konfidenz``), in German.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> [intervall_text(NS(annahmen=NS(bedarf=NS(konfidenz=k)))) for k in (0.95, 0.975)]
    ['Sicherheit der Intervalle: 95 %.', 'Sicherheit der Intervalle: 97,5 %.']
    """
    return f"Sicherheit der Intervalle: {kurz(float(ws.annahmen.bedarf.konfidenz) * 100)} %."


def fallevidenz(ws: Workspace, ags: str = KREIS) -> Any:
    """The case-evidence table (:func:`thm_lib.publish.views.fallevidenz`), or None with a
    German note shown instead: no case records yet (never a table of zeros), or the
    table is withheld (its title says why)."""

    if not hat_faelle(ws):
        zeige(KEINE_FALLDOKUMENTATION)
        return None
    table = views.fallevidenz(ws, ags)
    if isinstance(table, pd.DataFrame):  # withheld
        zeige(f"**{table.attrs['thm_titel']}**")
        return None
    return table


def stichtag_text(ws: Workspace, ags: str = KREIS, markdown: bool = True) -> str:
    """German note on Gemeinden whose counts stem from another Stichtag, else "".

    Each Gemeinde uses its own latest count on or before the Stichtag
    (:func:`thm_lib.analysis.target_group.stichtag_je_gemeinde`), in the target group,
    coverage and staffing alike; the note names those whose count is from
    another date, grouped by date, and those without any count. Markdown for the
    reports; ``markdown=False`` gives plain text (the console of ``thm zusammenfassung``).
    """
    name = md if markdown else str
    fett = "**" if markdown else ""
    chosen = stichtag_je_gemeinde(ws.zielgruppe, ws.stichtag)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    scope = [ags] if ags else list(names)
    chosen = chosen[chosen.index.isin(scope)]
    parts = [
        f"Zählung vom {pd.Timestamp(tag):%d.%m.%Y}: "
        + ", ".join(name(names[a]) for a in group.index)
        for tag, group in chosen[chosen != ws.stichtag].groupby(chosen, sort=True)
    ]
    missing = [name(names[a]) for a in scope if a not in chosen.index]
    if missing:
        parts.append("keine Zählung (Zielgruppe 0): " + ", ".join(missing))
    if not parts:
        return ""
    return (
        f"{fett}Nicht alle Zahlen sind vom Stichtag {ws.stichtag:%d.%m.%Y}.{fett} Jede Gemeinde "
        "geht mit ihrer letzten Zählung an oder vor dem Stichtag ein (gibt es keine so "
        "frühe, mit ihrer ersten), in Zielgruppe, Versorgung und Stellen gleichermaßen. "
        + "; ".join(parts)
        + "."
    )


def unbekannt_text(ws: Workspace, ags: str = KREIS, markdown: bool = True) -> str:
    """German note on Gemeinden whose count holds unknown values, else "".

    Symbols of official statistics (``.``, ``...``, ``x``, ``/``) are read as
    missing and count 0 (:func:`thm_lib.analysis.target_group.unbekannte_werte`):
    the target group of those Gemeinden, and their demand and positions, are
    lower bounds. The published tables show the numbers without a mark; this
    note says so (round 2, session 30: a Kreis whose Duldung was all "." showed
    "Duldung 0").
    """
    name = md if markdown else str
    fett = "**" if markdown else ""
    je = unbekannte_werte(ws.zielgruppe, ws.annahmen, ws.stichtag)
    namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True))
    je = je[je.index.isin([ags] if ags else list(namen))]
    if je.empty:
        return ""
    wo = ", ".join(name(namen[a]) for a in je.index if a in namen)
    kreis = " und des Kreises" if not ags else ""
    eins = je.sum() == 1
    return (
        f"{fett}Untergrenzen.{fett} In der Zählung von {wo} "
        f"{'steht 1 Wert, den' if eins else f'stehen {int(je.sum())} Werte, die'} die amtliche "
        "Statistik nicht nennt („.“ unbekannt oder geheim, „…“, „x“, „/“); "
        f"{'er zählt' if eins else 'sie zählen'} als 0. Zielgruppe, Bedarf "
        f"und Stellen dieser {'Gemeinde' if len(je) == 1 else 'Gemeinden'}{kreis} sind "
        "deshalb Untergrenzen."
    )


def zeitraum_text(ws: Workspace) -> str:
    """German note when the Stichtag lies outside the funding period, else ""
    (:func:`thm_lib.analysis.funding.zeitraum_hinweis`)."""

    text = zeitraum_hinweis(ws.programm, ws.annahmen, ws.stichtag)
    return f"**Hinweis:** {text}" if text else ""


def standort_abschnitt(
    ws: Workspace,
    ergebnis: CoverageResult,
    ags: str = KREIS,
    handlungsfeld: str = "",
    p: int = 2,
    zugang: str = "",
) -> Standortplanung | None:
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
    if ags:
        display(
            Markdown("Die Standortplanung rechnet für den ganzen Kreis; sie steht im Kreisbericht.")
        )
        return None
    try:
        status = standort.zugang_text(zugang, ws.annahmen)
        feld = standort_anzeige.feld_waehlen(ws, ergebnis, handlungsfeld)
        if int(p) < 1:
            raise ValueError("Parameter 'p': Anzahl neuer Standorte muss mindestens 1 sein")
    except ValueError as exc:
        raise DataError(
            [Problem("Parameter", str(exc), "Bitte den Parameter korrigieren")]
        ) from None
    plan = standort_anzeige.planen_veroeffentlicht(
        ws, feld, p=int(p), zugang=list(status), vorher=ergebnis
    )
    display(Markdown(standort_anzeige.erklaerung(ws, plan)))
    if len(plan.loesung.auswahl):
        display(deutsch(standort_anzeige.standort_tabelle(ws, plan), nachkomma=1))
        display(Markdown("**Wirkung je Gemeinde** (neu berechnet, nur veränderte Gemeinden):"))
        display(deutsch(standort_anzeige.wirkung_tabelle(ws, plan), nachkomma=1))
        display(Markdown("**Für welche Gruppen** (geschlossene Plätze je Standort):"))
        display(deutsch(standort_anzeige.segment_tabelle(ws, plan), nachkomma=1))
        display(Kartenanzeige(standort_anzeige.karte(plan, ws, "nachher", height="450px")))
    display(
        Markdown(
            "**Alternativen mit bestehenden Angeboten** (für Geduldete öffnen oder "
            "10 Plätze aufstocken; geschlossene Plätze neu berechnet):"
        )
    )
    var = standort.varianten(ws, feld, vorher=plan.vorher)
    display(deutsch(standort_anzeige.varianten_tabelle(ws, var, plan.vorher), nachkomma=1))
    for name, wert in standort_anzeige.glue_werte(ws, plan).items():
        glue(name, wert)
    return plan
