"""The JSON API of the swarm: membership and join tokens, nodes, services, tasks, stacks, and
the live nodes × tasks map.

Membership (init, join, leave, tokens, node removal, promote/demote) needs an admin: it
changes who may run what on the cluster. Everyday operations (drain, scale, update, roll
back, create and remove services and stacks) need an operator. Every change is audited.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import docker.errors
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from swarmdeck.console import cluster, sse
from swarmdeck.console.context import ADMIN, OPERATE, READ, audit, audited, console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import Principal
from swarmdeck.store import Role

router = APIRouter(prefix="/api")
MAP_EVENT_TYPES = ["service", "node", "container"]
MAP_POLL_SECONDS = 2.0  # tasks on other nodes raise no event here: look again at least this often


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
    networks: list[str] = []


class ScaleIn(BaseModel):
    replicas: int = Field(ge=0, le=1000)


class ImageIn(BaseModel):
    image: str = Field(min_length=1, max_length=512)


def _engine(request: Request):  # type: ignore[no-untyped-def]
    return console(request).engine()


# --- the swarm ------------------------------------------------------------------------
@router.get("/swarm", tags=["swarm"])
def swarm_overview(request: Request, _: Principal = READ) -> dict[str, Any]:
    """Membership of this engine and, on a manager: nodes, managers, services, tasks, health."""
    return cluster.overview(_engine(request))


@router.post("/swarm/init", tags=["swarm"])
def swarm_init(request: Request, body: InitIn, who: Principal = ADMIN) -> dict[str, Any]:
    with audited(request, who, "swarm.init", target=body.advertise_addr or ""):
        cluster.init(_engine(request), body.advertise_addr)
    return cluster.overview(_engine(request))


@router.post("/swarm/join", tags=["swarm"])
def swarm_join(request: Request, body: JoinIn, who: Principal = ADMIN) -> dict[str, Any]:
    with audited(request, who, "swarm.join", target=body.manager_addr):  # never the token
        cluster.join(_engine(request), body.manager_addr, body.token, body.advertise_addr)
    return cluster.overview(_engine(request))


@router.post("/swarm/leave", tags=["swarm"])
def swarm_leave(request: Request, who: Principal = ADMIN, force: bool = False) -> dict[str, Any]:
    """`docker swarm leave`; a manager leaves only with ``force`` (it may break the quorum)."""
    with audited(request, who, "swarm.leave", target="force" if force else ""):
        cluster.leave(_engine(request), force)
    return cluster.overview(_engine(request))


@router.get("/swarm/join-tokens", tags=["swarm"])
def join_tokens(request: Request, _: Principal = ADMIN) -> dict[str, Any]:
    """The worker and manager tokens with their `docker swarm join` lines (admins only: a
    manager token lets a machine take part in running the cluster)."""
    return cluster.join_tokens(_engine(request))


@router.post("/swarm/join-tokens/{role}/rotate", tags=["swarm"])
def rotate_join_token(
    request: Request, role: Literal["worker", "manager"], who: Principal = ADMIN
) -> dict[str, Any]:
    with audited(request, who, "swarm.rotate-token", target=role):
        return cluster.rotate_token(_engine(request), role)


# --- nodes ----------------------------------------------------------------------------
@router.get("/nodes", tags=["swarm"])
def list_nodes(request: Request, _: Principal = READ) -> list[dict[str, Any]]:
    return cluster.list_nodes(_engine(request))


@router.get("/nodes/{node_id}", tags=["swarm"])
def get_node(request: Request, node_id: str, _: Principal = READ) -> dict[str, Any]:
    return cluster.get_node(_engine(request), node_id)


@router.post("/nodes/{node_id}/{action}", tags=["swarm"])
def node_action(
    request: Request,
    node_id: str,
    action: Literal["drain", "pause", "activate", "promote", "demote"],
    who: Principal = OPERATE,
) -> dict[str, Any]:
    """drain / pause / activate (operators); promote / demote change the managers (admins)."""
    if action in ("promote", "demote") and not who.role.allows(Role.ADMIN):
        audit(request, who, f"node.{action}", "denied", target=node_id)
        raise ConsoleError(f"{who.role.value} users may not {action} nodes (needs admin)", 403)
    with audited(request, who, f"node.{action}", target=node_id):
        return cluster.node_action(_engine(request), node_id, action)


@router.put("/nodes/{node_id}/labels", tags=["swarm"])
def set_node_labels(
    request: Request, node_id: str, body: LabelsIn, who: Principal = OPERATE
) -> dict[str, Any]:
    """Replace the node's labels (placement constraints read them)."""
    with audited(request, who, "node.labels", target=f"{node_id}: {', '.join(sorted(body.labels))}"):
        return cluster.set_node_labels(_engine(request), node_id, body.labels)


@router.delete("/nodes/{node_id}", tags=["swarm"])
def remove_node(
    request: Request, node_id: str, who: Principal = ADMIN, force: bool = False
) -> dict[str, str]:
    with audited(request, who, "node.remove", target=node_id):
        cluster.remove_node(_engine(request), node_id, force)
    return {"status": "removed"}


# --- services and tasks ---------------------------------------------------------------
@router.get("/services", tags=["swarm"])
def list_services(request: Request, _: Principal = READ) -> list[dict[str, Any]]:
    return cluster.list_services(_engine(request))


