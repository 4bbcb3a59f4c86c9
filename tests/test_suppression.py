"""Small-cell suppression: hand-made leaks through totals and hypothesis properties."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from thm_lib.disclosure.publication import _teil
from thm_lib.disclosure.suppression import (
    ATTR_INTERNAL,
    PUBLISHED_KEY,
    add_totals,
    aus_gezeigten,
    default_threshold,
    is_determined,
    mark_public,
    suppress,
    suppress_value,
    verlorene_werte,
)

T = 5


def _with_totals(values: list[list[int]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        values,
        index=[f"r{i}" for i in range(len(values))],
        columns=[f"c{j}" for j in range(len(values[0]))],
    )
    return add_totals(frame, total_row="Summe", total_col="Summe")


def test_threshold_default_comes_from_annahmen():
    assert default_threshold() == 5
    assert suppress(pd.DataFrame({"a": [3, 20]})).published["a"].tolist()[0] == "<5"


def test_suppress_value():
    assert suppress_value(0, T) == 0
    assert suppress_value(1, T) == "<5"
    assert suppress_value(4, T) == "<5"
    assert suppress_value(5, T) == 5
    assert suppress_value(2, 3) == "<3"
    assert suppress_value(None, T) is None
    assert suppress_value(float("nan"), T) is None
    with pytest.raises(ValueError):
        suppress_value(-1, T)
    with pytest.raises(ValueError):
        suppress_value(2.5, T)


def test_primary_alone_would_leak_through_total():
    # x: 3 + 10 = 13. Hiding only the 3 leaks it (13 - 10); the column a too (9 - 6).
    table = _with_totals([[3, 10], [6, 8]])
    p = suppress(table, T, total_row="Summe", total_col="Summe")
    pub = p.published
    assert pub.loc["r0", "c0"] == "<5"
    # complements: smallest visible non-zero cell in row r0 (10) and column c0 (6), then
    # column c1 / row r1 have one hidden cell each -> 8 is hidden too
    assert pub.loc["r0", "c1"] == "."
    assert pub.loc["r1", "c0"] == "."
    assert pub.loc["r1", "c1"] == "."
    # the rectangle alone ties every "." to x in 1..4 (10 = 13 - x, 6 = 9 - x,
    # 8 = 5 + x): four values each, fewer than the threshold (issue 13's rule for
    # "."), so the totals are hidden too; only the grand total stays
    assert pub.loc["r0", "Summe"] == "." and pub.loc["r1", "Summe"] == "."
    assert pub.loc["Summe"].tolist() == [".", ".", 27]
    assert p.unresolved == ()
    assert p.reason.loc["r0", "c0"] == "primär" and p.reason.loc["r1", "c1"] == "sekundär"


def test_total_is_hidden_when_no_other_cell_is_left():
    # row r1 is 7 + 0 = 7: once 7 is hidden (column c0), only the total can protect it
    table = _with_totals([[3, 9], [7, 0]])
    p = suppress(table, T, total_row="Summe", total_col="Summe")
    assert p.published.loc["r1", "c0"] == "."
    assert p.published.loc["r1", "c1"] == 0  # zero stays zero
    assert p.published.loc["r1", "Summe"] == "."
    assert p.mask.loc["r1", "Summe"]


def test_two_small_cells_that_add_to_their_minimum_are_protected():
    # "<5" + "<5" = 2 would reveal 1 and 1: a third cell must be hidden
    p = suppress(pd.DataFrame({"n": [1, 1, 10]}, index=list("abc")), T)
    assert p.published["n"].tolist() == ["<5", "<5", "."]


def test_zero_stays_zero_and_large_stays():
    p = suppress(pd.DataFrame({"n": [0, 12, 30]}, index=list("abc")), T)
    assert p.published["n"].tolist() == [0, 12, 30]
    assert not p.mask.to_numpy().any()


def _stichtag_wie_vorher() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A later Stichtag's table: rows a and b as published for the earlier one (b's
    "<5" and its row total hidden there), row c new and all zeros."""
    table = pd.DataFrame(
        {"x": [10, 3, 0, 13], "y": [20, 0, 0, 20], "gesamt": [30, 3, 0, 33]},
        index=["a", "b", "c", "Insgesamt"],
    )
    hidden = pd.DataFrame(False, index=table.index, columns=table.columns)
    shown = hidden.copy()
    hidden.loc["b", ["x", "gesamt"]] = True
    shown.loc["a"] = True
    shown.loc["b", "y"] = True
    return table, hidden, shown


