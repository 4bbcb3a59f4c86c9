"""Small helpers the notebooks call, so that notebook cells stay one-liners.

``glue`` records key figures in the executed notebook (a custom MIME type, in
the spirit of scrapbook) so tests and the batch can read them back without
parsing displayed text; ``read_glue`` reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.config import kommune_overrides, merge
from thm_lib.workspace import Workspace

GLUE_MIME = "application/vnd.thm-werkbank.kennzahl+json"


def ags_text(ags: object) -> str:
    """The AGS parameter as 8-digit text ("" for the whole Kreis).

    ``papermill -p ags 05899016`` passes the number 5899016 (YAML drops the
    leading zero); this restores ``"05899016"``.
    """
    from thm_lib.columns import parse_ags
    from thm_lib.errors import DataError, Problem

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
    ags: str = "",
    stichtag: str = "",
    annahmen: dict[str, Any] | None = None,
) -> Workspace:
    """Load the Arbeitsmappe for a notebook run (always the whole Kreis).

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
    from thm_lib.columns import parse_date
    from thm_lib.io import load_workspace

    ags = ags_text(ags)
    overrides: dict[str, Any] = {}
    if ags:
        overrides = kommune_overrides(Path(arbeitsmappe), str(ags))
    if annahmen:
        overrides = merge(overrides, annahmen)
    if stichtag:
        overrides = merge(overrides, {"kreis": {"stichtag": parse_date(stichtag).date()}})
    ws = load_workspace(arbeitsmappe, overrides=overrides or None)
    pd.set_option("display.max_rows", 500)  # reports show whole tables, not "..."
    if ags and ags not in set(ws.gebiete["ags"]):
        from thm_lib.errors import DataError, Problem

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


def titel(ws: Workspace, ags: str) -> str:
    """German heading: Kreis or Gemeinde, with the Stichtag."""
    wo = ws.gemeinde_name(ags) if ags else ws.name
    return f"{wo} – Stichtag {ws.stichtag:%d.%m.%Y}"


def glue(name: str, value: Any) -> None:
    """Record a key figure in the notebook's outputs (not shown in HTML reports)."""
    from IPython.display import display

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
    Rates come from :func:`thm_lib.publication.bedarfsquoten`: where a rate
    and its interval would pin 1-4 cases with or without the need, it is
    shown pooled, or as "<5 Fälle".
    """
    from thm_lib.needs import GESPERRT
    from thm_lib.publication import bedarfsquoten

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
    return table


def deutsch(frame: pd.DataFrame, prozent: tuple[str, ...] = (), nachkomma: int = 2) -> Any:
    """Display a table with German number formats (1.234,56; 90 %; ja/nein; – for missing).

    Text cells (e.g. the suppression symbols) are shown as they are. The
    title of a published frame (``attrs["thm_titel"]``) becomes the caption.
    """
    from thm_lib import formats

    def number(v: Any) -> str:
        if isinstance(v, bool | np.bool_):
            return "ja" if v else "nein"
        whole = not isinstance(v, str) and v == v and float(v).is_integer()
        return formats.zahl(v, 0 if whole else nachkomma)

    styler = frame.style.format(number)
    if frame.attrs.get("thm_titel"):  # the caption tells readers and the privacy scan what
        styler = styler.set_caption(str(frame.attrs["thm_titel"]))  # the table counts
    present = [c for c in prozent if c in frame.columns]
    return styler.format(formats.prozent, subset=present) if present else styler


def farbige_matrix(matrix: pd.DataFrame, ws: Workspace) -> Any:
    """The Versorgungsgrad matrix as a coloured table (red = Unterversorgung)."""
    untere = 100 * ws.annahmen.versorgung.untere_schwelle
    obere = 100 * ws.annahmen.versorgung.obere_schwelle

    def colour(v: Any) -> str:
        if isinstance(v, str) or v != v:
            return ""
        if v < untere:
            return "background-color: #f4a6a6"
        if v > obere:
            return "background-color: #a6c8f4"
        return "background-color: #d9f2d9"

    return matrix.style.map(colour).format(
        lambda v: v if isinstance(v, str) else ("–" if v != v else f"{v:.0f}")
    )


def erklaere_groesste_luecke(ws: Workspace, result: Any, ags: str = "") -> Any:
    """The offers behind the shown Unterversorgung with the most missing places."""
    from IPython.display import Markdown, display

    from thm_lib.coverage import explain
    from thm_lib.views import versorgung_gesperrt

    g = result.gemeinden[~versorgung_gesperrt(ws, result)]
    g = g[g["ags"] == ags] if ags else g
    g = g[(g["klasse"] == "Unterversorgung") & (g["fehlende_plaetze"] > 0)]
    if g.empty:
        display(Markdown("Keine Unterversorgung gefunden."))
        return pd.DataFrame()
    top = g.loc[g["fehlende_plaetze"].idxmax()]
    display(
        Markdown(
            f"**{top['name']}, {top['handlungsfeld']}**: Versorgungsgrad "
            f"{top['versorgungsgrad']:.0f} %, {top['fehlende_plaetze']:.1f} Plätze "
            "fehlen. Beitragende Angebote:"
        )
    )
    table = explain(result, top["ags"], top["handlungsfeld"])
    columns = {
        "angebot_id": "Angebot",
        "name": "Name",
        "traeger": "Träger",
        "kosten": "Reisezeit/Entfernung",
        "gewicht": "Gewicht",
        "plaetze": "Plätze",
        "beitrag": "Beitrag",
        "anteil": "Anteil",
    }
    shown = table[[c for c in columns if c in table.columns]].rename(columns=columns)
    return deutsch(shown, prozent=("Anteil",), nachkomma=1)


def doppelangebote(result: Any, ags: str = "", ws: Workspace | None = None) -> pd.DataFrame:
    """Overlapping offers (KOKIP "Doppelangebote") for the Kreis or one Kommune.

    The Versorgungsgrad of a segment rests on its demand (persons × rate): it
    is hidden where :func:`thm_lib.views.versorgung_gesperrt` hides the
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
    table["angebote"] = table["angebote"].map(", ".join)
    table["versorgungsgrad"] = table["versorgungsgrad"].round(0)
    if ws is None:
        table = table.drop(columns="versorgungsgrad")
    else:
        from thm_lib.views import versorgung_gesperrt, zeichen_geheim

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
            "versorgungsgrad": "Versorgungsgrad %",
        }
    ).reset_index(drop=True)


