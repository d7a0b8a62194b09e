"""Typed, normalised models of a compose file (format 3.0-3.13, as ``docker stack deploy``
reads it).

After loading, every value is in one form, ready for a converter to Swarm API specs:

* ports and volumes in the long syntax (``PortConfig``, ``ServiceVolume``), secrets and
  configs as ``FileReference``; ``networks`` of a service as a mapping;
* durations (``*_period``, ``interval``, ``delay``, ``stop_grace_period``...) in integer
  nanoseconds; CPUs as integer nano-CPUs (``nano_cpus``, YAML key ``cpus``); memory as
  integer bytes (``memory_bytes``, YAML key ``memory``);
* ``command``/``entrypoint`` as word lists (shell-split like the CLI), ``healthcheck.test``
  as a list (a string becomes ``["CMD-SHELL", s]``), ``dns``/``env_file``/``tmpfs`` as lists;
* ``environment`` as a dict (``None`` for a name without a value), already merged with
  ``env_file`` and the caller's environment; labels, sysctls, options as ``dict[str, str]``
  with values rendered like Go's ``fmt.Sprint``; ``extra_hosts`` as ``"host:ip"`` strings;
* bind sources and secret/config files as absolute paths; external objects with their
  resolved ``name``; extension fields (``x-*``) dropped.

A field is ``None`` when the file did not set it. Every model remembers where it came
from: ``loc`` (the mapping), ``key_loc(key)`` and ``entry_loc(field, key)`` (a key inside a
mapping-valued field, e.g. a service's network), for error messages.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    model_validator,
)

from swarmdeck.compose.fields import (
    Bool,
    Bytes,
    DriverOpts,
    Environment,
    ExtraHosts,
    HealthTest,
    Int64,
    Labels,
    LogOptions,
    Mapping,
    MappingOrNull,
    NanoCpus,
    Nanoseconds,
    NullableStr,
    Number,
    ShellCommand,
    Str,
    StringList,
    Strings,
    StringsOrNumbers,
    UInt32,
    UInt32Number,
    UInt64,
    UInt64Number,
    UniqueStrings,
    fail,
    integer,
    is_number,
    mapping,
    strings,
)
from swarmdeck.compose.gofmt import sprint
from swarmdeck.compose.located import Location, LocDict, LocList
from swarmdeck.compose.ports import PortError, parse_ports
from swarmdeck.compose.volumespec import parse_volume

_NAME = re.compile(r"[a-zA-Z0-9._-]+")


class ComposeModel(BaseModel):
    """Base of all models: strict, no unknown keys, and located."""

    model_config = ConfigDict(extra="forbid", strict=True)
    extensions_allowed: ClassVar[bool] = False

    _loc: Location | None = PrivateAttr(default=None)
    _key_locs: dict[str, Location | None] = PrivateAttr(default_factory=dict)
    _entry_locs: dict[str, dict[str, Location | None]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _located(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, cls):
            return data
        if cls.extensions_allowed and isinstance(data, LocDict):
            data = data.derive({k: v for k, v in data.items() if not k.startswith("x-")})
        model = handler(data)
        if isinstance(data, LocDict):
            model._loc = data.loc
            model._key_locs = dict(data.key_locs)
            model._entry_locs = {key: _entry_locs(value) for key, value in data.items()}
        return model

    @property
    def loc(self) -> Location | None:
        """Where this mapping starts."""
        return self._loc

    def key_loc(self, key: str) -> Location | None:
        """Where ``key`` (the YAML key) was written, else where this mapping starts."""
        return self._key_locs.get(key) or self._loc

    def entry_loc(self, field: str, key: str) -> Location | None:
        """Where ``key`` inside the mapping-valued ``field`` was written."""
        return self._entry_locs.get(field, {}).get(key) or self.key_loc(field)


def _entry_locs(value: Any) -> dict[str, Location | None]:
    """Where each entry of a mapping (or each string of a list, e.g. network names) is."""
    if isinstance(value, LocDict):
        return dict(value.key_locs)
    if isinstance(value, LocList):
        return {str(item): loc for item, loc in zip(value, value.item_locs, strict=True)
                if isinstance(item, str)}
    return {}


def _located_item(value: Any, loc: Location | None, items: dict[str, Any]) -> LocDict:
    out = LocDict(loc)
    for key, item in items.items():
        out.put(key, item, loc, loc)
    return out


def _list_items(value: Any, convert: Any, unique: bool = True) -> LocList:
    """A list whose string items are turned into located mappings by ``convert``."""
    if not isinstance(value, list):
        fail("must be a list")
    locs = getattr(value, "item_locs", [None] * len(value))
    if unique:
        strings_part = [item for item in value if isinstance(item, str)]
        if len(set(strings_part)) != len(strings_part):
            seen: dict[str, int] = {}
            for index, item in enumerate(value):
                if isinstance(item, str):
                    if item in seen:
                        fail(f"array items[{seen[item]},{index}] must be unique", index)
                    seen[item] = index
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            try:
                item = _located_item(item, locs[index], convert(str(item)))
            except ValueError as exc:
                fail(str(exc), index)
        out.append(item)
    return LocList(out, getattr(value, "loc", None), locs)


# --- service parts ---------------------------------------------------------------------


class BuildConfig(ComposeModel):
    """``build``: ignored by ``docker stack deploy`` (warned as unsupported)."""

    model_config = ConfigDict(extra="allow")

    context: Str = None
    dockerfile: Str = None
    args: Environment = None
    labels: Labels = None
    cache_from: UniqueStrings = None
    network: Str = None
    target: Str = None
    extra_hosts: ExtraHosts = None


def _build(value: Any) -> Any:
    if isinstance(value, str):
        return _located_item(value, getattr(value, "loc", None), {"context": str(value)})
    return mapping(value)


class CredentialSpec(ComposeModel):
    config: Str = None
    file: Str = None
    registry: Str = None


class Logging(ComposeModel):
    driver: Str = None
    options: LogOptions = None


class Healthcheck(ComposeModel):
    test: HealthTest = None
    interval: Nanoseconds = None
    timeout: Nanoseconds = None
    start_period: Nanoseconds = None
    start_interval: Nanoseconds = None
    retries: UInt64Number = None
    disable: Bool = None


def _order(value: Any) -> str:
    if value in ("start-first", "stop-first"):
        return str(value)
    fail('must be one of the following: "start-first", "stop-first"')


class UpdateConfig(ComposeModel):
    """``update_config`` and ``rollback_config``."""

    parallelism: UInt64 = None
    delay: Nanoseconds = None
    failure_action: Str = None
    monitor: Nanoseconds = None
    max_failure_ratio: Number = None
    order: Annotated[Literal["start-first", "stop-first"] | None,
                     BeforeValidator(_order)] = None


class Limits(ComposeModel):
    nano_cpus: NanoCpus = Field(default=None, alias="cpus")
    memory_bytes: Bytes = Field(default=None, alias="memory")
    pids: Int64 = None


def _int64_number(value: Any) -> int:
    if not is_number(value) or value != value or value in (float("inf"), float("-inf")):
        fail("must be a number")
    result = int(value)
    if not -(1 << 63) <= result < 1 << 63:
        fail(f"{result} overflows int64")
    return result


class DiscreteResourceSpec(ComposeModel):
    kind: Str = None
    value: Annotated[int | None, BeforeValidator(_int64_number)] = None


class GenericResource(ComposeModel):
    discrete_resource_spec: Annotated[DiscreteResourceSpec | None, Mapping] = None


class Reservations(ComposeModel):
    nano_cpus: NanoCpus = Field(default=None, alias="cpus")
    memory_bytes: Bytes = Field(default=None, alias="memory")
    generic_resources: list[GenericResource] | None = None


class Resources(ComposeModel):
    limits: Annotated[Limits | None, Mapping] = None
    reservations: Annotated[Reservations | None, Mapping] = None


class RestartPolicy(ComposeModel):
    condition: Str = None
    delay: Nanoseconds = None
    max_attempts: UInt64 = None
    window: Nanoseconds = None


class PlacementPreference(ComposeModel):
    spread: Str = None


class Placement(ComposeModel):
    constraints: Strings = None
    preferences: list[PlacementPreference] | None = None
    max_replicas_per_node: UInt64 = None


class Deploy(ComposeModel):
    mode: Str = None
    replicas: UInt64 = None
    labels: Labels = None
    update_config: Annotated[UpdateConfig | None, Mapping] = None
    rollback_config: Annotated[UpdateConfig | None, Mapping] = None
    resources: Annotated[Resources | None, Mapping] = None
    restart_policy: Annotated[RestartPolicy | None, Mapping] = None
    placement: Annotated[Placement | None, Mapping] = None
    endpoint_mode: Str = None


class PortConfig(ComposeModel):
    """A published port, long syntax (short entries are expanded into these)."""

    mode: Str = None
    target: UInt32 = None
    published: UInt32 = None
    protocol: Str = None


def _ports(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, list):
        fail("must be a list")
    plain_items = [sprint(item) if not isinstance(item, dict) else repr(sorted(item.items()))
                   for item in value]
    for index, item in enumerate(plain_items):
        if item in plain_items[:index]:
            fail(f"array items[{plain_items.index(item)},{index}] must be unique", index)
    warnings = (info.context or {}).get("warnings", [])
    entries = value if isinstance(value, LocList) else LocList(value)
    try:
        return parse_ports(entries, warnings)
    except PortError as exc:
        fail(str(exc), *exc.subpath)


class BindOptions(ComposeModel):
    model_config = ConfigDict(extra="ignore")
    propagation: Str = None


class VolumeOptions(ComposeModel):
    model_config = ConfigDict(extra="ignore")
    nocopy: Bool = None


def _tmpfs_size(value: Any) -> int:
    result = integer(value)
    if result < 0:
        fail("must be greater than or equal to 0")
    return result


class TmpfsOptions(ComposeModel):
    model_config = ConfigDict(extra="ignore")
    size: Annotated[int | None, BeforeValidator(_tmpfs_size)] = None


def _type_string(value: Any) -> str:
    if isinstance(value, str):
        return str(value)
    fail("must be a string")


class ServiceVolume(ComposeModel):
    """A mount, long syntax (short entries are converted into this)."""

    type: Annotated[str, BeforeValidator(_type_string)]
    source: Str = None
    target: Str = None
    read_only: Bool = None
    consistency: Str = None
    bind: Annotated[BindOptions | None, Mapping] = None
    volume: Annotated[VolumeOptions | None, Mapping] = None
    tmpfs: Annotated[TmpfsOptions | None, Mapping] = None


class FileReference(ComposeModel):
    """A service's use of a secret or config (``source`` is the top-level key)."""

    model_config = ConfigDict(extra="ignore")
    source: Str = None
    target: Str = None
    uid: Str = None
    gid: Str = None
    mode: UInt32Number = None


