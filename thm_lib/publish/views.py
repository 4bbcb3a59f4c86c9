"""Published tables for notebooks, reports and the workbook (German headers, suppressed).

Each function takes analysis results, limits them to a Kommune (``ags``) or
keeps the whole Kreis (``ags == ""``), and returns a
:class:`~thm_lib.disclosure.suppression.PublishedTable` (counts of persons) or a frame
marked public (estimates, offers, positions, money). No computation of its own:
the numbers and their hiding pattern come from the publication layer
(:func:`thm_lib.disclosure.publication.fuer`, one per Workspace), so every table, map,
report and app hides the same quantity in the same places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pandas as pd

from thm_lib.analysis.access import valid_at
from thm_lib.analysis.berichtswesen import TOTAL as REPORT_TOTAL
from thm_lib.analysis.berichtswesen import fallevidenz_titel, report_from_workspace
from thm_lib.analysis.coverage import KLASSE_UNTER, CoverageResult
from thm_lib.analysis.funding import finanzierungsplan, foerdersatz_text
from thm_lib.analysis.scenarios import hinweise, vergleiche
from thm_lib.analysis.staffing import (
    EBENE_KREIS,
    stellenbemessung,
)
from thm_lib.core import labels
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import anzahl_ohne_verborgene, gerundet, kurz, md, zahl
from thm_lib.core.labels import KREIS, STELLEN_SPALTE_LABEL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure import publication
from thm_lib.disclosure.suppression import (
    PublishedTable,
    mark_public,
    select_rows,
    small_label,
    stack_rows,
)
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.publish import maps

TOTAL = publication.TOTAL
"""Row key (and app dropdown value) of the whole Kreis."""


def schwelle(ws: Workspace) -> int:
    """The configured suppression threshold."""
    return int(ws.annahmen.datenschutz.schwelle)


KREIS_NUR = " (Kreis; je Kommune nicht veröffentlicht, Schutz kleiner Zahlen)"
"""Title suffix of tables a Kommune report shows only for the whole Kreis."""
FALLEVIDENZ_NICHT_GEZEIGT = (
    "Fallevidenz nicht gezeigt: bei so wenigen dokumentierten Fällen ließen ihre Zahlen, "
    "allein oder neben den Bedarfen des Berichtsjahrs, auch verborgen auf kleine Zahlen "
    "schließen (Schutz kleiner Zahlen)."
)
"""Title of the empty frame :func:`fallevidenz` returns where the table is withheld."""


def zielgruppe_je_gemeinde(
    ws: Workspace, ags: str = KREIS, stichtag: pd.Timestamp | None = None
) -> PublishedTable:
    """Target group per Gemeinde and status (with totals), suppressed.

    A Kommune gets its row of the Kreis table, with the Kreis table's hidden
    cells: suppressing its row alone could show a cell the Kreis table hides.
    """
    published = publication.fuer(ws).zielgruppe(stichtag)
    return select_rows(published, [ws.gemeinde_name(ags)]) if ags else published


def zielgruppe_kartenwerte(ws: Workspace) -> pd.Series:
    """Target group per Gemeinde (index ``ags``) for maps: the published totals of
    :func:`zielgruppe_je_gemeinde`, NaN where that table hides them (the map then
    hides them too, never shows a total the table hides)."""
    table = zielgruppe_je_gemeinde(ws)
    names = ws.gebiete.set_index("name")["ags"]
    shown = table.published["gesamt"].drop(TOTAL)
    values = pd.to_numeric(shown.where(~table.mask["gesamt"].drop(TOTAL)), errors="coerce")
    values.index = names.reindex(values.index).to_numpy()
    values.index.name = "ags"
    return values.astype(float)


def zielgruppe_struktur(ws: Workspace, ags: str = KREIS) -> PublishedTable:
    """Target group by age band (rows) and sex (columns) of the Kreis, suppressed.

    Only for the whole Kreis: the Gemeinde tables would add up to it, so a cell
    hidden in one Gemeinde could be recovered from the Kreis table and the
    others. A Kommune report shows the Kreis table, titled so. Its grand total
    carries the mask of the Kreis total of :func:`zielgruppe_je_gemeinde`.
    """
    table = publication.fuer(ws).struktur
    return replace(table, titel=(table.titel or "") + (KREIS_NUR if ags else ""))


def zielgruppe_verlauf(ws: Workspace, ags: str = KREIS) -> PublishedTable:
    """Target group per Stichtag and status (trend), suppressed.

    Each Stichtag's row is the Gemeinde's (or the total) row of that
    Stichtag's Kreis table (:func:`zielgruppe_je_gemeinde`), so the trend
    hides exactly what the Kreis tables hide.
    """
    key = ws.gemeinde_name(ags) if ags else TOTAL
    rows = [
        select_rows(zielgruppe_je_gemeinde(ws, stichtag=pd.Timestamp(tag)), [key])
        for tag in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique())
    ]
    labels_ = [
        f"{pd.Timestamp(t):%d.%m.%Y}"
        for t in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique())
    ]
    table = stack_rows(rows, pd.Index(labels_, name="Stichtag"))
    return replace(table, titel="Entwicklung der Zielgruppe je Stichtag")


def berichtsjahr(ws: Workspace, ags: str = KREIS) -> Any:
    """The Berichtswesen report (internal) for the calendar year of the Stichtag."""
    if not ags:
        return publication.fuer(ws).bericht

    von = pd.Timestamp(year=ws.stichtag.year, month=1, day=1)
    return report_from_workspace(ws, von, ws.stichtag, ags=ags)


def reichweite_tabelle(ws: Workspace) -> PublishedTable:
    """Reach of THM per Gemeinde and status in the calendar year of the Stichtag (Kreis table).

    The target-group cells hide exactly what :func:`zielgruppe_je_gemeinde`
    hides: both tables publish the same numbers, and a cell shown in one but
    hidden in the other would be recoverable
    (:attr:`thm_lib.disclosure.publication.Publication.reichweite`).
    """
    return publication.fuer(ws).reichweite


def kennzahlen_tabelle(ws: Workspace) -> PublishedTable:
    """Target group, clients and reach per Gemeinde plus the Kreis row (:data:`KREIS`).

    The columns ``zielgruppe``, ``klienten``, ``reichweite`` of
    :func:`reichweite_tabelle`, so apps and reports show the same numbers
    with the same hidden cells.
    """

    if ws.faelle is None:
        return _kennzahlen_ohne_faelle(ws, "noch keine Falldokumentation")
    if publication.fuer(ws).berichtswesen_zurueckgehalten:
        return _kennzahlen_ohne_faelle(ws, "nicht gezeigt, Schutz kleiner Zahlen")
    table = reichweite_tabelle(ws)
    cols = {"zielgruppe": "zielgruppe", "klient_innen": "klienten", "reichweite": "reichweite"}

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[list(cols)].rename(columns=cols).rename(index={REPORT_TOTAL: KREIS})
        out.attrs = dict(frame.attrs)
        return out

    return replace(
        table,
        published=pick(table.published),
        internal_unsuppressed=pick(table.internal_unsuppressed),
        mask=pick(table.mask),
        reason=pick(table.reason),
        count_cols=("zielgruppe", "klienten"),
        share_cols=("reichweite",),
        titel="Zielgruppe und Reichweite",
        column_labels={
            "zielgruppe": "Zielgruppe",
            "klienten": "Klient*innen",
            "reichweite": "Reichweite",
        },
    )


def _kennzahlen_ohne_faelle(ws: Workspace, warum: str) -> PublishedTable:
    """:func:`kennzahlen_tabelle` without clients: the target group of
    :func:`zielgruppe_je_gemeinde` (same cells, same mask); clients and reach "–",
    the title saying ``warum`` (no case records yet, or the Berichtswesen withheld)."""
    zg = zielgruppe_je_gemeinde(ws)
    ags_of = dict(zip(ws.gebiete["name"], ws.gebiete["ags"], strict=True))
    ags_of[TOTAL] = KREIS

    def pick(frame: pd.DataFrame, fill: Any) -> pd.DataFrame:
        out = frame[["gesamt"]].rename(columns={"gesamt": "zielgruppe"}).rename(index=ags_of)
        out = out.assign(klienten=fill, reichweite=fill)
        out.index.name = "ags"
        out.attrs = dict(frame.attrs)
        return out

    return replace(
        zg,
        published=pick(zg.published, "–"),
        internal_unsuppressed=pick(zg.internal_unsuppressed, float("nan")),
        mask=pick(zg.mask, False),
        reason=pick(zg.reason, ""),
        count_cols=("zielgruppe",),
        share_cols=(),
        titel=f"Zielgruppe (Reichweite: {warum})",
        column_labels={
            "zielgruppe": "Zielgruppe",
            "klienten": "Klient*innen",
            "reichweite": "Reichweite",
        },
    )


def bericht_tabellen(ws: Workspace, ags: str = KREIS) -> dict[str, PublishedTable]:
    """The published Berichtswesen tables of the Kreis or a Kommune (calendar year).

    A Kommune gets its rows of the Kreis tables "Fallzahlen" and "Reichweite";
    the breakdowns by Abschlussgrund and Handlungsfeld are published for the
    Kreis only (Kommune tables would add up to the Kreis table and reveal
    hidden cells by differencing).
    """
    kreis = dict(publication.fuer(ws).bericht_tabellen)
    if not ags:
        return kreis
    return {
        name: select_rows(table, [ags])
        if name in ("Fallzahlen", "Reichweite")
        else replace(table, titel=(table.titel or name) + KREIS_NUR)
        for name, table in kreis.items()
    }


def angebote_uebersicht(ws: Workspace, ags: str = KREIS) -> pd.DataFrame:
    """Offer inventory per Handlungsfeld: number, places, open to Duldung/Gestattung, outreach.

    Only offers running at the Stichtag count, as in the coverage
    (:func:`thm_lib.analysis.access.valid_at`); the title names the others.
    Before session 29 the table counted ended offers too (Entwurfsweiler:
    Coaching 3 offers, 153 places, while 2 with 99 places ran). Offers are not
    personal data; the table is marked public.
    """
    alle = ws.for_kommune(ags).angebote if ags else ws.angebote
    laufen = valid_at(alle, ws.stichtag)
    ang = alle[laufen]
    felder = ws.handlungsfelder
    # a column, not groupby.apply: with no offers apply returns a frame (pandas 3)
    ang = ang.assign(
        nur_gestattung=~ang["zugang_duldung"].astype(bool) & ang["zugang_gestattung"].astype(bool)
    )
    grouped = ang.groupby("handlungsfeld")
    table = (
        pd.DataFrame(
            {
                "angebote": grouped.size(),
                "plaetze": grouped["plaetze"].sum(),
                "offen_duldung": grouped["zugang_duldung"].sum(),
                "nur_gestattung": grouped["nur_gestattung"].sum(),
                "aufsuchend": grouped["aufsuchend"].sum(),
            }
        )
        .reindex(felder, fill_value=0)
        .astype(int)
    )
    table.index.name = "Handlungsfeld"
    table = table.rename(
        columns={
            "angebote": "Angebote",
            "plaetze": "Plätze/Jahr",
            "offen_duldung": "offen für Duldung",
            "nur_gestattung": "nur für Gestattung",
            "aufsuchend": "aufsuchend",
        }
    )
    titel = f"Angebote je Handlungsfeld, die am Stichtag {ws.stichtag:%d.%m.%Y} laufen"
    andere = int((~laufen).sum())
    if andere:
        weitere = "1 weiteres Angebot" if andere == 1 else f"{zahl(andere)} weitere Angebote"
        titel += f" ({weitere} beendet oder noch nicht begonnen)"
    return mark_public(table, "Angebotsinventar, keine Personendaten", titel=titel)


def versorgung_matrix(ws: Workspace, result: CoverageResult, ags: str = KREIS) -> pd.DataFrame:
    """Versorgungsgrad (%) as a Gemeinde × Handlungsfeld matrix (estimates, public).

    Cells of :func:`versorgung_gesperrt` hold the suppression symbol.
    """
    g = result.gemeinden.assign(versorgungsgrad=gerundet(result.gemeinden["versorgungsgrad"], 1))
    g = g.astype({"versorgungsgrad": object})
    g.loc[versorgung_gesperrt(ws, result), "versorgungsgrad"] = zeichen_geheim(ws)
    g = zellen_auswahl(g, ags)
    felder = list(dict.fromkeys(g["handlungsfeld"]))
    matrix = g.pivot(index="name", columns="handlungsfeld", values="versorgungsgrad")
    matrix = matrix.reindex(columns=felder)
    matrix.index.name = "Gemeinde"
    return mark_public(
        matrix,
        "modellierte Versorgungsgrade",
        titel="Versorgungsgrad in % je Gemeinde und Handlungsfeld",
    )


def lueckenliste(
    ws: Workspace, result: CoverageResult, ags: str = KREIS, n: int | None = None
) -> pd.DataFrame:
    """Unterversorgung, largest missing places first (estimates, public).

    Rows of :func:`versorgung_gesperrt` are left out (their numbers would
    reveal a hidden count); a note in the notebook says so. Column
    :data:`thm_lib.core.labels.ALTERSSTRUKTUR` says which rows are estimates with the Kreis age
    structure (:func:`mit_kreisstruktur`).
    """
    g = result.gemeinden.assign(kreisstruktur=mit_kreisstruktur(ws, result).to_numpy())
    g = zellen_auswahl(g[~versorgung_gesperrt(ws, result).to_numpy()], ags)
    gaps = g[g["klasse"] == KLASSE_UNTER].sort_values("fehlende_plaetze", ascending=False)
    if n is not None:
        gaps = gaps.head(n)
    table = pd.DataFrame(
        {
            "Gemeinde": gaps["name"],
            "Handlungsfeld": gaps["handlungsfeld"],
            labels.BEDARF_GESCHAETZT: gerundet(gaps["bedarf"], 1),
            "erreichbare Plätze": gerundet(gaps["erreichbare_plaetze"], 1),
            "Versorgungsgrad %": gerundet(gaps["versorgungsgrad"], 1),
            "fehlende Plätze": gerundet(gaps["fehlende_plaetze"], 1),
            "kein Angebot erreichbar": gaps["kein_angebot_erreichbar"].map(
                {True: "ja", False: "nein"}
            ),
            labels.BEDARF_GEDULDETE_GESCHAETZT: gerundet(gaps["bedarf_geduldete_ohne_angebot"], 1),
            labels.ALTERSSTRUKTUR: gaps["kreisstruktur"].map(
                {True: labels.ALTERSSTRUKTUR_KREIS, False: "Gemeinde"}
            ),
        }
    ).set_index(["Gemeinde", "Handlungsfeld"])
    return mark_public(
        table, "modellierte Bedarfe und Plätze", titel="Versorgungslücken (Unterversorgung)"
    )


def fallevidenz(ws: Workspace, ags: str = KREIS) -> PublishedTable | pd.DataFrame:
    """Case evidence per Handlungsfeld: needs met passend / nächstbeste / kein Angebot, and open.

    Counts from consented case records of the target group, suppressed; shown
    beside the computed gap, never mixed into it. Needs over the whole
    documentation (no period): the shares are of the decided needs, the open
    ones are counted apart; the title says so, as its totals differ from the
    Berichtswesen table "Bedarfe" (``reporting.fallevidenz_titel``), with which
    it is published together
    (:attr:`thm_lib.disclosure.publication.Publication.fallevidenz`). Only for
    the whole Kreis (a Kommune report shows the Kreis table, titled so): Kommune
    tables would add up to it.

    Where it cannot be protected (e.g. a Kreis with one documented case), an empty
    public frame whose title says why (:data:`FALLEVIDENZ_NICHT_GEZEIGT`), as for a
    withheld Finanzierungsplan.
    """
    evidenz = publication.fuer(ws).fallevidenz
    if evidenz is None:
        return mark_public(pd.DataFrame(), "leer", titel=FALLEVIDENZ_NICHT_GEZEIGT)
    return replace(
        evidenz,
        titel=fallevidenz_titel(ws.annahmen) + (KREIS_NUR if ags else ""),
        column_labels={
            **{k: labels.ERGEBNIS_LABEL[k] for k in labels.ERGEBNIS},
            "entschieden": labels.BEDARFE_ENTSCHIEDEN,
            "gesamt": labels.BEDARFE_INSGESAMT,
            **{f"anteil_{e}": f"Anteil {labels.ERGEBNIS_LABEL[e]}" for e in labels.ENTSCHIEDEN},
        },
    )


def personen_tabelle(ws: Workspace, bemessung: pd.DataFrame) -> PublishedTable:
    """The person counts behind the staffing estimates, published as ONE table.

    Rows: every Gemeinde plus the Kreis (total row :data:`KREIS`); count
    columns ``faq_personen`` (counted for the FAQ rule) and
    ``fallzahl_personen`` (target group for the caseload model), rounded.
    Positions derived proportionally from a hidden count must be hidden as
    well (see :func:`stellen_gesperrt`), since the assumptions are public.
    Each count carries the mask of the target-group cell(s) it equals
    (:meth:`thm_lib.disclosure.publication.Publication.personen`): shown only where it
    follows from shown cells of the target-group table of its Stichtag.
    """
    return publication.fuer(ws).personen(bemessung)


def stellen_gesperrt(personen: PublishedTable, ags: str) -> dict[str, bool]:
    """Which staffing estimates of ``ags`` must be hidden because their count is hidden.

    The FAQ result is hidden with its count, whatever rule set it: persons / key
    tells the count, and the minimum share or the full position tell the interval
    it lies in (under 50 or 75 to 99 persons with the THM rule), and a hidden person
    moving across such a limit would change what is shown (Runde 2, Sitzung 17: the
    Differenzprüfung of a generated Kreis found it). The caseload and workload models
    scale with the target group and are hidden with it.
    """
    mask = personen.mask.loc[ags]
    return {
        "faq": bool(mask["faq_personen"]),
        "fallzahl": bool(mask["fallzahl_personen"]),
        "arbeitszeit": bool(mask["fallzahl_personen"]),
    }


FALLZAHL_SPALTEN = (
    "fallzahl_personen",
    "fallzahl_klienten",
    "fallzahl_fallstellen",
    "fallzahl_steuerung",
    "fallzahl_stellen",
    "arbeitszeit_faelle",
    "arbeitszeit_fallstellen",
    "arbeitszeit_steuerung",
    "arbeitszeit_stellen",
    "differenz_fallzahl",
    "differenz_arbeitszeit",
)
"""Columns of :func:`~thm_lib.analysis.staffing.stellenbemessung` that scale with
``fallzahl_personen`` (the caseload and workload models)."""


def veroeffentlichte_bemessung(bemessung: pd.DataFrame, personen: PublishedTable) -> pd.DataFrame:
    """The staffing rows with nothing a hidden count could be read from (for the apps).

    Where ``personen`` hides a count, the count and everything that scales with it
    are NaN: ``faq_personen`` and ``faq_stellen_rechnerisch`` (persons / key) with
    the FAQ count; the FAQ positions, their difference and their German reason
    (which quotes the count) where :func:`stellen_gesperrt` hides them; the caseload
    and workload columns (:data:`FALLZAHL_SPALTEN`) with ``fallzahl_personen``.
    Positions computed from such a row under other assumptions
    (:func:`~thm_lib.analysis.staffing.neu_bemessen`) stay NaN.
    """
    out = bemessung.copy()
    for i, r in bemessung.iterrows():
        key = KREIS if r["ebene"] == EBENE_KREIS else str(r["ags"])
        mask = personen.mask.loc[key]
        if mask["faq_personen"]:
            out.loc[i, ["faq_personen", "faq_stellen_rechnerisch"]] = float("nan")
        if stellen_gesperrt(personen, key)["faq"]:
            out.loc[i, ["faq_stellen", "differenz_faq"]] = float("nan")
            out.loc[i, ["faq_begruendung", "faq_regel"]] = ""
        if mask["fallzahl_personen"]:
            out.loc[i, list(FALLZAHL_SPALTEN)] = float("nan")
    return out


def zeichen_geheim(ws: Workspace) -> str:
    """The mark of secondarily hidden cells (``annahmen.datenschutz.zeichen_geheim``)."""
    return str(ws.annahmen.datenschutz.zeichen_geheim)


def sperrhinweis(ws: Workspace) -> str:
    """How hidden values appear, in German (threshold and mark from ``annahmen.datenschutz``).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> sperrhinweis(NS(annahmen=NS(datenschutz=NS(schwelle=10, zeichen_geheim="x"))))
    'Werte von 1 bis 9 als „<10“, weitere gesperrte Werte als „x“ (Datenschutz).'
    """
    t = schwelle(ws)
    return (
        f"Werte von 1 bis {t - 1} als „{small_label(t)}“, weitere gesperrte Werte als "
        f"„{zeichen_geheim(ws)}“ (Datenschutz)."
    )


def stellen_tabelle(ws: Workspace, bemessung: pd.DataFrame, ags: str = KREIS) -> pd.DataFrame:
    """The three staffing estimates side by side (positions, public).

    Counts and every estimate derived from a hidden count are hidden
    (:func:`personen_tabelle`, :func:`stellen_gesperrt`).
    """
    personen = personen_tabelle(ws, bemessung)
    rows = bemessung[bemessung["ags"] == ags] if ags else bemessung
    sym = zeichen_geheim(ws)
    records = []
    for _, r in rows.iterrows():
        key = KREIS if r["ebene"] == EBENE_KREIS else str(r["ags"])
        hidden = stellen_gesperrt(personen, key)

        def pos(value: float, model: str, hidden: dict[str, bool] = hidden) -> Any:
            return sym if hidden[model] else float(gerundet(float(value), 2))

        records.append(
            {
                "Kommune": r["name"],
                "Personen (FAQ-Zählung)": personen.published.loc[key, "faq_personen"],
                STELLEN_SPALTE_LABEL["faq"]: pos(r["faq_stellen"], "faq"),
                "Regel": sym
                if hidden["faq"]
                else labels.FAQ_REGEL_LABEL.get(r["faq_regel"], r["faq_regel"]),
                STELLEN_SPALTE_LABEL["fallzahl"]: pos(r["fallzahl_stellen"], "fallzahl"),
                STELLEN_SPALTE_LABEL["arbeitszeit"]: pos(r["arbeitszeit_stellen"], "arbeitszeit"),
                "bewilligte Stellen": r["stellen_bestand"],
                "Differenz Stellen FAQ – Bestand": sym
                if hidden["faq"]
                else float(gerundet(float(r["differenz_faq"]), 2)),
            }
        )
    table = pd.DataFrame.from_records(records).set_index("Kommune")
    return mark_public(
        table,
        "Stellen (VZÄ); Zählungen unterdrückt, Ableitungen verborgen",
        titel="Stellenbemessung: drei Schätzungen nebeneinander",
    )


def versorgung_gesperrt(ws: Workspace, result: CoverageResult) -> pd.Series:
    """True per row of ``result.gemeinden`` whose modelled figures must be hidden.

    Demand is persons × public rates, so it is shown only where it follows
    from shown counts: see
    :meth:`thm_lib.disclosure.publication.Publication.versorgung_gesperrt` (any hidden
    status cell of the Gemeinde; a small estimate is shown since round 2, session 26).
    """
    return publication.fuer(ws).versorgung_gesperrt(result)


VERSORGUNG_SPALTEN = (
    "ags",
    "name",
    "handlungsfeld",
    "klasse",
    "versorgungsgrad",
    "fehlende_plaetze",
    "kein_angebot_erreichbar",
)
"""The coverage columns published per Gemeinde × Handlungsfeld (and so the app bundle's)."""


def versorgung_zellen(ws: Workspace, result: CoverageResult) -> pd.DataFrame:
    """Coverage per Gemeinde × Handlungsfeld as published: a ``gesperrt`` column per cell.

    Column ``kreisstruktur``: shown cells estimated with the Kreis age structure
    (:func:`mit_kreisstruktur`).

    Hidden cells (:func:`versorgung_gesperrt`) keep their keys but lose their figures
    (class and reach ``None``, Versorgungsgrad and missing places NaN), so nothing
    downstream can show or count them by mistake.
    """
    g = result.gemeinden[list(VERSORGUNG_SPALTEN)].copy()
    hidden = versorgung_gesperrt(ws, result).to_numpy()
    g["gesperrt"] = hidden
    g["kreisstruktur"] = mit_kreisstruktur(ws, result).to_numpy()
    g["klasse"] = g["klasse"].astype(object)
    g["kein_angebot_erreichbar"] = g["kein_angebot_erreichbar"].astype(object)
    g.loc[hidden, ["klasse", "kein_angebot_erreichbar"]] = None
    g.loc[hidden, ["versorgungsgrad", "fehlende_plaetze"]] = float("nan")
    return g.reset_index(drop=True)


def mit_kreisstruktur(ws: Workspace, result: CoverageResult) -> pd.Series:
    """True per row of ``result.gemeinden`` shown as an estimate with the Kreis age structure.

    :meth:`thm_lib.disclosure.publication.Publication.mit_kreisstruktur`: a shown
    Gemeinde whose own persons per age band must not be revealed.
    """
    return publication.fuer(ws).mit_kreisstruktur(result)


def kreisstruktur_hinweis(ws: Workspace, result: CoverageResult, ags: str = KREIS) -> str:
    """German note naming the shown Gemeinden modelled with the Kreis age structure ("" if none)."""
    g = zellen_auswahl(result.gemeinden[mit_kreisstruktur(ws, result).to_numpy()], ags)
    return kreisstruktur_text(list(dict.fromkeys(g["name"])))


def kreisstruktur_text(namen: list[str]) -> str:
    """The note of :func:`kreisstruktur_hinweis` for the Gemeinden ``namen`` ("" if none)."""
    if not namen:
        return ""
    return (
        f"Bedarf und Versorgung von {_namen_text(namen)} sind mit der Altersstruktur des "
        "Kreises geschätzt: ihre eigene Verteilung auf Altersgruppen (und Geschlecht) "
        "ließe auf kleine, nicht veröffentlichte Zahlen schließen (Datenschutz)."
    )


def _namen_text(namen: list[str]) -> str:
    """Names joined the German way.

    >>> _namen_text(["Altdorf"]), _namen_text(["A", "B", "C"])
    ('Altdorf', 'A, B und C')
    """
    return namen[0] if len(namen) == 1 else ", ".join(namen[:-1]) + " und " + namen[-1]


def zellen_auswahl(zellen: pd.DataFrame, ags: str = KREIS, feld: str | None = None) -> pd.DataFrame:
    """Rows of a Gemeinde × Handlungsfeld frame (e.g. :func:`versorgung_zellen`) of one
    Gemeinde (or the Kreis, ``ags == ""``) and one field (or all)."""
    if ags != KREIS:
        zellen = zellen[zellen["ags"] == ags]
    if feld is not None:
        zellen = zellen[zellen["handlungsfeld"] == feld]
    return zellen


def groesste_luecken(zellen: pd.DataFrame, anzahl: int | None = None) -> pd.DataFrame:
    """Shown cells in Unterversorgung with places missing, the largest gap first."""
    unter = zellen[
        ~zellen["gesperrt"] & (zellen["klasse"] == KLASSE_UNTER) & (zellen["fehlende_plaetze"] > 0)
    ]
    unter = unter.sort_values("fehlende_plaetze", ascending=False, kind="stable")
    return unter if anzahl is None else unter.head(anzahl)


def unterversorgung_anzahl(zellen: pd.DataFrame, zeichen: str) -> str:
    """How many of the cells are in Unterversorgung, as published.

    A hidden cell may be one, so the count of shown ones is "mindestens" while a cell
    is hidden and the suppression ``zeichen`` when all are
    (:func:`~thm_lib.core.formats.anzahl_ohne_verborgene`): "0" would say there is none.
    """
    gezeigt = zellen[~zellen["gesperrt"]]
    return anzahl_ohne_verborgene(
        int((gezeigt["klasse"] == KLASSE_UNTER).sum()),
        int(zellen["gesperrt"].sum()),
        len(zellen),
        zeichen,
    )


def keine_luecke_text(verborgen: int) -> str:
    """What is said where no shown cell of a selection is in Unterversorgung.

    With hidden cells "keine Unterversorgung" would be wrong: a hidden cell may be one.

    Examples
    --------
    >>> keine_luecke_text(0), keine_luecke_text(3)
    ('Keine Unterversorgung gefunden.', 'Keine Unterversorgung unter den gezeigten Werten.')
    """
    if verborgen:
        return "Keine Unterversorgung unter den gezeigten Werten."
    return "Keine Unterversorgung gefunden."


def verborgene_zellen_text(verborgen: int, wie: str) -> str:
    """The note under a list of gaps when ``verborgen`` cells of the selection are hidden.

    ``wie`` says how a hidden value is shown (the legend text of maps and matrices).

    Examples
    --------
    >>> verborgene_zellen_text(1, "„.“")
    '1 Wert (Gemeinde × Handlungsfeld) ist gesperrt: „.“. Dort kann eine Unterversorgung \
bestehen; sie ist hier nicht aufgeführt.'
    """
    werte = "1 Wert" if verborgen == 1 else f"{zahl(verborgen)} Werte"
    ist = "ist" if verborgen == 1 else "sind"
    return (
        f"{werte} (Gemeinde × Handlungsfeld) {ist} gesperrt: {wie}. Dort kann eine "
        "Unterversorgung bestehen; sie ist hier nicht aufgeführt."
    )


FORTGESETZT_BIS = dt.date(2024, 12, 31)
"""End of the scenario "programme continued" (THM ended on 30.06.2022)."""


def standard_szenarien(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The scenarios of the staffing report (see :mod:`thm_lib.analysis.scenarios`), named
    after this Kreis's settings and programme.

    The base case names the programme's key; the case-load model runs with the Kreis's
    own ``stellen.betreuungsschluessel`` and with 1:80 (1:100 when the Kreis's own is 80);
    "fortgesetzt" only for a programme that ended before :data:`FORTGESETZT_BIS`.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> thm = {"kurzname": "thm", "stellenregel": {"schluessel": 100.0},
    ...        "zeitraum": {"ende": dt.date(2022, 6, 30)}}
    >>> ws = NS(programm=thm, annahmen=NS(stellen=NS(betreuungsschluessel=100)))
    >>> list(standard_szenarien(ws))  # doctest: +NORMALIZE_WHITESPACE
    ['Basis (1:100, Fördersatz laut Programm)', 'Betreuungsschlüssel 1:80',
     'Betreuungsschlüssel 1:100', 'Fördersatz 80 %', 'THM fortgesetzt bis 12/2024']
    >>> kim = {"kurzname": "kim", "stellenregel": {"schluessel": 150.0}, "zeitraum": {"ende": None}}
    >>> list(standard_szenarien(NS(programm=kim, annahmen=NS(stellen=NS(betreuungsschluessel=80)))))
    ['Basis (1:150, Fördersatz laut Programm)', 'Betreuungsschlüssel 1:100', \
'Betreuungsschlüssel 1:80', 'Fördersatz 80 %']
    """
    eigen = float(ws.annahmen.stellen.betreuungsschluessel)
    anders = 100 if eigen == 80 else 80
    schluessel = float(ws.programm["stellenregel"]["schluessel"])
    out: dict[str, dict[str, Any]] = {
        f"Basis (1:{kurz(schluessel)}, Fördersatz laut Programm)": {},
        f"Betreuungsschlüssel 1:{anders}": {
            "annahmen": {"stellen": {"betreuungsschluessel": anders}},
            "modell": "fallzahl",
        },
        f"Betreuungsschlüssel 1:{kurz(eigen)}": {"modell": "fallzahl"},
        "Fördersatz 80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}},
    }
    ende = ws.programm["zeitraum"]["ende"]
    if ende is not None and ende < FORTGESETZT_BIS:
        name = f"{ws.programm['kurzname'].upper()} fortgesetzt bis {FORTGESETZT_BIS:%m/%Y}"
        out[name] = {"programm": {"zeitraum": {"ende": f"{FORTGESETZT_BIS:%Y-%m}"}}}
    return out


def bemessung_zeile(bemessung: pd.DataFrame, ags: str = KREIS) -> pd.Series:
    """The staffing row of Gemeinde ``ags``, or of the Kreis as one applicant (``ags=""``).

    A single kreisfreie Stadt has no Kreis row: it is the one applicant for both.
    """
    if ags:
        return bemessung[(bemessung["ebene"] != EBENE_KREIS) & (bemessung["ags"] == ags)].iloc[0]
    kreis = bemessung[bemessung["ebene"] == EBENE_KREIS]
    return (kreis if len(kreis) else bemessung).iloc[0]


def finanzierung_tabelle(
    ws: Workspace, bemessung: pd.DataFrame, ags: str = KREIS
) -> tuple[str, pd.DataFrame]:
    """Funding plan per budget year for the Kommune (if it may apply itself) or the Kreis.

    Returns
    -------
    (str, pandas.DataFrame)
        A German sentence (Markdown) saying whose plan it is, and the plan (EUR, public).
    """

    row = bemessung_zeile(bemessung, ags)
    if ags and not bool(row["antragsberechtigt"]):
        row = bemessung_zeile(bemessung, "")
        wer = (
            f"{md(ws.gemeinde_name(ags))} beantragt nicht selbst (keine eigene "
            f"Geschäftsführende Stelle); gezeigt wird der Plan des Kreises."
        )
    else:
        wer = f"Finanzierungsplan für {md(row['name'])} (Stellen nach FAQ-Schlüssel)."
    wer += " " + foerdersatz_text(ws.programm, bool(row["haushaltssicherung"]))
    key = KREIS if row["ebene"] == EBENE_KREIS else str(row["ags"])
    if stellen_gesperrt(personen_tabelle(ws, bemessung), key)["faq"]:
        warum = (
            "nicht gezeigt: die Stellen nach der FAQ-Regel ließen auf eine verborgene Zahl "
            "schließen (Schutz kleiner Zahlen)."
        )
        return (
            f"{wer} Der Plan wird {warum}",
            mark_public(pd.DataFrame(), "leer", titel=f"Finanzierungsplan {warum}"),
        )
    plan = finanzierungsplan(
        float(row["faq_stellen"]),
        ws.programm,
        ws.annahmen,
        haushaltssicherung=bool(row["haushaltssicherung"]),
    )
    table = (
        plan.tabelle()
        .rename(
            columns={
                "jahr": "Haushaltsjahr",
                "monate": "Monate",
                "stellen": "Stellen (VZÄ)",
                "foerdersatz": "Fördersatz",
                "gedeckelt": "gedeckelt",
                "personalkosten": "Personalkosten €",
                "sachkosten": "Sachkosten €",
                "foerderfaehig": "förderfähig €",
                "zuwendung": "Zuwendung €",
                "eigenanteil_foerderfaehig": "Eigenanteil (förderfähig) €",
                "nicht_foerderfaehig": "nicht förderfähig €",
                "eigenanteil": "Eigenanteil gesamt €",
                "gesamtkosten": "Gesamtkosten €",
            }
        )
        .set_index("Haushaltsjahr")
    )
    table["gedeckelt"] = table["gedeckelt"].map({True: "ja", False: "nein"})
    satz = foerdersatz_text(ws.programm, bool(row["haushaltssicherung"]), begruendung=False)
    return wer, mark_public(
        table.round(2), "Beträge in EUR", titel=f"Finanzierungsplan. {satz}", anteile=["Fördersatz"]
    )


def kreis_bemessung(ws: Workspace) -> pd.DataFrame:
    """:func:`~thm_lib.analysis.staffing.stellenbemessung` of ``ws``, computed once per Kreis."""
    return publication.fuer(ws).gemerkt("stellenbemessung", lambda: stellenbemessung(ws))


def szenarien_tabelle(
    ws: Workspace, ags: str = KREIS, szenarien: dict[str, dict[str, Any]] | None = None
) -> pd.DataFrame:
    """Key figures of the standard scenarios for the Kreis (or one Kommune), side by side.

    Column ``Hinweis`` says in German why a scenario changes nothing where it
    does (e.g. a rate that does not apply to a Haushaltssicherungskommune).
    """

    if szenarien is None:
        szenarien = standard_szenarien(ws)
        long = publication.fuer(ws).gemerkt("szenarien", lambda: vergleiche(ws, szenarien))
    else:
        long = vergleiche(ws, szenarien)
    if ags:
        long = long[(long["ags"] == ags) & (long["ebene"] != EBENE_KREIS)]
    elif (long["ebene"] == EBENE_KREIS).any():
        long = long[long["ebene"] == EBENE_KREIS]  # else one kreisfreie Stadt: its row
    whole = long[long["jahr"].isna()]
    wide = whole.pivot_table(index="szenario", columns="kennzahl", values="wert", sort=False)
    columns = {
        "faq_stellen": "Stellen FAQ",
        "fallzahl_stellen": STELLEN_SPALTE_LABEL["fallzahl"],
        "finanzierte_stellen": "finanzierte Stellen",
        "zuwendung": "Zuwendung €",
        "eigenanteil": "Eigenanteil €",
        "gesamtkosten": "Gesamtkosten €",
    }
    table = (
        wide.reindex(columns=[c for c in columns if c in wide.columns])
        .rename(columns=columns)
        .round(2)
    )
    table.index.name = "Szenario"
    bemessung = kreis_bemessung(ws)
    personen = personen_tabelle(ws, bemessung)
    if bool(personen.mask.loc[ags or KREIS].any()):  # every figure scales with a hidden count
        table = table.astype(object)
        table.loc[:, :] = zeichen_geheim(ws)
    table["Hinweis"] = hinweise(
        ws,
        szenarien,
        wide.reindex(columns=list(columns)).fillna(0.0),
        bemessung_zeile(bemessung, ags),
    )
    return mark_public(table, "Szenarien (VZÄ, EUR)", titel="Szenarien im Vergleich")


#: Map measures of the notebooks (parameter ``kartenmass``) and their German titles.
KARTENMASSE = {
    "zielgruppe": "Zielgruppe (Personen)",
    "je_1000": "Zielgruppe je 1.000 Einwohner",
    "versorgungsgrad": "Versorgungsgrad",
    "fehlende_plaetze": "Fehlende Plätze",
    "reichweite": "Reichweite THM",
}


def karten_mass(
    ws: Workspace, mass: str, handlungsfeld: str = "", result: CoverageResult | None = None
) -> Any:
    """The values a map shows for ``mass`` (see :data:`KARTENMASSE`), hidden where published
    tables hide them (NaN: the map shows no value there).

    ``result`` (:func:`thm_lib.analysis.coverage.analyse`) is computed when a coverage
    measure needs it and none is given.

    Raises
    ------
    DataError
        For an unknown ``mass`` or Handlungsfeld (a notebook parameter).
    """

    if mass not in KARTENMASSE:
        raise DataError(
            [
                Problem(
                    "Parameter 'kartenmass'",
                    f"unbekanntes Maß '{mass}'",
                    "Erlaubt: " + ", ".join(KARTENMASSE),
                )
            ]
        )
    pub = publication.fuer(ws)
    zg = pub.zielgruppe()
    to_ags = {pub.name(a): a for a in ws.gebiete["ags"].astype(str)}

    def by_ags(frame: pd.Series) -> pd.Series:
        out = frame.drop(TOTAL).rename(index=to_ags)
        out.index.name = "ags"
        return out

    counts = zielgruppe_kartenwerte(ws)
    reason = by_ags(zg.reason["gesamt"])
    sym = zeichen_geheim(ws)
    if mass == "zielgruppe":
        return replace(maps.count_measure(counts), gesperrt=reason, zeichen=sym)
    if mass == "je_1000":
        einwohner = ws.gebiete.set_index("ags")["einwohner"].astype(float)
        rate = maps.rate_measure(counts / einwohner.reindex(counts.index) * 1000)
        return replace(rate, gesperrt=reason.map(lambda r: "sekundär" if r else ""), zeichen=sym)
    if mass == "reichweite":
        table = kennzahlen_tabelle(ws)
        share = table.published["reichweite"].drop(KREIS)
        shown = pd.to_numeric(share.where(~table.mask["reichweite"].drop(KREIS)), errors="coerce")
        measure = maps.reach_measure(
            pd.DataFrame({"ags": shown.index, "reichweite": shown}), label=KARTENMASSE[mass]
        )
        hidden = table.mask["reichweite"].drop(KREIS)
        return replace(measure, gesperrt=hidden.map(lambda h: "sekundär" if h else ""), zeichen=sym)
    if result is None:
        result = versorgung_veroeffentlicht(ws)
    if handlungsfeld not in set(result.gemeinden["handlungsfeld"]):
        raise DataError(
            [
                Problem(
                    "Parameter 'handlungsfeld'",
                    f"unbekanntes Handlungsfeld '{handlungsfeld}'",
                    "Erlaubt: " + ", ".join(ws.handlungsfelder),
                )
            ]
        )
    measure = maps.coverage_measure(result, mass, handlungsfeld)
    rows = result.gemeinden["handlungsfeld"] == handlungsfeld
    hidden = versorgung_gesperrt(ws, result)[rows]
    hidden.index = result.gemeinden.loc[rows, "ags"].astype(str).to_numpy()
    values = measure.values.copy()
    values[hidden.reindex(values.index).fillna(False).to_numpy(dtype=bool)] = float("nan")
    return replace(
        measure, values=values, zeichen=sym, gesperrt=hidden.map(lambda h: "sekundär" if h else "")
    )
