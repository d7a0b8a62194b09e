"""The single-host back end's exception: the engine refused, or the project cannot run here.

A ``ComposeError`` like every refusal of the compose layer, so that each edge catches one
root; a message without a place is one ``Problem`` with no file.
"""

from swarmdeck.compose.errors import ComposeError


class ProjectError(ComposeError):
    """``compose up/down/ps/logs`` failed; ``up`` has undone what it created before raising."""