def test_a_zero_is_hidden_only_as_last_resort_when_asked():
    table, hidden, shown = _stichtag_wie_vorher()

    def run(nullen: bool):
        return suppress(
            table,
            T,
            total_row="Insgesamt",
            total_col="gesamt",
            hidden_elsewhere=hidden,
            shown_elsewhere=shown,
            nullen_sperren=nullen,
        )

    # by hand: the total of x must be hidden (13 - 10 gives b's "<5"), and then it is
    # 10 + "<5", four values; every free cell is a zero, so by default nothing helps
    ohne = run(False)
    assert "Zelle 'Insgesamt'/'x'" in ohne.unresolved
    assert ohne.published.loc["c"].tolist() == [0, 0, 0]
    # as last resort the zero of x in row c and its row total (0 = x + 0 pins x alone)
    # are hidden; then the total of x is 10 + "<5" + "." and has no upper bound
    mit = run(True)
    assert mit.unresolved == ()
    assert mit.published.loc["c"].tolist() == [".", 0, "."]
    assert mit.reason.loc["c", "x"] == mit.reason.loc["c", "gesamt"] == "sekundär"
    assert mit.published.loc["Insgesamt"].tolist() == [".", 20, "."]
    assert mit.published.loc["b"].tolist() == ["<5", 0, "<5"]


def test_non_additive_columns_only_columns_protected():
    table = pd.DataFrame({"neu": [3, 8, 11], "aktiv": [20, 30, 50]}, index=["A", "B", "Insgesamt"])
    p = suppress(table, T, total_row="Insgesamt", row_sums=False)
    # 8 = 11 - x with x in 1..4 would leave the "." only 7..10 (four values, fewer than
    # the threshold): the total is hidden as well
    assert p.published["neu"].tolist() == ["<5", ".", "."]
    assert p.published["aktiv"].tolist() == [20, 30, 50]


def test_shares_of_hidden_counts_are_hidden():
    table = pd.DataFrame({"passend": [3, 10, 12], "gesamt": [12, 20, 24]}, index=list("abc"))
    table["anteil"] = table["passend"] / table["gesamt"]
    p = suppress(table, T, row_sums=False, share_cols={"anteil": ["passend", "gesamt"]})
    # a: own count hidden; b: its count 10 is the complement in column passend
    assert p.published["anteil"].tolist()[:2] == [".", "."]
    assert p.published.loc["c", "anteil"] == pytest.approx(0.5)
    assert p.reason.loc["a", "anteil"] == "anteil"


def test_internal_frame_is_marked_and_unchanged():
    table = pd.DataFrame({"n": [2, 40]}, index=["a", "b"])
    p = suppress(table, T, col_sums=False)
    assert p.internal_unsuppressed.attrs[ATTR_INTERNAL] is True
    assert p.internal_unsuppressed["n"].tolist() == [2, 40]
    assert p.published.attrs[PUBLISHED_KEY] == T
    assert table["n"].tolist() == [2, 40] and not table.attrs
    with pytest.raises(ValueError):
        mark_public(p.internal_unsuppressed)


def test_bad_input_rejected():
    with pytest.raises(ValueError):
        suppress(pd.DataFrame({"n": [-1, 3]}), T)
    with pytest.raises(ValueError):
        suppress(pd.DataFrame({"n": [1, 3]}), 0)
    with pytest.raises(KeyError):
        suppress(pd.DataFrame({"n": [1, 3]}), T, total_row="fehlt")
    with pytest.raises(ValueError):  # a digit as symbol would look like a count
        suppress(pd.DataFrame({"n": [1, 3]}), T, symbol="0")


def test_html_and_dict_carry_the_marking():
    p = suppress(pd.DataFrame({"n": [3, 12, 20]}, index=list("abc")), T, titel="Test")
    html = p.to_html()
    assert 'class="thm-published"' in html and 'data-thm-published="5"' in html
    assert "&lt;5" in html
    d = p.to_dict()[PUBLISHED_KEY]
    assert d["schwelle"] == 5 and d["count_columns"] == ["n"]
    assert d["data"] == [["<5"], ["."], [20]]


# --- properties --------------------------------------------------------------


def _lines_of(frame: pd.DataFrame) -> list[list[tuple[object, str]]]:
    """All row and column equations of a table with explicit totals (last row/col)."""
    rows, cols = list(frame.index), list(frame.columns)
    return [[(r, c) for c in cols] for r in rows] + [[(r, c) for r in rows] for c in cols]


def _determined_cells(frame: pd.DataFrame, mask: pd.DataFrame) -> list[tuple[object, str]]:
    """Hidden cells fixed by the equation system, by rank comparison (independent of the
    null-space method in the library)."""
    hidden = [(r, c) for r in frame.index for c in frame.columns if mask.loc[r, c]]
    if not hidden:
        return []
    pos = {cell: n for n, cell in enumerate(hidden)}
    rows = list(frame.index)
    cols = list(frame.columns)
    eqs = []
    for r in rows:  # sum of inner cells - total = 0
        e = np.zeros(len(hidden))
        for c in cols:
            if (r, c) in pos:
                e[pos[(r, c)]] = -1.0 if c == cols[-1] else 1.0
        eqs.append(e)
    for c in cols:
        e = np.zeros(len(hidden))
        for r in rows:
            if (r, c) in pos:
                e[pos[(r, c)]] = -1.0 if r == rows[-1] else 1.0
        eqs.append(e)
    a = np.vstack(eqs)
    rank = np.linalg.matrix_rank(a)
    out = []
    for cell, n in pos.items():
        unit = np.zeros(len(hidden))
        unit[n] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(cell)
    return out


counts = st.one_of(st.integers(0, 6), st.integers(0, 60))
tables = st.integers(1, 5).flatmap(
    lambda nc: st.lists(st.lists(counts, min_size=nc, max_size=nc), min_size=1, max_size=6)
)


