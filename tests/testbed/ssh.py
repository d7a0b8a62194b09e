"""An ssh server inside node B's network namespace, so that `ssh://root@100.77.13.2` is a
real endpoint: Debian's sshd, keys made when it starts, host keys pinned.

- The client key may do one thing only: the forced command runs `docker system dial-stdio`
  against node B's engine (what the Docker SDK asks the far end for), nothing else.
- The host key is pinned in a known_hosts file of the bed, and a client configuration in
  /etc/ssh/ssh_config.d (the way the registry's CA goes to /etc/docker/certs.d) names it,
  the key and StrictHostKeyChecking for this address only: nothing ever skips checking.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from .common import TestbedError, is_process, log_tail, read_pid, run, spawn, stop_process, wait_for
from .config import LOG_DIR, NETNS_PATH, NODE_B_ADDR, NODE_B_SOCKET

SSH_DIR = Path("/run/swarmdeck-testbed/ssh")
SSHD_CONFIG = SSH_DIR / "sshd_config"
SSHD_PIDFILE = SSH_DIR / "sshd.pid"
HOST_KEY = SSH_DIR / "host_ed25519_key"
CLIENT_KEY = SSH_DIR / "id_ed25519"
AUTHORIZED_KEYS = SSH_DIR / "authorized_keys"
KNOWN_HOSTS = SSH_DIR / "known_hosts"
CLIENT_CONFIG = Path("/etc/ssh/ssh_config.d/swarmdeck-testbed.conf")
SSHD_LOG = LOG_DIR / "nodeb-sshd.log"
SSH_USER = "root"
SSH_URL = f"ssh://{SSH_USER}@{NODE_B_ADDR}"
PRIVSEP_DIR = Path("/run/sshd")  # Debian's sshd refuses to start without it


def _answers() -> bool:
    try:
        with socket.create_connection((NODE_B_ADDR, 22), timeout=2) as s:
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def _keys() -> None:
    """New host and client keys; the host key pinned, the client key limited to dial-stdio."""
    for key in (HOST_KEY, CLIENT_KEY):
        key.unlink(missing_ok=True)
        key.with_suffix(".pub").unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "swarmdeck test bed", "-f", str(key)])
    dial = f"docker --host unix://{NODE_B_SOCKET} system dial-stdio"
    client_pub = CLIENT_KEY.with_suffix(".pub").read_text().strip()
    AUTHORIZED_KEYS.write_text(f'restrict,command="{dial}" {client_pub}\n')
    host_pub = " ".join(HOST_KEY.with_suffix(".pub").read_text().split()[:2])
    KNOWN_HOSTS.write_text(f"{NODE_B_ADDR} {host_pub}\n")
    SSHD_CONFIG.write_text(
        f"ListenAddress {NODE_B_ADDR}:22\n"
        f"HostKey {HOST_KEY}\n"
        f"PidFile {SSHD_PIDFILE}\n"
        f"AuthorizedKeysFile {AUTHORIZED_KEYS}\n"
        f"AllowUsers {SSH_USER}\n"
        "PermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "UsePAM no\n"
    )
    CLIENT_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CLIENT_CONFIG.write_text(
        "# swarmdeck test bed: node B's sshd (tests/testbed/ssh.py)\n"
        f"Host {NODE_B_ADDR}\n"
        f"  IdentityFile {CLIENT_KEY}\n"
        "  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {KNOWN_HOSTS}\n"
        "  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n"
    )


def ensure_sshd() -> str:
    """sshd answering on node B's address (started, with new keys, if it does not); its URL."""
    if _answers() and CLIENT_CONFIG.exists() and KNOWN_HOSTS.exists():
        return SSH_URL
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists():
        raise TestbedError("sshd is not installed (apt-get install openssh-server)")
    if not NETNS_PATH.exists():
        raise TestbedError(f"network namespace {NETNS_PATH} is missing: bring node B up first")
    stop_sshd()
    SSH_DIR.mkdir(parents=True, exist_ok=True)
    SSH_DIR.chmod(0o700)
    PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    _keys()
    proc = spawn(["nsenter", f"--net={NETNS_PATH}", sshd, "-D", "-e", "-f", str(SSHD_CONFIG)], SSHD_LOG)

    def up() -> bool:
        if proc.poll() is not None:
            raise TestbedError(f"sshd exited while starting\n{log_tail(SSHD_LOG)}")
        return _answers()

    wait_for(up, timeout=15, what=f"sshd to answer on {NODE_B_ADDR}:22", detail=lambda: log_tail(SSHD_LOG))
    return SSH_URL


def stop_sshd() -> None:
    pid = read_pid(SSHD_PIDFILE)
    if is_process(pid, "sshd", str(SSHD_CONFIG)):
        assert pid is not None
        stop_process(pid, grace=5)
