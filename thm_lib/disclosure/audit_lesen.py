"""Read back the published outputs of a batch run as plain tables (for the audit).

Everything a reader of ``reports/<kreis>/`` sees is turned into
:class:`Tabelle` objects: HTML tables (reports and index), the sheets of
``bericht.xlsx`` and the Gemeinde layer of every map (``karte.html`` and maps
embedded as ``<iframe srcdoc>`` in a report). A table keeps what the reader
sees: file, title (caption, sheet title or the nearest heading above it),
column labels, row labels and the cell texts. No knowledge of the project's
tables is used here; :mod:`thm_lib.disclosure.audit` gives the cells their meaning.

Parsing is read-only; nothing in the folder is changed.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from thm_lib.core import paths

_STRIP = re.compile(r"<(style|script)\b[^>]*>.*?</\1>", re.S | re.I)
_SRCDOC = re.compile(r'srcdoc="([^"]*)"', re.S)
_GEOJSON_ADD = re.compile(r"geo_json_[0-9a-f]+_add\(\s*(?=\{)")
_ALIASES = re.compile(r"aliases\s*=\s*(\[[^\]]*\])")
_FIELDS = re.compile(r"fields\s*=\s*(\[[^\]]*\])")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


SYSTEMDATEIEN = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", ".ds_store"})
"""Files that are no report but not a finding either: what a file browser (Windows
Explorer, macOS Finder) writes into a folder it shows (lower case)."""

_APPLEDOUBLE = b"\x00\x05\x16\x07"
"""First bytes of the ``._name`` files macOS writes beside each file on a shared drive."""


def systemdatei(path: Path) -> bool:
    """True for a file a file browser wrote (:data:`SYSTEMDATEIEN`, macOS ``._`` files)."""
    if path.name.lower() in SYSTEMDATEIEN:
        return True
    if not path.name.startswith("._"):
        return False
    with path.open("rb") as datei:
        return datei.read(4) == _APPLEDOUBLE


@dataclass
class Tabelle:
    """One table as a reader sees it.

    Attributes
    ----------
    datei : str
        Path relative to the audited folder (``05899008/zielgruppe.html``).
    titel : str
        Caption, sheet title or nearest heading above the table.
    kopf : list of str
        Column labels of every column, label columns included.
    zeilen : list of list
        Cell contents per row (text from HTML, values from Excel), label
        columns included.
    n_label : int
        Number of leading label columns (row headings).
    art : str
        ``html``, ``xlsx`` or ``karte``.
    nr : int
        Position of the table in its file (1-based), for messages.
    """

    datei: str
    titel: str
    kopf: list[str]
    zeilen: list[list[Any]]
    n_label: int
    art: str
    nr: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def spalte(self, label: str) -> int | None:
        """Position of the column labelled ``label`` (exact match), or None."""
        try:
            return self.kopf.index(label)
        except ValueError:
            return None

    def zeilenlabel(self, i: int) -> str:
        """The row's label as shown (label columns joined by ' / ')."""
        n = max(self.n_label, 1)
        return " / ".join(str(x) for x in self.zeilen[i][:n] if x not in (None, ""))


@dataclass
class Lesung:
    """Everything read from a published folder."""

    tabellen: list[Tabelle]
    dateien: list[str]
    notebooks: list[str]
    unlesbar: list[str]
    fremd: list[str] = field(default_factory=list)
    """Files that are no report (not HTML or Excel): no run writes them, none is checked."""


@dataclass
class Vorlesung:
    """One published file read ahead where it was written (a batch worker).

    The audit takes it instead of reading the file again only while the file
    still has the checksum it was read with.

    Attributes
    ----------
    pruefsumme : str
        SHA-256 of the file's bytes when it was read (:func:`datei_pruefsumme`).
    tabellen : list of Tabelle
        Its tables (:func:`lese_datei`).
    unlesbar : str or None
        Why it could not be read.
    pseudonyme : list of str
        German findings of case pseudonyms in it (the privacy guard).
    """

    pruefsumme: str
    tabellen: list[Tabelle]
    unlesbar: str | None = None
    pseudonyme: list[str] = field(default_factory=list)


