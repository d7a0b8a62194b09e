"""A loaded compose project back to YAML, as ``docker stack config`` prints it.

The docker CLI marshals its Go structs: keys in the structs' field order (the models'
field order here, which follows them), maps sorted by key, empty values left out
(``omitempty``) except where the CLI holds a pointer (``replicas: 0``, ``update_config: {}``,
a service's network ``null``), durations as Go prints them (``2m0s``), memory as a quoted
byte count, CPUs as a decimal string. ``version`` first, then services, networks, volumes,
secrets, configs, then the top-level ``x-*`` extensions as written; a service's, network's,
volume's, secret's or config's own ``x-*`` keys come after its fields, as the CLI's inline
``Extras``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml
from pydantic import BaseModel

from swarmdeck.compose.models import Project
from swarmdeck.compose.service import Ulimit

SECTIONS = ("services", "networks", "volumes", "secrets", "configs")
DURATIONS = frozenset(
    {
        "interval",
        "timeout",
        "start_period",
        "start_interval",
        "delay",
        "monitor",
        "window",
        "stop_grace_period",
    }
)
# Fields the CLI holds as pointers: printed even when zero or empty.
KEPT_ZERO = frozenset(
    {
        "replicas",
        "parallelism",
        "max_attempts",
        "retries",
        "mode",
        "init",
        "update_config",
        "rollback_config",
        "interval",
        "timeout",
        "start_period",
        "start_interval",
        "stop_grace_period",
        "pid",
    }
)
RESTART_DELAYS = frozenset({"delay", "window"})  # pointers in a restart policy only
LEFT_OUT = frozenset({"oom_score_adj"})  # loaded (and deployed) but not printed by the CLI
# Where the CLI's struct order differs from the models': these keys first, in this order.
ORDER = {
    "Healthcheck": ("test", "timeout", "interval", "retries", "start_period", "start_interval"),
    "ServiceNetwork": ("aliases", "driver_opts"),
}
# Service keys the CLI's struct has in another place: each moved right before another.
BEFORE = {"environment": "env_file", "hostname": "healthcheck"}


def go_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``1m30s``, ``1.5s``, ``500ms``, ``0s``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    value = abs(nanoseconds)
    if value < 1_000_000_000:
        for size, unit in ((1_000_000, "ms"), (1_000, "µs"), (1, "ns")):
            if value >= size:
                return f"{sign}{_decimal(value, size)}{unit}"
    seconds, fraction = divmod(value, 1_000_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{_decimal(secs * 1_000_000_000 + fraction, 1_000_000_000)}s"
    if hours:
        text = f"{hours}h{minutes}m{text}"
    elif minutes:
        text = f"{minutes}m{text}"
    return sign + text


def _decimal(value: int, size: int) -> str:
    whole, fraction = divmod(value, size)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(size)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def cpus(nano: int) -> str:
    """Nano-CPUs as the decimal the file would have written (``0.5``)."""
    text = format(Decimal(nano) / Decimal(1_000_000_000), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == 0 or value in ([], {})


def _value(field: str, value: Any, owner: str) -> Any:
    if isinstance(value, BaseModel):
        return model_data(value)
    if isinstance(value, dict):
        return {
            key: None if item is None else _value(key, item, owner) for key, item in sorted(value.items())
        }
    if isinstance(value, list):
        return [_value(field, item, owner) for item in value]
    if field in DURATIONS and isinstance(value, int) and not isinstance(value, bool):
        return go_duration(value)
    return value


def model_data(model: BaseModel) -> dict[str, Any]:
    """A model as the CLI marshals its struct: field order, aliases, ``omitempty``."""
    owner = type(model).__name__
    if isinstance(model, Ulimit) and model.single:
        return model.soft  # type: ignore[return-value]  # the CLI's single form
    out: dict[str, Any] = {}
    for name, info in _fields(type(model)):
        if name in LEFT_OUT:
            continue
        value = getattr(model, name)
        key = info.alias or name
        kept = name in KEPT_ZERO or (owner == "RestartPolicy" and name in RESTART_DELAYS)
        if value is None or (_empty(value) and not kept):
            continue
        if name == "nano_cpus":
            out[key] = cpus(value)
        elif name == "memory_bytes":
            out[key] = str(value)
        elif name == "networks" and owner == "Service":
            out[key] = {k: None if v is None else model_data(v) for k, v in sorted(value.items())}
        else:
            out[key] = _value(name, value, owner)
    for key, extension in sorted(getattr(model, "extensions", {}).items()):
        out[key] = _plain(extension)
    return out


def _fields(cls: type[BaseModel]) -> list[tuple[str, Any]]:
    fields = list(cls.model_fields.items())
    first = ORDER.get(cls.__name__, ())
    fields.sort(key=lambda item: first.index(item[0]) if item[0] in first else len(first))
    if cls.__name__ == "Service":
        for moved, before in BEFORE.items():
            item = next(f for f in fields if f[0] == moved)
            fields.remove(item)
            fields.insert(next(i for i, f in enumerate(fields) if f[0] == before), item)
    return fields


def project_data(project: Project, extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole document: version, the sections (names sorted), the extensions."""
    out: dict[str, Any] = {"version": project.version or ""}
    for section in SECTIONS:
        definitions: dict[str, BaseModel] = getattr(project, section)
        if definitions or section == "services":
            out[section] = {name: model_data(item) for name, item in sorted(definitions.items())}
    for key, value in sorted((extensions or {}).items()):
        out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    """YAML data as plain dicts and lists (the reader's located subclasses dropped)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


class _Dumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, double quotes where plain text
    would read as something else (``"yes"``, ``"1000"``), as go-yaml v3 writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    resolver: Any = dumper.resolve  # untyped in PyYAML
    resolved = resolver(yaml.ScalarNode, value, (True, False))
    style = '"' if resolved != "tag:yaml.org,2002:str" or value == "" or value.lower() in ("y", "n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(project: Project, extensions: dict[str, Any] | None = None) -> str:
    """``docker stack config``'s text for ``project``."""
    return yaml.dump(
        project_data(project, extensions),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 20,
    )
