"""The Berichtswesen tables as published: each through the suppression gate.

:mod:`thm_lib.analysis.berichtswesen` computes the tables (INTERNAL, unsuppressed);
this module is the only way they leave: client counts and reach per Gemeinde
(a Kommune report shows its row of the Kreis tables, never a table of its own that
could be differenced against the Kreis), closures by reason, needs met.
"""

from __future__ import annotations

import pandas as pd

from thm_lib.analysis.berichtswesen import (
    COLUMN_LABELS,
    TOTAL,
    Report,
    bedarfe_titel,
    reach_labels,
)
from thm_lib.core.labels import ERGEBNIS
from thm_lib.disclosure.suppression import PublishedTable, select_rows, suppress, suppress_value

BEDARFE_ANTEILE = {f"anteil_{e}": [e, "gesamt"] for e in ERGEBNIS}
"""The shares of the table "Bedarfe": each result of all needs of its field."""


def veroeffentlichen(report: Report, threshold: int | None = None) -> dict[str, PublishedTable]:
    """Every table through :func:`~thm_lib.disclosure.suppression.suppress`, by sheet name.

    Parameters
    ----------
    threshold : int, optional
        Default: the report's ``schwelle`` (from the Arbeitsmappe's annahmen).
    """
    if threshold is None:
        threshold = report.schwelle
    labels = {**COLUMN_LABELS, **reach_labels(report.status)}
    clients, reach = _fallzahlen_und_reichweite(report, threshold, labels)
    out = {"Fallzahlen": clients, "Abschlüsse": abschluesse(report, threshold)}
    if report.bedarfe is not None:
        out["Bedarfe"] = suppress(
            report.bedarfe,
            threshold,
            count_cols=[*ERGEBNIS, "gesamt"],
            total_row=TOTAL,
            symbol=report.zeichen,
            total_col="gesamt",
            share_cols=BEDARFE_ANTEILE,
            titel=bedarfe_titel(report.period),
            column_labels=labels,
        )
    out["Reichweite"] = reach
    return out


def abschluesse(
    report: Report,
    threshold: int | None = None,
    hidden_elsewhere: pd.DataFrame | None = None,
    symbol_elsewhere: pd.DataFrame | None = None,
) -> PublishedTable:
    """The Kreis table "Abschlüsse" (closures by reason, with their total), suppressed.

    Parameters
    ----------
    report : Report
        The Kreis report.
    threshold : int, optional
        Default: the report's ``schwelle``.
    hidden_elsewhere, symbol_elsewhere : pandas.DataFrame, optional
        Cells that must be hidden (and shown with the symbol) because the same
        number is so in another table: the total is the Kreis's closed cases of
        "Fallzahlen" (:mod:`thm_lib.disclosure.publication`).
    """
    threshold = report.schwelle if threshold is None else threshold
    return suppress(
        report.abschluesse,
        threshold,
        total_row=TOTAL,
        symbol=report.zeichen,
        titel=f"Verfahrenseinstellungen nach Abschlussgrund, {report.period.label}",
        column_labels={**COLUMN_LABELS, **reach_labels(report.status)},
        hidden_elsewhere=hidden_elsewhere,
        symbol_elsewhere=symbol_elsewhere,
    )


def fallzahlen(
    report: Report,
    threshold: int | None = None,
    hidden_elsewhere: pd.DataFrame | None = None,
    symbol_elsewhere: pd.DataFrame | None = None,
) -> PublishedTable:
    """The Kreis table "Fallzahlen" (new, active, closed cases per Gemeinde), suppressed.

    Parameters
    ----------
    report : Report
        The Kreis report (``ags`` = :data:`~thm_lib.core.labels.KREIS`).
    threshold : int, optional
        Default: the report's ``schwelle``.
    hidden_elsewhere, symbol_elsewhere : pandas.DataFrame, optional
        Cells that must be hidden (and shown with the symbol) because a joint check
        with another table hid them (:mod:`thm_lib.disclosure.publication`).
    """
    threshold = report.schwelle if threshold is None else threshold
    labels = {**COLUMN_LABELS, **reach_labels(report.status)}
    return _fallzahlen(
        report, report.klient_innen, threshold, TOTAL, labels, hidden_elsewhere, symbol_elsewhere
    )


def _fallzahlen(
    report: Report,
    clients: pd.DataFrame,
    threshold: int | None,
    total: str | None,
    labels: dict[str, str],
    hidden_elsewhere: pd.DataFrame | None = None,
    symbol_elsewhere: pd.DataFrame | None = None,
) -> PublishedTable:
    return suppress(
        clients,
        threshold,
        total_row=total,
        row_sums=False,
        symbol=report.zeichen,
        at_most=[(c, "aktiv") for c in ("neu", "abgeschlossen") if c in clients],
        titel=f"Klient*innen im Zeitraum {report.period.label}",
        column_labels=labels,
        hidden_elsewhere=hidden_elsewhere,
        symbol_elsewhere=symbol_elsewhere,
    )


def _fallzahlen_und_reichweite(
    report: Report, threshold: int | None, labels: dict[str, str]
) -> tuple[PublishedTable, PublishedTable]:
    """Suppress the two per-Gemeinde tables; a Kommune gets its row of the Kreis tables."""
    from_kreis = bool(report.ags) and report.kreis_klient_innen is not None
    clients = report.kreis_klient_innen if from_kreis else report.klient_innen
    reach = report.kreis_reichweite if from_kreis else report.reichweite
    total = TOTAL if (not report.ags or from_kreis) else None
    groups = [([f"{k}_{s}" for s in report.status], k) for k in ("klient_innen", "zielgruppe")]
    shares = {f"reichweite_{s}": [f"klient_innen_{s}", f"zielgruppe_{s}"] for s in report.status}
    shares["reichweite"] = ["klient_innen", "zielgruppe"]
    pub_clients = _fallzahlen(report, clients, threshold, total, labels)
    pub_reach = suppress(
        reach,
        threshold,
        count_cols=[c for g, t in groups for c in [*g, t]],
        symbol=report.zeichen,
        total_row=total,
        row_groups=groups,
        share_cols=shares,
        titel=(
            f"Reichweite: Klient*innen im Zeitraum {report.period.label} je Zielgruppe "
            f"am {report.stichtag:%d.%m.%Y}"
        ),
        column_labels=labels,
    )
    if from_kreis:
        pub_clients = select_rows(pub_clients, [str(report.ags)])
        pub_reach = select_rows(pub_reach, [str(report.ags)])
    return pub_clients, pub_reach


def ohne_einwilligung(report: Report, threshold: int | None = None) -> int | str:
    """The number of records left out for lack of consent, suppressed if small."""
    value = suppress_value(
        report.ohne_einwilligung, report.schwelle if threshold is None else threshold
    )
    return 0 if value is None else value
