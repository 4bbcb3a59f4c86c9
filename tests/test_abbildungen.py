"""Charts (thm_lib.publish.plots) and the static map compared pixel by pixel with committed PNGs.

The references in ``tests/reference/abbildungen/`` are written by
``tests/reference/erzeugen.py`` (see ``tests/reference/README.md``), never by a
test. The comparison is :func:`matplotlib.testing.compare.compare_images`
(RMS of the pixel differences, 0–255) with :data:`TOLERANZ`; the second half
of this file proves that a wrong colour class, a missing layer, a wrong bar
height or a drawn hidden value exceed it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from abbildungen import ABBILDUNGEN, ERZEUGEN, REFERENZ_ORDNER, bildstil, speichern, zeichnen

TOLERANZ = 0.5
"""Largest RMS accepted. Same Debian, same pip wheels (FreeType bundled): the images are
identical (RMS 0). The deliberate errors below measure 1.9 (the three offer layers of the
map missing, the smallest), 7.7 (one Gemeinde one colour class off), 9.1 (one bar 3
percentage points too high), 9.6 (names missing), 23 (one heatmap cell in the wrong
class) and 32 (a hidden count drawn)."""


def _vergleich(name: str, actual: Path, ordner: Path = REFERENZ_ORDNER) -> float | None:
    """RMS of ``actual`` against the reference ``name`` if above :data:`TOLERANZ`, else None."""
    from matplotlib.testing.compare import compare_images

    ref = ordner / f"{name}.png"
    if not ref.is_file():
        pytest.fail(
            f"Referenzbild fehlt: {ref}. Erzeugen (und ansehen, dann committen) mit: {ERZEUGEN} "
            f"{name} / Missing reference image; create it with the command above."
        )
    result = compare_images(str(ref), str(actual), TOLERANZ, in_decorator=True)
    return None if result is None else float(result["rms"])


@pytest.mark.parametrize("name", sorted(ABBILDUNGEN))
def test_figure_matches_reference(name: str, tmp_path: Path) -> None:
    actual = zeichnen(name, tmp_path / f"{name}.png")
    rms = _vergleich(name, actual)
    assert rms is None, (
        f"{name}: weicht vom Referenzbild ab (RMS {rms:.2f} > {TOLERANZ}); Differenzbild: "
        f"{tmp_path}. Nach einer gewollten Änderung: {ERZEUGEN} {name}"
    )


def test_static_map_png_has_the_configured_size(tmp_path: Path) -> None:
    from matplotlib.image import imread

    from thm_lib.ingest.synthetic import synthetic_workspace
    from thm_lib.publish.maps.static import pixel_size

    img = imread(zeichnen("karte_synthetisch", tmp_path / "karte.png"))
    width, height = pixel_size(synthetic_workspace().annahmen.karten)
    assert (img.shape[1], img.shape[0]) == (width, height) == (1181, 1417)


def test_missing_reference_fails_with_the_command(tmp_path: Path) -> None:
    actual = zeichnen("verlauf", tmp_path / "verlauf.png")
    with pytest.raises(pytest.fail.Exception, match="Referenzbild fehlt.*erzeugen.py verlauf"):
        _vergleich("verlauf", actual, tmp_path / "leer")
    assert not (tmp_path / "leer").exists()  # nothing written in its place


# --- the comparison catches real errors ------------------------------------------------------


def _polygone(fig: Any) -> Any:
    """The collection of the ten Gemeinde polygons of the static map."""
    ax = fig.axes[0]
    (coll,) = [c for c in ax.collections if len(c.get_paths()) == 10]
    return coll


def _falsche_klasse(fig: Any) -> None:
    # Gemeinde J (25, class "13 bis 25") drawn in the colour of Gemeinde D (40, "26 bis 40")
    coll = _polygone(fig)
    faces = coll.get_facecolors().copy()
    assert not np.allclose(faces[9], faces[3])
    faces[9] = faces[3]
    coll.set_facecolors(faces)


def _ohne_angebote(fig: Any) -> None:
    ax = fig.axes[0]
    points = [c for c in ax.collections if c is not _polygone(fig)]
    assert len(points) == 3  # one layer per Handlungsfeld with offers
    for c in points:
        c.remove()


def _ohne_namen(fig: Any) -> None:
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_text().startswith("Gemeinde")]
    assert len(names) == 10
    for t in names:
        t.remove()


def _rms_mit(name: str, tmp_path: Path, draw: Callable[[], Any]) -> float | None:
    with bildstil():
        actual = speichern(draw(), tmp_path / f"{name}_falsch.png")
    return _vergleich(name, actual)


@pytest.mark.parametrize(
    "aendern", [_falsche_klasse, _ohne_angebote, _ohne_namen], ids=lambda f: f.__name__
)
def test_altered_map_fails(aendern: Callable[[Any], None], tmp_path: Path) -> None:
    actual = zeichnen("karte_synthetisch", tmp_path / "falsch.png", aendern)
    rms = _vergleich("karte_synthetisch", actual)
    assert rms is not None and rms > 2 * TOLERANZ, rms


def test_wrong_bar_height_fails(tmp_path: Path) -> None:
    import abbildungen

    # "Arbeit" 3 percentage points too high (35 % -> 38 %)
    rms = _rms_mit("bedarfsquoten", tmp_path, lambda: abbildungen.bedarfsquoten(0.03))
    assert rms is not None and rms > 2 * TOLERANZ, rms


def test_wrong_heatmap_class_fails(tmp_path: Path) -> None:
    import abbildungen

    from thm_lib.core.config import default_annahmen
    from thm_lib.publish.plots import luecken_heatmap

    matrix = abbildungen.versorgungsmatrix()
    matrix.loc["Gemeinde A", "Sprache"] = 80.0  # Unterversorgung 40 % drawn as about 100 %
    annahmen = default_annahmen()
    rms = _rms_mit("luecken", tmp_path, lambda: luecken_heatmap(matrix, annahmen).figure)
    assert rms is not None and rms > 2 * TOLERANZ, rms


def test_drawn_hidden_value_fails(tmp_path: Path) -> None:
    # the chart drawn from the internal numbers (Duldung 3 on the first Stichtag shown)
    import pandas as pd

    from thm_lib.disclosure.suppression import suppress
    from thm_lib.publish.plots import verlauf_chart

    table = pd.DataFrame(
        {"duldung": [3, 14, 22], "gestattung": [30, 41, 35]},
        index=pd.Index(["31.12.2022", "31.12.2023", "31.12.2024"], name="Stichtag"),
    )
    labels = {"duldung": "Duldung", "gestattung": "Aufenthaltsgestattung"}
    internal = suppress(table, 1, row_sums=False, col_sums=False, column_labels=labels)
    assert not internal.mask.to_numpy().any()
    rms = _rms_mit("verlauf", tmp_path, lambda: verlauf_chart(internal).figure)
    assert rms is not None and rms > 2 * TOLERANZ, rms
