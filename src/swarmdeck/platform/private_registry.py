"""The private registry of the report: `docker run -d -p 5000:5000 --restart=always
-e REGISTRY_STORAGE_DELETE_ENABLED=true -v …:/var/lib/registry registry`, or one that exists.

When the console is deployed too, the registry posts its push and delete events to it
(``swarmdeck.registry.notifications``): the console listens on the host's network, which the
container reaches as ``host.docker.internal`` (the engine's ``host-gateway``). The token the
events carry is made here and kept in the container's configuration, where the console, which
manages this engine, reads it back (``notification_token``).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import docker

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound, EngineRefused
from swarmdeck.platform.errors import PlatformError
from swarmdeck.registry import notifications
from swarmdeck.registry.client import RegistryClient
from swarmdeck.registry.errors import RegistryError

CONTAINER = "swarmdeck-registry"
VOLUME = "swarmdeck-registry-data"
LABEL = "io.swarmdeck.role"
GATEWAY_HOST = "host.docker.internal"


def console_url(port: int) -> str:
    """Where the registry container posts its events: the console on this host's ``port``."""
    return f"http://{GATEWAY_HOST}:{port}" + notifications.PATH.format(name="swarmdeck")


def ensure_registry(
    client: docker.DockerClient,
    image: str,
    bind: str = "127.0.0.1",
    port: int = 5000,
    timeout: float = 30.0,
    notify: str | None = None,
) -> tuple[str, str]:
    """Start (or reuse) the managed registry container; returns (address, what was done).

    It binds to loopback by default: a registry without credentials should not listen on
    every interface unless asked (``bind="0.0.0.0"``, as the report does). ``notify``: the
    console URL its events go to; a container that does not send them there is made again
    (its data stays on the volume).
    """
    address = f"{'127.0.0.1' if bind in ('0.0.0.0', '::') else bind}:{port}"
    action = "reused"
    starting = f"starting the registry container {CONTAINER}"
    try:
        with doing(starting):
            found = client.containers.get(CONTAINER)
    except EngineNotFound:
        _create(client, image, bind, port, starting, notify)
        action = "started"
        container = None
    else:
        container = found
        sent_to = notifications.configured(found.attrs["Config"].get("Env") or [])
        if notify is not None and (sent_to is None or sent_to[0] != notify):
            _remove_quietly(client)
            _create(client, image, bind, port, starting, notify)
            action = "made again (to notify the console)"
            container = None
    if container is not None and container.status != "running":
        with doing(starting):
            container.start()
        action = "restarted"
    wait_answering(address, timeout)
    return address, f"{action} {CONTAINER} ({image}) at {address}, data on volume {VOLUME}"


def _create(
    client: docker.DockerClient, image: str, bind: str, port: int, starting: str, notify: str | None
) -> None:
    environment = {"REGISTRY_STORAGE_DELETE_ENABLED": "true"}
    if notify is not None:
        environment |= notifications.environment(notify, notifications.new_token())
    try:
        with doing(starting):
            client.containers.run(
                image,
                name=CONTAINER,
                detach=True,
                ports={"5000/tcp": (bind, port)},
                environment=environment,
                extra_hosts={GATEWAY_HOST: "host-gateway"},
                volumes={VOLUME: {"bind": "/var/lib/registry", "mode": "rw"}},
                restart_policy={"Name": "always"},
                labels={LABEL: "registry"},
            )
    except EngineRefused as exc:
        # The engine creates the container before it fails to bind the port: remove it,
        # so that a refused start leaves nothing behind.
        _remove_quietly(client)
        detail = str(exc.explanation or exc)
        if "address already in use" in detail or "port is already allocated" in detail:
            raise PlatformError(
                f"port {port} on {bind} is already in use, so the registry cannot start there; "
                f"free it, or give --registry HOST:PORT to use an existing registry"
            ) from exc
        raise


def _remove_quietly(client: docker.DockerClient) -> None:
    with contextlib.suppress(EngineNotFound), doing(f"removing {CONTAINER}"):
        client.containers.get(CONTAINER).remove(force=True)


def notification_token(client: docker.DockerClient) -> str | None:
    """The token the managed registry's events carry, or None (not running here, or not
    configured to send them)."""
    try:
        with doing(f"looking for {CONTAINER}"):
            container = client.containers.get(CONTAINER)
    except EngineNotFound:
        return None
    sent_to = notifications.configured(container.attrs["Config"].get("Env") or [])
    return sent_to[1] if sent_to else None


def wait_answering(address: str, timeout: float) -> None:
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
    with contextlib.suppress(EngineNotFound), doing(f"removing container {CONTAINER}"):
        client.containers.get(CONTAINER).remove(force=True)
        removed.append(f"container {CONTAINER}")
    if volumes:
        with contextlib.suppress(EngineNotFound), doing(f"removing volume {VOLUME}"):
            client.volumes.get(VOLUME).remove()
            removed.append(f"volume {VOLUME}")
    return removed


@dataclass(frozen=True)
class Collected:
    blobs_deleted: int
    bytes_before: int
    bytes_after: int


def garbage_collect(client: docker.DockerClient, timeout: float = 30.0) -> Collected:
    """Free the space of deleted manifests in the managed registry.

    Deleting a tag only unlinks its manifest; blobs stay until `registry garbage-collect`
    runs, and it must not run while pushes may arrive. So the registry container stops, a
    one-off container of the same image collects on the same volume, and the registry
    starts again (also when collecting fails).
    """
    try:
        with doing(f"looking for {CONTAINER}"):
            registry = client.containers.get(CONTAINER)
    except EngineNotFound as exc:
        raise PlatformError(f"no registry managed by swarmdeck ({CONTAINER}) on this engine") from exc
    image = registry.attrs["Config"]["Image"]
    config = "/etc/docker/registry/config.yml"
    script = (
        f"du -sb /var/lib/registry | cut -f1; registry garbage-collect --delete-untagged {config}"
        " >/tmp/gc.log 2>&1; status=$?; grep -c 'blob eligible for deletion' /tmp/gc.log;"
        " du -sb /var/lib/registry | cut -f1; [ $status = 0 ] || tail -3 /tmp/gc.log; exit $status"
    )
    was_running = registry.status == "running"
    registry.stop(timeout=10)
    try:
        with doing("garbage collection failed"):  # the SDK raises its ContainerError on exit != 0
            output = client.containers.run(
                image,
                entrypoint=["sh", "-c", script],
                remove=True,
                volumes={VOLUME: {"bind": "/var/lib/registry", "mode": "rw"}},
            ).decode()
    finally:
        if was_running:
            registry.start()
            address = _published_address(registry)
            if address:
                wait_answering(address, timeout)
    before, deleted, after = (int(x) for x in output.split()[:3])
    return Collected(deleted, before, after)


def _published_address(container) -> str:
    container.reload()
    bindings = (container.attrs["HostConfig"].get("PortBindings") or {}).get("5000/tcp") or []
    if not bindings:
        return ""
    host = bindings[0].get("HostIp") or "127.0.0.1"
    return f"{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{bindings[0]['HostPort']}"
