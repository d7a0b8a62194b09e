"""The root command's table of commands, and its help printed without Typer or Click.

`swarmdeck --help` (and `swarmdeck` alone) is the command a new user types first, and
importing Typer and its Click alone costs ~0.1 s of CPU, more than the goal for the whole
process (issue 14). So this module, which imports neither, owns what the root's help says:
the description, the epilog, the options Typer adds, and every command with the module that
adds it (``cli.root`` builds its lazy group from ``COMMANDS``) and its one-line help. It lays
the help out as Click's ``HelpFormatter`` does (width from the terminal, 50 to 78 columns;
usage line, paragraphs and definition lists wrapped with ``textwrap``), and prints it only for
exactly ``--help`` or no arguments when no shell completion is asked for; anything else goes
through Typer. tests/unit/cli/test_startup.py prints the help both ways, at several widths and
under both program names, and compares them byte for byte: a command's one-line help changed
in its module, or a command added to ``COMMANDS``, fails there until the text here agrees.
"""

from __future__ import annotations

import os
import sys

DESCRIPTION = "Build, ship and run friendlyhello on Docker and Docker Swarm."
EPILOG = "Exit status: 0 success, 1 error, 2 usage."
USAGE = "[OPTIONS] COMMAND [ARGS]..."

# Typer's own options of a root application with completion (their help is Typer's text).
OPTIONS = [
    ("--install-completion", "Install completion for the current shell."),
    (
        "--show-completion",
        "Show completion for the current shell, to copy it or customize the installation.",
    ),
    ("--help", "Show this message and exit."),
]

# Each root command: the module whose ``register(app)`` adds it, and the first sentence of
# its help (Click shortens a command's help to at most its first sentence).
COMMANDS: dict[str, tuple[str, str]] = {
    "up": (
        "swarmdeck.cli.up_cmds",
        "The report's whole walkthrough: registry, build, push, swarm, stack, verification,"
        " and the console (the `swarmdeck` stack).",
    ),
    "down": (
        "swarmdeck.cli.up_cmds",
        "Remove the friendlyhello and swarmdeck stacks; data volumes stay unless --volumes.",
    ),
    "image": ("swarmdeck.cli.image_cmds", "Build, bootstrap and push images."),
    "serve": ("swarmdeck.cli.console_cmds", "Run the web console (JSON API under /api, pages at /)."),
    "user": ("swarmdeck.cli.console_cmds", "Console accounts."),
    "console": ("swarmdeck.cli.console_cmds", "The console's first run, backup and restore."),
    "compose": (
        "swarmdeck.cli.compose_cmds",
        "Run a compose project on one engine, as `docker compose` does.",
    ),
    "stack": ("swarmdeck.cli.stack_cmds", "Deploy and manage stacks (compose files on a swarm)."),
    "swarm": ("swarmdeck.cli.swarm_cmds", "Create and join a swarm, and change its settings."),
    "node": ("swarmdeck.cli.node_cmds", "Manage swarm nodes."),
    "secret": ("swarmdeck.cli.secret_cmds", "Manage Swarm secrets."),
    "config": ("swarmdeck.cli.secret_cmds", "Manage Swarm configs."),
    "service": ("swarmdeck.cli.service_cmds", "Manage swarm services."),
    "registry": ("swarmdeck.cli.registry_cmds", "Browse and clean an image registry."),
    "machine": (
        "swarmdeck.cli.machine_cmds",
        "Create and manage Docker hosts: local qemu VMs or existing SSH hosts (Docker Machine).",
    ),
}


def answered(args: list[str]) -> int | None:
    """Print the root's help if ``args`` ask for nothing else, and return the exit status
    Click would (0 for ``--help`` on stdout; 2 for no arguments, on stderr); else None."""
    if args not in ([], ["--help"]):
        return None
    prog = program_name()
    if _completion_var(prog) in os.environ:
        return None
    stream = sys.stdout if args else sys.stderr
    stream.write(render(prog, help_width()) + "\n")
    stream.flush()
    return 0 if args else 2


