"""The restricted policy's rules on the host's namespaces and kernel, shared by containers and
services: which namespace keys of ``HostConfig`` exist, joining the host's (or another
container's) network, and sysctls that are not per container."""

from __future__ import annotations

from collections.abc import Mapping

from swarmdeck.engine.policy.facts import Facts
from swarmdeck.engine.policy.violations import Path, Violation

# HostConfig's namespace keys and the namespace each one shares.
NAMESPACE_KEYS = {
    "PidMode": "PID",
    "IpcMode": "IPC",
    "UTSMode": "UTS",
    "UsernsMode": "user",
    "CgroupnsMode": "cgroup",
}
_NAMESPACED_SYSCTLS = frozenset(
    {
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
        "kernel.domainname",
        "kernel.hostname",
    }
)
_NAMESPACED_SYSCTL_PREFIXES = ("fs.mqueue.", "net.")


def network_ref(ref: str, path: Path, facts: Facts) -> list[Violation]:
    """A network a workload joins: never another container's namespace nor the host's."""
    if ref.startswith("container:"):
        return [Violation(path, f"{ref}: joining another container's network namespace is only for admins")]
    if facts.host_network(ref):
        return [
            Violation(
                path,
                f"network {ref!r} is the host's network: only admins may use the host's network namespace",
            )
        ]
    return []


def sysctls(values: Mapping[str, str] | None, path: Path) -> list[Violation]:
    """Sysctls: only the namespaced ones (the rest would change the host's kernel)."""
    found = []
    for name in values or {}:
        dotted = name.replace("/", ".")
        if dotted not in _NAMESPACED_SYSCTLS and not dotted.startswith(_NAMESPACED_SYSCTL_PREFIXES):
            found.append(
                Violation(
                    (*path, name), f"sysctl {name} is not namespaced: it would change the host's kernel"
                )
            )
    return found
