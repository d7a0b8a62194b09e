"""The private registry of a multi-node swarm, as Docker's own swarm tutorial runs it: a swarm
service published on port 5000 through the routing mesh, so that every node pulls from
`127.0.0.1:5000` (the engine trusts a loopback registry without TLS) and no node needs any
configuration. Its data stays on a volume of the manager it is pinned to.

Without IPVS there is no mesh: the registry is then a stack whose port 5000 the ingress
proxy publishes on every node (``ingress``), the proxy's image given to each node first.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import docker
import yaml

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineNotFound
from swarmdeck.images.build import Progress, push_image
from swarmdeck.images.errors import ImageError
from swarmdeck.platform import converge, ingress, stack_cli
from swarmdeck.platform.errors import PlatformError
from swarmdeck.platform.multinode import Host
from swarmdeck.platform.private_registry import LABEL, VOLUME, wait_answering
from swarmdeck.swarm import services, stacks
from swarmdeck.swarm.errors import NoSuchStack

SERVICE = "swarmdeck-registry"
STACK = SERVICE  # its name as a stack, where the proxy publishes it
PORT = 5000
ADDRESS = f"127.0.0.1:{PORT}"  # what every node pulls from


def ensure_registry_service(manager: Host, image: str, node_id: str, timeout: float = 300.0) -> str:
    """Create (or reuse) the registry service on ``node_id``; wait until it answers through
    the mesh at the manager's published port; return what was done."""
    client = manager.client
    retired = retire_other_mode(client, "mesh", timeout)
    try:
        with doing(f"looking for the service {SERVICE}"):
            client.services.get(SERVICE)
        action = "reused"
    except EngineNotFound:
        _create(client, image, node_id)
        action = "started"
    services.converge(client, SERVICE, timeout)
    reached = f"{manager.public}:{manager.port(PORT)}"
    wait_answering(reached, timeout)
    return (
        retired
        + f"{action} the service {SERVICE} ({image}); every node pulls from {ADDRESS}, answered at {reached}"
    )


def retire_other_mode(client: docker.DockerClient, mode: str, timeout: float = 120.0) -> str:
    """Remove the registry an earlier `up` made in the other routing mode, keeping its volume.

    Both hold port 5000 (the mesh's service on the ingress network, the proxy's stack through
    its proxy), so the one left behind would make this mode's deploy refuse the port, and the
    user could not switch modes without knowing these names. Only swarmdeck's own registry
    (its label) is touched; the images stay on the volume, which both modes mount.
    Returns what was done, as the start of a sentence ("" when nothing was).
    """
    if mode == "mesh":
        try:
            stacks.remove(client, STACK, wait=True, timeout=timeout)
        except NoSuchStack:
            return ""
        return f"removed the stack {STACK} left by `up --routing proxy` (its images stay on {VOLUME}); "
    try:
        with doing(f"looking for the service {SERVICE}"):
            found = client.services.get(SERVICE)
    except EngineNotFound:
        return ""
    if (found.attrs["Spec"].get("Labels") or {}).get(LABEL) != "registry":
        return ""  # not ours: the proxy's deploy will name the port it holds
    services.remove(client, found.id)
    deadline = time.monotonic() + timeout
    while _tasks_of(client, found.id):
        if time.monotonic() > deadline:
            raise PlatformError(
                f"the tasks of the removed service {SERVICE} did not stop within {timeout:.0f} s"
            )
        time.sleep(0.5)
    return f"removed the service {SERVICE} left by `up --routing mesh` (its images stay on {VOLUME}); "


def _tasks_of(client: docker.DockerClient, service_id: str) -> list[dict[str, Any]]:
    # All tasks, filtered here: a filter naming a removed service is refused as not found.
    with doing(f"listing the tasks of {SERVICE}"):
        return [task for task in client.api.tasks() if task.get("ServiceID") == service_id]


def ensure_registry_behind_proxy(
    manager: Host, image: str, proxy_image: str, node_id: str, timeout: float = 300.0
) -> str:
    """The registry as the stack STACK behind the ingress proxy (every node's port 5000)."""
    retired = retire_other_mode(manager.client, "proxy", timeout)
    compose: dict[str, Any] = {
        "version": "3.5",
        "services": {
            "registry": {
                "image": image,
                "environment": ["REGISTRY_STORAGE_DELETE_ENABLED=true"],
                "volumes": [f"{VOLUME}:/var/lib/registry"],
                "ports": [f"{PORT}:5000"],
                "labels": {LABEL: "registry"},
                "deploy": {"placement": {"constraints": [f"node.id=={node_id}"]}},
            }
        },
        "volumes": {VOLUME: {"name": VOLUME}},
    }
    compose, proxy_config = ingress.with_proxy_ingress(compose, STACK, proxy_image)
    workdir = Path(tempfile.mkdtemp(prefix="swarmdeck-registry-"))
    (workdir / "haproxy.cfg").write_text(proxy_config)
    (workdir / "docker-compose.yml").write_text(yaml.safe_dump(compose, sort_keys=False))
    stack_cli.deploy(manager.client, workdir / "docker-compose.yml", STACK, {}, resolve_image="never")
    converge.wait_converged(manager.client, STACK, timeout)
    reached = f"{manager.public}:{manager.port(PORT)}"
    wait_answering(reached, timeout)
    return (
        retired
        + f"deployed the stack {STACK} ({image}) behind the ingress proxy; every node pulls from {ADDRESS}"
    )


def _create(client: docker.DockerClient, image: str, node_id: str) -> None:
    task = docker.types.TaskTemplate(
        container_spec=docker.types.ContainerSpec(
            image,
            env=["REGISTRY_STORAGE_DELETE_ENABLED=true"],
            mounts=[docker.types.Mount("/var/lib/registry", VOLUME, type="volume")],
        ),
        placement=docker.types.Placement(constraints=[f"node.id=={node_id}"]),
        restart_policy=docker.types.RestartPolicy(condition="any"),
    )
    with doing(f"creating the service {SERVICE}"):
        client.api.create_service(
            task,
            name=SERVICE,
            labels={LABEL: "registry"},
            endpoint_spec={"Ports": [{"Protocol": "tcp", "PublishedPort": PORT, "TargetPort": 5000}]},
        )


def push_through(client: docker.DockerClient, reference: str, say: Progress, attempts: int = 20) -> str:
    """Push from the manager's engine to ADDRESS, retrying while the mesh still learns the
    registry's task: for a few seconds after the service starts, the published port may
    refuse connections. Returns the manifest's digest."""
    for attempt in range(attempts):
        try:
            return push_image(client, reference, progress=say)
        except (ImageError, EngineError) as exc:
            if attempt == attempts - 1 or "connection refused" not in str(exc).lower():
                raise
            say(f"the registry does not answer yet at {ADDRESS}; trying again")
            time.sleep(2.0)
    raise AssertionError("unreachable")
