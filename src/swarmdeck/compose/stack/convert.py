"""A loaded compose project -> Swarm API request bodies, exactly as ``docker stack deploy``.

Follows docker/cli ``cli/compose/convert`` (v28) and the moby client it calls: the same
names (``<ns>_<key>`` unless ``name:`` is set), labels (``com.docker.stack.namespace``
everywhere, ``com.docker.stack.image`` on services), defaults, sort orders and the same
JSON fields (Go's ``omitempty`` rules: see ``_compact``). Secret and config references
carry names here; their IDs are filled in by ``plan`` once the objects are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarmdeck.compose.models import Project, Service, ServiceVolume
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.engine import labels
from swarmdeck.engine import reference as imageref

LABEL_NAMESPACE = labels.STACK_NAMESPACE
LABEL_IMAGE = labels.STACK_IMAGE
DEFAULT_NETWORK = "default"
DEFAULT_NETWORK_DRIVER = "overlay"
_NOT_USER_DEFINED = ("default", "bridge", "host", "none")


def scope(namespace: str, name: str) -> str:
    return f"{namespace}_{name}"


def descope(namespace: str, name: str) -> str:
    return name.removeprefix(f"{namespace}_")


def stack_labels(namespace: str, labels: dict[str, str] | None) -> dict[str, str]:
    return {**(labels or {}), LABEL_NAMESPACE: namespace}


def user_defined_network(name: str) -> bool:
    """Docker's ``NetworkMode.IsUserDefined``: not a built-in mode."""
    return name not in _NOT_USER_DEFINED and not name.startswith("container:")


def _compact(value: Any) -> Any:
    """Drop ``None`` members: the JSON the Go client sends for ``omitempty`` fields."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _or_none(value: Any) -> Any:
    """Empty strings, lists, maps, zero and false become None (``omitempty``)."""
    return value or None


# --- images --------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-f0-9]{64}")  # an image ID
_DIGEST = re.compile(rf"@{imageref.DIGEST}$")
familiar = imageref.familiar  # ``reference.FamiliarString(ParseNormalizedNamed(image))``


def has_digest(image: str) -> bool:
    return _DIGEST.search(image) is not None


def has_tag(image: str) -> bool:
    name = _DIGEST.sub("", image)
    return ":" in name.rsplit("/", 1)[-1]


def tagged(image: str) -> str:
    """The moby client's ``imageWithTagString``: ``nginx`` -> ``nginx:latest``."""
    if _IDENTIFIER.fullmatch(image) or image.startswith("sha256:"):
        return image
    name = familiar(image)
    if has_digest(name) or has_tag(name):
        return name
    return f"{name}:latest"


def with_digest(image: str, digest: str) -> str:
    """``imageWithDigestString``: ``name:tag@digest`` for a reference without a digest."""
    return image if has_digest(image) else f"{tagged(image)}@{digest}"


