"""The private registry of the report: `docker run -d -p 5000:5000 --restart=always
-e REGISTRY_STORAGE_DELETE_ENABLED=true -v …:/var/lib/registry registry`, or one that exists."""

from __future__ import annotations

import contextlib
import time

import docker
import docker.errors

from swarmdeck.platform.errors import PlatformError
from swarmdeck.registry.client import RegistryClient
from swarmdeck.registry.errors import RegistryError

CONTAINER = "swarmdeck-registry"
VOLUME = "swarmdeck-registry-data"
LABEL = "io.swarmdeck.role"


def ensure_registry(client: docker.DockerClient, image: str, bind: str = "127.0.0.1",
                    port: int = 5000, timeout: float = 30.0) -> tuple[str, str]:
    """Start (or reuse) the managed registry container; returns (address, what was done).

    It binds to loopback by default: a registry without credentials should not listen on
    every interface unless asked (``bind="0.0.0.0"``, as the report does).
    """
    address = f"{'127.0.0.1' if bind in ('0.0.0.0', '::') else bind}:{port}"
    action = "reused"
    try:
        container = client.containers.get(CONTAINER)
        if container.status != "running":
            container.start()
            action = "restarted"
    except docker.errors.NotFound:
        container = _create(client, image, bind, port)
        action = "started"
    except docker.errors.APIError as exc:
        raise PlatformError(f"starting the registry container {CONTAINER}: {exc.explanation}") from exc
    _wait_answering(address, timeout)
    return address, f"{action} {CONTAINER} ({image}) at {address}, data on volume {VOLUME}"


def _create(client: docker.DockerClient, image: str, bind: str, port: int):
    try:
        return client.containers.run(
            image, name=CONTAINER, detach=True,
            ports={"5000/tcp": (bind, port)},
            environment={"REGISTRY_STORAGE_DELETE_ENABLED": "true"},
            volumes={VOLUME: {"bind": "/var/lib/registry", "mode": "rw"}},
            restart_policy={"Name": "always"},
            labels={LABEL: "registry"},
        )
    except docker.errors.APIError as exc:
        # The engine creates the container before it fails to bind the port: remove it,
        # so that a refused start leaves nothing behind.
        _remove_quietly(client)
        detail = str(exc.explanation or exc)
        if "address already in use" in detail or "port is already allocated" in detail:
            raise PlatformError(
                f"port {port} on {bind} is already in use, so the registry cannot start there; "
                f"free it, or give --registry HOST:PORT to use an existing registry") from exc
        raise PlatformError(f"starting the registry container {CONTAINER}: {detail}") from exc


def _remove_quietly(client: docker.DockerClient) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        client.containers.get(CONTAINER).remove(force=True)


def _wait_answering(address: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with RegistryClient(address, timeout=2.0) as registry:
        while True:
            try:
                registry.ping()
                return
            except RegistryError as exc:
                if time.monotonic() > deadline:
                    raise PlatformError(f"the registry did not answer within {timeout:.0f} s: {exc}") from exc
                time.sleep(0.3)


def attach_registry(address: str) -> str:
    """Check that an existing registry answers at ``address``."""
    with RegistryClient(address) as registry:
        try:
            registry.ping()
        except RegistryError as exc:
            raise PlatformError(str(exc)) from exc
    return f"using the existing registry at {address}"


def remove_registry(client: docker.DockerClient, volumes: bool) -> list[str]:
    removed = []
    try:
        client.containers.get(CONTAINER).remove(force=True)
        removed.append(f"container {CONTAINER}")
    except docker.errors.NotFound:
        pass
    if volumes:
        try:
            client.volumes.get(VOLUME).remove()
            removed.append(f"volume {VOLUME}")
        except docker.errors.NotFound:
            pass
    return removed
