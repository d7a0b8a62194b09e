"""The console database's migrations (store/schema.py, store/migrations) on SQLite and on a
private PostgreSQL server: a database at the previous release's schema keeps its rows up to
head, a database made before migrations is adopted, head matches the models, concurrent
starts do not race, and a database from a newer release is refused without a change."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, inspect, text

import swarmdeck.store.gitstacks
import swarmdeck.store.registries
import swarmdeck.store.registry_index
import swarmdeck.store.workloads  # noqa: F401  (their tables join the models' metadata)
from swarmdeck.store import Role, Store, StoreError
from swarmdeck.store.migrations import baseline
from swarmdeck.store.models import Base
from swarmdeck.store.schema import BASELINE, current_revision, head, upgrade

PASSWORD = "correct horse battery"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
TLS_COLUMNS = {"tls_ca_pem", "tls_cert_pem", "tls_key_sealed"}


def _engine(data: Path, database_url: str | None) -> Engine:
    """A bare engine on the database the Store would open (no migrations run)."""
    data.mkdir(mode=0o700, exist_ok=True)
    return create_engine(database_url or f"sqlite:///{data / 'swarmdeck.db'}")


def _fill(engine: Engine) -> None:
    """Rows in every table of the baseline schema, as the previous release wrote them."""
    rows = {
        "users": [
            {"id": 1, "username": "alice", "role": "admin", "password_hash": PasswordHasher().hash(PASSWORD)}
        ],
        "api_tokens": [{"id": 1, "user_id": 1, "name": "ci", "token_hash": "ab" * 32, "prefix": "sdk_abc"}],
        "sessions": [{"id_hash": "cd" * 32, "user_id": 1, "csrf_token": "x", "expires_at": WHEN}],
        "endpoints": [{"id": 1, "name": "old", "url": "tcp://10.0.0.5:2375", "kind": "tcp"}],
        "teams": [{"id": 1, "name": "ops"}],
        "team_members": [{"team_id": 1, "user_id": 1}],
        "team_endpoints": [{"team_id": 1, "endpoint_id": 1}],
        "audit_log": [
            {
                "username": "alice",
                "action": "user.add",
                "target": "bob",
                "endpoint": "",
                "result": "ok",
                "client": "",
            }
        ],
        "login_failures": [{"username": "bob", "client": "10.0.0.9", "at": WHEN}],
        "login_delays": [{"username": "bob", "failures": 3, "attempts": 3, "last_at": WHEN, "until": WHEN}],
        "registries": [{"id": 1, "name": "lab", "address": "10.0.0.5:5000"}],
        "workload_host_paths": [{"id": 1, "path": "/srv/data"}],
    }
    with engine.begin() as conn:
        for table in baseline.metadata.sorted_tables:
            for row in rows[table.name]:
                for column in table.columns:
                    if (
                        isinstance(column.type, baseline.DateTime)
                        and column.name not in row
                        and not column.nullable
                    ):
                        row[column.name] = WHEN
                conn.execute(table.insert().values(**row))


def _check_rows_kept(store: Store) -> None:
    assert store.authenticate("alice", PASSWORD).role is Role.ADMIN
    old = store.get_endpoint("old")
    assert old.url == "tcp://10.0.0.5:2375" and not old.tls_material
    entries, total = store.list_audit()
    assert total == 1 and entries[0].target == "bob" and entries[0].at == WHEN
    with store.engine.connect() as conn:
        scope = conn.execute(text("SELECT scope FROM api_tokens")).scalar_one()
        members = conn.execute(text("SELECT count(*) FROM team_members")).scalar_one()
        paths = conn.execute(text("SELECT path FROM workload_host_paths")).scalar_one()
        delays = conn.execute(text("SELECT failures FROM login_delays")).scalar_one()
    assert (scope, members, paths, delays) == ("all", 1, "/srv/data", 3)


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_a_new_database_is_made_at_head_matching_the_models(tmp_path, database_url):
    store = Store(tmp_path / "data", database_url)
    try:
        assert current_revision(store.engine) == head()
        assert _differences(store.engine) == []
    finally:
        store.close()


def test_a_baseline_database_with_rows_upgrades_to_head_keeping_them(tmp_path, database_url):
    engine = _engine(tmp_path / "data", database_url)
    upgrade(engine, None, BASELINE)  # the previous release's schema, made by the baseline revision
    _fill(engine)
    assert current_revision(engine) == BASELINE
    assert not TLS_COLUMNS & {c["name"] for c in inspect(engine).get_columns("endpoints")}
    engine.dispose()
    store = Store(tmp_path / "data", database_url)
    try:
        assert current_revision(store.engine) == head() != BASELINE
        assert _differences(store.engine) == []
        _check_rows_kept(store)
    finally:
        store.close()


# Tables added by revisions after the last schema create_all made (0003 stack history, 0004
# directory login, 0005 registry index, 0006 Git stacks).
LATER = {
    "stack_versions",
    "app_templates",
    "directory_settings",
    "directory_users",
    "registry_repositories",
    "registry_index_state",
    "git_stacks",
}


@pytest.mark.parametrize("made_by", ["previous release", "last create_all", "older release"])
def test_a_database_made_before_migrations_is_stamped_and_upgraded(tmp_path, database_url, made_by):
    engine = _engine(tmp_path / "data", database_url)
    # What create_all made, without alembic_version: the models of the previous release, or
    # those of main after the TLS material (the last before migrations).
    if made_by == "last create_all":  # its tables then: none of those revisions 0003 on add
        Base.metadata.create_all(
            engine, tables=[t for n, t in Base.metadata.tables.items() if n not in LATER]
        )
    else:
        baseline.metadata.create_all(engine)
    _fill(engine)
    with engine.begin() as conn:
        if made_by == "older release":  # before token scopes and login delays
            conn.execute(text("ALTER TABLE api_tokens DROP COLUMN scope"))
            conn.execute(text("ALTER TABLE api_tokens DROP COLUMN expires_at"))
            conn.execute(text("DROP TABLE login_delays"))
    if made_by == "older release":
        with engine.begin() as conn:
            baseline.metadata.tables["login_delays"].create(conn)
            conn.execute(
                baseline.metadata.tables["login_delays"]
                .insert()
                .values(username="bob", failures=3, attempts=3, last_at=WHEN, until=WHEN)
            )
    engine.dispose()
    store = Store(tmp_path / "data", database_url)
    try:
        assert current_revision(store.engine) == head()
        assert _differences(store.engine) == []
        _check_rows_kept(store)
    finally:
        store.close()


def test_consoles_starting_at_once_make_the_schema_once(tmp_path, database_url):
    # Same data directory (SQLite: the file lock) or same database (PostgreSQL: the advisory lock).
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    stores: list[Store] = []

    def open_one() -> None:
        start.wait()
        try:
            stores.append(Store(tmp_path / "data", database_url))
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == [] and len(stores) == 4
        assert current_revision(stores[0].engine) == head()
        stores[0].create_user("alice", PASSWORD, Role.ADMIN)
        assert stores[3].authenticate("alice", PASSWORD) is not None
    finally:
        for s in stores:
            s.close()


def test_a_database_from_a_newer_release_is_refused_unchanged(tmp_path, database_url):
    Store(tmp_path / "data", database_url).close()
    engine = _engine(tmp_path / "data", database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        before = sorted(inspect(conn).get_table_names())
    with pytest.raises(StoreError, match="9999"):
        Store(tmp_path / "data", database_url)
    assert current_revision(engine) == "9999"
    assert sorted(inspect(engine).get_table_names()) == before
    engine.dispose()


def test_stamped_times_stay_utc(tmp_path, database_url):
    store = Store(tmp_path / "data", database_url)
    try:
        store.audit("alice", "user.add", "ok")
        at = store.list_audit()[0][0].at
        assert at.tzinfo is not None and abs(datetime.now(UTC) - at) < timedelta(minutes=1)
    finally:
        store.close()
