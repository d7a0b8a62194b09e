"""A service and its parts (all but ``deploy``), in their normalised long forms."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, ConfigDict, PrivateAttr, ValidationInfo, model_validator

from swarmdeck.compose.base import NAME, ComposeModel, list_items, located_item
from swarmdeck.compose.deploy import Deploy
from swarmdeck.compose.fields import (
    Bool,
    DriverOpts,
    Environment,
    ExtraHosts,
    HealthTest,
    Int64,
    Labels,
    LogOptions,
    Mapping,
    MappingOrNull,
    Nanoseconds,
    NullableStr,
    ShellCommand,
    Str,
    StringList,
    StringsOrNumbers,
    UInt32,
    UInt32Number,
    UInt64Number,
    UniqueStrings,
    fail,
    integer,
    is_number,
    mapping,
    strings,
    unique,
)
from swarmdeck.compose.gofmt import sprint
from swarmdeck.compose.located import LocDict, LocList
from swarmdeck.compose.ports import PortError, parse_ports
from swarmdeck.compose.volumespec import parse_volume


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
        return located_item(value, getattr(value, "loc", None), {"context": str(value)})
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


class PortConfig(ComposeModel):
    """A published port, long syntax (short entries are expanded into these)."""

    mode: Str = None
    target: UInt32 = None
    published: UInt32 = None
    protocol: Str = None


def _ports(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, list):
        fail("must be a list")
    unique(value)
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
        names = strings(distinct=True)(value)
        out = LocDict(getattr(value, "loc", None))
        locs = getattr(value, "item_locs", [None] * len(names))
        for name, loc in zip(names, locs, strict=True):
            out.put(name, None, loc, loc)
        return out
    if not isinstance(value, dict):
        fail("must be a list or mapping")
    for name, entry in value.items():
        if not NAME.fullmatch(name):
            fail(f"Additional property {name} is not allowed", name)
        if entry is not None and not isinstance(entry, dict):
            fail("must be a mapping or null", name)
    return value


class Ulimit(ComposeModel):
    """A ulimit; the single-number form gives soft = hard (``single`` says it was written so)."""

    soft: Annotated[int, BeforeValidator(integer)]
    hard: Annotated[int, BeforeValidator(integer)]

    _single: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _single_form(cls, data: Any, handler: Any) -> Any:
        model = handler(data)
        if getattr(data, "single", False):
            model._single = True
        return model

    @property
    def single(self) -> bool:
        """Whether the file gave one number (``nproc: 65535``)."""
        return self._single


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
        item = located_item(limit, loc, {"soft": number, "hard": number})
        item.single = True  # type: ignore[attr-defined]
        out[name] = item
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, str) or is_number(value):
        return sprint(value)
    fail("must be a number or string")


class Service(ComposeModel):
    """One service (its name is its key in ``Project.services``).

    Once loaded, ``environment`` is always a dict; ``networks`` None means the service is
    on the network ``default`` only (a listed network maps to None: no options).
    """

    extensions_allowed: ClassVar[bool] = True

    build: Annotated[BuildConfig | None, BeforeValidator(_build)] = None
    cap_add: UniqueStrings = None
    cap_drop: UniqueStrings = None
    cgroupns_mode: Str = None
    cgroup_parent: Str = None
    command: ShellCommand = None
    configs: Annotated[
        list[FileReference] | None, BeforeValidator(lambda v: list_items(v, _source, unique_items=False))
    ] = None
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
    networks: Annotated[dict[str, ServiceNetwork | None] | None, BeforeValidator(_service_networks)] = None
    oom_score_adj: Int64 = None
    pid: NullableStr = None
    ports: Annotated[list[PortConfig] | None, BeforeValidator(_ports)] = None
    privileged: Bool = None
    read_only: Bool = None
    restart: Str = None
    secrets: Annotated[
        list[FileReference] | None, BeforeValidator(lambda v: list_items(v, _source, unique_items=False))
    ] = None
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
    volumes: Annotated[list[ServiceVolume] | None, BeforeValidator(lambda v: list_items(v, parse_volume))] = (
        None
    )
    working_dir: Str = None


def _source(text: str) -> dict[str, Any]:
    return {"source": text}
