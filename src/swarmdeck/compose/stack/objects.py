"""The top-level objects of a stack as ``docker stack deploy`` creates them.

Follows docker/cli ``convert.Networks``, ``convert.Secrets`` and ``convert.Configs``: the
``/networks/create`` bodies of the networks some service uses (external ones only to check),
and the ``/secrets/create`` and ``/configs/create`` specs with their files' contents read
(a file that cannot be read is refused at its ``file`` key, before anything is created).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.models import Config, Project, Secret
from swarmdeck.compose.stack.wire import (
    DEFAULT_NETWORK,
    DEFAULT_NETWORK_DRIVER,
    compact_body,
    scope,
    stack_labels,
)

FILES_HEADLINE = "the stack's secret and config files cannot be read"


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


def _read(definition: Secret | Config, kind: str, key: str, problems: list[Problem]) -> bytes:
    """The ``file`` of a secret or config; what cannot be read is a problem at that key."""
    path = definition.file or ""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = "is a directory" if Path(path).is_dir() else (exc.strerror or str(exc)).lower()
        problems.append(
            Problem.at(definition.key_loc("file"), [f"{kind}s", key, "file"], f"open {path}: {reason}")
        )
        return b""


def file_objects(namespace: str, project: Project) -> list[FileObject]:
    """``convert.Secrets`` then ``convert.Configs``; external ones are left out. Files that
    cannot be read (missing, a directory, no permission) are refused together, each at its
    ``file`` key: a ``ComposeError`` before anything is created."""
    result = []
    problems: list[Problem] = []
    for key, secret in sorted(project.secrets.items()):
        if secret.external:
            continue
        name = secret.name or scope(namespace, key)
        spec: dict[str, Any] = {"Name": name, "Labels": stack_labels(namespace, secret.labels)}
        if secret.driver:
            spec["Driver"] = compact_body({"Name": secret.driver, "Options": secret.driver_opts})
        else:
            spec["Data"] = _read(secret, "secret", key, problems)
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
            "Data": _read(config, "config", key, problems),
        }
        if config.template_driver:
            spec["Templating"] = {"Name": config.template_driver}
        result.append(FileObject("config", name, spec))
    if problems:
        raise ComposeError(problems, FILES_HEADLINE)
    return result
