"""Which driver runs a machine: ``make(kind, machine_dir, params)``, the one place the
kinds are named. The qemu driver is imported only when a qemu machine is used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swarmdeck.machine.driver import Driver
from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.generic import GenericDriver

KINDS = ("qemu", "generic")


def make(kind: str, machine_dir: Path, params: dict[str, Any]) -> Driver:
    """The driver of kind ``kind`` for the machine in ``machine_dir``."""
    if kind == "generic":
        return GenericDriver(machine_dir, params)
    if kind == "qemu":
        from swarmdeck.machine.qemu import QemuDriver  # with the image and mirror: qemu only

        return QemuDriver(machine_dir, params)
    raise MachineError(f"unknown machine driver {kind!r}: use {' or '.join(KINDS)}")
