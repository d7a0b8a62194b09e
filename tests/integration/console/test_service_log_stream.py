"""A service's followed log over a real HTTP server (SSE): lines come prefixed as
`docker service logs --timestamps` prints them and searched by the server; a reader that goes
away closes the engine's stream, so the server's reading thread ends (it would otherwise read a
chatty service's log forever)."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import pytest

from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
CHATTY = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick-$i; echo tock-$i; sleep 0.1; done"]


def lines(response: httpx.Response):
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield json.loads(line[6:])


def pumps() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "sse-pump")


def test_a_followed_service_log_is_searched_and_freed_when_the_reader_goes(
    live, swarm, swarm_cleanup, registry_busybox_image
):
    service = swarm_cleanup.service(
        registry_busybox_image, CHATTY, name=unique_name("sdct-follow"), mode={"Replicated": {"Replicas": 1}}
    )
    viewer = live.login("viewer")
    before = pumps()
    for _ in range(3):
        with viewer.stream(
            "GET", f"/api/services/{service.id}/logs/stream", params={"search": "TOCK"}, timeout=60
        ) as response:
            assert response.status_code == 200
            got = [x for _, x in zip(range(3), lines(response), strict=False)]
        assert len(got) == 3, got
        for line in got:
            assert re.fullmatch(rf"\S+Z {service.name}\.1\.\w{{12}}@\S+ +\| tock-\d+", line), line
    deadline = time.monotonic() + 10
    while pumps() > before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pumps() == before  # every reading thread ended with its reader
    assert viewer.get(f"/api/services/{unique_name('sdct-none')}/logs/stream").status_code == 404
    assert viewer.get("/api/health").status_code == 200
