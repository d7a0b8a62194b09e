"""The engine's event stream as the console's pages use it, over a real HTTP server on the
two-node swarm: ``/api/live`` says when services, tasks and secrets change (changes made on the
engine, not through the console), and ``/api/engine-events`` gives the events filtered by
type, object name and time."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.support.api import first_event as first
from tests.support.api import run
from tests.testbed import unique_name
from tests.testbed.config import OBJECT_LABEL

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def test_live_says_when_a_service_scaled_on_the_engine_and_its_tasks_moved(
    live, swarm, swarm_cleanup, registry_busybox_image
):
    viewer = live.login("viewer")
    service = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=unique_name("sdct-live"),
        labels={OBJECT_LABEL: str(os.getpid())},
        mode={"Replicated": {"Replicas": 0}},
    )
    with viewer.stream("GET", "/api/live", params={"types": ["service", "task"]}) as response:
        lines = response.iter_lines()
        assert response.status_code == 200
        threading.Timer(0.5, lambda: service.scale(2)).start()
        assert "service" in first(lines, lambda e, d: e == "change" and "service" in d["types"])["types"]
        # the new tasks start (on either node): the task look notices
        first(lines, lambda e, d: e == "change" and "task" in d["types"])
    with viewer.stream("GET", "/api/live", params={"types": ["secret"]}) as response:
        lines = response.iter_lines()
        name = unique_name("sdct-livesec")
        threading.Timer(0.5, lambda: swarm.manager.secrets.create(name=name, data=b"x")).start()
        try:
            assert first(lines, lambda e, d: e == "change") == {"types": ["secret"]}
        finally:
            time.sleep(1)
            for s in swarm.manager.secrets.list(filters={"name": name}):
                s.remove()
    assert viewer.get("/api/live", params={"types": ["tasks"]}).status_code == 422
    assert viewer.get("/api/live").status_code == 422  # say what to follow


def test_engine_events_filtered_by_type_name_and_time(live, janitor, engine, busybox_image):
    viewer = live.login("viewer")
    operator = live.login("oper")
    before = janitor.name("ev-before")
    run(operator, busybox_image, before, command=["sleep", "60"])
    # since: the start of a container made before the stream opened comes first
    query = {"type": ["container"], "name": before, "since": 5}
    with viewer.stream("GET", "/api/engine-events", params=query) as response:
        lines = response.iter_lines()
        assert response.status_code == 200
        row = first(lines, lambda e, d: e == "event" and d["action"] == "start")
        assert row["type"] == "container" and row["name"] == before and row["image"]
        assert abs(row["time"] - time.time()) < 120
    name = janitor.name("ev-live")
    with viewer.stream("GET", "/api/engine-events", params={"type": ["container"], "name": name}) as response:
        lines = response.iter_lines()
        threading.Timer(0.5, lambda: run(operator, busybox_image, name, command=["sleep", "60"])).start()
        seen = []

        def start(event, data):
            seen.append(data)
            return data["action"] == "start"

        first(lines, start)
        assert {d["type"] for d in seen} == {"container"} and {d["name"] for d in seen} == {name}
    with viewer.stream("GET", "/api/engine-events", params={"type": ["network"], "name": name}) as response:
        lines = response.iter_lines()
        threading.Timer(0.5, lambda: engine.networks.create(name)).start()
        row = first(lines, lambda e, d: e == "event")
        assert row["type"] == "network" and row["action"] == "create" and row["name"] == name
    assert viewer.get("/api/engine-events", params={"type": ["task"]}).status_code == 422
    assert viewer.get("/api/engine-events", params={"since": -1}).status_code == 422
