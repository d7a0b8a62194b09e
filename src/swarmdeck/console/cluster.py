"""The swarm as the console shows it: overview, membership, nodes, services, tasks and stacks.

Plain functions over a Docker SDK client (the engine of the endpoint a request chose). Engine
refusals become one ``ConsoleError`` with the engine's meaning kept (404, 409, 400); everything
the pages need comes back as plain dicts of strings and numbers. A refusal about the engine's
place in the swarm (not in one, a worker, already in one) is a ``SwarmRefusal``: the routes
name the endpoint in it with ``naming``.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import docker
import docker.errors
import docker.types

from swarmdeck.console import envmask
from swarmdeck.console.errors import ConsoleError, engine_error
from swarmdeck.console.workloads import facts_for, refuse
from swarmdeck.engine.names import path as engine_path
from swarmdeck.engine.policy import WorkloadPolicy, format_path

STACK_LABEL = "com.docker.stack.namespace"
SWARM_PORT = 2377
NODE_ACTIONS = ("promote", "demote", "drain", "pause", "activate")
T = TypeVar("T")


class SwarmRefusal(ConsoleError):
    """The engine cannot do this in its place in the swarm (409). ``template`` says why, with
    ``{engine}`` where the engine is named: "this engine" until ``naming`` knows its endpoint."""

    def __init__(self, template: str, engine: str = "this engine") -> None:
        super().__init__(template.format(engine=engine), 409)
        self.template = template


@contextmanager
def naming(endpoint: str) -> Iterator[None]:
    """Name ``endpoint`` in the swarm refusals raised inside: the caller chose it, and may
    choose another (a manager)."""
    try:
        yield
    except SwarmRefusal as exc:
        raise SwarmRefusal(exc.template, f"endpoint {endpoint!r}") from None


def _engine(action: str, call: Callable[[], T]) -> T:
    try:
        return call()
    except docker.errors.DockerException as exc:
        raise engine_error(action, exc) from exc


def manager_read(client: docker.DockerClient, action: str, call: Callable[[], T]) -> T:
    """A read that only a manager answers, without asking first: the engine refuses it with
    503 off a manager, and only then does ``require_manager`` find out why (one /info less
    per view: it costs about as much as listing the tasks)."""
    try:
        return call()
    except docker.errors.APIError as exc:
        if exc.status_code == 503:
            require_manager(client)
        raise engine_error(action, exc) from exc
    except docker.errors.DockerException as exc:
        raise engine_error(action, exc) from exc


def _nodes(client: docker.DockerClient) -> list[dict[str, Any]]:
    return manager_read(client, "listing nodes", client.api.nodes)


def _services(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return manager_read(client, "listing services", lambda: client.api.services(filters=filters))


def _tasks(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return manager_read(client, "listing tasks", lambda: client.api.tasks(filters=filters or {}))


RUNNING = {"desired-state": "running"}  # the tasks meant to run (not the history of earlier ones)


# --- membership -------------------------------------------------------------------------
def swarm_info(client: docker.DockerClient) -> dict[str, Any]:
    return _engine("reading the engine's swarm state", client.info).get("Swarm") or {}


def require_manager(client: docker.DockerClient) -> dict[str, Any]:
    info = swarm_info(client)
    if info.get("LocalNodeState") != "active":
        raise SwarmRefusal(
            "{engine} is not part of a swarm: initialise one (POST /api/swarm/init) or join one"
        )
    if not info.get("ControlAvailable"):
        raise SwarmRefusal(
            "{engine} is a swarm worker: only a manager answers this; choose a manager endpoint"
        )
    return info


def init(client: docker.DockerClient, advertise_addr: str | None) -> dict[str, Any]:
    state = swarm_info(client).get("LocalNodeState", "inactive")
    if state != "inactive":
        raise SwarmRefusal(f"{{engine}} is already in a swarm (state {state}): leave it first")
    _engine("swarm init", lambda: client.swarm.init(advertise_addr=advertise_addr or None))
    return swarm_info(client)


def join(
    client: docker.DockerClient, manager_addr: str, token: str, advertise_addr: str | None
) -> dict[str, Any]:
    state = swarm_info(client).get("LocalNodeState", "inactive")
    if state != "inactive":
        raise SwarmRefusal(f"{{engine}} is already in a swarm (state {state}): leave it first")
    _engine(
        f"joining the swarm at {manager_addr}",
        lambda: client.swarm.join(
            remote_addrs=[manager_addr], join_token=token, advertise_addr=advertise_addr or None
        ),
    )
    return swarm_info(client)


def leave(client: docker.DockerClient, force: bool) -> None:
    if swarm_info(client).get("LocalNodeState") == "inactive":
        raise SwarmRefusal("{engine} is not part of a swarm")
    _engine("leaving the swarm", lambda: client.swarm.leave(force=force))


def manager_address(client: docker.DockerClient, info: dict[str, Any]) -> str:
    """HOST:2377 where the others join: this manager's own address in the swarm."""
    node = _engine("reading this node", lambda: client.nodes.get(info["NodeID"]))
    addr = (node.attrs.get("ManagerStatus") or {}).get("Addr", "")
    return addr or f"{info.get('NodeAddr', '')}:{SWARM_PORT}"


