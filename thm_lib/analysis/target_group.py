"""The target group (Zielgruppe) per Gemeinde and segment, and the reach of THM.

A segment is status × Altersgruppe × geschlecht. Altersgruppen come from
``annahmen.zielgruppe.altersgruppen`` (inclusive year ranges), cut to the
eligible ages ``alter_min``..``alter_max``; the eligible statuses are
``annahmen.zielgruppe.status`` (in order of priority).

Source rows given as age bands (``alter`` NA, ``alter_von``..``alter_bis``)
that do not match the configured bands are split assuming the persons are
spread evenly over the years of the source band (the only assumption
possible without single-year data); the share outside the eligible ages is
dropped. Rows whose ``anzahl`` is a statistics placeholder (NA) count as
missing, not as zero: they are left out and the loader has warned about them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from thm_lib.core.labels import GESCHLECHT
from thm_lib.core.settings import Annahmen

SEGMENT = ["status", "altersgruppe", "geschlecht"]


def as_float(values: pd.Series) -> np.ndarray:
    """Numeric column (also nullable Int64 with NA) as a float array with NaN."""
    return (
        pd.to_numeric(values, errors="coerce")
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )


def altersgruppe_label(von: int, bis: int) -> str:
    """Label of an age band, e.g. ``"18-20"`` (single year: ``"18"``)."""
    return f"{von}" if von == bis else f"{von}-{bis}"


def altersgruppen(annahmen: Annahmen) -> list[tuple[int, int, str]]:
    """Configured age bands cut to the eligible ages: ``[(von, bis, label), ...]``.

    Bands entirely outside ``alter_min``..``alter_max`` are dropped.
    """
    z = annahmen.zielgruppe
    lo, hi = z.alter_min, z.alter_max
    bands = z.altersgruppen
    out = []
    for von, bis in bands:
        v, b = max(int(von), lo), min(int(bis), hi)
        if v <= b:
            out.append((v, b, altersgruppe_label(v, b)))
    return out


def band_of_age(alter: pd.Series, annahmen: Annahmen) -> pd.Series:
    """Altersgruppe label for single ages; NA outside the eligible ages."""
    out = pd.Series(pd.NA, index=alter.index, dtype="string")
    a = pd.to_numeric(alter, errors="coerce")
    for von, bis, label in altersgruppen(annahmen):
        out[(a >= von) & (a <= bis)] = label
    return out


def letzter_stichtag(stichtage: Sequence[pd.Timestamp], tag: Any) -> pd.Timestamp | None:
    """The latest of ``stichtage`` on or before ``tag`` (None if there is none or no tag).

    The rule behind :func:`stichtag_je_gemeinde` for one list of dates (there a
    Gemeinde without any count that early takes its earliest one).

    Examples
    --------
    >>> tage = [pd.Timestamp("2020-12-31"), pd.Timestamp("2021-12-31")]
    >>> letzter_stichtag(tage, "2021-06-30").year, letzter_stichtag(tage, "2019-12-31")
    (2020, None)
    """
    if tag is None or pd.isna(tag):
        return None
    before = [t for t in sorted(stichtage) if t <= pd.Timestamp(tag)]
    return before[-1] if before else None


def stichtag_je_gemeinde(zielgruppe: pd.DataFrame, stichtag: pd.Timestamp | None) -> pd.Series:
    """The Stichtag each Gemeinde's count is taken from (THE rule, used everywhere).

    Each Gemeinde uses its own latest Stichtag on or before ``stichtag``; where
    it has none that early, its earliest one. Gemeinden whose data stop at
    different dates thus each keep their latest count instead of dropping to 0.

    Parameters
    ----------
    zielgruppe : pandas.DataFrame
        Rows with ``ags`` and ``stichtag``.
    stichtag : pandas.Timestamp or None
        Analysis date; ``None`` (or NaT): each Gemeinde's latest Stichtag.

    Returns
    -------
    pandas.Series
        Index ``ags`` (str), the chosen Stichtag per Gemeinde.

    Examples
    --------
    >>> zg = pd.DataFrame({"ags": ["1", "1", "2"],
    ...                    "stichtag": pd.to_datetime(["2020-12-31", "2021-12-31", "2020-12-31"])})
    >>> stichtag_je_gemeinde(zg, pd.Timestamp("2021-12-31")).dt.year.tolist()
    [2021, 2020]
    """
    tage = pd.to_datetime(zielgruppe["stichtag"])
    ags = zielgruppe["ags"].astype(str).rename("ags")
    latest = tage.groupby(ags).max()
    if stichtag is None or pd.isna(stichtag):
        return latest
    before = tage.where(tage <= pd.Timestamp(stichtag)).groupby(ags).max()
    return before.where(before.notna(), tage.groupby(ags).min())


def segment_index(annahmen: Annahmen) -> pd.MultiIndex:
    """All segments (configured status × Altersgruppe × geschlecht) in canonical order.

    Examples
    --------
    >>> from thm_lib.core.config import default_annahmen
    >>> idx = segment_index(default_annahmen())
    >>> list(idx.names), idx[0], len(idx)  # 2 statuses x 3 age groups x 4 values of geschlecht
    (['status', 'altersgruppe', 'geschlecht'], ('duldung', '18-20', 'm'), 24)
    """
    status = list(annahmen.zielgruppe.status)
    bands = [label for _, _, label in altersgruppen(annahmen)]
    return pd.MultiIndex.from_product([status, bands, list(GESCHLECHT)], names=SEGMENT)


def mit_einwilligung(faelle: pd.DataFrame) -> pd.Series:
    """True per case record with consent (``einwilligung``); a missing value is no consent.

    Records without consent never reach anything shared (KOKIP 5); every count of
    cases goes through this one mask.
    """
    return faelle["einwilligung"].astype("boolean").fillna(False).astype(bool)


def select_stichtag(zielgruppe: pd.DataFrame, stichtag: pd.Timestamp | None) -> pd.DataFrame:
    """Rows of each Gemeinde's own Stichtag for ``stichtag`` (:func:`stichtag_je_gemeinde`)."""
    if zielgruppe.empty:
        return zielgruppe
    tage = pd.to_datetime(zielgruppe["stichtag"])
    ags = zielgruppe["ags"].astype(str)
    # fast path (the usual case): every Gemeinde has a count at the overall choice, which
    # then is each one's own choice too (no Gemeinde has a later date on or before it)
    before = tage if stichtag is None or pd.isna(stichtag) else tage[tage <= pd.Timestamp(stichtag)]
    overall = (tage == (before.max() if len(before) else tage.min())).to_numpy()
    if ags[overall].nunique() == ags.nunique():
        return zielgruppe[overall]
    wanted = ags.map(stichtag_je_gemeinde(zielgruppe, stichtag))
    return zielgruppe[(tage == wanted).to_numpy()]


