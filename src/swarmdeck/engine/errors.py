"""The engine layer's exceptions: every failure of a Docker engine call, as swarmdeck's own types.

The tree (each is an ``EngineError``, so a ``SwarmdeckError``)::

    EngineError            the engine refused, failed, or could not be reached
    ├── EngineUnreachable  nothing answers at the endpoint (refused, timed out, no socket)
    ├── InvalidName        a user's string refused before it reached an engine URL
    │   └── InvalidReference   not an image reference
    └── EngineRefused      the engine answered with an error status (``status``, ``explanation``)
        ├── EngineInvalid      400: the request's values
        ├── EngineNotFound     404: no such object
        │   └── EngineImageNotFound
        ├── EngineConflict     409, and 403 ("in use", "has active endpoints")
        └── EngineUnavailable  503: e.g. "this node is not a swarm manager"

Where they come from: the clients of ``engine.client.new_client`` raise them from every HTTP
answer and transport failure themselves (``engine.errormap``, the one place where the SDK's
and requests' exceptions are translated), and ``engine.errormap.doing(action)`` maps what the
SDK raises on its own side (a build's ``BuildError``, a stream cut) and names the action in
the message. The light read-only client (``engine.light``) raises the same types, chosen by
the same table (``engine.refusals``). Layers above ``engine`` never import ``docker.errors``.

These classes import neither the docker SDK nor requests (start-up: a command that only reads
never loads them). What the SDK path raises are subclasses made in ``engine.errormap`` that
also derive from the SDK's matching classes, so that the SDK's own code, which catches
``docker.errors.NotFound`` inside its models (``containers.run`` pulls on ``ImageNotFound``),
and callers that catch requests' ``ConnectionError`` keep working with them.
"""

from __future__ import annotations

from typing import Any

from swarmdeck.errors import SwarmdeckError

__all__ = [
    "EngineConflict",
    "EngineError",
    "EngineImageNotFound",
    "EngineInvalid",
    "EngineNotFound",
    "EngineRefused",
    "EngineUnavailable",
    "EngineUnreachable",
    "InvalidName",
    "InvalidReference",
]


class EngineError(SwarmdeckError):
    """The Docker engine refused, failed, or could not be reached."""


class EngineUnreachable(EngineError):
    """No engine answers at the endpoint (on the SDK path also a requests ``ConnectionError``,
    as the SDK's callers knew it). ``reason`` is the short cause ("connection refused"); ``where`` the
    endpoint's URL when the message names it already."""

    reason: str = ""
    where: str = ""

    @classmethod
    def because(cls, reason: str, where: str = "", message: str = "") -> EngineUnreachable:
        exc = cls(message or f"the engine does not answer ({reason})")
        exc.reason, exc.where = reason, where
        return exc


class InvalidName(EngineError, ValueError):
    """A user's string that is no valid name, ID or reference of its kind: it was refused
    before it reached any engine URL. Also a ``ValueError``, so that a pydantic validator
    (the console's path parameters) can raise it as it is."""


class InvalidReference(InvalidName):
    """A string that is not an image reference (``engine.reference``)."""


class EngineRefused(EngineError):
    """The engine answered with an error status. ``status`` is that status, ``explanation``
    the engine's own message, ``action`` what swarmdeck was doing (set by ``doing``).

    Built as the SDK's ``APIError`` is (``message, response=None, explanation=None``), or
    with ``status=`` where no requests ``Response`` exists (the light client)."""

    action: str = ""

    def __init__(
        self,
        message: Any = "",
        response: Any = None,
        explanation: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        # after super(): on the SDK path, APIError.__init__ (later in the MRO) resets these
        self.response = response
        self.explanation = explanation
        self._status = status

    @property
    def status_code(self) -> int | None:
        if self._status is not None:
            return self._status
        return None if self.response is None else int(self.response.status_code)

    @property
    def status(self) -> int:
        return int(self.status_code or 500)

    def __str__(self) -> str:
        detail = str(self.explanation or "").strip() or f"the engine answered {self.status}"
        return f"{self.action}: {detail}" if self.action else detail


class EngineInvalid(EngineRefused):
    """400: the engine refused the request's values."""


class EngineNotFound(EngineRefused):
    """404: no such container, image, service, node, network, volume, secret or config."""


class EngineImageNotFound(EngineNotFound):
    """404 about an image (the SDK pulls on it in ``containers.run``)."""


class EngineConflict(EngineRefused):
    """409, or 403 which the engine uses for "in use" (a network with endpoints)."""


class EngineUnavailable(EngineRefused):
    """503: the engine cannot do this in its place (not a swarm manager, swarm not ready)."""
