"""The swarm views on a chosen endpoint (``?endpoint=NAME``, the resource routes' mechanism).

Node B of the test bed (a worker, reached over TCP+TLS) says it is a worker and refuses the
manager-only reads and every change, naming itself; the test bed's manager added as an
endpoint by its socket is managed through it (the Portainer way: the console pointed at a
manager endpoint), audited under that endpoint's name; team grants decide who reaches node
B's swarm views, and a refusal changes nothing, here or there. Without ``endpoint`` the
console's own engine answers, as before.
"""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from swarmdeck.console.pages import ENDPOINT_COOKIE
from tests.support.api import events
from tests.support.browser import log_in, shot
from tests.support.console import add_node_b, store_of
from tests.support.stacks import compose
from tests.testbed import unique_name
from tests.testbed.config import ENGINE_A_URL

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
LABEL = "com.docker.stack.namespace"
WORKER = "endpoint 'nodeb' is a swarm worker: only a manager answers this"
MANAGER_ONLY_READS = (
    "/api/nodes",
    "/api/services",
    "/api/tasks",
    "/api/stacks",
    "/api/swarm/map",
    "/api/services/x",
    "/api/services/x/logs",
    "/api/services/x/logs/stream",
    "/api/services/x/stats",
    "/api/stacks/x",
    "/api/swarm/map/stream",
    "/api/stacks/x/converge",
    "/api/swarm/join-tokens",
)


def audit_of(admin: TestClient, action: str) -> list[tuple[str, str, str, str]]:
    items = admin.get("/api/audit", params={"action": action, "per_page": 100}).json()["items"]
    return [(i["user"], i["target"], i["endpoint"], i["result"]) for i in items]


def services_named(swarm, name: str) -> list[str]:
    return [s.name for s in swarm.manager.services.list(filters={"name": name}) if s.name == name]


def stack_services(swarm, stack: str) -> list[str]:
    return [s.name for s in swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})]


def first_event(client: httpx.Client, url: str) -> tuple[str, dict]:
    """The first named event of a server-sent event stream (then the stream is closed)."""
    with client.stream("GET", url, timeout=30) as answer:
        assert answer.status_code == 200, answer.read()
        name = ""
        for line in answer.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                return name, json.loads(line.removeprefix("data: "))
    raise AssertionError(f"{url}: the stream ended without an event")


@pytest.fixture
def stack(swarm_cleanup) -> str:
    """A stack name; whatever a test leaves of it (services, network) is removed afterwards."""
    return swarm_cleanup.stack(unique_name("sdendpoint"))


def test_node_b_is_a_worker_and_refuses_manager_work_naming_itself(
    admin, swarm, stack, registry_busybox_image
):
    add_node_b(admin)
    view = admin.get("/api/swarm?endpoint=nodeb")
    assert view.status_code == 200, view.text
    assert (
        view.json()
        | {
            "endpoint": "nodeb",
            "state": "active",
            "role": "worker",
            "is_manager": False,
            "node_id": swarm.node_b_id,
        }
        == view.json()
    )
    assert "nodes" not in view.json()  # a worker knows nothing of the others
    local = admin.get("/api/swarm").json()  # no endpoint: the console's own engine, as before
    assert (local["endpoint"], local["role"], local["node_id"], local["nodes"]) == (
        "local",
        "manager",
        swarm.node_a_id,
        2,
    )
    for path in MANAGER_ONLY_READS:
        refused = admin.get(path, params={"endpoint": "nodeb"})
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["detail"].startswith(WORKER), (path, refused.text)

    name = unique_name("sdendpoint")
    made = admin.post(
        "/api/services?endpoint=nodeb", json={"name": name, "image": registry_busybox_image, "replicas": 0}
    )
    assert made.status_code == 409 and made.json()["detail"].startswith(WORKER), made.text
    deployed = admin.post(
        f"/api/stacks/{stack}/deploy?endpoint=nodeb", json={"compose": compose(registry_busybox_image)}
    )
    assert deployed.status_code == 409 and deployed.json()["detail"].startswith(WORKER), deployed.text
    drained = admin.post(f"/api/nodes/{swarm.node_b_id}/drain?endpoint=nodeb")
    assert drained.status_code == 409 and drained.json()["detail"].startswith(WORKER)
    removed = admin.delete(f"/api/stacks/{stack}?endpoint=nodeb")
    assert removed.status_code == 409 and removed.json()["detail"].startswith(WORKER)
    rotated = admin.post("/api/swarm/join-tokens/worker/rotate?endpoint=nodeb")
    assert rotated.status_code == 409 and rotated.json()["detail"].startswith(WORKER)
    joined = admin.post(
        "/api/swarm/join?endpoint=nodeb",
        json={"manager_addr": swarm.manager_addr, "token": swarm.worker_token},
    )
    assert joined.status_code == 409
    assert joined.json()["detail"].startswith("endpoint 'nodeb' is already in a swarm (state active)")
    # Nothing changed on the swarm; every refused change is audited under node B's name.
    assert not services_named(swarm, name) and not stack_services(swarm, stack)
    assert swarm.manager.nodes.get(swarm.node_b_id).attrs["Spec"]["Availability"] == "active"
    assert swarm.worker.info()["Swarm"]["LocalNodeState"] == "active"
    [(who, target, endpoint, result)] = audit_of(admin, "service.create")
    assert (who, endpoint) == ("admin", "nodeb") and result.startswith(f"error: {WORKER}")
    assert [e[2:] for e in audit_of(admin, "stack.deploy")] == [
        ("nodeb", f"error: {deployed.json()['detail']}")
    ]


