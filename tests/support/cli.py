"""Running swarmdeck and the docker CLI side by side as processes, with the same client
environment (no DOCKER_HOST or context from the caller's shell), for tests that compare them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CLIENT_ENV = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}


def swarmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=60, env=CLIENT_ENV
    )


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60, env=CLIENT_ENV)


def ok(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, f"{run.args}: exit {run.returncode}\n{run.stderr}"
    return run.stdout


def probe_argv(heavy: tuple[str, ...]) -> list[str]:
    """``python -c`` arguments that run ``python -m swarmdeck ARGS...`` (append them) in one
    interpreter, then write ``LOADED ["pkg", ...]`` to stderr: the packages of ``heavy`` that
    the command imported. ``split_loaded`` reads it back."""
    code = (
        "import json, runpy, sys\n"
        "sys.argv = ['swarmdeck', *sys.argv[1:]]\n"
        "code = 0\n"
        "try:\n"
        "    runpy.run_module('swarmdeck', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & {set(heavy)!r})\n"
        "sys.stderr.write('\\nLOADED ' + json.dumps(heavy) + '\\n')\n"
        "sys.exit(code)\n"
    )
    return [sys.executable, "-c", code]


def split_loaded(stderr: str) -> tuple[str, list[str]]:
    """The command's own stderr, and the packages a ``probe_argv`` run reported loading."""
    marker = stderr.rindex("\nLOADED ")
    return stderr[:marker], json.loads(stderr[marker + len("\nLOADED ") :])
