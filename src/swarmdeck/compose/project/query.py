"""``compose ps`` and ``compose logs``: the project's containers, found by Compose's labels."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import docker
from docker.models.containers import Container

from swarmdeck.compose.project import names
from swarmdeck.compose.project.engine import engine_call, project_containers
from swarmdeck.compose.project.errors import ProjectError


@dataclass(frozen=True)
class Row:
    name: str
    image: str
    service: str
    state: str  # running, exited, ...
    status: str  # the engine's words, e.g. "Up 3 seconds (healthy)"
    ports: str  # "0.0.0.0:6767->80/tcp, 80/tcp"


def format_ports(ports: dict[str, Any] | None) -> str:
    """NetworkSettings.Ports as ``docker ps`` shows it."""
    shown = []
    for target, bindings in sorted((ports or {}).items()):
        if not bindings:
            shown.append(target)
            continue
        for binding in bindings:
            host = binding.get("HostIp") or "0.0.0.0"
            host = f"[{host}]" if ":" in host and host != "::" else host
            shown.append(f"{host}:{binding.get('HostPort')}->{target}")
    return ", ".join(dict.fromkeys(shown))


def ps(client: docker.DockerClient, project: str, all: bool = False) -> list[Row]:
    """The project's running containers (all of them with ``all``), as ``docker compose ps``."""
    rows = []
    for container in engine_call("list containers", lambda: project_containers(client, project)):
        attrs = container.attrs
        state = attrs.get("State", {})
        status = state.get("Status", "")
        if not all and status != "running":
            continue
        health = (state.get("Health") or {}).get("Status")
        rows.append(
            Row(
                name=names.listed_name(container),
                image=attrs.get("Config", {}).get("Image", ""),
                service=container.labels.get(names.SERVICE, ""),
                state=status,
                status=status + (f" ({health})" if health else ""),
                ports=format_ports(attrs.get("NetworkSettings", {}).get("Ports")),
            )
        )
    return rows


def _prefix(container: Container) -> str:
    labels = container.labels
    return f"{labels.get(names.SERVICE, container.name)}-{labels.get(names.NUMBER, '?')}"


_TIMESTAMP = re.compile(r"(\S+?)(?:\.(\d+))?Z ")


def _sort_key(line: str) -> str:
    """A log line's RFC 3339 timestamp with its fraction padded (the engine trims zeros)."""
    match = _TIMESTAMP.match(line)
    return f"{match.group(1)}.{(match.group(2) or '').ljust(9, '0')}" if match else ""


def _selected(client: docker.DockerClient, project: str, services: Sequence[str]) -> list[Container]:
    containers = engine_call("list containers", lambda: project_containers(client, project))
    known = {c.labels.get(names.SERVICE) for c in containers}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise ProjectError(f"no such service: {', '.join(unknown)} (in project {project})")
    return [c for c in containers if not services or c.labels.get(names.SERVICE) in services]


def _written(container: Container) -> bytes:
    """Everything ``container`` wrote so far, each line with its timestamp."""
    return container.logs(timestamps=True)


def logs(
    client: docker.DockerClient,
    project: str,
    write: Callable[[str], None],
    services: Sequence[str] = (),
    follow: bool = False,
) -> None:
    """Write each log line as ``service-n  | line``.

    Without ``follow``, lines of all containers are merged in time order. With ``follow``,
    one thread per container streams its lines as they come, until every container ends.
    """
    containers = _selected(client, project, services)
    width = max((len(_prefix(c)) for c in containers), default=0)
    prefixes = {c.id: _prefix(c).ljust(width) + " | " for c in containers}
    if not follow:
        lines = []
        for container in containers:
            raw = engine_call(f"logs of {container.name}", partial(_written, container))
            text = raw.decode(errors="replace")
            lines += [
                (_sort_key(line), prefixes[container.id] + line.split(" ", 1)[-1])
                for line in text.splitlines()
            ]
        for _, line in sorted(lines, key=lambda item: item[0]):
            write(line)
        return
    lock = threading.Lock()

    def stream(container: Container) -> None:
        pending = b""
        for chunk in container.logs(stream=True, follow=True):
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with lock:
                for line in complete:
                    write(prefixes[container.id] + line.decode(errors="replace"))
        if pending:
            with lock:
                write(prefixes[container.id] + pending.decode(errors="replace"))

    threads = [threading.Thread(target=stream, args=(c,), daemon=True) for c in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)  # short joins keep Ctrl-C responsive
