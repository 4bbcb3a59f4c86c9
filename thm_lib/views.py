"""Published tables for notebooks, reports and the workbook (German headers, suppressed).

Each function takes analysis results, limits them to a Kommune (``ags``) or
keeps the whole Kreis (``ags == ""``), and returns a
:class:`~thm_lib.suppression.PublishedTable` (counts of persons) or a frame
marked public (estimates, offers, positions, money). No computation of its own.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from thm_lib import labels, target_group
from thm_lib.coverage import CoverageResult
from thm_lib.suppression import (
    PublishedTable,
    default_symbol,
    mark_public,
    select_rows,
    small_label,
    suppress,
)
from thm_lib.workspace import Workspace

TOTAL = "Insgesamt"


def schwelle(ws: Workspace) -> int:
    """The configured suppression threshold."""
    return int(ws.annahmen["datenschutz"]["schwelle"])


def _status_labels(ws: Workspace) -> dict[str, str]:
    return {s: labels.STATUS_LABEL[s] for s in ws.annahmen["zielgruppe"]["status"]}


def zielgruppe_je_gemeinde(ws: Workspace, ags: str = "") -> PublishedTable:
    """Target group per Gemeinde and status (with totals), suppressed."""
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    wide = target_group.per_gemeinde(seg, ws.gebiete)
    status = list(ws.annahmen["zielgruppe"]["status"])
    for s in status:
        if s not in wide:
            wide[s] = 0.0
    table = wide.set_index("name")[[*status, "gesamt"]].round().astype(int)
    table.loc[TOTAL] = table.sum()
    table.index.name = "Gemeinde"
    published = suppress(table, schwelle(ws), total_row=TOTAL, total_col="gesamt",
                         titel=f"Zielgruppe am {ws.stichtag:%d.%m.%Y} je Gemeinde und Status",
                         column_labels={**_status_labels(ws), "gesamt": "Zielgruppe insgesamt"})
    # a Kommune gets its row of the Kreis table, with the Kreis table's hidden cells
    return select_rows(published, [ws.gemeinde_name(ags)]) if ags else published


def zielgruppe_struktur(ws: Workspace, ags: str = "") -> PublishedTable:
    """Target group by age band (rows) and sex (columns), with totals, suppressed."""
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    if ags:
        seg = seg[seg["ags"] == ags]
    table = seg.pivot_table(index="altersgruppe", columns="geschlecht", values="personen",
                            aggfunc="sum", fill_value=0.0)
    bands = [label for _, _, label in target_group.altersgruppen(ws.annahmen)]
    sexes = [g for g in labels.GESCHLECHT if g in table.columns]
    table = table.reindex(index=bands, columns=sexes, fill_value=0.0).round().astype(int)
    table["gesamt"] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum()
    table.index.name = "Altersgruppe"
    return suppress(table, schwelle(ws), total_row=TOTAL, total_col="gesamt",
                    titel="Zielgruppe nach Altersgruppe und Geschlecht",
                    column_labels={**labels.GESCHLECHT_LABEL, "gesamt": "insgesamt"})


def zielgruppe_verlauf(ws: Workspace, ags: str = "") -> PublishedTable:
    """Target group per Stichtag and status (trend), suppressed."""
    rows = {}
    for tag in sorted(pd.to_datetime(ws.zielgruppe["stichtag"]).unique()):
        seg = target_group.segments(ws.zielgruppe, ws.annahmen, pd.Timestamp(tag))
        if ags:
            seg = seg[seg["ags"] == ags]
        rows[f"{pd.Timestamp(tag):%d.%m.%Y}"] = seg.groupby("status")["personen"].sum()
    status = list(ws.annahmen["zielgruppe"]["status"])
    table = pd.DataFrame(rows).T.reindex(columns=status, fill_value=0.0).fillna(0.0)
    table = table.round().astype(int)
    table["gesamt"] = table.sum(axis=1)
    table.index.name = "Stichtag"
    return suppress(table, schwelle(ws), total_col="gesamt", col_sums=False,
                    titel="Entwicklung der Zielgruppe je Stichtag",
                    column_labels={**_status_labels(ws), "gesamt": "insgesamt"})


def angebote_uebersicht(ws: Workspace, ags: str = "") -> pd.DataFrame:
    """Offer inventory per Handlungsfeld: number, places, open to Duldung/Gestattung, outreach.

    Offers are not personal data; the table is marked public.
    """
    ang = ws.for_kommune(ags).angebote if ags else ws.angebote
    felder = ws.handlungsfelder
    grouped = ang.groupby("handlungsfeld")
    table = pd.DataFrame({
        "angebote": grouped.size(),
        "plaetze": grouped["plaetze"].sum(),
        "offen_duldung": grouped["zugang_duldung"].sum(),
        "nur_gestattung": grouped.apply(lambda g: int((~g["zugang_duldung"]
                                                       & g["zugang_gestattung"]).sum())),
        "aufsuchend": grouped["aufsuchend"].sum(),
    }).reindex(felder, fill_value=0).astype(int)
    table.index.name = "Handlungsfeld"
    table = table.rename(columns={"angebote": "Angebote", "plaetze": "Plätze/Jahr",
                                  "offen_duldung": "offen für Duldung",
                                  "nur_gestattung": "nur für Gestattung",
                                  "aufsuchend": "aufsuchend"})
    return mark_public(table, "Angebotsinventar, keine Personendaten",
                       titel="Angebote je Handlungsfeld")


def _limit(result: CoverageResult, ags: str) -> pd.DataFrame:
    g = result.gemeinden
    return g[g["ags"] == ags] if ags else g


def versorgung_matrix(result: CoverageResult, ags: str = "") -> pd.DataFrame:
    """Versorgungsgrad (%) as a Gemeinde × Handlungsfeld matrix (estimates, public)."""
    g = _limit(result, ags)
    felder = list(dict.fromkeys(g["handlungsfeld"]))
    matrix = g.pivot(index="name", columns="handlungsfeld", values="versorgungsgrad")
    matrix = matrix.reindex(columns=felder)
    matrix.index.name = "Gemeinde"
    return mark_public(matrix.round(1), "modellierte Versorgungsgrade",
                       titel="Versorgungsgrad in % je Gemeinde und Handlungsfeld")


def lueckenliste(result: CoverageResult, ags: str = "", n: int | None = None) -> pd.DataFrame:
    """Unterversorgung, largest missing places first (estimates, public)."""
    g = _limit(result, ags)
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
    gap, never mixed into it.
    """
    g = _limit(result, ags)
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
                    titel="Fallevidenz: Bedarfe aus der Falldokumentation nach Ergebnis",
                    column_labels={**{k: labels.ERGEBNIS_LABEL[k] for k in labels.ERGEBNIS},
                                   "gesamt": "Bedarfe insgesamt",
                                   **{f"anteil_{k}": f"Anteil {labels.ERGEBNIS_LABEL[k]}"
                                      for k in ("passend", "naechstbeste", "kein_angebot")}})


