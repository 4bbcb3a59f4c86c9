"""Published tables for notebooks, reports and the workbook (German headers, suppressed).

Each function takes analysis results, limits them to a Kommune (``ags``) or
keeps the whole Kreis (``ags == ""``), and returns a
:class:`~thm_lib.suppression.PublishedTable` (counts of persons) or a frame
marked public (estimates, offers, positions, money). No computation of its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from thm_lib import labels, target_group
from thm_lib.coverage import CoverageResult
from thm_lib.staffing import EBENE_KREIS, REGEL_SCHLUESSEL, stellenbemessung
from thm_lib.suppression import (
    PublishedTable,
    mark_public,
    select_rows,
    stack_rows,
    suppress,
)
from thm_lib.workspace import Workspace

TOTAL = "Insgesamt"
KREIS = "__kreis__"
"""Row key (and app dropdown value) of the whole Kreis."""


def schwelle(ws: Workspace) -> int:
    """The configured suppression threshold."""
    return int(ws.annahmen["datenschutz"]["schwelle"])


def _status_labels(ws: Workspace) -> dict[str, str]:
    return {s: labels.STATUS_LABEL[s] for s in ws.annahmen["zielgruppe"]["status"]}


KREIS_NUR = " (Kreis; je Kommune nicht veröffentlicht, Schutz kleiner Zahlen)"
"""Title suffix of tables a Kommune report shows only for the whole Kreis."""


def zielgruppe_je_gemeinde(ws: Workspace, ags: str = "", stichtag: pd.Timestamp | None = None
                           ) -> PublishedTable:
    """Target group per Gemeinde and status (with totals), suppressed.

    A Kommune gets its row of the Kreis table, with the Kreis table's hidden
    cells: suppressing its row alone could show a cell the Kreis table hides.
    """
    tag = ws.stichtag if stichtag is None else pd.Timestamp(stichtag)
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, tag)
    wide = target_group.per_gemeinde(seg, ws.gebiete)
    status = list(ws.annahmen["zielgruppe"]["status"])
    for s in status:
        if s not in wide:
            wide[s] = 0.0
    table = wide.set_index("name")[[*status, "gesamt"]].round().astype(int)
    table.loc[TOTAL] = table.sum()
    table.index.name = "Gemeinde"
    published = suppress(table, schwelle(ws), total_row=TOTAL, total_col="gesamt",
                         titel=f"Zielgruppe am {tag:%d.%m.%Y} je Gemeinde und Status",
                         column_labels={**_status_labels(ws), "gesamt": "Zielgruppe insgesamt"})
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


def zielgruppe_struktur(ws: Workspace, ags: str = "") -> PublishedTable:
    """Target group by age band (rows) and sex (columns) of the Kreis, suppressed.

    Only for the whole Kreis: the Gemeinde tables would add up to it, so a cell
    hidden in one Gemeinde could be recovered from the Kreis table and the
    others. A Kommune report shows the Kreis table, titled so.
    """
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    table = seg.pivot_table(index="altersgruppe", columns="geschlecht", values="personen",
                            aggfunc="sum", fill_value=0.0)
    bands = [label for _, _, label in target_group.altersgruppen(ws.annahmen)]
    sexes = [g for g in labels.GESCHLECHT if g in table.columns]
    table = table.reindex(index=bands, columns=sexes, fill_value=0.0).round().astype(int)
    table["gesamt"] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum()
    table.index.name = "Altersgruppe"
    return suppress(table, schwelle(ws), total_row=TOTAL, total_col="gesamt",
                    titel="Zielgruppe nach Altersgruppe und Geschlecht" + (
                        KREIS_NUR if ags else ""),
                    column_labels={**labels.GESCHLECHT_LABEL, "gesamt": "insgesamt"})


def zielgruppe_verlauf(ws: Workspace, ags: str = "") -> PublishedTable:
    """Target group per Stichtag and status (trend), suppressed.

    Each Stichtag's row is the Gemeinde's (or the total) row of that
    Stichtag's Kreis table (:func:`zielgruppe_je_gemeinde`), so the trend
    hides exactly what the Kreis tables hide.
    """
    key = ws.gemeinde_name(ags) if ags else TOTAL
    rows = [select_rows(zielgruppe_je_gemeinde(ws, stichtag=pd.Timestamp(tag)), [key])
            for tag in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique())]
    labels_ = [f"{pd.Timestamp(t):%d.%m.%Y}"
               for t in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique())]
    table = stack_rows(rows, pd.Index(labels_, name="Stichtag"))
    return replace(table, titel="Entwicklung der Zielgruppe je Stichtag")


def berichtsjahr(ws: Workspace, ags: str = "") -> Any:
    """The Berichtswesen report (internal) for the calendar year of the Stichtag."""
    from thm_lib.reporting import report_from_workspace

    von = pd.Timestamp(year=ws.stichtag.year, month=1, day=1)
    return report_from_workspace(ws, von, ws.stichtag, ags=ags or None)


def _hide_also(table: PublishedTable, hide: pd.DataFrame,
               shares: dict[str, list[str]], symbol: str) -> PublishedTable:
    """Hide further cells (``hide`` True) and the shares derived from any hidden count.

    Hiding more never reveals more: every value that was uncertain stays so.
    """
    published, mask, reason = (table.published.copy(), table.mask.copy(),
                               table.reason.copy())
    for col in hide.columns:
        new = hide[col].reindex(mask.index).fillna(False).astype(bool) & ~mask[col]
        published[col] = published[col].astype(object)
        published.loc[new, col] = symbol
        mask.loc[new, col] = True
        reason.loc[new, col] = "sekundär"
    for share, counts in shares.items():
        new = mask[counts].any(axis=1) & ~mask[share]
        published[share] = published[share].astype(object)
        published.loc[new, share] = symbol
        mask.loc[new, share] = True
        reason.loc[new, share] = "anteil"
    published.attrs = dict(table.published.attrs)
    return replace(table, published=published, mask=mask, reason=reason)


def reichweite_tabelle(ws: Workspace) -> PublishedTable:
    """Reach of THM per Gemeinde and status in the calendar year of the Stichtag (Kreis table).

    The target-group cells hide at least what :func:`zielgruppe_je_gemeinde`
    hides: both tables publish the same numbers, and a cell shown in one but
    hidden in the other would be recoverable.
    """
    table = berichtsjahr(ws).published(schwelle(ws))["Reichweite"]
    zg = zielgruppe_je_gemeinde(ws)
    status = list(ws.annahmen["zielgruppe"]["status"])
    by_name = dict(zip(ws.gebiete["name"], ws.gebiete["ags"], strict=True))
    hide = zg.mask.rename(index=lambda n: by_name.get(n, n))
    hide = hide.rename(columns={**{s: f"zielgruppe_{s}" for s in status},
                                "gesamt": "zielgruppe"})
    shares = {f"reichweite_{s}": [f"klient_innen_{s}", f"zielgruppe_{s}"] for s in status}
    shares["reichweite"] = ["klient_innen", "zielgruppe"]
    return _hide_also(table, hide, shares, zeichen_geheim(ws))


def kennzahlen_tabelle(ws: Workspace) -> PublishedTable:
    """Target group, clients and reach per Gemeinde plus the Kreis row (:data:`KREIS`).

    The columns ``zielgruppe``, ``klienten``, ``reichweite`` of
    :func:`reichweite_tabelle`, so apps and reports show the same numbers
    with the same hidden cells.
    """
    from thm_lib.reporting import TOTAL as REPORT_TOTAL

    table = reichweite_tabelle(ws)
    cols = {"zielgruppe": "zielgruppe", "klient_innen": "klienten", "reichweite": "reichweite"}

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[list(cols)].rename(columns=cols).rename(index={REPORT_TOTAL: KREIS})
        out.attrs = dict(frame.attrs)
        return out

    return replace(table, published=pick(table.published),
                   internal_unsuppressed=pick(table.internal_unsuppressed),
                   mask=pick(table.mask), reason=pick(table.reason),
                   count_cols=("zielgruppe", "klienten"), share_cols=("reichweite",),
                   titel="Zielgruppe und Reichweite",
                   column_labels={"zielgruppe": "Zielgruppe", "klienten": "Klient*innen",
                                  "reichweite": "Reichweite"})


def bericht_tabellen(ws: Workspace, ags: str = "") -> dict[str, PublishedTable]:
    """The published Berichtswesen tables of the Kreis or a Kommune (calendar year).

    A Kommune gets its rows of the Kreis tables "Fallzahlen" and "Reichweite";
    the breakdowns by Abschlussgrund and Handlungsfeld are published for the
    Kreis only (Kommune tables would add up to the Kreis table and reveal
    hidden cells by differencing).
    """
    kreis = berichtsjahr(ws).published(schwelle(ws))
    kreis["Reichweite"] = reichweite_tabelle(ws)
    if not ags:
        return kreis
    return {name: select_rows(table, [ags]) if name in ("Fallzahlen", "Reichweite")
            else replace(table, titel=(table.titel or name) + KREIS_NUR)
            for name, table in kreis.items()}


def angebote_uebersicht(ws: Workspace, ags: str = "") -> pd.DataFrame:
    """Offer inventory per Handlungsfeld: number, places, open to Duldung/Gestattung, outreach.

    Offers are not personal data; the table is marked public.
    """
    ang = ws.for_kommune(ags).angebote if ags else ws.angebote
    felder = ws.handlungsfelder
    # a column, not groupby.apply: with no offers apply returns a frame (pandas 3)
    ang = ang.assign(nur_gestattung=~ang["zugang_duldung"].astype(bool)
                     & ang["zugang_gestattung"].astype(bool))
    grouped = ang.groupby("handlungsfeld")
    table = pd.DataFrame({
        "angebote": grouped.size(),
        "plaetze": grouped["plaetze"].sum(),
        "offen_duldung": grouped["zugang_duldung"].sum(),
        "nur_gestattung": grouped["nur_gestattung"].sum(),
        "aufsuchend": grouped["aufsuchend"].sum(),
    }).reindex(felder, fill_value=0).astype(int)
    table.index.name = "Handlungsfeld"
    table = table.rename(columns={"angebote": "Angebote", "plaetze": "Plätze/Jahr",
                                  "offen_duldung": "offen für Duldung",
                                  "nur_gestattung": "nur für Gestattung",
                                  "aufsuchend": "aufsuchend"})
    return mark_public(table, "Angebotsinventar, keine Personendaten",
                       titel="Angebote je Handlungsfeld")


def versorgung_matrix(ws: Workspace, result: CoverageResult, ags: str = "") -> pd.DataFrame:
    """Versorgungsgrad (%) as a Gemeinde × Handlungsfeld matrix (estimates, public).

    Cells of :func:`versorgung_gesperrt` hold the suppression symbol.
    """
    g = result.gemeinden.assign(versorgungsgrad=result.gemeinden["versorgungsgrad"].round(1))
    g = g.astype({"versorgungsgrad": object})
    g.loc[versorgung_gesperrt(ws, result), "versorgungsgrad"] = zeichen_geheim(ws)
    g = g[g["ags"] == ags] if ags else g
    felder = list(dict.fromkeys(g["handlungsfeld"]))
    matrix = g.pivot(index="name", columns="handlungsfeld", values="versorgungsgrad")
    matrix = matrix.reindex(columns=felder)
    matrix.index.name = "Gemeinde"
    return mark_public(matrix, "modellierte Versorgungsgrade",
                       titel="Versorgungsgrad in % je Gemeinde und Handlungsfeld")


def lueckenliste(ws: Workspace, result: CoverageResult, ags: str = "", n: int | None = None
                 ) -> pd.DataFrame:
    """Unterversorgung, largest missing places first (estimates, public).

    Rows of :func:`versorgung_gesperrt` are left out (their numbers would
    reveal a hidden count); a note in the notebook says so.
    """
    g = result.gemeinden[~versorgung_gesperrt(ws, result)]
    g = g[g["ags"] == ags] if ags else g
    gaps = g[g["klasse"] == "Unterversorgung"].sort_values("fehlende_plaetze",
                                                              ascending=False)
    if n is not None:
        gaps = gaps.head(n)
    table = pd.DataFrame({
        "Gemeinde": gaps["name"], "Handlungsfeld": gaps["handlungsfeld"],
        "Bedarf (Personen)": gaps["bedarf"].round(1),
        "erreichbare Plätze": gaps["erreichbare_plaetze"].round(1),
        "Versorgungsgrad %": gaps["versorgungsgrad"].round(1),
        "fehlende Plätze": gaps["fehlende_plaetze"].round(1),
        "kein Angebot erreichbar": gaps["kein_angebot_erreichbar"].map({True: "ja",
                                                                        False: "nein"}),
        "Bedarf Geduldeter ohne offenes Angebot": gaps["bedarf_geduldete_ohne_angebot"].round(1),
    }).set_index(["Gemeinde", "Handlungsfeld"])
    return mark_public(table, "modellierte Bedarfe und Plätze",
                       titel="Versorgungslücken (Unterversorgung)")


def fallevidenz(result: CoverageResult, ws: Workspace, ags: str = "") -> PublishedTable:
    """Case evidence per Handlungsfeld: needs met passend / nächstbeste / kein Angebot.

    Counts from consented case records, suppressed; shown beside the computed
    gap, never mixed into it. Only for the whole Kreis (a Kommune report shows
    the Kreis table, titled so): Kommune tables would add up to it.
    """
    g = result.gemeinden
    n = g.groupby("handlungsfeld", sort=False)["faelle_n"].sum()
    shares = {k: (g[f"anteil_{k}"] * g["faelle_n"]).groupby(g["handlungsfeld"], sort=False)
              .sum() for k in ("passend", "naechstbeste", "kein_angebot")}
    table = pd.DataFrame({k: v.round().astype(int) for k, v in shares.items()})
    table["gesamt"] = n.round().astype(int)
    table["offen"] = table["gesamt"] - table[["passend", "naechstbeste", "kein_angebot"]].sum(
        axis=1)
    table = table[["passend", "naechstbeste", "kein_angebot", "offen", "gesamt"]]
    table.loc[TOTAL] = table.sum()
    table.index.name = "Handlungsfeld"
    for k in ("passend", "naechstbeste", "kein_angebot"):
        table[f"anteil_{k}"] = table[k] / table["gesamt"].where(table["gesamt"] > 0)
    return suppress(table, schwelle(ws), count_cols=["passend", "naechstbeste", "kein_angebot",
                                                     "offen", "gesamt"],
                    total_row=TOTAL, total_col="gesamt",
                    share_cols={f"anteil_{k}": [k, "gesamt"]
                                for k in ("passend", "naechstbeste", "kein_angebot")},
                    titel="Fallevidenz: Bedarfe aus der Falldokumentation nach Ergebnis" + (
                        KREIS_NUR if ags else ""),
                    column_labels={**{k: labels.ERGEBNIS_LABEL[k] for k in labels.ERGEBNIS},
                                   "gesamt": "Bedarfe insgesamt",
                                   **{f"anteil_{k}": f"Anteil {labels.ERGEBNIS_LABEL[k]}"
                                      for k in ("passend", "naechstbeste", "kein_angebot")}})


def personen_tabelle(ws: Workspace, bemessung: pd.DataFrame) -> PublishedTable:
    """The person counts behind the staffing estimates, published as ONE table.

    Rows: every Gemeinde plus the Kreis (total row :data:`KREIS`); count
    columns ``faq_personen`` (counted for the FAQ rule) and
    ``fallzahl_personen`` (target group for the caseload model), rounded.
    Positions derived proportionally from a hidden count must be hidden as
    well (see :func:`stellen_gesperrt`), since the assumptions are public.
    """
    cols = ["faq_personen", "fallzahl_personen"]
    b = bemessung.assign(ags=bemessung["ags"].astype(str))
    b.loc[b["ebene"] == EBENE_KREIS, "ags"] = KREIS
    table = b.set_index("ags")[cols].round().astype("int64")
    return suppress(table, schwelle(ws), count_cols=cols, total_row=KREIS, row_sums=False,
                    col_sums=True, symbol=zeichen_geheim(ws), titel="Gezählte Personen",
                    column_labels={"faq_personen": "Personen (FAQ-Zählung)",
                                   "fallzahl_personen": "Zielgruppe (Fallzahlmodell)"})


def stellen_gesperrt(personen: PublishedTable, ags: str, faq_regel: str) -> dict[str, bool]:
    """Which staffing estimates of ``ags`` must be hidden because their count is hidden.

    The FAQ result is hidden only when it comes from the key (``schluessel``:
    persons / key); a minimum or full position reveals no count. The caseload
    and workload models scale with the target group and are hidden with it.
    """
    mask = personen.mask.loc[ags]
    return {"faq": bool(mask["faq_personen"]) and faq_regel == REGEL_SCHLUESSEL,
            "fallzahl": bool(mask["fallzahl_personen"]),
            "arbeitszeit": bool(mask["fallzahl_personen"])}


def zeichen_geheim(ws: Workspace) -> str:
    """The mark of secondarily hidden cells (``annahmen.datenschutz.zeichen_geheim``)."""
    return str(ws.annahmen["datenschutz"]["zeichen_geheim"])


def stellen_tabelle(ws: Workspace, bemessung: pd.DataFrame, ags: str = "") -> pd.DataFrame:
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
        hidden = stellen_gesperrt(personen, key, str(r["faq_regel"]))

        def pos(value: float, model: str, hidden: dict[str, bool] = hidden) -> Any:
            return sym if hidden[model] else round(float(value), 2)

        records.append({
            "Kommune": r["name"],
            "Personen (FAQ-Zählung)": personen.published.loc[key, "faq_personen"],
            "Stellen FAQ-Schlüssel": pos(r["faq_stellen"], "faq"),
            "Regel": labels.FAQ_REGEL_LABEL.get(r["faq_regel"], r["faq_regel"]),
            "Stellen Fallzahlmodell": pos(r["fallzahl_stellen"], "fallzahl"),
            "Stellen Arbeitszeitmodell": pos(r["arbeitszeit_stellen"], "arbeitszeit"),
            "bewilligte Stellen": r["stellen_bestand"],
            "Differenz FAQ – Bestand": sym if hidden["faq"] else round(
                float(r["differenz_faq"]), 2),
        })
    table = pd.DataFrame.from_records(records).set_index("Kommune")
    return mark_public(table, "Stellen (VZÄ); Zählungen unterdrückt, Ableitungen verborgen",
                       titel="Stellenbemessung: drei Schätzungen nebeneinander")


def versorgung_gesperrt(ws: Workspace, result: CoverageResult) -> pd.Series:
    """True per row of ``result.gemeinden`` whose modelled figures must be hidden.

    Demand is persons × public rates, so it is hidden where the Gemeinde's
    target group is hidden in :func:`zielgruppe_je_gemeinde` or where the
    demand itself rounds to a small count (the rule of the apps as well).
    """
    table = zielgruppe_je_gemeinde(ws)
    by_name = table.mask["gesamt"]
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True))
    g = result.gemeinden
    hidden = g["ags"].map(lambda a: bool(by_name.get(names.get(a), False)))
    small = g["bedarf"].map(lambda v: 1 <= round(float(v)) < schwelle(ws) if v == v else False)
    return (hidden | small).astype(bool)


#: Scenarios shown in the staffing notebook and the index (see thm_lib.scenarios).
STANDARD_SZENARIEN: dict[str, dict[str, Any]] = {
    "Basis (1:100, Fördersatz laut Programm)": {},
    "Betreuungsschlüssel 1:80": {"annahmen": {"stellen": {"betreuungsschluessel": 80}},
                                 "modell": "fallzahl"},
    "Betreuungsschlüssel 1:100": {"modell": "fallzahl"},
    "Fördersatz 80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}},
    "THM fortgesetzt bis 12/2024": {"programm": {"zeitraum": {"ende": "2024-12"}}},
}


def bemessung_zeile(bemessung: pd.DataFrame, ags: str = "") -> pd.Series:
    """The staffing row of Gemeinde ``ags``, or of the Kreis as one applicant (``ags=""``)."""
    if ags:
        return bemessung[(bemessung["ebene"] != EBENE_KREIS) & (bemessung["ags"] == ags)].iloc[0]
    return bemessung[bemessung["ebene"] == EBENE_KREIS].iloc[0]


def finanzierung_tabelle(ws: Workspace, bemessung: pd.DataFrame, ags: str = ""
                         ) -> tuple[str, pd.DataFrame]:
    """Funding plan per budget year for the Kommune (if it may apply itself) or the Kreis.

    Returns
    -------
    (str, pandas.DataFrame)
        A German sentence saying whose plan it is, and the plan (EUR, public).
    """
    from thm_lib.funding import finanzierungsplan

    row = bemessung_zeile(bemessung, ags)
    if ags and not bool(row["antragsberechtigt"]):
        row = bemessung_zeile(bemessung, "")
        wer = (f"{ws.gemeinde_name(ags)} beantragt nicht selbst (keine eigene "
               f"Geschäftsführende Stelle); gezeigt wird der Plan des Kreises.")
    else:
        wer = f"Finanzierungsplan für {row['name']} (Stellen nach FAQ-Schlüssel)."
    key = KREIS if row["ebene"] == EBENE_KREIS else str(row["ags"])
    if stellen_gesperrt(personen_tabelle(ws, bemessung), key, str(row["faq_regel"]))["faq"]:
        return (f"{wer} Der Plan wird nicht gezeigt: die Stellen nach Schlüssel ließen auf "
                "eine verborgene kleine Zahl schließen.", mark_public(
                    pd.DataFrame(), "leer", titel="Finanzierungsplan"))
    plan = finanzierungsplan(float(row["faq_stellen"]), ws.programm, ws.annahmen,
                             haushaltssicherung=bool(row["haushaltssicherung"]))
    table = plan.tabelle().rename(columns={
        "jahr": "Haushaltsjahr", "monate": "Monate", "stellen": "Stellen (VZÄ)",
        "foerdersatz": "Fördersatz", "gedeckelt": "gedeckelt",
        "personalkosten": "Personalkosten €", "sachkosten": "Sachkosten €",
        "foerderfaehig": "förderfähig €", "zuwendung": "Zuwendung €",
        "eigenanteil_foerderfaehig": "Eigenanteil (förderfähig) €",
        "nicht_foerderfaehig": "nicht förderfähig €", "eigenanteil": "Eigenanteil gesamt €",
        "gesamtkosten": "Gesamtkosten €"}).set_index("Haushaltsjahr")
    table["gedeckelt"] = table["gedeckelt"].map({True: "ja", False: "nein"})
    return wer, mark_public(table.round(2), "Beträge in EUR", titel="Finanzierungsplan",
                            anteile=["Fördersatz"])


def szenarien_tabelle(ws: Workspace, ags: str = "",
                      szenarien: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Key figures of the standard scenarios for the Kreis (or one Kommune), side by side."""
    from thm_lib.scenarios import vergleiche

    long = vergleiche(ws, szenarien or STANDARD_SZENARIEN)
    long = long[(long["ags"] == ags) & (long["ebene"] != EBENE_KREIS)] if ags else long[
        long["ebene"] == EBENE_KREIS]
    whole = long[long["jahr"].isna()]
    wide = whole.pivot_table(index="szenario", columns="kennzahl", values="wert",
                             sort=False)
    columns = {"faq_stellen": "Stellen FAQ", "fallzahl_stellen": "Stellen Fallzahlmodell",
               "finanzierte_stellen": "finanzierte Stellen", "zuwendung": "Zuwendung €",
               "eigenanteil": "Eigenanteil €", "gesamtkosten": "Gesamtkosten €"}
    table = wide.reindex(columns=[c for c in columns if c in wide.columns]).rename(
        columns=columns).round(2)
    table.index.name = "Szenario"
    if ags:
        personen = personen_tabelle(ws, stellenbemessung(ws))
        if bool(personen.mask.loc[ags].any()):  # every figure scales with a hidden count
            table = table.astype(object)
            table.loc[:, :] = zeichen_geheim(ws)
    return mark_public(table, "Szenarien (VZÄ, EUR)", titel="Szenarien im Vergleich")