@settings(max_examples=80, deadline=None)
@given(values=tables, threshold=st.integers(3, 6))
# found by hypothesis in CI: r1/c3 was pinned through row r2's shown total, three
# equations away, while its own lines had no visible cell left to hide
@example(values=[[0, 0, 0, 0, 2], [0, 0, 0, 2, 1], [0, 0, 2, 1, 0]], threshold=3)
def test_property_no_small_cell_and_no_single_equation_leak(values, threshold):
    table = _with_totals(values)
    p = suppress(table, threshold, total_row="Summe", total_col="Summe")
    pub, mask = p.published, p.mask
    for col in table.columns:
        for r in table.index:
            x = pub.loc[r, col]
            if not isinstance(x, str):
                assert not 1 <= x < threshold
                assert x == table.loc[r, col]
            else:
                assert mask.loc[r, col]
                assert table.loc[r, col] > 0
    for line in _lines_of(table):
        hidden = [cell for cell in line if mask.loc[cell]]
        assert len(hidden) != 1, f"one hidden cell in a line: {hidden}"
    assert _determined_cells(table, mask) == []
    # a line is only left "unresolved" when no visible non-zero cell is left to hide
    # (e.g. "<3" + "<3" = "<3" in a table of ones: the interval alone pins it)
    counts = table.to_numpy()
    for name in p.unresolved:
        kind, label = name.split(" ", 1)
        label = label.strip("'")
        if kind == "Zelle":  # bounded check: no visible non-zero cell left in the table
            assert not ((counts > 0) & ~mask.to_numpy()).any()
            continue
        cells = table.loc[label] if kind == "Zeile" else table[label]
        line_mask = mask.loc[label] if kind == "Zeile" else mask[label]
        assert ((cells == 0) | line_mask).all()


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.integers(0, 30), min_size=2, max_size=8))
def test_property_single_column_with_implicit_margin(values):
    table = pd.DataFrame({"n": values}, index=[f"g{i}" for i in range(len(values))])
    p = suppress(table, T)
    hidden = int(p.mask["n"].sum())
    nonzero = int((table["n"] > 0).sum())
    assert hidden != 1 or nonzero == 1
    assert all(isinstance(x, str) or not 1 <= x < T for x in p.published["n"])


def test_float_counts_are_not_silently_published():
    # persons as float (e.g. from split age bands) are counts by default
    p = suppress(pd.DataFrame({"personen": [3.0, 12.0, 30.0]}, index=list("abc")), T)
    assert p.published["personen"].tolist() == ["<5", ".", 30]
    with pytest.raises(ValueError):  # fractions must be declared as non-counts
        suppress(pd.DataFrame({"bedarf": [2.5, 12.0]}), T)
    ok = suppress(
        pd.DataFrame({"n": [3, 12, 30], "bedarf": [2.5, 1.0, 3.0]}, index=list("abc")),
        T,
        count_cols=["n"],
    )
    assert ok.published["bedarf"].tolist() == [2.5, 1.0, 3.0]


def test_small_total_of_small_cells_is_shown_with_the_symbol():
    # generated Kreis of issue 12: three Gemeinden with 1, 1 and 2 clients, the rest 0.
    # With the total as "<5" every part lies in 1..2 (each >= 1, sum <= 4) and the total
    # in 3..4; hiding more protects nothing (all others are 0). The total is shown as "."
    # instead: it lies in 3..(no bound), each part keeps 1..4.
    table = pd.DataFrame({"aktiv": [1, 0, 1, 0, 2]}, index=[f"G{i}" for i in range(5)])
    table.loc["Insgesamt"] = table.sum()
    p = suppress(table, T, total_row="Insgesamt", row_sums=False)
    assert p.published["aktiv"].tolist() == ["<5", 0, "<5", 0, "<5", "."]
    assert p.unresolved == ()
    assert p.reason.loc["Insgesamt", "aktiv"] == "sekundär"


def test_small_grand_total_over_small_column_totals_is_shown_with_the_symbol():
    # a kreisfreie Stadt with one case and three needs (generated Arbeitsmappe): each
    # column total is one need, the grand total 3. With "<5" on the grand total every
    # column total lies in 1..2; no other cell helps (all 0), so the grand total reads "."
    table = pd.DataFrame({"x": [0, 0, 1], "y": [0, 1, 0], "z": [1, 0, 0]}, index=["a", "b", "c"])
    table = add_totals(table, total_row="Summe", total_col="gesamt")
    p = suppress(table, T, total_row="Summe", total_col="gesamt")
    assert p.published.loc["Summe"].tolist() == ["<5", "<5", "<5", "."]
    assert p.published["gesamt"].tolist() == ["<5", "<5", "<5", "."]
    assert p.unresolved == ()


