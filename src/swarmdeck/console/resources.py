"""The engine's resources as the console shows them: containers, images, networks, volumes.

Thin functions over the Docker SDK's low-level API (one ``/containers/json`` call per list,
never one inspect per container: the high-level ``containers.list`` inspects each one, which
is what makes big hosts slow in other consoles). Nothing here knows about HTTP; a failure is
a ``ConsoleError`` carrying the engine's meaning (404, 409) or 502.
"""

from __future__ import annotations

import contextlib
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import docker

from swarmdeck.console import envmask
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.workloads import facts_for, refuse
from swarmdeck.engine import reference as imageref
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineImageNotFound, InvalidReference
from swarmdeck.engine.labels import NAMESPACE_LABELS as STACK_LABELS
from swarmdeck.engine.labels import SERVICE_NAME_LABELS as SERVICE_LABELS
from swarmdeck.engine.names import shown
from swarmdeck.engine.policy import WorkloadPolicy, format_path
from swarmdeck.engine.reference import split_tag
from swarmdeck.images.build import tag_image

STATES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")
_DOCKERFILE = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")


def check_name(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ConsoleError(
            f"{kind} name {name!r}: use letters, digits, '_', '.' or '-' (starting with a letter or digit)"
        )
    return name


def check_reference(image: str) -> str:
    """An image to use: a reference or an image ID (``engine.reference``; 400 otherwise)."""
    return imageref.check_image(image)


def check_target(image: str, digest: bool = True) -> str:
    """An image name to make or fetch (tag, pull, push, build): ``name[:tag]``, and
    ``@digest`` when ``digest`` (a pull); 400 otherwise."""
    try:
        (imageref.parse if digest else imageref.parse_tagged)(image)
    except InvalidReference as exc:
        raise ConsoleError(
            f"{shown(image)} is not an image reference ({exc}): like registry:5000/repo:tag"
        ) from None
    return image


# --- containers -----------------------------------------------------------------------
@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    image: str
    state: str
    status: str
    created: int
    ports: list[str]
    stack: str
    service: str
    labels: dict[str, str]
    networks: list[str]
    volumes: list[str]

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((labels[k] for k in keys if k in labels), "")


def _name(raw: dict[str, Any]) -> str:
    return str((raw.get("Names") or ["/"])[0]).lstrip("/")


def _row(raw: dict[str, Any]) -> ContainerRow:
    labels = raw.get("Labels") or {}
    ports = []
    for p in sorted(raw.get("Ports") or [], key=lambda p: (p.get("PrivatePort", 0), p.get("IP", ""))):
        inner = f"{p.get('PrivatePort')}/{p.get('Type', 'tcp')}"
        ports.append(f"{p.get('IP', '')}:{p['PublicPort']}->{inner}" if p.get("PublicPort") else inner)
    return ContainerRow(
        id=raw["Id"],
        name=_name(raw),
        image=raw.get("Image", ""),
        state=raw.get("State", ""),
        status=raw.get("Status", ""),
        created=raw.get("Created", 0),
        ports=ports,
        stack=_first(labels, STACK_LABELS),
        service=_first(labels, SERVICE_LABELS),
        labels=labels,
        networks=sorted(((raw.get("NetworkSettings") or {}).get("Networks") or {}).keys()),
        volumes=sorted(m["Name"] for m in raw.get("Mounts") or [] if m.get("Type") == "volume"),
    )


def _raw_containers(client: docker.DockerClient, state: str | None = None) -> list[dict[str, Any]]:
    filters = {"status": state} if state else None
    with doing("listing containers failed"):
        return client.api.containers(all=True, filters=filters)  # type: ignore[no-any-return]


def _all_containers(client: docker.DockerClient, state: str | None = None) -> list[ContainerRow]:
    return [_row(r) for r in _raw_containers(client, state)]


def _matches(raw: dict[str, Any], needle: str) -> bool:
    labels = raw.get("Labels") or {}
    return (
        needle in _name(raw).lower()
        or needle in str(raw.get("Image", "")).lower()
        or needle in _first(labels, STACK_LABELS).lower()
        or needle in _first(labels, SERVICE_LABELS).lower()
        or str(raw.get("Id", "")).startswith(needle)
    )


def list_containers(
    client: docker.DockerClient, q: str = "", state: str = "", page: int = 1, per_page: int = 50
) -> Page:
    """Filter by state (on the engine), search names/images/stacks/services/IDs, then page."""
    if state and state not in STATES:
        raise ConsoleError(f"unknown state {state!r} (one of {', '.join(STATES)})")
    if page < 1 or not 1 <= per_page <= 500:
        raise ConsoleError("page starts at 1 and per_page is between 1 and 500")
    found = _raw_containers(client, state or None)
    needle = q.strip().lower()
    if needle:
        found = [r for r in found if _matches(r, needle)]
    start = (page - 1) * per_page
    # Rows are made for the page only: on a big host that is most of the console's own work.
    return Page([_row(r) for r in found[start : start + per_page]], len(found), page, per_page)


def inspect_container(client: docker.DockerClient, ref: str, reveal_env: bool = True) -> dict[str, Any]:
    """The engine's inspect answer; environment values masked unless ``reveal_env``."""
    with doing(f"container {ref}"):
        info = client.api.inspect_container(ref)
    return envmask.container(info, reveal_env)


def container_action(
    client: docker.DockerClient, ref: str, action: str, timeout: int | None = None, force: bool = False
) -> None:
    api = client.api
    calls = {
        "start": lambda: api.start(ref),
        "stop": lambda: api.stop(ref, timeout=10 if timeout is None else timeout),
        "restart": lambda: api.restart(ref, timeout=10 if timeout is None else timeout),
        "kill": lambda: api.kill(ref),
        "remove": lambda: api.remove_container(ref, force=force, v=False),
    }
    with doing(f"{action} {ref} failed"):
        calls[action]()


def container_logs(client: docker.DockerClient, ref: str, tail: int = 100) -> list[str]:
    with doing(f"logs of {ref}"):
        raw = client.api.logs(ref, stdout=True, stderr=True, tail=tail)
    return raw.decode("utf-8", "replace").splitlines()


class LineStream:
    """A followed log as lines; ``close()`` from another thread ends a blocked read."""

    def __init__(self, client: docker.DockerClient, ref: str, tail: int, since: int | None = None) -> None:
        with doing(f"logs of {ref}"):
            self._stream = client.api.logs(
                ref, stdout=True, stderr=True, stream=True, follow=True, tail=tail, since=since
            )
        self._lines = self._split()

    def _split(self) -> Iterator[str]:
        pending = b""
        try:
            for chunk in self._stream:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
        except (OSError, ValueError, AttributeError):
            return  # closed under us: the reader went away
        if pending:
            yield pending.decode("utf-8", "replace")

    def next(self) -> str | None:
        """The next line, or None at the end of the log (the container stopped)."""
        return next(self._lines, None)

    def close(self) -> None:
        self._stream.close()


def container_stats(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    """One sample of what `docker stats` shows: CPU %, memory, network and block IO.

    The engine takes two samples about a second apart (the CPU % is the delta between
    them); a container that is not running has no figures, only ``running: false``.
    """
    info = inspect_container(client, ref)
    answer: dict[str, Any] = {
        "id": info["Id"],
        "name": info["Name"].lstrip("/"),
        "running": bool(info["State"].get("Running")),
    }
    if not answer["running"]:
        return answer
    with doing(f"stats of {ref}"):
        raw = client.api.stats(info["Id"], stream=False)
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get(
        "total_usage", 0
    )
    system_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    memory = raw.get("memory_stats") or {}
    details = memory.get("stats") or {}
    # Page cache is reclaimable: `docker stats` leaves it out (cgroup v1 "cache", v2 "inactive_file").
    cache = details.get("cache", details.get("inactive_file", 0))
    used = max(0, memory.get("usage", 0) - cache)
    limit = memory.get("limit", 0)
    networks = (raw.get("networks") or {}).values()
    block = (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []
    return {
        **answer,
        "cpu_percent": round(cpu_delta / system_delta * cpus * 100, 2) if system_delta > 0 else 0.0,
        "online_cpus": cpus,
        "memory_usage": used,
        "memory_limit": limit,
        "memory_percent": round(used / limit * 100, 2) if limit else 0.0,
        "net_rx": sum(n.get("rx_bytes", 0) for n in networks),
        "net_tx": sum(n.get("tx_bytes", 0) for n in networks),
        "block_read": sum(b.get("value", 0) for b in block if str(b.get("op")).lower() == "read"),
        "block_write": sum(b.get("value", 0) for b in block if str(b.get("op")).lower() == "write"),
        "pids": (raw.get("pids_stats") or {}).get("current", 0),
    }


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
    policy = {"Name": "" if spec.restart_policy == "no" else spec.restart_policy}
    if spec.restart_policy == "on-failure":
        policy["MaximumRetryCount"] = spec.max_retries
    api = client.api
    bindings = {inner: (ip, port) if ip else port for inner, ip, port in spec.ports}
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
        networking = (
            api.create_networking_config({spec.network: api.create_endpoint_config()})
            if spec.network
            else None
        )
        return dict(
            api.create_container_config(
                spec.image,
                spec.command,
                detach=True,
                environment=spec.env or None,
                ports=[tuple(p.split("/", 1)) for p in sorted(bindings)] or None,
                volumes=[dst for _, dst, _ in spec.volumes] or None,
                labels=spec.labels or None,
                host_config=host_config,
                networking_config=networking,
            )
        )


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
    return _row(api.containers(all=True, filters={"id": container_id})[0])


def run_container(
    client: docker.DockerClient, spec: ContainerSpec, policy: WorkloadPolicy, start: bool = True
) -> ContainerRow:
    """``docker run -d``: create (and start) a container from ``spec``, as ``policy`` allows."""
    return create_container(client, spec.name, container_request(client, spec), policy, start)


# --- images ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ImageRow:
    id: str
    tags: list[str]
    size: int
    created: int
    containers: int  # how many containers (running or not) use it

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


def list_images(client: docker.DockerClient) -> list[ImageRow]:
    users: dict[str, int] = {}
    with doing("listing images failed"):
        for raw in client.api.containers(all=True):
            users[raw.get("ImageID", "")] = users.get(raw.get("ImageID", ""), 0) + 1
        images = client.api.images()
    rows = [
        ImageRow(
            i["Id"],
            [t for t in i.get("RepoTags") or [] if t != "<none>:<none>"],
            i.get("Size", 0),
            i.get("Created", 0),
            users.get(i["Id"], 0),
        )
        for i in images
    ]
    return sorted(rows, key=lambda r: (not r.tags, r.tags[:1], r.id))


def inspect_image(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    with doing(f"image {ref}"):
        return client.api.inspect_image(ref)


def tag(client: docker.DockerClient, source: str, target: str) -> None:
    tag_image(client, check_reference(source), check_target(target, digest=False))


def remove_image(client: docker.DockerClient, ref: str, force: bool = False) -> None:
    with doing(f"removing image {ref} failed"):
        client.api.remove_image(ref, force=force)


def start_pull(client: docker.DockerClient, reference: str) -> Iterator[dict[str, Any]]:
    """Start ``docker pull``; failures the engine knows at once (no registry, no such image)
    raise here, later ones arrive as events with an ``error`` key."""
    check_target(reference)
    with doing(f"pulling {reference} failed"):
        return iter(client.api.pull(reference, stream=True, decode=True))


def start_push(client: docker.DockerClient, reference: str) -> Iterator[dict[str, Any]]:
    """Start ``docker push``; a missing local image raises here, registry refusals arrive
    later as events with an ``error`` key."""
    check_target(reference, digest=False)
    inspect_image(client, reference)  # 404 with the engine's words when it is not here
    repository, tag = split_tag(reference)
    with doing(f"pushing {reference} failed"):
        return iter(client.api.push(repository, tag=tag, stream=True, decode=True))


def check_context(upload: BinaryIO, dockerfile: str) -> str:
    """Check an uploaded build context (a tar, maybe gzipped) before the engine sees it: it
    must be a readable archive holding ``dockerfile``. Returns the encoding to announce
    (``"gzip"`` or ``""``) and leaves the file at its start."""
    if not _DOCKERFILE.match(dockerfile) or ".." in dockerfile.split("/"):
        raise ConsoleError(f"dockerfile {dockerfile!r}: a relative path inside the context")
    magic = upload.read(2)
    upload.seek(0)
    try:
        with tarfile.open(fileobj=upload, mode="r:*") as tar:
            names = {n.removeprefix("./") for n in tar.getnames()}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ConsoleError(f"the build context is not a tar archive (plain or gzipped): {exc}") from exc
    finally:
        upload.seek(0)
    if dockerfile.removeprefix("./") not in names:
        raise ConsoleError(f"the build context has no {dockerfile} at its top")
    return "gzip" if magic == b"\x1f\x8b" else ""


def start_build(
    client: docker.DockerClient, upload: BinaryIO, tag: str, dockerfile: str = "Dockerfile"
) -> Iterator[dict[str, Any]]:
    """Start ``docker build -t TAG -`` from an uploaded context; build errors (a failing RUN)
    arrive as events with an ``error`` key."""
    check_target(tag, digest=False)
    encoding = check_context(upload, dockerfile)
    with doing(f"building {tag} failed"):
        return _whole_lines(
            client.api.build(
                fileobj=upload,
                custom_context=True,
                encoding=encoding or None,
                tag=tag,
                dockerfile=dockerfile,
                rm=True,
                forcerm=True,
                decode=True,
            )
        )


def _whole_lines(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The build's ``stream`` output one whole line per item (the engine passes a RUN step's
    output on in whatever chunks it was written); other items as they come."""
    pending = ""
    for item in items:
        if "stream" not in item:
            yield item
            continue
        pending += item["stream"]
        *lines, pending = pending.split("\n")
        yield from ({"stream": line} for line in lines)
    if pending:
        yield {"stream": pending}


# --- networks and volumes -------------------------------------------------------------
def _users_by(client: docker.DockerClient, attribute: str) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for row in _all_containers(client):
        for key in getattr(row, attribute):
            users.setdefault(key, []).append(row.name)
    return users


def _body_field(path: tuple[str | int, ...]) -> str:
    """A policy violation's place in a network or volume body, in the API's words
    (``Labels.x`` is ``labels.x``)."""
    return ".".join([str(path[0]).lower(), *(str(p) for p in path[1:])])


def list_networks(client: docker.DockerClient) -> list[dict[str, Any]]:
    users = _users_by(client, "networks")
    with doing("listing networks failed"):
        raw = client.api.networks()
    return sorted(
        (
            {
                "id": n["Id"],
                "name": n["Name"],
                "driver": n.get("Driver", ""),
                "scope": n.get("Scope", ""),
                "internal": n.get("Internal", False),
                "labels": n.get("Labels") or {},
                "containers": sorted(users.get(n["Name"], [])),
            }
            for n in raw
        ),
        key=lambda n: n["name"],
    )


def inspect_network(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    with doing(f"network {ref}"):
        return client.api.inspect_network(ref)


def create_network(
    client: docker.DockerClient,
    name: str,
    policy: WorkloadPolicy,
    driver: str = "bridge",
    internal: bool = False,
    attachable: bool = False,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    check_name("network", name)
    refuse(policy.network({"Name": name, "Driver": driver, "Labels": labels or {}}), _body_field)
    with doing(f"creating network {name} failed"):
        created = client.api.create_network(
            name,
            driver=driver,
            internal=internal,
            check_duplicate=True,
            attachable=attachable or None,
            labels=labels or None,
        )
    return inspect_network(client, created["Id"])


def remove_network(client: docker.DockerClient, ref: str) -> None:
    with doing(f"removing network {ref} failed"):
        client.api.remove_network(ref)


def list_volumes(client: docker.DockerClient) -> list[dict[str, Any]]:
    users = _users_by(client, "volumes")
    with doing("listing volumes failed"):
        raw = client.api.volumes().get("Volumes") or []
    return sorted(
        (
            {
                "name": v["Name"],
                "driver": v.get("Driver", ""),
                "mountpoint": v.get("Mountpoint", ""),
                "labels": v.get("Labels") or {},
                "containers": sorted(users.get(v["Name"], [])),
            }
            for v in raw
        ),
        key=lambda v: v["name"],
    )


def inspect_volume(client: docker.DockerClient, name: str) -> dict[str, Any]:
    with doing(f"volume {name}"):
        return client.api.inspect_volume(name)


def create_volume(
    client: docker.DockerClient,
    name: str,
    policy: WorkloadPolicy,
    driver: str = "local",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    check_name("volume", name)
    refuse(policy.volume({"Name": name, "Driver": driver, "Labels": labels or {}}), _body_field)
    with doing(f"creating volume {name} failed"):
        if any(v["Name"] == name for v in client.api.volumes().get("Volumes") or []):
            raise ConsoleError(f"a volume named {name} already exists", 409)
        return client.api.create_volume(name, driver=driver, labels=labels or None)


def remove_volume(client: docker.DockerClient, name: str, force: bool = False) -> None:
    with doing(f"removing volume {name} failed"):
        client.api.remove_volume(name, force=force)


# --- live state -----------------------------------------------------------------------
_EVENT_STATES = {
    "start": "running",
    "unpause": "running",
    "restart": "running",
    "die": "exited",
    "stop": "exited",
    "kill": None,
    "pause": "paused",
    "create": "created",
    "destroy": "removed",
}


def container_event(client: docker.DockerClient, event: dict[str, Any]) -> dict[str, Any] | None:
    """The state change an engine event means for the page, or None when it changes nothing."""
    if event.get("Type") != "container" or event.get("Action") not in _EVENT_STATES:
        return None
    cid = event.get("id") or event.get("Actor", {}).get("ID", "")
    name = (event.get("Actor", {}).get("Attributes") or {}).get("name", "")
    if event["Action"] == "destroy":
        return {"id": cid, "name": name, "state": "removed", "status": "removed"}
    try:
        found = client.api.containers(all=True, filters={"id": cid})
    except EngineError:
        return None
    if not found:
        return None
    row = _row(found[0])
    return {"id": row.id, "name": row.name, "state": row.state, "status": row.status}
