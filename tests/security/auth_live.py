"""Consoles served for real for the auth tests of this folder: uvicorn in a thread (as the
``live`` fixture of tests/support/console.py, for apps made with options of their own), and
``swarmdeck serve`` as a process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from swarmdeck.store import Role
from tests.support.console import PASSWORD, store_of
from tests.support.paths import REPO
from tests.testbed.redis import free_port

REPO = REPO


def with_users(app: FastAPI) -> FastAPI:
    """An admin, an operator and a read-only user, all with PASSWORD (as the ``app`` fixture)."""
    store = store_of(app)
    store.create_user("admin", PASSWORD, Role.ADMIN)
    store.create_user("oper", PASSWORD, Role.OPERATOR)
    store.create_user("viewer", PASSWORD, Role.READ_ONLY)
    return app


def swarmdeck(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def serve_process(data_dir: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``swarmdeck serve`` on a free port until it answers /api/health; yields its URL and the
    process (its output, stdout and stderr together, is read once it has stopped)."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "swarmdeck",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "swarmdeck serve did not answer"
                time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
