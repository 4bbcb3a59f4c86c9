"""The ``thm`` command line in German: help pages and mistakes in a call.

Click writes its frame (``Usage:``, ``Options:``, "No such option", "is not a valid
integer") in English and has no German catalogue. Its texts go through
``gettext`` of the default domain, which would need a compiled ``.mo`` file and a
German locale on the planner's machine; instead these classes write the few
texts a user of ``thm`` meets themselves. A mistake in a call (unknown option,
missing or bad value) gives one German line and where to find help, never a
traceback.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Sequence
from typing import Any

import click

HILFE_TEXT = "Diese Hilfe zeigen und beenden."


class GanzeZahl(click.ParamType):
    """A whole number, optionally with a smallest allowed value, with German messages."""

    name = "zahl"

    def __init__(self, minimum: int | None = None) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Return ``value`` as an int or fail with a German message."""
        if isinstance(value, int) and not isinstance(value, bool):
            zahl = value
        else:
            try:
                zahl = int(str(value).strip())
            except ValueError:
                self.fail(f"'{value}' ist keine ganze Zahl.", param, ctx)
        if self.minimum is not None and zahl < self.minimum:
            self.fail(f"{zahl} geht nicht; die kleinste Angabe ist {self.minimum}.", param, ctx)
        return zahl

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``ZAHL`` or ``ZAHL≥1`` in the help page."""
        return "ZAHL" if self.minimum is None else f"ZAHL≥{self.minimum}"


class _Deutsch:
    """The German frame of a help page (mixed into :class:`Befehl` and :class:`Gruppe`)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``Aufruf: thm batch [OPTIONEN] [ARBEITSMAPPE]``."""
        stuecke = " ".join(self.collect_usage_pieces(ctx))  # type: ignore[attr-defined]
        stuecke = stuecke.replace("[OPTIONS]", "[OPTIONEN]").replace("COMMAND", "BEFEHL")
        formatter.write_usage(ctx.command_path, stuecke.replace("[ARGS]", "[ANGABEN]"), "Aufruf: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The options under "Optionen" (and a group's commands under "Befehle")."""
        zeilen = [
            (rv[0].replace(" PATH", " PFAD"), rv[1].replace("[default: ", "[Standard: "))
            for p in self.get_params(ctx)  # type: ignore[attr-defined]
            if not isinstance(p, click.Argument) and (rv := p.get_help_record(ctx)) is not None
        ]
        if zeilen:
            with formatter.section("Optionen"):
                formatter.write_dl(zeilen)
        if isinstance(self, click.Group):
            befehle = [
                (name, befehl)
                for name in self.list_commands(ctx)
                if (befehl := self.get_command(ctx, name)) is not None and not befehl.hidden
            ]
            if befehle:
                breite = formatter.width - 6 - max(len(name) for name, _ in befehle)
                befehle = [(name, b.get_short_help_str(breite)) for name, b in befehle]
                with formatter.section("Befehle"):
                    formatter.write_dl(befehle)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """The help option, with a German text."""
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HILFE_TEXT
        return option


class Befehl(_Deutsch, click.Command):
    """A ``thm`` command with a German help page."""


