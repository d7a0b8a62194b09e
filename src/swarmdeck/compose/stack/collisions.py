"""The stack's names against the objects outside it, found before the first change.

A stack network, secret or config that is not external is the stack's own: it is created
as ``<namespace>_<key>`` (or ``name:``) with the stack's label. When an object of that name
already exists *without* the label, ``docker stack deploy`` fails part-way (a network: the
engine refuses the duplicate name after earlier networks were made) or quietly takes it over
(a secret or config: it is relabelled as the stack's, and its content sent again, which the
engine refuses half-way through when the content differs). An external object the services
use must exist (the CLI notices a missing secret or config only when it reaches the first
service that uses it). Each of these is reported here at its compose key, with the engine's
(or the CLI's) words where it has some, so that the plan can refuse before anything changes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.located import Location
from swarmdeck.compose.models import Config, Project, Secret
from swarmdeck.compose.stack.objects import FileObject, used_networks
from swarmdeck.compose.stack.wire import (
    LABEL_NAMESPACE,
    scope,
    user_defined_network,
)


def _outside(labels: dict[str, str] | None, namespace: str) -> bool:
    return (labels or {}).get(LABEL_NAMESPACE) != namespace


def _owner(labels: dict[str, str] | None) -> str:
    stack = (labels or {}).get(LABEL_NAMESPACE)
    return f"stack {stack}" if stack else "no stack"


def _network_loc(project: Project, key: str) -> tuple[Location | None, list[str]]:
    """Where a used network is named: its ``name`` key, its entry under ``networks``, or
    (the undeclared ``default``) the first service that uses it."""
    network = project.networks.get(key)
    if network is not None:
        if network.name:
            return network.key_loc("name"), ["networks", key, "name"]
        return project.entry_loc("networks", key), ["networks", key]
    for service_key, service in project.services.items():
        if not service.networks or key in service.networks:
            return project.entry_loc("services", service_key), ["services", service_key]
    return None, ["networks", key]


def network_problems(project: Project, namespace: str, all_networks: list[dict[str, Any]]) -> list[Problem]:
    """Missing or local external networks, and stack networks whose name is taken."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for listed in all_networks:
        by_name.setdefault(listed["Name"], []).append(listed)
    problems = []
    for key in used_networks(project):
        network = project.networks.get(key)
        loc, path = _network_loc(project, key)
        if network is not None and network.external:
            name = network.name or key
            if not user_defined_network(name):
                continue
            found = by_name.get(name) or [n for n in all_networks if n["Id"].startswith(name)]
            if not found:
                message = (
                    f'network "{name}" is declared as external, but could not be found. You need '
                    "to create a swarm-scoped network before the stack is deployed"
                )
            elif found[0].get("Scope") != "swarm":
                message = (
                    f'network "{name}" is declared as external, but it is not in the right '
                    f'scope: "{found[0].get("Scope")}" instead of "swarm"'
                )
            else:
                continue
            problems.append(Problem.at(network.key_loc("external"), ["networks", key, "external"], message))
            continue
        name = (network.name if network else None) or scope(namespace, key)
        existing = by_name.get(name, [])
        if existing and all(_outside(n.get("Labels"), namespace) for n in existing):
            problems.append(
                Problem.at(
                    loc,
                    path,
                    f"network with name {name} already exists and belongs to "
                    f"{_owner(existing[0].get('Labels'))}, not to stack {namespace}: give the "
                    "stack's network another name, or declare it external",
                )
            )
    return problems


def _referenced(specs: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    """(kind, name) of every secret and config some service refers to."""
    used = set()
    for spec in specs:
        container = spec["TaskTemplate"]["ContainerSpec"]
        for kind in ("Secret", "Config"):
            for reference in container.get(f"{kind}s") or []:
                used.add((kind.lower(), reference[f"{kind}Name"]))
    return used


def object_problems(
    project: Project,
    namespace: str,
    objects: list[FileObject],
    specs: Iterable[dict[str, Any]],
    existing: dict[str, dict[str, dict[str, Any]]],
) -> list[Problem]:
    """Secrets and configs: the stack's own whose name is taken outside the stack, configs
    of the stack whose content changed, and missing external ones the services use.
    ``existing``: {"secret": {name: object}, "config": {...}} as the engine lists them."""
    problems = []
    definitions: dict[str, dict[str, Secret] | dict[str, Config]] = {
        "secret": project.secrets,
        "config": project.configs,
    }
    keys = {
        (kind, defined.name or scope(namespace, key)): key
        for kind, section in definitions.items()
        for key, defined in section.items()
        if not defined.external
    }
    for obj in objects:
        key = keys[(obj.kind, obj.name)]
        defined = definitions[obj.kind][key]
        found = existing[obj.kind].get(obj.name)
        if found is None:
            continue
        labels = found["Spec"].get("Labels")
        if _outside(labels, namespace):
            loc = defined.key_loc("name") if defined.name else project.entry_loc(f"{obj.kind}s", key)
            path = [f"{obj.kind}s", key, "name"] if defined.name else [f"{obj.kind}s", key]
            problems.append(
                Problem.at(
                    loc,
                    path,
                    f"{obj.kind} {obj.name} already exists and belongs to {_owner(labels)}, not to "
                    f"stack {namespace}: deploying would take it over. Give the stack's {obj.kind} "
                    "another name, or declare it external",
                )
            )
        elif (
            obj.kind == "config"
            and "Data" in obj.spec
            and base64.b64decode(found["Spec"].get("Data") or "") != obj.spec["Data"]
        ):
            problems.append(
                Problem.at(
                    defined.key_loc("file"),
                    ["configs", key, "file"],
                    f"failed to update config {obj.name}: only updates to Labels are allowed "
                    "(its content changed: give the new content a new name)",
                )
            )
    used = _referenced(specs)
    for kind, section in definitions.items():
        for key in sorted(section):
            declared = section[key]
            name = declared.name or key
            if declared.external and (kind, name) in used and name not in existing[kind]:
                problems.append(
                    Problem.at(
                        declared.key_loc("external"),
                        [f"{kind}s", key, "external"],
                        f"{kind} not found: {name}",
                    )
                )
    return problems
