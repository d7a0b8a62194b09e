"""An engine's membership in a swarm: its state, init, join, leave, the join tokens, the
swarm's settings (``update``) and its unlock key, and ``require_manager``, the one check
that an engine manages the swarm it is asked about.

Every engine call goes through ``engine.errormap.doing`` (the engine's refusals keep their
type and say what was being done); the engine's place in the swarm is refused here as a
``SwarmRefusal`` (``NotInSwarm``, ``NotManager``, ``AlreadyInSwarm``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineRefused, EngineUnavailable
from swarmdeck.engine.swarm import SwarmState, default_route_address, swarm_state
from swarmdeck.swarm.errors import AlreadyInSwarm, InvalidAction, NotInSwarm, NotManager, Refused
from swarmdeck.swarm.views import JoinLine, JoinTokens, SwarmUpdate, token_role

if TYPE_CHECKING:
    import docker

    from swarmdeck.engine.light import ReadClient


SWARM_PORT = 2377
T = TypeVar("T")
_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def state(client: ReadClient) -> SwarmState:
    """What the engine says of its membership (one ``/info``)."""
    with doing("reading the engine's swarm state"):
        return swarm_state(client)


def require_manager(client: ReadClient) -> SwarmState:
    """The engine's state, once it is sure to be an active manager."""
    found = state(client)
    if not found.active:
        raise NotInSwarm("{engine} is not part of a swarm: initialise one (swarmdeck swarm init) or join one")
    if not found.is_manager:
        raise NotManager(
            "{engine} is a swarm worker: only a manager answers this; "
            "run the command against a manager endpoint"
        )
    return found


def manager_read(client: ReadClient, action: str, call: Callable[[], T]) -> T:
    """A call that only a manager answers (a read, or a change such as creating a secret),
    without asking first: the engine refuses it with 503 off a manager, and only then does
    ``require_manager`` find out why (one /info less per view: it costs about as much as
    listing the tasks)."""
    try:
        with doing(action):
            return call()
    except EngineUnavailable:
        require_manager(client)
        raise


def _refuse_member(client: docker.DockerClient) -> None:
    local = state(client).local_state
    if local != "inactive":
        raise AlreadyInSwarm(f"{{engine}} is already in a swarm (state {local}): leave it first")


def init(
    client: docker.DockerClient,
    advertise_addr: str | None = None,
    data_path_addr: str | None = None,
    address_pool: str | None = None,
) -> SwarmState:
    """`docker swarm init`.

    Without an address the engine picks one, and refuses when the host has several
    ("could not choose an IP address to advertise"). For a local engine the address of the
    default route's interface is then the one other hosts most likely reach, so it is used.
    """
    _refuse_member(client)
    try:
        with doing("swarm init"):
            client.swarm.init(
                advertise_addr=advertise_addr or None,
                data_path_addr=data_path_addr,
                default_addr_pool=[address_pool] if address_pool else None,
            )
    except EngineRefused as exc:
        from swarmdeck.engine.client import is_local  # the docker SDK: only for init

        fallback = default_route_address() if is_local(client) else None
        if advertise_addr or not fallback or "could not choose an IP address" not in str(exc):
            raise
        with doing(f"swarm init --advertise-addr {fallback}"):
            client.swarm.init(advertise_addr=fallback)
    return state(client)


def join(
    client: docker.DockerClient,
    manager_addr: str,
    token: str,
    advertise_addr: str | None = None,
    data_path_addr: str | None = None,
) -> SwarmState:
    """`docker swarm join --token TOKEN MANAGER`."""
    _refuse_member(client)
    with doing(f"joining the swarm at {manager_addr}"):
        client.swarm.join(
            remote_addrs=[manager_addr],
            join_token=token,
            advertise_addr=advertise_addr or None,
            data_path_addr=data_path_addr,
        )
    return state(client)


def leave(client: docker.DockerClient, force: bool) -> None:
    """`docker swarm leave`; a manager leaves only with ``force`` (the engine says so)."""
    if state(client).local_state == "inactive":
        raise NotInSwarm("{engine} is not part of a swarm")
    with doing("leaving the swarm"):
        client.swarm.leave(force=force)


