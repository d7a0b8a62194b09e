"""Services, tasks, the live map and stacks through the console on the two-node swarm, with
the bed's busybox image from its registry (dnsrr: the kernel here has no IPVS)."""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest

from swarmdeck.registry.client import RegistryClient
from tests.testbed import unique_name
from tests.testbed.config import OBJECT_LABEL
from tests.testbed.redis import free_port

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
STACK_LABEL = "com.docker.stack.namespace"
# Stops at once on SIGTERM (a bare `sleep` as PID 1 ignores it and waits out the grace period).
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; echo hello from $(hostname); while :; do sleep 1; done"]


def wait(predicate, what: str, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def running(client, service_id: str) -> int:
    return client.get(f"/api/services/{service_id}").json()["running"]


def create(client, swarm_cleanup, image, **fields):
    body = {
        "name": unique_name("sdct-svc"),
        "image": image,
        "command": SLEEPER,
        "endpoint_mode": "dnsrr",
        "labels": {OBJECT_LABEL: str(os.getpid())},
        **fields,
    }
    answer = client.post("/api/services", json=body)
    assert answer.status_code == 201, answer.text
    swarm_cleanup.services.append(answer.json()["id"])
    return answer.json()


def test_service_create_scale_update_rollback_logs(
    operator, viewer, swarm, swarm_cleanup, registry_busybox_image, registry, app
):
    assert viewer.post("/api/services", json={}).status_code == 403
    s = create(
        operator,
        swarm_cleanup,
        registry_busybox_image,
        replicas=2,
        env={"GREETING": "<i>hi</i>"},
        ports=[{"target": 8080, "published": free_port(), "mode": "host"}],
    )
    assert s["endpoint_mode"] == "dnsrr" and s["replicas"] == 2 and "GREETING=<i>hi</i>" in s["env"]
    wait(lambda: running(operator, s["id"]) == 2, "two running tasks")
    tasks = operator.get(f"/api/services/{s['id']}").json()["tasks"]
    assert {t["node_id"] for t in tasks if t["state"] == "running"} <= {swarm.node_a_id, swarm.node_b_id}
    assert all(t["node"] for t in tasks if t["state"] == "running")
    for node_id in {t["node_id"] for t in tasks}:
        on_node = viewer.get("/api/tasks", params={"node": node_id, "service": s["id"]}).json()
        assert on_node and {t["node_id"] for t in on_node} == {node_id}
        assert s["name"] in {t["service"] for t in viewer.get(f"/api/nodes/{node_id}").json()["task_list"]}
    mapped = [t for t in viewer.get("/api/swarm/map").json()["tasks"] if t["service"] == s["name"]]
    assert sorted(t["slot"] for t in mapped) == [1, 2]

    assert operator.post(f"/api/services/{s['id']}/scale", json={"replicas": 1}).json()["replicas"] == 1
    wait(lambda: running(operator, s["id"]) == 1, "one running task")

    repo, tag = registry_busybox_image.removeprefix(registry.address + "/").rsplit(":", 1)
    with RegistryClient(registry.address) as reg:
        digest = reg.digest(repo, tag)
    pinned = f"{registry_busybox_image}@{digest}"
    updated = operator.post(f"/api/services/{s['id']}/image", json={"image": pinned})
    assert updated.status_code == 200 and updated.json()["image"] == pinned and updated.json()["has_previous"]
    back = operator.post(f"/api/services/{s['id']}/rollback")
    assert back.status_code == 200, back.text
    assert (
        swarm.manager.services.get(s["id"]).attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        == registry_busybox_image
    )

    lines = wait(
        lambda: [
            x for x in operator.get(f"/api/services/{s['id']}/logs").json()["lines"] if "hello from" in x
        ],
        "the service's log",
    )
    assert lines
    page = operator.get(f"/services/{s['id']}")
    assert page.status_code == 200 and "GREETING=&lt;i&gt;hi&lt;/i&gt;" in page.text
    assert "<i>hi" not in page.text
    page = viewer.get(f"/services/{s['id']}")
    assert page.status_code == 200 and "GREETING=••••••" in page.text  # read-only: names, not values
    assert "hi&lt;" not in page.text
    assert f"/api/services/{s['id']}/scale" not in page.text  # read-only: no forms
    listed = viewer.get("/services", params={"q": s["name"]})
    assert listed.status_code == 200 and s["name"] in listed.text
    actions = [e.action for e in app.state.console.store.list_audit(limit=50)[0] if e.result == "ok"]
    assert {"service.create", "service.scale", "service.update-image", "service.rollback"} <= set(actions)


def test_bad_service_requests_are_one_clear_error(operator, registry_busybox_image):
    ingress = operator.post(
        "/api/services",
        json={
            "name": "sdct-x",
            "image": registry_busybox_image,
            "endpoint_mode": "dnsrr",
            "ports": [{"target": 80}],
        },
    )
    assert ingress.status_code == 400 and "host mode" in ingress.json()["detail"]
    assert operator.post("/api/services/sdct-nothing/scale", json={"replicas": 1}).status_code == 404
    assert operator.post("/api/services/sdct-nothing/rollback").status_code == 404


def _stack_objects(swarm, swarm_cleanup, namespace, image):
    label = {STACK_LABEL: namespace, OBJECT_LABEL: str(os.getpid())}
    swarm_cleanup.stack(namespace)
    net = swarm.manager.networks.create(f"{namespace}_default", driver="overlay", labels=label)
    swarm.manager.configs.create(name=f"{namespace}_conf", data=b"x", labels=label)
    swarm.manager.secrets.create(name=f"{namespace}_secret", data=b"y", labels=label)
    for svc in ("web", "worker"):
        swarm.manager.services.create(
            image,
            SLEEPER,
            name=f"{namespace}_{svc}",
            labels=label,
            networks=[net.id],
            endpoint_spec=None,
            container_labels={STACK_LABEL: namespace},
        )
    return label


def test_stacks_listed_whoever_deployed_them_and_removed(
    operator, viewer, swarm, swarm_cleanup, registry_busybox_image
):
    namespace = unique_name("sdct-stack")
    _stack_objects(swarm, swarm_cleanup, namespace, registry_busybox_image)
    stacks = {s["name"]: s for s in viewer.get("/api/stacks").json()}
    assert stacks[namespace]["services"] == 2 and stacks[namespace]["replicas"] == 2
    detail = viewer.get(f"/api/stacks/{namespace}").json()
    assert sorted(s["name"] for s in detail["services"]) == [f"{namespace}_web", f"{namespace}_worker"]
    wait(
        lambda: (
            len(
                [
                    t
                    for t in viewer.get(f"/api/stacks/{namespace}").json()["tasks"]
                    if t["desired"] == "running"
                ]
            )
            == 2
        ),
        "the stack's tasks",
    )
    assert namespace in viewer.get("/stacks").text
    assert f"{namespace}_web" in viewer.get(f"/stacks/{namespace}").text
    assert viewer.delete(f"/api/stacks/{namespace}").status_code == 403
    removed = operator.delete(f"/api/stacks/{namespace}")
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed"] == {
        "services": [f"{namespace}_web", f"{namespace}_worker"],
        "configs": [f"{namespace}_conf"],
        "secrets": [f"{namespace}_secret"],
        "networks": [f"{namespace}_default"],
    }
    flt = {"label": f"{STACK_LABEL}={namespace}"}
    assert not swarm.manager.services.list(filters=flt)
    # The engine forgets a removed overlay network once this node's tasks on it are gone.
    wait(lambda: not swarm.manager.networks.list(filters=flt), "the stack's network to go")
    assert not swarm.manager.configs.list(filters=flt) and not swarm.manager.secrets.list(filters=flt)
    assert operator.delete(f"/api/stacks/{namespace}").status_code == 404
    assert viewer.get(f"/api/stacks/{namespace}").status_code == 404


