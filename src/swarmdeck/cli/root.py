"""The root Typer application: ``roothelp.COMMANDS`` as a lazy group, each command's module
imported and built only when that command runs (``lazy.LazyGroup``).

``cli.main`` imports this module for every command line but the root's bare help, which
``roothelp`` prints without Typer.
"""

from __future__ import annotations

import typer

from swarmdeck.cli.lazy import LazyGroup
from swarmdeck.cli.roothelp import COMMANDS, DESCRIPTION, EPILOG


class Root(LazyGroup):
    modules = {name: module for name, (module, _) in COMMANDS.items()}


app = typer.Typer(cls=Root, no_args_is_help=True, add_completion=True, epilog=EPILOG)


@app.callback(help=DESCRIPTION)
def swarmdeck() -> None:
    """The root's own options; its commands are ``Root.modules``."""