def program_name() -> str:
    """The command as Click names it in a usage line: ``python -m swarmdeck`` when run as a
    module, else the script's file name."""
    main = sys.modules["__main__"]
    package = getattr(main, "__package__", None)
    if not package:
        return os.path.basename(sys.argv[0])
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    module = package if name == "__main__" else f"{package}.{name}"
    return f"python -m {module.lstrip('.')}"


def _completion_var(prog: str) -> str:
    """The variable Typer's shell completion sets to ask ``prog`` for completions."""
    return f"_{prog}_COMPLETE".replace("-", "_").upper()


def help_width() -> int:
    """Click's help width: the terminal's columns up to 80, less 2, and at least 50."""
    return max(min(_columns(), 80) - 2, 50)


def _columns() -> int:
    """The columns ``shutil.get_terminal_size`` gives (COLUMNS, else stdout's terminal, else
    80), without importing shutil and the compression modules it loads (~4 ms)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def render(prog: str, width: int) -> str:
    """The root's help for ``prog`` in ``width`` columns, without the final newline."""
    parts = [_usage(prog, width), "\n", _text(DESCRIPTION, width), "\n"]
    parts += ["Options:\n", _definitions(OPTIONS, width)]
    limit = width - 6 - max(len(name) for name in COMMANDS)
    rows = [(name, shortened(COMMANDS[name][1], limit)) for name in sorted(COMMANDS)]
    parts += ["\n", "Commands:\n", _definitions(rows, width), "\n", _text(EPILOG, width)]
    return "".join(parts).rstrip("\n")


def shortened(sentence: str, limit: int) -> str:
    """``sentence`` in at most ``limit`` columns as Click shortens a command's help: whole
    up to its first word that ends in a full stop if that fits, else the most whole words
    that fit followed by ``...``."""
    words = sentence.split()
    for end, word in enumerate(words, 1):
        if len(" ".join(words[:end])) > limit or (
            len(" ".join(words[:end])) == limit and end < len(words) and not word.endswith(".")
        ):
            break
        if word.endswith("."):
            return " ".join(words[:end])
    else:
        return " ".join(words)
    kept = end - 1
    while kept > 0 and len(" ".join(words[:kept])) + 3 > limit:
        kept -= 1
    return " ".join(words[:kept]) + "..."


def _wrapped(text: str, width: int, first: str = "", rest: str = "") -> str:
    import textwrap

    return textwrap.TextWrapper(
        width, initial_indent=first, subsequent_indent=rest, replace_whitespace=False
    ).fill(text)


def _usage(prog: str, width: int) -> str:
    prefix = f"Usage: {prog} "
    if width >= len(prefix) + 20:
        return _wrapped(USAGE, width, prefix, " " * len(prefix)) + "\n"
    indent = " " * (len("Usage: ") + 4)
    return f"{prefix}\n{_wrapped(USAGE, width, indent, indent)}\n"


def _text(paragraph: str, width: int) -> str:
    return _wrapped(paragraph, width, "  ", "  ") + "\n"


def _definitions(rows: list[tuple[str, str]], width: int) -> str:
    """Click's definition list, indented 2: terms in a column up to 30 wide, then the text."""
    column = min(max(len(term) for term, _ in rows), 30) + 2
    lines = []
    for term, text in rows:
        wrapped = _wrapped(text, max(width - column - 2, 10)).splitlines()
        if len(term) <= column - 2:
            lines.append(f"  {term}{' ' * (column - len(term))}{wrapped[0]}\n")
        else:
            lines.append(f"  {term}\n{' ' * (column + 2)}{wrapped[0]}\n")
        lines += [f"{' ' * (column + 2)}{line}\n" for line in wrapped[1:]]
    return "".join(lines)
