"""A swarm's secrets and configs: list, inspect, create, remove, and which services use one
(`docker secret|config ls|inspect|create|rm`); for the console, lists with each object's users
and one object's detail (a config's content as text). The CLI and the console both use this.

Both kinds are the same thing to the engine but for two points: a secret's data never comes
back (the engine does not return it), a config's comes back in base64 as ``docker config
inspect`` shows it. ``KIND`` is one of ``"secret"`` and ``"config"``; names are checked
against the engine's grammar (``engine.names``) before they reach a URL, and the engine's
own refusals (a name taken, a secret in use by a service, naming the services) come back
as it words them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from typing_extensions import TypedDict

from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.names import check
from swarmdeck.swarm.errors import Refused
from swarmdeck.swarm.membership import manager_read
from swarmdeck.swarm.nodes import raw_services
from swarmdeck.swarm.stack_tables import natural_key

if TYPE_CHECKING:
    import docker


Kind = Literal["secret", "config"]
Inspect = dict[str, Any]
KINDS: tuple[Kind, ...] = ("secret", "config")


class ObjectView(TypedDict):
    """A secret or a config as the lists show it; ``driver`` is a secret's (empty for the
    engine's own store and for a config), ``size`` a config's data in bytes (0 for a secret,
    whose data the engine keeps)."""

    kind: Kind
    id: str
    name: str
    created: str
    updated: str
    labels: dict[str, str]
    driver: str
    size: int


class ObjectUse(ObjectView):
    """A secret or a config with the names of the services that use it (sorted)."""

    services: list[str]


class ObjectDetail(ObjectUse):
    """One secret or config as its page shows it: ``data`` is a config's content as text
    (undecodable bytes replaced), never a secret's (None: the engine does not give it back)."""

    data: str | None


def _api(client: docker.DockerClient) -> Any:
    return client.api


def _size(data: Any) -> int:
    try:
        return len(base64.b64decode(data)) if isinstance(data, str) else 0
    except binascii.Error:
        return 0


def view(kind: Kind, document: Inspect) -> ObjectView:
    """The typed view of an engine's inspect document of a secret or config."""
    spec = document.get("Spec") or {}
    data = spec.get("Data") or ""
    return ObjectView(
        kind=kind,
        id=document.get("ID", ""),
        name=spec.get("Name", ""),
        created=document.get("CreatedAt", ""),
        updated=document.get("UpdatedAt", ""),
        labels=dict(spec.get("Labels") or {}),
        driver=(spec.get("Driver") or {}).get("Name", ""),
        size=_size(data),
    )


def raw_list(client: docker.DockerClient, kind: Kind, filters: dict[str, Any] | None = None) -> list[Inspect]:
    """The engine's documents of every secret (or config) matching ``filters``."""
    api = _api(client)
    call = api.secrets if kind == "secret" else api.configs
    found: list[Inspect] = manager_read(client, f"listing {kind}s", lambda: call(filters=filters))
    return found


def list_objects(
    client: docker.DockerClient, kind: Kind, filters: dict[str, Any] | None = None
) -> list[ObjectView]:
    """Every secret (or config) matching ``filters`` (the engine's: ``name``, ``id``,
    ``label``), by name in natural order (``key2`` before ``key10``) as the docker CLI lists them."""
    views = [view(kind, doc) for doc in raw_list(client, kind, filters)]
    return sorted(views, key=lambda v: (natural_key(v["name"]), v["id"]))


def inspect(client: docker.DockerClient, kind: Kind, ref: str) -> Inspect:
    """The engine's document of the secret (or config) named or identified by ``ref``; a
    config's ``Spec.Data`` is its data in base64, a secret's is never there."""
    check(kind, ref)
    api = _api(client)
    call = api.inspect_secret if kind == "secret" else api.inspect_config
    document: Inspect = manager_read(client, f"inspecting {kind} {ref}", lambda: call(ref))
    if kind == "secret":
        document.get("Spec", {}).pop("Data", None)
    return document


def create(
    client: docker.DockerClient, kind: Kind, name: str, data: bytes, labels: dict[str, str] | None = None
) -> str:
    """Create a secret (or config) ``name`` holding ``data``; its new ID. Off a manager, the
    refusal says so (as every call here: ``manager_read``)."""
    check(kind, name)
    api = _api(client)
    call = api.create_secret if kind == "secret" else api.create_config
    answer = manager_read(client, f"creating {kind} {name}", lambda: call(name, data, labels=labels or {}))
    return str(answer["ID"])


def remove_one(client: docker.DockerClient, kind: Kind, ref: str) -> None:
    """Remove the secret (or config) ``ref``; one used by a service is refused by the engine
    with its message naming the services."""
    check(kind, ref)
    api = _api(client)
    call = api.remove_secret if kind == "secret" else api.remove_config
    manager_read(client, f"removing {kind} {ref}", lambda: call(ref))


def remove(
    client: docker.DockerClient,
    kind: Kind,
    refs: Iterable[str],
    removed: Callable[[str], None] = lambda _: None,
) -> None:
    """Remove each of ``refs`` as ``docker secret rm`` does: past a failure on to the next,
    ``removed(ref)`` after each one gone; then the failure (one) or ``Refused`` listing them."""
    failures: list[EngineError] = []
    for ref in refs:
        try:
            remove_one(client, kind, ref)
        except EngineError as exc:
            failures.append(exc)
            continue
        removed(ref)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise Refused("\n".join(str(f) for f in failures), detail=failures)


def references(spec: Inspect, kind: Kind) -> list[Inspect]:
    """The secret (or config) references of a service's spec (``ContainerSpec.Secrets``)."""
    container = ((spec.get("TaskTemplate") or {}).get("ContainerSpec")) or {}
    refs: list[Inspect] = container.get("Secrets" if kind == "secret" else "Configs") or []
    return refs


def users(client: docker.DockerClient, kind: Kind, ref: str) -> list[str]:
    """The names of the services whose spec references the secret (or config) ``ref`` (its
    name or ID), sorted."""
    document = inspect(client, kind, ref)
    return users_of(raw_services(client), kind, document["ID"])


def users_of(services: Iterable[Inspect], kind: Kind, object_id: str) -> list[str]:
    """The names of ``services`` (engine documents) whose spec references ``object_id``."""
    key = "SecretID" if kind == "secret" else "ConfigID"
    return sorted(
        s["Spec"]["Name"]
        for s in services
        if any(r.get(key) == object_id for r in references(s["Spec"], kind))
    )


def list_with_users(client: docker.DockerClient, kind: Kind) -> list[ObjectUse]:
    """Every secret (or config) with the services using it: two engine calls in all."""
    found = list_objects(client, kind)
    services = raw_services(client)
    return [ObjectUse(**v, services=users_of(services, kind, v["id"])) for v in found]


def detail(client: docker.DockerClient, kind: Kind, ref: str) -> ObjectDetail:
    """The secret (or config) ``ref`` with its users and, for a config, its content."""
    document = inspect(client, kind, ref)
    data = (document.get("Spec") or {}).get("Data") if kind == "config" else None
    text = None
    if kind == "config":
        try:
            text = base64.b64decode(data or "").decode("utf-8", errors="replace")
        except binascii.Error:
            text = ""
    return ObjectDetail(
        **view(kind, document),
        services=users_of(raw_services(client), kind, document["ID"]),
        data=text,
    )
