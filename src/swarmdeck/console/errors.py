"""The console's exception root and how every expected failure becomes an HTTP status.

``status_of`` is the one mapping from swarmdeck's domain errors to HTTP statuses; the
handler in ``console.app`` applies it to everything a route lets through. Routes do not
catch engine errors: they name what they were doing with ``engine.errormap.doing`` and let
the typed error travel here.
"""

from __future__ import annotations

from swarmdeck.engine.errors import (
    EngineConflict,
    EngineError,
    EngineInvalid,
    EngineNotFound,
    EngineRefused,
    EngineUnreachable,
    InvalidName,
)
from swarmdeck.engine.policy import WorkloadRefused
from swarmdeck.errors import SwarmdeckError
from swarmdeck.images.errors import ImageError
from swarmdeck.registry.errors import RegistryUnreachable
from swarmdeck.store import Conflict, Invalid, NotFound, StoreError
from swarmdeck.swarm.errors import InvalidAction, NoSuchStack, Refused, SwarmRefusal


class ConsoleError(SwarmdeckError):
    """A request the console refuses or an engine answer it passes on, with its HTTP status."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def status_of(exc: SwarmdeckError) -> int:
    match exc:
        case ConsoleError():
            return exc.status
        case SwarmRefusal() | Refused():
            return 409
        case NoSuchStack():
            return 404
        case InvalidAction():
            return 400
        case NotFound() | EngineNotFound():
            return 404
        case Conflict() | EngineConflict():
            return 409
        case Invalid() | EngineInvalid() | InvalidName():
            return 400
        case EngineUnreachable() | EngineRefused() | RegistryUnreachable():
            return 502
        case WorkloadRefused():
            return 403
        case StoreError():
            return 500
        case ImageError() | EngineError():
            return 400
        case _:
            return 400
