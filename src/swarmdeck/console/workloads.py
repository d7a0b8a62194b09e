"""The workload policy at the console's edge: which policy a caller gets, its refusals in
the API's words, and the settings admins choose (their routes are ``api.settings``; the page
``/settings`` is ``pages_settings``).

The rules themselves are ``swarmdeck.engine.policy``'s. Here the caller's role picks the
policy: admins get the allow-all one, everyone else the restricted one with the host paths
admins allowed. Both check the stack labels (every workload made through the console). The
functions that make workloads (``resources``, the compose stack back end) take the policy as
an argument and check it on the request body they are about to send; ``swarm.services`` takes
it as a check function (``api.swarm.workload_check``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import docker
from fastapi import FastAPI, Request

from swarmdeck.console.context import Target, audit
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.policy import (
    NO_FACTS,
    Facts,
    Path,
    Violation,
    WorkloadPolicy,
    format_path,
    restricted,
)
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import Role
from swarmdeck.store.workloads import WorkloadSettings

ADMINS = WorkloadPolicy(restricted=False, labels=True)
T = TypeVar("T")


def settings_of(app: FastAPI) -> WorkloadSettings:
    """One per app, made on first use (its table comes with it)."""
    state = app.state
    if getattr(state, "workload_settings", None) is None:
        state.workload_settings = WorkloadSettings(state.console.store)
    settings: WorkloadSettings = state.workload_settings
    return settings


def policy_for(request: Request, who: Principal) -> WorkloadPolicy:
    """The policy of ``who``'s workloads: admins' allows everything but misleading stack
    labels; everyone else's is restricted to the host paths admins allowed."""
    return policy_of_role(request.app, who.role)


def policy_of_role(app: FastAPI, role: Role) -> WorkloadPolicy:
    """``policy_for`` a user of ``role`` (a Git stack's redeploy without a request)."""
    if role.allows(Role.ADMIN):
        return ADMINS
    return restricted(settings_of(app).allowed_host_paths())


def facts_for(policy: WorkloadPolicy, client: docker.DockerClient) -> Facts:
    """What ``policy`` needs to know of the engine (nothing for the allow-all policy)."""
    if not policy.restricted:
        return NO_FACTS
    try:
        return Facts.of(client)
    except EngineError as exc:
        raise ConsoleError(str(exc), 502) from exc


def refuse(
    violations: Sequence[Violation], field: Callable[[Path], str] = format_path, what: str = ""
) -> None:
    """A 403 naming each refused key (``field`` says it in the request's words)."""
    if violations:
        lead = f"{what}: " if what else ""
        raise ConsoleError(
            "refused by the workload policy: "
            + lead
            + "; ".join(f"{field(v.path)}: {v.message}" for v in violations),
            403,
        )


def prepare(request: Request, t: Target, action: str, target: str, make: Callable[[], T]) -> T:
    """Build a change's request body before its audited run (whose audit entry names what the
    body mounts); a refusal while building is audited as that change's."""
    try:
        return make()
    except SwarmdeckError as exc:
        audit(request, t.who, action, f"error: {exc}", target, t.endpoint)
        raise


def audit_target(base: str, description: str) -> str:
    """``web from busybox; mounts: vol:data:/data; cap_add: NET_ADMIN``."""
    return f"{base}; {description}" if description else base
