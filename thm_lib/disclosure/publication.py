"""One publication layer per Kreis run: every published number and its hiding pattern.

A :class:`Publication` is built once per Workspace (Kreis and Stichtag, see
:func:`fuer`) and computes each published table once. It holds ONE hiding
pattern per quantity: the Duldung count of Gemeinde X at Stichtag T is hidden
in the target-group table of T, in the trend, in the staffing table (FAQ
count), in the reach table, on maps and in the apps alike, because all of
them take it (or its mask) from here.

Rules (``docs/datenschutz.md``, section "Veröffentlichungsschicht"):

* **Counts** of the target group are protected per Stichtag as one Kreis
  table Gemeinde × status (+ totals) by :func:`thm_lib.disclosure.suppression.suppress`.
  Tables that repeat a count of it (trend, reach, age structure's grand
  total) take its mask (``hidden_elsewhere``/``shown_elsewhere``).
* **Derived figures** (staffing persons and positions, caseload, workload,
  demand, missing places, Versorgungsgrad) are shown only where their value
  follows from the shown counts (:func:`thm_lib.disclosure.suppression.is_determined`)
  and the published model parameters; elsewhere they are hidden. A derived
  figure that follows from shown counts tells a reader nothing new.
* **Need rates** are shown only at a pooling level where neither the number
  of cases with the need nor the number without it is 1 .. threshold-1
  (:func:`thm_lib.analysis.needs.veroeffentlichte_quoten`).

Threshold and symbol come from ``annahmen.datenschutz`` of the Workspace.
This module computes nothing of the analyses themselves: it calls them once
and decides what may be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis import target_group
from thm_lib.analysis.berichtswesen import TOTAL as REPORT_TOTAL
from thm_lib.analysis.berichtswesen import period_flags, report_from_workspace
from thm_lib.analysis.coverage import case_evidence, eligibility, quoten_fuer
from thm_lib.analysis.needs import (
    FALLBACK,
    GESPERRT,
    need_rates,
    published_model_rates,
    published_rates,
)
from thm_lib.analysis.staffing import antragsteller, ist_kreisfrei, status_woerter, stellenbemessung
from thm_lib.analysis.target_group import segment_index
from thm_lib.core import labels
from thm_lib.core.labels import EBENE_KREIS, ENTSCHIEDEN, KREIS
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.berichtswesen import (
    BEDARFE_ANTEILE,
    abschluesse,
    fallzahlen,
    veroeffentlichen,
)
from thm_lib.disclosure.faq_zaehlung import faq_verborgen, vergleichbar
from thm_lib.disclosure.suppression import (
    ATTR_INTERNAL,
    PRIMAER,
    PUBLISHED_KEY,
    SEKUNDAER,
    PublishedTable,
    als_zeichen,
    is_determined,
    select_rows,
    suppress,
    verlorene_werte,
)

TOTAL = labels.INSGESAMT
"""Total row of the Kreis tables (Gemeinde × status)."""

_FALL = "_fall_"
"""Prefix of the "Fallzahlen" columns joined into the reach table's check (not published)."""
_BEDARFE = "_bedarfe_"
"""Prefix of the columns of "Bedarfe" joined into the Fallevidenz's check (not published)."""
_INAKTIV = "_inaktiv_"
"""Prefix of the helper columns of that check: the cases not active in the report year."""
_ANTRAG = "_antragsgebiet_kreis_"
"""Row of the Gemeinden the Kreis counts for its FAQ count, in the target-group check."""
_FALLEVIDENZ_ZEILEN = [(list(ENTSCHIEDEN), "entschieden"), (["entschieden", "offen"], "gesamt")]
"""The row sums of the Fallevidenz: decided results, decided + open = all needs."""
_FALLEVIDENZ_ANTEILE = {f"anteil_{e}": [e, "entschieden"] for e in ENTSCHIEDEN}
"""The shares of the Fallevidenz: each decided result of the decided needs."""


