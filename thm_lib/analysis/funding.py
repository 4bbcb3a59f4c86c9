"""Finanzierungsplan: costs, grant and own share per budget year, pro rata by month.

For positions ``stellen`` (VZÄ) over the programme's funding period:

- personnel costs = stellen × personnel cost per FTE and year (by pay grade,
  ``annahmen.finanzierung.personalkosten_je_vzae``) × months / 12;
- workplace/material costs = stellen × ``sachkosten_je_vzae`` (or the
  surcharge ``sachkostenzuschlag`` × personnel costs) × months / 12;
- eligible costs = the cost types the programme lists in
  ``foerderung.foerderfaehig`` (THM: personnel only);
- grant = eligible × rate (``foerdersatz_haushaltssicherung`` for a
  Haushaltssicherungskommune, else ``foerdersatz``), capped by
  ``hoechstbetrag_je_vzae_jahr`` (per FTE) and ``hoechstbetrag_jahr`` (per
  applicant), both pro rata by month;
- own share = eligible − grant, plus the non-eligible costs.

Months are calendar months; a period starting or ending within a month counts
that month by its share of days. Every amount is linear in the months, so the
years add up to the whole-period total (tested as a property).
The period of an open-ended programme is ``annahmen.finanzierung.planungsjahre``
years from its start. Defaults and sources: ``docs/annahmen.md``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis.staffing import stellenbemessung
from thm_lib.core.errors import DataError, Problem
from thm_lib.core.formats import prozent, zahl
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import Workspace

MONATE_JAHR = 12
BETRAG_SPALTEN = (
    "personalkosten",
    "sachkosten",
    "foerderfaehig",
    "zuwendung",
    "eigenanteil_foerderfaehig",
    "nicht_foerderfaehig",
    "eigenanteil",
    "gesamtkosten",
)


# --------------------------------------------------------------------------- months


def _date(value: Any) -> dt.date:
    return pd.Timestamp(value).date()


def _month_share(day_from: dt.date, day_to: dt.date) -> float:
    """Share of one calendar month covered by ``day_from``..``day_to`` (same month)."""
    days = pd.Timestamp(day_from).days_in_month
    return ((day_to - day_from).days + 1) / days


def monate(beginn: Any, ende: Any) -> float:
    """Calendar months from ``beginn`` to ``ende`` inclusive (partial months by days).

    Examples
    --------
    >>> monate("2019-11-01", "2022-06-30")
    32.0
    >>> monate("2020-02-01", "2020-02-29")
    1.0
    """
    b, e = _date(beginn), _date(ende)
    if e < b:
        return 0.0
    if (b.year, b.month) == (e.year, e.month):
        return _month_share(b, e)
    first_end = (pd.Timestamp(b) + pd.offsets.MonthEnd(0)).date()
    last_start = e.replace(day=1)
    full = (last_start.year - b.year) * MONATE_JAHR + last_start.month - b.month - 1
    return _month_share(b, first_end) + full + _month_share(last_start, e)


def monate_je_jahr(beginn: Any, ende: Any) -> pd.Series:
    """Months per budget (calendar) year from ``beginn`` to ``ende`` inclusive.

    Returns
    -------
    pandas.Series
        Index ``jahr`` (int), values months (float); empty if ``ende < beginn``.

    Examples
    --------
    >>> monate_je_jahr("2019-11-01", "2022-06-30").to_dict()
    {2019: 2.0, 2020: 12.0, 2021: 12.0, 2022: 6.0}
    """
    b, e = _date(beginn), _date(ende)
    years = range(b.year, e.year + 1) if e >= b else range(0)
    values = {y: monate(max(b, dt.date(y, 1, 1)), min(e, dt.date(y, 12, 31))) for y in years}
    return pd.Series(values, dtype="float64").rename_axis("jahr").rename("monate")


def foerderzeitraum(
    programm: Mapping[str, Any], annahmen: Annahmen, beginn: Any = None, ende: Any = None
) -> tuple[dt.date, dt.date]:
    """The period to plan: the programme's period, cut to ``beginn``/``ende`` if given.

    An open-ended programme runs ``annahmen.finanzierung.planungsjahre`` years.
    """
    z = programm["zeitraum"]
    p_beginn = _date(z["beginn"])
    if z.get("ende") is None:
        jahre = annahmen.finanzierung.planungsjahre
        p_ende = (pd.Timestamp(p_beginn) + pd.DateOffset(years=jahre) - pd.Timedelta(days=1)).date()
    else:
        p_ende = _date(z["ende"])
    b = p_beginn if beginn is None else max(p_beginn, _date(beginn))
    e = p_ende if ende is None else min(p_ende, _date(ende))
    return b, e


# --------------------------------------------------------------------------- costs


def kosten_je_vzae(
    annahmen: Annahmen,
    entgeltgruppe: str | None = None,
    personalkosten: float | None = None,
) -> dict[str, Any]:
    """Annual personnel and workplace costs of one FTE.

    Parameters
    ----------
    annahmen : Annahmen
        Merged assumptions (section ``finanzierung``).
    entgeltgruppe : str, optional
        Pay grade; default ``finanzierung.entgeltgruppe``.
    personalkosten : float, optional
        An explicit personnel cost per FTE and year (overrides the pay grade).

    Returns
    -------
    dict
        ``entgeltgruppe`` (str, or "individuell"), ``personalkosten``, ``sachkosten``.

    Raises
    ------
    DataError
        If the pay grade is not configured.
    """
    f = annahmen.finanzierung
    if personalkosten is not None:
        grade, pk = "individuell", float(personalkosten)
    else:
        grade = entgeltgruppe or f.entgeltgruppe
        if grade not in f.personalkosten_je_vzae:
            raise DataError(
                [
                    Problem(
                        "annahmen.yaml",
                        f"Entgeltgruppe '{grade}' hat keine Personalkosten",
                        "Erlaubt: " + ", ".join(f.personalkosten_je_vzae),
                        spalte="finanzierung.personalkosten_je_vzae",
                    )
                ]
            )
        pk = float(f.personalkosten_je_vzae[grade])
    sach = f.sachkosten_je_vzae
    sk = float(sach) if sach is not None else pk * float(f.sachkostenzuschlag)
    return {"entgeltgruppe": str(grade), "personalkosten": pk, "sachkosten": sk}


def foerdersatz(programm: Mapping[str, Any], haushaltssicherung: bool) -> float:
    """The programme's funding rate for a Kommune with or without Haushaltssicherung."""
    f = programm["foerderung"]
    if haushaltssicherung and f.get("foerdersatz_haushaltssicherung") is not None:
        return float(f["foerdersatz_haushaltssicherung"])
    return float(f["foerdersatz"])


