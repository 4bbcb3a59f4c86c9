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


@main.command("batch")
@click.argument("arbeitsmappe", type=click.Path(path_type=Path), default=SAMPLE)
@click.option("--ausgabe", type=click.Path(path_type=Path), default=Path("reports"),
              show_default=True, help="Zielordner der Berichte.")
@click.option("--kommune", "kommunen", multiple=True,
              help="AGS einer Kommune (mehrfach möglich); ohne Angabe alle.")
@click.option("--jobs", type=int, default=None,
              help="Parallele Läufe (Standard: Anzahl der Prozessorkerne).")
@click.option("--ohne-fortschritt", is_flag=True, help="Keinen Fortschrittsbalken zeigen.")
def batch(arbeitsmappe: Path, ausgabe: Path, kommunen: tuple[str, ...], jobs: int | None,
          ohne_fortschritt: bool) -> None:
    """Alle Notebooks je Kommune ausführen: HTML-/Excel-Berichte und eine Indexseite."""
    from thm_lib.batch import run_batch

    try:
        result = run_batch(arbeitsmappe, ausgabe, kommunen or None, jobs,
                           progress=not ohne_fortschritt)
    except DataError as exc:
        _fail(exc)
    done = [r for r in result.results if r.ok]
    click.echo(f"\nFertig: {len(done)} von {len(result.results)} Berichten erstellt.")
    for r in result.failed:
        click.echo(f"FEHLGESCHLAGEN {r.key} ({r.name}): {r.grund}", err=True)
    click.echo(f"Übersicht: {result.index.resolve()}")
    if result.failed:
        sys.exit(1)


@main.command("app")
@click.option("--port", type=int, default=8866, show_default=True,
              help="Port auf 127.0.0.1 (nur dieser Rechner).")
@click.option("--arbeitsmappe", type=click.Path(path_type=Path), default=None,
              help="Ordner der Arbeitsmappe (Standard: $THM_ARBEITSMAPPE, sonst Musterkreis).")
@click.option("--browser/--kein-browser", "open_browser", default=False,
              help="Startseite im Browser öffnen.")
@click.option("--vorheizen", is_flag=True,
              help="Je App einen Kernel vorab starten (schneller, mehr Speicher).")
@click.option("--host", "hosts", multiple=True, metavar="NAME",
              help="Weiterer erlaubter Host-Name im Host-Header, z. B. der Name, unter dem ein "
                   "Reverse-Proxy die Apps anbietet (mehrfach möglich; Standard: nur "
                   "localhost, 127.0.0.1, ::1).")
@click.option("--max-kernel", "max_kernel", type=click.IntRange(min=1), default=None,
              help="Höchstens so viele Apps gleichzeitig geöffnet; weitere Betrachter*innen "
                   "sehen eine Warteseite (Standard: aus dem Arbeitsspeicher berechnet).")
def app(port: int, arbeitsmappe: Path | None, open_browser: bool, vorheizen: bool,
        hosts: tuple[str, ...], max_kernel: int | None) -> None:
    """Die Apps für die Bündniskerngruppe mit Voilà starten (ohne Code, nur lokal)."""
    from thm_lib.apps.server import serve

    sys.exit(serve(port, arbeitsmappe, open_browser, preheat=vorheizen, hosts=hosts,
                   kernel_cap=max_kernel))


if __name__ == "__main__":
    main()
