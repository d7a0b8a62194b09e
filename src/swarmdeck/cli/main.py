"""`swarmdeck` — the command line proper, run by ``cli.entry`` for whatever it does not
answer before Typer loads.

Each command lives in a module of this package with a ``register(app)`` function; the root
(``root.app``, a ``lazy.LazyGroup``) imports and builds only the one being run, so start-up
stays small.
"""

from __future__ import annotations

import sys


def main() -> None:
    from swarmdeck.cli.output import lazy_console
    from swarmdeck.cli.root import app

    try:
        app()
    except KeyboardInterrupt:
        lazy_console(stderr=True, soft_wrap=True).print("interrupted")
        sys.exit(130)
