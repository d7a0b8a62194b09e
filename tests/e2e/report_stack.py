"""The report's stack as `swarmdeck up` deploys it, seen from outside: running the command
line, asking a node's published port for the page, and the stack's running tasks.

Shared by the end-to-end modules (the walkthrough and the chaos tests), which each bring the
stack up once with the `deployed` fixture of tests/e2e/conftest.py.
"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

STACK = "friendlyhello"
PORT = 6767
LABEL = {"label": f"com.docker.stack.namespace={STACK}"}
DISABLED = "cannot connect to Redis, counter disabled"


def swarmdeck(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=timeout
    )


def get(address: str, timeout: float = 5) -> dict:
    """The page at ``address``'s published port, in its JSON form (one connection, closed)."""
    answer = httpx.get(
        f"http://{address}:{PORT}/",
        headers={"Accept": "application/json", "Connection": "close"},
        timeout=timeout,
    )
    assert answer.status_code == 200
    return answer.json()


def running_tasks(engine, service: str) -> list[dict]:
    return [
        t
        for t in engine.services.get(f"{STACK}_{service}").tasks()
        if t["DesiredState"] == "running" and t["Status"]["State"] == "running"
    ]


def container_of(engine, task: dict):
    return engine.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])


def wait_for(predicate, timeout: float, what: str, poll: float = 0.2):  # type: ignore[no-untyped-def]
    """``predicate()``'s first true value, polled; fails naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(poll)
