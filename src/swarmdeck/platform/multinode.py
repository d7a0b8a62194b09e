"""`up` on several hosts: the swarm made of them, and the images a node needs before any
registry exists.

The report makes its swarm by hand (`docker swarm init` on myvm1, `docker swarm join` on
myvm2) and copies no image: Docker Hub serves every node. Here a node may reach no public
registry, so the images it needs before the private registry runs are copied from the
engine that has them, as `docker save | docker load` would.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import docker

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound
from swarmdeck.platform.errors import PlatformError
from swarmdeck.swarm import membership
from swarmdeck.swarm.nodes import list_nodes

# Overlay subnets come from here on a swarm `up` makes, instead of Docker's 10.0.0.0/8: that
# pool overlaps the addresses hosts often have (qemu's user network is 10.0.2.0/24), and a
# task network on a host's own subnet cuts the host off.
ADDRESS_POOL = "10.200.0.0/16"
# How often workers report to the managers. Docker's 5 s lets a lost node go unnoticed for
# about 15 s; at 1 s its tasks are rescheduled within a few seconds.
HEARTBEAT_NS = 1_000_000_000
LOAD_TIMEOUT = 1800  # seconds an engine may take to load one image


@dataclass(frozen=True)
class Host:
    """One engine of the swarm `up` makes, and where it is reached."""

    name: str
    client: docker.DockerClient
    advertise: str  # the address the other hosts reach it at
    public: str  # the address this machine reaches it at
    ports: Mapping[int, int] = field(default_factory=dict)  # a port on the host -> where it is reached

    def port(self, port: int) -> int:
        """Where a port published on this host is reached from here (forwarded or not)."""
        return self.ports.get(port, port)


def form_swarm(hosts: list[Host], say: Callable[[str], None], timeout: float = 180.0) -> str:
    """Make the hosts one swarm, the first its manager; hosts already in it stay as they are.

    A host in another swarm is refused rather than taken out of it: leaving may lose that
    swarm's services, which is the user's decision.
    """
    manager, workers = hosts[0], hosts[1:]
    found = membership.state(manager.client)
    if found.local_state == "inactive":
        pool = _address_pool(hosts)
        found = membership.init(manager.client, manager.advertise, manager.advertise, pool)
        say(f"{manager.name}: initialised a swarm at {manager.advertise} (overlay subnets from {pool})")
    else:
        found = membership.require_manager(manager.client)
        say(f"{manager.name}: already manages a swarm")
    membership.update(manager.client, {"dispatcher_heartbeat": HEARTBEAT_NS})
    joining = membership.manager_address(manager.client, found)
    token = membership.join_tokens(manager.client, found)["worker"]["token"]
    members = {node["id"] for node in list_nodes(manager.client)}
    for host in workers:
        state = membership.state(host.client)
        if state.local_state == "inactive":
            membership.join(host.client, joining, token, host.advertise, host.advertise)
            say(f"{host.name}: joined as a worker at {host.advertise}")
        elif state.node_id not in members:  # (a worker does not know its cluster's ID)
            raise PlatformError(
                f"{host.name} is in another swarm; make it leave that one first "
                f"(`swarmdeck machine ssh {host.name} docker swarm leave --force`)"
            )
        else:
            say(f"{host.name}: already in this swarm")
    _wait_ready(manager.client, len(hosts), timeout)
    return found.cluster_id


def _address_pool(hosts: Iterable[Host]) -> str | None:
    """ADDRESS_POOL, unless a host's own address is in it (then Docker's default)."""
    pool = ipaddress.ip_network(ADDRESS_POOL)
    for host in hosts:
        for address in (host.advertise, host.public):
            try:
                if ipaddress.ip_address(address) in pool:
                    return None
            except ValueError:
                continue  # a host name: nothing to compare
    return ADDRESS_POOL


def _wait_ready(client: docker.DockerClient, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        nodes = list_nodes(client)
        ready = [n for n in nodes if n["state"] == "ready"]
        if len(ready) >= count:
            return
        if time.monotonic() > deadline:
            listed = ", ".join(f"{n['hostname']} {n['state']}" for n in nodes)
            raise PlatformError(
                f"only {len(ready)} of {count} nodes are ready after {timeout:.0f} s: {listed}"
            )
        time.sleep(1.0)


def copy_images(
    source: docker.DockerClient,
    target: docker.DockerClient,
    references: Iterable[str],
    say: Callable[[str], None],
) -> None:
    """Give ``target`` the images ``source`` has under these references (`docker save | load`).

    An image the target already has with the same ID is not sent again.
    """
    for reference in references:
        with doing(f"reading image {reference}"):
            image = source.images.get(reference)
        try:
            with doing(f"reading image {reference}"):
                if target.images.get(reference).id == image.id:
                    continue
        except EngineNotFound:
            pass
        started = time.monotonic()
        # The engine answers a load only when every layer is unpacked: on a slow host (an
        # emulated VM) that takes minutes, beyond the client's usual timeout.
        usual, target.api.timeout = target.api.timeout, max(target.api.timeout, LOAD_TIMEOUT)
        try:
            with doing(f"copying image {reference}"):
                target.api.load_image(source.api.get_image(reference))
        finally:
            target.api.timeout = usual
        size = (image.attrs.get("Size") or 0) / 1e6
        say(f"copied {reference} ({size:.0f} MB) in {time.monotonic() - started:.0f} s")
