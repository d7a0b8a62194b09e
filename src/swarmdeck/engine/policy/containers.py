"""The restricted policy's rules on a ``/containers/create`` body: its ``HostConfig`` (mounts,
namespaces, privileges, devices, confinement, runtime, cgroups, sysctls; an unknown key with
a value is refused) and the networks its ``NetworkingConfig`` joins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swarmdeck.engine.policy.facts import Facts
from swarmdeck.engine.policy.mounts import bind_spec, mount
from swarmdeck.engine.policy.namespaces import NAMESPACE_KEYS, network_ref, sysctls
from swarmdeck.engine.policy.violations import Path, Violation

# HostConfig keys that reach nothing outside the container (limits, DNS, ports, logging…).
_SAFE_HOST_CONFIG = frozenset(
    {
        "AutoRemove",
        "BlkioDeviceReadBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceWriteIOps",
        "BlkioWeight",
        "BlkioWeightDevice",
        "CapDrop",
        "ConsoleSize",
        "ContainerIDFile",
        "CPURealtimePeriod",
        "CPURealtimeRuntime",
        "CpuCount",
        "CpuPercent",
        "CpuPeriod",
        "CpuQuota",
        "CpuRealtimePeriod",
        "CpuRealtimeRuntime",
        "CpuShares",
        "CpusetCpus",
        "CpusetMems",
        "Dns",
        "DnsOptions",
        "DnsSearch",
        "ExtraHosts",
        "GroupAdd",
        "Init",
        "IOMaximumBandwidth",
        "IOMaximumIOps",
        "Isolation",
        "KernelMemory",
        "KernelMemoryTCP",
        "Links",
        "LogConfig",
        "Memory",
        "MemoryReservation",
        "MemorySwap",
        "MemorySwappiness",
        "NanoCpus",
        "NanoCPUs",
        "OomKillDisable",
        "PidsLimit",
        "PortBindings",
        "PublishAllPorts",
        "ReadonlyRootfs",
        "RestartPolicy",
        "ShmSize",
        "StorageOpt",
        "Tmpfs",
        "Ulimits",
    }
)
# HostConfig keys with a rule below.
_CHECKED_HOST_CONFIG = frozenset(
    {
        "Binds",
        "Mounts",
        "NetworkMode",
        "Privileged",
        "CapAdd",
        "Capabilities",
        "Devices",
        "DeviceRequests",
        "DeviceCgroupRules",
        "SecurityOpt",
        "Sysctls",
        "VolumesFrom",
        "VolumeDriver",
        "Runtime",
        "CgroupParent",
        "Cgroup",
        "OomScoreAdj",
        "MaskedPaths",
        "ReadonlyPaths",
        "InitPath",
        *NAMESPACE_KEYS,
    }
)
_SAFE_SECURITY_OPTS = ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true")


def host_config(host: Mapping[str, Any], facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """A container's ``HostConfig``: every key with a rule checked, every key unknown refused."""
    found: list[Violation] = []
    base: Path = ("HostConfig",)
    driver = str(host.get("VolumeDriver") or "")
    for index, spec in enumerate(host.get("Binds") or []):
        found += bind_spec(spec, driver, (*base, "Binds", index), facts, allowed)
    for index, entry in enumerate(host.get("Mounts") or []):
        found += mount(entry, (*base, "Mounts", index), facts, allowed)
    if driver not in ("", "local"):
        found.append(
            Violation((*base, "VolumeDriver"), f"volume driver {driver!r} (a plugin): only admins may use it")
        )
    network = str(host.get("NetworkMode") or "")
    if network:
        found += network_ref(network, (*base, "NetworkMode"), facts)
    for key, name in NAMESPACE_KEYS.items():
        mode = str(host.get(key) or "")
        if mode == "host" or mode.startswith("container:"):
            owner = "the host's" if mode == "host" else f"container {mode.partition(':')[2]}'s"
            found.append(
                Violation((*base, key), f"{mode}: sharing {owner} {name} namespace is only for admins")
            )
    if host.get("Cgroup"):
        found.append(Violation((*base, "Cgroup"), "sharing another container's cgroup is only for admins"))
    if host.get("Privileged"):
        found.append(
            Violation(
                (*base, "Privileged"),
                "a privileged container is root on the host: only admins may run one",
            )
        )
    for key in ("CapAdd", "Capabilities"):
        if host.get(key):
            found.append(
                Violation(
                    (*base, key),
                    f"added capabilities ({', '.join(host[key])}): only admins may add capabilities",
                )
            )
    for key in ("Devices", "DeviceRequests", "DeviceCgroupRules"):
        if host.get(key):
            found.append(
                Violation((*base, key), "devices of the host: only admins may give a container devices")
            )
    options = [str(o) for o in host.get("SecurityOpt") or [] if str(o) not in _SAFE_SECURITY_OPTS]
    if options:
        found.append(
            Violation(
                (*base, "SecurityOpt"),
                f"security options ({', '.join(options)}) "
                "change seccomp, AppArmor or SELinux "
                "confinement: only admins may",
            )
        )
    found += sysctls(host.get("Sysctls"), (*base, "Sysctls"))
    if host.get("VolumesFrom"):
        found.append(
            Violation(
                (*base, "VolumesFrom"),
                "another container's mounts may include host paths: only admins may take them",
            )
        )
    if host.get("Runtime") not in (None, "", "runc"):
        found.append(
            Violation(
                (*base, "Runtime"),
                f"runtime {host['Runtime']!r}: only admins may choose another OCI runtime",
            )
        )
    if host.get("CgroupParent"):
        found.append(
            Violation(
                (*base, "CgroupParent"),
                "a cgroup parent places the container in the host's cgroups: only admins may",
            )
        )
    if (host.get("OomScoreAdj") or 0) < 0:
        found.append(
            Violation(
                (*base, "OomScoreAdj"),
                "a negative OOM score makes the host's processes die first: only admins may",
            )
        )
    for key in ("MaskedPaths", "ReadonlyPaths"):
        if host.get(key) is not None:
            found.append(
                Violation(
                    (*base, key),
                    "changes which /proc paths are hidden from the container: only admins may",
                )
            )
    if host.get("InitPath"):
        found.append(Violation((*base, "InitPath"), "an init binary from the host: only admins may"))
    for key, value in host.items():
        if key not in _SAFE_HOST_CONFIG and key not in _CHECKED_HOST_CONFIG and value:
            found.append(
                Violation((*base, key), "not a key the workload policy knows: only admins may set it")
            )
    return found


def container_rules(body: Mapping[str, Any], facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """A ``/containers/create`` body under the restricted policy (its labels are checked by
    every policy, in ``WorkloadPolicy``)."""
    found = host_config(body.get("HostConfig") or {}, facts, allowed)
    networks = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    for name in networks:
        found += network_ref(name, ("NetworkingConfig", "EndpointsConfig", name), facts)
    return found
