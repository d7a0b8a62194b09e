"""The `swarmdeck` command's entry point (the script and ``python -m swarmdeck``).

One job: answer the command lines that people and scripts repeat most, before the
command-line framework and its command tree are loaded (Typer alone is ~80 ms, more than the
work): the root's bare help (``--help`` or no arguments, ``cli.roothelp``), a re-deploy of an
unchanged stack (``stack deploy``, ``cli.stack_fastpath``) and a bare ``stack ls`` (the same
lines as the command, from ``swarm.stack_tables``). Every other
command line, and any of these that meets an error, goes to the command line proper
(``cli.main``), untouched, which does the work again and reports the error its usual way.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    from swarmdeck.cli.roothelp import answered

    status = answered(args)
    if status is not None:
        sys.exit(status)
    if args[:2] == ["stack", "deploy"]:
        from swarmdeck.cli import stack_fastpath

        try:
            if stack_fastpath.answer_argv(args[2:]):
                return
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            sys.exit(130)
    if args == ["stack", "ls"] and _stack_ls():
        return
    from swarmdeck.cli.main import main as command_line

    command_line()


def _stack_ls() -> bool:
    """`stack ls` as ``stack_cmds.ls_cmd`` prints it; False (nothing printed) on any error."""
    from swarmdeck.engine.light import read_client
    from swarmdeck.errors import SwarmdeckError
    from swarmdeck.swarm import stack_tables

    try:
        lines = stack_tables.ls_lines(read_client(None))
    except SwarmdeckError:
        return False
    sys.stdout.write("".join(line + "\n" for line in lines))
    return True
