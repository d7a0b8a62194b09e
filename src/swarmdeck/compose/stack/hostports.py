"""Host-mode published ports already held on the nodes that would run the stack's tasks.

A port published with ``mode: host`` is bound on the node that runs the task. The engine
accepts such a service whatever the nodes hold: the scheduler then keeps its tasks off nodes
where another swarm task holds the port (``host-mode port already in use``, pending for
ever when no node is left), and a task placed where a plain container holds it fails to
start, again and again. ``docker stack deploy`` says nothing. Here, for each service that
would run tasks, the nodes that could run them (ready, active, and matching the placement
constraints the plan can evaluate: ``node.id``, ``node.hostname``, ``node.role``,
``node.platform.*``, ``node.labels.*``, ``engine.labels.*``; any other constraint is taken
to match every node) are compared with what holds the port: running tasks of services the
deploy does not replace (the swarm's task list, every node) and running containers of the
node the deploy talks to (the only one whose containers its engine can list). When there
are not enough free nodes for the tasks (a global service: any eligible node held), each
holder is reported at the service's ``ports`` key, before anything is created. Services of
the stack that publish the same host-mode port compete for the nodes too (``_shared``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import docker

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.models import Project
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.sdkapi import typed_api

Port = tuple[int, str]
SERVICE_LABEL = "com.docker.swarm.service.name"
TASK_LABEL = "com.docker.swarm.task.id"


def host_ports(spec: dict[str, Any]) -> list[Port]:
    """The (port, protocol) pairs a service spec publishes in host mode."""
    ports = (spec.get("EndpointSpec") or {}).get("Ports") or []
    return [
        (int(p["PublishedPort"]), str(p.get("Protocol") or "tcp"))
        for p in ports
        if p.get("PublishedPort") and p.get("PublishMode") == "host"
    ]


def _node_value(node: dict[str, Any], key: str) -> str | None:
    """A node's value for a constraint key, or None when the plan cannot evaluate it."""
    description = node.get("Description") or {}
    simple = {
        "node.id": node.get("ID"),
        "node.hostname": description.get("Hostname"),
        "node.role": (node.get("Spec") or {}).get("Role"),
        "node.platform.os": (description.get("Platform") or {}).get("OS"),
        "node.platform.arch": (description.get("Platform") or {}).get("Architecture"),
    }
    if key in simple:
        return str(simple[key] or "")
    for prefix, labels in (
        ("node.labels.", (node.get("Spec") or {}).get("Labels")),
        ("engine.labels.", (description.get("Engine") or {}).get("Labels")),
    ):
        if key.startswith(prefix):
            return str((labels or {}).get(key[len(prefix) :], ""))
    return None


def _matches(node: dict[str, Any], constraints: Iterable[str]) -> bool:
    for constraint in constraints:
        operator = "!=" if "!=" in constraint else "=="
        if operator not in constraint:
            continue
        key, _, wanted = (part.strip() for part in constraint.partition(operator))
        value = _node_value(node, key)
        if value is None:
            continue  # not evaluated here: the node counts as eligible
        if (value.lower() == wanted.lower()) != (operator == "=="):  # swarmkit: case-insensitive
            return False
    return True


