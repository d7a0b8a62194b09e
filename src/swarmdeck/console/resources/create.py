"""Making a container the way ``docker run -d`` does: the create form's ``ContainerSpec``
checked and turned into the ``/containers/create`` body exactly as it will be sent, the
workload policy asked about that body (its violations said in the form's words), then the
container created and started (removed again when it does not start)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.types import NetworkingConfig

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.resources.containers import ContainerRow, container_row
from swarmdeck.console.resources.names import check_name, check_reference
from swarmdeck.console.workloads import facts_for, refuse
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineImageNotFound
from swarmdeck.engine.policy import WorkloadPolicy, format_path

RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")


@dataclass
class ContainerSpec:
    """What `docker run -d` takes, as the console's create form and API give it."""

    image: str
    name: str | None = None
    command: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    ports: list[tuple[str, str, int | None]] = field(default_factory=list)  # (ctr/proto, host ip, host port)
    volumes: list[tuple[str, str, bool]] = field(default_factory=list)  # (source, target, read only)
    network: str | None = None
    restart_policy: str = "no"
    max_retries: int = 0
    memory: int | None = None  # bytes
    cpus: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    init: bool = False


def container_request(client: docker.DockerClient, spec: ContainerSpec) -> dict[str, Any]:
    """Check ``spec`` and make the ``/containers/create`` body, exactly as it will be sent
    (the workload policy checks this body). ``spec.volumes[i]`` is ``HostConfig.Binds[i]``."""
    check_reference(spec.image)
    if spec.name:
        check_name("container", spec.name)
    if spec.restart_policy not in RESTART_POLICIES:
        raise ConsoleError(f"restart policy {spec.restart_policy!r}: one of {', '.join(RESTART_POLICIES)}")
    if spec.memory is not None and spec.memory < 6 * 1024 * 1024:
        raise ConsoleError("memory limit: at least 6 MB")
    if spec.cpus is not None and not 0.01 <= spec.cpus <= 1024:
        raise ConsoleError("cpus: between 0.01 and 1024")
    for source, target, _ in spec.volumes:
        if ":" in source or ":" in target:
            raise ConsoleError(f"volume {source} -> {target}: no ':' in a source or a target")
    policy: dict[str, str | int] = {"Name": "" if spec.restart_policy == "no" else spec.restart_policy}
    if spec.restart_policy == "on-failure":
        policy["MaximumRetryCount"] = spec.max_retries
    api = client.api
    # port bindings: "80/tcp" -> host port, or (host ip, host port); the SDK takes int keys too
    bindings: dict[int | str, tuple[str, int | None] | int | None] = {
        inner: (ip, port) if ip else port for inner, ip, port in spec.ports
    }
    exposed = sorted({inner for inner, _, _ in spec.ports})
    with doing("the container's settings"):  # the SDK's own refusals of a value
        host_config = api.create_host_config(
            binds=[f"{src}:{dst}:{'ro' if ro else 'rw'}" for src, dst, ro in spec.volumes] or None,
            port_bindings=bindings or None,
            network_mode=spec.network,
            restart_policy=policy,
            mem_limit=spec.memory,
            nano_cpus=int(spec.cpus * 1e9) if spec.cpus else None,
            init=spec.init or None,
        )
        networking = _networking(api, spec.network) if spec.network else None
        body = dict(
            api.create_container_config(
                spec.image,
                spec.command or [],
                detach=True,
                environment=spec.env or None,
                ports=[tuple(p.split("/", 1)) for p in exposed] or None,
                volumes=[dst for _, dst, _ in spec.volumes] or None,
                labels=spec.labels or None,
                host_config=host_config,
                networking_config=networking,
            )
        )
    # No command is the image's own: Cmd null, as the SDK sends it (its stubs want a command).
    body["Cmd"] = spec.command
    return body


def _networking(api: docker.APIClient, network: str) -> NetworkingConfig:
    """``NetworkingConfig`` joining ``network`` (the SDK's own shape: its stubs take the
    endpoint where the SDK takes a mapping of network name to endpoint)."""
    networking = NetworkingConfig()
    networking["EndpointsConfig"] = {network: api.create_endpoint_config()}
    return networking


def _container_field(path: tuple[str | int, ...]) -> str:
    """A policy violation's place in the create body, said in ``ContainerIn``'s words."""
    if path[:2] == ("HostConfig", "Binds") and len(path) > 2:
        return f"volumes[{path[2]}]"
    if path[:2] in (("HostConfig", "NetworkMode"), ("NetworkingConfig", "EndpointsConfig")):
        return "network"
    if path[:1] == ("Labels",) and len(path) > 1:
        return f"labels.{path[1]}"
    return format_path(path)


def create_container(
    client: docker.DockerClient,
    name: str | None,
    body: dict[str, Any],
    policy: WorkloadPolicy,
    start: bool = True,
) -> ContainerRow:
    """Create (and start) the container ``body`` describes once ``policy`` allows it; a
    container that fails to start is removed again."""
    refuse(policy.container(body, facts_for(policy, client)), _container_field)
    api = client.api
    image = body.get("Image", "")
    with doing("creating the container failed"):
        try:
            created = api.create_container_from_config(body, name)
        except EngineImageNotFound as exc:
            raise ConsoleError(f"no image {image} on this engine: pull it first", 404) from exc
    container_id = created["Id"]
    if start:
        with doing("the container was created but did not start (removed again)"):
            try:
                api.start(container_id)
            except EngineError:
                with contextlib.suppress(EngineError):  # the start error is the news
                    api.remove_container(container_id, force=True)
                raise
    return container_row(api.containers(all=True, filters={"id": container_id})[0])


def run_container(
    client: docker.DockerClient, spec: ContainerSpec, policy: WorkloadPolicy, start: bool = True
) -> ContainerRow:
    """``docker run -d``: create (and start) a container from ``spec``, as ``policy`` allows."""
    return create_container(client, spec.name, container_request(client, spec), policy, start)
