"""Merge the files of one deployment in order, with the docker CLI's rules.

The CLI loads each file into Go structs and merges them with mergo (``WithOverride``,
``WithAppendSlice``) plus a few special cases (docker/cli ``cli/compose/loader/merge.go``).
What that means per field, reproduced here on the normalised models:

* services by name (then sorted by name); other top-level sections replaced per key;
* a scalar is overridden only by a non-zero value (``""``, ``0`` and ``false`` never
  override), except Go pointer fields: ``replicas``, ``parallelism``, ``max_attempts``,
  ``retries`` and ``cpus`` are overridden whenever set, and ``init`` and the healthcheck /
  restart durations are taken from the later file when the earlier one left them unset;
* lists are appended (also ``healthcheck.test``), but ``command`` and ``entrypoint`` are
  replaced by a non-empty list;
* ``ports`` merged by published port, ``volumes`` by target, ``secrets`` and ``configs``
  by source (later wins, then sorted by that key) when both files have the list;
* maps merged per key (later wins, even with ``""``); ``environment`` per key with Go's
  pointer rules (an empty or missing later value does not replace a set one);
  ``ulimits`` replaced per name; a service's ``networks`` entry takes the later aliases and
  non-empty addresses;
* ``logging``: same or missing driver merges the options (only when the earlier file has
  options: a mergo quirk), another driver replaces the whole block.

Locations follow the values: a value taken from a later file points into that file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from swarmdeck.compose.models import (
    BuildConfig,
    ComposeModel,
    Deploy,
    FileReference,
    Healthcheck,
    Limits,
    Logging,
    PortConfig,
    Project,
    Reservations,
    RestartPolicy,
    Service,
    ServiceNetwork,
    ServiceVolume,
    UpdateConfig,
)

Rule = Callable[[Any, Any], Any]


def _nonzero(value: Any) -> bool:
    return value is not None and value != "" and value != 0 and value is not False


def _value(dst: Any, src: Any) -> Any:
    return src if _nonzero(src) else dst


def _pointer(dst: Any, src: Any) -> Any:
    return src if src is not None else dst


def _pointer_value(dst: Any, src: Any) -> Any:
    return src if dst is None or _nonzero(src) else dst


def _append(dst: Any, src: Any) -> Any:
    if src is None:
        return dst
    return src if dst is None else [*dst, *src]


def _replace_nonempty(dst: Any, src: Any) -> Any:
    return src if src else dst


def _map(dst: Any, src: Any) -> Any:
    if src is None:
        return dst
    return dict(src) if dst is None else {**dst, **src}


def _environment(dst: Any, src: Any) -> Any:
    if src is None or dst is None:
        return dst if src is None else dict(src)
    out = dict(dst)
    for key, value in src.items():
        if key not in out or value or not out[key]:
            out[key] = value
    return out


def _nested(dst: Any, src: Any) -> Any:
    if src is None or dst is None:
        return dst if src is None else src
    return merge_models(dst, src)


def _logging(dst: Logging | None, src: Logging | None) -> Logging | None:
    if src is None or dst is None:
        return dst if src is None else src
    if dst.driver and src.driver and dst.driver != src.driver:
        return src
    if not dst.driver:
        dst.driver = src.driver
    if dst.options is not None and src.options:
        dst.options = {**dst.options, **src.options}
    return dst


def _service_networks(dst: Any, src: Any) -> Any:
    if src is None or dst is None:
        return dst if src is None else src
    out: dict[str, ServiceNetwork | None] = dict(dst)
    for name, network in src.items():
        current = out.get(name)
        if current is None:
            out[name] = network
        elif network is not None:
            current.aliases = network.aliases
            current.ipv4_address = network.ipv4_address or current.ipv4_address
            current.ipv6_address = network.ipv6_address or current.ipv6_address
    return out


def _keyed(key: Callable[[Any], Any]) -> Rule:
    def merge(dst: Any, src: Any) -> Any:
        if src is None or dst is None:
            return dst if src is None else src
        by_key = {key(item): item for item in [*dst, *src]}
        return sorted(by_key.values(), key=key)

    return merge


_RULES: dict[type[BaseModel], dict[str, Rule]] = {
    Service: {
        "command": _replace_nonempty,
        "entrypoint": _replace_nonempty,
        "environment": _environment,
        "logging": _logging,
        "networks": _service_networks,
        "ports": _keyed(lambda p: p.published or 0),
        "volumes": _keyed(lambda v: v.target or ""),
        "secrets": _keyed(lambda s: s.source or ""),
        "configs": _keyed(lambda c: c.source or ""),
        "ulimits": _map,
        "init": _pointer_value,
        "stop_grace_period": _pointer_value,
    },
    BuildConfig: {"args": _environment},
    Deploy: {"replicas": _pointer},
    Healthcheck: {name: _pointer_value for name in ("interval", "timeout", "start_period", "start_interval")}
    | {"retries": _pointer},
    UpdateConfig: {"parallelism": _pointer},
    RestartPolicy: {"max_attempts": _pointer, "delay": _pointer_value, "window": _pointer_value},
    Limits: {"nano_cpus": _pointer},
    Reservations: {"nano_cpus": _pointer},
}
# Whole values, never merged inside (they are replaced as one by the rules above).
_ATOMIC = (PortConfig, ServiceVolume, FileReference)


def _default_rule(value: Any) -> Rule:
    if isinstance(value, list):
        return _append
    if isinstance(value, dict):
        return _map
    if isinstance(value, BaseModel) and not isinstance(value, _ATOMIC):
        return _nested
    return _value


def merge_models(dst: ComposeModel, src: ComposeModel) -> ComposeModel:
    """Merge ``src`` into ``dst`` (modified and returned), field by field."""
    rules = _RULES.get(type(dst), {})
    for name, field in type(dst).model_fields.items():
        before, incoming = getattr(dst, name), getattr(src, name)
        if incoming is None:
            continue
        rule = rules.get(name) or _default_rule(before if before is not None else incoming)
        setattr(dst, name, rule(before, incoming))
        _take_locations(dst, src, field.alias or name)
    dst._extensions = _deep(dst._extensions, src._extensions)
    return dst


def _deep(dst: dict[str, Any], src: dict[str, Any]) -> dict[str, Any]:
    """``x-*`` values merged as the CLI merges them: mappings key by key, all else replaced."""
    out = dict(dst)
    for key, value in src.items():
        before = out.get(key)
        out[key] = _deep(before, value) if isinstance(before, dict) and isinstance(value, dict) else value
    return out


def _take_locations(dst: ComposeModel, src: ComposeModel, key: str) -> None:
    if key in src._key_locs:
        dst._key_locs[key] = src._key_locs[key]
    if key in src._entry_locs:
        dst._entry_locs[key] = {**dst._entry_locs.get(key, {}), **src._entry_locs[key]}


def merge_projects(projects: Sequence[Project]) -> Project:
    """The first project with every later one merged into it."""
    base = projects[0]
    for override in projects[1:]:
        for name, service in override.services.items():
            current = base.services.get(name)
            if current is not None:
                merge_models(current, service)
            else:
                base.services[name] = service
        for section in ("networks", "volumes", "secrets", "configs"):
            getattr(base, section).update(getattr(override, section))
        for section in ("services", "networks", "volumes", "secrets", "configs"):
            _take_locations(base, override, section)
    base.services = dict(sorted(base.services.items()))
    return base
