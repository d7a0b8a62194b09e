"""The report's two-host walkthrough on real kernels: `swarmdeck machine create --driver qemu`
twice (Docker Machine's `create myvm1`, `create myvm2`), then `swarmdeck up --machines
myvm1,myvm2`, then one host lost.

The VMs are Debian 12 under qemu (tests/support/vms.py builds their image); their kernel
has IPVS, so this is Swarm's own routing mesh, the path every user with a stock kernel
gets: the registry is a swarm service that every node pulls from at 127.0.0.1:5000, and a
request at either VM's published port reaches replicas on both. Then the worker VM is
killed by PID while requests go on at the manager's port (tests/support/nodeloss.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from swarmdeck.engine.client import connect, tls_config
from swarmdeck.machine import machines, ssh
from swarmdeck.machine.store import MachineStore
from tests.support.nodeloss import measure
from tests.support.paths import REPO

# The module fixtures make two VMs and the swarm (minutes under emulation): inside the first test's time.
pytestmark = [pytest.mark.vm, pytest.mark.slow, pytest.mark.timeout(3600)]

NAMES = ("myvm1", "myvm2")
APP_PORT = 6767


def swarmdeck(env: dict[str, str], *args: str, timeout: float = 2400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def machine_env(engine_vm_image, tmp_path_factory):
    """The environment of a user with two fresh machines, removed (and checked gone) at the end."""
    home = tmp_path_factory.mktemp("machines")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "SWARMDECK_"))}
    env["SWARMDECK_MACHINE_STORAGE_PATH"] = str(home / "machines")
    env["SWARMDECK_DATA_DIR"] = str(home / "console")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    publish = ",".join(str(p) for p in (APP_PORT, 5000))

    def create(name: str) -> subprocess.CompletedProcess[str]:
        return swarmdeck(env, "machine", "create", "--driver", "qemu", "--publish", publish, name)

    try:
        with ThreadPoolExecutor(len(NAMES)) as pool:
            made = list(pool.map(create, NAMES))
        for run in made:
            assert run.returncode == 0, run.stdout + run.stderr
        yield env
    finally:
        for name in NAMES:
            swarmdeck(env, "machine", "rm", "-y", "-f", name, timeout=300)
        left = swarmdeck(env, "machine", "ls", "-q")
        assert left.stdout.strip() == "", left.stdout


@pytest.fixture(scope="module")
def up(machine_env):
    run = swarmdeck(machine_env, "up", "--machines", ",".join(NAMES), "--requests", "20")
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def machine(env: dict[str, str], name: str):
    store = MachineStore(Path(env["SWARMDECK_MACHINE_STORAGE_PATH"]))
    config, driver = machines.driver_of(store, name)
    files = machines.client_tls(store.machine_dir(config.name))
    addresses = driver.addresses()
    client = connect(
        machines.engine_url(addresses), tls=tls_config(str(files.ca), str(files.cert), str(files.key))
    )
    return driver, addresses, client


def test_up_makes_the_swarm_of_both_machines_and_serves_at_each(machine_env, up):
    out = up.stdout
    assert "mesh routing" in out and "2 node(s)" in out, out
    _, first, manager = machine(machine_env, NAMES[0])
    nodes = {n.attrs["Description"]["Hostname"]: n.attrs for n in manager.nodes.list()}
    assert sorted(nodes) == sorted(NAMES)
    assert nodes[NAMES[0]]["Spec"]["Role"] == "manager" and nodes[NAMES[1]]["Spec"]["Role"] == "worker"
    assert {n["Status"]["State"] for n in nodes.values()} == {"ready"}
    # the registry is a service every node pulls from through the mesh
    web = manager.services.get("friendlyhello_web")
    assert web.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith(
        "127.0.0.1:5000/friendlyhello:"
    )
    running = [t for t in web.tasks() if t["Status"]["State"] == "running"]
    by_node = {t["NodeID"] for t in running}
    assert len(by_node) == 2, running  # a replica on each machine
    hostnames = {t["Status"]["ContainerStatus"]["ContainerID"][:12] for t in running}
    # a request at either machine's port reaches replicas on both (fresh connections)
    for name in NAMES:
        _, addresses, _ = machine(machine_env, name)
        url = f"http://{addresses.public}:{addresses.ports[APP_PORT]}/"
        seen = set()
        visits = []
        for _ in range(20):
            body = httpx.get(
                url, headers={"Accept": "application/json", "Connection": "close"}, timeout=10
            ).json()
            seen.add(body["hostname"])
            visits.append(body["visits"])
        assert seen == hostnames, (name, seen, hostnames)
        assert visits == sorted(visits) and len(set(visits)) == 20
    # IPVS in the manager's ingress sandbox balances the published port over both tasks
    table = ssh.run(first.ssh, "nsenter --net=/var/run/docker/netns/ingress_sbox ipvsadm -Ln").stdout
    assert table.count("Masq") >= 2, table


def test_the_console_lists_both_machines_as_healthy_endpoints(machine_env, up):
    """`machine create` registered each engine with the console (TLS material in its database):
    the console reaches both over TLS and sees the swarm roles `up` gave them."""
    from swarmdeck.console.endpoints import probe
    from swarmdeck.store import Store

    console = Store(Path(machine_env["SWARMDECK_DATA_DIR"]))
    try:
        endpoints = {e.name: e for e in console.list_endpoints() if e.name in NAMES}
        assert sorted(endpoints) == sorted(NAMES), console.list_endpoints()
        for name, endpoint in endpoints.items():
            _, _, client = machine(machine_env, name)
            assert endpoint.tls and not endpoint.insecure
            answer = probe(endpoint, timeout=60, tls_files=console.endpoint_tls_files(endpoint))
            assert answer["healthy"], (name, answer)
            assert answer["engine_version"] == client.version()["Version"]
            assert answer["swarm_role"] == ("manager" if name == NAMES[0] else "worker"), answer
    finally:
        console.close()


def test_the_swarm_survives_losing_the_worker(machine_env, up):
    """The worker VM is killed by PID; requests at the manager's port go on."""
    _, first, manager = machine(machine_env, NAMES[0])
    worker_driver, _, _ = machine(machine_env, NAMES[1])
    worker = next(n.id for n in manager.nodes.list() if n.attrs["Description"]["Hostname"] == NAMES[1])
    url = f"http://{first.public}:{first.ports[APP_PORT]}/"
    loss = measure(manager, "friendlyhello_web", url, worker, worker_driver.kill, after=240)
    print(f"node loss, mesh routing, TCG VMs: {loss.summary()}")
    assert loss.node_down_after is not None and loss.node_down_after < 30, loss.summary()
    assert loss.replicas_back_after is not None, loss.summary()
    # all the failures are the moments before IPVS drops the lost task (seconds, not the whole run)
    window = loss.failure_window
    assert window is None or window[1] < 15, loss.summary()
    assert loss.failed_percent < 10, loss.summary()
