"""What a published number means: values, settings and the known relations (for the audit).

:class:`Leser` turns the tables read by :mod:`thm_lib.disclosure.audit_lesen` into a
:class:`~thm_lib.disclosure.audit_modell.Modell`: each cell becomes a quantity from what a
reader sees (table title, row and column label, Stichtag, the Kommune of the
report), and every relation a reader knows is added (sums, the same quantity in
several places, model formulas with published parameters). The relations are
listed in ``docs/datenschutz.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from thm_lib.analysis import target_group
from thm_lib.analysis.staffing import antragsteller, stunden_je_fall
from thm_lib.core import labels
from thm_lib.core.labels import EBENE_KREIS, STELLEN_SPALTE_LABEL
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit_lesen import Tabelle
from thm_lib.disclosure.audit_modell import GEHEIM, GROSS, KLEIN, TEIL, Modell, Ort
from thm_lib.disclosure.faq_zaehlung import vergleichbar
from thm_lib.disclosure.publication import fuer, zaehlt_personen
from thm_lib.disclosure.suppression import small_label

INSGESAMT = labels.INSGESAMT
_DATUM = r"(\d\d\.\d\d\.\d{4})"
_ZEITRAUM = re.compile(_DATUM + r" bis " + _DATUM)
_TOTAL_LABEL = re.compile(r"^(insgesamt|summe|gesamt)$", re.I)
MODELLTABELLEN = (
    "Versorgungsgrad",
    "Doppelangebote",
    "Warum?",
    "Vorgeschlagene Standorte",
    "Wirkung je Gemeinde",
    "Geschlossene Lücken je Status",
)
"""Titles of modelled tables whose link to the counts the audit does not model (yet); the
difference check of ``thm pruefen`` covers them (the Standortplanung's among them)."""
_QUOTE = re.compile(r"^(\d+)(?: \((\d+)–(\d+)\))? (\w+)$")
_TOTAL_COL = re.compile(r"\b(gesamt|insgesamt|summe)\b", re.I)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Wert:
    """A published cell as a number, a suppression mark or nothing."""

    art: str  # "zahl", KLEIN, GEHEIM or "leer"
    zahl: float = 0.0
    toleranz: float = 0.0  # half a unit of the last shown digit
    prozent: bool = False
    ganz: bool = False  # shown without decimals (a count may be exact)


def lies_wert(v: Any, schwelle: int, symbol: str) -> Wert:
    """Parse a cell as shown (German number format, ``<5``, the symbol, percent).

    Examples
    --------
    >>> lies_wert("1.026", 5, ".").zahl, lies_wert("17,8 %", 5, ".").toleranz
    (1026.0, 0.0005)
    >>> lies_wert("<5", 5, ".").art, lies_wert(". (Datenschutz)", 5, ".").art
    ('klein', 'geheim')
    """
    if v is None:
        return Wert("leer")
    if isinstance(v, bool):
        return Wert("leer")
    if isinstance(v, int):
        return Wert("zahl", float(v), ganz=True)
    if isinstance(v, float):
        if v != v:
            return Wert("leer")
        text = repr(v)
        if "e" in text or "E" in text:
            return Wert("zahl", v, 1e-12)
        dec = len(text.split(".")[1]) if "." in text else 0
        return Wert("zahl", v, 0.5 * 10.0**-dec if dec < 12 else 1e-12)
    s = str(v).strip()
    if s == small_label(schwelle):
        return Wert(KLEIN)
    if s == symbol or s.startswith(symbol + " ("):
        return Wert(GEHEIM)
    pct = s.endswith("%")
    s = s.rstrip("%").strip()
    if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", s):
        return Wert("leer")
    ganz, _, dez = s.replace(".", "").partition(",")
    zahl = float(f"{ganz}.{dez}" if dez else ganz)
    tol = 0.5 * 10.0 ** -len(dez)
    if pct:
        return Wert("zahl", zahl / 100.0, tol / 100.0, True)
    return Wert("zahl", zahl, tol, ganz=not dez)


# --------------------------------------------------------------------------- context


@dataclass
class Kontext:
    """Settings and names a reader knows (from the Arbeitsmappe, never its counts)."""

    schwelle: int
    symbol: str
    name_of: dict[str, str]  # AGS -> Gemeinde name
    einwohner: dict[str, float]  # Gemeinde name -> Einwohner
    kreis_name: str
    stichtag: str  # analysis Stichtag dd.mm.yyyy
    status: dict[str, str]  # German label -> status code
    faq: dict[str, Any]  # FAQ rule parameters
    fallzahl: float  # positions per person, caseload model
    arbeitszeit: float  # positions per person, workload model
    erstantrag: dict[str, pd.Timestamp]  # applicant name -> Stichtag of the first application
    betreuungsschluessel: float = 100.0  # cases per position (caseload model)
    inanspruchnahme: float = 1.0  # take-up of the demand model
    altersgruppen: list[str] = field(default_factory=list)
    quoten: dict[tuple[str, str, str], tuple[float, str]] = field(default_factory=dict)
    regel: dict[str, str] = field(default_factory=dict)  # applicant -> FAQ rule shown
    stichtage: set[str] = field(default_factory=set)
    erreichung_status: list[str] = field(default_factory=lambda: ["duldung"])
    """Statuses the caseload model counts (``annahmen.stellen.erreichung_status``)."""
    altersbaender: list[tuple[int, int, str]] = field(default_factory=list)
    """The age bands as (from, to, label)."""
    zielgruppe_alter: tuple[int, int] = (18, 27)
    """Ages of the target group (``annahmen.zielgruppe``)."""
    kreis_zaehlt: list[str] | None = None
    """Gemeinden the Kreis as one applicant counts (FAQ count, caseload and workload
    model); those applying themselves are left out. None: all Gemeinden."""
    nicht_aktive: int | None = None
    """Target cases not active in the report year (None without cases): the one count
    here, as a reader has it from the published need rates (their cases) and
    "Reichweite" (the active ones); see :meth:`Leser.fallevidenz_gegen_bedarfe`."""

    @property
    def gemeinden(self) -> list[str]:
        """All Gemeinde names."""
        return list(self.name_of.values())

    def antragsgebiet(self, wer: str) -> list[str]:
        """The Gemeinden whose persons the staffing row of ``wer`` counts."""
        if wer != INSGESAMT:
            return [wer]
        return self.gemeinden if self.kreis_zaehlt is None else list(self.kreis_zaehlt)

    def gemeinde_aus(self, label: str) -> str | None:
        """Gemeinde name (or :data:`INSGESAMT`) for a row label (AGS, name, Kreis)."""
        label = str(label).strip()
        if label in self.name_of:
            return self.name_of[label]
        if label in self.name_of.values():
            return label
        if label in (INSGESAMT, "Kreis", self.kreis_name, ""):
            return INSGESAMT
        return None

    def berichtsgemeinde(self, datei: str) -> str:
        """The Gemeinde of the report folder (``<ags>/...``), else the whole Kreis."""
        first = datei.split("/")[0]
        return self.name_of.get(first, INSGESAMT)


def _kreis_zaehlt(ws: Workspace, name_of: dict[str, str]) -> list[str] | None:
    """Gemeinden of the Kreis row of the staffing tables (from settings only).

    Uses the applicants of :mod:`thm_lib.analysis.staffing` (flags of ``kommunen``:
    own Geschäftsführende Stelle, kreisfreie Stadt), never a count.
    """

    apps = antragsteller(ws)
    kreis = [a for a in apps if a["ebene"] == EBENE_KREIS]
    if not kreis:  # one kreisfreie Stadt (or one Gemeinde): its row is the Kreis row
        return [name_of[str(a["ags"])] for a in apps if str(a["ags"]) in name_of]
    return [name_of[str(g)] for g in kreis[0]["gemeinden"] if str(g) in name_of]


def kontext_aus(ws: Workspace) -> Kontext:
    """The audit's settings from a loaded Workspace (settings and names only)."""

    a = ws.annahmen
    st = a.stellen
    steuer = 1.0 + float(st.steuerungsanteil)
    quote, schl = float(st.erreichungsquote), float(st.betreuungsschluessel)
    netto = float(st.netto_jahresarbeitsstunden)
    std = stunden_je_fall(st)
    prog = ws.programm
    kreis_erst = a.kreis.stichtag_erstantrag
    kreis_erst = pd.Timestamp(kreis_erst) if kreis_erst else pd.NaT
    name_of = {str(k): str(v) for k, v in zip(ws.gebiete["ags"], ws.gebiete["name"], strict=True)}
    erst = {n: kreis_erst for n in name_of.values()}
    if getattr(ws, "kommunen", None) is not None and "stichtag_erstantrag" in ws.kommunen:
        for _, r in ws.kommunen.iterrows():
            if str(r["ags"]) in name_of and not pd.isna(r["stichtag_erstantrag"]):
                erst[name_of[str(r["ags"])]] = pd.Timestamp(r["stichtag_erstantrag"])
    erst[INSGESAMT] = kreis_erst
    ew = {}
    if "einwohner" in ws.gebiete:
        ew = {
            str(n): float(e)
            for n, e in zip(ws.gebiete["name"], ws.gebiete["einwohner"], strict=True)
            if pd.notna(e)
        }
    zg, zaehl = a.zielgruppe, prog["zaehlung"]
    faq = dict(prog["stellenregel"])
    faq["rundung"] = st.rundung
    faq["einfrieren"] = bool(zaehl.get("einfrieren"))
    faq["vergleichbar"] = vergleichbar(zaehl, zg.status, (zg.alter_min, zg.alter_max))
    faq["status"] = list(zaehl["status"])
    faq["alter"] = (int(zaehl["alter_min"]), int(zaehl["alter_max"]))
    return Kontext(
        schwelle=a.datenschutz.schwelle,
        symbol=a.datenschutz.zeichen_geheim,
        name_of=name_of,
        einwohner=ew,
        kreis_name=str(ws.name),
        stichtag=f"{ws.stichtag:%d.%m.%Y}",
        status={labels.STATUS_LABEL[s]: s for s in zg.status},
        faq=faq,
        fallzahl=quote / schl * steuer,
        arbeitszeit=quote * std / netto * steuer,
        erstantrag=erst,
        betreuungsschluessel=schl,
        inanspruchnahme=float(a.bedarf.inanspruchnahme),
        altersgruppen=[lab for _, _, lab in target_group.altersgruppen(a)],
        altersbaender=target_group.altersgruppen(a),
        zielgruppe_alter=(zg.alter_min, zg.alter_max),
        erreichung_status=list(st.erreichung_status),
        kreis_zaehlt=_kreis_zaehlt(ws, name_of),
        nicht_aktive=fuer(ws).nicht_aktive_faelle,
    )


# --------------------------------------------------------------------------- reading tables


class Leser:
    """Gives the cells of the read tables their meaning and collects the relations."""

    def __init__(self, ctx: Kontext) -> None:
        self.ctx = ctx
        self.m = Modell(ctx.schwelle)
        self.zellen = 0
        self.verborgen_zellen = 0
        self.modellwerte_verborgen = 0
        self.nicht_zugeordnet: list[str] = []
        self.geschuetzte_titel: set[str] = set()
        self.gedeutet: set[Ort] = set()
        self.ungedeutet: list[tuple[Ort, float]] = []

    # -- helpers
    def wert(self, v: Any) -> Wert:
        return lies_wert(v, self.ctx.schwelle, self.ctx.symbol)

    def zaehle(self, t: Tabelle) -> None:
        for row in t.zeilen:
            for v in row[t.n_label :]:
                w = self.wert(v)
                if w.art != "leer":
                    self.zellen += 1

    def anzahl(self, key: Hashable, v: Any, ort: Ort) -> Hashable | None:
        """A published count: record it; returns the key (None when the cell is empty)."""
        w = self.wert(v)
        if w.art == "leer":
            return None
        self.gedeutet.add(ort)
        if w.art in (KLEIN, GEHEIM):
            self.verborgen_zellen += 1
            self.m.verbirgt(key, w.art, ort)
        elif w.ganz:
            self.m.sieht(key, w.zahl, ort)
        else:
            return None
        return key

    def modellwert(self, koeff: dict[Hashable, float], v: Any, name: str) -> None:
        """A published value known to equal ``sum(koeff * x)`` up to its rounding."""
        w = self.wert(v)
        if w.art in (KLEIN, GEHEIM):
            self.modellwerte_verborgen += 1
        if w.art != "zahl":
            return
        self.m.ungefaehr(koeff, w.zahl, w.toleranz, name)

    def anteil(self, zaehler: Hashable, nenner: Hashable, v: Any, name: str) -> None:
        """A published share ``zaehler / nenner`` (rounded): two linear inequalities."""
        w = self.wert(v)
        if w.art in (KLEIN, GEHEIM):
            self.modellwerte_verborgen += 1
        if w.art != "zahl":
            return
        eps = 1e-9
        self.m.beziehung(
            {zaehler: 1.0, nenner: -(w.zahl + w.toleranz + eps)}, -GROSS * 10, 0.0, name
        )
        self.m.beziehung(
            {zaehler: 1.0, nenner: -(w.zahl - w.toleranz - eps)}, 0.0, GROSS * 10, name
        )

    @staticmethod
    def ort(t: Tabelle, i: int, j: int) -> Ort:
        titel = t.titel if t.art != "xlsx" else f"Blatt {t.extra.get('blatt', t.nr)}: {t.titel}"
        return Ort(t.datei, titel, t.zeilenlabel(i), t.kopf[j])

    @staticmethod
    def quelle(t: Tabelle) -> str:
        return f"„{t.titel}“ ({t.datei})"

    def status_spalten(self, t: Tabelle, prefix: str = "") -> dict[int, str]:
        out = {}
        for j, k in enumerate(t.kopf):
            for lab, code in self.ctx.status.items():
                if k == f"{prefix}{lab}":
                    out[j] = code
        return out

    def zg(self, tag: str, gem: str, status: str) -> tuple:
        self.ctx.stichtage.add(tag)
        return ("Zielgruppe", tag, gem, status)

    # -- table kinds
    def zielgruppe_je_gemeinde(self, t: Tabelle, tag: str) -> None:
        cols = self.status_spalten(t)
        tot = t.spalte("Zielgruppe insgesamt")
        for i, row in enumerate(t.zeilen):
            gem = self.ctx.gemeinde_aus(row[0])
            if gem is None:
                continue
            for j, s in [*cols.items(), *([(tot, "gesamt")] if tot is not None else [])]:
                self.anzahl(self.zg(tag, gem, s), row[j], self.ort(t, i, j))

    def verlauf(self, t: Tabelle) -> None:
        gem = self.ctx.berichtsgemeinde(t.datei)
        cols = self.status_spalten(t)
        tot = t.spalte("Zielgruppe insgesamt")
        for i, row in enumerate(t.zeilen):
            tag = str(row[0]).strip()
            if not re.fullmatch(_DATUM, tag):
                continue
            for j, s in [*cols.items(), *([(tot, "gesamt")] if tot is not None else [])]:
                self.anzahl(self.zg(tag, gem, s), row[j], self.ort(t, i, j))

    def struktur(self, t: Tabelle) -> None:
        tag = self.ctx.stichtag
        sexes = {j: k for j, k in enumerate(t.kopf) if j >= 1}
        keys: dict[tuple[str, str], Hashable] = {}
        for i, row in enumerate(t.zeilen):
            band = str(row[0]).strip()
            for j, sex in sexes.items():
                key = ("Struktur", tag, band, "gesamt" if sex == "insgesamt" else sex)
                if self.anzahl(key, row[j], self.ort(t, i, j)) is not None:
                    keys[(band, key[3])] = key
        src = self.quelle(t)
        bands = sorted({b for b, _ in keys if b != INSGESAMT})
        sx = sorted({s for _, s in keys if s != "gesamt"})
        for b in [*bands, INSGESAMT]:
            self.m.summe(
                [("Struktur", tag, b, s) for s in sx],
                ("Struktur", tag, b, "gesamt"),
                f"Zeilensumme „{b}“ in {src}",
            )
        for s in [*sx, "gesamt"]:
            self.m.summe(
                [("Struktur", tag, b, s) for b in bands],
                ("Struktur", tag, INSGESAMT, s),
                f"Spaltensumme „{s}“ in {src}",
            )
        self.m.summe(
            [("Struktur", tag, INSGESAMT, "gesamt")],
            self.zg(tag, INSGESAMT, "gesamt"),
            f"Gesamtzahl in {src} = Zielgruppe des Kreises",
        )

    def reichweite(self, t: Tabelle, zeitraum: str, tag: str) -> None:
        klient = {j: s for j, s in self.status_spalten(t, "Klient*innen ").items()}
        zielg = {j: s for j, s in self.status_spalten(t, "Zielgruppe ").items()}
        kg, zgg = t.spalte("Klient*innen gesamt"), t.spalte("Zielgruppe gesamt")
        if kg is not None:
            klient[kg] = "gesamt"
        if zgg is not None:
            zielg[zgg] = "gesamt"
        anteile = {j: s for j, s in self.status_spalten(t, "Reichweite ").items()}
        rg = t.spalte("Reichweite gesamt")
        if rg is not None:
            anteile[rg] = "gesamt"
        for i, row in enumerate(t.zeilen):
            gem = self.ctx.gemeinde_aus(row[0])
            if gem is None:
                continue
            for j, s in klient.items():
                self.anzahl(("Klient*innen", zeitraum, gem, s), row[j], self.ort(t, i, j))
            for j, s in zielg.items():
                self.anzahl(self.zg(tag, gem, s), row[j], self.ort(t, i, j))
            for j, s in anteile.items():
                self.anteil(
                    ("Klient*innen", zeitraum, gem, s),
                    self.zg(tag, gem, s),
                    row[j],
                    f"Reichweite {s} = Klient*innen ÷ Zielgruppe, {gem}, {self.quelle(t)}",
                )
        self._welt_summen(
            "Klient*innen", zeitraum, [*self.ctx.status.values()], "gesamt", self.quelle(t)
        )

    def _welt_summen(
        self, art: str, zeitraum: str, teile: list[str], gesamt: str | None, src: str
    ) -> None:
        """Kreis = sum of all Gemeinden (per column); row sum over ``teile`` to ``gesamt``."""
        for s in [*teile, *([gesamt] if gesamt else [])]:
            self.m.summe(
                [(art, zeitraum, g, s) for g in self.ctx.gemeinden],
                (art, zeitraum, INSGESAMT, s),
                f"Kreis = Summe der Gemeinden ({art} {s}), {src}",
            )
        if gesamt:
            for g in [*self.ctx.gemeinden, INSGESAMT]:
                self.m.summe(
                    [(art, zeitraum, g, s) for s in teile],
                    (art, zeitraum, g, gesamt),
                    f"Summe über den Status ({art}, {g}), {src}",
                )

    def fallzahlen(self, t: Tabelle, zeitraum: str) -> None:
        cols = {
            j: k
            for j, k in enumerate(t.kopf)
            if k in ("neu aufgenommen", "aktiv im Zeitraum", "abgeschlossen")
        }
        for i, row in enumerate(t.zeilen):
            gem = self.ctx.gemeinde_aus(row[0])
            if gem is None:
                continue
            for j, k in cols.items():
                self.anzahl(("Fallzahlen", zeitraum, gem, k), row[j], self.ort(t, i, j))
        for k in cols.values():
            self.m.summe(
                [("Fallzahlen", zeitraum, g, k) for g in self.ctx.gemeinden],
                ("Fallzahlen", zeitraum, INSGESAMT, k),
                f"Kreis = Summe der Gemeinden ({k}), {self.quelle(t)}",
            )
        if "aktiv im Zeitraum" not in cols.values():
            return
        for g in [*self.ctx.gemeinden, INSGESAMT]:  # definitions of the Berichtswesen
            aktiv = ("Fallzahlen", zeitraum, g, "aktiv im Zeitraum")
            for teil in (
                ("Fallzahlen", zeitraum, g, "neu aufgenommen"),
                ("Fallzahlen", zeitraum, g, "abgeschlossen"),
                ("Klient*innen", zeitraum, g, "gesamt"),
            ):
                self.m.beziehung(
                    {teil: 1.0, aktiv: -1.0},
                    -GROSS * 10,
                    0.0,
                    f"{teil[3]} ≤ aktiv im Zeitraum ({g}), Definition des Berichtswesens",
                )

    def abschluesse(self, t: Tabelle, zeitraum: str) -> None:
        j = t.spalte("Anzahl")
        if j is None:
            return
        gruende = []
        for i, row in enumerate(t.zeilen):
            g = str(row[0]).strip()
            self.anzahl(("Abschlüsse", zeitraum, g), row[j], self.ort(t, i, j))
            if g != INSGESAMT:
                gruende.append(("Abschlüsse", zeitraum, g))
        src = self.quelle(t)
        self.m.summe(gruende, ("Abschlüsse", zeitraum, INSGESAMT), f"Spaltensumme in {src}")
        self.m.summe(
            [("Abschlüsse", zeitraum, INSGESAMT)],
            ("Fallzahlen", zeitraum, INSGESAMT, "abgeschlossen"),
            f"Abschlüsse insgesamt = abgeschlossene Fälle des Kreises, {src}",
        )

    def ergebnis_tabelle(
        self, t: Tabelle, art: str, gesamt_label: str, basis_label: str | None = None
    ) -> None:
        """Needs by result per Handlungsfeld: the results add up to the total; with a
        ``basis_label`` column (the Fallevidenz's decided needs) the decided results
        add up to it, it and the open ones to the total, and the shares are of it."""
        cols = {j: k for j, k in enumerate(t.kopf) if k in labels.ERGEBNIS_LABEL.values()}
        tot = t.spalte(gesamt_label)
        if tot is not None:
            cols[tot] = "gesamt"
        basis = t.spalte(basis_label) if basis_label else None
        if basis is not None:
            cols[basis] = "entschieden"
        nenner = "gesamt" if basis is None else "entschieden"
        anteile = {
            j: k.removeprefix("Anteil ") for j, k in enumerate(t.kopf) if k.startswith("Anteil ")
        }
        felder = []
        for i, row in enumerate(t.zeilen):
            hf = str(row[0]).strip()
            if hf != INSGESAMT:
                felder.append(hf)
            for j, k in cols.items():
                self.anzahl((art, hf, k), row[j], self.ort(t, i, j))
            for j, k in anteile.items():
                if k in cols.values():
                    self.anteil(
                        (art, hf, k),
                        (art, hf, nenner),
                        row[j],
                        f"Anteil {k} = {k} ÷ {nenner}, {hf}, {self.quelle(t)}",
                    )
        src = self.quelle(t)
        teile = [k for k in cols.values() if k not in ("gesamt", "entschieden")]
        offen = labels.ERGEBNIS_LABEL["offen"]
        summen = [(teile, "gesamt")]
        if basis is not None:
            summen = [([k for k in teile if k != offen], "entschieden")]
            summen.append(([k for k in ("entschieden", offen) if k in cols.values()], "gesamt"))
        for glieder, summe in summen:
            if summe not in cols.values():
                continue
            for hf in [*felder, INSGESAMT]:
                self.m.summe(
                    [(art, hf, k) for k in glieder],
                    (art, hf, summe),
                    f"Zeilensumme „{hf}“ ({summe}) in {src}",
                )
        for k in cols.values():
            self.m.summe(
                [(art, hf, k) for hf in felder], (art, INSGESAMT, k), f"Spaltensumme „{k}“ in {src}"
            )

    def fallevidenz_gegen_bedarfe(self) -> None:
        """The Fallevidenz against the needs of the report year ("Bedarfe").

        A target case with result x in a Handlungsfeld is active in the report
        year, and "Bedarfe" counts a row of it with result x, or one of the
        :attr:`Kontext.nicht_aktive` cases, with one result per field: per field
        ``Fallevidenz_x <= Bedarfe_x + i_x`` and ``sum_x i_x <= nicht_aktive``,
        with ``i_x`` >= 0 unknown (round 2, session 31: an attack narrowed
        hidden cells of both tables with it).
        """
        inaktiv, tag = self.ctx.nicht_aktive, self.ctx.stichtag
        art = f"Bedarfe nach Ergebnis 01.01.{tag[-4:]}–{tag}"
        if inaktiv is None:
            return
        felder: dict[str, set[str]] = {"Fallevidenz": set(), art: set()}
        for key in self.m.keys:
            if isinstance(key, tuple) and len(key) == 3 and key[0] in felder:
                felder[key[0]].add(str(key[1]))
        for hf in sorted((felder["Fallevidenz"] & felder[art]) - {INSGESAMT}):
            hilfe = []
            for x in labels.ERGEBNIS_LABEL.values():
                fe, b, i = ("Fallevidenz", hf, x), (art, hf, x), ("nicht aktiv", hf, x)
                if fe in self.m.index and b in self.m.index:
                    self.m.beziehung(
                        {fe: 1.0, i: -1.0, b: -1.0},
                        -GROSS * 10,
                        0.0,
                        f"Fallevidenz ≤ Bedarfe {art[22:]} + nicht aktive Fälle ({hf}, {x})",
                    )
                    hilfe.append(i)
            if hilfe:
                self.m.beziehung(
                    dict.fromkeys(hilfe, 1.0),
                    -GROSS * 10,
                    float(inaktiv),
                    f"höchstens {inaktiv} nicht aktive Fälle der Zielgruppe ({hf})",
                )

    def faq_personen(self, wer: str) -> Hashable:
        """The FAQ count of applicant ``wer``, linked to the published target group.

        The count covers the Gemeinden of the applicant (for the Kreis: those
        that do not apply themselves), the programme's statuses, at the
        Stichtag of the first application (or the analysis Stichtag). Over
        other ages or statuses than the target group it is split into the
        persons both count and those only one counts (:meth:`_faq_teile`).
        """
        key = ("Personen (FAQ-Zählung)", wer)
        f = self.ctx.faq
        tag = self.ctx.erstantrag.get(wer) if f["einfrieren"] else None
        datiert = tag is not None and not pd.isna(tag)
        if datiert:
            was = "Stichtag der Erstantragstellung"
        elif f["einfrieren"]:
            was = "Auswertungsstichtag, Erstantrag ohne Datum"
        else:
            was = "Auswertungsstichtag"
        t0 = self._zaehlung_fuer(tag if datiert else None)
        gebiet = self.ctx.antragsgebiet(wer)
        if f["vergleichbar"]:
            teile = [self.zg(t0, g, s) for g in gebiet for s in f["status"]]
            wie = f"Zielgruppe {', '.join(f['status'])}"
        else:
            teile = [t for g in gebiet for t in self._faq_teile(t0, g)]
            wie = "Personen beider Zählungen + nur vom Programm gezählte"
        self.m.summe(
            teile, key, f"FAQ-Zählung von {wer} = {wie} am {t0} ({was})" + self._gebiet_text(wer)
        )
        return key

    def _zaehlung_fuer(self, tag: pd.Timestamp | None) -> str:
        """The published Stichtag a count for ``tag`` (None: the analysis Stichtag) uses,
        as the staffing estimate chooses it: the latest on or before, else the earliest."""

        def datum(d: str) -> pd.Timestamp:
            return pd.Timestamp(pd.to_datetime(d, dayfirst=True))

        ziel = datum(self.ctx.stichtag) if tag is None else tag
        if not self.ctx.stichtage:
            return self.ctx.stichtag
        tage = [d for d in self.ctx.stichtage if datum(d) <= ziel]
        return max(tage, key=datum) if tage else min(self.ctx.stichtage, key=datum)

    def _faq_teile(self, t0: str, g: str) -> list[Hashable]:
        """The FAQ count of Gemeinde ``g`` at ``t0`` over other ages or statuses than
        the target group, as parts: per common status the persons both count
        (with the target-group cell = these + those only the target group
        counts), plus the persons only the programme counts. At the analysis
        Stichtag the target group's part outside the programme's ages is the
        sum of its age bands, where these fit."""
        f, (z_lo, z_hi) = self.ctx.faq, self.ctx.zielgruppe_alter
        p_lo, p_hi = f["alter"]
        common = [s for s in self.ctx.status.values() if s in f["status"]]
        lo, hi = max(p_lo, z_lo), min(p_hi, z_hi)
        teile: list[Hashable] = []
        if lo <= hi:
            for s in common:
                beide = self._teil(("FAQ-Zählung und Zielgruppe", t0, g, s))
                teile.append(beide)
                if p_lo <= z_lo and z_hi <= p_hi:  # the programme counts every age of it
                    self.m.summe([beide], self.zg(t0, g, s), f"Zielgruppe {s} von {g} am {t0}")
                    continue
                nur_zg = self._teil(("nur Zielgruppe, nicht FAQ-Zählung", t0, g, s))
                self.m.summe([beide, nur_zg], self.zg(t0, g, s), f"Zielgruppe {s} von {g} am {t0}")
                baender = [(v, b) for v, b, _ in self.ctx.altersbaender if b < lo or v > hi]
                ausserhalb = (hi - lo + 1) < (z_hi - z_lo + 1)
                if (
                    t0 == self.ctx.stichtag
                    and ausserhalb
                    and (sum(b - v + 1 for v, b in baender) == (z_hi - z_lo + 1) - (hi - lo + 1))
                ):
                    self.m.summe(
                        [
                            self.segment(g, s, lab)
                            for v, b, lab in self.ctx.altersbaender
                            if b < lo or v > hi
                        ],
                        nur_zg,
                        f"Zielgruppe {s} von {g} außerhalb der Alter der FAQ-Zählung",
                    )
        nur_programm = not (set(f["status"]) <= set(common) and z_lo <= p_lo and p_hi <= z_hi)
        if nur_programm or lo > hi:
            teile.append(self._teil(("nur FAQ-Zählung, nicht Zielgruppe", t0, g)))
        return teile

    def _teil(self, key: tuple) -> tuple:
        """A part of the FAQ count that no table shows, judged by its own rule (:data:`TEIL`)."""
        if key not in self.m.index:
            wer, tag, gem = key[0], key[1], key[2]
            zusatz = f" ({key[3]})" if len(key) > 3 else ""
            self.m.verbirgt(key, TEIL, Ort("nicht veröffentlicht", wer, gem, tag + zusatz))
        return key

    def _gebiet_text(self, wer: str) -> str:
        if wer != INSGESAMT or self.ctx.kreis_zaehlt is None:
            return ""
        ohne = [g for g in self.ctx.gemeinden if g not in self.ctx.kreis_zaehlt]
        return f" ohne die selbst antragstellenden {', '.join(ohne)}" if ohne else ""

    def fallzahl_basis(self, wer: str, faktor: float) -> dict[Hashable, float]:
        """``faktor`` × persons of the caseload model of ``wer`` (statuses of
        ``erreichung_status`` at the analysis Stichtag, Gemeinden of the applicant)."""
        status = self.ctx.erreichung_status
        if set(status) >= set(self.ctx.status.values()):
            status = ["gesamt"]
        return {
            self.zg(self.ctx.stichtag, g, s): faktor
            for g in self.ctx.antragsgebiet(wer)
            for s in status
        }

    def faq_stellen(self, wer: str, v: Any, src: str) -> None:
        if self.ctx.regel.get(wer) != labels.FAQ_REGEL_LABEL["schluessel"]:
            return
        schl = float(self.ctx.faq["schluessel"])
        w = self.wert(v)
        if w.art != "zahl":
            if w.art != "leer":
                self.modellwerte_verborgen += 1
            return
        rund = self.ctx.faq.get("rundung")
        extra = float(rund) / 2 if rund not in (None, "keine") else 0.0
        self.m.ungefaehr(
            {self.faq_personen(wer): 1.0 / schl},
            w.zahl,
            w.toleranz + extra,
            f"Stellen FAQ = Personen ÷ {schl:g} ({wer}), {src}",
        )

    def stellen(self, t: Tabelle) -> None:
        p = t.spalte("Personen (FAQ-Zählung)")
        pf = next(
            (j for j, k in enumerate(t.kopf) if k.startswith("Personen Fallzahlmodell")), None
        )
        regel, faq = t.spalte("Regel"), t.spalte(STELLEN_SPALTE_LABEL["faq"])
        fz, az = (
            t.spalte(STELLEN_SPALTE_LABEL["fallzahl"]),
            t.spalte(STELLEN_SPALTE_LABEL["arbeitszeit"]),
        )
        src = self.quelle(t)
        basis = ", ".join(self.ctx.erreichung_status)
        for i, row in enumerate(t.zeilen):
            wer = self.ctx.gemeinde_aus(row[0])
            if wer is None:
                continue
            if regel is not None and isinstance(row[regel], str):
                self.ctx.regel[wer] = row[regel].strip()
            key = self.faq_personen(wer)
            self.anzahl(key, row[p], self.ort(t, i, p))
            if pf is not None:
                fkey = ("Personen Fallzahlmodell", wer)
                self.anzahl(fkey, row[pf], self.ort(t, i, pf))
                self.m.beziehung(
                    {**self.fallzahl_basis(wer, 1.0), fkey: -1.0},
                    0.0,
                    0.0,
                    f"Personen Fallzahlmodell von {wer} = Zielgruppe ({basis}) am "
                    f"{self.ctx.stichtag}{self._gebiet_text(wer)}, {src}",
                )
            if faq is not None:
                self.faq_stellen(wer, row[faq], src)
            for j, c, name in (
                (fz, self.ctx.fallzahl, "Fallzahlmodell"),
                (az, self.ctx.arbeitszeit, "Arbeitszeitmodell"),
            ):
                if j is not None:
                    self.modellwert(
                        self.fallzahl_basis(wer, c),
                        row[j],
                        f"Stellen {name} = Zielgruppe ({basis}) × {c:.6g} "
                        f"({wer}{self._gebiet_text(wer)}), {src}",
                    )

    def szenarien(self, t: Tabelle) -> None:
        wer = self.ctx.berichtsgemeinde(t.datei)
        fz, faq = t.spalte(STELLEN_SPALTE_LABEL["fallzahl"]), t.spalte("Stellen FAQ")
        basis = ", ".join(self.ctx.erreichung_status)
        for row in t.zeilen:
            name = str(row[0])
            m = re.search(r"Betreuungsschlüssel 1:(\d+(?:,\d+)?)", name)
            c = None
            if m:
                schluessel = float(m.group(1).replace(",", "."))
                c = self.ctx.fallzahl * self.ctx.betreuungsschluessel / schluessel
            elif name.startswith(("Basis", "Fördersatz")):
                c = self.ctx.fallzahl
            if c is not None and fz is not None:
                self.modellwert(
                    self.fallzahl_basis(wer, c),
                    row[fz],
                    f"Szenario „{name}“: Stellen Fallzahlmodell = Zielgruppe "
                    f"({basis}) × {c:.6g} ({wer}), {self.quelle(t)}",
                )
            if faq is not None and (m or c is not None):
                self.faq_stellen(wer, row[faq], self.quelle(t))

    def index(self, t: Tabelle) -> None:
        z, s = t.spalte("Zielgruppe"), t.spalte("Stellen (FAQ-Schlüssel)")
        k = t.spalte("Kommune")
        for i, row in enumerate(t.zeilen):
            wer = self.ctx.gemeinde_aus(row[0]) if row[0] else INSGESAMT
            if wer is None and k is not None:
                wer = self.ctx.gemeinde_aus(row[k])
            if wer is None:
                continue
            if z is not None:
                self.anzahl(self.zg(self.ctx.stichtag, wer, "gesamt"), row[z], self.ort(t, i, z))
            if s is not None:
                self.faq_stellen(wer, row[s], self.quelle(t))

    def karte(self, t: Tabelle) -> None:
        label = t.kopf[2]
        for i, row in enumerate(t.zeilen):
            gem = self.ctx.gemeinde_aus(row[0]) or self.ctx.gemeinde_aus(row[1])
            if gem is None:
                continue
            zg = self.zg(self.ctx.stichtag, gem, "gesamt")
            if label.startswith("Zielgruppe (Personen)"):
                self.anzahl(zg, row[2], self.ort(t, i, 2))
            elif label.startswith("Zielgruppe je 1.000") and gem in self.ctx.einwohner:
                self.modellwert(
                    {zg: 1000.0 / self.ctx.einwohner[gem]},
                    row[2],
                    f"Zielgruppe je 1.000 Einwohner ({gem}), {self.quelle(t)}",
                )
            elif label.startswith("Reichweite"):
                zeitraum = self._zeitraum_reichweite
                if zeitraum:
                    self.anteil(
                        ("Klient*innen", zeitraum, gem, "gesamt"),
                        zg,
                        row[2],
                        f"Reichweite in der Karte ({gem}), {self.quelle(t)}",
                    )

    _zeitraum_reichweite = ""

    def quoten(self, t: Tabelle) -> None:
        """Need rates per Handlungsfeld and status × age band ("62 (48–74) SA")."""
        for row in t.zeilen:
            hf = str(row[0]).strip()
            for j in range(1, len(t.kopf)):
                m = _QUOTE.match(str(row[j]).strip()) if j < len(row) else None
                parts = t.kopf[j].split(" ")
                if m and len(parts) == 2:
                    status = self.ctx.status.get(parts[0], parts[0])  # "Duldung" -> duldung
                    self.ctx.quoten[(hf, status, parts[1])] = (
                        int(m.group(1)) / 100.0,
                        m.group(2),
                    )

    def segment(self, gem: str, status: str, band: str) -> Hashable:
        """Persons of a Gemeinde, status and age band at the analysis Stichtag (all sexes)."""
        key = ("Segment", self.ctx.stichtag, gem, status, band)
        if key not in self.m.index:
            self.m.stetig.add(self.m.var(key))
            bands = self.ctx.altersgruppen
            self.m.beziehung(
                {
                    **{("Segment", self.ctx.stichtag, gem, status, b): 1.0 for b in bands},
                    self.zg(self.ctx.stichtag, gem, status): -1.0,
                },
                -0.5,
                0.5,
                f"Zielgruppe {status} von {gem} = Summe der Altersgruppen (gerundet)",
            )
        return key

    def luecken(self, t: Tabelle) -> None:
        """Demand per Gemeinde × Handlungsfeld = Σ persons × published rate × take-up."""
        jb = t.spalte(labels.BEDARF_GESCHAETZT)
        if jb is None or not self.ctx.quoten:
            return
        tu, src = self.ctx.inanspruchnahme, self.quelle(t)
        js = t.spalte(labels.ALTERSSTRUKTUR)
        for i, row in enumerate(t.zeilen):
            gem, hf = self.ctx.gemeinde_aus(row[0]), str(row[1]).strip()
            w = self.wert(row[jb])
            if gem is None or gem == INSGESAMT or w.art != "zahl":
                continue
            if js is not None and str(row[js]).strip() == labels.ALTERSSTRUKTUR_KREIS:
                continue  # shown counts per status × Kreis age structure: no hidden count
            lo_k: dict[Hashable, float] = {}
            hi_k: dict[Hashable, float] = {}
            for s in self.ctx.status.values():
                for band in self.ctx.altersgruppen:
                    q, code = self.ctx.quoten.get((hf, s, band), (None, "S"))
                    key = self.segment(gem, s, band)
                    if q is None or code == "S":  # rate may differ by sex: only 0..1 known
                        lo_k[key], hi_k[key] = 0.0, tu
                    else:
                        lo_k[key] = max(q - 0.005, 0.0) * tu
                        hi_k[key] = min(q + 0.005, 1.0) * tu
            name = (
                f"Bedarf {hf} in {gem} = Σ Personen × Bedarfsquote × {tu:g} "
                f"(Zeile {t.zeilenlabel(i)}), {src}"
            )
            eps = w.toleranz + 1e-9
            self.m.beziehung(lo_k, -GROSS * 10, w.zahl + eps, name)
            self.m.beziehung(hi_k, w.zahl - eps, GROSS * 10, name)

    def nur_modellwerte(self, t: Tabelle) -> None:
        """Modelled values whose relation to the counts is not modelled (demand, coverage)."""
        for row in t.zeilen:
            for v in row[t.n_label :]:
                if self.wert(v).art in (KLEIN, GEHEIM):
                    self.modellwerte_verborgen += 1

    def allgemein(self, t: Tabelle) -> None:
        """A table of no known kind: counts keyed by title, row and column; shown totals.

        Tables with suppression marks or the published marking count, and every
        table with the same title, marked or not: an unmarked copy of a protected
        table (same title and labels) showing a hidden count is a leak.
        """
        has_marks = self._geschuetzt(t)
        titel = re.sub(r" \(eingebettet \d+\)$", "", t.titel)
        if not (has_marks or titel in self.geschuetzte_titel):
            return
        start = max(t.n_label, 1)
        zahlspalten = []
        for j in range(start, len(t.kopf)):
            ws_ = [self.wert(row[j]) for row in t.zeilen if j < len(row)]
            if "anteil" in t.kopf[j].lower() or any(w.prozent for w in ws_):
                continue
            if all(w.art != "zahl" or w.ganz for w in ws_) and any(w.art != "leer" for w in ws_):
                zahlspalten.append(j)
        if not zahlspalten:
            return
        if has_marks:
            self.nicht_zugeordnet.append(self.quelle(t))
        tot_col = next((j for j in zahlspalten if _TOTAL_COL.search(t.kopf[j])), None)
        rows = [t.zeilenlabel(i) for i in range(len(t.zeilen))]
        tot_row = next((r for r in rows if _TOTAL_LABEL.match(r)), None)
        for i, row in enumerate(t.zeilen):
            for j in zahlspalten:
                self.anzahl(("Tabelle", titel, rows[i], t.kopf[j]), row[j], self.ort(t, i, j))
        src = self.quelle(t)
        if tot_col is not None:
            teile = [j for j in zahlspalten if j != tot_col]
            for r in rows:
                self.m.summe(
                    [("Tabelle", titel, r, t.kopf[j]) for j in teile],
                    ("Tabelle", titel, r, t.kopf[tot_col]),
                    f"Zeilensumme „{r}“ in {src}",
                )
        if tot_row is not None:
            for j in zahlspalten:
                self.m.summe(
                    [("Tabelle", titel, r, t.kopf[j]) for r in rows if r != tot_row],
                    ("Tabelle", titel, tot_row, t.kopf[j]),
                    f"Spaltensumme „{t.kopf[j]}“ in {src}",
                )

    # -- dispatch
    def art(self, t: Tabelle) -> tuple[int, Callable[[], None]]:
        """(order, handler) for a table; the order makes rules known before they are used."""
        kopf = set(t.kopf)
        titel = t.titel
        zeitraum = _ZEITRAUM.search(titel)
        zr = f"{zeitraum.group(1)}–{zeitraum.group(2)}" if zeitraum else ""
        if t.art == "karte":
            return 5, lambda: self.karte(t)
        m = re.search(r"Zielgruppe am " + _DATUM + " je Gemeinde", titel)
        if m:
            return 0, lambda: self.zielgruppe_je_gemeinde(t, m.group(1))
        if t.kopf and t.kopf[0] == "Stichtag" and "Zielgruppe insgesamt" in kopf:
            return 0, lambda: self.verlauf(t)
        if t.kopf and t.kopf[0] == "Altersgruppe" and "insgesamt" in kopf:
            return 1, lambda: self.struktur(t)
        if "Klient*innen gesamt" in kopf and "Zielgruppe gesamt" in kopf:
            m2 = re.search(r"je Zielgruppe am " + _DATUM, titel)
            tag = m2.group(1) if m2 else self.ctx.stichtag
            self._zeitraum_reichweite = zr
            return 1, lambda: self.reichweite(t, zr, tag)
        if "neu aufgenommen" in kopf and "aktiv im Zeitraum" in kopf:
            return 1, lambda: self.fallzahlen(t, zr)
        if t.kopf and t.kopf[0].lower() == "abschlussgrund":
            return 1, lambda: self.abschluesse(t, zr)
        if "Bedarfe gesamt" in kopf and "passendes Angebot" in kopf:
            return 1, lambda: self.ergebnis_tabelle(
                t, f"Bedarfe nach Ergebnis {zr}", "Bedarfe gesamt"
            )
        if labels.BEDARFE_INSGESAMT in kopf and "passendes Angebot" in kopf:
            return 1, lambda: self.ergebnis_tabelle(
                t, "Fallevidenz", labels.BEDARFE_INSGESAMT, labels.BEDARFE_ENTSCHIEDEN
            )
        if "Personen (FAQ-Zählung)" in kopf:
            return 2, lambda: self.stellen(t)
        if t.kopf and t.kopf[0] == "Szenario":
            return 3, lambda: self.szenarien(t)
        if "Stellen (FAQ-Schlüssel)" in kopf and "Zielgruppe" in kopf:
            return 4, lambda: self.index(t)
        if titel.startswith("Bedarfsquoten"):
            return 1, lambda: self.quoten(t)
        if labels.BEDARF_GESCHAETZT in kopf and "Handlungsfeld" in kopf:
            return 5, lambda: self.luecken(t)
        if titel.startswith(MODELLTABELLEN):
            return 6, lambda: self.nur_modellwerte(t)
        return 6, lambda: self.allgemein(t)

    def ungedeutete_zahlen(self, t: Tabelle) -> Iterator[tuple[Ort, Wert]]:
        """Numbers in columns of persons that no rule gave a meaning (after :meth:`lies`).

        The audit judges the cells it can name; a table it cannot read as
        one of the project's (an unsuppressed copy in another shape, e.g. a
        pandas Styler table with raw column codes in a notebook's output, or
        a table of the user's own) is checked as the privacy guard checks
        it, by its column headers
        (:func:`thm_lib.disclosure.publication.zaehlt_personen`). Maps, need
        rates, modelled tables and the list of gaps (its need column is a
        modelled value) hold no counts of persons.
        """
        if (
            t.art == "karte"
            or t.titel.startswith((*MODELLTABELLEN, "Bedarfsquoten"))
            or labels.BEDARF_GESCHAETZT in t.kopf
        ):
            return
        spalten = [j for j in range(t.n_label, len(t.kopf)) if zaehlt_personen(t.kopf[j], t.titel)]
        for i, row in enumerate(t.zeilen):
            for j in spalten:
                if j >= len(row):
                    continue
                w = self.wert(row[j])
                ort = self.ort(t, i, j)
                if w.art == "zahl" and ort not in self.gedeutet:
                    yield ort, w

    def _kleine_ungedeutete(self, t: Tabelle) -> None:
        """Small counts of persons where no rule gave a meaning: a whole number
        1 .. threshold-1 of :meth:`ungedeutete_zahlen` is a finding."""
        for ort, w in self.ungedeutete_zahlen(t):
            if w.ganz and 1 <= w.zahl < self.ctx.schwelle:
                self.ungedeutet.append((ort, w.zahl))

    def _geschuetzt(self, t: Tabelle) -> bool:
        return bool(t.extra.get("published")) or any(
            self.wert(v).art in (KLEIN, GEHEIM) for row in t.zeilen for v in row[t.n_label :]
        )

    def lies(self, tabellen: list[Tabelle]) -> None:
        """Interpret every table (ordered so that Stichtage and rules are known first)."""
        for t in tabellen:
            self.zaehle(t)
            if self._geschuetzt(t):
                self.geschuetzte_titel.add(re.sub(r" \(eingebettet \d+\)$", "", t.titel))
        jobs = sorted(
            ((self.art(t), n) for n, t in enumerate(tabellen)), key=lambda x: (x[0][0], x[1])
        )
        for (_, handler), _n in jobs:
            handler()
        self.fallevidenz_gegen_bedarfe()
        for t in tabellen:
            self._kleine_ungedeutete(t)
        for tag in sorted(self.ctx.stichtage):
            self._welt_summen(
                "Zielgruppe",
                tag,
                [*self.ctx.status.values()],
                "gesamt",
                "Definition der Zielgruppe",
            )
