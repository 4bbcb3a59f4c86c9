"""Every project notebook, executed by papermill with a real kernel on the sample Kreis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thm_lib.analysis import staffing, target_group
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run.kommune import execute
from thm_lib.run.notebook import read_glue
from thm_lib.run.report import NOTEBOOKS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data_samples" / "musterkreis"
AGS = "05899016"  # Probstadt: own Geschäftsführende Stelle, Haushaltssicherung


@pytest.fixture(scope="module")
def ws():
    return load_workspace(SAMPLE)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("nb")
    paths = {}
    for nb in NOTEBOOKS:
        paths[nb] = out / f"{nb}.ipynb"
        execute(nb, paths[nb], {"arbeitsmappe": str(SAMPLE), "ags": AGS})
    return paths


def test_notebooks_committed_without_outputs() -> None:
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for cell in doc["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, path


def test_each_notebook_has_a_parameters_cell() -> None:
    for nb in NOTEBOOKS:
        doc = json.loads((ROOT / "notebooks" / f"{nb}.ipynb").read_text(encoding="utf-8"))
        tagged = [c for c in doc["cells"] if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, nb
        assert "arbeitsmappe" in "".join(tagged[0]["source"])


def test_zielgruppe_figure_equals_library(executed, ws) -> None:
    glue = read_glue(executed["zielgruppe"])
    seg = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    assert glue["zielgruppe"] == round(seg.loc[seg["ags"] == AGS, "personen"].sum())
    # independent: Probstadt's Geduldete + Gestattete 18-27 at 31.12.2021 in the raw file
    z = ws.zielgruppe
    raw = z[
        (z["ags"] == AGS)
        & (z["stichtag"] == ws.stichtag)
        & z["alter"].between(18, 27)
        & z["status"].isin(["duldung", "gestattung"])
    ]["anzahl"].sum()
    assert glue["zielgruppe"] == raw


def test_analysis_figures_equal_library(executed, ws) -> None:
    glue = read_glue(executed["bedarfs_und_angebotsanalyse"])
    # the notebook publishes the coverage from published demand only
    g = versorgung_veroeffentlicht(ws).gemeinden
    g = g[g["ags"] == AGS]
    assert glue["unterversorgung"] == int((g["klasse"] == "Unterversorgung").sum())
    assert glue["fehlende_plaetze"] == pytest.approx(g["fehlende_plaetze"].sum(), abs=1e-5)


def test_map_figures_equal_data(executed, ws) -> None:
    glue = read_glue(executed["karten"])
    assert glue["gemeinden"] == 1
    ang = ws.for_kommune(AGS).angebote
    valid = (ang["beginn"].isna() | (ang["beginn"] <= ws.stichtag)) & (
        ang["ende"].isna() | (ang["ende"] >= ws.stichtag)
    )
    assert glue["angebote"] == int(valid.sum())
    doc = json.loads(executed["karten"].read_text(encoding="utf-8"))
    data = [o.get("data", {}) for c in doc["cells"] for o in c.get("outputs", [])]
    assert any("image/png" in d for d in data)  # the print map is a picture, not a repr
    html = ["".join(d["text/html"]) for d in data if "text/html" in d]
    assert sum("leaflet" in h for h in html) >= 2  # two web maps


def test_staffing_figures_equal_library(executed, ws) -> None:
    glue = read_glue(executed["stellen_und_foerderung"])
    bem = staffing.stellenbemessung(ws)
    row = bem[(bem["ebene"] != "kreis") & (bem["ags"] == AGS)].iloc[0]
    assert glue["faq_stellen"] == pytest.approx(row["faq_stellen"])
    # Probstadt has a Geschäftsführende Stelle: at least half a position (FAQ)
    assert glue["faq_stellen"] >= 0.5
    assert glue["zuwendung_gesamt"] > 0


def test_readme_papermill_line_works(tmp_path: Path, ws) -> None:
    """The README's papermill line, as written (only the output goes to a temp folder)."""
    import shlex
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(
        x.strip()
        for x in readme.splitlines()
        if x.strip().startswith(".venv/bin/papermill notebooks/")
    )
    args = shlex.split(line)
    out = tmp_path / "zielgruppe.ipynb"
    args = [
        sys.executable,
        "-m",
        "papermill",
        *[str(out) if a.startswith("reports/") else a for a in args[1:]],
    ]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # "-p ags 05899016" arrives as the number 5899016; the notebook restores the AGS
    z = ws.zielgruppe
    raw = z[
        (z["ags"] == AGS)
        & (z["stichtag"] == ws.stichtag)
        & z["alter"].between(18, 27)
        & z["status"].isin(["duldung", "gestattung"])
    ]["anzahl"].sum()
    assert read_glue(out)["zielgruppe"] == raw