def test_a_manager_endpoint_manages_its_swarm(app, admin, live, swarm, stack, registry_busybox_image):
    """The test bed's manager, added as an endpoint by its socket: overview, nodes, a stack
    deployed and followed to convergence, the live map and the stack's removal, all through
    ``?endpoint=mgr`` and audited as mgr; a change without ``endpoint`` stays audited as local."""
    assert admin.post("/api/endpoints", json={"name": "mgr", "url": ENGINE_A_URL}).status_code == 201
    view = admin.get("/api/swarm?endpoint=mgr").json()
    assert (view["endpoint"], view["role"], view["node_id"], view["nodes"]) == (
        "mgr",
        "manager",
        swarm.node_a_id,
        2,
    )
    assert {n["id"] for n in admin.get("/api/nodes?endpoint=mgr").json()} == {
        swarm.node_a_id,
        swarm.node_b_id,
    }
    client = live.login("admin")
    deployed = client.post(
        f"/api/stacks/{stack}/deploy?endpoint=mgr", json={"compose": compose(registry_busybox_image, 2)}
    )
    assert deployed.status_code == 200, deployed.text
    *_, (last_name, last) = events(client, f"/api/stacks/{stack}/converge?endpoint=mgr&timeout=90")
    assert (last_name, last["state"]) == ("end", "converged"), last
    listed = {s["name"]: s for s in admin.get("/api/stacks?endpoint=mgr").json()}
    assert (listed[stack]["services"], listed[stack]["running"]) == (1, 2)
    name, first_map = first_event(client, "/api/swarm/map/stream?endpoint=mgr")
    assert name == "map" and {n["id"] for n in first_map["nodes"]} == {swarm.node_a_id, swarm.node_b_id}
    assert len([t for t in first_map["tasks"] if t["service"] == f"{stack}_app"]) == 2

    removed = admin.delete(f"/api/stacks/{stack}?endpoint=mgr")
    assert removed.status_code == 200 and removed.json()["removed"]["services"] == [f"{stack}_app"]
    assert not stack_services(swarm, stack)
    assert ("admin", stack, "mgr", "ok") in audit_of(admin, "stack.deploy")
    assert ("admin", stack, "mgr", "ok") in audit_of(admin, "stack.remove")

    service = unique_name("sdendpoint")
    try:
        made = admin.post(
            "/api/services", json={"name": service, "image": registry_busybox_image, "replicas": 0}
        )
        assert made.status_code == 201, made.text
        assert admin.delete(f"/api/services/{service}?endpoint=mgr").status_code == 200
    finally:
        for leftover in swarm.manager.services.list(filters={"name": service}):
            leftover.remove()
    assert ("admin", f"{service} from {registry_busybox_image}", "local", "ok") in audit_of(
        admin, "service.create"
    )
    assert ("admin", service, "mgr", "ok") in audit_of(admin, "service.remove")


