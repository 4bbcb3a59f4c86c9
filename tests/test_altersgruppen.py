"""Overlapping age bands in zielgruppe: a total row next to the ages it sums counts twice.

Found by the robustness exploration of round 2, session 29: a statistics table's
"18-27" row next to its single ages was added on top (Musterstadt Duldung 268 → 451)
without a word.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers_io import copy_sample, edit_table, read_rows
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.ingest.pruefungen import warn_ueberlappende_alter

STADT = "05899004"


def _mit_altersgruppen(folder: Path, neue: list[tuple[str, str, str, str]]) -> list[int]:
    """Append rows ``(status, geschlecht, anzahl, altersgruppe)`` for Musterstadt, 2021.

    Returns the rows as Excel shows them (header = row 1).
    """
    nummern: list[int] = []

    def change(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        header = [*header, "altersgruppe"]
        rows = [[*r, ""] for r in rows]
        for status, geschlecht, anzahl, band in neue:
            row = dict.fromkeys(header, "")
            row |= {"ags": STADT, "stichtag": "31.12.2021", "status": status}
            row |= {"geschlecht": geschlecht, "anzahl": anzahl, "altersgruppe": band}
            rows.append([row[h] for h in header])
            nummern.append(len(rows) + 1)
        return header, rows

    edit_table(folder, "zielgruppe.csv", change)
    return nummern


def _summe_einzelalter(folder: Path, status: str, geschlecht: str, von: int, bis: int) -> int:
    header, rows = read_rows(folder / "zielgruppe.csv")
    i = {h: header.index(h) for h in ("ags", "stichtag", "status", "alter", "geschlecht")}
    return sum(
        int(r[header.index("anzahl")])
        for r in rows
        if r[i["ags"]] == STADT
        and r[i["stichtag"]] == "31.12.2021"
        and r[i["status"]] == status
        and r[i["geschlecht"]] == geschlecht
        and r[i["alter"]]
        and von <= int(r[i["alter"]]) <= bis
    )


def _hinweise(folder: Path) -> list[str]:
    return [w for w in load_workspace(folder).warnungen if "überschneiden sich" in w]


def test_a_total_row_next_to_its_single_ages_is_named_as_a_likely_total(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    summe = _summe_einzelalter(folder, "duldung", "m", 18, 27)
    assert summe > 0
    (zeile,) = _mit_altersgruppen(folder, [("duldung", "m", str(summe), "18-27")])
    ws = load_workspace(folder)
    (hinweis,) = [w for w in ws.warnungen if "überschneiden sich" in w]
    assert hinweis.startswith("zielgruppe.csv: ")
    assert f"Zeile {zeile} (18-27 Jahre) enthält Zeilen " in hinweis
    assert "wohl eine Summenzeile" in hinweis
    # a warning, not a correction: the row still counts (the note says so)
    zg = ws.zielgruppe
    neu = zg[(zg["ags"] == STADT) & (zg["alter_von"] == 18) & (zg["alter_bis"] == 27)]
    assert neu["anzahl"].tolist() == [summe]
    assert "zählen doppelt" in hinweis


def test_a_wider_band_with_another_count_is_named_without_calling_it_a_total(
    tmp_path: Path,
) -> None:
    folder = copy_sample(tmp_path)
    summe = _summe_einzelalter(folder, "gestattung", "w", 18, 20)
    (zeile,) = _mit_altersgruppen(folder, [("gestattung", "w", str(summe + 1), "18-20")])
    (hinweis,) = _hinweise(folder)
    assert f"Zeile {zeile} (18-20 Jahre) enthält " in hinweis
    assert "wohl eine Summenzeile" not in hinweis


def test_partly_overlapping_bands_are_named_and_separate_bands_are_not(tmp_path: Path) -> None:
    folder = copy_sample(tmp_path)
    # another sex than the sample's rows ("x"), so only the new bands meet
    z1, z2, _, _ = _mit_altersgruppen(
        folder,
        [
            ("duldung", "x", "7", "18-20"),
            ("duldung", "x", "6", "20-22"),
            ("gestattung", "x", "7", "18-20"),
            ("gestattung", "x", "6", "21-22"),
        ],
    )
    (hinweis,) = _hinweise(folder)
    assert f"Zeile {z1} (18-20 Jahre) und Zeile {z2} (20-22 Jahre) überschneiden sich" in hinweis
    assert hinweis.count("überschneiden sich") == 2  # the gestattung bands 18-20, 21-22 do not


def test_the_sample_has_no_overlapping_bands(tmp_path: Path) -> None:
    assert _hinweise(copy_sample(tmp_path)) == []


@given(st.lists(st.tuples(st.integers(16, 27), st.integers(0, 4)), min_size=1, max_size=6))
def test_property_a_note_exactly_when_two_distinct_bands_share_an_age(
    baender: list[tuple[int, int]],
) -> None:
    rows = [(von, min(27, von + laenge)) for von, laenge in baender]
    frame = pd.DataFrame(
        {
            "ags": STADT,
            "stichtag": pd.Timestamp("2021-12-31"),
            "status": "duldung",
            "geschlecht": "m",
            "alter_von": pd.array([v for v, _ in rows], dtype="Int64"),
            "alter_bis": pd.array([b for _, b in rows], dtype="Int64"),
            "anzahl": pd.array([5] * len(rows), dtype="Int64"),
            "_zeile": range(2, len(rows) + 2),
        }
    )
    frame.attrs["datei"] = "zielgruppe.csv"
    distinct = sorted(set(rows))
    erwartet = any(
        a[0] <= b[1] and b[0] <= a[1] for i, a in enumerate(distinct) for b in distinct[i + 1 :]
    )
    warnings: list[str] = []
    warn_ueberlappende_alter(frame, warnings)
    assert bool(warnings) == erwartet
