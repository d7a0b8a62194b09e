"""Builders for tests that drive the console's HTTP API: running a container, reading the
audit log, server-sent event streams (buffered or followed live), every route of the
OpenAPI document with its path parameters filled in, and checking that a page escaped a
string."""

from __future__ import annotations

import json
import time

import httpx


def run(client, busybox_image, name, **extra):
    body = {"image": busybox_image, "name": name, "command": ["sleep", "300"], "init": True, **extra}
    answer = client.post("/api/containers", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def audit_results(admin, action):
    return [(i["target"], i["result"]) for i in admin.get(f"/api/audit?action={action}").json()["items"]]


def assert_escaped(page: str, raw: str) -> None:
    assert raw not in page
    assert raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") in page


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        name, data = "message", None
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if data is not None:
            events.append((name, data))
    return events


def events(client: httpx.Client, url: str, limit: float = 120) -> list[tuple[str, dict]]:
    """Read a server-sent event stream to its end: [(event name, data)]."""
    received: list[tuple[str, dict]] = []
    started = time.monotonic()
    with client.stream("GET", url, timeout=limit) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        name = "message"
        for line in answer.iter_lines():
            assert time.monotonic() - started < limit, received
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                received.append((name, json.loads(line.removeprefix("data: "))))
                name = "message"
    return received


def first_event(lines, wanted, timeout: float = 30.0) -> dict:
    """The data of the first message of an open event stream (``lines``: its
    ``iter_lines()``, read on by later calls) that ``wanted(name, data)`` accepts, within
    ``timeout`` seconds (looked at as lines come: keepalives come too)."""
    deadline = time.monotonic() + timeout
    name = "message"
    for line in lines:
        assert time.monotonic() < deadline, "timed out waiting for the event"
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
            if wanted(name, data):
                return data
            name = "message"
    raise AssertionError("the stream ended before the event came")


# Routes called by machines with a secret of their own instead of a session or token: a
# registry's events (its token header) and a Git webhook (the secret in its URL). Walks of
# "every route needs a session" leave them out; test_auth.py checks their own refusals.
MACHINE_ROUTES = {("POST", "/api/registries/{name}/notifications"), ("POST", "/api/hooks/git/{secret}")}


def routes(app):
    """Every (method, concrete path) of the OpenAPI document, path parameters filled in."""
    doc = app.openapi()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            concrete = path
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    schema = param["schema"]
                    value = (
                        "1"
                        if schema.get("type") == "integer"
                        else (schema.get("enum") or ["stop"])[0]
                        if param["name"] == "action"
                        else "sdct-nothing"
                    )
                    concrete = concrete.replace("{" + param["name"] + "}", value)
            yield method.upper(), path, concrete
