"""Pages and API for accounts: one's own password and API tokens, users (admins), endpoints
(admins), with the plain-TCP warning and everything user-given shown escaped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from swarmdeck.console.security import SESSION_COOKIE
from tests.support.api import assert_escaped
from tests.support.console import PASSWORD, login, store_of

pytestmark = pytest.mark.both_databases

NEW_PASSWORD = "another long password"
MARKUP = "<script>alert('x')</script>"


def test_changing_ones_password_ends_the_other_sessions(app, viewer):
    elsewhere = login(app, "viewer")
    _, token = store_of(app).create_token("viewer", "script")
    wrong = viewer.post(
        "/api/auth/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 400 and wrong.json()["detail"] == "the current password is wrong"
    short = viewer.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.json()["detail"]
    assert elsewhere.get("/api/auth/me").status_code == 200  # nothing changed yet
    changed = viewer.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 200 and changed.json()["status"] == "password changed"
    assert SESSION_COOKIE in changed.headers["set-cookie"]
    assert elsewhere.get("/api/auth/me").status_code == 401  # the other browser is logged out
    viewer.headers["X-CSRF-Token"] = changed.json()["csrf_token"]  # this one goes on, on a new session
    assert viewer.get("/api/auth/me").json()["username"] == "viewer"
    assert viewer.post("/api/auth/logout").status_code == 200
    again = TestClient(app)
    for password, status in ((PASSWORD, 401), (NEW_PASSWORD, 200)):
        answer = again.post("/api/auth/login", json={"username": "viewer", "password": password})
        assert answer.status_code == status
    bearer = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert bearer.get("/api/auth/me").status_code == 200  # tokens are revoked on their own
    results = [e.result for e in store_of(app).list_audit(action="password.change")[0]]
    assert results == [
        "ok",
        "error: a password needs at least 10 characters",
        "error: wrong current password",
    ]


def test_wrong_current_passwords_are_throttled(app, operator):
    for _ in range(5):
        answer = operator.post(
            "/api/auth/password", json={"current_password": "guess guess", "new_password": NEW_PASSWORD}
        )
        assert answer.status_code == 400
    blocked = operator.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert store_of(app).authenticate("oper", PASSWORD) is not None


def test_password_change_needs_the_csrf_token(app):
    client = login(app, "viewer")
    client.headers.pop("X-CSRF-Token")
    answer = client.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    assert store_of(app).authenticate("viewer", PASSWORD) is not None


def test_account_page_lists_own_tokens_escaped_never_the_secret(app, operator, viewer):
    made = operator.post("/api/tokens", json={"name": MARKUP}).json()
    store_of(app).create_token("viewer", "not yours")
    page = operator.get("/account")
    assert page.status_code == 200
    assert_escaped(page.text, MARKUP)
    assert made["token"] not in page.text and made["token"][:8] in page.text  # the prefix only
    assert "not yours" not in page.text
    assert f'hx-delete="/api/tokens/{made["id"]}"' in page.text and 'data-api="/api/tokens"' in page.text
    assert 'data-api="/api/auth/password"' in page.text
    mine = viewer.get("/account").text  # read-only: may look, and change the password
    assert "not yours" in mine and 'data-api="/api/tokens"' not in mine and "/api/auth/password" in mine
    assert TestClient(app).get("/account", follow_redirects=False).headers["location"] == "/login"


def test_users_page_for_admins_only(app, admin, operator):
    assert (
        admin.post(
            "/api/users", json={"username": "dana", "password": PASSWORD, "role": "operator"}
        ).status_code
        == 201
    )
    page = admin.get("/users")
    assert page.status_code == 200
    for name in ("admin", "dana", "oper", "viewer"):
        assert f'data-user="{name}"' in page.text
    assert 'data-api="/api/users/dana" data-method="PATCH"' in page.text
    assert 'hx-delete="/api/users/dana"' in page.text and 'data-api="/api/users"' in page.text
    assert '<option value="operator" selected>' in page.text
    assert operator.get("/users").status_code == 403
    assert 'href="/users"' in page.text and 'href="/users"' not in operator.get("/containers").text


def test_endpoints_page_warns_about_plain_tcp_and_probes(app, admin, operator):
    assert (
        admin.post("/api/endpoints", json={"name": "here", "url": "unix:///var/run/docker.sock"}).status_code
        == 201
    )
    assert (
        admin.post(
            "/api/endpoints", json={"name": "lab", "url": "tcp://127.0.0.1:1", "force": True}
        ).status_code
        == 201
    )
    odd = f"unix:///run/{MARKUP}.sock"
    assert admin.post("/api/endpoints", json={"name": "odd", "url": odd, "force": True}).status_code == 201
    page = admin.get("/endpoints")
    assert page.status_code == 200
    assert page.text.count('class="warning"') == 1
    assert "Endpoints <small>4</small>" in page.text  # local is listed with the others
    assert page.text.index('data-endpoint="local"') < page.text.index('data-endpoint="here"')
    local = admin.get("/endpoints/local/probe").text  # the console's own engine, probed too
    assert "healthy" in local and "swarm:" in local
    lab = page.text.split('data-endpoint="lab"')[1].split("</tr>")[0]
    assert "plain TCP without TLS" in lab and 'data-method="PATCH"' in lab
    assert 'hx-delete="/api/endpoints/lab"' in lab
    assert_escaped(page.text, odd)
    healthy = admin.get("/endpoints/here/probe").text
    assert "healthy" in healthy and "swarm:" in healthy
    dead = admin.get("/endpoints/lab/probe").text
    assert "unreachable" in dead and "connection refused" in dead.lower()
    assert_escaped(admin.get("/endpoints/odd/probe").text, odd)
    assert admin.get("/endpoints/nope/probe").status_code == 404
    mine = operator.get(
        "/endpoints"
    )  # no team grants this operator anything (tests/integration/console/test_teams.py)
    assert mine.status_code == 200 and "No other endpoint is granted to your teams." in mine.text
    assert 'data-endpoint="local"' in mine.text and "Endpoints <small>1</small>" in mine.text  # local
    assert 'id="new-endpoint"' not in mine.text
    assert operator.get("/endpoints/here/probe").status_code == 404


def test_the_console_is_on_the_database_this_run_chose(app, console_database):
    engine = store_of(app).engine
    assert engine.dialect.name == console_database
    with engine.connect() as conn:  # the server itself says what it is
        version = conn.execute(
            text("SELECT version()" if console_database == "postgresql" else "SELECT sqlite_version()")
        )
        assert version.scalar_one().startswith("PostgreSQL" if console_database == "postgresql" else "3.")
