"""The single-host back end's exception: the engine refused, or the project cannot run here."""

from swarmdeck.errors import SwarmdeckError


class ProjectError(SwarmdeckError):
    """``compose up/down/ps/logs`` failed; ``up`` has undone what it created before raising."""
