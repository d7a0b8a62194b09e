"""Stack networks a swarm service cannot attach to, refused before anything is created.

``docker stack deploy`` creates a stack network declared ``driver: bridge`` (or ``host``,
``none``), which the engine makes local-scoped, and only then has every service that uses it
refused by the engine ("cannot be used with services"): the stack is left half made. The
drivers below only ever make local-scoped networks, so the outcome is known from the file
alone: each such network is refused here, at its ``driver`` key, with the engine's own words.
"""

from __future__ import annotations

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.models import Project
from swarmdeck.compose.stack.objects import used_networks
from swarmdeck.compose.stack.wire import scope

LOCAL_ONLY_DRIVERS = frozenset({"bridge", "host", "none"})
HEADLINE = "the stack's networks cannot carry swarm services"


def check(project: Project, namespace: str) -> None:
    """Raise ``ComposeError`` naming every used, non-external network with a local-only driver."""
    problems = []
    for key in used_networks(project):
        network = project.networks.get(key)
        if network is None or network.external or (network.driver or "") not in LOCAL_ONLY_DRIVERS:
            continue
        name = network.name or scope(namespace, key)
        problems.append(
            Problem.at(
                network.key_loc("driver"),
                ["networks", key, "driver"],
                f"The network {name} cannot be used with services. Only networks scoped to the swarm "
                "can be used, such as those created with the overlay driver.",
            )
        )
    if problems:
        raise ComposeError(problems, HEADLINE)
