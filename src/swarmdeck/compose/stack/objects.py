"""The top-level objects of a stack as ``docker stack deploy`` creates them.

Follows docker/cli ``convert.Networks``, ``convert.Secrets`` and ``convert.Configs``: the
``/networks/create`` bodies of the networks some service uses (external ones only to check),
and the ``/secrets/create`` and ``/configs/create`` specs with their files' contents read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmdeck.compose.models import Project
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.wire import (
    DEFAULT_NETWORK,
    DEFAULT_NETWORK_DRIVER,
    compact_body,
    scope,
    stack_labels,
)


def used_networks(project: Project) -> list[str]:
    """The networks the services use (``default`` for a service without networks)."""
    used: dict[str, None] = {}
    for service in project.services.values():
        for name in service.networks or {DEFAULT_NETWORK: None}:
            used[name] = None
    return sorted(used)


@dataclass
class NetworkPlan:
    """Networks to create (name -> ``/networks/create`` body) and external ones to check."""

    create: dict[str, dict[str, Any]] = field(default_factory=dict)
    external: list[str] = field(default_factory=list)


def networks(namespace: str, project: Project) -> NetworkPlan:
    """``convert.Networks``: only networks some service uses."""
    result = NetworkPlan()
    for key in used_networks(project):
        network = project.networks.get(key)
        if network is not None and network.external:
            result.external.append(network.name or key)
            continue
        body: dict[str, Any] = {
            "CheckDuplicate": True,
            "Driver": (network.driver if network else None) or DEFAULT_NETWORK_DRIVER,
            "Scope": "swarm",
            "Internal": bool(network and network.internal),
            "Attachable": bool(network and network.attachable),
            "Options": (network.driver_opts if network else None) or {},
            "Labels": stack_labels(namespace, network.labels if network else None),
        }
        ipam = network.ipam if network else None
        if ipam is not None and (ipam.driver or ipam.config):
            body["IPAM"] = compact_body(
                {
                    "Driver": ipam.driver or "",
                    "Config": [{"Subnet": pool.subnet or ""} for pool in ipam.config or []] or None,
                }
            )
        name = (network.name if network else None) or scope(namespace, key)
        result.create[name] = body
    return result


@dataclass
class FileObject:
    """A secret or config to create (or update): its spec body."""

    kind: str  # "secret" or "config"
    name: str
    spec: dict[str, Any]


def _read(path: str, kind: str, key: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise StackError(f"{kind} {key}: open {path}: {exc.strerror or exc}") from None


def file_objects(namespace: str, project: Project) -> list[FileObject]:
    """``convert.Secrets`` then ``convert.Configs``; external ones are left out."""
    result = []
    for key, secret in sorted(project.secrets.items()):
        if secret.external:
            continue
        name = secret.name or scope(namespace, key)
        spec: dict[str, Any] = {"Name": name, "Labels": stack_labels(namespace, secret.labels)}
        if secret.driver:
            spec["Driver"] = compact_body({"Name": secret.driver, "Options": secret.driver_opts})
        else:
            spec["Data"] = _read(secret.file or "", "secret", key)
        if secret.template_driver:
            spec["Templating"] = {"Name": secret.template_driver}
        result.append(FileObject("secret", name, spec))
    for key, config in sorted(project.configs.items()):
        if config.external:
            continue
        name = config.name or scope(namespace, key)
        spec = {
            "Name": name,
            "Labels": stack_labels(namespace, config.labels),
            "Data": _read(config.file or "", "config", key),
        }
        if config.template_driver:
            spec["Templating"] = {"Name": config.template_driver}
        result.append(FileObject("config", name, spec))
    return result
