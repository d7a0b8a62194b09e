"""What ``up``, ``down``, ``ps``/``logs`` and ``resume`` share about talking to the engine: one
engine call whose failure becomes the ``ProjectError`` naming it (errors mapped once, here),
the project's containers as Compose's labels find them, and the ``Event`` lines the
commands show (``Container p-web-1 Started``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import docker
from docker.models.containers import Container

from swarmdeck.compose.project import names
from swarmdeck.compose.project.errors import ProjectError
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError

T = TypeVar("T")


@dataclass(frozen=True)
class Event:
    """Something ``up`` or ``down`` did: ``Container p-web-1 Started``."""

    kind: str  # Network, Volume, Container
    name: str
    action: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}  {self.action}"


Progress = Callable[[Event], None]


def project_containers(client: docker.DockerClient, project: str) -> list[Container]:
    """The project's containers (running or not), by Compose's labels, sorted by name."""
    found = client.containers.list(
        all=True, filters={"label": [f"{names.PROJECT}={project}", f"{names.ONEOFF}=False"]}
    )
    return sorted(found, key=lambda c: (c.labels.get(names.SERVICE, ""), number_of(c)))


def number_of(container: Container) -> int:
    try:
        return int(container.labels.get(names.NUMBER, "0"))
    except ValueError:
        return 0


def engine_call(action: str, call: Callable[[], T]) -> T:
    """Run one engine call; its failure (the engine's typed error, as ``doing`` maps whatever
    the SDK raised, and the ProjectError's cause) becomes a ProjectError naming the action.
    Anything that is not the engine's (a bug) goes through as it is."""
    try:
        with doing(action):
            return call()
    except EngineError as exc:
        raise ProjectError(str(exc)) from exc
