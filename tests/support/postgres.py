"""A private PostgreSQL server for the console's store tests (a pytest plugin, registered in
tests/conftest.py): Debian's ``postgresql`` binaries (scripts/setup.sh installs them) run by
``initdb``/``pg_ctl`` in a temporary directory, listening on a free loopback port only, with
a fresh database per test. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` user the package made (``runuser``). One server per pytest session.

``database_url`` is parametrized: the tests that take it run on SQLite (None: the data
directory's file) and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BIN_GLOB = "/usr/lib/postgresql/*/bin"
OWNER = "postgres"  # the system user Debian's package makes


def _bin_dir() -> Path:
    found = sorted(Path("/").glob(BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name))
    if not found or not (found[-1] / "initdb").is_file():
        pytest.fail(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/setup.sh",
            pytrace=False,
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{OWNER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, icu_locale: str | None = None) -> str:
        """A URL on a new, empty database: collated as the server's (``initdb``'s: C.UTF-8 on a
        test machine), or by ICU's ``icu_locale`` (e.g. ``en-US``: case and punctuation count
        only after the letters, as under most real servers' locales). ICU needs no locale of
        the system: PostgreSQL 15 and later, as Debian 12's, carry it."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        collated = f" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{icu_locale}'" if icu_locale else ""
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"{collated}'))
        finally:
            admin.dispose()
        return self.url(name)


def _run(argv: list[str], as_owner: bool) -> None:
    if as_owner:
        argv = ["runuser", "-u", OWNER, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}", pytrace=False)


@contextlib.contextmanager
def running_server(also_on: str | None = None, allow: tuple[str, ...] = ()) -> Iterator[PostgresServer]:
    """A new server on the loopback and a free port, stopped and removed afterwards.
    ``also_on``: another address of this host it listens on too; ``allow``: networks (CIDR)
    whose clients may connect there without a password, as the loopback ones may (e.g. the
    swarm's tasks, through docker_gwbridge). Databases are made over the loopback."""
    bin_dir = _bin_dir()
    as_owner = os.geteuid() == 0
    # Not under pytest's tmp_path: its parents are the user's (0700), closed to `postgres`.
    home = Path(tempfile.mkdtemp(prefix="sdpg-"))
    data, run = home / "data", home / "run"
    run.mkdir()
    if as_owner:
        shutil.chown(home, OWNER)
        shutil.chown(run, OWNER)
    port = _free_port()
    _run([str(bin_dir / "initdb"), "-D", str(data), "-U", OWNER, "--auth=trust", "-E", "UTF8"], as_owner)
    with (data / "pg_hba.conf").open("a") as hba:
        hba.writelines(f"host all all {network} trust\n" for network in allow)
    listen = "127.0.0.1" + (f",{also_on}" if also_on else "")
    options = f"-c listen_addresses={listen} -p {port} -k {run} -c fsync=off"
    _run(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "start"],
        as_owner,
    )
    try:
        yield PostgresServer(port)
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_owner)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite in the data directory), then a new database on the private PostgreSQL."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