def test_equal_small_totals_both_read_the_symbol():
    # one case, three open needs in three fields (generated Arbeitsmappe): the column total
    # "offen" equals the grand total; both as "<5" pin each field to 1..2. Dropping the
    # bound from one of them is not enough, the other still gives it: both read "."
    table = pd.DataFrame({"passend": [0, 0, 0], "offen": [1, 1, 1]}, index=["a", "b", "c"])
    table = add_totals(table, total_row="Summe", total_col="gesamt")
    p = suppress(table, T, total_row="Summe", total_col="gesamt")
    assert p.published["offen"].tolist() == ["<5", "<5", "<5", "."]
    assert p.published.loc["Summe", "gesamt"] == "."
    assert p.unresolved == ()


@pytest.mark.parametrize("spalten", [["w"], ["w", "m"]])
def test_a_kreis_of_women_only_is_protected_by_withholding_small(spalten):
    """Found on a generated kreisfreie Stadt (1 woman of 19, 10 of 24): the column "w"
    equals the total column, so hiding its shown total pinned it (11 = 11 - 0) and the
    run was not published. The second try shows the small cells with the symbol."""
    t = pd.DataFrame({"w": [1, 10, 0], "m": [0, 0, 0]}, index=["18-20", "21-24", "25-27"])
    t = t[spalten]
    t["gesamt"] = t.sum(axis=1)
    t.loc["Insgesamt"] = t.sum()
    gezeigt = pd.DataFrame(False, index=t.index, columns=t.columns)
    gezeigt.loc["Insgesamt", "gesamt"] = True  # the Kreis total, shown in another table
    p = suppress(t, 5, total_row="Insgesamt", total_col="gesamt", shown_elsewhere=gezeigt)
    assert p.unresolved == ()
    assert p.published["w"].tolist() == [".", ".", 0, 11]
    assert p.published["gesamt"].tolist() == [".", ".", 0, 11]


# Parts: counts no table shows, only inside shown ones (the FAQ count F = O + P beside
# the target group Zs = O + Q). A reader knows of them only that they are whole numbers
# >= 0; a small one must not be learnt, one that is 0 or large may be (audit rule
# ``teilverletzung``).
TEILE = ["O", "P", "Q"]


def _faq_tabelle(zeilen: list[tuple[int, int, int]]) -> pd.DataFrame:
    """Rows (O, P, Q) of Gemeinden g0.. and their total, with F = O + P and Zs = O + Q."""
    t = pd.DataFrame(zeilen, columns=TEILE, index=[f"g{i}" for i in range(len(zeilen))])
    t.loc["Summe"] = t.sum()
    t["F"] = t["O"] + t["P"]
    t["Zs"] = t["O"] + t["Q"]
    return t[["F", "Zs", *TEILE]]


def _faq_suppress(t: pd.DataFrame, teile: pd.DataFrame, **kwargs):
    return suppress(
        t,
        T,
        total_row="Summe",
        row_groups=[(["O", "P"], "F"), (["O", "Q"], "Zs")],
        parts=teile,
        **kwargs,
    )


def _alle_teile(t: pd.DataFrame) -> pd.DataFrame:
    teile = pd.DataFrame(False, index=t.index, columns=t.columns)
    teile.loc[t.index != "Summe", TEILE] = True
    return teile


def test_a_part_that_is_zero_or_large_may_be_learnt_a_small_one_may_not():
    # O = 10 and Q = 0 are parts: Zs = 10 gives "O + Q = 10"; hiding nothing is safe.
    # Before parts existed they were hidden cells "at least 5" each, and the line
    # O + Q = 10 pinned both to 5: the whole FAQ table stayed hidden (session 26).
    t = _faq_tabelle([(10, 6, 0), (235, 40, 33), (10, 2, 3)])
    p = _faq_suppress(t, _alle_teile(t))
    assert p.unresolved == ()
    assert p.published.loc["g0", ["F", "Zs"]].tolist() == [16, 10]  # P - Q = 6: P >= 6
    assert p.published.loc["g1", ["F", "Zs"]].tolist() == [275, 268]
    # g2: F 12 beside Zs 13 says Q = P + 1 (P 2, Q 3): neither is pinned, shown
    assert p.published.loc["g2", ["F", "Zs"]].tolist() == [12, 13]
    assert (p.published[TEILE].loc[["g0", "g1", "g2"]] == ".").all().all()


@pytest.mark.parametrize("p0", [0, 3, 6])
def test_a_small_part_that_a_shown_count_would_pin_is_protected(p0):
    # O and Q known (shown elsewhere, e.g. the age bands of a Gemeinde with its own
    # structure): F = O + P with P = 3 would give P away; with P = 0 or 6 it may be shown
    t = _faq_tabelle([(20, p0, 0), (20, 0, 6), (20, 6, 0), (30, 9, 7)])
    teile = _alle_teile(t)
    teile.loc[["g0", "g1", "g2"], ["O", "Q"]] = False
    bekannt = ~teile
    bekannt["F"] = False
    p = _faq_suppress(t, teile, shown_elsewhere=bekannt)
    assert p.unresolved == ()
    assert p.mask.loc["g0", "F"] == (p0 == 3)
    # F of g0 hidden as "." keeps a range of at least 5 (20..29): g1 and g2 go with it
    assert p.mask["F"].sum() == (3 if p0 == 3 else 0)


Zelle = tuple[object, str]


