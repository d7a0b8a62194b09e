"""Where the console keeps its state: SQLite (WAL) under the data directory, or a database URL
(given as such, or in a file: a swarm secret, so that the URL's password stays out of the
service's spec and environment)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from swarmdeck.store.datadir import default_data_dir as default_data_dir
from swarmdeck.store.datadir import owner_only_file
from swarmdeck.store.errors import StoreError
from swarmdeck.store.schema import upgrade

DB_FILE = "swarmdeck.db"


def ensure_data_dir(data_dir: Path) -> Path:
    """Create the data directory (0700: it holds password hashes and the session secret)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from exc
    return data_dir


def read_database_url_file(path: Path) -> str:
    """The database URL in ``path`` (its one line; surrounding blanks ignored). Refuses a file
    that cannot be read or holds no URL; the message never shows the file's content."""
    try:
        url = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise StoreError(f"cannot read the database URL file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise StoreError(f"the database URL file {path} is not UTF-8 text") from exc
    if not url:
        raise StoreError(
            f"the database URL file {path} is empty: it should hold one URL "
            "(postgresql+psycopg://USER:PASSWORD@HOST/DB)"
        )
    if "\n" in url:
        raise StoreError(f"the database URL file {path} holds several lines: it should hold one URL")
    return url


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
    # The schema is made and migrated at every start, one process at a time (store/schema.py).
    upgrade(engine, _lock_file(engine, data_dir if url is None else None))
    return engine


def _lock_file(engine: Engine, data_dir: Path | None) -> Path | None:
    """The file that serialises schema changes on SQLite: beside the database (None: no file)."""
    if data_dir is not None:
        return data_dir / ".schema.lock"
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        return Path(database).with_name(Path(database).name + ".schema.lock")
    return None


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
