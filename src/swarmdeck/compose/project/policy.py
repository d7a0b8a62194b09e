"""The workload policy on a compose project (``compose up``): refusals at the compose keys.

The rules are ``swarmdeck.engine.policy``'s, applied to the container create bodies
``containers.container_spec`` makes (one replica per service: the others differ only in
names) and to the networks and volumes ``up`` would create; this module finds where in the
compose file each refused value was written. ``up`` runs it before it creates anything.
"""

from __future__ import annotations

from typing import Any

from docker.api import APIClient

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.project import names
from swarmdeck.compose.project.containers import container_spec
from swarmdeck.compose.project.plan import ProjectPlan, ServicePlan
from swarmdeck.engine.policy import Facts, Violation, WorkloadPolicy

HEADLINE = "refused by the workload policy:"
# HostConfig keys and the service keys they come from (containers._host_config).
_HOST_KEYS = {
    "Privileged": "privileged",
    "CapAdd": "cap_add",
    "Devices": "devices",
    "SecurityOpt": "security_opt",
    "PidMode": "pid",
    "IpcMode": "ipc",
    "UsernsMode": "userns_mode",
    "CgroupParent": "cgroup_parent",
    "OomScoreAdj": "oom_score_adj",
    "Sysctls": "sysctls",
    "CgroupnsMode": "cgroupns_mode",
}


def container_body(plan: ProjectPlan, service: ServicePlan, api: APIClient) -> dict[str, Any]:
    """The ``/containers/create`` body of the service's first replica, every network it joins
    in ``NetworkingConfig`` (``up`` connects the others right after the create)."""
    spec = container_spec(plan, service, 1, "", api)
    endpoints = dict((spec.create.get("networking_config") or {}).get("EndpointsConfig") or {})
    endpoints.update({network: {} for network, _ in spec.connect})
    return {
        "Labels": spec.create.get("labels"),
        "HostConfig": spec.create["host_config"],
        "NetworkingConfig": {"EndpointsConfig": endpoints},
    }


def _storage_problem(service: ServicePlan, v: Violation, kind: str, index: int) -> Problem:
    """A ``Binds`` or ``Mounts`` entry: binds come from the ``bind`` volumes then the file
    secrets and configs, mounts from the other volumes (containers._storage)."""
    s = service.service
    here = ["services", service.name]
    volumes = list(enumerate(s.volumes or []))
    chosen = [(i, vol) for i, vol in volumes if (vol.type == "bind") == (kind == "Binds")]
    if index < len(chosen):
        i, volume = chosen[index]
        return Problem.at(volume.loc, [*here, "volumes", i], v.message)
    files = [
        (section, i, ref)
        for section in ("secrets", "configs")
        for i, ref in enumerate(getattr(s, section) or [])
    ]
    offset = index - len(chosen)
    if kind == "Binds" and offset < len(files):
        section, i, ref = files[offset]
        return Problem.at(
            ref.loc, [*here, section, i], v.message + " (a file secret or config is bound from the host)"
        )
    return Problem.at(s.loc, here, v.message)


def service_problem(plan: ProjectPlan, service: ServicePlan, v: Violation) -> Problem:
    s = service.service
    here = ["services", service.name]
    path = v.path
    if path[:1] == ("Labels",) and len(path) > 1:
        return Problem.at(s.entry_loc("labels", str(path[1])), [*here, "labels", str(path[1])], v.message)
    if path[:1] == ("HostConfig",) and len(path) > 1:
        field = str(path[1])
        if field in ("Binds", "Mounts") and len(path) > 2 and isinstance(path[2], int):
            return _storage_problem(service, v, field, path[2])
        if field == "Sysctls" and len(path) > 2:
            return Problem.at(
                s.entry_loc("sysctls", str(path[2])), [*here, "sysctls", str(path[2])], v.message
            )
        if field in _HOST_KEYS:
            key = _HOST_KEYS[field]
            return Problem.at(s.key_loc(key), [*here, key], v.message)
    network = None
    if path[:2] == ("NetworkingConfig", "EndpointsConfig") and len(path) > 2:
        network = str(path[2])
    elif path[:2] == ("HostConfig", "NetworkMode"):
        network = plan.networks[service.networks[0][0]].name  # the primary network
    if network is not None:
        for key, _ in service.networks:
            if plan.networks[key].name == network and s.networks:
                return Problem.at(
                    s.entry_loc("networks", key),
                    [*here, "networks", key],
                    f"{v.message} (networks.{key} is the network {network})",
                )
    return Problem.at(s.loc, here, v.message)


def check(policy: WorkloadPolicy, plan: ProjectPlan, api: APIClient, facts: Facts) -> None:
    """Raise one ``ComposeError`` listing every refusal in the project's containers, networks
    and volumes."""
    problems = [
        service_problem(plan, service, v)
        for service in plan.services
        for v in policy.container(container_body(plan, service, api), facts)
    ]
    for key, net in plan.networks.items():
        if net.external:
            continue
        labels = {**(net.definition.labels or {}), names.PROJECT: plan.name}
        problems += [
            Problem.at(net.definition.loc, ["networks", key], v.message)
            for v in policy.network({"Name": net.name, "Labels": labels})
        ]
    for key, vol in plan.volumes.items():
        if vol.external:
            continue
        d = vol.definition
        body = {
            "Name": vol.name,
            "Driver": d.driver or "local",
            "DriverOpts": d.driver_opts or {},
            "Labels": {**(d.labels or {}), names.PROJECT: plan.name},
        }
        for v in policy.volume(body):
            field = {"DriverOpts": "driver_opts", "Labels": "labels"}.get(str(v.path[0]), "driver")
            entry = str(v.path[1]) if len(v.path) > 1 else None
            if entry is not None and entry in (getattr(d, field, None) or {}):
                loc, where = d.entry_loc(field, entry), ["volumes", key, field, entry]
            else:
                loc, where = d.key_loc(field), ["volumes", key, field]
            problems.append(Problem.at(loc, where, v.message))
    if problems:
        # one problem per key: a primary network is both NetworkMode and an endpoint
        raise ComposeError(sorted(dict.fromkeys(problems), key=Problem.sort_key), HEADLINE)
