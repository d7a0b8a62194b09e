"""The console's swarm services views against the engine's own API and `docker service ls`.

    .venv/bin/python -m tests.testbed up        # or let the bench bring the two-node swarm up
    .venv/bin/python bench/console_services.py [--services 100] [--replicas 10] [--rounds 20]

Puts ``--services`` replicated services of the test bed's busybox image (from the test bed's
registry, so both nodes run them) on the swarm, each running ``sleep`` in ``--replicas``
tasks spread by the scheduler over node A and node B (1,000 tasks by default; no ports, a
16 MB memory limit), labelled ``swarmdeck.bench=<run id>``, and waits until every task runs.
Then it starts the console in this process (uvicorn on a free loopback port, a fresh data
dir, an admin with an API token) and times, interleaved round by round:

- the raw API the services view needs: ``GET /services`` and ``GET /tasks`` (tasks meant to
  run) over the manager's unix socket with a plain httpx client,
- ``docker service ls`` (the CLI, a new process each time),
- the console's ``GET /api/services`` and the services page (``GET /services``, full body: its
  first 50 rows; with every service on one page; searched, sorted and its second page),
- the raw API the live map needs (``GET /nodes``, ``/services``, ``/tasks``) and the
  console's ``GET /api/swarm/map`` (every task meant to run, with its node),
- the same with ``GET /info`` (this engine's swarm state) and the swarm overview page
  (``GET /swarm``: health counted over every node, service and task, and the join tokens
  for an admin).

Prints p50 and p99 of each (milliseconds), the console's ratios to the raw calls, and whether
the goal (page and API under 1 s) is met. Every service it made is removed at the end (also
on Ctrl-C or SIGTERM), and it waits until their tasks are gone. Exit status: 0 done (whether
or not the goal is met), 1 something failed, 2 bad usage or a missing tool.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import docker
import docker.errors
import docker.types
import httpx
from _common import (
    BenchError,
    Target,
    console,
    full_get,
    in_turn,
    measure,
    run_bench,
    table,
)

from swarmdeck.engine.client import MIN_API_VERSION
from tests.testbed.bed import SESSION, Testbed
from tests.testbed.config import OBJECT_LABEL

LABEL = "swarmdeck.bench"
SOCKET = "/var/run/docker.sock"  # node A, the test bed's manager
GOAL_MS = 1000.0
WORKERS = 8
MEMORY_LIMIT = 16 * 1024 * 1024
RUNNING_QUERY = f"/tasks?{httpx.QueryParams(filters=json.dumps({'desired-state': ['running']}))}"


# --- services -------------------------------------------------------------------------------
def create_services(client: docker.DockerClient, image: str, run_id: str, count: int, replicas: int) -> None:
    def create(i: int) -> None:
        client.services.create(
            image,
            ["sleep", "86400"],
            name=f"sdbench-{run_id}-{i:03d}",
            init=True,
            mode=docker.types.ServiceMode("replicated", replicas),
            resources=docker.types.Resources(mem_limit=MEMORY_LIMIT),
            stop_grace_period=1_000_000_000,
            # the test bed sweeps what a dead process left under OBJECT_LABEL
            labels={LABEL: run_id, OBJECT_LABEL: str(os.getpid())},
        )

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(create, range(count)))


def running_by_node(client: docker.DockerClient, run_id: str) -> Counter[str]:
    """Tasks of this run's services that run, per node."""
    ids = {s["ID"] for s in client.api.services(filters={"label": f"{LABEL}={run_id}"})}
    tasks = client.api.tasks(filters={"desired-state": "running"})
    return Counter(
        t["NodeID"] for t in tasks if t.get("ServiceID") in ids and t["Status"]["State"] == "running"
    )


def wait_running(client: docker.DockerClient, run_id: str, total: int, timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    shown = -1
    while True:
        nodes = running_by_node(client, run_id)
        count = nodes.total()
        if count >= total:
            return nodes
        if time.monotonic() > deadline:
            raise BenchError(f"only {count} of {total} tasks run after {timeout:.0f} s")
        if count // 100 != shown // 100:
            print(f"  {count} of {total} tasks run", flush=True)
            shown = count
        time.sleep(2)


def remove_services(client: docker.DockerClient, run_id: str, timeout: float = 300) -> int:
    """Remove every service of this run (found again: a create may have failed half-way) and
    wait until their tasks are gone; returns how many services."""
    found = client.api.services(filters={"label": f"{LABEL}={run_id}"})
    ids = {s["ID"] for s in found}

    def remove(service_id: str) -> None:
        with suppress(docker.errors.NotFound):
            client.api.remove_service(service_id)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(remove, ids))
    deadline = time.monotonic() + timeout
    while any(t.get("ServiceID") in ids for t in client.api.tasks()) and time.monotonic() < deadline:
        time.sleep(1)
    return len(ids)


