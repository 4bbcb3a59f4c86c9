"""Privacy guard: scan produced files for case pseudonyms and unsuppressed small counts.

Used by the tests of every publishing component (maps, reports, apps, export)::

    from thm_lib.disclosure.privacy import assert_clean
    assert_clean([out_html, out_xlsx], ws.faelle["fall_id"])

What is checked (``docs/datenschutz.md``):

* **Pseudonyms** (``fall_id``) anywhere in the file: raw text, HTML-unescaped
  text, every string of a notebook or JSON document, every XML part of an
  xlsx (cells, shared strings, sheet names, comments, properties). A match
  must stand alone (not inside a longer word or number); case is ignored.
* **Small counts** (1 .. threshold-1 shown as a number). Every number is a
  suspect unless its column is declared not to count persons
  (:func:`thm_lib.disclosure.publication.zaehlt_personen`: rates, money, positions,
  time, and inventories of offers, places, Handlungsfelder, areas, by column
  header and table caption):

  - HTML: EVERY ``<table>`` (marked ``class="thm-published"`` or not, also
    inside an ``<iframe srcdoc=...>`` and in notebook outputs); every
    ``<td>`` whose text is a whole number is checked against its column
    header (``<th>`` are labels); ``data-thm-published="5"`` only supplies
    the threshold;
  - xlsx: every cell of every sheet but "Hinweise" from row 3 on (row 1 is
    the title, row 2 the headers, as written by :mod:`thm_lib.publish.excel`);
    cells in the ranges of the hidden defined names
    ``THM_VEROEFFENTLICHT_<n>`` always count persons (threshold in
    ``THM_SCHWELLE``);
  - JSON / notebook ``application/json`` outputs: any object under the key
    ``"thm_published"`` with ``"data"`` rows (and optionally
    ``"count_columns"``, ``"columns"``, ``"schwelle"``), as written by
    :meth:`thm_lib.disclosure.suppression.PublishedTable.to_dict`.

The parsers are the standard library's (``html.parser``, ``json``,
``zipfile``) plus openpyxl for defined names, so the guard has no
dependency a component might lack.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from thm_lib.disclosure.publication import zaehlt_personen
from thm_lib.disclosure.suppression import PUBLISHED_ATTR, PUBLISHED_KEY, default_threshold

PSEUDONYM = "pseudonym"
SMALL_COUNT = "kleine_zahl"
TEXT_SUFFIXES = {
    ".html",
    ".htm",
    ".json",
    ".ipynb",
    ".xlsx",
    ".xlsm",
    ".csv",
    ".txt",
    ".md",
    ".svg",
    ".js",
    ".geojson",
    ".xml",
}

_INT_TEXT = re.compile(r"^\s*(\d{1,3}(?:\.\d{3})+|\d+)\s*$")


@dataclass(frozen=True)
class Finding:
    """One problem found in a file.

    Attributes
    ----------
    path : Path
        The file.
    kind : str
        ``"pseudonym"`` or ``"kleine_zahl"``.
    where : str
        German description of the place (line, table/row/column, sheet!cell).
    value : str
        What was found (the pseudonym itself; masked in ``str()``).
    """

    path: Path
    kind: str
    where: str
    value: str = field(repr=False)  # keep pseudonyms out of test logs

    def __str__(self) -> str:
        if self.kind == PSEUDONYM:
            shown = self.value[:2] + "…" if len(self.value) > 2 else "…"
            return f"{self.path.name}: Fallkennung ({shown}) gefunden, {self.where}"
        return f"{self.path.name}: ungesperrte kleine Zahl {self.value}, {self.where}"


def _pattern(pseudonyms: Iterable[Any]) -> re.Pattern[str] | None:
    ids = sorted(
        {str(p).strip() for p in pseudonyms if p is not None and str(p).strip()},
        key=len,
        reverse=True,
    )
    if not ids:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(i) for i in ids) + r")(?!\w)", re.IGNORECASE
    )


def _small(value: Any, threshold: int) -> bool:
    """True if ``value`` shows a count 1..threshold-1 as a number."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return float(value).is_integer() and 1 <= value < threshold
    if isinstance(value, str):
        m = _INT_TEXT.match(value)
        return bool(m) and 1 <= int(m.group(1).replace(".", "")) < threshold
    return False


