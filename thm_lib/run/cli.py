"""The ``thm`` command line: German help and messages, no tracebacks for data errors."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from thm_lib.core import paths
from thm_lib.core.errors import DataError
from thm_lib.run.aufruf import GanzeZahl, Gruppe

SAMPLE = paths.SAMPLE
# Each command imports what it needs when it runs, so that ``thm --help`` and the
# light commands do not load Jupyter Server, geopandas and the batch first.


def _fail(exc: DataError) -> None:
    click.echo(f"{exc.ueberschrift}:\n{exc}", err=True)
    sys.exit(2)


def _fail_text(text: str) -> None:
    click.echo(f"Fehler: {text}", err=True)
    sys.exit(2)


@contextmanager
def _ein_lauf(ausgabe: Path, eintrag: str) -> Iterator[None]:
    """Errors of a batch run as one German line on the console, never a traceback.

    A :class:`DataError` is the user's data (exit code 2). A file-system error goes on
    to :class:`~thm_lib.run.aufruf.Gruppe`, which names the path. Any other error is a
    fault of the program: its traceback goes into ``<ausgabe>/intern/protokoll.log``
    under ``eintrag`` (exit code 1).
    """
    from thm_lib.core.paths import INTERN, PROTOKOLL
    from thm_lib.run.protokoll import protokollieren

    try:
        yield
    except DataError as exc:
        _fail(exc)
    except OSError:
        raise
    except Exception:
        intern = Path(ausgabe).resolve() / INTERN
        protokollieren(intern, "interner Fehler, Eintrag %s", eintrag)
        click.echo(
            f"Fehler: interner Fehler des Programms ({eintrag}), kein Fehler in den Daten. "
            f"Die Einzelheiten stehen in {intern / PROTOKOLL} (Eintrag {eintrag}); bitte diese "
            "Datei an die Betreuung der THM-Werkbank geben. Die Arbeitsmappe wurde nicht "
            "verändert.",
            err=True,
        )
        sys.exit(1)


STUFEN = {"DEBUG": "Diagnose", "INFO": "Info", "WARNING": "Warnung", "ERROR": "Fehler"}
"""German names of the logging levels on the console (others keep their English name)."""


class _DeutscheStufe(logging.Formatter):
    """``Warnung: text`` instead of ``WARNING thm_lib.run.batch: text`` (the module
    stays in the batch's ``protokoll.log``, which is for whoever maintains the tool)."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{STUFEN.get(record.levelname, record.levelname)}: {record.getMessage()}"


class _StderrHandler(logging.StreamHandler):
    """Writes to the ``sys.stderr`` of the moment (also when a caller swapped it)."""

    def __init__(self) -> None:
        super().__init__()
        self.set_name("thm-cli")
        self.setFormatter(_DeutscheStufe())

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def logging_einrichten(verbose: bool = False) -> None:
    """Configure logging for a command: messages of ``thm_lib`` on stderr.

    The one place the command line sets up logging: level WARNING, with
    ``verbose`` INFO (the ``thm_lib`` logger; other libraries stay quiet).
    Tracebacks of internal errors are not shown here; the batch writes them to
    its ``protokoll.log``.
    """
    logger = logging.getLogger("thm_lib")
    if not any(h.get_name() == "thm-cli" for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


@click.group(cls=Gruppe, context_settings={"help_option_names": ["-h", "--hilfe", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Mehr Meldungen ausgeben (auch Stufe INFO).")
def main(verbose: bool) -> None:
    """THM-Werkbank: Bedarfs- und Angebotsanalyse für das Teilhabemanagement."""
    logging_einrichten(verbose)


@main.command("zusammenfassung")
@click.argument("arbeitsmappe", type=click.Path(path_type=Path), default=SAMPLE)
def zusammenfassung(arbeitsmappe: Path) -> None:
    """Arbeitsmappe einlesen, prüfen und eine Übersicht je Gemeinde zeigen."""
    from thm_lib.analysis.summary import gemeinde_uebersicht
    from thm_lib.ingest.arbeitsmappe import load_workspace

    try:
        ws = load_workspace(arbeitsmappe)
    except DataError as exc:
        _fail(exc)
    _hinweise_zeigen(ws)
    _stichtag_hinweis(ws)
    table = gemeinde_uebersicht(ws)
    click.echo(
        f"{ws.name} – Stichtag {ws.stichtag:%d.%m.%Y} – Zielgruppe "
        f"{ws.annahmen.zielgruppe.alter_min}–{ws.annahmen.zielgruppe.alter_max}"
        " Jahre (interne Zahlen, nicht zur Veröffentlichung)"
    )
    click.echo(table.astype(object).where(table.notna(), "unbekannt").to_string(index=False))


@main.command("vorlage")
@click.argument("ordner", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="Name des Kreises (Titel der Berichte).")
@click.option("--ags", default=None, help="Kreisschlüssel, die ersten 5 Stellen des AGS.")
@click.option("--stichtag", default=None, help="Auswertungsstichtag TT.MM.JJJJ.")
def vorlage(ordner: Path, name: str | None, ags: str | None, stichtag: str | None) -> None:
    """Vorlagen in ORDNER schreiben: Excel-Tabellen mit Auswahllisten (zielgruppe, faelle,
    angebote, kommunen) und kommentierte annahmen.yaml und programm.yaml.

    Vorhandene Dateien werden nie überschrieben.
    """
    from thm_lib.ingest.vorlagen import write_templates

    try:
        result = write_templates(ordner, name, ags, stichtag)
    except DataError as exc:
        _fail(exc)
    for path in result.geschrieben:
        click.echo(f"Vorlage geschrieben: {path}")
    for path in result.behalten:
        click.echo(f"Vorhanden, nicht überschrieben: {path}")
    if not name and "annahmen.yaml" in {p.name for p in result.geschrieben}:
        click.echo("Bitte in annahmen.yaml den Namen des Kreises (kreis.name) eintragen.")


@main.command("beispiel-land")
@click.argument("ordner", type=click.Path(path_type=Path))
@click.option("--kreise", default=53, show_default=True, help="Kreise und kreisfreie Städte.")
@click.option("--gemeinden", default=396, show_default=True, help="Gemeinden insgesamt.")
@click.option("--kreisfreie", default=22, show_default=True, help="Davon kreisfreie Städte.")
@click.option(
    "--seed", default=2026, show_default=True, help="Zufallszahl; gleich = gleiche Dateien."
)
def beispiel_land(ordner: Path, kreise: int, gemeinden: int, kreisfreie: int, seed: int) -> None:
    """Ein erfundenes Land in ORDNER schreiben: eine Arbeitsmappe je Kreis und kreisfreie Stadt.

    Die Voreinstellung hat die Gestalt von NRW (53 Kreise und kreisfreie Städte, davon 22
    kreisfreie, 396 Gemeinden); alle Namen, Schlüssel und Zahlen sind erfunden. Zum Ausprobieren
    eines landesweiten Stapellaufs.
    """
    from thm_lib.core.formats import anzahl
    from thm_lib.ingest.land_synthetic import schreibe_land

    fremd = sorted(
        p.name
        for p in (ordner.iterdir() if ordner.is_dir() else ())
        if not p.name.endswith("_fiktiv")
    )
    if fremd:  # the generator overwrites its own folders; nothing else is touched
        _fail_text(
            f"{ordner} ist nicht leer ({', '.join(fremd[:5])}{' …' if len(fremd) > 5 else ''}). "
            "Das Beispiel-Land wird nur in einen leeren Ordner oder über ein früheres "
            "Beispiel-Land geschrieben; bitte einen neuen Ordner angeben."
        )
    try:
        mappen = schreibe_land(
            ordner, kreise=kreise, gemeinden=gemeinden, kreisfreie=kreisfreie, seed=seed
        )
    except ValueError as exc:
        click.echo(f"Fehler: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{anzahl(len(mappen), 'Arbeitsmappe', 'Arbeitsmappen')} geschrieben nach {ordner}")


@main.command("batch")
@click.argument("arbeitsmappe", type=click.Path(path_type=Path), default=SAMPLE)
@click.option(
    "--ausgabe",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Zielordner der Berichte.",
)
@click.option(
    "--kommune",
    "kommunen",
    multiple=True,
    help="AGS oder Name einer Kommune (mehrfach möglich); ohne Angabe alle.",
)
@click.option(
    "--jobs",
    type=GanzeZahl(1),
    default=None,
    help="Parallele Läufe (Standard: Anzahl der Prozessorkerne).",
)
@click.option(
    "--neu",
    is_flag=True,
    help="Alle Berichte neu erstellen, auch die, deren Daten, Annahmen und Programmstand sich "
    "seit dem letzten guten Lauf nicht geändert haben (sonst bleiben diese stehen).",
)
@click.option(
    "--cluster",
    metavar="ADRESSE",
    default=None,
    help="Auf einem Dask-Cluster rechnen, z. B. tcp://rechner:8786 (dask.distributed). "
    "Die Worker müssen die Arbeitsmappe(n) und den Ausgabeordner unter denselben Pfaden "
    "lesen und schreiben können (gemeinsames Dateisystem). Ein Worker-Prozess rechnet einen "
    "Bericht nach dem anderen (ein Kernel je Prozess); für mehrere zugleich Worker mit "
    "'dask worker ADRESSE --nworkers N --nthreads 1' starten. Ohne Angabe: lokale Prozesse.",
)
@click.option("--ohne-fortschritt", is_flag=True, help="Keinen Fortschrittsbalken zeigen.")
@click.option(
    "--differenzpruefung",
    is_flag=True,
    help="Vor dem Veröffentlichen zusätzlich die Differenzprüfung jedes Kreises (wie "
    "'thm pruefen': 3 Änderungen verborgener Personen, 1 an einem früheren Stichtag, "
    "1 Bedarfstausch, 1 Fallverschiebung; beim Musterkreis etwa 2½ Minuten). Ein Befund "
    "hält die Veröffentlichung an wie einer der Prüfung.",
)
def batch(
    arbeitsmappe: Path,
    ausgabe: Path,
    kommunen: tuple[str, ...],
    jobs: int | None,
    neu: bool,
    cluster: str | None,
    ohne_fortschritt: bool,
    differenzpruefung: bool,
) -> None:
    """Alle Notebooks je Kommune ausführen: HTML-/Excel-Berichte und eine Indexseite.

    ARBEITSMAPPE ist der Ordner eines Kreises oder einer kreisfreien Stadt, oder ein Ordner
    mit einer Arbeitsmappe je Kreis (ein ganzes Land): dann entstehen alle Kreisberichte und
    eine Landesübersicht AUSGABE/index.html mit Karte.

    Veröffentlicht wird AUSGABE/<kreis>/ (für die Bündniskerngruppe), erst nach einer
    Geheimhaltungsprüfung aller Ausgaben zusammen; Internes (ausgeführte Notebooks,
    Ergebnisbündel, Protokoll, Status) liegt in AUSGABE/intern/<kreis>/ und wird nie
    weitergegeben. Berichte, deren Eingaben sich nicht geändert haben, bleiben stehen
    (--neu erstellt alle neu).
    """
    from thm_lib.core.paths import PRUEFUNG
    from thm_lib.ingest.arbeitsmappe import ist_land
    from thm_lib.run.batch import intern_ordner, run_batch

    if ist_land(arbeitsmappe):
        if kommunen:
            _fail_text("--kommune gilt nur für eine einzelne Arbeitsmappe, nicht für ein Land.")
        _land(arbeitsmappe, ausgabe, jobs, neu, cluster, not ohne_fortschritt, differenzpruefung)
        return
    with _ein_lauf(ausgabe, f"Kreis {arbeitsmappe.resolve().name}"):
        result = run_batch(
            arbeitsmappe,
            ausgabe,
            kommunen or None,
            jobs,
            progress=not ohne_fortschritt,
            neu=neu,
            cluster=cluster,
            differenz=differenzpruefung,
        )
    _hinweise_zeigen(result.ws)
    done = [r for r in result.results if r.ok]
    kept = [r for r in result.results if r.uebersprungen]
    click.echo(
        f"\nFertig: {len(done)} von {len(result.results)} Berichten erstellt"
        + (f" (davon {len(kept)} unverändert übernommen)." if kept else ".")
    )
    if result.veraltet:
        namen = [r.name for r in result.results if r.key in result.veraltet]
        click.echo(
            f"Mit erstellt: {', '.join(namen)}. Diese Berichte stammten aus einem anderen Stand "
            "der Arbeitsmappe, der Annahmen oder des Programms; sonst stünden alte und neue "
            "Zahlen nebeneinander im Ordner."
        )
    for r in result.failed:
        click.echo(f"FEHLGESCHLAGEN {r.key} ({r.name}): {r.grund}", err=True)
    if not result.veroeffentlicht:
        click.echo(
            "NICHT VERÖFFENTLICHT: Die Geheimhaltungsprüfung aller Ausgaben zusammen "
            "hat Befunde: verborgene Zahlen, die sich erschließen ließen (mit "
            "--differenzpruefung auch: veröffentlichte Werte, die ihnen folgen), oder Dateien, "
            "die nicht in den Ordner für die Bündniskerngruppe gehören. Der zuletzt "
            "veröffentlichte Stand bleibt. Befunde (intern, nicht weitergeben): "
            f"{intern_ordner(result.kreis_dir) / PRUEFUNG}",
            err=True,
        )
        for befund in result.pruefung.befunde:
            if befund.art == "fremd":  # a file name, nothing of the data: say it here
                click.echo(f"- {befund.text}", err=True)
        sys.exit(1)
    click.echo(result.pruefung.zusammenfassung().splitlines()[0])
    for zeile in _pruef_zeilen(result.pruefung):
        click.echo(zeile)
    click.echo(f"Übersicht: {result.index.resolve()}")
    if result.failed:
        sys.exit(1)


def _hinweise_zeigen(ws: Any, vorne: str = "") -> None:
    """The Arbeitsmappe's warnings on the console (stderr), as ``thm zusammenfassung`` shows
    them: a batch publishes anyway, but the planner should check them."""
    for warnung in () if ws is None else ws.warnungen:
        click.echo(f"{vorne}Hinweis: {warnung}", err=True)


def _stichtag_hinweis(ws: Any) -> None:
    """The reports' note on Gemeinden counted at another Stichtag or not at all
    (:func:`thm_lib.run.notebook.stichtag_text`), as plain text on stderr."""
    from thm_lib.run.notebook import stichtag_text

    text = stichtag_text(ws, markdown=False)
    if text:
        click.echo(f"Hinweis: {text}", err=True)


def _land(
    ordner: Path,
    ausgabe: Path,
    jobs: int | None,
    neu: bool,
    cluster: str | None,
    progress: bool,
    differenz: bool = False,
) -> None:
    """``thm batch`` for a folder of Arbeitsmappen (see :func:`thm_lib.run.land.run_land`)."""
    from thm_lib.core.paths import PRUEFUNG
    from thm_lib.run.batch import intern_ordner
    from thm_lib.run.land import run_land

    # one Kreis's fault is that Kreis's row (run_land); this one is the Land run's
    with _ein_lauf(ausgabe, f"Land {ordner.resolve().name}"):
        result = run_land(
            ordner, ausgabe, jobs, progress=progress, neu=neu, cluster=cluster, differenz=differenz
        )
    fehler = False
    for k in result.kreise:
        if k.result is None:
            fehler = True
            click.echo(f"NICHT GELAUFEN {k.arbeitsmappe.name}: {k.fehler}", err=True)
            continue
        r = k.result
        _hinweise_zeigen(r.ws, f"{r.ws.name}: ")
        if not r.veroeffentlicht:
            fehler = True
            click.echo(
                f"NICHT VERÖFFENTLICHT {r.ws.name}: Geheimhaltungsprüfung nicht bestanden "
                f"(Befunde intern: {intern_ordner(r.kreis_dir) / PRUEFUNG})",
                err=True,
            )
        for f in r.failed:
            fehler = True
            click.echo(f"FEHLGESCHLAGEN {r.ws.name} {f.key} ({f.name}): {f.grund}", err=True)
        for zeile in _pruef_zeilen(r.pruefung):
            click.echo(f"{r.ws.name}: {zeile}")
    for zeile in _uebersprungen(ordner, ausgabe):
        click.echo(zeile)
    click.echo(
        f"\nFertig: {result.veroeffentlicht} von {len(result.kreise)} Kreisen veröffentlicht."
    )
    click.echo(f"Landesübersicht: {result.index.resolve()}")
    if fehler:
        sys.exit(1)


def _uebersprungen(ordner: Path, ausgabe: Path) -> list[str]:
    """German notes on what a Land run does not read in the Land folder: its ZIP files
    and its subfolders that hold something but no Arbeitsmappe, except the run's own
    output (a Kreis still packed, or unpacked one level too deep, is missing from the
    Land index, and the console says so)."""
    from thm_lib.ingest.arbeitsmappe import archive, keine_arbeitsmappen

    zeilen = [
        f"Hinweis: '{p.name}' im Landesordner wird nicht gelesen: Bitte entpacken (in einen "
        "eigenen Ordner), wenn darin eine Arbeitsmappe liegt, die mitlaufen soll."
        for p in archive(ordner)
    ]
    for unterordner, tiefer in keine_arbeitsmappen(ordner).items():
        if unterordner.resolve().is_relative_to(ausgabe.resolve()):
            continue
        zeile = (
            f"Hinweis: Ordner '{unterordner.name}' im Landesordner wird übersprungen: keine "
            "Arbeitsmappe darin (weder 'annahmen.yaml' noch eine Tabelle wie 'zielgruppe.xlsx' "
            "oder 'angebote.csv')."
        )
        if tiefer:
            namen = ", ".join(f"'{unterordner.name}/{p.name}'" for p in tiefer)
            zeile += (
                f" Eine Ebene tiefer liegt eine Arbeitsmappe ({namen}); soll sie mitlaufen, "
                "bitte ihren Ordner direkt in den Landesordner verschieben."
                if len(tiefer) == 1
                else f" Eine Ebene tiefer liegen {len(tiefer)} Arbeitsmappen ({namen}); "
                "sollen sie mitlaufen, bitte ihre Ordner direkt in den Landesordner verschieben."
            )
        zeilen.append(zeile)
    return zeilen


def _anzahl(name: str, default: int, hilfe: str) -> Any:
    """A click option for how many changes of one kind the Differenzprüfung makes."""
    return click.option(name, type=GanzeZahl(0), default=default, show_default=True, help=hilfe)


def _pruef_zeilen(pruefung: Any) -> list[str]:
    """The notes of a batch's audit for the console: the Differenzprüfung's (they say
    "nicht anwendbar" too) and counts a former publication showed otherwise."""
    if pruefung is None:
        return []
    kopf = ("Differenzprüfung", "Frühere Veröffentlichung")
    return [h for h in pruefung.hinweise if h.startswith(kopf)]


def _passt_zum_kreis(reports_dir: Path, name: str, arbeitsmappe: Path) -> None:
    """Stop when the reports are those of another Kreis than the Arbeitsmappe's.

    Without the second argument ``thm pruefen reports/<kreis>`` took the Musterkreis and
    reported a run of another Kreis with confusing findings.
    """
    from thm_lib.run.report import kreis_des_index

    kreis = kreis_des_index(Path(reports_dir) / "index.html")
    if kreis is not None and kreis != name:
        _fail_text(
            f"Die Berichte in {reports_dir} sind die von „{kreis}“, die "
            f"Arbeitsmappe {arbeitsmappe} ist „{name}“. Bitte die Arbeitsmappe des Laufs als "
            "zweites Argument angeben: thm pruefen REPORTS_DIR ARBEITSMAPPE."
        )


@main.command("pruefen")
@click.argument("reports_dir", type=click.Path(path_type=Path))
@click.argument("arbeitsmappe", type=click.Path(path_type=Path), default=SAMPLE)
@_anzahl(
    "--verschiebungen",
    3,
    "Differenzprüfung: so oft verborgene Personen zwischen gesperrten Gemeinden "
    "verschieben oder tauschen, auch Altersgruppen oder Geschlechter einer gezeigten Gemeinde, "
    "wo eine solche Zelle klein ist (alle veröffentlichten Zählungen bleiben gleich; die drei "
    "Arten im Wechsel), und prüfen, "
    "dass sich kein veröffentlichter Wert ändert (Versorgung, Karten, Standortplanung, "
    "Stellen). Etwa 20 s je Änderung beim Musterkreis auf einem Kern, 15 s auf zwei "
    "(--jobs); 0 schaltet sie ab. Befunde nennen "
    "Personen der Arbeitsmappe: nur intern verwenden.",
)
@_anzahl(
    "--fruehere",
    1,
    "Differenzprüfung früherer Stichtage: so oft eine verborgene Person an einem früheren "
    "Stichtag zwischen dort gesperrten Gemeinden verschieben (Entwicklung der Zielgruppe, "
    "Zählung des Erstantrags für die FAQ-Regel) und prüfen, dass sich kein veröffentlichter "
    "Wert ändert. 0 schaltet sie ab.",
)
@_anzahl(
    "--bedarfstausche",
    1,
    "Differenzprüfung der Falldokumentation: so oft einen dokumentierten Bedarf von "
    "einem Fall zu einem Fall einer anderen Gruppe (Status, Alter, Geschlecht) geben, wo die "
    "veröffentlichten Quoten gleich bleiben, und prüfen, dass sich kein veröffentlichter Wert "
    "ändert. 0 schaltet sie ab.",
)
@_anzahl(
    "--fallverschiebungen",
    1,
    "Differenzprüfung der Falldokumentation: so oft einen Fall einer Gemeinde, deren "
    "Fallzahlen gesperrt sind, in einer anderen solchen Gemeinde erfassen und prüfen, dass "
    "sich kein veröffentlichter Wert ändert. 0 schaltet sie ab.",
)
@click.option(
    "--jobs",
    type=GanzeZahl(1),
    default=None,
    help="Differenzprüfung: parallele Prozesse (Standard: Anzahl der Prozessorkerne).",
)
def pruefen(
    reports_dir: Path,
    arbeitsmappe: Path,
    verschiebungen: int,
    fruehere: int,
    bedarfstausche: int,
    fallverschiebungen: int,
    jobs: int | None,
) -> None:
    """Veröffentlichte Berichte eines Laufs (REPORTS_DIR, z. B. reports/<kreis>) gemeinsam
    prüfen: lässt sich eine verborgene Zahl aus allen Tabellen zusammen erschließen?

    Die ARBEITSMAPPE liefert die Einstellungen und Namen (Schwelle, Zeichen, Gemeinden,
    Annahmen) und für die Differenzprüfung die Zielgruppe. Endet mit Code 1, wenn es
    Befunde gibt.
    """
    from thm_lib.disclosure.audit import audit_run
    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.run import differenzpruefung

    kreise = sorted(p.parent.name for p in Path(reports_dir).glob("*/index.html"))
    if kreise:  # the folder above the Kreis folders (e.g. reports/ or a Land run)
        beispiele = ", ".join(f"{reports_dir}/{k}" for k in kreise[:3])
        _fail_text(
            f"{reports_dir} ist kein Berichtsordner eines Kreises (dort liegt die index.html "
            f"des Kreises neben den Ordnern der Kommunen). Bitte den Ordner eines Kreises "
            f"angeben, z. B. {beispiele}."
        )
    try:
        ws = load_workspace(arbeitsmappe)
        _passt_zum_kreis(reports_dir, ws.name, arbeitsmappe)
        ergebnis = audit_run(reports_dir, ws=ws)
    except DataError as exc:
        _fail(exc)
    click.echo(ergebnis.zusammenfassung())
    for hinweis in ergebnis.hinweise:
        click.echo(f"Hinweis: {hinweis}", err=True)
    ok = ergebnis.ok
    if verschiebungen or fruehere or bedarfstausche or fallverschiebungen:
        differenz = differenzpruefung.pruefen(
            ws,
            verschiebungen,
            frueher=fruehere,
            bedarfstausche=bedarfstausche,
            fallverschiebungen=fallverschiebungen,
            prozesse=jobs or os.cpu_count() or 1,
        )
        click.echo(differenz.zusammenfassung())
        ok = ok and differenz.ok
    if not ok:
        sys.exit(1)


@main.command("app")
@click.option(
    "--port",
    type=GanzeZahl(1),
    default=8866,
    show_default=True,
    help="Port auf 127.0.0.1 (nur dieser Rechner).",
)
@click.option(
    "--arbeitsmappe",
    type=click.Path(path_type=Path),
    default=None,
    help="Ordner der Arbeitsmappe (Standard: $THM_ARBEITSMAPPE, sonst Musterkreis). Die Apps "
    "lesen sie nicht selbst: vorher wird daraus ein Datenpaket mit veröffentlichten Zahlen "
    "gebaut (einmal je Stand; ein Datenfehler wird hier gemeldet).",
)
@click.option(
    "--buendel",
    type=click.Path(path_type=Path),
    default=None,
    metavar="ORDNER",
    help="Ordner des Datenpakets der Apps. Allein: ein schon gebautes Paket zeigen (die "
    "Arbeitsmappe muss dann nicht auf diesem Rechner liegen). Mit --arbeitsmappe: das "
    "Paket dort bauen (Standard: reports/apps/<Ordnername der Arbeitsmappe>).",
)
@click.option(
    "--browser/--kein-browser", "open_browser", default=False, help="Startseite im Browser öffnen."
)
@click.option(
    "--vorheizen/--ohne-vorheizen",
    default=None,
    help="Je App einen Kernel vorab starten: die erste Ansicht kommt schneller, braucht "
    "aber Arbeitsspeicher (Standard: an, wenn der freie Arbeitsspeicher reicht).",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME",
    help="Weiterer erlaubter Host-Name im Host-Header, z. B. der Name, unter dem ein "
    "Reverse-Proxy die Apps anbietet (mehrfach möglich; Standard: nur "
    "localhost, 127.0.0.1, ::1).",
)
@click.option(
    "--max-kernel",
    "max_kernel",
    type=GanzeZahl(1),
    default=None,
    help="Höchstens so viele Apps gleichzeitig geöffnet; weitere Betrachter*innen "
    "sehen eine Warteseite (Standard: aus dem Arbeitsspeicher berechnet).",
)
@click.option(
    "--statisch",
    "statisch",
    type=click.Path(path_type=Path),
    default=None,
    metavar="ORDNER",
    help="Keinen Server starten, sondern Übersicht und Angebotsfinder als statische Seiten "
    "(HTML, JavaScript, veröffentlichte Zahlen) in ORDNER schreiben: zum Öffnen ohne Server "
    "oder für einen beliebigen Webserver. Ein fremder, nicht leerer Ordner wird nicht "
    "überschrieben.",
)
def app(
    port: int,
    arbeitsmappe: Path | None,
    buendel: Path | None,
    open_browser: bool,
    vorheizen: bool | None,
    hosts: tuple[str, ...],
    max_kernel: int | None,
    statisch: Path | None,
) -> None:
    """Die Apps für die Bündniskerngruppe mit Voilà starten (ohne Code, nur lokal).

    Mit --statisch ORDNER: die statische Ansicht schreiben (ohne Python und Kernel dahinter).
    """
    from thm_lib.apps.server import serve

    if statisch is not None:
        _statisch(arbeitsmappe, buendel, statisch)
        return
    sys.exit(
        serve(
            port,
            arbeitsmappe,
            open_browser,
            buendel=buendel,
            preheat=vorheizen,
            hosts=hosts,
            kernel_cap=max_kernel,
        )
    )


def _statisch(arbeitsmappe: Path | None, buendel: Path | None, ordner: Path) -> None:
    """``thm app --statisch``: write the static view (:mod:`thm_lib.apps.statisch`).

    From the bundle given with ``--buendel`` alone, else from the Arbeitsmappe (computed
    here: the static view has no Standortplanung, so no bundle is written).
    """
    from thm_lib.apps import daten, paket_bauen
    from thm_lib.apps.server import arbeitsmappe_der_apps
    from thm_lib.apps.statisch import OrdnerBelegt, schreibe_statisch
    from thm_lib.core.formats import zahl
    from thm_lib.ingest.arbeitsmappe import load_workspace

    try:
        if buendel is not None and arbeitsmappe is None:
            quelle = daten.lesen(buendel)
        else:
            quelle = paket_bauen.erstellen(load_workspace(arbeitsmappe_der_apps(arbeitsmappe)))
        ergebnis = schreibe_statisch(quelle, ordner)
    except DataError as exc:
        _fail(exc)
    except OrdnerBelegt as exc:
        _fail_text(str(exc))
    click.echo(
        f"Statische Ansicht geschrieben: {ergebnis.ordner} ({zahl(len(ergebnis.dateien))} "
        f"Dateien, {zahl(ergebnis.groesse / 1e6, 1)} MB; {zahl(ergebnis.auswahlen)} Auswahlen "
        f"der Übersicht, {zahl(ergebnis.profile)} Profile des Angebotsfinders)."
    )
    click.echo(f"Startseite: {(ergebnis.ordner / 'index.html').as_uri()}")


@main.group("import")
def import_() -> None:
    """Daten aus amtlichen Quellen in eine Arbeitsmappe übernehmen."""


@import_.command("statistik")
@click.argument("datei", type=click.Path(path_type=Path))
@click.argument("arbeitsmappe", type=click.Path(path_type=Path))
@click.option(
    "--zuordnung",
    type=click.Path(path_type=Path),
    default=None,
    help="Eigene Zuordnungsdatei (YAML) für Status, Alter und Geschlecht; hat "
    "Vorrang vor statistik_zuordnung.yaml der Arbeitsmappe und dem Standard.",
)
@click.option(
    "--stichtag", default=None, help="Stichtag TT.MM.JJJJ, falls die Tabelle keinen nennt."
)
@click.option("--ersetzen", is_flag=True, help="Eine vorhandene zielgruppe.csv überschreiben.")
def import_statistik(
    datei: Path, arbeitsmappe: Path, zuordnung: Path | None, stichtag: str | None, ersetzen: bool
) -> None:
    """Statistiktabelle (GENESIS-Flat-CSV/ZIP oder Regionaldatenbank-CSV/-Excel) als
    zielgruppe.csv in die ARBEITSMAPPE schreiben, mit Bericht über Übernommenes und
    Ausgelassenes."""
    from thm_lib.ingest.statistik_import import importiere_statistik, schreibe_zielgruppe

    try:
        ergebnis = importiere_statistik(datei, arbeitsmappe, zuordnung=zuordnung, stichtag=stichtag)
        click.echo(ergebnis.bericht.text())
        path = schreibe_zielgruppe(ergebnis, arbeitsmappe, ersetzen=ersetzen)
    except DataError as exc:
        _fail(exc)
    click.echo(f"Geschrieben: {path} – Prüfen mit: thm zusammenfassung {arbeitsmappe}")


@main.group("export")
def export() -> None:
    """Ergebnisse für andere Programme ausgeben (nur veröffentlichbare Zahlen)."""


@export.command("gpkg")
@click.argument("arbeitsmappe", type=click.Path(path_type=Path))
@click.argument("datei", type=click.Path(path_type=Path))
@click.option(
    "--handlungsfeld",
    default=None,
    help="Handlungsfeld, dessen Versorgungsklassen der Standardstil zeigt "
    "(Standard: das erste); die anderen sind als Stile gespeichert.",
)
@click.option(
    "--ersetzen",
    is_flag=True,
    help="Eine vorhandene DATEI überschreiben (nur eine frühere Ausgabe dieses Befehls; "
    "eine Datei mit eigenen Ebenen wird nie ersetzt).",
)
def export_gpkg(arbeitsmappe: Path, datei: Path, handlungsfeld: str | None, ersetzen: bool) -> None:
    """GeoPackage für QGIS schreiben: Ebenen 'gemeinden' (Zielgruppe, Versorgung, Lücken;
    kleine Zahlen gesperrt) und 'angebote', EPSG:25832, mit QGIS-Stil."""
    from thm_lib.ingest.arbeitsmappe import load_workspace
    from thm_lib.publish.geopackage import export_geopackage

    try:
        ws = load_workspace(arbeitsmappe)
        path = export_geopackage(ws, datei, handlungsfeld, ersetzen=ersetzen)
    except DataError as exc:
        _fail(exc)
    _hinweise_zeigen(ws)  # after writing: a refused target is the only message then
    click.echo(
        f"GeoPackage geschrieben: {path} (Ebenen gemeinden, angebote; Stil "
        "'Versorgung …' in layer_styles; gesperrte Werte sind leer/NULL)"
    )


if __name__ == "__main__":
    main(prog_name="thm")
