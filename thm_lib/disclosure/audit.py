"""Audit of a whole published batch run: can a reader recover a hidden count?

:func:`audit_run` reads back every published output of ``reports/<kreis>/``
(:mod:`thm_lib.disclosure.audit_lesen`), gives each published number its meaning from
what a reader sees (table title, row and column label, Stichtag, the Kommune
of the report) and collects the linear relations a reader knows
(:mod:`thm_lib.disclosure.audit_deutung`), and solves the feasible range of each hidden
cell (:mod:`thm_lib.disclosure.audit_modell`).

Protection rule (issue 13, documented in ``docs/datenschutz.md``): no hidden
cell is pinned to one value; a "<5" cell keeps at least three feasible values
within 1..Schwelle-1; a cell hidden with the symbol (".") has a range at least
Schwelle values wide that does not lie inside 1..Schwelle-1.

The Arbeitsmappe is used for settings and names only (threshold, symbol,
Gemeinde names and AGS, Einwohner, model parameters of ``annahmen.yaml`` and
the programme, Stichtag of the first application): everything a reader of the
reports is told anyway. Counts of the Arbeitsmappe are never read here.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import anzahl, zahl
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit_deutung import (
    INSGESAMT,
    Kontext,
    Leser,
    Wert,
    kontext_aus,
    lies_wert,
)
from thm_lib.disclosure.audit_lesen import (
    Lesung,
    Vorlesung,
    datei_pruefsumme,
    lese_datei,
    lese_ordner,
    veroeffentlichte_dateien,
)
from thm_lib.disclosure.audit_modell import (
    GEHEIM,
    GROSS,
    KLEIN,
    TEIL,
    Modell,
    Ort,
    bereiche,
    null_oder_klein,
    schutzverletzung,
    teilverletzung,
    verschobene_kleine,
)
from thm_lib.disclosure.privacy import PSEUDONYM, scan_file
from thm_lib.ingest.arbeitsmappe import load_workspace

__all__ = [
    "INSGESAMT",
    "AuditErgebnis",
    "Befund",
    "Kontext",
    "Leser",
    "Wert",
    "audit_run",
    "kontext_aus",
    "lies_wert",
    "pruefe_lesung",
    "schutz_befunde",
]

# --------------------------------------------------------------------------- result
GESPERRT = "gesperrt"
"""How :attr:`AuditErgebnis.gezeigt` names a count the run hides ("<5" or the symbol)."""


@dataclass
class Befund:
    """A hidden quantity a reader can narrow down too far (or another publication problem)."""

    text: str
    key: Hashable = None
    bereich: tuple[float, float] | None = None
    orte: list[Ort] = field(default_factory=list)
    art: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class AuditErgebnis:
    """Outcome of :func:`audit_run`."""

    befunde: list[Befund]
    hinweise: list[str]
    zellen: int
    verborgen: int
    groessen: int
    engster_bereich: str
    sekunden: float
    bereiche: dict[Hashable, tuple[float, float]]
    beziehungen: int
    engste_werte: int | None = None
    """Number of feasible values of the most narrowly determined hidden cell."""
    gezeigt: dict[Hashable, str] = field(default_factory=dict)
    """Every person count the run publishes, by its key, as a reader sees it: the number
    (``"46"``) or :data:`GESPERRT` (for :mod:`thm_lib.disclosure.staende`)."""

    @property
    def ok(self) -> bool:
        """True when no finding was made."""
        return not self.befunde

    @property
    def aufgedeckt(self) -> dict[Hashable, float]:
        """Hidden quantities pinned to one value (key -> value)."""
        return {
            b.key: b.bereich[0]
            for b in self.befunde
            if b.art == "aufgedeckt" and b.bereich is not None
        }

    def engste_text(self) -> str:
        """How many values the narrowest hidden count may still take, in German words."""
        if self.engste_werte is None:
            return "–"
        return "unbeschränkt" if self.engste_werte >= GROSS else str(self.engste_werte)

    def zusammenfassung(self) -> str:
        """German summary for the CLI and the index page."""
        zellen = anzahl(self.zellen, "veröffentlichte Zahl", "veröffentlichte Zahlen")
        verborgen = anzahl(self.verborgen, "verborgene Personenzahl", "verborgene Personenzahlen")
        groessen = anzahl(self.groessen, "unbekannte Größe", "unbekannte Größen")
        beziehungen = anzahl(self.beziehungen, "bekannte Beziehung", "bekannte Beziehungen")
        kopf = (
            f"Geprüft: {zellen}, davon {verborgen}; {groessen} (verborgene Zahlen und Teile, "
            f"die nur in anderen Zahlen stecken), {beziehungen}; engster "
            f"Bereich einer verborgenen Zelle: {self.engster_bereich}; "
            f"Dauer {zahl(self.sekunden, 1)} s."
        )
        if self.ok:
            return kopf + "\nErgebnis: bestanden – keine verborgene Zelle ist zu eng bestimmt."
        zeilen = [
            kopf,
            f"Ergebnis: NICHT bestanden – {anzahl(len(self.befunde), 'Befund', 'Befunde')}:",
        ]
        zeilen += [f"- {b.text}" for b in self.befunde]
        return "\n".join(zeilen)


def _gezeigt_text(wert: float) -> str:
    """A shown count as text without loss (``46``, ``1234567``; ``2.5`` for a non-count)."""
    return str(int(wert)) if float(wert).is_integer() else repr(float(wert))


def _fmt_key(key: Hashable) -> str:
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


def _bewerte(m: Modell, v: int, lo: float, hi: float, schwelle: int) -> str | None:
    arten = {a for a, _ in m.verborgen[v]}
    if arten == {TEIL}:
        return teilverletzung(lo, hi, schwelle)
    if KLEIN not in arten and null_oder_klein(lo, hi, schwelle):
        return None  # 0 to 3 beside a "<5": tells less than the "<5" (round 2, session 42)
    return schutzverletzung(KLEIN in arten, lo, hi, schwelle)


def _geheim(m: Modell, v: int) -> bool:
    """True when ``v`` is hidden with the symbol only (never shown as a small number)."""
    return {a for a, _ in m.verborgen[v]} == {GEHEIM}


def pruefe_lesung(lesung: Lesung, ctx: Kontext, zeitlimit: float = 10.0) -> AuditErgebnis:
    """Audit tables already read (see :func:`audit_run`)."""
    start = time.perf_counter()
    leser = Leser(ctx)
    leser.lies(lesung.tabellen)
    m = leser.m
    loesung = bereiche(m, zeitlimit)
    befunde: list[Befund] = []
    for nb in lesung.notebooks:
        befunde.append(
            Befund(
                f"{nb}: ausgeführtes Notebook im veröffentlichten Ordner (enthält "
                "interne Werte und Metadaten); gehört nach intern/ oder wird "
                "entfernt.",
                art="notebook",
            )
        )
    for f in lesung.unlesbar:
        befunde.append(Befund(f"Datei nicht lesbar, nicht geprüft: {f}", art="unlesbar"))
    for f in lesung.fremd:
        befunde.append(
            Befund(
                f"{f}: Datei im veröffentlichten Ordner, die kein Bericht ist (kein HTML oder "
                "Excel, oder versteckt) und nicht geprüft wird; kein Lauf lässt sie dort. Bitte "
                "aus dem Ordner "
                "entfernen (Arbeitsmappen und eigene Dateien gehören nicht in den Ordner für "
                "die Bündniskerngruppe).",
                art="fremd",
            )
        )
    for ort, wert in leser.ungedeutet:
        befunde.append(
            Befund(
                f"Ungesperrte kleine Zahl {wert:g} in einer Spalte mit Personen, "
                f"die keiner bekannten Tabelle zugeordnet ist: {ort}.",
                orte=[ort],
                art="kleine_zahl",
            )
        )
    engste: tuple[float, str] | None = None
    verschoben: list[str] = []
    for v, (lo, hi) in sorted(loesung.bereiche.items()):
        key = m.keys[v]
        orte = [o for _, o in m.verborgen[v]]
        breite = hi - lo
        teil = {a for a, _ in m.verborgen[v]} == {TEIL}
        if not teil and (engste is None or breite < engste[0]):
            hi_txt = "unbeschränkt" if hi >= GROSS else f"{hi:g}"
            engste = (breite, f"{lo:g} bis {hi_txt} ({_fmt_key(key)})")
        grund = _bewerte(m, v, lo, hi, ctx.schwelle)
        if grund is not None and lo < hi and _geheim(m, v):
            klein = verschobene_kleine(m, loesung, v, zeitlimit)
            if klein is not None:
                verschoben.append(
                    f"{_fmt_key(key)} ({lo:g} bis {hi:g}) = bekannte Zahl {klein[1]} "
                    f"{_fmt_key(m.keys[klein[0]])} (als „<{ctx.schwelle}“ gezeigt)"
                )
                grund = None
        if grund is None:
            continue
        sichtbar = m.sichtbar.get(v, [])
        if sichtbar:
            wege = [f"dieselbe Zahl ist sichtbar in {o}" for _, o in sichtbar[:2]]
        else:
            wege = loesung.beziehungen_je_var.get(v, [])
        wege_txt = "; ".join(wege[:3]) + (f" und {len(wege) - 3} weitere" if len(wege) > 3 else "")
        ort_txt = "; ".join(str(o) for o in orte[:2]) + (
            f" (und {len(orte) - 2} weitere Stellen)" if len(orte) > 2 else ""
        )
        befunde.append(
            Befund(
                f"Verborgene Zelle {ort_txt} ({_fmt_key(key)}) {grund}. Über: "
                f"{wege_txt or 'Schranken der Sperrzeichen'}.",
                key=key,
                bereich=(lo, hi),
                orte=orte,
                art="aufgedeckt" if lo == hi else "zu_eng",
            )
        )
    hinweise = list(loesung.widersprueche)
    if verschoben:
        hinweise.append(
            f"{anzahl(len(verschoben), 'verborgene Zahl', 'verborgene Zahlen')} mit engem "
            f"Bereich {'ist' if len(verschoben) == 1 else 'sind'} eine bekannte Zahl "
            "plus oder minus genau eine Zahl, die als kleine Zahl gezeigt ist: ihr Bereich ist "
            "deren Bereich, verschoben oder gespiegelt, und verrät nichts darüber hinaus "
            "(zulässig): "
            + "; ".join(verschoben[:5])
            + (f" und {len(verschoben) - 5} weitere" if len(verschoben) > 5 else "")
        )
    if leser.nicht_zugeordnet:
        hinweise.append(
            "Tabellen ohne bekannte Bedeutung (nur mit ihren eigenen Summen geprüft): "
            + "; ".join(sorted(set(leser.nicht_zugeordnet))[:10])
        )
    if n := leser.modellwerte_verborgen:
        hinweise.append(
            f"{anzahl(n, 'verborgener Modellwert/Anteil', 'verborgene Modellwerte/Anteile')} "
            f"(Stellen, Anteile, Versorgungsgrade, Plätze) {'wurde' if n == 1 else 'wurden'} "
            "nicht einzeln bewertet; ob "
            "gezeigte Modellwerte verborgenen Zahlen folgen, prüft die Differenzprüfung von "
            "`thm pruefen`."
        )
    return AuditErgebnis(
        befunde=befunde,
        hinweise=hinweise,
        zellen=leser.zellen,
        verborgen=leser.verborgen_zellen,
        groessen=len(m.verborgen),
        engster_bereich=engste[1] if engste else "–",
        engste_werte=None if engste is None else int(engste[0]) + 1,
        sekunden=time.perf_counter() - start,
        bereiche={m.keys[v]: b for v, b in loesung.bereiche.items()},
        beziehungen=len(m.beziehungen),
        gezeigt={
            key: _gezeigt_text(m.sichtbar[v][0][0]) if m.sichtbar.get(v) else GESPERRT
            for v, key in enumerate(m.keys)
            if m.sichtbar.get(v) or m.verborgen.get(v)
        },
    )


def audit_run(
    kreis_dir: str | Path,
    arbeitsmappe: str | Path | None = None,
    *,
    ws: Workspace | None = None,
    zeitlimit: float = 10.0,
    vorgelesen: Mapping[str, Vorlesung] | None = None,
) -> AuditErgebnis:
    """Audit every published output of a batch run folder (``reports/<kreis>/``).

    Parameters
    ----------
    kreis_dir : str or Path
        The folder handed to the Bündniskerngruppe (e.g. a staging folder
        before it is swapped in).
    arbeitsmappe : str or Path, optional
        The Arbeitsmappe of the run (settings and names only). Not needed
        when ``ws`` is given.
    ws : Workspace, optional
        The loaded Arbeitsmappe.
    zeitlimit : float
        Seconds per single integer-program solve.
    vorgelesen : mapping, optional
        Files already read where they were written (:func:`vorlesen`), by
        name relative to ``kreis_dir``; used only while unchanged.

    Returns
    -------
    AuditErgebnis
        ``ok`` False when a hidden cell is too narrowly determined or an
        internal file is in the folder; ``befunde`` name each cell, file and
        relation in German.

    Raises
    ------
    DataError
        When the Arbeitsmappe cannot be read or ``kreis_dir`` is no folder.
    """

    kreis_dir = Path(kreis_dir)
    if not kreis_dir.is_dir():
        raise DataError(
            [
                Problem(
                    str(kreis_dir),
                    "Ordner nicht gefunden",
                    "Den Ordner eines Laufs angeben, z. B. reports/<kreis>.",
                )
            ]
        )
    if ws is None:
        if arbeitsmappe is None:
            raise ValueError("arbeitsmappe or ws is required")

        ws = load_workspace(arbeitsmappe)
    ctx = kontext_aus(ws)
    lesung = lese_ordner(kreis_dir, ctx.symbol, vorgelesen=vorgelesen)
    ergebnis = pruefe_lesung(lesung, ctx, zeitlimit)
    ergebnis.befunde += schutz_befunde(kreis_dir, lesung.dateien, ws, ctx.schwelle, vorgelesen)
    return ergebnis


def _pseudonyme(ids: list[str], path: Path, name: str, schwelle: int) -> list[str]:
    """German findings of case pseudonyms in one file (the privacy guard's scan)."""
    if not ids:
        return []
    return [
        "Datenschutzprüfung: " + str(f).replace(f.path.name, name, 1)
        for f in scan_file(path, ids, threshold=schwelle)
        if f.kind == PSEUDONYM
    ]


def _fall_ids(ws: Workspace) -> list[str]:
    faelle = getattr(ws, "faelle", None)
    return [] if faelle is None else list(faelle["fall_id"])


def schutz_befunde(
    kreis_dir: Path,
    dateien: list[str],
    ws: Workspace,
    schwelle: int,
    vorgelesen: Mapping[str, Vorlesung] | None = None,
) -> list[Befund]:
    """Case pseudonyms anywhere in the audited files (:mod:`~thm_lib.disclosure.privacy`).

    Small counts in tables the audit cannot read as the project's are found
    by the audit itself (``Leser.ungedeutet``), with the same column rule as
    the privacy guard. A file of ``vorgelesen`` whose bytes did not change was
    scanned where it was written.
    """
    ids = _fall_ids(ws)
    out = []
    for name in dateien:
        path = kreis_dir / name
        vor = (vorgelesen or {}).get(name)
        if vor is not None and vor.pruefsumme == datei_pruefsumme(path):
            texte = vor.pseudonyme
        else:
            texte = _pseudonyme(ids, path, name, schwelle)
        out += [Befund(text, art=PSEUDONYM) for text in texte]
    return out


def vorlesen(
    ordner: Path, praefix: str, ws: Workspace, symbol: str, schwelle: int
) -> dict[str, Vorlesung]:
    """Read the published files of one report folder ahead, where they were written.

    A batch worker calls this for its report; the run's audit
    (:func:`audit_run`) then reads only files that changed since. ``praefix``
    is the folder's name relative to the audited folder (the report key);
    ``ws`` is the whole Kreis (its case pseudonyms), ``symbol`` and
    ``schwelle`` those of the audit (:func:`~thm_lib.disclosure.audit_deutung.kontext_aus`).
    """
    ids = _fall_ids(ws)
    out = {}
    for path, rel in veroeffentlichte_dateien(ordner, ohne=()):
        if path.suffix.lower() not in (".html", ".htm", ".xlsx"):
            continue
        name = f"{praefix}/{rel}"
        pruef = datei_pruefsumme(path)
        tabellen, fehler = lese_datei(path, name, symbol)
        out[name] = Vorlesung(pruef, tabellen, fehler, _pseudonyme(ids, path, name, schwelle))
    return out
