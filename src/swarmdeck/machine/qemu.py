"""The qemu driver: one local Debian VM per machine, booted from the cached base image.

Each machine owns a folder (given by the store) holding its qcow2 overlay on the base image
(``disk.qcow2``), qemu's PID file, the serial console log and swarmdeck's known_hosts for it.
Its ``params`` (JSON-able, persisted by the store) say everything needed to boot it again.

Networking never touches the host's: NIC 0 is qemu's user-mode network with ``restrict=on``
(the VM reaches only its hostfwd ports on 127.0.0.1 and the apt mirror relayed in by
``guestfwd``); NIC 1 is the machines' shared link, an L2 segment over loopback multicast,
where machine N is 10.77.0.N/24 (the swarm's advertise and data-path address).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from swarmdeck.machine import relay
from swarmdeck.machine.driver import Addresses, SSHTarget, State
from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.image import BASE_SIZE, NAT_MAC, VmImage, ensure_image

DEFAULTS: dict[str, Any] = {
    "memory_mb": 1536,
    "cpus": 1,
    "disk": "10G",
    "publish": [],
    "link": "230.77.0.1:7701",
    "accel": "auto",
    "image_flavour": "engine",  # the engine baked in (image.FLAVOURS); "plain" is a bare Debian host
}
ENGINE_PORT = 2376
LINK_NET = "10.77.0."
BOOT_TIMEOUT = 600.0  # seconds to SSH; under TCG on a busy host a boot takes one to several minutes
STOP_TIMEOUT = 90.0


def choose_accel(cpuinfo: str, kvm_device: bool, kvm_pvm: bool) -> list[str]:
    """qemu's accelerator options: KVM only with a usable /dev/kvm on real VMX/SVM; a KVM-PVM
    host cannot boot a stock kernel under KVM, so it (like any other host) gets TCG."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    if kvm_device and not kvm_pvm and flags & {"vmx", "svm"}:
        return ["-accel", "kvm", "-cpu", "host"]
    return ["-accel", "tcg,thread=multi", "-cpu", "max"]


def host_accel() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    kvm = os.access("/dev/kvm", os.R_OK | os.W_OK)
    return choose_accel(cpuinfo, kvm, Path("/sys/module/kvm_pvm").exists())


def accel_options(accel: str) -> list[str]:
    """qemu's accelerator options for a machine's ``accel`` parameter (auto | kvm | tcg)."""
    if accel == "auto":
        return host_accel()
    if accel in ("kvm", "tcg"):
        return choose_accel("flags: vmx", True, False) if accel == "kvm" else choose_accel("", False, False)
    raise MachineError(f"accel must be auto, kvm or tcg, not {accel!r}")


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


