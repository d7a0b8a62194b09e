"""Start-up: the command line loads only what a command needs, and its help reads plainly.

Importing the CLI must not load the docker SDK, paramiko, pydantic, FastAPI, requests or
YAML (each command imports its own); a regression here costs every `swarmdeck` run
hundreds of milliseconds, so it is checked in a fresh interpreter. The root's bare help
(`--help`, or no arguments) loads not even Typer (``cli.roothelp``): it is checked to be what
Click prints, byte for byte, at every width and under both program names.
"""

import json
import os
import subprocess
import sys

import pytest
import typer.main

from swarmdeck.cli import roothelp
from swarmdeck.cli.root import app

HEAVY = ["docker", "paramiko", "pydantic", "fastapi", "requests", "yaml"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "100", **env},
    )


def test_importing_the_cli_loads_no_heavy_package():
    code = (
        "import swarmdeck.cli.main, swarmdeck.cli.root, sys, json; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r})))"
    )
    done = run("-c", code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_help_exits_0_and_names_the_exit_statuses_and_completion():
    done = run("-m", "swarmdeck", "--help")
    assert done.returncode == 0, done.stderr
    assert "Exit status: 0 success, 1 error, 2 usage" in done.stdout
    assert "--install-completion" in done.stdout


def _commands(path: list[str]) -> list[list[str]]:
    """Every command and group below ``path``, from the help's Commands section."""
    done = run("-m", "swarmdeck", *path, "--help")
    assert done.returncode == 0, (path, done.stderr)
    lines = done.stdout.splitlines()
    if "Commands:" not in lines:
        return [path]
    found = [path]
    for line in lines[lines.index("Commands:") + 1 :]:
        if not line.startswith("  ") or line.startswith("   "):
            if line.strip():
                continue
            break
        found += _commands([*path, line.split()[0]])
    return found


@pytest.fixture(scope="module")
def every_command() -> list[list[str]]:
    return _commands([])


def test_every_help_is_plain_text_without_type_placeholders(every_command):
    assert ["stack", "deploy"] in every_command and ["compose", "down"] in every_command
    for path in every_command:
        text = run("-m", "swarmdeck", *path, "--help").stdout
        for placeholder in ("<bool>", "<str>", "<int>", "<list[", "╭"):
            assert placeholder not in text, (path, placeholder, text)
        assert "{" not in text.splitlines()[0], text  # Usage: ... STACK, not {STACK}


# The two ways to run swarmdeck, each as the fast path meets it (cli.entry, as the script or
# ``python -m``) and as Click alone prints it (the Typer application, its name given as
# Click would find it).
SCRIPT = "import sys; sys.argv[0] = '/usr/local/bin/swarmdeck'; "
ENTRIES = {
    "swarmdeck": (["-c", SCRIPT + "from swarmdeck.cli.entry import main; main()"], "swarmdeck"),
    "python -m swarmdeck": (["-m", "swarmdeck"], "python -m swarmdeck"),
}


def _through_click(prog: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    code = SCRIPT + f"from swarmdeck.cli.root import app; app(prog_name={prog!r})"
    return run("-c", code, *args, **env)


@pytest.mark.parametrize("prog", sorted(ENTRIES))
@pytest.mark.parametrize("args", [["--help"], []], ids=["--help", "no-args"])
def test_the_root_help_is_clicks_byte_for_byte_without_importing_typer(prog, args):
    entry, name = ENTRIES[prog]
    fast = run("-X", "importtime", *entry, *args)
    slow = _through_click(name, *args)
    timings = [line for line in fast.stderr.splitlines() if line.startswith("import time:")]
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in timings[1:]}
    assert timings and not loaded & {"typer", "click", "rich"}, sorted(loaded)
    stderr = "".join(f"{line}\n" for line in fast.stderr.splitlines() if line not in timings)
    assert (fast.returncode, fast.stdout, stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert fast.returncode == (0 if args else 2)
    assert f"Usage: {name} [OPTIONS] COMMAND" in fast.stdout + stderr


LONG_NAME = "swarmdeck-installed-under-a-name-longer-than-the-usage-line"


@pytest.mark.parametrize("columns", ["20", "50", "61", "72", "79", "80", "81", "200", "0", "x", None])
@pytest.mark.parametrize("prog", ["swarmdeck", "python -m swarmdeck", LONG_NAME])
def test_the_root_help_is_laid_out_as_click_does_at_every_width(monkeypatch, columns, prog):
    if columns is None:  # the width of the terminal, if stdout is one
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    root = typer.main.get_command(app)
    with root.make_context(prog, [], resilient_parsing=True) as ctx:
        assert roothelp.render(prog, roothelp.help_width()) == ctx.get_help()


def test_every_root_command_is_in_the_fast_help_with_its_own_one_line_help():
    root = typer.main.get_command(app)
    with root.make_context("swarmdeck", [], resilient_parsing=True) as ctx:
        names = root.list_commands(ctx)
        for name in names:
            own = root.get_command(ctx, name).get_short_help_str(10_000)
            assert roothelp.shortened(roothelp.COMMANDS[name][1], 10_000) == own, name
    assert sorted(roothelp.COMMANDS) == names


@pytest.mark.parametrize("limit", range(0, 90))
def test_a_one_line_help_is_shortened_as_click_shortens_it(limit):
    for _, sentence in roothelp.COMMANDS.values():
        for text in (sentence, sentence.rstrip("."), "e.g. " + sentence):
            expected = typer._click.utils.make_default_short_help(text, limit)
            assert roothelp.shortened(text, limit) == expected, (text, limit)


def test_shell_completion_still_goes_through_typer():
    entry, _ = ENTRIES["swarmdeck"]
    env = {"_SWARMDECK_COMPLETE": "complete_bash", "COMP_WORDS": "swarmdeck sta", "COMP_CWORD": "1"}
    done = run(*entry, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["stack"]
