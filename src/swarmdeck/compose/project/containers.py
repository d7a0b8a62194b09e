"""One service replica -> the Engine API's container create request, as Compose v2 builds it.

``container_spec(plan, service, number, image_id, api)`` gives the arguments of
``APIClient.create_container`` and the extra networks to connect before start (API 1.41
attaches one network at create time). Mapping, after Compose v2's ``create.go``:

* ``deploy.resources.limits`` cpus -> ``NanoCpus``, memory -> ``Memory``, pids -> ``PidsLimit``;
  ``reservations.memory`` -> ``MemoryReservation`` (CPU reservations only mean something to a
  swarm);
* restart policy: ``restart:`` (``no``, ``always``, ``on-failure[:N]``, ``unless-stopped``),
  overridden by ``deploy.restart_policy`` (``none``->no, ``any``->always, ``max_attempts``);
* ports published on all addresses (a published 0 is a random port); binds through
  ``Binds`` (a missing folder is created, as for Compose's short syntax), named, anonymous
  and tmpfs volumes through ``Mounts``; file secrets and configs as read-only binds;
* network aliases: the container name, the service name, then the configured aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docker.api import APIClient
from docker.types import LogConfig, Mount, Ulimit

from swarmdeck.compose.models import Service, ServiceNetwork, ServiceVolume
from swarmdeck.compose.project import names
from swarmdeck.compose.project.plan import ProjectPlan, ServicePlan

_RESTART_CONDITIONS = {
    "none": "no",
    "no": "no",
    "": "no",
    "on-failure": "on-failure",
    "unless-stopped": "unless-stopped",
    "any": "always",
    "always": "always",
}


@dataclass
class ContainerSpec:
    name: str
    create: dict[str, Any]  # keyword arguments of APIClient.create_container
    # (network, keyword arguments of connect_container_to_network)
    connect: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def labels(plan: ProjectPlan, service: ServicePlan, number: int, image_id: str) -> dict[str, str]:
    out = dict(service.service.labels or {})
    out.update(
        {
            names.PROJECT: plan.name,
            names.SERVICE: service.name,
            names.NUMBER: str(number),
            names.ONEOFF: "False",
            names.WORKING_DIR: plan.working_dir,
            names.CONFIG_FILES: ",".join(plan.config_files),
            names.CONFIG_HASH: service.config_hash,
            names.IMAGE: image_id,
            names.DEPENDS_ON: ",".join(
                f"{d}:service_started:false" for d in service.service.depends_on or []
            ),
            names.VERSION: names.tool_version(),
        }
    )
    return out


def restart_policy(service: Service) -> dict[str, Any]:
    name, retries = "no", 0
    if service.restart:
        condition, _, count = service.restart.partition(":")
        name = _RESTART_CONDITIONS.get(condition, condition)
        retries = int(count) if count.isdigit() else 0
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        condition = policy.condition or ""
        name = _RESTART_CONDITIONS.get(condition, condition)
        retries = policy.max_attempts or 0
    return {"Name": name, "MaximumRetryCount": retries}


def _resources(service: Service) -> dict[str, Any]:
    out: dict[str, Any] = {}
    resources = service.deploy.resources if service.deploy else None
    limits = resources.limits if resources else None
    if limits is not None:
        if limits.nano_cpus:
            out["nano_cpus"] = limits.nano_cpus
        if limits.memory_bytes:
            out["mem_limit"] = limits.memory_bytes
        if limits.pids:
            out["pids_limit"] = limits.pids
    reservations = resources.reservations if resources else None
    if reservations is not None and reservations.memory_bytes:
        out["mem_reservation"] = reservations.memory_bytes
    return out


def _port_bindings(service: Service) -> dict[str, list[Any]]:
    bindings: dict[str, list[Any]] = {}
    for port in service.ports or []:
        key = f"{port.target}/{port.protocol or 'tcp'}"
        bindings.setdefault(key, []).append(str(port.published) if port.published else None)
    return bindings


def _exposed(service: Service) -> list[Any]:
    exposed: list[Any] = [(port.target, port.protocol or "tcp") for port in service.ports or []]
    for item in service.expose or []:
        number, _, protocol = str(item).partition("/")
        exposed.append((int(number), protocol or "tcp") if number.isdigit() else str(item))
    return list(dict.fromkeys(exposed))


def _mount(plan: ProjectPlan, volume: ServiceVolume) -> Mount:
    if volume.type == "tmpfs":
        size = volume.tmpfs.size if volume.tmpfs else None
        # a missing target reaches the engine as "" (as null would), which refuses it
        return Mount(
            volume.target or "", None, type="tmpfs", read_only=bool(volume.read_only), tmpfs_size=size or None
        )
    source = plan.volumes[volume.source].name if volume.source else None
    return Mount(
        volume.target or "",
        source,
        type="volume",
        read_only=bool(volume.read_only),
        no_copy=bool(volume.volume and volume.volume.nocopy),
    )


def _storage(plan: ProjectPlan, service: ServicePlan) -> dict[str, Any]:
    binds, mounts = [], []
    for volume in service.service.volumes or []:
        if volume.type == "bind":
            mode = "ro" if volume.read_only else "rw"
            propagation = volume.bind.propagation if volume.bind else None
            binds.append(
                f"{volume.source}:{volume.target}:{mode}" + (f",{propagation}" if propagation else "")
            )
        else:
            mounts.append(_mount(plan, volume))
    binds += [f"{f.source}:{f.target}:ro" for f in service.files]
    return {"binds": binds or None, "mounts": mounts or None}


def _healthcheck(service: Service) -> dict[str, Any] | None:
    check = service.healthcheck
    if check is None:
        return None
    if check.disable:
        return {"test": ["NONE"]}
    out = {
        "test": check.test,
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "start_period": check.start_period,
    }
    return {k: v for k, v in out.items() if v is not None}


def _host_config(api: APIClient, plan: ProjectPlan, service: ServicePlan, primary: str) -> dict[str, Any]:
    s = service.service
    logging = (
        LogConfig(type=s.logging.driver or "json-file", config=s.logging.options or {}) if s.logging else None
    )
    ulimits = [Ulimit(name=k, soft=v.soft, hard=v.hard) for k, v in (s.ulimits or {}).items()]
    options: dict[str, Any] = {
        **_storage(plan, service),
        **_resources(s),
        "port_bindings": _port_bindings(s) or None,
        "restart_policy": restart_policy(s),
        "network_mode": primary,
        "init": s.init,
        "privileged": bool(s.privileged),
        "read_only": s.read_only,
        "cap_add": s.cap_add,
        "cap_drop": s.cap_drop,
        "dns": s.dns,
        "dns_search": s.dns_search,
        "extra_hosts": s.extra_hosts,
        "tmpfs": {path: "" for path in s.tmpfs or []} or None,
        "sysctls": s.sysctls,
        "ulimits": ulimits or None,
        "log_config": logging,
        "security_opt": s.security_opt,
        "shm_size": s.shm_size,
        "pid_mode": s.pid,
        "ipc_mode": s.ipc,
        "group_add": [str(g) for g in s.group_add or []] or None,
        "oom_score_adj": s.oom_score_adj,
        "userns_mode": s.userns_mode,
        "cgroup_parent": s.cgroup_parent,
        "devices": s.devices,
    }
    host: dict[str, Any] = api.create_host_config(**{k: v for k, v in options.items() if v is not None})
    return host


def _endpoint(name: str, service: ServicePlan, options: ServiceNetwork | None) -> dict[str, Any]:
    """Keyword arguments of create_endpoint_config / connect_container_to_network."""
    aliases = [name, service.name, *((options.aliases or []) if options else [])]
    out = {
        "aliases": list(dict.fromkeys(aliases)),
        "ipv4_address": options.ipv4_address if options else None,
        "ipv6_address": options.ipv6_address if options else None,
    }
    return {k: v for k, v in out.items() if v is not None}


def container_spec(
    plan: ProjectPlan, service: ServicePlan, number: int, image_id: str, api: APIClient
) -> ContainerSpec:
    s = service.service
    name = s.container_name or names.container_name(plan.name, service.name, number)
    networks = [(plan.networks[key].name, options) for key, options in service.networks]
    primary, primary_options = networks[0]
    env = [f"{k}={v}" for k, v in (s.environment or {}).items() if v is not None]
    create: dict[str, Any] = {
        "image": s.image,
        "command": s.command,
        "entrypoint": s.entrypoint,
        "environment": env,
        "labels": labels(plan, service, number, image_id),
        "hostname": s.hostname,
        "domainname": s.domainname,
        "user": s.user,
        "working_dir": s.working_dir,
        "tty": bool(s.tty),
        "stdin_open": bool(s.stdin_open),
        "stop_signal": s.stop_signal,
        "mac_address": s.mac_address,
        "detach": True,
        "ports": _exposed(s) or None,
        "healthcheck": _healthcheck(s),
        "stop_timeout": s.stop_grace_period // 1_000_000_000 if s.stop_grace_period is not None else None,
        "host_config": _host_config(api, plan, service, primary),
        "networking_config": api.create_networking_config(
            # the stub types the argument as one EndpointConfig; the SDK takes {network: config}
            {primary: api.create_endpoint_config(**_endpoint(name, service, primary_options))}  # type: ignore[arg-type]
        ),
    }
    connect = [(net, _endpoint(name, service, options)) for net, options in networks[1:]]
    return ContainerSpec(name, {k: v for k, v in create.items() if v is not None}, connect)
