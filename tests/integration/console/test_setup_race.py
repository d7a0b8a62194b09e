"""The first admin is made once, however many setups race: threads on two ``Store`` objects
sharing one database (two console replicas: on SQLite two stores on one data directory, on
PostgreSQL two engines on one database), released together, and requests to ``/api/setup``
at once. Exactly one admin exists afterwards and every other call was refused as a conflict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from swarmdeck.store import Conflict, Role, Store
from tests.support.console import PASSWORD, setup_code_of, store_of

pytestmark = pytest.mark.both_databases

RACERS = 8


@pytest.fixture
def shared_url(request: pytest.FixtureRequest, console_database: str) -> str | None:
    """One database for the racing stores: None (SQLite in the data directory) or a new one."""
    if console_database == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def replicas(tmp_path: Path, shared_url: str | None) -> Iterator[list[Store]]:
    stores = [Store(tmp_path / "data", shared_url) for _ in range(2)]
    yield stores
    for s in stores:
        s.close()


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run ``calls`` in threads released together; each one's result or exception."""
    results: list[object] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected: the test looks at each
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _admins(store: Store) -> list[str]:
    return [u.username for u in store.list_users() if u.role is Role.ADMIN]


def test_racing_first_admins_make_one(replicas: list[Store]) -> None:
    calls = [
        (lambda s=replicas[i % 2], name=f"admin{i}": s.create_first_admin(name, PASSWORD))
        for i in range(RACERS)
    ]
    results = _race(calls)
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 1, f"{len(made)} admins made: {made}"
    assert all(isinstance(r, Conflict) and "already set up" in str(r) for r in refused), refused
    assert _admins(replicas[0]) == _admins(replicas[1]) == [made[0].username]  # type: ignore[attr-defined]


def test_racing_setup_requests_make_one(make_app: Callable[..., FastAPI], tmp_path: Path) -> None:
    app = make_app()
    client = TestClient(app)
    code = setup_code_of(tmp_path / "data0")

    def setup(name: str) -> int:
        body = {"setup_code": code, "username": name, "password": PASSWORD}
        return client.post("/api/setup", json=body).status_code

    statuses = _race([(lambda name=f"admin{i}": setup(name)) for i in range(RACERS)])
    # The others are refused: 409 (set up meanwhile), or 429 while the setup in flight holds
    # the throttle's claim on the setup account (console/security.py).
    assert statuses.count(201) == 1, statuses
    assert set(statuses) - {201} <= {409, 429}, statuses
    assert len(_admins(store_of(app))) == 1
