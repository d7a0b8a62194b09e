"""CSRF on every route that changes anything, bearer tokens without CSRF, tokens in URLs.

The mutating routes come from the app (every non-GET route; ``harness.app_routes``), except
setup and login, which take no session (they take JSON only: checked below). For each, an
admin's browser session sends the request without its CSRF token, with an empty one, and
with the token of another session of the same user: every time 403, and nothing changed,
checked on the console's store (users, tokens, endpoints, teams, registries, the audit log,
whose every change route writes an entry even when it fails) and on the engine (containers,
networks, volumes, image tags of this run). For the routes in ``real_requests``, the request
is one that would change something if it were let through (create a user, delete one, stop a
container, change the password, log out...); the others get the harmless arguments of the
route matrix, and are sent again with the token to show that the check is what refused them.

Also: an API token (``Authorization: Bearer``) needs no CSRF token; a token in the URL's
query (``?token=``, ``?access_token=``...) is refused on every route, and authenticates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import docker
import pytest

from swarmdeck.console.registries import app_registries
from swarmdeck.store import Teams

from .harness import (
    AWAY,
    CSRF_HEADER,
    NOWHERE,
    PASSWORD,
    PATH_VALUES,
    PREFIX,
    QUERY_VALUES,
    Served,
    call,
    expansions,
    fill,
    query_params,
    remove_prefixed,
    throwaway_app_routes,
)

ROUTES = throwaway_app_routes()
NO_SESSION = {"POST /api/setup", "POST /api/auth/login"}  # they take no session: nothing to forge
# Machines' routes take no session, so a forged cross-site request carries nothing to use: a
# registry's events take only its token (a header no cross-site form can send;
# test_registry_notifications.py checks it), a Git webhook only the secret in its URL, which
# a forger would have to know already (test_git_stacks.py checks it).
MACHINE = {"POST /api/registries/{name}/notifications", "POST /api/hooks/git/{secret}"}
MUTATING = [
    (route, signature, values)
    for route in ROUTES
    if not route.safe
    for signature, values in expansions(route)
    if signature not in NO_SESSION | MACHINE
]
VICTIM = f"{PREFIX}-csrf-victim"  # a container, a network and a volume that must survive


def real_requests(busybox_image: str, kept_token: int) -> dict[str, tuple[dict[str, str], dict[str, Any]]]:
    """signature -> (path values, request arguments) of a request that would change something."""
    return {
        "POST /api/tokens": ({}, {"json": {"name": "csrf"}}),
        "DELETE /api/tokens/{token_id}": ({"token_id": str(kept_token)}, {}),
        "POST /api/users": ({}, {"json": {"username": "csrf-victim", "password": PASSWORD, "role": "admin"}}),
        "PATCH /api/users/{username}": ({"username": "viewer"}, {"json": {"role": "admin"}}),
        "DELETE /api/users/{username}": ({"username": "viewer"}, {}),
        "POST /api/auth/password": (
            {},
            {"json": {"current_password": PASSWORD, "new_password": PASSWORD + "!"}},
        ),
        "POST /api/auth/logout": ({}, {}),
        "POST /api/endpoints": ({}, {"json": {"name": "csrf-ep", "url": "unix:///var/run/docker.sock"}}),
        "DELETE /api/endpoints/{name}": ({"name": "green-ep"}, {}),
        "POST /api/teams": ({}, {"json": {"name": "csrf-team"}}),
        "DELETE /api/teams/{name}": ({"name": "green"}, {}),
        "POST /api/teams/{name}/members": ({"name": "green"}, {"json": {"username": "outsider"}}),
        "DELETE /api/teams/{name}/members/{username}": ({"name": "green", "username": "viewer"}, {}),
        "POST /api/teams/{name}/endpoints": ({"name": "green"}, {"json": {"endpoint": "csrf-ep"}}),
        "DELETE /api/teams/{name}/endpoints/{endpoint}": ({"name": "green", "endpoint": "green-ep"}, {}),
        "POST /api/registries": ({}, {"json": {"name": "csrf-reg", "address": "127.0.0.1:5999"}}),
        "DELETE /api/registries/{name}": ({"name": "green-reg"}, {}),
        "POST /api/containers": (
            {},
            {
                "json": {
                    "image": busybox_image,
                    "name": f"{PREFIX}-csrf-box",
                    "command": ["sleep", "30"],
                    "init": True,
                }
            },
        ),
        "DELETE /api/containers/{ref}": ({"ref": VICTIM}, {"params": {"force": "true"}}),
        "POST /api/containers/{ref}/stop": ({"ref": VICTIM}, {"params": {"timeout": "0"}}),
        "POST /api/containers/{ref}/kill": ({"ref": VICTIM}, {}),
        "POST /api/images/tag": ({}, {"json": {"source": busybox_image, "target": f"{PREFIX}-csrf:1"}}),
        "POST /api/networks": ({}, {"json": {"name": f"{PREFIX}-csrf-net"}}),
        "DELETE /api/networks/{ref}": ({"ref": VICTIM}, {}),
        "POST /api/volumes": ({}, {"json": {"name": f"{PREFIX}-csrf-vol"}}),
        "DELETE /api/volumes/{name}": ({"name": VICTIM}, {"params": {"force": "true"}}),
    }


@pytest.fixture(scope="module")
def victims(served: Served, engine: docker.DockerClient, busybox_image: str) -> Iterator[int]:
    """What the forged requests aim at: a running container, a network, a volume, a team
    with a member and a grant, an endpoint, a registry, an admin's API token (its id)."""
    engine.containers.run(busybox_image, ["sleep", "600"], name=VICTIM, detach=True, init=True)
    engine.networks.create(VICTIM)
    engine.volumes.create(VICTIM)
    admin = served.session("admin")
    for path, body in [
        ("/api/endpoints", {"name": "green-ep", "url": "unix:///var/run/docker.sock"}),
        ("/api/teams", {"name": "green"}),
        ("/api/teams/green/members", {"username": "viewer"}),
        ("/api/teams/green/endpoints", {"endpoint": "green-ep"}),
        ("/api/registries", {"name": "green-reg", "address": "127.0.0.1:5998", "force": True}),
    ]:
        made = admin.post(path, json=body)
        assert made.status_code == 201, made.text
    kept, _ = served.token("admin")
    try:
        yield kept
    finally:
        remove_prefixed(engine)


