"""The machines directory: one folder per machine with its ``config.json`` (driver, driver
parameters, creation time, link index), its SSH key and known_hosts, its certificates.

It lives at ``$SWARMDECK_MACHINE_STORAGE_PATH`` or ``~/.swarmdeck/machines`` (Docker Machine's
layout: the shared CA and client certificate in ``certs/``), 0700 throughout. A machine's
name is its folder's name, so names are checked here, once: Docker Machine's rule, which
also keeps every name a plain file name.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from swarmdeck.machine.errors import MachineError, MachineExists, NoSuchMachine

ENV_VAR = "SWARMDECK_MACHINE_STORAGE_PATH"
CONFIG = "config.json"
CERTS = "certs"
MAX_INDEX = 250  # link indexes 1..250 (a /24 of the machines' private link, less the host's)
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.-]*")
MAX_NAME = 63  # a host name's label: the name is also the machine's host name


def storage_path() -> Path:
    """Where the machines are kept."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else Path.home() / ".swarmdeck" / "machines"


def check_name(name: str) -> str:
    """``name`` if it is a valid machine name, else one clear ``MachineError``."""
    if len(name) > MAX_NAME or not _NAME.fullmatch(name) or ".." in name:
        raise MachineError(
            f"invalid machine name {name!r}: use letters, digits, '.' and '-', starting with a "
            f"letter or digit, at most {MAX_NAME} characters"
        )
    return name


@dataclass(frozen=True)
class MachineConfig:
    """What ``config.json`` records about one machine."""

    name: str
    driver: str
    params: dict[str, Any]
    created: str  # ISO 8601, UTC
    index: int  # the machine's link index (1..250): its place on the machines' private link

    def to_json(self) -> dict[str, Any]:
        return {"driver": self.driver, "params": self.params, "created": self.created, "index": self.index}


class MachineStore:
    """The machines directory."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else storage_path()

    @property
    def certs_dir(self) -> Path:
        return self.root / CERTS

    def ensure(self) -> None:
        """Make the directory (0700) if it is missing."""
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise MachineError(f"cannot create the machines directory {self.root}: {exc.strerror}") from exc

    def machine_dir(self, name: str) -> Path:
        return self.root / check_name(name)

    def exists(self, name: str) -> bool:
        return (self.machine_dir(name) / CONFIG).is_file()

    def names(self) -> list[str]:
        """Every machine's name, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.name != CERTS and _NAME.fullmatch(p.name) and (p / CONFIG).is_file()
        )

    def load(self, name: str) -> MachineConfig:
        path = self.machine_dir(name) / CONFIG
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise NoSuchMachine(f"no machine named {name!r}") from None
        except (OSError, ValueError) as exc:
            raise MachineError(f"cannot read {path}: {exc}") from exc
        try:
            return MachineConfig(
                name, str(data["driver"]), dict(data["params"]), str(data["created"]), int(data["index"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MachineError(f"{path} is not a machine's configuration ({exc})") from exc

    def reserve(self, name: str, driver: str, params: dict[str, Any]) -> MachineConfig:
        """Make the machine's folder and its ``config.json`` with the lowest free link index;
        ``MachineExists`` if the name is taken."""
        self.ensure()
        # Creates run side by side (`machine create A & machine create B`): one at a time here,
        # so each sees the others' indexes.
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._reserve(name, driver, params)

    def _reserve(self, name: str, driver: str, params: dict[str, Any]) -> MachineConfig:
        folder = self.machine_dir(name)
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            raise MachineExists(f"machine {name} already exists") from None
        except OSError as exc:
            raise MachineError(f"cannot create {folder}: {exc.strerror}") from exc
        used = {self.load(other).index for other in self.names() if other != name}
        free = next((n for n in range(1, MAX_INDEX + 1) if n not in used), None)
        if free is None:
            folder.rmdir()
            raise MachineError(f"no free link index: {MAX_INDEX} machines exist already")
        config = MachineConfig(name, driver, params, datetime.now(UTC).isoformat(timespec="seconds"), free)
        self.save(config)
        return config

    def save(self, config: MachineConfig) -> None:
        path = self.machine_dir(config.name) / CONFIG
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config.to_json(), indent=2) + "\n")
        tmp.chmod(0o600)
        tmp.replace(path)

    def delete(self, name: str) -> None:
        """Remove the machine's folder and everything in it."""
        folder = self.machine_dir(name)
        try:
            shutil.rmtree(folder)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise MachineError(f"cannot remove {folder}: {exc.strerror}") from exc


def ssh_keypair(machine_dir: Path) -> Path:
    """The machine's own SSH key (``id_ed25519``, made with ssh-keygen on first use)."""
    key = machine_dir / "id_ed25519"
    if key.is_file():
        return key
    try:
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"swarmdeck-{machine_dir.name}",
                "-f",
                str(key),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except FileNotFoundError:
        raise MachineError("ssh-keygen is not installed (the OpenSSH client package)") from None
    except subprocess.CalledProcessError as exc:
        raise MachineError(f"ssh-keygen failed: {exc.stderr.strip()}") from exc
    except subprocess.TimeoutExpired:
        raise MachineError("ssh-keygen did not finish in 30 s") from None
    return key
