"""Small-cell suppression: the one gate every published table goes through.

Rules (documented for users in ``docs/datenschutz.md``):

* **Primary suppression.** A count from 1 to ``schwelle - 1`` is shown as
  ``"<{schwelle}"`` (default ``"<5"``). Zero stays zero (one exception, on
  request only: ``nullen_sperren`` below).
* **Secondary suppression.** Every row and column of counts is an equation
  (the cells add up to the total column / total row, or to a margin assumed
  known from another publication when the table has no total). A line whose
  hidden cells could be recomputed from its equation is made safe by hiding
  one more cell of that line: the smallest non-zero visible cell, else the
  total. A line is unsafe when it holds exactly one unknown cell, or when the
  known sum of its hidden cells equals the smallest or largest sum those cells
  can have (e.g. two ``"<5"`` cells that add up to 2 are both 1). This repeats
  until no line changes. A final exact check solves the whole system of row
  and column equations (null space of the equations over the hidden cells)
  and hides further cells while any hidden cell is still determined by a
  combination of equations. A bounded check then solves, per hidden cell, its
  smallest and largest value over the whole integer system with the bounds the
  marks tell a reader (``"<5"`` is 1..4, ``"."`` is >= 0; scipy's HiGHS
  ``milp``, the audit's own rule :func:`thm_lib.disclosure.audit_modell.schutzverletzung`):
  no hidden cell may be pinned, a ``"<5"`` cell keeps at least three feasible
  values in 1..4, a ``"."`` cell's range is at least ``schwelle`` wide and not
  inside 1..4. While a cell breaks this rule, the smallest visible cell whose
  hiding widens the narrowest offending range is hidden (else the smallest of
  its lines). A secondarily hidden cell a reader derives from cells shown
  elsewhere alone is shown at the end: hiding it protects nothing. Secondarily
  hidden cells are shown as ``"."``
  (Destatis: "unbekannt oder geheim"), never as ``"<5"``, because they are
  not small.
* **Shares.** A share whose counts (numerator or denominator) are hidden is
  hidden as well.

Why hand-written: the Python packages for statistical disclosure control
(ACRO, for research outputs) apply the threshold but leave secondary
suppression to a human checker; Tau-Argus and sdcTable/GaussSuppression are
Java/R programs. The two-dimensional tables published here are small, so a
greedy complement search plus an exact linear-algebra audit is enough and
keeps the rule transparent for the Bündniskerngruppe.
"""

from __future__ import annotations

import html
import math
import os
import sys
import threading
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.core.formats import prozent, zahl
from thm_lib.core.labels import INSGESAMT, spaltenname
from thm_lib.core.settings import Datenschutz
from thm_lib.disclosure.audit_modell import GROSS, schutzverletzung, teilverletzung

PUBLISHED_CLASS = "thm-published"
"""CSS class of every published HTML table (the privacy guard looks for it)."""
PUBLISHED_ATTR = "data-thm-published"
"""HTML attribute on every published table; its value is the threshold."""
PUBLISHED_KEY = "thm_published"
"""JSON key under which a published table is stored (see ``PublishedTable.to_dict``)."""
ATTR_INTERNAL = "thm_internal"
"""``DataFrame.attrs`` flag of unsuppressed frames; export refuses them."""
ATTR_PUBLIC = "thm_public"
"""``DataFrame.attrs`` flag of frames declared aggregate/public (see ``mark_public``)."""

PRIMAER, SEKUNDAER, ANTEIL = "primär", "sekundär", "anteil"

_GANZ = 1e-6
"""How far a value of a relaxation's solution may lie from an integer to count as one."""


def default_threshold() -> int:
    """The default threshold ``datenschutz.schwelle`` of :class:`thm_lib.core.settings.Datenschutz`.

    For tables and files that carry no threshold of their own; everything
    computed from an Arbeitsmappe passes ``ws.annahmen.datenschutz.schwelle``.
    """
    return Datenschutz().schwelle


def default_symbol() -> str:
    """The default symbol for secondarily suppressed cells and hidden shares."""
    return Datenschutz().zeichen_geheim


def _threshold(threshold: int | None) -> int:
    t = default_threshold() if threshold is None else threshold
    if isinstance(t, bool) or int(t) != t or t < 1:
        raise ValueError(f"threshold must be a whole number >= 1, got {threshold!r}")
    return int(t)


def small_label(threshold: int | None = None) -> str:
    """The text shown for a primary-suppressed count, e.g. ``"<5"``."""
    return f"<{_threshold(threshold)}"


def suppress_value(n: Any, threshold: int | None = None) -> int | str | None:
    """Suppress a single published count (key figure, map tooltip).

    Parameters
    ----------
    n : int, float or None
        A count. ``None``/NaN/NA stay missing (``None``).
    threshold : int, optional
        Default: ``annahmen.datenschutz.schwelle``.

    Returns
    -------
    int, str or None
        ``0`` for zero, ``"<5"`` for 1..4 (with threshold 5), else the count.

    Notes
    -----
    A single number cannot get secondary suppression. Do not publish a key
    figure next to its parts unless the parts went through :func:`suppress`
    as one table with that figure as its total.

    Examples
    --------
    >>> suppress_value(0, 5), suppress_value(3, 5), suppress_value(12, 5)
    (0, '<5', 12)
    """
    t = _threshold(threshold)
    if n is None or (isinstance(n, float) and math.isnan(n)) or n is pd.NA:
        return None
    if n < 0 or float(n) != int(n):
        raise ValueError(f"a count must be a whole number >= 0, got {n!r}")
    n = int(n)
    return f"<{t}" if 1 <= n < t else n


def mark_public(
    frame: pd.DataFrame,
    grund: str = "aggregat",
    *,
    titel: str | None = None,
    anteile: Sequence[str] = (),
) -> pd.DataFrame:
    """Declare a frame aggregate/public, so the export accepts it unsuppressed.

    Use only for tables that hold no counts of persons from case records or
    small areas (e.g. staffing in VZÄ, funding in EUR, offer inventory).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; a marked copy is returned (``attrs['thm_public']``).
    grund : str
        Why it is public (kept in ``attrs`` for the record).
    titel : str, optional
        Caption (``attrs['thm_titel']``), used as the Excel sheet title.
    anteile : sequence of str
        Columns holding shares 0..1 (``attrs['thm_anteile']``), formatted as percent.
    """
    if frame.attrs.get(ATTR_INTERNAL):
        raise ValueError("an internal (unsuppressed) frame cannot be marked public")
    out = frame.copy()
    out.attrs[ATTR_PUBLIC] = grund
    out.attrs["thm_anteile"] = tuple(anteile)
    if titel is not None:
        out.attrs["thm_titel"] = titel
    return out


def add_totals(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    total_row: Hashable | None = INSGESAMT,
    total_col: str | None = None,
) -> pd.DataFrame:
    """Append a total row and/or a total column of count columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Counts; the labels are the index.
    columns : sequence of str, optional
        Columns to add up (default: all numeric columns).
    total_row : hashable or None
        Index label of the appended row (None: no row).
    total_col : str or None
        Name of the appended column (None: no column).
    """
    out = frame.copy()
    cols = list(columns) if columns is not None else list(out.select_dtypes("number").columns)
    if total_col is not None:
        out[total_col] = out[cols].sum(axis=1, min_count=1)
        cols = [*cols, total_col]
    if total_row is not None:
        sums = out[cols].sum(axis=0, min_count=1)
        row = pd.DataFrame([sums], index=pd.Index([total_row], name=out.index.name))
        out = pd.concat([out, row])
        for c in cols:
            if pd.api.types.is_integer_dtype(frame.dtypes.get(c, "float")):
                out[c] = out[c].astype(frame[c].dtype)
    return out


