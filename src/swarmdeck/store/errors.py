"""The store layer's exception root."""

from swarmdeck.errors import SwarmdeckError


class StoreError(SwarmdeckError):
    """The console's own state could not be read or changed; the message says why."""


class NotFound(StoreError):
    """No such user, token, endpoint or session."""


class Conflict(StoreError):
    """The change clashes with what is stored (a name taken, the last admin removed)."""


class Invalid(StoreError):
    """A value is not acceptable (a weak password, an unknown role, a bad endpoint URL)."""
