"""Chaos on the report's app as `swarmdeck up` deploys it on the real two-node swarm (issue 13):
a burst of concurrent visits, Redis stopped and started again, Redis killed, and the console's
container restarted in the middle of a deploy from the console.

Nothing here is simulated: Redis is stopped by scaling its service to 0 (its task ends, its
container is gone), killed with SIGKILL, and the answers are read through the nodes'
published port; the console's container is SIGKILLed while it deploys, and the swarm starts
it again (restart policy ``any``) on its data volume. The timings measured (time to the
degraded page, time to resume, the console's time to answer again) are printed with
``chaos:`` in front (run with ``-s`` to see them); the assertions hold them to the issue's
goals only (every answer within 2.5 s), never to this machine's speed.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
import yaml

from swarmdeck.swarm import services, stacks
from tests.e2e.console_checks import CONSOLE_PORT, setup_code_printed
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
    times = []
    for i in range(20):
        body, elapsed = timed_get([swarm.addr_a, swarm.addr_b][i % 2])
        assert body["visits"] is None and body["error"] == DISABLED
        assert elapsed < DEGRADED_WITHIN, f"answer {i} took {elapsed:.2f} s"
        times.append(elapsed)
    page = httpx.get(f"http://{swarm.addr_b}:{PORT}/", headers={"Connection": "close"}, timeout=10)
    assert page.status_code == 200 and page.text.endswith(f"<b>Visits:</b> <i>{DISABLED}</i>")

    starting = time.monotonic()
    services.scale(engine, f"{STACK}_redis", 1)
    polls: list[int | None] = []

    def visits() -> int | None:
        polls.append(get(swarm.addr_a)["visits"])
        return polls[-1]

    resumed = wait_for(visits, 120, "counting resumed", poll=0.1)
    to_resume = time.monotonic() - starting
    # The count was kept on the volume: it goes on from the last number shown. It may skip
    # a number for each answer that came back degraded while a Redis was there to apply its
    # INCR (the app never retries, so a reply lost after the INCR leaves that number unshown):
    # the first degraded answer as Redis stopped, and the degraded polls as it started again.
    # Requests are sequential, so that is at most one number per such answer.
    may_skip = 1 + sum(v is None for v in polls)
    assert max(counted) < resumed <= max(counted) + 1 + may_skip, (resumed, max(counted), may_skip)
    # Both replicas count again (through both nodes) without web being restarted.
    numbers = [get(address)["visits"] for address in [swarm.addr_a, swarm.addr_b] * 5]
    assert numbers == list(range(resumed + 1, resumed + 11))
    assert web_containers(engine) == web_before
    figure(
        f"Redis stopped: first degraded page after {to_degraded:.2f} s; degraded answers: "
        f"median {statistics.median(times):.3f} s, slowest {max(times):.3f} s "
        f"({sum(t > 1.5 for t in times)} of {len(times)} over 1.5 s); "
        f"Redis started: counting resumed after {to_resume:.2f} s"
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


# --- the console's container restarted in the middle of a deploy from the console ---------
SERVICES = 24
CONSOLE = f"http://{{}}:{CONSOLE_PORT}"


def chaos_compose(image: str) -> str:
    service = f"""    image: {image}
    command: ["sleep", "86400"]
    deploy:
      replicas: 0
"""
    return 'version: "3.8"\nservices:\n' + "".join(f"  s{i:02d}:\n{service}" for i in range(SERVICES))


def stack_state(engine, stack: str) -> tuple[list[str], list[str]]:
    label = {"label": f"com.docker.stack.namespace={stack}"}
    return (
        sorted(s["Spec"]["Name"] for s in engine.api.services(filters=label)),
        sorted(n["Name"] for n in engine.api.networks(filters=label)),
    )


def log_in(address: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=CONSOLE.format(address), timeout=60)
    answer = client.post("/api/auth/login", json={"username": "admin", "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def console_container(engine):
    [task] = [
        t
        for t in engine.services.get("swarmdeck_console").tasks()
        if t["DesiredState"] == "running" and t["Status"]["State"] == "running"
    ]
    return container_of(engine, task)


@pytest.fixture
def chaos_stack(swarm) -> Iterator[str]:
    name = "chaosdeploy"
    yield name
    with suppress(Exception):
        stacks.remove(swarm.manager, name, timeout=60)


def test_console_restarted_mid_deploy_leaves_the_stack_whole_or_untouched(
    deployed, swarm, registry_busybox_image, chaos_stack
):
    run, _ = deployed
    engine, address, stack = swarm.manager, swarm.addr_a, chaos_stack
    password = secrets.token_urlsafe(16)
    made = httpx.post(
        CONSOLE.format(address) + "/api/setup",
        json={
            "username": "admin",
            "password": password,
            "setup_code": setup_code_printed(run.stdout, address),
        },
        timeout=60,
    )
    assert made.status_code == 201, made.text
    client = log_in(address, password)
    container = console_container(engine)
    answers: list[object] = []

    def post() -> None:
        try:
            body = {"compose": chaos_compose(registry_busybox_image)}
            answers.append(client.post(f"/api/stacks/{stack}/deploy", json=body))
        except httpx.HTTPError as exc:
            answers.append(exc)

    sender = threading.Thread(target=post)
    sender.start()
    wait_for(lambda: stack_state(engine, stack)[0] or answers, 120, "the deploy's first service", poll=0.005)
    restarting = time.monotonic()
    container.kill()  # SIGKILL; the swarm starts the console again on the same volume
    at_restart = stack_state(engine, stack)
    sender.join(timeout=120)
    wait_for(lambda: health_or_none(address), 180, "the console answering again", poll=0.2)
    back = time.monotonic() - restarting

    # Its state is back: the session from before the restart still works, and the audit
    # log says how the deploy ended (ok, or interrupted and taken back at start).
    def outcome() -> str | None:
        entries = client.get("/api/audit", params={"action": "stack.deploy"}).json()["items"]
        return next((e["result"] for e in entries if e["target"] == stack), None)

    result = wait_for(outcome, 180, "the deploy's audit entry")
    settled = time.monotonic() - restarting
    if result == "ok":
        assert len(stack_state(engine, stack)[0]) == SERVICES  # deployed, whole
    else:
        assert result.startswith("error: interrupted (the console stopped during the deploy)"), result
        assert stack_state(engine, stack) == ([], [])  # untouched
    assert STACK in {s["name"] for s in client.get("/api/stacks").json()}
    log_in(address, password).close()  # logging in again works too
    figure(
        f"console restarted mid-deploy ({len(at_restart[0])} of {SERVICES} services made): "
        f"answering again after {back:.1f} s, deploy settled after {settled:.1f} s: {result}"
    )


def health_or_none(address: str) -> dict | None:
    try:
        answer = httpx.get(CONSOLE.format(address) + "/api/health", timeout=3)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None
