"""The two Docker engines: node A is the machine's own dockerd, node B a second dockerd in
the `sdtb-nodeb` network namespace (and its own UTS namespace, hostname `nodeb`).

Both functions return a connected `docker.DockerClient`. They reuse an engine that answers,
start one that does not, and report in `started` whether they did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from .common import TestbedError, cmdline, is_process, log_tail, read_pid, run, spawn, stop_process, wait_for
from .config import (
    ENGINE_A_PIDFILE,
    ENGINE_A_URL,
    ENGINE_START_TIMEOUT,
    LOG_DIR,
    NETNS_PATH,
    NODE_B_ADDR,
    NODE_B_CONTAINERD_NS,
    NODE_B_CONTAINERD_PLUGINS_NS,
    NODE_B_DATA_ROOT,
    NODE_B_EXEC_ROOT,
    NODE_B_HOSTNAME,
    NODE_B_PIDFILE,
    NODE_B_RUN,
    NODE_B_SOCKET,
    NODE_B_URL,
)

ENGINE_A_LOG = LOG_DIR / "dockerd.log"
NODE_B_LOG = LOG_DIR / "nodeb-dockerd.log"

# Node B also listens on TCP with TLS client certificates (a remote engine as the console
# reaches one), with a CA of its own made by openssl, kept beside its data root.
NODE_B_TLS_PORT = 2376
NODE_B_TCP_URL = f"tcp://{NODE_B_ADDR}:{NODE_B_TLS_PORT}"
NODE_B_PKI = Path("/var/lib/swarmdeck-testbed/nodeb-pki")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


NODE_B_SERVER_TLS = TlsFiles(
    NODE_B_PKI / "ca.pem", NODE_B_PKI / "server-cert.pem", NODE_B_PKI / "server-key.pem"
)
NODE_B_CLIENT_TLS = TlsFiles(
    NODE_B_PKI / "ca.pem", NODE_B_PKI / "client-cert.pem", NODE_B_PKI / "client-key.pem"
)
_CA_KEY = NODE_B_PKI / "ca-key.pem"
_CA_CERT = NODE_B_SERVER_TLS.ca


@dataclass
class Engine:
    client: docker.DockerClient
    pid: int | None  # the dockerd's pid when this call started it, else None

    @property
    def started(self) -> bool:
        return self.pid is not None


def connect(url: str, *, timeout: int = 120) -> docker.DockerClient | None:
    """A client for the engine at `url`, or None if it does not answer."""
    try:  # a short timeout while probing: a hung engine must not stall the caller
        client = docker.DockerClient(base_url=url, version="auto", timeout=5)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return None
    client.api.timeout = timeout
    return client


def _wait_answering(url: str, alive: Callable[[], bool], log: Path, what: str) -> docker.DockerClient:
    def probe() -> docker.DockerClient | None:
        if not alive():
            raise TestbedError(f"{what} exited while starting\n{log_tail(log)}")
        return connect(url)

    return wait_for(
        probe,
        timeout=ENGINE_START_TIMEOUT,
        what=f"{what} to answer on {url}",
        detail=lambda: log_tail(log),
    )


def _child_alive(proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    # poll(), not /proc/PID/cmdline: that reads empty while nsenter/unshare/sh exec.
    return lambda: proc.poll() is None


def ensure_engine_a() -> Engine:
    """The machine's own dockerd on /var/run/docker.sock; started (and left running) if down."""
    client = connect(ENGINE_A_URL)
    if client:
        return Engine(client, None)
    pid = read_pid(ENGINE_A_PIDFILE)
    if is_process(pid, "dockerd"):  # starting right now, or hung: give it its chance first
        assert pid is not None
        return Engine(
            _wait_answering(
                ENGINE_A_URL,
                lambda: is_process(pid, "dockerd"),
                ENGINE_A_LOG,
                "the machine's dockerd",
            ),
            None,
        )
    if not shutil.which("dockerd"):
        raise TestbedError(
            "no Docker engine answers on /var/run/docker.sock and `dockerd` is "
            "not installed (apt-get install docker.io)"
        )
    proc = spawn(["dockerd"], ENGINE_A_LOG)
    return Engine(_wait_answering(ENGINE_A_URL, _child_alive(proc), ENGINE_A_LOG, "dockerd"), proc.pid)


def node_b_pid() -> int | None:
    """Pid of node B's dockerd if it is running (checked against its command line)."""
    pid = read_pid(NODE_B_PIDFILE)
    return pid if is_process(pid, "dockerd", str(NODE_B_SOCKET)) else None