def _fall_spalten(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``_FALL`` columns of the joint check under their names in "Fallzahlen"."""
    out = frame.rename(columns=lambda c: c[len(_FALL) :]).astype(bool)
    out.index = out.index.astype(object)
    return out


_ATTR = "_thm_publication"
"""Attribute of the Workspace object holding its layer (not a dataclass field, so
``dataclasses.replace`` and ``for_kommune`` give a new Workspace without it)."""


def _fingerprint(ws: Workspace) -> tuple[Any, ...]:
    d = ws.annahmen.datenschutz
    return (
        ws.stichtag,
        d.schwelle,
        d.zeichen_geheim,
        id(ws.zielgruppe),
        id(ws.faelle),
        id(ws.bedarfe),
        id(ws.annahmen),
        id(ws.programm),
    )


def fuer(ws: Workspace) -> Publication:
    """The publication layer of ``ws``, built once and reused (kept on the Workspace object).

    Notebooks, reports, maps and apps that pass the same Workspace get the
    same layer, hence the same hiding pattern. A Workspace whose settings or
    data were replaced gets a new layer.
    """
    fp = _fingerprint(ws)
    hit = ws.__dict__.get(_ATTR)
    if hit is not None and hit[0] == fp:
        return hit[1]
    pub = Publication(ws)
    object.__setattr__(ws, _ATTR, (fp, pub))
    return pub


def nach_kopie(ws: Workspace) -> None:
    """Bind the layer of a copied Workspace (e.g. unpickled) to the copy.

    The layer is found by the identity of the Workspace's tables and of the
    analysis results it was asked about; a copy has new identities, so the
    keys are renewed (the tables themselves are the same).
    """
    hit = ws.__dict__.get(_ATTR)
    if hit is None:
        return
    pub = hit[1]
    for store in (pub._personen, pub._versorgung):
        entries = list(store.values())
        store.clear()
        store.update({id(obj): (obj, value) for obj, value in entries})
    object.__setattr__(ws, _ATTR, (_fingerprint(ws), pub))


def _same_object_cache(store: dict[int, tuple[Any, Any]], obj: Any, make: Any) -> Any:
    hit = store.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    value = make()
    store[id(obj)] = (obj, value)
    return value


def table_from_mask(
    values: pd.DataFrame,
    mask: pd.DataFrame,
    threshold: int,
    symbol: str,
    *,
    titel: str,
    column_labels: dict[str, str],
    zeichen: pd.DataFrame | None = None,
) -> PublishedTable:
    """A :class:`PublishedTable` of counts whose hiding pattern was decided elsewhere.

    Hidden counts 1 .. threshold-1 read ``"<5"``, other hidden cells the
    symbol; the pattern itself comes from the layer (no suppression of its own).
    ``zeichen``: hidden cells that read the symbol even when small (the same
    number another table hides with the symbol, :func:`als_zeichen`).
    """
    published = values.astype(object).copy()
    reason = pd.DataFrame("", index=values.index, columns=values.columns)
    for c in values.columns:
        for r in values.index:
            if bool(mask.loc[r, c]):
                v = values.loc[r, c]
                anders = zeichen is not None and bool(zeichen.loc[r, c])
                small = v == v and 1 <= v < threshold and not anders
                published.loc[r, c] = f"<{threshold}" if small else symbol
                reason.loc[r, c] = PRIMAER if small else SEKUNDAER
            else:
                v = values.loc[r, c]
                published.loc[r, c] = None if v != v else int(v)
    published.attrs = {PUBLISHED_KEY: threshold}
    internal = values.copy()
    internal.attrs = {ATTR_INTERNAL: True}
    return PublishedTable(
        published=published,
        internal_unsuppressed=internal,
        mask=mask.astype(bool),
        reason=reason,
        threshold=threshold,
        count_cols=tuple(values.columns),
        share_cols=(),
        titel=titel,
        column_labels=column_labels,
        symbol=symbol,
    )


def ohne_spalten(table: PublishedTable, cols: list[str]) -> PublishedTable:
    """``table`` without the columns ``cols`` (cells that only took part in its check)."""
    if not cols:
        return table
    keep = [c for c in table.published.columns if c not in cols]
    structure = dict(table.structure)
    out = replace(
        table,
        published=table.published[keep],
        mask=table.mask[keep],
        reason=table.reason[keep],
        internal_unsuppressed=table.internal_unsuppressed[keep],
        count_cols=tuple(c for c in table.count_cols if c not in cols),
        structure=structure,
    )
    out.published.attrs = dict(table.published.attrs)
    out.internal_unsuppressed.attrs = dict(table.internal_unsuppressed.attrs)
    return out


def _teil(
    joint: PublishedTable,
    cols: dict[str, str],
    vorlage: PublishedTable,
    praefix: str = "",
) -> PublishedTable:
    """The columns ``cols`` (name in ``joint`` -> own name) of a joint check, as the
    table ``vorlage`` (its rows, numbers, labels and equations) with the joint masks;
    of the joint check's unresolved lines and cells those naming ``praefix`` (or, with
    none, those naming no prefixed column), and those naming a helper column of the
    inactive cases (the reader's unknowns belong to both tables)."""

    def auswahl(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.loc[list(vorlage.mask.index), list(cols)].rename(columns=cols)
        out.index = vorlage.mask.index
        return out[list(vorlage.mask.columns)]

    published = auswahl(joint.published)
    published.attrs = dict(joint.published.attrs)
    if praefix:
        offen = [u.replace(praefix, "") for u in joint.unresolved if praefix in u]
    else:
        offen = [u for u in joint.unresolved if "'_" not in u]
    offen += [u for u in joint.unresolved if _INAKTIV in u]
    return replace(
        vorlage,
        published=published,
        mask=auswahl(joint.mask).astype(bool),
        reason=auswahl(joint.reason),
        unresolved=tuple(offen),
    )


def _nullen_zuletzt(pruefen: Callable[[bool], PublishedTable]) -> PublishedTable:
    """``pruefen(False)``, or, where that leaves cells unprotected, ``pruefen(True)`` (a
    shown zero may be hidden: ``suppress(..., nullen_sperren=True)``) when that leaves
    fewer. "Zero stays 0" is given up only as the last resort."""
    erster = pruefen(False)
    if not erster.unresolved:
        return erster
    zweiter = pruefen(True)
    return zweiter if len(zweiter.unresolved) < len(erster.unresolved) else erster


def _mit_zeichen(kombination: tuple[PublishedTable, dict] | None) -> bool:
    """True when a count is one cell that its table hides with the symbol though small.

    Shown as ``"<5"`` beside it, the count would add the bound the symbol avoids.
    """
    if kombination is None:
        return False
    table, cells = kombination
    if len(cells) != 1:
        return False
    [(row, col)] = cells
    return bool(als_zeichen(table).loc[row, col])


@dataclass(eq=False)
class Publication:
    """Published tables of one Kreis and Stichtag, with one hiding pattern per quantity.

    Build it with :func:`fuer` (cached per Workspace). Tables are computed
    on first use and kept.

    Attributes
    ----------
    ws : Workspace
        The whole Kreis.
    """

    ws: Workspace
    _zielgruppe: dict[pd.Timestamp, PublishedTable] = field(default_factory=dict, repr=False)
    _personen: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _versorgung: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _ablage: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ Kreis-wide results
    def gemerkt(self, name: str, make: Any) -> Any:
        """``make()`` once per layer: a Kreis-wide result the published tables take rows of.

        For results that depend on the Workspace only (e.g. the scenario comparison).
        """
        if name not in self._ablage:
            self._ablage[name] = make()
        return self._ablage[name]

    def modellquoten(self) -> pd.DataFrame:
        """The need rates of every published model figure.

        :func:`thm_lib.analysis.needs.published_model_rates` of the Kreis's case
        documentation: pooled where a rate would pin 1 .. threshold-1 cases, the
        Standardquote where withheld. Computed once per layer.
        """

        def make() -> pd.DataFrame:
            ws = self.ws
            quoten = need_rates(ws.faelle, ws.bedarfe, ws.annahmen)
            return published_model_rates(quoten, ws.annahmen)

        return self.gemerkt("modellquoten", make)

    def modellquoten_fuer(
        self, felder: list[str] | None = None, quoten: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """The rates of the published model (or ``quoten``) for the Handlungsfelder ``felder``.

        :func:`thm_lib.analysis.coverage.quoten_fuer` with :meth:`modellquoten` as
        default; ``felder`` None: all of the Kreis.
        """
        return quoten_fuer(self.ws, felder, self.modellquoten() if quoten is None else quoten)

    # ------------------------------------------------------------------ settings
    @property
    def schwelle(self) -> int:
        """The suppression threshold (``annahmen.datenschutz.schwelle``)."""
        return int(self.ws.annahmen.datenschutz.schwelle)

    @property
    def zeichen(self) -> str:
        """The mark of hidden cells (``annahmen.datenschutz.zeichen_geheim``)."""
        return str(self.ws.annahmen.datenschutz.zeichen_geheim)

    @property
    def status(self) -> list[str]:
        """The target-group statuses, in order."""
        return list(self.ws.annahmen.zielgruppe.status)

    @cached_property
    def stichtage(self) -> list[pd.Timestamp]:
        """Every Stichtag of the target-group data, ascending."""
        return [
            pd.Timestamp(t) for t in sorted(pd.to_datetime(self.ws.zielgruppe["stichtag"]).unique())
        ]

    @cached_property
    def _names(self) -> dict[str, str]:
        return dict(zip(self.ws.gebiete["ags"].astype(str), self.ws.gebiete["name"], strict=True))

    def name(self, ags: str) -> str:
        """Row label (Gemeinde name) of ``ags`` in the Kreis tables."""
        return self._names[str(ags)]

    # ------------------------------------------------------------------ counts
    def zielgruppe(self, stichtag: pd.Timestamp | None = None) -> PublishedTable:
        """Target group per Gemeinde and status (with totals) at ``stichtag``, suppressed once.

        A Gemeinde without a count at ``stichtag`` shows its count of another
        Stichtag (:func:`thm_lib.analysis.target_group.stichtag_je_gemeinde`): the same
        numbers as in the table of an earlier Stichtag, so its row takes that
        table's hiding pattern. Tables are built from the earliest Stichtag on.
        """
        tag = self.ws.stichtag if stichtag is None else pd.Timestamp(stichtag)
        for frueher in [t for t in self.stichtage if t < tag]:
            if frueher not in self._zielgruppe:
                self._zielgruppe[frueher] = self._build_zielgruppe(frueher)
        if tag not in self._zielgruppe:
            self._zielgruppe[tag] = self._build_zielgruppe(tag)
        return self._zielgruppe[tag]

    def _build_zielgruppe(self, tag: pd.Timestamp) -> PublishedTable:
        ws = self.ws
        seg = target_group.segments(ws.zielgruppe, ws.annahmen, tag)
        wide = target_group.per_gemeinde(seg, ws.gebiete)
        for s in self.status:
            if s not in wide:
                wide[s] = 0.0
        table = wide.set_index("name")[[*self.status, "gesamt"]].round().astype(int)
        table["gesamt"] = table[self.status].sum(axis=1)
        table.loc[TOTAL] = table.sum()
        table.index.name = "Gemeinde"
        masken = self._wie_frueher(tag, table)
        titel = f"Zielgruppe am {tag:%d.%m.%Y} je Gemeinde und Status"
        spalten = {
            **{s: labels.STATUS_LABEL[s] for s in self.status},
            "gesamt": "Zielgruppe insgesamt",
        }

        def pruefen(antrag: tuple[list[str], str] | None) -> PublishedTable:
            if masken[1] is None:
                return self._kreistabelle(table, masken, titel, spalten, antrag=antrag)
            # rows repeated from an earlier Stichtag keep their pattern; when that leaves
            # cells open (the free cells are zeros: one Gemeinde's "<5" fell to 0), hiding
            # a zero is the last resort
            return _nullen_zuletzt(
                lambda nullen: self._kreistabelle(
                    table, masken, titel, spalten, nullen_sperren=nullen, antrag=antrag
                )
            )

        erster = pruefen(None)
        antrag = self._kreis_faq_summe(tag)
        if antrag is None or is_determined(erster, {(n, antrag[1]): 1.0 for n in antrag[0]}):
            return erster
        # the Kreis's FAQ count (Stellen) is the sum over the Gemeinden it counts; hidden
        # there, it must keep as wide a range as any "." (session 33: 48 + 0 + 51 + "<5"
        # + 0 gave 100–103): checked again with that sum as a row of its own
        return pruefen(antrag)

    def _kreis_faq_summe(self, tag: pd.Timestamp) -> tuple[list[str], str] | None:
        """The Gemeinden (row names) and the column whose sum at ``tag`` is the Kreis's FAQ
        count of the staffing estimate, when it is one: counted like the target group
        (:func:`~thm_lib.disclosure.faq_zaehlung.vergleichbar`), its statuses one column,
        over two or more Gemeinden but not all of them (else it is a row of the table)."""
        ws = self.ws
        zaehl = ws.programm["zaehlung"]
        zg_cfg = ws.annahmen.zielgruppe
        if not vergleichbar(zaehl, self.status, (zg_cfg.alter_min, zg_cfg.alter_max)):
            return None
        status = list(zaehl["status"])
        if set(status) == set(self.status):
            spalte = "gesamt"
        elif len(status) == 1 and status[0] in self.status:
            spalte = status[0]
        else:
            return None
        bemessung = stellenbemessung(ws)
        kreis = bemessung[bemessung["ebene"] == EBENE_KREIS]
        gebiet = [a for a in antragsteller(ws) if a["ebene"] == EBENE_KREIS]
        if kreis.empty or not gebiet:
            return None
        faq_tag = self.faq_tabelle(kreis.iloc[0])
        namen = [self.name(str(a)) for a in gebiet[0]["gemeinden"]]
        if faq_tag != tag or not 2 <= len(namen) < len(self._names):
            return None
        return namen, spalte

    def _kreistabelle(
        self,
        table: pd.DataFrame,
        masken: tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None],
        titel: str,
        spalten: dict[str, str],
        nullen_sperren: bool = False,
        antrag: tuple[list[str], str] | None = None,
    ) -> PublishedTable:
        """A Kreis table with totals (row ``TOTAL``, column ``gesamt``) through
        :func:`suppress`, with the (hidden, shown, symbol) masks from other tables.

        ``antrag``: Gemeinden (rows) whose sum in the given column is published
        elsewhere, hidden (the Kreis's FAQ count): a row of their sums joins the check
        (``teilsummen`` of :func:`suppress`; its other columns unknown) and is dropped
        from the result.
        """
        hidden, shown, zeichen = masken
        teilsummen = None
        rows, vorlage = list(table.index), table
        if antrag is not None:
            namen, spalte = antrag
            summe = table.loc[namen].sum().astype(float)
            summe[[c for c in table.columns if c != spalte]] = np.nan
            table = pd.concat(
                [table.drop(index=TOTAL), summe.to_frame(_ANTRAG).T, table.loc[[TOTAL]]]
            )
            leer = pd.DataFrame(False, index=table.index, columns=table.columns)
            hidden, shown, zeichen = (
                leer if m is None else m.reindex_like(leer).fillna(False).astype(bool)
                for m in masken
            )
            hidden = hidden.copy()
            hidden.loc[_ANTRAG, spalte] = True
            zeichen = zeichen.copy()
            zeichen.loc[_ANTRAG, spalte] = not 1 <= summe[spalte] < self.schwelle
            teilsummen = {_ANTRAG: namen}
        out = suppress(
            table,
            self.schwelle,
            total_row=TOTAL,
            total_col="gesamt",
            symbol=self.zeichen,
            hidden_elsewhere=hidden,
            shown_elsewhere=shown,
            symbol_elsewhere=zeichen,
            titel=titel,
            column_labels=spalten,
            nullen_sperren=nullen_sperren,
            teilsummen=teilsummen,
        )
        if antrag is None:
            return out
        teil = select_rows(out, rows)
        intern = vorlage.copy()  # the counts as they were (whole numbers)
        intern.attrs = dict(teil.internal_unsuppressed.attrs)
        return replace(
            teil, internal_unsuppressed=intern, structure={**out.structure, "teilsummen": None}
        )

    def _wie_frueher(
        self, tag: pd.Timestamp, table: pd.DataFrame
    ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
        """Masks of the rows of ``table`` already shown, with the same numbers, in the
        table of an earlier Stichtag (hidden, shown, shown with the symbol); all None
        when there is none. Such rows are never hidden anew, a zero neither."""
        quelle = target_group.stichtag_je_gemeinde(self.ws.zielgruppe, tag)
        hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
        shown, zeichen = hidden.copy(), hidden.copy()
        any_row = False
        for frueher, pt in self._zielgruppe.items():
            if frueher >= tag:
                continue
            vorher = target_group.stichtag_je_gemeinde(self.ws.zielgruppe, frueher)
            sym = als_zeichen(pt)
            for ags, t in quelle.items():
                name = self._names.get(str(ags))
                if (
                    name is None
                    or name not in pt.mask.index
                    or vorher.get(ags) != t
                    or not (pt.internal_unsuppressed.loc[name] == table.loc[name]).all()
                ):
                    continue
                hidden.loc[name] |= pt.mask.loc[name, table.columns].astype(bool)
                shown.loc[name] |= ~pt.mask.loc[name, table.columns].astype(bool)
                zeichen.loc[name] |= sym.loc[name, table.columns]
                any_row = True
        if not any_row:
            return None, None, None
        # a Gemeinde without any count is 0 in every table: its row is the earlier one too
        mit_zahl = set(quelle.index.astype(str))
        ohne = [n for a, n in self._names.items() if a not in mit_zahl and n in table.index]
        shown.loc[ohne] = True
        return hidden, shown & ~hidden, zeichen

    def _stichtag_von(self, tag: Any) -> pd.Timestamp | None:
        """The data Stichtag used for ``tag`` (latest on or before it), or None."""
        return target_group.letzter_stichtag(self.stichtage, tag)

    def faq_tabelle(self, zeile: pd.Series) -> pd.Timestamp | None:
        """The Stichtag of the target-group table a staffing row's FAQ count is read in.

        The table of the date it is counted for (``faq_ziel``: first application
        or analysis Stichtag), where every Gemeinde has its latest count on or
        before that date, as in the count. A Gemeinde whose counts all end
        earlier is read there too, not in the table of its last count: the
        whole-run audit links it to the others counted for the same date
        (round 2, session 39: a Kreis row at 31.12.2021 beside a Gemeinde last
        counted at 31.12.2020, each protected in its own table, pinned the
        Gemeinde's hidden count). Where the count had to take a later Stichtag
        (none before the first application), that one; without any count, the
        analysis Stichtag.
        """
        daten = self._stichtag_von(zeile.get("faq_stichtag"))
        if daten is None:
            return self._stichtag_von(self.ws.stichtag)
        ziel = self._stichtag_von(zeile.get("faq_ziel"))
        return ziel if ziel is not None and ziel > daten else daten

    @cached_property
    def struktur(self) -> PublishedTable:
        """Target group of the Kreis by age band and sex; its grand total has the mask of
        the Kreis total in :meth:`zielgruppe` (the same number)."""
        ws = self.ws
        seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
        table = seg.pivot_table(
            index="altersgruppe",
            columns="geschlecht",
            values="personen",
            aggfunc="sum",
            fill_value=0.0,
        )
        bands = [label for _, _, label in target_group.altersgruppen(ws.annahmen)]
        sexes = [g for g in labels.GESCHLECHT if g in table.columns]
        table = table.reindex(index=bands, columns=sexes, fill_value=0.0).round().astype(int)
        table["gesamt"] = table.sum(axis=1)
        table.loc[TOTAL] = table.sum()
        table.index.name = "Altersgruppe"
        zg = self.zielgruppe()
        same = zg.internal_unsuppressed.loc[TOTAL, "gesamt"] == table.loc[TOTAL, "gesamt"]
        grand = pd.DataFrame(False, index=table.index, columns=table.columns)
        grand.loc[TOTAL, "gesamt"] = True
        hidden = grand & bool(zg.mask.loc[TOTAL, "gesamt"]) if same else None
        shown = grand & (not bool(zg.mask.loc[TOTAL, "gesamt"])) if same else None
        zeichen = grand & bool(als_zeichen(zg).loc[TOTAL, "gesamt"]) if same else None
        return self._kreistabelle(
            table,
            (hidden, shown, zeichen),
            "Zielgruppe nach Altersgruppe und Geschlecht",
            {**labels.GESCHLECHT_LABEL, "gesamt": "insgesamt"},
        )

    # ------------------------------------------------------------------ Berichtswesen
    @cached_property
    def bericht(self) -> Any:
        """The Berichtswesen report (internal) for the calendar year of the Stichtag."""

        ws = self.ws
        von = pd.Timestamp(year=ws.stichtag.year, month=1, day=1)
        return report_from_workspace(ws, von, ws.stichtag, ags=KREIS)

    @cached_property
    def _bericht_einzeln(self) -> dict[str, PublishedTable]:
        """The Berichtswesen tables, each suppressed on its own (before the joint checks)."""
        return veroeffentlichen(self.bericht, self.schwelle)

    @property
    def bericht_tabellen(self) -> dict[str, PublishedTable]:
        """The published Berichtswesen tables of the Kreis; "Fallzahlen" and "Reichweite"
        checked together (:attr:`reichweite`). None of them ({}) where one cannot be
        protected (:attr:`berichtswesen_zurueckgehalten`)."""
        return {} if self.berichtswesen_zurueckgehalten else self._bericht_geprueft

    @cached_property
    def berichtswesen_zurueckgehalten(self) -> bool:
        """True where a Berichtswesen table stays open after the joint checks: none of
        them is published, nor the reach (round 2, session 40).

        In a Kreis with a handful of cases every count is small and the tables pin each
        other (active cases in "Fallzahlen" and "Reichweite", clients per status, the
        Kreis as the sum of its Gemeinden): a "<5" hidden everywhere was still narrowed
        to two values. The tables are tied, so they are withheld together; the reports
        say why in a sentence.
        """
        return any(t.unresolved for t in self._bericht_geprueft.values())

    @cached_property
    def _bericht_geprueft(self) -> dict[str, PublishedTable]:
        """The Berichtswesen tables after the joint checks (:attr:`bericht_tabellen`)."""
        tables = dict(self._bericht_einzeln)
        fall, reach = self._fall_und_reichweite
        if fall is not None:
            tables["Fallzahlen"] = fall
            abschl = tables.get("Abschlüsse")
            # the total of "Abschlüsse" is the Kreis's closed cases: hidden in both or
            # neither, and with the same mark ("<5" or the symbol)
            if abschl is not None and _verborgen(fall, REPORT_TOTAL, "abgeschlossen"):
                zeichen = _zeichen(fall, REPORT_TOTAL, "abgeschlossen")
                if not _verborgen(abschl, REPORT_TOTAL, "anzahl") or (
                    zeichen and not _zeichen(abschl, REPORT_TOTAL, "anzahl")
                ):
                    summe = _nur(abschl, REPORT_TOTAL, "anzahl")
                    tables["Abschlüsse"] = abschluesse(
                        self.bericht,
                        self.schwelle,
                        hidden_elsewhere=summe,
                        symbol_elsewhere=summe if zeichen else None,
                    )
        tables["Reichweite"] = reach
        if "Bedarfe" in tables:
            tables["Bedarfe"] = self._fallevidenz_und_bedarfe[1]
        return tables

    @property
    def reichweite(self) -> PublishedTable:
        """Reach per Gemeinde and status; its target-group cells carry exactly the mask of
        :meth:`zielgruppe` (same numbers), clients equal to the active cases of
        "Fallzahlen" carry that table's mask; the other client cells are protected
        around them."""
        return self._fall_und_reichweite[1]

    @cached_property
    def _fall_und_reichweite(self) -> tuple[PublishedTable | None, PublishedTable]:
        """ "Fallzahlen" and "Reichweite", checked together (clients <= active cases).

        First with the masks of "Fallzahlen" as they are. Where that leaves a hidden
        client count pinned (a Kreis of few cases, nearly all "<5" per Gemeinde, so
        the shown active cases bound the clients tightly), two remedies: the check
        runs again free to hide cells of "Fallzahlen" too ("Fallzahlen" is then
        published with those cells hidden), or it relabels more small cells of
        "Reichweite" (the third try of :func:`suppress`). The one that leaves fewer
        cells unprotected wins, then the one that loses fewer values
        (:func:`verlorene_werte`).
        """
        base = self._bericht_einzeln["Reichweite"]
        raw = base.internal_unsuppressed.copy()
        raw.attrs = {}
        zg = self.zielgruppe()
        by_ags = {self.name(a): a for a in self._names}

        def zg_cells(mask: pd.DataFrame) -> pd.DataFrame:
            out = pd.DataFrame(False, index=raw.index, columns=raw.columns)
            for name, row in mask.iterrows():
                key = REPORT_TOTAL if name == TOTAL else by_ags.get(str(name))
                if key is None or key not in out.index:
                    continue
                for s in self.status:
                    if f"zielgruppe_{s}" in out.columns:
                        out.loc[key, f"zielgruppe_{s}"] = bool(row[s])
                if "zielgruppe" in out.columns:
                    out.loc[key, "zielgruppe"] = bool(row["gesamt"])
            return out

        groups = [([f"{k}_{s}" for s in self.status], k) for k in ("klient_innen", "zielgruppe")]
        shares = {f"reichweite_{s}": [f"klient_innen_{s}", f"zielgruppe_{s}"] for s in self.status}
        shares["reichweite"] = ["klient_innen", "zielgruppe"]
        total = REPORT_TOTAL if REPORT_TOTAL in raw.index else None
        hidden, shown, zeichen = zg_cells(zg.mask), zg_cells(~zg.mask), zg_cells(als_zeichen(zg))
        # clients in the reach table equal to the active cases of "Fallzahlen" (every case
        # in the target group) are the same number: same mask
        fall = self._fall_basis()
        same = pd.Series(False, index=raw.index)
        if fall is not None and "aktiv" in fall.mask and "klient_innen" in raw:
            aktiv = fall.internal_unsuppressed["aktiv"].reindex(raw.index)
            same = aktiv.eq(raw["klient_innen"]).fillna(False).astype(bool)
            fmask = fall.mask["aktiv"].reindex(raw.index).fillna(False).astype(bool)
            hidden.loc[same, "klient_innen"] = fmask[same]
            shown.loc[same, "klient_innen"] = ~fmask[same]
            fzeichen = als_zeichen(fall)["aktiv"].reindex(raw.index).fillna(False)
            zeichen.loc[same, "klient_innen"] = fzeichen[same].astype(bool)
        # the active, new and closed cases of "Fallzahlen" join the check as given cells
        # (their masks are published already): shown clients must not narrow them either,
        # since clients <= active cases in every row
        joint, at_most = raw.copy(), []
        if fall is not None and "aktiv" in fall.mask and "klient_innen" in raw:
            for c in [c for c in ("neu", "aktiv", "abgeschlossen") if c in fall.mask]:
                col = f"{_FALL}{c}"
                joint[col] = fall.internal_unsuppressed[c].reindex(raw.index)
                fm = fall.mask[c].reindex(raw.index).fillna(False).astype(bool)
                hidden[col], shown[col] = fm, ~fm
                zeichen[col] = als_zeichen(fall)[c].reindex(raw.index).fillna(False)
            at_most = [
                (f"{_FALL}{c}", f"{_FALL}aktiv")
                for c in ("neu", "abgeschlossen")
                if f"{_FALL}{c}" in joint
            ] + [("klient_innen", f"{_FALL}aktiv")]
        extra = [c for c in joint.columns if c.startswith(_FALL)]

        def check(
            shown: pd.DataFrame, hidden: pd.DataFrame, umzeichnen: bool = False
        ) -> PublishedTable:
            return suppress(
                joint,
                self.schwelle,
                count_cols=[*base.count_cols, *extra],
                total_row=total,
                row_groups=groups,
                share_cols=shares,
                symbol=self.zeichen,
                hidden_elsewhere=hidden,
                shown_elsewhere=shown,
                symbol_elsewhere=zeichen,
                at_most=at_most,
                titel=base.titel,
                column_labels=base.column_labels,
                umbenennen_gruendlich=umzeichnen,
            )

        table = check(shown, hidden)
        if table.unresolved:
            # two remedies: hide cells of "Fallzahlen" too, or relabel more cells here (the
            # third try of the bounded check); the one that protects most, then loses
            # fewest values (a generated Kreis relabelled into hiding its reach totals
            # where two counts of "Fallzahlen" were enough)
            wege = [(check(shown, hidden, umzeichnen=True), fall)]
            if extra:
                wege.insert(0, self._fallzahlen_freigeben(check, table, fall, shown, hidden, same))
            table, fall = min(
                wege,
                key=lambda weg: (
                    len(weg[0].unresolved),
                    verlorene_werte(ohne_spalten(weg[0], extra), weg[1]),
                ),
            )
        return fall, ohne_spalten(table, extra)

    def _fall_basis(self) -> PublishedTable | None:
        """ "Fallzahlen" on its own, before the joint check with "Reichweite".

        When "Abschlüsse" must hide its total to protect the reasons, the
        Kreis's closed cases (the same number) are hidden here too, with the same
        mark: a small total that "Abschlüsse" shows with the symbol instead of
        "<5" must not be bounded by "<5" here.
        """
        fall = self._bericht_einzeln.get("Fallzahlen")
        abschl = self._bericht_einzeln.get("Abschlüsse")
        if (
            fall is None
            or abschl is None
            or not _verborgen(abschl, REPORT_TOTAL, "anzahl")
            or REPORT_TOTAL not in fall.mask.index
            or "abgeschlossen" not in fall.mask.columns
        ):
            return fall
        zeichen = _zeichen(abschl, REPORT_TOTAL, "anzahl")
        if _verborgen(fall, REPORT_TOTAL, "abgeschlossen") and (
            not zeichen or _zeichen(fall, REPORT_TOTAL, "abgeschlossen")
        ):
            return fall
        gleich = _nur(fall, REPORT_TOTAL, "abgeschlossen")
        if zeichen:  # a Gemeinde holding every closed case shows the same number
            werte = pd.to_numeric(fall.internal_unsuppressed["abgeschlossen"], errors="coerce")
            gemeinden = werte.drop(REPORT_TOTAL)
            if int((gemeinden > 0).sum()) == 1:
                gleich.loc[gemeinden.index[gemeinden > 0], "abgeschlossen"] = True
        return fallzahlen(
            self.bericht,
            self.schwelle,
            hidden_elsewhere=gleich,
            symbol_elsewhere=gleich if zeichen else None,
        )

    def _fallzahlen_freigeben(
        self,
        check: Any,
        table: PublishedTable,
        fall: PublishedTable,
        shown: pd.DataFrame,
        hidden: pd.DataFrame,
        same: pd.Series,
    ) -> tuple[PublishedTable, PublishedTable]:
        """The joint check again, free to hide cells of "Fallzahlen" too.

        Clients equal to the active cases keep one mask with them (hidden in both
        where either is hidden, checked again). Returns the first result unchanged
        when this does not resolve it either.
        """
        aktiv = f"{_FALL}aktiv"
        extra = [c for c in table.count_cols if c.startswith(_FALL)]
        frei, versteckt = shown.copy(), hidden.copy()
        frei[extra] = False
        frei.loc[same, "klient_innen"] = False
        for _ in range(len(same) + 1):
            second = check(frei, versteckt)
            if second.unresolved:
                return table, fall
            neu = fallzahlen(
                self.bericht,
                self.schwelle,
                hidden_elsewhere=_fall_spalten(second.mask[extra]),
                symbol_elsewhere=_fall_spalten(als_zeichen(second)[extra]),
            )
            fmask = neu.mask["aktiv"].reindex(same.index).fillna(False).astype(bool)
            differ = same & (fmask != second.mask["klient_innen"].astype(bool))
            mehr = fmask & ~second.mask[aktiv].astype(bool)  # hidden by Fallzahlen itself
            if not differ.any() and not mehr.any():
                return second, neu
            versteckt.loc[differ, ["klient_innen", aktiv]] = True
            versteckt.loc[mehr, aktiv] = True
        return table, fall

    # ------------------------------------------------------------------ case evidence
    @cached_property
    def nicht_aktive_faelle(self) -> int | None:
        """Target cases (with consent) not active in the report year; None without cases.

        A reader has this number: the need rates with their intervals give the
        target cases (``n``), "Reichweite" the active ones ("Klient*innen gesamt").
        """
        faelle = self.ws.faelle
        if faelle is None or not len(faelle):
            return None
        f = target_group.eligible_cases(faelle, self.ws.annahmen)
        return int((~period_flags(f, self.bericht.period)["aktiv"]).sum())

    @property
    def fallevidenz(self) -> PublishedTable | None:
        """The Kreis's case evidence per Handlungsfeld, published together with the
        Berichtswesen table "Bedarfe" (:meth:`_fallevidenz_und_bedarfe`); None where
        it cannot be protected (not published).

        Rows: the configured Handlungsfelder and :data:`TOTAL`; counts ``passend``,
        ``naechstbeste``, ``kein_angebot`` (one result per target case and field:
        its last decided one), ``entschieden`` (their sum, the base of the shares
        ``anteil_*``), ``offen`` and ``gesamt`` (the cases with a need).
        """
        if self.berichtswesen_zurueckgehalten:  # no "Bedarfe" beside it: checked alone
            return self._fallevidenz_fuer_sich
        return self._fallevidenz_und_bedarfe[0]

    @cached_property
    def _fallevidenz_eigen(self) -> PublishedTable:
        """The Fallevidenz suppressed on its own (:meth:`_fallevidenz_allein`)."""
        return self._fallevidenz_allein(self._fallevidenz_zahlen())

    @property
    def _fallevidenz_fuer_sich(self) -> PublishedTable | None:
        """:attr:`_fallevidenz_eigen` where no "Bedarfe" stands beside it, or None (not
        published) where even that stays open."""
        eigen = self._fallevidenz_eigen
        return None if eigen.unresolved else eigen

    def _fallevidenz_zahlen(self) -> pd.DataFrame:
        """The counts of :attr:`fallevidenz` (internal), from the case records of the
        Gemeinden of the Kreis (:func:`thm_lib.analysis.coverage.case_evidence`)."""
        ws = self.ws
        felder = list(ws.handlungsfelder)
        ev = case_evidence(ws.faelle, ws.bedarfe, ws.annahmen, ["ags"])
        ev = ev[
            ev["ags"].astype(str).isin(ws.gebiete["ags"].astype(str))
            & ev["handlungsfeld"].isin(felder)
        ]
        feld = ev["handlungsfeld"]
        table = pd.DataFrame(
            {e: (ev[f"anteil_{e}"] * ev["faelle_n"]).groupby(feld).sum() for e in ENTSCHIEDEN}
        )
        table["entschieden"] = ev["faelle_n"].groupby(feld).sum()
        table["offen"] = ev["offen_n"].groupby(feld).sum()
        table = table.reindex(felder).fillna(0).round().astype(int)
        table["gesamt"] = table["entschieden"] + table["offen"]
        table.loc[TOTAL] = table.sum()
        table.index.name = "Handlungsfeld"
        for e in ENTSCHIEDEN:
            table[f"anteil_{e}"] = table[e] / table["entschieden"].where(table["entschieden"] > 0)
        return table

    def _fallevidenz_gezeigt(self, table: pd.DataFrame) -> pd.DataFrame:
        """The cells of the Fallevidenz a reader has from other outputs: "Bedarfe
        insgesamt" of each field whose published need rates come from cases (they add
        up to it). Their sum is not marked: marking it made the check of the sample Kreis
        hide every count (session 32)."""
        a = self.ws.annahmen
        quoten = published_rates(
            self.gemerkt("bedarfsquoten", lambda: need_rates(self.ws.faelle, self.ws.bedarfe, a)),
            self.schwelle,
            max(int(a.bedarf.mindestfaelle), 1),
            float(a.bedarf.konfidenz),
        )
        aus_faellen = ~quoten["quelle"].isin([FALLBACK, GESPERRT])
        gezeigt = pd.DataFrame(False, index=table.index, columns=["gesamt"])
        gezeigt.loc[gezeigt.index.isin(quoten.loc[aus_faellen, "handlungsfeld"]), "gesamt"] = True
        return gezeigt

    def _fallevidenz_allein(self, table: pd.DataFrame) -> PublishedTable:
        """The Fallevidenz suppressed on its own.

        "Bedarfe insgesamt" of a Handlungsfeld, the cases with a need there, is
        what its published need rates add up to (each rate with its interval gives
        its group's cases): shown elsewhere wherever the field shows rates from
        cases, so the open needs, its difference to the decided ones, are protected
        by hiding decided counts (round 2, session 31).
        """
        gezeigt = self._fallevidenz_gezeigt(table)

        def pruefen(nullen: bool) -> PublishedTable:
            return suppress(
                table,
                self.schwelle,
                symbol=self.zeichen,
                count_cols=[*ENTSCHIEDEN, "entschieden", "offen", "gesamt"],
                total_row=TOTAL,
                row_groups=_FALLEVIDENZ_ZEILEN,
                share_cols=_FALLEVIDENZ_ANTEILE,
                shown_elsewhere=gezeigt,
                nullen_sperren=nullen,
            )

        # where a field's total is known and its open needs are 0, its decided ones are
        # known: only hiding that 0 protects them
        return _nullen_zuletzt(pruefen)

    @cached_property
    def _fallevidenz_und_bedarfe(self) -> tuple[PublishedTable | None, PublishedTable | None]:
        """The Fallevidenz and "Bedarfe", checked together.

        A target case with result x in a Handlungsfeld (its last decided one, else
        open) is either active in the report year, and "Bedarfe" counts a row of it
        with result x, or one of the :attr:`nicht_aktive_faelle` (I), with one result
        per field. So in every field and for every set S of results,
        ``sum over S of (Fallevidenz - Bedarfe) <= I``. Where I is small (every case
        active in the year) that bounds hidden cells of both tables: an attack
        narrowed a Fallevidenz "<5" to 3–4 with it (round 2, session 31). Each table
        is suppressed on its own first; the joint check starts from both patterns
        and may hide more cells in either (with helper cells for the inactive cases
        per result, unknown to the reader).

        Where the Fallevidenz stays open even so, it is not published (None; the
        reports say so in a sentence): in a Kreis with one documented case its cells
        are pinned by "Bedarfe" and I whatever is hidden (round 2, session 40).
        "Bedarfe" is then checked against what a reader still knows of it: the needs
        per field its published need rates add up to.
        """
        bedarfe = self._bericht_einzeln.get("Bedarfe")
        if bedarfe is None or self.nicht_aktive_faelle is None:
            return self._fallevidenz_fuer_sich, bedarfe
        evidenz, gemeinsam = self._gemeinsam_pruefen(mit_evidenz=True)
        if evidenz is not None and not evidenz.unresolved:
            return evidenz, gemeinsam
        return self._gemeinsam_pruefen(mit_evidenz=False)

    def _gemeinsam_pruefen(self, mit_evidenz: bool) -> tuple[PublishedTable | None, PublishedTable]:
        """The joint check of :attr:`_fallevidenz_und_bedarfe`: both tables published
        (``mit_evidenz``), or "Bedarfe" alone, the Fallevidenz unknown to a reader but
        for the cells other outputs give (None in its place)."""
        eigen, bedarfe = self._fallevidenz_eigen, self._bericht_einzeln["Bedarfe"]
        inaktiv = self.nicht_aktive_faelle
        fremd = {c: f"{_BEDARFE}{c}" for c in bedarfe.published.columns}
        fz = [fremd[c] for c in bedarfe.count_cols]
        body = [r for r in eigen.mask.index if r != TOTAL]
        rows = [*body, *(r for r in bedarfe.mask.index if r not in eigen.mask.index), TOTAL]
        joint = eigen.internal_unsuppressed.reindex(rows)
        joint[list(fremd.values())] = bedarfe.internal_unsuppressed.rename(columns=fremd).reindex(
            rows
        )[list(fremd.values())]
        counts = [*eigen.count_cols, *fz]
        joint[counts] = joint[counts].fillna(0)  # a field one table lacks: 0 there
        gezeigt = self._fallevidenz_gezeigt(eigen.internal_unsuppressed).reindex(
            index=rows, columns=joint.columns, fill_value=False
        )
        gezeigt.loc[[r for r in rows if r not in eigen.mask.index], list(eigen.count_cols)] = True
        anteile, e_maske, e_zeichen = dict(_FALLEVIDENZ_ANTEILE), eigen.mask, als_zeichen(eigen)
        if not mit_evidenz:  # not published: unknown (NaN) but where other outputs give it
            e_cols = list(eigen.count_cols)
            joint[e_cols] = joint[e_cols].mask(~gezeigt[e_cols].astype(bool))
            joint = joint.drop(columns=list(anteile))
            anteile, e_maske, e_zeichen = {}, eigen.mask & False, eigen.mask & False
        ergebnisse = [e for e in labels.ERGEBNIS if e in bedarfe.count_cols and e in joint]
        hilfe = {e: f"{_INAKTIV}{e}" for e in ergebnisse}
        for c in hilfe.values():
            joint[c] = np.nan  # unknown to the reader, >= 0
        ungleichungen = []
        for r in body:
            if r in bedarfe.mask.index:
                ungleichungen += [(r, {e: 1.0, hilfe[e]: -1.0, fremd[e]: -1.0}, 0.0) for e in hilfe]
                ungleichungen.append((r, dict.fromkeys(hilfe.values(), 1.0), float(inaktiv)))

        def beide(e_frame: pd.DataFrame, b_frame: pd.DataFrame) -> pd.DataFrame:
            out = e_frame.reindex(index=rows, columns=joint.columns, fill_value=False)
            b = b_frame.rename(columns=fremd)
            return out.astype(bool) | b.reindex(
                index=rows, columns=joint.columns, fill_value=False
            ).astype(bool)

        def pruefen(nullen: bool) -> PublishedTable:
            return suppress(
                joint,
                self.schwelle,
                symbol=self.zeichen,
                count_cols=[*counts, *hilfe.values()],
                total_row=TOTAL,
                row_groups=[
                    *_FALLEVIDENZ_ZEILEN,
                    (
                        [fremd[e] for e in labels.ERGEBNIS if e in bedarfe.count_cols],
                        fremd["gesamt"],
                    ),
                ],
                share_cols={
                    **anteile,
                    **{
                        fremd[s]: [fremd[c] for c in q]
                        for s, q in BEDARFE_ANTEILE.items()
                        if s in fremd
                    },
                },
                schon_verborgen=beide(e_maske, bedarfe.mask),
                shown_elsewhere=gezeigt,
                symbol_elsewhere=beide(e_zeichen, als_zeichen(bedarfe)),
                ungleichungen=ungleichungen,
                nullen_sperren=nullen,
            )

        # where "Bedarfe" shows a 0 beside a small Fallevidenz count and nothing else is
        # left to hide, the 0 is hidden too
        out = _nullen_zuletzt(pruefen)
        zurueck = {v: k for k, v in fremd.items()}
        evidenz = _teil(out, {c: c for c in eigen.mask.columns}, eigen) if mit_evidenz else None
        return evidenz, _teil(out, zurueck, bedarfe, _BEDARFE)

    # ------------------------------------------------------------------ staffing
    def personen(self, bemessung: pd.DataFrame) -> PublishedTable:
        """The person counts behind the staffing estimates, with the masks of the counts
        they are (:meth:`zielgruppe` of their Stichtag).

        Rows: every Gemeinde (``ags``) plus :data:`KREIS`; columns
        ``faq_personen`` and ``fallzahl_personen``. A figure is shown only
        where it follows from the shown cells of the target-group table of
        its Stichtag (the same number, or a sum of shown numbers); else it
        is hidden, whatever its size.
        """
        return _same_object_cache(
            self._personen, bemessung, lambda: self._build_personen(bemessung)
        )

    def _combination(
        self,
        value: float,
        rows: list[str],
        tag: pd.Timestamp | None,
        statuses: list[str],
        ages: tuple[int, int] | None,
    ) -> tuple[PublishedTable, dict[tuple[str, str], float]] | None:
        """The cells of the target-group table of ``tag`` a staffing count is, or None.

        The count is the persons of ``statuses`` (of ages ``ages``, None = the
        target group's) in the rows ``rows`` (Gemeinde names, or :data:`TOTAL`):
        the cells are taken from what the count means, never guessed from its
        value (round 2, session 39: a Kreis row whose count of Geduldete in the
        Gemeinden it applies for happened to equal the Kreis's Gestattete was
        taken for that shown total). None, so hidden, where the table has no
        such cells or their sum is not ``value``.
        """
        if tag is None:
            return None
        zg_cfg = self.ws.annahmen.zielgruppe
        if ages is not None and ages != (zg_cfg.alter_min, zg_cfg.alter_max):
            return None
        if not statuses or not set(statuses) <= set(self.status):
            return None
        table = self.zielgruppe(tag)
        cols = ["gesamt"] if set(statuses) == set(self.status) else list(statuses)
        raw = table.internal_unsuppressed
        if int(sum(raw.loc[r, c] for r in rows for c in cols)) != int(round(float(value))):
            return None
        return table, {(r, c): 1.0 for r in rows for c in cols}

    def _zeilen(self, r: pd.Series, bemessung: pd.DataFrame) -> list[str]:
        """Rows of the target-group table a staffing row counts (its Gemeinde, or the
        Gemeinden the Kreis applies for: those without ``eigener_antrag``)."""
        if r["ebene"] != EBENE_KREIS:
            return [self.name(str(r["ags"]))]
        gemeinden = bemessung[bemessung["ebene"] != EBENE_KREIS]
        selbst = gemeinden["eigener_antrag"].astype(bool)
        if not selbst.any():
            return [TOTAL]
        return [self.name(str(a)) for a in gemeinden.loc[~selbst, "ags"]]

    def _build_personen(self, bemessung: pd.DataFrame) -> PublishedTable:

        zaehl = self.ws.programm["zaehlung"]
        faq_status = list(zaehl["status"])
        faq_ages = (int(zaehl["alter_min"]), int(zaehl["alter_max"]))
        ohne_zaehlung = self._stichtag_von(self.ws.stichtag)
        # a Gemeinde without any count has 0 persons and no Stichtag: the 0 the
        # target-group table shows for it at the analysis Stichtag
        faq_tage = [self.faq_tabelle(r) for _, r in bemessung.iterrows()]
        zg_cfg = self.ws.annahmen.zielgruppe
        anders, anders_zeichen = None, set()
        if not vergleichbar(zaehl, self.status, (zg_cfg.alter_min, zg_cfg.alter_max)):
            anders, anders_zeichen = faq_verborgen(self, bemessung, faq_tage)
        keys, values, hidden, zeichen = [], [], [], []
        for (_, r), faq_tag in zip(bemessung.iterrows(), faq_tage, strict=True):
            keys.append(KREIS if r["ebene"] == EBENE_KREIS else str(r["ags"]))
            zeilen = self._zeilen(r, bemessung)
            fz = self._combination(
                r["fallzahl_personen"],
                zeilen,
                self._stichtag_von(r.get("stichtag")) or ohne_zaehlung,
                list(self.ws.annahmen.stellen.erreichung_status),
                None,
            )
            values.append([round(float(r["faq_personen"])), round(float(r["fallzahl_personen"]))])
            faq = None
            if anders is None:  # a sum of target-group cells
                faq = self._combination(r["faq_personen"], zeilen, faq_tag, faq_status, faq_ages)
                faq_hidden = faq is None or not is_determined(*faq)
            else:  # other ages or statuses than the target group
                faq_hidden = anders.get(keys[-1], True)
            hidden.append([faq_hidden, fz is None or not is_determined(*fz)])
            zeichen.append([_mit_zeichen(faq) or keys[-1] in anders_zeichen, _mit_zeichen(fz)])
        if KREIS not in keys and len(keys) == 1 and ist_kreisfrei(keys[0]):
            # one kreisfreie Stadt: the city is the Kreis-level applicant, its row the Kreis row
            keys.append(KREIS)
            values.append(values[0])
            hidden.append(hidden[0])
            zeichen.append(zeichen[0])
        cols = ["faq_personen", "fallzahl_personen"]
        index = pd.Index(keys, name="ags")
        basis = status_woerter(self.ws.annahmen.stellen.erreichung_status)
        return table_from_mask(
            pd.DataFrame(values, index=index, columns=cols).astype("int64"),
            pd.DataFrame(hidden, index=index, columns=cols),
            self.schwelle,
            self.zeichen,
            titel="Gezählte Personen",
            column_labels={
                "faq_personen": "Personen (FAQ-Zählung)",
                "fallzahl_personen": f"Personen Fallzahlmodell ({basis})",
            },
            zeichen=pd.DataFrame(zeichen, index=index, columns=cols),
        )

    # ------------------------------------------------------------------ coverage
    def versorgung_gesperrt(self, result: Any) -> pd.Series:
        """True per row of ``result.gemeinden`` whose modelled figures must be hidden.

        Demand, missing places, Versorgungsgrad and the demand of Geduldete
        without an open offer of Gemeinde X are persons × published rates.
        They are shown only where they cannot pin a hidden or small count:

        (a) every target-group cell of X (each status and the total) is shown;
        (b) where the need rates of a status differ by age band (or sex), or an
        offer is open to some of its age bands more than to others, the figures
        reveal X's persons per age band (or sex) of that status: each of those
        counts must be 0 or at least the threshold; (c) the Gemeinden not
        modelled with their own persons per age band together must not leave a
        small remainder: per age band (and sex) their persons summed are 0 or
        at least the threshold (else the Kreis age structure minus the others
        would give it).

        A small figure is shown like any other (until round 2, session 26 a
        demand rounding to 1 .. threshold-1 was hidden as rule (d)): under (a)
        to (c) every figure is a function of shown counts, counts allowed to
        be revealed, published rates, offers and travel times, so a small
        estimate reveals no more than a large one.

        Where (a) holds and (b) or (c) does not, X is modelled with its shown
        counts per status spread like the published age structure of the
        Kreis (:meth:`eigene_struktur`, since round 2, session 24): its
        figures then reveal no more than its counts per status. The shown
        figures themselves must come from the published demand
        (:func:`thm_lib.disclosure.versorgung.versorgung_veroeffentlicht`), else a
        shown Versorgungsgrad depends on the demand of hidden Gemeinden sharing
        its offers. Condition (a) is :meth:`gezeigte_gemeinden`.
        """
        return _same_object_cache(self._versorgung, result, lambda: self._build_versorgung(result))

    def mit_kreisstruktur(self, result: Any) -> pd.Series:
        """True per shown row of ``result.gemeinden`` modelled with the Kreis age structure.

        The rows of shown Gemeinden outside :meth:`eigene_struktur`: their figures
        are estimates from their counts per status (:meth:`versorgung_gesperrt`).
        """
        tag = getattr(result, "stichtag", None)
        eigene = self.eigene_struktur(result.bedarfsquoten, tag)
        g = result.gemeinden
        anders = ~g["ags"].astype(str).isin(eigene)
        return (anders & ~self.versorgung_gesperrt(result)).astype(bool)

    def _revealed_keys(self, q: pd.DataFrame) -> dict[str, list[str]]:
        """Per status, the segment columns its demand differs by (what demand reveals).

        ``q``: the need rates a coverage result uses (its ``bedarfsquoten``). Age
        is revealed where the rates of a status differ by age band, and also where
        an offer of these Handlungsfelder is open to some age bands of the status
        more than to others (``alter_min``/``alter_max``): the demand sharing its
        places then counts the persons of each band differently, even with rates
        equal for all ages (e.g. the Standardquoten of a Kreis without cases).
        """
        felder = set(q["handlungsfeld"])
        offen = self._alter_getrennt(felder)
        keys: dict[str, list[str]] = {}
        for s in self.status:
            qs = q[q["status"] == s]
            by_sex = (
                qs.groupby(["handlungsfeld", "altersgruppe"])["quote"]
                .agg(lambda v: float(v.max() - v.min()) > 1e-12)
                .any()
            )
            by_age = (
                qs.groupby("handlungsfeld")["quote"]
                .agg(lambda v: float(v.max() - v.min()) > 1e-12)
                .any()
            )
            by_age = by_age or offen[s]
            keys[s] = (
                ["altersgruppe", "geschlecht"] if by_sex else ["altersgruppe"] if by_age else []
            )
        return keys

    def _alter_getrennt(self, felder: set[str]) -> dict[str, bool]:
        """Per status: True where an offer of ``felder`` is open to its age bands unequally.

        The share of each band's years inside the offer's ages
        (:func:`thm_lib.analysis.coverage.eligibility`): an offer for 18 to 25 takes
        all of 21–24 and a third of 25–27.
        """
        a = self.ws.angebote
        angebote = a[a["handlungsfeld"].isin(felder)] if a is not None else None
        if angebote is None or not len(angebote):
            return dict.fromkeys(self.status, False)
        e = eligibility(angebote, self.ws.annahmen)
        status_je_spalte = segment_index(self.ws.annahmen).get_level_values(0)
        getrennt = {}
        for s in self.status:
            anteile = e[:, status_je_spalte == s]  # offers × this status's segments
            getrennt[s] = anteile.size > 0 and bool((np.ptp(anteile, axis=1) > 1e-12).any())
        return getrennt

    def gezeigte_gemeinden(self, quoten: pd.DataFrame, stichtag: Any = None) -> frozenset[str]:
        """The Gemeinden (ags) whose modelled figures may be shown.

        The Gemeinde-level part of :meth:`versorgung_gesperrt`, without the
        per-row check of small values: every target-group cell of the Gemeinde
        is shown. Those of :meth:`eigene_struktur` are modelled with their own
        persons per age band and sex, the others with their shown counts per
        status spread like the published age structure of the Kreis
        (:func:`thm_lib.disclosure.versorgung.ws_veroeffentlicht`).

        Parameters
        ----------
        quoten : pandas.DataFrame
            The need rates of the coverage result (``bedarfsquoten``); which
            rates differ by age band or sex decides what demand reveals.
        stichtag : pandas.Timestamp, optional
            Stichtag of the result (default: the Workspace's).
        """
        return self._gezeigt(quoten, stichtag)[0]

    def eigene_struktur(self, quoten: pd.DataFrame, stichtag: Any = None) -> frozenset[str]:
        """The shown Gemeinden (ags) modelled with their own age structure.

        Conditions (b) and (c) of :meth:`versorgung_gesperrt`: the counts the
        rates and offers reveal (:meth:`_revealed_keys`) are 0 or at least the
        threshold, and the Gemeinden not in this set keep 0 or at least the
        threshold per revealed level (else the published Kreis age structure
        minus these Gemeinden would give a small remainder; the smallest
        are left out until it holds). Parameters as :meth:`gezeigte_gemeinden`.
        """
        return self._gezeigt(quoten, stichtag)[1]

    def _gezeigt(
        self, quoten: pd.DataFrame, stichtag: Any
    ) -> tuple[frozenset[str], frozenset[str]]:
        keys = self._revealed_keys(quoten)
        tag = self.ws.stichtag if stichtag is None else pd.Timestamp(stichtag)
        return self.gemerkt(f"gezeigt:{tag}:{keys}", lambda: self._build_gezeigt(keys, tag))

    def gezeigte_zellen(self, quoten: pd.DataFrame, stichtag: Any = None) -> pd.Series:
        """Persons of the shown Gemeinden at the levels their modelled figures reveal.

        Per Gemeinde of :meth:`eigene_struktur` and status, its persons per
        Altersgruppe (and Geschlecht) where the demand of the status differs by them
        (rule (b) of :meth:`versorgung_gesperrt`): each 0 or at least the threshold.
        The published figures of these Gemeinden may follow them, so they count as
        published (e.g. in :func:`thm_lib.run.differenzpruefung.zaehlungen`).

        Returns
        -------
        pandas.Series
            Persons by ``"ags|status|Altersgruppe|Geschlecht"`` (levels not revealed
            left out), sorted.
        """
        keys = self._revealed_keys(quoten)
        tag = self.ws.stichtag if stichtag is None else pd.Timestamp(stichtag)
        shown = self.eigene_struktur(quoten, tag)
        seg = target_group.segments(self.ws.zielgruppe, self.ws.annahmen, tag)
        seg = seg[seg["ags"].astype(str).isin(shown)].assign(ags=lambda f: f["ags"].astype(str))
        werte: dict[str, float] = {}
        for s, k in keys.items():
            if not k:
                continue
            je = seg[seg["status"] == s].groupby(["ags", *k])["personen"].sum()
            for key, n in je.items():
                werte["|".join([key[0], s, *map(str, key[1:])])] = float(n)
        return pd.Series(werte, dtype=float).sort_index()

    def _build_gezeigt(
        self, keys: dict[str, list[str]], tag: pd.Timestamp
    ) -> tuple[frozenset[str], frozenset[str]]:
        ws = self.ws
        zg = self.zielgruppe(tag)
        cell_hidden = zg.mask[[*self.status, "gesamt"]].any(axis=1)
        t = self.schwelle
        seg = target_group.segments(ws.zielgruppe, ws.annahmen, tag)
        seg = seg.assign(ags=seg["ags"].astype(str))

        def safe(values: pd.Series) -> bool:
            v = values.round()
            return bool(((v == 0) | (v >= t)).all())

        shown = {a for a in self._names if not bool(cell_hidden.get(self.name(a), True))}
        levels = [(s, k) for s, k in keys.items() if k]
        # a shown Gemeinde without persons of a status whose figures reveal levels (its
        # shown counts say so) has the same figures either way: modelled with its own
        # rows, out of the rule below. Else the rule, which depends on hidden Gemeinden,
        # would mark it for no reason (difference check, session 28)
        wirkt = set(
            seg.loc[seg["status"].isin([s for s, _ in levels]) & (seg["personen"] > 0), "ags"]
        )
        ohne_wirkung = {a for a in shown if a not in wirkt}
        eigene: set[str] = set()
        for ags in shown - ohne_wirkung:
            mine = seg[seg["ags"] == ags]
            if all(safe(mine[mine["status"] == s].groupby(k)["personen"].sum()) for s, k in levels):
                eigene.add(ags)
        if levels:
            levels += [(None, ["altersgruppe"]), (None, ["altersgruppe", "geschlecht"])]
        size = seg.groupby("ags")["personen"].sum()
        while eigene and levels:
            rest = seg[~seg["ags"].isin(eigene)]
            ok = all(
                safe(
                    (rest if s is None else rest[rest["status"] == s]).groupby(k)["personen"].sum()
                )
                for s, k in levels
            )
            if ok:
                break
            eigene.discard(min(eigene, key=lambda a: (float(size.get(a, 0.0)), a)))
        return frozenset(shown), frozenset(eigene | ohne_wirkung)

    def _build_versorgung(self, result: Any) -> pd.Series:
        g = result.gemeinden
        shown = self.gezeigte_gemeinden(result.bedarfsquoten, getattr(result, "stichtag", None))
        return (~g["ags"].astype(str).isin(shown)).astype(bool)


#: Header words of figures that are not counts of persons: rates, money, positions, time,
#: and modelled estimates ("geschätzt": persons × published rates, whose relation to the
#: counts the joint audit models, :data:`thm_lib.core.labels.BEDARF_GESCHAETZT`).
KEINE_ZAEHLUNG = (
    "geschätzt",
    "%",
    "anteil",
    "quote",
    "reichweite",
    "je 1.000",
    "versorgungsgrad",
    "€",
    "eur",
    "vzä",
    "stellen",
    "fördersatz",
    "jahr",
    "monat",
    "stunden",
    "minuten",
    "km",
    "schlüssel",
    "rang",
    "gewicht",
    "beitrag",
    "reisezeit",
    "entfernung",
)
#: Header words of counts of persons (checked after :data:`KEINE_ZAEHLUNG`).
PERSONEN = (
    "person",
    "zielgruppe",
    "klient",
    "fälle",
    "fall",
    "geduldete",
    "bedarf",
    "einwilligung",
)
#: Header or caption words of inventories (offers, places, fields, areas): not persons.
INVENTAR = (
    "angebot",
    "plätze",
    "platz",
    "handlungsfeld",
    "gemeinden",
    "einwohner",
    "ags",
    "träger",
    "finanzierung",
    "szenari",
)


def zaehlt_personen(spalte: str, titel: str = "") -> bool:
    """Whether a published column counts persons (then 1 .. threshold-1 must never show).

    The privacy scan (:mod:`thm_lib.disclosure.privacy`) treats every number as a
    count of persons unless its column header says otherwise: a rate, an
    amount, positions or time (:data:`KEINE_ZAEHLUNG`), or, when the header
    names no persons (:data:`PERSONEN`), an inventory of offers, places,
    Handlungsfelder or areas by header or table title (:data:`INVENTAR`).

    Examples
    --------
    >>> zaehlt_personen("Personen (FAQ-Zählung)"), zaehlt_personen("Angebote")
    (True, False)
    >>> zaehlt_personen("offen für Duldung", "Angebote je Handlungsfeld")
    False
    >>> zaehlt_personen("Duldung"), zaehlt_personen("Unterversorgung (Handlungsfelder)")
    (True, False)
    """
    head, cap = str(spalte).lower(), str(titel).lower()
    if any(w in head for w in KEINE_ZAEHLUNG):
        return False
    if any(w in head for w in PERSONEN):
        return True
    return not any(w in head or w in cap for w in INVENTAR)


def bedarfsquoten(result: Any) -> pd.DataFrame:
    """The need rates of a coverage result as they may be published
    (:func:`thm_lib.analysis.needs.published_rates` with the result's settings)."""

    a = result.annahmen
    return published_rates(
        result.bedarfsquoten,
        int(a.datenschutz.schwelle),
        max(int(a.bedarf.mindestfaelle), 1),
        float(a.bedarf.konfidenz),
    )


__all__ = [
    "KREIS",
    "TOTAL",
    "Publication",
    "als_zeichen",
    "bedarfsquoten",
    "fuer",
    "table_from_mask",
    "zaehlt_personen",
]


def _zelle(frame: pd.DataFrame, row: str, col: str) -> bool:
    """The flag of cell ``row``/``col`` of a boolean frame (False when there is no such cell)."""
    return row in frame.index and col in frame.columns and bool(frame.loc[row, col])


def _verborgen(table: PublishedTable, row: str, col: str) -> bool:
    """True when ``table`` hides the cell ``row``/``col``."""
    return _zelle(table.mask, row, col)


def _zeichen(table: PublishedTable, row: str, col: str) -> bool:
    """True when ``table`` shows the small cell ``row``/``col`` with the symbol."""
    return _zelle(als_zeichen(table), row, col)


def _nur(table: PublishedTable, row: str, col: str) -> pd.DataFrame:
    """A mask of ``table``'s shape with only the cell ``row``/``col`` set."""
    out = pd.DataFrame(False, index=table.mask.index, columns=table.mask.columns)
    out.loc[row, col] = True
    return out
