"""The Debian VM base image every qemu machine boots from, built once and cached.

The recipe: ``debootstrap --variant=minbase`` of Debian bookworm from this host's own mirror
(see ``mirror``), configured in place, packed into ext4 with ``mkfs.ext4 -d`` (no loop devices,
no mounts) and converted to qcow2, with the kernel and initrd beside it for direct boot.

Two flavours. ``engine`` (what ``machine create --driver qemu`` boots) has Debian's
``docker.io`` installed at build time, as Docker Machine's boot2docker image has its engine:
unpacking the engine natively takes seconds, while installing it inside an emulated VM took
about five minutes of every create. ``plain`` has no engine, like a fresh Debian host: the
generic driver's tests provision it from nothing. Provisioning installs the engine only
where ``dockerd`` is missing, so both go through the same steps afterwards.

Nothing per machine is in the image. A small unit (``swarmdeck-boot``) reads the kernel
command line at every boot: ``swarmdeck.key=TYPE:BASE64`` becomes root's only authorized key,
``swarmdeck.addr=10.77.0.N/24`` the link NIC's address; ``systemd.hostname=`` names the host.
It also makes the SSH host keys on first boot and grows the root file system to the disk.

The cache is ``$SWARMDECK_VM_CACHE`` or ``~/.cache/swarmdeck/vm``, one folder per hash of the
recipe's inputs; a build runs in a temporary folder renamed into place under a lock, and
older images no machine uses any more are pruned.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.mirror import RELEASE, Forward, Mirrors, host_mirrors

RECIPE_VERSION = 2
BASE_SIZE = "3G"  # the ext4 file system in base.qcow2; each machine's disk grows it at boot
NAT_MAC = "52:54:00:12:34:56"  # every VM's user-mode NIC (each has its own network, so one MAC)
PACKAGES = (
    "linux-image-amd64",
    "initramfs-tools",
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "iproute2",
    "iputils-ping",
    "procps",
    "netbase",
    "ca-certificates",
    "openssh-server",
    "curl",
    "ipvsadm",
)
# What the ``engine`` flavour adds (provisioning would install the same over SSH).
ENGINE_PACKAGES = ("docker.io",)
FLAVOURS = {"plain": PACKAGES, "engine": PACKAGES + ENGINE_PACKAGES}
MODULES = ("ip_vs", "ip_vs_rr", "br_netfilter", "overlay", "vxlan")

BOOT_SCRIPT = r"""#!/bin/sh
# swarmdeck-boot: this machine's own facts, from the kernel command line, at every boot.
key=""
addr=""
for word in $(cat /proc/cmdline); do
  case "$word" in
    swarmdeck.key=*) key="${word#swarmdeck.key=}" ;;
    swarmdeck.addr=*) addr="${word#swarmdeck.addr=}" ;;
  esac
done
mkdir -p /run/systemd/network
if [ -n "$addr" ]; then
  # eth1 by name: `Type=ether` would also take the engine's veth ends off its bridges.
  printf '[Match]\nName=eth1\n\n[Network]\nAddress=%s\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
    "$addr" > /run/systemd/network/20-link.network
fi
if [ -n "$key" ]; then
  install -d -m 700 /root/.ssh
  printf '%s\n' "$(printf '%s' "$key" | sed 's/:/ /')" > /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
fi
# One host key of its own per machine (ed25519 only: RSA key generation takes a minute under TCG).
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
resize2fs /dev/vda >/dev/null 2>&1 || true
"""

BOOT_UNIT = """[Unit]
Description=swarmdeck: root's key, link address and disk size from the kernel command line
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target systemd-networkd.service ssh.service network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/swarmdeck-boot

