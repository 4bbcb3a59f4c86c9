"""Excel workbook for the Bündniskerngruppe (aggregates only, written atomically).

Every sheet is a :class:`~thm_lib.disclosure.suppression.PublishedTable` (small-cell
suppression applied) or a DataFrame explicitly declared aggregate/public with
:func:`~thm_lib.disclosure.suppression.mark_public` (e.g. staffing in VZÄ, funding in EUR).
Anything else is refused. Later analyses (coverage, staffing, funding) add
sheets through the same :func:`write_buendnis_workbook`.

Layout of a table sheet: row 1 the title, row 2 the German headers, data from
row 3; rows 1-2 (and the label column(s)) are frozen. Counts use the number
format ``#,##0``, shares ``0.0%``, other decimals ``#,##0.0``; hidden cells
hold the text ``"<5"`` or ``"."``, right-aligned. A sheet "Hinweise" holds
the Stichtag, the data sources, the definitions and the suppression rule.

Marking for the privacy guard (``docs/datenschutz.md``): for every published
table the workbook carries a hidden defined name ``THM_VEROEFFENTLICHT_<n>``
whose ranges are the count cells of that sheet, and ``THM_SCHWELLE`` holds the
threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from thm_lib.core.atomic import atomic_save_workbook
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.suppression import (
    ATTR_INTERNAL,
    ATTR_PUBLIC,
    PublishedTable,
    default_symbol,
    default_threshold,
)

HINWEISE = "Hinweise"
"""Name of the notes sheet."""
MARK_PREFIX = "THM_VEROEFFENTLICHT_"
"""Prefix of the hidden defined names that mark the count cells of published sheets."""
MARK_THRESHOLD = "THM_SCHWELLE"
"""Hidden defined name holding the suppression threshold."""
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3

FORMAT_COUNT = "#,##0"
FORMAT_SHARE = "0.0%"
FORMAT_DECIMAL = "#,##0.0"
MAX_WIDTH = 60

INDEX_LABELS: dict[str, str] = {
    "ags": "AGS",
    "handlungsfeld": "Handlungsfeld",
    "abschlussgrund": "Abschlussgrund",
    "status": "Status",
    "altersgruppe": "Altersgruppe",
    "geschlecht": "Geschlecht",
    "jahr": "Jahr",
}
"""German headers of common index names."""

_BAD_SHEET_CHARS = set("[]:*?/\\")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
_TITLE_FONT = Font(bold=True, size=12)


def suppression_rule_text(threshold: int, symbol: str) -> str:
    """German description of the suppression rule for the "Hinweise" sheet."""
    return (
        f"Fallzahlen von 1 bis {threshold - 1} werden als „<{threshold}“ gezeigt, eine "
        "Null bleibt 0 (außer selten in der Zielgruppe eines späteren Stichtags, wenn "
        "sonst eine frühere kleine Zahl aus der Differenz folgte). Damit kein gesperrter "
        "Wert aus Zeilen- oder Spaltensummen "
        "zurückgerechnet werden kann, werden weitere Zellen oder die Summe gesperrt "
        f"und mit „{symbol}“ gekennzeichnet (sekundäre Sperrung). Anteile, die auf "
        "gesperrten Zahlen beruhen, sind ebenfalls gesperrt. Ausgewertet werden nur "
        "Fälle mit Einwilligung in den Datenaustausch; Fallkennungen (Pseudonyme) "
        "erscheinen nirgends."
    )


def _check_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or set(name) & _BAD_SHEET_CHARS or name == HINWEISE:
        raise ValueError(
            f"Ungültiger Blattname {name!r}: höchstens 31 Zeichen, keine "
            f"Zeichen []:*?/\\ und nicht „{HINWEISE}“"
        )


def _accept(name: str, table: Any) -> tuple[pd.DataFrame, PublishedTable | None]:
    """Return the frame to write; refuse anything not published or declared public."""
    if isinstance(table, PublishedTable):
        return table.published, table
    if isinstance(table, pd.DataFrame):
        if table.attrs.get(ATTR_INTERNAL):
            raise ValueError(
                f"Tabelle „{name}“ enthält interne, ungesperrte Zahlen und darf "
                "nicht exportiert werden."
            )
        if table.attrs.get(ATTR_PUBLIC):
            return table, None
    raise ValueError(
        f"Tabelle „{name}“ ist nicht zur Veröffentlichung freigegeben: bitte "
        "über thm_lib.disclosure.suppression.suppress() geben oder, wenn sie keine "
        "Personenzahlen enthält, mit mark_public() kennzeichnen."
    )


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _cell_value(value: Any) -> Any:
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def _write_table(
    ws: Workspace,
    frame: pd.DataFrame,
    pub: PublishedTable | None,
    labels: Mapping[str, str],
    titel: str,
) -> list[str]:
    """Write one table; return the A1 ranges of its count cells."""
    write_index = not isinstance(frame.index, pd.RangeIndex)
    index_names = [n or "" for n in frame.index.names] if write_index else []
    header = [INDEX_LABELS.get(str(n), labels.get(str(n), str(n))) for n in index_names]
    col_labels = dict(labels)
    if pub is not None:
        col_labels.update(pub.column_labels)
    header += [col_labels.get(str(c), str(c)) for c in frame.columns]
    n_idx = len(index_names)
    ws.cell(TITLE_ROW, 1, titel).font = _TITLE_FONT
    for j, text in enumerate(header, start=1):
        cell = ws.cell(HEADER_ROW, j, text)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    counts = set(pub.count_cols) if pub is not None else set()
    shares = set(pub.share_cols) if pub is not None else set(frame.attrs.get("thm_anteile", ()))
    widths = [len(str(h)) for h in header]
    for i, (idx, row) in enumerate(zip(frame.index, frame.itertuples(index=False), strict=True)):
        r = FIRST_DATA_ROW + i
        labels_row = idx if isinstance(idx, tuple) else (idx,)
        values = (list(labels_row) if write_index else []) + list(row)
        for j, value in enumerate(values, start=1):
            cell = ws.cell(r, j, _cell_value(value))
            column = None if j <= n_idx else frame.columns[j - 1 - n_idx]
            if isinstance(cell.value, str):
                if column is not None and (column in counts or column in shares):
                    cell.alignment = Alignment(horizontal="right")
                shown = cell.value
            elif isinstance(cell.value, bool) or cell.value is None:
                shown = "" if cell.value is None else str(cell.value)
            elif column in shares:
                cell.number_format = FORMAT_SHARE
                shown = f"{cell.value:.1%}"
            elif isinstance(cell.value, int) or column in counts:
                cell.number_format = FORMAT_COUNT
                shown = f"{cell.value:,.0f}"
            elif isinstance(cell.value, float):
                cell.number_format = FORMAT_DECIMAL
                shown = f"{cell.value:,.1f}"
            else:
                shown = str(cell.value)
            widths[j - 1] = max(widths[j - 1], len(shown))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, w + 2)
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, n_idx + 1 if n_idx else 1)
    last = FIRST_DATA_ROW + len(frame) - 1
    ranges = []
    if pub is not None and len(frame):
        for c in pub.count_cols:
            letter = get_column_letter(n_idx + 1 + list(frame.columns).index(c))
            ranges.append(
                f"{quote_sheetname(ws.title)}!${letter}${FIRST_DATA_ROW}:${letter}${last}"
            )
    return ranges


def _write_hinweise(
    ws: Workspace,
    *,
    titel: str,
    stichtag: pd.Timestamp,
    erstellt: pd.Timestamp,
    quellen: Sequence[str],
    rule: str,
    tables: list[tuple[str, str]],
    definitionen: Mapping[str, str],
    hinweise: Sequence[str],
) -> None:
    ws.cell(1, 1, titel).font = _TITLE_FONT
    rows: list[tuple[str, str]] = [
        ("Stichtag", f"{stichtag:%d.%m.%Y}"),
        ("Erstellt am", f"{erstellt:%d.%m.%Y}"),
    ]
    rows += [("Datenquelle" if n == 0 else "", q) for n, q in enumerate(quellen)]
    rows.append(("Datenschutz", rule))
    rows += [("Tabellen" if n == 0 else "", f"{name}: {t}") for n, (name, t) in enumerate(tables)]
    rows += [(f"Definition: {k}", v) for k, v in definitionen.items()]
    rows += [("Hinweis" if n == 0 else "", h) for n, h in enumerate(hinweise)]
    for i, (key, text) in enumerate(rows, start=3):
        ws.cell(i, 1, key).font = _HEADER_FONT
        ws.cell(i, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = max(14, max(len(k) for k, _ in rows) + 2)
    ws.column_dimensions["B"].width = 100


def write_buendnis_workbook(
    path: str | Path,
    sheets: Mapping[str, PublishedTable | pd.DataFrame],
    *,
    stichtag: Any,
    quellen: Sequence[str],
    schwelle: int | None = None,
    hinweise: Sequence[str] | Mapping[str, str] | None = None,
    definitionen: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    titel: str = "THM-Werkbank: Auswertung für die Bündniskerngruppe",
    erstellt: Any = None,
    zeichen: str | None = None,
) -> Path:
    """Write the Excel workbook for the Bündniskerngruppe, atomically.

    Parameters
    ----------
    path : str or Path
        Target ``.xlsx``; written to a temporary file in the same folder, then
        moved into place (a failed run leaves the old file untouched).
    sheets : mapping of sheet name -> PublishedTable or DataFrame
        In this order. DataFrames must be declared public with
        :func:`~thm_lib.disclosure.suppression.mark_public`; internal frames are refused.
    stichtag : date-like
        Reference date shown on "Hinweise".
    quellen : sequence of str
        Data sources (e.g. "Ausländerbehörde Kreis X, Stand 31.12.2025").
    schwelle : int, optional
        Suppression threshold named in the rule; default: the threshold of the
        published tables (they must agree), else ``annahmen.datenschutz.schwelle``.
    hinweise : sequence of str, or mapping, optional
        Further notes (a mapping adds "key: text" lines).
    definitionen : mapping, optional
        Term -> German definition (e.g. :data:`thm_lib.analysis.berichtswesen.DEFINITIONS`).
    labels : mapping, optional
        Column -> German header for DataFrames and index names.
    titel : str
        Title on the "Hinweise" sheet.
    erstellt : date-like, optional
        Creation date (default today).
    zeichen : str, optional
        Mark of hidden cells named in the rule (``annahmen.datenschutz.
        zeichen_geheim`` of the Workspace); default: the marks of the
        published tables, else the standard setting.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        For a table that is not published/public, a bad sheet name, or
        thresholds that disagree.
    """
    if not sheets:
        raise ValueError("Keine Tabellen für die Arbeitsmappe angegeben")
    accepted = []
    for name, table in sheets.items():
        _check_sheet_name(name)
        accepted.append((name, *_accept(name, table)))
    thresholds = {p.threshold for _, _, p in accepted if p is not None}
    if schwelle is not None:
        thresholds.add(int(schwelle))
    if len(thresholds) > 1:
        raise ValueError(
            f"Tabellen mit verschiedenen Schwellen {sorted(thresholds)}: "
            "bitte alle mit derselben Schwelle sperren"
        )
    t = thresholds.pop() if thresholds else default_threshold()
    symbols = {p.symbol for _, _, p in accepted if p is not None}
    if zeichen is not None:
        symbols.add(str(zeichen))
    symbol = ", ".join(sorted(symbols)) if symbols else default_symbol()
    notes: list[str] = (
        [f"{k}: {v}" for k, v in hinweise.items()]
        if isinstance(hinweise, Mapping)
        else list(hinweise or [])
    )
    for name, _, pub in accepted:
        if pub is not None and pub.unresolved:
            notes.append(
                f"{name}: in {', '.join(pub.unresolved)} sind alle Zahlen gesperrt, "
                "lassen sich aber über ihre Spannen eingrenzen; vor der Weitergabe "
                "bitte prüfen, ob die Tabelle gröber gefasst werden kann."
            )

    wb = Workbook()
    wb.remove(wb.active)
    tables = []
    for n, (name, frame, pub) in enumerate(accepted, start=1):
        ws = wb.create_sheet(name)
        sheet_title = (
            (pub.titel if pub is not None else None) or frame.attrs.get("thm_titel") or name
        )
        ranges = _write_table(ws, frame, pub, dict(labels or {}), sheet_title)
        tables.append((name, sheet_title))
        if ranges:
            wb.defined_names[f"{MARK_PREFIX}{n}"] = DefinedName(
                f"{MARK_PREFIX}{n}", attr_text=",".join(ranges), hidden=True
            )
    wb.defined_names[MARK_THRESHOLD] = DefinedName(MARK_THRESHOLD, attr_text=str(t), hidden=True)
    ws = wb.create_sheet(HINWEISE)
    _write_hinweise(
        ws,
        titel=titel,
        stichtag=pd.Timestamp(stichtag),
        erstellt=pd.Timestamp.now() if erstellt is None else pd.Timestamp(erstellt),
        quellen=list(quellen),
        rule=suppression_rule_text(t, symbol),
        tables=tables,
        definitionen=dict(definitionen or {}),
        hinweise=notes,
    )
    return atomic_save_workbook(wb, path)
