"""The swarm layer's domain errors: what went wrong in the swarm's own terms, with no HTTP.

The tree (each is a ``SwarmError``, so a ``SwarmdeckError``)::

    SwarmError             the swarm refused or failed an operation
    ├── SwarmRefusal       the engine's place in the swarm forbids it (not in one, a worker,
    │   ├── NotInSwarm         already in one); ``naming`` names the engine in the message
    │   ├── NotManager
    │   └── AlreadyInSwarm
    ├── Refused            the swarm as it is refuses it (the only manager, a global service
    │                      scaled), or did only part of it (a stack whose objects stayed)
    ├── NoSuchStack        no object carries the stack's label
    └── InvalidAction      the caller's value is none the operation knows (bad input)

The console maps them to statuses in ``console.errors`` (409, 409, 404, 400), the CLI prints
their message. Engine failures stay the engine layer's typed errors (``engine.errors``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from swarmdeck.errors import SwarmdeckError

THIS_ENGINE = "this engine"


class SwarmError(SwarmdeckError):
    """A swarm operation was refused or failed; the message is meant for the user."""


class SwarmRefusal(SwarmError):
    """The engine cannot do this in its place in the swarm. ``template`` says why, with
    ``{engine}`` where the engine is named: "this engine" until ``naming`` knows better."""

    def __init__(self, template: str, engine: str = THIS_ENGINE) -> None:
        super().__init__(template.format(engine=engine))
        self.template = template


class NotInSwarm(SwarmRefusal):
    """The engine is not part of a swarm."""


class NotManager(SwarmRefusal):
    """The engine is a worker: only a manager answers this."""


class AlreadyInSwarm(SwarmRefusal):
    """The engine is in a swarm already (init, join)."""


class Refused(SwarmError):
    """The swarm as it is refuses the operation, or did only part of it: ``detail`` holds
    what was done when something was (a stack removal's report)."""

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


class NoSuchStack(SwarmError):
    """No service, network, config or secret carries the stack's label."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no stack {name} on this swarm (nothing carries its label)")
        self.name = name


class InvalidAction(SwarmError):
    """A value the operation does not know (a node action, a token role): nothing changed."""


@contextmanager
def naming(engine: str) -> Iterator[None]:
    """Name ``engine`` ("endpoint 'mgr'") in the swarm refusals raised inside: the caller
    chose it, and may choose another (a manager)."""
    try:
        yield
    except SwarmRefusal as exc:
        raise type(exc)(exc.template, engine) from None
