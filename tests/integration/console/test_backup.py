"""Backup and restore of the console's state (store/backup.py): the settings page's download
and `swarmdeck console backup/restore`, restored into a fresh data directory and logged into;
archives from a newer swarmdeck, damaged ones and path tricks refused with nothing changed."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from swarmdeck.console import create_app
from swarmdeck.store import Store
from swarmdeck.store.backup import MANIFEST
from swarmdeck.store.directory import Directory
from tests.support.cli import swarmdeck
from tests.support.console import PASSWORD, login, store_of

ENDPOINT_URL = "unix:///var/run/docker.sock"


def _restored(archive: Path, target: Path) -> None:
    run = swarmdeck("console", "restore", str(archive), "--data-dir", str(target))
    assert run.returncode == 0, run.stderr
    assert f"into {target}" in run.stdout


def _log_in_restored(target: Path) -> None:
    """A console on the restored directory: the user logs in, the endpoint and settings are there."""
    app = create_app(target)
    try:
        client = TestClient(app)
        answer = client.post("/api/auth/login", json={"username": "oper", "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        assert client.get("/api/auth/me").status_code == 200
        admin = login(app, "admin")
        names = {e["name"] for e in admin.get("/api/endpoints").json()}
        assert "backed" in names
        assert admin.get("/api/settings/workloads").json()["allowed_host_paths"] == ["/srv/backed"]
    finally:
        app.state.console.close()


def test_the_settings_page_download_restores_into_a_fresh_data_dir(app, admin, viewer, tmp_path):
    store = store_of(app)
    store.add_endpoint("backed", ENDPOINT_URL)
    assert (
        admin.put("/api/settings/workloads", json={"allowed_host_paths": ["/srv/backed"]}).status_code == 200
    )
    page = admin.get("/settings")
    assert 'href="/settings/backup"' in page.text
    assert viewer.get("/settings/backup").status_code == 403
    # The console is live (WAL in use, a session open) while the backup is taken.
    answer = admin.get("/settings/backup")
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"
    archive = tmp_path / "console.tar.gz"
    archive.write_bytes(answer.content)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
    assert names[0] == MANIFEST
    assert {"data/swarmdeck.db", "data/session.key"} <= set(names)
    assert not any(n.endswith(("-wal", "-shm", ".schema.lock")) for n in names)
    assert manifest["format"] == 1 and manifest["swarmdeck_version"] and manifest["created"]
    audit = admin.get("/api/audit").json()
    rows = audit["items"] if isinstance(audit, dict) else audit
    assert any(r["action"] == "settings.backup" and r["result"] == "ok" for r in rows), rows
    target = tmp_path / "restored" / "data"
    _restored(archive, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in target.rglob("*") if p.is_file())
    _log_in_restored(target)


def test_the_command_line_backs_up_and_restores(app, tmp_path):
    store = store_of(app)
    store.add_endpoint("backed", ENDPOINT_URL)
    admin = login(app, "admin")
    assert (
        admin.put("/api/settings/workloads", json={"allowed_host_paths": ["/srv/backed"]}).status_code == 200
    )
    directory = {
        "url": "ldap://127.0.0.1:1",
        "bind_dn": "cn=swarmdeck,dc=example,dc=org",
        "bind_password": "kept encrypted",
        "user_base": "dc=example,dc=org",
        "mappings": [{"group": "cn=ops,dc=example,dc=org", "role": "operator"}],
    }
    assert admin.put("/api/settings/directory", json=directory).status_code == 200
    archive = tmp_path / "cli.tar.gz"
    run = swarmdeck("console", "backup", str(archive), "--data-dir", str(store.data_dir))
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds the keys
    target = tmp_path / "fresh"
    target.mkdir()  # an empty directory will do
    _restored(archive, target)
    _log_in_restored(target)
    restored = Store(target)
    try:  # the encrypted bind password still opens: the key came with the database
        assert Directory(restored, target).bind_password() == "kept encrypted"
    finally:
        restored.close()
    again = swarmdeck("console", "restore", str(archive), "--data-dir", str(target))
    assert again.returncode == 1 and "is not empty" in again.stderr and "Traceback" not in again.stderr


def _archive(
    path: Path, manifest: dict[str, object], members: list[tarfile.TarInfo | tuple[str, bytes]]
) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tar.addfile(member)
            else:
                name, data = member
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def good(app, tmp_path) -> Path:
    archive = tmp_path / "good.tar.gz"
    run = swarmdeck("console", "backup", str(archive), "--data-dir", str(store_of(app).data_dir))
    assert run.returncode == 0, run.stderr
    return archive


def _members(archive: Path) -> tuple[dict[str, object], list[tuple[str, bytes]]]:
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
        files = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()[1:]]  # type: ignore[union-attr]
    return manifest, files


def _link(name: str, to: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, to
    return info


def _tricks(good: Path, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    manifest, files = _members(good)
    newer = dict(manifest, swarmdeck_version="99.0.0")
    newer_format = dict(manifest, format=2)
    raw = good.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(raw[: len(raw) // 2])
    flipped = tmp_path / "flipped.tar.gz"
    files_flipped = [
        (n, d[:-1] + bytes([d[-1] ^ 1])) if n.endswith("session.key") else (n, d) for n, d in files
    ]
    not_tar = tmp_path / "notes.txt"
    not_tar.write_text("not a backup\n")
    return {
        "newer swarmdeck": (_archive(tmp_path / "newer.tgz", newer, files), "newer than this swarmdeck"),
        "newer format": (_archive(tmp_path / "format.tgz", newer_format, files), "newer than this swarmdeck"),
        "dot-dot": (
            _archive(tmp_path / "dots.tgz", manifest, [*files, ("data/../../evil", b"x")]),
            "outside",
        ),
        "absolute": (_archive(tmp_path / "abs.tgz", manifest, [*files, ("/tmp/evil", b"x")]), "outside"),
        "symlink": (
            _archive(tmp_path / "sym.tgz", manifest, [_link("data/x", "/etc/passwd"), *files]),
            "link",
        ),
        "hard link": (
            _archive(
                tmp_path / "hard.tgz", manifest, [_link("data/x", "/etc/passwd", tarfile.LNKTYPE), *files]
            ),
            "link",
        ),
        "cut short": (cut, "damaged"),
        "a bit flipped": (_archive(flipped, manifest, files_flipped), "damaged"),
        "not a tar": (not_tar, "damaged"),
    }


def test_bad_archives_are_refused_with_one_error_and_nothing_changed(good, tmp_path):
    bad = _tricks(good, tmp_path / "made")  # made in a folder of their own
    for label, (archive, reason) in bad.items():
        parent = tmp_path / label.replace(" ", "-")
        parent.mkdir()
        target = parent / "new" / "data"  # its parent too is made only if the restore works
        run = swarmdeck("console", "restore", str(archive), "--data-dir", str(target))
        assert run.returncode == 1, (label, run.stdout, run.stderr)
        assert reason in run.stderr, (label, run.stderr)
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) <= 3, (
            label,
            run.stderr,
        )
        assert list(parent.iterdir()) == [], (label, list(parent.iterdir()))  # nothing made, nothing left
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


@pytest.fixture(autouse=True)
def _made(tmp_path: Path) -> None:
    (tmp_path / "made").mkdir()
