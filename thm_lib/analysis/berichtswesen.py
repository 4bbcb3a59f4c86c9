"""Berichtswesen (KOKIP 3.2.2): client counts, closures, needs met per Handlungsfeld, reach.

Pure functions over the case records (``faelle``, ``bedarfe`` of
``docs/datenmodell.md``); they accept plain DataFrames, so they run without a
loader. Only records with ``einwilligung`` are used (KOKIP 5); how many were
left out is reported. The tables returned here are INTERNAL (unsuppressed);
:func:`thm_lib.disclosure.berichtswesen.veroeffentlichen` suppresses them.

Period semantics (``von`` and ``bis`` are whole days, both inclusive; times of
day are ignored):

* **neu** (new): ``von <= beginn <= bis``;
* **aktiv** (active): ``beginn <= bis`` and (``ende`` open or ``ende >= von``);
* **abgeschlossen** (closed): ``ende`` given and ``von <= ende <= bis``.

Needs (``bedarfe``) are counted for the consented cases active in the period,
with the result as documented now (``bedarfe`` carries no dates). Reach is the
number of consented clients of the target group (configured statuses and
ages, ``annahmen.zielgruppe``) active in the period, divided by the target
group at the Stichtag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from thm_lib.analysis import target_group
from thm_lib.core.labels import (
    ABSCHLUSSGRUENDE,
    ERGEBNIS,
    ERGEBNIS_LABEL,
    INSGESAMT,
    KREIS,
    STATUS_LABEL,
)
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import Workspace
from thm_lib.ingest.columns import normalise_word

TOTAL = INSGESAMT
"""Label of total rows in report tables."""
NO_REASON = "ohne Angabe"
"""Closure reason shown for closed cases without ``abschlussgrund``."""
OTHER_REASON = "sonstiger Grund"
"""Closure reason shown for every ``abschlussgrund`` not in :data:`ABSCHLUSSGRUENDE`."""
_NO_REASON_WORDS = ("", NO_REASON, "keine Angabe")

COLUMN_LABELS: dict[str, str] = {
    "name": "Gemeinde",
    "neu": "neu aufgenommen",
    "aktiv": "aktiv im Zeitraum",
    "abgeschlossen": "abgeschlossen",
    "anzahl": "Anzahl",
    "gesamt": "Bedarfe gesamt",
    **{e: ERGEBNIS_LABEL[e] for e in ERGEBNIS},
    **{f"anteil_{e}": f"Anteil {ERGEBNIS_LABEL[e]}" for e in ERGEBNIS},
    "klient_innen": "Klient*innen gesamt",
    "zielgruppe": "Zielgruppe gesamt",
    "reichweite": "Reichweite gesamt",
}
"""German headers of the report columns (per-status reach columns are added below)."""

DEFINITIONS: dict[str, str] = {
    "Zeitraum": "Von- und Bis-Datum zählen beide mit (ganze Tage).",
    "neu aufgenommen": "Fälle, deren Beginn im Zeitraum liegt.",
    "aktiv im Zeitraum": "Fälle, die vor oder im Zeitraum begonnen haben und nicht vor "
    "dem Zeitraum abgeschlossen wurden.",
    "abgeschlossen": "Fälle, deren Ende im Zeitraum liegt (Verfahrenseinstellungen).",
    "Abschlussgrund": "Grund der Verfahrenseinstellung laut Falldokumentation: "
    f"{', '.join(ABSCHLUSSGRUENDE)}; jeder andere eingetragene Text zählt als "
    f"„{OTHER_REASON}“ (freier Text wird nie veröffentlicht); fehlt der Grund, steht "
    f"„{NO_REASON}“.",
    "Bedarfe": "Bedarfe der im Zeitraum aktiven Fälle (alle Status und Alter) je "
    "Handlungsfeld mit dem dokumentierten Ergebnis: passendes Angebot, nächstbeste "
    "Lösung, kein Angebot, offen. Anteile beziehen sich auf alle Bedarfe des "
    "Handlungsfelds. Die Fallevidenz der Bedarfsanalyse zählt anders (siehe dort) "
    "und hat deshalb andere Summen.",
    "Fallevidenz": "Bedarfe der Fälle der Zielgruppe (Status und Alter laut Annahmen) aus "
    "der gesamten Falldokumentation, ohne Zeitraum, je Fall und Handlungsfeld ein "
    "Ergebnis: das zuletzt entschiedene (passend, nächstbeste Lösung, kein Angebot), "
    "sonst offen. Die Anteile beziehen sich auf die entschiedenen Bedarfe. Fälle "
    "außerhalb der Zielgruppe zählen nicht; deshalb weicht die Summe von der Tabelle "
    "„Bedarfe“ des Berichtswesens ab.",
    "Reichweite": "Klient*innen der Zielgruppe (Status und Alter laut Annahmen), die im "
    "Zeitraum aktiv waren, geteilt durch die Zielgruppe am Stichtag.",
    "Einwilligung": "Nur Fälle mit Einwilligung in den Datenaustausch werden ausgewertet; "
    "die Zahl der übrigen im Zeitraum aktiven Fälle wird genannt.",
}
"""German definitions for the "Hinweise" sheet and report footnotes."""


def fallevidenz_titel(annahmen: Annahmen) -> str:
    """Title of the case-evidence table (``views.fallevidenz``), naming what it leaves out.

    The Fallevidenz and the Berichtswesen table "Bedarfe" count different needs
    (see :data:`DEFINITIONS`); each title says which, so that their different
    totals are not read as an error.

    Examples
    --------
    >>> from thm_lib.core.settings import Annahmen
    >>> fallevidenz_titel(Annahmen().mit({"zielgruppe": {"status": ["duldung"]}}))[:60]
    'Fallevidenz: Bedarfe der Zielgruppe (Duldung, 18–27 Jahre) a'
    """
    z = annahmen.zielgruppe
    status = ", ".join(STATUS_LABEL.get(s, s) for s in z.status)
    return (
        f"Fallevidenz: Bedarfe der Zielgruppe ({status}, {z.alter_min}–"
        f"{z.alter_max} Jahre) aus der gesamten Falldokumentation, nur mit Einwilligung; "
        "Anteile an den entschiedenen Bedarfen; ohne Fälle außerhalb der Zielgruppe, "
        "ohne Zeitraum"
    )


def bedarfe_titel(period: Period) -> str:
    """Title of the Berichtswesen table "Bedarfe", naming what it counts."""
    return (
        f"Bedarfe je Handlungsfeld nach Ergebnis, {period.label}: alle im Zeitraum aktiven "
        "Fälle mit Einwilligung (alle Status und Alter), einschließlich offener Bedarfe"
    )


@dataclass(frozen=True)
class Period:
    """A reporting period of whole days, both ends inclusive.

    Parameters
    ----------
    von, bis : date-like
        First and last day.
    """

    von: pd.Timestamp
    bis: pd.Timestamp

    def __post_init__(self) -> None:
        von, bis = pd.Timestamp(self.von).normalize(), pd.Timestamp(self.bis).normalize()
        if von > bis:
            raise ValueError(f"Zeitraum: 'von' ({von:%d.%m.%Y}) liegt nach 'bis' ({bis:%d.%m.%Y})")
        object.__setattr__(self, "von", von)
        object.__setattr__(self, "bis", bis)

    @property
    def label(self) -> str:
        """German label, e.g. ``"01.01.2026 bis 31.03.2026"``."""
        return f"{self.von:%d.%m.%Y} bis {self.bis:%d.%m.%Y}"


def _period(von: Any, bis: Any | None) -> Period:
    return von if isinstance(von, Period) else Period(von, bis)


def consent_split(faelle: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split case records into (with consent, without consent); NA counts as no consent."""
    ok = target_group.mit_einwilligung(faelle)
    return faelle[ok], faelle[~ok]


