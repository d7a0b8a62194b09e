"""A service's whole spec as the console's edit forms show it, section by section, and an
edited section written back into the spec.

``form_values(spec, names)`` reads the engine's stored spec into plain form values (strings,
lists of lines, the replica count) per section (``SECTIONS``); ``edited_spec(spec, edit,
lookup)`` writes the sections in ``edit`` back into a copy of the spec. Only a field whose
value differs from what ``form_values`` reads from the stored spec is rewritten: the rest of
the spec is sent as the engine stored it (a spec rebuilt with defaults filled in would differ in
its task template and restart every task). Values use the docker CLI's syntax (``256M``,
``0.5``, ``10s``, ``published=8080,target=80``) and a bad one is refused with
``InvalidAction`` naming its field (``resources.limit_memory: ...``) before anything is sent.
Names of networks, secrets and configs become IDs through ``lookup`` (the engine side's, in
``service_edit``), which refuses unknown ones. Pure: no engine calls.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.service_spec import duration_ns, env_assignment, label, memory_bytes, nano_cpus, port

Spec = dict[str, Any]
Values = dict[str, Any]
# (kind, name) -> (id, name) of a network, secret or config; raises InvalidAction if unknown
Lookup = Callable[[str, str], tuple[str, str]]

SECTIONS: dict[str, tuple[str, ...]] = {
    "container": ("image", "command", "args", "env"),
    "service": ("replicas", "labels"),
    "resources": ("limit_cpu", "limit_memory", "reserve_cpu", "reserve_memory"),
    "restart": ("condition", "delay", "max_attempts", "window"),
    "placement": ("constraints", "preferences", "max_replicas"),
    "ports": ("endpoint_mode", "ports"),
    "mounts": ("mounts",),
    "networks": ("networks",),
    "secrets": ("secrets", "configs"),
    "update": ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"),
    "rollback": ("parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"),
    "healthcheck": ("test", "interval", "timeout", "retries", "start_period"),
}
LINES = {"command", "args", "env", "labels", "constraints", "preferences", "ports", "mounts"} | {
    "networks",
    "secrets",
    "configs",
}
CHOICES = {
    ("restart", "condition"): ("", "none", "on-failure", "any"),
    ("ports", "endpoint_mode"): ("vip", "dnsrr"),
    ("update", "failure_action"): ("", "pause", "continue", "rollback"),
    ("rollback", "failure_action"): ("", "pause", "continue"),
    ("update", "order"): ("", "stop-first", "start-first"),
    ("rollback", "order"): ("", "stop-first", "start-first"),
}
_MOUNT_TYPES = ("bind", "volume", "tmpfs")


# --- engine values as form text ---------------------------------------------------------
def _cpus(nanos: int | None) -> str:
    return "" if not nanos else format(Decimal(nanos) / 1_000_000_000, "f").rstrip("0").rstrip(".")


def _size(n: int | None) -> str:
    if not n:
        return ""
    for unit, factor in (("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if n % factor == 0:
            return f"{n // factor}{unit}"
    return str(n)


def _duration(ns: int | None) -> str:
    if not ns:
        return ""
    for unit, factor in (("h", 3600 * 10**9), ("m", 60 * 10**9), ("s", 10**9), ("ms", 10**6)):
        if ns % factor == 0:
            return f"{ns // factor}{unit}"
    return f"{ns}ns"


def _number(n: Any) -> str:
    return "" if n is None else str(n)


def _port_text(p: Mapping[str, Any]) -> str:
    published = f"published={p['PublishedPort']}," if p.get("PublishedPort") else ""
    return (
        f"{published}target={p.get('TargetPort')},protocol={p.get('Protocol', 'tcp')},"
        f"mode={p.get('PublishMode', 'ingress')}"
    )


def _mount_text(m: Mapping[str, Any]) -> str:
    parts = [f"type={m.get('Type', 'volume')}"]
    if m.get("Source"):
        parts.append(f"source={m['Source']}")
    parts.append(f"target={m.get('Target', '')}")
    if m.get("ReadOnly"):
        parts.append("readonly")
    return ",".join(parts)


def _reference_text(ref: Mapping[str, Any], name_key: str) -> str:
    target = (ref.get("File") or {}).get("Name", "")
    return ref[name_key] if not target or target == ref[name_key] else f"{ref[name_key]}:{target}"


def _rollout(config: Mapping[str, Any] | None) -> Values:
    c = config or {}
    return {
        "parallelism": _number(c.get("Parallelism")),
        "delay": _duration(c.get("Delay")),
        "failure_action": c.get("FailureAction", ""),
        "monitor": _duration(c.get("Monitor")),
        "max_failure_ratio": _number(c.get("MaxFailureRatio")) if c.get("MaxFailureRatio") else "",
        "order": c.get("Order", ""),
    }


def form_values(spec: Spec, names: Mapping[str, str] | None = None) -> dict[str, Values]:
    """Each section's form values read from the engine's ``spec``; ``names`` maps network IDs
    to names (an ID stays as it is without one)."""
    task = spec.get("TaskTemplate") or {}
    c = task.get("ContainerSpec") or {}
    resources = task.get("Resources") or {}
    limits, reserve = resources.get("Limits") or {}, resources.get("Reservations") or {}
    restart = task.get("RestartPolicy") or {}
    placement = task.get("Placement") or {}
    endpoint = spec.get("EndpointSpec") or {}
    health = c.get("Healthcheck") or {}
    networks = task.get("Networks") or spec.get("Networks") or []
    replicated = (spec.get("Mode") or {}).get("Replicated")
    return {
        "container": {
            "image": c.get("Image", ""),
            "command": list(c.get("Command") or []),
            "args": list(c.get("Args") or []),
            "env": list(c.get("Env") or []),
        },
        "service": {
            "replicas": None if replicated is None else int(replicated.get("Replicas", 0)),
            "labels": [f"{k}={v}" for k, v in sorted((spec.get("Labels") or {}).items())],
        },
        "resources": {
            "limit_cpu": _cpus(limits.get("NanoCPUs")),
            "limit_memory": _size(limits.get("MemoryBytes")),
            "reserve_cpu": _cpus(reserve.get("NanoCPUs")),
            "reserve_memory": _size(reserve.get("MemoryBytes")),
        },
        "restart": {
            "condition": restart.get("Condition", ""),
            "delay": _duration(restart.get("Delay")),
            "max_attempts": _number(restart.get("MaxAttempts")) if restart.get("MaxAttempts") else "",
            "window": _duration(restart.get("Window")),
        },
        "placement": {
            "constraints": list(placement.get("Constraints") or []),
            "preferences": [
                f"spread={p['Spread']['SpreadDescriptor']}"
                for p in placement.get("Preferences") or []
                if "Spread" in p
            ],
            "max_replicas": _number(placement.get("MaxReplicas")) if placement.get("MaxReplicas") else "",
        },
        "ports": {
            "endpoint_mode": endpoint.get("Mode", "vip"),
            "ports": [_port_text(p) for p in endpoint.get("Ports") or []],
        },
        "mounts": {"mounts": [_mount_text(m) for m in c.get("Mounts") or []]},
        "networks": {"networks": [(names or {}).get(n["Target"], n["Target"]) for n in networks]},
        "secrets": {
            "secrets": [_reference_text(s, "SecretName") for s in c.get("Secrets") or []],
            "configs": [_reference_text(s, "ConfigName") for s in c.get("Configs") or []],
        },
        "update": _rollout(spec.get("UpdateConfig")),
        "rollback": _rollout(spec.get("RollbackConfig")),
        "healthcheck": {
            "test": _health_test(health.get("Test")),
            "interval": _duration(health.get("Interval")),
            "timeout": _duration(health.get("Timeout")),
            "retries": _number(health.get("Retries")) if health.get("Retries") else "",
            "start_period": _duration(health.get("StartPeriod")),
        },
    }


def _health_test(test: list[str] | None) -> str:
    if not test:
        return ""
    if test[0] == "NONE":
        return "NONE"
    if test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    return " ".join(test[1:] if test[0] == "CMD" else test)


# --- form text as engine values ------------------------------------------------------------
def _set(d: dict[str, Any], key: str, value: Any) -> None:
    """``d[key] = value``; an empty value removes the key (the engine's default applies)."""
    if value in (None, "", [], {}, 0):
        d.pop(key, None)
    else:
        d[key] = value


def _int(text: str, what: str, low: int = 0, high: int = 2**31 - 1) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidAction(f"invalid {what} {text!r}: expected a whole number from {low} to {high}")
    return int(text)


def _optional(parse: Callable[[str], int]) -> Callable[[str], int | None]:
    return lambda text: parse(text) if text.strip() else None


def _mount(text: str) -> dict[str, Any]:
    fields: dict[str, str] = {}
    readonly = False
    for part in text.split(","):
        key, sep, value = part.strip().partition("=")
        if key in ("readonly", "ro") and (not sep or value in ("1", "true")):
            readonly = True
        elif key in ("type", "source", "src", "target", "dst", "destination") and sep:
            fields[{"src": "source", "dst": "target", "destination": "target"}.get(key, key)] = value
        else:
            raise InvalidAction(
                f"invalid mount {text!r}: expected type=volume,source=NAME,target=/PATH[,readonly]"
            )
    kind = fields.get("type", "volume")
    if kind not in _MOUNT_TYPES or not fields.get("target", "").startswith("/"):
        raise InvalidAction(
            f"invalid mount {text!r}: the type is one of {', '.join(_MOUNT_TYPES)} "
            "and the target an absolute path"
        )
    if kind == "bind" and not fields.get("source", "").startswith("/"):
        raise InvalidAction(f"invalid mount {text!r}: a bind mount's source is an absolute path")
    mount: dict[str, Any] = {"Type": kind, "Target": fields["target"]}
    if fields.get("source"):
        mount["Source"] = fields["source"]
    if readonly:
        mount["ReadOnly"] = True
    return mount


def _preference(text: str) -> dict[str, Any]:
    key, _, value = text.partition("=")
    if key.strip() != "spread" or not value.strip():
        raise InvalidAction(f"invalid placement preference {text!r}: expected spread=node.labels.KEY")
    return {"Spread": {"SpreadDescriptor": value.strip()}}


def _constraint(text: str) -> str:
    if "==" not in text and "!=" not in text:
        raise InvalidAction(f"invalid constraint {text!r}: expected e.g. node.role==manager")
    return text


def _references(
    lines: list[str], current: list[dict[str, Any]], kind: str, lookup: Lookup
) -> list[dict[str, Any]]:
    """Secret or config references: ``NAME`` or ``NAME:TARGET``; one already there is kept as
    the engine stored it."""
    id_key, name_key = f"{kind.capitalize()}ID", f"{kind.capitalize()}Name"
    kept = {_reference_text(r, name_key): r for r in current}
    out = []
    for line in lines:
        if line in kept:
            out.append(kept[line])
            continue
        name, _, target = line.partition(":")
        ref_id, ref_name = lookup(kind, name.strip())
        file = {"Name": target.strip() or ref_name, "UID": "0", "GID": "0", "Mode": 0o444}
        out.append({"File": file, id_key: ref_id, name_key: ref_name})
    return out


def _rollout_field(config: dict[str, Any], field: str, value: str) -> None:
    """One field of an update or rollback config."""
    if field == "parallelism":
        _set(config, "Parallelism", _int(value, "parallelism"))
    elif field in ("delay", "monitor"):
        _set(config, field.capitalize(), _optional(duration_ns)(value))
    elif field == "max_failure_ratio":
        try:
            ratio = float(value) if value.strip() else None
        except ValueError:
            ratio = -1.0
        if ratio is not None and not 0 <= ratio <= 1:
            raise InvalidAction(f"invalid ratio {value!r}: expected a number from 0 to 1")
        _set(config, "MaxFailureRatio", ratio)
    else:
        _set(config, "FailureAction" if field == "failure_action" else "Order", value)


def _write(new: Spec, section: str, field: str, value: Any, lookup: Lookup) -> None:
    """Write one changed form ``value`` into the spec ``new``."""
    task = new.setdefault("TaskTemplate", {})
    c = task.setdefault("ContainerSpec", {})
    if (section, field) in CHOICES and value not in CHOICES[(section, field)]:
        raise InvalidAction(
            f"{value!r} is not one of {', '.join(repr(v) for v in CHOICES[(section, field)])}"
        )
    match section, field:
        case "container", "image":
            if not value.strip():
                raise InvalidAction("the image is required")
            c["Image"] = value.strip()
        case "container", "command" | "args":
            _set(c, field.capitalize(), list(value))
        case "container", "env":
            _set(c, "Env", [env_assignment(line) for line in value])
        case "service", "replicas":
            if "Replicated" not in (new.get("Mode") or {}):
                raise InvalidAction("a global service runs one task per node: it has no replica count")
            new["Mode"]["Replicated"]["Replicas"] = value
        case "service", "labels":
            new["Labels"] = dict(label(line) for line in value)
        case "resources", _:
            group = task.setdefault("Resources", {}).setdefault(
                "Limits" if field.startswith("limit") else "Reservations", {}
            )
            parse = nano_cpus if field.endswith("cpu") else memory_bytes
            _set(group, "NanoCPUs" if field.endswith("cpu") else "MemoryBytes", _optional(parse)(value))
        case "restart", _:
            policy = task.setdefault("RestartPolicy", {})
            if field == "condition":
                _set(policy, "Condition", value)
            elif field == "max_attempts":
                _set(policy, "MaxAttempts", _int(value, "attempt count"))
            else:
                _set(policy, field.capitalize(), _optional(duration_ns)(value))
        case "placement", "constraints":
            _set(task.setdefault("Placement", {}), "Constraints", [_constraint(line) for line in value])
        case "placement", "preferences":
            _set(task.setdefault("Placement", {}), "Preferences", [_preference(line) for line in value])
        case "placement", "max_replicas":
            _set(task.setdefault("Placement", {}), "MaxReplicas", _int(value, "count"))
        case "ports", "endpoint_mode":
            new.setdefault("EndpointSpec", {})["Mode"] = value
        case "ports", "ports":
            parsed = [port(line) for line in value]
            _set(new.setdefault("EndpointSpec", {"Mode": "vip"}), "Ports", [p.engine() for p in parsed])
        case "mounts", "mounts":
            _set(c, "Mounts", [_mount(line) for line in value])
        case "networks", "networks":
            new.pop("Networks", None)  # the deprecated place: an edit moves them
            _set(task, "Networks", [{"Target": lookup("network", name)[0]} for name in value])
        case "secrets", "secrets" | "configs":
            kind = field[:-1]
            current = c.get(f"{kind.capitalize()}s") or []
            _set(c, f"{kind.capitalize()}s", _references(value, current, kind, lookup))
        case "update" | "rollback", _:
            key = "UpdateConfig" if section == "update" else "RollbackConfig"
            _rollout_field(new.setdefault(key, {}), field, value)
            _prune(new, (key,))
        case "healthcheck", "test":
            health = c.setdefault("Healthcheck", {})
            text = value.strip()
            _set(health, "Test", None if not text else ["NONE"] if text == "NONE" else ["CMD-SHELL", text])
        case "healthcheck", "retries":
            _set(c.setdefault("Healthcheck", {}), "Retries", _int(value, "retry count"))
        case "healthcheck", _:
            key = "StartPeriod" if field == "start_period" else field.capitalize()
            _set(c.setdefault("Healthcheck", {}), key, _optional(duration_ns)(value))
        case _:
            raise InvalidAction("not a field of the service's spec")
    _prune(task, ("Resources", "RestartPolicy", "Placement"))
    _prune(c, ("Healthcheck",))
    _prune(task.get("Resources") or {}, ("Limits", "Reservations"))


def _prune(d: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in d and not d[key]:
            del d[key]


def edited_spec(
    spec: Spec, edit: Mapping[str, Mapping[str, Any]], lookup: Lookup, names: Mapping[str, str] | None = None
) -> Spec:
    """A copy of ``spec`` with the form sections in ``edit`` written in: only the fields whose
    value differs from the stored spec's (``form_values``) are rewritten; a bad value is
    refused naming its field."""
    new = copy.deepcopy(spec)
    shown = form_values(spec, names)
    for section, values in edit.items():
        if section not in SECTIONS:
            raise InvalidAction(f"{section}: not a section of the service's spec")
        for field, value in values.items():
            if field not in SECTIONS[section]:
                raise InvalidAction(f"{section}.{field}: not a field of that section")
            if field in LINES:
                value = [line.strip() for line in value if line.strip()]
            if value == shown[section][field]:
                continue
            try:
                _write(new, section, field, value, lookup)
            except InvalidAction as exc:
                raise InvalidAction(f"{section}.{field}: {exc}") from None
    return new
