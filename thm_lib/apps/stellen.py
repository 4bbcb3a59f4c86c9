"""Stellen und Förderung app: staffing estimates and funding plan, live, with scenarios.

The widgets form :class:`Einstellungen`; :func:`berechne` turns them into a
scenario of :mod:`thm_lib.analysis.scenarios` (``szenario_workspace``), recomputes
the staffing row (:func:`thm_lib.analysis.staffing.neu_bemessen`) and runs
:func:`thm_lib.analysis.funding.finanzierungsplan`, and nothing else — the rules live
in those modules. The app holds the published staffing rows (:class:`StellenDaten`):
where a count of persons is hidden, so is every position that scales with it, and
the row holds no figure to compute it from; a funding plan built on such
positions is hidden as well.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from thm_lib.analysis import funding, scenarios, staffing
from thm_lib.apps.common import (
    WIDE,
    ausserhalb,
    bereich,
    eingabefehler_html,
    esc,
    fmt_eur,
    fmt_positions,
    gemeinde_options,
    guarded,
    header,
    kommune_name,
    table_html,
)
from thm_lib.core.formats import gerundet, prozent, zahl
from thm_lib.core.labels import KREIS, STELLENMODELL_LABEL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.suppression import PublishedTable, mark_public, ohne_interne_werte
from thm_lib.publish.excel import FIRST_DATA_ROW, HEADER_ROW, write_buendnis_workbook
from thm_lib.publish.views import (
    bemessung_zeile,
    personen_tabelle,
    stellen_gesperrt,
    veroeffentlichte_bemessung,
    zeichen_geheim,
)

PLAN_SPALTEN = {
    "jahr": "Jahr",
    "monate": "Monate",
    "stellen": "Stellen (VZÄ)",
    "personalkosten": "Personalkosten",
    "sachkosten": "Sachkosten",
    "foerderfaehig": "förderfähig",
    "zuwendung": "Zuwendung",
    "eigenanteil": "Eigenanteil (inkl. nicht förderfähig)",
    "gesamtkosten": "Gesamtkosten",
}
PLATZHALTER_VZAE = 1.0
"""Positions a hidden funding plan is laid out on (none of its amounts is shown)."""
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABEL_KREIS = "Ganzer Kreis (als ein Antragsteller)"


@dataclass(frozen=True)
class StellenDaten:
    """The published staffing figures the app computes from.

    Attributes
    ----------
    bemessung : pandas.DataFrame
        :func:`thm_lib.publish.views.veroeffentlichte_bemessung`: the rows of
        :func:`thm_lib.analysis.staffing.stellenbemessung` without a figure that
        reveals a hidden count.
    personen : PublishedTable
        :func:`thm_lib.publish.views.personen_tabelle` (published cells and mask only).
    """

    bemessung: pd.DataFrame
    personen: PublishedTable

    @classmethod
    def build(cls, ws: Workspace) -> StellenDaten:
        """Compute the published staffing figures of ``ws`` (the whole Kreis)."""
        bemessung = staffing.stellenbemessung(ws)
        personen = personen_tabelle(ws, bemessung)
        return cls(
            bemessung=veroeffentlichte_bemessung(bemessung, personen),
            personen=ohne_interne_werte(personen),
        )


@dataclass(frozen=True)
class Einstellungen:
    """The settings of one scenario (what the sliders and fields say).

    ``stunden_je_fall`` None means: derived from the caseload (net hours / caseload).
    """

    ags: str
    betreuungsschluessel: float
    erreichungsquote: float
    stunden_je_fall: float | None
    foerdersatz: float
    personalkosten: float
    haushaltssicherung: bool
    modell: str = "faq"

    def aenderungen(self) -> dict[str, Any]:
        """The scenario changes for :func:`thm_lib.analysis.scenarios.szenario_workspace`."""
        rate_key = "foerdersatz_haushaltssicherung" if self.haushaltssicherung else "foerdersatz"
        return {
            "annahmen": {
                "stellen": {
                    "betreuungsschluessel": self.betreuungsschluessel,
                    "erreichungsquote": self.erreichungsquote,
                    "stunden_je_fall": self.stunden_je_fall,
                }
            },
            "programm": {"foerderung": {rate_key: self.foerdersatz}},
            "modell": self.modell,
            "finanzierung": {"personalkosten": self.personalkosten},
        }


@dataclass(frozen=True)
class Ergebnis:
    """Staffing and funding of one Gemeinde (or the Kreis) under :class:`Einstellungen`.

    Attributes
    ----------
    zeile : pandas.Series
        The Gemeinde's row of :func:`thm_lib.analysis.staffing.stellenbemessung`.
    stellen : dict
        ``faq``, ``fallzahl``, ``arbeitszeit`` → positions (float).
    gesperrt : dict
        The same keys → True where the value must not be shown.
    plan : thm_lib.analysis.funding.Finanzierungsplan
        Funding plan of the positions of ``einstellungen.modell``.
    einstellungen : Einstellungen
    """

    zeile: pd.Series
    stellen: dict[str, float]
    gesperrt: dict[str, bool]
    plan: funding.Finanzierungsplan
    einstellungen: Einstellungen = field(repr=False)

    @property
    def plan_gesperrt(self) -> bool:
        """True when the funded positions (and so every amount) must be hidden."""
        return self.gesperrt[self.einstellungen.modell]


def standard(ws: Workspace, bemessung: pd.DataFrame, ags: str = KREIS) -> Einstellungen:
    """The settings the Arbeitsmappe's assumptions and programme give for ``ags``."""
    st = ws.annahmen.stellen
    row = _row(bemessung, ags)
    hs = bool(row["haushaltssicherung"])
    return Einstellungen(
        ags=ags,
        betreuungsschluessel=float(st.betreuungsschluessel),
        erreichungsquote=float(st.erreichungsquote),
        stunden_je_fall=None if st.stunden_je_fall is None else float(st.stunden_je_fall),
        foerdersatz=funding.foerdersatz(ws.programm, hs),
        personalkosten=float(funding.kosten_je_vzae(ws.annahmen)["personalkosten"]),
        haushaltssicherung=hs,
    )


