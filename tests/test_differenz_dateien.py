"""The Differenzprüfung on the files of two whole batch runs.

``thm_lib.run.differenzpruefung`` compares the values the files are made from. Here
the sample Kreis runs twice through ``thm batch``: as it is, and with two changes of
hidden persons that keep every published count (the first ones the check finds: one at
the Stichtag of the analysis, one at an earlier Stichtag, whose counts the trend and the
FAQ rule's count of the Erstantrag show). Every published file
must be the same in both: HTML byte for byte up to the random element ids of folium
and nbconvert (so the maps' embedded data too), Excel cell by cell (value and number
format; the zip's timestamps differ).
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
from audit_laeufe import SAMPLE, musterkreis_lauf

from thm_lib.disclosure.audit_lesen import lese_ordner, veroeffentlichte_dateien
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run import differenzpruefung as dp
from thm_lib.run.batch import run_batch


def _aendern(mappe: Path, aenderung: dp.Aenderung, stichtag: str) -> None:
    """Apply ``aenderung`` to ``zielgruppe.csv`` of ``mappe`` (as an office would edit it)."""
    schritte = (
        [aenderung.hin, aenderung.zurueck] if isinstance(aenderung, dp.Tausch) else [aenderung]
    )
    path = mappe / "zielgruppe.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        kopf, *zeilen = list(csv.reader(f, delimiter=";"))
    i = {c: kopf.index(c) for c in kopf}

    def zeile(ags: str, v: dp.Verschiebung) -> list[str] | None:
        key = (ags, stichtag, v.status, str(v.alter), v.geschlecht)
        for z in zeilen:
            if tuple(z[i[c]] for c in ("ags", "stichtag", "status", "alter", "geschlecht")) == key:
                return z
        return None

    for v in schritte:
        quelle = zeile(v.von, v)
        assert quelle is not None and int(quelle[i["anzahl"]]) >= 1
        quelle[i["anzahl"]] = str(int(quelle[i["anzahl"]]) - 1)
        ziel = zeile(v.nach, v)
        if ziel is None:
            ziel = [*quelle]
            ziel[i["ags"]], ziel[i["anzahl"]] = v.nach, "0"
            zeilen.append(ziel)
        ziel[i["anzahl"]] = str(int(ziel[i["anzahl"]]) + 1)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows([kopf, *zeilen])


ZUFALL = re.compile(r"[0-9a-f]{32}|cell-id=[0-9a-f-]+|erstellt am \d\d\.\d\d\.\d{4}")
"""Random element ids (folium: 32 hex digits; nbconvert: cell ids); also masks the
Arbeitsmappe's checksum (a hash of the input, which differs by construction) and the
day a page was made (the stored sample run and this one can lie on two days: the proof
of session 30 ran over midnight)."""
ERSTELLT = "Erstellt am"
"""Label of the workbooks' row with the day they were made (sheet "Hinweise"): masked
like the pages' (the proof of session 49 ran over midnight)."""


def _inhalt(ordner: Path) -> dict[str, object]:
    """Every published file: HTML without random ids, Excel as its cells, others as bytes."""
    out: dict[str, object] = {}
    for path, name in veroeffentlichte_dateien(ordner):
        if path.suffix == ".html":
            out[name] = ZUFALL.sub("X", path.read_text(encoding="utf-8"))
        elif path.suffix == ".xlsx":
            mappe = openpyxl.load_workbook(path)
            out[name] = [
                (
                    blatt.title,
                    zelle.coordinate,
                    "X" if zeile[0].value == ERSTELLT and zelle.column > 1 else _ohne_zufall(zelle),
                    zelle.number_format,
                )
                for blatt in mappe
                for zeile in blatt.iter_rows()
                for zelle in zeile
                if zelle.value is not None
            ]
        else:
            out[name] = path.read_bytes()
    return out


def _ohne_zufall(zelle: Any) -> object:
    return ZUFALL.sub("X", zelle.value) if isinstance(zelle.value, str) else zelle.value


def _zahlen(ordner: Path) -> dict[tuple[str, ...], object]:
    """Every cell a reader sees, by file, table, row labels and column."""
    out: dict[tuple[str, ...], object] = {}
    for t in lese_ordner(ordner).tabellen:
        for z in t.zeilen:
            label = " / ".join(map(str, z[: t.n_label]))
            for kopf, wert in zip(t.kopf[t.n_label :], z[t.n_label :], strict=False):
                out[(t.datei, t.titel, str(t.nr), label, kopf)] = wert
    return out


def test_two_runs_differing_only_in_hidden_persons_publish_the_same_numbers(tmp_path):
    ws = load_workspace(SAMPLE)
    # the first changes that keep every published count (no other figure compared here)
    gefunden = dp.pruefen(
        ws, 1, frueher=1, bedarfstausche=0, fallverschiebungen=0, modell=lambda _: {}
    )
    aenderung, frueher = gefunden.geprueft
    assert isinstance(frueher, dp.Verschiebung) and frueher.stichtag < ws.stichtag
    mappe = tmp_path / "mappe"
    shutil.copytree(SAMPLE, mappe)
    _aendern(mappe, aenderung, ws.stichtag.strftime("%d.%m.%Y"))
    _aendern(mappe, frueher, frueher.stichtag.strftime("%d.%m.%Y"))
    anders = load_workspace(mappe)
    assert anders.zielgruppe["anzahl"].sum() == ws.zielgruppe["anzahl"].sum()
    assert not anders.zielgruppe["anzahl"].equals(ws.zielgruppe["anzahl"])

    lauf = run_batch(mappe, tmp_path / "reports", progress=False)
    assert lauf.veroeffentlicht
    vorher, nachher = _zahlen(musterkreis_lauf()), _zahlen(lauf.kreis_dir)
    # the comparison holds modelled figures (the coverage matrix of the Kreis report)
    # and every Kommune's folder, not only counts
    assert len(vorher) > 10_000
    assert any("Versorgung" in k[1] and "Musterstadt" in k[3] for k in vorher)
    assert {k[0].split("/")[0] for k in vorher} >= {str(a) for a in ws.gebiete["ags"]}
    anders_gezeigt = sorted(
        k for k in vorher.keys() | nachher.keys() if vorher.get(k) != nachher.get(k)
    )
    assert anders_gezeigt == [], anders_gezeigt[:20]
    # and every file as a whole (texts, maps' data, Excel formats)
    dateien_vorher, dateien_nachher = _inhalt(musterkreis_lauf()), _inhalt(lauf.kreis_dir)
    assert len(dateien_vorher) > 70  # 13 Kommunen × 5 pages and workbooks, Kreis, index
    assert sorted(dateien_vorher) == sorted(dateien_nachher)
    verschieden = [n for n in dateien_vorher if dateien_vorher[n] != dateien_nachher[n]]
    assert verschieden == []