def _bereich(t: pd.DataFrame, p, zelle: Zelle, gleichungen: list[tuple[list[Zelle], Zelle]]):
    """Exact range of a hidden cell for a reader of the published table (hand-built
    integer program, independent of the library's reader): ``gleichungen`` are
    ``(summands, total)``; a "<T" cell lies in 1..T-1, any other hidden one is >= 0."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cells = [(r, c) for r in t.index for c in t.columns if p.mask.loc[r, c]]
    pos = {cell: n for n, cell in enumerate(cells)}
    eqs, rhs = [], []
    for plus, minus in gleichungen:
        e, b = np.zeros(len(cells)), 0.0
        for cell, s in [(c, 1.0) for c in plus] + [(minus, -1.0)]:
            if cell in pos:
                e[pos[cell]] += s
            else:
                b -= s * float(t.loc[cell])
        if e.any():
            eqs.append(e)
            rhs.append(b)
    klein = [p.published.loc[cell] == f"<{T}" for cell in cells]
    lo = np.array([1.0 if k else 0.0 for k in klein])
    hi = np.array([T - 1.0 if k else 1e6 for k in klein])
    cons = [LinearConstraint(np.vstack(eqs), rhs, rhs)] if eqs else []
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(cells))
        c[pos[zelle]] = sign
        res = milp(c, constraints=cons, bounds=Bounds(lo, hi), integrality=np.ones(len(cells)))
        assert res.status == 0
        out.append(round(sign * res.fun))
    return out[0], out[1]


def _faq_gleichungen(t: pd.DataFrame) -> list[tuple[list[Zelle], Zelle]]:
    """F = O + P and Zs = O + Q per row, and the column sums."""
    out = []
    for r in t.index:
        out += [([(r, "O"), (r, "P")], (r, "F")), ([(r, "O"), (r, "Q")], (r, "Zs"))]
    out += [([(r, c) for r in t.index if r != "Summe"], ("Summe", c)) for c in t.columns]
    return out


@settings(max_examples=60, deadline=None)
@given(
    zeilen=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 8), st.integers(0, 8)),
        min_size=1,
        max_size=5,
    )
)
def test_property_no_small_part_is_learnt_and_no_hidden_count_narrowed(zeilen):
    from thm_lib.disclosure.audit_modell import schutzverletzung, teilverletzung

    t = _faq_tabelle(zeilen)
    teile = _alle_teile(t)
    p = _faq_suppress(t, teile)
    for r in t.index:
        for c in t.columns:
            x = p.published.loc[r, c]
            if not p.mask.loc[r, c]:
                assert x == t.loc[r, c] and not 1 <= x < T
                continue
            lo, hi = _bereich(t, p, (r, c), _faq_gleichungen(t))
            assert lo <= t.loc[r, c] <= hi
            if teile.loc[r, c]:
                assert teilverletzung(lo, hi, T) is None, (r, c, lo, hi)
            elif not p.unresolved:
                assert schutzverletzung(x == f"<{T}", lo, hi, T) is None, (r, c, lo, hi)


# --- a row summing some other rows (``teilsummen``): the Kreis as one applicant counts
# the Gemeinden that do not apply themselves, at a Stichtag where the total is no
# published figure (session 28)


def _mit_teilsumme(werte: list[int], glieder: list[int]) -> tuple[pd.DataFrame, list[str]]:
    """Column F of Gemeinden g0.., their Summe and the row K = the sum of ``glieder``."""
    names = [f"g{i}" for i in range(len(werte))]
    teil = [names[i] for i in sorted(set(glieder))]
    t = pd.DataFrame({"F": werte}, index=names)
    t.loc["Summe"] = t["F"].sum()
    t.loc["K"] = t.loc[teil, "F"].sum()
    return t, teil


def test_a_subtotal_row_is_a_line_of_its_own_and_not_in_the_column_sum():
    # g0 = 3 and g1 = 4 are small; K = g0 + g1 + g2 = 27 and g3 = 30 may be shown (K is
    # no summand of the Summe 57: 57 = 27 + 30); g2 shown would leave g0 + g1 = 7, g0 in
    # 3..4, so g2 is hidden and lies in 19..25
    t, teil = _mit_teilsumme([3, 4, 20, 30], [0, 1, 2])
    p = suppress(t, T, total_row="Summe", row_sums=False, teilsummen={"K": teil})
    assert p.unresolved == ()
    assert p.published["F"].tolist() == [f"<{T}", f"<{T}", ".", 30, 57, 27]
    assert is_determined(p, {("g0", "F"): 1, ("g1", "F"): 1, ("g2", "F"): 1})
    assert not is_determined(p, {("g0", "F"): 1})
    # g0 = 3 and K = g0 + g1 = 13: K shown beside g2 = 20 would leave g1 in 9..12,
    # fewer than 5 values for a "." cell: K and g2 are hidden too
    t, teil = _mit_teilsumme([3, 10, 20], [0, 1])
    p = suppress(t, T, total_row="Summe", row_sums=False, teilsummen={"K": teil})
    assert p.published["F"].tolist() == [f"<{T}", ".", ".", 33, "."]
    with pytest.raises(KeyError, match="subtotal row 'K'"):
        suppress(t, T, total_row="Summe", row_sums=False, teilsummen={"K": ["g0", "Summe"]})


def test_a_subtotal_that_is_na_in_a_column_is_no_quantity_there():
    # the Kreis row of an FAQ table: only its F is a number. Its NA in Z is no cell to
    # protect: until the first search of session 28 the line "K/Z" counted as unsafe and
    # could not be mended, so every F of such a table stayed hidden
    t, teil = _mit_teilsumme([0, 0, 0, 0], [1, 2])
    t["Z"] = [0, 0, 0, 0, 0, np.nan]
    p = suppress(t, T, total_row="Summe", row_sums=False, teilsummen={"K": teil})
    assert p.unresolved == ()
    assert p.published["F"].tolist() == [0, 0, 0, 0, 0, 0]


@settings(max_examples=80, deadline=None)
@given(
    werte=st.lists(st.integers(0, 30), min_size=1, max_size=7),
    glieder=st.lists(st.integers(0, 6), max_size=7),
)
def test_property_a_subtotal_row_pins_no_small_count(werte, glieder):
    from thm_lib.disclosure.audit_modell import schutzverletzung

    t, teil = _mit_teilsumme(werte, [i for i in glieder if i < len(werte)])
    p = suppress(t, T, total_row="Summe", row_sums=False, teilsummen={"K": teil})
    for r in t.index:
        x, wahr = p.published.loc[r, "F"], int(t.loc[r, "F"])
        if not p.mask.loc[r, "F"]:
            assert x == wahr and not 1 <= x < T
            continue
        gemeinden = [(g, "F") for g in t.index if g not in ("Summe", "K")]
        gleichungen = [(gemeinden, ("Summe", "F")), ([(g, "F") for g in teil], ("K", "F"))]
        lo, hi = _bereich(t, p, (r, "F"), gleichungen)
        assert lo <= wahr <= hi
        if not p.unresolved:
            assert schutzverletzung(x == f"<{T}", lo, hi, T) is None, (r, lo, hi)


def test_a_row_of_two_equations_names_the_one_left_open():
    # row x: c = s2 - d = 11 - 9 = 2 with d and s2 shown elsewhere; nothing hides it
    table = pd.DataFrame(
        {"a": [6, 7], "b": [8, 9], "s1": [14, 16], "c": [2, 7], "d": [9, 9], "s2": [11, 16]},
        index=["x", "y"],
    )
    shown = pd.DataFrame(False, index=table.index, columns=table.columns)
    shown.loc["x", ["d", "s2"]] = True
    p = suppress(
        table,
        T,
        count_cols=list(table.columns),
        row_groups=[(["a", "b"], "s1"), (["c", "d"], "s2")],
        col_sums=False,
        shown_elsewhere=shown,
    )
    assert p.unresolved == ("Zeile 'x' ('s2')", "Zelle 'x'/'c'")


def test_a_joint_check_gives_each_table_its_own_open_lines():
    b = "_bedarfe_"
    table = pd.DataFrame(
        {"a": [6, 7], "s1": [6, 7], f"{b}c": [2, 7], f"{b}d": [9, 9], f"{b}s2": [11, 16]},
        index=["x", "y"],
    )
    shown = pd.DataFrame(False, index=table.index, columns=table.columns)
    shown.loc["x", [f"{b}d", f"{b}s2"]] = True
    joint = suppress(
        table,
        T,
        count_cols=list(table.columns),
        row_groups=[(["a"], "s1"), ([f"{b}c", f"{b}d"], f"{b}s2")],
        col_sums=False,
        shown_elsewhere=shown,
    )
    eigen = suppress(table[["a", "s1"]], T, row_groups=[(["a"], "s1")], col_sums=False)
    fremd = table[[f"{b}c", f"{b}d", f"{b}s2"]].rename(columns=lambda c: c.removeprefix(b))
    andere = suppress(fremd, T, row_groups=[(["c", "d"], "s2")], col_sums=False)
    assert _teil(joint, {"a": "a", "s1": "s1"}, eigen).unresolved == ()
    zurueck = {f"{b}{c}": c for c in ("c", "d", "s2")}
    teil = _teil(joint, zurueck, andere, b)
    assert teil.unresolved == ("Zeile 'x' ('s2')", "Zelle 'x'/'c'")
    assert teil.published.loc["x", "c"] == f"<{T}"
    # an open cell of the reader's unknowns (no table's own) is named in both parts
    mit_hilfe = dataclasses.replace(joint, unresolved=("Zelle 'x'/'_inaktiv_passend'",))
    assert _teil(mit_hilfe, {"a": "a", "s1": "s1"}, eigen).unresolved == mit_hilfe.unresolved
    assert _teil(mit_hilfe, zurueck, andere, b).unresolved == mit_hilfe.unresolved


# --- the bounded check tries everything at once first (session 34): hiding a cell drops an
# equation and relabelling drops the bounds 1..t-1, so ranges only widen. A trial that fails
# with every cell at once fails for each single cell; these properties check it against
# the single trials the check skips.


def _lage(values: list[list[int]], threshold: int, versteckt: list[bool], wahl: int):
    """A table with totals, the hidden pattern ``versteckt`` (its first cells; small cells
    among them as "<t"), its reader and hidden cell k (``wahl``) with its exact range."""
    from hypothesis import assume

    from thm_lib.disclosure import suppression as s

    table = _with_totals(values)
    v = table.to_numpy(dtype=float).ravel()
    hidden = np.array(versteckt[: v.size])
    assume(hidden.any())
    primary = hidden & (v >= 1) & (v < threshold)
    lines = s._lines(list(table.index), list(table.columns), "Summe", "Summe", True, True, None)
    leser = s._Leser(lines, v, np.zeros(v.size, dtype=bool), threshold)
    verborgen = np.flatnonzero(hidden)
    k = int(verborgen[wahl % len(verborgen)])
    lo, hi = leser.bereich(k, hidden, primary, breiter_als=np.inf)
    return v, hidden, primary, leser, k, hi - lo


#: a hidden pattern per cell of the largest drawn table with totals (7 x 6)
muster = st.lists(st.booleans(), min_size=42, max_size=42)


@settings(max_examples=60, deadline=None)
@given(values=tables, threshold=st.integers(3, 6), versteckt=muster, wahl=st.integers(0, 41))
def test_property_widening_finds_the_first_single_cell_that_widens(
    values, threshold, versteckt, wahl
):
    from thm_lib.disclosure import suppression as s

    v, hidden, primary, leser, k, width = _lage(values, threshold, versteckt, wahl)
    visible = [int(c) for c in np.flatnonzero(~hidden & (v > 0))]
    vorher = hidden.copy()

    def weiter(c: int) -> bool:
        hidden[c] = True
        lo, hi = leser.bereich(k, hidden, primary, breiter_als=np.inf)
        hidden[c] = False
        return hi - lo > width

    erste = next(([c] for c in visible if weiter(c)), None)
    assert s._widening(k, ([c] for c in visible), hidden, primary, leser, width) == erste
    assert (hidden == vorher).all()


@settings(max_examples=60, deadline=None)
@given(values=tables, threshold=st.integers(3, 6), versteckt=muster, wahl=st.integers(0, 41))
# a column 1, 2, 1 with its total 4, shown only r0 = 1 and r1's total 2: read as "<5" the
# total keeps 3..4 however the others are read; only read as "." itself it has 3..
@example(values=[[1], [2], [1]], threshold=5, versteckt=[0, 1, 1, 0, 1, 1, 1, 1] + [0] * 34, wahl=4)
def test_property_no_relabelling_frees_a_cell_when_relabelling_all_does_not(
    values, threshold, versteckt, wahl
):
    from thm_lib.disclosure import suppression as s

    v, hidden, primary, leser, k, _width = _lage(values, threshold, versteckt, wahl)
    cands = [int(c) for c in np.flatnonzero(hidden & primary)]
    vorher = primary.copy()
    befreibar = s._befreibar(k, cands, hidden, primary, leser)
    assert (primary == vorher).all()
    if befreibar:
        return
    if len(cands) <= 6:  # every choice of candidates
        wahlen = [list(w) for n in range(len(cands) + 1) for w in combinations(cands, n)]
    else:  # each alone, each pair, all
        wahlen = [*([c] for c in cands), *map(list, combinations(cands, 2)), cands]
    for w in wahlen:
        primary[w] = False
        assert leser.verletzungen(hidden, primary, only=[k]), w
        primary[:] = vorher


# ---------------------------------------------------------------- cells shown elsewhere


def _gefundene_faq_tabelle() -> tuple[pd.DataFrame, dict]:
    """The FAQ table of the 31.12.2024 of a Kreis found by the search (round 2, session 37).

    F (programme, 18-27) + Q (target group only, 16-17) = Zs (target group, 16-27) per
    Gemeinde; Zs and Q are shown elsewhere (Q: age bands known), except the two small
    Gemeinden; F of g5, g7, g8, g9 is published at another Stichtag (a part here); the
    Kreis counts g1, g3, g5, g6, g7, g8, g10.
    """
    rows = [f"g{i}" for i in range(1, 12)] + ["Insgesamt", "Kreis"]
    table = pd.DataFrame(
        {
            "F": [60, 0, 1, 0, 0, 0, 17, 56, 72, 2, 90, 298, 136],
            "Q": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, np.nan],
            "Zs": [60, 0, 2, 0, 0, 0, 17, 56, 72, 2, 90, 299, np.nan],
        },
        index=rows,
    )

    def maske(**spalten: list[str]) -> pd.DataFrame:
        m = pd.DataFrame(False, index=rows, columns=table.columns)
        for c, r in spalten.items():
            m.loc[r, c] = True
        return m

    klein = ["g3", "g10"]
    kw = {
        "count_cols": ["F", "Q", "Zs"],
        "total_row": "Insgesamt",
        "row_groups": [(["F", "Q"], "Zs")],
        "hidden_elsewhere": maske(F=klein, Zs=klein),
        "shown_elsewhere": maske(
            Q=[r for r in rows[:11] if r not in klein], Zs=[r for r in rows if r not in klein]
        ),
        "parts": maske(F=["g5", "g7", "g8", "g9", "Insgesamt"], Q=[*klein, "Insgesamt", "Kreis"]),
        "teilsummen": {"Kreis": ["g1", "g3", "g5", "g6", "g7", "g8", "g10"]},
    }
    return table, kw


def test_a_cell_derived_from_cells_shown_elsewhere_is_not_hidden():
    table, kw = _gefundene_faq_tabelle()
    p = suppress(table, T, **kw)
    # F = Zs - Q of g1 and g11 (60 - 0, 90 - 0) is known whatever this table hides; the
    # old pattern hid g1 and then reported it determined
    assert p.published.loc[["g1", "g11"], "F"].tolist() == [60, 90]
    # the Kreis (136) stays hidden and open: the shown Zs of the two small Gemeinden add
    # up to 4 (299 - 295), F <= Zs there and F >= 1, so it lies in 135..137 - three values,
    # fewer than a "." cell must keep; nothing this table hides widens that
    assert p.published.loc["Kreis", "F"] == "." and p.unresolved == ("Zelle 'Kreis'/'F'",)
    assert p.published.loc[["g3", "g10"], "F"].tolist() == [f"<{T}", f"<{T}"]


def test_cells_a_reader_derives_from_shown_cells():
    table, kw = _gefundene_faq_tabelle()
    p = suppress(table, T, **kw)
    bekannt = aus_gezeigten(p, kw["shown_elsewhere"])
    # every F but the small ones, their sums (Insgesamt, Kreis) follows from Zs - Q
    assert bekannt["F"][~bekannt["F"]].index.tolist() == ["g3", "g10", "Insgesamt", "Kreis"]
    # Q of the small Gemeinden is not shown and not derived (F and Zs are hidden there)
    assert not bekannt.loc[["g3", "g10"]].to_numpy().any()
    # the rule of a line summing to 0: Zs = 0 shown and F, Q unknown gives F = Q = 0
    gezeigt = pd.DataFrame({"Zs": [True]}, index=["g2"])
    assert aus_gezeigten(p, gezeigt).loc["g2"].tolist() == [True, True, True]
    assert not aus_gezeigten(p, gezeigt).drop(index="g2").to_numpy().any()


@settings(max_examples=60, deadline=None)
@given(values=tables, threshold=st.integers(3, 6), data=st.data())
def test_property_cells_shown_elsewhere_keep_small_counts_hidden_and_hide_nothing_known(
    values, threshold, data
):
    table = _with_totals(values)
    gezeigt = pd.DataFrame(
        [[data.draw(st.booleans()) for _ in table.columns] for _ in table.index],
        index=table.index,
        columns=table.columns,
    )
    p = suppress(table, threshold, total_row="Summe", total_col="Summe", shown_elsewhere=gezeigt)
    klein = (table >= 1) & (table < threshold)
    shown = ~p.mask
    assert not (shown & klein).to_numpy().any()  # no count 1 .. threshold-1 as a number
    for r in table.index:
        for c in table.columns:
            assert not shown.loc[r, c] or p.published.loc[r, c] == table.loc[r, c]
    # a "." the reader derives from the cells shown elsewhere protects nothing: none is left
    bekannt = aus_gezeigten(p, gezeigt & ~klein)
    punkt = p.published.map(lambda x: x == p.symbol)
    assert not (punkt & bekannt).to_numpy().any()


def test_a_grand_total_small_elsewhere_frees_its_cells_only_with_the_third_try():
    # round 2, session 47 (a generated Kreis of two persons): both small age cells of
    # column "m" lie in 1..2 and add up to the column total, which equals the grand total
    # shown "<3" in another table: each is pinned to 1. Relabelling the column total
    # cannot help (the grand total bounds it), and trying it made every later trial fail.
    # The third try relabels only cells that can keep the rule: the age cells and their
    # row totals are shown with the symbol, both totals keep "<3".
    table = pd.DataFrame(
        {"m": [1, 1, 0, 2], "w": [0, 0, 0, 0], "gesamt": [1, 1, 0, 2]},
        index=["18-20", "21-24", "25-27", "Insgesamt"],
    )
    grand = pd.DataFrame(False, index=table.index, columns=table.columns)
    grand.loc["Insgesamt", "gesamt"] = True
    keine = pd.DataFrame(False, index=table.index, columns=table.columns)

    def sperren(gruendlich: bool):
        return suppress(
            table,
            3,
            total_row="Insgesamt",
            total_col="gesamt",
            hidden_elsewhere=grand,
            shown_elsewhere=keine,
            symbol_elsewhere=keine,
            umbenennen_gruendlich=gruendlich,
        )

    assert sperren(False).unresolved  # left to the caller (a joint check may hide elsewhere)
    out = sperren(True)
    assert out.unresolved == ()
    assert out.published["m"].tolist() == [".", ".", 0, "<3"]
    assert out.published["gesamt"].tolist() == [".", ".", 0, "<3"]
    assert out.published["w"].tolist() == [0] * 4
    # the values it costs: the four small cells shown with the symbol lose their bound
    assert verlorene_werte(out) == verlorene_werte(out, None) == 4