def test_grants_decide_who_reaches_node_b_swarm_views(
    app, admin, operator, viewer, swarm, stack, registry_busybox_image
):
    add_node_b(admin)
    for client in (operator, viewer):
        for path in (
            "/api/swarm",
            "/api/services",
            "/api/nodes",
            "/api/swarm/map",
            "/api/stacks",
            "/api/swarm/map/stream",
            f"/api/stacks/{stack}/converge",
        ):
            refused = client.get(path, params={"endpoint": "nodeb"})
            assert refused.status_code == 403, (path, refused.text)
            assert "'nodeb' is not granted to any of your teams" in refused.json()["detail"]
    name = unique_name("sdendpoint")
    changes = (
        ("POST", "/api/services", {"name": name, "image": registry_busybox_image, "replicas": 0}),
        ("POST", f"/api/stacks/{stack}/deploy", {"compose": compose(registry_busybox_image)}),
        ("POST", f"/api/nodes/{swarm.node_b_id}/drain", None),
        ("DELETE", f"/api/stacks/{stack}", None),
    )
    for method, path, body in changes:
        refused = operator.request(method, path, params={"endpoint": "nodeb"}, json=body)
        assert refused.status_code == 403 and "not granted" in refused.json()["detail"], (path, refused.text)
    # Refused means refused: nothing happened on node B's swarm nor, by falling back, on the local one.
    assert not services_named(swarm, name) and not stack_services(swarm, stack)
    assert swarm.manager.nodes.get(swarm.node_b_id).attrs["Spec"]["Availability"] == "active"
    denied = {
        (e.username, e.action, e.endpoint) for e in store_of(app).list_audit()[0] if e.result == "denied"
    }
    assert {("oper", f"{m} {p}", "nodeb") for m, p, _ in changes} <= denied
    # Pages: asked for by name it is refused; the selector does not offer it.
    assert operator.get("/swarm?endpoint=nodeb").status_code == 403
    mine = operator.get("/swarm")
    assert mine.status_code == 200 and 'data-endpoint="local"' in mine.text
    assert 'value="nodeb"' not in mine.text
    unknown = operator.get("/api/services?endpoint=nowhere")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no endpoint named 'nowhere'"
    # Granted to the operator's team: reached (and a worker there), the local swarm as before.
    assert admin.post("/api/teams", json={"name": "ops"}).status_code == 201
    assert admin.post("/api/teams/ops/members", json={"username": "oper"}).status_code == 201
    assert admin.post("/api/teams/ops/endpoints", json={"endpoint": "nodeb"}).status_code == 201
    assert operator.get("/api/swarm?endpoint=nodeb").json()["role"] == "worker"
    assert operator.get("/api/services?endpoint=nodeb").status_code == 409
    assert operator.get("/api/swarm").json()["role"] == "manager"
    assert viewer.get("/api/swarm?endpoint=nodeb").status_code == 403


def test_an_endpoint_that_does_not_answer_is_502(admin):
    assert (
        admin.post(
            "/api/endpoints", json={"name": "dead", "url": "tcp://127.0.0.1:9", "force": True}
        ).status_code
        == 201
    )
    for path in ("/api/swarm", "/api/services", "/api/swarm/map/stream"):
        answer = admin.get(path, params={"endpoint": "dead"})
        assert answer.status_code == 502, (path, answer.text)
        assert answer.json()["detail"].startswith("endpoint 'dead' does not answer: ")
    shown = admin.get("/swarm?endpoint=dead")
    assert shown.status_code == 502 and "does not answer" in shown.text


