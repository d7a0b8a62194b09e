"""What a loaded compose project means on one engine, as Compose v2 reads it — no engine needed.

``plan_project(result, name)`` turns the loader's model into a ``ProjectPlan``: the networks
and volumes with their engine names, the services in start order (``depends_on``), each with
its replica count and config hash, and the warnings ``compose up`` prints. Everything that
would make ``up`` fail half-way for a reason known in advance (an external secret, a
dependency cycle, ``container_name`` with several replicas) is refused here.

The loader reads files with ``docker stack deploy``'s rules; its swarm-only warnings
("Ignoring unsupported options: restart", …) are replaced by this back end's own.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from swarmdeck.compose import ComposeError, LoadResult, Problem, load
from swarmdeck.compose.envfile import EnvFileError, parse_env_file
from swarmdeck.compose.models import Network, Project, Service, ServiceNetwork, Volume
from swarmdeck.compose.project import names
from swarmdeck.compose.project.errors import ProjectError

# Service keys this back end applies to containers; any other key that is set is warned about.
SUPPORTED_KEYS = frozenset(
    {
        "cap_add",
        "cap_drop",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "depends_on",
        "deploy",
        "devices",
        "dns",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extra_hosts",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "labels",
        "logging",
        "mac_address",
        "networks",
        "oom_score_adj",
        "pid",
        "ports",
        "privileged",
        "read_only",
        "restart",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "user",
        "userns_mode",
        "volumes",
        "working_dir",
    }
)
# deploy keys Compose v2 applies to containers; the rest only mean something to a swarm.
_DEPLOY_HONOURED = frozenset({"replicas", "resources", "restart_policy"})
_STACK_ONLY_WARNINGS = ("Ignoring unsupported options:", "Ignoring deprecated options:")
DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class NetworkPlan:
    key: str
    name: str
    definition: Network

    @property
    def external(self) -> bool:
        return bool(self.definition.external)


@dataclass(frozen=True)
class VolumePlan:
    key: str
    name: str
    definition: Volume

    @property
    def external(self) -> bool:
        return bool(self.definition.external)


@dataclass(frozen=True)
class FileMount:
    """A file-based secret or config, bind-mounted read-only as Compose does."""

    source: str
    target: str


@dataclass
class ServicePlan:
    name: str
    service: Service
    replicas: int
    config_hash: str
    networks: list[tuple[str, ServiceNetwork | None]]  # (network key, options), primary first
    files: list[FileMount] = field(default_factory=list)

    @property
    def image(self) -> str:
        assert self.service.image  # the loader refuses a service without one
        return self.service.image


@dataclass
class ProjectPlan:
    name: str
    working_dir: str
    config_files: list[str]
    networks: dict[str, NetworkPlan]
    volumes: dict[str, VolumePlan]
    services: list[ServicePlan]  # in start order
    warnings: list[str] = field(default_factory=list)

    def service(self, name: str) -> ServicePlan:
        return next(s for s in self.services if s.name == name)


def default_files(directory: str) -> list[str]:
    """Compose's default file, looked for in ``directory`` (the first that exists)."""
    for candidate in DEFAULT_FILES:
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return [path]
    raise ProjectError(
        f"no configuration file provided: none of {', '.join(DEFAULT_FILES)} in {directory}; use -f FILE"
    )


def project_env(project_dir: str, env: Mapping[str, str]) -> dict[str, str]:
    """The interpolation variables: ``env`` over the project folder's ``.env`` (as Compose)."""
    dotenv = Path(project_dir, ".env")
    if not dotenv.is_file():
        return dict(env)
    try:
        pairs = parse_env_file(dotenv, env)
    except EnvFileError as exc:
        raise ComposeError(Problem(str(exc), str(dotenv))) from None
    return {**dict(pairs), **env}


