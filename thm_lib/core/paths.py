"""Where the workbench's own files are: the one place that knows the layout on disk.

The notebooks and the sample Kreis sit beside the package in the project folder
(an editable install, as the README sets it up); the defaults, page templates and
Voilà templates are package data.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
"""The ``thm_lib`` package folder."""

PROJECT = PACKAGE.parent
"""The project folder (holds ``notebooks/`` and ``data_samples/``)."""

NOTEBOOKS = PROJECT / "notebooks"
"""The report notebooks the batch runs for every Kommune."""

APP_NOTEBOOKS = NOTEBOOKS / "apps"
"""The notebooks ``thm app`` serves with Voilà."""

SAMPLE = PROJECT / "data_samples" / "musterkreis"
"""The sample Kreis (fictional), used when no Arbeitsmappe is given."""

REPORTS = PROJECT / "reports"
"""Generated output (reports, and the apps' bundles under ``reports/apps``)."""

APP_PAGES = PACKAGE / "apps" / "seiten"
"""German HTML pages of the app server (start, waiting, error)."""

APP_JUPYTER_DATA = PACKAGE / "apps" / "jupyter"
"""Jupyter data folder with the Voilà template of the apps."""

LEAFLET_URL = "voila/thm/leaflet"
"""URL path, below the app server's base URL, where ``thm app`` serves Leaflet to the
app maps (:class:`thm_lib.apps.voila_server.LeafletHandler`)."""

REPORT_TEMPLATES = PACKAGE / "publish" / "vorlagen"
"""jinja2 templates and the stylesheet of the HTML reports and the index page."""


INTERN = "intern"
"""Folder beside the published Kreis folders of a batch run for everything internal
(``<ausgabe>/intern/<kreis>/``): never handed over."""

PROTOKOLL = "protokoll.log"
"""Internal errors of a batch run with their traceback, in the Kreis's internal folder."""

PRUEFUNG = "pruefung.txt"
"""Findings of the last disclosure audit that failed, in the Kreis's internal folder."""