def _in_our_netns(pid: int) -> bool:
    """A dockerd left in a namespace that was deleted and made again is cut off from the veth."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(NETNS_PATH).st_ino
    except OSError:
        return False


def _dockerd_command() -> list[str]:
    # nsenter --net, not `ip netns exec`: the latter remounts /sys and dockerd then fails
    # with "Devices cgroup isn't mounted". unshare --uts gives node B its own hostname.
    # nsenter, unshare and sh all exec, so the spawned pid ends up being dockerd's.
    return [
        "nsenter", f"--net={NETNS_PATH}", "unshare", "--uts",
        "sh", "-c", 'hostname "$0" && exec "$@"', NODE_B_HOSTNAME,
        "dockerd",
        "--data-root", str(NODE_B_DATA_ROOT),
        "--exec-root", str(NODE_B_EXEC_ROOT),
        "-H", NODE_B_URL,
        "--pidfile", str(NODE_B_PIDFILE),
        "--containerd-namespace", NODE_B_CONTAINERD_NS,
        "--containerd-plugins-namespace", NODE_B_CONTAINERD_PLUGINS_NS,
        "-H", NODE_B_TCP_URL, "--tlsverify",
        "--tlscacert", str(NODE_B_SERVER_TLS.ca),
        "--tlscert", str(NODE_B_SERVER_TLS.cert),
        "--tlskey", str(NODE_B_SERVER_TLS.key),
    ]  # fmt: skip


def _pki_valid() -> bool:
    files = [_CA_KEY, NODE_B_SERVER_TLS.ca, NODE_B_SERVER_TLS.key, NODE_B_CLIENT_TLS.key]
    certs = [NODE_B_SERVER_TLS.cert, NODE_B_CLIENT_TLS.cert]
    if not all(p.exists() for p in files + certs):
        return False
    checks = [["x509", "-checkend", "86400", "-noout", "-in"], ["verify", "-CAfile", str(_CA_CERT)]]
    return all(
        run(["openssl", *check, str(c)], check=False).returncode == 0 for c in certs for check in checks
    )


def ensure_node_b_pki() -> None:
    """A CA, a server certificate for IP:100.77.13.2 and a client certificate (EC P-256)."""
    if _pki_valid():
        return
    NODE_B_PKI.mkdir(parents=True, exist_ok=True)
    NODE_B_PKI.chmod(0o700)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-days", "3650", "-keyout", str(_CA_KEY),
         "-out", str(NODE_B_SERVER_TLS.ca), "-subj", "/CN=swarmdeck test bed node B CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])  # fmt: skip
    for files, subject, usage in (
        (
            NODE_B_SERVER_TLS,
            f"/CN={NODE_B_ADDR}",
            [f"subjectAltName=IP:{NODE_B_ADDR}", "extendedKeyUsage=serverAuth"],
        ),
        (NODE_B_CLIENT_TLS, "/CN=swarmdeck console", ["extendedKeyUsage=clientAuth"]),
    ):
        csr, ext = files.cert.with_suffix(".csr"), files.cert.with_suffix(".ext")
        run(["openssl", "req", "-new", *ec, "-keyout", str(files.key), "-out", str(csr), "-subj", subject])
        ext.write_text(
            "\n".join(
                [*usage, "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", ""]
            )
        )
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(files.ca), "-CAkey", str(_CA_KEY),
             "-CAcreateserial", "-days", "825", "-extfile", str(ext), "-out", str(files.cert)])  # fmt: skip
        csr.unlink()
        ext.unlink()
    for key in (_CA_KEY, NODE_B_SERVER_TLS.key, NODE_B_CLIENT_TLS.key):
        key.chmod(0o600)


def _listens_on_tls(pid: int) -> bool:
    """Started with the TLS listener (a node B from an older test bed was not)."""
    return NODE_B_TCP_URL in cmdline(pid)


def _stop_orphan_containerd() -> None:
    """Stop the containerd a killed node B dockerd left behind and drop its pid file.

    dockerd reuses a containerd whose pid is still alive, but one dying with its parent
    (or a zombie not yet reaped) makes it wait 15 s for a socket that never comes.
    """
    pidfile = NODE_B_EXEC_ROOT / "containerd" / "containerd.pid"
    pid = read_pid(pidfile)
    if is_process(pid, "containerd", str(NODE_B_EXEC_ROOT)):
        assert pid is not None
        stop_process(pid, grace=10)
    pidfile.unlink(missing_ok=True)


def ensure_node_b() -> Engine:
    """Node B's dockerd inside the namespace; the namespace must exist already."""
    if not NETNS_PATH.exists():
        raise TestbedError(f"network namespace {NETNS_PATH} is missing; node B cannot start")
    ensure_node_b_pki()
    pid = node_b_pid()
    if pid and not (_in_our_netns(pid) and _listens_on_tls(pid)):
        stop_process(pid, grace=40)
        pid = None
    if pid:  # answering, starting, or hung after an earlier run

        def alive() -> bool:
            return node_b_pid() == pid

        try:
            return Engine(_wait_answering(NODE_B_URL, alive, NODE_B_LOG, "node B's dockerd"), None)
        except TestbedError:
            stop_process(pid, grace=40)
    elif client := connect(NODE_B_URL):  # running, but its pid file is gone: still ours
        return Engine(client, None)
    NODE_B_PIDFILE.unlink(missing_ok=True)  # stale: its pid is dead or someone else's now
    _stop_orphan_containerd()
    for path in (NODE_B_RUN, NODE_B_EXEC_ROOT, NODE_B_DATA_ROOT):
        path.mkdir(parents=True, exist_ok=True)
    proc = spawn(_dockerd_command(), NODE_B_LOG)
    try:
        client = _wait_answering(NODE_B_URL, _child_alive(proc), NODE_B_LOG, "node B's dockerd")
    except TestbedError:
        stop_process(proc.pid, grace=10)  # never leave a half-started engine behind
        raise
    return Engine(client, proc.pid)


def stop_node_b() -> bool:
    """Stop node B's dockerd (it stops its containers and its containerd). True if it ran."""
    pid = node_b_pid()
    if not pid:
        return False
    stop_process(pid, grace=40)
    return True
