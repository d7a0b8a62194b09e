"""Issue 10, item 7: the data directory is the owner's alone (0700, its files 0600), also when
it already existed with looser modes; the console says what it tightened.

Checked with os.stat while a real console runs and after it has written: its database with
the -wal and -shm files SQLite makes, the session key, the registry key, a registry's CA file,
the setup code.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx

from swarmdeck.console import create_app
from tests.support.console import PASSWORD, setup_code_of
from tests.support.pki import a_ca_pem
from tests.support.served import serve_app
from tests.testbed.redis import free_port

from .auth_live import serve_process

OWNER_FILES = {
    "swarmdeck.db",
    "swarmdeck.db-wal",
    "swarmdeck.db-shm",
    "session.key",
    "registry.key",
    "registry-ca/local-ca.crt",
    ".schema.lock",  # held while one process makes or migrates the schema (store/schema.py)
}


def modes(data: Path) -> dict[str, int]:
    """Every path under ``data`` (and ``data`` itself as "."), with its permission bits."""
    found = {".": stat.S_IMODE(data.stat().st_mode)}
    for root, dirs, files in os.walk(data):
        for name in dirs + files:
            path = Path(root) / name
            found[str(path.relative_to(data))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def use_the_console(url: str, data: Path) -> None:
    """Set it up and add a registry with a password and a CA: every kind of file gets written."""
    with httpx.Client(base_url=url, timeout=60) as http:
        made = http.post(
            "/api/setup", json={"username": "root", "password": PASSWORD, "setup_code": setup_code_of(data)}
        )
        assert made.status_code == 201, made.text
        session = http.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
        http.headers["X-CSRF-Token"] = session.json()["csrf_token"]
        added = http.post(
            "/api/registries",
            json={
                "name": "local-ca",
                "address": f"127.0.0.1:{free_port()}",
                "username": "ci",
                "password": "registry secret",
                "ca_pem": a_ca_pem(),
                "force": True,  # nothing listens there: only the CA file matters
            },
        )
        assert added.status_code == 201, added.text
        http.post("/api/registries/local-ca/test")  # nothing listens there: only the CA file matters


def assert_owner_only(data: Path) -> None:
    found = modes(data)
    assert set(found) >= OWNER_FILES, sorted(found)
    loose = {path: f"{mode:04o}" for path, mode in found.items() if mode & 0o077}
    assert loose == {}
    assert found["."] == 0o700 and found["registry-ca"] == 0o700
    assert all(found[f] == 0o600 for f in OWNER_FILES), found


def test_a_fresh_data_dir_is_owner_only(tmp_path, engine):
    data = tmp_path / "fresh" / "data"
    app = create_app(data)
    try:
        assert app.state.loose_data_dir == []
        assert modes(data)["setup-code"] == 0o600
        with serve_app(app) as url:
            use_the_console(url, data)
            assert_owner_only(data)  # while it runs: the -wal and -shm files are there
    finally:
        app.state.console.close()
    assert not modes(data).keys() - {".", "registry-ca", *OWNER_FILES}


def test_a_loose_data_dir_is_tightened_and_the_console_says_so(tmp_path, engine):
    data = tmp_path / "data"
    app = create_app(data)
    try:
        with serve_app(app) as url:
            use_the_console(url, data)
            # As an older swarmdeck, a copy or a restored backup may have left it.
            for path in [data, *data.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            assert modes(data)["swarmdeck.db-wal"] == 0o644
    finally:
        app.state.console.close()
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    loose = set(modes(data))

    with serve_process(data) as (url, proc):
        with httpx.Client(base_url=url, timeout=60) as http:
            assert (
                http.post("/api/auth/login", json={"username": "root", "password": PASSWORD}).status_code
                == 200
            )
        assert_owner_only(data)
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    warnings = [line for line in output.splitlines() if "readable by others" in line]
    told = {line.split(": ", 2)[-1].split(" was ")[0] for line in warnings}
    assert told == {str(data / p) if p != "." else str(data) for p in loose}, output
    assert f"{data} was 0755, now 0700 (owner only)" in output
    assert f"{data / 'swarmdeck.db'} was 0644, now 0600 (owner only)" in output
    assert all(line.startswith("WARNING:") for line in warnings)
    assert PASSWORD not in output

    # Started again, it finds nothing to say.
    with serve_process(data) as (_, proc):
        proc.terminate()
        assert "readable by others" not in proc.communicate(timeout=30)[0]
