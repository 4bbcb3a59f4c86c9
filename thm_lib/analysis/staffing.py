"""Stellenbemessung: three estimates of the positions (VZÄ) a Kommune needs.

1. **FAQ rule** of the programme (THM Förderbaustein 6 by default): persons of
   the counted statuses and ages at the Stichtag of the first application
   (the count "freezes"), divided by the key; a Kommune with a
   Geschäftsführende Stelle gets at least the minimum; from the full-position
   threshold on at least one full position. The result may be rounded
   (``annahmen.stellen.rundung``: none, 0.05 or 0.5; half up); the output
   names the rule that produced the number.
2. **Caseload model**: clients = persons of the statuses the reach rate
   refers to (``annahmen.stellen.erreichung_status``, default ``duldung``:
   the 0.47 is 400 cases per about 850 *Geduldete* in Köln, KOKIP) aged
   ``annahmen.zielgruppe.alter_min..alter_max`` at the analysis Stichtag ×
   reach rate; case positions = clients / caseload; plus a steering share per
   case position.
3. **Workload model**: cases × hours per case and year / net annual working
   hours per FTE, plus the same steering share. Cases default to the
   caseload model's clients; hours per case default to net hours / caseload
   (so both models agree until local time data is entered).

All functions are pure: DataFrames and mappings in, numbers and DataFrames
out. Rules come from ``Workspace.programm`` (section ``zaehlung`` and
``stellenregel``), assumptions from ``Workspace.annahmen.stellen``; the
defaults and their sources are in ``docs/annahmen.md``.

Target-group rows given as age bands that straddle the counted ages are
split assuming the persons are spread evenly over the band's years (the same
assumption as :mod:`thm_lib.analysis.target_group`); placeholders (``anzahl`` NA) are
left out and reported in the ``hinweis`` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis.target_group import select_stichtag
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import anzahl, kurz
from thm_lib.core.labels import EBENE_GEMEINDE, EBENE_KREIS, STATUS_LABEL
from thm_lib.core.settings import Stellen
from thm_lib.core.workspace import Workspace

RUNDUNG = (None, 0.05, 0.5)
"""Allowed rounding steps of positions (``stellen.rundung``; None = no rounding)."""
REGEL_SCHLUESSEL = "schluessel"
REGEL_MINDEST = "mindeststellen"
REGEL_VOLL = "volle_stelle"


# --------------------------------------------------------------------------- counting


def count_persons(
    zielgruppe: pd.DataFrame, status: Iterable[str], alter_min: int, alter_max: int
) -> pd.DataFrame:
    """Persons of the given statuses aged ``alter_min``..``alter_max`` inclusive, per ags.

    Parameters
    ----------
    zielgruppe : pandas.DataFrame
        Rows of one Stichtag per ags (``ags``, ``status``, ``alter_von``,
        ``alter_bis``, ``anzahl``).
    status : iterable of str
        Statuses to count.
    alter_min, alter_max : int
        Inclusive age range.

    Returns
    -------
    pandas.DataFrame
        Index ``ags``; columns ``personen`` (float; bands straddling the range
        are split evenly over their years) and ``platzhalter`` (number of rows
        whose ``anzahl`` was missing and is left out).
    """
    zg = zielgruppe[zielgruppe["status"].isin(list(status))]
    von = zg["alter_von"].astype("float64").to_numpy()
    bis = zg["alter_bis"].astype("float64").to_numpy()
    overlap = np.clip(np.minimum(bis, alter_max) - np.maximum(von, alter_min) + 1, 0, None)
    share = overlap / (bis - von + 1)
    anzahl = zg["anzahl"].astype("Float64")
    missing = anzahl.isna() & (share > 0)
    persons = anzahl.fillna(0).to_numpy(dtype="float64") * share
    out = pd.DataFrame(
        {
            "ags": zg["ags"].to_numpy(),
            "personen": persons,
            "platzhalter": missing.to_numpy(dtype="int64"),
        }
    )
    return out.groupby("ags").sum()


# --------------------------------------------------------------------------- FAQ rule


@dataclass(frozen=True)
class FaqErgebnis:
    """Result of the FAQ staffing rule for one applicant.

    Attributes
    ----------
    personen : float
        The counted persons (basis).
    stellen_rechnerisch : float
        ``personen / schluessel`` before minimum, threshold and rounding.
    stellen : float
        The positions the rule gives.
    regel : str
        ``schluessel``, ``mindeststellen`` or ``volle_stelle``: the rule that set
        the number (ties go to the key).
    begruendung : str
        The same in German, with the numbers.
    """

    personen: float
    stellen_rechnerisch: float
    stellen: float
    regel: str
    begruendung: str


def runde_stellen(stellen: float, rundung: float | str | None) -> float:
    """Round positions half up to a step of 0.05 or 0.5; ``None``/"keine": unchanged.

    Decimal arithmetic avoids binary artefacts (0.725 → 0.75, not 0.7).

    Examples
    --------
    >>> runde_stellen(0.74, 0.5), runde_stellen(0.75, 0.5), runde_stellen(1.024, 0.05)
    (0.5, 1.0, 1.0)
    """
    if rundung is None or rundung == "keine":
        return float(stellen)
    if rundung not in RUNDUNG:
        raise DataError(
            [
                Problem(
                    "annahmen.yaml",
                    "erlaubt: keine (leer), 0.05, 0.5",
                    spalte="stellen.rundung",
                    wert=str(rundung),
                )
            ]
        )
    step = Decimal(str(rundung))
    n = (Decimal(repr(float(stellen))) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(n * step)


def faq_stellen(
    personen: float,
    stellenregel: Mapping[str, Any],
    geschaeftsfuehrende_stelle: bool,
    rundung: float | str | None = None,
) -> FaqErgebnis:
    """Apply the programme's staffing rule (FAQ Förderbaustein 6) to a count.

    Parameters
    ----------
    personen : float
        Counted persons (for THM: geduldete, 18–27, at the first application).
    stellenregel : mapping
        ``programm["stellenregel"]``: ``schluessel``, ``mindeststellen``,
        ``mindeststellen_nur_mit_gs``, ``volle_stelle_ab``, ``volle_stelle``.
    geschaeftsfuehrende_stelle : bool
        Whether the applicant has a Geschäftsführende Stelle.
    rundung : {None, "keine", 0.05, 0.5}
        Rounding of the result (half up).

    Returns
    -------
    FaqErgebnis

    Examples
    --------
    >>> regel = {"schluessel": 100, "mindeststellen": 0.5, "mindeststellen_nur_mit_gs": True,
    ...          "volle_stelle_ab": 75, "volle_stelle": 1.0}
    >>> faq_stellen(74, regel, True).stellen, faq_stellen(75, regel, True).regel
    (0.74, 'volle_stelle')
    """
    key = float(stellenregel["schluessel"])
    rechnerisch = float(personen) / key
    stellen, regel = rechnerisch, REGEL_SCHLUESSEL
    text = f"Schlüssel 1:{kurz(key)}: {kurz(float(personen))} / {kurz(key)}"
    ab, voll = stellenregel.get("volle_stelle_ab"), float(stellenregel.get("volle_stelle", 1.0))
    if ab is not None and personen >= ab and voll > stellen:
        stellen, regel = voll, REGEL_VOLL
        text = f"volle Stelle ab {kurz(float(ab))} Personen"
    minimum = stellenregel.get("mindeststellen")
    gs_ok = geschaeftsfuehrende_stelle or not stellenregel.get("mindeststellen_nur_mit_gs", True)
    if minimum is not None and gs_ok and minimum > stellen:
        stellen, regel = float(minimum), REGEL_MINDEST
        text = f"Mindestanteil {kurz(float(minimum))} Stelle"
        if stellenregel.get("mindeststellen_nur_mit_gs", True):
            text += " (Geschäftsführende Stelle)"
    gerundet = runde_stellen(stellen, rundung)
    if gerundet != stellen:
        text += f", gerundet auf {kurz(float(rundung))}"  # type: ignore[arg-type]
    return FaqErgebnis(float(personen), rechnerisch, gerundet, regel, text)


def stellenregel_text(programm: Mapping[str, Any]) -> str:
    """The programme's staffing rule in German (``programm.yaml``: ``name``, ``zaehlung``,
    ``stellenregel``), as :func:`faq_stellen` applies it.

    Examples
    --------
    >>> from thm_lib.core.programme import default_programm
    >>> print(stellenregel_text(default_programm("kim")))
    Stellenschlüssel des Programms „Case Management (KIM-ähnliches Beispiel)“: 1 Stelle je \
