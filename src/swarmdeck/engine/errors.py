"""The engine layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class EngineError(SwarmdeckError):
    """The Docker engine refused, failed, or could not be reached."""


class EngineUnreachable(EngineError):
    """No engine answers at the endpoint."""


class InvalidName(EngineError, ValueError):
    """A user's string that is no valid name, ID or reference of its kind: it was refused
    before it reached any engine URL. Also a ``ValueError``, so that a pydantic validator
    (the console's path parameters) can raise it as it is."""


class InvalidReference(InvalidName):
    """A string that is not an image reference (``engine.reference``)."""
