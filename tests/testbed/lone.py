"""A lone Docker host for `swarmdeck up`'s default path: one engine in its own network
namespace, in no swarm, with no registry — what a new user's machine looks like.

It is made new for each use (fresh data root, fresh namespace) and removed afterwards, so
`swarm init` and the managed registry really happen. Commands that must see the host's
network the way the engine does (`swarmdeck up` checks ports and sends requests) run
inside the namespace through `nsenter --net`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker

from .common import TestbedError, run, spawn, stop_process
from .config import LOG_DIR
from .engines import _child_alive, _wait_answering

NETNS = "sdtb-lone"
NETNS_PATH = Path("/var/run/netns") / NETNS
VETH_HOST, VETH_NODE = "sdtb-lone0", "sdtb-lone1"
HOST_ADDR, NODE_ADDR = "100.77.14.1", "100.77.14.2"
HOSTNAME = "lonehost"
LOG = LOG_DIR / "lone-dockerd.log"
# One lone host at a time on this machine (they share the namespace and the subnet): a second
# user, say another test run, waits instead of deleting the namespace under the first.
LOCK = Path("/run/sdtb-lone.lock")


@dataclass
class LoneHost:
    client: docker.DockerClient
    url: str
    addr: str = NODE_ADDR
    _engine: _Engine | None = None

    def stop_engine(self) -> None:
        """Stop its dockerd (SIGTERM, as a restart does); its data root and swarm stay."""
        assert self._engine is not None
        self._engine.stop()

    def start_engine(self) -> None:
        """Start its dockerd again on the same data root; returns once it answers."""
        assert self._engine is not None
        self._engine.start()

    def run_inside(self, cmd: Sequence[str], timeout: float = 900) -> subprocess.CompletedProcess:
        """Run a command in the host's network namespace (and its engine as DOCKER_HOST)."""
        return subprocess.run(
            ["nsenter", f"--net={NETNS_PATH}", *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(self.url),
        )


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DOCKER_HOST": url}


def _ip(*args: str) -> None:
    run(["ip", *args])


def _delete_netns() -> None:
    run(["ip", "netns", "del", NETNS], check=False)
    run(["ip", "link", "del", VETH_HOST], check=False)


@contextmanager
def lone_host(images: Sequence[str], source: docker.DockerClient) -> Iterator[LoneHost]:
    """Start the lone host with ``images`` copied from ``source`` (it cannot pull either)."""
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if we die
        yield from _lone_host(images, source)


class _Engine:
    """The lone host's dockerd process: started, stopped and started again alike."""

    def __init__(self, root: Path, run_dir: Path, url: str) -> None:
        self.root, self.run_dir, self.url = root, run_dir, url
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> docker.DockerClient:
        self.proc = spawn(
            [
                "nsenter",
                f"--net={NETNS_PATH}",
                "unshare",
                "--uts",
                "sh",
                "-c",
                'hostname "$0" && exec "$@"',
                HOSTNAME,
                "dockerd",
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.run_dir / "exec"),
                "-H",
                self.url,
                "--pidfile",
                str(self.run_dir / "docker.pid"),
                "--containerd-namespace",
                "sdtb-lone",
                "--containerd-plugins-namespace",
                "sdtb-lone-plugins",
            ],
            LOG,
        )
        return _wait_answering(self.url, _child_alive(self.proc), LOG, "the lone host's dockerd")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc.pid, grace=40)


def _lone_host(images: Sequence[str], source: docker.DockerClient) -> Iterator[LoneHost]:
    _delete_netns()
    _ip("netns", "add", NETNS)
    _ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NODE)
    _ip("link", "set", VETH_NODE, "netns", NETNS)
    _ip("addr", "add", f"{HOST_ADDR}/24", "dev", VETH_HOST)
    _ip("link", "set", VETH_HOST, "up")
    _ip("-n", NETNS, "addr", "add", f"{NODE_ADDR}/24", "dev", VETH_NODE)
    _ip("-n", NETNS, "link", "set", VETH_NODE, "up")
    _ip("-n", NETNS, "link", "set", "lo", "up")
    root = Path(tempfile.mkdtemp(prefix="lone-", dir="/var/lib/swarmdeck-testbed"))
    run_dir = Path(tempfile.mkdtemp(prefix="sdtb-lone-", dir="/run"))
    url = f"unix://{run_dir}/docker.sock"
    LOG.parent.mkdir(parents=True, exist_ok=True)
    engine = _Engine(root, run_dir, url)
    try:
        client = engine.start()
        for image in images:
            if not client.images.load(b"".join(source.images.get(image).save(named=image))):
                raise TestbedError(f"loading {image} into the lone host failed")
        yield LoneHost(client, url, _engine=engine)
    finally:
        engine.stop()
        run(["umount", "-R", str(root / "data")], check=False)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)
        _delete_netns()
