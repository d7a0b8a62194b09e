"""What the console and the CLI show of a swarm, built from the engine's inspect answers.

Pure functions, no engine calls: a node, a task, a service, a stack summary and the
overview's problems, each a ``TypedDict`` (the console's JSON and templates read them as
they are). ``node_change`` and ``service_request`` turn a caller's choice into the engine's
words, refusing values they do not know (``InvalidAction``) before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import (
    Any,
    NotRequired,  # pydantic reads these on Python 3.11
)

from typing_extensions import TypedDict

from swarmdeck.engine.labels import STACK_NAMESPACE
from swarmdeck.swarm.errors import InvalidAction

Inspect = dict[str, Any]
NODE_ACTIONS = ("promote", "demote", "drain", "pause", "activate")
_NODE_CHANGES = {
    "promote": ("Role", "manager"),
    "demote": ("Role", "worker"),
    "drain": ("Availability", "drain"),
    "pause": ("Availability", "pause"),
    "activate": ("Availability", "active"),
}
TOKEN_ROLES = ("worker", "manager")
AVAILABILITIES = ("active", "pause", "drain")


class TaskView(TypedDict):
    id: str
    service_id: str
    service: str
    slot: int | None
    node_id: str
    node: str
    state: str
    desired: str
    message: str
    error: str  # the task's Status.Err: why it failed or was rejected ("" when none)
    image: str
    updated: str


class NodeView(TypedDict):
    id: str
    hostname: str
    role: str
    availability: str
    state: str
    addr: str
    engine_version: str
    labels: dict[str, str]
    leader: bool
    reachability: str
    tasks: int
    task_list: NotRequired[list[TaskView]]


class NodeUpdate(TypedDict, total=False):
    """What `docker node update` changes: only the keys given."""

    availability: str
    role: str
    label_add: dict[str, str]
    label_rm: list[str]


class SwarmUpdate(TypedDict, total=False):
    """What `docker swarm update` changes: only the keys given (durations in nanoseconds)."""

    task_history_limit: int
    dispatcher_heartbeat: int
    cert_expiry: int
    autolock: bool


class ServiceView(TypedDict):
    id: str
    name: str
    mode: str
    replicas: int
    running: int
    image: str
    endpoint_mode: str
    ports: list[str]
    stack: str
    labels: dict[str, str]
    update_state: str
    update_message: str
    has_previous: bool
    updated: str


class StackSummary(TypedDict):
    name: str
    services: int
    replicas: int
    running: int


class ServiceDetail(ServiceView):
    """A service with its environment (``KEY=value`` lines) and its tasks."""

    env: list[str]
    tasks: list[TaskView]


class StackDetail(TypedDict):
    name: str
    services: list[ServiceView]
    tasks: list[TaskView]


class Overview(TypedDict):
    """The engine's membership; on a manager also the swarm's health in numbers."""

    state: str
    role: str
    node_id: str
    node_addr: str
    is_manager: bool
    cluster_id: str
    nodes: NotRequired[int]
    managers: NotRequired[int]
    ready: NotRequired[int]
    services: NotRequired[int]
    tasks: NotRequired[dict[str, int]]
    healthy: NotRequired[bool]
    problems: NotRequired[list[str]]


class JoinLine(TypedDict):
    token: str
    command: str


class JoinTokens(TypedDict):
    """Both tokens with their `docker swarm join` lines, and where the others join."""

    worker: JoinLine
    manager: JoinLine
    manager_addr: str


class MapNode(TypedDict):
    id: str
    hostname: str
    role: str
    availability: str
    state: str


class MapTask(TypedDict):
    id: str
    service: str
    slot: int | None
    node_id: str
    state: str


class TaskMap(TypedDict):
    """Nodes × tasks, with only what the live map draws."""

    nodes: list[MapNode]
    tasks: list[MapTask]


# --- nodes ------------------------------------------------------------------------------
def node_addr(attrs: Inspect) -> str:
    """The address other hosts reach the node at: a manager may report 0.0.0.0 in
    ``Status.Addr`` (moby#30491), its manager address is right then."""
    addr = (attrs.get("Status") or {}).get("Addr", "")
    manager = attrs.get("ManagerStatus") or {}
    if addr in ("", "0.0.0.0") and manager:
        addr = manager.get("Addr", "").rsplit(":", 1)[0]
    return str(addr)


def node_view(attrs: Inspect, tasks: Counter[str]) -> NodeView:
    """A node's inspect answer, with ``tasks[node ID]`` tasks running on it."""
    spec, status, manager = attrs["Spec"], attrs["Status"], attrs.get("ManagerStatus") or {}
    description = attrs.get("Description") or {}
    return {
        "id": attrs["ID"],
        "hostname": description.get("Hostname", ""),
        "role": spec.get("Role", ""),
        "availability": spec.get("Availability", ""),
        "state": status.get("State", ""),
        "addr": node_addr(attrs),
        "engine_version": (description.get("Engine") or {}).get("EngineVersion", ""),
        "labels": dict(spec.get("Labels") or {}),
        "leader": bool(manager.get("Leader")),
        "reachability": manager.get("Reachability", ""),
        "tasks": tasks.get(attrs["ID"], 0),
    }


def running_by_node(tasks: Iterable[Inspect]) -> Counter[str]:
    return Counter(t.get("NodeID", "") for t in tasks if t["Status"]["State"] == "running")


def node_views(nodes: list[Inspect], running_tasks: list[Inspect]) -> list[NodeView]:
    """Managers first, then by hostname."""
    running = running_by_node(running_tasks)
    views = [node_view(n, running) for n in nodes]
    return sorted(views, key=lambda n: (n["role"] != "manager", n["hostname"], n["id"]))


def hostnames(nodes: list[Inspect]) -> dict[str, str]:
    return {n["ID"]: (n.get("Description") or {}).get("Hostname", "") for n in nodes}


def node_change(action: str) -> tuple[str, str]:
    """The spec key and value a node action sets: promote / demote (``Role``), drain /
    pause / activate (``Availability``)."""
    if action not in _NODE_CHANGES:
        raise InvalidAction(f"unknown node action {action!r} (one of {', '.join(NODE_ACTIONS)})")
    return _NODE_CHANGES[action]


def check_node_update(change: NodeUpdate) -> None:
    """Refuse an availability or role no node takes (nothing is sent)."""
    if "availability" in change and change["availability"] not in AVAILABILITIES:
        raise InvalidAction(
            f"invalid availability {change['availability']!r}: expected one of {', '.join(AVAILABILITIES)}"
        )
    if "role" in change:
        token_role(change["role"])


def apply_node_update(spec: Inspect, change: NodeUpdate) -> None:
    """Apply ``change`` to a node's spec in place: availability, role, labels added, then
    labels removed (a label the node does not have is refused, as the docker CLI does)."""
    check_node_update(change)
    if "availability" in change:
        spec["Availability"] = change["availability"]
    if "role" in change:
        spec["Role"] = change["role"]
    labels = dict(spec.get("Labels") or {})
    labels.update(change.get("label_add", {}))
    for key in change.get("label_rm", []):
        if key not in labels:
            raise InvalidAction(f"key {key} doesn't exist in node's labels")
        del labels[key]
    spec["Labels"] = labels


def token_role(role: str) -> str:
    if role not in TOKEN_ROLES:
        raise InvalidAction(f"role {role!r}: expected worker or manager")
    return role


# --- tasks ------------------------------------------------------------------------------
def task_view(t: Inspect, names: dict[str, str], hosts: dict[str, str]) -> TaskView:
    """A task, its service and node named (``names``: service ID → name; ``hosts``: node ID
    → hostname)."""
    status = t.get("Status") or {}
    service_id = t.get("ServiceID", "")
    return {
        "id": t["ID"],
        "service_id": service_id,
        "service": names.get(service_id, service_id[:12]),
        "slot": t.get("Slot"),
        "node_id": t.get("NodeID", ""),
        "node": hosts.get(t.get("NodeID", ""), ""),
        "state": status.get("State", ""),
        "desired": t.get("DesiredState", ""),
        "message": status.get("Err") or status.get("Message", ""),
        "error": status.get("Err", ""),
        "image": t["Spec"]["ContainerSpec"].get("Image", ""),
        "updated": t.get("UpdatedAt", ""),
    }


def task_views(tasks: list[Inspect], names: dict[str, str], hosts: dict[str, str]) -> list[TaskView]:
    """By service and slot, the tasks meant to run before the earlier ones."""
    views = [task_view(t, names, hosts) for t in tasks]
    return sorted(
        views, key=lambda t: (t["service"], t["slot"] or 0, t["desired"] != "running", t["updated"])
    )


# --- services ---------------------------------------------------------------------------
def service_view(s: Inspect, running: Counter[str], desired: Counter[str]) -> ServiceView:
    """A service with ``running[ID]`` tasks running of ``desired[ID]`` meant to (a global
    service's replicas are the tasks meant to run)."""
    spec = s["Spec"]
    mode = "global" if "Global" in spec.get("Mode", {}) else "replicated"
    endpoint = spec.get("EndpointSpec") or {}
    update = s.get("UpdateStatus") or {}
    labels = dict(spec.get("Labels") or {})
    return {
        "id": s["ID"],
        "name": spec["Name"],
        "mode": mode,
        "replicas": spec["Mode"]["Replicated"].get("Replicas", 0)
        if mode == "replicated"
        else desired.get(s["ID"], 0),
        "running": running.get(s["ID"], 0),
        "image": spec["TaskTemplate"]["ContainerSpec"]["Image"],
        "endpoint_mode": endpoint.get("Mode", "vip"),
        "ports": [
            f"{p.get('PublishedPort', '')}:{p.get('TargetPort')}/{p.get('Protocol', 'tcp')} "
            f"({p.get('PublishMode', 'ingress')})"
            for p in endpoint.get("Ports") or []
        ],
        "stack": labels.get(STACK_NAMESPACE, ""),
        "labels": labels,
        "update_state": update.get("State", ""),
        "update_message": update.get("Message", ""),
        "has_previous": bool(s.get("PreviousSpec")),
        "updated": s.get("UpdatedAt", ""),
    }


def service_views(services: list[Inspect], running_tasks: list[Inspect]) -> list[ServiceView]:
    """Every service with its tasks counted from one list of the tasks meant to run."""
    running = Counter(t["ServiceID"] for t in running_tasks if t["Status"]["State"] == "running")
    desired = Counter(t["ServiceID"] for t in running_tasks)
    return sorted((service_view(s, running, desired) for s in services), key=lambda s: s["name"])


@dataclass
class ServiceSpec:
    """What ``docker service create`` is told (the console's form)."""

    name: str
    image: str
    replicas: int = 1
    mode: str = "replicated"
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    ports: list[tuple[int, int, str, str]] = field(default_factory=list)  # published, target, proto, mode
    endpoint_mode: str = "vip"
    labels: dict[str, str] = field(default_factory=dict)
    networks: list[str] = field(default_factory=list)


def service_request(spec: ServiceSpec) -> dict[str, Any]:
    """The ``/services/create`` body of ``spec`` (what ``docker service create`` sends; the
    workload policy checks it). ``spec.networks[i]`` is ``TaskTemplate.Networks[i]``."""
    if spec.mode not in ("replicated", "global"):
        raise InvalidAction(f"unknown service mode {spec.mode!r} (replicated or global)")
    import docker.types  # start-up: the reads that import this module never build a request

    ports: list[Any] = [
        {"PublishedPort": p, "TargetPort": t, "Protocol": proto, "PublishMode": mode}
        for p, t, proto, mode in spec.ports
    ]
    mode = (
        docker.types.ServiceMode("global")
        if spec.mode == "global"
        else docker.types.ServiceMode("replicated", spec.replicas)
    )
    container = docker.types.ContainerSpec(
        spec.image, spec.command, env=[f"{k}={v}" for k, v in spec.env.items()]
    )
    task = docker.types.TaskTemplate(container, networks=spec.networks or None)
    return {
        "Name": spec.name,
        "Labels": spec.labels,
        "TaskTemplate": task,
        "Mode": mode,
        "EndpointSpec": docker.types.EndpointSpec(mode=spec.endpoint_mode, ports=ports),
    }


# --- stacks and the overview ------------------------------------------------------------
def stack_summaries(services: Iterable[ServiceView]) -> list[StackSummary]:
    """Services grouped by their stack label, by stack name."""
    stacks: dict[str, StackSummary] = {}
    for s in services:
        stack = stacks.setdefault(
            s["stack"], {"name": s["stack"], "services": 0, "replicas": 0, "running": 0}
        )
        stack["services"] += 1
        stack["replicas"] += s["replicas"]
        stack["running"] += s["running"]
    return [stacks[name] for name in sorted(stacks)]


def problems(nodes: list[NodeView], services: list[ServiceView]) -> list[str]:
    """What keeps a swarm from being healthy: nodes not ready, managers not reachable,
    services short of tasks."""
    found = [f"node {n['hostname']} ({n['id'][:12]}) is {n['state']}" for n in nodes if n["state"] != "ready"]
    found += [
        f"manager {n['hostname']} ({n['id'][:12]}) is {n['reachability']}"
        for n in nodes
        if n["role"] == "manager" and n["reachability"] != "reachable"
    ]
    found += [
        f"service {s['name']} runs {s['running']} of {s['replicas']} tasks"
        for s in services
        if s["running"] < s["replicas"]
    ]
    return found


def task_map(nodes: list[NodeView], tasks: list[TaskView]) -> TaskMap:
    """Nodes × tasks, with only what the live map draws."""
    return {
        "nodes": [
            MapNode(
                id=n["id"],
                hostname=n["hostname"],
                role=n["role"],
                availability=n["availability"],
                state=n["state"],
            )
            for n in nodes
        ],
        "tasks": [
            MapTask(id=t["id"], service=t["service"], slot=t["slot"], node_id=t["node_id"], state=t["state"])
            for t in tasks
        ],
    }
