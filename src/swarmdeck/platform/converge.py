"""Waiting until a stack's services run every task they should."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import docker

from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.stack_cli import stack_services

FAILED_STATES = {"failed", "rejected", "orphaned"}


@dataclass
class ServiceProgress:
    name: str
    running: int
    desired: int
    problems: list[str]

    @property
    def converged(self) -> bool:
        return self.desired > 0 and self.running == self.desired


def service_progress(client: docker.DockerClient, service) -> ServiceProgress:
    service.reload()
    tasks = service.tasks()
    current = [t for t in tasks if t.get("DesiredState") == "running"]
    running = sum(1 for t in current if t["Status"]["State"] == "running")
    mode = service.attrs["Spec"].get("Mode", {})
    if "Replicated" in mode:
        desired = int(mode["Replicated"].get("Replicas", 1))
    else:  # global: one task per eligible node, which is what the orchestrator created
        desired = len(current)
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
    return ServiceProgress(service.name, running, desired, problems)


def wait_converged(client: docker.DockerClient, stack: str, timeout: float,
                   on_progress: Callable[[list[ServiceProgress]], None] | None = None,
                   ) -> list[ServiceProgress]:
    """Poll until every service of ``stack`` runs all its tasks; raise with task errors."""
    deadline = time.monotonic() + timeout
    while True:
        progress = [service_progress(client, s) for s in stack_services(client, stack)]
        if on_progress:
            on_progress(progress)
        if progress and all(p.converged for p in progress):
            return progress
        if time.monotonic() > deadline:
            lagging = [p for p in progress if not p.converged]
            lines = [f"{p.name}: {p.running}/{p.desired} running"
                     + (f" ({'; '.join(p.problems[:3])})" if p.problems else "") for p in lagging]
            raise PlatformError(f"stack {stack} did not converge within {timeout:.0f} s: "
                                + ", ".join(lines or ["no services"]))
        time.sleep(1.0)