def period_flags(faelle: pd.DataFrame, von: Any, bis: Any = None) -> pd.DataFrame:
    """Boolean columns ``neu``, ``aktiv``, ``abgeschlossen`` per case (module docstring).

    Parameters
    ----------
    faelle : pandas.DataFrame
        Needs ``beginn`` and ``ende`` (NaT = open).
    von, bis : date-like, or a :class:`Period` as ``von``
    """
    p = _period(von, bis)
    beginn = pd.to_datetime(faelle["beginn"]).dt.normalize()
    ende = pd.to_datetime(faelle["ende"]).dt.normalize()
    return pd.DataFrame(
        {
            "neu": (beginn >= p.von) & (beginn <= p.bis),
            "aktiv": (beginn <= p.bis) & (ende.isna() | (ende >= p.von)),
            "abgeschlossen": ende.notna() & (ende >= p.von) & (ende <= p.bis),
        },
        index=faelle.index,
    )


def _scope(faelle: pd.DataFrame, ags: str) -> pd.DataFrame:
    if not ags:
        return faelle
    return faelle[faelle["ags"].astype(str) == str(ags)]


def excluded_without_consent(
    faelle: pd.DataFrame, von: Any, bis: Any = None, *, ags: str = KREIS
) -> int:
    """Number of cases active in the period (in ``ags``) left out for lack of consent."""
    _, ohne = consent_split(_scope(faelle, ags))
    return int(period_flags(ohne, _period(von, bis))["aktiv"].sum())


