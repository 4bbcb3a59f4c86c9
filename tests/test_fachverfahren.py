"""Arbeitsmappen as a Fachverfahren exports them: the same Kreis, the same tables.

The properties: a generated Arbeitsmappe (:mod:`tests.arbeitsmappen`) and its export
(:func:`tests.fachverfahren.exportieren`: other column order, columns of the
Fachverfahren's own, a title above the header, real Excel cells, cp1252 with ISO dates,
tabs) load to equal tables, and every column of the export's own is named in a
warning. A difference would be a count, an age or a date read wrongly, without a word.
And an export sorted by another key (the rows in another order) gives the same
published tables: a figure or a gap class that followed the order of rows would change
between two exports of the same data (found so: a Versorgungsgrad of exactly 75 % summed
in another order; :func:`thm_lib.analysis.coverage.gap_class`).
"""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.arbeitsmappen import arbeitsmappen, schreibe
from tests.fachverfahren import TABELLEN, exportieren, mische_zeilen
from thm_lib.core.formats import gerundet
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.publish import views

BEISPIELE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: A generated Kreis and the random choices of its export.
EIN_KREIS_UND_EIN_EXPORT = given(
    spec=arbeitsmappen(max_gemeinden=8, einstellungen=True),
    rnd=st.randoms(use_true_random=False),
)


def _gleich(a: pd.DataFrame | None, b: pd.DataFrame | None, name: str) -> None:
    assert (a is None) == (b is None), name
    if a is None or b is None:
        return
    if "geometry" in a.columns:
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-6).all(), name
        a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    pd.testing.assert_frame_equal(a, b, obj=name)


@settings(BEISPIELE, max_examples=25)
@EIN_KREIS_UND_EIN_EXPORT
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
            assert any("unbekannte Spalten" in w and spalte in w for w in export.warnungen), (
                f"{name}: Spalte {spalte} ohne Hinweis"
            )


def _text(x: object) -> object:
    x = getattr(x, "published", x)
    if isinstance(x, dict):
        return {k: _text(v) for k, v in x.items()}
    return x.to_csv() if isinstance(x, pd.DataFrame | pd.Series) else repr(x)


def veroeffentlichte_tabellen(ws: Workspace) -> dict[str, object]:
    """The published tables of the Kreis and of its first Gemeinden, as text."""
    result = versorgung_veroeffentlicht(ws)
    bemessung = views.kreis_bemessung(ws)
    zellen = views.versorgung_zellen(ws, result)
    tabellen: dict[str, object] = {
        "zielgruppe": views.zielgruppe_je_gemeinde(ws),
        "verlauf": views.zielgruppe_verlauf(ws),
        "kennzahlen": views.kennzahlen_tabelle(ws),
        "luecken": views.lueckenliste(ws, result),
        "personen": views.personen_tabelle(ws, bemessung),
        "szenarien": views.szenarien_tabelle(ws),
        # the map's classes and the figures its tooltips show
        "zellen": zellen.assign(
            versorgungsgrad=gerundet(zellen["versorgungsgrad"], 1),
            fehlende_plaetze=gerundet(zellen["fehlende_plaetze"], 1),
        ),
    }
    faelle = ws.faelle is not None and len(ws.faelle) > 0
    if faelle:
        tabellen["fallevidenz"] = views.fallevidenz(ws)
    for ags in ["", *ws.gebiete["ags"][:3]]:
        wo = {"ags": ags} if ags else {}
        tabellen[f"struktur {ags}"] = views.zielgruppe_struktur(ws, **wo)
        tabellen[f"matrix {ags}"] = views.versorgung_matrix(ws, result, **wo)
        tabellen[f"stellen {ags}"] = views.stellen_tabelle(ws, bemessung, **wo)
        tabellen[f"angebote {ags}"] = views.angebote_uebersicht(ws, **wo)
        if faelle:
            tabellen[f"bericht {ags}"] = views.bericht_tabellen(ws, **wo)
    return {k: _text(v) for k, v in tabellen.items()}


@settings(BEISPIELE, max_examples=10)
@EIN_KREIS_UND_EIN_EXPORT
def test_rows_in_another_order_give_the_same_published_tables(tmp_path_factory, spec, rnd):
    original = load_workspace(schreibe(spec, tmp_path_factory.mktemp("original")))
    mappe = schreibe(spec, tmp_path_factory.mktemp("sortiert"))
    mische_zeilen(mappe, rnd)
    erwartet = veroeffentlichte_tabellen(original)
    gesehen = veroeffentlichte_tabellen(load_workspace(mappe))
    for name, tabelle in erwartet.items():
        assert gesehen[name] == tabelle, name
