"""The console fixtures every test folder shares (a pytest plugin, registered in
tests/conftest.py): a console on a fresh data dir (its database SQLite there, or a new one on
PostgreSQL with SWARMDECK_TEST_DATABASE=postgresql), logged-in clients of each role, a live
server for streams and browsers, and cleanup of every engine object the tests create."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from swarmdeck.console import create_app
from swarmdeck.store import Role, Store
from tests.support.served import serve_app
from tests.testbed import engines, ssh

PASSWORD = "a long enough password"
RUN = uuid.uuid4().hex[:8]
PREFIX = f"sdct-{RUN}"
TEST_DATABASE_ENV = "SWARMDECK_TEST_DATABASE"  # every engine object the console tests create starts with this


def store_of(app: FastAPI) -> Store:
    return app.state.console.store


def database_url_of(app: FastAPI) -> str | None:
    """The database URL ``app`` was made with: None for SQLite in its data directory."""
    url = store_of(app).engine.url
    return None if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)


def setup_code_of(data_dir: Path) -> str:
    """The one-time setup code, read as its owner would: from the console's data directory."""
    return (data_dir / "setup-code").read_text().strip()


@dataclass
class Janitor:
    """Names of engine objects a test made (through the API or not): removed afterwards."""

    engine: docker.DockerClient
    seq: int = 0
    made: list[str] = field(default_factory=list)

    def name(self, kind: str) -> str:
        self.seq += 1
        return f"{PREFIX}-{kind}{self.seq}"

    def cleanup(self) -> None:
        for c in self.engine.containers.list(all=True, filters={"name": PREFIX}):
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True)
        for n in self.engine.networks.list(names=[PREFIX]):
            if n.name.startswith(PREFIX):
                n.remove()
        for v in self.engine.volumes.list(filters={"name": PREFIX}):
            if v.name.startswith(PREFIX):
                v.remove(force=True)
        for image in self.engine.images.list():
            for tag in image.tags:
                if PREFIX in tag:
                    self.engine.images.remove(tag)


@pytest.fixture
def janitor(engine: docker.DockerClient) -> Iterator[Janitor]:
    j = Janitor(engine)
    yield j
    j.cleanup()


def test_database() -> str:
    """The database the console fixtures use: ``SWARMDECK_TEST_DATABASE=postgresql`` puts each
    console on a new database of the private PostgreSQL server (tests/support/postgres.py);
    unset or ``sqlite``, on SQLite in its data directory. Suites marked ``both_databases`` run
    on both in every run."""
    chosen = os.environ.get(TEST_DATABASE_ENV, "sqlite").lower()
    if chosen not in ("sqlite", "postgresql"):
        pytest.fail(f"{TEST_DATABASE_ENV}={chosen!r}: use sqlite or postgresql", pytrace=False)
    return chosen


@pytest.fixture
def console_database() -> str:
    """The database of this test's consoles; tests marked ``both_databases`` run once on each."""
    return test_database()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module or test marked ``both_databases`` runs on SQLite and on PostgreSQL in the same
    run (the private server of tests/support/postgres.py), so one pytest command covers both."""
    if (
        metafunc.definition.get_closest_marker("both_databases")
        and "console_database" in metafunc.fixturenames
    ):
        metafunc.parametrize("console_database", ["sqlite", "postgresql"])


@pytest.fixture
def make_app(
    request: pytest.FixtureRequest, tmp_path: Path, engine: docker.DockerClient, console_database: str
) -> Iterator[Callable[..., FastAPI]]:
    apps: list[FastAPI] = []
    on_postgres = console_database == "postgresql"

    def make(**options: object) -> FastAPI:
        chosen = "database_url" not in options  # else the test gives its own database
        if on_postgres and chosen:
            options["database_url"] = request.getfixturevalue("postgres_server").new_database()
        app = create_app(tmp_path / f"data{len(apps)}", **options)  # type: ignore[arg-type]
        apps.append(app)
        if chosen:  # a test run "on PostgreSQL" must really be: its console talks to the server
            dialect = store_of(app).engine.dialect.name
            assert dialect == console_database, f"{dialect} for a test on {console_database}"
        return app

    yield make
    for app in apps:
        app.state.console.close()


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    """A console with an admin, an operator and a read-only user (all with PASSWORD)."""
    a = make_app()
    store = store_of(a)
    store.create_user("admin", PASSWORD, Role.ADMIN)
    store.create_user("oper", PASSWORD, Role.OPERATOR)
    store.create_user("viewer", PASSWORD, Role.READ_ONLY)
    return a


def login(app: FastAPI, username: str) -> TestClient:
    """A client with a session cookie that sends the session's CSRF token on every request."""
    client = TestClient(app)
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


@pytest.fixture
def admin(app: FastAPI) -> TestClient:
    return login(app, "admin")


@pytest.fixture
def operator(app: FastAPI) -> TestClient:
    return login(app, "oper")


@pytest.fixture
def viewer(app: FastAPI) -> TestClient:
    return login(app, "viewer")


@dataclass
class LiveServer:
    url: str
    app: FastAPI

    def login(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client


@pytest.fixture
def live(app: FastAPI) -> Iterator[LiveServer]:
    """The same console served by uvicorn on a free loopback port (for streams and browsers)."""
    with serve_app(app) as url:
        yield LiveServer(url, app)


@pytest.fixture
def node_b_janitor(node_b_engine: docker.DockerClient) -> Iterator[Janitor]:
    """Like ``janitor``, for what tests make on node B (through the console's endpoint)."""
    j = Janitor(node_b_engine)
    yield j
    j.cleanup()


def add_node_b(admin: TestClient, name: str = "nodeb") -> dict[str, object]:
    """Node B's engine as an endpoint: TCP with TLS client certificates (tests/testbed/engines.py)."""
    tls = engines.NODE_B_CLIENT_TLS
    made = admin.post(
        "/api/endpoints",
        json={
            "name": name,
            "url": engines.NODE_B_TCP_URL,
            "tls_ca": str(tls.ca),
            "tls_cert": str(tls.cert),
            "tls_key": str(tls.key),
        },
    )
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture(scope="session")
def node_b_ssh(node_b_engine: docker.DockerClient) -> Iterator[str]:
    """An sshd in node B's namespace (keys made now, host key pinned): its ssh:// URL."""
    url = ssh.ensure_sshd()
    yield url
    ssh.stop_sshd()