class ServiceNetwork(ComposeModel):
    aliases: UniqueStrings = None
    ipv4_address: Str = None
    ipv6_address: Str = None
    driver_opts: DriverOpts = None


def _service_networks(value: Any) -> Any:
    if isinstance(value, list):
        names = strings(unique=True)(value)
        out = LocDict(getattr(value, "loc", None))
        locs = getattr(value, "item_locs", [None] * len(names))
        for name, loc in zip(names, locs, strict=True):
            out.put(name, None, loc, loc)
        return out
    if not isinstance(value, dict):
        fail("must be a list or mapping")
    for name, entry in value.items():
        if not _NAME.fullmatch(name):
            fail(f"Additional property {name} is not allowed", name)
        if entry is not None and not isinstance(entry, dict):
            fail("must be a mapping or null", name)
    return value


class Ulimit(ComposeModel):
    """A ulimit; the single-number form gives soft = hard."""

    soft: Annotated[int, BeforeValidator(integer)]
    hard: Annotated[int, BeforeValidator(integer)]


def _ulimits(value: Any) -> Any:
    if not isinstance(value, dict):
        fail("must be a mapping")
    out = value.derive() if isinstance(value, LocDict) else dict(value)
    for name, limit in value.items():
        if isinstance(limit, dict):
            continue
        if isinstance(limit, bool) or not is_number(limit):
            fail("must be a integer or mapping", name)
        number = integer(limit)
        loc = value.value_locs.get(name) if isinstance(value, LocDict) else None
        out[name] = _located_item(limit, loc, {"soft": number, "hard": number})
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, str) or is_number(value):
        return sprint(value)
    fail("must be a number or string")