[Install]
WantedBy=sysinit.target
"""

NAT_NETWORK = f"""[Match]
MACAddress={NAT_MAC}

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
LinkLocalAddressing=no
IPv6AcceptRA=no
"""

SSHD_CONFIG = """# swarmdeck: root logs in with the key given at boot, never with a password
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
"""

WAIT_ONLINE = """[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=15
"""


@dataclass(frozen=True)
class VmImage:
    """A built image: the qcow2 base, the kernel and initrd to boot it, and the mirror
    endpoints its /etc/hosts points at (the driver forwards exactly these)."""

    dir: Path
    forwards: tuple[Forward, ...]
    build_seconds: float

    @property
    def base(self) -> Path:
        return self.dir / "base.qcow2"

    @property
    def kernel(self) -> Path:
        return self.dir / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.dir / "initrd.img"

    @classmethod
    def load(cls, folder: Path) -> VmImage:
        try:
            facts = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MachineError(f"no usable VM image in {folder}: {exc}") from exc
        forwards = tuple(Forward(f["name"], f["guest"], int(f["port"])) for f in facts["forwards"])
        return cls(folder, forwards, float(facts["build_seconds"]))

    def register(self, machine_dir: Path) -> None:
        """Note that ``machine_dir``'s disk is backed by this image, so pruning keeps it."""
        users = self.dir / "users"
        users.mkdir(exist_ok=True)
        (users / _user_id(machine_dir)).write_text(str(machine_dir), encoding="utf-8")

    def unregister(self, machine_dir: Path) -> None:
        (self.dir / "users" / _user_id(machine_dir)).unlink(missing_ok=True)


def _user_id(machine_dir: Path) -> str:
    return hashlib.sha256(str(machine_dir.resolve()).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Recipe:
    """Everything the image is made of; its hash names the cache folder."""

    mirrors: Mirrors
    files: dict[str, str]  # path in the image -> content
    flavour: str = "engine"

    @property
    def packages(self) -> tuple[str, ...]:
        return FLAVOURS[self.flavour]

    @property
    def key(self) -> str:
        inputs = {
            "version": RECIPE_VERSION,
            "release": RELEASE,
            "packages": self.packages,
            "size": BASE_SIZE,
            "sources": self.mirrors.deb822(),
            "files": self.files,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def recipe(mirrors: Mirrors, flavour: str = "engine") -> Recipe:
    if flavour not in FLAVOURS:
        raise MachineError(f"no VM image flavour {flavour!r} (there are {', '.join(FLAVOURS)})")
    hosts = "127.0.0.1\tlocalhost\n" + "".join(f"{f.guest}\t{f.name}\n" for f in _unique_names(mirrors))
    files = {
        "etc/fstab": "/dev/vda / ext4 rw,errors=remount-ro 0 1\n",
        "etc/hosts": hosts,
        "etc/hostname": "",
        "etc/resolv.conf": "# no DNS: the mirror's name is in /etc/hosts, nothing else is reachable\n",
        "etc/apt/sources.list": "",
        "etc/apt/sources.list.d/debian.sources": mirrors.deb822(),
        "etc/apt/apt.conf.d/10swarmdeck-languages": 'Acquire::Languages "none";\n',
        "etc/ssh/sshd_config.d/swarmdeck.conf": SSHD_CONFIG,
        "etc/modules-load.d/swarmdeck.conf": "".join(f"{m}\n" for m in MODULES),
        "etc/systemd/network/10-nat.network": NAT_NETWORK,
        "etc/systemd/system/systemd-networkd-wait-online.service.d/any.conf": WAIT_ONLINE,
        "etc/systemd/system/swarmdeck-boot.service": BOOT_UNIT,
        "usr/local/sbin/swarmdeck-boot": BOOT_SCRIPT,
    }
    if not mirrors.check_valid_until:
        files["etc/apt/apt.conf.d/10swarmdeck-valid-until"] = 'Acquire::Check-Valid-Until "false";\n'
    return Recipe(mirrors, files, flavour)


def _unique_names(mirrors: Mirrors) -> list[Forward]:
    seen: dict[str, Forward] = {}
    for forward in mirrors.forwards():
        seen.setdefault(forward.name, forward)
    return list(seen.values())


def cache_root() -> Path:
    configured = os.environ.get("SWARMDECK_VM_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "swarmdeck" / "vm"


def ensure_image(
    mirrors: Mirrors | None = None, root: Path | None = None, flavour: str = "engine"
) -> VmImage:
    """The cached image for this host's mirror, built first if missing (minutes, as root)."""
    mirrors = mirrors or host_mirrors()
    the_recipe = recipe(mirrors, flavour)
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / the_recipe.key
    if (final / "recipe.json").is_file():
        return VmImage.load(final)
    with _locked(root / ".lock"):
        if not (final / "recipe.json").is_file():
            _build(the_recipe, final)
        _prune(root, keep={root / recipe(mirrors, other).key for other in FLAVOURS})
    return VmImage.load(final)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _need_tools() -> None:
    missing = [tool for tool in ("debootstrap", "mkfs.ext4", "qemu-img", "chroot") if not shutil.which(tool)]
    if missing:
        raise MachineError(
            f"building the VM image needs {', '.join(missing)} "
            "(Debian packages debootstrap, e2fsprogs, qemu-utils; scripts/setup.sh installs them)"
        )
    if os.geteuid() != 0:
        raise MachineError("building the VM image needs root (debootstrap)")


def _build(the_recipe: Recipe, final: Path) -> None:
    _need_tools()
    work = final.parent / f".build-{final.name}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    log = work / "build.log"
    rootfs = work / "rootfs"
    started = time.monotonic()
    try:
        _run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(the_recipe.packages)}",
                RELEASE,
                str(rootfs),
                the_recipe.mirrors.main.uri,
            ],
            log,
        )
        bootstrapped = time.monotonic()
        _configure(rootfs, the_recipe, log)
        _kernel_out(rootfs, work)
        raw = work / "base.raw"
        _run(["mkfs.ext4", "-q", "-F", "-L", "swarmdeck", "-d", str(rootfs), str(raw), BASE_SIZE], log)
        shutil.rmtree(rootfs)
        _run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(work / "base.qcow2")], log)
        raw.unlink()
        facts = {
            "key": the_recipe.key,
            "forwards": [f.__dict__ for f in the_recipe.mirrors.forwards()],
            "flavour": the_recipe.flavour,
            "packages": list(the_recipe.packages),
            "debootstrap_seconds": round(bootstrapped - started, 1),
            "build_seconds": round(time.monotonic() - started, 1),
        }
        (work / "recipe.json").write_text(json.dumps(facts, indent=1), encoding="utf-8")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _configure(rootfs: Path, the_recipe: Recipe, log: Path) -> None:
    for name, content in the_recipe.files.items():
        path = rootfs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # debootstrap's resolv.conf may be a link out of the tree
        path.write_text(content, encoding="utf-8")
    (rootfs / "usr/local/sbin/swarmdeck-boot").chmod(0o755)
    _run(["chroot", str(rootfs), "systemctl", "enable", "swarmdeck-boot", "systemd-networkd", "ssh"], log)
    # Periodic chores a throwaway VM does not need; each costs seconds to minutes under TCG.
    chores = ["apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "fstrim.timer"]
    chores.append("e2scrub_reap.service")
    subprocess.run(["chroot", str(rootfs), "systemctl", "disable", *chores], capture_output=True, check=False)
    # One cached image serves every machine: no identity, no host keys, no passwords in it.
    (rootfs / "etc/machine-id").write_text("", encoding="utf-8")
    (rootfs / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    shutil.rmtree(rootfs / "root/.ssh", ignore_errors=True)
    # An engine never started here, but if a package script did start one, its identity and
    # state must not be shared by every machine.
    (rootfs / "etc/docker/key.json").unlink(missing_ok=True)
    shutil.rmtree(rootfs / "var/lib/docker", ignore_errors=True)
    for folder in ("var/lib/apt/lists", "var/cache/apt/archives", "usr/share/doc", "usr/share/man"):
        for entry in (rootfs / folder).glob("*"):
            if entry.is_file() or entry.is_symlink():
                entry.unlink()
            elif entry.name != "partial":
                shutil.rmtree(entry)


def _kernel_out(rootfs: Path, work: Path) -> None:
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    initrds = sorted((rootfs / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise MachineError(f"the VM image has no kernel or initrd in /boot (see {work / 'build.log'})")
    shutil.copyfile(kernels[-1], work / "vmlinuz")
    shutil.copyfile(initrds[-1], work / "initrd.img")


def _run(argv: list[str], log: Path) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise MachineError(f"building the VM image: {argv[0]} failed (exit {done.returncode}):\n{tail}")


def _prune(root: Path, keep: set[Path]) -> None:
    """Delete older images that no existing machine's disk is backed by."""
    for folder in root.iterdir():
        if folder in keep or not folder.is_dir():
            continue
        if folder.name.startswith(".build-"):
            shutil.rmtree(folder, ignore_errors=True)  # a crashed build's (builds run under the lock)
            continue
        if len(folder.name) != 16 or any(_in_use(user) for user in (folder / "users").glob("*")):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _in_use(user: Path) -> bool:
    try:
        machine_dir = Path(user.read_text(encoding="utf-8").strip())
    except OSError:
        return False
    return (machine_dir / "disk.qcow2").exists()
