"""A compose service as the ``/services/create`` body ``docker stack deploy`` sends.

Follows docker/cli ``convert.Service`` (v28): the container spec, resources, restart policy,
placement, endpoint, networks, mounts, healthcheck, capabilities and the secret and config
references (by name here; ``plan`` fills in their IDs once the objects are known), with the
CLI's defaults and sort orders. The image is left as written (``convert.tagged`` and
``convert.with_digest`` normalise it when the plan resolves it).
"""

from __future__ import annotations

import re
from typing import Any

from swarmdeck.compose.models import Project, Service, ServiceVolume
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.wire import (
    DEFAULT_NETWORK,
    LABEL_IMAGE,
    compact_body,
    or_none,
    scope,
    stack_labels,
    user_defined_network,
)


def _mode(service: Service) -> dict[str, Any]:
    deploy = service.deploy
    mode = (deploy.mode if deploy else None) or ""
    replicas = deploy.replicas if deploy else None
    if mode in ("", "replicated"):
        return {"Replicated": compact_body({"Replicas": replicas})}
    if mode == "replicated-job":
        return {"ReplicatedJob": compact_body({"MaxConcurrent": replicas, "TotalCompletions": replicas})}
    return {"Global": {}} if mode == "global" else {"GlobalJob": {}}


def _update_config(source: Any) -> dict[str, Any] | None:
    if source is None:
        return None
    return compact_body(
        {
            "Parallelism": 1 if source.parallelism is None else source.parallelism,
            "Delay": or_none(source.delay),
            "FailureAction": or_none(source.failure_action),
            "Monitor": or_none(source.monitor),
            "MaxFailureRatio": source.max_failure_ratio or 0,
            "Order": source.order or "",
        }
    )


def _restart_policy(service: Service) -> dict[str, Any] | None:
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        return compact_body(
            {
                "Condition": or_none(policy.condition),
                "Delay": policy.delay,
                "MaxAttempts": policy.max_attempts,
                "Window": policy.window,
            }
        )
    restart = service.restart or ""
    name, colon, count = restart.partition(":")
    if colon and not name:
        raise StackError("invalid restart policy format: no policy provided before colon")
    attempts = 0
    if count:
        if not re.fullmatch(r"[+-]?\d+", count):
            raise StackError("invalid restart policy format: maximum retry count must be an integer")
        attempts = int(count)
    if name in ("", "no"):
        return None
    if name in ("always", "unless-stopped"):
        return {"Condition": "any"}
    if name == "on-failure":
        return {"Condition": "on-failure", "MaxAttempts": attempts}
    raise StackError(f"unknown restart policy: {restart}")


def _resources(service: Service) -> dict[str, Any]:
    resources = service.deploy.resources if service.deploy else None
    result: dict[str, Any] = {}
    if resources is None:
        return result
    if resources.limits is not None:
        limits = resources.limits
        result["Limits"] = compact_body(
            {
                "NanoCPUs": or_none(limits.nano_cpus),
                "MemoryBytes": or_none(limits.memory_bytes),
                "Pids": or_none(limits.pids),
            }
        )
    if resources.reservations is not None:
        reservations = resources.reservations
        generic = []
        for item in reservations.generic_resources or []:
            spec = item.discrete_resource_spec
            generic.append(
                {}
                if spec is None
                else {
                    "DiscreteResourceSpec": compact_body(
                        {"Kind": or_none(spec.kind), "Value": or_none(spec.value)}
                    )
                }
            )
        result["Reservations"] = compact_body(
            {
                "NanoCPUs": or_none(reservations.nano_cpus),
                "MemoryBytes": or_none(reservations.memory_bytes),
                "GenericResources": generic or None,
            }
        )
    return result


def _placement(service: Service) -> dict[str, Any]:
    placement = service.deploy.placement if service.deploy else None
    if placement is None:
        return {}
    return compact_body(
        {
            "Constraints": or_none(placement.constraints),
            "Preferences": or_none(
                [{"Spread": {"SpreadDescriptor": p.spread or ""}} for p in placement.preferences or []]
            ),
            "MaxReplicas": or_none(placement.max_replicas_per_node),
        }
    )


def _endpoint_spec(service: Service) -> dict[str, Any]:
    mode = (service.deploy.endpoint_mode if service.deploy else None) or ""
    ports = [
        compact_body(
            {
                "Protocol": or_none(p.protocol),
                "TargetPort": or_none(p.target),
                "PublishedPort": or_none(p.published),
                "PublishMode": or_none(p.mode),
            }
        )
        for p in service.ports or []
    ]
    ports.sort(key=lambda p: p.get("PublishedPort", 0))
    return compact_body({"Mode": or_none(mode.lower()), "Ports": or_none(ports)})


