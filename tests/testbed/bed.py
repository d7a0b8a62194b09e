"""The test bed as one object: brings each part up on demand, reuses what already runs,
and writes down who started what so the right party stops it.

Ownership (see state.py): a part started for a pytest session is stopped when the last
session using the bed ends; a part started by `python -m tests.testbed up` stays until
`down`. Node A's dockerd, when the bed had to start it, is left running (other tools use
it); so is node A's swarm: the next run reuses it instead of paying for a new one, and
restarted node B engines come back into it by themselves.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import docker
import docker.errors

from . import engines, netns, registry, state
from .common import TestbedError, run
from .config import DOCKER_CERTS_DIR, NODE_A_ADDR, NODE_B_DATA_ROOT, NODE_B_URL, PKI_DIR
from .images import ensure_busybox, push_to_registry
from .registry import REGISTRY, Registry
from .swarm import Swarm, ensure_swarm, sweep_leftovers

SESSION, CLI = "session", "cli"


class Testbed:
    """Entry point of the fixtures and the CLI; `owner` is SESSION or CLI."""

    __test__ = False  # a helper, not a test class

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def _enter(self) -> dict[str, Any]:
        data = state.load()
        if self.owner == SESSION and os.getpid() not in data["sessions"]:
            data["sessions"].append(os.getpid())
        return data

    def _record(self, data: dict[str, Any], part: str, started_pid: int | None, **extra: Any) -> None:
        """Note a part this call started; a CLI `up` also adopts parts a session started."""
        if started_pid is not None:
            data["parts"][part] = {"pid": started_pid, "owner": self.owner, **extra}
        elif self.owner == CLI and part in data["parts"]:
            data["parts"][part]["owner"] = CLI

    def engine(self) -> docker.DockerClient:
        """Node A: the machine's own dockerd."""
        with state.locked():
            data = self._enter()
            engine = engines.ensure_engine_a()
            self._record(data, "engine_a", engine.pid, log=str(engines.ENGINE_A_LOG))
            state.save(data)
        return engine.client

    def node_b(self) -> docker.DockerClient:
        """Node B: the second dockerd in the `sdtb-nodeb` namespace."""
        with state.locked():
            data = self._enter()
            netns.ensure()
            engine = engines.ensure_node_b()
            self._record(data, "node_b", engine.pid, log=str(engines.NODE_B_LOG))
            state.save(data)
        return engine.client

    def swarm(self) -> Swarm:
        """Both nodes in one swarm (and whatever dead runs left in it removed)."""
        with state.locked():
            swarm = ensure_swarm(self.engine(), self.node_b())
            sweep_leftovers(swarm.manager)
        return swarm

    def registry(self) -> Registry:
        with state.locked():
            data = self._enter()
            netns.ensure()  # the registry listens on the host end of the veth
            registry.ensure_pki()
            pid = None
            if not registry.answers():
                old = data["parts"].pop("registry", None)
                if old:  # died with an earlier session: drop its data dir too
                    registry.stop(old["pid"], Path(old["workdir"]))
                pid, workdir = registry.start()
                self._record(data, "registry", pid, workdir=str(workdir))
            else:
                self._record(data, "registry", None)
            state.save(data)
        return REGISTRY

    def busybox_image(self) -> str:
        """The busybox image on node A."""
        with state.locked():
            return ensure_busybox(self.engine())

    def registry_busybox_image(self) -> str:
        """The busybox image pushed to the registry: the reference both nodes can pull."""
        with state.locked():
            reg = self.registry()
            return push_to_registry(self.engine(), self.busybox_image(), reg.address)

    def close(self) -> list[str]:
        """End this session's use; the last session stops the parts sessions started."""
        with state.locked():
            data = state.load()
            if os.getpid() in data["sessions"]:
                data["sessions"].remove(os.getpid())
            stopped = [] if data["sessions"] else _stop_parts(data, owners={SESSION})
            state.save(data)
        return stopped


def _stop_parts(data: dict[str, Any], owners: set[str]) -> list[str]:
    stopped = []
    parts = data["parts"]
    if parts.get("registry", {}).get("owner") in owners:
        old = parts.pop("registry")
        registry.stop(old["pid"], Path(old["workdir"]))
        stopped.append("registry")
    if parts.get("node_b", {}).get("owner") in owners:
        parts.pop("node_b")
        if engines.stop_node_b():
            stopped.append("node B's dockerd")
    return stopped


def down(*, force: bool = False, purge: bool = False) -> list[str]:
    """Stop node B and the registry, delete the namespace; `purge` also forgets all state.

    Purge = node B's data root, the PKI and its certs.d entry, and node A's membership of
    the test bed swarm: the next `up` starts from nothing (the cold-start case of CI).
    """
    with state.locked():
        data = state.load()
        if data["sessions"] and not force:
            raise TestbedError(
                f"pytest sessions still use the test bed (pids {data['sessions']}); "
                "wait for them or pass --force"
            )
        done = _stop_parts(data, owners={SESSION, CLI})
        if engines.stop_node_b():  # running without a record (state file lost): still ours
            done.append("node B's dockerd")
        if netns.is_up() or netns.NETNS_PATH.exists():
            netns.delete()
            done.append("network namespace")
        if purge:
            client = engines.connect(engines.ENGINE_A_URL)
            if client and client.info()["Swarm"].get("NodeAddr") == NODE_A_ADDR:
                client.swarm.leave(force=True)
                done.append("node A left the test bed swarm")
            if os.path.ismount(NODE_B_DATA_ROOT):  # dockerd bind-mounts its data root
                run(["umount", str(NODE_B_DATA_ROOT)])
            for path in (NODE_B_DATA_ROOT, PKI_DIR, DOCKER_CERTS_DIR):
                if path.exists():
                    shutil.rmtree(path)
                    done.append(f"removed {path}")
        data["sessions"] = []
        state.save(data)
    return done


def status() -> dict[str, Any]:
    """What runs, who started it, and the swarm as node A sees it."""
    data = state.load()
    a = engines.connect(engines.ENGINE_A_URL)
    b = engines.connect(NODE_B_URL)
    report: dict[str, Any] = {
        "engine_a": "answering" if a else "down",
        "netns": "up" if netns.is_up() else "down",
        "node_b": "answering" if b else "down",
        "registry": "answering" if registry.answers() else "down",
        "started_by_testbed": data["parts"],
        "sessions": data["sessions"],
    }
    if a:
        info = a.info()["Swarm"]
        report["swarm"] = {"state": info["LocalNodeState"], "node_addr": info.get("NodeAddr")}
        if info.get("ControlAvailable"):
            report["swarm"]["nodes"] = [
                {
                    "id": n.id[:12],
                    "hostname": n.attrs["Description"]["Hostname"],
                    "state": n.attrs["Status"]["State"],
                    "role": n.attrs["Spec"]["Role"],
                    "labels": n.attrs["Spec"].get("Labels", {}),
                }
                for n in a.nodes.list()
            ]
    return report
