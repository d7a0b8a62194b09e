"""Chaos on the report's app as `swarmdeck up` deploys it on the real two-node swarm (issue 13):
a burst of concurrent visits, Redis stopped and started again, Redis killed.

Nothing here is simulated: Redis is stopped by scaling its service to 0 (its task ends, its
container is gone), killed with SIGKILL, and the answers are read through the nodes'
published port. The timings measured (time to the degraded page, time to resume) are
printed with ``chaos:`` in front (run with ``-s`` to see them); the assertions hold them to
the issue's goals only (every answer within 2.5 s), never to this machine's speed.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
import yaml

from swarmdeck.swarm import services
from tests.e2e.report_stack import (
    DISABLED,
    PORT,
    STACK,
    container_of,
    get,
    running_tasks,
    wait_for,
)
from tests.support.paths import REPO

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]

BURST = 1500
AT_ONCE = 100
DEGRADED_WITHIN = 2.5  # seconds: the goal for each answer while Redis is away


def figure(text: str) -> None:
    print(f"chaos: {text}", flush=True)


async def burst(addresses: list[str], count: int, at_once: int) -> list[dict]:
    """``count`` GET / spread over ``addresses``, at most ``at_once`` in flight."""
    per_node = max(1, at_once // len(addresses))
    clients = [
        httpx.AsyncClient(
            base_url=f"http://{address}:{PORT}",
            headers={"Accept": "application/json"},
            limits=httpx.Limits(max_connections=per_node),
            timeout=30,
        )
        for address in addresses
    ]
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> dict:
        async with gate:
            answer = await clients[i % len(clients)].get("/")
        assert answer.status_code == 200, answer.text
        return answer.json()

    try:
        return await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        for client in clients:
            await client.aclose()


def timed_get(address: str) -> tuple[dict, float]:
    started = time.monotonic()
    body = get(address, timeout=10)
    return body, time.monotonic() - started


def web_containers(engine) -> dict[str, str]:
    """task ID -> container ID of web's running tasks."""
    return {t["ID"]: t["Status"]["ContainerStatus"]["ContainerID"] for t in running_tasks(engine, "web")}


def test_1500_concurrent_visits_get_1500_distinct_numbers_in_one_range(deployed, swarm):
    addresses = [swarm.addr_a, swarm.addr_b]
    before = get(swarm.addr_a)["visits"]
    started = time.monotonic()
    bodies = asyncio.run(burst(addresses, BURST, AT_ONCE))
    elapsed = time.monotonic() - started
    after = get(swarm.addr_b)["visits"]
    numbers = [b["visits"] for b in bodies]
    assert None not in numbers
    assert sorted(numbers) == list(range(before + 1, before + BURST + 1))
    assert after == before + BURST + 1
    assert len({b["hostname"] for b in bodies}) == 2  # both replicas counted
    figure(f"{BURST} visits, {AT_ONCE} at a time over 2 nodes: {elapsed:.2f} s")


def test_redis_stopped_gives_the_degraded_page_and_counting_resumes_without_web(deployed, swarm):
    engine = swarm.manager
    web_before = web_containers(engine)
    counted = [get(swarm.addr_a)["visits"]]

    stopping = time.monotonic()
    services.scale(engine, f"{STACK}_redis", 0)
    while True:  # until an answer is the degraded page; earlier ones may still count
        body = get(swarm.addr_a, timeout=10)
        if body["visits"] is None:
            break
        counted.append(body["visits"])
        assert time.monotonic() - stopping < 60, "still counting 60 s after Redis was stopped"
    to_degraded = time.monotonic() - stopping
    wait_for(lambda: not running_tasks(engine, "redis"), 60, "Redis's task stopped")

    # Redis is stopped for real: every answer, at either node, is the degraded page, in time.
    slowest = 0.0
    for i in range(20):
        body, elapsed = timed_get([swarm.addr_a, swarm.addr_b][i % 2])
        assert body["visits"] is None and body["error"] == DISABLED
        assert elapsed < DEGRADED_WITHIN, f"answer {i} took {elapsed:.2f} s"
        slowest = max(slowest, elapsed)
    page = httpx.get(f"http://{swarm.addr_b}:{PORT}/", headers={"Connection": "close"}, timeout=10)
    assert page.status_code == 200 and page.text.endswith(f"<b>Visits:</b> <i>{DISABLED}</i>")

    starting = time.monotonic()
    services.scale(engine, f"{STACK}_redis", 1)
    resumed = wait_for(lambda: get(swarm.addr_a)["visits"], 120, "counting resumed", poll=0.1)
    to_resume = time.monotonic() - starting
    assert resumed == max(counted) + 1  # the count was kept on the volume
    # Both replicas count again (through both nodes) without web being restarted.
    numbers = [get(address)["visits"] for address in [swarm.addr_a, swarm.addr_b] * 5]
    assert numbers == list(range(resumed + 1, resumed + 11))
    assert web_containers(engine) == web_before
    figure(
        f"Redis stopped: first degraded page after {to_degraded:.2f} s, slowest degraded "
        f"answer {slowest:.3f} s; Redis started: counting resumed after {to_resume:.2f} s"
    )


def test_the_shipped_compose_file_keeps_redis_on_an_append_only_volume(deployed, swarm):
    compose = yaml.safe_load((REPO / "apps" / "friendlyhello" / "docker-compose.yml").read_text())
    redis = compose["services"]["redis"]
    assert "--appendonly yes" in redis["command"]
    assert "redis-data:/data" in redis["volumes"]
    assert "redis-data" in compose["volumes"]
    spec = swarm.manager.services.get(f"{STACK}_redis").attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert spec["Args"][-2:] == ["--appendonly", "yes"]
    [mount] = spec["Mounts"]
    assert (mount["Type"], mount["Source"], mount["Target"]) == ("volume", f"{STACK}_redis-data", "/data")


def test_count_is_kept_when_the_redis_task_is_killed(deployed, swarm):
    engine = swarm.manager
    asyncio.run(burst([swarm.addr_a, swarm.addr_b], 200, 50))  # something worth keeping
    last = get(swarm.addr_a)["visits"]
    [task] = running_tasks(engine, "redis")
    volume = Path(engine.volumes.get(f"{STACK}_redis-data").attrs["Mountpoint"])
    kept = {p.name for p in volume.iterdir()}
    assert kept & {"appendonlydir", "appendonly.aof"}, kept  # the append-only file is on the volume

    killing = time.monotonic()
    container_of(engine, task).kill()  # SIGKILL: no shutdown save, only the append-only file
    wait_for(
        lambda: [t for t in running_tasks(engine, "redis") if t["ID"] != task["ID"]],
        90,
        "a new Redis task",
    )
    # The first counted answer after the new task runs (one sent earlier may still have
    # reached the old Redis and been counted there: it is then part of what must be kept).
    resumed = wait_for(lambda: get(swarm.addr_b)["visits"], 90, "counting resumed", poll=0.1)
    to_resume = time.monotonic() - killing
    assert resumed == last + 1
    figure(f"Redis killed (SIGKILL): counting resumed after {to_resume:.2f} s, count kept")
