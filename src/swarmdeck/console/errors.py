"""The console's exception root and how every expected failure becomes an HTTP status."""

from __future__ import annotations

import docker.errors

from swarmdeck.engine.errors import EngineError, EngineRefused, EngineUnreachable
from swarmdeck.engine.policy import WorkloadRefused
from swarmdeck.errors import SwarmdeckError
from swarmdeck.images.errors import ImageError
from swarmdeck.store import Conflict, Invalid, NotFound, StoreError
from swarmdeck.swarm.errors import InvalidAction, NoSuchStack, Refused, SwarmRefusal


class ConsoleError(SwarmdeckError):
    """A request the console refuses or an engine answer it passes on, with its HTTP status."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def engine_error(action: str, exc: docker.errors.DockerException) -> ConsoleError:
    """One readable error for a failed engine call, keeping the engine's 404/409 meaning."""
    if isinstance(exc, docker.errors.APIError):
        detail = str(exc.explanation or exc)
        code = exc.status_code or 502
        # The engine answers 403 for "in use" (a network with endpoints): a conflict to us.
        status = 409 if code == 403 else code if code in (400, 404, 409) else 502
        return ConsoleError(f"{action}: {detail}", status)
    return ConsoleError(f"{action}: {exc}", 502)


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
        case EngineRefused():
            # 403 is the engine's "in use" (a network with endpoints): a conflict to us.
            return 409 if exc.status == 403 else exc.status if exc.status in (400, 404, 409) else 502
        case NotFound():
            return 404
        case Conflict():
            return 409
        case Invalid():
            return 400
        case EngineUnreachable():
            return 502
        case WorkloadRefused():
            return 403
        case StoreError():
            return 500
        case ImageError() | EngineError():
            return 400
        case _:
            return 400