def datei_pruefsumme(path: Path) -> str:
    """SHA-256 of the bytes of ``path``."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _text(cell: Tag) -> str:
    return cell.get_text(" ", strip=True)


def _expand_header(rows: list[Tag]) -> list[list[str]]:
    """Header rows with colspans expanded."""
    out = []
    for tr in rows:
        line: list[str] = []
        for c in tr.find_all(["th", "td"], recursive=False):
            span = int(c.get("colspan", 1) or 1)
            line.extend([_text(c)] * span)
        out.append(line)
    return out


def _body(rows: list[Tag]) -> tuple[list[list[str]], int]:
    """Body rows as text with rowspans of row headings filled in; number of label columns."""
    out: list[list[str]] = []
    carry: dict[int, tuple[str, int]] = {}  # column -> (text, rows left)
    n_label = 0
    for tr in rows:
        cells = tr.find_all(["th", "td"], recursive=False)
        line: list[str] = []
        pos = 0
        queue = list(cells)
        labels = 0
        while queue or pos in carry:
            if pos in carry:
                text, left = carry[pos]
                line.append(text)
                labels += 1
                if left <= 1:
                    del carry[pos]
                else:
                    carry[pos] = (text, left - 1)
                pos += 1
                continue
            c = queue.pop(0)
            text = _text(c)
            if c.name == "th":
                labels += 1
                span = int(c.get("rowspan", 1) or 1)
                if span > 1:
                    carry[pos] = (text, span - 1)
            line.append(text)
            pos += 1
        n_label = max(n_label, labels)
        out.append(line)
    return out, n_label


def _title_of(table: Tag) -> str:
    if table.caption is not None:
        return _text(table.caption)
    prev = table.find_previous(_HEADINGS)
    return _text(prev).rstrip(" ¶").strip() if prev is not None else ""


def html_tabellen(text: str, datei: str) -> list[Tabelle]:
    """Tables of an HTML document (scripts and styles ignored)."""
    soup = BeautifulSoup(_STRIP.sub("", text), "html.parser")
    out = []
    for nr, table in enumerate(soup.find_all("table"), start=1):
        head = table.find("thead")
        if head is not None:
            head_rows = head.find_all("tr")
            body_rows = [tr for tr in table.find_all("tr") if tr.find_parent("thead") is None]
        else:
            rows = table.find_all("tr")
            head_rows, body_rows = rows[:1], rows[1:]
        header = _expand_header(head_rows)
        body, n_label = _body(body_rows)
        width = max([len(r) for r in body] + [len(h) for h in header] + [0])
        kopf = []
        for j in range(width):
            parts = [h[j] for h in header if j < len(h) and h[j]]
            if j < n_label:
                kopf.append(parts[-1] if parts else "")
            else:
                kopf.append(" ".join(dict.fromkeys(parts)))
        if n_label == 0 and body:
            n_label = 0
        out.append(
            Tabelle(
                datei,
                _title_of(table),
                kopf,
                body,
                n_label,
                "html",
                nr,
                {"published": PUBLISHED_CLASS in (table.get("class") or [])},
            )
        )
    return out


PUBLISHED_CLASS = "thm-published"


def karten_tabellen(text: str, datei: str) -> list[Tabelle]:
    """The Gemeinde layer(s) of a folium map: one row per Gemeinde with its tooltip value."""
    aliases = [json.loads(a) for a in _ALIASES.findall(text)]
    fields = [json.loads(f) for f in _FIELDS.findall(text)]
    out = []
    decoder = json.JSONDecoder()
    for n, m in enumerate(_GEOJSON_ADD.finditer(text)):
        try:
            data, _ = decoder.raw_decode(text, m.end())
        except json.JSONDecodeError:
            continue
        feats = data.get("features", []) if isinstance(data, dict) else []
        props = [f.get("properties", {}) for f in feats]
        if not props or "anzeige" not in props[0]:
            continue
        label = "Wert"
        for fl, al in zip(fields, aliases, strict=False):
            if "anzeige" in fl and len(al) == len(fl):
                label = al[fl.index("anzeige")]
        zeilen = [
            [
                p.get("ags", ""),
                html.unescape(str(p.get("name", ""))),
                html.unescape(str(p.get("anzeige", ""))),
            ]
            for p in props
        ]
        out.append(
            Tabelle(datei, f"Karte: {label}", ["AGS", "Gemeinde", label], zeilen, 2, "karte", n + 1)
        )
    return out


def _xlsx_n_label(kopf: list[str], rows: list[list[Any]], marks: tuple[str, ...]) -> int:
    n = 0
    for j in range(len(kopf)):
        values = [r[j] for r in rows if j < len(r) and r[j] is not None]
        if values and all(
            isinstance(v, str) and v.strip() not in marks and not v.strip().startswith("<")
            for v in values
        ):
            n += 1
        else:
            break
    return n


def xlsx_tabellen(path: Path, datei: str, marks: tuple[str, ...] = (".",)) -> list[Tabelle]:
    """The sheets of a Bündnis workbook: row 1 title, row 2 headers, data from row 3."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    out = []
    try:
        for nr, ws in enumerate(wb.worksheets, start=1):
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            if ws.title == "Hinweise" or len(rows) < 3:
                continue
            titel = str(rows[0][0] or ws.title)
            kopf = ["" if c is None else str(c) for c in rows[1]]
            body = [r for r in rows[2:] if any(v is not None for v in r)]
            n_label = _xlsx_n_label(kopf, body, marks)
            out.append(Tabelle(datei, titel, kopf, body, n_label, "xlsx", nr, {"blatt": ws.title}))
    finally:
        wb.close()
    return out


