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
from sqlalchemy import event

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


def test_a_setup_waits_for_the_one_in_flight(replicas: list[Store]) -> None:
    """The race made certain: console A's setup is held just before it writes its admin (its
    check done), while console B's setup starts. B must wait for A, then be refused; without
    the lock B saw no admin yet and made a second one."""
    first, second = replicas
    writing, go_on = threading.Event(), threading.Event()

    def hold_the_insert(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO USERS"):
            writing.set()
            go_on.wait(timeout=60)

    event.listen(first.engine, "before_cursor_execute", hold_the_insert)
    results: dict[str, object] = {}

    def setup(name: str, store: Store) -> None:
        try:
            results[name] = store.create_first_admin(name, PASSWORD)
        except Exception as exc:  # collected: the test looks at it
            results[name] = exc

    try:
        a = threading.Thread(target=setup, args=("alice", first))
        a.start()
        assert writing.wait(timeout=60), "console A's setup never reached its insert"
        b = threading.Thread(target=setup, args=("bob", second))
        b.start()
        b.join(timeout=2)
        b_finished_early = not b.is_alive()
        go_on.set()
        a.join(timeout=60)
        b.join(timeout=60)
    finally:
        go_on.set()
        event.remove(first.engine, "before_cursor_execute", hold_the_insert)
    assert not b_finished_early, f"B did not wait for A's setup: {results.get('bob')!r}"
    assert not isinstance(results["alice"], Exception), results["alice"]
    assert isinstance(results["bob"], Conflict) and "already set up" in str(results["bob"]), results["bob"]
    assert _admins(second) == ["alice"]


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


def test_racing_setups_on_two_consoles_make_one(
    make_app: Callable[..., FastAPI], tmp_path: Path, shared_url: str | None
) -> None:
    """Two consoles on one database (replicas), each asked to set up with its own code."""
    url = shared_url or f"sqlite:///{tmp_path / 'shared.db'}"
    apps = [make_app(database_url=url) for _ in range(2)]
    clients = [TestClient(app) for app in apps]
    codes = [setup_code_of(tmp_path / f"data{i}") for i in range(2)]

    def setup(i: int) -> int:
        body = {"setup_code": codes[i % 2], "username": f"admin{i}", "password": PASSWORD}
        return clients[i % 2].post("/api/setup", json=body).status_code

    statuses = _race([(lambda i=i: setup(i)) for i in range(RACERS)])
    assert statuses.count(201) == 1, statuses
    assert set(statuses) - {201} <= {409, 429}, statuses
    assert _admins(store_of(apps[0])) == _admins(store_of(apps[1])) and len(_admins(store_of(apps[0]))) == 1
