"""A first overview of an Arbeitsmappe: one row per Gemeinde."""

from __future__ import annotations

import pandas as pd

from thm_lib.analysis import target_group
from thm_lib.analysis.access import valid_at
from thm_lib.core.workspace import Workspace


def gemeinde_uebersicht(ws: Workspace) -> pd.DataFrame:
    """Target group, offers and consented cases per Gemeinde, with a Kreis total row.

    Parameters
    ----------
    ws : Workspace
        A loaded Arbeitsmappe.

    Returns
    -------
    pandas.DataFrame
        German column headers: AGS, Gemeinde, Einwohner, Duldung, Gestattung,
        Zielgruppe, Angebote am Stichtag (running then, as the coverage counts
        them), Fälle (mit Einwilligung). Counts are internal
        (not suppressed).
    """
    segmente = target_group.segments(ws.zielgruppe, ws.annahmen, ws.stichtag)
    tg = target_group.per_gemeinde(segmente, ws.gebiete)
    out = pd.DataFrame(
        {
            "AGS": ws.gebiete["ags"].to_numpy(),
            "Gemeinde": ws.gebiete["name"].to_numpy(),
            "Einwohner": pd.array(ws.gebiete["einwohner"].round(), dtype="Int64"),
        }
    )
    for status in ws.annahmen.zielgruppe.status:
        # a status without any row (a table leaving out zero rows) counts 0 everywhere
        column = tg[status] if status in tg else pd.Series(0.0, index=tg.index)
        out[status.capitalize()] = column.round().astype(int).to_numpy()
    out["Zielgruppe"] = tg["gesamt"].round().astype(int).to_numpy()
    laufen = ws.angebote[valid_at(ws.angebote, ws.stichtag)]  # as the coverage counts them
    out["Angebote am Stichtag"] = out["AGS"].map(laufen["ags"].value_counts()).fillna(0).astype(int)
    if ws.faelle is not None:
        consented = ws.faelle[target_group.mit_einwilligung(ws.faelle)]
        out["Fälle (mit Einwilligung)"] = (
            out["AGS"].map(consented["ags"].value_counts()).fillna(0).astype(int)
        )
    # a Gemeinde without population leaves the Kreis's unknown (not a partial sum, not 0)
    total = {c: out[c].sum(skipna=False) for c in out.columns if c not in ("AGS", "Gemeinde")}
    total.update({"AGS": "", "Gemeinde": "Kreis insgesamt"})
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)
