"""The plan of a service update: which fields of the spec change (old -> new) and what the
swarm does to the running tasks because of it.

``plan(old, new)`` compares two specs as the engine stores them, leaf by leaf. Whether tasks
restart follows the swarm's orchestrator (swarmkit's ``IsTaskDirty``): a task is replaced when
the service's task template (``TaskTemplate``: container, resources, restart policy, networks,
log driver, a forced update) or its endpoint spec (published ports, endpoint mode) differs from
the task's; a change of the placement alone replaces only the tasks whose node no longer
meets it; the replica count, the service's labels and its update and rollback configs change
no task (a scale adds or stops tasks, the others keep running). Pure: no engine calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from typing_extensions import TypedDict

Restart = Literal["none", "placement", "all"]
_RANK = {"none": 0, "placement": 1, "all": 2}


class Change(TypedDict):
    """One field that changes: its place in the spec (``TaskTemplate.ContainerSpec.Env``),
    its values as JSON text ("" when absent) and what it does to the tasks."""

    field: str
    old: str
    new: str
    restart: Restart


class Plan(TypedDict):
    """The changes, and what the update does to the tasks: ``restart`` is the strongest of the
    changes' (``all`` replaces every task, ``placement`` those on nodes that no longer fit,
    ``none`` keeps them all), ``summary`` says it in words."""

    changes: list[Change]
    restart: Restart
    summary: str


def restart_of(path: tuple[str, ...]) -> Restart:
    """What a change at ``path`` in a service's spec does to its running tasks."""
    if path[:2] == ("TaskTemplate", "Placement"):
        return "placement"
    if path[:1] in (("TaskTemplate",), ("EndpointSpec",)):
        return "all"
    return "none"  # Name, Labels, Mode (replicas), UpdateConfig, RollbackConfig, Networks (old place)


def _leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The spec's leaves; a list is one leaf (its order matters to the engine)."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            yield from _leaves(inner, (*path, str(key)))
    else:
        yield path, value


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _summary(restart: Restart, changes: list[Change]) -> str:
    if not changes:
        return "nothing changes"
    return {
        "all": "tasks restart: every task is replaced, as the update config says",
        "placement": "tasks restart only on nodes that no longer meet the placement; the others keep running",
        "none": "no task restarts: the running tasks keep running",
    }[restart]


def plan(old: dict[str, Any], new: dict[str, Any]) -> Plan:
    """What updating a service from spec ``old`` to spec ``new`` changes."""
    before, after = dict(_leaves(old, ())), dict(_leaves(new, ()))
    changes: list[Change] = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a == b or (a in (None, {}, []) and b in (None, {}, [])):
            continue
        changes.append(Change(field=".".join(path), old=_text(a), new=_text(b), restart=restart_of(path)))
    restart: Restart = max((c["restart"] for c in changes), key=_RANK.__getitem__, default="none")
    return Plan(changes=changes, restart=restart, summary=_summary(restart, changes))