def _row(bemessung: pd.DataFrame, ags: str) -> pd.Series:
    return bemessung_zeile(bemessung, ags)


def berechne(ws: Workspace, e: Einstellungen, daten: StellenDaten) -> Ergebnis:
    """Staffing estimates and funding plan for settings ``e``.

    Parameters
    ----------
    ws : Workspace
        The base Workspace (not modified; its public part is enough).
    e : Einstellungen
    daten : StellenDaten
        The published staffing figures of the base Workspace.
    """
    ch = e.aenderungen()
    sws = scenarios.szenario_workspace(
        ws, {k: ch[k] for k in ("annahmen", "programm")}, "Aktuelle Einstellungen"
    )
    row = staffing.neu_bemessen(_row(daten.bemessung, e.ags), sws.annahmen.stellen)
    stellen = {
        k: float(row[c]) for k, c in funding.MODELL_SPALTE.items() if k in STELLENMODELL_LABEL
    }
    gesperrt = stellen_gesperrt(daten.personen, e.ags)
    # A hidden plan is shown as the mark in every cell; its layout (years, months) is
    # laid out on a stand-in of one position, as the published row holds no figure.
    finanziert = PLATZHALTER_VZAE if gesperrt[e.modell] else stellen[e.modell]
    plan = funding.finanzierungsplan(
        finanziert,
        sws.programm,
        sws.annahmen,
        haushaltssicherung=e.haushaltssicherung,
        **ch["finanzierung"],
    )
    return Ergebnis(
        zeile=row,
        stellen=stellen,
        gesperrt=gesperrt,
        plan=plan,
        einstellungen=e,
    )


