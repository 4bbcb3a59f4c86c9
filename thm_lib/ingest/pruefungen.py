"""Checks across the tables of an Arbeitsmappe, and the warnings that do not stop it.

Each table is valid on its own when it gets here (:mod:`thm_lib.ingest.arbeitsmappe`);
these checks look at the tables together: unknown Gemeinden, duplicate rows, Stichtage
that do not fit, and what a planner should see but may leave (offers without places,
cases outside the target ages or after today).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from thm_lib.core.errors import ProblemCollector, zeilen_text
from thm_lib.core.formats import anzahl, zahl
from thm_lib.core.settings import Annahmen
from thm_lib.ingest.columns import normalise_word
from thm_lib.ingest.tables import datei_von


def warn_stichtag(annahmen: Annahmen, zielgruppe: pd.DataFrame, warnings: list[str]) -> None:
    stichtag = annahmen.kreis.stichtag
    if stichtag is None:
        return
    vorhanden = set(zielgruppe["stichtag"].dropna())
    if pd.Timestamp(stichtag) not in vorhanden:
        shown = ", ".join(sorted(t.strftime("%d.%m.%Y") for t in vorhanden))
        warnings.append(
            f"annahmen.yaml: Für den Stichtag {pd.Timestamp(stichtag):%d.%m.%Y} "
            f"gibt es keine Zeilen in der Zielgruppe (vorhanden: {shown}); "
            "gezählt wird am letzten Stichtag davor (sonst am frühesten)."
        )


def warn_kreisschluessel(annahmen: Annahmen, gebiete: pd.DataFrame, warnings: list[str]) -> None:
    """``kreis.ags`` that is not the beginning of the Gemeinden's keys (another Kreis's key).

    The key names the Kreis in the staffing table, the bundle's manifest and the
    Land run; a key copied from another Arbeitsmappe would label the Kreis wrongly.
    """
    kreis = annahmen.kreis.ags
    if not kreis:
        return
    fremd = sorted(a for a in gebiete["ags"].astype(str) if not a.startswith(str(kreis)))
    if fremd:
        beispiele = ", ".join(fremd[:3]) + (" …" if len(fremd) > 3 else "")
        warnings.append(
            f"annahmen.yaml: Der Kreisschlüssel kreis.ags '{kreis}' ist nicht der Anfang "
            f"der Gemeindeschlüssel von {len(fremd)} der {len(gebiete)} Gemeinden "
            f"({beispiele}). Bitte kreis.ags prüfen: die ersten fünf Stellen der "
            "Gemeindeschlüssel des Kreises (bei einer kreisfreien Stadt ihr Schlüssel ohne "
            "die drei Nullen am Ende)."
        )


ANGEBOTE_GENANNT = 10
"""Offers named by their ID in one note; the rows of all are named."""


def warn_ohne_plaetze(angebote: pd.DataFrame, warnings: list[str]) -> None:
    """Offers with 0 places: listed and mapped, but they cover no need in the coverage.

    Not an error (a placeholder while the capacity is asked for), but never a silent
    zero: the planner learns which offers count for nothing.
    """
    ohne = angebote[angebote["plaetze"] == 0]
    if ohne.empty:
        return
    ids = ", ".join(str(i) for i in ohne["angebot_id"].head(ANGEBOTE_GENANNT))
    if len(ohne) > ANGEBOTE_GENANNT:
        ids += f" und {len(ohne) - ANGEBOTE_GENANNT} weitere"
    eins = len(ohne) == 1
    warnings.append(
        f"{datei_von(angebote)}, Spalte 'plaetze': {len(ohne)} "
        f"{'Angebot' if eins else 'Angebote'} mit 0 Plätzen "
        f"({zeilen_text(int(z) for z in ohne['_zeile'])}: {ids}). "
        f"{'Es steht' if eins else 'Sie stehen'} im Angebotsverzeichnis und auf der "
        f"Karte, {'deckt' if eins else 'decken'} bei der Versorgung aber keinen Bedarf. "
        "Bitte die Plätze pro Jahr eintragen (eine Schätzung ist besser als keine) oder ein "
        "beendetes Angebot mit 'ende' abschließen."
    )


def zeilen_mit_werten(frame: pd.DataFrame, spalte: str, text: Any, bis: int = 5) -> str:
    """``Zeile 2: 35, Zeile 4: 17`` for the first ``bis`` rows, then ``und n weitere``."""
    teile = ", ".join(
        f"Zeile {int(z)}: {text(w)}"
        for z, w in frame[["_zeile", spalte]].head(bis).itertuples(index=False)
    )
    return teile + (f" und {len(frame) - bis} weitere" if len(frame) > bis else "")


def warn_alter_der_faelle(faelle: pd.DataFrame, annahmen: Annahmen, warnings: list[str]) -> None:
    """Cases whose age at the start lies outside the target group (a typo, or a case that
    came in later): counted in the Fallzahlen, not in the need rates of the target group.

    The warning names rows and ages only, never a pseudonym (it reaches the console).
    """
    von, bis = annahmen.zielgruppe.alter_min, annahmen.zielgruppe.alter_max
    aussen = faelle[(faelle["alter"] < von) | (faelle["alter"] > bis)]
    if aussen.empty:
        return
    zeilen = zeilen_mit_werten(aussen, "alter", lambda a: str(int(a)))
    eins = len(aussen) == 1
    warnings.append(
        f"{datei_von(faelle)}, Spalte 'alter': {len(aussen)} "
        f"{'Fall ist' if eins else 'Fälle sind'} bei Beginn nicht {von} bis {bis} "
        f"Jahre alt ({zeilen}). {'Er zählt' if eins else 'Sie zählen'} in den "
        "Fallzahlen, aber nicht für die Bedarfsquoten der Zielgruppe. Bitte das Alter prüfen "
        "(Tippfehler?)."
    )


def warn_daten_der_faelle(
    faelle: pd.DataFrame, warnings: list[str], heute: pd.Timestamp | None = None
) -> None:
    """Case dates that look like typos: after today, or a closure reason without an end.

    A case that begins after today counts in no period up to now; one with an
    ``abschlussgrund`` but no ``ende`` counts as active. Warnings, not errors (a
    start may be entered ahead); rows only, never a pseudonym.
    """
    heute = pd.Timestamp.today().normalize() if heute is None else heute
    datei = datei_von(faelle)
    for spalte in ("beginn", "ende"):
        spaet = faelle[faelle[spalte] > heute]
        if len(spaet):
            zeilen = zeilen_mit_werten(spaet, spalte, lambda d: f"{d:%d.%m.%Y}")
            warnings.append(
                f"{datei}, Spalte '{spalte}': {len(spaet)} "
                f"{'Datum liegt' if len(spaet) == 1 else 'Daten liegen'} nach dem heutigen Tag "
                f"({zeilen}). Ein Fall zählt nur in Zeiträumen, in denen er "
                "begonnen hat und nicht beendet ist. Tippfehler im Jahr?"
            )
    offen = faelle[faelle["abschlussgrund"].notna() & faelle["ende"].isna()]
    if len(offen):
        warnings.append(
            f"{datei}, Spalte 'ende': {len(offen)} "
            f"{'Fall hat' if len(offen) == 1 else 'Fälle haben'} einen Abschlussgrund, aber "
            f"kein Ende ({zeilen_text(int(z) for z in offen['_zeile'])}) und "
            f"{'zählt' if len(offen) == 1 else 'zählen'} als aktiv. Bitte das Ende eintragen "
            "oder den Abschlussgrund löschen."
        )


def _unknown_ags(
    frame: pd.DataFrame,
    datei: str,
    known: set[str],
    problems: ProblemCollector,
    column: str = "ags",
) -> None:
    for ags, zeile in zip(frame[column], frame["_zeile"], strict=True):
        if ags is not None and not pd.isna(ags) and ags not in known:
            problems.add(
                datei,
                "Gemeindeschlüssel gibt es in 'gebiete' nicht",
                "Bitte den AGS prüfen oder die Gemeinde in 'gebiete' ergänzen",
                zeile=int(zeile),
                spalte=column,
                wert=ags,
            )


def cross_checks(
    gebiete: gpd.GeoDataFrame,
    zielgruppe: pd.DataFrame,
    angebote: pd.DataFrame,
    faelle: pd.DataFrame | None,
    bedarfe: pd.DataFrame | None,
    reisezeiten: pd.DataFrame | None,
    kommunen: pd.DataFrame | None,
    problems: ProblemCollector,
) -> None:
    known = set(gebiete["ags"])
    folder_files = {
        "zielgruppe": zielgruppe,
        "angebote": angebote,
        "faelle": faelle,
        "reisezeiten": reisezeiten,
        "kommunen": kommunen,
    }
    for frame in folder_files.values():
        if frame is not None:
            _unknown_ags(frame, datei_von(frame), known, problems)
    for ids, zeile in zip(angebote["einzugsgebiet"], angebote["_zeile"], strict=True):
        for ags in ids:
            if ags not in known:
                problems.add(
                    datei_von(angebote),
                    "Einzugsgebiet nennt einen unbekannten AGS",
                    "Bitte nur AGS aus 'gebiete' eintragen",
                    zeile=int(zeile),
                    spalte="einzugsgebiet",
                    wert=ags,
                )
    for frame in (angebote, faelle):
        if frame is None:
            continue
        datei = datei_von(frame)
        bad = frame["ende"].notna() & frame["beginn"].notna() & (frame["ende"] < frame["beginn"])
        for zeile, beginn, ende in frame.loc[bad, ["_zeile", "beginn", "ende"]].itertuples(
            index=False
        ):
            problems.add(
                datei,
                "Ende liegt vor dem Beginn",
                "Bitte die Daten prüfen (vertauscht?)",
                zeile=int(zeile),
                spalte="ende",
                wert=f"beginn={beginn:%d.%m.%Y}, ende={ende:%d.%m.%Y}",
            )
    if reisezeiten is not None:
        angebot_ids = set(angebote["angebot_id"])
        _unbekannte_ids(reisezeiten, "angebot_id", angebot_ids, "Angebot", "angebote", problems)
    if bedarfe is not None and faelle is not None:
        _unbekannte_ids(bedarfe, "fall_id", set(faelle["fall_id"]), "Fall", "faelle", problems)


def _unbekannte_ids(
    frame: pd.DataFrame,
    spalte: str,
    bekannt: set[str],
    was: str,
    andere: str,
    problems: ProblemCollector,
) -> None:
    """A problem for each row whose ``spalte`` names no ``was`` of the table ``andere``."""
    for wert, zeile in zip(frame[spalte], frame["_zeile"], strict=True):
        if wert not in bekannt:
            problems.add(
                datei_von(frame),
                f"{was} gibt es in '{andere}' nicht",
                f"Bitte die {spalte} prüfen",
                zeile=int(zeile),
                spalte=spalte,
                wert=wert,
            )


#: A Stichtag standing in at most this many rows of zielgruppe, while another one
#: stands in :data:`SELTEN_FAKTOR` times as many, is likely a typo (warning).
SELTEN_ZEILEN = 3


SELTEN_FAKTOR = 10


def check_stichtage(
    zielgruppe: pd.DataFrame,
    problems: ProblemCollector,
    warnings: list[str],
    heute: pd.Timestamp | None = None,
) -> None:
    """Stichtage that cannot be right (in the future) or look like a typo (a stray date).

    A count of the target group is never dated after today: an error. A Stichtag
    found in only a few rows while the others fill hundreds is most likely a
    mistyped date; it is not harmless, because each Gemeinde is counted at its
    own latest Stichtag (:func:`thm_lib.analysis.target_group.stichtag_je_gemeinde`):
    one row dated 31.12.2031 instead of 2021 made the Gemeinde count that row
    alone, another date in between dropped the row without a word. A warning,
    since a Stichtag may hold just a few rows on purpose.
    """
    datei = datei_von(zielgruppe)
    heute = pd.Timestamp.today().normalize() if heute is None else heute
    zukunft = zielgruppe[zielgruppe["stichtag"] > heute]
    for zeile, tag in zukunft[["_zeile", "stichtag"]].itertuples(index=False):
        problems.add(
            datei,
            "Stichtag liegt in der Zukunft",
            f"Bitte das Datum prüfen (heute ist der {heute:%d.%m.%Y}; Tippfehler im Jahr?)",
            zeile=int(zeile),
            spalte="stichtag",
            wert=f"{tag:%d.%m.%Y}",
        )
    je_gemeinde = zielgruppe.groupby(["ags", "stichtag"]).size()
    selten, sonst = [], 0
    for tag, zeilen in zielgruppe.groupby("stichtag"):
        rows = zeilen["_zeile"]
        if len(rows) > SELTEN_ZEILEN:
            continue
        # each of its Gemeinden has another Stichtag with many more rows (a Gemeinde
        # counted in a few rows at every Stichtag, e.g. by age band, is no typo)
        andere = [je_gemeinde[g].drop(tag) for g in zeilen["ags"].unique()]
        if all(len(a) and a.max() >= SELTEN_FAKTOR * len(rows) for a in andere):
            selten.append(f"{tag:%d.%m.%Y} ({zeilen_text(int(z) for z in rows)})")
            sonst = max(sonst, *(int(a.max()) for a in andere))
    if selten:
        warnings.append(
            f"{datei}: {'Der Stichtag' if len(selten) == 1 else 'Die Stichtage'} "
            f"{', '.join(selten)} {'steht' if len(selten) == 1 else 'stehen'} nur in "
            f"wenigen Zeilen; ihre Gemeinden haben an anderen Stichtagen bis zu "
            f"{zahl(sonst)} Zeilen. Tippfehler im Datum? Jede Gemeinde wird an ihrem letzten "
            "Stichtag gezählt; eine Zeile mit falschem Datum zählt dann allein oder gar nicht."
        )


def check_kennungen(
    faelle: pd.DataFrame | None, angebote: pd.DataFrame, problems: ProblemCollector
) -> None:
    """Keys that differ only in case, spaces or hyphens ("TM-7JHEMP" and "tm-7jhemp ").

    Exact repeats are caught by the schema; these count as two cases (or offers)
    although they are most likely one entered twice. An error naming the rows,
    never the key (a pseudonym).
    """
    for frame, spalte, was in ((faelle, "fall_id", "Fall"), (angebote, "angebot_id", "Angebot")):
        if frame is None or spalte not in frame.columns:
            continue
        ids = frame[[spalte, "_zeile"]].dropna(subset=[spalte])
        norm = ids[spalte].astype(str).map(normalise_word)
        for _, gruppe in ids.groupby(norm, sort=False):
            if gruppe[spalte].astype(str).nunique() < 2:
                continue
            zeilen = sorted(int(z) for z in gruppe["_zeile"])
            problems.add(
                datei_von(frame),
                f"Kennungen unterscheiden sich nur in Groß-/Kleinschreibung, Leerzeichen oder "
                f"Bindestrichen ({zeilen_text(zeilen)}) und zählen als zwei",
                f"Derselbe {was} doppelt? Bitte die doppelte Zeile löschen oder die "
                "Kennungen deutlich unterscheiden",
                zeile=zeilen[0],
                spalte=spalte,
            )


def _duplicate_rows(frame: pd.DataFrame, keys: list[str]) -> list[list[int]]:
    """User-visible rows of every group of rows that agree on ``keys`` (groups of 2+)."""
    dup = frame.duplicated(subset=keys, keep=False)
    if not dup.any():
        return []
    groups = frame.loc[dup].groupby(keys, dropna=False, sort=False)["_zeile"]
    return sorted(sorted(int(z) for z in rows) for _, rows in groups)


def duplicate_checks(
    zielgruppe: pd.DataFrame,
    bedarfe: pd.DataFrame | None,
    reisezeiten: pd.DataFrame | None,
    problems: ProblemCollector,
    warnings: list[str],
) -> None:
    """Repeated keys: an error where they would count twice, a warning in zielgruppe.

    ``zielgruppe`` may legitimately repeat a key when the source splits further
    (e.g. by nationality, an unknown column that is not read); the counts are added.
    """
    for frame, keys, was in (
        (bedarfe, ["fall_id", "handlungsfeld"], "Bedarf"),
        (reisezeiten, ["ags", "angebot_id"], "Reisezeit"),
    ):
        if frame is None:
            continue
        for zeilen in _duplicate_rows(frame, keys):
            problems.add(
                datei_von(frame),
                f"{was} steht mehrfach in der Tabelle (Zeilen {', '.join(map(str, zeilen))})",
                f"Bitte jede Kombination aus {' und '.join(keys)} nur einmal eintragen",
                zeile=zeilen[0],
                spalte=keys[-1],
            )
    groups = _duplicate_rows(
        zielgruppe, ["ags", "stichtag", "status", "alter_von", "alter_bis", "geschlecht"]
    )
    if groups:
        shown = "; ".join(", ".join(map(str, g)) for g in groups[:5])
        eins = len(groups) == 1
        warnings.append(
            f"{datei_von(zielgruppe)}: {anzahl(len(groups), 'Kombination', 'Kombinationen')} "
            "aus ags, stichtag, status, Alter und geschlecht "
            f"{'steht' if eins else 'stehen'} mehrfach da und {'wird' if eins else 'werden'} "
            "addiert "
            f"(Zeilen {shown}{' …' if len(groups) > 5 else ''}). Bitte prüfen, ob "
            "Zeilen doppelt eingefügt wurden."
        )
    warn_ueberlappende_alter(zielgruppe, warnings)


UEBERLAPPUNGEN_GENANNT = 5
"""Overlapping age bands named in one note (all are counted)."""


def warn_ueberlappende_alter(zielgruppe: pd.DataFrame, warnings: list[str]) -> None:
    """Age bands of one Gemeinde, Stichtag, status and sex that overlap (counted twice).

    A statistics table often carries a total ("18-27", or "zusammen" typed as
    the band of all ages) next to the single ages it sums; the rows are added,
    so the total counts twice. Overlap may also be legitimate (a source split by
    nationality, one part in single ages, one in bands), hence a warning. A band
    whose count equals the sum of the bands inside it is named as a likely total.

    Parameters
    ----------
    zielgruppe : pandas.DataFrame
        The loaded target group (``alter_von``, ``alter_bis``, ``anzahl``, ``_zeile``).
    warnings : list of str
        Receives one note naming the rows (the first few overlaps).
    """
    keys = ["ags", "stichtag", "status", "geschlecht"]
    zg = zielgruppe.dropna(subset=["alter_von", "alter_bis"])
    band = [*keys, "alter_von", "alter_bis"]
    bands = zg[band].drop_duplicates().sort_values(band)
    # sorted by age: a band overlaps an earlier one iff it starts before their latest end
    bis_vorher = bands.groupby(keys, dropna=False)["alter_bis"].cummax()
    bis_vorher = bis_vorher.groupby([bands[k] for k in keys], dropna=False).shift()
    betroffen = bands.loc[bands["alter_von"] <= bis_vorher, keys].drop_duplicates()
    if betroffen.empty:
        return
    zeilen = (
        zg.merge(betroffen, on=keys)
        .groupby(band, dropna=False, sort=True)
        .agg(anzahl=("anzahl", "sum"), zeilen=("_zeile", list))
        .reset_index()
    )
    funde = [
        text
        for _, gruppe in zeilen.groupby(keys, dropna=False, sort=False)
        for text in _ueberlappungen(gruppe.reset_index(drop=True))
    ]
    gezeigt = "; ".join(funde[:UEBERLAPPUNGEN_GENANNT])
    mehr = len(funde) - UEBERLAPPUNGEN_GENANNT
    mehr_text = f" und {mehr} weitere" if mehr > 0 else ""
    warnings.append(
        f"{datei_von(zielgruppe)}: Altersgruppen derselben Gemeinde, desselben "
        f"Stichtags, Status und Geschlechts überschneiden sich; ihre Zahlen werden "
        f"addiert und zählen doppelt ({gezeigt}{mehr_text}). Bitte Summenzeilen löschen "
        "und jede Person nur in einer Altersgruppe zählen."
    )


def _ueberlappungen(gruppe: pd.DataFrame) -> list[str]:
    """Texts for the overlapping bands of one group (one row per band, sorted by age)."""
    von = gruppe["alter_von"].to_numpy(dtype=int)
    bis = gruppe["alter_bis"].to_numpy(dtype=int)
    zeilen = [zeilen_text(int(z) for z in rows) for rows in gruppe["zeilen"]]

    def enthaelt(i: int, j: int) -> bool:
        return von[i] <= von[j] and bis[j] <= bis[i]

    texte: list[str] = []
    for i in range(len(gruppe)):
        band = f"{zeilen[i]} ({von[i]}-{bis[i]} Jahre)"
        innen = [j for j in range(len(gruppe)) if j != i and enthaelt(i, j)]
        if innen:
            teile = [int(z) for j in innen for z in gruppe["zeilen"].iloc[j]]
            summe = int(gruppe["anzahl"].iloc[innen].sum())
            text = f"{band} enthält {zeilen_text(teile)}"
            if summe > 0 and int(gruppe["anzahl"].iloc[i]) == summe:
                text += " und ist deren Summe – wohl eine Summenzeile"
            texte.append(text)
        for j in range(i + 1, len(gruppe)):
            if von[j] <= bis[i] and not enthaelt(i, j) and not enthaelt(j, i):
                texte.append(f"{band} und {zeilen[j]} ({von[j]}-{bis[j]} Jahre) überschneiden sich")
    return texte
