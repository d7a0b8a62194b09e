"""The restricted policy's rules on what a workload mounts, shared by containers and services:
host paths (allowed only under an admin's allowed host paths, never the engine's socket or
state), ``Binds`` entries, ``Mounts`` entries, and volumes whose driver options reach into
the host (new ones by their options, existing ones as the engine made them)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from swarmdeck.engine.policy.facts import Facts
from swarmdeck.engine.policy.paths import normalise_host_path, touches_engine, within
from swarmdeck.engine.policy.violations import Path, Violation

_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_REMOTE_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3")


def host_path(source: str, path: Path, allowed: Sequence[str], what: str = "binds") -> list[Violation]:
    """A host path given to a workload: allowed only under one of the ``allowed`` host paths
    (normalised), and never the engine's socket or state."""
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
    if any(within(normal, root) for root in allowed):
        return []
    hint = (
        f"operators may bind under {', '.join(allowed)}"
        if allowed
        else "an admin may allow host paths in the console's settings"
    )
    return [
        Violation(path, f"{what} the host path {normal}: only admins may give a workload host paths ({hint})")
    ]


def volume_driver(
    driver: str, options: Mapping[str, str], path: Path, what: str, allowed: Sequence[str]
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
        return host_path(device, (*path, "device"), allowed, f"{what} binds")
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
    name: str,
    driver: str,
    options: Mapping[str, str],
    source_path: Path,
    options_path: Path,
    facts: Facts,
    allowed: Sequence[str],
) -> list[Violation]:
    """A volume a mount names: an existing one is used as it was made (refused at the mount's
    source), a new one is made with ``driver`` and ``options`` (refused at the options)."""
    existing = facts.volumes.get(name) if name else None
    if existing is not None:
        found = volume_driver(existing[0], existing[1], (), f"the existing volume {name}", allowed)
        return [Violation(source_path, v.message) for v in found]
    return volume_driver(driver, options, options_path, f"volume {name or '(anonymous)'}", allowed)


def mount(entry: Mapping[str, Any], path: Path, facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """One entry of ``Mounts`` (containers and services share the shape)."""
    kind = entry.get("Type") or "volume"
    source = str(entry.get("Source") or "")
    if kind == "bind":
        found = host_path(source, (*path, "Source"), allowed)
        propagation = (entry.get("BindOptions") or {}).get("Propagation") or ""
        if propagation in ("shared", "rshared"):
            found.append(
                Violation(
                    (*path, "BindOptions", "Propagation"),
                    f"propagation {propagation} passes mounts back to the host",
                )
            )
        return found
    if kind == "volume":
        config = (entry.get("VolumeOptions") or {}).get("DriverConfig") or {}
        return _named_volume(
            source,
            config.get("Name") or "",
            config.get("Options") or {},
            (*path, "Source"),
            (*path, "VolumeOptions", "DriverConfig", "Options"),
            facts,
            allowed,
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


def bind_spec(spec: str, driver: str, path: Path, facts: Facts, allowed: Sequence[str]) -> list[Violation]:
    """One ``Binds`` entry: ``SOURCE:TARGET[:MODE]``; an absolute source is a host path,
    anything else a named volume."""
    parts = str(spec).split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        return [Violation(path, f"{spec!r} is not SOURCE:TARGET[:MODE]")]
    source = parts[0]
    if source.startswith("/"):
        return host_path(source, path, allowed)
    if not _VOLUME_NAME.match(source):
        return [Violation(path, f"{source!r} is neither a volume name nor an absolute host path")]
    return _named_volume(source, driver, {}, path, path, facts, allowed)
