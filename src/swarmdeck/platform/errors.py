"""The platform layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class PlatformError(SwarmdeckError):
    """A workflow step could not be completed."""
