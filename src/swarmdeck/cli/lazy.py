"""The root command that loads its command groups only when they are used.

Building a Typer command means reading every parameter of every function behind it, which
took longer than the rest of start-up. So the root knows which module adds each command,
and only the one being run is loaded and built; `swarmdeck --help` reads the groups' names
and one-line help without building any of them.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import typer
import typer.main
from typer import _click

from swarmdeck.cli.failing import FailingGroup


def _registered(module: str) -> typer.Typer:
    """What ``module``'s ``register(app)`` adds, on an application of its own."""
    holder = typer.Typer(cls=FailingGroup)
    importlib.import_module(module).register(holder)
    return holder


class LazyGroup(FailingGroup):
    """A root group whose ``modules`` (command name -> the module whose ``register(app)`` adds
    it) are imported and built on first use."""

    modules: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.modules})

    def get_command(self, ctx: _click.Context, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.modules:
            return found
        built = typer.main.get_group(_registered(self.modules[cmd_name]))
        command = built.get_command(ctx, cmd_name)
        if command is not None:
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: _click.Context, formatter: Any) -> None:
        """Click's listing, from each command's registration rather than its built form."""
        rows = []
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            text = self._short_help(ctx, name)
            if text is not None:
                rows.append((name, _click.utils.make_default_short_help(text, limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _short_help(self, ctx: _click.Context, name: str) -> str | None:
        if name not in self.modules:
            built = super().get_command(ctx, name)
            return None if built is None or built.hidden else built.get_short_help_str(10_000)
        holder = _registered(self.modules[name])
        for group in holder.registered_groups:
            if group.name == name and group.typer_instance is not None:
                return str(group.help or group.typer_instance.info.help or "")
        for info in holder.registered_commands:
            callback = info.callback
            named = info.name or (callback.__name__.replace("_", "-") if callback else None)
            if named == name:
                return str(info.help or (callback.__doc__ if callback else "") or "")
        return ""