def test_swarm_pages_show_the_chosen_endpoint_and_say_when_it_is_a_worker(admin, swarm):
    add_node_b(admin)
    shown = admin.get("/swarm?endpoint=nodeb")
    assert shown.status_code == 200
    assert 'id="endpoint-scope" data-endpoint="nodeb"' in shown.text
    assert '<option value="nodeb" selected>nodeb</option>' in shown.text
    assert "Endpoint <strong>nodeb</strong> is a worker of a swarm" in shown.text
    assert 'id="nodes"' not in shown.text and "data-swarm-map" not in shown.text
    assert admin.cookies.get(ENDPOINT_COOKIE) == "nodeb"
    # Remembered for this browser session: the manager-only pages refuse, naming node B, and
    # keep the selector to choose another endpoint.
    for path in ("/services", "/stacks", f"/swarm/nodes/{swarm.node_b_id}", "/services/x", "/stacks/x"):
        refused = admin.get(path)
        assert refused.status_code == 409, path
        assert 'data-endpoint="nodeb"' in refused.text and "is a swarm worker" in refused.text, path
        assert "endpoint &#39;nodeb&#39;" in refused.text, path
    local = admin.get("/swarm?endpoint=local")
    assert local.status_code == 200 and admin.cookies.get(ENDPOINT_COOKIE) == "local"
    assert 'data-endpoint="local"' in local.text and 'id="nodes"' in local.text
    assert f'href="/swarm/nodes/{swarm.node_b_id}?endpoint=local"' in local.text
    assert admin.get("/services").status_code == 200


@pytest.mark.slow
def test_browser_swarm_pages_follow_the_selector(live, page, swarm, stack, registry_busybox_image):
    """In Chromium: node B chosen in the selector says it is a worker, and its services page
    refuses naming it; the manager endpoint chosen there draws the live map and deploys a stack
    from the editor, followed to convergence, then removes it: every call the pages make went
    to the chosen endpoint (the requests carry it; the audit names it)."""
    admin = live.login("admin")
    add_node_b(admin)  # type: ignore[arg-type]
    assert admin.post("/api/endpoints", json={"name": "mgr", "url": ENGINE_A_URL}).status_code == 201
    page.expected_failures.append("status of 409 (Conflict)")  # the services page of a worker
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.removeprefix(live.url)))
    log_in(page, live.url, "admin")
    page.goto(live.url + "/swarm")
    page.select_option("#endpoint-scope select", "nodeb")
    expect(page).to_have_url(live.url + "/swarm?endpoint=nodeb")
    expect(page.locator("main")).to_contain_text("Endpoint nodeb is a worker of a swarm")
    page.click("header nav a[href='/services']")
    expect(page.locator("#swarm-refused")).to_contain_text("endpoint 'nodeb' is a swarm worker")
    shot(page, "cluster-endpoint-01-worker-refused")

    page.select_option("#endpoint-scope select", "mgr")
    expect(page).to_have_url(live.url + "/services?endpoint=mgr")
    page.click("header nav a[href='/swarm']")  # remembered: still mgr
    for node_id in (swarm.node_a_id, swarm.node_b_id):
        expect(page.locator(f'#swarm-map th[data-node="{node_id}"]')).to_be_visible()
    assert "/api/swarm/map/stream?endpoint=mgr" in asked
    page.goto(live.url + "/stacks")
    page.click("#stack-editor-box summary")
    page.fill("#stack-editor input[name=name]", stack)
    page.fill("#stack-editor textarea[name=compose]", compose(registry_busybox_image, 1))
    page.click("#stack-editor button[value=deploy]")
    expect(page.locator("#stack-outcome")).to_have_text("converged", timeout=90000)
    shot(page, "cluster-endpoint-02-deployed-on-mgr")
    assert f"/api/stacks/{stack}/deploy?endpoint=mgr" in asked
    assert f"/api/stacks/{stack}/converge?endpoint=mgr" in asked
    page.goto(live.url + "/stacks")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f'button[hx-delete="/api/stacks/{stack}"]')
    expect(page.locator("#stacks")).not_to_contain_text(stack, timeout=30000)
    assert f"/api/stacks/{stack}?endpoint=mgr" in asked
    audit = admin.get("/api/audit", params={"per_page": 100}).json()["items"]
    done = {(i["action"], i["endpoint"]) for i in audit if i["target"] == stack and i["result"] == "ok"}
    assert done == {("stack.deploy", "mgr"), ("stack.remove", "mgr")}
    assert not stack_services(swarm, stack)
