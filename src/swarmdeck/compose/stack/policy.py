"""The workload policy on a stack: its refusals at the compose file's own keys and lines.

The rules are ``swarmdeck.engine.policy``'s, applied to the bodies ``convert`` makes (the
service specs and the networks to create), which are what the engine would receive. This
module only finds where in the compose file each refused value was written: a mount is the
service's ``volumes`` entry of the same index (or the top-level volume's ``driver_opts`` when
those are refused), a network attachment the service's ``networks`` entry, a capability
``cap_add``, and so on. What the engine does not receive (keys ``docker stack deploy``
ignores, such as ``privileged`` or ``network_mode``) needs no rule here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.models import Project, Service
from swarmdeck.compose.stack import convert
from swarmdeck.engine.policy import Facts, Violation, WorkloadPolicy

HEADLINE = "refused by the workload policy:"
_CONTAINER_KEYS = {
    "CapabilityAdd": "cap_add",
    "OomScoreAdj": "oom_score_adj",
    "Privileges": "credential_spec",
    "Isolation": "isolation",
}


def _network_key(namespace: str, service: Service, project: Project, target: str) -> str | None:
    """The service's compose network key whose engine network is ``target``."""
    for key in service.networks or {convert.DEFAULT_NETWORK: None}:
        network = project.networks.get(key)
        if ((network.name if network else None) or convert.scope(namespace, key)) == target:
            return key
    return None


def _mount_problem(
    project: Project, name: str, service: Service, v: Violation, rest: tuple[Any, ...]
) -> Problem:
    index = rest[1]
    volume = (service.volumes or [])[index]
    declared = project.volumes.get(volume.source or "") if volume.type == "volume" else None
    if "Labels" in rest and declared is not None and declared.labels:
        label = str(rest[-1])
        return Problem.at(
            declared.entry_loc("labels", label), ["volumes", volume.source or "", "labels", label], v.message
        )
    if "DriverConfig" in rest and declared is not None and declared.driver_opts:
        option = rest[-1] if rest[-1] in declared.driver_opts else None
        loc = declared.entry_loc("driver_opts", option) if option else declared.key_loc("driver_opts")
        path = ["volumes", volume.source or "", "driver_opts", *([option] if option else [])]
        return Problem.at(loc, path, f"{v.message} (used by services.{name}.volumes.{index})")
    return Problem.at(volume.loc, ["services", name, "volumes", index], v.message)


def service_problem(
    project: Project, namespace: str, name: str, spec: Mapping[str, Any], v: Violation
) -> Problem:
    """Where a violation in service ``name``'s spec was written."""
    service = project.services[name]
    here = ["services", name]
    path = v.path
    if path[:2] == ("TaskTemplate", "ContainerSpec") and len(path) > 2:
        rest = path[2:]
        field = rest[0]
        if field == "Mounts" and len(rest) > 1:
            return _mount_problem(project, name, service, v, rest)
        if field in ("Sysctls", "Labels") and len(rest) > 1:
            key = field.lower()
            return Problem.at(service.entry_loc(key, str(rest[1])), [*here, key, str(rest[1])], v.message)
        if field in _CONTAINER_KEYS:
            key = _CONTAINER_KEYS[field]
            return Problem.at(service.key_loc(key), [*here, key], v.message)
    if path[:2] == ("TaskTemplate", "Networks") and len(path) > 2:
        target = spec["TaskTemplate"]["Networks"][path[2]]["Target"]
        network_key = _network_key(namespace, service, project, target)
        if network_key is not None:
            declared = project.networks.get(network_key)
            where = (
                f" (networks.{network_key} is the network {declared.name})"
                if declared and declared.name
                else ""
            )
            loc = service.entry_loc("networks", network_key) if service.networks else service.loc
            return Problem.at(loc, [*here, "networks", network_key], v.message + where)
    if path[:1] == ("Labels",) and len(path) > 1 and service.deploy is not None:
        label = str(path[1])
        return Problem.at(
            service.deploy.entry_loc("labels", label), [*here, "deploy", "labels", label], v.message
        )
    return Problem.at(service.loc, here, v.message)


def network_problem(project: Project, namespace: str, name: str, v: Violation) -> Problem:
    """Where a violation in the body of network ``name`` (to create) was written."""
    for key, network in project.networks.items():
        if (network.name or convert.scope(namespace, key)) == name:
            if v.path[:1] == ("Labels",) and len(v.path) > 1:
                label = str(v.path[1])
                return Problem.at(
                    network.entry_loc("labels", label), ["networks", key, "labels", label], v.message
                )
            return Problem.at(network.loc, ["networks", key], v.message)
    return Problem(f"network {name}: {v.message}", path=f"networks.{name}")


def check(
    policy: WorkloadPolicy,
    project: Project,
    namespace: str,
    specs: Mapping[str, Mapping[str, Any]],
    networks: Mapping[str, Mapping[str, Any]],
    facts: Facts,
) -> None:
    """Raise one ``ComposeError`` listing every refusal (``specs``: by compose service key;
    ``networks``: the networks to create, by name)."""
    problems = [
        service_problem(project, namespace, key, spec, v)
        for key, spec in specs.items()
        for v in policy.service(spec, facts)
    ]
    problems += [
        network_problem(project, namespace, name, v)
        for name, body in networks.items()
        for v in policy.network(body)
    ]
    if problems:
        # one problem per key: a primary network is both NetworkMode and an endpoint
        raise ComposeError(sorted(dict.fromkeys(problems), key=Problem.sort_key), HEADLINE)
