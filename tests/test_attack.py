"""An attack on the published outputs of a batch run, independent of ``thm_lib.disclosure.audit``.

Own parsing (openpyxl on every ``bericht.xlsx``), own differencing: the
target-group counts per Gemeinde, status and Stichtag appear in the Kreis
table, in each Kommune's trend table and (as the FAQ count = Duldung at the
Stichtag of the first application) in the staffing table. A hidden cell is
recovered when one of its sum equations (Duldung + Gestattung = insgesamt;
Gemeinden = Kreis) has it as the only unknown, or when an integer program of its own
over the same equations (scipy ``milp``, "<5" in 1..4) pins it. Truth comes straight from the
raw ``zielgruppe.csv`` (own pandas code). Does not import ``thm_lib.disclosure.audit``
nor the publication layer.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from audit_laeufe import SAMPLE, kleiner_kreis_lauf, musterkreis_lauf
from openpyxl import Workbook, load_workbook

pytestmark = pytest.mark.slow
STATUS = {
    "Duldung": "duldung",
    "Aufenthaltsgestattung": "gestattung",
    "Zielgruppe insgesamt": "gesamt",
}
KREIS = "Insgesamt"
DATUM = re.compile(r"\d\d\.\d\d\.\d{4}")


def sheets(kreis_dir: Path):
    """(folder, sheet name, title, header, rows) of every workbook sheet of the run."""
    for path in sorted(kreis_dir.rglob("*.xlsx")):
        wb = load_workbook(path, read_only=True, data_only=True)
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            if len(rows) >= 3:
                yield path.parent.name, ws.title, str(rows[0][0]), rows[1], rows[2:]
        wb.close()


def hidden(v) -> bool:
    return isinstance(v, str) and (v.startswith("<") or v.startswith("."))


def erstantrag(mappe: Path) -> dict[str, str]:
    """AGS -> Stichtag of the first application (dd.mm.yyyy) from kommunen.csv / annahmen."""
    text = (mappe / "annahmen.yaml").read_text(encoding="utf-8")
    kreis = re.search(r"stichtag_erstantrag:\s*(\d{4})-(\d\d)-(\d\d)", text)
    default = f"{kreis.group(3)}.{kreis.group(2)}.{kreis.group(1)}" if kreis else ""
    out = {"kreis": default}
    with (mappe / "kommunen.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f, delimiter=";"):
            out[r["ags"]] = r["stichtag_erstantrag"] or default
    return out


def selbst_antragstellend(mappe: Path) -> set[str]:
    """AGS of the Gemeinden that apply themselves (own Geschäftsführende Stelle, kreisfrei)."""
    with (mappe / "kommunen.csv").open(encoding="utf-8-sig") as f:
        return {
            r["ags"]
            for r in csv.DictReader(f, delimiter=";")
            if r["geschaeftsfuehrende_stelle"].strip().lower() in ("ja", "true", "1")
            or r["ags"].endswith("000")
        }


def attack(kreis_dir: Path, mappe: Path) -> tuple[dict, set]:
    """Returns (known values, hidden keys); keys are (Stichtag, Gemeinde, status)."""
    known: dict[tuple, int] = {}
    hid: set[tuple] = set()
    small: dict[tuple, int] = {}  # key -> threshold of its "<N" mark
    folder_name: dict[str, str] = {"kreis": KREIS}
    faq: dict[str, object] = {}
    collected = list(sheets(kreis_dir))
    for folder, name, _title, _head, rows in collected:
        if name == "Zielgruppe" and folder.isdigit() and rows:
            folder_name[folder] = str(rows[0][0])

    def see(key, v):
        if hidden(v):
            hid.add(key)
            if v.startswith("<"):
                small[key] = int(v[1:])
        elif isinstance(v, int | float):
            known[key] = int(v)

    for folder, name, title, head, rows in collected:
        m = re.search(r"Zielgruppe am (\S+) je Gemeinde", title)
        if m:
            for r in rows:
                for j, h in enumerate(head):
                    if h in STATUS:
                        see((m.group(1), str(r[0]), STATUS[h]), r[j])
        if name == "Verlauf":
            for r in rows:
                if DATUM.fullmatch(str(r[0])):
                    for j, h in enumerate(head):
                        if h in STATUS:
                            see((str(r[0]), folder_name.get(folder, folder), STATUS[h]), r[j])
        if name == "Stellen":
            p = head.index("Personen (FAQ-Zählung)")
            for r in rows:
                faq[
                    str(r[0]) if folder != "kreis" or str(r[0]) in folder_name.values() else KREIS
                ] = r[p]
    tage = erstantrag(mappe)
    for folder, gem in folder_name.items():
        if folder != "kreis" and gem in faq:
            see((tage.get(folder, tage["kreis"]), gem, "duldung"), faq[gem])
    gemeinden = [g for f, g in folder_name.items() if f != "kreis"]
    equations = []
    if KREIS in faq:
        # the Kreis row counts the Duldung of the Gemeinden that do not apply themselves
        # (no own Geschäftsführende Stelle, not kreisfrei) at the Kreis's first application
        eigene = selbst_antragstellend(mappe)
        see(("FAQ", KREIS), faq[KREIS])
        equations.append(
            (
                [
                    (tage["kreis"], g, "duldung")
                    for f, g in folder_name.items()
                    if f != "kreis" and f not in eigene
                ],
                ("FAQ", KREIS),
            )
        )
    dates = {k[0] for k in known if k[0] != "FAQ"} | {k[0] for k in hid if k[0] != "FAQ"}
    for d in dates:
        for g in [*gemeinden, KREIS]:
            equations.append(([(d, g, "duldung"), (d, g, "gestattung")], (d, g, "gesamt")))
        for s in ("duldung", "gestattung", "gesamt"):
            equations.append(([(d, g, s) for g in gemeinden], (d, KREIS, s)))
    changed = True
    while changed:
        changed = False
        for parts, total in equations:
            unknown = [k for k in [*parts, total] if k not in known]
            if len(unknown) != 1:
                continue
            k = unknown[0]
            rest = sum(known[p] for p in parts if p in known)
            known[k] = (known[total] - rest) if k != total else rest
            changed = True
    known.update(integer_program(equations, known, small))
    return known, hid


def integer_program(equations: list, known: dict, small: dict) -> dict:
    """Hidden keys pinned by the equations jointly (scipy milp, min = max); "<N" in 1..N-1."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    keys = sorted({k for parts, total in equations for k in [*parts, total]} - set(known))
    if not keys:
        return {}
    pos = {k: i for i, k in enumerate(keys)}
    rows, rhs = [], []
    for parts, total in equations:
        row = np.zeros(len(keys))
        b = 0.0
        for k, c in [*((p, 1.0) for p in parts), (total, -1.0)]:
            if k in pos:
                row[pos[k]] += c
            else:
                b -= c * known[k]
        if row.any():
            rows.append(row)
            rhs.append(b)
    a = np.array(rows)
    lo = np.array([1.0 if k in small else 0.0 for k in keys])
    hi = np.array([small[k] - 1.0 if k in small else 1e6 for k in keys])
    cons, bounds = LinearConstraint(a, rhs, rhs), Bounds(lo, hi)
    out = {}
    for k in keys:
        c = np.zeros(len(keys))
        c[pos[k]] = 1.0
        r1 = milp(c, constraints=cons, bounds=bounds, integrality=np.ones(len(keys)))
        r2 = milp(-c, constraints=cons, bounds=bounds, integrality=np.ones(len(keys)))
        if r1.status == 0 and r2.status == 0 and round(r1.fun) == round(-r2.fun):
            out[k] = int(round(r1.fun))
    return out