@router.post("/services", status_code=201, tags=["swarm"])
def create_service(request: Request, body: ServiceIn, who: Principal = OPERATE) -> dict[str, Any]:
    for port in body.ports:
        if port.mode == "ingress" and body.endpoint_mode == "dnsrr":
            raise ConsoleError(
                "ports in ingress mode need endpoint_mode vip: publish them in host mode with dnsrr", 400
            )
    spec = cluster.ServiceSpec(
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
    with audited(request, who, "service.create", target=f"{body.name} from {body.image}"):
        return cluster.create_service(_engine(request), spec)


@router.get("/services/{ref}", tags=["swarm"])
def get_service(request: Request, ref: str, _: Principal = READ) -> dict[str, Any]:
    """The service with its tasks (each with its node)."""
    return cluster.get_service(_engine(request), ref)


@router.post("/services/{ref}/scale", tags=["swarm"])
def scale_service(request: Request, ref: str, body: ScaleIn, who: Principal = OPERATE) -> dict[str, Any]:
    with audited(request, who, "service.scale", target=f"{ref} to {body.replicas}"):
        return cluster.scale(_engine(request), ref, body.replicas)


@router.post("/services/{ref}/image", tags=["swarm"])
def update_service_image(
    request: Request, ref: str, body: ImageIn, who: Principal = OPERATE
) -> dict[str, Any]:
    """A rolling update to another image."""
    with audited(request, who, "service.update-image", target=f"{ref} to {body.image}"):
        return cluster.update_image(_engine(request), ref, body.image)


@router.post("/services/{ref}/rollback", tags=["swarm"])
def rollback_service(request: Request, ref: str, who: Principal = OPERATE) -> dict[str, Any]:
    with audited(request, who, "service.rollback", target=ref):
        return cluster.rollback(_engine(request), ref)


@router.delete("/services/{ref}", tags=["swarm"])
def remove_service(request: Request, ref: str, who: Principal = OPERATE) -> dict[str, str]:
    with audited(request, who, "service.remove", target=ref):
        cluster.remove_service(_engine(request), ref)
    return {"status": "removed"}


@router.get("/services/{ref}/logs", tags=["swarm"])
def service_logs(
    request: Request, ref: str, _: Principal = READ, tail: Annotated[int, Query(ge=0, le=10000)] = 100
) -> dict[str, Any]:
    return {"lines": cluster.service_logs(_engine(request), ref, tail)}


@router.get("/tasks", tags=["swarm"])
def list_tasks(
    request: Request, _: Principal = READ, service: str = "", node: str = ""
) -> list[dict[str, Any]]:
    filters = {k: v for k, v in (("service", service), ("node", node)) if v}
    return cluster.list_tasks(_engine(request), filters)


@router.get("/swarm/map", tags=["swarm"])
def task_map(request: Request, _: Principal = READ) -> dict[str, Any]:
    """Nodes × tasks meant to run, once (the stream below keeps it current)."""
    return cluster.task_map(_engine(request))


@router.get(
    "/swarm/map/stream",
    tags=["swarm"],
    response_description="text/event-stream: `map` with the nodes × tasks map at each change",
)
async def task_map_stream(request: Request, _: Principal = READ) -> Any:
    """The map now, then again whenever it changes: woken by the engine's service, node and
    container events, and looked at every few seconds for task moves on other nodes."""
    client = await run_in_threadpool(console(request).engine)
    await run_in_threadpool(cluster.require_manager, client)
    try:
        events = await run_in_threadpool(client.events, decode=True, filters={"type": MAP_EVENT_TYPES})
    except docker.errors.DockerException as exc:
        raise ConsoleError(f"the engine's event stream: {exc}", 502) from exc
    wake = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        try:
            for _event in events:
                wake.set()
        except Exception:  # the stream was closed on the way out
            pass
        finally:
            wake.set()

    def maps() -> Iterator[dict[str, Any]]:
        last = ""
        while not stop.is_set():
            current = cluster.task_map(client)
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

    async def body():  # type: ignore[no-untyped-def]
        yield ": connected\n\n"
        async for item in sse.pump(maps(), close):
            yield sse.KEEPALIVE if item is None else sse.event(item, "map")

    return sse.stream(body())


# --- stacks ---------------------------------------------------------------------------
@router.get("/stacks", tags=["stacks"])
def list_stacks(request: Request, _: Principal = READ) -> list[dict[str, Any]]:
    """Every stack on the swarm, whoever deployed it (label com.docker.stack.namespace)."""
    return cluster.list_stacks(_engine(request))


@router.get("/stacks/{name}", tags=["stacks"])
def get_stack(request: Request, name: str, _: Principal = READ) -> dict[str, Any]:
    return cluster.get_stack(_engine(request), name)


@router.delete("/stacks/{name}", tags=["stacks"])
def remove_stack(request: Request, name: str, who: Principal = OPERATE) -> dict[str, Any]:
    """Like `docker stack rm`: services, configs, secrets, then networks; volumes stay."""
    with audited(request, who, "stack.remove", target=name):
        return {"removed": cluster.remove_stack(_engine(request), name)}
