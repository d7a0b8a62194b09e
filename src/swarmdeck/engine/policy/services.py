"""The restricted policy's rules on a service spec (``/services/create``, or the spec an update
leaves): only container tasks, the networks it attaches to, and its ``ContainerSpec``
(mounts, privileges, capabilities, sysctls; an unknown key with a value is refused)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swarmdeck.engine.policy.facts import Facts
from swarmdeck.engine.policy.mounts import mount
from swarmdeck.engine.policy.namespaces import network_ref, sysctls
from swarmdeck.engine.policy.violations import Path, Violation

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


def container_spec(spec: Mapping[str, Any], facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """A service's ``TaskTemplate.ContainerSpec``: every key with a rule checked, every key unknown
    refused."""
    found: list[Violation] = []
    base: Path = ("TaskTemplate", "ContainerSpec")
    for index, entry in enumerate(spec.get("Mounts") or []):
        found += mount(entry, (*base, "Mounts", index), facts, allowed)
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
                f"added capabilities ({', '.join(spec['CapabilityAdd'])}): only admins may add capabilities",
            )
        )
    found += sysctls(spec.get("Sysctls"), (*base, "Sysctls"))
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


def service_rules(spec: Mapping[str, Any], facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """A service spec under the restricted policy (its labels are checked by every policy, in
    ``WorkloadPolicy``)."""
    found: list[Violation] = []
    task = spec.get("TaskTemplate") or {}
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
            found += network_ref(target, (*where, "Networks", index, "Target"), facts)
    found += container_spec(task.get("ContainerSpec") or {}, facts, allowed)
    return found
