"""The Fallevidenz and the Berichtswesen table "Bedarfe" read together (round 2, session 32).

A target case with result x in a Handlungsfeld is either active in the report year,
and "Bedarfe" counts a row of it with result x, or not active. With I the inactive
target cases (a reader has I: the need rates give the target cases, "Reichweite" the
active ones), in every field: ``Fallevidenz_x <= Bedarfe_x + i_x`` with
``sum_x i_x <= I``. Where every case is active (I = 0, as in most generated Kreise)
an attack narrowed hidden cells of both tables with it (session 31). The ranges
here come from an integer programme of our own (scipy ``milp``), not from the
suppression's code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from openpyxl import load_workbook
from scipy.optimize import Bounds, LinearConstraint, milp

from tests.arbeitsmappen import ArbeitsmappeSpec, arbeitsmappen, schreibe
from thm_lib.analysis import target_group
from thm_lib.analysis.berichtswesen import fallevidenz_titel, period_flags
from thm_lib.disclosure import publication
from thm_lib.disclosure.audit_modell import schutzverletzung
from thm_lib.disclosure.suppression import suppress
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views
from thm_lib.run.batch import kreis_ordner_name, run_batch

E_COLS = ["passend", "naechstbeste", "kein_angebot", "entschieden", "offen", "gesamt"]
B_COLS = ["passend", "naechstbeste", "kein_angebot", "offen", "gesamt"]
ERGEBNIS = ["passend", "naechstbeste", "kein_angebot", "offen"]
TOTAL = views.TOTAL


def inaktive(ws) -> int:
    """Target cases with consent not active from 1 January to the Stichtag."""
    f = target_group.eligible_cases(ws.faelle, ws.annahmen)
    von = pd.Timestamp(year=ws.stichtag.year, month=1, day=1)
    return int((~period_flags(f, von, ws.stichtag)["aktiv"]).sum())


def verletzungen(evidenz, bedarfe, inaktiv: int, schwelle: int = 5) -> list[str]:
    """Every hidden cell of both tables whose feasible range breaks the protection rule.

    The reader's model: both tables' row and column sums, shown cells known,
    ``"<5"`` in 1..4, ``"."`` >= 0, and the relation above with helper variables
    ``i`` (inactive cases per field and result). ``evidenz`` None: the Fallevidenz
    is not published, its cells are unknowns >= 0 (still bound by the relation).
    """
    keys: dict[tuple, int] = {}
    lo: list[float] = []
    hi: list[float] = []

    def var(key: tuple) -> int:
        if key not in keys:
            keys[key] = len(keys)
            lo.append(0.0)
            hi.append(np.inf)
        return keys[key]

    verborgen = []
    tabellen = [("E", evidenz, E_COLS)] if evidenz is not None else []
    for name, table, cols in [*tabellen, ("B", bedarfe, B_COLS)]:
        for r in table.mask.index:
            for c in cols:
                j = var((name, r, c))
                shown = table.published.loc[r, c]
                if not table.mask.loc[r, c]:
                    lo[j] = hi[j] = float(shown)
                elif str(shown).startswith("<"):
                    lo[j], hi[j] = 1.0, float(schwelle - 1)
                    verborgen.append(
                        ((name, r, c), True, int(table.internal_unsuppressed.loc[r, c]))
                    )
                else:
                    verborgen.append(
                        ((name, r, c), False, int(table.internal_unsuppressed.loc[r, c]))
                    )
    zeilen: list[tuple[dict[int, float], float, float]] = []

    def summe(teile: list[tuple], gesamt: tuple) -> None:
        k = {var(t): 1.0 for t in teile}
        k[var(gesamt)] = -1.0
        zeilen.append((k, 0.0, 0.0))

    b_felder = [r for r in bedarfe.mask.index if r != TOTAL]
    e_felder = b_felder if evidenz is None else [r for r in evidenz.mask.index if r != TOTAL]
    for r in [*e_felder, TOTAL]:
        summe([("E", r, c) for c in ERGEBNIS[:3]], ("E", r, "entschieden"))
        summe([("E", r, "entschieden"), ("E", r, "offen")], ("E", r, "gesamt"))
    for r in [*b_felder, TOTAL]:
        summe([("B", r, c) for c in ERGEBNIS], ("B", r, "gesamt"))
    for c in E_COLS:
        summe([("E", r, c) for r in e_felder], ("E", TOTAL, c))
    for c in B_COLS:
        summe([("B", r, c) for r in b_felder], ("B", TOTAL, c))
    for r in e_felder:
        if r not in b_felder:
            continue
        for x in ERGEBNIS:  # E_x - i_x - B_x <= 0
            zeilen.append(
                (
                    {var(("E", r, x)): 1.0, var(("i", r, x)): -1.0, var(("B", r, x)): -1.0},
                    -np.inf,
                    0,
                )
            )
        zeilen.append(({var(("i", r, x)): 1.0 for x in ERGEBNIS}, -np.inf, float(inaktiv)))
    a = np.zeros((len(zeilen), len(keys)))
    for i, (k, _, _) in enumerate(zeilen):
        for j, c in k.items():
            a[i, j] += c
    nb = LinearConstraint(a, [z[1] for z in zeilen], [z[2] for z in zeilen])
    grenzen = Bounds(lo, [min(h, 1e6) for h in hi])

    def opt(j: int, sign: float) -> float:
        c = np.zeros(len(keys))
        c[j] = sign
        res = milp(c, constraints=nb, bounds=grenzen, integrality=np.ones(len(keys)))
        assert res.status == 0, res.message  # the true tables are a solution
        return sign * res.fun

    out = []
    for key, klein, wahr in verborgen:
        j = keys[key]
        u, o = opt(j, 1.0), opt(j, -1.0)
        assert u <= wahr <= o  # the model is sound
        grund = schutzverletzung(klein, u, min(o, 1e6), schwelle)
        if grund:
            out.append(f"{key}: {grund}")
    return out


def _tabellen(ws):
    """The Fallevidenz and "Bedarfe" as published (None where withheld)."""
    evidenz = views.fallevidenz(ws)
    if isinstance(evidenz, pd.DataFrame):
        assert evidenz.attrs["thm_titel"] == views.FALLEVIDENZ_NICHT_GEZEIGT and evidenz.empty
        evidenz = None
    return evidenz, views.bericht_tabellen(ws).get("Bedarfe")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=arbeitsmappen(max_gemeinden=8))
def test_no_hidden_count_of_either_table_is_narrowed_by_the_other(spec, tmp_path_factory) -> None:
    ws = load_workspace(schreibe(spec, tmp_path_factory.mktemp("mappe")))
    if ws.faelle is None or ws.bedarfe is None or not len(ws.faelle):
        return
    evidenz, bedarfe = _tabellen(ws)
    if bedarfe is None:  # the Berichtswesen is withheld: the Fallevidenz checked alone
        assert publication.fuer(ws).berichtswesen_zurueckgehalten
        assert evidenz is None or not evidenz.unresolved
        return
    if evidenz is None:  # withheld only where both tables could not be protected together
        pub = publication.fuer(ws)
        assert pub._gemeinsam_pruefen(mit_evidenz=True)[0].unresolved
    assert (evidenz is None or not evidenz.unresolved) and not bedarfe.unresolved
    assert verletzungen(evidenz, bedarfe, inaktive(ws)) == []


def test_the_check_finds_what_each_table_on_its_own_leaves(tmp_path) -> None:
    # negative control: the tables suppressed each on its own (as before session 32) leave
    # counts the other table narrows, in a Kreis where every case is active (I = 0): a
    # "." of Sprache/nächstbeste Lösung is pinned to 5. The published pair is protected.
    spec = ArbeitsmappeSpec(
        seed=4,
        n_gemeinden=3,
        kreisfrei=False,
        mit_faellen=True,
        mit_einwohner=False,
        mit_kommunen=False,
        stichtage=("31.12.2021",),
        stichtage_je_gemeinde=(1, 1, 1),
        ohne_angebote=frozenset(),
        zielgruppe_null=frozenset(),
        n_angebote=3,
        n_faelle=70,
        stichtag_konfiguriert=False,
    )
    ws = load_workspace(schreibe(spec, tmp_path))
    pub = publication.fuer(ws)
    assert inaktive(ws) == pub.nicht_aktive_faelle == 0
    allein = pub._fallevidenz_allein(pub._fallevidenz_zahlen())
    vorher = verletzungen(allein, pub._bericht_einzeln["Bedarfe"], 0)
    assert "('E', 'Sprache', 'naechstbeste'): ist eindeutig bestimmt: 5" in vorher
    evidenz, bedarfe = _tabellen(ws)
    assert verletzungen(evidenz, bedarfe, 0) == []
    # with no relation (many inactive cases) the separate patterns were enough
    assert verletzungen(allein, pub._bericht_einzeln["Bedarfe"], 10**6) == []


def _bereich(t: pd.DataFrame, pub, zelle: tuple, relationen: list) -> tuple:
    """Min and max of a hidden cell of ``t`` published as ``pub`` (row sums to ``g``,
    column sums to ``S``; "<5" in 1..4, "." >= 0) with ``relationen``
    [(row, {col: coef}, bound)] meaning sum <= bound; own programme."""
    frei = [(r, c) for r in t.index for c in t.columns if pub.mask.loc[r, c]]
    pos = {z: i for i, z in enumerate(frei)}
    zeilen, links, rechts = [], [], []

    def rel(koeff: dict, lo_: float, hi_: float) -> None:
        row, fest = np.zeros(len(frei)), 0.0
        for z, f in koeff.items():
            if z in pos:
                row[pos[z]] += f
            else:
                fest += f * float(t.loc[z])
        zeilen.append(row)
        links.append(lo_ - fest)
        rechts.append(hi_ - fest)

    for r in t.index:
        rel({**{(r, c): 1 for c in t.columns[:-1]}, (r, "g"): -1}, 0, 0)
    for c in t.columns:
        rel({**{(r, c): 1 for r in t.index[:-1]}, ("S", c): -1}, 0, 0)
    for r, koeff, bound in relationen:
        rel({(r, c): f for c, f in koeff.items()}, -np.inf, bound)
    klein = [pub.published.loc[z] == "<5" for z in frei]
    bounds = Bounds([1 if k else 0 for k in klein], [4 if k else 1e6 for k in klein])
    cons = LinearConstraint(np.array(zeilen), links, rechts)
    c = np.zeros(len(frei))
    c[pos[zelle]] = 1
    u = milp(c, constraints=cons, bounds=bounds, integrality=np.ones(len(frei))).fun
    o = -milp(-c, constraints=cons, bounds=bounds, integrality=np.ones(len(frei))).fun
    return round(u), round(o)


def test_ungleichungen_make_the_bounded_check_protect_against_a_known_relation() -> None:
    t = pd.DataFrame(
        {
            "a": [3, 20, 30, 53],
            "b": [20, 20, 30, 70],
            "c": [30, 30, 30, 90],
            "g": [53, 70, 90, 213],
        },
        index=["x", "y", "z", "S"],
    )
    # on its own: x/a "<5", hidden with x/b, x/c and y, z around it; x/a keeps 1..4
    ohne = suppress(t, 5, total_row="S", total_col="g")
    assert ohne.published.loc["x"].tolist() == ["<5", ".", ".", 53]
    assert _bereich(t, ohne, ("x", "a"), []) == (1, 4)
    # a reader who knows b - a = 17 in row x (two inequalities) gets x/b = x/a + 17 in
    # 18..21: four values, too few for a "." cell
    bekannt = [("x", {"a": 1, "b": -1}, -17), ("x", {"a": -1, "b": 1}, 17)]
    assert _bereich(t, ohne, ("x", "b"), bekannt) == (18, 21)
    # the check with the relation hides more until every hidden cell keeps its rule
    mit = suppress(t, 5, total_row="S", total_col="g", ungleichungen=bekannt)
    assert mit.mask.to_numpy().sum() > ohne.mask.to_numpy().sum() and not mit.unresolved
    for r in t.index:
        for c in t.columns:
            if mit.mask.loc[r, c]:
                klein = mit.published.loc[r, c] == "<5"
                bereich = _bereich(t, mit, (r, c), bekannt)
                assert schutzverletzung(klein, *bereich, 5) is None, (r, c, bereich)


def test_a_zero_of_bedarfe_is_hidden_when_nothing_else_protects(tmp_path) -> None:
    # a Kreis of the synthetic Land (seed 7): "Bedarfe" of Berufsvorbereitung shows
    # kein Angebot 0 while the Fallevidenz has 1 (hidden "<5"), and only 2 cases are
    # inactive - so that "<5" lies in 1..2. Every other cell around it is hidden
    # already; the last resort hides the 0 (session 32: the audit refused the Kreis)
    from thm_lib.ingest.land_synthetic import schreibe_land

    mappen = schreibe_land(tmp_path / "land", kreise=3, gemeinden=7, kreisfreie=1, seed=7)
    ws = load_workspace(next(m for m in mappen if "suedgau" in m.name))
    evidenz, bedarfe = _tabellen(ws)
    inaktiv = publication.fuer(ws).nicht_aktive_faelle
    assert inaktiv == inaktive(ws) == 2
    assert bedarfe.internal_unsuppressed.loc["Berufsvorbereitung", "kein_angebot"] == 0
    assert bedarfe.mask.loc["Berufsvorbereitung", "kein_angebot"]
    assert evidenz.published.loc["Berufsvorbereitung", "kein_angebot"] == "<5"
    assert not evidenz.unresolved and not bedarfe.unresolved
    assert verletzungen(evidenz, bedarfe, inaktiv) == []


def test_a_hidden_sum_of_shown_totals_is_shown_when_nothing_else_is_left(tmp_path) -> None:
    # a Kreis of the synthetic Land (seed 1): every field's "Bedarfe insgesamt" is shown
    # (the need rates give it), the check had hidden every other count, the Kreis total
    # among them - fixed as the sum of the shown totals (756), so the check gave up and
    # the audit kept the Kreis back. Now that sum is shown (it tells nothing new) and
    # the check goes on with the other cells (session 32)
    from thm_lib.ingest.land_synthetic import schreibe_land

    mappen = schreibe_land(tmp_path / "land", seed=1)
    ws = load_workspace(next(m for m in mappen if "ostaue" in m.name))
    evidenz, bedarfe = _tabellen(ws)
    felder = evidenz.published.drop(TOTAL)["gesamt"]
    assert not evidenz.mask["gesamt"].any()
    assert evidenz.published.loc[TOTAL, "gesamt"] == sum(felder) == 756
    assert not evidenz.unresolved and not bedarfe.unresolved
    assert verletzungen(evidenz, bedarfe, publication.fuer(ws).nicht_aktive_faelle) == []


EIN_FALL = ArbeitsmappeSpec(
    seed=81,
    n_gemeinden=1,
    kreisfrei=False,
    mit_faellen=True,
    mit_einwohner=False,
    mit_kommunen=False,
    stichtage=("31.12.2020", "31.12.2021"),
    stichtage_je_gemeinde=(1,),
    ohne_angebote=frozenset(),
    zielgruppe_null=frozenset(),
    n_angebote=1,
    n_faelle=1,
    stichtag_konfiguriert=False,
)
"""Found by hypothesis (session 39): one documented case, which began after the
analysis Stichtag (31.12.2020): "Bedarfe" of 2020 is all 0 and the one case is
inactive (I = 1), so its Fallevidenz cells are pinned to 1 whatever is hidden."""


def test_a_kreis_with_one_case_publishes_without_its_fallevidenz(tmp_path) -> None:
    mappe = schreibe(EIN_FALL, tmp_path / "mappe")
    ws = load_workspace(mappe)
    pub = publication.fuer(ws)
    assert len(ws.faelle) == 1 and pub.nicht_aktive_faelle == inaktive(ws) == 1
    # together, both tables cannot be protected: every count of the one need is 1
    zusammen, _ = pub._gemeinsam_pruefen(mit_evidenz=True)
    assert zusammen.internal_unsuppressed.loc["Gesundheit", "naechstbeste"] == 1
    assert zusammen.unresolved
    assert verletzungen(zusammen, pub._bericht_einzeln["Bedarfe"], 1) != []
    # so the Fallevidenz is withheld and "Bedarfe" (all 0 in 2020) is published
    evidenz, bedarfe = _tabellen(ws)
    assert evidenz is None and not bedarfe.unresolved
    assert bedarfe.published.loc[TOTAL, "gesamt"] == 0
    assert verletzungen(None, bedarfe, 1) == []
    # all outputs of a run together pass the audit (before: nothing was published)
    result = run_batch(mappe, tmp_path / "out", progress=False)
    assert result.veroeffentlicht, result.pruefung.zusammenfassung()
    kreis = tmp_path / "out" / kreis_ordner_name(ws.name)
    for ordner in ("kreis", "05958004"):
        seite = (kreis / ordner / "bedarfs_und_angebotsanalyse.html").read_text("utf-8")
        assert views.FALLEVIDENZ_NICHT_GEZEIGT in seite
        assert fallevidenz_titel(ws.annahmen) not in seite
        blatt = load_workbook(kreis / ordner / "bericht.xlsx")["Fallevidenz"]
        werte = [v for row in blatt.iter_rows(values_only=True) for v in row if v is not None]
        assert werte == [views.FALLEVIDENZ_NICHT_GEZEIGT]
