"""The resource routes and pages on a chosen endpoint: node B's real engine over TCP+TLS and
over ssh, team grants deciding who may use which, and refusals that change nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from docker.models.containers import Container
from fastapi.testclient import TestClient

from swarmdeck.console.pages import ENDPOINT_COOKIE
from tests.support.console import PREFIX, add_node_b, store_of
from tests.testbed import ssh
from tests.testbed.config import NODE_B_ADDR


@pytest.fixture(scope="module")
def node_b_box(node_b_engine, registry_busybox_image) -> Iterator[Container]:
    """A container on node B only (made directly on its engine), to find through the console."""
    node_b_engine.images.pull(registry_busybox_image)
    box = node_b_engine.containers.run(
        registry_busybox_image, ["sleep", "600"], name=f"{PREFIX}-nodeb-box", detach=True, init=True
    )
    yield box
    box.remove(force=True)


def on_node_b(client: TestClient, box: Container, endpoint: str = "nodeb") -> bool:
    """The box is listed on ``endpoint`` and not on the local endpoint."""
    return box.id in ids(client, endpoint, q=box.name) and box.id not in ids(client, q=box.name)


def ids(client: TestClient, endpoint: str | None = None, q: str = "") -> set[str]:
    params = {"per_page": 500, "q": q, **({"endpoint": endpoint} if endpoint else {})}
    answer = client.get("/api/containers", params=params)
    assert answer.status_code == 200, answer.text
    return {c["id"] for c in answer.json()["items"]}


def test_containers_on_node_b_over_tls(admin, engine, node_b_engine, node_b_janitor, registry_busybox_image):
    add_node_b(admin)
    # Pull on node B through the console (node B trusts the registry's CA), then run there.
    pulled = admin.post("/api/images/pull?endpoint=nodeb", json={"reference": registry_busybox_image})
    assert pulled.status_code == 200 and "event: done" in pulled.text, pulled.text
    name = node_b_janitor.name("onb")
    made = admin.post(
        "/api/containers?endpoint=nodeb",
        json={"image": registry_busybox_image, "name": name, "command": ["sleep", "300"], "init": True},
    )
    assert made.status_code == 201, made.text
    row = made.json()
    assert node_b_engine.containers.get(name).status == "running"
    assert not engine.containers.list(all=True, filters={"name": name})  # not on node A
    assert ids(admin, "nodeb", q=name) == {
        c.id for c in node_b_engine.containers.list(all=True, filters={"name": name})
    }
    assert row["id"] in ids(admin, "nodeb", q=name) and row["id"] not in ids(admin, q=name)
    stopped = admin.post(f"/api/containers/{name}/stop?endpoint=nodeb&timeout=1")
    assert stopped.status_code == 200 and node_b_engine.containers.get(name).status == "exited"
    audit = [
        (i["action"], i["target"], i["endpoint"], i["result"])
        for i in admin.get("/api/audit?per_page=100").json()["items"]
    ]
    assert ("container.stop", name, "nodeb", "ok") in audit
    assert ("image.pull", registry_busybox_image, "nodeb", "ok") in audit
    # The local endpoint stays the default, and is named in its audit entries.
    volume = node_b_janitor.name("vol")
    assert admin.post("/api/volumes", json={"name": volume}).status_code == 201
    try:
        assert engine.volumes.get(volume) and volume not in [v.name for v in node_b_engine.volumes.list()]
        assert ("volume.create", volume, "local", "ok") in [
            (i["action"], i["target"], i["endpoint"], i["result"])
            for i in admin.get("/api/audit?action=volume.create").json()["items"]
        ]
    finally:
        engine.volumes.get(volume).remove()


@pytest.mark.both_databases
def test_team_grants_decide_who_reaches_which_endpoint(
    app, admin, operator, viewer, node_b_engine, engine, node_b_box
):
    add_node_b(admin)
    add_node_b(admin, "nodeb-too")
    assert admin.post("/api/teams", json={"name": "web"}).status_code == 201
    assert admin.post("/api/teams/web/members", json={"username": "oper"}).status_code == 201
    assert admin.post("/api/teams/web/endpoints", json={"endpoint": "nodeb"}).status_code == 201
    assert on_node_b(operator, node_b_box)
    assert operator.get("/api/containers").status_code == 200  # the local endpoint: every user
    for client, who in ((operator, "oper"), (viewer, "viewer")):
        refused = client.get("/api/volumes", params={"endpoint": "nodeb-too" if who == "oper" else "nodeb"})
        assert refused.status_code == 403, refused.text
        assert "is not granted to any of your teams" in refused.json()["detail"]
    volume = "sdct-refused-volume"
    refused = operator.post("/api/volumes?endpoint=nodeb-too", json={"name": volume})
    assert refused.status_code == 403 and "'nodeb-too' is not granted" in refused.json()["detail"]
    assert volume not in [v.name for v in node_b_engine.volumes.list()]
    assert volume not in [v.name for v in engine.volumes.list()]
    denied = [
        (e.username, e.endpoint, e.result) for e in store_of(app).list_audit()[0] if e.result == "denied"
    ]
    assert ("oper", "nodeb-too", "denied") in denied
    unknown = operator.get("/api/images?endpoint=nowhere")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no endpoint named 'nowhere'"
    assert on_node_b(admin, node_b_box, "nodeb-too")  # admins reach every endpoint
    # Revoked: refused at once (no client kept from before decides anything).
    assert admin.delete("/api/teams/web/endpoints/nodeb").status_code == 200
    assert operator.get("/api/containers?endpoint=nodeb").status_code == 403


@pytest.mark.both_databases
def test_an_endpoint_that_does_not_answer_is_502_and_changes_nothing(app, admin):
    made = admin.post("/api/endpoints", json={"name": "dead", "url": "tcp://127.0.0.1:9", "force": True})
    assert made.status_code == 201 and "warning" in made.json()
    listed = admin.get("/api/containers?endpoint=dead")
    assert listed.status_code == 502, listed.text
    assert listed.json()["detail"].startswith("endpoint 'dead' does not answer: ")
    assert "refused" in listed.json()["detail"].lower()
    created = admin.post("/api/networks?endpoint=dead", json={"name": "sdct-never"})
    assert created.status_code == 502
    results = [(e.action, e.endpoint, e.result) for e in store_of(app).list_audit()[0]]
    failed = "error: the endpoint does not answer: "
    assert any(a == "network.create" and ep == "dead" and r.startswith(failed) for a, ep, r in results)
    page = admin.get("/containers?endpoint=dead")
    assert page.status_code == 502 and "does not answer" in page.text
    # A URL over its column's length is one clear refusal on every database (PostgreSQL
    # enforces the length: it was a 500 there), and changes nothing.
    long = {"name": "long", "url": "tcp://127.0.0.1:9/" + "a" * 600, "force": True}
    refused = admin.post("/api/endpoints", json=long)
    assert refused.status_code == 400 and "at most 512 characters" in refused.json()["detail"], refused.text
    assert "long" not in [e["name"] for e in admin.get("/api/endpoints").json()]


def test_pages_show_the_chosen_endpoint_and_remember_it(app, admin, operator, node_b_box):
    add_node_b(admin)
    page = admin.get(f"/containers?endpoint=nodeb&q={node_b_box.name}")
    assert page.status_code == 200
    assert 'id="endpoint-scope" data-endpoint="nodeb"' in page.text
    assert '<option value="local">local</option>' in page.text
    assert '<option value="nodeb" selected>nodeb</option>' in page.text
    assert f'data-id="{node_b_box.id}"' in page.text
    assert f'href="/containers/{node_b_box.id}?endpoint=nodeb"' in page.text
    assert admin.cookies.get(ENDPOINT_COOKIE) == "nodeb"
    assert node_b_box.id not in admin.get(f"/containers?endpoint=local&q={node_b_box.name}").text
    assert admin.cookies.get(ENDPOINT_COOKIE) == "local"
    admin.get("/containers?endpoint=nodeb")
    again = admin.get(f"/containers/{node_b_box.id}")  # remembered for this browser session
    assert again.status_code == 200 and 'data-endpoint="nodeb"' in again.text
    assert 'data-endpoint="nodeb"' in admin.get("/volumes").text
    assert 'data-endpoint="local"' in admin.get("/images?endpoint=local").text
    # Not granted: asked for by name it is refused; other users do not see it in the selector.
    refused = operator.get("/networks?endpoint=nodeb")
    assert refused.status_code == 403 and "not granted" in refused.text
    mine = operator.get("/networks")
    assert mine.status_code == 200 and 'data-endpoint="local"' in mine.text
    assert 'value="nodeb"' not in mine.text


def test_ssh_endpoint_adds_tests_and_lists(admin, swarm, node_b_engine, node_b_ssh, node_b_box):
    made = admin.post("/api/endpoints", json={"name": "nodeb-ssh", "url": node_b_ssh})
    assert made.status_code == 201 and made.json()["kind"] == "ssh" and "warning" not in made.json()
    tested = admin.post("/api/endpoints/nodeb-ssh/test")
    assert tested.status_code == 200, tested.text
    info = node_b_engine.version()
    assert (
        tested.json() | {"healthy": True, "engine_version": info["Version"], "swarm_role": "worker"}
        == tested.json()
    )
    assert on_node_b(admin, node_b_box, "nodeb-ssh")
    logs = admin.get(f"/api/containers/{node_b_box.id}?endpoint=nodeb-ssh")
    assert logs.status_code == 200 and logs.json()["Name"] == f"/{node_b_box.name}"


def test_ssh_host_keys_are_checked(admin, node_b_ssh):
    """A host whose key is not the pinned one is refused (ssh's strict checking, never skipped)."""
    assert admin.post("/api/endpoints", json={"name": "nodeb-ssh", "url": node_b_ssh}).status_code == 201
    pinned = ssh.KNOWN_HOSTS.read_text()
    other = ssh.SSH_DIR / "other_key"
    try:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
        other_key = " ".join(other.with_suffix(".pub").read_text().split()[:2])
        ssh.KNOWN_HOSTS.write_text(f"{NODE_B_ADDR} {other_key}\n")
        tested = admin.post("/api/endpoints/nodeb-ssh/test").json()
        assert tested["healthy"] is False and "known_hosts" in tested["error"], tested
    finally:
        ssh.KNOWN_HOSTS.write_text(pinned)
        other.unlink(missing_ok=True)
        other.with_suffix(".pub").unlink(missing_ok=True)
    assert admin.post("/api/endpoints/nodeb-ssh/test").json()["healthy"] is True
