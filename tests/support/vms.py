"""Debian VMs for the tests, under qemu: a pytest plugin, registered in tests/conftest.py.

``vm_image`` builds (or finds cached) the plain base image (a bare Debian host, no engine)
once per session, ``engine_vm_image`` the one `machine create --driver qemu` boots; a missing qemu or
debootstrap fails the test with the reason, never skips it. ``qemu_machines(n)`` boots n
fresh machines (own folder, own SSH key, a link segment of their own) and returns their
drivers; at the end of the module each one is killed by PID and removed, and an atexit guard kills
whatever an interrupted session left, so no VM outlives the tests.
"""

from __future__ import annotations

import atexit
import contextlib
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.image import VmImage, ensure_image
from swarmdeck.machine.qemu import QemuDriver, free_ports

TOOLS = ("qemu-system-x86_64", "qemu-img", "debootstrap", "mkfs.ext4", "ssh", "ssh-keygen")
_LIVE: list[QemuDriver] = []


def _kill_live() -> None:
    for driver in list(_LIVE):
        with contextlib.suppress(MachineError):
            driver.kill()


atexit.register(_kill_live)


@pytest.fixture(scope="session")
def vm_image() -> VmImage:
    return _image("plain")


@pytest.fixture(scope="session")
def engine_vm_image() -> VmImage:
    return _image("engine")


def _image(flavour: str) -> VmImage:
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        pytest.fail(f"VM bed: missing {', '.join(missing)} (run scripts/setup.sh)", pytrace=False)
    try:
        return ensure_image(flavour=flavour)
    except MachineError as exc:
        pytest.fail(f"VM bed: no {flavour} base image: {exc}", pytrace=False)


def vm_run(driver: QemuDriver, command: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run a shell command in the machine as root over SSH; the result, whatever its exit code."""
    ssh = driver.addresses().ssh
    argv = ["ssh", "-i", str(ssh.key), "-p", str(ssh.port), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    argv += ["-o", f"UserKnownHostsFile={ssh.known_hosts}", "-o", "StrictHostKeyChecking=yes"]
    argv += ["-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", f"{ssh.user}@{ssh.host}", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def qemu_machines(
    vm_image: VmImage, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., list[QemuDriver]]]:
    root = tmp_path_factory.mktemp("machines")
    keys = tmp_path_factory.mktemp("keys")
    link = f"230.77.{random.randint(1, 254)}.{random.randint(1, 254)}:{free_ports(1)[0]}"
    made: list[QemuDriver] = []

    def make(count: int, publish: tuple[int, ...] = ()) -> list[QemuDriver]:
        drivers = []
        for _ in range(count):
            index = len(made) + 1
            key = keys / f"vm{index}"
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
            params = {"index": index, "hostname": f"vm{index}", "key": str(key), "link": link}
            params["image_flavour"] = "plain"  # a bare Debian host: the generic driver installs the engine
            driver = QemuDriver(root / f"vm{index}", {**params, "publish": list(publish)})
            made.append(driver)
            _LIVE.append(driver)
            drivers.append(driver)
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(QemuDriver.create, drivers))
        return drivers

    yield make
    for driver in made:
        driver.remove()  # kills qemu by PID, deletes the disk
        _LIVE.remove(driver)
