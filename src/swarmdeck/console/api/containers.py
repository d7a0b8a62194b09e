"""Containers on the chosen endpoint: list (searched and paged here), run, inspect, start,
stop, restart, kill, remove, logs (a tail or followed live), stats, and the engine's
container events as they happen.

Non-admins' containers follow the workload policy (``engine.policy``); every change is audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import docker.utils
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from swarmdeck.console import envmask, sse
from swarmdeck.console import resources as res
from swarmdeck.console.api import models
from swarmdeck.console.api.streams import event_stream
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target, audited
from swarmdeck.console.params import ContainerRef, Filter, Page, Search, Timestamp
from swarmdeck.console.workloads import audit_target, policy_for, prepare
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.policy import describe_container

router = APIRouter(tags=["containers"])


class PortIn(BaseModel):
    container: str = Field(pattern=r"^\d{1,5}(/(tcp|udp|sctp))?$", description="80 or 80/udp")
    host_port: int | None = Field(default=None, ge=1, le=65535, description="none: any free port")
    host_ip: str = ""


class MountIn(BaseModel):
    source: str = Field(min_length=1, description="a volume name or an absolute host path")
    target: str = Field(pattern=r"^/")
    read_only: bool = False


class ContainerIn(BaseModel):
    image: str
    name: str | None = None
    command: list[str] | str | None = None
    env: dict[str, str] = {}
    ports: list[PortIn] = []
    volumes: list[MountIn] = []
    network: str | None = None
    restart_policy: Literal["no", "always", "unless-stopped", "on-failure"] = "no"
    max_retries: int = Field(default=0, ge=0)
    memory: str | None = Field(default=None, description="a limit like 100m or 1g")
    cpus: float | None = None
    labels: dict[str, str] = {}
    init: bool = False
    start: bool = True


def container_model(row: res.ContainerRow) -> models.Container:
    return models.Container.model_validate(row, from_attributes=True)


def container_page(found: res.Page) -> models.ContainerPage:
    """One page of containers: the API answers it, the containers page renders it."""
    return models.ContainerPage(
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        items=[container_model(r) for r in found.items],
    )


@router.get("/containers")
def list_containers(
    request: Request,
    t: Target = READ_ON,
    q: Search = "",
    state: Filter = "",
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> models.ContainerPage:
    """Filtered (state on the engine, ``q`` over name, image, stack, service, ID) and paged here."""
    return container_page(res.list_containers(t.client, q, state, page, per_page))


def _spec(body: ContainerIn) -> res.ContainerSpec:
    with doing(f"memory {body.memory!r}"):  # the SDK's own check of the value: a 400
        memory = int(docker.utils.parse_bytes(body.memory)) if body.memory else None
    command = body.command.split() if isinstance(body.command, str) else body.command
    return res.ContainerSpec(
        image=body.image,
        name=body.name,
        command=command,
        env=body.env,
        ports=[
            (p.container if "/" in p.container else f"{p.container}/tcp", p.host_ip, p.host_port)
            for p in body.ports
        ],
        volumes=[(v.source, v.target, v.read_only) for v in body.volumes],
        network=body.network,
        restart_policy=body.restart_policy,
        max_retries=body.max_retries,
        memory=memory,
        cpus=body.cpus,
        labels=body.labels,
        init=body.init,
    )


@router.post("/containers", status_code=201)
def run_container(request: Request, body: ContainerIn, t: Target = OPERATE_ON) -> models.Container:
    """Create a container from a local image and (unless ``start`` is false) start it.

    Non-admins' containers follow the workload policy (no host paths but those admins
    allowed, no host namespaces: ``GET /api/settings/workloads``); a refusal is a 403 naming
    the field. The audit entry names the container's mounts."""
    target = f"{body.name or '?'} from {body.image}"

    def request_body() -> tuple[res.ContainerSpec, dict[str, Any]]:
        spec = _spec(body)
        return spec, res.container_request(t.client, spec)

    spec, create = prepare(request, t, "container.run", target, request_body)
    with audited(
        request,
        t.who,
        "container.run",
        target=audit_target(target, describe_container(create)),
        endpoint=t.endpoint,
    ):
        return container_model(
            res.create_container(t.client, spec.name, create, policy_for(request, t.who), start=body.start)
        )


@router.get("/containers/{ref}")
def inspect_container(request: Request, ref: ContainerRef, t: Target = READ_ON) -> models.EngineDocument:
    """The engine's answer; environment values are masked for read-only users."""
    return models.EngineDocument(res.inspect_container(t.client, ref, reveal_env=envmask.reveals(t.who)))


@router.post("/containers/{ref}/{action}")
def container_action(
    request: Request,
    ref: ContainerRef,
    action: Literal["start", "stop", "restart", "kill"],
    t: Target = OPERATE_ON,
    timeout: Annotated[int | None, Query(ge=0, le=600)] = None,
) -> models.Status:
    """start, stop, restart or kill; ``timeout`` is the grace period before SIGKILL."""
    with audited(request, t.who, f"container.{action}", target=ref, endpoint=t.endpoint):
        res.container_action(t.client, ref, action, timeout=timeout)
    return models.Status(status=f"{action} done")


@router.delete("/containers/{ref}")
def remove_container(
    request: Request, ref: ContainerRef, t: Target = OPERATE_ON, force: bool = False
) -> models.Status:
    with audited(request, t.who, "container.remove", target=ref, endpoint=t.endpoint):
        res.container_action(t.client, ref, "remove", force=force)
    return models.Status(status="removed")


@router.get("/containers/{ref}/logs")
def container_logs(
    request: Request,
    ref: ContainerRef,
    t: Target = READ_ON,
    tail: Annotated[int, Query(ge=0, le=10000)] = 100,
) -> models.ContainerLogs:
    return models.ContainerLogs(lines=res.container_logs(t.client, ref, tail))


@router.get("/containers/{ref}/stats")
def container_stats(request: Request, ref: ContainerRef, t: Target = READ_ON) -> models.ContainerStats:
    """One sample (about a second): CPU %, memory, network and block IO, processes."""
    return models.ContainerStats(**res.container_stats(t.client, ref))


@router.get(
    "/containers/{ref}/logs/stream", **event_stream("one message per log line (a JSON string), then `end`")
)
async def follow_logs(
    request: Request,
    ref: ContainerRef,
    t: Target = READ_ON,
    tail: Annotated[int, Query(ge=0, le=10000)] = 0,
    since: Timestamp = None,
) -> StreamingResponse:
    """Follow the log as server-sent events (``data`` is the line as a JSON string)."""
    lines = await run_in_threadpool(res.LineStream, t.client, ref, tail, since)

    async def body() -> AsyncIterator[str]:
        async for line in sse.pump(iter(lines.next, None), lines.close):
            yield sse.KEEPALIVE if line is None else sse.event(line)
        yield sse.event("the container stopped", "end")

    return sse.stream(body())


@router.get("/events", **event_stream("`container` events: {id, name, state, status} per change"))
async def container_events(request: Request, t: Target = READ_ON) -> StreamingResponse:
    """Container state changes from the engine's event stream, as server-sent events."""
    client = t.client
    with doing("the engine's event stream"):
        events = await run_in_threadpool(client.events, decode=True, filters={"type": "container"})
    changes = (c for c in (res.container_event(client, e) for e in events) if c is not None)

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for change in sse.pump(changes, events.close):
            yield sse.KEEPALIVE if change is None else sse.event(change, "container")

    return sse.stream(body())