class Gruppe(_Deutsch, click.Group):
    """The ``thm`` command group: German help pages, German messages for a wrong call."""

    command_class = Befehl
    group_class = type  # sub-groups (import, export) are Gruppen too

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, *a: Any, standalone_mode: bool = True, **kw: Any
    ) -> Any:
        """Run the command line; a mistake in the call gives a German message, exit code 2."""
        if not standalone_mode:
            return super().main(args, *a, standalone_mode=False, **kw)
        try:
            rv = super().main(args, *a, standalone_mode=False, **kw)
        except click.UsageError as exc:
            if exc.ctx is None:  # click had not reached the command yet
                exc.ctx = self.kontext_fuer(sys.argv[1:] if args is None else args, kw)
            click.echo(aufruffehler(exc), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Abgebrochen.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"Fehler: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:  # a path that cannot be read or written: no traceback
            click.echo(dateisystemfehler(exc), err=True)
            sys.exit(2)
        sys.exit(rv if isinstance(rv, int) else 0)

    def kontext_fuer(self, args: Sequence[str], kw: dict[str, Any]) -> click.Context:
        """The context of the (sub-)command named in ``args``, for its usage line."""
        befehl: click.Command = self
        ctx = click.Context(self, info_name=kw.get("prog_name") or "thm", **self.context_settings)
        for arg in args:
            if not isinstance(befehl, click.Group) or arg not in befehl.commands:
                continue
            befehl = befehl.commands[arg]
            ctx = click.Context(befehl, info_name=arg, parent=ctx, **befehl.context_settings)
        return ctx


_OS_FEHLER = {
    errno.ENOTDIR: "ein Teil des Pfads ist eine Datei, kein Ordner",
    errno.EISDIR: "ist ein Ordner, keine Datei",
    errno.EEXIST: "gibt es schon (als Datei)",
    errno.EACCES: "keine Rechte zum Lesen oder Schreiben",
    errno.EPERM: "keine Rechte zum Lesen oder Schreiben",
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EROFS: "Datenträger ist schreibgeschützt",
    errno.ENOENT: "nicht gefunden",
}


def dateisystemfehler(exc: OSError) -> str:
    """One German line for a path that cannot be read or written (a file where a folder
    belongs, no rights, a full disk), e.g. ``Fehler: /a/b: ein Teil des Pfads ist eine
    Datei, kein Ordner. Bitte den Pfad prüfen.``"""
    grund = _OS_FEHLER.get(exc.errno or 0, exc.strerror or str(exc))
    return f"Fehler: {exc.filename or '?'}: {grund}. Bitte den Pfad prüfen."


_ENGLISCH = [  # click's own texts (8.1–8.5); tests/test_cli.py calls thm with each
    (re.compile(r"No such command '(.+)'\.?"), "Unbekannter Befehl '{0}'."),
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), "Überzählige Angabe: {0}."),
    (re.compile(r"Option '(.+)' requires an argument\.?"), "Bei der Option '{0}' fehlt der Wert."),
    (re.compile(r"Option '(.+)' does not take a value\.?"), "Die Option '{0}' hat keinen Wert."),
    (re.compile(r"'(.*)' is not a valid integer\.?"), "'{0}' ist keine ganze Zahl."),
]


def _uebersetzt(text: str) -> str:
    """A click message in German where it is one we know, else the text itself."""
    for muster, deutsch in _ENGLISCH:
        if m := muster.fullmatch(text.strip()):
            return deutsch.format(*m.groups())
    return text


def aufruffehler(exc: click.UsageError) -> str:
    """The German message for a mistake in a call, with the usage line and where to get help.

    Parameters
    ----------
    exc : click.UsageError
        What click found wrong.

    Returns
    -------
    str
        E.g. ``Aufruf: thm batch [OPTIONEN] [ARBEITSMAPPE]`` / ``Fehler im Aufruf:
        Unbekannte Option '--kommnue'. Meinten Sie '--kommune'?`` / ``Hilfe: thm batch
        --hilfe``.
    """
    if isinstance(exc, click.NoSuchOption):
        text = f"Unbekannte Option '{exc.option_name}'."
        if exc.possibilities:
            text += " Meinten Sie " + " oder ".join(f"'{p}'" for p in exc.possibilities) + "?"
    elif isinstance(exc, click.MissingParameter):
        text = f"Es fehlt die Angabe {exc.param.human_readable_name if exc.param else ''}.".replace(
            " .", "."
        )
    elif isinstance(exc, click.BadParameter):
        wo = exc.param.get_error_hint(exc.ctx) if exc.param and exc.ctx else "einen Wert"
        text = f"Ungültiger Wert für {wo}: {_uebersetzt(exc.message)}"
    else:
        text = _uebersetzt(exc.message)
    zeilen = []
    if exc.ctx is not None:
        zeilen.append(exc.ctx.get_usage())
        hilfe = exc.ctx.command.get_help_option_names(exc.ctx)
        if hilfe:
            name = "--hilfe" if "--hilfe" in hilfe else sorted(hilfe)[0]
            zeilen.append(f"Hilfe: {exc.ctx.command_path} {name}")
    zeilen.append(f"Fehler im Aufruf: {text}")
    return "\n".join(zeilen)
