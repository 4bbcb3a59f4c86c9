"""The faster range checks give the same answers as solving every cell on the whole system.

The disclosure control (``suppression._Leser``) and the audit
(``audit_modell._teil_bereiche``) skip solves where a solution found earlier
already proves enough. These properties compare them with the plain method
(minimum and maximum of every hidden cell over the whole integer system, as
both did before) on generated tables, across a sequence of states of one
table (cells hidden one after another, small cells relabelled), which is how
the suppression uses them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from thm_lib.disclosure.audit_modell import GROSS, _teil_bereiche, schutzverletzung
from thm_lib.disclosure.suppression import _Leser, _lines

T = 5


def _system(lines, v, hidden, primary, unknown_na, groups):
    """The reader's system over all unknown cells: (cells, positions, constraints, bounds)."""
    unknown = [int(k) for k in np.flatnonzero(hidden | unknown_na)]
    pos = {k: n for n, k in enumerate(unknown)}
    rows, lo_c, hi_c = [], [], []
    specs = [
        (ln.members, [-1.0 if k == ln.total else 1.0 for k in ln.members], 0.0, True)
        for ln in lines
    ] + [(g[0], g[2], g[1], False) for g in groups]
    for members, signs, b, eq in specs:
        r = np.zeros(len(unknown))
        for k, s in zip(members, signs, strict=True):
            if k in pos:
                r[pos[k]] += s
            else:
                b -= s * v[k]
        if r.any():
            rows.append(r)
            lo_c.append(b if eq else -np.inf)
            hi_c.append(b)
    cons = [LinearConstraint(np.vstack(rows), lo_c, hi_c)] if rows else []
    lo = np.array([1.0 if primary[k] else 0.0 for k in unknown])
    hi = np.array([T - 1.0 if primary[k] else float(GROSS) for k in unknown])
    return unknown, pos, cons, (lo, hi)


def _referenz(lines, v, hidden, primary, unknown_na, groups):
    """Exact range of every hidden cell over the whole system (the plain method)."""
    unknown, pos, cons, (lo, hi) = _system(lines, v, hidden, primary, unknown_na, groups)
    out = {}
    for k in unknown:
        if not hidden[k]:
            continue
        c = np.zeros(len(unknown))
        c[pos[k]] = 1.0
        a = milp(c, constraints=cons, bounds=Bounds(lo, hi), integrality=np.ones(len(c)))
        b = milp(-c, constraints=cons, bounds=Bounds(lo, hi), integrality=np.ones(len(c)))
        out[k] = (round(a.fun), round(-b.fun))
    return out


@st.composite
def tabellen(draw):
    """A table with totals, a truth, its small cells and a sequence of hiding states."""
    nr, nc = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    body = np.array(
        draw(
            st.lists(
                st.lists(st.integers(0, 12), min_size=nc, max_size=nc), min_size=nr, max_size=nr
            )
        ),
        dtype=float,
    )
    full = np.zeros((nr + 1, nc + 1))
    full[:nr, :nc] = body
    full[:nr, nc] = body.sum(axis=1)
    full[nr, :nc] = body.sum(axis=0)
    full[nr, nc] = body.sum()
    v = full.ravel()
    rows, cols = [f"r{i}" for i in range(nr)] + ["Summe"], [f"c{j}" for j in range(nc)] + ["Summe"]
    lines = _lines(rows, cols, "Summe", "Summe", True, True, None)
    primary = (v >= 1) & (v <= T - 1)
    unknown_na = np.zeros(v.size, dtype=bool)
    if draw(st.booleans()):  # one unknown cell (NA) of the body
        unknown_na[draw(st.integers(0, nr - 1)) * (nc + 1) + draw(st.integers(0, nc - 1))] = True
        primary &= ~unknown_na
    groups = []
    if draw(st.booleans()):  # c0 <= c1 in every row where it holds
        groups = [
            ([i * (nc + 1), i * (nc + 1) + 1], 0.0, [1.0, -1.0])
            for i in range(nr + 1)
            if v[i * (nc + 1)] <= v[i * (nc + 1) + 1]
        ]
    schritte = []
    hidden = primary.copy()
    for _ in range(draw(st.integers(2, 5))):
        # as the suppression goes: cells hidden one after another, and now and then a
        # state that is not a superset (a trial hiding taken back, a relabelling undone)
        extra = draw(st.lists(st.integers(0, v.size - 1), max_size=4))
        hidden = (hidden if draw(st.booleans()) else primary).copy()
        hidden[extra] = True
        hidden &= ~unknown_na
        prim = primary.copy()
        flip = draw(st.lists(st.integers(0, v.size - 1), max_size=3))
        prim[flip] = False  # relabelled: shown with the symbol, its bound dropped
        schritte.append((hidden, prim))
    return lines, v, unknown_na, groups, schritte


