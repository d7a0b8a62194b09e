"""Bring the console's database to the schema of this release, one process at a time.

The schema is made and changed by the Alembic revisions in ``store/migrations``, run at every
start of a Store (no manual step for users) under a lock, so two processes starting at once
(two ``machine create``s, two console replicas) do not race: on SQLite a file lock beside the
database, on PostgreSQL a session-level ``pg_advisory_lock`` held on the connection that runs
the migrations.

A database made before migrations (by ``create_all``, so without an ``alembic_version``
table) is adopted: the tables and added columns of the baseline (``migrations/baseline.py``)
that an older release lacked are made in place, and the database is stamped with the revision
its columns show, then upgraded like any other.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterable, Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, Table, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateColumn

from swarmdeck.store.datadir import owner_only_file
from swarmdeck.store.errors import StoreError
from swarmdeck.store.migrations import baseline

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001"
# The last schema create_all made before migrations: the baseline plus the endpoints' TLS
# material (revision 0002). An unversioned database with those columns is at 0002.
LAST_CREATE_ALL = "0002"
# pg_advisory_lock's key for the console's schema (any constant; the same in every process).
PG_LOCK_KEY = 0x5D0C_5C4E


def upgrade(engine: Engine, lock_file: Path | None, target: str = "head") -> None:
    """Upgrade the database to ``target`` (a revision; the tests make a baseline database);
    ``lock_file`` serialises SQLite (None: no file to lock)."""
    try:
        # The file lock comes before the first connection: a connection's set-up (SQLite's
        # ``journal_mode=WAL``) fails at once with "database is locked" while another process
        # migrates, whatever the busy timeout (seen with two `machine create`s at once).
        with _file_lock(lock_file), engine.connect() as conn, _schema_lock(conn):
            revision = _adopt_unversioned(conn)
            conn.commit()
            config = _config(conn)
            if revision is not None:
                command.stamp(config, revision)
                conn.commit()
            command.upgrade(config, target)
            conn.commit()
    except CommandError as exc:  # e.g. a revision this release does not know: a newer one's
        raise StoreError(f"cannot migrate the console's database: {exc}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot bring the console's database up to date: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', None) or exc}"
        ) from exc


def head() -> str:
    """The revision this release's models are at."""
    from alembic.script import ScriptDirectory

    found = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert found is not None  # versions/ is shipped with the package
    return found


def current_revision(engine: Engine) -> str | None:
    """The revision the database is stamped with (None: not versioned)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


@contextlib.contextmanager
def _file_lock(lock_file: Path | None) -> Iterator[None]:
    """SQLite's schema lock: a file beside the database (None: nothing to lock)."""
    if lock_file is None:
        yield
        return
    owner_only_file(lock_file)
    with open(lock_file, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _schema_lock(conn: Connection) -> Iterator[None]:
    """PostgreSQL's schema lock: a session-level advisory lock on ``conn``."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
    conn.commit()  # the lock is the session's: it outlives this transaction
    try:
        yield
    finally:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
        conn.commit()


def _adopt_unversioned(conn: Connection) -> str | None:
    """For a database made by create_all: make it the baseline at least; its revision."""
    inspector = inspect(conn)
    if inspector.has_table("alembic_version") or not inspector.has_table("users"):
        return None  # versioned already, or new: the revisions make everything
    baseline.metadata.create_all(conn)  # the tables an older release lacked
    add_missing_columns(conn, baseline.metadata.sorted_tables)
    columns = {c["name"] for c in inspect(conn).get_columns("endpoints")}
    return LAST_CREATE_ALL if "tls_ca_pem" in columns else BASELINE


def add_missing_columns(conn: Connection, tables: Iterable[Table]) -> list[str]:
    """Add to each existing table the columns it lacks; return them as ``table.column``.

    Before migrations, each new column was nullable or had a server default, so
    ``ALTER TABLE … ADD COLUMN`` brings any older create_all database to the baseline.
    """
    added: list[str] = []
    inspector = inspect(conn)
    for table in tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable and column.server_default is None:
                raise StoreError(
                    f"the database's table {table.name} lacks column {column.name}, "
                    "which cannot be added in place (no default)"
                )
            ddl = CreateColumn(column).compile(dialect=conn.dialect)
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {ddl}"))
            added.append(f"{table.name}.{column.name}")
    return added