def snapshot(served: Served, engine: docker.DockerClient) -> dict[str, Any]:
    store = served.store
    users = store.list_users()
    return {
        "audit": served.audit_total(),
        "users": [(u.username, u.role.value) for u in users],
        "tokens": [(u.username, t.id) for u in users for t in store.list_tokens(u.username)],
        "endpoints": [e.name for e in store.list_endpoints()],
        "teams": [(t.name, tuple(t.members), tuple(t.endpoints)) for t in Teams(store).list()],
        "registries": sorted(r.name for r in app_registries(served.app).list()),
        "containers": sorted(
            (c["Names"][0], c["State"]) for c in engine.api.containers(all=True, filters={"name": PREFIX})
        ),
        "networks": sorted(n.name for n in engine.networks.list(names=[PREFIX]) if n.name.startswith(PREFIX)),
        "volumes": sorted(v.name for v in engine.volumes.list(filters={"name": PREFIX})),
        "tags": sorted(t for i in engine.api.images() for t in i.get("RepoTags") or () if PREFIX in t),
    }


def cookie_only(served: Served, username: str, which: int = 0):
    """A logged-in client that does not send the CSRF token by itself (as a forged form post
    from another site would not): (client, its token); one per ``which`` for the module."""
    key = f"{username} cookie-only {which}"
    if key not in served.sessions:
        served.sessions[key] = served.login(username, send_csrf=False)
    client = served.sessions[key]
    return client, served.csrf[id(client)]


def request_of(route, signature: str, values: dict[str, str], real: dict) -> tuple[str, dict[str, Any]]:
    path_values, kwargs = real.get(signature, ({}, None))
    if kwargs is None:
        kwargs = {"json": {}} if route.method != "DELETE" else {}
        kwargs["params"] = {n: QUERY_VALUES.get(n, "x") for n, req in query_params(route).items() if req}
    values = {**PATH_VALUES, **values, **path_values}
    url = fill(route.path, {k: quote(v, safe="") for k, v in values.items()})
    if signature in AWAY:  # never at the shared swarm, even when a check should refuse first
        kwargs["params"] = {**kwargs.get("params", {}), "endpoint": NOWHERE}
    return url, dict(kwargs)


def test_every_change_route_is_checked():
    assert len(MUTATING) > 40
    assert {f"{r.method} {r.path}" for r in ROUTES} >= NO_SESSION


