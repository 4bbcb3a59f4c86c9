"""Angebotsfinder app: which offers are open to a profile, ranked by access cost.

A profile is status, age, Gemeinde and Handlungsfeld — not a person; nothing
about persons is shown. The rules are those of the coverage analysis, taken
from the library rather than restated:

- status: :func:`thm_lib.coverage.eligibility` (``sonstige`` counts as open);
- age: the same function with a one-year age band (``alter_min``..``alter_max``);
- validity: :func:`thm_lib.access.valid_at` at the Stichtag;
- distance: the 2SFCA weight :func:`thm_lib.access.weight_matrix` (weight 0 =
  beyond the threshold, or outside an outreach offer's area).

Offers are ranked by their cost (minutes or km) from the Gemeinde; outreach
offers serving the Gemeinde come first (they come to the people).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from thm_lib import access, coverage
from thm_lib.apps.common import (
    WIDE,
    ausserhalb,
    bereich,
    eingabefehler_html,
    esc,
    gemeinde_options,
    guarded,
    header,
    show_app,
    table_html,
)
from thm_lib.formats import zahl
from thm_lib.labels import STATUS, STATUS_LABEL
from thm_lib.settings import Annahmen
from thm_lib.workspace import Workspace

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
    """

    def __init__(self, ws: Workspace) -> None:
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
        lo, hi = (int(x) for x in ws.annahmen.apps.profil_alter)
        amin = pd.to_numeric(self.angebote["alter_min"], errors="coerce").min()
        amax = pd.to_numeric(self.angebote["alter_max"], errors="coerce").max()
        # An age range covering every offer and every selectable age.
        self._alle_alter = (
            int(min(lo, amin)) if pd.notna(amin) else lo,
            int(max(hi, amax)) if pd.notna(amax) else hi,
        )

    def _open(self, status: str, von: int, bis: int) -> np.ndarray:
        e = coverage.eligibility(
            self.angebote, _profile_annahmen(self.ws.annahmen, status, von, bis)
        )
        return e[:, 0] > 0

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


class Angebotsfinder:
    """The Angebotsfinder app (widgets around :class:`Finder`).

    Attributes
    ----------
    status, gemeinde, handlungsfeld : ipywidgets.Dropdown
    alter : ipywidgets.IntText
        Any whole number can be typed; outside ``alter_bereich`` the app says so.
    liste, ausgeschlossen : ipywidgets.HTML
    widget : ipywidgets.VBox
    """

    def __init__(self, ws: Workspace, finder: Finder | None = None) -> None:
        self.ws = ws
        self.finder = finder or Finder(ws)
        status = list(ws.annahmen.zielgruppe.status) + [
            s for s in STATUS if s not in ws.annahmen.zielgruppe.status
        ]
        self.status = widgets.Dropdown(
            options=[(STATUS_LABEL[s], s) for s in status],
            value=status[0],
            description="Status",
            style=WIDE,
        )
        self.status.add_class("thm-status-wahl")
        lo, hi = (int(x) for x in ws.annahmen.apps.profil_alter)
        start = int(ws.annahmen.zielgruppe.alter_min)
        self.alter_bereich = (lo, hi)
        # not a BoundedIntText: the browser would clamp 99 to 40 without a word
        self.alter = widgets.IntText(
            value=min(max(start, lo), hi), description=f"Alter ({bereich(lo, hi)})", style=WIDE
        )
        self.alter.add_class("thm-alter")
        opts = gemeinde_options(ws)
        self.gemeinde = widgets.Dropdown(
            options=opts, value=opts[0][1], description="Gemeinde", style=WIDE
        )
        self.gemeinde.add_class("thm-gemeinde")
        felder = [(h, h) for h in ws.handlungsfelder] + [("Alle Handlungsfelder", ALLE)]
        self.handlungsfeld = widgets.Dropdown(
            options=felder, value=felder[0][1], description="Handlungsfeld", style=WIDE
        )
        self.handlungsfeld.add_class("thm-handlungsfeld")
        self.meldung = widgets.HTML().add_class("thm-meldung")
        self.liste = widgets.HTML().add_class("thm-angebote")
        self.ausgeschlossen = widgets.HTML().add_class("thm-ausgeschlossen")
        self.widget = (
            widgets.VBox(
                [
                    header("Angebotsfinder: passende Angebote für ein Profil", ws),
                    widgets.HBox([self.status, self.alter]),
                    widgets.HBox([self.gemeinde, self.handlungsfeld]),
                    self.meldung,
                    widgets.HTML("<h3>Passende Angebote (nächstes zuerst)</h3>"),
                    self.liste,
                    widgets.HTML("<h3>Nicht passende Angebote und warum</h3>"),
                    self.ausgeschlossen,
                ]
            )
            .add_class("thm-app")
            .add_class("thm-angebotsfinder")
        )
        handler = guarded(self.meldung, self.update)
        for w in (self.status, self.alter, self.gemeinde, self.handlungsfeld):
            w.observe(handler, names="value")
        self.update()

    @property
    def profil(self) -> Profil:
        """The profile set in the widgets."""
        return Profil(
            self.status.value, int(self.alter.value), self.gemeinde.value, self.handlungsfeld.value
        )

    def update(self) -> None:
        """Search again and show both lists (or say why not: an age outside its range)."""
        self.meldung.value = ""
        fehler = ausserhalb("Alter", self.alter.value, *self.alter_bereich)
        if fehler:
            self.meldung.value = eingabefehler_html(fehler)
            self.liste.value = self.ausgeschlossen.value = (
                "<p class='thm-keine'>Keine Suche: bitte das Alter korrigieren.</p>"
            )
            return
        passend, aus = self.finder.suche(self.profil)
        einheit = self.finder.einheit
        shown = pd.DataFrame(
            {
                "Rang": passend["rang"].astype(str),
                "Angebot": passend["name"],
                "Träger": passend["traeger"],
                "Handlungsfeld": passend["handlungsfeld"],
                "Standort": passend["standort"],
                f"Weg ({einheit})": [
                    ("aufsuchend" if a else zahl(k))
                    for a, k in zip(passend["aufsuchend"], passend["kosten"], strict=True)
                ],
                "Plätze/Jahr": [zahl(p) for p in passend["plaetze"]],
            }
        )
        self.liste.value = (
            table_html(shown, "thm-angebote-tabelle", numeric=(f"Weg ({einheit})", "Plätze/Jahr"))
            if len(shown)
            else "<p class='thm-keine'>Kein passendes Angebot für dieses Profil.</p>"
        )
        ausg = pd.DataFrame(
            {
                "Angebot": aus["name"],
                "Träger": aus["traeger"],
                "Handlungsfeld": aus["handlungsfeld"],
                "Grund": aus["gruende"],
            }
        )
        self.ausgeschlossen.value = (
            table_html(ausg, "thm-ausgeschlossen-tabelle") if len(ausg) else "<p>Keine.</p>"
        )
        self.meldung.value = (
            f"<div class='thm-hinweis'>{len(passend)} passende, {len(aus)} "
            f"nicht passende Angebote · Stichtag "
            f"{esc(f'{self.ws.stichtag:%d.%m.%Y}')}</div>"
        )


def build(ws: Workspace) -> Angebotsfinder:
    """Build the Angebotsfinder app for a Workspace."""
    return Angebotsfinder(ws)


def show(arbeitsmappe: str | os.PathLike[str] | None = None) -> Angebotsfinder | None:
    """Display the Angebotsfinder for an Arbeitsmappe (default: ``$THM_ARBEITSMAPPE`` or sample)."""
    return show_app(build, arbeitsmappe)
