"""Checks on the merged project that the docker CLI only makes while converting it.

The CLI notices these during ``docker stack deploy`` (some after it has already created
networks); here they are refused at load time, all at once, each at its place:

* a service without a valid ``image`` (``invalid image reference for service X: ...``);
* ``replicas`` with a global mode, or an unknown ``deploy.mode``;
* a network, named volume, secret or config used but not declared at the top level;
* mount options of another mount type, a tmpfs source, an unknown mount type;
* ``healthcheck`` with both ``disable`` and ``test``;
* a ``credential_spec`` naming several sources, or a config the service does not use.
"""

from __future__ import annotations

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.models import Project, Service, ServiceVolume
from swarmdeck.engine.reference import reference_error

_MODES = ("", "replicated", "global", "replicated-job", "global-job")
_MOUNT_TYPES = ("volume", "bind", "tmpfs", "npipe", "cluster", "image")
# Options each mount type refuses (docker/cli convert/volume.go).
_FOREIGN_OPTIONS = {
    "volume": ("tmpfs", "bind"),
    "bind": ("volume", "tmpfs"),
    "tmpfs": ("bind", "volume"),
    "npipe": ("volume", "tmpfs"),
}


def check_project(project: Project) -> list[Problem]:
    problems: list[Problem] = []
    for name, service in project.services.items():
        problems += _image(project, name, service)
        problems += _mode(name, service)
        problems += _networks(project, name, service)
        problems += _mounts(project, name, service)
        problems += _file_references(project, name, service)
        problems += _healthcheck(name, service)
        problems += _credential_spec(project, name, service)
    return problems


def _image(project: Project, name: str, service: Service) -> list[Problem]:
    if not service.image:
        loc = service.key_loc("image") if service.image is not None else project.entry_loc("services", name)
        return [
            Problem.at(
                loc, ["services", name], f"invalid image reference for service {name}: no image specified"
            )
        ]
    error = reference_error(service.image)
    if error:
        return [
            Problem.at(
                service.key_loc("image"),
                ["services", name, "image"],
                f"invalid image reference for service {name}: {error}",
            )
        ]
    return []


def _mode(name: str, service: Service) -> list[Problem]:
    deploy = service.deploy
    if deploy is None:
        return []
    mode = deploy.mode or ""
    if mode not in _MODES:
        return [
            Problem.at(deploy.key_loc("mode"), ["services", name, "deploy", "mode"], f"Unknown mode: {mode}")
        ]
    if mode in ("global", "global-job") and deploy.replicas is not None:
        return [
            Problem.at(
                deploy.key_loc("replicas"),
                ["services", name, "deploy", "replicas"],
                "replicas can only be used with replicated or replicated-job mode",
            )
        ]
    return []


def _networks(project: Project, name: str, service: Service) -> list[Problem]:
    return [
        Problem.at(
            service.entry_loc("networks", network),
            ["services", name, "networks", network],
            f'undefined network "{network}"',
        )
        for network in service.networks or {}
        if network not in project.networks and network != "default"
    ]


def _mount_problem(project: Project, volume: ServiceVolume) -> str | None:
    kind = volume.type
    if kind not in _MOUNT_TYPES:
        return "volume type must be volume, bind, tmpfs, npipe, cluster or image"
    for option in _FOREIGN_OPTIONS.get(kind, ()):
        if getattr(volume, option) is not None:
            return f"{option} options are incompatible with type {kind}"
    if kind == "tmpfs" and volume.source:
        return "invalid tmpfs source, source must be empty"
    if kind == "npipe" and not volume.source:
        return "invalid npipe source, source cannot be empty"
    if kind == "volume" and volume.source and volume.source not in project.volumes:
        return f'undefined volume "{volume.source}"'
    return None


def _mounts(project: Project, name: str, service: Service) -> list[Problem]:
    problems = []
    for index, volume in enumerate(service.volumes or []):
        message = _mount_problem(project, volume)
        if message:
            problems.append(Problem.at(volume.loc, ["services", name, "volumes", index], message))
    return problems


def _file_references(project: Project, name: str, service: Service) -> list[Problem]:
    problems = []
    for section, declared in (("secrets", project.secrets), ("configs", project.configs)):
        for index, reference in enumerate(getattr(service, section) or []):
            if reference.source not in declared:
                problems.append(
                    Problem.at(
                        reference.loc,
                        ["services", name, section, index],
                        f'undefined {section[:-1]} "{reference.source or ""}"',
                    )
                )
    return problems


def _healthcheck(name: str, service: Service) -> list[Problem]:
    check = service.healthcheck
    if check is not None and check.disable and check.test:
        return [
            Problem.at(
                check.key_loc("disable"),
                ["services", name, "healthcheck"],
                "test and disable can't be set at the same time",
            )
        ]
    return []


def _credential_spec(project: Project, name: str, service: Service) -> list[Problem]:
    spec = service.credential_spec
    if spec is None:
        return []
    path = ["services", name, "credential_spec"]
    given = [
        f'"{label}"'
        for label, value in (("Config", spec.config), ("File", spec.file), ("Registry", spec.registry))
        if value
    ]
    if len(given) > 1:
        listed = ", ".join(given[:-1]) + ("," if len(given) > 2 else "")
        return [
            Problem.at(
                spec.loc, path, f"invalid credential spec: cannot specify both {listed} and {given[-1]}"
            )
        ]
    if spec.config:
        used = {ref.source for ref in service.configs or []}
        names = {config.name or key for key, config in project.configs.items() if key in used}
        if spec.config not in names:
            return [
                Problem.at(
                    spec.key_loc("config"),
                    [*path, "config"],
                    f"invalid credential spec: spec specifies config {spec.config}, "
                    "but no such config can be found",
                )
            ]
    return []
