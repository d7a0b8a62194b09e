"""The swarm back end's one error type, a ``ComposeError`` like every compose refusal."""

from swarmdeck.compose.errors import ComposeError


class StackError(ComposeError):
    """A stack operation was refused or failed; the message is meant for the user."""
