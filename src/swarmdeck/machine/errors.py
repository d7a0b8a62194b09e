"""The machine layer's errors: one root, so each edge maps them once."""

from swarmdeck.errors import SwarmdeckError


class MachineError(SwarmdeckError):
    """A machine could not be made, reached, provisioned or changed; the message says which."""


class NoSuchMachine(MachineError):
    """The name is not a machine swarmdeck knows."""


class MachineExists(MachineError):
    """``create`` was asked for a name that is already a machine."""
