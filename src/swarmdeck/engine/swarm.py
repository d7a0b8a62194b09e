"""Swarm state and membership through the engine API."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

import docker
import docker.errors

from swarmdeck.engine.client import api_error, is_local
from swarmdeck.engine.errors import EngineError


@dataclass(frozen=True)
class SwarmState:
    """What one engine says about its swarm membership."""

    local_state: str  # inactive | pending | active | error | locked
    is_manager: bool
    node_id: str
    node_addr: str
    cluster_id: str

    @property
    def active(self) -> bool:
        return self.local_state == "active"


@dataclass(frozen=True)
class NodeView:
    id: str
    hostname: str
    role: str
    availability: str
    state: str
    addr: str
    labels: dict[str, str]


def swarm_state(client: docker.DockerClient) -> SwarmState:
    swarm = client.info().get("Swarm") or {}
    return SwarmState(
        local_state=swarm.get("LocalNodeState") or "inactive",
        is_manager=bool(swarm.get("ControlAvailable")),
        node_id=swarm.get("NodeID") or "",
        node_addr=swarm.get("NodeAddr") or "",
        cluster_id=(swarm.get("Cluster") or {}).get("ID") or "",
    )


def init_swarm(client: docker.DockerClient, advertise_addr: str | None = None) -> SwarmState:
    """`docker swarm init`.

    Without an address the engine picks one, and refuses when the host has several
    ("could not choose an IP address to advertise"). For a local engine the address of the
    default route's interface is then the one other hosts most likely reach, so it is used.
    """
    try:
        client.swarm.init(advertise_addr=advertise_addr)
    except docker.errors.APIError as exc:
        fallback = default_route_address() if is_local(client) else None
        if advertise_addr or not fallback or "could not choose an IP address" not in str(exc):
            raise api_error("swarm init failed", exc) from exc
        try:
            client.swarm.init(advertise_addr=fallback)
        except docker.errors.APIError as again:
            raise api_error(f"swarm init --advertise-addr {fallback} failed", again) from again
    return swarm_state(client)


def default_route_address() -> str | None:
    """The IPv4 address of the interface holding this host's default route, if any."""
    ip = shutil.which("ip")
    if ip is None:
        return None
    try:
        routes = json.loads(
            subprocess.run(
                [ip, "-j", "route", "show", "default"], capture_output=True, text=True, check=True, timeout=5
            ).stdout
            or "[]"
        )
        if not routes:
            return None
        addrs = json.loads(
            subprocess.run(
                [ip, "-j", "-4", "addr", "show", "dev", routes[0]["dev"]],
                capture_output=True,
                text=True,
                check=True,
                timeout=5,
            ).stdout
        )
    except (subprocess.SubprocessError, ValueError, KeyError):
        return None
    for link in addrs:
        for info in link.get("addr_info", []):
            if info.get("family") == "inet" and info.get("local"):
                return str(info["local"])
    return None


def join_swarm(
    client: docker.DockerClient, manager_addr: str, token: str, advertise_addr: str | None = None
) -> SwarmState:
    """`docker swarm join --token TOKEN MANAGER`."""
    try:
        client.swarm.join(remote_addrs=[manager_addr], join_token=token, advertise_addr=advertise_addr)
    except docker.errors.APIError as exc:
        raise api_error(f"joining the swarm at {manager_addr} failed", exc) from exc
    return swarm_state(client)


def join_tokens(client: docker.DockerClient) -> dict[str, str]:
    """The worker and manager join tokens (manager only)."""
    require_manager(client)
    tokens = client.swarm.attrs.get("JoinTokens") or {}
    return {"worker": tokens.get("Worker", ""), "manager": tokens.get("Manager", "")}


def require_manager(client: docker.DockerClient) -> SwarmState:
    state = swarm_state(client)
    if not state.active:
        raise EngineError("this engine is not part of a swarm (run `swarmdeck swarm init`)")
    if not state.is_manager:
        raise EngineError(
            f"this engine is a swarm worker (node {state.node_id[:12]}); run the command against a manager"
        )
    client.swarm.reload()
    return state


def list_nodes(client: docker.DockerClient) -> list[NodeView]:
    require_manager(client)
    views = []
    for node in client.nodes.list():
        spec, status = node.attrs["Spec"], node.attrs["Status"]
        views.append(
            NodeView(
                id=node.id,
                hostname=node.attrs["Description"]["Hostname"],
                role=spec.get("Role", ""),
                availability=spec.get("Availability", ""),
                state=status.get("State", ""),
                addr=_node_addr(node.attrs),
                labels=dict(spec.get("Labels") or {}),
            )
        )
    return sorted(views, key=lambda n: (n.role != "manager", n.hostname, n.id))


def _node_addr(attrs: dict) -> str:
    """The address other hosts reach the node at.

    A manager may report 0.0.0.0 in Status.Addr (moby#30491); its manager address is right.
    """
    addr = attrs["Status"].get("Addr", "")
    if addr in ("", "0.0.0.0") and attrs.get("ManagerStatus"):
        addr = attrs["ManagerStatus"].get("Addr", "").rsplit(":", 1)[0]
    return addr
