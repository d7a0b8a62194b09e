"""The engine layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class EngineError(SwarmdeckError):
    """The Docker engine refused, failed, or could not be reached."""


class EngineUnreachable(EngineError):
    """No engine answers at the endpoint."""
