"""Containers as the console shows them: one ``/containers/json`` call per list (never one
inspect per container: the high-level ``containers.list`` inspects each one, which is what
makes big hosts slow in other consoles), searching and paging, inspect with masked
environment, the start/stop/restart/kill/remove actions, logs (a tail, or followed as
lines), and what an engine event means for the page. Making a
container is ``create``'s job."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docker

from swarmdeck.console import envmask
from swarmdeck.console.errors import ConsoleError
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.labels import NAMESPACE_LABELS as STACK_LABELS
from swarmdeck.engine.labels import SERVICE_NAME_LABELS as SERVICE_LABELS

STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")


@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    image: str
    state: str
    status: str
    created: int
    ports: list[str]
    stack: str
    service: str
    labels: dict[str, str]
    networks: list[str]
    volumes: list[str]

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((labels[k] for k in keys if k in labels), "")


def _name(raw: dict[str, Any]) -> str:
    return str((raw.get("Names") or ["/"])[0]).lstrip("/")


def container_row(raw: dict[str, Any]) -> ContainerRow:
    """One entry of ``/containers/json`` as the console's row."""
    labels = raw.get("Labels") or {}
    ports = []
    for p in sorted(raw.get("Ports") or [], key=lambda p: (p.get("PrivatePort", 0), p.get("IP", ""))):
        inner = f"{p.get('PrivatePort')}/{p.get('Type', 'tcp')}"
        ports.append(f"{p.get('IP', '')}:{p['PublicPort']}->{inner}" if p.get("PublicPort") else inner)
    return ContainerRow(
        id=raw["Id"],
        name=_name(raw),
        image=raw.get("Image", ""),
        state=raw.get("State", ""),
        status=raw.get("Status", ""),
        created=raw.get("Created", 0),
        ports=ports,
        stack=_first(labels, STACK_LABELS),
        service=_first(labels, SERVICE_LABELS),
        labels=labels,
        networks=sorted(((raw.get("NetworkSettings") or {}).get("Networks") or {}).keys()),
        volumes=sorted(m["Name"] for m in raw.get("Mounts") or [] if m.get("Type") == "volume"),
    )


def _raw_containers(client: docker.DockerClient, state: str | None = None) -> list[dict[str, Any]]:
    filters = {"status": state} if state else None
    with doing("listing containers failed"):
        return client.api.containers(all=True, filters=filters)


def all_containers(client: docker.DockerClient, state: str | None = None) -> list[ContainerRow]:
    """Every container (in ``state``, when given) as rows."""
    return [container_row(r) for r in _raw_containers(client, state)]


def _matches(raw: dict[str, Any], needle: str) -> bool:
    labels = raw.get("Labels") or {}
    return (
        needle in _name(raw).lower()
        or needle in str(raw.get("Image", "")).lower()
        or needle in _first(labels, STACK_LABELS).lower()
        or needle in _first(labels, SERVICE_LABELS).lower()
        or str(raw.get("Id", "")).startswith(needle)
    )


def list_containers(
    client: docker.DockerClient, q: str = "", state: str = "", page: int = 1, per_page: int = 50
) -> Page:
    """Filter by state (on the engine), search names/images/stacks/services/IDs, then page."""
    if state and state not in STATES:
        raise ConsoleError(f"unknown state {state!r} (one of {', '.join(STATES)})")
    if page < 1 or not 1 <= per_page <= 500:
        raise ConsoleError("page starts at 1 and per_page is between 1 and 500")
    found = _raw_containers(client, state or None)
    needle = q.strip().lower()
    if needle:
        found = [r for r in found if _matches(r, needle)]
    start = (page - 1) * per_page
    # Rows are made for the page only: on a big host that is most of the console's own work.
    return Page([container_row(r) for r in found[start : start + per_page]], len(found), page, per_page)


def inspect_container(client: docker.DockerClient, ref: str, reveal_env: bool = True) -> dict[str, Any]:
    """The engine's inspect answer; environment values masked unless ``reveal_env``."""
    with doing(f"container {ref}"):
        info = client.api.inspect_container(ref)
    return envmask.container(info, reveal_env)


def container_action(
    client: docker.DockerClient, ref: str, action: str, timeout: int | None = None, force: bool = False
) -> None:
    api = client.api
    calls = {
        "start": lambda: api.start(ref),
        "stop": lambda: api.stop(ref, timeout=10 if timeout is None else timeout),
        "restart": lambda: api.restart(ref, timeout=10 if timeout is None else timeout),
        "kill": lambda: api.kill(ref),
        "remove": lambda: api.remove_container(ref, force=force, v=False),
    }
    with doing(f"{action} {ref} failed"):
        calls[action]()


def container_logs(client: docker.DockerClient, ref: str, tail: int = 100) -> list[str]:
    with doing(f"logs of {ref}"):
        raw = client.api.logs(ref, stdout=True, stderr=True, tail=tail)
    return raw.decode("utf-8", "replace").splitlines()


class LineStream:
    """A followed log as lines; ``close()`` from another thread ends a blocked read."""

    def __init__(self, client: docker.DockerClient, ref: str, tail: int, since: int | None = None) -> None:
        with doing(f"logs of {ref}"):
            self._stream = client.api.logs(
                ref, stdout=True, stderr=True, stream=True, follow=True, tail=tail, since=since
            )
        self._lines = self._split()

    def _split(self) -> Iterator[str]:
        pending = b""
        try:
            for chunk in self._stream:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError):
            return  # closed under us: the reader went away
        if pending:
            yield pending.decode("utf-8", "replace")

    def next(self) -> str | None:
        """The next line, or None at the end of the log (the container stopped)."""
        return next(self._lines, None)

    def close(self) -> None:
        self._stream.close()


_EVENT_STATES = {
    "start": "running",
    "unpause": "running",
    "restart": "running",
    "die": "exited",
    "stop": "exited",
    "kill": None,
    "pause": "paused",
    "create": "created",
    "destroy": "removed",
}


def container_event(client: docker.DockerClient, event: dict[str, Any]) -> dict[str, Any] | None:
    """The state change an engine event means for the page, or None when it changes nothing."""
    if event.get("Type") != "container" or event.get("Action") not in _EVENT_STATES:
        return None
    cid = event.get("id") or event.get("Actor", {}).get("ID", "")
    name = (event.get("Actor", {}).get("Attributes") or {}).get("name", "")
    if event["Action"] == "destroy":
        return {"id": cid, "name": name, "state": "removed", "status": "removed"}
    try:
        found = client.api.containers(all=True, filters={"id": cid})
    except EngineError:
        return None
    if not found:
        return None
    row = container_row(found[0])
    return {"id": row.id, "name": row.name, "state": row.state, "status": row.status}
