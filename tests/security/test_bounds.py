"""No number or string a request carries gives a 500 (issue 10, item 6).

``DELETE /api/tokens/99999999999999999999999`` and ``GET /api/audit?page=99999999999999999999``
were 500s (SQLite's integers are 64-bit), and so was testing an endpoint whose server is no
Docker engine. Replayed against a live console on the real engine; then every parameter of
every route the app has (``app.routes``: new routes are covered too) gets numbers and strings
past any bound, and each answer must be a 4xx.
"""

from __future__ import annotations

import socket
import threading
import typing
import uuid
from collections.abc import Iterator

import pytest
from annotated_types import Ge, Le, MaxLen

from tests.security.rawhttp import example_request, params, routes, send

HUGE = "99999999999999999999999"
INT64_MAX = 2**63 - 1
LONG = "a" * 5000  # past every bound, within what the HTTP server reads in a request line


def _token(live_server, username: str = "admin") -> str:
    made = live_server.login(username).post("/api/tokens", json={"name": f"bounds-{username}"})
    assert made.status_code == 201, made.text
    return made.json()["token"]


def test_reported_numbers(live):
    oper, admin = live.login("oper"), live.login("admin")
    for token_id in (HUGE, str(INT64_MAX + 1), "0", "-1", "1e3", "abc"):
        assert oper.delete(f"/api/tokens/{token_id}").status_code == 422, token_id
    answer = oper.delete(f"/api/tokens/{INT64_MAX}")  # the largest id: no overflow, no such token
    assert answer.status_code == 404 and "has no token" in answer.json()["detail"]
    for page in ("99999999999999999999", str(2**31), "0", "-5"):
        assert admin.get(f"/api/audit?page={page}").status_code == 422, page
        assert admin.get(f"/audit?page={page}").status_code == 422, page
    last = admin.get(f"/api/audit?page={2**31 - 1}&per_page=500")  # the last page there may be
    assert last.status_code == 200 and last.json()["items"] == []
    assert admin.get(f"/api/containers?page={HUGE}").status_code == 422


def _bounded(field) -> bool:
    """Does the parameter's declaration bound it (or is it a bool or a Literal)?"""
    annotation = field.field_info.annotation
    args = set(typing.get_args(annotation)) - {type(None)}
    kinds = args or {annotation}
    if kinds <= {bool} or typing.get_origin(annotation) is typing.Literal:
        return True
    meta = field.field_info.metadata
    if kinds <= {int}:
        return any(isinstance(m, Ge) for m in meta) and any(isinstance(m, Le) for m in meta)
    pattern = next((getattr(m, "pattern", None) for m in meta if getattr(m, "pattern", None)), None)
    bounded_pattern = (
        pattern is not None and pattern.endswith("}$") and "*" not in pattern and "+" not in pattern
    )
    return any(isinstance(m, MaxLen) for m in meta) or bounded_pattern


def test_every_parameter_is_declared_with_bounds(live):
    unbounded = [
        f"{path} {kind} {field.name}: {field.field_info.annotation}"
        for path, route in routes(live.app)
        for kind, field in params(route)
        if not _bounded(field)
    ]
    assert unbounded == []


def test_every_parameter_refuses_what_is_past_its_bounds(live):
    """Sent to the live console: numbers past 64 bits and negative ones to every integer
    parameter, 5,000 characters to every string one; the rest of the request is valid."""
    token = _token(live)
    failures, probed = [], 0
    for path, route in routes(live.app):
        for kind, field in params(route):
            annotation = field.field_info.annotation
            kinds = set(typing.get_args(annotation)) - {type(None)} or {annotation}
            if kinds <= {int}:
                values = [HUGE, str(INT64_MAX + 1), "-1"]
            elif kinds <= {str}:
                values = [LONG]
            else:
                continue  # bools and Literals: their type is their bound
            for value in values:
                probe = (field.name, None) if kind == "path" else (None, field.name)
                target, body = example_request(path, route, probe[0], value, query_probe=probe[1])
                for method in sorted(route.methods - {"HEAD"}):
                    answer = send(live.url, method, target, token, body, timeout=30)
                    probed += 1
                    if not 400 <= answer.status < 500:
                        failures.append(f"{method} {target[:120]} -> {answer.status} {answer.body[:200]!r}")
    assert probed > 60, "the app's routes were not found"
    assert not failures, "\n".join(failures)


# --- endpoints whose server is no Docker engine ------------------------------------------
NOT_ENGINES = {
    "json-list": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
    b"Connection: close\r\n\r\n[]",
    "json-string": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n"
    b'Connection: close\r\n\r\n"x"',
    "json-swarm-string": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 35\r\n"
    b'Connection: close\r\n\r\n{"ApiVersion": "1.41", "Swarm": "x"}',
    "html": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 14\r\n"
    b"Connection: close\r\n\r\n<html>hi</html>",
    "html-404": b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 6000\r\n"
    b"Connection: close\r\n\r\n" + b"<p>" * 2000,
    "ssh": b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
    "silence-then-close": b"",
    "bad-status": b"HTTP/1.1 999999999999999999999 OK\r\nContent-Length: 2\r\n\r\n{}",
}


@pytest.fixture
def not_engines() -> Iterator[dict[str, int]]:
    """A TCP server per reply above, on the loopback: (name -> port)."""
    servers, ports = [], {}
    for name, reply in NOT_ENGINES.items():
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)
        ports[name] = server.getsockname()[1]

        def answer(server: socket.socket = server, reply: bytes = reply) -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return  # closed: the test is over
                with conn:
                    conn.settimeout(2)
                    try:
                        conn.recv(65536)
                        conn.sendall(reply)
                    except OSError:
                        pass

        threading.Thread(target=answer, daemon=True).start()
    yield ports
    for server in servers:
        server.close()


def test_testing_an_endpoint_that_is_no_engine(live, not_engines):
    admin = live.login("admin")
    for kind, port in not_engines.items():
        name = f"noengine-{kind}-{uuid.uuid4().hex[:4]}"
        made = admin.post(
            "/api/endpoints", json={"name": name, "url": f"tcp://127.0.0.1:{port}", "force": True}
        )
        assert made.status_code == 201, made.text
        tested = admin.post(f"/api/endpoints/{name}/test")
        assert tested.status_code == 200, (kind, tested.text)
        assert tested.json()["healthy"] is False, (kind, tested.text)
        assert len(tested.json()["error"]) <= 300 and "<p><p>" * 100 not in tested.text
        assert admin.get(f"/endpoints/{name}/probe").status_code == 200
        assert admin.delete(f"/api/endpoints/{name}").status_code == 200