def manager_address(client: docker.DockerClient, found: SwarmState) -> str:
    """HOST:2377 where the others join: this manager's own address in the swarm."""
    with doing("reading this node"):
        node = client.api.inspect_node(found.node_id)
    addr = (node.get("ManagerStatus") or {}).get("Addr", "")
    return str(addr) or f"{found.node_addr}:{SWARM_PORT}"


def join_tokens(client: docker.DockerClient, manager: SwarmState | None = None) -> JoinTokens:
    """Both tokens and the exact `docker swarm join` line for each, and the manager's
    address. ``manager``: this engine's state when the caller knows it manages (its info is
    not asked for again)."""
    found = manager if manager is not None and manager.is_manager else require_manager(client)
    with doing("reading the swarm"):
        client.swarm.reload()
    tokens = client.swarm.attrs.get("JoinTokens") or {}
    addr = manager_address(client, found)
    worker, manager_token = str(tokens.get("Worker", "")), str(tokens.get("Manager", ""))
    return JoinTokens(
        worker=JoinLine(token=worker, command=f"docker swarm join --token {worker} {addr}"),
        manager=JoinLine(token=manager_token, command=f"docker swarm join --token {manager_token} {addr}"),
        manager_addr=addr,
    )


def rotate_token(client: docker.DockerClient, role: str) -> JoinTokens:
    """A new ``role`` token (the old one stops working), and both tokens as ``join_tokens``."""
    token_role(role)
    require_manager(client)
    with doing("reading the swarm"):
        client.swarm.reload()
    with doing(f"rotating the {role} token"):
        client.swarm.update(rotate_worker_token=role == "worker", rotate_manager_token=role == "manager")
    return join_tokens(client)


def parse_duration(text: str) -> int:
    """A Go duration (``5s``, ``1m30s``, ``2160h0m0s``) in nanoseconds; anything else is
    refused as the docker CLI refuses it."""
    rest, total = text, 0.0
    if text == "0":
        return 0
    if not text:
        raise InvalidAction('invalid duration ""')
    while rest:
        match = _DURATION_PART.match(rest)
        if not match:
            raise InvalidAction(f'invalid duration "{text}"')
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        rest = rest[match.end() :]
    return int(total)


def swarm_spec(client: docker.DockerClient) -> dict[str, Any]:
    """`docker swarm inspect`'s ``Spec`` (the swarm's settings), from a manager."""
    require_manager(client)
    with doing("reading the swarm"):
        return dict(client.api.inspect_swarm()["Spec"])


def update(client: docker.DockerClient, change: SwarmUpdate) -> None:
    """`docker swarm update`: only the settings in ``change``; the others stay as they are."""
    require_manager(client)
    with doing("reading the swarm"):
        current = client.api.inspect_swarm()
    spec: dict[str, Any] = current["Spec"]
    if "task_history_limit" in change:
        if change["task_history_limit"] < -1:
            raise InvalidAction("--task-history-limit: expected -1 (keep all) or more")
        spec.setdefault("Orchestration", {})["TaskHistoryRetentionLimit"] = change["task_history_limit"]
    if "dispatcher_heartbeat" in change:
        spec.setdefault("Dispatcher", {})["HeartbeatPeriod"] = change["dispatcher_heartbeat"]
    if "cert_expiry" in change:
        spec.setdefault("CAConfig", {})["NodeCertExpiry"] = change["cert_expiry"]
    if "autolock" in change:
        spec.setdefault("EncryptionConfig", {})["AutoLockManagers"] = change["autolock"]
    with doing("updating the swarm"):
        client.api.update_swarm(version=current["Version"]["Index"], swarm_spec=spec)


def unlock_key(client: docker.DockerClient, rotate: bool = False) -> str:
    """`docker swarm unlock-key [--rotate]`: the key that unlocks a restarted manager;
    refused when autolock is off (there is no key then)."""
    require_manager(client)
    if rotate:
        with doing("reading the swarm"):
            current = client.api.inspect_swarm()
        if not (current["Spec"].get("EncryptionConfig") or {}).get("AutoLockManagers"):
            raise Refused("cannot rotate because autolock is not turned on")
        with doing("rotating the unlock key"):
            client.api.update_swarm(
                version=current["Version"]["Index"],
                swarm_spec=current["Spec"],
                rotate_manager_unlock_key=True,
            )
    with doing("reading the unlock key"):
        key = str(client.api.get_unlock_key().get("UnlockKey") or "")
    if not key:
        raise Refused("no unlock key is set")
    return key
