"""``--detach=false``: show each service's progress until it converges, or fail.

A service has converged when as many tasks of its current spec run as it wants (replicated:
``Replicas``; global: one per eligible node, i.e. every task it made; jobs: completed), and
(for services) still do after ``stable`` seconds, as the CLI's progress verifies.
It has failed when a task of the current spec ends ``failed`` or ``rejected``: the tasks'
errors are reported and the deploy exits non-zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import docker

from swarmdeck.compose.stack.errors import StackError
from swarmdeck.engine.sdkapi import typed_api

_FAILED = ("failed", "rejected")


def _progress(service: dict[str, Any], tasks: list[dict[str, Any]]) -> tuple[int, int]:
    """(done, wanted) for a service and its recent tasks."""
    mode = service["Spec"].get("Mode", {})
    if "ReplicatedJob" in mode or "GlobalJob" in mode:
        done = sum(t["Status"]["State"] == "complete" for t in tasks)
        wanted = (
            (mode.get("ReplicatedJob") or {}).get("TotalCompletions", 1)
            if "ReplicatedJob" in mode
            else max(len({t.get("NodeID") for t in tasks}), 1)
        )
        return done, wanted
    running = [t for t in tasks if t["DesiredState"] == "running"]
    done = sum(t["Status"]["State"] == "running" for t in running)
    wanted = (mode.get("Replicated") or {}).get("Replicas", 1) if "Replicated" in mode else len(running)
    return done, wanted


def wait(
    client: docker.DockerClient,
    service_ids: list[str],
    timeout: float,
    out: Callable[[str], None],
    poll: float = 0.5,
    stable: float = 5.0,
) -> None:
    """Block until every service converges; ``StackError`` with the tasks' errors if not."""
    started = time.time()
    deadline = time.monotonic() + timeout
    shown: dict[str, str] = {}
    since: dict[str, float] = {}  # service -> when it first looked converged
    pending = list(service_ids)
    while pending:
        for service_id in list(pending):
            service = typed_api(client).inspect_service(service_id)
            name = service["Spec"]["Name"]
            tasks = [
                t
                for t in typed_api(client).tasks(filters={"service": service_id})
                if _created_after(t, started) or t["DesiredState"] == "running"
            ]
            done, wanted = _progress(service, tasks)
            line = f"{name}: {done}/{wanted}"
            if shown.get(service_id) != line:
                out(line)
                shown[service_id] = line
            failed = [
                f"{t['ID'][:12]}: {t['Status'].get('Err') or t['Status']['State']}"
                for t in tasks
                if t["Status"]["State"] in _FAILED and _created_after(t, started)
            ]
            if failed:
                raise StackError(f"service {name} failed to converge:\n  " + "\n  ".join(failed))
            job = any(k in service["Spec"].get("Mode", {}) for k in ("ReplicatedJob", "GlobalJob"))
            if done < wanted:
                since.pop(service_id, None)
            elif job or time.monotonic() - since.setdefault(service_id, time.monotonic()) >= stable:
                out(f"{name}: converged")
                pending.remove(service_id)
        if pending and time.monotonic() > deadline:
            raise StackError(
                f"timed out after {timeout:.0f} s waiting for {len(pending)} service(s) to converge"
            )
        if pending:
            time.sleep(poll)


def _created_after(task: dict[str, Any], started: float) -> bool:
    created = task.get("CreatedAt", "")
    try:
        stamp = datetime.fromisoformat(created[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return True
    return stamp >= started - 1
