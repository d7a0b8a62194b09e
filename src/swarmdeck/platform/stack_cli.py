"""Stack deploy and removal for `swarmdeck up`/`down`, with swarmdeck's own compose engine.

`deploy` loads the compose file as `docker stack deploy` would and deploys it through the
engine API (`swarmdeck.compose.stack`): same objects as the docker CLI makes, and a second
deploy of an unchanged file updates no service. No docker CLI is needed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import docker

from swarmdeck.compose import load
from swarmdeck.compose.stack import DeployOptions
from swarmdeck.compose.stack import deploy as deploy_stack
from swarmdeck.errors import SwarmdeckError
from swarmdeck.platform.errors import PlatformError

NAMESPACE_LABEL = "com.docker.stack.namespace"


def deploy(client: docker.DockerClient, compose_file: Path, stack: str, env: dict[str, str]) -> list[str]:
    """`stack deploy -c FILE --resolve-image always STACK`; returns what it printed."""
    printed: list[str] = []
    try:
        loaded = load([compose_file], env={**os.environ, **env})
        deploy_stack(
            client,
            loaded,
            DeployOptions(namespace=stack, resolve_image="always"),
            out=printed.append,
            err=printed.append,
        )
    except SwarmdeckError as exc:
        raise PlatformError(f"stack deploy {stack} failed: {exc}") from exc
    return printed


def stack_services(client: docker.DockerClient, stack: str):
    return client.services.list(filters={"label": f"{NAMESPACE_LABEL}={stack}"})


def remove(client: docker.DockerClient, stack: str, timeout: float = 120.0) -> list[str]:
    """Remove the stack's services, then its configs, secrets and networks, and wait.

    Volumes stay, as with `docker stack rm`.
    """
    label = {"label": f"{NAMESPACE_LABEL}={stack}"}
    removed = []
    for service in sorted(stack_services(client, stack), key=lambda s: s.name):
        service.remove()
        removed.append(f"service {service.name}")
    _wait(lambda: not stack_services(client, stack), timeout, f"services of {stack} to go")
    # Tasks hold configs and networks for a while after their service is gone.
    # The low-level list: the high-level one inspects each container, racing their removal.
    _wait(
        lambda: not client.api.containers(all=True, filters=label), timeout, f"containers of {stack} to stop"
    )
    for kind in (client.configs, client.secrets):
        for obj in kind.list(filters=label):
            obj.remove()
            removed.append(f"{type(obj).__name__.lower()} {obj.name}")
    for network in client.networks.list(filters=label):
        _retry(network.remove, timeout)
        removed.append(f"network {network.name}")
    return removed


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise PlatformError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


def _retry(action, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            action()
            return
        except docker.errors.APIError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