@pytest.mark.parametrize(("route", "signature", "values"), MUTATING, ids=[m[1] for m in MUTATING])
def test_a_session_without_its_csrf_token_changes_nothing(
    served, engine, busybox_image, victims, route, signature, values
):
    client, token = cookie_only(served, "admin")
    _, other = cookie_only(served, "admin", 1)  # another session of the same user
    url, kwargs = request_of(route, signature, values, real_requests(busybox_image, victims))
    before = snapshot(served, engine)
    for header in (None, "", other):
        headers = {} if header is None else {CSRF_HEADER: header}
        answer = call(client, route.method, url, headers=headers, **kwargs)
        what = f"{signature} with CSRF header {header!r}: {answer.status} {answer.text[:300]}"
        assert answer.status == 403, what
        assert "CSRF" in answer.text, answer.text
    assert snapshot(served, engine) == before, f"{signature}: a refused request changed something"
    # The session is still valid, and the password unchanged (logout, password change).
    assert client.get("/api/auth/me").status_code == 200
    if signature == "POST /api/auth/password":
        assert served.store.authenticate("admin", PASSWORD) is not None
    # With its token, the same session gets past the check (not 403 for CSRF).
    if signature in ("POST /api/auth/logout", "POST /api/auth/password") or signature.startswith("DELETE"):
        return  # not repeated with the token: they would change what later cases need
    if signature in real_requests(busybox_image, victims):
        return
    answer = call(client, route.method, url, headers={CSRF_HEADER: token}, **kwargs)
    assert answer.status != 403 and answer.status < 500, f"{signature}: {answer.status} {answer.text[:300]}"


def test_a_bearer_token_needs_no_csrf_token(served, engine):
    bearer = served.bearer("oper")
    name = f"{PREFIX}-bearer-vol"
    try:
        made = bearer.post("/api/volumes", json={"name": name})
        assert made.status_code == 201, made.text
        assert engine.volumes.get(name).name == name
        # A cookie sent along changes nothing: the token decides, and needs no CSRF token.
        bearer.cookies.update(served.session("viewer").cookies)
        removed = bearer.delete(f"/api/volumes/{name}", headers={CSRF_HEADER: "wrong"})
        assert removed.status_code == 200, removed.text
        assert name not in [v.name for v in engine.volumes.list(filters={"name": name})]
    finally:
        remove_prefixed(engine, name)


URL_PARAMS = ("token", "access_token", "api_key", "apikey", "Token", "ACCESS_TOKEN")


def test_a_token_in_a_url_is_refused_on_every_route(served, engine):
    """A valid admin token in the query string (each route gets one of the refused names in
    turn): 400 on every route, pages and public ones too, and it authenticates nothing;
    with a session, a change is still refused."""
    _, plain = served.token("admin")
    anonymous = served.client()
    admin = served.session("admin")
    before = snapshot(served, engine)
    cases = [(route, signature, values) for route in ROUTES for signature, values in expansions(route)]
    for index, (route, signature, values) in enumerate(cases):
        param = URL_PARAMS[index % len(URL_PARAMS)]
        url, kwargs = request_of(route, signature, values, {})
        kwargs["params"] = {**kwargs.get("params", {}), param: plain}
        answer = call(anonymous, route.method, url, **kwargs)
        assert answer.status == 400, f"{signature} ?{param}=: {answer.status} {answer.text[:200]}"
        assert "credentials in URLs are refused" in answer.text
    for param in URL_PARAMS:
        refused = admin.post("/api/volumes", params={param: plain}, json={"name": f"{PREFIX}-url-vol"})
        assert refused.status_code == 400, (param, refused.text)
    assert snapshot(served, engine) == before


def test_the_session_cookie_is_httponly_and_samesite_strict(served):
    answer = served.client().post("/api/auth/login", json={"username": "viewer", "password": PASSWORD})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


FORM_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b")


@pytest.mark.parametrize("signature", sorted(NO_SESSION))
def test_the_routes_without_a_session_take_only_json(served, signature):
    """Setup and login need no session, so no CSRF token guards them: what keeps another site's
    form from posting them (a login into the attacker's account) is that they take JSON only,
    which a cross-site form cannot send without the browser asking first."""
    method, path = signature.split(" ", 1)
    body = json.dumps({"username": "viewer", "password": PASSWORD, "setup_code": "x"})
    client = served.anonymous()
    for content_type in FORM_TYPES:
        answer = client.request(method, path, content=body, headers={"content-type": content_type})
        assert 400 <= answer.status_code < 500, (content_type, answer.text)
        assert "set-cookie" not in answer.headers, content_type
