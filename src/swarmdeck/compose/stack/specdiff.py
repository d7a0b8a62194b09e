"""Compare a converted service spec with the one the engine stores.

The engine fills in defaults (restart policy, update config, stop grace period, ...) and
stores network IDs where the request named networks. ``normalise`` brings both sides to
one form so that a deploy that changes nothing is seen as such (the CLI updates every
service every time; swarmdeck updates none). ``changes`` lists the dotted paths that
differ, for ``stack deploy --plan``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

SECOND = 1_000_000_000
_UPDATE_DEFAULTS = {
    "Parallelism": 1,
    "FailureAction": "pause",
    "Monitor": 5 * SECOND,
    "MaxFailureRatio": 0,
    "Order": "stop-first",
}


def _zero(value: Any) -> bool:
    return value is None or value == 0 or value == "" or value is False or value == [] or value == {}


def _drop_zeros(value: Any) -> Any:
    if isinstance(value, dict):
        return _drop_zero_members(value)
    if isinstance(value, list):
        return [_drop_zeros(v) for v in value]
    return value


def _drop_zero_members(body: dict[str, Any]) -> dict[str, Any]:
    """``_drop_zeros`` of one JSON object."""
    out = {k: _drop_zeros(v) for k, v in body.items()}
    return {k: v for k, v in out.items() if not _zero(v)}


def _defaults(target: dict[str, Any], defaults: dict[str, Any], zero: bool = False) -> None:
    """Set what is missing (or empty; or zero too when ``zero``) to the engine's default."""
    for key, value in defaults.items():
        if target.get(key) in (None, "") or (zero and _zero(target.get(key))):
            target[key] = copy.deepcopy(value)


# Fields the engine drops when the request's API version predates them.
_SINCE = [
    (("TaskTemplate", "ContainerSpec", "Healthcheck", "StartInterval"), (1, 44)),
    (("TaskTemplate", "ContainerSpec", "OomScoreAdj"), (1, 46)),
]


def _api(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _drop_newer(spec: dict[str, Any], api_version: str) -> None:
    for path, since in _SINCE:
        if _api(api_version) >= since:
            continue
        parent: Any = spec
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)


def normalise(
    spec: dict[str, Any], network_names: dict[str, str], api_version: str = "1.41"
) -> dict[str, Any]:
    """``spec`` as the engine stores it for a request of ``api_version``: defaults filled
    in, fields it does not know dropped, IDs replaced by names, zero values dropped."""
    spec = copy.deepcopy(spec)
    _drop_newer(spec, api_version)
    spec.pop("Networks", None)  # the deprecated top-level field: the engine moves it
    task = spec.setdefault("TaskTemplate", {})
    container = task.setdefault("ContainerSpec", {})
    _defaults(container, {"Isolation": "default", "StopGracePeriod": 10 * SECOND})
    for reference in container.get("Secrets") or []:
        reference.pop("SecretID", None)
    for reference in container.get("Configs") or []:
        reference.pop("ConfigID", None)
    # Their order means nothing to the engine, and the docker CLI's is not stable for one
    # object mounted twice (it sorts by name only): compared in one order.
    for key in ("Secrets", "Configs"):
        if container.get(key):
            container[key] = sorted(container[key], key=lambda r: json.dumps(r, sort_keys=True))
    privileges = container.get("Privileges") or {}
    if (privileges.get("CredentialSpec") or {}).get("Config"):
        privileges["CredentialSpec"]["Config"] = "<config>"
    if task.get("RestartPolicy") is None:
        task["RestartPolicy"] = {"Condition": "any", "Delay": 5 * SECOND, "MaxAttempts": 0}
    else:
        _defaults(task["RestartPolicy"], {"Condition": "any", "Delay": 5 * SECOND})
    _defaults(task, {"Runtime": "container"})
    for network in task.get("Networks") or []:
        network["Target"] = network_names.get(network.get("Target", ""), network.get("Target"))
    mode = spec.setdefault("Mode", {})
    if "Replicated" in mode:
        _defaults(mode["Replicated"], {"Replicas": 1})
    if "ReplicatedJob" in mode:
        _defaults(mode["ReplicatedJob"], {"MaxConcurrent": 1, "TotalCompletions": 1})
    for key in ("UpdateConfig", "RollbackConfig"):
        if spec.get(key) is None:
            spec[key] = dict(_UPDATE_DEFAULTS)
        else:
            _defaults(
                spec[key],
                {k: v for k, v in _UPDATE_DEFAULTS.items() if k in ("FailureAction", "Monitor", "Order")},
                zero=True,
            )
    if any(k in mode for k in ("ReplicatedJob", "GlobalJob")):
        spec.pop("UpdateConfig", None)
        spec.pop("RollbackConfig", None)
    endpoint = spec.setdefault("EndpointSpec", {})
    _defaults(endpoint, {"Mode": "vip"})
    for port in endpoint.get("Ports") or []:
        _defaults(port, {"Protocol": "tcp", "PublishMode": "ingress"})
    return _drop_zero_members(spec)


def changes(desired: Any, existing: Any, path: str = "") -> list[str]:
    """Dotted paths where two normalised specs differ (lists compared whole)."""
    if isinstance(desired, dict) and isinstance(existing, dict):
        out: list[str] = []
        for key in sorted(set(desired) | set(existing)):
            out += changes(desired.get(key), existing.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if desired == existing else [path or "(spec)"]
