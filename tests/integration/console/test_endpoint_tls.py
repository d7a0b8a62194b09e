"""An endpoint's TLS material kept in the console's database (real SQLite, and a real
PostgreSQL for ``database_url``): the CA and the client certificate in the clear, the key
encrypted at rest; written out as owner-only files for the SDK; an existing SQLite database
gains the columns in place."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from swarmdeck.machine.certs import ensure_ca
from swarmdeck.store import Invalid, Store, TLSMaterial


@pytest.fixture
def material(tmp_path):
    files = ensure_ca(tmp_path / "certs")
    return TLSMaterial(files.ca.read_text(), files.cert.read_text(), files.key.read_text())


def test_material_is_kept_with_the_key_encrypted_and_written_out_owner_only(tmp_path, material, database_url):
    store = Store(tmp_path / "data", database_url)
    try:
        record = store.add_endpoint("node1", "tcp://203.0.113.5:2376", tls_material=material)
        assert record.tls and record.tls_material and not record.insecure
        assert (record.tls_ca, record.tls_cert, record.tls_key) == (None, None, None)
        with store.engine.connect() as conn:  # the row as the database holds it
            ca, cert, sealed = conn.execute(
                text("SELECT tls_ca_pem, tls_cert_pem, tls_key_sealed FROM endpoints WHERE name='node1'")
            ).one()
        assert store.engine.dialect.name == ("postgresql" if database_url else "sqlite")
        assert (ca, cert) == (material.ca_pem, material.cert_pem)
        sealed = bytes(sealed) if not isinstance(sealed, str) else sealed.encode()
        assert b"PRIVATE KEY" not in sealed and material.key_pem.encode() not in sealed
        key_file = tmp_path / "data" / "endpoint.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

        files = store.endpoint_tls_files(store.get_endpoint("node1"))
        assert [Path(f).read_text() for f in files] == [material.ca_pem, material.cert_pem, material.key_pem]
        for f in files:
            assert stat.S_IMODE((tmp_path / f).stat().st_mode) == 0o600
        assert store.endpoint_tls_files(record) == files  # the same files again

        store.remove_endpoint("node1")
        assert not any((tmp_path / f).exists() for f in files)
    finally:
        store.close()


def test_bad_material_is_refused_and_changes_nothing(tmp_path, material, database_url):
    store = Store(tmp_path / "data", database_url)
    try:
        with pytest.raises(Invalid, match="client key"):
            store.add_endpoint(
                "n", "tcp://h:2376", tls_material=TLSMaterial(material.ca_pem, material.cert_pem, "x")
            )
        with pytest.raises(Invalid, match="CA is not"):
            store.add_endpoint(
                "n", "tcp://h:2376", tls_material=TLSMaterial("x", material.cert_pem, material.key_pem)
            )
        with pytest.raises(Invalid, match="tcp://"):
            store.add_endpoint("n", "unix:///var/run/docker.sock", tls_material=material)
        assert store.list_endpoints() == []
        store.add_endpoint("n", "tcp://h:2376", tls_material=material)
        with pytest.raises(Invalid, match="keeps its TLS material"):
            store.update_endpoint("n", url="unix:///var/run/docker.sock")
        assert store.get_endpoint("n").url == "tcp://h:2376"
    finally:
        store.close()


def test_a_database_from_before_gains_the_columns(tmp_path, material):
    Store(tmp_path / "data").close()
    db = tmp_path / "data" / "swarmdeck.db"
    with sqlite3.connect(db) as conn:  # as create_all made it before migrations: unversioned
        conn.execute("DROP TABLE alembic_version")
        for table in (
            "stack_versions",
            "app_templates",
            "directory_settings",
            "directory_users",
            "git_stacks",
            "registry_repositories",
            "registry_index_state",
        ):
            conn.execute(f"DROP TABLE {table}")  # made by revisions after that
        for column in ("tls_ca_pem", "tls_cert_pem", "tls_key_sealed"):
            conn.execute(f"ALTER TABLE endpoints DROP COLUMN {column}")
        conn.execute(
            "INSERT INTO endpoints (name, url, kind, created_at) "
            "VALUES ('old', 'tcp://10.0.0.5:2375', 'tcp', '2026-01-01 00:00:00')"
        )
    store = Store(tmp_path / "data")
    try:
        old = store.get_endpoint("old")
        assert old.insecure and not old.tls_material
        store.add_endpoint("node1", "tcp://203.0.113.5:2376", tls_material=material)
        assert [e.name for e in store.list_endpoints()] == ["node1", "old"]
    finally:
        store.close()


def test_the_console_never_falls_back_to_unverified_tls(tmp_path, material, database_url):
    from swarmdeck.console.endpoints import probe

    store = Store(tmp_path / "data", database_url)
    try:
        record = store.add_endpoint("node1", "tcp://127.0.0.1:9", tls_material=material)
        answer = probe(record, timeout=2)  # without the files the store writes out
        assert not answer["healthy"] and "its files were not given" in answer["error"]
    finally:
        store.close()
