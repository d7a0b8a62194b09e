"""The data directory is the owner's alone: it holds the database (password hashes, sessions,
encrypted registry passwords), the session and encryption keys and the one-time setup code.

swarmdeck makes it 0700 and every file in it 0600 (new files are created that way, the SQLite
database before SQLite opens it, so its ``-wal`` and ``-shm`` files, which SQLite gives the
database's mode, are owner-only too). A directory found with looser modes (made by an older
version, copied, or unpacked from a backup) is tightened at start-up, and the console says
which paths it tightened: group and other permission bits are removed from the directory and
from every file and folder in it that the console's user owns; symbolic links are left alone.

Where it is (``default_data_dir``) and the folders in it that the console and the CLI keep
their journals in are named here, once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from swarmdeck.store.errors import StoreError


def default_data_dir() -> Path:
    """$SWARMDECK_DATA_DIR, else $XDG_DATA_HOME/swarmdeck, else ~/.local/share/swarmdeck.
    (Here, not in ``db``: the CLI's commands that keep state there need no SQLAlchemy.)"""
    if os.environ.get("SWARMDECK_DATA_DIR"):
        return Path(os.environ["SWARMDECK_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "swarmdeck"


DEPLOYS = "deploys"  # the console's deploy journals (console/deploy_journal.py)
STACK_DEPLOYS = "stack-deploys"  # the CLI's `stack deploy` journals, and its fast-path records
COMPOSE_UPS = "compose-ups"  # the CLI's `compose up` journals


def stack_deploys_folder() -> Path:
    """Where the CLI keeps its `stack deploy` journals and fast-path records."""
    return default_data_dir() / STACK_DEPLOYS


def compose_ups_folder() -> Path:
    """Where the CLI keeps its `compose up` journals."""
    return default_data_dir() / COMPOSE_UPS


@dataclass(frozen=True)
class Loose:
    """A path that others could reach: its mode before and after (the same when it could not
    be changed, with the reason)."""

    path: Path
    was: int
    now: int
    reason: str = ""

    def __str__(self) -> str:
        if self.reason:
            return f"{self.path} stays {self.was:04o}: {self.reason}"
        return f"{self.path} was {self.was:04o}, now {self.now:04o} (owner only)"


def secure_data_dir(data_dir: Path) -> list[Loose]:
    """Make ``data_dir`` (0700) if it is missing; tighten it and what is in it. Returns the
    paths found looser than owner-only: tightened, or left with the reason."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the data directory {data_dir}: {exc.strerror}") from exc
    found = [x for x in [_tighten(data_dir)] if x]
    for root, dirs, files in os.walk(data_dir):
        found += [x for x in (_tighten(Path(root) / name) for name in dirs + files) if x]
    return found


def owner_only_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite takes an empty file as a
    new database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from exc


def _tighten(path: Path) -> Loose | None:
    """Drop the group and other bits of ``path`` if it has any and is ours."""
    try:
        info = path.lstat()
    except OSError:
        return None  # gone meanwhile (a -shm file when the last connection closed)
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode) or not mode & 0o077:
        return None
    if info.st_uid != os.geteuid():
        return Loose(path, mode, mode, f"owned by uid {info.st_uid}, not the console's user")
    try:
        path.chmod(mode & 0o700)
    except OSError as exc:
        return Loose(path, mode, mode, exc.strerror or str(exc))
    return Loose(path, mode, mode & 0o700)
