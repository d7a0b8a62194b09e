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
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import docker
import docker.errors
import httpx
from _common import (
    BenchError,
    Target,
    console,
    first_byte,
    full_get,
    measure,
    run_bench,
    table,
)

from swarmdeck.engine.client import MIN_API_VERSION, connect, endpoint_url
from tests.testbed.images import ensure_busybox

LABEL = "swarmdeck.bench"
GOAL_RATIO = 1.5
WORKERS = 8  # parallel creates: the engine serialises little of a create


# --- containers ---------------------------------------------------------------------------
def create_containers(
    client: docker.DockerClient, image: str, run_id: str, count: int, running: int
) -> list[str]:
    """``count`` containers named sdbench-RUN-N; the first ``running`` are started (sleep)."""

    def create(i: int) -> str:
        is_running = i < running
        made = client.api.create_container(
            image,
            ["sleep", "3600"] if is_running else ["true"],
            name=f"sdbench-{run_id}-{i}",
            labels={LABEL: run_id, "swarmdeck.bench.index": str(i)},
            host_config=client.api.create_host_config(init=True),
        )
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


# --- what is timed --------------------------------------------------------------------------
def docker_ps(docker_cli: str, engine_url: str) -> Target:
    env = {**os.environ, "DOCKER_HOST": engine_url}

    def request() -> None:
        done = subprocess.run(
            [docker_cli, "ps", "-a"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if done.returncode:
            raise BenchError(f"docker ps -a failed: {done.stderr.strip()}")

    return request


# --- the run --------------------------------------------------------------------------------
def report(times: dict[str, list[float]], raw: str, console_names: list[str]) -> None:
    rows = table(times)
    raw_p50, raw_p99 = rows[raw]
    for name in console_names:
        p50, p99 = rows[name]
        r50, r99 = p50 / raw_p50, p99 / raw_p99
        met = "met" if r50 <= GOAL_RATIO else "MISSED"
        print(f"ratio {name} / {raw}: p50 {r50:.2f}x, p99 {r99:.2f}x (goal p50 <= {GOAL_RATIO:g}x: {met})")


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
        print(
            f"made {args.containers} containers ({args.running} running) in "
            f"{time.monotonic() - start:.1f} s; the engine has {total} in all"
        )
        with (
            console(url) as (base, token),
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as api,
            httpx.Client(
                base_url=f"http://docker/v{MIN_API_VERSION}",
                transport=httpx.HTTPTransport(uds=socket_path),
                timeout=120,
            ) as raw,
        ):
            search = f"sdbench-{run_id}-1"  # -1, -10..-19, -100..-199: about a ninth
            found = api.get("/api/containers", params={"q": search, "per_page": 50}).json()
            print(f"search {search!r} matches {found['total']} containers")
            targets: dict[str, Target] = {
                "engine /containers/json?all=1": full_get(raw, "/containers/json?all=1"),
                "docker ps -a": docker_ps(docker_cli, url),
                "console /api/containers?per_page=50": full_get(api, "/api/containers?per_page=50"),
                "console search (q=, per_page=50)": full_get(api, f"/api/containers?per_page=50&q={search}"),
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
    return run_bench(lambda: run(args), "its containers were")


if __name__ == "__main__":
    sys.exit(main())