def foerdersatz_text(
    programm: Mapping[str, Any], haushaltssicherung: bool, begruendung: bool = True
) -> str:
    """German sentence on the funding rate that applies, and why (for plans and reports).

    When the programme gives Kommunen with and without Haushaltssicherung the
    same rate, the sentence says so plainly, with the programme's reason
    (``foerderung.foerdersatz_begruendung``), so nobody reads a difference
    into the plan that the programme does not make.

    Parameters
    ----------
    programm : mapping
        Validated programme.
    haushaltssicherung : bool
        Whether the applicant is a Haushaltssicherungskommune.
    begruendung : bool
        Append the programme's reason (False: the first sentence only, e.g. for a
        table title).

    Returns
    -------
    str

    Examples
    --------
    >>> p = {"foerderung": {"foerdersatz": 0.8, "foerdersatz_haushaltssicherung": 0.9}}
    >>> foerdersatz_text(p, True)
    'Fördersatz 90 % (Haushaltssicherungskommune; ohne Haushaltssicherung 80 %).'
    """
    f = programm["foerderung"]
    normal = float(f["foerdersatz"])
    hsk = foerdersatz(programm, True)
    satz = hsk if haushaltssicherung else normal
    if hsk == normal:
        text = (
            f"Fördersatz {prozent(satz)} für Kommunen mit und ohne Haushaltssicherung "
            "gleich; die Haushaltssicherung ändert den Plan nicht."
        )
    elif haushaltssicherung:
        text = (
            f"Fördersatz {prozent(satz)} (Haushaltssicherungskommune; ohne "
            f"Haushaltssicherung {prozent(normal)})."
        )
    else:
        text = (
            f"Fördersatz {prozent(satz)} (keine Haushaltssicherung; "
            f"Haushaltssicherungskommunen {prozent(hsk)})."
        )
    grund = str(f.get("foerdersatz_begruendung") or "").strip() if begruendung else ""
    return f"{text} {grund}" if grund else text