class Service(ComposeModel):
    """One service. ``environment`` is always a dict once loaded."""

    extensions_allowed: ClassVar[bool] = True

    build: Annotated[BuildConfig | None, BeforeValidator(_build)] = None
    cap_add: UniqueStrings = None
    cap_drop: UniqueStrings = None
    cgroupns_mode: Str = None
    cgroup_parent: Str = None
    command: ShellCommand = None
    configs: Annotated[list[FileReference] | None,
                       BeforeValidator(lambda v: _list_items(v, _source, unique=False))] = None
    container_name: Str = None
    credential_spec: Annotated[CredentialSpec | None, Mapping] = None
    depends_on: UniqueStrings = None
    deploy: Annotated[Deploy | None, MappingOrNull] = None
    devices: UniqueStrings = None
    dns: StringList = None
    dns_search: StringList = None
    domainname: Str = None
    entrypoint: ShellCommand = None
    env_file: StringList = None
    environment: Environment = None
    expose: StringsOrNumbers = None
    external_links: UniqueStrings = None
    extra_hosts: ExtraHosts = None
    group_add: StringsOrNumbers = None
    healthcheck: Annotated[Healthcheck | None, Mapping] = None
    hostname: Str = None
    image: Str = None
    init: Bool = None
    ipc: Str = None
    isolation: Str = None
    labels: Labels = None
    links: UniqueStrings = None
    logging: Annotated[Logging | None, Mapping] = None
    mac_address: Str = None
    network_mode: Str = None
    networks: Annotated[dict[str, ServiceNetwork | None] | None,
                        BeforeValidator(_service_networks)] = None
    oom_score_adj: Int64 = None
    pid: NullableStr = None
    ports: Annotated[list[PortConfig] | None, BeforeValidator(_ports)] = None
    privileged: Bool = None
    read_only: Bool = None
    restart: Str = None
    secrets: Annotated[list[FileReference] | None,
                       BeforeValidator(lambda v: _list_items(v, _source, unique=False))] = None
    security_opt: UniqueStrings = None
    shm_size: Annotated[str | None, BeforeValidator(_text)] = None
    stdin_open: Bool = None
    stop_grace_period: Nanoseconds = None
    stop_signal: Str = None
    sysctls: Labels = None
    tmpfs: StringList = None
    tty: Bool = None
    ulimits: Annotated[dict[str, Ulimit] | None, BeforeValidator(_ulimits)] = None
    user: Str = None
    userns_mode: Str = None
    volumes: Annotated[list[ServiceVolume] | None,
                       BeforeValidator(lambda v: _list_items(v, parse_volume))] = None
    working_dir: Str = None