def load_plan(
    files: Sequence[str],
    env: Mapping[str, str],
    name: str | None = None,
    scale: Mapping[str, int] | None = None,
) -> ProjectPlan:
    """Load compose files (``.env`` of the first file's folder included) and plan them."""
    project_dir = os.path.dirname(os.path.abspath(files[0])) if files else os.getcwd()
    result = load(list(files), project_env(project_dir, env))
    return plan_project(result, names.project_name(name, result.working_dir), scale)


def project_name_of(files: Sequence[str], name: str | None) -> str:
    """The project's name as ``load_plan`` gives it, without reading the files.

    ``ps``, ``logs`` and ``down`` act on the containers and networks that carry the
    project's label, as Compose does: what ``up`` would need of the files now (their
    replicas, ports, secrets) is not theirs to check, so a project started with
    ``--scale`` can be listed and removed."""
    if name is not None:
        return names.project_name(name, "")
    project_dir = os.path.dirname(os.path.abspath(files[0])) if files else os.getcwd()
    return names.project_name(None, project_dir)


def config_hash(service: Service) -> str:
    """Compose's ``ServiceHash``: the service's config without build and replicas, hashed."""
    data = service.model_dump(mode="json", exclude_none=True)
    data.pop("build", None)
    data.get("deploy", {}).pop("replicas", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def plan_project(result: LoadResult, name: str, scale: Mapping[str, int] | None = None) -> ProjectPlan:
    """The plan of a loaded project; ``scale`` overrides replica counts (``up --scale``)."""
    project = result.project
    scale = dict(scale or {})
    unknown = sorted(set(scale) - set(project.services))
    if unknown:
        raise ProjectError(f"no such service: {', '.join(unknown)}")
    warnings = [w for w in result.warnings if not w.startswith(_STACK_ONLY_WARNINGS)]
    order = start_order(project.services)
    services = [_service_plan(project, key, project.services[key], scale.get(key)) for key in order]

    used = {key for plan in services for key, _ in plan.networks}
    networks = {
        key: NetworkPlan(key, _object_name(name, key, net), net) for key, net in project.networks.items()
    }
    if "default" in used and "default" not in networks:
        networks["default"] = NetworkPlan("default", f"{name}_default", Network())
    volumes = {
        key: VolumePlan(key, _object_name(name, key, vol), vol) for key, vol in project.volumes.items()
    }

    warnings += _key_warnings(project.services)
    return ProjectPlan(
        name,
        result.working_dir,
        [os.path.abspath(f) for f in result.files],
        networks,
        volumes,
        services,
        warnings,
    )


def _object_name(project: str, key: str, definition: Network | Volume) -> str:
    if definition.external:
        return definition.name or key
    return names.scoped_name(project, key, definition.name)


def start_order(services: Mapping[str, Service]) -> list[str]:
    """Services sorted so that each comes after what it ``depends_on`` (stable by name)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(key: str, path: list[str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            cycle = " -> ".join([*path[path.index(key) :], key])
            raise ProjectError(f"dependency cycle detected: {cycle}")
        state[key] = "visiting"
        service = services[key]
        for dep in sorted(service.depends_on or []):
            if dep not in services:
                raise ComposeError(
                    Problem.at(
                        service.entry_loc("depends_on", dep),
                        ["services", key, "depends_on"],
                        f'service "{key}" depends on undefined service "{dep}"',
                    )
                )
            visit(dep, [*path, key])
        state[key] = "done"
        order.append(key)

    for key in sorted(services):
        visit(key, [])
    return order


def _replicas(key: str, service: Service, scale: int | None) -> int:
    """``deploy.replicas`` (a global service runs once on one engine), or ``--scale``.

    Several replicas cannot share a fixed host port on one engine: Compose v2 finds out when
    the second container fails to start; here it is refused before anything is created.
    """
    deploy = service.deploy
    replicas = 1 if deploy is None or deploy.replicas is None else deploy.replicas
    if deploy is not None and deploy.mode in ("global", "global-job"):
        replicas = 1
    if scale is not None:
        replicas = scale
    if service.container_name and replicas > 1:
        raise ComposeError(
            Problem.at(
                service.key_loc("container_name"),
                ["services", key, "container_name"],
                f"services.{key}: can't set container_name and {key} as container name must be unique",
            )
        )
    fixed = [port for port in service.ports or [] if port.published]
    if replicas > 1 and fixed:
        raise ComposeError(
            Problem.at(
                fixed[0].loc or service.key_loc("ports"),
                ["services", key, "ports"],
                f"{replicas} replicas of {key} cannot all publish host port {fixed[0].published} on "
                f"one engine: use --scale {key}=1, or publish without a host port "
                f'("{fixed[0].target}") so that the engine picks one per replica',
            )
        )
    return replicas


def _service_plan(project: Project, key: str, service: Service, scale: int | None) -> ServicePlan:
    networks = service.networks or {"default": None}
    # Compose v2 attaches networks by priority, then name; 3.x files have no priority.
    ordered = sorted(networks.items())
    return ServicePlan(
        key,
        service,
        _replicas(key, service, scale),
        config_hash(service),
        ordered,
        _file_mounts(project, key, service),
    )


def _file_mounts(project: Project, key: str, service: Service) -> list[FileMount]:
    """Secrets under /run/secrets/, configs at /<name>, bound from their files (Compose v2)."""
    mounts = []
    for section, base in (("secrets", "/run/secrets/"), ("configs", "/")):
        declared = getattr(project, section)
        for index, ref in enumerate(getattr(service, section) or []):
            definition = declared[ref.source]
            if not definition.file:
                how = "external" if definition.external else "driver-based"
                raise ComposeError(
                    Problem.at(
                        ref.loc,
                        ["services", key, section, index],
                        f"unsupported {how} {section[:-1]} {definition.name or ref.source}: "
                        "only file-based ones can be used without a swarm",
                    )
                )
            target = ref.target or ref.source
            mounts.append(FileMount(definition.file, target if target.startswith("/") else base + target))
    return mounts


def _key_warnings(services: Mapping[str, Service]) -> list[str]:
    unsupported: dict[str, list[str]] = {}
    swarm_only: dict[str, list[str]] = {}
    for key, service in sorted(services.items()):
        for option in sorted(Service.model_fields):
            if getattr(service, option) is not None and option not in SUPPORTED_KEYS:
                unsupported.setdefault(option, []).append(key)
        for path in _ignored_deploy_keys(service):
            swarm_only.setdefault(key, []).append(path)
    warnings = []
    if unsupported:
        warnings.append(
            "Ignoring unsupported options: "
            + ", ".join(f"{option} ({', '.join(keys)})" for option, keys in unsupported.items())
        )
    if swarm_only:
        listed = "; ".join(f"{key}: {', '.join(paths)}" for key, paths in swarm_only.items())
        warnings.append(
            f"Some services use deploy keys that only a swarm applies, which will be "
            f"ignored ({listed}). Use `swarmdeck stack deploy` to deploy to a swarm."
        )
    return warnings


def _ignored_deploy_keys(service: Service) -> list[str]:
    deploy = service.deploy
    if deploy is None:
        return []
    ignored = [
        f"deploy.{k}"
        for k in sorted(type(deploy).model_fields)
        if getattr(deploy, k) is not None and k not in _DEPLOY_HONOURED
    ]
    reservations = deploy.resources.reservations if deploy.resources else None
    if reservations is not None:
        ignored += [
            f"deploy.resources.reservations.{k}"
            for k in ("nano_cpus", "generic_resources")
            if getattr(reservations, k) is not None
        ]
    policy = deploy.restart_policy
    if policy is not None:
        ignored += [
            f"deploy.restart_policy.{k}" for k in ("delay", "window") if getattr(policy, k) is not None
        ]
    return [path.replace("nano_cpus", "cpus") for path in ignored]
