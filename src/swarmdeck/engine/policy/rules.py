"""The workload policy's rules, over the Engine API's own request bodies (the package's
docstring says what is refused and why it is checked there)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.labels import NAMESPACE_LABELS
from swarmdeck.engine.policy.facts import NO_FACTS, Facts
from swarmdeck.engine.policy.paths import normalise_host_path, touches_engine, within

Path = tuple[str | int, ...]

STACK_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
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
_REMOTE_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3")
_SAFE_SECURITY_OPTS = ("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true")
NAMESPACE_KEYS = {
    "PidMode": "PID",
    "IpcMode": "IPC",
    "UTSMode": "UTS",
    "UsernsMode": "user",
    "CgroupnsMode": "cgroup",
}
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
# ContainerSpec keys (services) that reach nothing outside the container.
_SAFE_CONTAINER_SPEC = frozenset(
    {
        "Image",
        "Labels",
        "Command",
        "Args",
        "Hostname",
        "Env",
        "Dir",
        "User",
        "Groups",
        "TTY",
        "OpenStdin",
        "ReadOnly",
        "StopSignal",
        "StopGracePeriod",
        "Healthcheck",
        "HealthCheck",
        "Hosts",
        "DNSConfig",
        "Secrets",
        "Configs",
        "Isolation",
        "Init",
        "CapabilityDrop",
        "Ulimits",
    }
)
_CHECKED_CONTAINER_SPEC = frozenset({"Mounts", "Privileges", "CapabilityAdd", "Sysctls", "OomScoreAdj"})


# --- results --------------------------------------------------------------------------
def format_path(path: Path) -> str:
    """``HostConfig.Binds[0]``: where in the request body a violation is."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Violation:
    """One key of a request body the policy refuses: where it is, and why."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}"


class WorkloadRefused(EngineError):
    """The workload policy refused a request; nothing was sent to the engine."""

    def __init__(self, violations: Sequence[Violation], what: str = "") -> None:
        self.violations = list(violations)
        lead = f"{what}: " if what else ""
        super().__init__(lead + "; ".join(str(v) for v in self.violations))


# --- the policy -----------------------------------------------------------------------
@dataclass(frozen=True)
class WorkloadPolicy:
    """``restricted``: the non-admin rules (module docstring); ``allowed_host_paths``: the
    normalised host paths an admin allowed binds under; ``labels``: check the stack labels
    (every workload made through the console)."""

    restricted: bool = False
    allowed_host_paths: tuple[str, ...] = ()
    labels: bool = False

    # -- request bodies ------------------------------------------------------------------
    def container(self, body: Mapping[str, Any], facts: Facts = NO_FACTS) -> list[Violation]:
        """A ``/containers/create`` body (``Labels``, ``HostConfig``, ``NetworkingConfig``)."""
        found = self._labels(body.get("Labels"), ("Labels",))
        host = body.get("HostConfig") or {}
        for index, mount in enumerate(host.get("Mounts") or []):
            found += self._labels(
                ((mount.get("VolumeOptions") or {}).get("Labels")),
                ("HostConfig", "Mounts", index, "VolumeOptions", "Labels"),
            )
        if not self.restricted:
            return found
        found += self._host_config(host, facts)
        networks = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
        for name in networks:
            found += self._network_ref(name, ("NetworkingConfig", "EndpointsConfig", name), facts)
        return found

    def service(self, spec: Mapping[str, Any], facts: Facts = NO_FACTS) -> list[Violation]:
        """A service spec (``/services/create``, or the spec an update leaves)."""
        found = self._labels(spec.get("Labels"), ("Labels",))
        task = spec.get("TaskTemplate") or {}
        container = task.get("ContainerSpec") or {}
        base: Path = ("TaskTemplate", "ContainerSpec")
        found += self._labels(container.get("Labels"), (*base, "Labels"))
        for index, mount in enumerate(container.get("Mounts") or []):
            found += self._labels(
                ((mount.get("VolumeOptions") or {}).get("Labels")),
                (*base, "Mounts", index, "VolumeOptions", "Labels"),
            )
        if not self.restricted:
            return found
        if task.get("PluginSpec"):
            found.append(
                Violation(
                    ("TaskTemplate", "PluginSpec"),
                    "a plugin service installs an engine plugin on every node: only admins may create one",
                )
            )
        if task.get("NetworkAttachmentSpec"):
            found.append(
                Violation(
                    ("TaskTemplate", "NetworkAttachmentSpec"), "network attachment tasks are the engine's own"
                )
            )
        if task.get("Runtime") not in (None, "", "container"):
            found.append(
                Violation(
                    ("TaskTemplate", "Runtime"),
                    f"runtime {task['Runtime']!r}: only container tasks are allowed",
                )
            )
        # TaskTemplate.Networks, and the spec's own Networks (deprecated, still honoured)
        for where, holder in ((("TaskTemplate",), task), ((), spec)):
            for index, attachment in enumerate(holder.get("Networks") or []):
                target = str((attachment or {}).get("Target", ""))
                found += self._network_ref(target, (*where, "Networks", index, "Target"), facts)
        found += self._container_spec(container, facts)
        return found

    def volume(self, body: Mapping[str, Any]) -> list[Violation]:
        """A ``/volumes/create`` body (``Name``, ``Driver``, ``DriverOpts``, ``Labels``)."""
        found = self._labels(body.get("Labels"), ("Labels",))
        if self.restricted:
            found += self._volume_driver(
                body.get("Driver") or "",
                body.get("DriverOpts") or {},
                ("DriverOpts",),
                f"volume {body.get('Name', '')}",
            )
        return found

    def network(self, body: Mapping[str, Any]) -> list[Violation]:
        """A ``/networks/create`` body: only its labels matter (a network reaches no host
        path; the host network itself cannot be made twice)."""
        return self._labels(body.get("Labels"), ("Labels",))

    # -- rules ---------------------------------------------------------------------------
    def _labels(self, labels: Mapping[str, str] | None, path: Path) -> list[Violation]:
        if not self.labels or not labels:
            return []
        return [
            Violation(
                (*path, key),
                f"{labels[key]!r} is not a stack name (letters, digits, '_', "
                "'.' or '-', starting with a letter or digit, at most 63): "
                "the console's pages would take it for a path",
            )
            for key in NAMESPACE_LABELS
            if key in labels and not STACK_NAME.match(str(labels[key]))
        ]

    def host_path(self, source: str, path: Path, what: str = "binds") -> list[Violation]:
        """A host path given to a workload: allowed only under an allowed host path, and
        never the engine's socket or state."""
        try:
            normal = normalise_host_path(source)
        except ValueError:
            return [Violation(path, f"{what} {source!r}, which is not an absolute host path")]
        engine_path = touches_engine(normal)
        if engine_path is not None:
            return [
                Violation(
                    path,
                    f"{what} the host path {normal}, which is or holds the Docker "
                    f"engine's socket or state ({engine_path}): never allowed "
                    "for non-admins",
                )
            ]
        if any(within(normal, allowed) for allowed in self.allowed_host_paths):
            return []
        hint = (
            f"operators may bind under {', '.join(self.allowed_host_paths)}"
            if self.allowed_host_paths
            else "an admin may allow host paths in the console's settings"
        )
        return [
            Violation(
                path, f"{what} the host path {normal}: only admins may give a workload host paths ({hint})"
            )
        ]

    def _volume_driver(
        self, driver: str, options: Mapping[str, str], path: Path, what: str
    ) -> list[Violation]:
        """A volume made with ``driver`` and ``options``: does it reach into the host?"""
        if not options:
            return []
        if driver not in ("", "local"):
            return [
                Violation(
                    path,
                    f"{what}: options of the volume driver {driver!r} (a plugin) "
                    "cannot be checked here: only admins may pass them",
                )
            ]
        kind = str(options.get("type", ""))
        device = str(options.get("device", ""))
        flags = [f.strip() for f in str(options.get("o", "")).split(",")]
        if kind == "none" or "bind" in flags or "rbind" in flags:
            return self.host_path(device, (*path, "device"), f"{what} binds")
        if kind in _REMOTE_FILESYSTEMS:
            if device.startswith("/") and not device.startswith("//"):
                return [
                    Violation(
                        (*path, "device"),
                        f"{what}: a {kind} device is remote (server:/path), not the host path {device}",
                    )
                ]
            return []
        if kind == "tmpfs" or not (kind or device):
            return []
        return [
            Violation(
                (*path, "type"),
                f"{what} mounts a filesystem of the host (type "
                f"{kind or '?'}, device {device or '?'}): only admins may",
            )
        ]

    def _named_volume(
        self,
        name: str,
        driver: str,
        options: Mapping[str, str],
        source_path: Path,
        options_path: Path,
        facts: Facts,
    ) -> list[Violation]:
        """A volume a mount names: an existing one is used as it was made (refused at the mount's
        source), a new one is made with ``driver`` and ``options`` (refused at the options)."""
        existing = facts.volumes.get(name) if name else None
        if existing is not None:
            found = self._volume_driver(existing[0], existing[1], (), f"the existing volume {name}")
            return [Violation(source_path, v.message) for v in found]
        return self._volume_driver(driver, options, options_path, f"volume {name or '(anonymous)'}")

    def _mount(self, mount: Mapping[str, Any], path: Path, facts: Facts) -> list[Violation]:
        """One entry of ``Mounts`` (containers and services share the shape)."""
        kind = mount.get("Type") or "volume"
        source = str(mount.get("Source") or "")
        if kind == "bind":
            found = self.host_path(source, (*path, "Source"))
            propagation = (mount.get("BindOptions") or {}).get("Propagation") or ""
            if propagation in ("shared", "rshared"):
                found.append(
                    Violation(
                        (*path, "BindOptions", "Propagation"),
                        f"propagation {propagation} passes mounts back to the host",
                    )
                )
            return found
        if kind == "volume":
            config = (mount.get("VolumeOptions") or {}).get("DriverConfig") or {}
            return self._named_volume(
                source,
                config.get("Name") or "",
                config.get("Options") or {},
                (*path, "Source"),
                (*path, "VolumeOptions", "DriverConfig", "Options"),
                facts,
            )
        if kind == "tmpfs":
            return []
        if kind == "npipe":
            return [
                Violation(
                    (*path, "Type"),
                    f"named pipe {source}: a pipe of the host (the engine "
                    "listens on one): only admins may mount one",
                )
            ]
        return [Violation((*path, "Type"), f"mount type {kind!r}: only admins may use it")]

    def _bind_spec(self, spec: str, driver: str, path: Path, facts: Facts) -> list[Violation]:
        """One ``Binds`` entry: ``SOURCE:TARGET[:MODE]``; an absolute source is a host path,
        anything else a named volume."""
        parts = str(spec).split(":")
        if len(parts) not in (2, 3) or not parts[0]:
            return [Violation(path, f"{spec!r} is not SOURCE:TARGET[:MODE]")]
        source = parts[0]
        if source.startswith("/"):
            return self.host_path(source, path)
        if not _VOLUME_NAME.match(source):
            return [Violation(path, f"{source!r} is neither a volume name nor an absolute host path")]
        return self._named_volume(source, driver, {}, path, path, facts)

    def _network_ref(self, ref: str, path: Path, facts: Facts) -> list[Violation]:
        if ref.startswith("container:"):
            return [
                Violation(path, f"{ref}: joining another container's network namespace is only for admins")
            ]
        if facts.host_network(ref):
            return [
                Violation(
                    path,
                    f"network {ref!r} is the host's network: only admins may use "
                    "the host's network namespace",
                )
            ]
        return []

    def _sysctls(self, sysctls: Mapping[str, str] | None, path: Path) -> list[Violation]:
        found = []
        for name in sysctls or {}:
            dotted = name.replace("/", ".")
            if dotted not in _NAMESPACED_SYSCTLS and not dotted.startswith(_NAMESPACED_SYSCTL_PREFIXES):
                found.append(
                    Violation(
                        (*path, name), f"sysctl {name} is not namespaced: it would change the host's kernel"
                    )
                )
        return found

    def _host_config(self, host: Mapping[str, Any], facts: Facts) -> list[Violation]:
        found: list[Violation] = []
        base: Path = ("HostConfig",)
        driver = str(host.get("VolumeDriver") or "")
        for index, spec in enumerate(host.get("Binds") or []):
            found += self._bind_spec(spec, driver, (*base, "Binds", index), facts)
        for index, mount in enumerate(host.get("Mounts") or []):
            found += self._mount(mount, (*base, "Mounts", index), facts)
        if driver not in ("", "local"):
            found.append(
                Violation(
                    (*base, "VolumeDriver"), f"volume driver {driver!r} (a plugin): only admins may use it"
                )
            )
        network = str(host.get("NetworkMode") or "")
        if network:
            found += self._network_ref(network, (*base, "NetworkMode"), facts)
        for key, name in NAMESPACE_KEYS.items():
            mode = str(host.get(key) or "")
            if mode == "host" or mode.startswith("container:"):
                owner = "the host's" if mode == "host" else f"container {mode.partition(':')[2]}'s"
                found.append(
                    Violation((*base, key), f"{mode}: sharing {owner} {name} namespace is only for admins")
                )
        if host.get("Cgroup"):
            found.append(
                Violation((*base, "Cgroup"), "sharing another container's cgroup is only for admins")
            )
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
        found += self._sysctls(host.get("Sysctls"), (*base, "Sysctls"))
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

    def _container_spec(self, spec: Mapping[str, Any], facts: Facts) -> list[Violation]:
        found: list[Violation] = []
        base: Path = ("TaskTemplate", "ContainerSpec")
        for index, mount in enumerate(spec.get("Mounts") or []):
            found += self._mount(mount, (*base, "Mounts", index), facts)
        privileges = spec.get("Privileges") or {}
        if privileges.get("SELinuxContext"):
            found.append(
                Violation(
                    (*base, "Privileges", "SELinuxContext"),
                    "SELinux labels change the container's confinement: only admins may",
                )
            )
        for key in ("Seccomp", "AppArmor"):
            mode = (privileges.get(key) or {}).get("Mode") or "default"
            if mode != "default":
                found.append(
                    Violation(
                        (*base, "Privileges", key),
                        f"{key} mode {mode}: only admins may change the confinement",
                    )
                )
        for key, value in privileges.items():
            if (
                key not in ("CredentialSpec", "SELinuxContext", "Seccomp", "AppArmor", "NoNewPrivileges")
                and value
            ):
                found.append(
                    Violation(
                        (*base, "Privileges", key),
                        "not a key the workload policy knows: only admins may set it",
                    )
                )
        if spec.get("CapabilityAdd"):
            found.append(
                Violation(
                    (*base, "CapabilityAdd"),
                    f"added capabilities ({', '.join(spec['CapabilityAdd'])}): only "
                    "admins may add capabilities",
                )
            )
        found += self._sysctls(spec.get("Sysctls"), (*base, "Sysctls"))
        if (spec.get("OomScoreAdj") or 0) < 0:
            found.append(
                Violation(
                    (*base, "OomScoreAdj"),
                    "a negative OOM score makes the host's processes die first: only admins may",
                )
            )
        for key, value in spec.items():
            if key not in _SAFE_CONTAINER_SPEC and key not in _CHECKED_CONTAINER_SPEC and value:
                found.append(
                    Violation((*base, key), "not a key the workload policy knows: only admins may set it")
                )
        return found


ALLOW_ALL = WorkloadPolicy()


def restricted(allowed_host_paths: Iterable[str] = (), labels: bool = True) -> WorkloadPolicy:
    """The policy of non-admins, binding only under ``allowed_host_paths`` (normalised)."""
    return WorkloadPolicy(True, tuple(normalise_host_path(p) for p in allowed_host_paths), labels)


def require(violations: Sequence[Violation], what: str = "") -> None:
    """Raise ``WorkloadRefused`` when there is any violation."""
    if violations:
        raise WorkloadRefused(violations, what)
