"""Waiting until a stack's services run every task they should.

`watch` polls and yields a snapshot per poll, the last one saying how it ended; the console
streams these, and `wait_converged` (for `up`) blocks on them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import docker

from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.stack_cli import stack_services

FAILED_STATES = {"failed", "rejected", "orphaned"}
HALTED_UPDATES = {"paused", "rollback_paused", "rollback_completed"}
STABLE_POLL = 2.0  # seconds between polls; a converged state must hold over one


@dataclass
class ServiceProgress:
    name: str
    running: int
    desired: int
    problems: list[str]
    running_tasks: frozenset[str] = frozenset()
    replicated: bool = True
    failures: dict[str, str] = field(default_factory=dict)  # task ID -> error, since the spec changed
    halted: str = ""  # why an update paused or rolled back
    changed: str = ""  # when the service's spec last changed (the engine's UpdatedAt)

    @property
    def converged(self) -> bool:
        # A global service without tasks has not been scheduled yet; replicas: 0 is done.
        return self.running == self.desired and (self.desired > 0 or self.replicated)


@dataclass
class Snapshot:
    """One look at a stack; ``state`` is "converging" until the last one of a watch."""

    services: list[ServiceProgress]
    state: str = "converging"  # then "converged" or "failed"
    reason: str = ""


def _stamp(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _error(task: dict) -> str:
    return f"{task['Status']['State']}: {task['Status'].get('Err') or task['Status'].get('Message', '')}"


def service_progress(client: docker.DockerClient, service) -> ServiceProgress:
    service.reload()
    tasks = service.tasks()
    current = [t for t in tasks if t.get("DesiredState") == "running"]
    running_ids = frozenset(t["ID"] for t in current if t["Status"]["State"] == "running")
    running = len(running_ids)
    mode = service.attrs["Spec"].get("Mode", {})
    # global: one task per eligible node, which is what the orchestrator created
    desired = int(mode["Replicated"].get("Replicas", 1)) if "Replicated" in mode else len(current)
    problems = sorted(
        {
            _error(t)
            for t in tasks
            if t["Status"]["State"] in FAILED_STATES
            or (
                t.get("DesiredState") == "running"
                and t["Status"]["State"] == "pending"
                and t["Status"].get("Err")
            )
        }
    )
    changed_at = service.attrs.get("UpdatedAt", "")
    changed = _stamp(changed_at)
    failures = {
        t["ID"]: _error(t)
        for t in tasks
        if t["Status"]["State"] in FAILED_STATES
        and (changed is None or (_stamp(t.get("CreatedAt")) or changed) >= changed)
    }
    status = service.attrs.get("UpdateStatus") or {}
    update = status.get("State")
    if update in ("updating", "rollback_started"):
        running = min(running, desired - 1)
    halted = f"update {update}: {status.get('Message', '')}" if update in HALTED_UPDATES else ""
    return ServiceProgress(
        service.name,
        running,
        desired,
        problems,
        running_ids,
        "Replicated" in mode,
        failures,
        halted,
        changed_at,
    )


def _lagging(progress: list[ServiceProgress]) -> str:
    lines = [
        f"{p.name}: {p.running}/{p.desired} running"
        + (
            f" ({'; '.join(([p.halted] if p.halted else []) + p.problems[:3])})"
            if p.problems or p.halted
            else ""
        )
        for p in progress
        if not p.converged or p.halted
    ]
    return ", ".join(lines or ["no services"])


def watch(
    client: docker.DockerClient,
    stack: str,
    timeout: float,
    poll: float = STABLE_POLL,
    fail_after: int | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Snapshot]:
    """Look at ``stack`` every ``poll`` seconds until it converges, fails or ``timeout`` passes.

    Converged means: all tasks running, and the same tasks still running a poll later — a
    task that crashes at start is "running" for an instant before it fails. With
    ``fail_after``, a lagging service with that many failed or rejected tasks since its spec
    last changed, or an update that paused or rolled back, ends the watch as failed at once
    (the swarm itself goes on retrying).
    Setting ``stop`` ends the watch between polls, without a last snapshot.
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout
    previous: frozenset[str] | None = None
    # A failed task may be gone by the next poll (the swarm keeps little task history):
    # what failed since a service last changed is remembered for the whole watch.
    failed: dict[str, dict[str, str]] = {}  # "service changed-at" -> task ID -> error
    while True:
        progress = [service_progress(client, s) for s in stack_services(client, stack)]
        for p in progress:
            p.failures = failed.setdefault(f"{p.name} {p.changed}", {}) | p.failures
            failed[f"{p.name} {p.changed}"] = p.failures
            p.problems = sorted(set(p.problems) | set(p.failures.values()))
        if progress and all(p.converged for p in progress):
            tasks = frozenset().union(*(p.running_tasks for p in progress))
            if tasks == previous:
                yield Snapshot(progress, "converged")
                return
            previous = tasks
        else:
            previous = None
        failing = [
            p
            for p in progress
            if fail_after and (p.halted or (not p.converged and len(p.failures) >= fail_after))
        ]
        if failing:
            yield Snapshot(progress, "failed", _lagging(failing))
            return
        if time.monotonic() > deadline:
            yield Snapshot(
                progress, "failed", f"did not converge within {timeout:.0f} s: {_lagging(progress)}"
            )
            return
        yield Snapshot(progress)
        if stop.wait(poll):
            return


def wait_converged(
    client: docker.DockerClient,
    stack: str,
    timeout: float,
    on_progress: Callable[[list[ServiceProgress]], None] | None = None,
) -> list[ServiceProgress]:
    """Poll until every service of ``stack`` runs all its tasks; raise with task errors."""
    for snapshot in watch(client, stack, timeout):
        if on_progress:
            on_progress(snapshot.services)
        if snapshot.state == "failed":
            raise PlatformError(f"stack {stack} {snapshot.reason}")
        if snapshot.state == "converged":
            return snapshot.services
    raise PlatformError(f"stack {stack}: the watch ended without a verdict")
