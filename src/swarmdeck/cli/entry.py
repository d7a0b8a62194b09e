"""The `swarmdeck` command's entry point (the script and ``python -m swarmdeck``).

One job: answer a re-deploy of an unchanged stack (``stack deploy``, ``cli.stack_fastpath``)
before the command-line framework and its command tree are loaded, which are most of the
time such a deploy still takes; every other command line, and any deploy the fast path does
not answer, goes to the command line proper (``cli.main``), untouched.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:2] == ["stack", "deploy"]:
        from swarmdeck.cli import stack_fastpath

        try:
            if stack_fastpath.answer_argv(args[2:]):
                return
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
    from swarmdeck.cli.main import main as command_line

    command_line()
