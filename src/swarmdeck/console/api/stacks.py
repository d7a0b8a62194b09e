"""Stacks on the chosen endpoint's swarm: listed and shown (every stack, whoever deployed
it), removed like `docker stack rm`, and deployed from compose text (the console's editor)
with swarmdeck's own stack engine.

The text is interpolated only with the variables sent along, never with the console's own
environment (which would leak its secrets into services). It is loaded as a document
(``load(..., filesystem=False)``): nothing is read from the console's disk, so ``env_file``,
secrets and configs from a ``file:``, relative or ``~`` binds and build contexts are refused.
Refusals of the compose file come back as 422 with every problem's line and column, so the
editor can show them where they are; nothing reaches the engine then. The same holds for what
the caller's workload policy refuses (``workloads``: a non-admin's bind mounts, the engine's
socket, host namespaces, added capabilities…): checked on the specs the engine would get,
reported at the compose keys that made them. The audit entry names each service's mounts and
added capabilities.

After a deploy the editor follows the stack's convergence as server-sent events (GET
/api/stacks/{name}/converge): running/desired tasks and task errors per service, until the
stack converged, failed (a service's tasks keep failing) or the timeout passed.

A deploy is all or nothing: a change the engine refuses takes back what the deploy did
(``compose.stack.undo``), and so does the console's next start when the console itself
stopped half-way (``deploy_journal``). A deploy that worked keeps its compose text and
variables as the stack's next version (``stackfiles``: the stack page's history). That path
is ``stackdeploy``'s, which a Git stack's redeploy takes too (``api.gitstacks``).

Both act on the endpoint in ``?endpoint=NAME`` (default: the console's own engine), as the
other swarm routes do: a swarm manager endpoint; a worker is refused naming the endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from swarmdeck.compose import ComposeError, Problem
from swarmdeck.console import sse
from swarmdeck.console.api.streams import event_stream
from swarmdeck.console.api.swarm import changing, naming
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target, audit
from swarmdeck.console.params import StackName
from swarmdeck.console.stackdeploy import Deployer, deploy_text
from swarmdeck.console.workloads import policy_for
from swarmdeck.errors import SwarmdeckError
from swarmdeck.platform import converge
from swarmdeck.swarm import stacks
from swarmdeck.swarm.errors import NoSuchStack
from swarmdeck.swarm.stacks import stack_services
from swarmdeck.swarm.views import StackDetail, StackSummary

router = APIRouter(tags=["stacks"])
STACK_RM_SECONDS = 30.0  # how long a stack's networks may stay in use by its going tasks
WATCH_POLL = 1.0  # seconds between looks at the stack while a page follows it
FAIL_AFTER = 3  # failed tasks since a service last changed before the watch calls it failed


class StackDeployIn(BaseModel):
    compose: str = Field(min_length=1, max_length=1_000_000, description="The compose file's text.")
    env: dict[str, str] = Field(default={}, description="Variables for interpolation.")
    prune: bool = False
    plan: bool = Field(default=False, description="Only say what would change.")
    restores: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="the earlier version this text was loaded from (named in the audit log)",
    )


class StackRemoval(BaseModel):
    removed: dict[str, list[str]] = Field(
        description="names removed, by kind: services, configs, secrets, networks"
    )


class ProblemOut(BaseModel):
    line: int | None
    column: int | None
    path: str
    message: str


class ComposeProblems(BaseModel):
    detail: str
    problems: list[ProblemOut]


class DeployResult(BaseModel):
    stack: str
    plan: list[str] = Field(description="what is (or, with plan, would be) created, updated and removed")
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    warnings: list[str]
    output: list[str]
    version: int | None = Field(
        default=None, description="the version of the stack's compose file this deploy kept (not a plan)"
    )


def _problem(p: Problem) -> dict[str, Any]:
    return {"line": p.line, "column": p.column, "path": p.path, "message": p.message}


@router.get("/stacks")
def list_stacks(request: Request, t: Target = READ_ON) -> list[StackSummary]:
    """Every stack on the swarm, whoever deployed it (label com.docker.stack.namespace)."""
    with naming(t.endpoint):
        return stacks.list_stacks(t.client)


@router.get("/stacks/{name}")
def get_stack(request: Request, name: StackName, t: Target = READ_ON) -> StackDetail:
    with naming(t.endpoint):
        return stacks.get_stack(t.client, name)


@router.delete("/stacks/{name}")
def remove_stack(request: Request, name: StackName, t: Target = OPERATE_ON) -> StackRemoval:
    """Like `docker stack rm`: services, configs, secrets, then networks; volumes stay."""
    with changing(request, t, "stack.remove", target=name) as client:
        return StackRemoval(removed=stacks.remove(client, name, timeout=STACK_RM_SECONDS).by_kind())


@router.post(
    "/stacks/{name}/deploy",
    response_model=DeployResult,
    responses={422: {"model": ComposeProblems, "description": "the compose file's problems, at their lines"}},
)
def deploy_stack(
    request: Request, name: StackName, body: StackDeployIn, t: Target = OPERATE_ON
) -> DeployResult | JSONResponse:
    """Deploy or update stack NAME from compose text, like `docker stack deploy`; or, with
    ``plan``, only say what would be created, updated and removed."""
    note = f"from version {body.restores}" if body.restores is not None else ""
    deployer = Deployer(
        request.app,
        t.client,
        t.endpoint,
        t.who.user.username,
        policy_for(request, t.who),
        lambda action, result, target: audit(request, t.who, action, result, target, t.endpoint),
    )
    try:
        done = deploy_text(
            deployer, name, body.compose, body.env, plan=body.plan, prune=body.prune, note=note
        )
    except ComposeError as exc:  # the file's problems, or the keys the policy refused: at their lines
        return JSONResponse(
            {"detail": str(exc), "problems": [_problem(p) for p in exc.problems]}, status_code=422
        )
    report, loaded, output, version = done.report, done.loaded, done.output, done.version
    return DeployResult(
        stack=name,
        plan=report.plan.lines(),
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        warnings=loaded.warnings,
        output=output,
        version=version,
    )


def _snapshot(snapshot: converge.Snapshot) -> dict[str, Any]:
    return {
        "state": snapshot.state,
        "reason": snapshot.reason,
        "services": [
            {
                "name": p.name,
                "running": max(p.running, 0),
                "desired": p.desired,
                "converged": p.converged,
                "problems": p.problems,
            }
            for p in sorted(snapshot.services, key=lambda p: p.name)
        ],
    }


@router.get(
    "/stacks/{name}/converge",
    **event_stream(
        "`progress` {state, reason, services: [{name, running, desired, converged, problems}]} at "
        "each change, then `end` with state converged or failed and the reason"
    ),
)
async def converge_stream(
    request: Request,
    name: StackName,
    t: Target = READ_ON,
    timeout: Annotated[int, Query(ge=1, le=3600)] = 300,
) -> StreamingResponse:
    """Follow stack NAME until every service runs all its tasks (and still does a second
    later), a service fails (3 failed or rejected tasks since it last changed, or its update
    paused or rolled back; the swarm keeps retrying), or ``timeout`` seconds pass."""
    client = t.client
    with naming(t.endpoint):
        services = await run_in_threadpool(stack_services, client, name)
    if not services:
        raise NoSuchStack(name)
    stop = threading.Event()
    snapshots = converge.watch(client, name, timeout, poll=WATCH_POLL, fail_after=FAIL_AFTER, stop=stop)

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        last = None
        try:
            async for snapshot in sse.pump(snapshots, stop.set):
                if snapshot is None:
                    yield sse.KEEPALIVE
                    continue
                shown = _snapshot(snapshot)
                if snapshot.state != "converging":
                    yield sse.event(shown, "end")
                    return
                if shown != last:
                    last = shown
                    yield sse.event(shown, "progress")
        except SwarmdeckError as exc:
            yield sse.event({"state": "failed", "reason": f"the engine: {exc}", "services": []}, "end")

    return sse.stream(body())
