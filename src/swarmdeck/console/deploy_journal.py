"""Deploys from the console stay all or nothing when the console itself stops half-way.

A stack deploy runs inside the console's process. If that process dies before the deploy
returns (its container restarted or killed, the node rebooted), ``compose.stack.undo`` never
runs and the stack would stay half made. So the deploy's intent (``compose.stack.journal``)
is written to ``<data dir>/deploys/<id>.json`` before the first change (owner-only, fsynced,
renamed into place) and removed as soon as the deploy returns, done or failed and undone.

Each file is held (``compose.journal.hold``: a ``flock`` on ``<id>.lock``, which the kernel drops when
the process dies, even by SIGKILL) from before it is written until it is removed. So a file
whose lock is free is a deploy that was cut short, and one whose lock is held is a deploy
running now in another console process on the same data directory: the replicas of a
replicated console share their node's volume, and one that starts (the swarm replacing a
killed one) must not undo a deploy its sibling is running. ``start_recovery`` takes each
cut-short deploy back in a thread (the console answers meanwhile): what it had made is removed and
the services it had updated are rolled back, the audit log gets a ``stack.deploy`` entry
saying so, and the file is removed. A file whose endpoint does not answer is kept, and tried
again at the next start (one whose endpoint was removed meanwhile is audited and dropped).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests.exceptions

from swarmdeck.compose import journal as journals
from swarmdeck.compose.stack import journal
from swarmdeck.compose.stack.plan import Plan
from swarmdeck.console.context import Console
from swarmdeck.console.endpoints import open_client
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import NotFound
from swarmdeck.store.datadir import DEPLOYS

FOLDER = DEPLOYS
log = logging.getLogger("swarmdeck.console")


@contextmanager
def kept(data_dir: Path, endpoint: str, stack: str, username: str) -> Iterator[Callable[[Plan], None]]:
    """The ``before_changes`` hook that writes the deploy's intent down; the file is removed
    when the block ends, whatever the outcome (a process that dies does not get there)."""
    path = data_dir / FOLDER / f"{uuid.uuid4().hex}.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = journals.hold(path)  # a new name: nobody else holds it
    assert lock is not None

    def write(plan: Plan) -> None:
        record = {"endpoint": endpoint, "stack": stack, "user": username, "intent": journal.intent(plan)}
        journals.write(path, record)

    try:
        yield write
    finally:
        _drop(path, lock)


def _drop(path: Path, lock: int) -> None:
    """Remove a journal and its lock file, then unlock."""
    path.unlink(missing_ok=True)
    path.with_suffix(".lock").unlink(missing_ok=True)
    os.close(lock)


def pending(data_dir: Path) -> list[Path]:
    """Intents of deploys not returned yet (cut short, or running in another process), oldest
    first."""
    folder = data_dir / FOLDER
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


def start_recovery(ctx: Console) -> threading.Thread | None:
    """Take back, in a thread, the deploys the console's previous run left half done."""
    if not pending(ctx.store.data_dir):
        return None
    thread = threading.Thread(target=recover_all, args=(ctx,), name="deploy-recovery", daemon=True)
    thread.start()
    return thread


def recover_all(ctx: Console) -> None:
    for path in pending(ctx.store.data_dir):
        lock = journals.hold(path)
        if lock is None:
            continue  # a deploy running now in another console process (a sibling replica)
        try:
            _recover_one(ctx, path)
        finally:
            if path.exists():  # kept for the next start: only unlock it
                os.close(lock)
            else:
                _drop(path, lock)


def _recover_one(ctx: Console, path: Path) -> None:
    """Take back the cut-short deploy ``path`` records (held by this process), and remove it."""
    if not path.exists():
        return  # it returned (and removed its file) between the listing and the lock
    try:
        record: dict[str, Any] = json.loads(path.read_text())
        done, failed = _recover(ctx, record)
    except NotFound:  # the endpoint was removed meanwhile: nothing left to act on
        done, failed = [], [f"endpoint {record['endpoint']!r} no longer exists"]
    except (OSError, ValueError, KeyError, SwarmdeckError, requests.exceptions.RequestException) as exc:
        log.warning("a deploy cut short by the console's restart is not undone yet (%s): %s", path, exc)
        return
    result = "error: interrupted (the console stopped during the deploy); undone: " + (
        ", ".join(done) or "nothing had been changed yet"
    )
    if failed:
        result += "; NOT undone: " + "; ".join(failed)
    ctx.store.audit(
        record["user"], "stack.deploy", result, target=record["stack"], endpoint=record["endpoint"]
    )
    log.warning("stack %s: %s", record["stack"], result)
    path.unlink(missing_ok=True)


def _recover(ctx: Console, record: dict[str, Any]) -> tuple[list[str], list[str]]:
    name = record["endpoint"]
    if name == ctx.endpoint_name:
        return journal.recover(ctx.engine(), record["intent"])
    client = open_client(ctx.store.get_endpoint(name))
    try:
        return journal.recover(client, record["intent"])
    finally:
        client.close()
