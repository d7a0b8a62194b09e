"""The test bed itself: two Ready nodes, overlay networking across them, the TLS registry,
host-mode ports. Every other integration test stands on these facts."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import docker
import docker.errors
import httpx
import pytest
from docker.types import EndpointSpec, RestartPolicy, ServiceMode

from tests.testbed import (
    NODE_A_ADDR,
    NODE_B_ADDR,
    Registry,
    Swarm,
    SwarmCleanup,
    Testbed,
    load_on_node_b,
    push_to_registry,
)

pytestmark = [pytest.mark.engine, pytest.mark.swarm]

T = TypeVar("T")
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
# httpd answers with the ID of the node its task runs on (a swarm template in the env).
WEB_CMD = ["sh", "-c", 'echo "$NODE_ID" > /www/index.html && exec httpd -f -p 80 -h /www']
WEB_ENV = ["NODE_ID={{.Node.ID}}"]


def poll(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.3)


def running_nodes(service) -> set[str] | None:  # noqa: ANN001 - docker's Service model
    tasks = service.tasks(filters={"desired-state": "running"})
    nodes = {t["NodeID"] for t in tasks if t["Status"]["State"] == "running"}
    return nodes or None


def test_two_nodes_ready_and_told_apart(swarm: Swarm) -> None:
    nodes = {n.id: n.attrs for n in swarm.manager.nodes.list()}
    assert set(nodes) == {swarm.node_a_id, swarm.node_b_id}
    assert {n["Status"]["State"] for n in nodes.values()} == {"ready"}
    a, b = nodes[swarm.node_a_id], nodes[swarm.node_b_id]
    assert (a["Spec"]["Role"], b["Spec"]["Role"]) == ("manager", "worker")
    assert a["Spec"]["Labels"]["testbed"] == "nodea"
    assert b["Spec"]["Labels"]["testbed"] == "nodeb"
    assert b["Description"]["Hostname"] == "nodeb" != a["Description"]["Hostname"]
    assert swarm.manager.info()["Swarm"]["NodeAddr"] == NODE_A_ADDR
    assert swarm.worker.info()["Swarm"]["NodeAddr"] == NODE_B_ADDR


def test_bring_up_again_reuses_the_running_swarm(testbed: Testbed, swarm: Swarm) -> None:
    cluster = swarm.manager.swarm.attrs["ID"]
    again = testbed.swarm()
    assert (again.node_a_id, again.node_b_id) == (swarm.node_a_id, swarm.node_b_id)
    again.manager.swarm.reload()
    assert again.manager.swarm.attrs["ID"] == cluster
    assert again.worker_token == swarm.worker_token


def test_image_loaded_on_node_b_runs_there(
    engine: docker.DockerClient, node_b_engine: docker.DockerClient, busybox_image: str
) -> None:
    load_on_node_b(engine, node_b_engine, busybox_image)
    assert node_b_engine.images.get(busybox_image).id == engine.images.get(busybox_image).id
    out = node_b_engine.containers.run(busybox_image, ["sh", "-c", "echo hi from $0", "b"], remove=True)
    assert out == b"hi from b\n"


@pytest.mark.slow
def test_dnsrr_service_reaches_replicas_on_both_nodes_over_overlay(
    swarm: Swarm, swarm_cleanup: SwarmCleanup, registry_busybox_image: str
) -> None:
    net = swarm_cleanup.network()
    web = swarm_cleanup.service(
        registry_busybox_image,
        WEB_CMD,
        env=WEB_ENV,
        init=True,
        mode=ServiceMode("replicated", replicas=2),
        maxreplicas=1,
        endpoint_spec=EndpointSpec(mode="dnsrr"),
        networks=[net.id],
    )
    both = {swarm.node_a_id, swarm.node_b_id}
    poll(lambda: running_nodes(web) == both or None, 60, "one web replica on each node")
    # The client runs on node B: one replica is local, the other across the VXLAN on node A.
    script = f"""
        for i in $(seq 60); do
          ips=$(nslookup tasks.{web.name} 2>/dev/null \\
                | sed -n 's/^Address: *\\([0-9.]*\\)$/\\1/p' | sort -u)
          [ "$(echo "$ips" | grep -c .)" -ge 2 ] && break
          sleep 0.5
        done
        for ip in $ips; do echo "HIT $ip $(timeout 5 wget -qO- http://$ip/)"; done
        echo DONE
    """
    client = swarm_cleanup.service(
        registry_busybox_image,
        ["sh", "-c", script],
        init=True,
        networks=[net.id],
        restart_policy=RestartPolicy(condition="none"),
        endpoint_spec=EndpointSpec(mode="dnsrr"),
        constraints=["node.labels.testbed==nodeb"],
    )

    def output() -> str | None:
        text = b"".join(client.logs(stdout=True, stderr=True)).decode()
        return text if "DONE" in text else None

    lines = poll(output, 90, "the client's answers").splitlines()
    answered = {line.split()[2] for line in lines if line.startswith("HIT ") and len(line.split()) == 3}
    assert answered == both, lines


def test_push_on_node_a_pull_on_node_b_over_tls(swarm: Swarm, registry: Registry, busybox_image: str) -> None:
    repo, tag = "testbed/pushpull", uuid.uuid4().hex[:12]
    ref = push_to_registry(swarm.manager, busybox_image, registry.address, repo, tag)
    try:
        pulled = swarm.worker.images.pull(f"{registry.address}/{repo}", tag=tag)
        assert pulled.id == swarm.manager.images.get(busybox_image).id
        with registry.client() as http:
            assert tag in http.get(f"/v2/{repo}/tags/list").json()["tags"]
            head = http.head(f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_V2})
            digest = head.headers["Docker-Content-Digest"]
            assert http.delete(f"/v2/{repo}/manifests/{digest}").status_code == 202
            assert http.head(f"/v2/{repo}/manifests/{digest}").status_code == 404
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(registry.url(), verify=ssl.create_default_context())  # not our CA
    finally:
        for client in (swarm.manager, swarm.worker):
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(ref)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_host_mode_port_answers_on_each_node(
    swarm: Swarm, swarm_cleanup: SwarmCleanup, registry_busybox_image: str
) -> None:
    port = free_port()
    swarm_cleanup.service(
        registry_busybox_image,
        WEB_CMD,
        env=WEB_ENV,
        init=True,
        mode=ServiceMode("global"),
        endpoint_spec=EndpointSpec(mode="dnsrr", ports={port: (80, "tcp", "host")}),
    )

    def answer(addr: str) -> str | None:
        try:
            return httpx.get(f"http://{addr}:{port}/", timeout=2).text.strip() or None
        except httpx.HTTPError:
            return None

    assert poll(lambda: answer(NODE_A_ADDR), 60, f"{NODE_A_ADDR}:{port}") == swarm.node_a_id
    assert poll(lambda: answer(NODE_B_ADDR), 60, f"{NODE_B_ADDR}:{port}") == swarm.node_b_id
