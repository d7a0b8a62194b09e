"""Desired state (converted project) against the engine's state: what a deploy would do.

Everything that needs the engine to be refused is refused here, before anything is created
(the CLI notices some of it half-way): a node that is not a manager, then, gathered into one
error at their compose keys (``preflight``), published ports already taken (ingress:
``preflight``; host mode: ``hostports``), names taken outside the stack, missing external
objects, a config whose content changed (``collisions``), and images the registry says it
does not have. Unreadable secret and config files are refused first (``objects``).

Images are resolved here as the moby client does for ``--resolve-image``, once per distinct
image, so that the plan shows the image each service will really get; when the registry
answers that it does not know the repository or tag, that is a problem at the service's
``image`` key (the moby client only warns, and the tasks then fail on every node). When
the registry cannot be asked (unreachable, authentication), the client's warning is kept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker
from docker import auth

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.load import LoadResult
from swarmdeck.compose.stack import collisions, convert, hostports, networkscope, preflight
from swarmdeck.compose.stack import policy as stack_policy
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.specdiff import changes, normalise
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineRefused
from swarmdeck.engine.policy import ALLOW_ALL, NO_FACTS, Facts, WorkloadPolicy
from swarmdeck.engine.sdkapi import typed_api
from swarmdeck.engine.swarm import swarm_state

RESOLVE_MODES = ("always", "changed", "never")


@dataclass
class ServiceChange:
    action: str  # "create", "update", "remove" or "unchanged"
    name: str
    spec: dict[str, Any] | None = None
    service_id: str = ""
    version: int = 0
    query_registry: bool = False
    fields: list[str] = field(default_factory=list)
    auth_header: str | None = None
    warning: str | None = None
    old_spec: dict[str, Any] | None = None  # an update's service as it was (to tell if it moved)


@dataclass(frozen=True)
class ObjectChange:
    """A secret or config to create (no ``existing_id``) or whose labels to update."""

    obj: convert.FileObject
    existing_id: str | None = None  # the ID of the one with its name, to update

    @property
    def action(self) -> str:
        return "create" if self.existing_id is None else "update"


@dataclass
class Plan:
    namespace: str
    prune: list[ServiceChange] = field(default_factory=list)
    networks: dict[str, dict[str, Any]] = field(default_factory=dict)  # to create
    objects: list[ObjectChange] = field(default_factory=list)
    services: list[ServiceChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.prune or self.networks or self.objects or any(s.action != "unchanged" for s in self.services)
        )

    def lines(self) -> list[str]:
        """The plan, one line per change (``--plan``)."""
        out = [f"remove service {c.name}" for c in self.prune]
        out += [f"create network {name}" for name in self.networks]
        for item in self.objects:
            out.append(f"{item.action} {item.obj.kind} {item.obj.name}")
        for change in self.services:
            if change.action == "update":
                out.append(f"update service {change.name}: {', '.join(change.fields)}")
            elif change.action == "create":
                out.append(f"create service {change.name}")
            else:
                out.append(f"unchanged service {change.name}")
        return out


def _refuse_off_manager(client: docker.DockerClient) -> None:
    """`docker stack deploy`'s own refusal off a manager, in its words (parity). The check
    every edge makes first is the swarm layer's ``require_manager``, above this layer."""
    if not swarm_state(client).is_manager:
        raise StackError(
            'this node is not a swarm manager. Use "docker swarm init" or '
            '"docker swarm join" to connect this node to swarm and try again'
        )


class _Resolver:
    """``--resolve-image``: the distribution endpoint, once per image and deploy."""

    def __init__(self, client: docker.DockerClient, with_auth: bool) -> None:
        self.client = client
        self.with_auth = with_auth
        self.cache: dict[str, tuple[str, list[dict[str, str]]] | None] = {}
        self.missing: dict[str, str] = {}  # image -> the registry's "not found", by the engine

    def auth_header(self, image: str) -> str | None:
        """The ``X-Registry-Auth`` value for ``--with-registry-auth`` (from the config file)."""
        if not self.with_auth:
            return None
        registry, _ = auth.resolve_repository_name(convert.tagged(image))
        config = auth.resolve_authconfig(typed_api(self.client)._auth_configs, registry) or {}
        return base64.urlsafe_b64encode(json.dumps(config).encode()).decode() if config else None

    def prefetch(self, images: Iterable[str]) -> None:
        """Ask the registry about ``images`` at the same time, once each."""
        distinct = sorted({convert.tagged(image) for image in images} - set(self.cache))
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self.resolve, distinct))

    def resolve(self, image: str) -> tuple[str, list[dict[str, str]]] | None:
        """(image pinned to its digest, platforms), or None when the registry can't say."""
        image = convert.tagged(image)
        if image not in self.cache:
            try:
                with doing(f"asking the registry about {image}"):
                    found = typed_api(self.client).inspect_distribution(image)
            except EngineRefused as exc:
                self.cache[image] = None
                if exc.status == 404:
                    self.missing[image] = str(exc.explanation or "not found").strip()
            else:
                platforms = [
                    {
                        "Architecture": ""
                        if p.get("architecture", "").lower() == "arm"
                        else p.get("architecture", ""),
                        "OS": p.get("os", ""),
                    }
                    for p in found.get("Platforms") or []
                ]
                platforms = [{k: v for k, v in p.items() if v} for p in platforms]
                digest = found["Descriptor"]["digest"]
                self.cache[image] = (convert.with_digest(image, digest), platforms)
        return self.cache[image]


