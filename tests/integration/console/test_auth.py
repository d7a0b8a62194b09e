"""Accounts and security of the console's API: setup, sessions, CSRF, tokens, roles, audit."""

from __future__ import annotations

import os
import re
import time

import pytest
from fastapi.testclient import TestClient

from swarmdeck.console import create_app
from swarmdeck.console.security import SESSION_COOKIE, LoginThrottle
from swarmdeck.store import Role
from tests.support.api import MACHINE_ROUTES, routes
from tests.support.console import PASSWORD, database_url_of, login, setup_code_of, store_of

# Every test here runs on SQLite and on PostgreSQL (tests/support/console.py).
pytestmark = pytest.mark.both_databases

PUBLIC = {("POST", "/api/setup"), ("POST", "/api/auth/login"), ("GET", "/api/health")}
MACHINE = MACHINE_ROUTES  # their own refusals: test_machine_routes_refuse_callers_without_their_secret
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
OWN = {"/api/auth/logout", "/api/auth/password"}  # every role may end its session, change its password


def test_openapi_is_public_and_lists_the_api(app):
    answer = TestClient(app).get("/api/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in (
        "/api/containers",
        "/api/images/pull",
        "/api/networks",
        "/api/volumes",
        "/api/endpoints",
        "/api/users",
        "/api/audit",
        "/api/auth/login",
        "/api/events",
    ):
        assert path in paths


