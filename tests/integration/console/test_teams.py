"""Teams and access per endpoint: admins see every endpoint, other users only those granted
to a team they are in; team changes are admin-only and audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from swarmdeck.store import Role, Teams
from tests.support.console import PASSWORD, store_of

# Every test here runs on SQLite and on PostgreSQL (tests/support/console.py).
pytestmark = pytest.mark.both_databases


def names(client: TestClient) -> list[str]:
    answer = client.get("/api/endpoints")
    assert answer.status_code == 200, answer.text
    return [e["name"] for e in answer.json()]


def add_endpoints(admin: TestClient, *which: str) -> None:
    for name in which:
        made = admin.post("/api/endpoints", json={"name": name, "url": "unix:///var/run/docker.sock"})
        assert made.status_code == 201, made.text


def test_members_see_only_the_endpoints_granted_to_their_teams(app, admin, operator, viewer):
    add_endpoints(admin, "alpha", "beta", "gamma")
    assert names(operator) == [] and names(viewer) == []
    assert operator.get("/api/endpoints/alpha").status_code == 404
    assert admin.post("/api/teams", json={"name": "web"}).status_code == 201
    assert admin.post("/api/teams", json={"name": "ops"}).status_code == 201
    assert admin.post("/api/teams/web/members", json={"username": "oper"}).status_code == 201
    assert admin.post("/api/teams/web/endpoints", json={"endpoint": "alpha"}).status_code == 201
    assert admin.post("/api/teams/ops/members", json={"username": "oper"}).status_code == 201
    assert admin.post("/api/teams/ops/members", json={"username": "viewer"}).status_code == 201
    granted = admin.post("/api/teams/ops/endpoints", json={"endpoint": "beta"})
    assert granted.json() == {
        "name": "ops",
        "members": ["oper", "viewer"],
        "endpoints": ["beta"],
        "created_at": granted.json()["created_at"],
    }
    assert names(operator) == ["alpha", "beta"] and names(viewer) == ["beta"]
    assert names(admin) == ["alpha", "beta", "gamma"]
    assert operator.get("/api/endpoints/alpha").json()["name"] == "alpha"
    hidden = viewer.get("/api/endpoints/alpha")
    assert hidden.status_code == 404 and hidden.json()["detail"] == "no endpoint named 'alpha'"
    page = viewer.get("/endpoints").text
    assert 'data-endpoint="beta"' in page and 'data-endpoint="alpha"' not in page
    assert "hx-delete" not in page and 'id="new-endpoint"' not in page  # looking only
    assert viewer.get("/endpoints/beta/probe").status_code == 200
    assert viewer.get("/endpoints/alpha/probe").status_code == 404
    assert admin.delete("/api/teams/ops/members/viewer").status_code == 200
    assert names(viewer) == []
    assert admin.delete("/api/teams/web/endpoints/alpha").status_code == 200
    assert names(operator) == ["beta"]
    assert admin.delete("/api/teams/ops").status_code == 200
    assert names(operator) == []
    audit = [
        (i["action"], i["target"], i["endpoint"], i["result"])
        for i in admin.get("/api/audit?per_page=100").json()["items"]
        if i["action"].startswith("team.")
    ]
    assert ("team.grant", "ops", "beta", "ok") in audit
    assert ("team.member.remove", "ops: viewer", "", "ok") in audit
    assert ("team.revoke", "web", "alpha", "ok") in audit and ("team.delete", "ops", "", "ok") in audit


def test_team_mistakes_are_one_clear_error(admin):
    add_endpoints(admin, "alpha")
    assert admin.post("/api/teams", json={"name": "web"}).status_code == 201
    for method, path, body, status, words in [
        ("POST", "/api/teams", {"name": "web"}, 409, "a team named 'web' already exists"),
        (
            "POST",
            "/api/teams",
            {"name": "<b>x</b>"},
            400,
            "a team name is 1 to 64 letters, digits, '.', '_' or '-'",
        ),
        ("POST", "/api/teams/web/members", {"username": "nobody"}, 404, "no user named 'nobody'"),
        ("POST", "/api/teams/none/members", {"username": "oper"}, 404, "no team named 'none'"),
        ("POST", "/api/teams/web/endpoints", {"endpoint": "nope"}, 404, "no endpoint named 'nope'"),
        ("DELETE", "/api/teams/web/members/oper", None, 404, "oper is not in team web"),
        ("DELETE", "/api/teams/web/endpoints/alpha", None, 404, "team web has no grant for endpoint alpha"),
        ("DELETE", "/api/teams/none", None, 404, "no team named 'none'"),
    ]:
        answer = admin.request(method, path, json=body)
        assert answer.status_code == status and answer.json()["detail"] == words, (path, answer.text)
    assert admin.post("/api/teams/web/members", json={"username": "oper"}).status_code == 201
    again = admin.post("/api/teams/web/members", json={"username": "oper"})
    assert again.status_code == 409 and again.json()["detail"] == "oper is already in team web"
    assert admin.get("/api/teams").json()[0]["members"] == ["oper"]
    assert admin.get("/api/teams/web").json()["endpoints"] == []


def test_only_admins_manage_teams(admin, operator):
    assert admin.post("/api/teams", json={"name": "web"}).status_code == 201
    for method, path, body in [
        ("GET", "/api/teams", None),
        ("POST", "/api/teams", {"name": "x"}),
        ("POST", "/api/teams/web/members", {"username": "oper"}),
        ("POST", "/api/teams/web/endpoints", {"endpoint": "a"}),
        ("DELETE", "/api/teams/web", None),
    ]:
        answer = operator.request(method, path, json=body)
        assert answer.status_code == 403 and "operator users may not" in answer.json()["detail"]
    assert operator.get("/teams").status_code == 403
    assert admin.get("/api/teams/web").status_code == 200


def test_teams_page(admin):
    add_endpoints(admin, "alpha", "beta")
    admin.post("/api/teams", json={"name": "web"})
    admin.post("/api/teams/web/members", json={"username": "oper"})
    admin.post("/api/teams/web/endpoints", json={"endpoint": "alpha"})
    page = admin.get("/teams")
    assert page.status_code == 200
    team = page.text.split('data-team="web"')[1]
    assert 'data-member="oper"' in team and 'data-grant="alpha"' in team
    assert 'hx-delete="/api/teams/web/members/oper"' in team
    assert 'hx-delete="/api/teams/web/endpoints/alpha"' in team
    adding = team.split('class="inline add-member"')[1].split("</form>")[0]
    assert "<option>viewer</option>" in adding and "<option>oper</option>" not in adding
    granting = team.split('class="inline grant"')[1].split("</form>")[0]
    assert "<option>beta</option>" in granting and "<option>alpha</option>" not in granting
    assert 'href="/teams"' in page.text


def test_memberships_and_grants_go_with_their_user_and_endpoint(app):
    store = store_of(app)
    teams = Teams(store)
    store.create_user("dana", PASSWORD, Role.OPERATOR)
    store.add_endpoint("alpha", "unix:///var/run/docker.sock")
    teams.create("web")
    teams.add_member("web", "dana")
    teams.grant("web", "alpha")
    assert teams.endpoints_of("dana") == {"alpha"}
    store.delete_user("dana")
    store.remove_endpoint("alpha")
    assert teams.get("web").members == () and teams.get("web").endpoints == ()
