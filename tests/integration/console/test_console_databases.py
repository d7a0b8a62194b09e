"""The console's API on each database it supports (SQLite in its data directory, and
PostgreSQL: tests/support/postgres.py): first admin by setup code, login, an endpoint added,
the stacks listed, logout — the state each step needs is kept in the database."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.console import PASSWORD, setup_code_of, store_of


def test_login_endpoint_add_and_stack_list(make_app, tmp_path, database_url, swarm):
    app = make_app(database_url=database_url)
    store = store_of(app)
    client = TestClient(app)
    code = setup_code_of(tmp_path / "data0")
    made = client.post("/api/setup", json={"setup_code": code, "username": "root", "password": PASSWORD})
    assert made.status_code == 201, made.text
    answer = client.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    assert client.get("/api/auth/me").json()["username"] == "root"

    added = client.post("/api/endpoints", json={"name": "here", "url": "unix:///var/run/docker.sock"})
    assert added.status_code == 201, added.text
    assert client.get("/api/endpoints/here").json()["url"] == "unix:///var/run/docker.sock"
    assert store.get_endpoint("here").url == "unix:///var/run/docker.sock"

    stacks = client.get("/api/stacks?endpoint=here")
    assert stacks.status_code == 200, stacks.text
    assert isinstance(stacks.json(), list)
    assert [e.action for e in store.list_audit(action="endpoint.add")[0]] == ["endpoint.add"]

    assert client.post("/api/auth/logout").status_code in (200, 204)
    assert client.get("/api/stacks?endpoint=here").status_code == 401