class QemuDriver:
    """A machine that is a qemu VM on this host (see the module docstring).

    ``params`` (JSON-able; the store persists ``params()`` again after ``create``, which fills
    in ``ports`` and ``image``): ``index`` (1..254, link address 10.77.0.N, required), ``key``
    (path of root's SSH private key, required), ``hostname`` (default: the folder's name),
    ``memory_mb`` (1536), ``cpus`` (1), ``disk`` (qemu-img size, "10G"), ``publish`` (guest
    TCP ports to forward, e.g. [80, 8080]), ``link`` (the multicast group:port of the shared
    segment; machines on one segment need distinct indexes), ``accel`` (auto | kvm | tcg).
    """

    kind = "qemu"

    def __init__(self, machine_dir: Path, params: dict[str, Any]) -> None:
        self.dir = Path(machine_dir)
        self._params: dict[str, Any] = {**DEFAULTS, **params}
        self._params.setdefault("hostname", self.dir.name)
        index = self._params.get("index")
        if not isinstance(index, int) or not 1 <= index <= 254:
            raise MachineError(f"a qemu machine needs an index 1..254 (its link address), not {index!r}")
        if not self._params.get("key"):
            raise MachineError("a qemu machine needs the path of its SSH private key ('key')")
        if _gigabytes(str(self._params["disk"])) < _gigabytes(BASE_SIZE):
            raise MachineError(
                f"disk must be a size like 10G, at least {BASE_SIZE}, not {self._params['disk']!r}"
            )

    # --- what the store persists and what the CLI shows -------------------------------------------
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def disk(self) -> Path:
        return self.dir / "disk.qcow2"

    @property
    def pidfile(self) -> Path:
        return self.dir / "qemu.pid"

    @property
    def serial_log(self) -> Path:
        return self.dir / "serial.log"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    @property
    def key(self) -> Path:
        return Path(self._params["key"])

    @property
    def link_address(self) -> str:
        return f"{LINK_NET}{self._params['index']}"

    def addresses(self) -> Addresses:
        ports = self._params.get("ports")
        if not ports:
            raise MachineError(f"machine {self._params['hostname']} has not been created")
        ssh = SSHTarget("127.0.0.1", int(ports["ssh"]), "root", self.key, self.known_hosts)
        published = {int(guest): int(host) for guest, host in ports["published"].items()}
        return Addresses(ssh, "127.0.0.1", int(ports["engine"]), self.link_address, "127.0.0.1", published)

    # --- the verbs ---------------------------------------------------------------------------------
    def create(self) -> None:
        if self.disk.exists():
            raise MachineError(f"{self.dir} already has a disk: start the machine instead")
        if not self.key.is_file():
            raise MachineError(f"SSH key {self.key} does not exist")
        image = ensure_image(flavour=str(self._params["image_flavour"]))
        self.dir.mkdir(parents=True, exist_ok=True)
        publish = [int(port) for port in self._params["publish"]]
        chosen = free_ports(2 + len(publish))
        self._params["ports"] = {
            "ssh": chosen[0],
            "engine": chosen[1],
            "published": {str(guest): host for guest, host in zip(publish, chosen[2:], strict=True)},
        }
        self._params["image"] = str(image.dir)
        made = subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image.base)]
            + [str(self.disk), str(self._params["disk"])],
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            raise MachineError(f"qemu-img could not make {self.disk}: {made.stderr.strip()}")
        image.register(self.dir)
        self._boot(image)

    def start(self) -> None:
        if self.state() == "Running":
            return
        if not self.disk.exists():
            raise MachineError(f"machine {self._params['hostname']} has no disk: create it first")
        self._boot(VmImage.load(Path(self._params["image"])))

    def stop(self) -> None:
        pid = self._pid()
        if pid is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(self._ssh_argv("systemctl poweroff"), capture_output=True, timeout=30, check=False)
        if not _wait_gone(pid, STOP_TIMEOUT):
            _signal(pid, signal.SIGTERM)
            if not _wait_gone(pid, 15):
                _signal(pid, signal.SIGKILL)
                _wait_gone(pid, 10)
        self.pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        pid = self._pid()
        if pid is not None:
            _signal(pid, signal.SIGKILL)
            if not _wait_gone(pid, 10):
                raise MachineError(f"qemu (PID {pid}) of {self._params['hostname']} survived SIGKILL")
        self.pidfile.unlink(missing_ok=True)

    def remove(self) -> None:
        self.kill()
        if self._params.get("image"):
            VmImage(Path(self._params["image"]), (), 0.0).unregister(self.dir)
        for path in (self.disk, self.pidfile, self.serial_log, self.known_hosts):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.dir.rmdir()  # only when nothing else (the store's files) is left in it

    def state(self) -> State:
        return "Running" if self._pid() is not None else "Stopped"

    def pid(self) -> int | None:
        """qemu's PID while this machine's VM runs (tests kill it by PID)."""
        return self._pid()

    # --- booting -----------------------------------------------------------------------------------
    def _boot(self, image: VmImage) -> None:
        self.pidfile.unlink(missing_ok=True)
        argv = self._qemu_argv(image)
        started = subprocess.run(argv, capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise MachineError(f"qemu did not start {self._params['hostname']}: {started.stderr.strip()}")
        try:
            self._wait_for_ssh(BOOT_TIMEOUT)
        except BaseException:
            self.kill()  # never leave a VM running that its caller did not get
            raise

    def _qemu_argv(self, image: VmImage) -> list[str]:
        params = self._params
        ports = params["ports"]
        options = accel_options(params["accel"])
        forwards = [
            f"hostfwd=tcp:127.0.0.1:{ports['ssh']}-:22",
            f"hostfwd=tcp:127.0.0.1:{ports['engine']}-:2376",
        ]
        forwards += [f"hostfwd=tcp:127.0.0.1:{host}-:{guest}" for guest, host in ports["published"].items()]
        relay_cmd = f"{sys.executable} -I {Path(relay.__file__).resolve()}"
        for forward in image.forwards:
            command = f"{relay_cmd} {forward.name} {forward.port}".replace(",", ",,")
            forwards.append(f"guestfwd=tcp:{forward.guest}:{forward.port}-cmd:{command}")
        key_type, key_body = self._public_key()
        cmdline = (
            "root=/dev/vda rw console=ttyS0 apparmor=0 net.ifnames=0 "
            f"systemd.hostname={params['hostname']} "
            f"swarmdeck.key={key_type}:{key_body} swarmdeck.addr={self.link_address}/24"
        )
        link_mac = f"52:54:00:77:00:{int(params['index']):02x}"
        return [
            "qemu-system-x86_64",
            "-name",
            str(params["hostname"]),
            *options,
            "-smp",
            str(params["cpus"]),
            "-m",
            str(params["memory_mb"]),
            "-kernel",
            str(image.kernel),
            "-initrd",
            str(image.initrd),
            "-append",
            cmdline,
            "-drive",
            f"file={self.disk},if=virtio,format=qcow2",
            "-netdev",
            ",".join(["user", "id=nat", "restrict=on", *forwards]),
            "-device",
            f"virtio-net-pci,netdev=nat,mac={NAT_MAC}",
            "-netdev",
            f"socket,id=link,mcast={params['link']},localaddr=127.0.0.1",
            "-device",
            f"virtio-net-pci,netdev=link,mac={link_mac}",
            "-display",
            "none",
            "-vga",
            "none",
            "-serial",
            f"file:{self.serial_log}",
            "-monitor",
            "none",
            "-pidfile",
            str(self.pidfile),
            "-daemonize",
        ]

    def _public_key(self) -> tuple[str, str]:
        derived = subprocess.run(
            ["ssh-keygen", "-y", "-f", str(self.key)], capture_output=True, text=True, check=False
        )
        words = derived.stdout.split()
        if derived.returncode != 0 or len(words) < 2:
            raise MachineError(f"cannot read the SSH key {self.key}: {derived.stderr.strip()}")
        return words[0], words[1]

    def _wait_for_ssh(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._pid() is None:
                name = self._params["hostname"]
                raise MachineError(f"qemu of {name} exited while booting; serial console:\n{self._tail()}")
            probe = subprocess.run(self._ssh_argv("true"), capture_output=True, check=False)
            if probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise MachineError(
                    f"{self._params['hostname']} did not answer SSH within {timeout:.0f} s; "
                    f"serial console:\n{self._tail()}"
                )
            time.sleep(2)

    def _ssh_argv(self, command: str) -> list[str]:
        ssh = self.addresses().ssh
        return [
            "ssh",
            "-i",
            str(ssh.key),
            "-p",
            str(ssh.port),
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={ssh.known_hosts}",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
            f"{ssh.user}@{ssh.host}",
            command,
        ]

    def _tail(self, lines: int = 25) -> str:
        try:
            text = self.serial_log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no serial log)"
        return "\n".join(text.splitlines()[-lines:])

    def _pid(self) -> int | None:
        """qemu's PID if the PID file names a live qemu of this machine's disk."""
        try:
            pid = int(self.pidfile.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if str(self.disk).encode() not in cmdline or not _alive(pid):
            return None
        return pid


def _gigabytes(size: str) -> float:
    """A qemu-img size with a G or T suffix in GiB; 0 for anything else."""
    units = {"G": 1.0, "T": 1024.0}
    number, unit = size[:-1], size[-1:].upper()
    try:
        return float(number) * units[unit] if unit in units else 0.0
    except ValueError:
        return 0.0


def _alive(pid: int) -> bool:
    """Running and not a zombie (a killed qemu whose parent has not reaped it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True
