"""Compose file format versions 3.0-3.13: which one a file declares, and what it allows.

As in the docker CLI, the version is ``fmt.Sprint`` of the ``version`` value; a missing
version, ``""`` and ``"3"`` mean the latest, 3.13 (so does the float ``3.0``, which prints
as ``3``). Every file of one deployment must declare the same version. A key that came in
a later minor version than the file declares is refused, naming the version it needs (the
CLI validates against that version's JSON schema and only says "Additional property").

The gates below come from the format's history (docker/cli's schemas and the compose file
reference). ``group_add`` and a service network's ``driver_opts`` are in the 3.13 schema but
not in 3.11; 3.12 could not be checked, so they are allowed from 3.12. Keys whose first
version could not be established (``cgroupns_mode``, ``credential_spec.config``,
``generic_resources``) are accepted in every 3.x file.
"""

from __future__ import annotations

from typing import Any

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.gofmt import sprint
from swarmdeck.compose.located import LocDict, LocList, locate

LATEST = "3.13"
SUPPORTED = tuple(f"3.{minor}" for minor in range(14))

# (path pattern, minor version, what). Pattern parts: a key, "*" (any key), "x-*" (an
# extension key), "[]" (any list item) and "[]{}" (a list item written as a mapping).
_GATES: list[tuple[str, int, str]] = [
    ("secrets", 1, "secrets"),
    ("services.*.secrets", 1, "secrets"),
    ("services.*.ports.[]{}", 2, "the long port syntax"),
    ("services.*.volumes.[]{}", 2, "the long volume syntax"),
    ("services.*.build.cache_from", 2, "build.cache_from"),
    ("services.*.deploy.endpoint_mode", 2, "deploy.endpoint_mode"),
    ("networks.*.attachable", 2, "attachable"),
    ("configs", 3, "configs"),
    ("services.*.configs", 3, "configs"),
    ("services.*.credential_spec", 3, "credential_spec"),
    ("services.*.build.labels", 3, "build.labels"),
    ("services.*.deploy.placement.preferences", 3, "placement.preferences"),
    ("x-*", 4, "extension fields"),
    ("services.*.x-*", 4, "extension fields"),
    ("services.*.build.network", 4, "build.network"),
    ("services.*.build.target", 4, "build.target"),
    ("services.*.healthcheck.start_period", 4, "healthcheck.start_period"),
    ("services.*.deploy.update_config.order", 4, "update_config.order"),
    ("volumes.*.name", 4, "name"),
    ("services.*.isolation", 5, "isolation"),
    ("services.*.build.shm_size", 5, "build.shm_size"),
    ("networks.*.name", 5, "name"),
    ("secrets.*.name", 5, "name"),
    ("configs.*.name", 5, "name"),
    ("services.*.volumes.[].tmpfs", 6, "tmpfs options"),
    ("services.*.init", 7, "init"),
    ("services.*.deploy.rollback_config", 7, "deploy.rollback_config"),
    ("networks.*.x-*", 7, "extension fields"),
    ("volumes.*.x-*", 7, "extension fields"),
    ("secrets.*.x-*", 7, "extension fields"),
    ("configs.*.x-*", 7, "extension fields"),
    ("services.*.deploy.placement.max_replicas_per_node", 8, "placement.max_replicas_per_node"),
    ("secrets.*.driver", 8, "driver"),
    ("secrets.*.driver_opts", 8, "driver_opts"),
    ("secrets.*.template_driver", 8, "template_driver"),
    ("configs.*.template_driver", 8, "template_driver"),
    ("services.*.deploy.resources.limits.pids", 9, "resources.limits.pids"),
    ("services.*.group_add", 12, "group_add"),
    ("services.*.networks.*.driver_opts", 12, "driver_opts"),
    ("services.*.healthcheck.start_interval", 12, "healthcheck.start_interval"),
    ("services.*.oom_score_adj", 13, "oom_score_adj"),
]
_PATTERNS = [(pattern.split("."), minor, what) for pattern, minor, what in _GATES]


_DEFINITIONS = ("services", "networks", "volumes", "secrets", "configs")


def is_extension(path: list[str | int]) -> bool:
    """Whether ``path`` names an extension field (``x-*`` at the top or in a definition)."""
    key = path[-1]
    if not (isinstance(key, str) and key.startswith("x-")):
        return False
    return len(path) == 1 or (len(path) == 3 and path[0] in _DEFINITIONS)


def declared_version(data: LocDict) -> str:
    """The version a file declares, normalised as the CLI does (not yet checked)."""
    if "version" not in data:
        return LATEST
    text = sprint(data["version"])
    return LATEST if text in ("", "3") else text


def version_problem(data: LocDict, version: str) -> Problem | None:
    """A problem when the declared version is not one of 3.0-3.13."""
    if version in SUPPORTED:
        return None
    return Problem.at(locate(data, ["version"]), "version", f"unsupported Compose file version: {version}")


def minor(version: str) -> int:
    return int(version.split(".")[1])


def _matches(pattern: list[str], path: list[str | int], value: Any) -> bool:
    if len(pattern) != len(path):
        return False
    for i, (part, step) in enumerate(zip(pattern, path, strict=True)):
        if isinstance(step, int):
            if part == "[]" or (part == "[]{}" and i == len(path) - 1 and isinstance(value, dict)):
                continue
            return False
        if part == step or part == "*" or (part == "x-*" and step.startswith("x-")):
            continue
        return False
    return True


def gate_problems(data: LocDict, version: str) -> list[Problem]:
    """Keys the declared version does not have yet."""
    have = minor(version)
    problems: list[Problem] = []

    def walk(value: Any, path: list[str | int]) -> None:
        if isinstance(value, LocDict):
            children: list[tuple[str | int, Any]] = list(value.items())
        elif isinstance(value, LocList):
            children = list(enumerate(value))
        else:
            return
        for step, child in children:
            here = [*path, step]
            gated = False
            for pattern, need, what in _PATTERNS:
                if need > have and _matches(pattern, here, child):
                    problems.append(
                        Problem.at(
                            locate(data, here, key=isinstance(step, str)),
                            here,
                            f"{what} needs compose file version 3.{need} or later "
                            f"(the file declares version {version})",
                        )
                    )
                    gated = True
                    break
            if not gated and not is_extension(here):
                walk(child, here)

    walk(data, [])
    return problems