def bedarfsquoten(result: CoverageResult) -> pd.DataFrame:
    """Need rates per Handlungsfeld and status (Kreis level, pooled), with interval and source.

    Rates, not counts: the number of cases ``n`` is shown only from the threshold on.
    """
    q = result.bedarfsquoten
    q = q.drop_duplicates(["handlungsfeld", "status", "altersgruppe", "quote"])
    return q


def stellen_tabelle(bemessung: pd.DataFrame, threshold: int, ags: str = "") -> pd.DataFrame:
    """The three staffing estimates side by side (positions, public).

    Positions are linear in one count (e.g. persons / 100), so where that count
    is small (1 .. threshold-1) the count and every estimate derived from it
    are hidden as well.
    """
    rows = bemessung[bemessung["ags"] == ags] if ags else bemessung
    table = pd.DataFrame({
        "Kommune": rows["name"],
        "Personen (FAQ-Zählung)": rows["faq_personen"].round().astype(int),
        "Stellen FAQ-Schlüssel": rows["faq_stellen"].round(2),
        "Regel": rows["faq_regel"],
        "Stellen Fallzahlmodell": rows["fallzahl_stellen"].round(2),
        "Stellen Arbeitszeitmodell": rows["arbeitszeit_stellen"].round(2),
        "bewilligte Stellen": rows["stellen_bestand"],
        "Differenz FAQ – Bestand": rows["differenz_faq"].round(2),
    }).set_index("Kommune")
    small = table["Personen (FAQ-Zählung)"].between(1, threshold - 1).to_numpy()
    if small.any():
        table = table.astype(object)
        table.loc[small, "Personen (FAQ-Zählung)"] = small_label(threshold)
        derived = ["Stellen FAQ-Schlüssel", "Stellen Fallzahlmodell",
                   "Stellen Arbeitszeitmodell", "Differenz FAQ – Bestand"]
        table.loc[small, derived] = default_symbol()
    return mark_public(table, "Stellen (VZÄ); kleine Zählungen und Ableitungen verborgen",
                       titel="Stellenbemessung: drei Schätzungen nebeneinander")


