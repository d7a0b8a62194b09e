"""The console's container list against the engine's own API and `docker ps -a`, side by side.

    .venv/bin/python bench/console_containers.py [--containers 1000] [--running 20] [--requests 50]

Puts ``--containers`` containers of the test bed's busybox image on the local engine (created,
not started; ``--running`` of them run ``sleep``), all labelled ``swarmdeck.bench=<run id>``,
starts the console in this process (uvicorn on a free loopback port, a fresh data dir, an
admin with an API token), then times, interleaved round by round so drift hits all alike:

- the engine's ``GET /containers/json?all=1`` over its unix socket (the raw API),
- ``docker ps -a`` (the CLI, a new process each time),
- the console's ``GET /api/containers?per_page=50`` and a search (``q=`` matching about a
  tenth of them),
- the containers page's time to first byte (``GET /containers``).

Prints p50 and p99 of each (milliseconds) and the console's ratio to the raw API; the goal
is <= 1.5x. Every container it made is removed at the end (also on Ctrl-C or SIGTERM).
Exit status: 0 done (whether or not the goal is met: figures drift, compare ratios),
1 something failed, 2 bad usage or a missing tool.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import docker  # noqa: E402
import docker.errors  # noqa: E402
import httpx  # noqa: E402
import uvicorn  # noqa: E402

from swarmdeck.console import create_app  # noqa: E402
from swarmdeck.engine.client import MIN_API_VERSION, connect, endpoint_url  # noqa: E402
from swarmdeck.errors import SwarmdeckError  # noqa: E402
from swarmdeck.store import Role  # noqa: E402
from tests.testbed.common import TestbedError  # noqa: E402
from tests.testbed.images import ensure_busybox  # noqa: E402

LABEL = "swarmdeck.bench"
GOAL_RATIO = 1.5
WORKERS = 8  # parallel creates: the engine serialises little of a create


class BenchError(Exception):
    """Something the benchmark needs is missing or failed; the message says what."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Interrupted(Exception):
    """SIGTERM, turned into an exception so the containers are still removed."""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the measured values."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


# --- containers ---------------------------------------------------------------------------
def create_containers(client: docker.DockerClient, image: str, run_id: str, count: int,
                      running: int) -> list[str]:
    """``count`` containers named sdbench-RUN-N; the first ``running`` are started (sleep)."""

    def create(i: int) -> str:
        is_running = i < running
        made = client.api.create_container(
            image, ["sleep", "3600"] if is_running else ["true"], name=f"sdbench-{run_id}-{i}",
            labels={LABEL: run_id, "swarmdeck.bench.index": str(i)},
            host_config=client.api.create_host_config(init=True))
        if is_running:
            client.api.start(made["Id"])
        return made["Id"]

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(create, range(count)))


def remove_containers(client: docker.DockerClient, run_id: str) -> int:
    """Remove every container labelled with this run (found again: a create may have failed
    half-way); returns how many."""
    found = client.api.containers(all=True, filters={"label": f"{LABEL}={run_id}"}, quiet=True)

    def remove(c: dict[str, str]) -> None:
        with suppress(docker.errors.NotFound):
            client.api.remove_container(c["Id"], force=True)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(remove, found))
    return len(found)


# --- the console ----------------------------------------------------------------------------
@contextmanager
def console(engine_url: str) -> Iterator[tuple[str, str]]:
    """The console on a free loopback port, in this process; yields (base URL, API token)."""
    with tempfile.TemporaryDirectory(prefix="sdbench-console-") as data:
        app = create_app(Path(data), engine_url=engine_url)
        store = app.state.console.store
        store.create_user("bench", secrets.token_urlsafe(24), Role.ADMIN)
        _, token = store.create_token("bench", "bench")
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                               timeout_graceful_shutdown=2))
        thread = threading.Thread(target=server.run, daemon=True, name="console")
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise BenchError("the console did not start")
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", token
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            app.state.console.close()


# --- what is timed --------------------------------------------------------------------------
def full_get(client: httpx.Client, url: str) -> Callable[[], None]:
    def request() -> None:
        answer = client.get(url)
        if answer.status_code != 200:
            raise BenchError(f"GET {url}: {answer.status_code} {answer.text[:200]}")

    return request


def first_byte(client: httpx.Client, url: str) -> Callable[[], float]:
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