def join_tokens(client: docker.DockerClient, overview: dict[str, Any] | None = None) -> dict[str, Any]:
    """Both tokens and the exact `docker swarm join` line for each. ``overview``: this
    manager's (from ``overview_and_nodes``) when the caller has it: the engine's info is
    not asked for again."""
    if overview and overview.get("is_manager"):
        info = {"NodeID": overview["node_id"], "NodeAddr": overview["node_addr"]}
    else:
        info = require_manager(client)
    _engine("reading the swarm", client.swarm.reload)
    tokens = client.swarm.attrs.get("JoinTokens") or {}
    addr = manager_address(client, info)
    return {
        role: {
            "token": tokens.get(role.capitalize(), ""),
            "command": f"docker swarm join --token {tokens.get(role.capitalize(), '')} {addr}",
        }
        for role in ("worker", "manager")
    } | {"manager_addr": addr}


def rotate_token(client: docker.DockerClient, role: str) -> dict[str, Any]:
    require_manager(client)
    _engine("reading the swarm", client.swarm.reload)
    _engine(
        f"rotating the {role} token",
        lambda: client.swarm.update(
            rotate_worker_token=role == "worker", rotate_manager_token=role == "manager"
        ),
    )
    return join_tokens(client)


# --- nodes ------------------------------------------------------------------------------
def _node(attrs: dict[str, Any], tasks: Counter[str]) -> dict[str, Any]:
    spec, status, manager = attrs["Spec"], attrs["Status"], attrs.get("ManagerStatus") or {}
    addr = status.get("Addr", "")
    if addr in ("", "0.0.0.0") and manager:  # a manager may report 0.0.0.0 (moby#30491)
        addr = manager.get("Addr", "").rsplit(":", 1)[0]
    description = attrs.get("Description") or {}
    return {
        "id": attrs["ID"],
        "hostname": description.get("Hostname", ""),
        "role": spec.get("Role", ""),
        "availability": spec.get("Availability", ""),
        "state": status.get("State", ""),
        "addr": addr,
        "engine_version": (description.get("Engine") or {}).get("EngineVersion", ""),
        "labels": dict(spec.get("Labels") or {}),
        "leader": bool(manager.get("Leader")),
        "reachability": manager.get("Reachability", ""),
        "tasks": tasks.get(attrs["ID"], 0),
    }


def _running_by_node(tasks: list[dict[str, Any]]) -> Counter[str]:
    return Counter(t.get("NodeID", "") for t in tasks if t["Status"]["State"] == "running")


