"""The home page's figures: per endpoint the caller may use, its health in counts (nodes
ready or down, services converged or not, containers by state, images and their size,
volumes), its recent events and failed tasks; and, across them, the next step a new install
should take. An endpoint that does not answer gets its error in its card, not a failed page."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import docker
import requests

from swarmdeck.console.api.events import event_row
from swarmdeck.console.errors import ConsoleError
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError
from swarmdeck.swarm import overview
from swarmdeck.swarm.errors import SwarmRefusal
from swarmdeck.swarm.nodes import raw_nodes, raw_tasks, service_names
from swarmdeck.swarm.services import list_services
from swarmdeck.swarm.stacks import list_stacks
from swarmdeck.swarm.views import TaskView, hostnames, task_views

EVENTS_SINCE = 3600  # seconds: the recent events are those of the last hour
SHOWN = 8  # recent events and failed tasks shown per endpoint
FAILED = ("failed", "rejected")
UNREACHABLE = (
    ConsoleError,
    EngineError,
    SwarmRefusal,
    requests.RequestException,
)


@dataclass
class EndpointHealth:
    name: str
    error: str = ""
    engine_version: str = ""
    containers: dict[str, int] = field(default_factory=dict)  # state -> count
    images: int = 0
    image_bytes: int = 0
    volumes: int = 0
    swarm: str = ""  # "manager", "worker" or "" (not in a swarm)
    nodes_ready: int = 0
    nodes_down: int = 0
    services_converged: int = 0
    services_behind: list[str] = field(default_factory=list)  # names of services short of tasks
    stacks: int = 0
    failed_tasks: list[TaskView] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def container_total(self) -> int:
        return sum(self.containers.values())


def endpoint_health(name: str, client: docker.DockerClient | None, error: str = "") -> EndpointHealth:
    """What endpoint ``name`` holds and how it does; its error message when it does not answer
    (or ``error``, when there is no client for it)."""
    found = EndpointHealth(name, error=error)
    if client is None:
        return found
    try:
        _engine(found, client)
        _swarm(found, client)
    except UNREACHABLE as exc:
        found.error = str(exc) or type(exc).__name__
    return found


def _engine(found: EndpointHealth, client: docker.DockerClient) -> None:
    with doing(f"reading endpoint {found.name}"):
        found.engine_version = str(client.api.version().get("Version", ""))
        found.containers = dict(Counter(c.get("State", "") for c in client.api.containers(all=True)))
        images = client.api.images()
        found.volumes = len(client.api.volumes().get("Volumes") or [])
        now = int(time.time())
        raw = client.api.events(since=now - EVENTS_SINCE, until=now, decode=True)
        found.events = [event_row(e) for e in raw][-SHOWN:][::-1]
    found.images = len(images)
    found.image_bytes = sum(int(i.get("Size") or 0) for i in images)


def _swarm(found: EndpointHealth, client: docker.DockerClient) -> None:
    view, nodes = overview.overview_and_nodes(client)
    found.swarm = view["role"]
    if not nodes:  # not a manager: only managers list nodes, services and tasks
        return
    found.nodes_ready = sum(n["state"] == "ready" for n in nodes)
    found.nodes_down = len(nodes) - found.nodes_ready
    services = list_services(client)
    behind = [s["name"] for s in services if s["running"] < s["replicas"] or s["update_state"] == "paused"]
    found.services_behind = behind
    found.services_converged = len(services) - len(behind)
    found.stacks = len(list_stacks(client))
    failed = [t for t in raw_tasks(client) if (t.get("Status") or {}).get("State") in FAILED]
    failed.sort(key=lambda t: t.get("UpdatedAt", ""), reverse=True)
    names = service_names(client)
    found.failed_tasks = task_views(failed[:SHOWN], names, hostnames(raw_nodes(client)))


def next_steps(cards: list[EndpointHealth], registries: int) -> list[str]:
    """What a new install should do next: ``registry`` (add one to push to) while there is
    none, ``stack`` (deploy one) while no endpoint runs any."""
    steps = []
    if registries == 0:
        steps.append("registry")
    if not any(c.stacks for c in cards):
        steps.append("stack")
    return steps
