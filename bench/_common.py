"""What the console benchmarks share: the console in-process with an admin's API token,
timed requests interleaved round by round, and the p50/p99 table.

The scripts beside this file import it as ``_common`` (Python puts a script's own folder
first on ``sys.path``); it puts the repository root there too, for ``swarmdeck`` and
``tests.testbed``.
"""

from __future__ import annotations

import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import docker.errors  # noqa: E402
import httpx  # noqa: E402
import uvicorn  # noqa: E402

from swarmdeck.console import create_app  # noqa: E402
from swarmdeck.errors import SwarmdeckError  # noqa: E402
from swarmdeck.store import Role  # noqa: E402
from tests.testbed.common import TestbedError  # noqa: E402

Target = Callable[[], float | None]


class BenchError(Exception):
    """Something the benchmark needs is missing or failed; the message says what."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Interrupted(Exception):
    """SIGTERM, turned into an exception so what the benchmark made is still removed."""


def raise_interrupted(signum: int, frame: object) -> None:
    """A SIGTERM handler: ``signal.signal(signal.SIGTERM, raise_interrupted)``."""
    raise Interrupted()


def run_bench(run: Callable[[], int], made: str) -> int:
    """A benchmark's exit status: ``run()``'s, or 1 (2 for bad usage) with one line on stderr.

    SIGTERM and Ctrl-C become exceptions, so ``run``'s own clean-up removes ``made`` (what the
    benchmark created, named in the message) before the process ends.
    """
    signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        return run()
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return exc.status
    except (SwarmdeckError, TestbedError, docker.errors.DockerException, httpx.HTTPError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):
        print(f"bench: interrupted ({made} removed)", file=sys.stderr)
        return 1


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the measured values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


@contextmanager
def uvicorn_thread(app: Any) -> Iterator[int]:
    """``app`` served by uvicorn on a free loopback port in a thread of this process; yields
    the port, and stops the server and closes the console afterwards."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(target=server.run, daemon=True, name="console")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BenchError("the console did not start")
        time.sleep(0.02)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        app.state.console.close()


@contextmanager
def console(engine_url: str) -> Iterator[tuple[str, str]]:
    """The console on a free loopback port, in this process; yields (base URL, API token)."""
    with tempfile.TemporaryDirectory(prefix="sdbench-console-") as data:
        app = create_app(Path(data), engine_url=engine_url)
        store = app.state.console.store
        store.create_user("bench", secrets.token_urlsafe(24), Role.ADMIN)
        _, token = store.create_token("bench", "bench")
        with uvicorn_thread(app) as port:
            yield f"http://127.0.0.1:{port}", token


def full_get(client: httpx.Client, url: str) -> Target:
    """A GET timed to the end of its body; anything but 200 stops the benchmark."""

    def request() -> None:
        answer = client.get(url)
        if answer.status_code != 200:
            raise BenchError(f"GET {url}: {answer.status_code} {answer.text[:200]}")

    return request


def first_byte(client: httpx.Client, url: str) -> Target:
    """Time from sending the request to the status line and headers (the first bytes)."""

    def request() -> float:
        start = time.perf_counter()
        with client.stream("GET", url) as answer:
            elapsed = time.perf_counter() - start
            if answer.status_code != 200:
                raise BenchError(f"GET {url}: {answer.status_code}")
            answer.read()
        return elapsed

    return request


def in_turn(*calls: Target) -> Target:
    """Several calls timed as one (a view that needs more than one raw request)."""

    def request() -> None:
        for call in calls:
            call()

    return request


def timed(call: Target) -> float:
    start = time.perf_counter()
    own = call()
    return own if own is not None else time.perf_counter() - start


def measure(targets: dict[str, Target], rounds: int, warmup: int = 3) -> dict[str, list[float]]:
    """Run every target once per round, in turn; seconds per request, warm-up rounds dropped."""
    times: dict[str, list[float]] = {name: [] for name in targets}
    for i in range(warmup + rounds):
        for name, call in targets.items():
            elapsed = timed(call)
            if i >= warmup:
                times[name].append(elapsed)
    return times


def table(times: dict[str, list[float]]) -> dict[str, tuple[float, float]]:
    """Print p50 and p99 (ms) of each target; returns them by name."""
    rows = {name: (statistics.median(t) * 1000, percentile(t, 99) * 1000) for name, t in times.items()}
    width = max(len(n) for n in rows)
    print(f"{'':{width}}  {'p50 ms':>9}  {'p99 ms':>9}  {'requests':>8}")
    for name, (p50, p99) in rows.items():
        print(f"{name:{width}}  {p50:9.1f}  {p99:9.1f}  {len(times[name]):8d}")
    return rows