# --- top-level objects -----------------------------------------------------------------


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
            body["IPAM"] = _compact(
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
            spec["Driver"] = _compact({"Name": secret.driver, "Options": secret.driver_opts})
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


# --- services ------------------------------------------------------------------------


def _mode(service: Service) -> dict[str, Any]:
    deploy = service.deploy
    mode = (deploy.mode if deploy else None) or ""
    replicas = deploy.replicas if deploy else None
    if mode in ("", "replicated"):
        return {"Replicated": _compact({"Replicas": replicas})}
    if mode == "replicated-job":
        return {"ReplicatedJob": _compact({"MaxConcurrent": replicas, "TotalCompletions": replicas})}
    return {"Global": {}} if mode == "global" else {"GlobalJob": {}}


def _update_config(source: Any) -> dict[str, Any] | None:
    if source is None:
        return None
    return _compact(
        {
            "Parallelism": 1 if source.parallelism is None else source.parallelism,
            "Delay": _or_none(source.delay),
            "FailureAction": _or_none(source.failure_action),
            "Monitor": _or_none(source.monitor),
            "MaxFailureRatio": source.max_failure_ratio or 0,
            "Order": source.order or "",
        }
    )


def _restart_policy(service: Service) -> dict[str, Any] | None:
    policy = service.deploy.restart_policy if service.deploy else None
    if policy is not None:
        return _compact(
            {
                "Condition": _or_none(policy.condition),
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
        result["Limits"] = _compact(
            {
                "NanoCPUs": _or_none(limits.nano_cpus),
                "MemoryBytes": _or_none(limits.memory_bytes),
                "Pids": _or_none(limits.pids),
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
                    "DiscreteResourceSpec": _compact(
                        {"Kind": _or_none(spec.kind), "Value": _or_none(spec.value)}
                    )
                }
            )
        result["Reservations"] = _compact(
            {
                "NanoCPUs": _or_none(reservations.nano_cpus),
                "MemoryBytes": _or_none(reservations.memory_bytes),
                "GenericResources": generic or None,
            }
        )
    return result


def _placement(service: Service) -> dict[str, Any]:
    placement = service.deploy.placement if service.deploy else None
    if placement is None:
        return {}
    return _compact(
        {
            "Constraints": _or_none(placement.constraints),
            "Preferences": _or_none(
                [{"Spread": {"SpreadDescriptor": p.spread or ""}} for p in placement.preferences or []]
            ),
            "MaxReplicas": _or_none(placement.max_replicas_per_node),
        }
    )


def _endpoint_spec(service: Service) -> dict[str, Any]:
    mode = (service.deploy.endpoint_mode if service.deploy else None) or ""
    ports = [
        _compact(
            {
                "Protocol": _or_none(p.protocol),
                "TargetPort": _or_none(p.target),
                "PublishedPort": _or_none(p.published),
                "PublishMode": _or_none(p.mode),
            }
        )
        for p in service.ports or []
    ]
    ports.sort(key=lambda p: p.get("PublishedPort", 0))
    return _compact({"Mode": _or_none(mode.lower()), "Ports": _or_none(ports)})


def _service_networks(namespace: str, name: str, service: Service, project: Project) -> list[dict[str, Any]]:
    result = []
    for key, options in (service.networks or {DEFAULT_NETWORK: None}).items():
        network = project.networks.get(key)
        target = (network.name if network else None) or scope(namespace, key)
        aliases = list(options.aliases or []) if options else []
        if user_defined_network(target):
            aliases.append(name)
        result.append(
            _compact(
                {
                    "Target": target,
                    "Aliases": _or_none(aliases),
                    "DriverOpts": _or_none(options.driver_opts if options else None),
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
        "Source": _or_none(volume.source),
        "Target": _or_none(volume.target),
        "ReadOnly": _or_none(volume.read_only),
        "Consistency": _or_none(volume.consistency),
    }
    if volume.type == "volume" and volume.source:
        declared = project.volumes[volume.source]
        options: dict[str, Any] = {"NoCopy": _or_none(volume.volume.nocopy if volume.volume else None)}
        mount["Source"] = declared.name or scope(namespace, volume.source)
        if not declared.external:
            options["Labels"] = stack_labels(namespace, declared.labels)
            if declared.driver or declared.driver_opts is not None:
                options["DriverConfig"] = _compact(
                    {"Name": _or_none(declared.driver), "Options": declared.driver_opts}
                )
        mount["VolumeOptions"] = options
    elif volume.type in ("bind", "npipe") and volume.bind is not None:
        mount["BindOptions"] = _compact({"Propagation": _or_none(volume.bind.propagation)})
    elif volume.type == "tmpfs" and volume.tmpfs is not None:
        mount["TmpfsOptions"] = _compact({"SizeBytes": _or_none(volume.tmpfs.size)})
    return _compact(mount)


def _healthcheck(service: Service) -> dict[str, Any] | None:
    check = service.healthcheck
    if check is None:
        return None
    if check.disable:
        return {"Test": ["NONE"]}
    return _compact(
        {
            "Test": _or_none(check.test),
            "Interval": _or_none(check.interval),
            "Timeout": _or_none(check.timeout),
            "StartPeriod": _or_none(check.start_period),
            "StartInterval": _or_none(check.start_interval),
            "Retries": _or_none(check.retries),
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
        dns = _compact({"Nameservers": _or_none(service.dns), "Search": _or_none(service.dns_search)})
    ulimits = sorted(
        ({"Name": name, "Hard": u.hard, "Soft": u.soft} for name, u in (service.ulimits or {}).items()),
        key=lambda u: str(u["Name"]),
    )
    container = {
        "Image": service.image or "",
        "Labels": stack_labels(namespace, service.labels),
        "Command": _or_none(service.entrypoint),
        "Args": _or_none(service.command),
        "Hostname": _or_none(service.hostname),
        "Env": _or_none(_sorted_env(service.environment)),
        "Dir": _or_none(service.working_dir),
        "User": _or_none(service.user),
        "Privileges": {
            "CredentialSpec": _credential_spec(service),
            "SELinuxContext": None,
            "NoNewPrivileges": False,
        },
        "Init": service.init,
        "StopSignal": _or_none(service.stop_signal),
        "TTY": _or_none(service.tty),
        "OpenStdin": _or_none(service.stdin_open),
        "ReadOnly": _or_none(service.read_only),
        "Mounts": _or_none(_mounts(namespace, service, project)),
        "StopGracePeriod": service.stop_grace_period,
        "Healthcheck": _healthcheck(service),
        "Hosts": _or_none(_hosts(service.extra_hosts)),
        "DNSConfig": dns,
        "Secrets": _or_none(_file_references(namespace, service, project, "Secret")),
        "Configs": _or_none(_file_references(namespace, service, project, "Config")),
        "Isolation": _or_none(service.isolation),
        "Sysctls": _or_none(service.sysctls),
        "CapabilityAdd": _or_none(cap_add),
        "CapabilityDrop": _or_none(cap_drop),
        "Ulimits": _or_none(ulimits),
        "OomScoreAdj": _or_none(service.oom_score_adj),
    }
    logging = None
    if service.logging is not None:
        logging = _compact({"Name": service.logging.driver or "", "Options": service.logging.options})
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
    return _compact(spec)


def services(namespace: str, project: Project) -> dict[str, dict[str, Any]]:
    """Every service's body, by compose key (sorted)."""
    result = {}
    for key, service in sorted(project.services.items()):
        try:
            result[key] = service_spec(namespace, key, service, project)
        except StackError as exc:
            raise StackError(f"service {key}: {exc}") from None
    return result