def test_setup_first_then_never_again(make_app):
    app = make_app()
    data = store_of(app).data_dir
    code = setup_code_of(data)
    assert (data / "setup-code").stat().st_mode & 0o777 == 0o600
    client = TestClient(app)
    assert client.get("/api/health").json() == {"status": "ok", "setup_required": True}
    # Before an admin exists only setup answers: no API, and every page leads to /setup.
    refused = client.get("/api/containers")
    assert refused.status_code == 503 and "/setup" in refused.json()["detail"]
    assert client.post("/api/auth/login", json={"username": "x", "password": "y" * 12}).status_code == 503
    for page in ("/", "/containers", "/login", "/images"):
        answer = client.get(page, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/setup"
    page = client.get("/setup")
    assert page.status_code == 200 and 'data-api="/api/setup"' in page.text
    assert 'name="setup_code"' in page.text and "swarmdeck console setup-code" in page.text
    assert str(data / "setup-code") in page.text and code not in page.text
    weak = client.post("/api/setup", json={"username": "root", "password": "short", "setup_code": code})
    assert weak.status_code == 400 and "at least" in weak.json()["detail"]
    made = client.post("/api/setup", json={"username": "root", "password": PASSWORD, "setup_code": code})
    assert made.status_code == 201 and made.json()["role"] == "admin"
    assert not (data / "setup-code").exists()
    again = client.post("/api/setup", json={"username": "evil", "password": PASSWORD, "setup_code": code})
    assert again.status_code == 409
    assert [u.username for u in store_of(app).list_users()] == ["root"]
    assert client.get("/setup", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/containers").status_code == 401
    actions = [(e.action, e.result) for e in store_of(app).list_audit()[0]]
    assert ("setup", "ok") in actions
    assert ("setup", "error: a password needs at least 10 characters") in actions


def test_setup_needs_the_code_from_the_data_dir(make_app):
    app = make_app()
    data = store_of(app).data_dir
    code = setup_code_of(data)
    client = TestClient(app)
    missing = client.post("/api/setup", json={"username": "root", "password": PASSWORD})
    assert missing.status_code == 422 and "setup_code" in missing.json()["detail"]
    for wrong in ("", code.upper().replace("-", "") + "0", "0" * len(code)):
        answer = client.post(
            "/api/setup", json={"username": "root", "password": PASSWORD, "setup_code": wrong}
        )
        assert answer.status_code == 403, answer.text
        assert "wrong setup code" in answer.json()["detail"]
        assert "swarmdeck console setup-code" in answer.json()["detail"]
    assert store_of(app).list_users() == [] and (data / "setup-code").read_text().strip() == code
    audited = [(e.action, e.result, e.target) for e in store_of(app).list_audit()[0]]
    assert audited.count(("setup", "error: wrong setup code", "root")) == 3
    # Throttled like logins: after 5 wrong codes from one address, even the right one waits.
    for _ in range(2):
        client.post("/api/setup", json={"username": "root", "password": PASSWORD, "setup_code": "nope"})
    blocked = client.post("/api/setup", json={"username": "root", "password": PASSWORD, "setup_code": code})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert store_of(app).list_users() == []
    assert ("setup", "throttled") in [(e.action, e.result) for e in store_of(app).list_audit()[0]]


def test_setup_code_spent_by_an_admin_made_elsewhere(make_app):
    app = make_app()
    data = store_of(app).data_dir
    code = setup_code_of(data)
    store_of(app).create_user("someone", PASSWORD, Role.OPERATOR)  # not an admin: still not set up
    assert (data / "setup-code").exists()
    store_of(app).create_user("boss", PASSWORD, Role.ADMIN)  # as `swarmdeck user create` does
    assert not (data / "setup-code").exists()
    late = TestClient(app).post(
        "/api/setup", json={"username": "evil", "password": PASSWORD, "setup_code": code}
    )
    assert late.status_code == 409
    assert sorted(u.username for u in store_of(app).list_users()) == ["boss", "someone"]
    # A console started on a data dir that has an admin writes no code.
    again = create_app(data, database_url=database_url_of(app))
    try:
        assert again.state.console.set_up() and not (data / "setup-code").exists()
    finally:
        again.state.console.close()


def test_every_route_refuses_anonymous_callers(app):
    client = TestClient(app)
    checked = 0
    for method, template, path in routes(app):
        if (method, template) in PUBLIC | MACHINE or template == "/api/openapi.json":
            continue
        answer = client.request(method, path, json={})
        assert answer.status_code == 401, (method, path, answer.status_code, answer.text)
        checked += 1
    assert checked >= 35


def test_machine_routes_refuse_callers_without_their_secret(app):
    client = TestClient(app)
    made = {(m, t) for m, t, _ in routes(app)}
    assert made >= MACHINE  # a renamed route must not leave this list stale
    assert client.post("/api/registries/swarmdeck/notifications", json={"events": []}).status_code == 401
    assert client.post("/api/hooks/git/" + "x" * 40, json={}).status_code == 404
    assert client.post("/api/hooks/git/sdct-nothing", json={}).status_code == 422


@pytest.mark.parametrize("how", ["session", "token"])
def test_read_only_users_may_change_nothing(app, how):
    if how == "session":
        client = login(app, "viewer")  # sends the right CSRF token: refusals come from the role
    else:
        _, token = store_of(app).create_token("viewer", "ro")
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    checked = 0
    for method, template, path in routes(app):
        if method not in MUTATING or (method, template) in PUBLIC | MACHINE or template in OWN:
            continue
        answer = client.request(method, path, json={})
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
        assert "read-only users may not" in answer.json()["detail"]
        checked += 1
    assert checked >= 19
    assert client.get("/api/containers").status_code == 200
    denied = [e for e in store_of(app).list_audit(limit=500)[0] if e.result == "denied"]
    assert len(denied) == checked and all(e.username == "viewer" for e in denied)


def test_operators_cannot_administer(operator):
    for method, path in [
        ("GET", "/api/users"),
        ("POST", "/api/users"),
        ("GET", "/api/audit"),
        ("POST", "/api/endpoints"),
        ("DELETE", "/api/endpoints/x"),
        ("DELETE", "/api/users/x"),
    ]:
        answer = operator.request(method, path, json={})
        assert answer.status_code == 403, (method, path)
        assert "operator users may not" in answer.json()["detail"]
    assert operator.get("/audit").status_code == 403


def test_login_cookie_is_signed_httponly_strict_and_expires(app):
    client = TestClient(app)
    wrong = client.post("/api/auth/login", json={"username": "admin", "password": "nope nope nope"})
    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    answer = client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert client.get("/api/auth/me").json()["username"] == "admin"
    # A tampered cookie is nobody.
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/api/auth/me").status_code == 401
    key = store_of(app).data_dir / "session.key"
    assert os.stat(key).st_mode & 0o777 == 0o600


def test_sessions_expire(make_app):
    app = make_app(session_hours=1 / 3600)  # one second
    store_of(app).create_user("admin", PASSWORD, Role.ADMIN)
    client = login(app, "admin")
    assert client.get("/api/auth/me").status_code == 200
    time.sleep(2.1)
    assert client.get("/api/auth/me").status_code == 401


def test_logout_ends_the_session(app):
    client = login(app, "viewer")
    cookie = client.cookies[SESSION_COOKIE]
    assert client.post("/api/auth/logout").status_code == 200
    replay = TestClient(app, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/api/auth/me").status_code == 401
    assert client.get("/containers", follow_redirects=False).headers["location"] == "/login"


def test_csrf_token_required_for_cookie_sessions(app, janitor):
    client = login(app, "oper")
    token = client.headers.pop("X-CSRF-Token")
    name = janitor.name("vol")
    missing = client.post("/api/volumes", json={"name": name})
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = client.post("/api/volumes", json={"name": name}, headers={"X-CSRF-Token": token[:-1] + "x"})
    assert wrong.status_code == 403
    assert client.post("/api/auth/logout").status_code == 403
    assert not janitor.engine.volumes.list(filters={"name": name})
    made = client.post("/api/volumes", json={"name": name}, headers={"X-CSRF-Token": token})
    assert made.status_code == 201
    # Another session's token does not fit this session.
    other = login(app, "oper").headers["X-CSRF-Token"]
    assert client.delete(f"/api/volumes/{name}", headers={"X-CSRF-Token": other}).status_code == 403
    assert client.delete(f"/api/volumes/{name}", headers={"X-CSRF-Token": token}).status_code == 200


def test_api_tokens_shown_once_bearer_only_and_revocable(app, operator, janitor):
    made = operator.post("/api/tokens", json={"name": "ci"})
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    listed = operator.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["ci"] and "token" not in listed[0]
    bearer = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert bearer.get("/api/auth/me").json()["via"] == "token"
    name = janitor.name("vol")
    assert bearer.post("/api/volumes", json={"name": name}).status_code == 201  # no CSRF needed
    assert bearer.post("/api/auth/logout").status_code == 400
    for param in ("token", "access_token", "ACCESS_TOKEN"):
        refused = TestClient(app).get(f"/api/containers?{param}={token}")
        assert refused.status_code == 400 and "Authorization: Bearer" in refused.json()["detail"]
        assert bearer.get(f"/api/containers?{param}={token}").status_code == 400
    assert TestClient(app, headers={"Authorization": f"Basic {token}"}).get("/api/auth/me").status_code == 401
    assert operator.delete(f"/api/tokens/{token_id}").status_code == 200
    assert bearer.get("/api/auth/me").status_code == 401


def test_login_throttled_after_five_failures(app):
    client = TestClient(app)
    for _ in range(5):
        wrong = client.post("/api/auth/login", json={"username": "oper", "password": "wrong wrong"})
        assert wrong.status_code == 401
    blocked = client.post("/api/auth/login", json={"username": "oper", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 200
    # Other users are not locked out by someone guessing at "oper".
    other = client.post("/api/auth/login", json={"username": "viewer", "password": PASSWORD})
    assert other.status_code == 200
    results = [e.result for e in store_of(app).list_audit(action="login")[0]]
    assert results.count("failed") == 5 and "throttled" in results


def test_throttling_is_shared_by_console_processes_on_one_data_dir(app):
    data = store_of(app).data_dir
    second = create_app(
        data, database_url=database_url_of(app)
    )  # a second console (its own store, its own throttle) on the same data
    try:
        first_client, second_client = TestClient(app), TestClient(second)
        for client in (first_client, first_client, second_client, first_client):
            wrong = client.post("/api/auth/login", json={"username": "Oper", "password": "wrong wrong"})
            assert wrong.status_code == 401
        # The fifth failure, on the other console, completes the count for both.
        assert (
            second_client.post(
                "/api/auth/login", json={"username": "oper", "password": "nope nope"}
            ).status_code
            == 401
        )
        for client in (first_client, second_client):
            blocked = client.post("/api/auth/login", json={"username": "oper", "password": PASSWORD})
            assert blocked.status_code == 429, blocked.text
            assert 290 <= int(blocked.headers["Retry-After"]) <= 301
        assert (
            second_client.post(
                "/api/auth/login", json={"username": "viewer", "password": PASSWORD}
            ).status_code
            == 200
        )
        # A success clears the pair's count for every process.
        for _ in range(4):
            first_client.post("/api/auth/login", json={"username": "viewer", "password": "wrong wrong"})
        assert (
            second_client.post(
                "/api/auth/login", json={"username": "viewer", "password": PASSWORD}
            ).status_code
            == 200
        )
        assert (
            first_client.post(
                "/api/auth/login", json={"username": "viewer", "password": "wrong wrong"}
            ).status_code
            == 401
        )
        assert (
            first_client.post(
                "/api/auth/login", json={"username": "viewer", "password": PASSWORD}
            ).status_code
            == 200
        )
    finally:
        second.state.console.close()


def test_throttle_window_passes(app):
    throttle = LoginThrottle(store_of(app), limit=2, window=1.0)
    throttle.failed("dana", "10.0.0.1")
    assert throttle.retry_after("dana", "10.0.0.1") == 0
    throttle.failed("dana", "10.0.0.1")
    assert throttle.retry_after("dana", "10.0.0.1") >= 1
    assert throttle.retry_after("dana", "10.0.0.2") == 0 and throttle.retry_after("erin", "10.0.0.1") == 0
    time.sleep(1.1)
    assert throttle.retry_after("dana", "10.0.0.1") == 0


def test_users_api(admin, app):
    made = admin.post("/api/users", json={"username": "dana", "password": PASSWORD, "role": "operator"})
    assert made.status_code == 201 and made.json()["role"] == "operator"
    assert (
        admin.post(
            "/api/users", json={"username": "dana", "password": PASSWORD, "role": "operator"}
        ).status_code
        == 409
    )
    bad_role = admin.post("/api/users", json={"username": "eve", "password": PASSWORD, "role": "root"})
    assert bad_role.status_code == 422 and "role" in bad_role.json()["detail"]
    assert admin.patch("/api/users/dana", json={"role": "read-only"}).json()["role"] == "read-only"
    names = sorted(u["username"] for u in admin.get("/api/users").json())
    assert names == ["admin", "dana", "oper", "viewer"]
    last = admin.delete("/api/users/admin")
    assert last.status_code == 409 and "last admin" in last.json()["detail"]
    assert admin.delete("/api/users/dana").status_code == 200
    assert admin.delete("/api/users/dana").status_code == 404
    audit = admin.get("/api/audit?action=user.delete").json()
    assert [i["result"] for i in audit["items"]] == [
        "error: no user named 'dana'",
        "ok",
        "error: admin is the last admin: make another admin first",
    ]
    assert all(i["user"] == "admin" for i in audit["items"])


def test_security_headers_on_pages_and_api(admin):
    for path in ("/containers", "/api/containers", "/login"):
        headers = admin.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_pages_embed_the_csrf_token_and_need_a_session(app, admin):
    page = admin.get("/containers").text
    token = admin.headers["X-CSRF-Token"]
    assert re.search(rf'data-csrf="{re.escape(token)}"', page)
    assert TestClient(app).get("/containers", follow_redirects=False).headers["location"] == "/login"
