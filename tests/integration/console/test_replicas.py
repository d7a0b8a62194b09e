"""Two console processes on one PostgreSQL database and one shared secret act as one console
(store/sharedkeys.py): the setup code one shows is accepted by the other, a session made on one
is good on the other (its CSRF token too), logging out on one ends it on both, and the keys
sealing secrets are the same in both data directories. Each app has its own data directory,
as replicas on different nodes do."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from swarmdeck.console.security import SESSION_COOKIE
from swarmdeck.store import StoreError
from swarmdeck.store.sharedkeys import DERIVED
from tests.support.console import PASSWORD, setup_code_of


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "shared.secret"
    path.write_bytes(b"0123456789abcdef" * 3)
    return path


def test_two_consoles_on_one_database_act_as_one(make_app, tmp_path, postgres_server, secret_file):
    url = postgres_server.new_database()
    one = make_app(database_url=url, shared_secret_file=secret_file)
    two = make_app(database_url=url, shared_secret_file=secret_file)
    a, b = TestClient(one), TestClient(two)

    code = setup_code_of(tmp_path / "data0")
    assert code == setup_code_of(tmp_path / "data1")
    made = b.post("/api/setup", json={"setup_code": code, "username": "root", "password": PASSWORD})
    assert made.status_code == 201, made.text
    assert a.get("/api/health").json()["setup_required"] is False
    assert not (tmp_path / "data0" / "setup-code").exists()  # spent: removed by both
    assert not (tmp_path / "data1" / "setup-code").exists()

    answer = a.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    csrf = answer.json()["csrf_token"]
    b.cookies.set(SESSION_COOKIE, a.cookies[SESSION_COOKIE])
    assert b.get("/api/auth/me").json()["username"] == "root"
    refused = b.post("/api/tokens", json={"name": "no-csrf"})
    assert refused.status_code == 403, refused.text
    token = b.post("/api/tokens", json={"name": "on-two"}, headers={"X-CSRF-Token": csrf})
    assert token.status_code == 201, token.text
    listed = a.get("/api/tokens")
    assert [t["name"] for t in listed.json()] == ["on-two"]

    for name in DERIVED:
        if name != "setup-code":
            assert (tmp_path / "data0" / name).read_bytes() == (tmp_path / "data1" / name).read_bytes()

    assert b.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code in (200, 204)
    assert a.get("/api/auth/me").status_code == 401


def test_a_data_dir_with_its_own_sealing_key_is_refused_unchanged(make_app, tmp_path, secret_file):
    make_app()  # a single console: its keys made at random
    (tmp_path / "data0" / "registry.key").write_bytes(b"x" * 44)  # as registries would make it
    before = {p.name: p.read_bytes() for p in (tmp_path / "data0").iterdir() if p.is_file()}
    with pytest.raises(StoreError, match="not derived from the shared secret"):
        from swarmdeck.console import create_app

        create_app(tmp_path / "data0", shared_secret_file=secret_file)
    after = {p.name: p.read_bytes() for p in (tmp_path / "data0").iterdir() if p.is_file()}
    assert after == before


def test_a_short_shared_secret_is_refused(make_app, tmp_path):
    short = tmp_path / "short"
    short.write_bytes(b"too short")
    with pytest.raises(StoreError, match="at least 32 random bytes"):
        make_app(shared_secret_file=short)