INTERN = (paths.INTERN,)
"""Top-level folders of a run that are not handed out (issue 13, point 5)."""


def veroeffentlichte_dateien(
    ordner: str | Path, ohne: tuple[str, ...] = INTERN
) -> Iterator[tuple[Path, str]]:
    """Every file a reader of ``ordner`` gets: ``(path, name relative to ordner)``.

    Hidden ones too (a web server serves them); the top-level folders ``ohne``
    (internal material) are skipped.
    """
    root = Path(ordner)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not (len(rel.parts) > 1 and rel.parts[0] in ohne):
            yield path, rel.as_posix()


def lese_datei(path: Path, name: str, symbol: str = ".") -> tuple[list[Tabelle], str | None]:
    """The tables of one published HTML or Excel file, or why it cannot be read.

    ``name`` is the file's path relative to the audited folder (for messages).
    """
    tabellen: list[Tabelle] = []
    try:
        if path.suffix.lower() == ".xlsx":
            return xlsx_tabellen(path, name, (symbol,)), None
        text = path.read_text(encoding="utf-8", errors="replace")
        outer = _SRCDOC.sub('srcdoc=""', text)
        tabellen.extend(karten_tabellen(outer, name))
        for k, doc in enumerate(_SRCDOC.findall(text), start=1):
            inner = html.unescape(doc)
            for t in karten_tabellen(inner, name) + html_tabellen(inner, name):
                t.titel = f"{t.titel} (eingebettet {k})"
                tabellen.append(t)
        tabellen.extend(html_tabellen(outer, name))
    except Exception as exc:  # a broken file is a finding, not a crash
        return [], f"{name}: {type(exc).__name__}: {exc}"
    return tabellen, None


def lese_ordner(
    ordner: str | Path,
    symbol: str = ".",
    ohne: tuple[str, ...] = INTERN,
    vorgelesen: Mapping[str, Vorlesung] | None = None,
) -> Lesung:
    """Read every published output below ``ordner`` (a ``reports/<kreis>/`` folder).

    The top-level folders ``ohne`` (internal material) are skipped; executed
    notebooks are listed in ``Lesung.notebooks`` (they must not be in a published
    folder), files that cannot be read in ``Lesung.unlesbar``, files that are no
    report in ``Lesung.fremd``: no HTML or Excel (a copied Arbeitsmappe, a note), or
    hidden (a web server serves them, the audit reads no hidden report), except what
    a file browser writes (:func:`systemdatei`). A file of ``vorgelesen`` (by name)
    whose bytes did not change since is taken from there.
    """
    tabellen: list[Tabelle] = []
    dateien, notebooks, unlesbar, fremd = [], [], [], []
    for path, name in veroeffentlichte_dateien(ordner, ohne):
        suffix = path.suffix.lower()
        if suffix == ".ipynb":
            notebooks.append(name)
            continue
        versteckt = any(p.startswith(".") for p in Path(name).parts)
        if versteckt or suffix not in (".html", ".htm", ".xlsx"):
            if not systemdatei(path):
                fremd.append(name)
            continue
        dateien.append(name)
        vor = (vorgelesen or {}).get(name)
        if vor is not None and vor.pruefsumme == datei_pruefsumme(path):
            gelesen, fehler = vor.tabellen, vor.unlesbar
        else:
            gelesen, fehler = lese_datei(path, name, symbol)
        tabellen.extend(gelesen)
        if fehler is not None:
            unlesbar.append(fehler)
    return Lesung(tabellen, dateien, notebooks, unlesbar, fremd)
