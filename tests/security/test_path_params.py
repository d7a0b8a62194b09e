"""Path parameters never climb into other engine routes (issue 10, item 3).

``DELETE /api/images/..%2Fsecrets%2F<name>`` deleted a swarm secret: the server decodes
``%2F``, the image route took ``../secrets/<name>`` as an image, the SDK put it in the URL
and the engine cleaned ``/images/../secrets/<name>`` into ``/secrets/<name>``. Replayed here
against a live console (uvicorn) on the real engine, as an admin, on every route with a path
parameter the app has (found in ``app.routes``, so new routes are covered too), with targets
sent exactly as written: every answer is a 4xx, the real secret, network and node the probes
aim at are untouched, and the audit log records no change.
"""

from __future__ import annotations

import uuid

import pytest

from swarmdeck.engine.client import connect
from swarmdeck.engine.errors import InvalidName
from tests.security.rawhttp import example_request, path_params, routes, send

# The console fixtures (a console with admin, oper and viewer, served by uvicorn).

RUN = uuid.uuid4().hex[:8]

# {secret}, {network} and {node} are the real objects' name, name and ID.
PROBES = [
    "..%2Fsecrets%2F{secret}",
    "..%2F..%2Fsecrets%2F{secret}",
    "..%2F..%2Fv1.41%2Fsecrets%2F{secret}",
    "%2E%2E%2Fsecrets%2F{secret}",
    "%2e%2e%2fsecrets%2f{secret}",
    "x%2F..%2F..%2Fsecrets%2F{secret}",
    "..%2Fnetworks%2F{network}",
    "..%2Fnodes%2F{node}",
    "..%2F..%2Fnodes",
    "..%5Csecrets%5C{secret}",
    "%2E%2E%2F",
    "%2E%2E",
    "..",
    ".",
    "..%2F",
    "%00",
    "x%00y",
    "x%0D%0AHost:%20evil",
    "{secret}%3Fforce%3D1",
    "%252E%252E%252Fsecrets%252F{secret}",
]


@pytest.fixture
def targets(engine):
    """A real swarm secret and network, and the node: what the probes try to reach."""
    info = engine.info()["Swarm"]
    assert info.get("ControlAvailable"), "the test engine must be a swarm manager"
    secret = engine.secrets.create(name=f"sdpp-{RUN}-secret", data=b"keep me")
    network = engine.networks.create(f"sdpp-{RUN}-net", driver="bridge")
    node = engine.nodes.get(info["NodeID"])
    yield {
        "secret": secret.name,
        "secret_id": secret.id,
        "network": network.name,
        "network_id": network.id,
        "node": node.id,
        "node_role": node.attrs["Spec"]["Role"],
    }
    secret.remove()
    network.remove()


def _token(live_server, username: str) -> str:
    made = live_server.login(username).post("/api/tokens", json={"name": f"probe-{username}"})
    assert made.status_code == 201, made.text
    return made.json()["token"]


def _changes_since(admin_client, before: int) -> list[dict]:
    """The audit entries written since there were ``before``, other than logins and tokens."""
    log = admin_client.get("/api/audit?per_page=500").json()
    new = log["items"][: log["total"] - before]
    return [e for e in new if e["action"] not in ("login", "token.create")]


def _probe(live_server, method: str, target: str, token: str, body) -> str | None:
    """What is wrong with the answer to one probe, if anything: a 4xx is right; a redirect
    (Starlette's trailing-slash one) is followed once and must end in a 4xx."""
    answer = send(live_server.url, method, target, token, body, timeout=20)
    if answer.status in (307, 308) and "location" in answer.headers:
        location = answer.headers["location"].removeprefix(live_server.url)
        answer = send(live_server.url, method, location, token, body, timeout=20)
        target = f"{target} -> {location}"
    if 400 <= answer.status < 500:
        return None
    return f"{method} {target} -> {answer.status} {answer.body[:200]!r}"


def test_every_path_parameter_refuses_traversal(live, engine, targets):
    token = _token(live, "admin")
    watcher = live.login("admin")
    before = watcher.get("/api/audit?per_page=1").json()["total"]
    probed, failures = 0, []
    for path, route in routes(live.app):
        for param in path_params(route):
            for method in sorted(route.methods - {"HEAD"}):
                for pattern in PROBES:
                    target, body = example_request(path, route, param, pattern.format(**targets))
                    failure = _probe(live, method, target, token, body)
                    probed += 1
                    if failure:
                        failures.append(failure)
    assert probed > 50 * len(PROBES), "the app's routes were not found"
    assert not failures, "\n".join(failures)

    # Nothing was touched: the secret, the network and the node are still there (the node's
    # other settings are not compared: tests of other sessions may label it meanwhile) ...
    assert engine.secrets.get(targets["secret_id"]).name == targets["secret"]
    assert engine.networks.get(targets["network_id"]).name == targets["network"]
    assert engine.nodes.get(targets["node"]).attrs["Spec"]["Role"] == targets["node_role"]
    # ... and the audit log names no change that happened (none did).
    assert [e for e in _changes_since(watcher, before) if e["result"] == "ok"] == []


def test_the_reported_attack_is_a_clear_refusal(live, engine, targets):
    """The issue's own requests, by an operator: refused before any engine call, saying why;
    no image removal is audited."""
    token = _token(live, "oper")
    answer = send(live.url, "DELETE", f"/api/images/..%2Fsecrets%2F{targets['secret']}", token)
    assert answer.status == 422
    assert "is not an image reference or ID" in answer.json()["detail"]
    answer = send(live.url, "DELETE", f"/api/images/..%2Fnodes%2F{targets['node']}", token)
    assert answer.status == 422
    assert engine.secrets.get(targets["secret_id"]).name == targets["secret"]
    assert live.login("admin").get("/api/audit?action=image.remove").json()["items"] == []


def test_valid_names_still_work(live, engine, targets, busybox_image):
    """The checks refuse tricks, not names: an image with a registry and a path, a network
    with a space and a colon in its name, a node by ID."""
    token = _token(live, "oper")
    assert send(live.url, "GET", f"/api/images/{busybox_image}", token).status == 200
    assert send(live.url, "GET", f"/api/networks/{targets['network']}", token).status == 200
    assert send(live.url, "GET", f"/api/nodes/{targets['node']}", token).status == 200
    odd = engine.networks.create(f"sdpp-{RUN} odd:name", driver="bridge")
    try:
        answer = send(live.url, "GET", "/api/networks/" + odd.name.replace(" ", "%20"), token)
        assert answer.status == 200 and answer.json()["Id"] == odd.id
    finally:
        odd.remove()


def test_the_engine_client_refuses_what_the_routes_let_through(engine, targets):
    """Below the routes: a client swarmdeck makes refuses a URL part that would leave its
    route, whoever calls it (a route that forgot its check, the CLI)."""
    client = connect()  # the local engine, as the console and the CLI make their clients
    try:
        for bad in (
            f"../secrets/{targets['secret']}",
            f"x/../../secrets/{targets['secret']}",
            "..",
            "a//b",
            "x\x00",
        ):
            with pytest.raises(InvalidName):
                client.api.remove_image(bad)
    finally:
        client.close()
    assert engine.secrets.get(targets["secret_id"]).name == targets["secret"]