# --- what is timed --------------------------------------------------------------------------
def docker_service_ls(docker_cli: str) -> Target:
    env = {**os.environ, "DOCKER_HOST": f"unix://{SOCKET}"}

    def request() -> None:
        done = subprocess.run(
            [docker_cli, "service", "ls"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode:
            raise BenchError(f"docker service ls failed: {done.stderr.strip()}")

    return request


# --- the run --------------------------------------------------------------------------------
RAW_SERVICES = "engine /services + /tasks"
RAW_MAP = "engine /nodes + /services + /tasks"
RAW_OVERVIEW = "engine /info + /nodes + /services + /tasks"
CONSOLE_VIEWS = {  # console target: its raw peer
    "console /api/services": RAW_SERVICES,
    "console /services page": RAW_SERVICES,
    "console /services page, 500 a page": RAW_SERVICES,
    "console /services searched, sorted, page 2": RAW_SERVICES,
    "console /api/swarm/map": RAW_MAP,
    "console /swarm page": RAW_OVERVIEW,
}


def report(times: dict[str, list[float]]) -> None:
    rows = table(times)
    for name, raw in CONSOLE_VIEWS.items():
        (p50, p99), (raw50, raw99) = rows[name], rows[raw]
        met = "met" if p50 < GOAL_MS and p99 < GOAL_MS else "MISSED"
        print(
            f"ratio {name} / {raw}: p50 {p50 / raw50:.2f}x, p99 {p99 / raw99:.2f}x "
            f"(goal p50 and p99 < {GOAL_MS:.0f} ms: {met})"
        )


def run(args: argparse.Namespace) -> int:
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise BenchError("the docker CLI is missing (apt-get install docker.io)", 2)
    bed = Testbed(SESSION)
    run_id = uuid.uuid4().hex[:8]
    client = None
    try:
        swarm = bed.swarm()
        image = bed.registry_busybox_image()
        client = swarm.manager
        total = args.services * args.replicas
        start = time.monotonic()
        create_services(client, image, run_id, args.services, args.replicas)
        print(
            f"created {args.services} services sdbench-{run_id}-NNN of {args.replicas} replicas in "
            f"{time.monotonic() - start:.1f} s; waiting for {total} tasks",
            flush=True,
        )
        nodes = wait_running(client, run_id, total, args.timeout)
        spread = ", ".join(
            f"{n} on {'node A' if node == swarm.node_a_id else 'node B'}"
            for node, n in sorted(nodes.items(), key=lambda kv: kv[0] != swarm.node_a_id)
        )
        print(
            f"{total} tasks run ({spread}) after {time.monotonic() - start:.1f} s; the swarm has "
            f"{len(client.api.services())} services, {len(client.api.tasks())} tasks in all",
            flush=True,
        )
        with (
            console(f"unix://{SOCKET}") as (base, token),
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as api,
            httpx.Client(
                base_url=f"http://docker/v{MIN_API_VERSION}",
                transport=httpx.HTTPTransport(uds=SOCKET),
                timeout=120,
            ) as raw,
        ):
            listed = api.get("/api/services").json()
            mine = [s for s in listed if s["name"].startswith(f"sdbench-{run_id}-")]
            print(
                f"the console lists {len(mine)} of this run's services, "
                f"{sum(s['running'] for s in mine)} tasks running"
            )
            services, tasks, nodes_, info = (
                full_get(raw, u) for u in ("/services", RUNNING_QUERY, "/nodes", "/info")
            )
            targets: dict[str, Target] = {
                RAW_SERVICES: in_turn(services, tasks),
                "docker service ls": docker_service_ls(docker_cli),
                "console /api/services": full_get(api, "/api/services"),
                "console /services page": full_get(api, "/services"),
                # every service on one page (the page's whole table), and the table's own work:
                # searched, sorted by a column the other way, the second page
                "console /services page, 500 a page": full_get(api, "/services?per_page=500"),
                "console /services searched, sorted, page 2": full_get(
                    api, f"/services?q=sdbench-{run_id}&sort=tasks&dir=desc&page=2"
                ),
                RAW_MAP: in_turn(nodes_, services, tasks),
                "console /api/swarm/map": full_get(api, "/api/swarm/map"),
                RAW_OVERVIEW: in_turn(info, nodes_, services, tasks),
                "console /swarm page": full_get(api, "/swarm"),
            }
            times = measure(targets, args.rounds)
        report(times)
    finally:
        if client is not None:
            removed = remove_services(client, run_id)
            print(f"removed {removed} services")
        bed.close()
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100, help="how many services (default 100)")
    parser.add_argument("--replicas", type=int, default=10, help="tasks per service (default 10)")
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per target (default 20)")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds to wait for every task to run (default 900)"
    )
    args = parser.parse_args(argv)
    if args.services < 1 or args.replicas < 1 or args.rounds < 1 or args.services > 999:
        parser.error("--services is 1..999; --replicas and --rounds are at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_bench(lambda: run(args), "its services were")


if __name__ == "__main__":
    sys.exit(main())
