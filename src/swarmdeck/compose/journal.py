"""A journal that survives its process: what a run is about to change, written down before
each change, so that a run cut short by the death of its process (SIGKILL, a lost terminal,
a reboot) can be taken back by the next one.

This module is the journal file's one home, shared by ``stack deploy``
(``compose.stack.journal``: what a stack deploy records and how it is taken back) and
``compose up`` (``compose.project.resume``): how a record is written (``write``: owner-only,
fsynced, renamed into place, so a crash leaves the old file or the new one, never half of
one), where it lives (``path_of``), and ``Slot``: one file per engine or swarm and name under
a folder the caller names, held with an advisory lock (``flock``) for as long as the run
lasts. The kernel drops the lock when its process dies, even by SIGKILL, so a file found
with its lock free is a run that never returned; a lock still held is a run going on now
(its journal is not touched). ``hold`` is that lock alone, for the console's journals (one
file per deploy, in a data directory its replicas may share).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from swarmdeck.compose.errors import ComposeError


def write(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` to ``path`` durably: owner-only, fsynced, renamed into place."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(record).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


def path_of(folder: Path, scope: str, name: str) -> Path:
    """Where ``name`` of engine or swarm ``scope`` keeps its journal under ``folder``."""
    stem = f"{scope}_{name}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}", stem):
        stem = hashlib.sha256(stem.encode()).hexdigest()
    return folder / f"{stem}.json"


def hold(path: Path) -> int | None:
    """Lock the journal ``path`` (its ``.lock`` file beside it, made if missing) for this
    process: the locked descriptor (closing it, or the process's death, unlocks), or None
    when another process of this machine holds it: a run going on now."""
    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    return lock


class Busy(Exception):
    """Another process of this machine holds the slot: a run is going on now."""


class Slot:
    """One journal on this machine, held (locked) by this process until ``close``.

    ``busy`` is the error raised when another process holds it (``Busy`` when none is given:
    for a caller that only looks, such as ``compose ps``)."""

    def __init__(self, folder: Path, scope: str, name: str, busy: ComposeError | None = None) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.name = name
        self.path = path_of(folder, scope, name)
        lock = hold(self.path)
        if lock is None:
            raise busy or Busy(name)
        self._lock = lock

    def left(self) -> dict[str, Any] | None:
        """The record a run that never returned left, if any."""
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # ``write`` renames whole files into place: not one of ours

    def record(self, record: dict[str, Any]) -> None:
        """Write ``record`` (with this process's ID) as this slot's journal."""
        write(self.path, {**record, "pid": os.getpid()})

    def settle(
        self,
        undo: Callable[[dict[str, Any]], tuple[list[str], list[str]]],
        cut_short: Callable[[dict[str, Any]], str],
        error: Callable[[str], Exception],
    ) -> tuple[dict[str, Any], list[str]] | None:
        """Take back the run this slot's journal records, if one never returned: its record
        and what was undone (None: there was none). ``undo`` takes it back (what was done, what failed, as
        sentences); ``cut_short`` names that run in the messages; what cannot be taken back
        is raised as ``error(message)``. The journal is kept for another try only when
        nothing was undone: undoing again what a first try already restored (a service's
        previous spec) would return it to the cut-short run's state."""
        record = self.left()
        if record is None:
            return None
        done, failed = undo(record)
        if failed and not done:
            raise error(
                f"{cut_short(record)}; it could not be taken back, and is tried again next time: "
                + "; ".join(failed)
            )
        self.clear()
        if failed:
            raise error(
                f"{cut_short(record)}; taken back only in part: undone: {', '.join(done)}; "
                "NOT undone: " + "; ".join(failed)
            )
        return record, done

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        os.close(self._lock)
