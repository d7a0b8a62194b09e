"""The JSON API of the swarm: membership and join tokens, nodes, services, tasks, stacks, and
the live nodes × tasks map.

Every route acts on the endpoint in ``?endpoint=NAME`` (default: the console's own engine),
with the resource routes' dependency: team grants decide who reaches which (403), an unknown
name is 404, an engine that does not answer 502. Pointed at a swarm manager endpoint, the
console manages that swarm; a worker or an engine outside any swarm is refused (409) with the
endpoint named.

Membership (init, join, leave, tokens, node removal, promote/demote) needs an admin: it
changes who may run what on the cluster. Everyday operations (drain, scale, update, roll
back, create and remove services and stacks) need an operator; what a service may reach on
its hosts follows the caller's workload policy (``workloads``). Every change is audited with
its endpoint (a service's with its mounts and added capabilities).

The routes are adapters: the work is the swarm layer's (``swarmdeck.swarm``), whose domain
errors reach the console's one mapping (``errors.status_of``); here are the bodies, the
roles, the audit, the endpoint's name in refusals (``naming``), the workload policy as a
check (``workload_check``) and the environment masking (``shown_service``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, TypeVar

import docker
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from swarmdeck.console import envmask, sse
from swarmdeck.console import resources as res
from swarmdeck.console.api import models
from swarmdeck.console.api.streams import event_stream
from swarmdeck.console.context import ADMIN_ON, OPERATE_ON, READ_ON, Target, audit, audited
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import Filter, NetworkName, NodeRef, ServiceRef
from swarmdeck.console.security import Principal
from swarmdeck.console.workloads import audit_target, facts_for, policy_for, prepare, refuse
from swarmdeck.engine.errormap import doing, iterating
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.policy import Path, describe_service, format_path
from swarmdeck.store import Role
from swarmdeck.swarm import errors as swarm_errors
from swarmdeck.swarm import membership, nodes, overview, service_logs, services
from swarmdeck.swarm.views import (
    JoinTokens,
    NodeView,
    Overview,
    ServiceDetail,
    ServiceSpec,
    ServiceView,
    TaskMap,
    TaskView,
    service_request,
)

router = APIRouter(tags=["swarm"])
MAP_EVENT_TYPES = ["service", "node", "container"]
MAP_POLL_SECONDS = 2.0  # tasks on other nodes raise no event here: look again at least this often
T = TypeVar("T")


class InitIn(BaseModel):
    advertise_addr: str | None = Field(default=None, max_length=100)


class JoinIn(BaseModel):
    manager_addr: str = Field(pattern=r"^[^\s]+:\d{1,5}$", description="HOST:2377")
    token: str = Field(pattern=r"^SWMTKN-[A-Za-z0-9-]+$")
    advertise_addr: str | None = Field(default=None, max_length=100)


class LabelsIn(BaseModel):
    labels: dict[str, str]


class ServicePortIn(BaseModel):
    target: int = Field(ge=1, le=65535)
    published: int | None = Field(default=None, ge=1, le=65535)
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    mode: Literal["ingress", "host"] = "ingress"


class ServiceIn(BaseModel):
    name: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
    image: str = Field(min_length=1, max_length=512)
    mode: Literal["replicated", "global"] = "replicated"
    replicas: int = Field(default=1, ge=0, le=1000)
    command: list[str] | None = None
    env: dict[str, str] = {}
    ports: list[ServicePortIn] = []
    endpoint_mode: Literal["vip", "dnsrr"] = "vip"
    labels: dict[str, str] = {}
    networks: list[NetworkName] = []


class ScaleIn(BaseModel):
    replicas: int = Field(ge=0, le=1000)


class ImageIn(BaseModel):
    image: str = Field(min_length=1, max_length=512)


class EndpointOverview(Overview):
    """The swarm as the chosen endpoint sees it, and which endpoint that is."""

    endpoint: str


def naming(endpoint: str) -> contextlib.AbstractContextManager[None]:
    """The swarm refusals raised inside name ``endpoint``: the caller chose it, and may
    choose another (a manager)."""
    return swarm_errors.naming(f"endpoint {endpoint!r}")


@contextmanager
def changing(request: Request, t: Target, action: str, target: str = "") -> Iterator[docker.DockerClient]:
    """A change on the chosen endpoint: audited with the endpoint's name, which its swarm
    refusals name too. Yields the endpoint's client."""
    with audited(request, t.who, action, target=target, endpoint=t.endpoint), naming(t.endpoint):
        yield t.client


