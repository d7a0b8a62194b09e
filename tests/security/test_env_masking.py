"""Read-only users see the names of environment variables, not their values (issue 10, item 10).

Environment values are where secrets often live. Replayed against a live console on the real
engine with a real container and a real swarm service carrying ``DB_PASSWORD``: a read-only
user's API answers (the raw inspect JSON too) and pages show ``DB_PASSWORD=••••••`` and hold
the value nowhere; an operator and an admin see it.
"""

from __future__ import annotations

import uuid

import pytest

from swarmdeck.console.envmask import MASK

VALUE = f"hunter2-{uuid.uuid4().hex}"
ENV = [f"DB_PASSWORD={VALUE}", "EMPTY=", "PLAIN_NAME_ONLY"]


@pytest.fixture
def container(engine, janitor, busybox_image):
    name = janitor.name("envmask")
    engine.containers.run(busybox_image, ["sleep", "600"], name=name, environment=ENV, detach=True)
    return name


@pytest.fixture
def service(engine, busybox_image):
    assert engine.info()["Swarm"].get("ControlAvailable"), "the test engine must be a swarm manager"
    name = f"sdenv-{uuid.uuid4().hex[:8]}"
    made = engine.services.create(
        busybox_image, ["sleep", "600"], name=name, env=ENV, constraints=["node.role==manager"]
    )
    yield name
    made.remove()


def test_container_environment(live, container):
    viewer, oper, admin = live.login("viewer"), live.login("oper"), live.login("admin")
    seen = viewer.get(f"/api/containers/{container}")
    assert seen.status_code == 200
    env = seen.json()["Config"]["Env"]
    assert f"DB_PASSWORD={MASK}" in env and f"EMPTY={MASK}" in env and "PLAIN_NAME_ONLY" in env
    assert VALUE not in seen.text
    page = viewer.get(f"/containers/{container}")
    assert page.status_code == 200
    assert f"DB_PASSWORD={MASK}" in page.text and VALUE not in page.text
    for who in (oper, admin):
        assert f"DB_PASSWORD={VALUE}" in who.get(f"/api/containers/{container}").json()["Config"]["Env"]
        assert f"DB_PASSWORD={VALUE}" in who.get(f"/containers/{container}").text


def test_service_environment(live, service):
    viewer, oper, admin = live.login("viewer"), live.login("oper"), live.login("admin")
    seen = viewer.get(f"/api/services/{service}")
    assert seen.status_code == 200
    assert seen.json()["env"] == [f"DB_PASSWORD={MASK}", f"EMPTY={MASK}", "PLAIN_NAME_ONLY"]
    assert VALUE not in seen.text
    page = viewer.get(f"/services/{service}")
    assert page.status_code == 200
    assert f"DB_PASSWORD={MASK}" in page.text and VALUE not in page.text
    for path in ("/api/services", f"/api/tasks?service={service}", "/api/swarm/map", "/services"):
        answer = viewer.get(path)
        assert answer.status_code == 200 and VALUE not in answer.text, path
    for who in (oper, admin):
        assert who.get(f"/api/services/{service}").json()["env"] == ENV
        assert f"DB_PASSWORD={VALUE}" in who.get(f"/services/{service}").text