150 Personen (Duldung, Aufenthaltsgestattung, Sonstige; 18 bis einschließlich 64 Jahre); \
gezählt am Auswertungsstichtag.
    """
    z, r = programm["zaehlung"], programm["stellenregel"]
    status = ", ".join(STATUS_LABEL.get(s, s) for s in z["status"])
    teile = [
        f"Stellenschlüssel des Programms „{programm['name']}“: 1 Stelle je "
        f"{kurz(float(r['schluessel']))} "
        f"Personen ({status}; {z['alter_min']} bis einschließlich {z['alter_max']} Jahre)"
    ]
    if r.get("mindeststellen") is not None:
        mindest = f"mindestens {kurz(float(r['mindeststellen']))} Stelle"
        if r.get("mindeststellen_nur_mit_gs", True):
            mindest += " mit Geschäftsführender Stelle"
        teile.append(mindest)
    if r.get("volle_stelle_ab") is not None:
        teile.append(
            f"ab {kurz(float(r['volle_stelle_ab']))} Personen "
            f"{kurz(float(r.get('volle_stelle', 1.0)))} Stelle"
        )
    teile.append(
        "gezählt bei der ersten Antragstellung (die Zahl bleibt danach stehen)"
        if z.get("einfrieren")
        else "gezählt am Auswertungsstichtag"
    )
    return "; ".join(teile) + "."


# --------------------------------------------------------------------------- models


def _mit_steuerung(fallstellen: float, steuerungsanteil: float) -> dict[str, float]:
    """Case positions plus the steering share on top (Köln: 1.0 steering per 4.0 case)."""
    steuerung = fallstellen * float(steuerungsanteil)
    return {"fallstellen": fallstellen, "steuerung": steuerung, "stellen": fallstellen + steuerung}


def fallzahl_stellen(
    personen: float, erreichungsquote: float, betreuungsschluessel: float, steuerungsanteil: float
) -> dict[str, float]:
    """Caseload model: positions from the expected number of clients.

    Returns
    -------
    dict
        ``klienten`` = personen × erreichungsquote; ``fallstellen`` = klienten /
        betreuungsschluessel; ``steuerung`` = fallstellen × steuerungsanteil;
        ``stellen`` = fallstellen + steuerung.

    Examples
    --------
    >>> fallzahl_stellen(850, 400 / 850, 100, 0.25)["stellen"]
    5.0
    """
    klienten = float(personen) * float(erreichungsquote)
    return {
        "klienten": klienten,
        **_mit_steuerung(klienten / float(betreuungsschluessel), steuerungsanteil),
    }


def arbeitszeit_stellen(
    faelle: float,
    stunden_je_fall: float,
    netto_jahresarbeitsstunden: float,
    steuerungsanteil: float,
) -> dict[str, float]:
    """Workload model: positions from case hours per year.

    Returns
    -------
    dict
        ``stunden`` = faelle × stunden_je_fall; ``fallstellen`` = stunden /
        netto_jahresarbeitsstunden; ``steuerung``; ``stellen``.

    Examples
    --------
    >>> arbeitszeit_stellen(400, 40, 1600, 0.25)["stellen"]
    12.5
    """
    stunden = float(faelle) * float(stunden_je_fall)
    return {
        "stunden": stunden,
        **_mit_steuerung(stunden / float(netto_jahresarbeitsstunden), steuerungsanteil),
    }


def status_woerter(status: Iterable[str]) -> str:
    """German words for statuses, e.g. the ones the reach rate refers to.

    Examples
    --------
    >>> status_woerter(["duldung", "gestattung"])
    'Duldung, Aufenthaltsgestattung'
    """
    return ", ".join(STATUS_LABEL.get(s, s) for s in status)


def stunden_je_fall(stellen: Stellen) -> float:
    """Configured hours per case and year; if empty, net hours / caseload."""
    if stellen.stunden_je_fall is None:
        return float(stellen.netto_jahresarbeitsstunden) / float(stellen.betreuungsschluessel)
    return float(stellen.stunden_je_fall)


# --------------------------------------------------------------------------- table


def _kreis_ags(ws: Workspace) -> str:
    configured = ws.annahmen.kreis.ags
    if configured:
        return str(configured)
    prefixes = {str(a)[:5] for a in ws.gebiete["ags"]}
    return prefixes.pop() if len(prefixes) == 1 else "kreis"


def ist_kreisfrei(ags: str) -> bool:
    """True for a kreisfreie Stadt: its 8-digit AGS ends in ``000`` (FACTS.md, AGS).

    Examples
    --------
    >>> ist_kreisfrei("05315000"), ist_kreisfrei("05899004")
    (True, False)
    """
    return len(str(ags)) == 8 and str(ags).endswith("000")


def nur_ein_antragsteller(ws: Workspace) -> bool:
    """True for a kreisfreie Stadt: one Gemeinde whose AGS ends in ``000``.

    The city is one applicant (DESIGN.md): its report is the one of the whole
    Arbeitsmappe, not a Kreis report plus a Gemeinde report, and the apps offer
    it once, by its name.
    """
    ags = list(ws.gebiete["ags"])
    return len(ags) == 1 and ist_kreisfrei(str(ags[0]))


def antragsteller(ws: Workspace) -> list[dict[str, Any]]:
    """Gemeinden (from ``ws.kommunen``) and the Kreis as one applicant, with their settings.

    A Gemeinde applies itself (``eigener_antrag``) when it has its own
    Geschäftsführende Stelle or is a kreisfreie Stadt. Nobody is counted for
    two applicants (DESIGN.md, "Applicants"): the Kreis row covers only the
    other Gemeinden. A Workspace of one kreisfreie Stadt has no Kreis row (the
    city is the one applicant; a flag set in ``kommunen`` or in ``annahmen.kreis``
    holds, funded positions come from ``kommunen``, else from ``annahmen.kreis``),
    and neither has a Workspace limited to one Gemeinde.

    Returns
    -------
    list of dict
        One per Gemeinde (``ebene`` :data:`EBENE_GEMEINDE`), then the Kreis
        (:data:`EBENE_KREIS`) where there is one: ``ags``, ``name``, ``ebene``,
        ``gemeinden`` (the AGS it counts), ``geschaeftsfuehrende_stelle``,
        ``haushaltssicherung``, ``eigener_antrag``, ``stellen_bestand`` and
        ``stichtag_erstantrag``; the Kreis also ``ohne`` (the names of the
        Gemeinden that apply themselves).
    """
    kreis = ws.annahmen.kreis
    kreis_erstantrag = kreis.stichtag_erstantrag
    kreis_erstantrag = pd.Timestamp(kreis_erstantrag) if kreis_erstantrag else pd.NaT
    names = dict(zip(ws.gebiete["ags"], ws.gebiete["name"], strict=False))
    nur_stadt = nur_ein_antragsteller(ws)
    fallback = {
        "geschaeftsfuehrende_stelle": kreis.geschaeftsfuehrende_stelle if nur_stadt else False,
        "haushaltssicherung": kreis.haushaltssicherung if nur_stadt else False,
        "stellen_bestand": kreis.stellen_bestand if nur_stadt else None,
    }
    out = []
    kom = ws.kommunen.set_index("ags") if len(ws.kommunen) else None
    for ags in ws.gebiete["ags"]:
        row = kom.loc[ags] if kom is not None and ags in kom.index else None

        def get(col: str, default: Any, row: Any = row) -> Any:
            return default if row is None or col not in row or pd.isna(row[col]) else row[col]

        erst = get("stichtag_erstantrag", pd.NaT)
        # io fills missing flags with False: a kreisfreie Stadt's flags set in either place
        gs = (
            bool(get("geschaeftsfuehrende_stelle", False)) or fallback["geschaeftsfuehrende_stelle"]
        )
        hsk = bool(get("haushaltssicherung", False)) or fallback["haushaltssicherung"]
        bestand = get("stellen_bestand", fallback["stellen_bestand"])
        out.append(
            {
                "ags": ags,
                "name": names[ags],
                "ebene": EBENE_GEMEINDE,
                "gemeinden": [ags],
                "geschaeftsfuehrende_stelle": gs,
                "haushaltssicherung": hsk,
                "eigener_antrag": gs or ist_kreisfrei(ags),
                "stellen_bestand": np.nan if bestand is None else float(bestand),
                "stichtag_erstantrag": kreis_erstantrag if pd.isna(erst) else pd.Timestamp(erst),
            }
        )
    if getattr(ws, "kommune", None) is not None or nur_stadt:
        return out  # one Gemeinde or one kreisfreie Stadt: no Kreis row
    covered = [a for a in out if not a["eigener_antrag"]]
    bestand = kreis.stellen_bestand
    if bestand is None:
        given = [a["stellen_bestand"] for a in covered if not np.isnan(a["stellen_bestand"])]
        bestand = sum(given) if given else np.nan
    out.append(
        {
            "ags": _kreis_ags(ws),
            "name": ws.name,
            "ebene": EBENE_KREIS,
            "gemeinden": [a["ags"] for a in covered],
            "ohne": [a["name"] for a in out if a["eigener_antrag"]],
            "geschaeftsfuehrende_stelle": kreis.geschaeftsfuehrende_stelle,
            "haushaltssicherung": kreis.haushaltssicherung,
            "eigener_antrag": True,
            "stellen_bestand": float(bestand),
            "stichtag_erstantrag": kreis_erstantrag,
        }
    )
    return out


def _je_gemeinde(
    zielgruppe: pd.DataFrame,
    target: pd.Timestamp | None,
    status: Iterable[str],
    lo: int,
    hi: int,
) -> pd.DataFrame:
    """Persons, placeholder rows and Stichtag per Gemeinde, each at its Stichtag for ``target``."""
    if zielgruppe.empty:
        return pd.DataFrame(columns=["personen", "platzhalter", "stichtag"])
    rows = select_stichtag(zielgruppe, target)
    tage = pd.to_datetime(rows["stichtag"]).groupby(rows["ags"].astype(str)).max()
    counted = count_persons(rows, list(status), lo, hi)
    counted.index = counted.index.astype(str)
    out = counted.reindex(tage.index).fillna({"personen": 0.0, "platzhalter": 0})
    out["stichtag"] = tage
    return out


def _count_at(je_gemeinde: pd.DataFrame, gemeinden: list[str]) -> tuple[float, int, Any]:
    """Sum of persons and placeholders over ``gemeinden``, and the latest of their Stichtage."""
    rows = je_gemeinde[je_gemeinde.index.isin([str(a) for a in gemeinden])]
    if rows.empty:
        return 0.0, 0, None
    return (
        float(rows["personen"].sum()),
        int(rows["platzhalter"].sum()),
        pd.Timestamp(rows["stichtag"].max()),
    )


def neu_bemessen(zeile: pd.Series, stellen: Stellen) -> pd.Series:
    """A row of :func:`stellenbemessung` under other staffing assumptions.

    The caseload and workload models are recomputed from the row's
    ``fallzahl_personen`` with ``stellen`` (key, reach rate, hours per case,
    steering share); the FAQ rule does not depend on them and is kept. A
    missing count (NaN, e.g. hidden by the publication layer) gives NaN
    positions. The workload model counts the expected clients as cases, as
    :func:`stellenbemessung` does without ``faelle``.

    Parameters
    ----------
    zeile : pandas.Series
        One row of :func:`stellenbemessung`.
    stellen : Stellen
        The assumptions ``annahmen.stellen`` to apply.

    Returns
    -------
    pandas.Series
        A copy of ``zeile`` with the caseload and workload columns recomputed.
    """
    fz = fallzahl_stellen(
        zeile["fallzahl_personen"],
        stellen.erreichungsquote,
        stellen.betreuungsschluessel,
        stellen.steuerungsanteil,
    )
    h_je_fall = stunden_je_fall(stellen)
    az = arbeitszeit_stellen(
        fz["klienten"], h_je_fall, stellen.netto_jahresarbeitsstunden, stellen.steuerungsanteil
    )
    bestand = zeile["stellen_bestand"]
    neu = {
        "erreichungsquote": float(stellen.erreichungsquote),
        "fallzahl_klienten": fz["klienten"],
        "betreuungsschluessel": float(stellen.betreuungsschluessel),
        "fallzahl_fallstellen": fz["fallstellen"],
        "fallzahl_steuerung": fz["steuerung"],
        "fallzahl_stellen": fz["stellen"],
        "arbeitszeit_faelle": fz["klienten"],
        "stunden_je_fall": h_je_fall,
        "netto_jahresarbeitsstunden": float(stellen.netto_jahresarbeitsstunden),
        "arbeitszeit_fallstellen": az["fallstellen"],
        "arbeitszeit_steuerung": az["steuerung"],
        "arbeitszeit_stellen": az["stellen"],
        "steuerungsanteil": float(stellen.steuerungsanteil),
        "differenz_fallzahl": fz["stellen"] - bestand,
        "differenz_arbeitszeit": az["stellen"] - bestand,
    }
    out = zeile.copy()
    for spalte, wert in neu.items():
        out[spalte] = wert
    return out


def stellenbemessung(
    ws: Workspace, *, einfrieren: bool | None = None, faelle: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """The three staffing estimates per Gemeinde and for the Kreis as a whole.

    Parameters
    ----------
    ws : Workspace
        Uses ``zielgruppe``, ``gebiete``, ``kommunen``, ``annahmen``, ``programm``.
    einfrieren : bool, optional
        Count for the FAQ rule at the Stichtag of the first application
        (``kommunen.stichtag_erstantrag``, else ``annahmen.kreis.
        stichtag_erstantrag``). ``None``: as the programme says
        (``zaehlung.einfrieren``); ``False``: at the analysis Stichtag.
    faelle : mapping ags -> float, optional
        Cases per year for the workload model (e.g. from the case records);
        default: the caseload model's expected clients.

    Returns
    -------
    pandas.DataFrame
        One row per Gemeinde plus one row ``ebene == "kreis"`` (the Kreis as
        one applicant: the FAQ rule is applied once to the summed count of
        the Gemeinden that do not apply themselves, so it is not the sum of
        the Gemeinde rows; omitted for a Workspace from ``for_kommune`` and
        for a single kreisfreie Stadt). Columns: ``ags``, ``name``,
        ``ebene``, ``geschaeftsfuehrende_stelle``, ``haushaltssicherung``,
        ``antragsberechtigt`` (False when the programme admits only Kommunen
        with a Geschäftsführende Stelle and this one has none),
        ``eigener_antrag`` (the Gemeinde applies itself: own Geschäftsführende
        Stelle or kreisfreie Stadt; then the Kreis row leaves it out), FAQ rule
        ``faq_stichtag`` (the latest Stichtag of the counts used), ``faq_ziel``
        (the date they are counted for: first application or analysis
        Stichtag), ``faq_eingefroren``, ``faq_personen``,
        ``faq_stellen_rechnerisch``, ``faq_stellen``, ``faq_regel``,
        ``faq_begruendung``; caseload ``stichtag``, ``fallzahl_personen``
        (persons of ``stellen.erreichung_status`` in the target ages),
        ``erreichungsquote``, ``erreichung_status`` (comma-joined),
        ``fallzahl_klienten``, ``betreuungsschluessel``,
        ``fallzahl_fallstellen``, ``fallzahl_steuerung``, ``fallzahl_stellen``;
        workload ``arbeitszeit_faelle``, ``stunden_je_fall``,
        ``netto_jahresarbeitsstunden``, ``arbeitszeit_fallstellen``,
        ``arbeitszeit_steuerung``, ``arbeitszeit_stellen``; ``steuerungsanteil``,
        ``stellen_bestand`` (NaN = unknown) and ``differenz_faq``,
        ``differenz_fallzahl``, ``differenz_arbeitszeit`` (estimate minus
        funded positions), ``hinweis`` (German notes).
    """
    st = ws.annahmen.stellen
    programm = ws.programm
    zaehl, regel = programm["zaehlung"], programm["stellenregel"]
    zg_cfg = ws.annahmen.zielgruppe
    freeze = zaehl.get("einfrieren", True) if einfrieren is None else einfrieren
    analyse = ws.stichtag
    h_je_fall = stunden_je_fall(st)
    zaehlungen: dict[tuple, pd.DataFrame] = {}

    def zaehlung(target: Any, status: Iterable[str], lo: int, hi: int) -> pd.DataFrame:
        key = (target, tuple(status), lo, hi)
        if key not in zaehlungen:
            zaehlungen[key] = _je_gemeinde(ws.zielgruppe, target, status, lo, hi)
        return zaehlungen[key]

    rows = []
    for app in antragsteller(ws):
        notes = []
        target = app["stichtag_erstantrag"] if freeze else analyse
        if freeze and pd.isna(target):
            target = analyse
            notes.append("Stichtag des Erstantrags unbekannt: Auswertungsstichtag verwendet")
        faq_n, ph1, faq_tag = _count_at(
            zaehlung(target, zaehl["status"], zaehl["alter_min"], zaehl["alter_max"]),
            app["gemeinden"],
        )
        if faq_tag is not None and not pd.isna(target) and faq_tag > target:
            notes.append("keine Zählung vor dem Stichtag des Erstantrags: früheste verwendet")
        faq = faq_stellen(faq_n, regel, app["geschaeftsfuehrende_stelle"], st.rundung)
        fz_n, ph2, tag = _count_at(
            zaehlung(analyse, st.erreichung_status, zg_cfg.alter_min, zg_cfg.alter_max),
            app["gemeinden"],
        )
        fz = fallzahl_stellen(
            fz_n, st.erreichungsquote, st.betreuungsschluessel, st.steuerungsanteil
        )
        if faelle is not None and app["ebene"] == EBENE_GEMEINDE and app["ags"] in faelle:
            n_faelle = float(faelle[app["ags"]])
        elif (
            faelle is not None
            and app["ebene"] == EBENE_KREIS
            and any(a in faelle for a in app["gemeinden"])
        ):
            n_faelle = float(sum(faelle.get(a, 0.0) for a in app["gemeinden"]))
        else:
            n_faelle = fz["klienten"]
        az = arbeitszeit_stellen(
            n_faelle, h_je_fall, st.netto_jahresarbeitsstunden, st.steuerungsanteil
        )
        if ph1 or ph2:
            zeilen = anzahl(max(ph1, ph2), "Zeile", "Zeilen")
            notes.append(f"{zeilen} ohne Anzahl (Platzhalter) nicht gezählt")
        berechtigt = app["geschaeftsfuehrende_stelle"] or not programm["foerderung"].get(
            "antrag_nur_mit_gs", False
        )
        if not berechtigt:
            notes.append("ohne Geschäftsführende Stelle nicht selbst antragsberechtigt")
        if app.get("ohne"):
            notes.append("ohne die selbst antragstellenden Gemeinden: " + ", ".join(app["ohne"]))
        if app["ebene"] == EBENE_KREIS and not app["gemeinden"]:
            notes.append("alle Gemeinden beantragen selbst: der Kreis zählt niemanden")
        bestand = app["stellen_bestand"]
        rows.append(
            {
                "ags": app["ags"],
                "name": app["name"],
                "ebene": app["ebene"],
                "geschaeftsfuehrende_stelle": app["geschaeftsfuehrende_stelle"],
                "haushaltssicherung": app["haushaltssicherung"],
                "antragsberechtigt": berechtigt,
                "eigener_antrag": app["eigener_antrag"],
                "faq_stichtag": faq_tag,
                "faq_ziel": target,
                "faq_eingefroren": bool(freeze),
                "faq_personen": faq.personen,
                "faq_stellen_rechnerisch": faq.stellen_rechnerisch,
                "faq_stellen": faq.stellen,
                "faq_regel": faq.regel,
                "faq_begruendung": faq.begruendung,
                "stichtag": tag,
                "fallzahl_personen": fz_n,
                "erreichungsquote": float(st.erreichungsquote),
                "erreichung_status": ", ".join(st.erreichung_status),
                "fallzahl_klienten": fz["klienten"],
                "betreuungsschluessel": float(st.betreuungsschluessel),
                "fallzahl_fallstellen": fz["fallstellen"],
                "fallzahl_steuerung": fz["steuerung"],
                "fallzahl_stellen": fz["stellen"],
                "arbeitszeit_faelle": n_faelle,
                "stunden_je_fall": h_je_fall,
                "netto_jahresarbeitsstunden": float(st.netto_jahresarbeitsstunden),
                "arbeitszeit_fallstellen": az["fallstellen"],
                "arbeitszeit_steuerung": az["steuerung"],
                "arbeitszeit_stellen": az["stellen"],
                "steuerungsanteil": float(st.steuerungsanteil),
                "stellen_bestand": bestand,
                "differenz_faq": faq.stellen - bestand,
                "differenz_fallzahl": fz["stellen"] - bestand,
                "differenz_arbeitszeit": az["stellen"] - bestand,
                "hinweis": "; ".join(notes),
            }
        )
    out = pd.DataFrame(rows)
    for col in ("faq_stichtag", "stichtag"):
        out[col] = pd.to_datetime(out[col])
    return out
