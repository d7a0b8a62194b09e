"""All or nothing across a crash: what a deploy is about to change, written down before the
first change, so that a deploy cut short by the death of its process can be taken back.

``undo`` takes a failed deploy back from memory. When the process carrying the deploy dies
half-way (the console's container restarted, SIGKILL, the node rebooted), that memory is gone
and the stack would stay half made. ``intent(plan)`` is the plan's changes as JSON: the
networks, secrets, configs and services it creates (by name: none of them existed when the
plan was made) and the services it updates (with the version each had then). Whoever runs
the deploy keeps it until the deploy returns (the console: in its data directory) and, if
the process died first, hands it to ``recover`` on its next start: whatever of the creations
exists is removed, and each service whose version moved since the plan is rolled back to its
previous spec, with ``undo``'s own steps. A deploy that had finished just before the process
died is taken back too: the stack ends as it was before that deploy, never half made.

This module is the journal's one home: the record (``intent`` plus who wrote it), how it is
written (``write``: owner-only, fsynced, renamed into place, so a crash leaves the old file or
the new one, never half of one), and ``Slot``, the CLI's journal: one file per swarm and
stack under a folder the caller names, held with an advisory lock (``flock``) for as long as
a deploy runs. The kernel drops the lock when its process dies, even by SIGKILL, so a file
found with its lock free is a deploy that never returned; a lock still held is a deploy
running now (its journal is not touched). ``hold`` is that lock; the console's journals (one
file per deploy, in a data directory its replicas may share) are held with it too.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker

from swarmdeck.compose.stack import convert
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.undo import Undo
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound
from swarmdeck.engine.sdkapi import typed_api

if TYPE_CHECKING:
    from swarmdeck.compose.stack.plan import Plan


def intent(plan: Plan) -> dict[str, Any]:
    """The changes ``plan`` makes that ``recover`` can take back, as plain JSON."""
    create = [["network", name] for name in plan.networks]
    create += [[c.obj.kind, c.obj.name] for c in plan.objects if c.existing_id is None]
    create += [["service", s.name] for s in plan.services if s.action == "create"]
    update = [[s.name, s.service_id, s.version] for s in plan.services if s.action == "update"]
    return {"namespace": plan.namespace, "create": create, "update": update}


def recover(client: docker.DockerClient, intent: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Take back what exists of ``intent``'s changes: (what was undone, what could not be)."""
    namespace = intent["namespace"]
    undo = Undo()
    for kind, name in intent["create"]:
        object_id = _made_by_stack(client, kind, name, namespace)
        if object_id is not None:
            undo.created.append((kind, name, object_id))
    for name, service_id, version in intent["update"]:
        try:
            with doing(f"service {name}"):
                current = typed_api(client).inspect_service(service_id)
        except EngineNotFound:
            continue
        if current["Version"]["Index"] != version and current.get("PreviousSpec"):
            undo.updated.append((name, service_id))
    return undo.run(client)


def _made_by_stack(client: docker.DockerClient, kind: str, name: str, namespace: str) -> str | None:
    """The ID of the ``kind`` named exactly ``name`` that carries the stack's label, if any."""
    api: Any = client.api
    with doing(f"looking for {kind} {name}"):
        if kind == "network":
            found = [(n["Id"], n["Name"], n.get("Labels")) for n in api.networks(names=[name])]
        else:
            listed = {"service": api.services, "secret": api.secrets, "config": api.configs}[kind]
            found = [
                (o["ID"], o["Spec"]["Name"], o["Spec"].get("Labels")) for o in listed(filters={"name": name})
            ]
    for object_id, found_name, labels in found:
        if found_name == name and (labels or {}).get(convert.LABEL_NAMESPACE) == namespace:
            return str(object_id)
    return None


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


def scope(client: docker.DockerClient) -> str:
    """What a journal is kept per: the swarm's cluster ID (the same swarm whichever address
    reaches it), else the engine's own ID."""
    with doing("asking the engine which swarm it is"):
        info = client.info()
    cluster = ((info.get("Swarm") or {}).get("Cluster") or {}).get("ID")
    return str(cluster or info.get("ID") or "engine")


def path_of(folder: Path, scope: str, stack: str) -> Path:
    """Where stack ``stack`` of swarm ``scope`` keeps its journal under ``folder``."""
    stem = f"{scope}_{stack}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}", stem):
        stem = hashlib.sha256(stem.encode()).hexdigest()
    return folder / f"{stem}.json"


def hold(path: Path) -> int | None:
    """Lock the journal ``path`` (its ``.lock`` file beside it, made if missing) for this
    process: the locked descriptor (closing it, or the process's death, unlocks), or None
    when another process (any process on this machine) holds it: a deploy running now."""
    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    return lock


class Slot:
    """One stack's journal on this machine, held (locked) by this process until ``close``."""

    def __init__(self, folder: Path, scope: str, stack: str) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.stack = stack
        self.path = path_of(folder, scope, stack)
        lock = hold(self.path)
        if lock is None:
            raise StackError(
                f"another deploy of stack {stack} is running from this machine; wait for it to end"
            )
        self._lock = lock

    def left(self) -> dict[str, Any] | None:
        """The record a deploy that never returned left, if any."""
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return None
        except ValueError:
            return None  # ``write`` renames whole files into place: not one of ours

    def write(self, plan: Plan) -> None:
        """The ``before_changes`` hook: the plan's intent, written before its first change."""
        write(self.path, {"stack": self.stack, "pid": os.getpid(), "intent": intent(plan)})

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        os.close(self._lock)


def take_back(client: docker.DockerClient, slot: Slot) -> list[str] | None:
    """Take back the deploy ``slot``'s journal records, if one never returned: what was undone
    (None: there was none). What cannot be taken back is a ``StackError``. The journal is kept
    for another try only when nothing was undone: a second rollback of a service the first
    try restored would return it to the cut-short deploy's spec."""
    record = slot.left()
    if record is None:
        return None
    done, failed = recover(client, record["intent"])
    if failed and not done:
        raise StackError(
            f"a deploy of stack {slot.stack} cut short earlier (process {record.get('pid', '?')}) could "
            "not be taken back, and is tried again next time: " + "; ".join(failed)
        )
    slot.clear()
    if failed:
        raise StackError(
            f"a deploy of stack {slot.stack} cut short earlier (process {record.get('pid', '?')}) was "
            f"taken back only in part: undone: {', '.join(done)}; NOT undone: " + "; ".join(failed)
        )
    return done
