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

# Typer vendors Click: the Context its groups receive is ``typer._click.Context``, not the
# ``click`` package's (typer.Context subclasses it, so it cannot type an override's argument).
from typer import _click

from swarmdeck.cli.output import TerminalReporter, lazy_console
from swarmdeck.cli.params import plain, plain_param
from swarmdeck.errors import SwarmdeckError

_err = lazy_console(stderr=True, soft_wrap=True, highlight=False)
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
    from rich.text import Text

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

    Its help, and its commands', is plain text as a Unix tool prints it (Click's formatter,
    without Rich's Markdown renderer at start-up), its parameters as ``cli.params`` shows
    and reads them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["rich_markup_mode"] = None
        super().__init__(*args, **kwargs)
        plain(self)
        for command in self.commands.values():
            if isinstance(command, typer.core.TyperCommand):
                command.rich_markup_mode = None
                plain(command)

    def get_help_option(self, ctx: _click.Context) -> typer.core.TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            plain_param(option)
        return option

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        plain(self)  # Typer appends the main group's completion options after __init__
        return super().parse_args(ctx, args)

    def invoke(self, ctx: _click.Context) -> Any:
        if ctx.parent is None:
            _watched.set(None)  # a reporter of an earlier run in this process is not this one's
        try:
            return super().invoke(ctx)
        except Exception as exc:  # the CLI's one edge (see the module): a bug is raised again
            failure = exc if isinstance(exc, SwarmdeckError) else _translated(exc)
            if failure is None:  # Click's own exits and usage errors, or a bug
                raise
            report(failure)
            raise typer.Exit(1) from None


def _translated(exc: Exception) -> SwarmdeckError | None:
    """An SDK or transport error that escaped its layer, as the engine's error; None otherwise.

    Only a command that loaded the docker SDK or requests can raise one: the others do not
    pay for importing them (and the engine's error map) here, which keeps start-up fast."""
    if "docker" not in sys.modules and "requests" not in sys.modules:
        return None
    from swarmdeck.engine.errormap import translate

    return translate(exc)
