"""Start-up: the command line loads only what a command needs, and its help reads plainly.

Importing the CLI must not load the docker SDK, paramiko, pydantic, FastAPI, requests or
YAML (each command imports its own); a regression here costs every `swarmdeck` run
hundreds of milliseconds, so it is checked in a fresh interpreter.
"""

import json
import os
import subprocess
import sys

import pytest

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
        "import swarmdeck.cli.main, sys, json; "
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
