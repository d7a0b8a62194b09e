"""Where the console keeps its state: SQLite (WAL) under the data directory, or a database URL."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from swarmdeck.store.datadir import owner_only_file
from swarmdeck.store.errors import StoreError
from swarmdeck.store.models import Base
from swarmdeck.store.schema import add_missing_columns

DB_FILE = "swarmdeck.db"


def default_data_dir() -> Path:
    """$SWARMDECK_DATA_DIR, else $XDG_DATA_HOME/swarmdeck, else ~/.local/share/swarmdeck."""
    if os.environ.get("SWARMDECK_DATA_DIR"):
        return Path(os.environ["SWARMDECK_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "swarmdeck"


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data directory (0700: it holds password hashes and the session secret)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from exc
    return data_dir


def open_engine(data_dir: Path, url: str | None = None) -> Engine:
    """An engine on ``url`` (e.g. ``postgresql+psycopg://…``) or on SQLite in ``data_dir``."""
    if url is None:
        ensure_data_dir(data_dir)
        owner_only_file(data_dir / DB_FILE)  # 0600 before SQLite makes it (its -wal/-shm follow)
        engine = create_engine(
            f"sqlite:///{data_dir / DB_FILE}", connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot use the database URL: {exc}") from exc
    # Two processes opening a new SQLite file at once (two `machine create`s) would both
    # create its tables, and the second fails: the schema is made by one at a time.
    with _schema_lock(data_dir if url is None else None):
        try:
            Base.metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot open the console's database: {exc.__class__.__name__}: "
                f"{str(exc.orig) if hasattr(exc, 'orig') else exc}"
            ) from exc
        add_missing_columns(engine, Base.metadata.sorted_tables)
    return engine


@contextlib.contextmanager
def _schema_lock(data_dir: Path | None) -> Iterator[None]:
    if data_dir is None:
        yield
        return
    lock = data_dir / ".schema.lock"
    owner_only_file(lock)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
