"""Offer search for a profile: which offers are open, ranked by access cost, and why not.

A profile is status, age, Gemeinde and Handlungsfeld — not a person. The rules
are those of the coverage analysis, taken from the library rather than restated:

- status: :func:`thm_lib.analysis.coverage.eligibility` (``sonstige`` counts as open);
- age: the same function with a one-year age band (``alter_min``..``alter_max``);
- validity: :func:`thm_lib.analysis.access.valid_at` at the Stichtag;
- distance: the 2SFCA weight :func:`thm_lib.analysis.access.weight_matrix` (weight 0 =
  beyond the threshold, or outside an outreach offer's area).

Offers are ranked by their cost (minutes or km) from the Gemeinde; outreach
offers serving the Gemeinde come first (they come to the people). The reasons for
an excluded offer are German sentences (``GRUND_*``), shown by the Angebotsfinder app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.analysis import access, coverage
from thm_lib.core.formats import zahl
from thm_lib.core.settings import Annahmen
from thm_lib.core.workspace import Workspace

ALLE = "__alle__"
GRUND_STATUS = "nicht offen für {status}"
GRUND_ALTER = "Alter {alter} außerhalb {von}–{bis} Jahre"
GRUND_ZEIT = "am Stichtag {stichtag} nicht gültig ({zeitraum})"
GRUND_WEG = "zu weit: {kosten} {einheit} (Schwelle {schwelle} {einheit})"
GRUND_GEBIET = "aufsuchend nur in {gebiet}"
STATUS_PLURAL = {
    "duldung": "Geduldete",
    "gestattung": "Personen mit Aufenthaltsgestattung",
    "sonstige": "Personen mit sonstigem Status",
}


@dataclass(frozen=True)
class Profil:
    """A profile (not a person): status, age, Gemeinde, Handlungsfeld (or all)."""

    status: str
    alter: int
    ags: str
    handlungsfeld: str = ALLE


def _profile_annahmen(annahmen: Annahmen, status: str, von: int, bis: int) -> Annahmen:
    zielgruppe = annahmen.zielgruppe.model_copy(
        update={
            "status": [status],
            "alter_min": von,
            "alter_max": bis,
            "altersgruppen": [[von, bis]],
        }
    )
    return annahmen.model_copy(update={"zielgruppe": zielgruppe})


class Finder:
    """Offers for a profile, with the reasons why the others are excluded.

    The cost and weight matrices of all offers (valid or not) are computed once.

    Parameters
    ----------
    ws : Workspace
    profil_alter : (int, int)
        The ages a profile may have (``annahmen.apps.profil_alter``).
    """

    def __init__(self, ws: Workspace, profil_alter: tuple[int, int]) -> None:
        self.ws = ws
        self.angebote = ws.angebote.reset_index(drop=True)
        a = ws.annahmen
        self.kosten = access.cost_matrix(ws.gebiete, self.angebote, a, ws.reisezeiten)
        self.gewichte = access.weight_matrix(
            self.kosten, self.angebote, access.weight_function_from_annahmen(a)
        )
        self.gueltig = access.valid_at(self.angebote, ws.stichtag)
        self.einheit = "Min." if a.erreichbarkeit.einheit == "minuten" else "km"
        self.namen = dict(zip(ws.gebiete["ags"].astype(str), ws.gebiete["name"], strict=True))
        lo, hi = (int(x) for x in profil_alter)
        amin = pd.to_numeric(self.angebote["alter_min"], errors="coerce").min()
        amax = pd.to_numeric(self.angebote["alter_max"], errors="coerce").max()
        self._offen: dict[tuple[str, int, int], np.ndarray] = {}
        # An age range covering every offer and every selectable age.
        self._alle_alter = (
            int(min(lo, amin)) if pd.notna(amin) else lo,
            int(max(hi, amax)) if pd.notna(amax) else hi,
        )

    def _open(self, status: str, von: int, bis: int) -> np.ndarray:
        """Which offers are open to ``status`` at ages ``von``..``bis`` (remembered)."""
        key = (status, von, bis)
        if key not in self._offen:
            e = coverage.eligibility(
                self.angebote, _profile_annahmen(self.ws.annahmen, status, von, bis)
            )
            offen = e[:, 0] > 0
            offen.setflags(write=False)
            self._offen[key] = offen
        return self._offen[key]

    def _zeitraum(self, r: Any) -> str:
        b = "" if pd.isna(r.beginn) else f"ab {r.beginn:%d.%m.%Y}"
        e = "" if pd.isna(r.ende) else f"bis {r.ende:%d.%m.%Y}"
        return " ".join(x for x in (b, e) if x) or "unbefristet"

    def suche(self, profil: Profil) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Eligible offers (ranked) and excluded offers (with reasons) for ``profil``.

        Returns
        -------
        passend : pandas.DataFrame
            ``rang``, ``angebot_id``, ``name``, ``traeger``, ``standort``,
            ``aufsuchend``, ``kosten``, ``plaetze`` — best (lowest cost) first.
        ausgeschlossen : pandas.DataFrame
            ``angebot_id``, ``name``, ``traeger``, ``gruende`` (German, "; "-joined).
        """
        ang = self.angebote
        felder = ang["handlungsfeld"].to_numpy()
        sel = (
            np.ones(len(ang), bool)
            if profil.handlungsfeld == ALLE
            else (felder == profil.handlungsfeld)
        )
        status_ok = self._open(profil.status, *self._alle_alter)
        # "sonstige" is open wherever the age fits (library rule): isolates the age rule.
        age_ok = self._open("sonstige", profil.alter, profil.alter)
        g = self.kosten.index.get_indexer([profil.ags])[0]
        if g < 0:
            raise KeyError(f"Gemeinde {profil.ags} gibt es nicht")
        w = self.gewichte[g]
        cost = self.kosten.iloc[g].to_numpy(dtype=float)
        schwelle = zahl(self.ws.annahmen.erreichbarkeit.schwelle)
        stichtag = f"{self.ws.stichtag:%d.%m.%Y}"
        ok_rows, out_rows = [], []
        for j in np.flatnonzero(sel):
            r = ang.iloc[j]
            gruende = []
            if not status_ok[j]:
                gruende.append(
                    GRUND_STATUS.format(status=STATUS_PLURAL.get(profil.status, profil.status))
                )
            if not age_ok[j]:
                gruende.append(
                    GRUND_ALTER.format(
                        alter=profil.alter, von=_age(r.alter_min), bis=_age(r.alter_max)
                    )
                )
            if not self.gueltig[j]:
                gruende.append(GRUND_ZEIT.format(stichtag=stichtag, zeitraum=self._zeitraum(r)))
            if w[j] <= 0:
                if bool(r.aufsuchend):
                    area = r.einzugsgebiet or ((r.ags,) if isinstance(r.ags, str) else ())
                    gruende.append(
                        GRUND_GEBIET.format(
                            gebiet=", ".join(self.namen.get(a, a) for a in area) or "–"
                        )
                    )
                elif np.isnan(cost[j]):
                    gruende.append("Standort unbekannt")
                else:
                    # one decimal, but never rounded down onto the (inclusive) threshold
                    decimals = 1
                    while round(cost[j], decimals) <= float(schwelle) and decimals < 4:
                        decimals += 1
                    gruende.append(
                        GRUND_WEG.format(
                            kosten=zahl(cost[j], decimals), einheit=self.einheit, schwelle=schwelle
                        )
                    )
            base = {
                "angebot_id": r.angebot_id,
                "name": r["name"],
                "traeger": r.traeger,
                "handlungsfeld": r.handlungsfeld,
            }
            if gruende:
                out_rows.append({**base, "gruende": "; ".join(gruende)})
            else:
                ok_rows.append(
                    {
                        **base,
                        "standort": self.namen.get(r.ags, "außerhalb"),
                        "aufsuchend": bool(r.aufsuchend),
                        "kosten": 0.0 if bool(r.aufsuchend) else float(cost[j]),
                        "plaetze": float(r.plaetze),
                    }
                )
        passend = pd.DataFrame(
            ok_rows,
            columns=[
                "angebot_id",
                "name",
                "traeger",
                "handlungsfeld",
                "standort",
                "aufsuchend",
                "kosten",
                "plaetze",
            ],
        )
        passend = passend.sort_values(["kosten", "name"], kind="stable").reset_index(drop=True)
        passend.insert(0, "rang", np.arange(1, len(passend) + 1))
        ausgeschlossen = pd.DataFrame(
            out_rows, columns=["angebot_id", "name", "traeger", "handlungsfeld", "gruende"]
        )
        return passend, ausgeschlossen


def _age(v: Any) -> str:
    return "–" if pd.isna(v) else str(int(v))