def _per_month(
    stellen: float, programm: Mapping[str, Any], kosten: Mapping[str, Any], satz: float
) -> dict[str, float]:
    """Every amount for one month (all linear in months)."""
    f = programm["foerderung"]
    eligible_types = set(f["foerderfaehig"])
    pk = stellen * kosten["personalkosten"] / MONATE_JAHR
    sk = stellen * kosten["sachkosten"] / MONATE_JAHR
    parts = {"personal": pk, "sachkosten": sk}
    eligible = sum(v for k, v in parts.items() if k in eligible_types)
    not_eligible = sum(v for k, v in parts.items() if k not in eligible_types)
    grant = eligible * satz
    caps = []
    if f.get("hoechstbetrag_je_vzae_jahr") is not None:
        caps.append(stellen * float(f["hoechstbetrag_je_vzae_jahr"]) / MONATE_JAHR)
    if f.get("hoechstbetrag_jahr") is not None:
        caps.append(float(f["hoechstbetrag_jahr"]) / MONATE_JAHR)
    capped = bool(caps) and min(caps) < grant
    if capped:
        grant = min(caps)
    return {
        "personalkosten": pk,
        "sachkosten": sk,
        "foerderfaehig": eligible,
        "zuwendung": grant,
        "eigenanteil_foerderfaehig": eligible - grant,
        "nicht_foerderfaehig": not_eligible,
        "eigenanteil": eligible - grant + not_eligible,
        "gesamtkosten": pk + sk,
        "gedeckelt": capped,
    }


@dataclass(frozen=True)
class Finanzierungsplan:
    """A funding plan: one row per budget year and the whole-period total.

    Attributes
    ----------
    jahre : pandas.DataFrame
        ``jahr``, ``monate``, ``stellen``, ``foerdersatz``, ``gedeckelt`` and the
        amounts in EUR: ``personalkosten``, ``sachkosten``, ``foerderfaehig``,
        ``zuwendung``, ``eigenanteil_foerderfaehig``, ``nicht_foerderfaehig``,
        ``eigenanteil`` (own share incl. non-eligible costs), ``gesamtkosten``.
    gesamt : pandas.Series
        The same amounts for the whole period (computed from the period's
        months, not by adding the years), plus ``monate``.
    beginn, ende : datetime.date
        The planned period.
    entgeltgruppe : str
        Pay grade used (or "individuell").
    """

    jahre: pd.DataFrame
    gesamt: pd.Series
    beginn: dt.date
    ende: dt.date
    entgeltgruppe: str

    def tabelle(self) -> pd.DataFrame:
        """Years plus a row ``Summe`` (``jahr`` as text), for display and export."""
        total = self.gesamt.to_dict()
        total.update(
            jahr="Summe",
            stellen=np.nan,
            foerdersatz=np.nan,
            gedeckelt=bool(self.jahre["gedeckelt"].any()),
        )
        out = self.jahre.astype({"jahr": "object"})
        return pd.concat([out, pd.DataFrame([total])], ignore_index=True)

    def _repr_html_(self) -> str:
        head = (
            f"<p>Finanzierungsplan {self.beginn:%m/%Y}–{self.ende:%m/%Y}, "
            f"Entgeltgruppe {html.escape(self.entgeltgruppe)}</p>"
        )
        return head + self.tabelle().to_html(index=False, float_format=zahl)