def _pin(spec: dict[str, Any], resolver: _Resolver) -> str | None:
    """Pin the image to its digest; the moby client's warning when the registry can't."""
    image = spec["TaskTemplate"]["ContainerSpec"]["Image"]
    resolved = resolver.resolve(image)
    if resolved is None:
        return (
            f"image {image} could not be accessed on a registry to record\n"
            f"its digest. Each node will access {image} independently,\n"
            "possibly leading to different nodes running\n"
            "different versions of the image.\n"
        )
    image, platforms = resolved
    spec["TaskTemplate"]["ContainerSpec"]["Image"] = image
    if platforms:
        spec["TaskTemplate"].setdefault("Placement", {})["Platforms"] = platforms
    return None


def _by_name(items: Iterable[dict[str, Any]], spec_key: str = "Spec") -> dict[str, dict[str, Any]]:
    return {item[spec_key]["Name"]: item for item in items}


def _networks_to_create(
    namespace: str, wanted: convert.NetworkPlan, all_networks: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The stack's networks that do not exist yet (names taken outside the stack and
    external networks are ``collisions``' problems)."""
    ours = {
        n["Name"] for n in all_networks if (n.get("Labels") or {}).get(convert.LABEL_NAMESPACE) == namespace
    }
    return {name: body for name, body in wanted.create.items() if name not in ours}


def _objects(
    project_objects: list[convert.FileObject], existing: dict[str, dict[str, dict[str, Any]]]
) -> list[ObjectChange]:
    """What to create, and what to update (when its labels differ)."""
    result: list[ObjectChange] = []
    for obj in project_objects:
        found = existing[obj.kind].get(obj.name)
        if found is None:
            result.append(ObjectChange(obj))
        elif (found["Spec"].get("Labels") or {}) != obj.spec["Labels"]:
            result.append(ObjectChange(obj, str(found["ID"])))
    return result


def _resolve_ids(
    existing: dict[str, dict[str, dict[str, Any]]],
    specs: dict[str, dict[str, Any]],
    created: set[tuple[str, str]],
    missing_reported: bool,
) -> None:
    """Fill SecretID/ConfigID from the engine; objects still to create keep a placeholder.
    A missing one is ``collisions``' problem (``missing_reported``)."""
    ids = {
        kind.capitalize(): {name: str(o["ID"]) for name, o in objs.items()} for kind, objs in existing.items()
    }
    for key, spec in specs.items():
        container = spec["TaskTemplate"]["ContainerSpec"]
        for kind in ("Secret", "Config"):
            for reference in container.get(f"{kind}s") or []:
                name = reference[f"{kind}Name"]
                if name in ids[kind]:
                    reference[f"{kind}ID"] = ids[kind][name]
                elif (kind.lower(), name) not in created and not missing_reported:
                    raise StackError(f"service {key}: {kind.lower()} not found: {name}")


def object_ids(client: docker.DockerClient) -> dict[str, dict[str, str]]:
    """Secret and config IDs by name ({"Secret": {...}, "Config": {...}})."""
    return {
        "Secret": {s["Spec"]["Name"]: s["ID"] for s in client.api.secrets()},
        "Config": {c["Spec"]["Name"]: c["ID"] for c in typed_api(client).configs()},
    }


def fill_ids(spec: dict[str, Any], ids: dict[str, dict[str, str]]) -> None:
    """Give every secret/config reference its engine ID (once the objects exist)."""
    container = spec["TaskTemplate"]["ContainerSpec"]
    for kind in ("Secret", "Config"):
        for reference in container.get(f"{kind}s") or []:
            reference[f"{kind}ID"] = ids[kind].get(reference[f"{kind}Name"], "")
    credential = container["Privileges"].get("CredentialSpec")
    if credential and credential.get("Config"):
        namespace = spec["Labels"][convert.LABEL_NAMESPACE]
        for reference in container.get("Configs") or []:
            if reference["ConfigName"] in (
                credential["Config"],
                convert.scope(namespace, credential["Config"]),
            ):
                credential["Config"] = reference["ConfigID"]
                break


def make_plan(
    client: docker.DockerClient,
    loaded: LoadResult,
    namespace: str,
    *,
    prune: bool = False,
    resolve_image: str = "always",
    with_registry_auth: bool = False,
    policy: WorkloadPolicy = ALLOW_ALL,
) -> Plan:
    """What deploying ``loaded`` as stack ``namespace`` would do; raises ``StackError``, or
    ``ComposeError`` at the compose keys ``policy`` refuses (before anything is created)."""
    if resolve_image not in RESOLVE_MODES:
        raise StackError(f"Invalid option {resolve_image} for flag --resolve-image")
    project = loaded.project
    specs = convert.services(namespace, project)  # conversion errors first: nothing needed
    networkscope.check(project, namespace)  # what the engine would refuse after creating it
    objects = convert.file_objects(namespace, project)  # unreadable files: at their keys
    _refuse_off_manager(client)
    plan = Plan(namespace)
    wanted_networks = convert.networks(namespace, project)
    if policy.restricted or policy.labels:
        facts = Facts.of(client) if policy.restricted else NO_FACTS
        stack_policy.check(policy, project, namespace, specs, wanted_networks.create, facts)
    every_service = typed_api(client).services()
    replaced = [s["Spec"]["Name"] for s in every_service if _in_stack(s, namespace)] if prune else []
    problems = preflight.port_problems(project, specs, every_service, replaced)
    problems += hostports.problems(client, project, specs, replaced)
    all_networks = client.api.networks()
    problems += collisions.network_problems(project, namespace, all_networks)
    existing_objects = {
        "secret": _by_name(client.api.secrets()),
        "config": _by_name(typed_api(client).configs()),
    }
    problems += collisions.object_problems(project, namespace, objects, specs.values(), existing_objects)
    plan.networks = _networks_to_create(namespace, wanted_networks, all_networks)
    plan.objects = _objects(objects, existing_objects)
    created = {(c.obj.kind, c.obj.name) for c in plan.objects if c.existing_id is None}
    _resolve_ids(existing_objects, specs, created, bool(problems))
    existing = _by_name([s for s in every_service if _in_stack(s, namespace)])
    if prune:
        wanted = {convert.scope(namespace, key) for key in specs}
        plan.prune = [
            ServiceChange("remove", name, service_id=s["ID"])
            for name, s in sorted(existing.items())
            if name not in wanted
        ]
    network_names = {n["Id"]: n["Name"] for n in all_networks}
    resolver = _Resolver(client, with_registry_auth)
    made: list[tuple[str, ServiceChange, dict[str, Any] | None]] = []
    for key, spec in specs.items():
        name = spec["Name"]
        raw_image = spec["Labels"][convert.LABEL_IMAGE]
        container = spec["TaskTemplate"]["ContainerSpec"]
        container["Image"] = convert.tagged(container["Image"])
        change = ServiceChange("create", name, spec, auth_header=resolver.auth_header(raw_image))
        old = existing.get(name)
        if old is None:
            change.query_registry = resolve_image in ("always", "changed")
        else:
            change.action = "update"
            change.service_id, change.version = old["ID"], old["Version"]["Index"]
            change.old_spec = old["Spec"]
            same_image = raw_image == (old["Spec"].get("Labels") or {}).get(convert.LABEL_IMAGE)
            change.query_registry = resolve_image == "always" or (
                resolve_image == "changed" and not same_image
            )
            if not change.query_registry and same_image:
                container["Image"] = old["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
            spec["TaskTemplate"]["ForceUpdate"] = old["Spec"]["TaskTemplate"].get("ForceUpdate", 0)
        made.append((key, change, old))
    resolver.prefetch(
        [c.spec["TaskTemplate"]["ContainerSpec"]["Image"] for _, c, _ in made if c.query_registry and c.spec]
    )
    for key, change, old in made:
        spec = change.spec or {}
        container = spec["TaskTemplate"]["ContainerSpec"]
        if change.query_registry:
            change.warning = _pin(spec, resolver)
            unknown = resolver.missing.get(convert.tagged(container["Image"]))
            if unknown is not None:
                problems.append(_unknown_image(loaded, key, container["Image"], unknown))
        if old is not None:
            api = client.api.api_version
            change.fields = changes(
                normalise(spec, network_names, api), normalise(old["Spec"], network_names, api)
            )
            if not change.fields and not _uses_new_objects(spec, created):
                change.action = "unchanged"
        plan.services.append(change)
    preflight.refuse(problems)
    return plan


def _unknown_image(loaded: LoadResult, key: str, image: str, answer: str) -> Problem:
    return Problem.at(
        loaded.project.services[key].key_loc("image"),
        ["services", key, "image"],
        f"image {image} is not in its registry ({answer}): no node could pull it",
    )


def _in_stack(service: dict[str, Any], namespace: str) -> bool:
    return (service["Spec"].get("Labels") or {}).get(convert.LABEL_NAMESPACE) == namespace


def _uses_new_objects(spec: dict[str, Any], created: set[tuple[str, str]]) -> bool:
    container = spec["TaskTemplate"]["ContainerSpec"]
    return any(("secret", r["SecretName"]) in created for r in container.get("Secrets") or []) or any(
        ("config", r["ConfigName"]) in created for r in container.get("Configs") or []
    )