#: Map measures of the notebooks (parameter ``kartenmass``) and their German titles.
KARTENMASSE = {
    "zielgruppe": "Zielgruppe (Personen)",
    "je_1000": "Zielgruppe je 1.000 Einwohner",
    "versorgungsgrad": "Versorgungsgrad",
    "fehlende_plaetze": "Fehlende Plätze",
    "reichweite": "Reichweite THM",
}


def karten_mass(ws: Workspace, mass: str, handlungsfeld: str = "",
                result: CoverageResult | None = None) -> Any:
    """The values a map shows for ``mass`` (see :data:`KARTENMASSE`), hidden where published
    tables hide them (NaN: the map shows no value there).

    ``result`` (:func:`thm_lib.coverage.analyse`) is computed when a coverage
    measure needs it and none is given.

    Raises
    ------
    DataError
        For an unknown ``mass`` or Handlungsfeld (a notebook parameter).
    """
    from thm_lib import maps
    from thm_lib.errors import DataError, Problem

    if mass not in KARTENMASSE:
        raise DataError([Problem("Parameter 'kartenmass'", f"unbekanntes Maß '{mass}'",
                                 "Erlaubt: " + ", ".join(KARTENMASSE))])
    counts = zielgruppe_kartenwerte(ws)
    if mass == "zielgruppe":
        return maps.count_measure(counts)
    if mass == "je_1000":
        einwohner = ws.gebiete.set_index("ags")["einwohner"].astype(float)
        return maps.rate_measure(counts / einwohner.reindex(counts.index) * 1000)
    if mass == "reichweite":
        table = kennzahlen_tabelle(ws)
        share = table.published["reichweite"].drop(KREIS)
        shown = pd.to_numeric(share.where(~table.mask["reichweite"].drop(KREIS)),
                              errors="coerce")
        return maps.reach_measure(pd.DataFrame({"ags": shown.index, "reichweite": shown}),
                                  label=KARTENMASSE[mass])
    if result is None:
        from thm_lib.coverage import analyse

        result = analyse(ws)
    if handlungsfeld not in set(result.gemeinden["handlungsfeld"]):
        raise DataError([Problem("Parameter 'handlungsfeld'", f"unbekanntes Handlungsfeld "
                                 f"'{handlungsfeld}'", "Erlaubt: " + ", ".join(
                                     ws.handlungsfelder))])
    measure = maps.coverage_measure(result, mass, handlungsfeld)
    rows = result.gemeinden["handlungsfeld"] == handlungsfeld
    hidden = versorgung_gesperrt(ws, result)[rows]
    hidden.index = result.gemeinden.loc[rows, "ags"].astype(str).to_numpy()
    values = measure.values.copy()
    values[hidden.reindex(values.index).fillna(False).to_numpy(dtype=bool)] = float("nan")
    return replace(measure, values=values)