def named(t: Target, call: Callable[..., T], *args: Any) -> T:
    """``call(client, *args)`` on the chosen endpoint, its swarm refusals naming it."""
    with naming(t.endpoint):
        return call(t.client, *args)


def shown_service(service: ServiceDetail, who: Principal) -> ServiceDetail:
    """The service as ``who`` sees it: environment values masked unless they may see them."""
    return service if envmask.reveals(who) else {**service, "env": envmask.masked(service["env"]) or []}


def workload_check(
    request: Request, t: Target, field: Callable[[Path], str] = format_path, what: str = ""
) -> services.Check:
    """The caller's workload policy on a service spec, refusing (403) in the request's words."""
    policy = policy_for(request, t.who)

    def check(spec: dict[str, Any]) -> None:
        refuse(policy.service(spec, facts_for(policy, t.client)), field, what)

    return check


def _service_field(path: tuple[str | int, ...]) -> str:
    """A policy violation's place in the create body, said in ``ServiceIn``'s words."""
    if path[:2] == ("TaskTemplate", "Networks") and len(path) > 2:
        return f"networks[{path[2]}]"
    if path[:1] == ("Labels",) and len(path) > 1:
        return f"labels.{path[1]}"
    return format_path(path)


def _overview(t: Target) -> EndpointOverview:
    return EndpointOverview(endpoint=t.endpoint, **overview.overview(t.client))


# --- the swarm ------------------------------------------------------------------------
@router.get("/swarm")
def swarm_overview(request: Request, t: Target = READ_ON) -> EndpointOverview:
    """The endpoint's membership (state, role) and, on a manager: nodes, managers, services,
    tasks, health."""
    return _overview(t)


@router.post("/swarm/init")
def swarm_init(request: Request, body: InitIn, t: Target = ADMIN_ON) -> EndpointOverview:
    with changing(request, t, "swarm.init", target=body.advertise_addr or "") as client:
        membership.init(client, body.advertise_addr)
    return _overview(t)


@router.post("/swarm/join")
def swarm_join(request: Request, body: JoinIn, t: Target = ADMIN_ON) -> EndpointOverview:
    with changing(request, t, "swarm.join", target=body.manager_addr) as client:  # never the token
        membership.join(client, body.manager_addr, body.token, body.advertise_addr)
    return _overview(t)


@router.post("/swarm/leave")
def swarm_leave(request: Request, t: Target = ADMIN_ON, force: bool = False) -> EndpointOverview:
    """`docker swarm leave`; a manager leaves only with ``force`` (it may break the quorum)."""
    with changing(request, t, "swarm.leave", target="force" if force else "") as client:
        membership.leave(client, force)
    return _overview(t)


@router.get("/swarm/join-tokens")
def join_tokens(request: Request, t: Target = ADMIN_ON) -> JoinTokens:
    """The worker and manager tokens with their `docker swarm join` lines (admins only: a
    manager token lets a machine take part in running the cluster)."""
    with naming(t.endpoint):
        return membership.join_tokens(t.client)


@router.post("/swarm/join-tokens/{role}/rotate")
def rotate_join_token(
    request: Request, role: Literal["worker", "manager"], t: Target = ADMIN_ON
) -> JoinTokens:
    with changing(request, t, "swarm.rotate-token", target=role) as client:
        return membership.rotate_token(client, role)


# --- nodes ----------------------------------------------------------------------------
@router.get("/nodes")
def list_nodes(request: Request, t: Target = READ_ON) -> list[NodeView]:
    with naming(t.endpoint):
        return nodes.list_nodes(t.client)


@router.get("/nodes/{node_id}")
def get_node(request: Request, node_id: NodeRef, t: Target = READ_ON) -> NodeView:
    with naming(t.endpoint):
        return nodes.get_node(t.client, node_id)


@router.post("/nodes/{node_id}/{action}")
def node_action(
    request: Request,
    node_id: NodeRef,
    action: Literal["drain", "pause", "activate", "promote", "demote"],
    t: Target = OPERATE_ON,
) -> NodeView:
    """drain / pause / activate (operators); promote / demote change the managers (admins)."""
    if action in ("promote", "demote") and not t.who.role.allows(Role.ADMIN):
        audit(request, t.who, f"node.{action}", "denied", target=node_id, endpoint=t.endpoint)
        raise ConsoleError(f"{t.who.role.value} users may not {action} nodes (needs admin)", 403)
    with changing(request, t, f"node.{action}", target=node_id) as client:
        return nodes.node_action(client, node_id, action)


