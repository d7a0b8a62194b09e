"""The one path every stack deploy of the console takes: the editor's (``api.stacks``) and a
Git stack's redeploy (``gitstacks``: a button, a schedule or a webhook).

Compose text is loaded as a document, interpolated only with the variables sent along; the
caller's workload policy is checked on the specs the engine would get; the deploy's intent is
journalled before the first change (``deploy_journal``) and a change the engine refuses takes
back what the deploy did (all or nothing); the result is audited, naming each service's
mounts; a deploy that worked keeps its text as the stack's next version (``stackfiles``),
with the Git commit it came from, if any.

Who deploys is a ``Deployer``: a request's user, or a Git stack's owner when no request is
there (the webhook, the schedule), with the audit function to match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker
from fastapi import FastAPI

from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.stack import DeployOptions, convert, deploy
from swarmdeck.console import deploy_journal
from swarmdeck.console.api.swarm import naming
from swarmdeck.console.context import recorded
from swarmdeck.console.stackfiles import files_of
from swarmdeck.engine.policy import WorkloadPolicy, describe_service
from swarmdeck.errors import SwarmdeckError
from swarmdeck.swarm.membership import require_manager

EDITOR_FILE = "docker-compose.yml"


@dataclass(frozen=True)
class Deployer:
    """Who deploys, where, under which policy, audited how (``audit(action, result, target)``)."""

    app: FastAPI
    client: docker.DockerClient
    endpoint: str
    username: str
    policy: WorkloadPolicy
    audit: Callable[[str, str, str], None]


@dataclass
class Deployed:
    loaded: Any
    report: Any
    output: list[str] = field(default_factory=list)
    version: int | None = None


def audit_target(name: str, loaded: Any) -> str:
    """``web; app (mounts: vol:web_data:/data; cap_add: NET_ADMIN)``: the stack, and what each
    service that mounts or adds anything mounts and adds (from the specs the engine gets)."""
    specs = convert.services(name, loaded.project)
    described = [(key, describe_service(spec)) for key, spec in specs.items()]
    return "; ".join([name, *(f"{key} ({text})" for key, text in described if text)])


def deploy_text(
    d: Deployer,
    name: str,
    compose: str,
    env: dict[str, str],
    *,
    plan: bool = False,
    prune: bool = False,
    note: str = "",
    commit: str | None = None,
) -> Deployed:
    """Plan or deploy stack ``name`` from ``compose``; a ``ComposeError`` (the file's problems,
    or the keys the policy refuses) and every other refusal are audited and raised."""
    action = "stack.plan" if plan else "stack.deploy"
    try:
        loaded = load([(EDITOR_FILE, compose)], env=env, filesystem=False)
        target = audit_target(name, loaded)
    except SwarmdeckError as exc:
        d.audit(action, f"error: {exc}", name)
        raise
    if note:
        target = f"{target}; {note}"
    done = Deployed(loaded, None)
    data_dir = d.app.state.console.store.data_dir
    with (
        deploy_journal.kept(data_dir, d.endpoint, name, d.username) as write_intent,
        recorded(lambda result: d.audit(action, result, target)),
    ):
        with naming(d.endpoint):
            require_manager(d.client)  # the compose engine's own refusal names no endpoint
        options = DeployOptions(
            namespace=name,
            prune=prune,
            plan_only=plan,
            policy=d.policy,
            before_changes=write_intent,  # taken back on restart if the console dies meanwhile
        )
        done.report = deploy(d.client, loaded, options, out=done.output.append, err=done.output.append)
    if not plan:  # kept once the deploy worked: the stack page's history
        done.version = files_of(d.app).record(d.endpoint, name, compose, env, d.username, commit)
    return done


__all__ = ["ComposeError", "Deployed", "Deployer", "audit_target", "deploy_text"]
