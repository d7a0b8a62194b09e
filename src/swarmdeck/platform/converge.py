"""Waiting until a stack's services run every task they should."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import docker

from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.stack_cli import stack_services

FAILED_STATES = {"failed", "rejected", "orphaned"}
STABLE_POLL = 2.0  # seconds between polls; a converged state must hold over one


@dataclass
class ServiceProgress:
    name: str
    running: int
    desired: int
    problems: list[str]
    running_tasks: frozenset[str] = frozenset()

    @property
    def converged(self) -> bool:
        return self.desired > 0 and self.running == self.desired


def service_progress(client: docker.DockerClient, service) -> ServiceProgress:
    service.reload()
    tasks = service.tasks()
    current = [t for t in tasks if t.get("DesiredState") == "running"]
    running_ids = frozenset(t["ID"] for t in current if t["Status"]["State"] == "running")
    running = len(running_ids)
    mode = service.attrs["Spec"].get("Mode", {})
    # global: one task per eligible node, which is what the orchestrator created
    desired = int(mode["Replicated"].get("Replicas", 1)) if "Replicated" in mode else len(current)
    problems = sorted({
        f"{t['Status']['State']}: {t['Status'].get('Err') or t['Status'].get('Message', '')}"
        for t in tasks
        if t["Status"]["State"] in FAILED_STATES
        or (t.get("DesiredState") == "running" and t["Status"]["State"] == "pending"
            and t["Status"].get("Err"))
    })
    update = (service.attrs.get("UpdateStatus") or {}).get("State")
    if update in ("updating", "rollback_started"):
        running = min(running, desired - 1)
    return ServiceProgress(service.name, running, desired, problems, running_ids)


def wait_converged(client: docker.DockerClient, stack: str, timeout: float,
                   on_progress: Callable[[list[ServiceProgress]], None] | None = None,
                   ) -> list[ServiceProgress]:
    """Poll until every service of ``stack`` runs all its tasks; raise with task errors.

    Converged means: all tasks running, and the same tasks still running a poll later — a
    task that crashes at start is "running" for an instant before it fails.
    """
    deadline = time.monotonic() + timeout
    previous: set[str] | None = None
    while True:
        progress = [service_progress(client, s) for s in stack_services(client, stack)]
        if on_progress:
            on_progress(progress)
        if progress and all(p.converged for p in progress):
            tasks = set().union(*(p.running_tasks for p in progress))
            if tasks == previous:
                return progress
            previous = tasks
        else:
            previous = None
        if time.monotonic() > deadline:
            lagging = [p for p in progress if not p.converged]
            lines = [f"{p.name}: {p.running}/{p.desired} running"
                     + (f" ({'; '.join(p.problems[:3])})" if p.problems else "") for p in lagging]
            raise PlatformError(f"stack {stack} did not converge within {timeout:.0f} s: "
                                + ", ".join(lines or ["no services"]))
        time.sleep(STABLE_POLL)