@router.put("/nodes/{node_id}/labels")
def set_node_labels(request: Request, node_id: NodeRef, body: LabelsIn, t: Target = OPERATE_ON) -> NodeView:
    """Replace the node's labels (placement constraints read them)."""
    with changing(request, t, "node.labels", target=f"{node_id}: {', '.join(sorted(body.labels))}") as client:
        return nodes.set_labels(client, node_id, body.labels)


@router.delete("/nodes/{node_id}")
def remove_node(
    request: Request, node_id: NodeRef, t: Target = ADMIN_ON, force: bool = False
) -> models.Status:
    with changing(request, t, "node.remove", target=node_id) as client:
        nodes.remove(client, node_id, force)
    return models.Status(status="removed")


# --- services and tasks ---------------------------------------------------------------
@router.get("/services")
def list_services(request: Request, t: Target = READ_ON) -> list[ServiceView]:
    with naming(t.endpoint):
        return services.list_services(t.client)


@router.post("/services", status_code=201)
def create_service(request: Request, body: ServiceIn, t: Target = OPERATE_ON) -> ServiceDetail:
    for port in body.ports:
        if port.mode == "ingress" and body.endpoint_mode == "dnsrr":
            raise ConsoleError(
                "ports in ingress mode need endpoint_mode vip: publish them in host mode with dnsrr", 400
            )
    spec = ServiceSpec(
        name=body.name,
        image=body.image,
        replicas=body.replicas,
        mode=body.mode,
        command=body.command,
        env=body.env,
        ports=[(p.published or 0, p.target, p.protocol, p.mode) for p in body.ports],
        endpoint_mode=body.endpoint_mode,
        labels=body.labels,
        networks=body.networks,
    )
    request_body = service_request(spec)
    target = audit_target(f"{body.name} from {body.image}", describe_service(request_body))
    with changing(request, t, "service.create", target=target) as client:
        return services.create(client, request_body, workload_check(request, t, _service_field))


@router.get("/services/{ref}")
def get_service(request: Request, ref: ServiceRef, t: Target = READ_ON) -> ServiceDetail:
    """The service with its tasks (each with its node); environment values are masked for
    read-only users."""
    with naming(t.endpoint):
        return shown_service(services.get_service(t.client, ref), t.who)


@router.post("/services/{ref}/scale")
def scale_service(request: Request, ref: ServiceRef, body: ScaleIn, t: Target = OPERATE_ON) -> ServiceDetail:
    with changing(request, t, "service.scale", target=f"{ref} to {body.replicas}") as client:
        return services.scale(client, ref, body.replicas)


@router.post("/services/{ref}/image")
def update_service_image(
    request: Request, ref: ServiceRef, body: ImageIn, t: Target = OPERATE_ON
) -> ServiceDetail:
    """A rolling update to another image. The spec the service will have must pass the
    caller's workload policy: an operator cannot update an admin's service that mounts the
    engine's socket, even if only the image changes."""
    target = f"{ref} to {body.image}"
    service, spec = prepare(
        request, t, "service.update-image", target, lambda: named(t, services.image_update, ref, body.image)
    )
    with changing(
        request, t, "service.update-image", target=audit_target(target, describe_service(spec))
    ) as client:
        what = f"service {service.name} after the update would have"
        return services.update_image(client, service, spec, workload_check(request, t, what=what))


@router.post("/services/{ref}/rollback")
def rollback_service(request: Request, ref: ServiceRef, t: Target = OPERATE_ON) -> ServiceDetail:
    """Back to the previous spec, which must pass the caller's workload policy."""
    service, spec = prepare(
        request, t, "service.rollback", ref, lambda: named(t, services.rollback_target, ref)
    )
    with changing(request, t, "service.rollback", target=audit_target(ref, describe_service(spec))) as client:
        what = f"service {service.name} after the rollback would have"
        return services.rollback(client, service, workload_check(request, t, what=what))


