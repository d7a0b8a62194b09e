"""Issue 10, item 11: API tokens may expire, and may be read-only.

Real HTTP against a live console (uvicorn) and its real store: an expired token is refused
like a revoked one (401); a read-only token gets 403 on every route that changes something,
whatever its owner's role, and 200 on reads; both show in the token list and on the page.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.console import store_of


def bearer(live, token: str) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=60, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.both_databases
def test_a_read_only_token_reads_and_changes_nothing(live, janitor):
    oper = live.login("oper")
    made = oper.post("/api/tokens", json={"name": "dashboard", "scope": "read", "expires_in_days": 30})
    assert made.status_code == 201, made.text
    token = made.json()
    assert token["scope"] == "read" and token["expired"] is False
    expires = datetime.fromisoformat(token["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    full = oper.post("/api/tokens", json={"name": "deploy"}).json()
    assert full["scope"] == "all" and full["expires_at"] is None

    with bearer(live, token["token"]) as ro:
        me = ro.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["role"] == "read-only" and me.json()["via"] == "token"
        for path in (
            "/api/containers",
            "/api/images",
            "/api/volumes",
            "/api/networks",
            "/api/tokens",
            "/api/endpoints",
            "/api/registries",
        ):
            assert ro.get(path).status_code == 200, path
        volume = janitor.name("vol")
        changes = [
            ro.post("/api/volumes", json={"name": volume}),
            ro.post("/api/tokens", json={"name": "escalate"}),  # no full token minted from it
            ro.delete(f"/api/tokens/{full['id']}"),
            ro.post(
                "/api/auth/password",
                json={
                    "current_password": "a long enough password",
                    "new_password": "mauve otter ladder quietly",
                },
            ),
            ro.post("/api/auth/logout"),
        ]
        for answer in changes:
            assert answer.status_code == 403, answer.text
            assert "read-only" in answer.json()["detail"]
    assert volume not in [v.name for v in janitor.engine.volumes.list()]
    assert {t["name"] for t in oper.get("/api/tokens").json()} == {"dashboard", "deploy"}
    # The same owner's full token may change things.
    with bearer(live, full["token"]) as rw:
        assert rw.post("/api/volumes", json={"name": volume}).status_code == 201
    denied = [e for e in store_of(live.app).list_audit(limit=200)[0] if e.result == "denied: read-only token"]
    assert len(denied) == len(changes) and {e.username for e in denied} == {"oper"}


@pytest.mark.both_databases
def test_an_admins_read_only_token_is_a_read_only_user(live):
    admin = live.login("admin")
    token = admin.post("/api/tokens", json={"name": "audit reader", "scope": "read"}).json()["token"]
    with bearer(live, token) as ro:
        assert ro.get("/api/users").status_code == 403  # admin-only reads too
        assert ro.get("/api/audit").status_code == 403
        assert ro.get("/api/containers").status_code == 200
        assert (
            ro.post(
                "/api/users",
                json={"username": "mallory", "password": "mauve otter ladder quietly", "role": "admin"},
            ).status_code
            == 403
        )
    assert "mallory" not in [u.username for u in store_of(live.app).list_users()]


@pytest.mark.both_databases
def test_an_expired_token_is_refused(live):
    store = store_of(live.app)
    _, plain = store.create_token("oper", "one second", expires_in=timedelta(seconds=2))
    with bearer(live, plain) as client:
        assert client.get("/api/auth/me").status_code == 200
        time.sleep(2.5)
        refused = client.get("/api/auth/me")
        assert refused.status_code == 401 and "expired" in refused.json()["detail"]
        assert client.get("/api/containers").status_code == 401
    oper = live.login("oper")
    listed = {t["name"]: t for t in oper.get("/api/tokens").json()}
    assert listed["one second"]["expired"] is True
    # The tokens page shows the scope and the expiry.
    oper.post("/api/tokens", json={"name": "viewer script", "scope": "read", "expires_in_days": 7})
    page = oper.get("/account")
    assert page.status_code == 200
    rows = {
        row.split("</td>")[0].rsplit(">", 1)[-1]: row.split("</tr>")[0]
        for row in page.text.split('<tr data-token="')[1:]
    }

    def cell(name: str, kind: str) -> str:
        return rows[name].split(f'<td class="{kind}">')[1].split("</td>")[0]

    assert cell("one second", "scope") == "all" and "expired" in cell("one second", "expires")
    assert cell("viewer script", "scope") == "read-only"
    in_a_week = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%d")
    assert cell("viewer script", "expires").startswith(in_a_week)
    assert "expired" not in cell("viewer script", "expires")


@pytest.mark.both_databases
def test_token_options_are_checked(live):
    oper = live.login("oper")
    for body in (
        {"name": "x", "expires_in_days": 0},
        {"name": "x", "expires_in_days": 100000},
        {"name": "x", "scope": "write"},
        {"name": "x", "expires_in_days": "soon"},
    ):
        assert oper.post("/api/tokens", json=body).status_code == 422, body
    assert oper.get("/api/tokens").json() == []


def test_a_database_made_before_expiry_and_scope_is_brought_up_to_date(tmp_path, engine):
    """The columns added for this (tokens' expiry and scope, registries' allowed realms) are
    added in place to a database that lacks them; its tokens keep working, as 'all' scope."""
    import sqlite3

    from swarmdeck.console import create_app
    from swarmdeck.console.registries import app_registries
    from swarmdeck.store import Role, Store, TokenScope

    data = tmp_path / "data"
    store = Store(data)
    store.create_user("ci", "mauve otter ladder quietly", Role.OPERATOR)
    _, plain = store.create_token("ci", "from before")
    store.close()
    first = create_app(data)
    app_registries(first).add("old", "127.0.0.1:5999", None, None, None)
    first.state.console.close()
    with sqlite3.connect(data / "swarmdeck.db") as db:  # as the previous version made them
        db.execute("DROP TABLE alembic_version")  # create_all, before migrations
        for later in (
            "stack_versions",
            "app_templates",
            "directory_settings",
            "directory_users",
            "git_stacks",
            "registry_repositories",
            "registry_index_state",
        ):
            db.execute(f"DROP TABLE {later}")  # made by revisions after that
        for table, column in (
            ("api_tokens", "expires_at"),
            ("api_tokens", "scope"),
            ("registries", "allowed_realms"),
        ):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    again = create_app(data)
    try:
        upgraded = store_of(again)
        use = upgraded.use_token(plain)
        assert use is not None and use.user.username == "ci" and use.scope is TokenScope.ALL
        listed = upgraded.list_tokens("ci")[0]
        assert listed.expires_at is None and not listed.expired
        assert app_registries(again).get("old").allowed_realms == ()
        assert app_registries(again).store.set_allowed_realms(
            "old", ["http://a.example/t"]
        ).allowed_realms == ("http://a.example/t",)
    finally:
        again.state.console.close()
