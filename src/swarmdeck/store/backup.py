"""Backup and restore of the console's state: the data directory as one tar archive.

A backup holds ``manifest.json`` first (the format version, the swarmdeck version that made
it, when, and each file's size and SHA-256), then the data directory's files under ``data/``:
the database, copied with SQLite's backup API (a consistent snapshot even while the console
writes to it in WAL mode, which a file copy is not), the session and encryption keys, the
registries' CA files and the rest. SQLite's side files (``-wal``, ``-shm``) and the schema
lock are left out: the snapshot is whole without them.

A restore checks the whole archive before it writes anything: a member named with ``..``,
an absolute name, a link or a device, a file the manifest does not list or whose digest
differs, a damaged archive, or a backup from a newer swarmdeck (or a newer format) is
refused with one error. It unpacks into a new directory beside the target and renames it into
place, so the target is either untouched or whole. It restores into a directory that does not
exist or is empty only: an existing console's state is never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from swarmdeck import __version__
from swarmdeck.store.db import DB_FILE
from swarmdeck.store.errors import StoreError

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data"
# SQLite's side files and the schema lock: not state, and the snapshot needs none of them.
SKIPPED = {f"{DB_FILE}-wal", f"{DB_FILE}-shm", f"{DB_FILE}-journal", ".schema.lock"}
CHUNK = 1 << 20


class BackupError(StoreError):
    """A backup could not be made, or an archive is not one this swarmdeck can restore."""


@dataclass(frozen=True)
class Manifest:
    format: int
    swarmdeck_version: str
    created: str
    files: dict[str, dict[str, object]]  # relative path -> {"size": int, "sha256": str}


def write_backup(data_dir: Path, out: IO[bytes]) -> Manifest:
    """Write a backup of ``data_dir`` (a console on SQLite) to ``out`` as a gzipped tar."""
    data_dir = Path(data_dir)
    db = data_dir / DB_FILE
    if not db.is_file():
        raise BackupError(f"no console database in {data_dir} ({DB_FILE} is missing)")
    with tempfile.TemporaryDirectory(prefix="swarmdeck-backup-") as scratch:
        snapshot = Path(scratch) / DB_FILE
        _snapshot(db, snapshot)
        sources = {DB_FILE: snapshot} | {
            rel: data_dir / rel for rel in _state_files(data_dir) if rel != DB_FILE
        }
        files = {rel: {"size": p.stat().st_size, "sha256": _digest(p)} for rel, p in sorted(sources.items())}
        manifest = Manifest(FORMAT, __version__, _now(), files)
        body = json.dumps(manifest.__dict__, indent=2).encode()
        with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            tar.addfile(info, io.BytesIO(body))
            for rel, path in sorted(sources.items()):
                info = tarfile.TarInfo(f"{DATA}/{rel}")
                info.size, info.mode, info.mtime = int(files[rel]["size"]), 0o600, int(path.stat().st_mtime)  # type: ignore[call-overload]
                with path.open("rb") as f:
                    tar.addfile(info, f)
    return manifest


def write_backup_file(data_dir: Path, target: Path) -> Manifest:
    """Write a backup to ``target`` (mode 0600: it holds the keys), whole or not at all."""
    target = Path(target)
    partial = target.with_name(f".{target.name}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            manifest = write_backup(data_dir, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def restore_backup(archive: Path, data_dir: Path) -> Manifest:
    """Unpack the backup ``archive`` as the data directory ``data_dir`` (absent or empty)."""
    archive, data_dir = Path(archive), Path(data_dir)
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupError(
            f"{data_dir} is not empty: restore into a new data directory (or move this one away first)"
        )
    made = [p for p in reversed(data_dir.absolute().parents) if not p.exists()]
    try:
        parent = data_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restore-", dir=parent))
    except OSError as exc:
        raise BackupError(f"cannot create a directory beside {data_dir}: {exc.strerror}") from exc
    try:
        manifest = _unpack(archive, staging)
        _check_database(staging / DB_FILE)
        with contextlib.suppress(FileNotFoundError):
            data_dir.rmdir()  # empty, checked above
        os.replace(staging, data_dir)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(made):  # the parents this restore made, deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise BackupError(f"cannot restore into {data_dir}: {exc.strerror or exc}") from exc
        raise
    return manifest


# --- making --------------------------------------------------------------------------
def _snapshot(db: Path, target: Path) -> None:
    try:
        source = sqlite3.connect(db, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the console's database {db}: {exc}") from exc


def _state_files(data_dir: Path) -> list[str]:
    """The data directory's regular files, relative, without SQLite's side files; symbolic
    links are not followed (nothing of the console's own is one)."""
    found = []
    for root, dirs, files in os.walk(data_dir):
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for name in files:
            path = Path(root) / name
            rel = path.relative_to(data_dir).as_posix()
            if rel in SKIPPED or path.is_symlink() or not path.is_file() or name.endswith(".part"):
                continue
            found.append(rel)
    return found


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


# --- restoring -------------------------------------------------------------------------
def _unpack(archive: Path, staging: Path) -> Manifest:
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()  # reads to the end: a cut archive fails here
            if not members or members[0].name != MANIFEST or not members[0].isfile():
                raise BackupError(f"{archive} is not a swarmdeck backup (no {MANIFEST} at its start)")
            manifest = _manifest(tar, members[0], archive)
            wanted = _check_members(members[1:], manifest, archive)
            for member in members[1:]:
                if member.isdir():
                    continue
                rel = wanted[member.name]
                _extract(tar, member, staging / rel, manifest.files[rel], archive)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, OSError) and exc.filename == str(archive):
            raise BackupError(f"cannot read {archive}: {exc.strerror}") from exc
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise BackupError(f"{archive} is damaged or not a swarmdeck backup: {reason}") from exc
    missing = sorted(set(manifest.files) - set(wanted.values()))
    if missing:
        raise BackupError(f"{archive} is damaged: it lacks {', '.join(missing)}")
    return manifest


