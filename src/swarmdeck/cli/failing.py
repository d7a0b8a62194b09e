"""The command line's one error boundary: an expected failure is one ``error:`` line, exit 1.

Commands do not catch swarmdeck's errors. ``FailingGroup``, the ``cls`` of every Typer app in
``cli/``, catches each ``SwarmdeckError`` a command lets through (an engine error, a compose
file's problems, one ``file:line:col: key: message`` a line, a registry, store, image or
platform error), and an SDK error that escaped its layer untranslated, and prints it as
``error: MESSAGE`` on stderr with exit code 1. A workflow's reporter (``watch``) stops first,
and the steps it finished are listed after the error. Usage errors stay Click's (exit 2);
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import Any, NoReturn

import typer
import typer.core
from rich.console import Console
from rich.text import Text

# Typer vendors Click: the Context its groups receive is ``typer._click.Context``, not the
# ``click`` package's (typer.Context subclasses it, so it cannot type an override's argument).
from typer import _click

from swarmdeck.cli.output import TerminalReporter
from swarmdeck.errors import SwarmdeckError

_err = Console(stderr=True, soft_wrap=True, highlight=False)
_watched: ContextVar[TerminalReporter | None] = ContextVar("watched", default=None)


class Refused(SwarmdeckError):
    """A command's own refusal of its arguments, before any work (``--build-arg NOEQUALS``)."""


def refuse(message: str) -> NoReturn:
    """Stop the command with ``error: message`` (exit 1)."""
    raise Refused(message)


def watch(reporter: TerminalReporter) -> TerminalReporter:
    """``reporter``, whose finished steps a failure lists as what was done before it."""
    _watched.set(reporter)
    return reporter


def report(exc: BaseException) -> None:
    """Print ``exc`` as the ``error:`` line (its further lines after it), then what was done."""
    reporter = _watched.get()
    if reporter is not None:
        reporter.fail()
    _err.print(Text.assemble(("error:", "bold red"), " ", str(exc)))
    if reporter is not None and reporter.finished:
        _err.print("done before the error:")
        for line in reporter.finished:
            _err.print(Text(f"  - {line}"))


class FailingGroup(typer.core.TyperGroup):
    """A Typer group whose commands' expected failures end as ``report`` says, with exit 1.

    Its help, and its commands', is plain text as a Unix tool prints it (Click's formatter:
    no boxes, no ``<bool>`` type placeholders), which also spares ``--help`` loading Rich's
    Markdown renderer at start-up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["rich_markup_mode"] = None
        super().__init__(*args, **kwargs)
        _plain_params(self)
        for command in self.commands.values():
            if isinstance(command, typer.core.TyperCommand):
                command.rich_markup_mode = None
                _plain_params(command)

    def invoke(self, ctx: _click.Context) -> Any:
        if ctx.parent is None:
            _watched.set(None)  # a reporter of an earlier run in this process is not this one's
        try:
            return super().invoke(ctx)
        except Exception as exc:
            failure = exc if isinstance(exc, SwarmdeckError) else _translated(exc)
            if failure is None:  # Click's own exits and usage errors, or a bug
                raise
            report(failure)
            raise typer.Exit(1) from None


class _PlainOption(typer.core.TyperOption):
    """An option whose value is shown as Click shows it (``--host TEXT``), not ``<str>``."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        if self.metavar is not None:
            return self.metavar
        label = self.display_type(ctx).strip("<>")
        if label.startswith("list[") and label.endswith("]"):  # repeatable: one value a time
            label = label[len("list[") : -1]
        if "|" in label:
            return f"[{label}]"
        return _METAVARS.get(label, label.upper())


class _PlainArgument(typer.core.TyperArgument):
    """An argument shown by its name alone (``STACK``, ``[SERVICES]...``)."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None

    def _rich_display_name(self) -> str:  # the help's Arguments list
        name = self.display_name_raw.upper()
        return name if self.nargs == 1 or name.endswith("...") else name + "..."

    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name if self.nargs == 1 or name.endswith("...") else name + "..."


_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT"}


def _plain_params(command: _click.Command) -> None:
    for param in command.params:
        if type(param) is typer.core.TyperOption:
            param.__class__ = _PlainOption
        elif type(param) is typer.core.TyperArgument:
            param.__class__ = _PlainArgument


def _translated(exc: Exception) -> SwarmdeckError | None:
    """An SDK or transport error that escaped its layer, as the engine's error; None otherwise.

    Only a command that loaded the docker SDK or requests can raise one: the others do not
    pay for importing them (and the engine's error map) here, which keeps start-up fast."""
    if "docker" not in sys.modules and "requests" not in sys.modules:
        return None
    from swarmdeck.engine.errormap import translate

    return translate(exc)
