"""The registry layer's exceptions: the root, and "nothing answers there" apart, since the
console answers that one as a 502 with what to check rather than as a refused request."""

from swarmdeck.errors import SwarmdeckError


class RegistryError(SwarmdeckError):
    """A registry refused, failed, or could not be reached."""


class RegistryUnreachable(RegistryError):
    """No registry answers at ``address`` (refused, timed out, unknown host, TLS failed);
    ``reason`` is the short cause ("connection refused")."""

    def __init__(self, message: str, address: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.address = address
        self.reason = reason
