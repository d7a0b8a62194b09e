"""A change to a service's spec, as `docker service update` takes it, and its values' syntax.

``ServiceChanges`` is the typed change (image, replicas, environment, limits, published
ports, a forced restart); ``changed_spec`` applies it to a copy of the current spec, so the
engine receives the spec it stored with only those fields moved (no defaults filled in,
which would restart every task). The parsers read the docker CLI's value syntax
(``100M``, ``0.5``, ``8080:80/udp``, ``KEY=VALUE``) and refuse anything else with
``InvalidAction`` before anything is sent; ``create_request`` is `docker service create`'s
body with its constraints and limits. Pure: no engine calls.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.views import ServiceSpec, service_request

PROTOCOLS = ("tcp", "udp", "sctp")
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
_RAM = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.IGNORECASE)
_ENV_KEY = re.compile(r"^[^=\s]+$")


@dataclass(frozen=True)
class Port:
    """A published port: ``published`` 0 lets the swarm choose one."""

    target: int
    published: int = 0
    protocol: str = "tcp"
    mode: str = "ingress"

    def engine(self) -> dict[str, Any]:
        port: dict[str, Any] = {
            "Protocol": self.protocol,
            "TargetPort": self.target,
            "PublishMode": self.mode,
        }
        if self.published:
            port["PublishedPort"] = self.published
        return port


@dataclass(frozen=True)
class ServiceChanges:
    """What `docker service update` changes; ``None`` / empty leaves a field as it is."""

    image: str | None = None
    replicas: int | None = None
    env_add: tuple[str, ...] = ()  # KEY=VALUE
    env_rm: tuple[str, ...] = ()  # KEY
    limit_cpu: int | None = None  # nano CPUs
    limit_memory: int | None = None  # bytes
    publish_add: tuple[Port, ...] = ()
    publish_rm: tuple[Port, ...] = ()  # matched by target port and protocol
    force: bool = False


def memory_bytes(text: str) -> int:
    """``100M``, ``1.5g``, ``512MiB``, ``1024``: bytes, binary units (the CLI's RAMInBytes)."""
    match = _RAM.match(text.strip())
    if not match:
        raise InvalidAction(
            f"invalid size {text!r}: expected a number with an optional unit (b, k, m, g, t, p)"
        )
    from decimal import Decimal  # start-up: only a command that parses a size pays for it

    return int(Decimal(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def nano_cpus(text: str) -> int:
    """``0.5`` CPUs as nano CPUs; more than nine decimals is refused, as the CLI does."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidAction(f"invalid CPU count {text!r}: expected a number such as 0.5") from None
    nanos = value * 1_000_000_000
    if not value.is_finite() or value < 0 or nanos != nanos.to_integral_value():
        raise InvalidAction(f"invalid CPU count {text!r}: expected a number such as 0.5, at most 9 decimals")
    return int(nanos)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def duration_ns(text: str) -> int:
    """A Go duration (``10s``, ``1m30s``, ``500ms``) in nanoseconds."""
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        raise InvalidAction(f"invalid duration {text!r}: expected e.g. 10s, 1m30s or 500ms")
    from decimal import Decimal

    return int(sum(Decimal(number) * _NANOS[unit] for number, unit in parts))


def _port_number(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InvalidAction(f"invalid port {spec!r}: {text!r} is not a port number (1-65535)")
    return int(text)


def port(spec: str) -> Port:
    """``[PUBLISHED:]TARGET[/PROTO]``, or the long form
    ``published=8080,target=80,protocol=udp,mode=host``."""
    if "=" in spec:
        fields = dict(part.partition("=")[::2] for part in spec.split(","))
        unknown = set(fields) - {"published", "target", "protocol", "mode"}
        if unknown or "target" not in fields:
            raise InvalidAction(
                f"invalid port {spec!r}: expected published=P,target=T[,protocol=tcp][,mode=ingress]"
            )
        published, target = fields.get("published", ""), fields["target"]
        protocol, mode = fields.get("protocol", "tcp"), fields.get("mode", "ingress")
    else:
        ports, _, protocol = spec.partition("/")
        published, _, target = ports.rpartition(":")
        protocol, mode = protocol or "tcp", "ingress"
    if protocol not in PROTOCOLS:
        raise InvalidAction(
            f"invalid port {spec!r}: protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}"
        )
    if mode not in ("ingress", "host"):
        raise InvalidAction(f"invalid port {spec!r}: mode {mode!r} is not ingress or host")
    return Port(
        target=_port_number(target, spec),
        published=_port_number(published, spec) if published else 0,
        protocol=protocol,
        mode=mode,
    )


def env_assignment(text: str) -> str:
    """A ``KEY=VALUE`` line (the value may be empty, the key may not)."""
    key, sep, _ = text.partition("=")
    if not sep or not _ENV_KEY.match(key):
        raise InvalidAction(f"invalid environment variable {text!r}: expected KEY=VALUE")
    return text


def label(text: str) -> tuple[str, str]:
    """A ``KEY=VALUE`` label (``KEY`` alone is an empty value, as the CLI's)."""
    key, _, value = text.partition("=")
    if not key.strip():
        raise InvalidAction(f"invalid label {text!r}: expected KEY=VALUE")
    return key, value


def env_key(text: str) -> str:
    if not _ENV_KEY.match(text):
        raise InvalidAction(f"invalid environment variable name {text!r}")
    return text


def _env(current: list[str], add: tuple[str, ...], remove: tuple[str, ...]) -> list[str]:
    """Removed keys go, added ones replace a line with their key in place or come last."""
    lines = [line for line in current if line.partition("=")[0] not in remove]
    for assignment in add:
        key = assignment.partition("=")[0]
        at = next((i for i, line in enumerate(lines) if line.partition("=")[0] == key), None)
        if at is None:
            lines.append(assignment)
        else:
            lines[at] = assignment
    return lines


def _ports(
    current: list[dict[str, Any]], add: tuple[Port, ...], remove: tuple[Port, ...]
) -> list[dict[str, Any]]:
    def removed(p: dict[str, Any]) -> bool:
        return any(p.get("TargetPort") == r.target and p.get("Protocol", "tcp") == r.protocol for r in remove)

    kept = [p for p in current if not removed(p)]
    for new in add:
        kept = [
            p
            for p in kept
            if not (
                p.get("TargetPort") == new.target
                and p.get("Protocol", "tcp") == new.protocol
                and p.get("PublishedPort", 0) == new.published
            )
        ]
        kept.append(new.engine())
    return sorted(
        kept, key=lambda p: (p.get("PublishedPort", 0), p.get("TargetPort", 0), p.get("Protocol", ""))
    )


def changed_spec(spec: dict[str, Any], changes: ServiceChanges) -> dict[str, Any]:
    """A copy of the service's ``spec`` (as stored) with ``changes`` applied."""
    new = copy.deepcopy(spec)
    task = new["TaskTemplate"]
    container = task["ContainerSpec"]
    if new.get("Networks") and task.get("Networks") is None:
        task["Networks"] = new.pop("Networks")  # the deprecated place: an update moves them
    if changes.image is not None:
        container["Image"] = changes.image
    if changes.replicas is not None:
        if "Replicated" not in new.get("Mode", {}):
            raise InvalidAction(
                f"service {new['Name']} is not replicated: --replicas applies to replicated services"
            )
        new["Mode"]["Replicated"]["Replicas"] = changes.replicas
    if changes.env_add or changes.env_rm:
        container["Env"] = _env(container.get("Env") or [], changes.env_add, changes.env_rm)
    if changes.limit_cpu is not None or changes.limit_memory is not None:
        limits = task.setdefault("Resources", {}).setdefault("Limits", {})
        if changes.limit_cpu is not None:
            limits["NanoCPUs"] = changes.limit_cpu
        if changes.limit_memory is not None:
            limits["MemoryBytes"] = changes.limit_memory
    if changes.publish_add or changes.publish_rm:
        endpoint = new.setdefault("EndpointSpec", {"Mode": "vip"})
        endpoint["Ports"] = _ports(endpoint.get("Ports") or [], changes.publish_add, changes.publish_rm)
    if changes.force:
        task["ForceUpdate"] = int(task.get("ForceUpdate", 0)) + 1
    return new


def create_request(
    spec: ServiceSpec,
    constraints: tuple[str, ...] = (),
    limit_cpu: int | None = None,
    limit_memory: int | None = None,
    args: tuple[str, ...] = (),
    stop_grace_period: int | None = None,
) -> dict[str, Any]:
    """The ``/services/create`` body of ``spec`` (``views.service_request``) with placement
    constraints, resource limits and the image's arguments (``args``, what follows the image
    on `docker service create`'s command line), as the docker CLI sends them."""
    body = service_request(spec)
    task = body["TaskTemplate"]
    if args:
        task["ContainerSpec"]["Args"] = list(args)
    if stop_grace_period is not None:
        task["ContainerSpec"]["StopGracePeriod"] = stop_grace_period
    if constraints:
        task["Placement"] = {"Constraints": list(constraints)}
    limits = {
        key: value
        for key, value in (("NanoCPUs", limit_cpu), ("MemoryBytes", limit_memory))
        if value is not None
    }
    if limits:
        task["Resources"] = {"Limits": limits}
    return body