def finanzierungsplan(
    stellen: float,
    programm: Mapping[str, Any],
    annahmen: Annahmen,
    *,
    haushaltssicherung: bool = False,
    entgeltgruppe: str | None = None,
    personalkosten: float | None = None,
    beginn: Any = None,
    ende: Any = None,
) -> Finanzierungsplan:
    """Plan costs, grant and own share per budget year for ``stellen`` positions.

    Parameters
    ----------
    stellen : float
        Positions (VZÄ), constant over the period.
    programm : mapping
        Validated programme (:func:`thm_lib.core.programme.load_programm`).
    annahmen : Annahmen
        Merged assumptions (section ``finanzierung``).
    haushaltssicherung : bool
        Haushaltssicherungskommune (uses ``foerdersatz_haushaltssicherung``).
    entgeltgruppe : str, optional
        Pay grade (default ``annahmen.finanzierung.entgeltgruppe``).
    personalkosten : float, optional
        Personnel cost per FTE and year, overriding the pay grade.
    beginn, ende : date-like, optional
        Cut the programme period (e.g. position filled from 2020-03-01).

    Returns
    -------
    Finanzierungsplan

    Examples
    --------
    Remscheid: half a position at 90 % and 75,556 EUR per FTE and year.

    >>> from thm_lib.core.config import default_annahmen
    >>> from thm_lib.core.programme import default_programm
    >>> p = finanzierungsplan(0.5, default_programm(), default_annahmen(),
    ...                       haushaltssicherung=True, personalkosten=75556)
    >>> round(p.jahre.set_index("jahr").loc[2020, "zuwendung"])
    34000
    """
    if stellen < 0:
        raise DataError(
            [Problem("Finanzierungsplan", "Stellen dürfen nicht negativ sein", wert=str(stellen))]
        )
    kosten = kosten_je_vzae(annahmen, entgeltgruppe, personalkosten)
    satz = foerdersatz(programm, haushaltssicherung)
    b, e = foerderzeitraum(programm, annahmen, beginn, ende)
    month = _per_month(float(stellen), programm, kosten, satz)
    months = monate_je_jahr(b, e)
    rows = []
    for jahr, m in months.items():
        row = {
            "jahr": int(jahr),
            "monate": float(m),
            "stellen": float(stellen),
            "foerdersatz": satz,
            "gedeckelt": month["gedeckelt"],
        }
        row.update({k: month[k] * m for k in BETRAG_SPALTEN})
        rows.append(row)
    columns = ["jahr", "monate", "stellen", "foerdersatz", "gedeckelt", *BETRAG_SPALTEN]
    jahre = pd.DataFrame(rows, columns=columns).astype({"jahr": "int64", "gedeckelt": "bool"})
    total_months = monate(b, e)
    gesamt = pd.Series(
        {"monate": total_months, **{k: month[k] * total_months for k in BETRAG_SPALTEN}}
    )
    return Finanzierungsplan(jahre, gesamt, b, e, kosten["entgeltgruppe"])


MODELL_SPALTE = {
    "faq": "faq_stellen",
    "fallzahl": "fallzahl_stellen",
    "arbeitszeit": "arbeitszeit_stellen",
    "bestand": "stellen_bestand",
}


