"""`swarmdeck up` end to end on the real two-node swarm: the report's walkthrough, then the
report's claims checked from outside — a request at either node reaches replicas on both,
and the shared counter stays exact."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.console_checks import (
    CONSOLE_LABEL,
    CONSOLE_PORT,
    create_first_admin,
    health,
    setup_code_printed,
)
from tests.e2e.report_stack import LABEL, PORT, STACK, get, running_tasks, swarmdeck

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]


def test_up_refuses_a_taken_port_and_deploys_nothing(swarm, registry):
    swarmdeck("down")
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", PORT))
        holder.listen()
        run = swarmdeck("up", "--registry", registry.address)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"error: port {PORT} is already in use on this host" in run.stderr
    assert "Traceback" not in run.stderr
    assert "done before the error:" in run.stderr  # what was done so far
    assert not swarm.manager.services.list(filters=LABEL)


def test_up_refuses_a_taken_console_port_before_building_anything(swarm, registry):
    swarmdeck("down")
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past a console just removed
        holder.bind(("0.0.0.0", CONSOLE_PORT))
        holder.listen()
        run = swarmdeck("up", "--registry", registry.address)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"error: port {CONSOLE_PORT} is already in use on this host" in run.stderr
    assert "--console-port PORT, or --no-console" in run.stderr
    assert "Base images" not in run.stdout + run.stderr  # refused before any build
    assert not swarm.manager.services.list(filters=LABEL)
    assert not swarm.manager.services.list(filters=CONSOLE_LABEL)


def test_up_refuses_a_loopback_registry_on_a_multi_node_swarm(swarm):
    run = swarmdeck("up")
    assert run.returncode == 1
    assert "this swarm has 2 nodes" in run.stderr and "--registry HOST:PORT" in run.stderr
    assert not swarm.manager.services.list(filters=LABEL)


def test_up_reports_the_routing_case_and_every_node_url(deployed, swarm):
    run, _ = deployed
    assert "this kernel has no IPVS" in run.stdout  # the CI machines' case, said plainly
    assert "friendlyhello is up (proxy routing, 2 node(s)" in run.stdout
    for address in (swarm.addr_a, swarm.addr_b):
        assert f"http://{address}:{PORT}/" in run.stdout
    assert "none repeated or lost" in run.stdout


def test_one_web_replica_per_node_and_redis_on_the_manager(deployed, swarm):
    web_nodes = sorted(t["NodeID"] for t in running_tasks(swarm.manager, "web"))
    assert web_nodes == sorted([swarm.node_a_id, swarm.node_b_id])
    assert [t["NodeID"] for t in running_tasks(swarm.manager, "redis")] == [swarm.node_a_id]


def test_each_node_reaches_both_replicas(deployed, swarm):
    replicas = {
        t["Status"]["ContainerStatus"]["ContainerID"][:12] for t in running_tasks(swarm.manager, "web")
    }
    for address in (swarm.addr_a, swarm.addr_b):
        seen = {get(address)["hostname"] for _ in range(20)}
        assert seen == replicas, f"from {address}"


def test_counter_grows_by_exactly_the_requests_answered(deployed, swarm):
    before = get(swarm.addr_a)["visits"]
    addresses = [swarm.addr_a, swarm.addr_b] * 100
    with ThreadPoolExecutor(16) as pool:
        numbers = [body["visits"] for body in pool.map(get, addresses)]
    after = get(swarm.addr_b)["visits"]
    assert len(set(numbers)) == len(numbers) == 200
    assert sorted(numbers) == list(range(before + 1, before + 201))
    assert after == before + 201


def test_count_survives_a_redis_crash(deployed, swarm):
    last = get(swarm.addr_a)["visits"]
    [task] = running_tasks(swarm.manager, "redis")
    container = swarm.manager.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])
    container.kill()  # SIGKILL: the append-only file is all that is left
    deadline = time.monotonic() + 90
    # First the swarm's replacement task, then the count through web: a request sent
    # before the kill took effect would still reach the old Redis.
    while not [t for t in running_tasks(swarm.manager, "redis") if t["ID"] != task["ID"]]:
        assert time.monotonic() < deadline, "no new redis task within 90 s"
        time.sleep(0.5)
    while True:
        body = get(swarm.addr_b)
        if body["visits"] is not None:
            break
        assert time.monotonic() < deadline, "redis did not come back within 90 s"
        time.sleep(0.5)
    assert body["visits"] == last + 1


def test_the_console_runs_on_the_manager_and_answers_on_its_port(deployed, swarm):
    run, _ = deployed
    assert f"http://{swarm.addr_a}:{CONSOLE_PORT}/" in run.stdout
    service = swarm.manager.services.get("swarmdeck_console")
    [task] = [t for t in service.tasks() if t["DesiredState"] == "running"]
    assert task["Status"]["State"] == "running" and task["NodeID"] == swarm.node_a_id
    mounts = {m["Target"]: m for m in service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"]}
    assert mounts["/var/run/docker.sock"]["Source"] == "/var/run/docker.sock"
    assert (mounts["/data"]["Type"], mounts["/data"]["Source"]) == ("volume", "swarmdeck_console-data")
    assert health(swarm.addr_a) == {"status": "ok", "setup_required": True}


def test_the_setup_code_printed_by_up_creates_the_first_admin(deployed, swarm, registry):
    run, _ = deployed
    code = setup_code_printed(run.stdout, swarm.addr_a)
    again = swarmdeck("console", "setup-code", "--service")
    assert again.returncode == 0 and again.stdout.strip() == code  # for whoever lost up's output
    with create_first_admin(swarm.addr_a, code) as console:
        listed = {r["address"]: r for r in console.get("/api/registries").json()}
        assert registry.address in listed  # added by the console itself, from up's --registry
        name = listed[registry.address]["name"]
        catalog = console.get(f"/api/registries/{name}/repositories", params={"refresh": True})
        assert catalog.status_code == 200, catalog.text  # TLS trusted through the engine's certs.d
        assert {"friendlyhello", "swarmdeck-console"} <= set(catalog.json()["items"])
    assert health(swarm.addr_a)["setup_required"] is False
    gone = swarmdeck("console", "setup-code", "--service")
    assert gone.returncode == 1 and "an admin exists already" in gone.stderr


def test_second_up_changes_nothing(deployed, swarm, registry):
    def snapshot():
        services = swarm.manager.services.list(filters=LABEL) + swarm.manager.services.list(
            filters=CONSOLE_LABEL
        )
        specs = {s.name: s.attrs["Spec"] for s in services}
        tasks = {t["ID"] for s in services for t in s.tasks() if t["DesiredState"] == "running"}
        return specs, tasks

    before = snapshot()
    started = time.monotonic()
    run = swarmdeck("up", "--registry", registry.address, "--requests", "5")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    assert "already manages a swarm" in run.stdout
    assert snapshot() == before  # same specs, and not one task replaced
    assert "Console image: reused swarmdeck-console:" in run.stdout
    assert f"http://{swarm.addr_a}:{CONSOLE_PORT}/" in run.stdout
    # the setup line only while no admin exists
    assert ("Create the first admin" in run.stdout) == health(swarm.addr_a)["setup_required"]
    print(f"first up {deployed[1]:.1f} s, second up {elapsed:.1f} s")


def test_up_without_the_console_leaves_its_stack_as_it_is(deployed, swarm, registry):
    console = swarm.manager.services.list(filters=CONSOLE_LABEL)
    assert console, "the console of the first up is missing"
    before = {s.name: (s.attrs["Spec"], "PreviousSpec" in s.attrs) for s in console}
    run = swarmdeck("up", "--registry", registry.address, "--requests", "5", "--no-console")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Console image" not in run.stdout and f":{CONSOLE_PORT}/" not in run.stdout
    after = {
        s.name: (s.attrs["Spec"], "PreviousSpec" in s.attrs)
        for s in swarm.manager.services.list(filters=CONSOLE_LABEL)
    }
    assert after == before


def test_down_removes_the_stack_and_keeps_the_data(deployed, swarm):
    run = swarmdeck("down")
    assert run.returncode == 0, run.stderr
    assert not swarm.manager.services.list(filters=LABEL)
    assert not swarm.manager.networks.list(filters=LABEL)
    assert not swarm.manager.services.list(filters=CONSOLE_LABEL)
    assert [v.name for v in swarm.manager.volumes.list(filters=LABEL)] == [f"{STACK}_redis-data"]
    assert [v.name for v in swarm.manager.volumes.list(filters=CONSOLE_LABEL)] == ["swarmdeck_console-data"]
    run = swarmdeck("down", "--volumes")
    assert run.returncode == 0
    assert not swarm.manager.volumes.list(filters=LABEL)
    assert not swarm.manager.volumes.list(filters=CONSOLE_LABEL)
