"""The reader's knowledge as an integer program, and the feasible range of each hidden cell.

A :class:`Modell` holds one integer variable per published quantity (e.g.
"Duldung in Beispielheim am 31.12.2019"), every place where a reader sees it
(visible value or a suppression mark) and every linear relation a reader can
know (sums, the same quantity in two tables, model formulas with published
parameters, each with a tolerance for rounding). :func:`bereiche` computes,
for each hidden quantity, the smallest and the largest value consistent with
everything published, with scipy's HiGHS ``milp`` (one minimisation and one
maximisation per hidden quantity, per connected group of relations).

No file is read here; :mod:`thm_lib.disclosure.audit` builds the model.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GROSS = 10**6
"""Upper bound of every count (a range reaching it counts as unbounded)."""
KLEIN, GEHEIM = "klein", "geheim"
TEIL = "teil"
"""A count no table shows, only as part of a shown one (e.g. the persons only the
programme's FAQ count includes); see :func:`teilverletzung`."""


def schutzverletzung(klein: bool, lo: float, hi: float, schwelle: int) -> str | None:
    """The protection rule for one hidden cell of feasible range ``lo..hi`` (German reason).

    No hidden cell is pinned to one value; a "<schwelle" cell (``klein``) keeps
    at least three feasible values within ``1..schwelle-1``; a cell hidden with
    the symbol has a range at least ``schwelle`` values wide that does not lie
    inside ``1..schwelle-1``.

    Returns
    -------
    str or None
        Why the range is too narrow, or None when it is wide enough.

    Examples
    --------
    >>> schutzverletzung(True, 2, 4, 5) is None, schutzverletzung(True, 3, 4, 5)
    (True, 'hat nur 2 mögliche Werte (3 bis 4); verlangt sind 3 in 1–4')
    >>> schutzverletzung(False, 5, 9, 5) is None, schutzverletzung(False, 1, 4, 5)[:9]
    (True, 'liegt zwi')
    """
    t1 = schwelle - 1
    if lo == hi:
        return f"ist eindeutig bestimmt: {lo:g}"
    if klein:
        n = min(hi, t1) - max(lo, 1) + 1
        if n < min(3, t1):
            return f"hat nur {n:g} mögliche Werte ({lo:g} bis {hi:g}); verlangt sind 3 in 1–{t1}"
        return None
    if hi - lo + 1 < schwelle:
        return f"liegt zwischen {lo:g} und {hi:g}: weniger als {schwelle} mögliche Werte"
    if lo >= 1 and hi <= t1:
        return f"liegt zwischen {lo:g} und {hi:g}, also sicher eine kleine Zahl (1–{t1})"
    return None


def null_oder_klein(lo: float, hi: float, schwelle: int) -> bool:
    """True when a cell hidden with the symbol tells less than a "<schwelle" cell would.

    Its range starts at 0 and keeps as many values in ``1..schwelle-1`` as a
    "<schwelle" cell must (:func:`schutzverletzung`): it holds every value of such a
    cell and 0 besides (at a threshold of 5: 0 to 3). The audit accepts it (round 2,
    session 42); the suppression keeps to the wider range of :func:`schutzverletzung`.

    Examples
    --------
    >>> null_oder_klein(0, 3, 5), null_oder_klein(0, 2, 5), null_oder_klein(1, 3, 5)
    (True, False, False)
    """
    t1 = schwelle - 1
    return lo <= 0 and hi <= t1 and schutzverletzung(True, 1, hi, schwelle) is None


def teilverletzung(lo: float, hi: float, schwelle: int) -> str | None:
    """The rule for a count published nowhere, only inside others (:data:`TEIL`).

    Its value may become known where it is 0 or at least ``schwelle``. A small
    one (1 .. ``schwelle``-1) must not be pinned, and where it is sure to be
    small it keeps at least three feasible values, as a ``"<5"`` cell. A range
    that reaches 0 says nobody need be there: a part of a ``"<5"`` cell (at
    most 4, maybe 0) tells nothing the cell does not.

    Examples
    --------
    >>> teilverletzung(33, 33, 5) is None, teilverletzung(0, 3, 5) is None
    (True, True)
    >>> teilverletzung(4, 4, 5)
    'ist eindeutig bestimmt: 4'
    >>> teilverletzung(2, 3, 5)
    'hat nur 2 mögliche Werte (2 bis 3); verlangt sind 3 in 1–4'
    """
    if 1 <= lo and hi <= schwelle - 1:  # sure to be small: the rule of a "<5" cell
        return schutzverletzung(True, lo, hi, schwelle)
    return None


@dataclass(frozen=True)
class Ort:
    """Where a reader sees a cell."""

    datei: str
    tabelle: str
    zeile: str
    spalte: str

    def __str__(self) -> str:
        return (
            f"{self.datei}, Tabelle „{self.tabelle}“, Zeile „{self.zeile}“, Spalte „{self.spalte}“"
        )


@dataclass
class Beziehung:
    """``lo <= sum(koeff[v] * x[v]) <= hi``, with a German name for messages."""

    koeff: dict[int, float]
    lo: float
    hi: float
    name: str


@dataclass
class Modell:
    """Variables, their published occurrences and the known relations."""

    schwelle: int
    keys: list[Hashable] = field(default_factory=list)
    index: dict[Hashable, int] = field(default_factory=dict)
    sichtbar: dict[int, list[tuple[float, Ort]]] = field(default_factory=dict)
    verborgen: dict[int, list[tuple[str, Ort]]] = field(default_factory=dict)
    beziehungen: list[Beziehung] = field(default_factory=list)
    stetig: set[int] = field(default_factory=set)
    """Variables that may be fractional (persons per age band split from wider bands)."""
    _signaturen: set[tuple] = field(default_factory=set)

    def var(self, key: Hashable) -> int:
        """The variable of quantity ``key`` (created on first use)."""
        if key not in self.index:
            self.index[key] = len(self.keys)
            self.keys.append(key)
        return self.index[key]

    def sieht(self, key: Hashable, wert: float, ort: Ort) -> int:
        """Record a visible count."""
        v = self.var(key)
        self.sichtbar.setdefault(v, []).append((float(wert), ort))
        return v

    def verbirgt(self, key: Hashable, art: str, ort: Ort) -> int:
        """Record a hidden count (``art`` :data:`KLEIN` or :data:`GEHEIM`)."""
        v = self.var(key)
        self.verborgen.setdefault(v, []).append((art, ort))
        return v

    def beziehung(self, koeff: dict[Hashable, float], lo: float, hi: float, name: str) -> None:
        """Add ``lo <= sum(koeff[key] * x[key]) <= hi`` (duplicates are dropped)."""
        k: dict[int, float] = {}
        for key, c in koeff.items():
            v = self.var(key)
            k[v] = k.get(v, 0.0) + float(c)
        k = {v: c for v, c in k.items() if c != 0.0}
        if not k:
            return
        sig = (tuple(sorted(k.items())), round(lo, 9), round(hi, 9))
        if sig in self._signaturen:
            return
        self._signaturen.add(sig)
        self.beziehungen.append(Beziehung(k, lo, hi, name))

    def summe(self, teile: list[Hashable], gesamt: Hashable, name: str) -> None:
        """``sum(teile) == gesamt``."""
        koeff: dict[Hashable, float] = {t: 1.0 for t in teile}
        koeff[gesamt] = koeff.get(gesamt, 0.0) - 1.0
        self.beziehung(koeff, 0.0, 0.0, name)

    def ungefaehr(
        self, koeff: dict[Hashable, float], wert: float, toleranz: float, name: str
    ) -> None:
        """``|sum(koeff * x) - wert| <= toleranz`` (a rounded published value)."""
        eps = 1e-9 * max(1.0, abs(wert))
        self.beziehung(koeff, wert - toleranz - eps, wert + toleranz + eps, name)


@dataclass(frozen=True)
class Teilproblem:
    """The integer program of one independent group of hidden quantities."""

    pos: dict[int, int]
    """Column of each variable of the group."""
    constraints: Any
    bounds: Any
    integrality: np.ndarray


@dataclass
class Loesung:
    """Feasible ranges of the hidden quantities and what did not fit."""

    bereiche: dict[int, tuple[float, float]]
    widersprueche: list[str]
    beziehungen_je_var: dict[int, list[str]]
    teilprobleme: dict[int, Teilproblem] = field(default_factory=dict)
    """The program of each hidden quantity with relations (for :func:`fester_abstand`)."""


class _Union:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[ra] = rb


def _grenzen(m: Modell, v: int) -> tuple[float, float]:
    arten = {a for a, _ in m.verborgen.get(v, [])}
    if KLEIN in arten:
        return 1.0, float(m.schwelle - 1)
    return 0.0, float(GROSS)


def bereiche(m: Modell, zeitlimit: float = 10.0) -> Loesung:
    """Min and max of every hidden quantity over all integer solutions of the model.

    Parameters
    ----------
    m : Modell
        The model.
    zeitlimit : float
        Seconds per single ``milp`` solve; a solve that hits it keeps the
        bound HiGHS proved so far (the range is then reported wider, never
        narrower, than the truth).

    Returns
    -------
    Loesung
    """
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.sparse import csr_array

    n = len(m.keys)
    widersprueche: list[str] = []
    teilprobleme: dict[int, Teilproblem] = {}
    fest: dict[int, float] = {}
    for v, seen in m.sichtbar.items():
        werte = {w for w, _ in seen}
        fest[v] = seen[0][0]
        if len(werte) > 1:
            orte = "; ".join(f"{w:g} in {o}" for w, o in seen[:4])
            widersprueche.append(f"Verschiedene Werte für dieselbe Größe {m.keys[v]}: {orte}")
    je_var: dict[int, list[str]] = {}
    for b in m.beziehungen:
        for v in b.koeff:
            je_var.setdefault(v, []).append(b.name)

    frei = [v for v in range(n) if v not in fest]
    uf = _Union(n)
    rest: list[tuple[dict[int, float], float, float, str]] = []
    for b in m.beziehungen:
        shift = sum(c * fest[v] for v, c in b.koeff.items() if v in fest)
        k = {v: c for v, c in b.koeff.items() if v not in fest}
        lo, hi = b.lo - shift, b.hi - shift
        if not k:
            if lo > 1e-6 or hi < -1e-6:
                widersprueche.append(f"Beziehung passt nicht zu den gezeigten Zahlen: {b.name}")
            continue
        vs = list(k)
        for v in vs[1:]:
            uf.union(vs[0], v)
        rest.append((k, lo, hi, b.name))

    out: dict[int, tuple[float, float]] = {}
    for v in m.verborgen:
        if v in fest:
            out[v] = (fest[v], fest[v])
    gruppen: dict[int, list[int]] = {}
    for v in frei:
        gruppen.setdefault(uf.find(v), []).append(v)
    rel_je_gruppe: dict[int, list[int]] = {}
    for i, (k, *_rest) in enumerate(rest):
        rel_je_gruppe.setdefault(uf.find(next(iter(k))), []).append(i)

    for wurzel, vs in gruppen.items():
        ziel = [v for v in vs if v in m.verborgen]
        if not ziel:
            continue
        pos = {v: j for j, v in enumerate(vs)}
        lo_b = np.array([_grenzen(m, v)[0] for v in vs])
        hi_b = np.array([_grenzen(m, v)[1] for v in vs])
        rels = rel_je_gruppe.get(wurzel, [])
        if not rels:
            for v in ziel:
                out[v] = (lo_b[pos[v]], hi_b[pos[v]])
            continue
        rows, cols, vals, lo_c, hi_c = [], [], [], [], []
        for r, i in enumerate(rels):
            k, lo, hi, _ = rest[i]
            for v, c in k.items():
                rows.append(r)
                cols.append(pos[v])
                vals.append(c)
            lo_c.append(lo)
            hi_c.append(hi)
        a = csr_array((vals, (rows, cols)), shape=(len(rels), len(vs)))
        cons = LinearConstraint(a, np.array(lo_c), np.array(hi_c))
        bounds = Bounds(lo_b, hi_b)
        integ = np.array([0.0 if v in m.stetig else 1.0 for v in vs])
        problem = Teilproblem(pos, cons, bounds, integ)
        teilprobleme.update(dict.fromkeys(ziel, problem))
        opts = {"time_limit": zeitlimit, "disp": False}
        grenzen = (lo_b, hi_b)
        for v, bereich in _teil_bereiche(ziel, pos, cons, bounds, integ, grenzen, opts).items():
            if bereich is None:  # infeasible: the relations contradict each other
                widersprueche.append(
                    f"Keine Lösung für {m.keys[v]}: die gesammelten Beziehungen "
                    "widersprechen sich (Modell oder Daten prüfen)"
                )
                bereich = (lo_b[pos[v]], hi_b[pos[v]])
            out[v] = bereich
    return Loesung(out, widersprueche, je_var, teilprobleme)


def fester_abstand(
    loesung: Loesung, v: int, s: int, vorzeichen: float = -1.0, zeitlimit: float = 10.0
) -> bool:
    """True when ``x[v] + vorzeichen * x[s]`` has one value in every integer solution.

    Then a reader knows ``v`` exactly as well as ``s``: its range is that of
    ``s``, shifted by a known number (``vorzeichen`` -1) or mirrored and
    shifted (+1). False where the two are in different groups, either has no
    relations, or a solve does not finish in ``zeitlimit`` seconds (not proven,
    so not claimed).
    """
    from scipy.optimize import milp

    problem = loesung.teilprobleme.get(v)
    if problem is None or loesung.teilprobleme.get(s) is not problem or v == s:
        return False
    c = np.zeros(len(problem.pos))
    c[problem.pos[v]], c[problem.pos[s]] = 1.0, float(vorzeichen)
    opts = {"time_limit": zeitlimit, "disp": False}
    grenzen = []
    for sign in (1.0, -1.0):
        res = milp(
            sign * c,
            constraints=problem.constraints,
            bounds=problem.bounds,
            integrality=problem.integrality,
            options=opts,
        )
        if res.status != 0 or res.fun is None:
            return False
        grenzen.append(sign * float(res.fun))
    return abs(grenzen[0] - grenzen[1]) < 1e-6


def verschobene_kleine(
    m: Modell, loesung: Loesung, v: int, zeitlimit: float = 10.0
) -> tuple[int, str] | None:
    """A ``"<schwelle"`` quantity that hidden quantity ``v`` is, plus a known number, or None.

    Returns the quantity and ``"+"``, or ``"-"`` where ``v`` is a known number
    minus it (:func:`fester_abstand`).

    Round 2, session 39: a Kreis's hidden FAQ count was a known 105 plus one
    Gemeinde's count shown as "<5", so it lay between 106 and 109 – four
    values, fewer than a cell hidden with the symbol must keep, but nothing
    beyond what the "<5" says (whose own range is checked by
    :func:`schutzverletzung`). Candidates: the ``"<schwelle"`` quantities whose
    range is as wide as ``v``'s (a shifted range has the same width).
    """
    lo, hi = loesung.bereiche[v]
    for s in sorted(loesung.bereiche):
        if s == v or KLEIN not in {a for a, _ in m.verborgen.get(s, [])}:
            continue
        s_lo, s_hi = loesung.bereiche[s]
        if abs((s_hi - s_lo) - (hi - lo)) > 1e-9:
            continue
        for z, zeichen in ((-1.0, "+"), (1.0, "-")):
            if fester_abstand(loesung, v, s, z, zeitlimit):
                return s, zeichen
    return None


def _teil_bereiche(
    ziel: list[int],
    pos: dict[int, int],
    cons: Any,
    bounds: Any,
    integ: np.ndarray,
    grenzen: tuple[np.ndarray, np.ndarray],
    opts: dict[str, Any],
) -> dict[int, tuple[float, float] | None]:
    """Min and max of each quantity of ``ziel`` in one independent part (None: no solution).

    A box bound that an optimal solution of an earlier solve reaches is that
    quantity's exact bound, so it needs no solve of its own.
    """
    from scipy.optimize import milp

    lo_b, hi_b = grenzen
    w_lo, w_hi = np.full(len(lo_b), np.inf), np.full(len(lo_b), -np.inf)

    def loesen(n: int, sign: float) -> Any:
        c = np.zeros(len(lo_b))
        c[n] = sign
        res = milp(c, constraints=cons, bounds=bounds, integrality=integ, options=opts)
        if res.status == 0 and res.x is not None:
            np.minimum(w_lo, res.x, out=w_lo)
            np.maximum(w_hi, res.x, out=w_hi)
        return res

    out: dict[int, tuple[float, float] | None] = {}
    for v in ziel:
        n = pos[v]
        if w_lo[n] <= lo_b[n] + 1e-9:
            lo = float(lo_b[n])
        else:
            res_min = loesen(n, 1.0)
            if res_min.status == 2:
                out[v] = None
                continue
            lo = _wert(res_min, lo_b[n], +1)
        if w_hi[n] >= hi_b[n] - 1e-9:
            hi = float(hi_b[n])
        else:
            hi = _wert(loesen(n, -1.0), hi_b[n], -1)
        out[v] = (lo, hi)
    return out


def _wert(res: object, fallback: float, sign: int) -> float:
    """The proven bound of a solve: the optimum, else HiGHS' dual bound, else the box bound."""
    if getattr(res, "status", None) == 0 and res.fun is not None:
        return float(sign * res.fun)
    bound = getattr(res, "mip_dual_bound", None)
    if bound is not None and math.isfinite(bound):
        return float(math.ceil(bound - 1e-9) if sign > 0 else math.floor(-bound + 1e-9))
    return float(fallback)
