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

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, PrivateAttr, model_validator

from swarmdeck.compose.base import NAME, ComposeModel
from swarmdeck.compose.deploy import (
    Deploy,
    DiscreteResourceSpec,
    GenericResource,
    Limits,
    Placement,
    PlacementPreference,
    Reservations,
    Resources,
    RestartPolicy,
    UpdateConfig,
)
from swarmdeck.compose.fields import Bool, DriverOpts, Labels, Mapping, Str, fail
from swarmdeck.compose.located import LocDict
from swarmdeck.compose.service import (
    BindOptions,
    BuildConfig,
    CredentialSpec,
    FileReference,
    Healthcheck,
    Logging,
    PortConfig,
    Service,
    ServiceNetwork,
    ServiceVolume,
    TmpfsOptions,
    Ulimit,
    VolumeOptions,
)

__all__ = [
    "BindOptions",
    "BuildConfig",
    "ComposeModel",
    "Config",
    "CredentialSpec",
    "Deploy",
    "DiscreteResourceSpec",
    "FileReference",
    "GenericResource",
    "Healthcheck",
    "Ipam",
    "IpamPool",
    "Limits",
    "Logging",
    "Network",
    "Placement",
    "PlacementPreference",
    "PortConfig",
    "Project",
    "Reservations",
    "Resources",
    "RestartPolicy",
    "Secret",
    "Service",
    "ServiceNetwork",
    "ServiceVolume",
    "TmpfsOptions",
    "Ulimit",
    "UpdateConfig",
    "Volume",
    "VolumeOptions",
]


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
            data = (
                data.derive({**data, "external": True})
                if isinstance(data, LocDict)
                else {**data, "external": True}
            )
        elif isinstance(data, dict) and "external" in data and not isinstance(data["external"], bool):
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
            if check_names and not NAME.fullmatch(name):
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
