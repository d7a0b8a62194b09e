"""`swarmdeck` — the command line's entry point (the script and ``python -m swarmdeck``).

Each command lives in a module of this package with a ``register(app)`` function; the root
(``root.app``, a ``lazy.LazyGroup``) imports and builds only the one being run, so start-up
stays small. The root's bare help (``--help`` or no arguments) is printed by ``roothelp``
before Typer is even imported: Typer and Click alone cost more than that answer's budget.
"""

from __future__ import annotations

import sys

from swarmdeck.cli.roothelp import answered


def main() -> None:
    status = answered(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from swarmdeck.cli.output import lazy_console
    from swarmdeck.cli.root import app

    try:
        app()
    except KeyboardInterrupt:
        lazy_console(stderr=True, soft_wrap=True).print("interrupted")
        sys.exit(130)
