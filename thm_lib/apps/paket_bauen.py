"""Build the apps' bundle (:mod:`thm_lib.apps.daten`) from an Arbeitsmappe.

``python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER``: ``thm app`` runs this in
a process of its own (:func:`thm_lib.apps.server.buendel_bereitstellen`), so the
server process never holds the Arbeitsmappe. A data error is printed in German to
stderr (file, row, column): the console of the person who starts the apps, never a
viewer's page. Only this module computes from the whole Arbeitsmappe; what it
writes is published (the publication layer's tables, hidden cells empty).
"""

from __future__ import annotations

import json
import pickle
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from thm_lib.analysis.angebotssuche import Finder
from thm_lib.apps.daten import FORMAT, MANIFEST, TEILE, AppDaten, datei
from thm_lib.apps.standort import StandortVorrat
from thm_lib.apps.stellen import StellenDaten
from thm_lib.apps.uebersicht import UebersichtDaten
from thm_lib.core.errors import DataError
from thm_lib.core.pruefsumme import arbeitsmappe_pruefsumme, programmstand
from thm_lib.core.workspace import Workspace
from thm_lib.disclosure.versorgung import versorgung_veroeffentlicht
from thm_lib.ingest.arbeitsmappe import load_workspace


def oeffentlich(ws: Workspace) -> Workspace:
    """The public part of ``ws``: no target group, cases, needs or population raster.

    The Stichtag is fixed in the assumptions (it was read from the target group).
    A new object: the publication layer kept on ``ws`` does not come along.
    """
    kreis = ws.annahmen.kreis.model_copy(update={"stichtag": ws.stichtag.date()})
    return replace(
        ws,
        annahmen=ws.annahmen.model_copy(update={"kreis": kreis}),
        zielgruppe=None,
        faelle=None,
        bedarfe=None,
        feinraster=None,
        warnungen=(),
    )


def erstellen(ws: Workspace) -> AppDaten:
    """Compute the apps' data from a loaded Arbeitsmappe (the whole Kreis).

    The Standortplanung is computed per choice when first asked for
    (:meth:`StandortVorrat.vollstaendig` computes all; :func:`schreiben` does).
    """
    result = versorgung_veroeffentlicht(ws)
    offen = oeffentlich(ws)
    return AppDaten(
        ws=offen,
        uebersicht=UebersichtDaten.build(ws, result),
        standort=StandortVorrat.rechnen(ws, result),
        stellen=StellenDaten.build(ws),
        finder=Finder(offen, ws.annahmen.apps.profil_alter),
    )


def manifest(ws: Workspace, arbeitsmappe: Path | None) -> dict[str, Any]:
    """The manifest of a bundle of ``ws`` (see :mod:`thm_lib.apps.daten`)."""
    return {
        "format": FORMAT,
        "paket": version("thm-werkbank"),
        "programmstand": programmstand(),
        "kreis": ws.name,
        "stichtag": f"{ws.stichtag:%Y-%m-%d}",
        "arbeitsmappe": None if arbeitsmappe is None else Path(arbeitsmappe).name,
        "pruefsumme_arbeitsmappe": None
        if arbeitsmappe is None
        else arbeitsmappe_pruefsumme(arbeitsmappe),
        "erstellt": datetime.now().isoformat(timespec="seconds"),
    }


def schreiben(daten: AppDaten, ordner: Path, arbeitsmappe: Path | None = None) -> Path:
    """Write the bundle to ``ordner`` (replaced as a whole, never half-written).

    Computes every choice of the Standortplanung first.
    """
    ordner = Path(ordner)
    ordner.parent.mkdir(parents=True, exist_ok=True)
    daten.standort.vollstaendig()
    tmp = Path(tempfile.mkdtemp(prefix=f".{ordner.name}.", dir=ordner.parent))
    try:
        for teil in TEILE:
            with open(tmp / datei(teil), "wb") as f:
                pickle.dump(getattr(daten, teil), f, protocol=pickle.HIGHEST_PROTOCOL)
        text = json.dumps(manifest(daten.ws, arbeitsmappe), ensure_ascii=False, indent=2)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8")
        alt = ordner.with_name(f".{ordner.name}.alt")
        if ordner.exists():
            shutil.rmtree(alt, ignore_errors=True)
            ordner.rename(alt)
        tmp.rename(ordner)
        shutil.rmtree(alt, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ordner


def bauen(arbeitsmappe: Path, ordner: Path) -> Path:
    """Load ``arbeitsmappe``, compute the apps' data and write the bundle to ``ordner``.

    Raises
    ------
    thm_lib.core.errors.DataError
        With German messages when the Arbeitsmappe has problems.
    """
    ws = load_workspace(Path(arbeitsmappe))
    return schreiben(erstellen(ws), Path(ordner), Path(arbeitsmappe))


def main(argv: list[str] | None = None) -> int:
    """Build the bundle of ``ARBEITSMAPPE`` in ``ORDNER``; exit code 0, or 2 on an error."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("Aufruf: python -m thm_lib.apps.paket_bauen ARBEITSMAPPE ORDNER", file=sys.stderr)
        return 2
    try:
        bauen(Path(args[0]), Path(args[1]))
    except DataError as exc:
        print(f"Die Arbeitsmappe '{args[0]}' enthält Fehler:\n{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
