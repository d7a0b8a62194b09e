"""Stack deploy and removal for `swarmdeck up`/`down`, with swarmdeck's own compose engine.

`deploy` loads the compose file as `docker stack deploy` would and deploys it through the
engine API (`swarmdeck.compose.stack`): same objects as the docker CLI makes, and a second
deploy of an unchanged file updates no service. No docker CLI is needed. `remove` is the
swarm layer's one `stack rm` (`swarmdeck.swarm.stacks`), waiting for this engine's task
containers as `down` needs before it removes volumes. ``stack_services`` is the swarm
layer's, re-exported for this layer's modules.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import docker

from swarmdeck.compose import load
from swarmdeck.compose.stack import DeployOptions
from swarmdeck.compose.stack import deploy as deploy_stack
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.labels import STACK_NAMESPACE as NAMESPACE_LABEL
from swarmdeck.engine.labels import stack_filter
from swarmdeck.errors import SwarmdeckError
from swarmdeck.platform.errors import PlatformError
from swarmdeck.swarm import stacks
from swarmdeck.swarm.errors import NoSuchStack
from swarmdeck.swarm.stacks import stack_services

__all__ = ["NAMESPACE_LABEL", "deploy", "remove", "stack_services"]


def deploy(
    client: docker.DockerClient,
    compose_file: Path,
    stack: str,
    env: dict[str, str],
    resolve_image: str = "always",
) -> list[str]:
    """`stack deploy -c FILE --resolve-image always STACK`; returns what it printed.

    ``resolve_image="never"`` for images that are in no registry yet (the registry's own)."""
    printed: list[str] = []
    try:
        loaded = load([compose_file], env={**os.environ, **env})
        deploy_stack(
            client,
            loaded,
            DeployOptions(namespace=stack, resolve_image=resolve_image),
            out=printed.append,
            err=printed.append,
        )
    except SwarmdeckError as exc:
        raise PlatformError(f"stack deploy {stack} failed: {exc}") from exc
    return printed


def remove(client: docker.DockerClient, stack: str, timeout: float = 120.0) -> list[str]:
    """`docker stack rm STACK` (``swarm.stacks.remove``), then wait until the stack's task
    containers on this engine are gone too, so that its volumes here can be removed.

    Returns what was removed (``service web_app``...); nothing when there is no such stack.
    Volumes stay, as with `docker stack rm`.
    """
    try:
        removed = stacks.remove(client, stack, wait=True, timeout=timeout).lines()
    except NoSuchStack:
        return []
    deadline = time.monotonic() + timeout
    while True:
        # The low-level list: the high-level one inspects each container, racing their removal.
        with doing(f"listing the containers of {stack}"):
            if not client.api.containers(all=True, filters=stack_filter(stack)):
                return removed
        if time.monotonic() > deadline:
            raise PlatformError(f"timed out after {timeout:.0f} s waiting for containers of {stack} to stop")
        time.sleep(0.5)
