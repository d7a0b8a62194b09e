"""The console API's answers as typed models: what ``/api/openapi.json`` documents for every
route, so a client can be generated from it, and what the routes build their answers from.

Engine objects that the API hands through unchanged (inspect answers) are ``EngineDocument``:
their schema is the Engine API's own, which the console does not restate.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, RootModel

from swarmdeck.store import Role, TokenScope


def _absent(value: object) -> bool:
    return value is None


class Status(BaseModel):
    """A change that has nothing more to say than that it was done."""

    status: str = Field(description="what was done, e.g. removed")


class Health(BaseModel):
    status: str
    setup_required: bool = Field(description="true until the first admin exists")


class EngineDocument(RootModel[dict[str, Any]]):
    """The engine's own answer, unchanged (see the Docker Engine API for its fields);
    environment values are masked for read-only users."""


# --- accounts -------------------------------------------------------------------------
class User(BaseModel):
    username: str
    role: Role
    created_at: str = Field(description="ISO 8601")


class Session(User):
    """A browser session just started: the cookie is set; send this CSRF token with changes."""

    csrf_token: str
    expires_at: str


class PasswordChanged(User):
    status: str
    csrf_token: str | None = Field(default=None, exclude_if=_absent, description="the new session's")
    expires_at: str | None = Field(default=None, exclude_if=_absent)


class Me(User):
    via: str = Field(description="session or token")
    csrf_token: str | None


class Token(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="the token's first characters, to recognise it")
    scope: TokenScope
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    expired: bool


class NewToken(Token):
    token: str = Field(description="the secret itself: shown in this answer only")
    note: str


class Team(BaseModel):
    name: str
    members: list[str]
    endpoints: list[str]
    created_at: str


class AuditEntry(BaseModel):
    at: str
    user: str
    action: str
    target: str
    endpoint: str
    result: str
    client: str


class AuditPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[AuditEntry]


# --- endpoints ------------------------------------------------------------------------
class Endpoint(BaseModel):
    name: str
    url: str
    kind: str = Field(description="unix, tcp or ssh")
    tls: bool
    tls_ca: str | None
    tls_cert: str | None
    tls_key: str | None
    tls_material: bool = Field(
        default=False, description="CA, client certificate and encrypted key kept by the console"
    )
    insecure: bool = Field(description="plain TCP: anyone on the network may drive the engine")
    warning: str | None = Field(default=None, exclude_if=_absent)


class EndpointProbe(Endpoint):
    """The endpoint and what answered when the console connected just now."""

    healthy: bool
    error: str | None = Field(default=None, exclude_if=_absent)
    engine_version: str | None = Field(default=None, exclude_if=_absent)
    api_version: str | None = Field(default=None, exclude_if=_absent)
    swarm_role: str | None = Field(default=None, exclude_if=_absent, description="manager, worker or none")


class EndpointCheck(BaseModel):
    """What answered when the console tried the endpoint before saving it."""

    ok: bool
    summary: str = Field(description="the check's result in one sentence, as the pages show it")
    error: str | None = Field(default=None, exclude_if=_absent)
    engine_version: str | None = Field(default=None, exclude_if=_absent)
    api_version: str | None = Field(default=None, exclude_if=_absent)
    swarm_role: str | None = Field(default=None, exclude_if=_absent, description="manager, worker or none")


class EndpointSaved(Endpoint):
    """The endpoint as stored, and the check it passed (or failed, when saved with ``force``)."""

    check: EndpointCheck


# --- containers -----------------------------------------------------------------------
class Container(BaseModel):
    id: str
    name: str
    image: str
    state: str
    status: str
    created: int = Field(description="Unix time")
    ports: list[str]
    stack: str
    service: str
    labels: dict[str, str]
    networks: list[str]
    volumes: list[str]


class ContainerPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[Container]


class ContainerLogs(BaseModel):
    lines: list[str]


class ContainerStats(BaseModel):
    """One sample of what ``docker stats`` shows; a stopped container has only its state."""

    id: str
    name: str
    running: bool
    cpu_percent: float | None = Field(default=None, exclude_if=_absent)
    online_cpus: int | None = Field(default=None, exclude_if=_absent)
    memory_usage: int | None = Field(default=None, exclude_if=_absent)
    memory_limit: int | None = Field(default=None, exclude_if=_absent)
    memory_percent: float | None = Field(default=None, exclude_if=_absent)
    net_rx: int | None = Field(default=None, exclude_if=_absent)
    net_tx: int | None = Field(default=None, exclude_if=_absent)
    block_read: int | None = Field(default=None, exclude_if=_absent)
    block_write: int | None = Field(default=None, exclude_if=_absent)
    pids: int | None = Field(default=None, exclude_if=_absent)


class TaskElsewhere(BaseModel):
    """A running task of the service on another node: its engine is not this endpoint's."""

    task_id: str
    slot: int | None
    node: str