def _gemeinde_index(faelle: pd.DataFrame, ags: str, gemeinden: pd.DataFrame | None) -> list[str]:
    if ags:
        return [str(ags)]
    if gemeinden is not None:
        return [str(a) for a in gemeinden["ags"]]
    return sorted({str(a) for a in faelle["ags"]})


def _add_names(table: pd.DataFrame, gemeinden: pd.DataFrame | None) -> pd.DataFrame:
    if gemeinden is None:
        return table
    names = dict(zip(gemeinden["ags"].astype(str), gemeinden["name"].astype(str), strict=False))
    table.insert(0, "name", [names.get(str(i), "Kreis" if i == TOTAL else "") for i in table.index])
    return table


def client_counts(
    faelle: pd.DataFrame,
    von: Any,
    bis: Any = None,
    *,
    ags: str = KREIS,
    gemeinden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Clients new / active / closed in the period, per Gemeinde (consented cases only).

    Parameters
    ----------
    faelle : pandas.DataFrame
        Case records (``ags``, ``einwilligung``, ``beginn``, ``ende``).
    von, bis : date-like, or a :class:`Period` as ``von``
    ags : str, optional
        One Kommune; default the whole Kreis (one row per Gemeinde plus ``Insgesamt``).
    gemeinden : pandas.DataFrame, optional
        ``ags``, ``name`` of all Gemeinden: every Gemeinde gets a row (0 if no case)
        and a ``name`` column.

    Returns
    -------
    pandas.DataFrame
        Index ``ags`` (plus ``Insgesamt`` for the Kreis); int64 columns ``neu``,
        ``aktiv``, ``abgeschlossen``. INTERNAL: suppress before publishing.
    """
    p = _period(von, bis)
    mit, _ = consent_split(_scope(faelle, ags))
    flags = period_flags(mit, p).astype("int64")
    flags["ags"] = mit["ags"].astype(str)
    index = pd.Index(_gemeinde_index(faelle, ags, gemeinden), name="ags")
    table = flags.groupby("ags")[["neu", "aktiv", "abgeschlossen"]].sum()
    table = table.reindex(index, fill_value=0).astype("int64")
    if not ags:
        table.loc[TOTAL] = table.sum()
    return _add_names(table, gemeinden)


@lru_cache(maxsize=16)
def _reason_lookup(gruende: tuple[str, ...]) -> dict[str, str]:
    """Normalised spelling (:func:`normalise_word`) -> published closure reason."""
    lookup = {normalise_word(w): NO_REASON for w in _NO_REASON_WORDS}
    for g in (*gruende, *ABSCHLUSSGRUENDE, OTHER_REASON):
        lookup.setdefault(normalise_word(g), g)
    return lookup


def abschlussgrund_label(text: object, gruende: Sequence[str] = ()) -> str:
    """The published closure reason of one ``abschlussgrund``: a listed reason or a catch-all.

    Matching ignores case, surrounding and doubled spaces, hyphens and umlaut spellings
    (:func:`thm_lib.ingest.columns.normalise_word`), as for the other word lists.

    Parameters
    ----------
    text : object
        The typed reason; None/NA/blank means none.
    gruende : sequence of str, optional
        Further reasons accepted besides :data:`ABSCHLUSSGRUENDE` (they take precedence,
        in their own spelling). They come from code or configuration, never from data.

    Returns
    -------
    str
        The reason's spelling from the list, :data:`NO_REASON` when there is none, or
        :data:`OTHER_REASON` for any other text, so no typed text is ever returned.

    Examples
    --------
    >>> abschlussgrund_label(" ziele ERREICHT"), abschlussgrund_label("Rueckkehr ins Herkunftsland")
    ('Ziele erreicht', 'Rückkehr ins Herkunftsland')
    >>> abschlussgrund_label("Ahmad K. verzogen"), abschlussgrund_label(None)
    ('sonstiger Grund', 'ohne Angabe')
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return NO_REASON
    return _reason_lookup(tuple(gruende)).get(normalise_word(str(text)), OTHER_REASON)


def closures_by_reason(
    faelle: pd.DataFrame,
    von: Any,
    bis: Any = None,
    *,
    ags: str = KREIS,
    gruende: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Closures in the period by ``abschlussgrund`` (consented cases only).

    The free-text reasons are folded by :func:`abschlussgrund_label`: only the reasons of
    :data:`ABSCHLUSSGRUENDE` (and ``gruende``) keep their name, every other text counts as
    :data:`OTHER_REASON`. The table therefore never carries a typed text, neither here
    nor in anything published from it.

    Parameters
    ----------
    faelle : pandas.DataFrame
        Case records.
    von, bis : date-like, or a :class:`Period` as ``von``
    ags : str, optional
        One Kommune; default the whole Kreis.
    gruende : sequence of str, optional
        Further accepted reasons, listed even when zero, in this order; the others
        found follow alphabetically.

    Returns
    -------
    pandas.DataFrame
        Index ``abschlussgrund`` with a last row ``Insgesamt``; int64 column ``anzahl``.
    """
    p = _period(von, bis)
    mit, _ = consent_split(_scope(faelle, ags))
    closed = mit[period_flags(mit, p)["abgeschlossen"]]
    order = list(dict.fromkeys(gruende or []))
    # "" for none: mapping only missing texts would give a column of floats, not words
    # (round 2, session 52: one closure without a reason stopped the whole Land run)
    text = closed["abschlussgrund"].astype("string").fillna("")
    # fold each distinct text once: a table repeats the same few reasons
    labels = {t: abschlussgrund_label(t, order) for t in text.unique()}
    grund = text.map(labels).astype(str)
    counts = grund.value_counts()
    order += sorted(g for g in counts.index if g not in order)
    table = pd.DataFrame({"anzahl": counts.reindex(order, fill_value=0).astype("int64")})
    table.index = pd.Index([str(g) for g in order], name="abschlussgrund")
    table.loc[TOTAL] = int(table["anzahl"].sum())
    return table


def needs_by_field(
    faelle: pd.DataFrame,
    bedarfe: pd.DataFrame,
    von: Any,
    bis: Any = None,
    *,
    ags: str = KREIS,
    handlungsfelder: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Needs per Handlungsfeld by result: number and share (consented active cases).

    Parameters
    ----------
    faelle, bedarfe : pandas.DataFrame
        Case records and needs in long form (``fall_id``, ``handlungsfeld``, ``ergebnis``).
    von, bis : date-like, or a :class:`Period` as ``von``
    ags : str, optional
        One Kommune; default the whole Kreis.
    handlungsfelder : sequence of str, optional
        Fields listed even when zero, in this order (e.g. ``annahmen.handlungsfelder``);
        fields found in the data but not listed follow alphabetically.

    Returns
    -------
    pandas.DataFrame
        Index ``handlungsfeld`` with a last row ``Insgesamt``; int64 columns
        ``passend``, ``naechstbeste``, ``kein_angebot``, ``offen``, ``gesamt``;
        float columns ``anteil_<ergebnis>`` (0..1; NaN where ``gesamt`` is 0).
    """
    p = _period(von, bis)
    mit, _ = consent_split(_scope(faelle, ags))
    active_ids = set(mit.loc[period_flags(mit, p)["aktiv"], "fall_id"].astype(str))
    b = bedarfe[bedarfe["fall_id"].astype(str).isin(active_ids)]
    counts = pd.crosstab(b["handlungsfeld"].astype(str), b["ergebnis"].astype(str))
    order = list(handlungsfelder or [])
    order += sorted(f for f in counts.index if f not in order)
    table = counts.reindex(index=order, columns=list(ERGEBNIS), fill_value=0).astype("int64")
    table.index = pd.Index(order, name="handlungsfeld")
    table.columns.name = None
    table["gesamt"] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum()
    denom = table["gesamt"].where(table["gesamt"] > 0).astype(float)
    for e in ERGEBNIS:
        table[f"anteil_{e}"] = table[e] / denom
    return table


def reach_by_status(
    faelle: pd.DataFrame | None,
    zielgruppe: pd.DataFrame,
    annahmen: Annahmen,
    stichtag: Any,
    von: Any,
    bis: Any = None,
    *,
    ags: str = KREIS,
    gemeinden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reach per Gemeinde and status: clients active in the period / target group.

    Parameters
    ----------
    faelle : pandas.DataFrame or None
        Case records (consented ones of the target group are counted).
    zielgruppe : pandas.DataFrame
        The Workspace table; the latest data on or before ``stichtag`` is used,
        limited to ``annahmen.zielgruppe`` (status, ages) via
        :func:`thm_lib.analysis.target_group.segments`.
    annahmen : Annahmen
        Merged assumptions.
    stichtag : date-like
        Reference date of the target group.
    von, bis : date-like, or a :class:`Period` as ``von``
    ags : str, optional
        One Kommune; default the whole Kreis with a row ``Insgesamt``.
    gemeinden : pandas.DataFrame, optional
        ``ags``, ``name`` of all Gemeinden.

    Returns
    -------
    pandas.DataFrame
        Index ``ags``; per configured status ``s``: ``klient_innen_<s>``,
        ``zielgruppe_<s>`` (int64; persons rounded to whole numbers where age
        bands were split) and ``reichweite_<s>`` (float, NaN where the target
        group is 0); the same without suffix for all statuses together.
    """
    p = _period(von, bis)
    status = [str(s) for s in annahmen.zielgruppe.status]
    zg = target_group.segments(zielgruppe, annahmen, pd.Timestamp(stichtag))
    if ags:
        zg = zg[zg["ags"].astype(str) == str(ags)]
    zg_wide = zg.pivot_table(
        index="ags", columns="status", values="personen", aggfunc="sum", fill_value=0.0
    )
    known = [] if faelle is None else [str(a) for a in faelle["ags"]]
    index = pd.Index(
        _gemeinde_index(pd.DataFrame({"ags": known + list(zg_wide.index)}), ags, gemeinden),
        name="ags",
    )
    zg_wide = zg_wide.reindex(index=index, columns=status, fill_value=0.0).round()
    kl_wide = pd.DataFrame(0, index=index, columns=status)
    if faelle is not None and len(faelle):
        f = target_group.eligible_cases(_scope(faelle, ags), annahmen, nur_einwilligung=True)
        f = f[period_flags(f, p)["aktiv"]]
        kl_wide = (
            f.groupby([f["ags"].astype(str), f["status"].astype(str)])
            .size()
            .unstack(fill_value=0)
            .reindex(index=index, columns=status, fill_value=0)
        )
    table = pd.DataFrame(index=index)
    for s in status:
        table[f"klient_innen_{s}"] = kl_wide[s].astype("int64")
        table[f"zielgruppe_{s}"] = zg_wide[s].astype("int64")
    table["klient_innen"] = kl_wide.sum(axis=1).astype("int64")
    table["zielgruppe"] = zg_wide.sum(axis=1).astype("int64")
    if not ags:
        table.loc[TOTAL] = table.sum()
    for s in [*status, None]:
        suffix = "" if s is None else f"_{s}"
        denom = table[f"zielgruppe{suffix}"].where(table[f"zielgruppe{suffix}"] > 0)
        table[f"reichweite{suffix}"] = table[f"klient_innen{suffix}"] / denom.astype(float)
    order = [f"{k}_{s}" for s in status for k in ("klient_innen", "zielgruppe", "reichweite")]
    table = table[[*order, "klient_innen", "zielgruppe", "reichweite"]]
    return _add_names(table, gemeinden)


def reach_labels(status: Sequence[str]) -> dict[str, str]:
    """German headers of the per-status reach columns."""
    out = {}
    for s in status:
        lab = STATUS_LABEL.get(s, s)
        out[f"klient_innen_{s}"] = f"Klient*innen {lab}"
        out[f"zielgruppe_{s}"] = f"Zielgruppe {lab}"
        out[f"reichweite_{s}"] = f"Reichweite {lab}"
    return out


@dataclass(frozen=True, repr=False)
class Report:
    """The Berichtswesen tables of one period for the Kreis or one Kommune.

    All tables are INTERNAL (unsuppressed); publish them with
    :func:`thm_lib.disclosure.berichtswesen.veroeffentlichen`.

    Attributes
    ----------
    period : Period
    ags : str
        The Kommune, or :data:`~thm_lib.core.labels.KREIS` for the whole Kreis.
    stichtag : pandas.Timestamp
        Reference date of the target group.
    klient_innen, abschluesse, bedarfe, reichweite : pandas.DataFrame
        From :func:`client_counts`, :func:`closures_by_reason`,
        :func:`needs_by_field` (None without ``bedarfe``), :func:`reach_by_status`.
    ohne_einwilligung : int
        Cases active in the period left out for lack of consent.
    status : tuple of str
        The configured target-group statuses.
    kreis_klient_innen, kreis_reichweite : pandas.DataFrame or None
        For a Kommune report: the Kreis tables, so that the Kommune's row is
        published exactly as in the Kreis report (no differencing between the two).
    schwelle : int or None
        Suppression threshold of the Arbeitsmappe (``annahmen.datenschutz.schwelle``);
        None = shipped default.
    zeichen : str or None
        Symbol for secondarily hidden cells (``annahmen.datenschutz.zeichen_geheim``).
    """

    period: Period
    ags: str
    stichtag: pd.Timestamp
    klient_innen: pd.DataFrame
    abschluesse: pd.DataFrame
    bedarfe: pd.DataFrame | None
    reichweite: pd.DataFrame
    ohne_einwilligung: int
    status: tuple[str, ...]
    kreis_klient_innen: pd.DataFrame | None = None
    kreis_reichweite: pd.DataFrame | None = None
    schwelle: int | None = None
    zeichen: str | None = None

    def __repr__(self) -> str:
        # no table contents: a notebook stores repr() as text/plain in its output
        wo = "Kreis" if not self.ags else f"Kommune {self.ags}"
        return f"Report({wo}, {self.period.label}, Stichtag {self.stichtag:%d.%m.%Y})"


def build_report(
    faelle: pd.DataFrame,
    bedarfe: pd.DataFrame | None,
    zielgruppe: pd.DataFrame,
    annahmen: Annahmen,
    von: Any,
    bis: Any = None,
    *,
    stichtag: Any = None,
    ags: str = KREIS,
    gemeinden: pd.DataFrame | None = None,
    gruende: Sequence[str] | None = None,
) -> Report:
    """All Berichtswesen tables for a period and the Kreis (``ags=KREIS``) or one Kommune.

    Parameters
    ----------
    faelle, bedarfe, zielgruppe : pandas.DataFrame
        Tables as in ``docs/datenmodell.md`` (``bedarfe`` may be None).
    annahmen : Annahmen
        Merged assumptions (``zielgruppe``, ``handlungsfelder``).
    von, bis : date-like, or a :class:`Period` as ``von``
    stichtag : date-like, optional
        Reference date of the target group; default the end of the period.
    ags : str, optional
        One Kommune.
    gemeinden : pandas.DataFrame, optional
        ``ags``, ``name`` of all Gemeinden.
    gruende : sequence of str, optional
        Further accepted closure reasons, always listed (:func:`closures_by_reason`).
    """
    p = _period(von, bis)
    st = p.bis if stichtag is None else pd.Timestamp(stichtag)
    datenschutz = annahmen.datenschutz
    kreis_clients = kreis_reach = None
    if ags:
        kreis_clients = client_counts(faelle, p, gemeinden=gemeinden)
        kreis_reach = reach_by_status(faelle, zielgruppe, annahmen, st, p, gemeinden=gemeinden)
        if gemeinden is not None:
            gemeinden = gemeinden[gemeinden["ags"].astype(str) == str(ags)]
    return Report(
        period=p,
        ags=str(ags or KREIS),
        stichtag=st,
        klient_innen=client_counts(faelle, p, ags=ags, gemeinden=gemeinden),
        abschluesse=closures_by_reason(faelle, p, ags=ags, gruende=gruende),
        bedarfe=None
        if bedarfe is None
        else needs_by_field(faelle, bedarfe, p, ags=ags, handlungsfelder=annahmen.handlungsfelder),
        reichweite=reach_by_status(
            faelle, zielgruppe, annahmen, st, p, ags=ags, gemeinden=gemeinden
        ),
        ohne_einwilligung=excluded_without_consent(faelle, p, ags=ags),
        status=tuple(str(s) for s in annahmen.zielgruppe.status),
        kreis_klient_innen=kreis_clients,
        kreis_reichweite=kreis_reach,
        schwelle=datenschutz.schwelle,
        zeichen=datenschutz.zeichen_geheim,
    )


def report_from_workspace(ws: Workspace, von: Any, bis: Any = None, *, ags: str = KREIS) -> Report:
    """:func:`build_report` on a loaded Workspace (Stichtag = ``ws.stichtag``).

    Raises
    ------
    ValueError
        If the Workspace holds no case records.
    """
    if ws.faelle is None:
        raise ValueError(
            "Die Arbeitsmappe enthält keine Fälle (faelle.csv/.xlsx): "
            "ohne Falldokumentation gibt es kein Berichtswesen."
        )
    return build_report(
        ws.faelle,
        ws.bedarfe,
        ws.zielgruppe,
        ws.annahmen,
        von,
        bis,
        stichtag=ws.stichtag,
        ags=ags,
        gemeinden=ws.gebiete[["ags", "name"]],
    )
