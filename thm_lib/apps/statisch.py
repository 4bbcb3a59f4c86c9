"""Static view of the Übersicht and the Angebotsfinder: a folder of HTML, JS and data.

``thm app --statisch ORDNER`` writes pages that need no Python and no kernel:
open ``index.html`` from a folder or put the folder on any web server. Every
value is computed by the Voilà apps themselves (:class:`~thm_lib.apps.uebersicht.
Uebersicht` for every Kommune × Handlungsfeld, :meth:`~thm_lib.analysis.
angebotssuche.Finder.suche` for every profile the Angebotsfinder offers) and
stored as the text the app shows ("<5", ".", "1.234", "28 %"): never an
unsuppressed count, never a case row. The data are JavaScript files setting a
global (browsers do not let ``file://`` pages fetch JSON). Each text is stored
once (:class:`Texte`); tables refer to it by number.

Stellen und Förderung stays a Voilà app; the folder holds its Excel file with the
default settings for the Kreis and each Gemeinde (:func:`thm_lib.apps.stellen.
excel_bytes`). The maps are the Übersicht's maps of the whole Kreis, one per
Handlungsfeld (Leaflet inlined).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from thm_lib.analysis.angebotssuche import Profil
from thm_lib.apps import angebotsfinder, stellen, uebersicht
from thm_lib.apps.daten import AppDaten
from thm_lib.core import paths
from thm_lib.core.formats import zahl
from thm_lib.core.labels import KREIS
from thm_lib.publish.maps.measure import textfarbe
from thm_lib.publish.views import sperrhinweis

VORLAGEN = paths.APP_PAGES / "statisch"
"""Templates, script and stylesheet of the static view (package data)."""
MARKE = ".thm-statisch"
"""File that marks a folder written by :func:`schreibe_statisch` (may be replaced)."""
EXCEL_ORDNER = "excel"
"""Subfolder of the Excel files of Stellen und Förderung."""
KARTEN_ORDNER = "karten"
"""Subfolder of the map pages."""


class OrdnerBelegt(Exception):
    """The target folder is not empty and was not written by the static view."""


@dataclass
class Texte:
    """Every shown text once; tables hold their numbers (keeps the data small).

    Attributes
    ----------
    liste : list of str
        The texts in order of first use.
    """

    liste: list[str] = field(default_factory=list)
    _nummer: dict[str, int] = field(default_factory=dict)

    def nr(self, text: Any) -> int:
        """The number of ``text`` (added on first use)."""
        text = str(text)
        if text not in self._nummer:
            self._nummer[text] = len(self.liste)
            self.liste.append(text)
        return self._nummer[text]

    def zeile(self, werte: Any) -> list[int]:
        """The numbers of a row of texts."""
        return [self.nr(v) for v in werte]


@dataclass
class Tabelle:
    """Rows stored once (as text numbers) and referred to by number."""

    zeilen: list[list[int]] = field(default_factory=list)
    _nummer: dict[tuple[int, ...], int] = field(default_factory=dict)

    def nr(self, zeile: list[int]) -> int:
        """The number of a row (added on first use)."""
        key = tuple(zeile)
        if key not in self._nummer:
            self._nummer[key] = len(self.zeilen)
            self.zeilen.append(zeile)
        return self._nummer[key]


# --------------------------------------------------------------------------- Übersicht
KACHELN = ("zielgruppe", "klienten", "reichweite", "stellen", "angebote", "unterversorgung")
"""Keys of :meth:`Uebersicht.werte`, in the order of the tiles."""


def _kachel_titel(app: uebersicht.Uebersicht) -> list[list[str]]:
    """``(css class, label)`` of the tiles as the app labels them (without field suffix)."""
    ws = app.ws
    a = ws.annahmen.zielgruppe
    jahr = ws.stichtag.year
    return [
        ["thm-zielgruppe", f"Zielgruppe ({a.alter_min}–{a.alter_max} J., Personen)"],
        ["thm-klienten", f"Klient*innen THM {jahr}"],
        ["thm-reichweite", f"Reichweite {jahr}"],
        ["thm-stellen", "Stellen nach FAQ-Regel (VZÄ)"],
        ["thm-angebote", "Angebote am Stichtag"],
        ["thm-unterversorgung", "Unterversorgung (Gemeinde × Handlungsfeld)"],
    ]


def _matrix_zeilen(app: uebersicht.Uebersicht, texte: Texte) -> tuple[list[str], list[list[int]]]:
    """The coverage matrix of the current Kommune as shown: header and rows.

    A row is the Gemeinde's name then, per Handlungsfeld, the shown text and the
    cell colour (the app's rule: hidden cells in the suppression colour).
    """
    d = app.daten
    v = d.zeilen(app.kommune.value, uebersicht.ALLE)
    farben = d.klassen_farben
    gesperrt_farbe = d.gesperrt_legende[0]
    colour = {
        (r.name, r.handlungsfeld): gesperrt_farbe if r.gesperrt else farben.get(r.klasse, "#fff")
        for r in v.itertuples()
    }
    wide = app.matrix_tabelle()
    zeilen = []
    for name, row in wide.iterrows():
        zeile = [texte.nr(name)]
        for h in wide.columns:
            zeile += [texte.nr(row[h]), texte.nr(colour.get((name, h), "#fff"))]
        zeilen.append(zeile)
    return [str(c) for c in wide.columns], zeilen


def _luecken(app: uebersicht.Uebersicht, texte: Texte, tabelle: Tabelle) -> dict[str, Any]:
    """The gaps of the current selection: row numbers and the app's texts (numbered)."""
    table = app.luecken_tabelle()
    leer, hinweis = app.luecken_texte()
    return {
        "zeilen": [tabelle.nr(texte.zeile(r)) for r in table.itertuples(index=False)],
        "leer": None if leer is None else texte.nr(leer),
        "hinweis": None if hinweis is None else texte.nr(hinweis),
    }


def auswahlen(app: uebersicht.Uebersicht) -> Iterator[tuple[str, str]]:
    """Every ``(Kommune, Handlungsfeld)`` the Übersicht's dropdowns offer."""
    for _, ags in app.kommune.options:
        for _, feld in app.handlungsfeld.options:
            yield ags, feld


def uebersicht_daten(app: uebersicht.Uebersicht, karten: dict[str, str]) -> dict[str, Any]:
    """What the Übersicht shows for every selection, as compact data for the page.

    Parameters
    ----------
    app : Uebersicht
        The app (best built with ``mit_karte=False``); its widgets are set to every
        selection in turn.
    karten : dict
        Handlungsfeld (or :data:`uebersicht.ALLE`) → file name of its map page.

    Returns
    -------
    dict
        JSON-ready: options, texts, tiles, matrix and gaps per selection.
    """
    texte, luecken_tabelle = Texte(), Tabelle()
    werte: dict[str, list[int]] = {}
    luecken: dict[str, dict[str, Any]] = {}
    matrix: dict[str, list[list[int]]] = {}
    matrix_hinweis: dict[str, str] = {}
    kopf: list[str] = []
    for ags, feld in auswahlen(app):
        app.kommune.value, app.handlungsfeld.value = ags, feld
        key = f"{ags}|{feld}"
        w = app.werte()
        werte[key] = [texte.nr(w[k]) for k in KACHELN]
        luecken[key] = _luecken(app, texte, luecken_tabelle)
        if ags not in matrix:
            kopf, matrix[ags] = _matrix_zeilen(app, texte)
            matrix_hinweis[ags] = app.matrix_hinweis()
    d = app.daten
    gesperrt_farbe, gesperrt_text = d.gesperrt_legende
    legende = [[k, c] for k, c in [*d.klassen_farben.items(), (gesperrt_text, gesperrt_farbe)]]
    return {
        "kreis": KREIS,
        "alle": uebersicht.ALLE,
        "kopf": f"{app.ws.name} · Stichtag {app.ws.stichtag:%d.%m.%Y}",
        "kommunen": [[str(n), str(v)] for n, v in app.kommune.options],
        "felder": [[str(n), str(v)] for n, v in app.handlungsfeld.options],
        "kacheln": _kachel_titel(app),
        "hinweis": sperrhinweis(app.ws),
        "je_gemeinde": d.kennzahlen_html(),
        "matrix_kopf": kopf,
        "matrix_hinweis": matrix_hinweis,
        "legende": legende,
        "textfarben": {c: textfarbe(c) for _, c in legende} | {"#fff": textfarbe("#fff")},
        "luecken_kopf": list(app.luecken_tabelle().columns),
        "karten": karten,
        "texte": texte.liste,
        "werte": werte,
        "matrix": matrix,
        "luecken_zeilen": luecken_tabelle.zeilen,
        "luecken": luecken,
    }


def karten_seiten(app: uebersicht.Uebersicht) -> dict[str, str]:
    """The Übersicht's map of the whole Kreis for each Handlungsfeld (and all): HTML pages."""
    return {feld: app.karte_seite(KREIS, feld) for _, feld in app.handlungsfeld.options}


# --------------------------------------------------------------------------- Angebotsfinder
def profile(app: angebotsfinder.Angebotsfinder) -> Iterator[Profil]:
    """Every profile the Angebotsfinder offers: each combination of its choices.

    Order: status, age, Gemeinde, Handlungsfeld (the last changes fastest), as
    :func:`profil_nummer` counts.
    """
    lo, hi = app.alter_bereich
    for _, status in app.status.options:
        for alter in range(lo, hi + 1):
            for _, ags in app.gemeinde.options:
                for _, feld in app.handlungsfeld.options:
                    yield Profil(status, alter, ags, feld)


def _passend_zeilen(app: angebotsfinder.Angebotsfinder, passend: Any) -> list[list[str]]:
    """The rows of the app's table of fitting offers (without the rank: the position)."""
    return [
        [
            str(r.name),
            str(r.traeger),
            str(r.handlungsfeld),
            str(r.standort),
            "aufsuchend" if r.aufsuchend else zahl(r.kosten),
            zahl(r.plaetze),
        ]
        for r in passend.itertuples()
    ]


def _aus_zeilen(aus: Any) -> list[list[str]]:
    """The rows of the app's table of excluded offers."""
    return [
        [str(r.name), str(r.traeger), str(r.handlungsfeld), str(r.gruende)]
        for r in aus.itertuples()
    ]


def angebotsfinder_daten(app: angebotsfinder.Angebotsfinder) -> dict[str, Any]:
    """The result of :meth:`Finder.suche` for every profile, as compact data for the page.

    The offer part of a row (name, Träger, field, place, …) and each reason are
    stored once; a profile refers to one entry of ``ergebnisse`` (identical results
    are stored once).
    """
    texte, zeilen, ergebnisse = Texte(), Tabelle(), Tabelle()
    nummern: list[int] = []
    for profil in profile(app):
        passend, aus = app.finder.suche(profil)
        eintrag = [len(passend)]
        for row in _passend_zeilen(app, passend):
            eintrag += [zeilen.nr(texte.zeile(row[:4] + row[5:])), texte.nr(row[4])]
        for row in _aus_zeilen(aus):
            eintrag += [zeilen.nr(texte.zeile(row[:3])), texte.nr(row[3])]
        nummern.append(ergebnisse.nr(eintrag))
    lo, hi = app.alter_bereich
    einheit = app.finder.einheit
    return {
        "kopf": f"{app.ws.name} · Stichtag {app.ws.stichtag:%d.%m.%Y}",
        "stichtag": f"{app.ws.stichtag:%d.%m.%Y}",
        "status": [[str(n), str(v)] for n, v in app.status.options],
        "alter": [lo, hi, int(app.alter.value)],
        "gemeinden": [[str(n), str(v)] for n, v in app.gemeinde.options],
        "felder": [[str(n), str(v)] for n, v in app.handlungsfeld.options],
        "kopf_passend": [
            "Rang",
            "Angebot",
            "Träger",
            "Handlungsfeld",
            "Standort",
            f"Weg ({einheit})",
            "Plätze/Jahr",
        ],
        "kopf_aus": ["Angebot", "Träger", "Handlungsfeld", "Grund"],
        "texte": texte.liste,
        "zeilen": zeilen.zeilen,
        "ergebnisse": ergebnisse.zeilen,
        "profile": nummern,
    }


def profil_nummer(daten: dict[str, Any], profil: Profil) -> int:
    """Position of ``profil`` in ``daten["profile"]`` (same counting as the page's script)."""

    def pos(options: list[list[str]], value: Hashable) -> int:
        return [v for _, v in options].index(value)

    lo, hi, _ = daten["alter"]
    n_alter, n_g, n_f = hi - lo + 1, len(daten["gemeinden"]), len(daten["felder"])
    i = pos(daten["status"], profil.status)
    i = i * n_alter + (profil.alter - lo)
    i = i * n_g + pos(daten["gemeinden"], profil.ags)
    return i * n_f + pos(daten["felder"], profil.handlungsfeld)


def ergebnis(daten: dict[str, Any], profil: Profil) -> tuple[list[list[str]], list[list[str]]]:
    """Decode the stored result of a profile: rows as the page shows them (with the rank)."""
    e = daten["ergebnisse"][daten["profile"][profil_nummer(daten, profil)]]
    t, z = daten["texte"], daten["zeilen"]
    n, rest = e[0], e[1:]
    paare = [rest[i : i + 2] for i in range(0, len(rest), 2)]
    passend = []
    for rang, (zeile, weg) in enumerate(paare[:n], start=1):
        a = [t[x] for x in z[zeile]]
        passend.append([str(rang), *a[:4], t[weg], a[4]])
    aus = [[*(t[x] for x in z[zeile]), t[grund]] for zeile, grund in paare[n:]]
    return passend, aus


# --------------------------------------------------------------------------- Stellen
def stellen_excel(daten: AppDaten) -> list[tuple[str, str, bytes]]:
    """The Excel file of Stellen und Förderung with its default settings, per Kommune.

    Returns
    -------
    list of (file name, Kommune, bytes)
        The app's own workbook (:func:`thm_lib.apps.stellen.excel_bytes`) and file
        name, for the whole Kreis and each Gemeinde.
    """
    app = stellen.build(daten)
    ws = daten.ws
    out = []
    for label, ags in app.kommune.options:
        app.kommune.value = ags
        if app.ergebnis is None:  # the defaults are in range; no file without a result
            continue
        data = stellen.excel_bytes(
            ws, app.ergebnis, app.personen, app.vergleich_tabelle(zahlen=True)
        )
        name = "Kreis" if ags == KREIS else ags
        out.append((f"thm_stellen_foerderung_{name}.xlsx", str(label), data))
    return out


# --------------------------------------------------------------------------- pages
@cache
def _umgebung() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(VORLAGEN)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _seite(vorlage: str, **kontext: Any) -> str:
    return _umgebung().get_template(vorlage).render(**kontext)


def daten_skript(name: str, daten: dict[str, Any]) -> str:
    """A script that sets ``window[name]`` to ``daten`` (JSON; ``</`` escaped)."""
    text = json.dumps(daten, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f"window.{name} = {text};\n"


def _tabelle_excel(excel: list[tuple[str, str, bytes]]) -> list[tuple[str, str]]:
    return [(f"{EXCEL_ORDNER}/{datei}", kommune) for datei, kommune, _ in excel]


# --------------------------------------------------------------------------- folder
@dataclass(frozen=True)
class StatischErgebnis:
    """What :func:`schreibe_statisch` wrote."""

    ordner: Path
    dateien: tuple[Path, ...]
    auswahlen: int
    profile: int

    @property
    def groesse(self) -> int:
        """Bytes of all files."""
        return sum(p.stat().st_size for p in self.dateien)


def ordner_frei(ordner: Path) -> None:
    """Raise :class:`OrdnerBelegt` unless ``ordner`` is missing, empty or ours.

    Ours: it holds :data:`MARKE` (written by an earlier static view).
    """
    if not ordner.exists():
        return
    if not ordner.is_dir():
        raise OrdnerBelegt(f"{ordner} ist eine Datei, kein Ordner.")
    if any(ordner.iterdir()) and not (ordner / MARKE).is_file():
        raise OrdnerBelegt(
            f"Der Ordner {ordner} ist nicht leer und enthält keine statische Ansicht der "
            "THM-Werkbank. Er wird nicht überschrieben; bitte einen leeren oder neuen "
            "Ordner angeben."
        )


def _stil() -> str:
    """The styles of the static view: those of the app pages, then its own."""
    gemeinsam = (paths.APP_PAGES / "apps.css").read_text(encoding="utf-8")
    return gemeinsam + "\n" + (VORLAGEN / "statisch.css").read_text(encoding="utf-8")


def dateien_erzeugen(daten: AppDaten) -> tuple[dict[str, str | bytes], int, int]:
    """Every file of the static view: relative path → content.

    Everything comes from the apps' bundle (:mod:`thm_lib.apps.daten`), as in the Voilà apps.

    Returns
    -------
    (dict, int, int)
        The files, the number of Übersicht selections and of Angebotsfinder profiles.
    """
    ws = daten.ws
    ueb = uebersicht.Uebersicht(daten, mit_karte=False)
    karten = {
        feld: f"{KARTEN_ORDNER}/karte_{i}.html"
        for i, (_, feld) in enumerate(ueb.handlungsfeld.options)
    }
    files: dict[str, str | bytes] = {
        karten[feld]: seite for feld, seite in karten_seiten(ueb).items()
    }
    u_daten = uebersicht_daten(ueb, karten)
    finder = angebotsfinder.build(daten)
    f_daten = angebotsfinder_daten(finder)
    excel = stellen_excel(daten)
    links = _tabelle_excel(excel)
    kontext = {"kreis": ws.name, "stichtag": f"{ws.stichtag:%d.%m.%Y}", "excel": links}
    files.update(
        {
            "index.html": _seite("index.html.j2", **kontext),
            "uebersicht.html": _seite("uebersicht.html.j2", **kontext),
            "angebotsfinder.html": _seite("angebotsfinder.html.j2", **kontext),
            "statisch.js": (VORLAGEN / "statisch.js").read_text(encoding="utf-8"),
            "statisch.css": _stil(),
            "daten_uebersicht.js": daten_skript("THM_UEBERSICHT", u_daten),
            "daten_angebotsfinder.js": daten_skript("THM_ANGEBOTSFINDER", f_daten),
            MARKE: "Statische Ansicht der THM-Werkbank (thm app --statisch).\n",
        }
    )
    files.update({f"{EXCEL_ORDNER}/{datei}": data for datei, _, data in excel})
    return files, len(u_daten["werte"]), len(f_daten["profile"])


def _schreiben(ziel: Path, files: dict[str, str | bytes]) -> list[Path]:
    out = []
    for rel, content in files.items():
        path = ziel / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        os.chmod(path, 0o644)
        out.append(path)
    return out


def _tauschen(neu: Path, ordner: Path) -> None:
    """Put the finished folder ``neu`` at ``ordner`` (replacing our earlier one)."""
    alt = None
    if ordner.exists():
        alt = ordner.with_name(f".{ordner.name}.alt-{os.getpid()}")
        os.replace(ordner, alt)
    os.replace(neu, ordner)
    if alt is not None:
        shutil.rmtree(alt, ignore_errors=True)


def schreibe_statisch(daten: AppDaten, ordner: str | os.PathLike[str]) -> StatischErgebnis:
    """Write the static view of the apps' bundle ``daten`` into ``ordner``, atomically.

    Everything is written into a temporary folder beside ``ordner`` and then
    renamed; a failure leaves ``ordner`` as it was.

    Parameters
    ----------
    daten : AppDaten
        The apps' bundle (:func:`thm_lib.apps.paket_bauen.erstellen` or
        :func:`~thm_lib.apps.daten.lesen`).
    ordner : path
        Target folder: missing, empty, or an earlier static view (replaced).

    Returns
    -------
    StatischErgebnis

    Raises
    ------
    OrdnerBelegt
        ``ordner`` holds other files.
    """
    ziel = Path(ordner).resolve()
    ordner_frei(ziel)
    files, n_auswahlen, n_profile = dateien_erzeugen(daten)
    ziel.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{ziel.name}.", suffix=".tmp", dir=ziel.parent))
    try:
        _schreiben(tmp, files)
        os.chmod(tmp, 0o755)
        ordner_frei(ziel)  # nobody put files there meanwhile
        _tauschen(tmp, ziel)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return StatischErgebnis(
        ordner=ziel,
        dateien=tuple(sorted(ziel / rel for rel in files)),
        auswahlen=n_auswahlen,
        profile=n_profile,
    )
