"""Hiding pattern of FAQ counts over other ages or statuses than the target group.

The programme counts persons for its staffing key with its own statuses and
ages (``programm.yaml``, ``zaehlung``); a Kreis may plan for a wider or
narrower target group (``annahmen.zielgruppe``). Then an FAQ count F of a
Gemeinde is not a cell of the published target-group table, but it overlaps
one: with the statuses both count,

* O = persons in both (common statuses, common ages),
* P = persons only the programme counts (other statuses or ages): F = O + P,
* Q = persons of the common statuses only the target group counts: Zs = O + Q,

where Zs is the sum of the published target-group cells of the common
statuses. Publishing F beside Zs gives P − Q away, and P or Q itself where
the other is 0 by definition (e.g. target group 16–27, programme 18–27: Q are
the 16- and 17-year-olds). This module puts F, Zs, O, P and Q of every
Gemeinde into one table with both additive groups and lets
:func:`thm_lib.disclosure.suppression.suppress` decide which F may be shown:
Zs keeps the mask of the target-group table; O, P and Q are parts (``parts``
of ``suppress``: a reader knows only that they are >= 0, and only a small one
is protected), except O and Q of Gemeinden whose age bands may be known
(:func:`_altersgruppen_bekannt`) and of the Kreis total where both are 0 or
large: those count as known, a stronger reader than any real one. The cells of
the published target-group table stand beside them with their row sums and their
masks and labels (Zs is the sum of its common statuses): a hidden F labelled
``"<t"`` must not pin them through its bound, nor may a shown F beside a hidden Zs:
with the table's rows and column sums in the check, such an F is decided like any
other (until round 2, session 50 it stayed hidden there; relations of the target-group
cells beyond this table, other Stichtage and age bands, are left to the audit of all
outputs, which holds a run back). The Kreis as one applicant gets a
row of its own: its F is the sum of the F of the Gemeinden it counts
(``teilsummen`` of ``suppress``), so a hidden Kreis F keeps its range beside
the shown F of those Gemeinden; the total's F is published nowhere (a part).

Gemeinden that applied at different Stichtage (counts frozen at the first
application) get one table per Stichtag; there the F of the other Gemeinden
are parts too (published at another Stichtag, or not at all).

It is used only where the counts differ (:func:`vergleichbar` is False); a
comparable FAQ count is a sum of published cells and handled by the
publication layer directly. Where the counts of a Stichtag cannot be set up
exactly (persons split from wider age bands into fractions), its FAQ counts
stay hidden.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis.staffing import count_persons
from thm_lib.analysis.target_group import select_stichtag
from thm_lib.core.labels import EBENE_KREIS, INSGESAMT, KREIS
from thm_lib.disclosure.suppression import (
    SEKUNDAER,
    als_zeichen,
    aus_gezeigten,
    is_determined,
    suppress,
    ungeschuetzt,
)

TOTAL = INSGESAMT


def vergleichbar(
    zaehlung: Mapping[str, Any], status: Sequence[str], alter: tuple[int, int]
) -> bool:
    """True when the programme counts the target group's ages and some of its statuses.

    Then every FAQ count is a sum of cells of the target-group table.

    Examples
    --------
    >>> z = {"status": ["duldung"], "alter_min": 18, "alter_max": 27}
    >>> vergleichbar(z, ["duldung", "gestattung"], (18, 27)), vergleichbar(z, ["duldung"], (16, 27))
    (True, False)
    """
    return (int(zaehlung["alter_min"]), int(zaehlung["alter_max"])) == tuple(alter) and set(
        zaehlung["status"]
    ) <= set(status)


def _ganz(values: pd.Series) -> bool:
    v = values.to_numpy(dtype=float)
    return bool(np.all(np.abs(v - np.round(v)) < 1e-6))


def _je_name(pub: Any, rows: pd.DataFrame, status: list[str], lo: int, hi: int) -> pd.Series:
    """Persons of ``status`` aged ``lo``..``hi`` per Gemeinde name (0 where none)."""
    gebiete = pub.ws.gebiete
    names = pd.Series(list(gebiete["name"]), index=gebiete["ags"].astype(str).to_list())
    if not status or lo > hi or rows.empty:
        return pd.Series(0.0, index=names.to_numpy())
    n = count_persons(rows, status, lo, hi)["personen"]
    n.index = n.index.astype(str)
    return pd.Series(n.reindex(names.index).fillna(0.0).to_numpy(), index=names.to_numpy())


def faq_verborgen(
    pub: Any, bemessung: pd.DataFrame, tage: Sequence[pd.Timestamp | None]
) -> tuple[dict[Hashable, bool], set[Hashable]]:
    """Per row of ``bemessung`` (``ags``, or :data:`~thm_lib.core.labels.KREIS` for the
    Kreis row): is its FAQ count hidden? Rows left out are hidden too. And the rows
    whose hidden small count must read the symbol instead of ``"<5"`` (the bound
    1..4 would pin another count).

    The counts of one Stichtag go through one table (:func:`_an_einem_tag`); where
    Gemeinden applied at different Stichtage, each Stichtag has its own, and there
    the counts of the other Gemeinden are parts (published at another Stichtag, or
    not at all). A row is left out where its Stichtag's counts cannot be set up
    exactly.

    Parameters
    ----------
    pub : thm_lib.disclosure.publication.Publication
        The Kreis's publication layer (target-group tables, names, settings); typed
        ``Any`` here, since the layer imports this module.
    bemessung : pandas.DataFrame
        :func:`thm_lib.analysis.staffing.stellenbemessung` of the Kreis.
    tage : sequence
        The data Stichtag of each row's FAQ count, in the order of ``bemessung``.
    """
    keys = [KREIS if r["ebene"] == EBENE_KREIS else str(r["ags"]) for _, r in bemessung.iterrows()]
    out: dict[Hashable, bool] = {}
    zeichen: set[Hashable] = set()
    for tag in sorted({t for t in tage if t is not None}):
        hier = {k for k, t in zip(keys, tage, strict=True) if t == tag}
        verborgen, mit_zeichen = _an_einem_tag(pub, bemessung, hier, tag) or ({}, set())
        out.update(verborgen)
        zeichen |= mit_zeichen
    return out, zeichen


def _an_einem_tag(
    pub: Any, bemessung: pd.DataFrame, hier: set[Hashable], tag: pd.Timestamp
) -> tuple[dict[Hashable, bool], set[Hashable]] | None:
    """Hidden or not, for the rows ``hier`` (keys as :func:`faq_verborgen`) counted at
    ``tag``, and those shown with the symbol; None when the counts cannot be set up
    exactly."""
    zaehl = pub.ws.programm["zaehlung"]
    zg = pub.ws.annahmen.zielgruppe
    prog_status = list(zaehl["status"])
    a_p = (int(zaehl["alter_min"]), int(zaehl["alter_max"]))
    a_z = (int(zg.alter_min), int(zg.alter_max))
    common = [s for s in pub.status if s in prog_status]
    lo, hi = max(a_p[0], a_z[0]), min(a_p[1], a_z[1])
    rows = select_stichtag(pub.ws.zielgruppe, tag)
    rows = rows[rows["anzahl"].notna()]
    f = _je_name(pub, rows, prog_status, *a_p)
    o = _je_name(pub, rows, common, lo, hi)
    zs_count = _je_name(pub, rows, common, *a_z)
    werte = pd.DataFrame({"F": f, "Zs": zs_count, "O": o, "P": f - o, "Q": zs_count - o})
    if not all(_ganz(werte[c]) for c in werte):
        return None
    werte = werte.round().astype("int64")
    table = pub.zielgruppe(tag)
    raw = table.internal_unsuppressed
    names = [n for n in raw.index if n != TOTAL]
    if sorted(names) != sorted(werte.index) or any(
        int(raw.loc[n, common].sum()) != werte.loc[n, "Zs"] for n in names
    ):
        return None
    werte = werte.loc[names]
    werte.loc[TOTAL] = werte.sum()
    gemeinde = bemessung[bemessung["ebene"] != EBENE_KREIS]
    eigen = gemeinde["eigener_antrag"] if "eigener_antrag" in gemeinde else [False] * len(gemeinde)
    eigene_ags = [str(a) for a, e in zip(gemeinde["ags"], eigen, strict=True) if bool(e)]
    eigene = [pub.name(a) for a in eigene_ags]
    for _, r in bemessung.iterrows():
        key = KREIS if r["ebene"] == EBENE_KREIS else str(r["ags"])
        if key not in hier:
            continue
        soll = (
            werte.loc[TOTAL, "F"] - werte.loc[eigene, "F"].sum()
            if key == KREIS
            else werte.loc[pub.name(key), "F"]
        )
        if round(float(r["faq_personen"])) != int(soll):
            return None
    # the total's F is published nowhere; the Kreis's is a row of its own, the sum of the
    # Gemeinden it counts (round 2, session 36: as the total minus the Gemeinden applying
    # themselves, a hidden Kreis count beside shown counts of the Gemeinden it counts kept
    # fewer than 5 values when one of these was small)
    anderswo = {pub.name(str(a)) for a in gemeinde["ags"] if str(a) not in hier} | {TOTAL}
    kreis = {}
    if KREIS in hier:
        kreis = {KREIS: [n for n in names if n not in eigene]}
        werte = werte.astype("float64")
        werte.loc[KREIS] = np.nan
        werte.loc[KREIS, "F"] = werte.loc[kreis[KREIS], "F"].sum()
    mask, zeichen = _suppress_faq(
        pub, werte, table, common, (a_p, a_z), _altersgruppen_bekannt(pub, tag), anderswo, kreis
    )
    zeile = {key: KREIS if key == KREIS else pub.name(str(key)) for key in hier}
    return (
        {key: bool(mask[z]) for key, z in zeile.items()},
        {key for key, z in zeile.items() if bool(zeichen[z])},
    )


def _altersgruppen_bekannt(pub: Any, tag: pd.Timestamp) -> set[str]:
    """Names of the Gemeinden whose persons per age band a reader may know at ``tag``.

    Those modelled with their own age structure for some Handlungsfelder
    (:meth:`~thm_lib.disclosure.publication.Publication.eigene_struktur` with the
    rates of the published model, as :func:`thm_lib.disclosure.versorgung.eigene_struktur`): their
    demand may follow their age bands. Only at the analysis Stichtag; every other
    Gemeinde's bands stand in no output.
    """
    ws = pub.ws
    if pd.Timestamp(tag) != pd.Timestamp(ws.stichtag):
        return set()
    agss = set().union(
        *(
            pub.eigene_struktur(pub.modellquoten_fuer(felder), ws.stichtag)
            for felder in [None, *([feld] for feld in ws.handlungsfelder)]
        )
    )
    return {pub.name(str(a)) for a in agss}


def _suppress_faq(
    pub: Any,
    werte: pd.DataFrame,
    table: Any,
    common: list[str],
    alter: tuple[tuple[int, int], tuple[int, int]],
    bekannt: set[str],
    anderswo: set[str],
    kreis: Mapping[Hashable, list[str]],
) -> tuple[pd.Series, pd.Series]:
    """The hidden F per row of ``werte`` (Gemeinden, :data:`TOTAL`, maybe the Kreis), and
    the hidden F hidden secondarily: they read the symbol, a small one too, not ``"<5"``.

    ``alter``: the programme's and the target group's ages; ``bekannt``: Gemeinden
    whose age bands a reader may know; ``anderswo``: rows whose F is not published
    at this Stichtag (a part here); ``kreis``: the Kreis row (only its F, the sum of
    the Gemeinden it counts) where it is not the total minus Gemeinden applying
    themselves at this Stichtag.
    """
    a_p, a_z = alter
    p_null = set(pub.ws.programm["zaehlung"]["status"]) <= set(pub.status) and (
        a_z[0] <= a_p[0] and a_p[1] <= a_z[1]
    )
    q_null = a_p[0] <= a_z[0] and a_z[1] <= a_p[1]
    o_null = not common or max(a_p[0], a_z[0]) > min(a_p[1], a_z[1])
    if o_null:
        cols, groups = ["F"], None
    elif p_null:  # F = O
        cols, groups = ["F", "Q", "Zs"], [(["F", "Q"], "Zs")]
    elif q_null:  # Zs = O
        cols, groups = ["Zs", "P", "F"], [(["Zs", "P"], "F")]
    else:
        cols, groups = ["F", "Zs", "O", "P", "Q"], [(["O", "P"], "F"), (["O", "Q"], "Zs")]
    frame = werte[cols]
    klein = (frame >= 1) & (frame < pub.schwelle)
    # O, P and Q are in no published table. P (counted by the programme only) stands
    # in no output; O and Q only in the age bands of a Gemeinde with its own structure
    # and in the Kreis's. There a reader is assumed to know every one that is 0 or
    # large (more than any real reader: a pattern safe against him is safe). All other
    # parts are unknown to him, not even as small (shown nowhere as "<5"): ``suppress``
    # protects those only where small, by the audit's rule of a part.
    teile = pd.DataFrame(False, index=frame.index, columns=cols)
    gemeinde = pd.Series(frame.index != TOTAL, index=frame.index)
    fremd = gemeinde & ~frame.index.isin(list(bekannt))
    for c in ("O", "P", "Q"):
        if c in cols:
            teile[c] = klein[c] | (gemeinde if c == "P" else fremd)
    if "O" in cols:  # Zs = O + Q is shown: a known O would give an unknown Q, and back
        teile["O"] = teile["Q"] = teile["O"] | teile["Q"]
    teile.loc[frame.index.isin(list(anderswo)), "F"] = True
    hidden = pd.DataFrame(False, index=frame.index, columns=cols)
    zeichen = pd.DataFrame(False, index=frame.index, columns=cols)
    shown = ~teile
    shown["F"] = False
    # Zs is one cell of the target-group table where the common statuses are all of its
    # statuses (its "gesamt") or one: a small one hidden there with the symbol reads the
    # symbol here too (a Kreis of two persons hid its total "." to keep them apart; read
    # as "<3" here, it pinned them and every F was hidden, the 0 of a Gemeinde too)
    spalte = "gesamt" if set(common) == set(pub.status) else common[0] if len(common) == 1 else None
    mit_zeichen = als_zeichen(table)
    if "Zs" in cols:
        for n in frame.index:
            zellen = kreis.get(n, [n])
            known = is_determined(table, {(m, s): 1.0 for m in zellen for s in common})
            hidden.loc[n, "Zs"], shown.loc[n, "Zs"] = not known, known
            if spalte is not None and n not in kreis and n in mit_zeichen.index:
                zeichen.loc[n, "Zs"] = bool(mit_zeichen.loc[n, spalte])
            # beside a hidden target-group cell, F may bound it (F <= Zs where the target
            # group is wider, F >= Zs where the programme counts all of it): that bound
            # joins the cells of the target-group table beside it (:func:`_mit_zielgruppe`)
            if not known and "O" in cols and n not in kreis:  # O and Q would give Zs
                teile.loc[n, ["O", "Q"]] = True
                shown.loc[n, ["O", "Q"]] = False
    if "Zs" in cols:
        frame, groups, masken = _mit_zielgruppe(frame, groups, table, common, kreis)
        hidden, shown, zeichen, teile = (
            pd.concat([m, z], axis=1)
            for m, z in zip((hidden, shown, zeichen, teile), masken, strict=True)
        )
    result = suppress(
        frame,
        pub.schwelle,
        count_cols=list(frame.columns),
        total_row=TOTAL,
        row_sums=groups is not None,
        row_groups=groups,
        symbol=pub.zeichen,
        hidden_elsewhere=hidden,
        shown_elsewhere=shown,
        symbol_elsewhere=zeichen,
        parts=teile,
        teilsummen=kreis,
    )
    verborgen = _verborgen(result, shown, teile, pub.schwelle)
    return verborgen, verborgen & result.mask["F"].astype(bool) & result.reason["F"].eq(SEKUNDAER)


def _mit_zielgruppe(
    frame: pd.DataFrame,
    groups: list[tuple[list[str], str]] | None,
    table: Any,
    common: list[str],
    kreis: Mapping[Hashable, list[str]],
) -> tuple[pd.DataFrame, list[tuple[list[str], str]], list[pd.DataFrame]]:
    """``frame`` with the cells of the published target-group table beside it, their
    row equations added to ``groups``, and their masks (hidden, shown, shown with the
    symbol, parts) as they stand in that table.

    Zs is the sum of the common statuses' cells: a hidden F labelled ``"<t"`` bounds Zs
    where the programme counts every person of the target group (F >= Zs), and that
    bound joins the cells' own labels. Round 2, session 49: a Gemeinde with one person
    of each status (``"<3"``, ``"<3"``, total ``"."``) and its F = 2 shown as ``"<3"``
    gave both away; checked without the row, the FAQ table could not see it.
    """
    status = [c for c in table.mask.columns if c != "gesamt"]
    namen = {c: f"zielgruppe_{c}" for c in [*status, "gesamt"]}
    zeilen = [n for n in frame.index if n not in kreis]
    werte = table.internal_unsuppressed.reindex(index=zeilen, columns=list(namen))
    zellen = werte.rename(columns=namen).reindex(frame.index)  # NA in the Kreis row
    maske = table.mask.astype(bool).reindex(index=zeilen, columns=list(namen))
    maske = maske.rename(columns=namen).reindex(frame.index, fill_value=False)
    mit_zeichen = als_zeichen(table).reindex(index=zeilen, columns=list(namen))
    mit_zeichen = mit_zeichen.rename(columns=namen).reindex(frame.index, fill_value=False)
    nein = pd.DataFrame(False, index=frame.index, columns=zellen.columns)
    gruppen = [
        *(groups or []),
        ([namen[s] for s in common], "Zs"),
        ([namen[s] for s in status], namen["gesamt"]),
    ]
    return (
        pd.concat([frame, zellen], axis=1),
        gruppen,
        [maske, ~maske & zellen.notna(), mit_zeichen & maske, nein],
    )


def _verborgen(result: Any, shown: pd.DataFrame, teile: pd.DataFrame, schwelle: int) -> pd.Series:
    """The hidden F of a suppressed FAQ table (``shown``: the cells a reader knows;
    ``teile``: the parts, O, P, Q and F published elsewhere).

    Where the pattern stayed open, every F stays hidden but those a reader derives
    from the cells shown anyway (F = Zs - Q beside a shown Zs and Q; 0 beside a shown
    Zs of 0, F <= Zs) and that are not small: hiding those protects nothing (a
    generated Kreis of session 37 published nothing: three Gemeinden without any
    count, their 0 hidden with the open rest). A small F stays hidden even so.

    The reader of ``shown`` knows more than any real one: the parts of the Gemeinden
    whose age bands may be derived. Where the F he derives would leave a real reader
    (the published target group, the Kreis's parts, those F) a hidden cell
    unprotected (:func:`~thm_lib.disclosure.suppression.ungeschuetzt`) that the
    published target group alone leaves protected, more of them are hidden, the
    smallest first; where that does not help, only the F that the published target
    group alone gives are shown.
    Round 2, session 43: the strong reader pinned a Gemeinde's two persons of 16-17
    as the Kreis's Q minus the other Gemeinden's, derived its F = Zs - Q, and the F
    shown gave the 2 away. Session 44: he derived every F, the small one of a
    Gemeinde stayed hidden, and the shown Kreis count minus the other shown F gave
    it back.
    """
    if not result.unresolved:
        return result.mask["F"].astype(bool)
    f = result.internal_unsuppressed["F"]
    klein = (f >= 1) & (f < schwelle)
    verborgen = ~aus_gezeigten(result, shown)["F"] | klein
    echt = pd.DataFrame(False, index=shown.index, columns=shown.columns)
    for c in shown.columns:  # Zs and the target-group table are published
        if c == "Zs" or c.startswith("zielgruppe_"):
            echt[c] = shown[c]
    if TOTAL in shown.index:
        echt.loc[TOTAL] = shown.loc[TOTAL]
    echt["F"] = ~verborgen.reindex(shown.index, fill_value=True)
    teile_echt = teile.copy()  # a real reader knows no O, P or Q but the total's
    for c in ("O", "P", "Q"):
        if c in teile_echt:
            teile_echt[c] = True
    ohne_f = echt.assign(F=False)
    basis = ungeschuetzt(result, ohne_f, teile_echt)  # open whatever F are shown
    # hide more of them, the smallest first, until they leave nothing open beyond that
    zeigbar = [n for n in f.sort_values(kind="stable").index if echt.loc[n, "F"] and f[n] > 0]
    while (ungeschuetzt(result, echt, teile_echt) & ~basis).to_numpy().any():
        if not zeigbar:
            return ~aus_gezeigten(result, ohne_f)["F"] | klein
        n = zeigbar.pop(0)
        echt.loc[n, "F"] = False
        verborgen[n] = True
    return verborgen
