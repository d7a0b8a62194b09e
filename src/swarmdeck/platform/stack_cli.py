"""Stack deploy and removal through the docker CLI.

Temporary: swarmdeck's own compose engine (its own issue) replaces this module. Until then
`docker stack deploy` does the conversion, and this module runs it and reports its errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker

from swarmdeck.platform.errors import PlatformError

NAMESPACE_LABEL = "com.docker.stack.namespace"


def _docker_cli() -> str:
    cli = shutil.which("docker")
    if cli is None:
        raise PlatformError("the docker CLI is needed for `stack deploy` (apt-get install docker.io)")
    return cli


def deploy(compose_file: Path, stack: str, env: dict[str, str], docker_host: str) -> str:
    """`docker stack deploy -c FILE --resolve-image always STACK`; returns its output."""
    run = subprocess.run(
        [_docker_cli(), "stack", "deploy", "--resolve-image", "always", "-c", str(compose_file), stack],
        env={**os.environ, **env, "DOCKER_HOST": docker_host},
        capture_output=True, text=True, check=False, timeout=300,
    )
    if run.returncode != 0:
        raise PlatformError(f"docker stack deploy {stack} failed: {run.stderr.strip() or run.stdout.strip()}")
    return run.stdout


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
    _wait(lambda: not client.api.containers(all=True, filters=label), timeout,
          f"containers of {stack} to stop")
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