def _service_networks(namespace: str, name: str, service: Service, project: Project) -> list[dict[str, Any]]:
    result = []
    for key, options in (service.networks or {DEFAULT_NETWORK: None}).items():
        network = project.networks.get(key)
        target = (network.name if network else None) or scope(namespace, key)
        aliases = list(options.aliases or []) if options else []
        if user_defined_network(target):
            aliases.append(name)
        result.append(
            compact_body(
                {
                    "Target": target,
                    "Aliases": or_none(aliases),
                    "DriverOpts": or_none(options.driver_opts if options else None),
                }
            )
        )
    result.sort(key=lambda n: n["Target"])
    return result


def _mounts(namespace: str, service: Service, project: Project) -> list[dict[str, Any]]:
    return [_mount(namespace, volume, project) for volume in service.volumes or []]


def _mount(namespace: str, volume: ServiceVolume, project: Project) -> dict[str, Any]:
    mount: dict[str, Any] = {
        "Type": volume.type,
        "Source": or_none(volume.source),
        "Target": or_none(volume.target),
        "ReadOnly": or_none(volume.read_only),
        "Consistency": or_none(volume.consistency),
    }
    if volume.type == "volume" and volume.source:
        declared = project.volumes[volume.source]
        options: dict[str, Any] = {"NoCopy": or_none(volume.volume.nocopy if volume.volume else None)}
        mount["Source"] = declared.name or scope(namespace, volume.source)
        if not declared.external:
            options["Labels"] = stack_labels(namespace, declared.labels)
            if declared.driver or declared.driver_opts is not None:
                options["DriverConfig"] = compact_body(
                    {"Name": or_none(declared.driver), "Options": declared.driver_opts}
                )
        mount["VolumeOptions"] = options
    elif volume.type in ("bind", "npipe") and volume.bind is not None:
        mount["BindOptions"] = compact_body({"Propagation": or_none(volume.bind.propagation)})
    elif volume.type == "tmpfs" and volume.tmpfs is not None:
        mount["TmpfsOptions"] = compact_body({"SizeBytes": or_none(volume.tmpfs.size)})
    return compact_body(mount)


def _healthcheck(service: Service) -> dict[str, Any] | None:
    check = service.healthcheck
    if check is None:
        return None
    if check.disable:
        return {"Test": ["NONE"]}
    return compact_body(
        {
            "Test": or_none(check.test),
            "Interval": or_none(check.interval),
            "Timeout": or_none(check.timeout),
            "StartPeriod": or_none(check.start_period),
            "StartInterval": or_none(check.start_interval),
            "Retries": or_none(check.retries),
        }
    )


def _capability(name: str) -> str:
    name = name.strip().upper()
    if name in ("ALL", "RESET") or name.startswith("CAP_"):
        return name
    return f"CAP_{name}"


def capabilities(add: list[str] | None, drop: list[str] | None) -> tuple[list[str], list[str]]:
    """``opts.EffectiveCapAddCapDrop``: normalised, ALL wins, add beats drop, sorted."""
    adds = {_capability(c) for c in add or []}
    drops = {_capability(c) for c in drop or []}
    if "ALL" in adds:
        adds = {"ALL"}
    if "ALL" in drops:
        drops = {"ALL"}
    cap_drop = sorted(c for c in drops if c not in adds and c != "RESET")
    cap_add = sorted(c for c in adds if c != "RESET")
    return cap_add, cap_drop


def _hosts(extra_hosts: list[str] | None) -> list[str]:
    hosts = []
    for entry in extra_hosts or []:
        host, found, address = entry.partition(":")
        if found:
            if address.startswith("[") and address.endswith("]"):
                address = address[1:-1]
            hosts.append(f"{address} {host}")
    return hosts