def _node_views(nodes: list[dict[str, Any]], running_tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    running = _running_by_node(running_tasks)
    views = [_node(n, running) for n in nodes]
    return sorted(views, key=lambda n: (n["role"] != "manager", n["hostname"], n["id"]))


def list_nodes(client: docker.DockerClient) -> list[dict[str, Any]]:
    return _node_views(_nodes(client), _tasks(client, RUNNING))


def get_node(client: docker.DockerClient, node_id: str) -> dict[str, Any]:
    attrs = manager_read(client, f"node {node_id}", lambda: client.api.inspect_node(node_id))
    tasks = _tasks(client, {"node": attrs["ID"]})
    view = _node(attrs, _running_by_node([t for t in tasks if t.get("DesiredState") == "running"]))
    view["task_list"] = _task_views(tasks, _service_names(client), {attrs["ID"]: view["hostname"]})
    return view


def _update_node(
    client: docker.DockerClient, node_id: str, action: str, change: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    require_manager(client)
    attrs = _engine(f"node {node_id}", lambda: client.api.inspect_node(node_id))
    spec = dict(attrs["Spec"])
    change(spec)
    _engine(
        f"{action} node {node_id}",
        lambda: client.api.update_node(attrs["ID"], attrs["Version"]["Index"], spec),
    )
    return get_node(client, attrs["ID"])


def node_action(client: docker.DockerClient, node_id: str, action: str) -> dict[str, Any]:
    """promote / demote (role) or drain / pause / activate (availability)."""
    if action not in NODE_ACTIONS:
        raise ConsoleError(f"unknown node action {action!r} (one of {', '.join(NODE_ACTIONS)})")
    info = require_manager(client)
    if action == "demote":
        managers = [n for n in list_nodes(client) if n["role"] == "manager"]
        target = _engine(f"node {node_id}", lambda: client.api.inspect_node(node_id))["ID"]
        if [m["id"] for m in managers] == [target]:
            raise ConsoleError("this is the swarm's only manager: promote another node first", 409)
        if target == info.get("NodeID"):
            raise SwarmRefusal("{engine} is the manager this acts through: demote it from another one")
    key, value = {
        "promote": ("Role", "manager"),
        "demote": ("Role", "worker"),
        "drain": ("Availability", "drain"),
        "pause": ("Availability", "pause"),
        "activate": ("Availability", "active"),
    }[action]
    return _update_node(client, node_id, action, lambda spec: spec.__setitem__(key, value))


def set_node_labels(client: docker.DockerClient, node_id: str, labels: dict[str, str]) -> dict[str, Any]:
    return _update_node(client, node_id, "labelling", lambda spec: spec.__setitem__("Labels", labels))


def remove_node(client: docker.DockerClient, node_id: str, force: bool) -> None:
    info = require_manager(client)
    target = _engine(f"node {node_id}", lambda: client.api.inspect_node(node_id))["ID"]
    if target == info.get("NodeID"):
        raise SwarmRefusal("{engine} is that node: remove it from another manager endpoint")
    _engine(f"removing node {node_id}", lambda: client.api.remove_node(target, force=force))


# --- services and tasks -----------------------------------------------------------------
def _task(t: dict[str, Any], names: dict[str, str], hosts: dict[str, str]) -> dict[str, Any]:
    status = t.get("Status") or {}
    return {
        "id": t["ID"],
        "service_id": t.get("ServiceID", ""),
        "service": names.get(t.get("ServiceID", ""), t.get("ServiceID", "")[:12]),
        "slot": t.get("Slot"),
        "node_id": t.get("NodeID", ""),
        "node": hosts.get(t.get("NodeID", ""), ""),
        "state": status.get("State", ""),
        "desired": t.get("DesiredState", ""),
        "message": status.get("Err") or status.get("Message", ""),
        "image": t["Spec"]["ContainerSpec"].get("Image", ""),
        "updated": t.get("UpdatedAt", ""),
    }


def _service_names(client: docker.DockerClient) -> dict[str, str]:
    return {s["ID"]: s["Spec"]["Name"] for s in _services(client)}


def _hostnames(nodes: list[dict[str, Any]]) -> dict[str, str]:
    return {n["ID"]: (n.get("Description") or {}).get("Hostname", "") for n in nodes}


def _task_views(
    tasks: list[dict[str, Any]], names: dict[str, str], hosts: dict[str, str]
) -> list[dict[str, Any]]:
    views = [_task(t, names, hosts) for t in tasks]
    return sorted(
        views, key=lambda t: (t["service"], t["slot"] or 0, t["desired"] != "running", t["updated"])
    )


def list_tasks(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    tasks = _tasks(client, filters)
    return _task_views(tasks, _service_names(client), _hostnames(_nodes(client)))


def _service(s: dict[str, Any], running: Counter[str], desired: Counter[str]) -> dict[str, Any]:
    spec = s["Spec"]
    mode = "global" if "Global" in spec.get("Mode", {}) else "replicated"
    endpoint = spec.get("EndpointSpec") or {}
    update = s.get("UpdateStatus") or {}
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
        "stack": (spec.get("Labels") or {}).get(STACK_LABEL, ""),
        "labels": dict(spec.get("Labels") or {}),
        "update_state": update.get("State", ""),
        "update_message": update.get("Message", ""),
        "has_previous": bool(s.get("PreviousSpec")),
        "updated": s.get("UpdatedAt", ""),
    }


def _service_views(
    services: list[dict[str, Any]], running_tasks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    running = Counter(t["ServiceID"] for t in running_tasks if t["Status"]["State"] == "running")
    desired = Counter(t["ServiceID"] for t in running_tasks)
    return sorted((_service(s, running, desired) for s in services), key=lambda s: s["name"])


def list_services(client: docker.DockerClient, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every service with its tasks counted: two engine calls whatever the number of services
    (the tasks of all of them in one list)."""
    services = _services(client, filters)
    if not services:
        return []
    return _service_views(services, _tasks(client, RUNNING))


def get_service(client: docker.DockerClient, ref: str, reveal_env: bool = True) -> dict[str, Any]:
    """The service with its tasks; environment values masked unless ``reveal_env``."""
    s = manager_read(client, f"service {ref}", lambda: client.api.inspect_service(ref))
    tasks = _task_views(
        _tasks(client, {"service": s["ID"]}), {s["ID"]: s["Spec"]["Name"]}, _hostnames(_nodes(client))
    )
    running = Counter(t["service_id"] for t in tasks if t["state"] == "running")
    desired = Counter(t["service_id"] for t in tasks if t["desired"] == "running")
    view = _service(s, running, desired)
    env = s["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env") or []
    return {**view, "env": env if reveal_env else envmask.masked(env), "tasks": tasks}


@dataclass
class ServiceSpec:
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
    ports = [
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


def _service_field(path: tuple[str | int, ...]) -> str:
    """A policy violation's place in the create body, said in ``ServiceIn``'s words."""
    if path[:2] == ("TaskTemplate", "Networks") and len(path) > 2:
        return f"networks[{path[2]}]"
    if path[:1] == ("Labels",) and len(path) > 1:
        return f"labels.{path[1]}"
    return format_path(path)


def create_service(
    client: docker.DockerClient, body: dict[str, Any], policy: WorkloadPolicy
) -> dict[str, Any]:
    """Create the service ``body`` (from ``service_request``) once ``policy`` allows it."""
    require_manager(client)
    refuse(policy.service(body, facts_for(policy, client)), _service_field)
    for attachment in body["TaskTemplate"].get("Networks") or []:
        # Engine 20.10 answers a missing network with a 500: ask first, for a plain 404.
        _engine(f"network {attachment['Target']}", lambda a=attachment: client.networks.get(a["Target"]))
    service_id = _engine(
        f"creating service {body['Name']}",
        lambda: client.api.create_service(
            body["TaskTemplate"],
            name=body["Name"],
            labels=body["Labels"],
            mode=body["Mode"],
            endpoint_spec=body["EndpointSpec"],
        ),
    )
    return get_service(client, service_id["ID"])


def _service_obj(client: docker.DockerClient, ref: str):  # type: ignore[no-untyped-def]
    require_manager(client)
    return _engine(f"service {ref}", lambda: client.services.get(ref))


def scale(client: docker.DockerClient, ref: str, replicas: int) -> dict[str, Any]:
    """Only the replica count changes: the workload stays what it was (no policy check)."""
    service = _service_obj(client, ref)
    if "Replicated" not in service.attrs["Spec"].get("Mode", {}):
        raise ConsoleError(
            f"service {service.name} is global: it runs one task per node and does not scale", 409
        )
    _engine(f"scaling {service.name}", lambda: service.scale(replicas))
    return get_service(client, service.id)


def image_update(client: docker.DockerClient, ref: str, image: str) -> tuple[Any, dict[str, Any]]:
    """The service, and the spec it will have once its image is ``image`` (all else kept)."""
    service = _service_obj(client, ref)
    spec = copy.deepcopy(service.attrs["Spec"])
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = image
    if spec["TaskTemplate"].get("Networks") is None and spec.get("Networks"):
        # the deprecated place: an update moves them into the task template (as the SDK did)
        spec["TaskTemplate"]["Networks"] = spec.pop("Networks")
    return service, spec


def update_image(
    client: docker.DockerClient, service: Any, spec: dict[str, Any], policy: WorkloadPolicy
) -> dict[str, Any]:
    """A rolling update of ``service`` to ``spec`` (from ``image_update``) once ``policy``
    allows the spec the service will have: a non-admin cannot update a service that reaches
    into the host, even when only its image changes."""
    refuse(
        policy.service(spec, facts_for(policy, client)),
        what=f"service {service.name} after the update would have",
    )
    api = client.api
    _engine(
        f"updating {service.name}",
        lambda: api.update_service(
            service.id,
            service.version,
            task_template=spec["TaskTemplate"],
            name=spec["Name"],
            labels=spec.get("Labels"),
            mode=spec.get("Mode"),
            update_config=spec.get("UpdateConfig"),
            rollback_config=spec.get("RollbackConfig"),
            endpoint_spec=spec.get("EndpointSpec"),
        ),
    )
    return get_service(client, service.id)


def rollback_target(client: docker.DockerClient, ref: str) -> tuple[Any, dict[str, Any]]:
    """The service, and the spec a rollback returns it to (its previous one)."""
    service = _service_obj(client, ref)
    if not service.attrs.get("PreviousSpec"):
        raise ConsoleError(f"service {service.name} has no previous spec to roll back to", 409)
    return service, service.attrs["PreviousSpec"]


def rollback(client: docker.DockerClient, service: Any, policy: WorkloadPolicy) -> dict[str, Any]:
    """`docker service rollback`: back to the spec before the last update, once ``policy``
    allows that spec."""
    refuse(
        policy.service(service.attrs["PreviousSpec"], facts_for(policy, client)),
        what=f"service {service.name} after the rollback would have",
    )
    api = client.api

    # The SDK has no rollback call: POST /services/{id}/update?rollback=previous as the CLI does.
    def call() -> None:
        answer = api._post_json(
            api._url(engine_path("/services/{}/update", service.id)),
            data=service.attrs["Spec"],
            params={"version": service.version, "rollback": "previous"},
        )
        api._raise_for_status(answer)

    _engine(f"rolling back {service.name}", call)
    return get_service(client, service.id)


def remove_service(client: docker.DockerClient, ref: str) -> None:
    service = _service_obj(client, ref)
    _engine(f"removing {service.name}", service.remove)


def service_logs(client: docker.DockerClient, ref: str, tail: int) -> list[str]:
    service = _service_obj(client, ref)
    raw = _engine(
        f"logs of {service.name}",
        lambda: b"".join(service.logs(stdout=True, stderr=True, tail=tail, details=False, timestamps=False)),
    )
    return raw.decode("utf-8", "replace").splitlines()


def task_map(client: docker.DockerClient) -> dict[str, Any]:
    """Nodes × tasks: the live picture (tasks meant to run, and where they are). Three engine
    calls: nodes, services (for the names) and tasks."""
    raw_nodes = _nodes(client)
    names = _service_names(client)
    running = _tasks(client, RUNNING)
    nodes = _node_views(raw_nodes, running)
    tasks = _task_views(running, names, _hostnames(raw_nodes))
    return {
        "nodes": [
            {
                "id": n["id"],
                "hostname": n["hostname"],
                "role": n["role"],
                "availability": n["availability"],
                "state": n["state"],
            }
            for n in nodes
        ],
        "tasks": [{k: t[k] for k in ("id", "service", "slot", "node_id", "state")} for t in tasks],
    }


def overview(client: docker.DockerClient) -> dict[str, Any]:
    return overview_and_nodes(client)[0]


def overview_and_nodes(client: docker.DockerClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The swarm's health in numbers, and its nodes (empty off a manager): the engine's info,
    then nodes, services and the tasks meant to run, each listed once."""
    info = swarm_info(client)
    state = info.get("LocalNodeState", "inactive")
    manager = bool(info.get("ControlAvailable"))
    base = {
        "state": state,
        "role": ("manager" if manager else "worker") if state == "active" else "",
        "node_id": info.get("NodeID", ""),
        "node_addr": info.get("NodeAddr", ""),
        "is_manager": manager,
        "cluster_id": (info.get("Cluster") or {}).get("ID", ""),
    }
    if state != "active" or not manager:
        return base, []
    running = _tasks(client, RUNNING)
    nodes = _node_views(_nodes(client), running)
    services = _service_views(_services(client), running)
    problems = [
        f"node {n['hostname']} ({n['id'][:12]}) is {n['state']}" for n in nodes if n["state"] != "ready"
    ]
    problems += [
        f"manager {n['hostname']} ({n['id'][:12]}) is {n['reachability']}"
        for n in nodes
        if n["role"] == "manager" and n["reachability"] != "reachable"
    ]
    problems += [
        f"service {s['name']} runs {s['running']} of {s['replicas']} tasks"
        for s in services
        if s["running"] < s["replicas"]
    ]
    view = {
        **base,
        "nodes": len(nodes),
        "managers": sum(n["role"] == "manager" for n in nodes),
        "ready": sum(n["state"] == "ready" for n in nodes),
        "services": len(services),
        "tasks": dict(Counter(t["Status"]["State"] for t in running)),
        "healthy": not problems,
        "problems": problems,
    }
    return view, nodes


# --- stacks -----------------------------------------------------------------------------
def list_stacks(client: docker.DockerClient) -> list[dict[str, Any]]:
    """Every stack on the swarm, however deployed: services grouped by the namespace label."""
    stacks: dict[str, dict[str, Any]] = {}
    for s in list_services(client, {"label": STACK_LABEL}):
        stack = stacks.setdefault(
            s["stack"], {"name": s["stack"], "services": 0, "replicas": 0, "running": 0}
        )
        stack["services"] += 1
        stack["replicas"] += s["replicas"]
        stack["running"] += s["running"]
    return [stacks[name] for name in sorted(stacks)]


def get_stack(client: docker.DockerClient, name: str) -> dict[str, Any]:
    services = list_services(client, {"label": f"{STACK_LABEL}={name}"})
    if not services:
        raise ConsoleError(f"no stack named {name!r} on this swarm", 404)
    tasks = list_tasks(client, {"service": [s["id"] for s in services]})
    return {"name": name, "services": services, "tasks": tasks}


def remove_stack(client: docker.DockerClient, name: str, timeout: float = 30.0) -> dict[str, list[str]]:
    """`docker stack rm`: services, then configs and secrets, then networks. Volumes stay."""
    require_manager(client)
    label = {"label": f"{STACK_LABEL}={name}"}
    services = _engine("listing services", lambda: client.services.list(filters=label))
    networks = _engine("listing networks", lambda: client.networks.list(filters=label))
    configs = _engine("listing configs", lambda: client.configs.list(filters=label))
    secrets = _engine("listing secrets", lambda: client.secrets.list(filters=label))
    if not (services or networks or configs or secrets):
        raise ConsoleError(f"no stack named {name!r} on this swarm", 404)
    removed: dict[str, list[str]] = {"services": [], "configs": [], "secrets": [], "networks": []}
    for kind, items in (("services", services), ("configs", configs), ("secrets", secrets)):
        for item in sorted(items, key=lambda i: i.name):
            _engine(f"removing {kind[:-1]} {item.name}", item.remove)
            removed[kind].append(item.name)
    # A network stays in use until the last task on it is gone (the stop grace period).
    deadline = time.monotonic() + timeout
    for network in sorted(networks, key=lambda n: n.name):
        while True:
            try:
                network.remove()
                break
            except docker.errors.NotFound:
                break
            except docker.errors.APIError as exc:
                if time.monotonic() > deadline:
                    raise engine_error(f"removing network {network.name}", exc) from exc
                time.sleep(0.5)
        removed["networks"].append(network.name)
    return removed
