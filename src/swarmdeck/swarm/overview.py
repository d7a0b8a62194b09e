"""A swarm at a glance: the engine's membership and, on a manager, its nodes, services and
tasks in numbers with what keeps it from being healthy (the console's swarm page and
``GET /api/swarm``), and the live nodes × tasks map.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from swarmdeck.engine.swarm import SwarmState
from swarmdeck.swarm import views
from swarmdeck.swarm.membership import state
from swarmdeck.swarm.nodes import RUNNING, raw_nodes, raw_services, raw_tasks, service_names
from swarmdeck.swarm.views import NodeView, Overview, TaskMap

if TYPE_CHECKING:
    import docker


def overview(client: docker.DockerClient) -> Overview:
    return overview_and_nodes(client)[0]


def overview_and_nodes(client: docker.DockerClient) -> tuple[Overview, list[NodeView]]:
    """The swarm's health in numbers, and its nodes (empty off a manager): the engine's info,
    then nodes, services and the tasks meant to run, each listed once."""
    found = state(client)
    base: Overview = {
        "state": found.local_state,
        "role": ("manager" if found.is_manager else "worker") if found.active else "",
        "node_id": found.node_id,
        "node_addr": found.node_addr,
        "is_manager": found.is_manager,
        "cluster_id": found.cluster_id,
    }
    if not found.active or not found.is_manager:
        return base, []
    running = raw_tasks(client, RUNNING)
    nodes = views.node_views(raw_nodes(client), running)
    services = views.service_views(raw_services(client), running)
    problems = views.problems(nodes, services)
    view: Overview = {
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


def state_of(view: Overview) -> SwarmState:
    """The membership an overview (``overview_and_nodes``) was made from: callers that have
    one need not ask the engine again (``membership.join_tokens``)."""
    return SwarmState(
        local_state=view["state"],
        is_manager=view["is_manager"],
        node_id=view["node_id"],
        node_addr=view["node_addr"],
        cluster_id=view["cluster_id"],
    )


def task_map(client: docker.DockerClient) -> TaskMap:
    """Nodes × tasks: the live picture (tasks meant to run, and where they are). Three engine
    calls: nodes, services (for the names) and tasks."""
    nodes = raw_nodes(client)
    names = service_names(client)
    running = raw_tasks(client, RUNNING)
    return views.task_map(
        views.node_views(nodes, running), views.task_views(running, names, views.hostnames(nodes))
    )


def task_states(client: docker.DockerClient) -> list[tuple[str, str, str]]:
    """(task ID, desired state, state) of every task the swarm keeps, sorted: one engine call,
    for a page that follows the swarm to notice task moves on nodes whose containers raise no
    event here. Every task, not only those meant to run: a task told to stop is counted as
    running until it has stopped, and a removed slot's task is listed until the swarm deletes
    it, and pages show both, so both must be heard."""
    return sorted(
        (t["ID"], t.get("DesiredState", ""), (t.get("Status") or {}).get("State", ""))
        for t in raw_tasks(client)
    )
