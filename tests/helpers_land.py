"""Checks of a Land run shared by the Land tests: a row of an index page, a Kreis's row."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup

from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.audit import audit_run
from thm_lib.ingest.arbeitsmappe import load_workspace
from thm_lib.run.land import KreisErgebnis


def tabellenzeile(html: Path, name: str) -> list[str]:
    """The cells of the first table row of ``html`` that holds ``name``, from ``name`` on."""
    soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    for tr in soup.find_all("tr"):
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])]
        if name in cells:
            return cells[cells.index(name) :]
    raise AssertionError(f"keine Zeile {name!r} in {html}")


def pruefe_landeszeile(land_index: Path, k: KreisErgebnis) -> None:
    """Kreis ``k`` is published, audited, and its row of the Land index shows exactly what
    its own index shows for the whole Kreis, under its own Kreisschlüssel."""
    r = k.result
    assert r is not None and r.veroeffentlicht
    land = tabellenzeile(land_index, r.ws.name)  # name, Kreisschlüssel, Art, figures ...
    kreis = tabellenzeile(r.index, r.ws.name)  # name, figures ...
    assert land[1] == _kreisschluessel(r.ws)
    assert land[3:7] == kreis[1:5]  # Zielgruppe, Stellen, Unterversorgung, größte Lücken
    assert audit_run(r.kreis_dir, ws=load_workspace(k.arbeitsmappe)).ok


def _kreisschluessel(ws: Workspace) -> str:
    """The key the Land index must show: ``kreis.ags`` of five digits, else the five
    digits all Gemeinden share (computed here on its own, not by the program's rule)."""
    eigener = ws.annahmen.kreis.ags or ""
    if len(eigener) == 5:
        return eigener
    (anfang,) = {a[:5] for a in ws.gebiete["ags"].astype(str)}
    assert anfang.startswith(eigener)
    return anfang
