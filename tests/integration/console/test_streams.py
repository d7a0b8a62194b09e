"""Live updates over a real HTTP server: the engine's events and followed logs as SSE."""

from __future__ import annotations

import json
import threading
import time

import httpx

from tests.support.api import run


def messages(response: httpx.Response):
    """(event name, decoded data) for each SSE message of a streamed response."""
    name = "message"
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            yield name, json.loads(line[6:])
        elif line == "":
            name = "message"


def test_a_container_stopped_elsewhere_shows_up_in_the_event_stream(live, janitor, engine, busybox_image):
    client = live.login("viewer")
    operator = live.login("oper")
    name = janitor.name("live")
    row = run(operator, busybox_image, name)
    with client.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        # Stop it with the engine directly (not through the console) once the stream is open.
        threading.Timer(0.5, lambda: engine.containers.get(name).stop(timeout=1)).start()
        deadline = time.monotonic() + 30
        for event, data in messages(response):
            assert time.monotonic() < deadline
            if event == "container" and data["id"] == row["id"] and data["state"] == "exited":
                assert data["name"] == name and data["status"].startswith("Exited")
                break
    assert client.get("/api/health").status_code == 200  # the server is not stuck on the closed stream


def test_logs_are_followed_until_the_container_stops(live, janitor, busybox_image):
    operator = live.login("oper")
    name = janitor.name("logs")
    script = 'for i in 1 2 3; do echo "line $i <i>"; sleep 0.3; done'
    run(operator, busybox_image, name, command=["sh", "-c", script])
    lines = []
    with operator.stream("GET", f"/api/containers/{name}/logs/stream?tail=100") as response:
        assert response.status_code == 200
        for event, data in messages(response):
            if event == "end":
                break
            lines.append(data)
    assert lines == ["line 1 <i>", "line 2 <i>", "line 3 <i>"]


def test_a_followed_log_closed_by_the_reader_frees_the_server(live, janitor, busybox_image):
    operator = live.login("oper")
    name = janitor.name("endless")
    run(operator, busybox_image, name, command=["sh", "-c", "while true; do echo tick; sleep 0.1; done"])
    for _ in range(3):
        with operator.stream("GET", f"/api/containers/{name}/logs/stream") as response:
            got = [data for _, (event, data) in zip(range(3), messages(response), strict=False)]
        assert got == ["tick"] * 3
    missing = operator.get("/api/containers/sdct-none/logs/stream")
    assert missing.status_code == 404
    assert operator.get("/api/health").status_code == 200
