"""The ``thm`` command line: German help and messages, no tracebacks for data errors."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from thm_lib.errors import DataError

SAMPLE = Path(__file__).resolve().parent.parent / "data_samples" / "musterkreis"


def _fail(exc: DataError) -> None:
    click.echo(f"Fehler in den Eingabedaten:\n{exc}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--hilfe", "--help"]})
def main() -> None:
    """THM-Werkbank: Bedarfs- und Angebotsanalyse für das Teilhabemanagement."""


@main.command("zusammenfassung")
@click.argument("arbeitsmappe", type=click.Path(path_type=Path), default=SAMPLE)
def zusammenfassung(arbeitsmappe: Path) -> None:
    """Arbeitsmappe einlesen, prüfen und eine Übersicht je Gemeinde zeigen."""
    from thm_lib.io import load_workspace
    from thm_lib.summary import gemeinde_uebersicht

    try:
        ws = load_workspace(arbeitsmappe)
    except DataError as exc:
        _fail(exc)
    for warnung in ws.warnungen:
        click.echo(f"Hinweis: {warnung}", err=True)
    table = gemeinde_uebersicht(ws)
    click.echo(f"{ws.name} – Stichtag {ws.stichtag:%d.%m.%Y} – Zielgruppe "
               f"{ws.annahmen['zielgruppe']['alter_min']}–{ws.annahmen['zielgruppe']['alter_max']}"
               " Jahre (interne Zahlen, nicht zur Veröffentlichung)")
    click.echo(table.to_string(index=False))


@main.command("vorlage")
@click.argument("ordner", type=click.Path(path_type=Path))
def vorlage(ordner: Path) -> None:
    """Leere Excel-Vorlagen (zielgruppe, faelle, angebote) in ORDNER schreiben."""
    from thm_lib.templates import write_templates

    try:
        paths = write_templates(ordner)
    except DataError as exc:
        _fail(exc)
    for path in paths:
        click.echo(f"Vorlage geschrieben: {path}")
