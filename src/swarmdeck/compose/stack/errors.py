"""The swarm back end's one error type."""

from swarmdeck.errors import SwarmdeckError


class StackError(SwarmdeckError):
    """A stack operation was refused or failed; the message is meant for the user."""