def _file_references(namespace: str, service: Service, project: Project, kind: str) -> list[dict[str, Any]]:
    """Secret or config references (``SecretName``/``ConfigName``; IDs come later)."""
    declared = project.secrets if kind == "Secret" else project.configs
    result: list[dict[str, Any]] = []
    targets: set[str] = set()
    for reference in (service.secrets if kind == "Secret" else service.configs) or []:
        source = reference.source or ""
        obj = declared[source]
        name = obj.name or scope(namespace, source)
        target = reference.target or source
        if target in targets:
            raise StackError(f"duplicate {kind.lower()} target for {name} not allowed")
        targets.add(target)
        result.append(
            {
                "File": {
                    "Name": target,
                    "UID": reference.uid or "0",
                    "GID": reference.gid or "0",
                    "Mode": 0o444 if reference.mode is None else reference.mode,
                },
                f"{kind}ID": "",
                f"{kind}Name": name,
            }
        )
    if kind == "Config" and service.credential_spec and service.credential_spec.config:
        source = service.credential_spec.config
        credential = declared.get(source)
        name = (credential.name if credential else None) or scope(namespace, source)
        result.append({"Runtime": {}, "ConfigID": "", "ConfigName": name})
    result.sort(key=lambda r: r[f"{kind}Name"])
    return result


def _credential_spec(service: Service) -> dict[str, Any] | None:
    spec = service.credential_spec
    if spec is None or not (spec.config or spec.file or spec.registry):
        return None
    return {"Config": spec.config or "", "File": spec.file or "", "Registry": spec.registry or ""}


def _sorted_env(environment: dict[str, str | None] | None) -> list[str]:
    return sorted(k if v is None else f"{k}={v}" for k, v in (environment or {}).items())


def service_spec(namespace: str, key: str, service: Service, project: Project) -> dict[str, Any]:
    """``convert.Service``: the ``/services/create`` body (image not yet tag-normalised)."""
    cap_add, cap_drop = capabilities(service.cap_add, service.cap_drop)
    deploy = service.deploy
    dns = None
    if service.dns is not None or service.dns_search is not None:
        dns = compact_body({"Nameservers": or_none(service.dns), "Search": or_none(service.dns_search)})
    ulimits = sorted(
        ({"Name": name, "Hard": u.hard, "Soft": u.soft} for name, u in (service.ulimits or {}).items()),
        key=lambda u: str(u["Name"]),
    )
    container = {
        "Image": service.image or "",
        "Labels": stack_labels(namespace, service.labels),
        "Command": or_none(service.entrypoint),
        "Args": or_none(service.command),
        "Hostname": or_none(service.hostname),
        "Env": or_none(_sorted_env(service.environment)),
        "Dir": or_none(service.working_dir),
        "User": or_none(service.user),
        "Privileges": {
            "CredentialSpec": _credential_spec(service),
            "SELinuxContext": None,
            "NoNewPrivileges": False,
        },
        "Init": service.init,
        "StopSignal": or_none(service.stop_signal),
        "TTY": or_none(service.tty),
        "OpenStdin": or_none(service.stdin_open),
        "ReadOnly": or_none(service.read_only),
        "Mounts": or_none(_mounts(namespace, service, project)),
        "StopGracePeriod": service.stop_grace_period,
        "Healthcheck": _healthcheck(service),
        "Hosts": or_none(_hosts(service.extra_hosts)),
        "DNSConfig": dns,
        "Secrets": or_none(_file_references(namespace, service, project, "Secret")),
        "Configs": or_none(_file_references(namespace, service, project, "Config")),
        "Isolation": or_none(service.isolation),
        "Sysctls": or_none(service.sysctls),
        "CapabilityAdd": or_none(cap_add),
        "CapabilityDrop": or_none(cap_drop),
        "Ulimits": or_none(ulimits),
        "OomScoreAdj": or_none(service.oom_score_adj),
    }
    logging = None
    if service.logging is not None:
        logging = compact_body({"Name": service.logging.driver or "", "Options": service.logging.options})
    task = {
        "ContainerSpec": container,
        "Resources": _resources(service),
        "RestartPolicy": _restart_policy(service),
        "Placement": _placement(service),
        "Networks": _service_networks(namespace, key, service, project),
        "LogDriver": logging,
        "ForceUpdate": 0,
    }
    labels = stack_labels(namespace, deploy.labels if deploy else None)
    labels[LABEL_IMAGE] = service.image or ""
    spec = {
        "Name": scope(namespace, key),
        "Labels": labels,
        "TaskTemplate": task,
        "Mode": _mode(service),
        "UpdateConfig": _update_config(deploy.update_config if deploy else None),
        "RollbackConfig": _update_config(deploy.rollback_config if deploy else None),
        "EndpointSpec": _endpoint_spec(service),
    }
    return compact_body(spec)


def services(namespace: str, project: Project) -> dict[str, dict[str, Any]]:
    """Every service's body, by compose key (sorted)."""
    result = {}
    for key, service in sorted(project.services.items()):
        try:
            result[key] = service_spec(namespace, key, service, project)
        except StackError as exc:
            raise StackError(f"service {key}: {exc}") from None
    return result
