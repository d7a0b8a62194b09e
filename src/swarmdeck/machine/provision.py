"""Provisioning: turn a machine that answers SSH into a Docker host this host reaches over
TLS. The same steps for every driver, each said on the progress callback:

1. the OS: Debian or Ubuntu (read from /etc/os-release), anything else is refused;
2. the engine: if ``dockerd`` is missing, ``docker.io`` from the machine's own package sources;
3. TLS: the CA, the machine's server certificate and key in /etc/docker/;
4. a systemd drop-in whose ExecStart is the package's own plus ``-H tcp://0.0.0.0:2376
   --tlsverify`` (the unix socket stays). A ``hosts`` key in daemon.json would conflict with
   the ``-H fd://`` Debian's unit passes, so the flags go on the command line;
5. restart the engine and wait until its TLS API answers this host's client certificate.

Only files whose content differs are written, and the engine restarts only then (or when
its TLS API does not answer), so provisioning twice is fine and the second run is quick.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from collections.abc import Callable
from pathlib import Path

from swarmdeck.machine import ssh
from swarmdeck.machine.certs import ClientTLS
from swarmdeck.machine.driver import Addresses
from swarmdeck.machine.errors import MachineError

ENGINE_PORT = 2376
DOCKER_DIR = "/etc/docker"
CA_PATH = f"{DOCKER_DIR}/swarmdeck-ca.pem"
CERT_PATH = f"{DOCKER_DIR}/swarmdeck-server.pem"
KEY_PATH = f"{DOCKER_DIR}/swarmdeck-server-key.pem"
DROP_IN = "/etc/systemd/system/docker.service.d/swarmdeck-tls.conf"
INSTALLED_FILES = (CA_PATH, CERT_PATH, KEY_PATH, DROP_IN)
SUPPORTED = ("debian", "ubuntu")
APT_LOCK_TIMEOUT = 300
ENGINE_WAIT = 180.0  # seconds for the engine's TLS API to answer after a restart

Progress = Callable[[str], None]


def check_os(os_release: str) -> str:
    """The distribution's ID from /etc/os-release's text; refuses all but Debian and Ubuntu."""
    values: dict[str, str] = {}
    for line in os_release.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    distro = values.get("ID", "")
    if distro not in SUPPORTED:
        name = values.get("PRETTY_NAME") or distro or "an unknown system"
        raise MachineError(f"the machine runs {name}: swarmdeck provisions Debian and Ubuntu only")
    return distro


def exec_start(unit_text: str, dockerd: str) -> str:
    """The drop-in's ExecStart: the package unit's own (from ``systemctl cat``'s first file)
    with the TLS listener added; the unix socket stays where the unit puts it."""
    main = []
    for line in unit_text.splitlines():
        if line.startswith("# /") and ".d/" in line:
            break  # the drop-ins follow the unit: ours (or others) are not the package's
        main.append(line)
    commands = [line.partition("=")[2].strip() for line in main if line.strip().startswith("ExecStart=")]
    base = next((c for c in reversed(commands) if c), "")
    if not base:
        base = f"{dockerd} -H fd://"
    elif " -H " not in f" {base} " and "--host" not in base:
        base += " -H unix:///var/run/docker.sock"  # no -H: the default socket, which a -H would drop
    return (
        f"{base} -H tcp://0.0.0.0:{ENGINE_PORT} --tlsverify --tlscacert={CA_PATH} "
        f"--tlscert={CERT_PATH} --tlskey={KEY_PATH}"
    )


def drop_in(command: str) -> str:
    return (
        "# Written by swarmdeck machine: the engine's TLS API on port "
        f"{ENGINE_PORT} (removed by `swarmdeck machine rm`).\n"
        f"[Service]\nExecStart=\nExecStart={command}\n"
    )


def engine_url(addresses: Addresses) -> str:
    return f"tcp://{addresses.engine_host}:{addresses.engine_port}"


def provision(
    addresses: Addresses,
    client_tls: ClientTLS,
    server_cert: Path,
    server_key: Path,
    progress: Progress,
) -> None:
    """Make the machine at ``addresses`` a TLS Docker host (see the module's steps)."""
    target = addresses.ssh
    progress("Checking the operating system")
    os_release = ssh.run(target, "cat /etc/os-release").stdout
    distro = check_os(os_release)
    if target.user != "root" and ssh.run(target, "sudo -n true", check=False).exit_status != 0:
        raise MachineError(f"{target.user} cannot run sudo without a password on the machine")

    if ssh.run(target, "command -v dockerd", check=False, root=True).exit_status != 0:
        progress(f"Installing the Docker engine ({distro}'s docker.io package)")
        lock = f"-o DPkg::Lock::Timeout={APT_LOCK_TIMEOUT}"
        ssh.run(
            target,
            f"export DEBIAN_FRONTEND=noninteractive; apt-get {lock} update -q "
            f"&& apt-get {lock} install -y -q --no-install-recommends docker.io",
            root=True,
            timeout=1800,
        )
    else:
        progress("The Docker engine is installed already")
    dockerd = ssh.run(target, "command -v dockerd", root=True).stdout.strip() or "/usr/sbin/dockerd"

    unit = ssh.run(target, "systemctl cat docker.service", check=False, root=True).stdout
    wanted = {
        CA_PATH: (client_tls.ca.read_bytes(), 0o644),
        CERT_PATH: (server_cert.read_bytes(), 0o644),
        KEY_PATH: (server_key.read_bytes(), 0o600),
        DROP_IN: (drop_in(exec_start(unit, dockerd)).encode(), 0o644),
    }
    present = _remote_digests(addresses, list(wanted))
    changed = [path for path, (data, _) in wanted.items() if present.get(path) != _digest(data)]
    if changed:
        progress(f"Installing the TLS certificates and the engine's TLS listener on port {ENGINE_PORT}")
        for path in changed:
            data, mode = wanted[path]
            ssh.write_file(target, path, data, mode, root=True)
    elif _answers(addresses, client_tls):
        progress("The engine's TLS set-up is in place already")
        return

    progress("Restarting the engine")
    ssh.run(
        target,
        "systemctl daemon-reload && systemctl enable docker.service >/dev/null 2>&1; "
        "systemctl restart docker.service",
        root=True,
        timeout=300,
    )
    progress(f"Waiting for the engine's TLS API at {engine_url(addresses)}")
    wait_for_engine(addresses, client_tls)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _remote_digests(addresses: Addresses, paths: list[str]) -> dict[str, str]:
    """SHA-256 of each of ``paths`` on the machine that exists there."""
    files = " ".join(shlex.quote(p) for p in paths)
    out = ssh.run(addresses.ssh, f"sha256sum {files} 2>/dev/null; true", root=True).stdout
    digests = {}
    for line in out.splitlines():
        digest, _, path = line.partition("  ")
        digests[path.strip()] = digest.strip()
    return digests


def _answers(addresses: Addresses, client_tls: ClientTLS) -> bool:
    try:
        wait_for_engine(addresses, client_tls, timeout=0)
    except MachineError:
        return False
    return True


def wait_for_engine(addresses: Addresses, client_tls: ClientTLS, timeout: float = ENGINE_WAIT) -> None:
    """Return once the engine answers over TLS with this host's client certificate."""
    from swarmdeck.engine.client import connect, tls_config
    from swarmdeck.engine.errors import EngineError

    tls = tls_config(str(client_tls.ca), str(client_tls.cert), str(client_tls.key))
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect(engine_url(addresses), timeout=10, tls=tls).close()
            return
        except EngineError as exc:
            if time.monotonic() > deadline:
                raise MachineError(
                    f"the engine's TLS API at {engine_url(addresses)} did not answer within "
                    f"{timeout:.0f} s: {exc}"
                ) from exc
        time.sleep(2)


def unprovision(addresses: Addresses) -> None:
    """Remove what ``provision`` installed (the drop-in and the certificates) and restart the
    engine as its package configures it; the engine package stays."""
    files = " ".join(shlex.quote(p) for p in INSTALLED_FILES)
    ssh.run(
        addresses.ssh,
        f"rm -f {files} && (rmdir {shlex.quote(str(Path(DROP_IN).parent))} 2>/dev/null; "
        "systemctl daemon-reload) && (systemctl try-restart docker.service || true)",
        root=True,
        timeout=300,
    )
