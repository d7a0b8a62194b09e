"""The walks of tests/integration/console/test_auth.py (which cover every route of the OpenAPI document),
made explicit for the cluster routes: none answers without a session, read-only users change
nothing, operators do not administer the swarm's membership or the registries, and the
pages send strangers to the login page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import MACHINE_ROUTES, routes

PREFIXES = ("/api/swarm", "/api/nodes", "/api/services", "/api/tasks", "/api/stacks", "/api/registries")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_ONLY = {
    ("POST", "/api/swarm/init"),
    ("POST", "/api/swarm/join"),
    ("POST", "/api/swarm/leave"),
    ("GET", "/api/swarm/join-tokens"),
    ("POST", "/api/swarm/join-tokens/{role}/rotate"),
    ("DELETE", "/api/nodes/{node_id}"),
    ("POST", "/api/registries"),
    ("DELETE", "/api/registries/{name}"),
    ("POST", "/api/registries/{name}/gc"),
}
PAGES = (
    "/swarm",
    "/swarm/nodes/x",
    "/services",
    "/services/x",
    "/stacks",
    "/stacks/x",
    "/registries",
    "/registries/x",
    "/registries/x/repository?repository=a",
    "/registries/x/manifest?repository=a&reference=b",
)


def cluster_routes(app):
    """The cluster's routes that take a session or token (machines' own routes left out)."""
    return [r for r in routes(app) if r[1].startswith(PREFIXES) and (r[0], r[1]) not in MACHINE_ROUTES]


def test_the_cluster_routes_are_all_walked(app):
    templates = {(m, t) for m, t, _ in cluster_routes(app)}
    assert len(templates) >= 35
    assert templates >= ADMIN_ONLY
    assert ("GET", "/api/swarm/map/stream") in templates and ("DELETE", "/api/stacks/{name}") in templates


def test_no_session_no_answer(app):
    client = TestClient(app)
    for method, _, path in cluster_routes(app):
        answer = client.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.text)
    for page in PAGES:
        answer = client.get(page, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/login"), page


def test_read_only_users_change_nothing(viewer, app):
    for method, _, path in cluster_routes(app):
        if method in MUTATING:
            answer = viewer.request(method, path, json={})
            assert answer.status_code == 403, (method, path, answer.text)
            assert "read-only users may not" in answer.json()["detail"]


def test_operators_do_not_administer(operator, app):
    for method, template, path in cluster_routes(app):
        if (method, template) in ADMIN_ONLY:
            answer = operator.request(method, path, json={})
            assert answer.status_code == 403, (method, path, answer.text)
            assert "operator users may not" in answer.json()["detail"]


def test_csrf_needed_on_cluster_changes(operator):
    token = operator.headers.pop("X-CSRF-Token")
    for method, path in (
        ("POST", "/api/services"),
        ("DELETE", "/api/stacks/x"),
        ("POST", "/api/nodes/x/drain"),
        ("DELETE", "/api/registries/x/tags?repository=a&tag=b"),
    ):
        answer = operator.request(method, path, json={})
        assert answer.status_code == 403 and "CSRF" in answer.json()["detail"], (method, path)
    operator.headers["X-CSRF-Token"] = token