# --------------------------------------------------------------------------- tables
def stellen_tabelle(
    ws: Workspace, erg: Ergebnis, personen: Any, *, zahlen: bool = False
) -> pd.DataFrame:
    """The three estimates, one row per model.

    Text as shown in the app; with ``zahlen=True`` positions are numbers (for the
    Excel file), hidden ones the suppression mark either way.
    """
    sym = zeichen_geheim(ws)
    r = erg.zeile
    pub = personen.published.loc[erg.einstellungen.ags]
    e = erg.einstellungen
    positions = _number(2) if zahlen else fmt_positions

    def pos(key: str, value: float) -> Any:
        return sym if erg.gesperrt[key] else positions(value)

    rows = [
        (
            "FAQ-Regel des Programms",
            pos("faq", erg.stellen["faq"]),
            "–",
            f"{zahl(pub['faq_personen'])} Personen gezählt; "
            + (sym if erg.gesperrt["faq"] else str(r["faq_begruendung"])),
        ),
        (
            "Fallzahl (Betreuungsschlüssel)",
            pos("fallzahl", erg.stellen["fallzahl"]),
            pos("fallzahl", r["fallzahl_steuerung"]),
            f"{zahl(pub['fallzahl_personen'])} Personen × Erreichungsquote "
            f"{prozent(e.erreichungsquote)} / 1:{zahl(e.betreuungsschluessel)}",
        ),
        (
            "Arbeitszeit (Stunden je Fall)",
            pos("arbeitszeit", erg.stellen["arbeitszeit"]),
            pos("arbeitszeit", r["arbeitszeit_steuerung"]),
            f"erwartete Fälle (wie Fallzahlmodell) × {zahl(r['stunden_je_fall'], 1)} h / "
            f"{zahl(r['netto_jahresarbeitsstunden'])} h je VZÄ",
        ),
    ]
    out = pd.DataFrame(rows, columns=["Modell", "Stellen (VZÄ)", "davon Steuerung", "Grundlage"])
    bestand = r["stellen_bestand"]
    out["bereits gefördert"] = "–" if pd.isna(bestand) else positions(bestand)
    return out


def _number(decimals: int) -> Callable[[Any], float]:
    """A number for the Excel file, rounded as far as the app shows it (cents for money)."""
    return lambda value: float(gerundet(float(value), decimals))


def plan_tabelle(ws: Workspace, erg: Ergebnis, *, zahlen: bool = False) -> pd.DataFrame:
    """The funding plan: one row per budget year and the total.

    Text as shown in the app; with ``zahlen=True`` months, positions and amounts
    are numbers (for the Excel file); hidden amounts are the suppression mark.
    """
    t = erg.plan.tabelle()[list(PLAN_SPALTEN)]
    sym = zeichen_geheim(ws)
    out = pd.DataFrame(
        {
            "Jahr": t["jahr"].astype(str),
            "Monate": [(float(m) if zahlen else zahl(m, 1)) for m in t["monate"]],
        }
    )
    for col in list(PLAN_SPALTEN)[2:]:
        if zahlen:
            fmt = _number(2)
        else:
            fmt = fmt_positions if col == "stellen" else fmt_eur
        out[PLAN_SPALTEN[col]] = [
            sym
            if erg.plan_gesperrt and not pd.isna(v)
            else (None if zahlen and pd.isna(v) else fmt(v))
            for v in t[col]
        ]
    return out


def vergleich_zeile(
    ws: Workspace, name: str, erg: Ergebnis, *, zahlen: bool = False
) -> dict[str, Any]:
    """One row of the scenario comparison (text; numbers with ``zahlen=True``)."""
    sym = zeichen_geheim(ws)
    g = erg.plan.gesamt
    e = erg.einstellungen
    money = _number(2) if zahlen else fmt_eur
    positions = _number(2) if zahlen else fmt_positions
    share = float if zahlen else prozent

    def amount(key: str) -> Any:
        return sym if erg.plan_gesperrt else money(g[key])

    return {
        "Szenario": name,
        "Schlüssel": f"1:{zahl(e.betreuungsschluessel)}",
        "Erreichung": share(e.erreichungsquote),
        "Fördersatz": share(e.foerdersatz),
        "FAQ": sym if erg.gesperrt["faq"] else positions(erg.stellen["faq"]),
        "Fallzahl": sym if erg.gesperrt["fallzahl"] else positions(erg.stellen["fallzahl"]),
        "Arbeitszeit": sym
        if erg.gesperrt["arbeitszeit"]
        else positions(erg.stellen["arbeitszeit"]),
        "finanziert nach": STELLENMODELL_LABEL[e.modell],
        "Gesamtkosten": amount("gesamtkosten"),
        "Zuwendung": amount("zuwendung"),
        "Eigenanteil": amount("eigenanteil"),
    }


