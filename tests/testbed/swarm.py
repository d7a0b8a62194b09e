"""The two-node swarm: node A the manager (advertising 100.77.13.1), node B a worker.

`ensure_swarm` makes it so from whatever an earlier run left behind; `SwarmCleanup` creates
services and networks for a test and removes them (and whole stacks) afterwards.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.networks import Network
from docker.models.services import Service

from .common import TestbedError, cmdline, wait_for
from .config import (
    NODE_A_ADDR,
    NODE_A_LABEL,
    NODE_B_ADDR,
    NODE_B_LABEL,
    NODE_LABEL,
    NODE_READY_TIMEOUT,
    OBJECT_LABEL,
    REMOVE_TIMEOUT,
    SWARM_PORT,
)

MANAGER_ADDR = f"{NODE_A_ADDR}:{SWARM_PORT}"
STACK_LABEL = "com.docker.stack.namespace"
SERVICE_ID_LABEL = "com.docker.swarm.service.id"


@dataclass(frozen=True)
class Swarm:
    """Both engines of the swarm and what tests need to address them."""

    manager: docker.DockerClient  # node A
    worker: docker.DockerClient  # node B
    node_a_id: str
    node_b_id: str
    node_a_hostname: str
    node_b_hostname: str
    worker_token: str
    manager_token: str
    addr_a: str = NODE_A_ADDR
    addr_b: str = NODE_B_ADDR
    manager_addr: str = MANAGER_ADDR


def _swarm_info(client: docker.DockerClient) -> dict[str, Any]:
    return client.info()["Swarm"]


def _manager_nodes(a: docker.DockerClient) -> list[Any] | None:
    """The node list, or None while the manager has no leader (e.g. lost quorum)."""
    try:
        return a.nodes.list()
    except docker.errors.APIError:
        return None


def _ensure_manager(a: docker.DockerClient) -> None:
    info = _swarm_info(a)
    ours = info.get("ControlAvailable") and info.get("NodeAddr") == NODE_A_ADDR
    if info["LocalNodeState"] == "active" and ours:
        try:
            wait_for(lambda: _manager_nodes(a) is not None, timeout=20, what="a swarm leader")
            return
        except TestbedError:
            pass  # our old swarm cannot elect a leader: start a new one below
    if info["LocalNodeState"] != "inactive":
        a.swarm.leave(force=True)
    a.swarm.init(advertise_addr=NODE_A_ADDR, listen_addr=f"0.0.0.0:{SWARM_PORT}")


def _ensure_worker(a: docker.DockerClient, b: docker.DockerClient, token: str) -> str:
    """Join node B to A's swarm unless it already is a member; returns B's node ID."""

    def settled() -> dict[str, Any] | None:
        info = _swarm_info(b)
        return None if info["LocalNodeState"] == "pending" else info

    try:  # a restarted engine reconnects to its old swarm for a moment
        info = wait_for(settled, timeout=20, what="node B's swarm state to settle")
    except TestbedError:
        info = _swarm_info(b)
    members = {node.id for node in _manager_nodes(a) or []}
    if info["LocalNodeState"] == "active" and info.get("NodeID") in members:
        return info["NodeID"]
    if info["LocalNodeState"] != "inactive":
        b.swarm.leave(force=True)  # a member of some other (older) swarm
    b.swarm.join(
        remote_addrs=[MANAGER_ADDR],
        join_token=token,
        advertise_addr=NODE_B_ADDR,
        listen_addr=f"0.0.0.0:{SWARM_PORT}",
    )
    return _swarm_info(b)["NodeID"]


def _remove_stale_nodes(a: docker.DockerClient, keep: set[str]) -> None:
    """Drop the nodes earlier runs left in the list (an old node B, say).

    Not only Down ones: an engine stopped a moment ago still shows Ready for 10-20 s, and
    the scheduler would place tasks on it. The bed's swarm has exactly two nodes.
    """
    for node in _manager_nodes(a) or []:
        if node.id not in keep:
            node.remove(force=True)


def _wait_ready(a: docker.DockerClient, node_ids: set[str]) -> dict[str, Any]:
    states: dict[str, str] = {}

    def all_ready() -> dict[str, Any] | None:
        nodes = {n.id: n for n in _manager_nodes(a) or [] if n.id in node_ids}
        states.clear()
        states.update({nid: n.attrs["Status"]["State"] for nid, n in nodes.items()})
        ready = len(nodes) == len(node_ids) and all(s == "ready" for s in states.values())
        return nodes if ready else None

    return wait_for(
        all_ready,
        timeout=NODE_READY_TIMEOUT,
        what="both swarm nodes to be Ready",
        detail=lambda: f"last node states: {states}",
    )


def _set_spec(node: Any, role: str, label: str) -> None:
    """Role, availability and the `testbed` label; an earlier test may have changed them."""
    spec = node.attrs["Spec"]
    wanted = dict(spec, Role=role, Availability="active")
    wanted["Labels"] = {**spec.get("Labels", {}), NODE_LABEL: label}
    if wanted != spec:
        node.update(wanted)


def ensure_swarm(a: docker.DockerClient, b: docker.DockerClient) -> Swarm:
    """Make A the manager and B a worker of one swarm, both Ready and labelled."""
    try:
        _ensure_manager(a)
        a.swarm.reload()
        tokens = a.swarm.attrs["JoinTokens"]
        node_a_id = _swarm_info(a)["NodeID"]
        node_b_id = _ensure_worker(a, b, tokens["Worker"])
        _remove_stale_nodes(a, keep={node_a_id, node_b_id})
        nodes = _wait_ready(a, {node_a_id, node_b_id})
        _set_spec(nodes[node_a_id], "manager", NODE_A_LABEL)
        _set_spec(nodes[node_b_id], "worker", NODE_B_LABEL)
    except docker.errors.APIError as exc:
        raise TestbedError(f"could not set up the swarm: {exc.explanation or exc}") from exc
    return Swarm(
        manager=a,
        worker=b,
        node_a_id=node_a_id,
        node_b_id=node_b_id,
        node_a_hostname=nodes[node_a_id].attrs["Description"]["Hostname"],
        node_b_hostname=nodes[node_b_id].attrs["Description"]["Hostname"],
        worker_token=tokens["Worker"],
        manager_token=tokens["Manager"],
    )


def sweep_leftovers(manager: docker.DockerClient) -> None:
    """Remove services and networks that fixtures of processes now dead created.

    Networks still in use by a dying service's tasks are left for the next sweep.
    """

    def orphaned(labels: dict[str, str]) -> bool:
        owner = labels.get(OBJECT_LABEL, "")
        return not (owner.isdigit() and cmdline(int(owner)))

    for service in manager.services.list(filters={"label": OBJECT_LABEL}):
        if orphaned(service.attrs["Spec"].get("Labels", {})):
            _remove(service.remove, f"service {service.name}", [])
    for network in manager.networks.list(filters={"label": OBJECT_LABEL}):
        if orphaned(network.attrs.get("Labels") or {}):
            _remove(network.remove, f"network {network.name}", [])


def unique_name(prefix: str) -> str:
    """A name no other test (or concurrent session) on the shared swarm uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class SwarmCleanup:
    """Creates swarm objects for one test and removes them, and registered stacks, after it.

    Everything it creates carries the label `swarmdeck.testbed=<pid of this process>`, so
    `sweep_leftovers` can tell what a crashed run left from what a live one still uses.
    """

    swarm: Swarm
    services: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)

    def service(self, image: str, command: list[str] | str | None = None, **kwargs: Any) -> Service:
        """`docker service create` through the SDK (`manager.services.create` arguments)."""
        kwargs.setdefault("name", unique_name("tb"))
        kwargs["labels"] = {**kwargs.get("labels", {}), OBJECT_LABEL: str(os.getpid())}
        service = self.swarm.manager.services.create(image, command, **kwargs)
        self.services.append(service.id)
        return service

    def network(self, name: str | None = None, **kwargs: Any) -> Network:
        """An attachable overlay network unless told otherwise."""
        kwargs.setdefault("driver", "overlay")
        kwargs.setdefault("attachable", True)
        kwargs["labels"] = {**kwargs.get("labels", {}), OBJECT_LABEL: str(os.getpid())}
        network = self.swarm.manager.networks.create(name or unique_name("tbnet"), **kwargs)
        self.networks.append(network.id)
        return network

    def stack(self, namespace: str) -> str:
        """Register a stack (deployed by the code under test) for removal after the test."""
        self.stacks.append(namespace)
        return namespace

    def cleanup(self) -> None:
        """Remove services first, wait until their containers are gone, then the rest."""
        manager = self.swarm.manager
        problems: list[str] = []

        def in_stacks(lister: Any) -> list[Any]:
            # One filter per stack: several label filters in one query must ALL match.
            return [obj for ns in self.stacks for obj in lister(filters={"label": f"{STACK_LABEL}={ns}"})]

        service_ids = list(self.services) + [s.id for s in in_stacks(manager.services.list)]
        for sid in service_ids:
            _remove(lambda sid=sid: manager.api.remove_service(sid), f"service {sid}", problems)
        self._wait_containers_gone(service_ids, problems)
        network_ids = list(self.networks) + [n.id for n in in_stacks(manager.networks.list)]
        for nid in network_ids:
            _remove_retrying(lambda nid=nid: manager.api.remove_network(nid), f"network {nid}", problems)
        for secret in in_stacks(manager.secrets.list):
            _remove(secret.remove, f"secret {secret.name}", problems)
        for config in in_stacks(manager.configs.list):
            _remove(config.remove, f"config {config.name}", problems)
        self.services.clear()
        self.networks.clear()
        self.stacks.clear()
        if problems:
            raise TestbedError("test bed cleanup left things behind:\n" + "\n".join(problems))

    def _wait_containers_gone(self, service_ids: list[str], problems: list[str]) -> None:
        """Containers of removed services stop within their grace period; wait for that."""
        wanted = set(service_ids)
        remaining: list[str] = []

        def none_left() -> bool:
            remaining.clear()
            for client in (self.swarm.manager, self.swarm.worker):
                try:
                    found = client.containers.list(all=True, filters={"label": SERVICE_ID_LABEL})
                except (docker.errors.DockerException, requests.exceptions.RequestException):
                    continue  # an engine a test stopped on purpose has no containers to wait for
                remaining.extend(c.name for c in found if c.labels[SERVICE_ID_LABEL] in wanted)
            return not remaining

        if not wanted:
            return
        try:
            wait_for(none_left, timeout=REMOVE_TIMEOUT, interval=0.5, what="service containers")
        except TestbedError:
            problems.append(f"containers still present: {remaining}")


def _remove(action: Any, what: str, problems: list[str]) -> None:
    try:
        action()
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        problems.append(f"{what}: {exc.explanation or exc}")


def _remove_retrying(action: Any, what: str, problems: list[str]) -> None:
    """Networks stay "in use" for a moment after their last task went: retry until then."""
    last: list[str] = []

    def attempt() -> bool:
        try:
            action()
        except docker.errors.NotFound:
            return True
        except docker.errors.APIError as exc:
            last[:] = [str(exc.explanation or exc)]
            return False
        return True

    try:
        wait_for(attempt, timeout=REMOVE_TIMEOUT, interval=0.5, what=f"removal of {what}")
    except TestbedError:
        problems.append(f"{what}: {last[0] if last else 'not removed'}")