@dataclass(frozen=True, repr=False)
class PublishedTable:
    """A table after small-cell suppression.

    Attributes
    ----------
    published : pandas.DataFrame
        What may be shown: hidden counts as ``"<5"`` (primary) or ``"."``
        (secondary), hidden shares as ``"."``; ``attrs['thm_published']`` set.
    internal_unsuppressed : pandas.DataFrame
        INTERNAL: the unsuppressed numbers (``attrs['thm_internal']``). Never
        publish it; the export refuses it.
    mask : pandas.DataFrame
        True where a cell is hidden (same shape as ``published``).
    reason : pandas.DataFrame
        ``""``, ``"primär"``, ``"sekundär"`` or ``"anteil"`` per cell.
    threshold : int
        The threshold used.
    count_cols, share_cols : tuple of str
        Columns treated as counts and as shares.
    titel : str or None
        Caption for reports and the Excel sheet.
    column_labels : dict
        German headers for the columns (default: the column names).
    unresolved : tuple of str
        Lines that could not be protected within this table (none in tables
        with explicit totals); see ``docs/datenschutz.md``.
    symbol : str
        The symbol shown for secondarily hidden cells and hidden shares.
    structure : dict
        The equations the table was protected against (``total_row``,
        ``total_col``, ``row_sums``, ``col_sums``, ``row_groups``), for
        :func:`is_determined`; empty for tables not built by :func:`suppress`.
    """

    published: pd.DataFrame
    internal_unsuppressed: pd.DataFrame
    mask: pd.DataFrame
    reason: pd.DataFrame
    threshold: int
    count_cols: tuple[str, ...]
    share_cols: tuple[str, ...]
    titel: str | None = None
    column_labels: dict[str, str] = field(default_factory=dict)
    unresolved: tuple[str, ...] = ()
    symbol: str = "."
    structure: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def label(self, column: str) -> str:
        """German header of ``column``."""
        return self.column_labels.get(column, str(column))

    def _format_cell(self, column: str, value: Any) -> str:
        if column in self.share_cols:
            return prozent(value, 1)
        if column in self.count_cols or isinstance(value, int | np.integer):
            return zahl(value)
        return zahl(value, 1) if isinstance(value, float) else str(value)

    def to_html(self, *, index: bool = True) -> str:
        """HTML table marked as published (``class="thm-published"``,
        ``data-thm-published="<threshold>"``), German number formats."""
        head = (
            [
                html.escape(self.column_labels.get(n, spaltenname(n)))
                for n in self.published.index.names
            ]
            if index
            else []
        )
        head += [html.escape(self.label(c)) for c in self.published.columns]
        rows = []
        for idx, row in self.published.iterrows():
            labels = idx if isinstance(idx, tuple) else (idx,)
            cells = [f"<th>{html.escape(str(x))}</th>" for x in labels] if index else []
            cells += [
                f"<td>{html.escape(self._format_cell(c, row[c]))}</td>"
                for c in self.published.columns
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        caption = f"<caption>{html.escape(self.titel)}</caption>" if self.titel else ""
        return (
            f'<table class="{PUBLISHED_CLASS}" {PUBLISHED_ATTR}="{self.threshold}">'
            f"{caption}<thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head)
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        # only the published frame: a notebook stores repr() as text/plain next to the HTML
        head = f"PublishedTable({self.titel!r}, Schwelle {self.threshold})"
        return f"{head}\n{self.published!r}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"thm_published": {...}}`` (split orientation)."""

        def plain(v: Any) -> Any:
            if isinstance(v, str) or v is None:
                return v
            if v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                return None
            if isinstance(v, np.integer | int):
                return int(v)
            if isinstance(v, np.floating | float):
                return float(v)
            return str(v)

        return {
            PUBLISHED_KEY: {
                "titel": self.titel,
                "schwelle": self.threshold,
                "columns": [str(c) for c in self.published.columns],
                "labels": [self.label(c) for c in self.published.columns],
                "count_columns": list(self.count_cols),
                "share_columns": list(self.share_cols),
                "index": [
                    plain(i) if not isinstance(i, tuple) else [plain(x) for x in i]
                    for i in self.published.index
                ],
                "data": [[plain(v) for v in row] for row in self.published.itertuples(index=False)],
            }
        }


def ohne_interne_werte(table: PublishedTable) -> PublishedTable:
    """The table with nothing beyond what it publishes: for data that leave the layer.

    ``internal_unsuppressed`` becomes the published numbers with the hidden
    cells empty (NaN), so a copy handed to an app (:mod:`thm_lib.apps.daten`)
    holds no hidden value. Everything else is kept.
    """
    shown = table.published.where(~table.mask.astype(bool))
    shown = shown.apply(pd.to_numeric, errors="coerce")
    shown.attrs = dict(table.internal_unsuppressed.attrs)
    return replace(table, internal_unsuppressed=shown)


def select_rows(table: PublishedTable, rows: Sequence[Hashable]) -> PublishedTable:
    """Rows of a published table, keeping the suppression pattern of the whole table.

    Use it for a Kommune's part of a Kreis table: suppressing the Kommune's
    row on its own could show a cell the Kreis table hides (and so reveal it
    by differencing).
    """
    rows = list(rows)
    published = table.published.loc[rows].copy()
    published.attrs = dict(table.published.attrs)
    internal = table.internal_unsuppressed.loc[rows].copy()
    internal.attrs = dict(table.internal_unsuppressed.attrs)
    return replace(
        table,
        published=published,
        internal_unsuppressed=internal,
        mask=table.mask.loc[rows].copy(),
        reason=table.reason.loc[rows].copy(),
    )


def stack_rows(tables: Sequence[PublishedTable], index: pd.Index) -> PublishedTable:
    """One-row published tables (e.g. from :func:`select_rows`) stacked under a new index.

    Every row keeps the suppression pattern of the table it came from; the
    tables must share columns and threshold.
    """

    def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(frames)
        out.index = index
        out.attrs = dict(frames[0].attrs)
        return out

    first = tables[0]
    return replace(
        first,
        published=cat([t.published for t in tables]),
        internal_unsuppressed=cat([t.internal_unsuppressed for t in tables]),
        mask=cat([t.mask for t in tables]),
        reason=cat([t.reason for t in tables]),
    )


# ---------------------------------------------------------------------------
# the algorithm


@dataclass
class _Line:
    cells: list[int]  # flat cell ids (row * ncols + col) of the summands
    total: int | None  # flat id of the explicit total cell, or None
    name: str

    @property
    def members(self) -> list[int]:
        return self.cells + ([self.total] if self.total is not None else [])


def _lines(
    rows: list[Hashable],
    cols: list[str],
    total_row: Hashable | None,
    total_col: str | None,
    row_sums: bool,
    col_sums: bool,
    row_groups: Sequence[tuple[Sequence[str], str | None]] | None,
    teilsummen: Mapping[Hashable, Sequence[Hashable]] | None = None,
    na: np.ndarray | None = None,
) -> list[_Line]:
    """The equations of a table (see :func:`suppress`); a subtotal cell that is NA
    (``na``, flat) is no quantity of the table and gets no line."""
    nc = len(cols)
    teilsummen = teilsummen or {}
    cpos = {c: j for j, c in enumerate(cols)}
    lines: list[_Line] = []
    groups: list[tuple[list[int], int | None]] = []
    if row_groups is not None:
        for members, tot in row_groups:
            groups.append(([cpos[c] for c in members], None if tot is None else cpos[tot]))
    elif row_sums:
        tj = None if total_col is None else cpos[total_col]
        groups.append(([j for j in range(nc) if j != tj], tj))
    for i, r in enumerate(rows):
        for members, tj in groups:
            if len(members) + (tj is not None) >= 2:
                name = f"Zeile '{r}'"
                if len(groups) > 1:  # say which of the row's equations
                    name += f" ('{cols[members[0] if tj is None else tj]}')"
                lines.append(
                    _Line([i * nc + j for j in members], None if tj is None else i * nc + tj, name)
                )
    if col_sums:
        ti = None if total_row is None else rows.index(total_row)
        sub = {rows.index(r) for r in teilsummen}
        body = [i for i in range(len(rows)) if i != ti and i not in sub]
        for j, c in enumerate(cols):
            if len(body) + (ti is not None) >= 2:
                lines.append(
                    _Line(
                        [i * nc + j for i in body],
                        None if ti is None else ti * nc + j,
                        f"Spalte '{c}'",
                    )
                )
    for r, members in teilsummen.items():
        ri = rows.index(r)
        for j, c in enumerate(cols):
            if na is None or not na[ri * nc + j]:
                cells = [rows.index(m) * nc + j for m in members]
                lines.append(_Line(cells, ri * nc + j, f"'{r}'/'{c}'"))
    return lines


def _line_unsafe(
    line: _Line,
    v: np.ndarray,
    hidden: np.ndarray,
    primary: np.ndarray,
    unknown_na: np.ndarray,
    t: int,
    teil: np.ndarray,
) -> bool:
    members = line.members
    unknown = [k for k in members if hidden[k] or unknown_na[k]]
    if not any(_geschuetzt(k, v, teil, t) for k in unknown):
        return False
    if len(unknown) == 1:
        return True
    if any(unknown_na[k] for k in unknown):
        return False
    # known value K of sum(sign * x) over hidden members; bounds of that sum
    lo = hi = 0.0
    k_val = 0.0
    for k in unknown:
        sign = -1.0 if k == line.total else 1.0
        if teil[k]:
            b_lo, b_hi = 0.0, math.inf
        else:
            b_lo, b_hi = (1.0, t - 1.0) if primary[k] else (float(t), math.inf)
        k_val += sign * v[k]
        if sign > 0:
            lo, hi = lo + b_lo, hi + b_hi
        else:
            lo, hi = lo - b_hi, hi - b_lo
    return bool(np.isclose(k_val, lo) or np.isclose(k_val, hi))


def _geschuetzt(k: int, v: np.ndarray, teil: np.ndarray, t: int) -> bool:
    """True when hidden cell ``k`` must not be pinned: every cell but a part (``teil``)
    that is 0 or large, whose value a reader may learn (audit rule ``teilverletzung``)."""
    return not teil[k] or 1 <= v[k] < t


def _candidate(
    line: _Line,
    v: np.ndarray,
    hidden: np.ndarray,
    unknown_na: np.ndarray,
    fixed: np.ndarray | None = None,
) -> int | None:
    def free(k: int) -> bool:
        return not hidden[k] and not unknown_na[k] and v[k] > 0 and (fixed is None or not fixed[k])

    inner = [k for k in line.cells if free(k)]
    if inner:
        return min(inner, key=lambda k: (v[k], k))
    tot = line.total
    if tot is not None and free(tot):
        return tot
    return None


def _hide_elsewhere(
    k: int,
    lines: list[_Line],
    v: np.ndarray,
    hidden: np.ndarray,
    unknown_na: np.ndarray,
    fixed: np.ndarray | None = None,
) -> bool:
    """Hide a visible non-zero cell outside the lines of ``k`` when those have none left.

    A determined cell can be pinned by a chain of equations through other lines
    (e.g. a shown row total three steps away). Tries the visible non-zero cells
    from the smallest up and hides the first that leaves ``k`` undetermined, else
    the smallest one (the caller audits again). Returns False when none is left.
    """
    visible = [
        int(c)
        for c in np.argsort(v, kind="stable")
        if not hidden[c] and not unknown_na[c] and v[c] > 0 and (fixed is None or not fixed[c])
    ]
    for c in visible:
        trial = hidden.copy()
        trial[c] = True
        if k not in _determined(lines, trial, unknown_na):
            hidden[c] = True
            return True
    if visible:
        hidden[visible[0]] = True
        return True
    return False


def _null_space(lines: list[_Line], unknown: np.ndarray) -> np.ndarray | None:
    """Rows spanning the null space of the line equations over the ``unknown`` cells.

    None when no line touches an unknown cell (nothing ties them together).
    """
    pos = {int(k): n for n, k in enumerate(unknown)}
    eq = []
    for line in lines:
        r = np.zeros(len(unknown))
        for k in line.members:
            if k in pos:
                r[pos[k]] = -1.0 if k == line.total else 1.0
        if r.any():
            eq.append(r)
    if not eq:
        return None
    a = np.vstack(eq)
    _, sv, vh = np.linalg.svd(a)
    tol = max(a.shape) * np.finfo(float).eps * (sv[0] if len(sv) else 0.0) * 10
    return vh[int((sv > tol).sum()) :]


def _determined(lines: list[_Line], hidden: np.ndarray, unknown_na: np.ndarray) -> list[int]:
    """Hidden cells whose value the full equation system fixes (exact audit)."""
    unknown = np.flatnonzero(hidden | unknown_na)
    if len(unknown) == 0:
        return []
    null = _null_space(lines, unknown)
    if null is None:
        return []
    null = null.T  # columns span the null space
    fixed = np.abs(null).max(axis=1) < 1e-9 if null.shape[1] else np.ones(len(unknown), bool)
    return [int(unknown[n]) for n in np.flatnonzero(fixed) if hidden[unknown[n]]]


def _aus_bekannten(
    lines: list[_Line], v: np.ndarray, known: np.ndarray, unknown_na: np.ndarray
) -> np.ndarray:
    """Every cell a reader derives from the ``known`` ones (flat bool, ``known`` included).

    Two rules, repeated until nothing changes: the line equations pin a cell
    (:func:`_determined`), and the summands of a line whose unknown members add up
    to 0 are all 0 (counts are >= 0; e.g. a shown row total 0). What a reader can
    derive only with the bounds of ``"<t"`` cells is not included: this is the
    part of his knowledge that no pattern of this table can take away.
    """
    known = known & ~unknown_na
    while True:
        vorher = int(known.sum())
        known[_determined(lines, ~known & ~unknown_na, unknown_na)] = True
        for line in lines:
            rest = [k for k in line.members if not known[k]]
            if (
                rest
                and line.total not in rest
                and not unknown_na[rest].any()
                and v[rest].sum() == 0
            ):
                known[rest] = True
        if int(known.sum()) == vorher:
            return known


class _Leser:
    """What a reader can infer about the hidden cells of one table.

    The reader's model: every line is an equation, shown cells are known, a
    ``"<t"`` cell lies in 1..t-1, a ``"."`` cell and an unknown (NA) cell are
    >= 0; each group of cells sums (with its signs, default +1) to at most its
    bound. The cells a reader does not see fall apart into independent parts
    (joined by lines and groups); a cell's smallest and largest value is
    solved on its part alone, with HiGHS (``highspy``; integer programs with scipy's ``milp``).

    Three things keep the solves few and quick without changing a result:

    * every solution is a feasible table, so it witnesses a value each cell of
      its part *can* take. A cell whose witnessed values already keep the
      protection rule needs no solve of its own: its true range is only wider,
      and the rule never fails for a wider range. A witnessed box bound
      (1 or t-1 for a ``"<t"`` cell, 0 for a ``"."`` cell) is exact;
    * parts are kept per state (which of their cells are hidden, which are
      small), so an added suppression re-solves only the part it touches;
    * a solve is first tried on the linear relaxation (:meth:`_Teil._loesen`):
      the tables' sums give an integral optimum almost always, and then it is
      the integer optimum, at a third of the time of the integer program. The
      relaxation of a part is one HiGHS model kept between its solves (only the
      costs change; HiGHS goes on from its last basis).

    A part without an integer solution (its shown counts contradict each
    other) is left out: that is an inconsistency, not a leak.
    """

    def __init__(
        self,
        lines: list[_Line],
        v: np.ndarray,
        unknown_na: np.ndarray,
        t: int,
        groups: Sequence[tuple] = (),
        teil: np.ndarray | None = None,
    ) -> None:
        self.t = t
        self.v = v
        self.unknown_na = unknown_na
        self.teil = np.zeros(v.size, dtype=bool) if teil is None else teil
        self.rows = [
            (line.members, [-1.0 if k == line.total else 1.0 for k in line.members], 0.0, True)
            for line in lines
        ] + [(g[0], g[2] if len(g) > 2 else [1.0] * len(g[0]), float(g[1]), False) for g in groups]
        self.rows_of: dict[int, list[int]] = {}  # cell -> the rows it is a member of
        for i, (members, *_rest) in enumerate(self.rows):
            for k in members:
                self.rows_of.setdefault(int(k), []).append(i)
        self._teile: dict[tuple, _Teil] = {}
        # every solution found, as a whole table (shown cells at their values): a later
        # state of the table may admit it too, which is checked before it counts
        self._zeugen = np.empty((0, v.size))
        self._neu: list[np.ndarray] = [np.asarray(v, dtype=float)]
        self._gemerkt = {self._neu[0].tobytes()}

    def zeugen(self) -> np.ndarray:
        """All solutions found so far (and the true table), one row each."""
        if self._neu:
            self._zeugen = np.vstack([self._zeugen, *self._neu])
            self._neu = []
        return self._zeugen

    def merken(self, cells: list[int], x: np.ndarray) -> None:
        """Keep a solution of the part ``cells`` as a whole table."""
        full = np.asarray(self.v, dtype=float).copy()
        full[cells] = x
        key = full.tobytes()
        if key not in self._gemerkt:  # a solution found again adds nothing
            self._gemerkt.add(key)
            self._neu.append(full)

    def _zerlegen(self, hidden: np.ndarray) -> list[list[int]]:
        """The independent parts of the unknown cells (hidden or NA)."""
        unknown = hidden | self.unknown_na
        parent = {int(k): int(k) for k in np.flatnonzero(unknown)}

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for cells, _signs, _b, _eq in self.rows:
            inner = [int(k) for k in cells if unknown[k]]
            for k in inner[1:]:
                ra, rb = find(inner[0]), find(k)
                if ra != rb:
                    parent[ra] = rb
        parts: dict[int, list[int]] = {}
        for k in parent:
            parts.setdefault(find(k), []).append(k)
        return [sorted(p) for p in parts.values()]

    def _teil(self, cells: list[int], hidden: np.ndarray, primary: np.ndarray) -> _Teil:
        key = (tuple(cells), hidden[cells].tobytes(), primary[cells].tobytes())
        if key not in self._teile:
            self._teile[key] = _Teil(self, cells, primary)
        return self._teile[key]

    def verletzungen(
        self,
        hidden: np.ndarray,
        primary: np.ndarray,
        only: Sequence[int] | None = None,
    ) -> dict[int, tuple[float, float]]:
        """Exact ranges of the hidden cells (or of ``only``) that break the protection rule."""
        if not hidden.any():
            return {}
        wanted = None if only is None else {int(k) for k in only}
        out: dict[int, tuple[float, float]] = {}
        for cells in self._zerlegen(hidden):
            ziel = [
                k
                for k in cells
                if hidden[k]
                and _geschuetzt(k, self.v, self.teil, self.t)
                and (wanted is None or k in wanted)
            ]
            if ziel:
                out.update(self._teil(cells, hidden, primary).verletzungen(ziel))
        return out

    def bereich(
        self, k: int, hidden: np.ndarray, primary: np.ndarray, breiter_als: float
    ) -> tuple[float, float] | None:
        """Range of hidden cell ``k``: exact, or as witnessed once wider than ``breiter_als``."""
        for cells in self._zerlegen(hidden):
            if k in cells:
                teil = self._teil(cells, hidden, primary)
                return teil.bereich(k, lambda lo, hi: hi - lo > breiter_als)
        return None


class _Teil:
    """One independent part of a table's unknown cells in one state: its model and witnesses."""

    def __init__(self, leser: _Leser, cells: list[int], primary: np.ndarray) -> None:
        self.leser = leser
        self.t = leser.t
        self.cells = cells
        self.pos = {k: n for n, k in enumerate(cells)}
        self.klein = primary[cells].astype(bool)
        a, lo_c, hi_c = [], [], []
        touching = sorted({i for k in cells for i in leser.rows_of.get(k, [])})
        for members, signs, b, eq in (leser.rows[i] for i in touching):
            r = np.zeros(len(cells))
            for k, sign in zip(members, signs, strict=True):
                n = self.pos.get(int(k))
                if n is not None:
                    r[n] += sign
                else:  # a row touching this part has all its other cells shown
                    b -= sign * leser.v[k]
            if r.any():
                a.append(r)
                lo_c.append(b if eq else -np.inf)
                hi_c.append(b)
        self.lo = np.where(self.klein, 1.0, 0.0)
        self.hi = np.where(self.klein, self.t - 1.0, float(GROSS))
        self.zeilen = (
            np.vstack(a) if a else np.zeros((0, len(cells))),
            np.array(lo_c, dtype=float),
            np.array(hi_c, dtype=float),
        )
        """The part's rows: ``lo_c <= a @ x <= hi_c``."""
        self.w_lo = np.full(len(cells), np.inf)  # smallest and largest witnessed values
        self.w_hi = np.full(len(cells), -np.inf)
        self._erben()
        self.exakt: dict[int, tuple[float, float]] = {}
        self.unloesbar = False
        self._lp: Any = None

    def _erben(self) -> None:
        """Take as witnesses the solutions of earlier states that fit this part's model."""
        a, lo_c, hi_c = self.zeilen
        x = self.leser.zeugen()[:, self.cells]
        with np.errstate(invalid="ignore"):
            ok = (x >= self.lo - 1e-9).all(axis=1) & (x <= self.hi + 1e-9).all(axis=1)
            ok &= (np.abs(x - np.round(x)) < 1e-9).all(axis=1)
            if len(a) and ok.any():
                ax = x[ok] @ a.T
                ok[ok] = ((ax >= lo_c - 1e-6) & (ax <= hi_c + 1e-6)).all(axis=1)
        if ok.any():
            self.w_lo = x[ok].min(axis=0)
            self.w_hi = x[ok].max(axis=0)

    def _loesen(self, n: int, sign: float) -> float | None:
        """Smallest (``sign`` 1) or largest (-1) value of cell ``n``; None without a solution.

        The linear relaxation is solved first: an integral optimum of it is the
        integer optimum, and the tables' equations (cells summing to totals)
        almost always give one. Only otherwise is the integer program solved.
        """
        c = np.zeros(len(self.lo))
        c[n] = sign
        x, fun = self._relaxation(c)
        if x is None or np.abs(x - np.round(x)).max() > _GANZ:
            res = self._ganzzahlig(c)
            if res.status != 0:
                self.unloesbar = True
                return None
            x, fun = res.x, res.fun
        x = np.round(x)
        np.minimum(self.w_lo, x, out=self.w_lo)
        np.maximum(self.w_hi, x, out=self.w_hi)
        self.leser.merken(self.cells, x)
        return float(round(sign * fun))

    def _relaxation(self, c: np.ndarray) -> tuple[np.ndarray | None, float]:
        """Optimum of the linear relaxation for the costs ``c`` (None if there is none).

        One HiGHS model per part, kept between solves: only the costs change, and
        HiGHS starts from the last basis (a new ``milp`` call built the model anew each time).
        """
        highspy = _highspy()
        if self._lp is None:
            a, lo_c, hi_c = self.zeilen
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.addVars(len(self.lo), self.lo, self.hi)
            for i in range(a.shape[0]):
                idx = np.flatnonzero(a[i]).astype(np.int32)
                h.addRow(lo_c[i], hi_c[i], len(idx), idx, a[i, idx])
            self._lp = (h, np.arange(len(self.lo), dtype=np.int32))
        h, alle = self._lp
        h.changeColsCost(len(c), alle, c)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None, math.nan
        return np.asarray(h.getSolution().col_value), h.getInfo().objective_function_value

    def _ganzzahlig(self, c: np.ndarray) -> Any:
        """The integer program for the costs ``c`` (scipy's ``milp``; its result)."""
        from scipy.optimize import Bounds, LinearConstraint, milp

        a, lo_c, hi_c = self.zeilen
        cons = [LinearConstraint(a, lo_c, hi_c)] if len(a) else []
        return milp(
            c, constraints=cons, bounds=Bounds(self.lo, self.hi), integrality=np.ones(len(c))
        )

    def bereich(self, k: int, genug: Any) -> tuple[float, float] | None:
        """Exact range of cell ``k``, or its witnessed range as soon as ``genug(lo, hi)`` holds."""
        n = self.pos[k]
        if k in self.exakt:
            return self.exakt[k]
        if self.unloesbar:
            return None
        if self.w_lo[n] <= self.w_hi[n] and genug(self.w_lo[n], self.w_hi[n]):
            return float(self.w_lo[n]), float(self.w_hi[n])
        lo = float(self.lo[n]) if self.w_lo[n] == self.lo[n] else self._loesen(n, 1.0)
        if lo is None:
            return None
        if genug(lo, self.w_hi[n]):
            return lo, float(self.w_hi[n])
        hi = float(self.hi[n]) if self.w_hi[n] == self.hi[n] else self._loesen(n, -1.0)
        if hi is None:
            return None
        self.exakt[k] = (lo, hi)
        return lo, hi

    def verletzungen(self, ziel: list[int]) -> dict[int, tuple[float, float]]:
        """Exact ranges of the cells of ``ziel`` that break the protection rule."""
        out = {}
        for k in ziel:
            klein = bool(self.klein[self.pos[k]])
            teil = bool(self.leser.teil[k])

            def genug(lo: float, hi: float, klein: bool = klein, teil: bool = teil) -> bool:
                return _verletzung(klein, teil, lo, hi, self.t) is None

            r = self.bereich(k, genug)
            if r is not None and not genug(*r):
                out[k] = r
        return out


_STILL = threading.Lock()


@cache
def _highspy() -> Any:
    """The module ``highspy``, after a first, silent instance of its solver.

    HiGHS prints its banner on stdout when a process makes its first instance, also
    with ``output_flag`` off (ERGO-Code/HiGHS#1932); in a kernel it would land in a
    notebook's output. The first instance is therefore made with stdout closed. A
    process without file descriptor 1 (a service started with stdout closed) has no
    stdout to keep clean.
    """
    import highspy

    with _STILL:  # two threads must not swap stdout at the same time
        if sys.stdout is not None:
            sys.stdout.flush()
        try:
            kopie = os.dup(1)
        except OSError:
            highspy.Highs()
            return highspy
        leer = os.open(os.devnull, os.O_WRONLY)
        os.dup2(leer, 1)
        try:
            highspy.Highs()
        finally:
            os.dup2(kopie, 1)
            os.close(kopie)
            os.close(leer)
    return highspy


def _verletzung(klein: bool, teil: bool, lo: float, hi: float, t: int) -> str | None:
    """The audit's rule for a hidden cell of range ``lo..hi``: a part's own, else the usual."""
    return teilverletzung(lo, hi, t) if teil else schutzverletzung(klein, lo, hi, t)


def _bounded_violations(
    ranges: dict[int, tuple[float, float]], primary: np.ndarray, teil: np.ndarray, t: int
) -> list[int]:
    """Hidden cells whose range breaks the protection rule, narrowest first."""

    bad = [
        k
        for k, (lo, hi) in ranges.items()
        if _verletzung(bool(primary[k]), bool(teil[k]), lo, hi, t)
    ]
    return sorted(bad, key=lambda k: (ranges[k][1] - ranges[k][0], k))


def _protect_bounded(
    lines: list[_Line],
    v: np.ndarray,
    hidden: np.ndarray,
    primary: np.ndarray,
    unknown_na: np.ndarray,
    fixed: np.ndarray,
    t: int,
    groups: Sequence[tuple] = (),
    keep_label: np.ndarray | None = None,
    umbenennen_zuerst: bool = False,
    nullen: bool = False,
    teil: np.ndarray | None = None,
    nur_moegliche: bool = False,
) -> list[int]:
    """Hide more cells until every hidden cell's range keeps the protection rule.

    Takes the narrowest offending cell and tries the visible non-zero cells
    from the smallest up: the first whose hiding widens that cell's range is
    hidden. If none does alone, the smallest visible cell of its own lines is
    hidden, as in the line step. When no visible cell is left, a small cell
    is shown with the symbol instead of ``"<t"`` (:func:`_relabel`; not one
    that ``keep_label`` marks as shown ``"<t"`` in another table). With
    ``umbenennen_zuerst`` that is tried before the fallback of hiding a cell that
    widens nothing alone (the second try of :func:`suppress`). With ``nullen``, a
    shown zero (or two of one line, :func:`_nullen`) whose hiding widens the
    cell's range is hidden before that fallback (last resort, see
    :func:`suppress`). Cells of ``teil`` are judged by the rule of a part
    (:func:`~thm_lib.disclosure.audit_modell.teilverletzung`). ``nur_moegliche`` is
    passed to :func:`_relabel` (the third try of :func:`suppress`). Returns the cells
    still offending when nothing is left to do.
    """
    if keep_label is None:
        keep_label = np.zeros(v.size, dtype=bool)
    if teil is None:
        teil = np.zeros(v.size, dtype=bool)
    leser = _Leser(lines, v, unknown_na, t, groups, teil)

    for _ in range(v.size + 1):
        ranges = leser.verletzungen(hidden, primary)
        bad = _bounded_violations(ranges, primary, teil, t)
        if not bad:
            return []
        k = bad[0]
        width = ranges[k][1] - ranges[k][0]
        free = ~hidden & ~unknown_na & ~fixed
        visible = sorted((int(c) for c in np.flatnonzero(free & (v > 0))), key=lambda c: (v[c], c))
        chosen = _widening(k, ([c] for c in visible), hidden, primary, leser, width)
        if chosen is None and (umbenennen_zuerst or not visible):
            if _relabel(k, lines, hidden, primary & ~keep_label, primary, leser, nur_moegliche):
                continue
        if chosen is None and nullen:
            chosen = _widening(k, _nullen(lines, free & (v == 0)), hidden, primary, leser, width)
        if chosen is None and not visible:
            bekannt = [c for c in bad if ranges[c][0] == ranges[c][1] and v[c] >= t and not teil[c]]
            if not bekannt:
                return bad
            # nothing left to hide: a large cell the reader has anyway (e.g. the sum of
            # shown totals) is shown - that tells nothing new - and the others are tried
            hidden[bekannt] = False
            continue
        if chosen is None:
            own = {m for line in lines if k in line.members for m in line.members}
            chosen = [next((c for c in visible if c in own), visible[0])]
        hidden[chosen] = True
    return _bounded_violations(leser.verletzungen(hidden, primary), primary, teil, t)


def _widening(
    k: int,
    gruppen: Iterable[list[int]],
    hidden: np.ndarray,
    primary: np.ndarray,
    leser: _Leser,
    width: float,
) -> list[int] | None:
    """The first group of cells whose hiding widens cell ``k``'s range beyond ``width``.

    Hiding a cell only drops an equation, so ``k``'s range with several groups
    hidden at once is at least as wide as with any one of them. So the groups
    are not tried one by one (round 2, session 34: the joint check of a Kreis
    with three inactive cases spent 77 of 89 s so, mostly in calls that found none
    or only the 40th of 60 groups): when all of them together widen nothing,
    none does; else the first prefix that widens is found by doubling and
    halving, and its last group, the only candidate left, is tried alone. If
    that group widens only together with the ones before, the search goes on
    after it. A range without solution (contradicting counts) keeps a set of
    groups in the search and does not count for one group, as before.
    """
    gruppen = list(gruppen)

    def weiter(a: int, b: int, einzeln: bool = False) -> bool:
        cells = sorted({c for g in gruppen[a:b] for c in g})
        hidden[cells] = True
        trial = leser.bereich(k, hidden, primary, breiter_als=width)
        hidden[cells] = False
        if trial is None:
            return not einzeln
        return trial[1] - trial[0] > width

    start = 0
    while start < len(gruppen) and weiter(start, len(gruppen)):
        # gruppen[start:unten] together widen nothing, gruppen[start:oben] do
        unten, oben = start, start + 1
        while not weiter(start, oben):
            unten, oben = oben, min(start + 2 * (oben - start), len(gruppen))
        while oben - unten > 1:
            mitte = (unten + oben) // 2
            unten, oben = (unten, mitte) if weiter(start, mitte) else (mitte, oben)
        if weiter(unten, oben, einzeln=True):
            return gruppen[unten]
        start = oben
    return None


def _nullen(lines: list[_Line], zeros: np.ndarray) -> Iterator[list[int]]:
    """Shown zeros to try hiding: each alone, then each with a zero of one of its lines.

    A zero alone often widens nothing, its row total 0 pins it (0 = x + 0); the
    zero together with that row total does.
    """
    cands = [int(c) for c in np.flatnonzero(zeros)]
    yield from ([c] for c in cands)
    for c in cands:
        partners = {m for line in lines if c in line.members for m in line.members}
        yield from ([c, d] for d in sorted(partners & set(cands) - {c}))


def _relabel(
    k: int,
    lines: list[_Line],
    hidden: np.ndarray,
    relabelable: np.ndarray,
    primary: np.ndarray,
    leser: _Leser,
    nur_moegliche: bool = False,
) -> bool:
    """Show a hidden small cell with the symbol instead of ``"<t"`` to free cell ``k``.

    When the small cells of a line are pinned by their small total (three
    ``"<5"`` summing to a ``"<5"``), no further hidden cell helps: the upper
    bound itself is the problem. Dropping it from one cell keeps every number
    hidden and only withholds "small". Tried in this order: the totals of
    ``k``'s lines, other totals (e.g. the grand total that bounds the column
    totals), the other cells of ``k``'s lines, the rest; larger first. When no
    single cell frees ``k``, a pair of the first ten, else cells one after
    another in that order until it is free. With ``nur_moegliche`` only candidates that
    can keep the rule with the symbol at all (:func:`_umbenennbar`). Returns True when
    ``k`` is free and every relabelled cell keeps the rule.
    """
    own = {m for line in lines if k in line.members for m in line.members}
    own_totals = {line.total for line in lines if k in line.members}
    totals = {line.total for line in lines}
    cands = [int(c) for c in np.flatnonzero(hidden & relabelable)]
    if not _befreibar(k, cands, hidden, primary, leser):
        return False
    if nur_moegliche:
        cands = _umbenennbar(cands, hidden, primary, leser)
    cands.sort(key=lambda c: (c not in own_totals, c not in totals, c not in own, -leser.v[c], c))

    def frees(cells: list[int]) -> bool:
        # k first: most trials leave k pinned, and then the ranges of ``cells`` (often
        # a part of their own, each a new model) need not be solved at all
        if leser.verletzungen(hidden, primary, only=[k]):
            return False
        return not leser.verletzungen(hidden, primary, only=cells)

    for c in cands:
        primary[c] = False
        if frees([c]):
            return True
        primary[c] = True
    # equal small numbers bound each other (a column total equal to the grand total):
    # a pair of the first candidates, else one after another until k is free
    for i, c1 in enumerate(cands[:10]):
        for c2 in cands[i + 1 : 10]:
            primary[[c1, c2]] = False
            if frees([c1, c2]):
                return True
            primary[[c1, c2]] = True
    done: list[int] = []
    for c in cands:
        primary[c] = False
        done.append(c)
        if frees(done):
            return True
    primary[done] = True
    return False


def _umbenennbar(
    cands: list[int], hidden: np.ndarray, primary: np.ndarray, leser: _Leser
) -> list[int]:
    """The candidates of :func:`_relabel` that can keep the rule with the symbol at all.

    Relabelling widens every range, but the relabelled cell is then judged by
    the rule of a symbol cell, which a narrow range breaks even where it
    was enough for ``"<t"``: a column total bound by a grand total that keeps
    ``"<t"`` stays within 1..t-1 whatever else is relabelled. Such a cell
    can never be relabelled; in the one-after-another step of :func:`_relabel`
    it made every later trial fail (round 2, session 47: a Kreis of two
    persons, one in each of two age bands, all four small cells pinned). With
    every candidate relabelled each range is the widest any choice gives, so a
    candidate that breaks the rule there is dropped, and the rest is checked
    again until none does.
    """
    while cands:
        primary[cands] = False
        try:
            schlecht = leser.verletzungen(hidden, primary, only=cands)
        finally:
            primary[cands] = True
        if not schlecht:
            break
        cands = [c for c in cands if c not in schlecht]
    return cands


def _befreibar(
    k: int, cands: list[int], hidden: np.ndarray, primary: np.ndarray, leser: _Leser
) -> bool:
    """Whether relabelling some of ``cands`` can free cell ``k`` at all.

    Showing a cell with the symbol instead of ``"<t"`` only drops its bounds
    1..t-1, so every range widens, and the protection rule never fails for a
    wider range (:func:`~thm_lib.disclosure.audit_modell.schutzverletzung`).
    With every candidate relabelled, ``k``'s range is the widest any choice
    of :func:`_relabel` gives: if ``k`` still breaks the rule there (with its
    own label kept, and with it dropped when ``k`` is a candidate itself), no
    choice frees it. Two or four solves instead of one model per trial (round
    2, session 34: the joint check of a Kreis with three inactive cases spent
    100 of 185 s in trials that could not succeed).
    """
    andere = [c for c in cands if c != k]
    primary[andere] = False
    try:
        if not leser.verletzungen(hidden, primary, only=[k]):
            return True
        if k not in cands:
            return False
        primary[k] = False
        frei = not leser.verletzungen(hidden, primary, only=[k])
        primary[k] = True
        return frei
    finally:
        primary[andere] = True


def als_zeichen(table: PublishedTable) -> pd.DataFrame:
    """Small counts ``table`` hides with the symbol instead of ``"<t"`` (bounded check).

    Another table that repeats such a number must show the symbol too.
    """
    values = table.internal_unsuppressed.reindex(columns=table.mask.columns)
    small = values.apply(pd.to_numeric, errors="coerce").ge(1) & values.apply(
        pd.to_numeric, errors="coerce"
    ).lt(table.threshold)
    return table.mask.astype(bool) & table.reason.eq(SEKUNDAER) & small


def verlorene_werte(*tables: PublishedTable | None) -> int:
    """Values the tables withhold beyond their small counts: cells hidden secondarily
    (a large count, or a small one shown with the symbol, which loses its bound) and
    hidden shares. The measure a joint check weighs two remedies by."""
    return sum(
        int((t.mask.astype(bool) & t.reason.ne(PRIMAER)).to_numpy().sum())
        for t in tables
        if t is not None
    )


def suppress(
    table: pd.DataFrame,
    threshold: int | None = None,
    *,
    count_cols: Sequence[str] | None = None,
    total_row: Hashable | None = None,
    total_col: str | None = None,
    row_sums: bool = True,
    col_sums: bool = True,
    row_groups: Sequence[tuple[Sequence[str], str | None]] | None = None,
    share_cols: Mapping[str, str | Sequence[str]] | None = None,
    titel: str | None = None,
    column_labels: Mapping[str, str] | None = None,
    symbol: str | None = None,
    hidden_elsewhere: pd.DataFrame | None = None,
    schon_verborgen: pd.DataFrame | None = None,
    shown_elsewhere: pd.DataFrame | None = None,
    symbol_elsewhere: pd.DataFrame | None = None,
    parts: pd.DataFrame | None = None,
    at_most: Sequence[tuple[str, str]] = (),
    ungleichungen: Sequence[tuple[Hashable, Mapping[str, float], float]] = (),
    nullen_sperren: bool = False,
    teilsummen: Mapping[Hashable, Sequence[Hashable]] | None = None,
    umbenennen_gruendlich: bool = True,
) -> PublishedTable:
    """Apply primary and secondary small-cell suppression to a table of counts.

    Parameters
    ----------
    table : pandas.DataFrame
        Row labels in the index; count columns hold whole numbers >= 0 (NA =
        unknown). Not modified.
    threshold : int, optional
        Counts ``1 .. threshold-1`` are hidden. Default:
        ``annahmen.datenschutz.schwelle``.
    count_cols : sequence of str, optional
        Count columns (default: all numeric, non-bool columns not in
        ``share_cols``; a column with fractions then raises, so non-count
        numbers must be left out explicitly).
    total_row : hashable, optional
        Index label of the row holding the column totals.
    total_col : str, optional
        Column holding the row totals (must be a count column).
    row_sums : bool
        The count cells of a row add up (to ``total_col``, or to a margin
        assumed known elsewhere). False when the columns are not additive
        (e.g. *neu*, *aktiv*, *abgeschlossen*).
    col_sums : bool
        The cells of a column add up over the rows (to ``total_row`` or to an
        assumed known margin).
    row_groups : sequence of (columns, total column or None), optional
        Several additive groups across a row; replaces ``row_sums``/``total_col``.
    share_cols : mapping, optional
        Share column -> the count column(s) it is derived from (same row).
        A share is hidden when one of them is hidden.
    titel : str, optional
        Caption.
    column_labels : mapping, optional
        German headers.
    symbol : str, optional
        Shown for secondarily hidden cells and shares (default
        ``annahmen.datenschutz.zeichen_geheim``).
    hidden_elsewhere, shown_elsewhere : pandas.DataFrame of bool, optional
        Cells (by index and column label; missing = False) that another
        published table already hides or shows: the same quantity gets the
        same mask here. Cells hidden elsewhere start hidden; cells shown
        elsewhere are never chosen for secondary suppression (hiding a number
        the reader has anyway protects nothing).
    schon_verborgen : pandas.DataFrame of bool, optional
        Cells hidden from the start, e.g. the pattern of an earlier check of the
        table on its own: unlike ``hidden_elsewhere``, a small one among them may
        still be shown with the symbol instead of ``"<t"``.
    symbol_elsewhere : pandas.DataFrame of bool, optional
        Cells hidden elsewhere that the other table shows with the symbol
        although they are small (see the bounded check): the same here, so
        no table gives their ``"<t"`` bound away.
    parts : pandas.DataFrame of bool, optional
        Cells that no published table shows, neither as a number nor as hidden
        (e.g. the persons only the programme's FAQ count includes): they are
        hidden here and a reader knows of them only that they are whole numbers
        >= 0. Like the audit (:func:`~thm_lib.disclosure.audit_modell.teilverletzung`),
        only a small one (1 .. ``threshold``-1) is protected; a part that is 0
        or large may become known.
    at_most : sequence of (column, column), optional
        Column pairs ``(a, b)`` with ``a <= b`` in every row, known to every
        reader by definition (new and closed cases are at most the active
        ones). The bounded check uses them like the audit does.
    ungleichungen : sequence of (row, {column: coefficient}, bound), optional
        Further relations a reader knows, each ``sum(coefficient * cell) <= bound``
        within one row (e.g. the Fallevidenz against the Berichtswesen's needs of
        the report year, :meth:`thm_lib.disclosure.publication.Publication.fallevidenz`).
        Used by the bounded check like ``at_most``.
    nullen_sperren : bool
        Last resort of the bounded check: when no shown non-zero cell widens
        an offending range, hide a shown zero that does (with the symbol).
        Off by default ("zero stays 0"); :class:`thm_lib.disclosure.publication.Publication`
        retries a target-group table with it when every free cell of the
        table is a zero (a later Stichtag that repeats an earlier one except
        for one Gemeinde whose small count fell to 0).
    teilsummen : mapping of row label -> row labels, optional
        Rows holding the sum of some other rows in every count column (e.g. the
        Kreis as one applicant: the Gemeinden that do not apply themselves). Such
        a row is left out of the column sums; where a column's subtotal is no
        published quantity, give it as NA: it then has no equation in that column.
    umbenennen_gruendlich : bool
        Where the two tries of the bounded check leave cells unprotected, a third:
        show with the symbol only small cells that can keep the rule with it
        (:func:`_umbenennbar`). On by default. A joint check that can also hide cells
        of another table turns it off, tries both remedies and keeps the one that
        loses fewer values (:func:`verlorene_werte`; round 2, sessions 47 and 48).

    Returns
    -------
    PublishedTable

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 6], "b": [10, 8]}, index=["x", "y"])
    >>> suppress(add_totals(t, total_row="Summe", total_col="ges"), 5,
    ...          total_row="Summe", total_col="ges").published.loc["x"].tolist()
    ['<5', '.', '.']

    The row total 13 is hidden too: with it shown, the rectangle of hidden
    cells would tie 10, 6 and 8 to four values each (see ``docs/datenschutz.md``).
    """
    t = _threshold(threshold)
    sym = default_symbol() if symbol is None else str(symbol)
    if not sym.strip() or any(ch.isdigit() for ch in sym):
        raise ValueError(
            f"the suppression symbol must be non-empty text without digits, got {sym!r}"
        )
    shares = {k: [v] if isinstance(v, str) else list(v) for k, v in (share_cols or {}).items()}
    if count_cols is None:  # every number is a count unless said otherwise: fail safe
        count_cols = [
            c
            for c in table.columns
            if c not in shares
            and pd.api.types.is_numeric_dtype(table[c].dtype)
            and not pd.api.types.is_bool_dtype(table[c].dtype)
        ]
    cols = list(count_cols)
    for c in [*cols, *shares, *(x for v in shares.values() for x in v)]:
        if c not in table.columns:
            raise KeyError(f"column {c!r} not in table")
    if total_col is not None and total_col not in cols:
        raise ValueError("total_col must be one of the count columns")
    rows = list(table.index)
    if total_row is not None and total_row not in rows:
        raise KeyError(f"total row {total_row!r} not in index")
    if len(set(rows)) != len(rows):
        raise ValueError("row labels (index) must be unique")
    teilsummen = {r: list(m) for r, m in (teilsummen or {}).items()}
    for r, members in teilsummen.items():
        falsch = [m for m in [r, *members] if m not in rows or m == total_row]
        if falsch or any(m in teilsummen for m in members):
            raise KeyError(f"subtotal row {r!r}: {falsch or members} not body rows of the table")

    v = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float).ravel()
    unknown_na = np.isnan(v)
    vals = v[~unknown_na]
    if (vals < 0).any() or (vals != np.round(vals)).any():
        raise ValueError("count columns must hold whole numbers >= 0")
    primary = (v >= 1) & (v < t)
    hidden = primary.copy()
    fixed = np.zeros(v.size, dtype=bool)

    def flat(frame: pd.DataFrame | None) -> np.ndarray:
        return _flache_maske(frame, table.index, cols)

    hidden |= (flat(hidden_elsewhere) | flat(schon_verborgen)) & ~unknown_na
    as_symbol = flat(symbol_elsewhere) & hidden
    primary &= ~as_symbol
    teil = flat(parts) & ~unknown_na
    hidden |= teil
    primary &= ~teil
    fixed |= flat(shown_elsewhere) & ~hidden

    lines = _lines(
        rows, cols, total_row, total_col, row_sums, col_sums, row_groups, teilsummen, unknown_na
    )
    unresolved: set[str] = set()
    for _ in range(v.size + 1):
        changed = True
        while changed:
            changed = False
            for line in lines:
                if line.name in unresolved:
                    continue
                if _line_unsafe(line, v, hidden, primary, unknown_na, t, teil):
                    k = _candidate(line, v, hidden, unknown_na, fixed)
                    if k is None:
                        unresolved.add(line.name)
                    else:
                        hidden[k] = True
                        changed = True
        added = False
        determined = [
            k for k in _determined(lines, hidden, unknown_na) if _geschuetzt(k, v, teil, t)
        ]
        for k in determined:
            for line in lines:
                if k in line.members:
                    c = _candidate(line, v, hidden, unknown_na, fixed)
                    if c is not None:
                        hidden[c] = True
                        added = True
                        break
            if added:
                break
        if not added and determined:
            added = _hide_elsewhere(determined[0], lines, v, hidden, unknown_na, fixed)
        if not added:  # still determined cells are named at the end
            break
    nc_ = len(cols)
    groups: list[tuple] = []
    # a <= b in every row: x_a - x_b <= 0
    kleiner = [(r, {a: 1.0, b: -1.0}, 0.0) for a, b in at_most for r in rows]
    for r, koeff, schranke in [*kleiner, *ungleichungen]:
        i = rows.index(r)
        groups.append(
            (
                [i * nc_ + cols.index(c) for c in koeff],
                float(schranke),
                [float(x) for x in koeff.values()],
            )
        )
    # a cell another table shows as "<t" keeps that bound whatever this table shows
    keep_label = flat(hidden_elsewhere) & primary
    vorher = hidden.copy(), primary.copy()
    left = _protect_bounded(
        lines,
        v,
        hidden,
        primary,
        unknown_na,
        fixed,
        t,
        groups,
        keep_label,
        nullen=nullen_sperren,
        teil=teil,
    )
    # Second try, only where the first left cells unprotected: withhold "small" before
    # hiding a cell that widens nothing alone. In a Kreis of women only, the column "w"
    # equals the total column; hiding its shown total pinned it (11 = 11 - 0).
    # Third try, only where both left cells: relabel only cells that can keep the rule
    # with the symbol (:func:`_umbenennbar`). A joint check may turn it off to weigh it
    # against hiding cells of another table (a generated Kreis relabelled into hiding its
    # reach totals where two counts of "Fallzahlen" were enough).
    for nur_moegliche in (False, True):
        if not left or (nur_moegliche and not umbenennen_gruendlich):
            break
        h, p = vorher[0].copy(), vorher[1].copy()
        left_neu = _protect_bounded(
            lines,
            v,
            h,
            p,
            unknown_na,
            fixed,
            t,
            groups,
            keep_label,
            umbenennen_zuerst=True,
            nullen=nullen_sperren,
            teil=teil,
            nur_moegliche=nur_moegliche,
        )
        if len(left_neu) < len(left):
            hidden[:], primary[:], left = h, p, left_neu

    if fixed.any():
        # a secondarily hidden cell the reader derives from cells shown elsewhere is
        # known whatever this table hides: hiding it protected nothing, and it counted as
        # determined (round 2, session 38: F = Zs - Q of a generated Kreis was hidden and
        # reported open). Showing it changes no range. Never a small count (a relabelled
        # one is no longer ``primary``), a part or a cell another table hides. Not marked
        # as fixed from the start: the line step then takes other cells, and the sample's
        # Fallevidenz lost every count (its "gesamt" total is the sum of the shown "gesamt")
        klein = (v >= 1) & (v < t)
        hidden &= ~(
            _aus_bekannten(lines, v, fixed, unknown_na) & ~klein & ~teil & ~flat(hidden_elsewhere)
        )

    # what the line steps left open may be settled by the bounded check (a small total
    # shown with the symbol frees its "<5" cells): keep only what is still open now
    def zelle(k: int) -> str:
        return f"Zelle '{rows[k // len(cols)]}'/'{cols[k % len(cols)]}'"

    # the line step's test assumes a "." cell >= t; the bounded check solved the reader's
    # real model (">= 0") for every hidden cell, so a line stays open only with a cell it
    # could not protect (a joint check starting from earlier patterns met such lines)
    offen = [line for line in lines if line.name in unresolved and set(line.members) & set(left)]
    unresolved = {
        line.name for line in offen if _line_unsafe(line, v, hidden, primary, unknown_na, t, teil)
    }
    unresolved.update(
        zelle(k) for k in _determined(lines, hidden, unknown_na) if _geschuetzt(k, v, teil, t)
    )
    unresolved.update(zelle(k) for k in left if hidden[k])

    nr, nc = len(rows), len(cols)
    hid2, prim2 = hidden.reshape(nr, nc), primary.reshape(nr, nc)
    published = table.copy()
    published.attrs = {}
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    reason = pd.DataFrame("", index=table.index, columns=table.columns)
    for j, c in enumerate(cols):
        out = []
        for i in range(nr):
            x = table[c].iloc[i]
            if hid2[i, j]:
                out.append(f"<{t}" if prim2[i, j] else sym)
                reason.iloc[i, table.columns.get_loc(c)] = PRIMAER if prim2[i, j] else SEKUNDAER
            else:
                out.append(None if pd.isna(x) else int(x))
        published[c] = pd.Series(out, index=table.index, dtype=object)
        mask[c] = hid2[:, j]
    cpos = {c: j for j, c in enumerate(cols)}
    for s, sources in shares.items():
        hide = np.zeros(nr, dtype=bool)
        for src in sources:
            if src in cpos:
                hide |= hid2[:, cpos[src]]
        col = table[s].astype(object).where(~hide, sym)
        published[s] = col
        mask[s] = hide
        reason.loc[hide, s] = ANTEIL
    published.attrs[PUBLISHED_KEY] = t
    internal = table.copy()
    internal.attrs[ATTR_INTERNAL] = True
    return PublishedTable(
        published=published,
        internal_unsuppressed=internal,
        mask=mask,
        reason=reason,
        threshold=t,
        count_cols=tuple(cols),
        share_cols=tuple(shares),
        titel=titel,
        column_labels=dict(column_labels or {}),
        unresolved=tuple(sorted(unresolved)),
        symbol=sym,
        structure={
            "total_row": total_row,
            "total_col": total_col,
            "row_sums": row_sums,
            "col_sums": col_sums,
            "row_groups": row_groups,
            "teilsummen": teilsummen,
        },
    )


def is_determined(
    table: PublishedTable, coefficients: Mapping[tuple[Hashable, str], float]
) -> bool:
    """True when a linear combination of a table's count cells follows from what it shows.

    A derived figure (e.g. persons of one status counted for the staffing
    key, or demand = persons × public rates) may be published beside the
    table only if its value is already fixed by the shown cells and the
    table's equations (row and column sums): then it tells a reader nothing
    new and cannot pin a hidden cell.

    Parameters
    ----------
    table : PublishedTable
        A table made by :func:`suppress` (with its equations, ``structure``).
    coefficients : mapping of (row label, column) -> float
        The combination ``sum(c * cell)``.

    Returns
    -------
    bool
        True when the combination is determined (its hidden part lies in the
        row space of the equations over the hidden cells).

    Examples
    --------
    >>> t = suppress(pd.DataFrame({"a": [3, 6], "b": [10, 8], "s": [13, 14]},
    ...                           index=["x", "y"]), 5, total_col="s", col_sums=False)
    >>> t.published.loc["x"].tolist()
    ['<5', '.', '.']
    >>> is_determined(t, {("x", "a"): 1, ("x", "b"): 1, ("x", "s"): -1})
    True
    >>> is_determined(t, {("x", "a"): 1}), is_determined(t, {("y", "a"): 1})
    (False, True)
    """
    rows, cols, lines, na = _gleichungen(table)
    nc = len(cols)
    hidden = table.mask[cols].to_numpy(dtype=bool).ravel() | na
    # not |=: a single column's array may be a read-only view
    c = np.zeros(len(rows) * nc)
    for (r, col), w in coefficients.items():
        if col not in cols:
            raise KeyError(f"column {col!r} is not a count column")
        c[rows.index(r) * nc + cols.index(col)] += float(w)
    unknown = np.flatnonzero(hidden)
    cu = c[unknown]
    if not np.any(np.abs(cu) > 0):
        return True
    null = _null_space(lines, unknown)
    if null is None:
        return False
    scale = max(1.0, float(np.abs(cu).max()))
    return bool(np.all(np.abs(null @ cu) < 1e-9 * scale))


def aus_gezeigten(table: PublishedTable, gezeigt: pd.DataFrame) -> pd.DataFrame:
    """The count cells of a table a reader derives from the cells ``gezeigt`` alone.

    For a table whose pattern stayed open (``unresolved``): hiding more of it
    cannot take these cells from a reader who sees ``gezeigt`` (e.g. cells another
    table shows), so they may be shown whatever else is hidden. Derived are the
    cells the table's equations pin and the summands of a line whose unknown
    members add up to 0 (counts are >= 0).

    Parameters
    ----------
    table : PublishedTable
        A table made by :func:`suppress` (with its equations, ``structure``).
    gezeigt : pandas.DataFrame of bool
        The cells a reader knows (by index and column label; missing = False).

    Returns
    -------
    pandas.DataFrame of bool
        Per count cell: known to that reader (``gezeigt`` included).

    Examples
    --------
    >>> t = suppress(pd.DataFrame({"a": [3, 0], "b": [10, 0], "s": [13, 0]},
    ...                           index=["x", "y"]), 5, total_col="s", col_sums=False)
    >>> gezeigt = pd.DataFrame({"s": [True, True]}, index=["x", "y"])
    >>> aus_gezeigten(t, gezeigt).loc["y"].tolist(), aus_gezeigten(t, gezeigt).loc["x"].tolist()
    ([True, True, True], [False, False, True])
    """
    rows, cols, lines, na = _gleichungen(table)
    known = _flache_maske(gezeigt, table.mask.index, cols)
    v = table.internal_unsuppressed[cols].to_numpy(dtype=float).ravel()
    out = _aus_bekannten(lines, v, known, na)
    return pd.DataFrame(out.reshape(len(rows), len(cols)), index=table.mask.index, columns=cols)


def ungeschuetzt(
    table: PublishedTable, gezeigt: pd.DataFrame, teile: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The count cells a reader who knows only ``gezeigt`` pins or narrows too far.

    Checks a choice of cells to show against the audit's rule, for a table whose
    pattern was made for another reader: every cell the reader does not know keeps
    its protection (:func:`~thm_lib.disclosure.audit_modell.schutzverletzung`; a
    ``"<t"`` cell of ``table.published`` lies in 1..t-1 for him), a part (``teile``,
    published nowhere) by the rule of a part. Unlike :func:`aus_gezeigten`, ranges
    count too, not only pinned cells.

    Parameters
    ----------
    table : PublishedTable
        A table made by :func:`suppress` (with its equations, ``structure``).
    gezeigt : pandas.DataFrame of bool
        The cells the reader knows (by index and column label; missing = False).
    teile : pandas.DataFrame of bool, optional
        The parts among the cells (missing = False).

    Returns
    -------
    pandas.DataFrame of bool
        Per count cell: unknown to the reader, yet left too narrow a range.

    Examples
    --------
    >>> t = suppress(pd.DataFrame({"a": [3, 6], "b": [10, 8], "s": [13, 14]},
    ...                           index=["x", "y"]), 5, total_col="s", col_sums=False)
    >>> gezeigt = pd.DataFrame({"a": [False, True], "b": [False, True], "s": [False, True]},
    ...                        index=["x", "y"])
    >>> ungeschuetzt(t, gezeigt).loc["x"].tolist()  # as published: x's cells keep ranges
    [False, False, False]
    >>> gezeigt.loc["x", ["b", "s"]] = True  # a reader who knows x's b and s pins its a
    >>> ungeschuetzt(t, gezeigt).loc["x"].tolist()
    [True, False, False]
    """
    rows, cols, lines, na = _gleichungen(table)
    t = int(table.threshold)
    v = table.internal_unsuppressed[cols].to_numpy(dtype=float).ravel()
    hidden = ~_flache_maske(gezeigt, table.mask.index, cols) & ~na
    primary = (table.published[cols] == small_label(t)).to_numpy(dtype=bool).ravel() & hidden
    teil = _flache_maske(teile, table.mask.index, cols) & ~na
    leser = _Leser(lines, v, na, t, (), teil)
    out = np.zeros(v.size, dtype=bool)
    out[_bounded_violations(leser.verletzungen(hidden, primary), primary, teil, t)] = True
    return pd.DataFrame(out.reshape(len(rows), len(cols)), index=table.mask.index, columns=cols)


def _flache_maske(frame: pd.DataFrame | None, index: pd.Index, cols: list[str]) -> np.ndarray:
    """``frame`` as a flat bool mask over ``index`` × ``cols`` (missing cells and NA: False)."""
    if frame is None:
        return np.zeros(len(index) * len(cols), dtype=bool)
    aligned = frame.reindex(index=index, columns=cols, fill_value=False)
    cells = aligned.to_numpy(dtype=object)
    return np.where(pd.isna(cells), False, cells).astype(bool).ravel()


def _gleichungen(table: PublishedTable) -> tuple[list, list[str], list[_Line], np.ndarray]:
    """Rows, count columns, equations and NA cells (flat) of a table made by :func:`suppress`."""
    if not table.structure:
        raise ValueError("table was not built by suppress(): its equations are unknown")
    cols = list(table.count_cols)
    rows = list(table.mask.index)
    st = table.structure
    na = table.internal_unsuppressed[cols].isna().to_numpy().ravel()
    lines = _lines(
        rows,
        cols,
        st["total_row"],
        st["total_col"],
        st["row_sums"],
        st["col_sums"],
        st["row_groups"],
        st.get("teilsummen"),
        na,
    )
    return rows, cols, lines, na
