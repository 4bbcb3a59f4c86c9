"""German number formats for everything shown to people (one place for all of them).

Text (e.g. the suppression marks ``"<5"`` and ``"."``) passes unchanged;
missing values are shown as a dash. :func:`md` puts a name from the Arbeitsmappe
into Markdown text unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, TypeVar

import numpy as np
import pandas as pd

MISSING = "–"

#: Decimals a value is rounded to before its published rounding (:func:`gerundet`).
RAUSCHFREI = 9

T = TypeVar("T")


def gerundet(values: T, decimals: int = 1) -> T:
    """Round for publication, alike for values equal up to floating-point noise.

    A sum of the same figures in another order differs in the last bits (4.95 as
    4.9499999999999993 or 4.9500000000000002) and would round to 4.9 or to 5.0; so a
    published figure would follow the order of rows, e.g. how the persons of a
    Gemeinde are spread over age bands. Rounding to :data:`RAUSCHFREI` decimals first
    makes them one number. Scalars, numpy arrays and pandas objects.

    Examples
    --------
    >>> float(gerundet(4.9499999999999993)) == float(gerundet(4.9500000000000002))
    True
    """
    return np.round(np.round(values, RAUSCHFREI), decimals)


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def zahl(value: Any, decimals: int = 0) -> str:
    """German number format: ``1234.5`` -> ``"1.234,5"`` (with ``decimals=1``).

    Examples
    --------
    >>> zahl(1234.5, 1), zahl(7), zahl("<5"), zahl(None)
    ('1.234,5', '7', '<5', '–')
    """
    if isinstance(value, str):
        return value
    if _missing(value):
        return MISSING
    text = f"{float(gerundet(float(value), decimals)):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def anzahl(n: int, einzahl: str, mehrzahl: str) -> str:
    """A count with its noun in the right number: ``1 Befund``, ``2 Befunde``.

    Examples
    --------
    >>> anzahl(1, "Befund", "Befunde"), anzahl(1234, "Befund", "Befunde")
    ('1 Befund', '1.234 Befunde')
    """
    return f"{zahl(n)} {einzahl if n == 1 else mehrzahl}"


def kurz(value: float) -> str:
    """A German number without trailing zeros, for rules and names (``1:85,5``, ``0,5 Stelle``).

    Examples
    --------
    >>> kurz(0.5), kurz(100.0), kurz(85.5), kurz(0.975 * 100)
    ('0,5', '100', '85,5', '97,5')
    """
    return f"{float(value):g}".replace(".", ",")


def prozent(share: Any, decimals: int = 0) -> str:
    """A share 0..1 in German percent: ``0.284`` -> ``"28 %"``.

    Examples
    --------
    >>> prozent(0.284), prozent(0.5, 1), prozent(".")
    ('28 %', '50,0 %', '.')
    """
    if isinstance(share, str):
        return share
    if _missing(share):
        return MISSING
    return zahl(float(share) * 100, decimals) + " %"


def versorgungsgrad(value: Any) -> str:
    """A Versorgungsgrad (already in %) as it is published: one decimal, ``"74,9 %"``.

    One decimal everywhere the Versorgungsgrad is shown next to its gap class
    (matrix, list of gaps, map tooltip, Standortplanung): the class is decided on
    this shown value (:func:`thm_lib.analysis.coverage.gap_class`), so a cell in the
    colour of Unterversorgung never reads "75 %". Text (a suppression symbol) stays.

    Examples
    --------
    >>> versorgungsgrad(74.94), versorgungsgrad(75.0), versorgungsgrad("."), versorgungsgrad(None)
    ('74,9 %', '75,0 %', '.', '–')
    """
    if isinstance(value, str) or _missing(value):
        return zahl(value, 1)
    return zahl(value, 1) + " %"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|~&$!])")
"""Characters Markdown (or the HTML inside it) would read as formatting."""


def md(text: Any) -> str:
    """A name from the Arbeitsmappe for a Markdown text, shown exactly as written.

    Offer, Träger, Gemeinde and Kreis names are the office's own text: in Markdown,
    ``*intensiv*`` would turn italic, ``Deutsch_A1_B1`` lose its underscores and
    ``<b>`` or ``&`` be read as HTML. Each such character gets a backslash (a
    CommonMark escape, dropped again by every Markdown renderer used here).

    Examples
    --------
    >>> md("Kurs *intensiv* <A1> & Co")
    'Kurs \\\\*intensiv\\\\* \\\\<A1\\\\> \\\\& Co'
    >>> md("Schloß Holte-Stukenbrock")
    'Schloß Holte-Stukenbrock'
    """
    return _MARKDOWN.sub(r"\\\1", str(text))


def anzahl_ohne_verborgene(anzahl: int, verborgen: int, zellen: int, zeichen: str) -> str:
    """A count of shown cells (say, in Unterversorgung) when some cells are hidden.

    ``anzahl`` counts among the shown cells only; a hidden cell may belong too. So
    the count is shown as ``mindestens`` while any of the ``zellen`` is hidden, and
    as the suppression ``zeichen`` when all of them are: "0" there would say that
    there is none.

    Examples
    --------
    >>> anzahl_ohne_verborgene(3, 0, 12, "."), anzahl_ohne_verborgene(3, 2, 12, ".")
    ('3', 'mindestens 3')
    >>> anzahl_ohne_verborgene(0, 12, 12, "."), anzahl_ohne_verborgene(0, 0, 0, ".")
    ('.', '0')
    """
    if not verborgen:
        return zahl(anzahl)
    if verborgen >= zellen:
        return zeichen
    return f"mindestens {zahl(anzahl)}"


_UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug(name: str) -> str:
    """A folder name for a Kreis: lower case ASCII letters, digits and ``_``.

    Umlauts are written out (``ü`` -> ``ue``), other accents dropped (``é`` -> ``e``),
    every other run of characters becomes one ``_``; ``kreis`` when nothing is left.

    Examples
    --------
    >>> slug("Musterkreis (fiktiv)"), slug("Kreis Südbörde (fiktiv)")
    ('musterkreis_fiktiv', 'kreis_suedboerde_fiktiv')
    >>> slug("Saint-Étienne"), slug("***")
    ('saint_etienne', 'kreis')
    """
    text = name.lower().translate(_UMLAUTE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "kreis"