@router.delete("/services/{ref}")
def remove_service(request: Request, ref: ServiceRef, t: Target = OPERATE_ON) -> models.Status:
    with changing(request, t, "service.remove", target=ref) as client:
        services.remove(client, ref)
    return models.Status(status="removed")


LogTail = Annotated[int, Query(ge=0, le=10000)]
LogSearch = Annotated[str, Query(max_length=200, description="only the lines containing this (any case)")]


def log_options(tail: int, timestamps: bool, search: str, follow: bool = False) -> service_logs.LogOptions:
    return service_logs.LogOptions(follow=follow, timestamps=timestamps, tail=str(tail), search=search)


@router.get("/services/{ref}/logs")
def service_log_lines(
    request: Request,
    ref: ServiceRef,
    t: Target = READ_ON,
    tail: LogTail = 100,
    timestamps: bool = True,
    search: LogSearch = "",
) -> models.ContainerLogs:
    """The last ``tail`` lines of every task, each after its timestamp and its
    ``name.slot.task@node`` prefix as `docker service logs` prints them; searched here."""
    with naming(t.endpoint):
        lines = service_logs.Lines(t.client, ref, log_options(tail, timestamps, search))
        return models.ContainerLogs(lines=list(lines))


@router.get(
    "/services/{ref}/logs/stream",
    **event_stream("one message per log line (a JSON string, prefixed as GET .../logs gives it)"),
)
async def follow_service_logs(
    request: Request,
    ref: ServiceRef,
    t: Target = READ_ON,
    tail: LogTail = 0,
    timestamps: bool = True,
    search: LogSearch = "",
) -> StreamingResponse:
    """Follow every task's log as server-sent events, searched here when ``search`` is given."""
    with naming(t.endpoint):
        lines = await run_in_threadpool(
            service_logs.Lines, t.client, ref, log_options(tail, timestamps, search, follow=True)
        )

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for line in sse.pump(lines, lines.close):
            yield sse.KEEPALIVE if line is None else sse.event(line)

    return sse.stream(body())


@router.get("/services/{ref}/stats")
def service_stats(request: Request, ref: ServiceRef, t: Target = READ_ON) -> models.ServiceStats:
    """One sample (about a second) of each of the service's running containers on this
    endpoint's node, summed; tasks on other nodes are listed in ``elsewhere``."""
    with naming(t.endpoint):
        return models.ServiceStats(**res.service_stats(t.client, ref))


@router.get("/tasks")
def list_tasks(
    request: Request, t: Target = READ_ON, service: Filter = "", node: Filter = ""
) -> list[TaskView]:
    filters = {k: v for k, v in (("service", service), ("node", node)) if v}
    with naming(t.endpoint):
        return services.list_tasks(t.client, filters)


@router.get("/swarm/map")
def task_map(request: Request, t: Target = READ_ON) -> TaskMap:
    """Nodes × tasks meant to run, once (the stream below keeps it current)."""
    with naming(t.endpoint):
        return overview.task_map(t.client)


@router.get(
    "/swarm/map/stream",
    **event_stream("`map` with the nodes × tasks map (as GET /api/swarm/map) at each change"),
)
async def task_map_stream(request: Request, t: Target = READ_ON) -> StreamingResponse:
    """The map now, then again whenever it changes: woken by the engine's service, node and
    container events, and looked at every few seconds for task moves on other nodes."""
    client = t.client
    with naming(t.endpoint):
        await run_in_threadpool(membership.require_manager, client)

    def subscribe() -> Any:
        with doing("the engine's event stream"):
            return client.events(decode=True, filters={"type": MAP_EVENT_TYPES})

    events = await run_in_threadpool(subscribe)
    wake = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        try:
            for _event in iterating("the engine's event stream", events):
                wake.set()
        except EngineError:
            pass  # the stream was cut (closing it ends it cleanly): the map is still polled
        finally:
            wake.set()

    def maps() -> Iterator[TaskMap]:
        last = ""
        while not stop.is_set():
            current = overview.task_map(client)
            text = json.dumps(current, sort_keys=True)
            if text != last:
                last = text
                yield current
            wake.wait(MAP_POLL_SECONDS)
            wake.clear()

    def close() -> None:
        stop.set()
        events.close()

    threading.Thread(target=watch, daemon=True, name="swarm-map-events").start()

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for item in sse.pump(maps(), close):
            yield sse.KEEPALIVE if item is None else sse.event(item, "map")

    return sse.stream(body())
