"""swarmdeck.store against real databases: SQLite in a temporary data directory, and a fresh
database on a private PostgreSQL server (``database_url``, tests/support/postgres.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import text

from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import Conflict, Invalid, NotFound, Role, Store, StoreError

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path, database_url):
    s = Store(tmp_path / "data", database_url)
    yield s
    s.close()


def _sql(store, statement, **params):
    """Run SQL on the store's own database, whichever it is; the rows."""
    with store.engine.begin() as conn:
        result = conn.execute(text(statement), params)
        return result.all() if result.returns_rows else []


def test_sqlite_in_wal_mode_in_a_private_data_dir(tmp_path):
    store = Store(tmp_path / "data")
    db = tmp_path / "data" / "swarmdeck.db"
    assert db.is_file()
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    store.has_admin()  # opens a connection with the pragmas
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_passwords_are_argon2_hashes_and_authenticate(store):
    store.create_user("alice", PASSWORD, Role.OPERATOR)
    stored = _sql(store, "SELECT password_hash FROM users")[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert store.authenticate("alice", PASSWORD).role is Role.OPERATOR
    assert store.authenticate("alice", PASSWORD + "x") is None
    assert store.authenticate("nobody", PASSWORD) is None


def test_first_admin_only_once(store):
    assert not store.has_admin()
    store.create_first_admin("root", PASSWORD)
    assert store.has_admin()
    with pytest.raises(Conflict):
        store.create_first_admin("other", PASSWORD)


@pytest.mark.parametrize(
    ("username", "password", "role"),
    [
        ("bob", "short", "admin"),
        ("bo b", PASSWORD, "admin"),
        ("", PASSWORD, "admin"),
        ("bob", PASSWORD, "superuser"),
    ],
)
def test_bad_users_are_refused_with_one_error(store, username, password, role):
    with pytest.raises(Invalid) as info:
        store.create_user(username, password, role)
    assert isinstance(info.value, StoreError) and isinstance(info.value, SwarmdeckError)
    assert store.list_users() == []


def test_duplicate_user_and_last_admin_protected(store):
    store.create_user("root", PASSWORD, Role.ADMIN)
    with pytest.raises(Conflict):
        store.create_user("root", PASSWORD, Role.READ_ONLY)
    with pytest.raises(Conflict):
        store.delete_user("root")
    with pytest.raises(Conflict):
        store.update_user("root", role=Role.OPERATOR)
    store.create_user("root2", PASSWORD, Role.ADMIN)
    store.update_user("root", role="read-only")
    assert store.get_user("root").role is Role.READ_ONLY
    store.delete_user("root")
    with pytest.raises(NotFound):
        store.get_user("root")


def test_tokens_are_stored_as_hashes_and_shown_once(store):
    store.create_user("ci", PASSWORD, Role.OPERATOR)
    record, plain = store.create_token("ci", "deploy script")
    assert plain.startswith("sdk_") and len(plain) > 40
    tokens = _sql(store, "SELECT * FROM api_tokens")
    assert tokens and plain not in repr(tokens)
    assert store.verify_token(plain).username == "ci"
    assert store.verify_token(plain + "x") is None
    listed = store.list_tokens("ci")
    assert [t.name for t in listed] == ["deploy script"] and listed[0].last_used_at is not None
    first_use = listed[0].last_used_at
    store.verify_token(plain)  # within the minute: not written again
    assert store.list_tokens("ci")[0].last_used_at == first_use
    # As if used 2 minutes ago.
    _sql(store, "UPDATE api_tokens SET last_used_at = :at", at=first_use - timedelta(minutes=2))
    assert store.list_tokens("ci")[0].last_used_at == first_use - timedelta(minutes=2)
    store.verify_token(plain)
    assert store.list_tokens("ci")[0].last_used_at >= first_use  # moved to now
    store.revoke_token("ci", record.id)
    assert store.verify_token(plain) is None
    with pytest.raises(NotFound):
        store.revoke_token("ci", record.id)


def test_sessions_expire_and_end_on_password_change(store):
    store.create_user("alice", PASSWORD, Role.READ_ONLY)
    sid, record = store.create_session("alice", timedelta(hours=1))
    assert store.get_session(sid).csrf_token == record.csrf_token
    store.delete_session(sid)
    assert store.get_session(sid) is None
    old, _ = store.create_session("alice", timedelta(seconds=-1))
    assert store.get_session(old) is None
    live, _ = store.create_session("alice", timedelta(hours=1))
    store.update_user("alice", password=PASSWORD + "!")
    assert store.get_session(live) is None


def test_endpoints_validated(tmp_path, store):
    local = store.add_endpoint("local", "unix:///var/run/docker.sock")
    assert local.kind == "unix" and not local.insecure
    plain = store.add_endpoint("lab", "tcp://10.0.0.5:2375")
    assert plain.insecure
    cert, key, ca = (tmp_path / n for n in ("cert.pem", "key.pem", "ca.pem"))
    for f in (cert, key, ca):
        f.write_text("x")
    tls = store.add_endpoint("secure", "tcp://10.0.0.6:2376", str(ca), str(cert), str(key))
    assert tls.tls and not tls.insecure
    assert store.add_endpoint("remote", "ssh://deploy@10.0.0.7").kind == "ssh"
    for bad in [("x", "http://h:1"), ("y", "tcp://h"), ("z", "unix://relative"), ("w w", "tcp://h:1")]:
        with pytest.raises(Invalid):
            store.add_endpoint(*bad)
    with pytest.raises(Invalid):
        store.add_endpoint("t", "tcp://h:2376", tls_cert=str(cert))
    with pytest.raises(Invalid):
        store.add_endpoint("t", "tcp://h:2376", str(tmp_path / "missing.pem"))
    with pytest.raises(Conflict):
        store.add_endpoint("local", "unix:///run/other.sock")
    edited = store.update_endpoint("secure", tls_ca="")
    assert edited.tls_ca is None and edited.tls_cert == str(cert)
    store.remove_endpoint("lab")
    assert [e.name for e in store.list_endpoints()] == ["local", "remote", "secure"]


def test_audit_log_newest_first(store):
    for i in range(3):
        store.audit("alice", "container.stop", "ok", target=f"c{i}", endpoint="local", client="127.0.0.1")
    store.audit("bob", "image.remove", "error: in use")
    entries, total = store.list_audit(limit=2)
    assert total == 4 and [e.action for e in entries] == ["image.remove", "container.stop"]
    stops, n = store.list_audit(action="container.stop")
    assert n == 3 and stops[0].target == "c2" and stops[0].at.tzinfo is not None


def test_database_url_that_cannot_work_is_one_store_error(tmp_path):
    with pytest.raises(StoreError):
        Store(tmp_path, "nosuchdialect://x")


def test_an_endpoint_longer_than_its_columns_is_refused_on_every_database(tmp_path, store):
    # PostgreSQL enforces the columns' lengths (SQLite does not): a value over them must be a
    # clear refusal on both, never a database error, and change nothing.
    long_path = "/" + "a" * 600
    for bad in [
        ("long", f"tcp://10.0.0.5:2375{long_path}"),
        ("long", f"ssh://deploy@10.0.0.7{long_path}"),
        ("long", f"unix://{long_path}"),
    ]:
        with pytest.raises(Invalid, match="at most 512 characters"):
            store.add_endpoint(*bad)
    store.add_endpoint("lab", "tcp://10.0.0.5:2375")
    with pytest.raises(Invalid, match="at most 512 characters"):
        store.update_endpoint("lab", url=f"tcp://10.0.0.5:2375{long_path}")
    deep = tmp_path.joinpath(*(["d" * 200] * 6))
    deep.mkdir(parents=True)
    (deep / "ca.pem").write_text("x")
    with pytest.raises(Invalid, match="at most 1024 characters"):
        store.add_endpoint("deep", "tcp://10.0.0.6:2376", str(deep / "ca.pem"))
    assert [(e.name, e.url) for e in store.list_endpoints()] == [("lab", "tcp://10.0.0.5:2375")]


def test_the_registry_index_is_searched_ignoring_case_on_every_database(store):
    from swarmdeck.store.registry_index import RegistryIndex

    index = RegistryIndex(store)
    index.replace("reg", ["team/app", "team/application", "other/thing", "100%/x_y"])
    assert index.page("reg", "APP", 0, 10) == (["team/app", "team/application"], 2)
    assert index.page("reg", "app", 0, 10) == (["team/app", "team/application"], 2)
    assert index.page("reg", "%/X_", 0, 10) == (["100%/x_y"], 1)  # wildcards are plain characters
    assert index.page("reg", "", 2, 2) == (["team/app", "team/application"], 4)


def test_a_walk_keeps_a_repository_another_console_process_indexed_meanwhile(store):
    # Two console processes on one database each keep their own CatalogIndex: a push notified
    # to one while the other walks the catalog (listed before that push) stays indexed.
    from swarmdeck.console.registry_index import CatalogIndex
    from swarmdeck.store.registry_index import RegistryIndex

    walking, notified = CatalogIndex(RegistryIndex(store)), CatalogIndex(RegistryIndex(store))
    walking.rebuild("reg", lambda: ["team/a"])

    def walk() -> list[str]:
        listed = ["team/a", "team/b"]  # the catalog as the walk read it
        notified.pushed("reg", "team/new")  # then pushed, and told to the other process
        return listed

    walking.rebuild("reg", walk)
    assert store_page(store) == ["team/a", "team/b", "team/new"]
    walking.rebuild("reg", lambda: ["team/a"])  # nothing notified during this walk: its list
    assert store_page(store) == ["team/a"]


def store_page(store) -> list[str]:
    from swarmdeck.store.registry_index import RegistryIndex

    return RegistryIndex(store).page("reg", "", 0, 100)[0]


def test_two_consoles_demoting_the_last_two_admins_at_once_keep_one_on_postgresql(tmp_path, postgres_server):
    # Replicas share PostgreSQL, whose transactions (READ COMMITTED) do not see each other's
    # uncommitted changes: another console has demoted admin "one" and not yet committed when
    # this one demotes "two". Counting the admins without locking them saw two and made none.
    import threading

    store = Store(tmp_path / "data", postgres_server.new_database())
    try:
        assert store.engine.dialect.name == "postgresql"
        store.create_user("one", PASSWORD, Role.ADMIN)
        store.create_user("two", PASSWORD, Role.ADMIN)
        outcome: list[BaseException | None] = []

        def demote_two() -> None:
            try:
                store.update_user("two", role=Role.OPERATOR)
                outcome.append(None)
            except SwarmdeckError as exc:
                outcome.append(exc)

        with store.engine.connect() as other:  # the other console's open transaction
            other.execute(text("UPDATE users SET role = 'operator' WHERE username = 'one'"))
            worker = threading.Thread(target=demote_two)
            worker.start()
            worker.join(timeout=3)  # it waits for the other transaction: it locked the admins
            assert worker.is_alive() and not outcome
            other.commit()
        worker.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
        assert "last admin" in str(outcome[0])
        assert [u.username for u in store.list_users() if u.role is Role.ADMIN] == ["two"]
    finally:
        store.close()