def faq_stellen(bemessung: pd.DataFrame, ags: str = "") -> float:
    """Positions by the FAQ rule for the Kommune (or the Kreis row)."""
    from thm_lib.views import bemessung_zeile

    return float(bemessung_zeile(bemessung, ags)["faq_stellen"])


# ---------------------------------------------------------------- maps for the notebooks
def _gemeinden_view(ws: Workspace, ags: str) -> Workspace:
    return ws.for_kommune(ags) if ags else ws


def anzahl_gemeinden(ws: Workspace, ags: str = "") -> int:
    """Number of Gemeinde polygons the maps draw."""
    return len(_gemeinden_view(ws, ags).gebiete)


def anzahl_angebote(ws: Workspace, ags: str = "") -> int:
    """Number of offer markers the maps draw (offers valid at the Stichtag)."""
    from thm_lib.access import valid_at

    ang = _gemeinden_view(ws, ags).angebote
    return int(valid_at(ang, ws.stichtag).sum())


def karte(ws: Workspace, ags: str, mass: str, handlungsfeld: str = "", kacheln: str = "") -> Any:
    """Interactive map of one measure (:data:`thm_lib.views.KARTENMASSE`), hidden values
    left blank; coverage measures with the catchment rings of ``handlungsfeld``
    ("" = the first configured Handlungsfeld). Without case records the measure
    ``reichweite`` shows the German note instead (None)."""
    from thm_lib import maps
    from thm_lib.views import karten_mass

    handlungsfeld = handlungsfeld or ws.handlungsfelder[0]
    if mass == "reichweite" and not hat_faelle(ws):
        zeige(KEINE_FALLDOKUMENTATION)  # no reach without case records
        return None

    rings = mass in ("versorgungsgrad", "fehlende_plaetze")
    return maps.kreis_map(
        _gemeinden_view(ws, ags),
        karten_mass(ws, mass, handlungsfeld),
        tiles=kacheln or None,
        handlungsfeld=handlungsfeld if rings else None,
        catchment=rings,
    )


def druckkarte(ws: Workspace, ags: str, mass: str = "zielgruppe", handlungsfeld: str = "") -> Any:
    """Static print map of one measure, as a PNG image for the notebook and its report."""
    from IPython.display import Image

    from thm_lib import maps
    from thm_lib.maps.static import png_bytes
    from thm_lib.views import karten_mass

    fig = maps.static_map(_gemeinden_view(ws, ags), karten_mass(ws, mass, handlungsfeld))
    return Image(data=png_bytes(fig))


