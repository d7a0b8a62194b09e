"""The generic driver: an existing Debian or Ubuntu host that this host reaches over SSH.

swarmdeck does not own the host, so, as Docker Machine's generic driver, it refuses to start,
stop, restart or kill it, and ``remove`` takes away only what swarmdeck put there (its TLS
drop-in and certificates, over SSH; the engine package stays) and here (the key copy).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

from swarmdeck.machine import ssh
from swarmdeck.machine.driver import Addresses, SSHTarget, State
from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.provision import ENGINE_PORT, unprovision

KEY_COPY = "id_generic"
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:-]*")  # a name, an IPv4 or an IPv6 address; never an option
KNOWN_HOSTS = "known_hosts"


def generic_params(
    ip: str | None, ssh_user: str, ssh_key: Path | None, ssh_port: int, engine_port: int = ENGINE_PORT
) -> dict[str, Any]:
    """The generic driver's parameters from the command line's options, checked.

    ``engine_port``: where this host reaches the engine's TLS port (the engine listens on
    2376; another number is for a forwarded port, as a VM's)."""
    if not ip:
        raise MachineError("the generic driver needs the host's address: --ip ADDR")
    if ssh_key is None:
        raise MachineError("the generic driver needs an SSH key that the host accepts: --ssh-key FILE")
    if not ssh_key.is_file():
        raise MachineError(f"--ssh-key {ssh_key}: no such file")
    for option, port in (("--ssh-port", ssh_port), ("--engine-port", engine_port)):
        if not 1 <= port <= 65535:
            raise MachineError(f"{option} {port}: not a port")
    if not _HOST.fullmatch(ip):
        raise MachineError(f"--ip {ip!r}: not an address or host name")
    if not ssh_user or ssh_user.startswith("-") or any(c.isspace() or c in "@:" for c in ssh_user):
        raise MachineError(f"--ssh-user {ssh_user!r}: not a user name")
    return {
        "ip": ip,
        "ssh_user": ssh_user,
        "ssh_key": str(ssh_key.resolve()),
        "ssh_port": ssh_port,
        "engine_port": engine_port,
    }


class GenericDriver:
    """An existing host, reached at ``params["ip"]``."""

    kind = "generic"

    def __init__(self, machine_dir: Path, params: dict[str, Any]) -> None:
        self.machine_dir = machine_dir
        self._params = params
        self.ip = str(params["ip"])

    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def _refuse(self, verb: str) -> MachineError:
        return MachineError(
            f"the generic driver does not {verb} hosts: swarmdeck did not make "
            f"{self.machine_dir.name}, {verb} it the way it is run"
        )

    def create(self) -> None:
        """Keep a copy of the key (the user's file may move) and check that SSH answers."""
        copy = self.machine_dir / KEY_COPY
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f, open(self._params["ssh_key"], "rb") as src:
                shutil.copyfileobj(src, f)
        except OSError as exc:
            raise MachineError(f"cannot copy the SSH key {self._params['ssh_key']}: {exc.strerror}") from exc
        ssh.run(self.addresses().ssh, "true", timeout=60)

    def start(self) -> None:
        raise self._refuse("start")

    def stop(self) -> None:
        raise self._refuse("stop")

    def restart(self) -> None:
        raise self._refuse("restart")

    def kill(self) -> None:
        raise self._refuse("kill")

    def remove(self) -> None:
        """Take swarmdeck's TLS set-up off the host (the engine package stays)."""
        if (self.machine_dir / KEY_COPY).is_file():
            unprovision(self.addresses())

    def state(self) -> State:
        """Running when the host's SSH port answers."""
        target = self.addresses().ssh
        try:
            with socket.create_connection((target.host, target.port), timeout=3):
                return "Running"
        except OSError:
            return "Stopped"

    def addresses(self) -> Addresses:
        copy = self.machine_dir / KEY_COPY
        target = SSHTarget(
            host=self.ip,
            port=int(self._params["ssh_port"]),
            user=str(self._params["ssh_user"]),
            key=copy if copy.is_file() else Path(self._params["ssh_key"]),
            known_hosts=self.machine_dir / KNOWN_HOSTS,
        )
        engine_port = int(self._params.get("engine_port", ENGINE_PORT))
        return Addresses(
            ssh=target, engine_host=self.ip, engine_port=engine_port, advertise=self.ip, public=self.ip
        )