def _eligible(nodes: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    constraints = ((spec.get("TaskTemplate") or {}).get("Placement") or {}).get("Constraints") or []
    return [
        n
        for n in nodes
        if (n.get("Status") or {}).get("State") == "ready"
        and (n.get("Spec") or {}).get("Availability", "active") == "active"
        and _matches(n, constraints)
    ]


def _wanted_tasks(spec: dict[str, Any]) -> int | None:
    """How many tasks the service runs at once; None for one per eligible node."""
    mode = spec.get("Mode") or {}
    if "Global" in mode or "GlobalJob" in mode:
        return None
    if "ReplicatedJob" in mode:
        return int((mode["ReplicatedJob"] or {}).get("MaxConcurrent", 1))
    return int((mode.get("Replicated") or {}).get("Replicas", 1))


def _holders(client: docker.DockerClient, going: set[str]) -> dict[str, dict[Port, str]]:
    """Node ID -> {(port, protocol): what holds it} for host-mode ports in use."""
    api = typed_api(client)
    held: dict[str, dict[Port, str]] = {}
    with doing("listing the swarm's tasks"):
        tasks = api.tasks(filters={"desired-state": "running"})
        service_names = {s["ID"]: s["Spec"]["Name"] for s in api.services()}
    for task in tasks:
        name = service_names.get(task.get("ServiceID", ""), task.get("ServiceID", ""))
        if name in going or not task.get("NodeID"):
            continue
        for port in ((task.get("Status") or {}).get("PortStatus") or {}).get("Ports") or []:
            if port.get("PublishMode") == "host" and port.get("PublishedPort"):
                key = (int(port["PublishedPort"]), str(port.get("Protocol") or "tcp"))
                held.setdefault(task["NodeID"], {}).setdefault(key, f"a task of service '{name}'")
    with doing("listing this node's containers"):
        node_id = client.api.info()["Swarm"]["NodeID"]
        containers = client.api.containers()
    for container in containers:
        labels = container.get("Labels") or {}
        if TASK_LABEL in labels or labels.get(SERVICE_LABEL) in going:
            continue  # swarm tasks are counted from the task list
        name = (container.get("Names") or [container["Id"][:12]])[0].lstrip("/")
        for port in container.get("Ports") or []:
            if port.get("PublicPort"):
                key = (int(port["PublicPort"]), str(port.get("Type") or "tcp"))
                held.setdefault(node_id, {}).setdefault(key, f"container '{name}'")
    return held


def problems(
    client: docker.DockerClient,
    project: Project,
    specs: dict[str, dict[str, Any]],
    replaced: Iterable[str] = (),
) -> list[Problem]:
    """Each host-mode port of ``specs`` (compose key -> service spec) held on a node its
    tasks need, at the service's ``ports`` key. ``replaced``: services the deploy removes."""
    publishing = {key: host_ports(spec) for key, spec in specs.items()}
    publishing = {key: ports for key, ports in publishing.items() if ports}
    if not publishing:
        return []
    going = {spec["Name"] for spec in specs.values()} | set(replaced)
    with doing("listing the swarm's nodes"):
        nodes = client.api.nodes()
    held = _holders(client, going)
    found = []
    for key, ports in publishing.items():
        spec = specs[key]
        wanted = _wanted_tasks(spec)
        if wanted == 0:
            continue
        eligible = _eligible(nodes, spec)
        blocked = {
            n["ID"]: [(p, held[n["ID"]][p]) for p in ports if p in held.get(n["ID"], {})] for n in eligible
        }
        blocked = {node: taken for node, taken in blocked.items() if taken}
        free = len(eligible) - len(blocked)
        if not blocked or (wanted is not None and wanted <= free):
            continue
        hostnames = {n["ID"]: (n.get("Description") or {}).get("Hostname") or n["ID"] for n in nodes}
        for node, taken in sorted(blocked.items(), key=lambda item: hostnames[item[0]]):
            for (port, protocol), holder in taken:
                found.append(
                    Problem.at(
                        project.services[key].key_loc("ports"),
                        ["services", key, "ports"],
                        f"host-mode port '{port}' ({protocol}) is already in use on node "
                        f"'{hostnames[node]}' by {holder}, and the service's tasks "
                        f"need that node ({free} of {len(eligible)} eligible nodes free)",
                    )
                )
    return found + _shared(project, specs, publishing, nodes, held)


def _shared(
    project: Project,
    specs: dict[str, dict[str, Any]],
    publishing: dict[str, list[Port]],
    nodes: list[dict[str, Any]],
    held: dict[str, dict[Port, str]],
) -> list[Problem]:
    """Services of the stack that publish one host-mode port compete for the nodes: when
    together they need more tasks than the free nodes any of them could use, each one after
    the first is reported (a global service needs every free node it is eligible for)."""
    found = []
    by_port: dict[Port, list[str]] = {}
    for key, ports in publishing.items():
        if _wanted_tasks(specs[key]) != 0:
            for published in ports:
                by_port.setdefault(published, []).append(key)
    for (port, protocol), keys in sorted(by_port.items()):
        if len(keys) < 2:
            continue
        free: dict[str, set[str]] = {
            key: {
                n["ID"] for n in _eligible(nodes, specs[key]) if (port, protocol) not in held.get(n["ID"], {})
            }
            for key in keys
        }
        needed = sum(_wanted_tasks(specs[key]) or len(free[key]) for key in keys)
        room = len(set().union(*free.values()))
        if needed <= room:
            continue
        for key in keys[1:]:
            found.append(
                Problem.at(
                    project.services[key].key_loc("ports"),
                    ["services", key, "ports"],
                    f"host-mode port '{port}' ({protocol}) is also published by service "
                    f"'{specs[keys[0]]['Name']}' of this stack: together they need {needed} "
                    f"nodes and {room} are free",
                )
            )
    return found