def _manifest(tar: tarfile.TarFile, member: tarfile.TarInfo, archive: Path) -> Manifest:
    f = tar.extractfile(member)
    try:
        raw = json.loads(f.read(1 << 20) if f else b"")
        version, form = str(raw["swarmdeck_version"]), int(raw["format"])
        files = {
            str(k): {"size": int(v["size"]), "sha256": str(v["sha256"])} for k, v in raw["files"].items()
        }
        created = str(raw["created"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{archive} is damaged: its {MANIFEST} is unreadable ({exc})") from exc
    if form > FORMAT or _version(version) > _version(__version__):
        raise BackupError(
            f"{archive} was made by swarmdeck {version} (backup format {form}), newer than this "
            f"swarmdeck {__version__} (format {FORMAT}): restore it with swarmdeck {version} or later"
        )
    if DB_FILE not in files:
        raise BackupError(f"{archive} is damaged: it holds no {DB_FILE}")
    return Manifest(form, version, created, files)


def _check_members(members: list[tarfile.TarInfo], manifest: Manifest, archive: Path) -> dict[str, str]:
    """Each member's name -> its path in the data directory; a path trick is refused."""
    wanted: dict[str, str] = {}
    for member in members:
        name = PurePosixPath(member.name)
        if (
            name.is_absolute()
            or ".." in name.parts
            or "\\" in member.name
            or not name.parts
            or name.parts[0] != DATA
        ):
            raise BackupError(
                f"{archive} is refused: member {member.name!r} points outside the data directory"
            )
        if not (member.isfile() or member.isdir()):
            raise BackupError(
                f"{archive} is refused: member {member.name!r} is a link or a device, not a file"
            )
        if member.isdir():
            continue
        rel = PurePosixPath(*name.parts[1:]).as_posix()
        if rel not in manifest.files or member.name in wanted:
            raise BackupError(f"{archive} is damaged: member {member.name!r} is not in its manifest once")
        wanted[member.name] = rel
    return wanted


def _extract(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, expected: dict[str, object], archive: Path
) -> None:
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"{archive} is damaged: member {member.name!r} cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    h, size = hashlib.sha256(), 0
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != expected["size"] or h.hexdigest() != expected["sha256"]:
        raise BackupError(f"{archive} is damaged: {member.name} differs from its manifest's digest")


def _check_database(db: Path) -> None:
    try:
        conn = sqlite3.connect(db)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the backup's database is damaged: {exc}") from exc
    if not result or result[0] != "ok":
        raise BackupError(f"the backup's database is damaged: {result[0] if result else 'no answer'}")


def _version(text: str) -> tuple[int, ...]:
    """``1.2.3`` (a suffix such as ``rc1`` or ``.dev0`` ignored) as a comparable tuple."""
    parts = []
    for piece in text.split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (3 - len(parts)))