def _source(text: str) -> dict[str, Any]:
    return {"source": text}


# --- top-level objects -----------------------------------------------------------------


class _ExternalModel(ComposeModel):
    """Networks, volumes, secrets, configs: ``external`` may be ``{name: ...}``.

    The name given that way is kept aside (``external_name``) for the loader, which turns
    it into ``name`` with the CLI's deprecation warning.
    """

    extensions_allowed: ClassVar[bool] = True
    strict_external: ClassVar[bool] = True  # whether external allows only "name"

    _external_name: str | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _external(cls, data: Any, handler: Any) -> Any:
        external_name = None
        if isinstance(data, dict) and isinstance(data.get("external"), dict):
            external = data["external"]
            for key, value in external.items():
                if key == "name":
                    if not isinstance(value, str):
                        fail("must be a string", "external", "name")
                    external_name = str(value)
                elif cls.strict_external:
                    fail(f"Additional property {key} is not allowed", "external", key)
            data = data.derive({**data, "external": True}) if isinstance(data, LocDict) \
                else {**data, "external": True}
        elif isinstance(data, dict) and "external" in data and \
                not isinstance(data["external"], bool):
            fail("must be a boolean or mapping", "external")
        model = handler(data)
        if external_name is not None:
            model._external_name = external_name
        return model

    @property
    def external_name(self) -> str | None:
        return self._external_name


class IpamPool(ComposeModel):
    subnet: Str = None


class Ipam(ComposeModel):
    driver: Str = None
    config: list[IpamPool] | None = None


class Network(_ExternalModel):
    name: Str = None
    driver: Str = None
    driver_opts: DriverOpts = None
    ipam: Annotated[Ipam | None, Mapping] = None
    external: Bool = None
    internal: Bool = None
    attachable: Bool = None
    labels: Labels = None


class Volume(_ExternalModel):
    name: Str = None
    driver: Str = None
    driver_opts: DriverOpts = None
    external: Bool = None
    labels: Labels = None


class Secret(_ExternalModel):
    strict_external: ClassVar[bool] = False

    name: Str = None
    file: Str = None
    external: Bool = None
    labels: Labels = None
    driver: Str = None
    driver_opts: DriverOpts = None
    template_driver: Str = None


class Config(_ExternalModel):
    strict_external: ClassVar[bool] = False

    name: Str = None
    file: Str = None
    external: Bool = None
    labels: Labels = None
    template_driver: Str = None


def _definitions(check_names: bool, allow_null: bool) -> BeforeValidator:
    """A top-level section: a mapping of names to definitions."""

    def validate(value: Any) -> Any:
        if not isinstance(value, dict):
            fail("must be a mapping")
        out = value.derive() if isinstance(value, LocDict) else dict(value)
        for name, definition in value.items():
            if check_names and not _NAME.fullmatch(name):
                fail(f"Additional property {name} is not allowed", name)
            if definition is None and allow_null:
                loc = value.value_locs.get(name) if isinstance(value, LocDict) else None
                out[name] = LocDict(loc)
            elif not isinstance(definition, dict):
                fail("must be a mapping or null" if allow_null else "must be a mapping", name)
        return out

    return BeforeValidator(validate)


class Project(ComposeModel):
    """A whole compose file (or several, merged). ``version`` is normalised (``3.13``)."""

    extensions_allowed: ClassVar[bool] = True

    version: Str = None
    services: Annotated[dict[str, Service], _definitions(True, False)] = {}
    networks: Annotated[dict[str, Network], _definitions(False, True)] = {}
    volumes: Annotated[dict[str, Volume], _definitions(True, True)] = {}
    secrets: Annotated[dict[str, Secret], _definitions(True, False)] = {}
    configs: Annotated[dict[str, Config], _definitions(True, False)] = {}
