"""A swarm's stacks: list them, show one, and remove one, however they were deployed.

A stack is what carries the label ``com.docker.stack.namespace`` (``engine.labels``), so
stacks of the docker CLI and of swarmdeck are the same thing to both tools. ``remove`` is the
one `docker stack rm` of swarmdeck: the console, the CLI and ``swarmdeck down`` all call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineConflict, EngineNotFound, EngineRefused
from swarmdeck.engine.labels import STACK_NAMESPACE, stack_filter
from swarmdeck.engine.sdkapi import typed_api
from swarmdeck.swarm import views
from swarmdeck.swarm.errors import NoSuchStack, Refused, SwarmError
from swarmdeck.swarm.membership import manager_read
from swarmdeck.swarm.services import list_services, list_tasks
from swarmdeck.swarm.views import StackDetail, StackSummary

if TYPE_CHECKING:
    import docker
    from docker.models.services import Service


Printer = Callable[[str], None]
RETRY_SECONDS = 0.3


def _quiet(_: str) -> None:
    return None


def stack_services(client: docker.DockerClient, name: str) -> list[Service]:
    """The services of stack ``name`` (the SDK's models)."""
    return manager_read(client, f"stack {name}", lambda: client.services.list(filters=stack_filter(name)))


def list_stacks(client: docker.DockerClient) -> list[StackSummary]:
    """Every stack on the swarm, however deployed: services grouped by the namespace label."""
    return views.stack_summaries(list_services(client, {"label": STACK_NAMESPACE}))


def get_stack(client: docker.DockerClient, name: str) -> StackDetail:
    """The stack's services and their tasks."""
    services = list_services(client, stack_filter(name))
    if not services:
        raise NoSuchStack(name)
    tasks = list_tasks(client, {"service": [s["id"] for s in services]})
    return StackDetail(name=name, services=services, tasks=tasks)


@dataclass
class Removal:
    """What ``remove`` removed, by kind (names), and what it could not (messages)."""

    services: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[str]]:
        return {
            "services": self.services,
            "configs": self.configs,
            "secrets": self.secrets,
            "networks": self.networks,
        }

    def lines(self) -> list[str]:
        """``service web_app``, ``network web_default``...: one per object removed."""
        return [f"{kind[:-1]} {name}" for kind, names in self.by_kind().items() for name in names]


def remove(
    client: docker.DockerClient,
    name: str,
    *,
    out: Printer = _quiet,
    err: Printer = _quiet,
    wait: bool = False,
    timeout: float = 120.0,
) -> Removal:
    """`docker stack rm`: the services (by name), then secrets, configs and networks; never
    volumes. A removed service lets go of its secrets, configs and networks only once its
    tasks are gone, so those are retried while the engine says they are in use, until
    ``timeout``; with ``wait``, then waits until the stack's tasks are gone too.

    ``out`` gets the CLI's progress lines, ``err`` each failure. Raises ``NoSuchStack`` when
    nothing carries the label, ``Refused`` (with the ``Removal`` as ``detail``) when
    something stayed, ``SwarmError`` when the tasks outlast ``timeout``.
    """
    label = stack_filter(name)
    services = manager_read(client, "listing services", lambda: typed_api(client).services(filters=label))
    with doing("listing the stack's objects"):
        secrets = client.api.secrets(filters=label)
        configs = typed_api(client).configs(filters=label)
        networks = client.api.networks(filters=label)
    if not (services or secrets or configs or networks):
        raise NoSuchStack(name)
    removal = Removal()
    for service in sorted(services, key=lambda s: s["Spec"]["Name"]):
        service_name = service["Spec"]["Name"]
        out(f"Removing service {service_name}")
        try:
            with doing(f"removing service {service_name}"):
                typed_api(client).remove_service(service["ID"])
            removal.services.append(service_name)
        except EngineNotFound:
            removal.services.append(service_name)  # removed meanwhile
        except EngineRefused as exc:
            removal.failures.append(f"Failed to remove service {service['ID']}: {exc.explanation or exc}")
            err(removal.failures[-1])
    deadline = time.monotonic() + timeout
    for kind, items, action, done in (
        ("secret", secrets, client.api.remove_secret, removal.secrets),
        ("config", configs, client.api.remove_config, removal.configs),
        ("network", networks, client.api.remove_network, removal.networks),
    ):
        for item in sorted(items, key=lambda i: _name(kind, i)):
            item_name = _name(kind, item)
            out(f"Removing {kind} {item_name}")
            refusal = _remove_retrying(partial(action, item["Id" if kind == "network" else "ID"]), deadline)
            if refusal is None:
                done.append(item_name)
            else:
                removal.failures.append(f"Failed to remove {kind} {item_name}: {refusal}")
                err(removal.failures[-1])
    if removal.failures:
        raise Refused(f"failed to remove some resources from stack: {name}", removal)
    if wait:
        out("Waiting for resources to be removed...")
        _wait_tasks_gone(client, name, deadline=time.monotonic() + timeout, timeout=timeout)
    return removal


def _name(kind: str, item: dict[str, Any]) -> str:
    return str(item["Name"] if kind == "network" else item["Spec"]["Name"])


def _remove_retrying(action: Callable[[], Any], deadline: float) -> str | None:
    """None once removed (or already gone), else the engine's last refusal: retried while
    the engine says the object is in use (a task of a removed service still holds it)."""
    while True:
        try:
            with doing("removing"):
                action()
            return None
        except EngineNotFound:
            return None
        except EngineRefused as exc:
            message = str(exc.explanation or exc)
            if "not found" in message:  # removed meanwhile
                return None
            in_use = isinstance(exc, EngineConflict) or "in use" in message
            if not in_use or time.monotonic() > deadline:
                return message
            time.sleep(RETRY_SECONDS)


def _wait_tasks_gone(client: docker.DockerClient, name: str, deadline: float, timeout: float) -> None:
    while True:
        with doing(f"listing the tasks of {name}"):
            if not typed_api(client).tasks(filters=stack_filter(name)):
                return
        if time.monotonic() > deadline:
            raise SwarmError(f"timed out after {timeout:.0f} s waiting for the tasks of {name} to go")
        time.sleep(0.5)