class ServiceStats(BaseModel):
    """One sample of each running task's container on this endpoint's node, summed."""

    id: str
    name: str
    node: str = Field(description="the node of this endpoint's engine, whose containers are counted")
    running_tasks: int
    sampled: int = Field(description="containers sampled (running tasks on this node)")
    elsewhere: list[TaskElsewhere] = Field(description="running tasks on other nodes, not counted")
    cpu_percent: float
    memory_usage: int
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    pids: int


# --- images, networks, volumes --------------------------------------------------------
class Image(BaseModel):
    id: str
    tags: list[str]
    size: int
    created: int
    containers: int = Field(description="containers (running or not) that use it")


class Tagged(Status):
    target: str


class Network(BaseModel):
    id: str
    name: str
    driver: str
    scope: str
    internal: bool
    labels: dict[str, str]
    containers: list[str]


class Volume(BaseModel):
    name: str
    driver: str
    mountpoint: str
    labels: dict[str, str]
    containers: list[str]


# --- registries -----------------------------------------------------------------------
class Registry(BaseModel):
    """A registry the console knows; its password is never shown, only whether it has one."""

    name: str
    address: str
    username: str | None
    has_password: bool
    ca: bool = Field(description="whether a CA certificate was given for it")
    managed: bool = Field(description="the registry `swarmdeck up` runs")
    allowed_realms: list[str]


class RegistryCheck(BaseModel):
    """What the registry's ``/v2/`` said when the console tried it before saving it."""

    ok: bool
    summary: str = Field(description="the check's result in one sentence, as the pages show it")
    error: str | None = Field(default=None, exclude_if=_absent)
    scheme: str | None = Field(default=None, exclude_if=_absent, description="https or http")
    api_version: str | None = Field(
        default=None, exclude_if=_absent, description="its Docker-Distribution-API-Version (registry/2.0)"
    )
    auth: str | None = Field(
        default=None,
        exclude_if=_absent,
        description="accepted (the credentials), open (none needed) or asked (none given, it asks)",
    )


class RegistrySaved(Registry):
    """The registry as stored, and the check it passed (or failed, when saved with ``force``)."""

    check: RegistryCheck


class RegistryTest(Registry):
    status: str
    scheme: str = Field(description="https or http: what answered")


class NamePage(BaseModel):
    items: list[str]
    total: int
    page: int
    per_page: int
    pages: int


class TagPage(NamePage):
    repository: str


class ManifestPlatform(BaseModel):
    platform: str
    digest: str
    size: int


class ManifestLayer(BaseModel):
    digest: str
    size: int
    media_type: str


class ImageConfig(BaseModel):
    created: str
    os: str
    architecture: str
    variant: str
    author: str
    entrypoint: list[str] | None
    cmd: list[str] | None
    env: list[str]
    working_dir: str
    user: str
    exposed_ports: list[str]
    labels: dict[str, str]


class HistoryEntry(BaseModel):
    created: str
    created_by: str
    comment: str
    empty_layer: bool


class ManifestView(BaseModel):
    """A tag or digest: an index's platforms, or an image's layers, config and history."""

    repository: str
    reference: str
    digest: str
    media_type: str
    is_index: bool
    platforms: list[ManifestPlatform]
    layers: list[ManifestLayer]
    size: int
    config_digest: str | None
    config: ImageConfig | None
    history: list[HistoryEntry]


class TagDeletion(BaseModel):
    digest: str
    deleted_tags: list[str]
    note: str


class ImageUser(BaseModel):
    """A service whose image is a tag or digest of the repository."""

    service: str
    id: str
    image: str
    tag: str
    digest: str


class RepositoryUsage(BaseModel):
    repository: str
    endpoint: str
    services: list[ImageUser]


class Collection(BaseModel):
    """What the registry's garbage collection freed."""

    blobs_deleted: int
    bytes_before: int
    bytes_after: int
    freed: int
    summary: str = Field(description="what was freed, in one sentence")
    note: str


class WorkloadSettings(BaseModel):
    allowed_host_paths: list[str] = Field(description="host directories under which non-admins may bind")
    never_allowed: list[str] = Field(description="the engine's own paths: never allowed")
    note: str


class DirectoryMapping(BaseModel):
    group: str = Field(description="a group's DN")
    role: str
    teams: list[str]


class DirectorySettings(BaseModel):
    url: str = Field(description="the directory's ldap:// or ldaps:// URL; empty: directory login is off")
    bind_dn: str
    has_bind_password: bool
    user_base: str
    user_filter: str = Field(description="an LDAP filter naming {username}")
    group_base: str
    group_filter: str = Field(description="an LDAP filter naming {dn} (the user's DN) or {username}")
    mappings: list[DirectoryMapping]


class DirectoryLoginResult(BaseModel):
    dn: str
    groups: list[str]
    role: str
    teams: list[str]
    summary: str
