"""What every machine driver offers, so the CLI and ``up`` treat a local VM and an existing
host alike: make the host exist and answer SSH; provisioning the engine is not the driver's
job (``provision`` does that the same way for every driver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

State = Literal["Running", "Stopped", "Starting", "Error"]


@dataclass(frozen=True)
class SSHTarget:
    """How to reach a machine's shell from this host."""

    host: str
    port: int
    user: str
    key: Path
    known_hosts: Path  # swarmdeck's own file for this machine, never the user's


@dataclass(frozen=True)
class Addresses:
    """Where a machine is reached: from this host (SSH, engine API, published ports) and from
    the other machines (the swarm's advertise and data-path address)."""

    ssh: SSHTarget
    engine_host: str  # the TLS engine API, as reached from this host
    engine_port: int
    advertise: str  # the address other machines reach this one at
    public: str  # what ``machine ip`` prints: the address this host reaches it at
    ports: dict[int, int] = field(default_factory=dict)  # guest TCP port -> port on ``public``


class Driver(Protocol):
    """One machine's host. Methods are idempotent where the verb allows it."""

    kind: str  # "qemu" | "generic"

    def create(self) -> None:
        """Make the host exist and answer SSH (a VM is built and booted; an existing host is checked)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def kill(self) -> None:
        """Stop at once, as a power cut would (node-loss tests)."""

    def remove(self) -> None:
        """Stop and delete everything this driver made for the machine."""

    def state(self) -> State: ...

    def addresses(self) -> Addresses: ...