def finanzierungsplaene(
    ws: Workspace, bemessung: pd.DataFrame | None = None, modell: str = "faq", **kwargs: Any
) -> dict[str, Finanzierungsplan]:
    """One :class:`Finanzierungsplan` per Gemeinde and for the Kreis.

    Parameters
    ----------
    ws : Workspace
        Uses ``programm`` and ``annahmen``.
    bemessung : pandas.DataFrame, optional
        Result of :func:`thm_lib.analysis.staffing.stellenbemessung`; computed if omitted.
    modell : {"faq", "fallzahl", "arbeitszeit", "bestand"}
        Which positions to finance: the FAQ rule (default), the caseload or
        workload estimate, or the funded positions (``stellen_bestand``;
        rows without it are skipped).
    **kwargs
        Passed to :func:`finanzierungsplan` (``entgeltgruppe``, ``personalkosten``,
        ``beginn``, ``ende``).

    Returns
    -------
    dict
        ``ags`` (the Kreis row's ``ags`` for the Kreis) -> plan, in table order.
    """
    if modell not in MODELL_SPALTE:
        raise ValueError(f"modell must be one of {sorted(MODELL_SPALTE)}")
    if bemessung is None:
        bemessung = stellenbemessung(ws)
    plans = {}
    for _, r in bemessung.iterrows():
        stellen = r[MODELL_SPALTE[modell]]
        if pd.isna(stellen):
            continue
        plans[str(r["ags"])] = finanzierungsplan(
            float(stellen),
            ws.programm,
            ws.annahmen,
            haushaltssicherung=bool(r["haushaltssicherung"]),
            **kwargs,
        )
    return plans


def plaene_tabelle(
    plaene: Mapping[str, Finanzierungsplan], bemessung: pd.DataFrame, modell: str
) -> pd.DataFrame:
    """Stack plans (from :func:`finanzierungsplaene`) into one long table of years.

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``name``, ``ebene``, ``haushaltssicherung``, ``antragsberechtigt``
        (from ``bemessung``), ``modell`` and the columns of
        :attr:`Finanzierungsplan.jahre`, one row per plan and year. Gemeinden that
        may not apply themselves are kept (their share of the Kreis' need), marked
        ``antragsberechtigt``; empty when there are no plans.
    """
    info = bemessung.set_index(bemessung["ags"].astype(str))
    frames = []
    for ags, plan in plaene.items():
        jahre = plan.jahre.copy()
        jahre.insert(0, "modell", modell)
        for i, col in enumerate(
            ("ags", "name", "ebene", "haushaltssicherung", "antragsberechtigt")
        ):
            jahre.insert(i, col, info.loc[ags, col])
        frames.append(jahre)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def zeitraum_hinweis(programm: Mapping[str, Any], annahmen: Annahmen, stichtag: Any) -> str:
    """German note when the analysis Stichtag lies outside the programme's funding period.

    The funding plan always follows the programme's period
    (:func:`foerderzeitraum`); this says so when the data are newer (or
    older) than that period, so a plan for a finished programme is not read
    as a current one.

    Returns
    -------
    str
        The note, or "" when the Stichtag lies within the period.

    Examples
    --------
    >>> from thm_lib.core.config import default_annahmen
    >>> from thm_lib.core.programme import default_programm
    >>> zeitraum_hinweis(default_programm(), default_annahmen(), "2021-12-31")
    ''
    >>> zeitraum_hinweis(default_programm(), default_annahmen(), "2024-12-31")[:40]
    'Der Stichtag 31.12.2024 liegt nach dem E'
    """
    b, e = foerderzeitraum(programm, annahmen)
    tag = _date(stichtag)
    if b <= tag <= e:
        return ""
    lage = "nach dem Ende" if tag > e else "vor dem Beginn"
    return (
        f"Der Stichtag {tag:%d.%m.%Y} liegt {lage} des Förderzeitraums von "
        f"„{programm['name']}“ ({b:%d.%m.%Y} bis {e:%d.%m.%Y}). Der Finanzierungsplan "
        "folgt dem Förderzeitraum des Programms, nicht dem Stichtag; für einen anderen "
        "Zeitraum oder ein Nachfolgeprogramm (z. B. KIM) bitte 'programm.yaml' in der "
        "Arbeitsmappe anlegen."
    )
