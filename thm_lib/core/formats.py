"""German number formats for everything shown to people (one place for all of them).

Text (e.g. the suppression marks ``"<5"`` and ``"."``) passes unchanged;
missing values are shown as a dash.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

MISSING = "–"


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
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


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
