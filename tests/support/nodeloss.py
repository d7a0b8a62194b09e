"""Losing a node while the report's app is used: a bounded request loop at a surviving node's
port, the other node killed as a power cut would, and what the swarm and the clients saw.

Shared by the VM tier's `tests/e2e/test_up_machines.py` (which holds the mesh figures to
bounds) and `bench/node_loss.py` (which prints them for both routing modes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import docker
import httpx


@dataclass
class NodeLoss:
    requests: int = 0
    failed: int = 0
    failures_at: list[float] = field(default_factory=list)  # seconds after the kill
    node_down_after: float | None = None  # the manager lists the node as down
    replicas_back_after: float | None = None  # every replica runs again, none on the lost node
    # The slowest replacement task: the seconds after the loss at which it was first seen in
    # each state (new, assigned, preparing, starting, running...), to show where the time goes.
    replacement: dict[str, float] = field(default_factory=dict)

    @property
    def failed_percent(self) -> float:
        return 100.0 * self.failed / self.requests if self.requests else 0.0

    @property
    def failure_window(self) -> tuple[float, float] | None:
        return (min(self.failures_at), max(self.failures_at)) if self.failures_at else None

    def summary(self) -> str:
        window = self.failure_window
        return (
            f"node down after {_s(self.node_down_after)}, replicas running again after "
            f"{_s(self.replicas_back_after)}; {self.failed} of {self.requests} requests failed "
            f"({self.failed_percent:.1f}%)"
            + (f", between {window[0]:.1f} s and {window[1]:.1f} s after the loss" if window else "")
            + (f"; slowest replacement task: {self.timeline()}" if self.replacement else "")
        )

    def timeline(self) -> str:
        return ", ".join(f"{state} {at:.1f} s" for state, at in self.replacement.items())


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def measure(
    manager: docker.DockerClient,
    service: str,
    url: str,
    lost_node: str,
    kill: Callable[[], None],
    before: float = 5.0,
    after: float = 90.0,
    rate: float = 10.0,
    timeout: float = 2.0,
) -> NodeLoss:
    """Send ``rate`` requests a second to ``url`` (fresh connections) for ``before`` seconds,
    call ``kill``, go on for up to ``after`` seconds more (ending early once the replicas are
    back and 10 s have passed), watching the manager for the node and the service."""
    result = NodeLoss()
    killed_at: list[float] = []
    stop = threading.Event()

    def load() -> None:
        period = 1.0 / rate
        next_at = time.monotonic()
        while not stop.is_set():
            sent = time.monotonic()
            ok = False
            try:
                answer = httpx.get(url, headers={"Connection": "close"}, timeout=timeout)
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            result.requests += 1
            if not ok:
                result.failed += 1
                if killed_at:
                    result.failures_at.append(sent - killed_at[0])
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    time.sleep(before)
    known = {t["ID"] for t in manager.api.tasks(filters={"service": service})}
    seen: dict[str, dict[str, float]] = {}  # replacement task -> state -> first seen
    killed_at.append(time.monotonic())
    kill()
    deadline = killed_at[0] + after
    while time.monotonic() < deadline:
        elapsed = time.monotonic() - killed_at[0]
        try:
            if result.node_down_after is None and _node_state(manager, lost_node) == "down":
                result.node_down_after = elapsed
            if result.replicas_back_after is None:
                _watch_replacements(manager, service, known, seen, elapsed)
                if _replicas_back(manager, service, lost_node):
                    result.replicas_back_after = elapsed
        except docker.errors.APIError:
            pass  # the manager may be busy electing or rescheduling: look again
        if result.replicas_back_after is not None and elapsed > result.replicas_back_after + 10:
            break
        time.sleep(0.5)
    stop.set()
    loader.join(timeout + 1)
    if seen:
        result.replacement = max(seen.values(), key=lambda states: max(states.values()))
    return result


def _watch_replacements(
    manager: docker.DockerClient,
    service: str,
    known: set[str],
    seen: dict[str, dict[str, float]],
    elapsed: float,
) -> None:
    """Note the first time each task made after the loss is seen in each state."""
    for task in manager.api.tasks(filters={"service": service}):
        if task["ID"] not in known:
            seen.setdefault(task["ID"], {}).setdefault(task["Status"]["State"], round(elapsed, 1))


def _node_state(manager: docker.DockerClient, node_id: str) -> str:
    return str(manager.api.inspect_node(node_id)["Status"]["State"])


def _replicas_back(manager: docker.DockerClient, service: str, lost_node: str) -> bool:
    spec = manager.api.inspect_service(service)["Spec"]
    wanted = int(spec["Mode"].get("Replicated", {}).get("Replicas", 0))
    running = [
        t
        for t in manager.api.tasks(filters={"service": service, "desired-state": "running"})
        if t["Status"]["State"] == "running" and t.get("NodeID") != lost_node
    ]
    return len(running) >= wanted
