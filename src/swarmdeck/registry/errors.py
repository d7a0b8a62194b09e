"""The registry layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class RegistryError(SwarmdeckError):
    """A registry refused, failed, or could not be reached."""