FORMAT_VZAE = "#,##0.00"
"""Excel number format of positions (VZÄ); Excel shows it with the German separators."""
FORMAT_EUR = '#,##0 "€"'
"""Excel number format of amounts: whole euros (the value keeps its cents)."""
FORMAT_ANTEIL = "0%"
FORMAT_MONATE = "0.0"
_VZAE = ("Stellen (VZÄ)", "davon Steuerung", "bereits gefördert", "FAQ", "Fallzahl", "Arbeitszeit")
_EUR = ("Personalkosten", "Sachkosten", "förderfähig", "Zuwendung", "Gesamtkosten", "Eigenanteil")
EXCEL_SPALTEN: dict[str, str] = {
    **{c: f"{c} (VZÄ)" for c in _VZAE if not c.endswith("(VZÄ)")},
    **{c: f"{c} (EUR)" for c in _EUR},
    PLAN_SPALTEN["eigenanteil"]: "Eigenanteil (EUR, inkl. nicht förderfähig)",
    "Erreichung": "Erreichungsquote",
    "Wert": "Wert (Schlüssel, Quote, Stunden, EUR)",
}
"""Column headers in the Excel file: with the unit, because there the cells are bare
numbers (and the privacy scan of published files reads the unit from the header)."""
EXCEL_FORMATE: dict[str, dict[str, str]] = {
    "Einstellungen": {
        "Betreuungsschlüssel (Fälle je VZÄ)": "0",
        "Erreichungsquote": FORMAT_ANTEIL,
        "Stunden je Fall und Jahr": FORMAT_MONATE,
        "Fördersatz": FORMAT_ANTEIL,
        "Personalkosten je VZÄ und Jahr": FORMAT_EUR,
    },
    "Stellen": dict.fromkeys((EXCEL_SPALTEN.get(c, c) for c in _VZAE[:3]), FORMAT_VZAE),
    "Finanzierungsplan": {
        "Monate": FORMAT_MONATE,
        "Stellen (VZÄ)": FORMAT_VZAE,
        **dict.fromkeys(
            (
                EXCEL_SPALTEN[PLAN_SPALTEN[c]]
                for c in (
                    "personalkosten",
                    "sachkosten",
                    "foerderfaehig",
                    "zuwendung",
                    "eigenanteil",
                    "gesamtkosten",
                )
            ),
            FORMAT_EUR,
        ),
    },
    "Szenarien": {
        "Erreichungsquote": FORMAT_ANTEIL,
        "Fördersatz": FORMAT_ANTEIL,
        **dict.fromkeys((EXCEL_SPALTEN[c] for c in _VZAE[3:]), FORMAT_VZAE),
        **dict.fromkeys(
            (EXCEL_SPALTEN[c] for c in ("Gesamtkosten", "Zuwendung", "Eigenanteil")), FORMAT_EUR
        ),
    },
}
"""Number format per sheet and column header (``Einstellungen``: per row name)."""


