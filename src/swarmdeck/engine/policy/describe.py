"""Workloads described for the audit log: the mounts, added capabilities and host access a
container or service asks for, in one line (``mounts: bind:/srv/x:/x; cap_add: NET_ADMIN``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from swarmdeck.engine.policy.namespaces import NAMESPACE_KEYS


def _mount_text(kind: str, source: str, target: str, read_only: bool) -> str:
    short = {"volume": "vol"}.get(kind, kind)
    text = f"{short}:{source}:{target}" if source else f"{short}:{target}"
    return text + (":ro" if read_only else "")


def _mounts_of(mounts: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        _mount_text(
            m.get("Type") or "volume",
            str(m.get("Source") or ""),
            str(m.get("Target") or ""),
            bool(m.get("ReadOnly")),
        )
        for m in mounts
    ]


def _summary(mounts: list[str], caps: list[str], host: list[str]) -> str:
    parts = []
    if mounts:
        parts.append("mounts: " + ", ".join(mounts))
    if caps:
        parts.append("cap_add: " + ", ".join(caps))
    if host:
        parts.append("host: " + ", ".join(host))
    return "; ".join(parts)


def describe_container(body: Mapping[str, Any]) -> str:
    """``mounts: vol:data:/data, bind:/srv/x:/x; cap_add: NET_ADMIN`` for the audit log (with
    the host namespaces, devices and privileges a container asks for, if any)."""
    host = body.get("HostConfig") or {}
    mounts = []
    for spec in host.get("Binds") or []:
        source, _, rest = str(spec).partition(":")
        target, _, mode = rest.partition(":")
        mounts.append(
            _mount_text(
                "bind" if source.startswith("/") else "volume", source, target, "ro" in mode.split(",")
            )
        )
    mounts += _mounts_of(host.get("Mounts") or [])
    extra = [
        f"{key}={host[key]}"
        for key in ("NetworkMode", *NAMESPACE_KEYS)
        if str(host.get(key) or "") == "host" or str(host.get(key) or "").startswith("container:")
    ]
    extra += ["privileged"] if host.get("Privileged") else []
    extra += [f"devices={len(host['Devices'])}"] if host.get("Devices") else []
    extra += [f"security_opt={','.join(host['SecurityOpt'])}"] if host.get("SecurityOpt") else []
    return _summary(mounts, list(host.get("CapAdd") or []), extra)


def describe_service(spec: Mapping[str, Any]) -> str:
    """The same for a service spec (its networks named when one of them is ``host``)."""
    task = spec.get("TaskTemplate") or {}
    container = task.get("ContainerSpec") or {}
    caps = [c.removeprefix("CAP_") for c in container.get("CapabilityAdd") or []]
    extra = [
        f"network={n.get('Target')}" for n in task.get("Networks") or [] if (n or {}).get("Target") == "host"
    ]
    return _summary(_mounts_of(container.get("Mounts") or []), caps, extra)
