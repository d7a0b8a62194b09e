"""Fixtures for friendlyhello's contract tests: a real redis-server and the real app process.

`redis_server` is a fresh redis-server per test (tests stop, pause and kill it).
`start_app(redis, **env)` starts `python -m friendlyhello` on a free loopback port, waits
for /healthz, and stops it (SIGTERM, then SIGKILL) after the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.testbed.common import TestbedError, log_tail
from tests.testbed.redis import RedisServer, free_port


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    try:
        server = RedisServer().start()
    except TestbedError as exc:
        pytest.fail(f"redis-server is not available: {exc}", pytrace=False)
    yield server
    server.close()


class AppProcess:
    """`python -m friendlyhello` as a child process on 127.0.0.1."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "friendlyhello"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_healthy(self, timeout: float = 20.0) -> AppProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(
            f"friendlyhello did not become healthy on {self.url} "
            f"(exit code {self.proc.poll()})\n{log_tail(self.log)}"
        )

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code (SIGKILL and fail if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"friendlyhello ignored SIGTERM\n{log_tail(self.log)}") from None
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the server and its workers (they would otherwise keep the port)."""
        if self.proc.poll() is None:
            for child in _children(self.proc.pid):
                _kill(child)
            self.proc.kill()
            self.proc.wait(timeout=10)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def start_app() -> Iterator[Callable[..., AppProcess]]:
    started: list[AppProcess] = []
    folder = Path(tempfile.mkdtemp(prefix="friendlyhello-test-"))

    def start(redis: RedisServer | None = None, **env: str) -> AppProcess:
        full_env = {k: v for k, v in os.environ.items() if k not in ("NAME", "WORKERS")}
        full_env.update(
            PORT=str(free_port()),
            BIND="127.0.0.1",
            REDIS_HOST=RedisServer.host,
            REDIS_PORT=str(redis.port if redis else free_port()),
            WORKERS="2",
        )
        full_env.update(env)
        app = AppProcess(full_env, folder / f"app-{len(started)}.log")
        started.append(app)
        return app.wait_healthy()

    yield start
    for app in started:
        try:
            app.terminate()
        finally:
            app.kill()
    for log in folder.iterdir():
        log.unlink()
    folder.rmdir()
