"""Live figures as ``docker stats`` computes them: one container's sample, and the sum over a
service's running tasks whose containers run on this endpoint's engine.

The engine answers a stats call with two readings about a second apart (``cpu_stats`` and
``precpu_stats``); the CPU % is the container's CPU time over the host's in between, times
the CPUs online, as the docker CLI computes it. Memory leaves out the page cache, as the CLI
does. Network and block IO are byte counters since the container started: the charts turn
them into rates. A service's tasks on other nodes are not reachable from this engine (each
node's engine has its own stats): they are listed, not counted, so the page can say so.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker

from swarmdeck.console.resources.containers import inspect_container
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError
from swarmdeck.swarm.nodes import raw_nodes, raw_tasks
from swarmdeck.swarm.services import raw_service
from swarmdeck.swarm.views import hostnames

SUMMED = ("cpu_percent", "memory_usage", "net_rx", "net_tx", "block_read", "block_write", "pids")
_PARALLEL = 8  # containers of a service sampled at once (each sample takes about a second)


def figures(raw: dict[str, Any]) -> dict[str, Any]:
    """The figures of one engine stats answer (pure: the engine's JSON in, numbers out)."""
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get(
        "total_usage", 0
    )
    system_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    memory = raw.get("memory_stats") or {}
    details = memory.get("stats") or {}
    # Page cache is reclaimable: `docker stats` leaves it out (cgroup v1 "cache", v2 "inactive_file").
    cache = details.get("cache", details.get("inactive_file", 0))
    used = max(0, memory.get("usage", 0) - cache)
    limit = memory.get("limit", 0)
    networks = (raw.get("networks") or {}).values()
    block = (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    return {
        "cpu_percent": round(cpu_delta / system_delta * cpus * 100, 2)
        if system_delta > 0 and cpu_delta > 0
        else 0.0,
        "online_cpus": cpus,
        "memory_usage": used,
        "memory_limit": limit,
        "memory_percent": round(used / limit * 100, 2) if limit else 0.0,
        "net_rx": sum(n.get("rx_bytes", 0) for n in networks),
        "net_tx": sum(n.get("tx_bytes", 0) for n in networks),
        "block_read": sum(b.get("value", 0) for b in block if str(b.get("op")).lower() == "read"),
        "block_write": sum(b.get("value", 0) for b in block if str(b.get("op")).lower() == "write"),
        "pids": (raw.get("pids_stats") or {}).get("current", 0),
    }


def _sample(client: docker.DockerClient, container_id: str) -> dict[str, Any]:
    with doing(f"stats of {container_id[:12]}"):
        return figures(client.api.stats(container_id, stream=False))


def container_stats(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    """One sample of what `docker stats` shows: CPU %, memory, network and block IO.

    A container that is not running has no figures, only ``running: false``.
    """
    info = inspect_container(client, ref)
    answer: dict[str, Any] = {
        "id": info["Id"],
        "name": info["Name"].lstrip("/"),
        "running": bool(info["State"].get("Running")),
    }
    if not answer["running"]:
        return answer
    return {**answer, **_sample(client, info["Id"])}


def _local_node(client: docker.DockerClient) -> str:
    with doing("engine info"):
        return str(((client.info() or {}).get("Swarm") or {}).get("NodeID") or "")


def service_stats(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    """The sum of one sample of each running task's container on this engine's node; the
    running tasks on other nodes are listed in ``elsewhere`` (their engines are not this one)."""
    service = raw_service(client, ref)
    here = _local_node(client)
    running = [
        t
        for t in raw_tasks(client, {"service": service["ID"], "desired-state": "running"})
        if (t.get("Status") or {}).get("State") == "running"
    ]
    hosts = hostnames(raw_nodes(client))
    local = [
        ((t.get("Status") or {}).get("ContainerStatus") or {}).get("ContainerID", "")
        for t in running
        if t.get("NodeID") == here
    ]
    local = [c for c in local if c]

    def one(container_id: str) -> dict[str, Any] | None:
        try:
            return _sample(client, container_id)
        except EngineError:  # the task stopped between the listing and its sample
            return None

    with ThreadPoolExecutor(max_workers=max(1, min(_PARALLEL, len(local)))) as pool:
        samples = [s for s in pool.map(one, local) if s is not None]
    totals: dict[str, Any] = {key: sum(s[key] for s in samples) for key in SUMMED}
    totals["cpu_percent"] = round(totals["cpu_percent"], 2)
    return {
        "id": service["ID"],
        "name": service["Spec"]["Name"],
        "node": hosts.get(here, here),
        "running_tasks": len(running),
        "sampled": len(samples),
        "elsewhere": [
            {
                "task_id": t["ID"],
                "slot": t.get("Slot"),
                "node": hosts.get(t.get("NodeID", ""), t.get("NodeID", "")),
            }
            for t in running
            if t.get("NodeID") != here
        ],
        **totals,
    }
