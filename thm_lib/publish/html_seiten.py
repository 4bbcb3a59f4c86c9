"""HTML of the published pages from jinja2 templates (``thm_lib/publish/vorlagen/``).

One stylesheet (``vorlagen/thm.css``, inlined, nothing loaded from the
internet) for the report pages (nbconvert template ``vorlagen/bericht``, see
:func:`thm_lib.run.kommune.to_html`), the Kreis index (``vorlagen/index.html.j2``)
and the tables the notebooks show (``vorlagen/tabelle.html.j2``). Python
only prepares the values (German text, German numbers); the markup lives in
the templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd

from thm_lib.core import paths
from thm_lib.core.formats import zahl
from thm_lib.core.labels import spaltenname

VORLAGEN = paths.REPORT_TEMPLATES
"""Folder of the templates and the stylesheet (package data)."""
BERICHT_VORLAGE = "bericht"
"""Name of the nbconvert template of the report pages (a folder in :data:`VORLAGEN`)."""
_ZAHLTEXT = re.compile(r"^[<>≤≥]?[-−+]?[\d.,]*\d[\d.,]*( ?%| €)?$|^[.–-]$")


@cache
def umgebung() -> Any:
    """The jinja2 environment of :data:`VORLAGEN` (HTML autoescaped)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(VORLAGEN)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def stylesheet() -> str:
    """The stylesheet of every published page (screen and A4 print)."""
    return (VORLAGEN / "thm.css").read_text(encoding="utf-8")


def seite(vorlage: str, **kontext: Any) -> str:
    """Render the template ``vorlage`` with ``kontext`` and the stylesheet (``css``)."""
    return umgebung().get_template(vorlage).render(css=stylesheet(), **kontext)


@dataclass(frozen=True)
class Tabellenanzeige:
    """A table ready for display: the HTML of :data:`VORLAGEN`/``tabelle.html.j2``.

    Attributes
    ----------
    html : str
        The table (German headers and numbers).
    data : pandas.DataFrame
        The frame it shows (for code that needs the values).
    """

    html: str
    data: pd.DataFrame = field(repr=False)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Tabellenanzeige({self.data.shape[0]} Zeilen × {self.data.shape[1]} Spalten)"


def _ist_zahl(value: Any, text: str) -> bool:
    if isinstance(value, bool):
        return False
    if not isinstance(value, str):
        return True
    return bool(_ZAHLTEXT.match(text.strip()))


def _kopfzeilen(frame: pd.DataFrame, n_label: int) -> list[list[dict[str, Any]]]:
    """Header rows: one per column level; the row labels' names in the last row."""
    cols = frame.columns
    levels = cols.nlevels
    index_names = [spaltenname(n) for n in frame.index.names][:n_label]
    rows: list[list[dict[str, Any]]] = []
    for lev in range(levels):
        values = [c[lev] if levels > 1 else c for c in cols]
        if lev == levels - 1:
            row = [{"text": n, "colspan": 1} for n in index_names]
        else:
            name = spaltenname(cols.names[lev]) if cols.names[lev] is not None else ""
            row = [{"text": name if i == n_label - 1 else "", "colspan": 1} for i in range(n_label)]
        i = 0
        while i < len(values):  # consecutive equal upper labels share one cell
            j = i + 1
            if lev < levels - 1:
                while j < len(values) and values[j] == values[i] and cols[j][:lev] == cols[i][:lev]:
                    j += 1
            row.append({"text": spaltenname(values[i]), "colspan": j - i})
            i = j
        rows.append(row)
    return rows


def tabelle(
    frame: pd.DataFrame,
    zelle: Callable[[str, Any], str],
    *,
    titel: str | None = None,
    stil: Callable[[str, Any], str] | None = None,
    erklaerung: str = "",
) -> Tabellenanzeige:
    """A frame as an HTML table: row labels as ``<th>``, numbers right-aligned.

    A default index 0…n is never shown: the first column becomes the row label.
    Row labels of a MultiIndex are repeated on every row (no merged cells, so
    each printed row reads on its own).

    Parameters
    ----------
    frame : pandas.DataFrame
        Values to show; column and index names are German labels or codes of
        :func:`thm_lib.core.labels.spaltenname`.
    zelle : callable
        ``zelle(column, value) -> str``: the German text of a cell.
    titel : str, optional
        Caption.
    stil : callable, optional
        ``stil(column, value) -> str``: inline CSS of a cell ("" for none).
    erklaerung : str
        One German line below the table explaining its terms.

    Returns
    -------
    Tabellenanzeige
    """
    shown = frame
    if isinstance(shown.index, pd.RangeIndex) and shown.index.name is None and shown.shape[1]:
        shown = shown.set_index(shown.columns[0])
    n_label = shown.index.nlevels
    zeilen = []
    for idx, row in shown.iterrows():
        labels_ = idx if isinstance(idx, tuple) else (idx,)
        zellen = []
        for col, value in row.items():
            name = col[-1] if isinstance(col, tuple) else col
            text = zelle(name, value)
            zellen.append(
                {
                    "text": text,
                    "zahl": _ist_zahl(value, text),
                    "stil": stil(name, value) if stil else "",
                }
            )
        zeilen.append({"labels": ["" if x is None else str(x) for x in labels_], "zellen": zellen})
    kopf = _kopfzeilen(shown, n_label)
    for j, z in enumerate(kopf[-1][n_label:]):  # headers of number columns align with them
        z["zahl"] = bool(zeilen) and all(r["zellen"][j]["zahl"] for r in zeilen)
    html = (
        umgebung()
        .get_template("tabelle.html.j2")
        .render(
            titel=titel,
            kopf=kopf,
            zeilen=zeilen,
            erklaerung=erklaerung,
        )
    )
    return Tabellenanzeige(html, frame)


def pruefung_absatz(ergebnis: Any) -> str:
    """The audit's paragraph for the Kreis index (``vorlagen/pruefung.html.j2``).

    Parameters
    ----------
    ergebnis : thm_lib.disclosure.audit.AuditErgebnis
        The result of the whole-run audit; only its figures are shown.
    """
    return seite(
        "pruefung.html.j2",
        ok=ergebnis.ok,
        zellen=zahl(ergebnis.zellen),
        verborgen=zahl(ergebnis.verborgen),
        verborgen_anzahl=ergebnis.verborgen,
        engste=ergebnis.engste_text(),
    ).strip()
