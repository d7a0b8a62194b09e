"""`swarmdeck` — the command line.

Each command lives in a module of this package with a ``register(app)`` function; the root
(``lazy.LazyGroup``) imports and builds only the one being run, so start-up stays small.
"""

from __future__ import annotations

import sys

import typer

from swarmdeck.cli.lazy import LazyGroup
from swarmdeck.cli.output import lazy_console


class Root(LazyGroup):
    modules = {
        "up": "swarmdeck.cli.up_cmds",
        "down": "swarmdeck.cli.up_cmds",
        "image": "swarmdeck.cli.image_cmds",
        "serve": "swarmdeck.cli.console_cmds",
        "user": "swarmdeck.cli.console_cmds",
        "console": "swarmdeck.cli.console_cmds",
        "compose": "swarmdeck.cli.compose_cmds",
        "stack": "swarmdeck.cli.stack_cmds",
        "swarm": "swarmdeck.cli.swarm_cmds",
        "node": "swarmdeck.cli.node_cmds",
        "secret": "swarmdeck.cli.secret_cmds",
        "config": "swarmdeck.cli.secret_cmds",
        "service": "swarmdeck.cli.service_cmds",
        "registry": "swarmdeck.cli.registry_cmds",
        "machine": "swarmdeck.cli.machine_cmds",
    }


app = typer.Typer(
    cls=Root,
    no_args_is_help=True,
    add_completion=True,
    epilog="Exit status: 0 success, 1 error, 2 usage.",
)
err = lazy_console(stderr=True, soft_wrap=True)


@app.callback()
def swarmdeck() -> None:
    """Build, ship and run friendlyhello on Docker and Docker Swarm."""


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
