"""Arbeitsmappen as a Fachverfahren exports them: the same Kreis, the same tables.

The property: a generated Arbeitsmappe (:mod:`tests.arbeitsmappen`) and its export
(:func:`tests.fachverfahren.exportieren`: other column order, columns of the
Fachverfahren's own, a title above the header, real Excel cells, cp1252 with ISO dates,
tabs) load to equal tables, and every column of the export's own is named in a
warning. A difference would be a count, an age or a date read wrongly, without a word.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.arbeitsmappen import arbeitsmappen, schreibe
from tests.fachverfahren import TABELLEN, exportieren
from thm_lib.ingest.arbeitsmappe import load_workspace


def _gleich(a: pd.DataFrame | None, b: pd.DataFrame | None, name: str) -> None:
    assert (a is None) == (b is None), name
    if a is None or b is None:
        return
    if "geometry" in a.columns:
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all(), name
        a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a, b, obj=name)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    spec=arbeitsmappen(max_gemeinden=8, einstellungen=True),
    rnd=st.randoms(use_true_random=False),
)
def test_an_export_of_the_same_kreis_loads_to_the_same_tables(tmp_path_factory, spec, rnd):
    original = load_workspace(schreibe(spec, tmp_path_factory.mktemp("original")))
    mappe = schreibe(spec, tmp_path_factory.mktemp("export"))
    eigene = exportieren(mappe, rnd)
    export = load_workspace(mappe)
    for name in (*TABELLEN, "gebiete"):
        _gleich(getattr(original, name), getattr(export, name), name)
    assert export.annahmen == original.annahmen
    for name, spalten in eigene.items():
        for spalte in spalten:
            assert any(
                "unbekannte Spalten" in w and spalte.lower() in w for w in export.warnungen
            ), f"{name}: Spalte {spalte} ohne Hinweis"
