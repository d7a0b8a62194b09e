"""``compose down [-v]``: what Compose's labels say belongs to the project, removed.

Containers are stopped in parallel (each within its own stop timeout, or ``timeout``
seconds), then removed; then the project's networks; named volumes only with ``volumes``.
Everything is found by the ``com.docker.compose.project`` label, so a project whose file
changed since ``up`` (or one made by ``docker compose``) is removed entirely.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
from docker.models.containers import Container

from swarmdeck.compose.project import names
from swarmdeck.compose.project.engine import Event, Progress, engine_call


def down(
    client: docker.DockerClient,
    project: str,
    volumes: bool = False,
    timeout: int | None = None,
    progress: Progress | None = None,
) -> list[Event]:
    """Remove the project's containers and networks (and volumes); returns what was removed."""
    events: list[Event] = []

    def emit(kind: str, name: str, action: str) -> None:
        events.append(Event(kind, name, action))
        if progress is not None:
            progress(events[-1])

    label: dict[str, str | list[str] | bool] = {"label": f"{names.PROJECT}={project}"}
    containers = engine_call("list containers", lambda: client.containers.list(all=True, filters=label))

    def remove(container: Container) -> None:
        if container.status in ("running", "restarting", "paused"):
            engine_call(f"stop container {container.name}", lambda: container.stop(timeout=timeout))
        engine_call(f"remove container {container.name}", lambda: container.remove(force=True, v=volumes))

    if containers:
        with ThreadPoolExecutor(max_workers=min(8, len(containers))) as pool:
            for container, _ in zip(containers, pool.map(remove, containers), strict=True):
                emit("Container", names.listed_name(container), "Removed")
    for network in engine_call("list networks", lambda: client.networks.list(filters=label)):
        engine_call(f"remove network {network.name}", network.remove)
        emit("Network", names.listed_name(network), "Removed")
    if volumes:
        for volume in engine_call("list volumes", lambda: client.volumes.list(filters=label)):
            engine_call(f"remove volume {volume.name}", volume.remove)
            emit("Volume", volume.name, "Removed")
    return events