def _alter_von_bis(zg: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last age of each row: its single ``alter`` if given, else its band."""
    von, bis = as_float(zg["alter_von"]), as_float(zg["alter_bis"])
    if "alter" in zg:
        a = as_float(zg["alter"])
        von, bis = np.where(np.isnan(a), von, a), np.where(np.isnan(a), bis, a)
    return von, bis


def unbekannte_werte(
    zielgruppe: pd.DataFrame, annahmen: Annahmen, stichtag: pd.Timestamp | None = None
) -> pd.Series:
    """Per Gemeinde, the rows of its count that :func:`segments` leaves out as unknown.

    Rows of a configured status at the Gemeinde's Stichtag whose ages meet the
    target group and whose ``anzahl`` is missing (a symbol of official statistics
    such as ``.``, read as missing): the Gemeinde's figures are lower bounds.

    Returns
    -------
    pandas.Series
        Index ``ags`` (str), number of such rows (> 0 only).
    """
    zg = select_stichtag(zielgruppe, stichtag)
    zg = zg[zg["status"].isin(list(annahmen.zielgruppe.status)) & zg["anzahl"].isna()]
    if zg.empty:
        return pd.Series(dtype=int)
    von, bis = _alter_von_bis(zg)
    z = annahmen.zielgruppe
    trifft = (np.minimum(bis, z.alter_max) >= np.maximum(von, z.alter_min)) | np.isnan(von)
    return zg.loc[trifft, "ags"].astype(str).value_counts().sort_index()


def segments(
    zielgruppe: pd.DataFrame, annahmen: Annahmen, stichtag: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Persons of the eligible target group per Gemeinde and segment.

    Parameters
    ----------
    zielgruppe : pandas.DataFrame
        The Workspace table (``ags``, ``stichtag``, ``status``, ``alter_von``,
        ``alter_bis``, ``geschlecht``, ``anzahl``).
    annahmen : Annahmen
        Merged assumptions (section ``zielgruppe``).
    stichtag : pandas.Timestamp, optional
        Analysis date; the latest data on or before it is used.

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``status``, ``altersgruppe``, ``geschlecht``, ``personen``
        (float: band splits can be fractional); only segments with persons.
    """
    cols = ["ags", *SEGMENT, "personen"]
    status = list(annahmen.zielgruppe.status)
    zg = select_stichtag(zielgruppe, stichtag)
    zg = zg[zg["status"].isin(status) & zg["anzahl"].notna()]
    if zg.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "personen" else object) for c in cols}
        )
    von, bis = _alter_von_bis(zg)
    anzahl = as_float(zg["anzahl"])
    years = bis - von + 1.0
    parts = []
    for b_von, b_bis, label in altersgruppen(annahmen):
        overlap = np.clip(np.minimum(bis, b_bis) - np.maximum(von, b_von) + 1.0, 0.0, None)
        share = overlap / years
        keep = share > 0
        if keep.any():
            parts.append(
                pd.DataFrame(
                    {
                        "ags": zg["ags"].astype(str).to_numpy()[keep],
                        "status": zg["status"].astype(str).to_numpy()[keep],
                        "altersgruppe": label,
                        "geschlecht": zg["geschlecht"].astype(str).to_numpy()[keep],
                        "personen": anzahl[keep] * share[keep],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "personen" else object) for c in cols}
        )
    out = (
        pd.concat(parts, ignore_index=True)
        .groupby(["ags", *SEGMENT], as_index=False, sort=False)["personen"]
        .sum()
    )
    return _sort_segments(out, annahmen)[cols]


