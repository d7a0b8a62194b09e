"""Init, join tokens and leave from the console on an engine of our own (the test bed's lone
host: its own network namespace, in no swarm), never on the bed's swarm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from swarmdeck.store import Role
from tests.support.console import PASSWORD, login
from tests.testbed.lone import lone_host

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture
def lone_admin(engine, make_app) -> Iterator[tuple[TestClient, object]]:
    with lone_host([], engine) as lone:
        app = make_app(engine_url=lone.url)
        app.state.console.store.create_user("admin", PASSWORD, Role.ADMIN)
        try:
            yield login(app, "admin"), lone
        finally:
            if lone.client.info()["Swarm"]["LocalNodeState"] != "inactive":
                lone.client.swarm.leave(force=True)


def test_init_tokens_and_leave_on_an_engine_of_our_own(lone_admin):
    admin, lone = lone_admin
    assert admin.get("/api/swarm").json()["state"] == "inactive"
    page = admin.get("/swarm")
    assert page.status_code == 200 and 'data-api="/api/swarm/init"' in page.text
    assert admin.get("/api/nodes").status_code == 409  # not a manager: one clear refusal

    made = admin.post("/api/swarm/init", json={"advertise_addr": lone.addr})
    assert made.status_code == 200, made.text
    assert made.json()["state"] == "active" and made.json()["nodes"] == 1 and made.json()["managers"] == 1
    tokens = admin.get("/api/swarm/join-tokens").json()
    lone.client.swarm.reload()
    real = lone.client.swarm.attrs["JoinTokens"]
    assert tokens["worker"]["command"] == f"docker swarm join --token {real['Worker']} {lone.addr}:2377"
    rotated = admin.post("/api/swarm/join-tokens/worker/rotate").json()
    lone.client.swarm.reload()
    assert rotated["worker"]["token"] == lone.client.swarm.attrs["JoinTokens"]["Worker"] != real["Worker"]
    assert rotated["manager"]["token"] == real["Manager"]

    again = admin.post("/api/swarm/init", json={})
    assert again.status_code == 409 and "already in a swarm" in again.json()["detail"]
    last_manager = admin.post("/api/swarm/leave")
    assert last_manager.status_code >= 400 and "--force" in last_manager.json()["detail"]
    assert lone.client.info()["Swarm"]["LocalNodeState"] == "active"
    left = admin.post("/api/swarm/leave?force=true")
    assert left.status_code == 200 and left.json()["state"] == "inactive"
    assert lone.client.info()["Swarm"]["LocalNodeState"] == "inactive"
    refused = admin.post("/api/swarm/leave")
    assert refused.status_code == 409 and "not part of a swarm" in refused.json()["detail"]