# ---------------------------------------------------------------- reports without some data
KEINE_FALLDOKUMENTATION = (
    "**Noch keine Falldokumentation.** Die Arbeitsmappe enthält keine Fälle (`faelle`): "
    "Reichweite, Klient*innen, Abschlüsse und Bedarfe je Handlungsfeld (Berichtswesen) sowie "
    "die Fallevidenz gibt es erst, wenn das Teilhabemanagement Fälle dokumentiert. Alle "
    "übrigen Teile dieses Berichts beruhen auf Zielgruppe, Angeboten und Annahmen."
)
QUOTEN_AUS_ANNAHMEN = (
    "**Bedarfsquoten aus den Annahmen.** {grund}: alle Bedarfsquoten stammen aus den "
    "Standardquoten der Annahmen (`bedarf.standardquoten` in `annahmen.yaml`, Quelle A), nicht "
    "aus Fällen dieses Kreises."
)


def hat_faelle(ws: Workspace) -> bool:
    """True when the Arbeitsmappe holds case records (``faelle`` with at least one row)."""
    return ws.faelle is not None and len(ws.faelle) > 0


def zeige(text: str) -> None:
    """Show a German note as Markdown in the notebook (nothing for "")."""
    from IPython.display import Markdown, display

    if text:
        display(Markdown(text))


def bericht_tabellen(ws: Workspace, ags: str = "") -> dict[str, Any]:
    """The Berichtswesen tables (:func:`thm_lib.views.bericht_tabellen`); without case
    records an empty dict, and the German note :data:`KEINE_FALLDOKUMENTATION` is shown."""
    from thm_lib import views

    if not hat_faelle(ws):
        zeige(KEINE_FALLDOKUMENTATION)
        return {}
    return views.bericht_tabellen(ws, ags)


def ohne_einwilligung(ws: Workspace) -> Any:
    """Published number of active cases left out for lack of consent (None without cases)."""
    from thm_lib import views

    if not hat_faelle(ws):
        return None
    return views.berichtsjahr(ws).excluded_published(views.schwelle(ws))


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


def fallevidenz(result: Any, ws: Workspace, ags: str = "") -> Any:
    """The case-evidence table (:func:`thm_lib.views.fallevidenz`), or None with the German
    note that there are no case records yet shown (never a table of zeros)."""
    from thm_lib import views

    if not hat_faelle(ws):
        zeige(KEINE_FALLDOKUMENTATION)
        return None
    return views.fallevidenz(result, ws, ags)


def stichtag_text(ws: Workspace, ags: str = "") -> str:
    """German note on Gemeinden whose counts stem from another Stichtag, else "".

    Each Gemeinde uses its own latest count on or before the Stichtag
    (:func:`thm_lib.target_group.stichtag_je_gemeinde`), in the target group,
    coverage and staffing alike; the note names those whose count is from
    another date, grouped by date, and those without any count.
    """
    from thm_lib.target_group import stichtag_je_gemeinde

    chosen = stichtag_je_gemeinde(ws.zielgruppe, ws.stichtag)
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    scope = [ags] if ags else list(names)
    chosen = chosen[chosen.index.isin(scope)]
    parts = [
        f"Zählung vom {pd.Timestamp(tag):%d.%m.%Y}: " + ", ".join(names[a] for a in group.index)
        for tag, group in chosen[chosen != ws.stichtag].groupby(chosen, sort=True)
    ]
    missing = [names[a] for a in scope if a not in chosen.index]
    if missing:
        parts.append("keine Zählung (Zielgruppe 0): " + ", ".join(missing))
    if not parts:
        return ""
    return (
        f"**Nicht alle Zahlen sind vom Stichtag {ws.stichtag:%d.%m.%Y}.** Jede Gemeinde "
        "geht mit ihrer letzten Zählung an oder vor dem Stichtag ein (gibt es keine so "
        "frühe, mit ihrer ersten), in Zielgruppe, Versorgung und Stellen gleichermaßen. "
        + "; ".join(parts)
        + "."
    )


def zeitraum_text(ws: Workspace) -> str:
    """German note when the Stichtag lies outside the funding period, else ""
    (:func:`thm_lib.funding.zeitraum_hinweis`)."""
    from thm_lib.funding import zeitraum_hinweis

    text = zeitraum_hinweis(ws.programm, ws.annahmen, ws.stichtag)
    return f"**Hinweis:** {text}" if text else ""