@settings(max_examples=60, deadline=None)
@given(tabellen())
def test_leser_finds_exactly_the_violations_of_the_plain_method(tabelle):
    lines, v, unknown_na, groups, schritte = tabelle
    leser = _Leser(lines, v, unknown_na, T, groups)
    for hidden, primary in schritte:
        ref = _referenz(lines, v, hidden, primary, unknown_na, groups)
        erwartet = {
            k: r for k, r in ref.items() if schutzverletzung(bool(primary[k]), *r, T) is not None
        }
        assert leser.verletzungen(hidden, primary) == erwartet
        for k, (lo, hi) in ref.items():
            for breite in (0, 1, 2, 4):
                got = leser.bereich(k, hidden, primary, breiter_als=breite)
                if hi - lo > breite:  # a witnessed range may stop early, but only when wide enough
                    assert got[1] - got[0] > breite and lo <= got[0] and got[1] <= hi
                else:
                    assert got == (lo, hi)


@settings(max_examples=60, deadline=None)
@given(tabellen())
def test_audit_part_ranges_equal_the_plain_method(tabelle):
    lines, v, unknown_na, groups, schritte = tabelle
    hidden, primary = schritte[-1]
    ref = _referenz(lines, v, hidden, primary, unknown_na, groups)
    unknown, pos, cons, (lo_b, hi_b) = _system(lines, v, hidden, primary, unknown_na, groups)
    got = _teil_bereiche(
        [k for k in unknown if hidden[k]],
        pos,
        cons[0] if cons else [],
        Bounds(lo_b, hi_b),
        np.ones(len(unknown)),
        (lo_b, hi_b),
        {"disp": False},
    )
    assert got == {k: (float(a), float(b)) for k, (a, b) in ref.items()}


def _zeile(groups):
    """One row a + b = s with b = 6 shown and a, s hidden (nothing small); ``groups`` bound a."""
    lines = _lines(["r0"], ["a", "b", "Summe"], None, "Summe", True, False, None)
    leser = _Leser(lines, np.array([3.0, 6.0, 9.0]), np.zeros(3, dtype=bool), T, groups)
    return leser, np.array([True, False, True]), np.zeros(3, dtype=bool)


def test_fractional_relaxation_falls_back_to_the_integer_program():
    # a alone is bounded only by the group 2a <= 7. The linear relaxation reaches a = 3.5;
    # the largest count is 3. A reader would be credited with a range up to 4 if the
    # relaxation's optimum were rounded.
    leser, hidden, primary = _zeile([([0], 7.0, [2.0])])
    assert leser.bereich(0, hidden, primary, breiter_als=GROSS) == (0.0, 3.0)
    assert leser.bereich(2, hidden, primary, breiter_als=GROSS) == (6.0, 9.0)


def test_relaxation_without_integer_solution_counts_as_unsolvable():
    # 2a <= 1 and 2a >= 1: the relaxation has a = 0.5, no count fits (an inconsistent part)
    leser, hidden, primary = _zeile([([0], 1.0, [2.0]), ([0], -1.0, [-2.0])])
    assert leser.bereich(0, hidden, primary, breiter_als=GROSS) is None


def test_highs_prints_nothing_and_leaves_stdout_working():
    # HiGHS prints a banner when a process makes its first solver, also with its output
    # off; in a kernel it would stand in a notebook's output (suppression._highspy)
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from thm_lib.disclosure.suppression import _highspy\n"
        "h = _highspy().Highs()\n"
        "h.setOptionValue('output_flag', False)\n"
        "h.addVars(1, [0.0], [3.0])\n"
        "h.run()\n"
        "print('danach', flush=True)\n"
    )
    aufruf = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
    )
    assert aufruf.stdout == "danach\n"
    assert "HiGHS" not in aufruf.stderr
    # a process started with stdout closed (a service) solves too
    ohne = subprocess.run(
        [sys.executable, "-c", code.replace("print('danach', flush=True)", "")],
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        preexec_fn=lambda: os.close(1),
    )
    assert ohne.returncode == 0, ohne.stderr