def kennzahl(value: Any) -> str:
    """Format a number German-style (thousands dot, decimal comma)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


#: Scenarios shown in the staffing notebook and the index (see thm_lib.scenarios).
STANDARD_SZENARIEN: dict[str, dict[str, Any]] = {
    "Basis (1:100, Fördersatz laut Programm)": {},
    "Betreuungsschlüssel 1:80": {"annahmen": {"stellen": {"betreuungsschluessel": 80}},
                                 "modell": "fallzahl"},
    "Betreuungsschlüssel 1:100": {"modell": "fallzahl"},
    "Fördersatz 80 %": {"programm": {"foerderung": {"foerdersatz": 0.8}}},
    "THM fortgesetzt bis 12/2024": {"programm": {"zeitraum": {"ende": "2024-12"}}},
}


def _row_for(bemessung: pd.DataFrame, ags: str) -> pd.Series:
    if ags:
        return bemessung[(bemessung["ebene"] != "kreis") & (bemessung["ags"] == ags)].iloc[0]
    return bemessung[bemessung["ebene"] == "kreis"].iloc[0]


def finanzierung_tabelle(ws: Workspace, bemessung: pd.DataFrame, ags: str = ""
                         ) -> tuple[str, pd.DataFrame]:
    """Funding plan per budget year for the Kommune (if it may apply itself) or the Kreis.

    Returns
    -------
    (str, pandas.DataFrame)
        A German sentence saying whose plan it is, and the plan (EUR, public).
    """
    from thm_lib.funding import finanzierungsplan

    row = _row_for(bemessung, ags)
    if ags and not bool(row["antragsberechtigt"]):
        row = _row_for(bemessung, "")
        wer = (f"{ws.gemeinde_name(ags)} beantragt nicht selbst (keine eigene "
               f"Geschäftsführende Stelle); gezeigt wird der Plan des Kreises.")
    else:
        wer = f"Finanzierungsplan für {row['name']} (Stellen nach FAQ-Schlüssel)."
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
    long = long[(long["ags"] == ags) & (long["ebene"] != "kreis")] if ags else long[
        long["ebene"] == "kreis"]
    whole = long[long["jahr"].isna()]
    wide = whole.pivot_table(index="szenario", columns="kennzahl", values="wert",
                             sort=False)
    columns = {"faq_stellen": "Stellen FAQ", "fallzahl_stellen": "Stellen Fallzahlmodell",
               "finanzierte_stellen": "finanzierte Stellen", "zuwendung": "Zuwendung €",
               "eigenanteil": "Eigenanteil €", "gesamtkosten": "Gesamtkosten €"}
    table = wide.reindex(columns=[c for c in columns if c in wide.columns]).rename(
        columns=columns).round(2)
    table.index.name = "Szenario"
    return mark_public(table, "Szenarien (VZÄ, EUR)", titel="Szenarien im Vergleich")
