"""Running swarmdeck and the docker CLI side by side as processes, with the same client
environment (no DOCKER_HOST or context from the caller's shell), for tests that compare them."""

from __future__ import annotations

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
