"""The images layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class ImageError(SwarmdeckError):
    """Building, importing or choosing an image failed; the message says why and what to do."""