def _sort_segments(frame: pd.DataFrame, annahmen: Annahmen) -> pd.DataFrame:
    """Sort by ags, status priority, age band order, geschlecht."""
    prio = {s: i for i, s in enumerate(annahmen.zielgruppe.status)}
    band = {label: i for i, (_, _, label) in enumerate(altersgruppen(annahmen))}
    key = frame.assign(
        _p=frame["status"].map(prio).fillna(len(prio)),
        _b=frame["altersgruppe"].map(band).fillna(len(band)),
    )
    key = key.sort_values(["ags", "_p", "_b", "geschlecht"], kind="stable")
    return key.drop(columns=["_p", "_b"]).reset_index(drop=True)


def per_gemeinde(segmente: pd.DataFrame, gebiete: pd.DataFrame | None = None) -> pd.DataFrame:
    """Target group per Gemeinde: persons per status and in total.

    Parameters
    ----------
    segmente : pandas.DataFrame
        From :func:`segments`.
    gebiete : pandas.DataFrame, optional
        If given, every Gemeinde appears (0 where nobody is counted), with ``name``.

    Returns
    -------
    pandas.DataFrame
        ``ags`` [, ``name``], one column per status, ``gesamt``.
    """
    wide = segmente.pivot_table(
        index="ags", columns="status", values="personen", aggfunc="sum", fill_value=0.0
    )
    wide.columns = [str(c) for c in wide.columns]
    if gebiete is not None:
        wide = wide.reindex(pd.Index(gebiete["ags"].astype(str), name="ags"), fill_value=0.0)
    wide["gesamt"] = wide.sum(axis=1)
    out = wide.reset_index()
    if gebiete is not None:
        out.insert(1, "name", gebiete["name"].to_numpy())
    return out


def eligible_cases(
    faelle: pd.DataFrame, annahmen: Annahmen, nur_einwilligung: bool = True
) -> pd.DataFrame:
    """Cases in the target group (configured status and ages), with their segment.

    Only cases with ``einwilligung`` are used unless ``nur_einwilligung`` is
    False (records without consent must never reach anything shared).
    Adds the column ``altersgruppe``.
    """
    f = faelle
    if nur_einwilligung:
        f = f[mit_einwilligung(f)]
    f = f.assign(altersgruppe=band_of_age(f["alter"], annahmen))
    status = list(annahmen.zielgruppe.status)
    return f[f["status"].isin(status) & f["altersgruppe"].notna()].reset_index(drop=True)


def reach(
    segmente: pd.DataFrame,
    faelle: pd.DataFrame | None,
    annahmen: Annahmen,
    stichtag: pd.Timestamp | None = None,
    gebiete: pd.DataFrame | None = None,
    nur_aktive: bool = False,
) -> pd.DataFrame:
    """Reach of THM per Gemeinde: clients (cases) / target group.

    Parameters
    ----------
    segmente : pandas.DataFrame
        From :func:`segments`.
    faelle : pandas.DataFrame or None
        Case records; only consented cases of the target group are counted.
    annahmen : Annahmen
        Merged assumptions.
    stichtag : pandas.Timestamp, optional
        Cases starting after it are not counted.
    gebiete : pandas.DataFrame, optional
        If given, every Gemeinde appears.
    nur_aktive : bool
        Count only cases still open at the Stichtag (default: all cases
        started up to it, as in "about 400 of 850 reached", KOKIP).

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``zielgruppe`` (persons), ``klienten`` (cases),
        ``reichweite`` (klienten / zielgruppe; NaN where the target group is 0).
    """
    zg = segmente.groupby("ags")["personen"].sum().rename("zielgruppe")
    kl = pd.Series(dtype=float, name="klienten")
    if faelle is not None and len(faelle):
        f = eligible_cases(faelle, annahmen)
        if stichtag is not None:
            st = pd.Timestamp(stichtag)
            f = f[f["beginn"].isna() | (f["beginn"] <= st)]
            if nur_aktive:
                f = f[f["ende"].isna() | (f["ende"] >= st)]
        kl = f.groupby(f["ags"].astype(str)).size().astype(float).rename("klienten")
    index = zg.index.union(kl.index)
    if gebiete is not None:
        index = pd.Index(gebiete["ags"].astype(str))
    out = pd.DataFrame(
        {
            "zielgruppe": zg.reindex(index, fill_value=0.0),
            "klienten": kl.reindex(index, fill_value=0.0),
        }
    )
    out.index.name = "ags"
    denom = out["zielgruppe"].where(out["zielgruppe"] > 0)
    out["reichweite"] = out["klienten"] / denom
    return out.reset_index()