def truth(mappe: Path) -> dict[tuple, int]:
    z = pd.read_csv(mappe / "zielgruppe.csv", sep=";", dtype=str, encoding="utf-8-sig")
    z = z[z["anzahl"].str.isdigit() & z["alter"].str.isdigit()]
    z = z.assign(anzahl=z["anzahl"].astype(int), alter=z["alter"].astype(int))
    z = z[z["alter"].between(18, 27) & z["status"].isin(["duldung", "gestattung"])]
    out: dict[tuple, int] = {}
    for (tag, ags, status), n in z.groupby(["stichtag", "ags", "status"])["anzahl"].sum().items():
        out[(tag, ags, status)] = int(n)
    return out


def recovered(kreis_dir: Path, mappe: Path) -> dict[tuple, tuple[int, int]]:
    """Hidden cells the attack recovered: key -> (recovered, true value)."""
    known, hid = attack(kreis_dir, mappe)
    ags_of = {}
    for folder, name, _title, _head, rows in sheets(kreis_dir):
        if name == "Zielgruppe" and folder.isdigit() and rows:
            ags_of[str(rows[0][0])] = folder
    wahr = truth(mappe)
    out = {}
    for k in hid:
        if k in known and k[1] in ags_of:
            tag, gem, s = k
            if s == "gesamt":
                t = sum(wahr.get((tag, ags_of[gem], x), 0) for x in ("duldung", "gestattung"))
            else:
                t = wahr.get((tag, ags_of[gem], s), 0)
            out[k] = (known[k], t)
    return out


@pytest.fixture(scope="module")
def muster() -> Path:
    return musterkreis_lauf()


def test_recovered_values_are_the_true_values(muster):
    for key, (value, true) in recovered(muster, SAMPLE).items():
        assert value == true, key


def test_attack_finds_a_planted_unmasked_copy(muster, tmp_path):
    """A clean copy plus one extra workbook showing the Kreis table unmasked."""
    kopie = tmp_path / "kreis"
    shutil.copytree(muster, kopie, ignore=shutil.ignore_patterns("*.ipynb"))
    src = load_workbook(muster / "kreis" / "bericht.xlsx", read_only=True)
    rows = [list(r) for r in src["Zielgruppe"].iter_rows(values_only=True)]
    src.close()
    title, head = rows[0][0], rows[1]
    tag = re.search(r"am (\S+) je", str(title)).group(1)
    wahr = truth(SAMPLE)
    ags_of = {
        str(r[0][0]): f for f, n, t, h, r in sheets(muster) if n == "Zielgruppe" and f != "kreis"
    }
    wb = Workbook()
    ws = wb.active
    ws.title = "Zielgruppe"
    ws.append([title])
    ws.append(list(head))
    planted = 0
    for r in rows[2:]:
        gem = str(r[0])
        if gem not in ags_of:
            ws.append(r)
            continue
        d, g = (wahr.get((tag, ags_of[gem], s), 0) for s in ("duldung", "gestattung"))
        planted += any(hidden(v) for v in r[1:])
        ws.append([gem, d, g, d + g])
    (kopie / "extra").mkdir()
    wb.save(kopie / "extra" / "bericht.xlsx")
    assert planted
    found = recovered(kopie, SAMPLE)
    on_date = {k: v for k, v in found.items() if k[0] == tag}
    assert on_date and all(v == t for v, t in on_date.values())
    # every hidden cell of the Kreis table at that date is now recovered
    assert len(on_date) >= planted


def test_attack_recovers_nothing_on_the_sample_kreis(muster):
    assert recovered(muster, SAMPLE) == {}


def test_attack_recovers_nothing_on_a_generated_kreis_with_small_gemeinden():
    mappe, lauf = kleiner_kreis_lauf()
    found = recovered(lauf, mappe)
    assert all(v == t for v, t in found.values())
    assert found == {}