def test_live_map_follows_tasks(live, swarm, swarm_cleanup, registry_busybox_image):
    client = live.login("oper")
    seen: list[dict] = []
    url = f"{live.url}/api/swarm/map/stream"
    with httpx.stream("GET", url, cookies=client.cookies, timeout=60) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        service_id = ""
        for line in lines:
            if not line.startswith("data: "):
                continue
            seen.append(json.loads(line[6:]))
            if len(seen) == 1:
                assert {n["id"] for n in seen[0]["nodes"]} == {swarm.node_a_id, swarm.node_b_id}
                service_id = create(client, swarm_cleanup, registry_busybox_image, replicas=2)["id"]
                name = client.get(f"/api/services/{service_id}").json()["name"]
            placed = [t for t in seen[-1]["tasks"] if t["service"] == name and t["state"] == "running"]
            if len(placed) == 2:
                break
    assert len(seen) >= 2 and all(t["node_id"] for t in placed)


def test_draining_node_b_moves_its_tasks_to_node_a(operator, swarm, swarm_cleanup, registry_busybox_image):
    s = create(operator, swarm_cleanup, registry_busybox_image, replicas=2)

    def where() -> list[str]:
        tasks = operator.get("/api/tasks", params={"service": s["id"]}).json()
        return sorted(t["node_id"] for t in tasks if t["state"] == "running" and t["desired"] == "running")

    both = sorted([swarm.node_a_id, swarm.node_b_id])
    wait(lambda: where() == both, "one running task on each node (the scheduler spreads them)")
    try:
        assert operator.post(f"/api/nodes/{swarm.node_b_id}/drain").json()["availability"] == "drain"
        wait(lambda: where() == [swarm.node_a_id, swarm.node_a_id], "both tasks on node A")
        on_b = operator.get(f"/api/nodes/{swarm.node_b_id}").json()["task_list"]
        assert not [t for t in on_b if t["service_id"] == s["id"] and t["desired"] == "running"]
    finally:
        node = swarm.manager.nodes.get(swarm.node_b_id)
        node.update(dict(node.attrs["Spec"], Availability="active"))
    assert operator.get(f"/api/nodes/{swarm.node_b_id}").json()["availability"] == "active"
