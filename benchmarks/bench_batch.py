"""Benchmark of the papermill batch (issue 7). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py [--runs 3]

1. the floor: papermill on an empty notebook that only imports the same libraries;
2. each project notebook on one Kommune (median of ``--runs``), next to its own
   compute: the same cells run in an in-process IPython shell (imports warm,
   outputs formatted as the kernel would), so "floor + own compute" is the
   expected papermill time;
3. the whole sample-Kreis batch with ``--jobs 1`` and ``--jobs 2`` (wall time).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from thm_lib.run.batch import NOTEBOOK_DIR, NOTEBOOKS, execute, run_batch

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data_samples" / "musterkreis"
AGS = "05899016"
IMPORTS = (
    "import geopandas, folium, matplotlib.pyplot, pandas\n"
    "from thm_lib.analysis import coverage, staffing\n"
    "from thm_lib.publish import maps, views\n"
    "from thm_lib.run import notebook"
)


def _median_time(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor(tmp: Path, runs: int) -> float:
    """papermill on a notebook with a parameters cell and the imports only."""
    import papermill

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('arbeitsmappe = ""\nags = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(IMPORTS)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src = tmp / "leer.ipynb"
    nbformat.write(nb, src)
    return _median_time(
        lambda: papermill.execute_notebook(
            str(src),
            str(tmp / "leer_out.ipynb"),
            parameters={"ags": AGS},
            kernel_name="python3",
            progress_bar=False,
            shutdown_kernel="immediate",
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        ),
        runs,
    )


def own_compute(name: str, runs: int) -> float:
    """The notebook's cells in an in-process IPython shell (no kernel start, imports warm)."""
    from IPython.core.interactiveshell import InteractiveShell

    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    cells = [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
    ]
    params = (
        f"arbeitsmappe = {str(SAMPLE)!r}\nags = {AGS!r}\nstichtag = ''\n"
        "annahmen = {}\nhandlungsfeld = 'Sprache'\nkacheln = ''"
    )
    import matplotlib.pyplot as plt

    shell = InteractiveShell.instance()

    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            for src in (params, *cells):
                result = shell.run_cell(src)
                result.raise_error()
                for num in plt.get_fignums():  # the kernel's inline backend renders PNGs
                    plt.figure(num).savefig(io.BytesIO(), format="png")
                plt.close("all")

    run()  # warm-up: imports
    return _median_time(run, runs)


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = floor(tmp, args.runs)
        print(f"Boden (leeres Notebook mit denselben Importen): {base:.2f} s")
        print(
            "Notebook (eine Kommune)            papermill  eigene Rechnung  "
            "papermill / (Boden + Rechnung)"
        )
        for nb in NOTEBOOKS:
            t = _median_time(
                lambda nb=nb: execute(
                    nb, tmp / f"{nb}.ipynb", {"arbeitsmappe": str(SAMPLE), "ags": AGS}
                ),
                args.runs,
            )
            own = own_compute(nb, args.runs)
            print(f"  {nb:32s} {t:6.2f} s  {own:10.2f} s     {t / (base + own):.2f}")
        walls = {}
        for jobs in (1, 2):
            start = time.perf_counter()
            result = run_batch(SAMPLE, tmp / f"reports{jobs}", jobs=jobs, progress=False)
            walls[jobs] = time.perf_counter() - start
            ok = sum(r.ok for r in result.results)
            print(
                f"Stapellauf Musterkreis --jobs {jobs}: {walls[jobs]:.1f} s "
                f"({ok}/{len(result.results)} Berichte)"
            )
        print(f"Beschleunigung --jobs 2 gegenüber --jobs 1: {walls[1] / walls[2]:.2f} ×")


if __name__ == "__main__":
    main()