def docker_ps(docker_cli: str, engine_url: str) -> Callable[[], None]:
    env = {**os.environ, "DOCKER_HOST": engine_url}

    def request() -> None:
        done = subprocess.run([docker_cli, "ps", "-a"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode:
            raise BenchError(f"docker ps -a failed: {done.stderr.strip()}")

    return request


def timed(call: Callable[[], float | None]) -> float:
    start = time.perf_counter()
    own = call()
    return own if own is not None else time.perf_counter() - start


def measure(targets: dict[str, Callable[[], float | None]], rounds: int,
            warmup: int = 3) -> dict[str, list[float]]:
    """Run every target once per round, in turn; seconds per request, warm-up rounds dropped."""
    times: dict[str, list[float]] = {name: [] for name in targets}
    for i in range(warmup + rounds):
        for name, call in targets.items():
            elapsed = timed(call)
            if i >= warmup:
                times[name].append(elapsed)
    return times


# --- the run --------------------------------------------------------------------------------
def report(times: dict[str, list[float]], raw: str, console_names: list[str]) -> None:
    rows = {name: (statistics.median(t) * 1000, percentile(t, 99) * 1000) for name, t in times.items()}
    width = max(len(n) for n in rows)
    print(f"{'':{width}}  {'p50 ms':>9}  {'p99 ms':>9}  {'requests':>8}")
    for name, (p50, p99) in rows.items():
        print(f"{name:{width}}  {p50:9.1f}  {p99:9.1f}  {len(times[name]):8d}")
    raw_p50, raw_p99 = rows[raw]
    for name in console_names:
        p50, p99 = rows[name]
        r50, r99 = p50 / raw_p50, p99 / raw_p99
        met = "met" if r50 <= GOAL_RATIO else "MISSED"
        print(f"ratio {name} / {raw}: p50 {r50:.2f}x, p99 {r99:.2f}x "
              f"(goal p50 <= {GOAL_RATIO:g}x: {met})")


def run(args: argparse.Namespace) -> int:
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise BenchError("the docker CLI is missing (apt-get install docker.io)", 2)
    url = endpoint_url(args.engine)
    if not url.startswith("unix://"):
        raise BenchError(f"the raw API is timed over a unix socket; {url} is not one", 2)
    socket_path = url.removeprefix("unix://")
    client = connect(url)
    image = ensure_busybox(client)
    run_id = uuid.uuid4().hex[:8]
    try:
        start = time.monotonic()
        create_containers(client, image, run_id, args.containers, args.running)
        total = len(client.api.containers(all=True, quiet=True))
        print(f"made {args.containers} containers ({args.running} running) in "
              f"{time.monotonic() - start:.1f} s; the engine has {total} in all")
        with console(url) as (base, token), \
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                             timeout=120) as api, \
                httpx.Client(base_url=f"http://docker/v{MIN_API_VERSION}",
                             transport=httpx.HTTPTransport(uds=socket_path), timeout=120) as raw:
            search = f"sdbench-{run_id}-1"  # -1, -10..-19, -100..-199: about a ninth
            found = api.get("/api/containers", params={"q": search, "per_page": 50}).json()
            print(f"search {search!r} matches {found['total']} containers")
            targets: dict[str, Callable[[], float | None]] = {
                "engine /containers/json?all=1": full_get(raw, "/containers/json?all=1"),
                "docker ps -a": docker_ps(docker_cli, url),
                "console /api/containers?per_page=50": full_get(api, "/api/containers?per_page=50"),
                "console search (q=, per_page=50)": full_get(
                    api, f"/api/containers?per_page=50&q={search}"),
                "console /containers page, first byte": first_byte(api, "/containers"),
            }
            times = measure(targets, args.requests)
        names = list(targets)
        report(times, names[0], [names[2], names[3], names[4]])
    finally:
        removed = remove_containers(client, run_id)
        print(f"removed {removed} containers")
        client.close()
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--containers", type=int, default=1000, help="how many to create (default 1000)")
    parser.add_argument("--running", type=int, default=20, help="how many of them run sleep (default 20)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per target (default 50)")
    parser.add_argument("--engine", help="engine URL (default: DOCKER_HOST or the local socket)")
    args = parser.parse_args(argv)
    if args.containers < 1 or args.requests < 1 or not 0 <= args.running <= args.containers:
        parser.error("--containers and --requests are at least 1; --running is 0..--containers")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum: int, frame: object) -> None:
        raise Interrupted()

    signal.signal(signal.SIGTERM, terminate)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return exc.status
    except (SwarmdeckError, TestbedError, docker.errors.DockerException, httpx.HTTPError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Interrupted):
        print("bench: interrupted (its containers were removed)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