def _pseudonyms_in(
    text: str, pattern: re.Pattern[str] | None, where: str
) -> Iterator[tuple[str, str, str]]:
    if pattern is None:
        return
    for m in pattern.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        yield PSEUDONYM, f"{where}Zeile {line}", m.group(0)


# --- HTML -------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Collects small whole numbers in person-count columns of EVERY table (and srcdoc).

    Every ``<td>`` whose text is a whole number 1 .. threshold-1 is a finding
    unless its column is declared not to count persons
    (:func:`thm_lib.disclosure.publication.zaehlt_personen` on the column header and the
    table caption). Whether the code marked the table as published does not
    matter; the marking only supplies the threshold.
    """

    def __init__(self, threshold: int | None, where: str):
        super().__init__(convert_charrefs=True)
        self.threshold = threshold
        self.where = where
        self.found: list[tuple[str, str, str]] = []
        self.stack: list[dict[str, Any]] = []  # open tables
        self.n_tables = 0
        self.cell: list[str] | None = None
        self.cell_tag = ""
        self.cell_span = 1
        self.srcdocs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("srcdoc"):
            self.srcdocs.append(a["srcdoc"] or "")
        if tag == "table":
            self.n_tables += 1
            t = self.threshold
            if t is None:
                mark = a.get(PUBLISHED_ATTR) or ""
                t = int(mark) if mark.isdigit() else default_threshold()
            self.stack.append(
                {
                    "n": self.n_tables,
                    "row": 0,
                    "col": 0,
                    "t": t,
                    "headers": {},
                    "caption": [],
                    "in_caption": False,
                    "row_has_td": False,
                    "head_rows": [],
                }
            )
        elif tag == "caption" and self.stack:
            self.stack[-1]["in_caption"] = True
        elif tag == "tr" and self.stack:
            top = self.stack[-1]
            top["row"] += 1
            top["col"] = 0
            top["row_has_td"] = False
            top["current"] = []
        elif tag in ("td", "th") and self.stack:
            top = self.stack[-1]
            span = a.get("colspan") or "1"
            self.cell_span = int(span) if span.isdigit() else 1
            top["col"] += 1
            self.cell = []
            self.cell_tag = tag
            if tag == "td":
                top["row_has_td"] = True

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.stack and self.stack[-1]["in_caption"]:
            self.stack[-1]["caption"].append(data)

    def _header(self, top: dict[str, Any], col: int) -> str:
        return " ".join(top["headers"].get(col, []))

    def handle_endtag(self, tag: str) -> None:

        if tag == "caption" and self.stack:
            self.stack[-1]["in_caption"] = False
        elif tag in ("td", "th") and self.cell is not None and self.stack:
            top = self.stack[-1]
            text = "".join(self.cell).strip()
            top.setdefault("current", []).append((self.cell_tag, text, self.cell_span))
            col = top["col"]
            if self.cell_span > 1:
                top["col"] += self.cell_span - 1
            if tag == "td" and _small(text, top["t"]):
                header = self._header(top, col)
                if zaehlt_personen(header, "".join(top["caption"])):
                    self.found.append(
                        (
                            SMALL_COUNT,
                            f"{self.where}Tabelle {top['n']}, Zeile "
                            f"{top['row']}, Spalte {col} ({header or 'ohne Kopf'})",
                            text,
                        )
                    )
            self.cell = None
        elif tag == "tr" and self.stack:
            top = self.stack[-1]
            cells = top.get("current", [])
            if cells and all(kind == "th" for kind, _, _ in cells):
                col = 0
                for _, text, span in cells:
                    for k in range(span):
                        if text:
                            top["headers"].setdefault(col + k + 1, []).append(text)
                    col += span
        elif tag == "table" and self.stack:
            self.stack.pop()


def _scan_html_text(
    text: str, pattern: re.Pattern[str] | None, threshold: int | None, where: str = ""
) -> list[tuple[str, str, str]]:
    found = list(_pseudonyms_in(text, pattern, where))
    unescaped = html.unescape(text)
    if unescaped != text:
        seen = {v for _, _, v in found}
        found += [
            f
            for f in _pseudonyms_in(unescaped, pattern, where + "entschlüsselt, ")
            if f[2] not in seen
        ]
    parser = _TableParser(threshold, where)
    parser.feed(text)
    parser.close()
    found += parser.found
    for k, doc in enumerate(parser.srcdocs, start=1):
        inner = _TableParser(threshold, f"{where}eingebettetes Dokument {k}, ")
        inner.feed(doc)
        inner.close()
        found += inner.found
    return found


# --- JSON / notebooks ---------------------------------------------------------


def _walk_strings(obj: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield path, str(k)
            yield from _walk_strings(v, f"{path}/{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_strings(v, f"{path}/{i}")


def _published_json(obj: Any, threshold: int | None, where: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == PUBLISHED_KEY and isinstance(v, dict) and isinstance(v.get("data"), list):
                t = threshold or int(v.get("schwelle") or default_threshold())
                columns = list(v.get("columns") or [])
                counts = v.get("count_columns")
                check = (
                    None if counts is None else {columns.index(c) for c in counts if c in columns}
                )
                for r, row in enumerate(v["data"], start=1):
                    cells = row if isinstance(row, list) else [row]
                    for j, cell in enumerate(cells):
                        if (check is None or j in check) and _small(cell, t):
                            col = columns[j] if j < len(columns) else j + 1
                            yield (
                                SMALL_COUNT,
                                f"{where}JSON {PUBLISHED_KEY}, Zeile {r}, Spalte {col}",
                                str(cell),
                            )
            else:
                yield from _published_json(v, threshold, where)
    elif isinstance(obj, list):
        for v in obj:
            yield from _published_json(v, threshold, where)


def _scan_json_obj(
    obj: Any, pattern: re.Pattern[str] | None, threshold: int | None, where: str = ""
) -> list[tuple[str, str, str]]:
    found = []
    if pattern is not None:
        for p, s in _walk_strings(obj):
            for m in pattern.finditer(s):
                found.append((PSEUDONYM, f"{where}JSON-Pfad {p or '/'}", m.group(0)))
    found += list(_published_json(obj, threshold, where))
    return found


def _scan_notebook(
    nb: dict[str, Any], pattern: re.Pattern[str] | None, threshold: int | None
) -> list[tuple[str, str, str]]:
    found = []
    cells = nb.get("cells", [])
    for n, cell in enumerate(cells, start=1):
        where = f"Zelle {n}, "
        found += _scan_json_obj(cell, pattern, threshold, where)
        for out in cell.get("outputs", []) or []:
            data = out.get("data", {}) or {}
            if "text/html" in data:
                body = data["text/html"]
                body = "".join(body) if isinstance(body, list) else str(body)
                found += [
                    f
                    for f in _scan_html_text(body, None, threshold, where + "HTML, ")
                    if f[0] == SMALL_COUNT
                ]
    rest = {k: v for k, v in nb.items() if k != "cells"}
    found += _scan_json_obj(rest, pattern, threshold, "Metadaten, ")
    return found


# --- xlsx ------------------------------------------------------------------------


def _scan_xlsx(
    path: Path, pattern: re.Pattern[str] | None, threshold: int | None
) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels", ".vml")):
                text = html.unescape(z.read(name).decode("utf-8", errors="replace"))
                found += [
                    (k, f"Teil {name}, {w}", v) for k, w, v in _pseudonyms_in(text, pattern, "")
                ]
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    try:
        names = dict(wb.defined_names.items())
        t = threshold
        if t is None:
            mark = names.get("THM_SCHWELLE")
            text = (mark.attr_text or "") if mark is not None else ""
            t = int(text) if text.strip().isdigit() else default_threshold()
        marked: set[tuple[str, str]] = set()
        for key, dn in names.items():
            if not key.startswith("THM_VEROEFFENTLICHT_"):
                continue
            for sheet, ref in dn.destinations:
                if sheet not in wb.sheetnames:
                    continue
                rng = wb[sheet][ref.replace("$", "")]
                if not isinstance(rng, tuple):
                    rng = ((rng,),)
                for row in rng:
                    for cell in row if isinstance(row, tuple) else (row,):
                        marked.add((sheet, cell.coordinate))

        for sheet in wb.worksheets:
            if sheet.title == "Hinweise":
                continue
            caption = str(sheet.cell(1, 1).value or "")
            for row in sheet.iter_rows(min_row=3):
                for cell in row:
                    if "%" in (cell.number_format or "") or not _small(cell.value, t):
                        continue
                    header = str(sheet.cell(2, cell.column).value or "")
                    if (sheet.title, cell.coordinate) in marked or zaehlt_personen(header, caption):
                        found.append(
                            (
                                SMALL_COUNT,
                                f"Blatt '{sheet.title}'!{cell.coordinate} "
                                f"({header or 'ohne Kopf'})",
                                str(cell.value),
                            )
                        )
    finally:
        wb.close()
    return found


# --- public API --------------------------------------------------------------------


def scan_file(
    path: str | Path, pseudonyms: Iterable[Any], *, threshold: int | None = None
) -> list[Finding]:
    """Scan one produced file for pseudonyms and unsuppressed small counts.

    Parameters
    ----------
    path : str or Path
        An HTML, xlsx, ipynb or JSON file (other text files: pseudonyms only).
    pseudonyms : iterable
        The case pseudonyms (``faelle["fall_id"]``).
    threshold : int, optional
        Counts 1..threshold-1 must not appear as numbers in published tables.
        Default: the threshold recorded in the marking, else
        ``annahmen.datenschutz.schwelle``.

    Returns
    -------
    list of Finding
        Empty when the file is clean.
    """
    path = Path(path)
    pattern = _pattern(pseudonyms)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _scan_xlsx(path, pattern, threshold)
    else:
        text = path.read_bytes().decode("utf-8", errors="replace")
        if suffix in (".html", ".htm"):
            raw = _scan_html_text(text, pattern, threshold)
        elif suffix in (".ipynb", ".json", ".geojson"):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError:
                obj = None
            if obj is None:  # not JSON after all: search the text
                raw = list(_pseudonyms_in(text, pattern, ""))
            elif isinstance(obj, dict) and suffix == ".ipynb":
                raw = _scan_notebook(obj, pattern, threshold)
            else:
                raw = _scan_json_obj(obj, pattern, threshold)
        else:
            raw = list(_pseudonyms_in(text, pattern, ""))
    out, seen = [], set()
    for kind, where, value in raw:
        if (kind, where, value) not in seen:
            seen.add((kind, where, value))
            out.append(Finding(path, kind, where, value))
    return out


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES
            )
        else:
            yield p


def scan_paths(
    paths: Iterable[str | Path], pseudonyms: Iterable[Any], *, threshold: int | None = None
) -> list[Finding]:
    """:func:`scan_file` over files and (recursively) folders."""
    ids = list(pseudonyms)
    out: list[Finding] = []
    for f in _files(paths):
        out += scan_file(f, ids, threshold=threshold)
    return out


def assert_clean(
    paths: str | Path | Iterable[str | Path],
    pseudonyms: Iterable[Any],
    *,
    threshold: int | None = None,
) -> None:
    """Raise ``AssertionError`` listing every finding (pseudonyms masked) in ``paths``.

    Parameters
    ----------
    paths : path or iterable of paths
        Files, or folders scanned recursively.
    pseudonyms : iterable
        The case pseudonyms.
    threshold : int, optional
        See :func:`scan_file`.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise AssertionError(f"Datei nicht gefunden: {', '.join(missing)}")
    files = list(_files(paths))
    if not files:
        raise AssertionError("Keine Dateien zum Prüfen gefunden")
    findings = scan_paths(files, pseudonyms, threshold=threshold)
    if findings:
        lines = [str(f) for f in findings[:30]]
        more = f"\n… und {len(findings) - 30} weitere" if len(findings) > 30 else ""
        raise AssertionError("Datenschutzprüfung fehlgeschlagen:\n" + "\n".join(lines) + more)