def excel_bytes(ws: Workspace, erg: Ergebnis, personen: Any, vergleich: pd.DataFrame) -> bytes:
    """The current scenario as an Excel workbook (via :mod:`thm_lib.publish.excel`).

    Numbers are stored as numbers with an Excel number format (:data:`EXCEL_FORMATE`),
    so Excel shows them in the reader's (German) format and can compute with them;
    hidden values are the suppression mark as text. ``vergleich`` is the comparison
    with numbers (``vergleich_tabelle(zahlen=True)``).
    """

    e = erg.einstellungen
    name = kommune_name(ws, e.ags)
    settings = pd.DataFrame(
        [
            ("Kommune", name),
            ("Betreuungsschlüssel (Fälle je VZÄ)", float(e.betreuungsschluessel)),
            ("Erreichungsquote", float(e.erreichungsquote)),
            (
                "Stunden je Fall und Jahr",
                "aus Schlüssel abgeleitet"
                if e.stunden_je_fall is None
                else float(e.stunden_je_fall),
            ),
            ("Fördersatz", float(e.foerdersatz)),
            ("Personalkosten je VZÄ und Jahr", float(e.personalkosten)),
            ("Haushaltssicherung", "ja" if e.haushaltssicherung else "nein"),
            ("Finanziert nach", STELLENMODELL_LABEL[e.modell]),
        ],
        columns=["Einstellung", "Wert"],
    )

    def excel(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=EXCEL_SPALTEN)

    sheets = {
        "Einstellungen": mark_public(excel(settings), "Planungsannahmen"),
        "Stellen": mark_public(
            excel(stellen_tabelle(ws, erg, personen, zahlen=True)),
            "Stellen in VZÄ; Personenzahlen gesperrt",
        ),
        "Finanzierungsplan": mark_public(
            excel(plan_tabelle(ws, erg, zahlen=True)), "Beträge in EUR"
        ),
        "Szenarien": mark_public(excel(vergleich), "Stellen in VZÄ, Beträge in EUR"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "szenario.xlsx"
        write_buendnis_workbook(
            path,
            sheets,
            stichtag=ws.stichtag,
            quellen=[f"Arbeitsmappe {ws.name}"],
            titel="THM-Werkbank: Stellen und Förderung (Szenario)",
        )
        _apply_formats(path, EXCEL_FORMATE)
        return path.read_bytes()


def _apply_formats(path: Path, formats: dict[str, dict[str, str]]) -> None:
    """Set the number format of the numeric cells named in ``formats`` (in place)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for sheet, by_name in formats.items():
        sh = wb[sheet]
        if sheet == "Einstellungen":  # one setting per row: name in A, value in B
            cells = [
                (sh.cell(r, 1).value, sh.cell(r, 2)) for r in range(FIRST_DATA_ROW, sh.max_row + 1)
            ]
        else:
            header = {sh.cell(HEADER_ROW, c).value: c for c in range(1, sh.max_column + 1)}
            cells = [
                (name, sh.cell(r, header[name]))
                for name in by_name
                if name in header
                for r in range(FIRST_DATA_ROW, sh.max_row + 1)
            ]
        for name, cell in cells:
            if (
                name in by_name
                and isinstance(cell.value, int | float)
                and not isinstance(cell.value, bool)
            ):
                cell.number_format = by_name[name]
    wb.save(path)


def download_link(data: bytes, filename: str) -> str:
    """An HTML anchor offering ``data`` as a file download (``data:`` URI)."""
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="thm-download-link" download="{esc(filename)}" '
        f'href="data:{XLSX_MIME};base64,{b64}">Excel-Datei herunterladen '
        f"({esc(filename)})</a>"
    )


# --------------------------------------------------------------------------- app
class StellenUndFoerderung:
    """The Stellen-und-Förderung app.

    Attributes
    ----------
    kommune, modell : ipywidgets.Dropdown
    schluessel : ipywidgets.IntSlider
        Caseload (cases per FTE).
    quote, stunden, foerdersatz : ipywidgets.FloatSlider
    stunden_auto, haushaltssicherung : ipywidgets.Checkbox
    personalkosten : ipywidgets.IntText
        Any whole number can be typed; outside ``personalkosten_bereich`` the app says so.
    stellen, plan, vergleich, download : ipywidgets.HTML
    widget : ipywidgets.VBox
    """

    def __init__(self, daten: Any) -> None:
        ws = daten.ws
        self.ws = ws
        self.daten: StellenDaten = daten.stellen
        self.bemessung = self.daten.bemessung
        self.personen = self.daten.personen
        self.szenarien: dict[str, Einstellungen] = {}
        self.ergebnis: Ergebnis | None = None
        self._busy = False
        self._cache: dict[Einstellungen, Ergebnis] = {}
        d = standard(ws, self.bemessung)
        lo, hi, step = ws.annahmen.apps.betreuungsschluessel
        self.kommune = widgets.Dropdown(
            options=gemeinde_options(ws, LABEL_KREIS),
            value=KREIS,
            description="Kommune",
            style=WIDE,
            layout=widgets.Layout(width="30em"),
        )
        self.kommune.add_class("thm-kommune")
        # Wide enough for the labels with their range (a cut label would hide the range).
        style = {"description_width": "32em"}
        layout = widgets.Layout(width="58em")
        self.schluessel = widgets.IntSlider(
            value=int(d.betreuungsschluessel),
            min=int(lo),
            max=int(hi),
            step=int(step),
            # ipywidgets 8 lets a viewer type into a slider's readout and clamps the value
            # to min/max in the browser without a word: every slider names its range.
            description=f"Betreuungsschlüssel (Fälle je VZÄ, {bereich(lo, hi)})",
            style=style,
            layout=layout,
            continuous_update=False,
        )
        self.schluessel.add_class("thm-schluessel")
        lo, hi, step = ws.annahmen.apps.erreichungsquote
        self.quote = widgets.FloatSlider(
            value=d.erreichungsquote,
            min=lo,
            max=hi,
            step=step,
            description=f"Erreichungsquote ({bereich(lo, hi, prozent)})",
            readout_format=".0%",
            style=style,
            layout=layout,
            continuous_update=False,
        )
        self.quote.add_class("thm-quote")
        lo, hi, step = ws.annahmen.apps.stunden_je_fall
        self.stunden_auto = widgets.Checkbox(
            value=d.stunden_je_fall is None,
            description="Stunden je Fall aus dem Schlüssel ableiten",
            indent=False,
        )
        self.stunden_auto.add_class("thm-stunden-auto")
        self.stunden = widgets.FloatSlider(
            value=self._abgeleitete_stunden() if d.stunden_je_fall is None else d.stunden_je_fall,
            min=lo,
            max=hi,
            step=step,
            description=f"Stunden je Fall und Jahr ({bereich(lo, hi)})",
            readout_format=".1f",
            style=style,
            layout=layout,
            continuous_update=False,
            disabled=d.stunden_je_fall is None,
        )
        self.stunden.add_class("thm-stunden")
        lo, hi, step = ws.annahmen.apps.foerdersatz
        self.foerdersatz = widgets.FloatSlider(
            value=d.foerdersatz,
            min=lo,
            max=hi,
            step=step,
            description=f"Fördersatz ({bereich(lo, hi, prozent)})",
            readout_format=".0%",
            style=style,
            layout=layout,
            continuous_update=False,
        )
        self.foerdersatz.add_class("thm-foerdersatz")
        lo, hi, step = ws.annahmen.apps.personalkosten
        self.personalkosten_bereich = (int(lo), int(hi))
        # not a BoundedIntText: the browser would clamp 1000 to 30000 without a word
        self.personalkosten = widgets.IntText(
            value=int(d.personalkosten),
            step=int(step),
            description=f"Personalkosten je VZÄ und Jahr (EUR, {bereich(int(lo), int(hi))})",
            style=style,
            layout=layout,
        )
        self.personalkosten.add_class("thm-personalkosten")
        self.haushaltssicherung = widgets.Checkbox(
            value=d.haushaltssicherung, description="Haushaltssicherungskommune", indent=False
        )
        self.haushaltssicherung.add_class("thm-haushaltssicherung")
        self.modell = widgets.Dropdown(
            options=[(v, k) for k, v in STELLENMODELL_LABEL.items()],
            value=d.modell,
            description="Finanzieren nach",
            style=WIDE,
        )
        self.modell.add_class("thm-modell")
        self.stellen = widgets.HTML().add_class("thm-stellen")
        self.plan = widgets.HTML().add_class("thm-plan")
        self.vergleich = widgets.HTML().add_class("thm-vergleich")
        self.download = widgets.HTML().add_class("thm-download")
        self.meldung = widgets.HTML().add_class("thm-meldung")
        self.merken = widgets.Button(description="Als Szenario merken").add_class("thm-merken")
        self.leeren = widgets.Button(description="Szenarien löschen").add_class("thm-leeren")
        self.excel = widgets.Button(description="Excel-Datei erstellen").add_class("thm-excel")
        self.widget = (
            widgets.VBox(
                [
                    header("Stellen und Förderung: Szenarien", ws),
                    self.kommune,
                    widgets.HTML("<h3>Stellenbemessung</h3>"),
                    self.schluessel,
                    self.quote,
                    widgets.HBox([self.stunden_auto]),
                    self.stunden,
                    widgets.HTML("<h3>Förderung</h3>"),
                    self.foerdersatz,
                    self.personalkosten,
                    self.haushaltssicherung,
                    self.modell,
                    self.meldung,
                    widgets.HTML("<h3>Stellen (VZÄ) nach drei Modellen</h3>"),
                    self.stellen,
                    widgets.HTML("<h3>Finanzierungsplan</h3>"),
                    self.plan,
                    widgets.HTML("<h3>Szenarienvergleich</h3>"),
                    widgets.HBox([self.merken, self.leeren]),
                    self.vergleich,
                    widgets.HBox([self.excel, self.download]),
                ]
            )
            .add_class("thm-app")
            .add_class("thm-stellen-app")
        )

        upd = guarded(self.meldung, self.update)
        for w in (
            self.schluessel,
            self.quote,
            self.stunden,
            self.foerdersatz,
            self.personalkosten,
            self.modell,
        ):
            w.observe(upd, names="value")
        self.stunden_auto.observe(guarded(self.meldung, self._auto_changed), names="value")
        self.haushaltssicherung.observe(guarded(self.meldung, self._hs_changed), names="value")
        self.kommune.observe(guarded(self.meldung, self._kommune_changed), names="value")
        self.merken.on_click(guarded(self.meldung, self.szenario_merken))
        self.leeren.on_click(guarded(self.meldung, self.szenarien_loeschen))
        self.excel.on_click(guarded(self.meldung, self.excel_erstellen))
        self.update()

    # ------------------------------------------------------------------ state
    def _abgeleitete_stunden(self) -> float:
        st = self.ws.annahmen.stellen
        schluessel = self.schluessel.value if hasattr(self, "schluessel") else None
        return staffing.stunden_je_fall(
            st.model_copy(
                update={
                    "stunden_je_fall": None,
                    "betreuungsschluessel": schluessel or st.betreuungsschluessel,
                }
            )
        )

    @property
    def einstellungen(self) -> Einstellungen:
        """The settings in the widgets.

        Slider values are rounded to 6 decimals: a browser's slider sends a rate such
        as 0.8000000000000003 for 80 %, which must not move a Euro amount.
        """
        return Einstellungen(
            ags=self.kommune.value,
            betreuungsschluessel=float(self.schluessel.value),
            erreichungsquote=round(float(self.quote.value), 6),
            stunden_je_fall=None
            if self.stunden_auto.value
            else round(float(self.stunden.value), 6),
            foerdersatz=round(float(self.foerdersatz.value), 6),
            personalkosten=float(self.personalkosten.value),
            haushaltssicherung=bool(self.haushaltssicherung.value),
            modell=self.modell.value,
        )

    def _set_quietly(self, **values: Any) -> None:
        self._busy = True
        try:
            for name, value in values.items():
                getattr(self, name).value = value
        finally:
            self._busy = False

    def _auto_changed(self) -> None:
        self.stunden.disabled = self.stunden_auto.value
        self.update()

    def _hs_changed(self) -> None:
        # The rate follows the programme's rate for the new status (documented in docs/apps.md).
        self._set_quietly(
            foerdersatz=funding.foerdersatz(self.ws.programm, self.haushaltssicherung.value)
        )
        self.update()

    def _kommune_changed(self) -> None:
        row = _row(self.bemessung, self.kommune.value)
        hs = bool(row["haushaltssicherung"])
        self._set_quietly(
            haushaltssicherung=hs, foerdersatz=funding.foerdersatz(self.ws.programm, hs)
        )
        self.update()

    def berechne(self, e: Einstellungen) -> Ergebnis:
        """:func:`berechne` with a cache (settings are immutable and hashable)."""
        if e not in self._cache:
            self._cache[e] = berechne(self.ws, e, self.daten)
        return self._cache[e]

    # ------------------------------------------------------------------ actions
    def eingabefehler(self) -> str | None:
        """The German message when a typed input lies outside its range, else None."""
        return ausserhalb(
            "Personalkosten je VZÄ und Jahr",
            self.personalkosten.value,
            *self.personalkosten_bereich,
            fmt=fmt_eur,
        )

    def szenario_merken(self) -> None:
        """Keep the current settings as a named scenario for the comparison."""
        if self.eingabefehler():
            return
        self.szenarien[f"Szenario {len(self.szenarien) + 1}"] = self.einstellungen
        self.update()

    def szenarien_loeschen(self) -> None:
        """Forget the kept scenarios."""
        self.szenarien.clear()
        self.update()

    def vergleich_tabelle(self, *, zahlen: bool = False) -> pd.DataFrame:
        """Standard, kept scenarios and the current settings, for the selected Kommune
        (text as shown; numbers with ``zahlen=True``)."""
        ags = self.kommune.value
        rows = [
            vergleich_zeile(
                self.ws,
                "Standard (Annahmen)",
                self.berechne(
                    replace(standard(self.ws, self.bemessung, ags), modell=self.modell.value)
                ),
                zahlen=zahlen,
            )
        ]
        for name, e in self.szenarien.items():
            rows.append(
                vergleich_zeile(self.ws, name, self.berechne(replace(e, ags=ags)), zahlen=zahlen)
            )
        if self.ergebnis is not None:
            rows.append(vergleich_zeile(self.ws, "Aktuell", self.ergebnis, zahlen=zahlen))
        return pd.DataFrame(rows)

    def excel_erstellen(self) -> None:
        """Offer the current scenario as an Excel download link."""
        if self.ergebnis is None:
            return
        data = excel_bytes(
            self.ws, self.ergebnis, self.personen, self.vergleich_tabelle(zahlen=True)
        )
        name = "Kreis" if self.kommune.value == KREIS else self.kommune.value
        self.download.value = download_link(data, f"thm_stellen_foerderung_{name}.xlsx")

    # ------------------------------------------------------------------ update
    def update(self) -> None:
        """Recompute estimates, plan and comparison for the current settings."""
        if self._busy:
            return
        if self.stunden_auto.value:
            self._set_quietly(stunden=self._abgeleitete_stunden())
        self.meldung.value = ""
        self.download.value = ""
        fehler = self.eingabefehler()
        if fehler:
            self.ergebnis = None
            self.meldung.value = eingabefehler_html(fehler)
            self.stellen.value = self.plan.value = self.vergleich.value = (
                "<p class='thm-keine'>Keine Berechnung: bitte die Eingabe korrigieren.</p>"
            )
            return
        self.ergebnis = self.berechne(self.einstellungen)
        self.stellen.value = table_html(
            stellen_tabelle(self.ws, self.ergebnis, self.personen),
            "thm-stellen-tabelle",
            numeric=("Stellen (VZÄ)", "davon Steuerung", "bereits gefördert"),
        )
        plan = plan_tabelle(self.ws, self.ergebnis)
        p = self.ergebnis.plan
        note = (
            f"Förderzeitraum {p.beginn:%m/%Y}–{p.ende:%m/%Y}, Fördersatz "
            f"{prozent(self.ergebnis.einstellungen.foerdersatz)}, förderfähig: "
            + ", ".join(self.ws.programm["foerderung"]["foerderfaehig"])
        )
        if self.ergebnis.plan_gesperrt:
            note += " · Beträge gesperrt, weil sie eine kleine Personenzahl verraten würden."
        self.plan.value = (
            table_html(plan, "thm-plan-tabelle", numeric=tuple(plan.columns[1:]))
            + f"<div class='thm-hinweis'>{esc(note)}</div>"
        )
        self.vergleich.value = table_html(
            self.vergleich_tabelle(),
            "thm-vergleich-tabelle",
            numeric=("FAQ", "Fallzahl", "Arbeitszeit", "Gesamtkosten", "Zuwendung", "Eigenanteil"),
        )

    def werte(self) -> dict[str, str]:
        """Shown positions per model (text), for tests and the benchmark."""
        t = stellen_tabelle(self.ws, self.ergebnis, self.personen)
        return dict(zip(("faq", "fallzahl", "arbeitszeit"), t["Stellen (VZÄ)"], strict=True))


def build(daten: Any) -> StellenUndFoerderung:
    """Build the app from the apps' bundle (:class:`thm_lib.apps.daten.AppDaten`)."""
    return StellenUndFoerderung(daten)


__all__ = [
    "Einstellungen",
    "Ergebnis",
    "StellenDaten",
    "StellenUndFoerderung",
    "berechne",
    "build",
    "standard",
]
