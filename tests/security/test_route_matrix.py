"""Every route of the console × every role, against a real console and engine.

The cases come from the app's own routes (``harness.app_routes``: API, pages, the OpenAPI
document, static files), one per route and per value of a Literal path parameter (the node
and container actions, the join-token roles). ``LEAST`` below says the least role each one
needs, read from the route code and its dependencies (READ/OPERATE/ADMIN, READ_ON/OPERATE_ON/
ADMIN_ON in swarmdeck/console/context.py, and the admin check of node promote/demote). A
route missing from the table, or a table entry the app no longer has, fails the suite: a new
route must be classified before it ships.

Callers: anonymous, viewer (read-only), oper (operator), admin on the local endpoint; for the
routes that act on an endpoint (``@`` in the table), also ``outsider`` (an operator whose team
has no grant) and ``oper`` (whose team has one) on node B's engine. Expected:

- anonymous: 401 from the API, a redirect to /login from a page (the public routes aside);
- a role below the least one: 403, and for a change an audit entry "denied" (context.py
  writes one for every refused change);
- a role at or above it: neither 401 nor 403 (the request reached the route);
- never a 5xx.

Arguments are harmless: ids and names that do not exist and bodies the route refuses (422),
so that an authorised call fails with 404/409/422 and changes nothing. The routes that act on
the whole swarm (init, join, leave, token rotation) go to an endpoint that does not exist for
every caller (the role check comes first), so that the shared test swarm is never touched, even
by a regression the suite is there to catch.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .harness import (
    AWAY,
    NODE_B,
    NOWHERE,
    PATH_VALUES,
    QUERY_VALUES,
    Served,
    call,
    expansions,
    fill,
    query_params,
    takes_endpoint,
    throwaway_app_routes,
)

PUBLIC, READ, OPERATE, ADMIN = "public", "read", "operate", "admin"
MACHINE = "machine"  # a registry's own token only: every caller here is refused (401)
READ_ON, OPERATE_ON, ADMIN_ON = "read@", "operate@", "admin@"
RANK = {"viewer": 1, "oper": 2, "outsider": 2, "admin": 3}
NEEDS = {READ: 1, OPERATE: 2, ADMIN: 3}

# signature -> least role; "@" = acts on ``?endpoint=`` (team grants apply).
LEAST: dict[str, str] = {
    # public
    "GET /api/openapi.json": PUBLIC,
    "GET /static/{path:path}": PUBLIC,
    "GET /api/health": PUBLIC,
    "POST /api/setup": PUBLIC,
    "POST /api/auth/login": PUBLIC,
    "GET /setup": PUBLIC,
    "GET /login": PUBLIC,
    "GET /": PUBLIC,
    # one's own account
    "POST /api/auth/password": READ,
    "POST /api/auth/logout": READ,
    "GET /api/auth/me": READ,
    "GET /api/tokens": READ,
    "POST /api/tokens": OPERATE,
    "DELETE /api/tokens/{token_id}": OPERATE,
    # users, endpoints, teams, audit
    "GET /api/users": ADMIN,
    "POST /api/users": ADMIN,
    "PATCH /api/users/{username}": ADMIN,
    "DELETE /api/users/{username}": ADMIN,
    "GET /api/endpoints": READ,
    "GET /api/endpoints/{name}": READ,
    "POST /api/endpoints": ADMIN,
    "PATCH /api/endpoints/{name}": ADMIN,
    "POST /api/endpoints/{name}/test": ADMIN,
    "DELETE /api/endpoints/{name}": ADMIN,
    "GET /api/teams": ADMIN,
    "POST /api/teams": ADMIN,
    "GET /api/teams/{name}": ADMIN,
    "DELETE /api/teams/{name}": ADMIN,
    "POST /api/teams/{name}/members": ADMIN,
    "DELETE /api/teams/{name}/members/{username}": ADMIN,
    "POST /api/teams/{name}/endpoints": ADMIN,
    "DELETE /api/teams/{name}/endpoints/{endpoint}": ADMIN,
    "GET /api/audit": ADMIN,
    # containers
    "GET /api/containers": READ_ON,
    "POST /api/containers": OPERATE_ON,
    "GET /api/containers/{ref}": READ_ON,
    "DELETE /api/containers/{ref}": OPERATE_ON,
    **{f"POST /api/containers/{{ref}}/{a}": OPERATE_ON for a in ("start", "stop", "restart", "kill")},
    "GET /api/containers/{ref}/logs": READ_ON,
    "GET /api/containers/{ref}/stats": READ_ON,
    "GET /api/containers/{ref}/logs/stream": READ_ON,
    "GET /api/events": READ_ON,
    # images, networks, volumes
    "GET /api/images": READ_ON,
    "POST /api/images/tag": OPERATE_ON,
    "POST /api/images/pull": OPERATE_ON,
    "POST /api/images/push": OPERATE_ON,
    "POST /api/images/build": OPERATE_ON,
    "GET /api/images/{ref:path}": READ_ON,
    "DELETE /api/images/{ref:path}": OPERATE_ON,
    "GET /api/networks": READ_ON,
    "POST /api/networks": OPERATE_ON,
    "GET /api/networks/{ref}": READ_ON,
    "DELETE /api/networks/{ref}": OPERATE_ON,
    "GET /api/volumes": READ_ON,
    "POST /api/volumes": OPERATE_ON,
    "GET /api/volumes/{name}": READ_ON,
    "DELETE /api/volumes/{name}": OPERATE_ON,
    # the swarm
    "GET /api/swarm": READ_ON,
    "POST /api/swarm/init": ADMIN_ON,
    "POST /api/swarm/join": ADMIN_ON,
    "POST /api/swarm/leave": ADMIN_ON,
    "GET /api/swarm/join-tokens": ADMIN_ON,
    "POST /api/swarm/join-tokens/worker/rotate": ADMIN_ON,
    "POST /api/swarm/join-tokens/manager/rotate": ADMIN_ON,
    "GET /api/nodes": READ_ON,
    "GET /api/nodes/{node_id}": READ_ON,
    **{f"POST /api/nodes/{{node_id}}/{a}": OPERATE_ON for a in ("drain", "pause", "activate")},
    **{f"POST /api/nodes/{{node_id}}/{a}": ADMIN_ON for a in ("promote", "demote")},
    "PUT /api/nodes/{node_id}/labels": OPERATE_ON,
    "DELETE /api/nodes/{node_id}": ADMIN_ON,
    "GET /api/services": READ_ON,
    "POST /api/services": OPERATE_ON,
    "GET /api/services/{ref}": READ_ON,
    "POST /api/services/{ref}/scale": OPERATE_ON,
    "POST /api/services/{ref}/image": OPERATE_ON,
    "POST /api/services/{ref}/rollback": OPERATE_ON,
    "POST /api/services/{ref}/plan": OPERATE_ON,
    "POST /api/services/{ref}/edit": OPERATE_ON,
    "DELETE /api/services/{ref}": OPERATE_ON,
    "GET /api/services/{ref}/logs": READ_ON,
    "GET /api/services/{ref}/logs/stream": READ_ON,
    "GET /api/services/{ref}/stats": READ_ON,
    "GET /api/tasks": READ_ON,
    "GET /api/swarm/map": READ_ON,
    "GET /api/swarm/map/stream": READ_ON,
    "GET /api/stacks": READ_ON,
    "GET /api/stacks/{name}": READ_ON,
    "DELETE /api/stacks/{name}": OPERATE_ON,
    "POST /api/stacks/{name}/deploy": OPERATE_ON,
    "GET /api/stacks/{name}/converge": READ_ON,
    "GET /api/stacks/{name}/versions": READ_ON,
    "GET /api/stacks/{name}/file": OPERATE_ON,  # environment values: not for read-only users
    "GET /api/stacks/{name}/diff": OPERATE_ON,
    # stacks from Git (the webhook's secret URL is its credential: no session)
    "GET /api/gitstacks": READ_ON,
    "POST /api/gitstacks": OPERATE_ON,
    "POST /api/gitstacks/{name}/redeploy": OPERATE_ON,
    "DELETE /api/gitstacks/{name}": OPERATE_ON,
    "POST /api/hooks/git/{secret}": PUBLIC,
    # app templates (the console's own: built-in ones and admins')
    "GET /api/templates": READ,
    "POST /api/templates": ADMIN,
    "DELETE /api/templates/{name}": ADMIN,
    **{f"GET /api/{k}s": READ_ON for k in ("secret", "config")},
    **{f"POST /api/{k}s": OPERATE_ON for k in ("secret", "config")},
    **{f"GET /api/{k}s/{{ref}}": READ_ON for k in ("secret", "config")},
    **{f"DELETE /api/{k}s/{{ref}}": OPERATE_ON for k in ("secret", "config")},
    # the engine's events: live changes for the pages, and the events page's stream
    "GET /api/live": READ_ON,
    "GET /api/engine-events": READ_ON,
    # registries (the console's own, not an endpoint's; usage reads an endpoint's services)
    "GET /api/registries": READ,
    "POST /api/registries": ADMIN,
    "GET /api/registries/{name}": READ,
    "DELETE /api/registries/{name}": ADMIN,
    "POST /api/registries/{name}/test": OPERATE,
    "GET /api/registries/{name}/repositories": READ,
    "GET /api/registries/{name}/tags": READ,
    "GET /api/registries/{name}/manifest": READ,
    "DELETE /api/registries/{name}/tags": OPERATE,
    "GET /api/registries/{name}/usage": READ_ON,
    "POST /api/registries/{name}/gc": ADMIN,
    "PATCH /api/registries/{name}": ADMIN,
    "POST /api/registries/{name}/notifications": MACHINE,
    "POST /api/registries/{name}/notifications/token": ADMIN,
    # settings (admins: the host paths operators may bind under)
    "GET /api/settings/workloads": ADMIN,
    "PUT /api/settings/workloads": ADMIN,
    "GET /api/settings/directory": ADMIN,
    "PUT /api/settings/directory": ADMIN,
    "POST /api/settings/directory/test": ADMIN,
    # pages (``on_page`` reads ?endpoint= itself: "@" by reading pages.py)
    "GET /containers": READ_ON,
    "GET /containers/{ref}": READ_ON,
    "GET /containers/{ref}/stats": READ_ON,
    "GET /images": READ_ON,
    "GET /networks": READ_ON,
    "GET /volumes": READ_ON,
    "GET /audit": ADMIN,
    "GET /account": READ,
    "GET /users": ADMIN,
    "GET /endpoints": READ,
    "GET /endpoints/{name}/probe": READ,
    "GET /teams": ADMIN,
    "GET /swarm": READ_ON,
    "GET /swarm/nodes/{node_id}": READ_ON,
    "GET /services": READ_ON,
    "GET /services/{ref}": READ_ON,
    "GET /services/{ref}/logs.txt": READ_ON,
    "GET /stacks": READ_ON,
    "GET /stacks/{name}": READ_ON,
    "GET /secrets": READ_ON,
    "GET /secrets/{ref}": READ_ON,
    "GET /configs": READ_ON,
    "GET /configs/{ref}": READ_ON,
    "GET /events": READ_ON,
    "GET /registries": READ,
    "GET /registries/{name}": READ,
    "GET /registries/{name}/repository": READ_ON,
    "GET /registries/{name}/manifest": READ,
    "GET /settings": ADMIN,
    "GET /containers/{ref}/exec": OPERATE_ON,
    "GET /tasks/{ref}/exec": OPERATE_ON,
    "GET /inspect/container": READ_ON,
    "GET /inspect/image": READ_ON,
    "GET /inspect/network": READ_ON,
    "GET /inspect/volume": READ_ON,
    "GET /inspect/service": READ_ON,
    "GET /inspect/task": READ_ON,
    "GET /inspect/node": READ_ON,
    "GET /settings/backup": ADMIN,
}

# The registry pages of the bed's registry (added to the console below): the repository page
# checks the endpoint only after finding the repository, so it must exist for the grant check.
BED_REGISTRY = "bed"

ROUTES = throwaway_app_routes()
CASES = [(route, signature, values) for route in ROUTES for signature, values in expansions(route)]
ROLES = ("anonymous", "viewer", "oper", "admin")
EDGE_ROLES = ("outsider", "oper")  # on node B's endpoint


def case_ids() -> list[tuple[object, ...]]:
    params = []
    for route, signature, values in CASES:
        level = LEAST.get(signature, "")
        for role in ROLES:
            params.append(pytest.param(route, signature, values, role, None, id=f"{signature} [{role}]"))
        if level.endswith("@"):
            for role in EDGE_ROLES:
                params.append(
                    pytest.param(route, signature, values, role, NODE_B, id=f"{signature} [{role}@{NODE_B}]")
                )
    return params


def test_every_route_is_classified():
    """The table and the app agree: no route without a least role, no stale entry."""
    signatures = {signature for _, signature, _ in CASES}
    assert sorted(signatures - LEAST.keys()) == [], "routes the table does not classify"
    assert sorted(LEAST.keys() - signatures) == [], "table entries the app no longer has"


def test_the_table_agrees_with_the_routes_endpoint_parameter():
    """An API route that takes ?endpoint= is marked "@", and only those (pages aside)."""
    for route, signature, _ in CASES:
        if route.kind == "api":
            assert LEAST[signature].endswith("@") == takes_endpoint(route), signature


@pytest.fixture(scope="module")
def bed(served_b: Served, registry, registry_busybox_image) -> Served:
    admin = served_b.login("admin")
    added = admin.post(
        "/api/registries",
        json={"name": BED_REGISTRY, "address": registry.address, "ca_pem": registry.ca.read_text()},
    )
    assert added.status_code == 201, added.text
    return served_b


def request_for(
    route, signature: str, values: dict[str, str], endpoint: str | None, registry_image: str
) -> tuple[str, dict]:
    path_values = {**PATH_VALUES, **values}
    query = {name: QUERY_VALUES.get(name, "x") for name, required in query_params(route).items() if required}
    if signature == "GET /registries/{name}/repository":
        path_values["name"] = BED_REGISTRY
        repository = registry_image.split("/", 1)[1].rsplit(":", 1)[0]
        query["repository"] = repository
    url = fill(route.path, {k: quote(v, safe="") for k, v in path_values.items()})
    if endpoint:
        query["endpoint"] = endpoint
    if signature in AWAY:  # every caller: were a check broken, nothing would reach the shared swarm
        query["endpoint"] = NOWHERE
    kwargs: dict = {"params": query}
    if route.method not in ("GET", "DELETE"):
        kwargs["json"] = {}  # refused (422) where a body is required; an empty change elsewhere
    return url, kwargs


@pytest.mark.parametrize(("route", "signature", "values", "role", "endpoint"), case_ids())
def test_route_role(bed: Served, registry_busybox_image, route, signature, values, role, endpoint):
    level = LEAST.get(signature)
    assert level is not None, f"{signature} is not classified in LEAST"
    url, kwargs = request_for(route, signature, values, endpoint, registry_busybox_image)
    if role == "anonymous":
        client = bed.anonymous()
    elif signature == "POST /api/auth/logout":
        client = bed.login(role)  # a session of its own: logging out must not end the shared one
    else:
        client = bed.session(role)
    before = bed.audit_total()
    answer = call(client, route.method, url, **kwargs)
    what = f"{route.method} {url} {kwargs.get('params')} as {role}: {answer.status} {answer.text[:300]}"
    assert answer.status < 500, what
    page = route.kind == "page"
    if level == PUBLIC:
        assert answer.status not in (401, 403), what
        return
    if level == MACHINE:  # no session or API token is a registry's token
        assert answer.status == 401, what
        return
    if role == "anonymous":
        if page:
            assert answer.status == 303 and answer.location == "/login", what
        else:
            assert answer.status == 401, what
        return
    needed = NEEDS[level.rstrip("@")]
    refused = RANK[role] < needed or (role == "outsider" and endpoint is not None)
    if refused:
        assert answer.status == 403, what
        if not route.safe:
            denied = [(e.username, e.result) for e in bed.audit_since(before)]
            assert (role, "denied") in denied, f"no audit entry for the refusal: {what}"
    else:
        assert answer.status not in (401, 403), what
        if page:
            assert not answer.location.startswith("/login"), what


def test_endpoints_of_other_teams_are_invisible(bed: Served):
    """An endpoint not granted to one's teams is as absent as one that does not exist."""
    outsider, oper = bed.session("outsider"), bed.session("oper")
    assert [e["name"] for e in outsider.get("/api/endpoints").json()] == []
    assert [e["name"] for e in oper.get("/api/endpoints").json()] == [NODE_B]
    for path in (f"/api/endpoints/{NODE_B}", f"/endpoints/{NODE_B}/probe"):
        assert outsider.get(path).status_code == 404, path
        assert oper.get(path).status_code == 200, path
    page = outsider.get("/containers").text
    assert f'value="{NODE_B}"' not in page and f'value="{NODE_B}"' in oper.get("/containers").text
