"""Service ``ports``: the short syntax parsed as the docker CLI does, the long one checked.

Short entries (``"8080:80"``, ``"127.0.0.1:53:53/udp"``, ``"9000-9001:80-81"``, ``80``)
follow go-connections ``nat.ParsePortSpecs`` and the CLI's ``ConvertPortToPortConfig``:
protocol ``tcp`` unless given (lower-cased), mode ``ingress``, published ``0`` without a host
port, one entry per port of a range (ports of one entry ordered by their ``"port/proto"``
text), a host port range for a single container port giving one entry per host port. A
host IP is ignored with a warning. Long entries are checked and kept as written (missing
fields stay unset for the daemon to fill in).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from swarmdeck.compose.located import Location, LocDict, LocList

_LONG_KEYS = ("mode", "target", "published", "protocol")
_UINT32 = (1 << 32) - 1


class PortError(ValueError):
    """A bad port entry; ``subpath`` says where inside the entry."""

    def __init__(self, message: str, *subpath: str | int) -> None:
        super().__init__(message)
        self.subpath = subpath


def _port_range(text: str) -> tuple[int, int]:
    def uint16(part: str) -> int:
        if not part.isdigit() or not part.isascii() or int(part) > 65535:
            raise ValueError(part)
        return int(part)

    if not text:
        raise ValueError("empty string specified for ports")
    if "-" not in text:
        port = uint16(text)
        return port, port
    parts = text.split("-")
    start, end = uint16(parts[0]), uint16(parts[1])
    if end < start:
        raise ValueError(f"invalid range specified for port: {text}")
    return start, end


def _split_parts(raw: str) -> tuple[str, str, str]:
    parts = raw.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _split_proto(raw: str) -> tuple[str, str]:
    parts = raw.split("/")
    if not raw or not parts[0]:
        return "", ""
    if len(parts) == 1:
        return "tcp", raw
    if not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return None if "%" in text else address


def _mappings(raw: str) -> list[tuple[str, int, str, str]]:
    """``nat.ParsePortSpec``: (proto, container port, host IP, host port) tuples."""
    ip, host_port, container = _split_parts(raw)
    proto, container = _split_proto(container)
    if ip.startswith("["):
        if not ip.endswith("]"):
            raise PortError(f"invalid IP address {ip}: missing ']' in address")
        ip = ip[1:-1]
    if ip and _ip(ip) is None:
        raise PortError(f"invalid IP address: {ip}")
    if not container:
        raise PortError(f"no port specified: {raw}<empty>")
    try:
        start, end = _port_range(container)
    except ValueError:
        raise PortError(f"invalid containerPort: {container}") from None
    host_start = host_end = 0
    if host_port:
        try:
            host_start, host_end = _port_range(host_port)
        except ValueError:
            raise PortError(f"invalid hostPort: {host_port}") from None
        if end - start != host_end - host_start and end != start:
            raise PortError(
                f"invalid ranges specified for container and host Ports: {container} and {host_port}"
            )
    if proto.lower() not in ("tcp", "udp", "sctp"):
        raise PortError(f"invalid proto: {proto}")
    out = []
    for i in range(end - start + 1):
        binding = str(host_start + i) if host_port else ""
        if start == end and host_start != host_end:
            binding = f"{binding}-{host_end}"
        out.append((proto.lower(), start + i, ip, binding))
    return out


def short_syntax(raw: str, warnings: list[str]) -> list[dict[str, Any]]:
    """The port configs of one short-syntax entry."""
    bindings: dict[str, list[tuple[str, str]]] = {}
    for proto, port, ip, host_port in _mappings(raw):
        bindings.setdefault(f"{port}/{proto}", []).append((ip, host_port))
    out: list[dict[str, Any]] = []
    for key in sorted(bindings):
        target = key.split("/")[0]
        for ip, host_port in bindings[key]:
            address = _ip(ip)
            if address is not None and not address.is_unspecified:
                host = f"[{ip}]" if ":" in ip else ip
                warnings.append(
                    f"ignoring IP-address ({host}:{host_port}:{key}) service will listen on '0.0.0.0'"
                )
            try:
                first, last = _port_range(host_port) if host_port else (0, 0)
            except ValueError:
                raise PortError(f"invalid hostport binding ({host_port}) for port ({target})") from None
            out.extend(
                {
                    "mode": "ingress",
                    "target": int(target),
                    "published": published,
                    "protocol": key.split("/")[1],
                }
                for published in range(first, last + 1)
            )
    return out


def _uint32(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PortError("must be a integer", key)
    if isinstance(value, float) and not value.is_integer():
        raise PortError("must be a integer", key)
    number = int(value)
    if not 0 <= number <= _UINT32:
        raise PortError(f"{number} overflows uint32", key)
    return number


def long_syntax(entry: dict[str, Any]) -> dict[str, Any]:
    """A long-syntax entry, checked."""
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key not in _LONG_KEYS:
            raise PortError(f"Additional property {key} is not allowed", key)
        if key in ("mode", "protocol"):
            if not isinstance(value, str):
                raise PortError("must be a string", key)
            out[key] = str(value)
        else:
            out[key] = _uint32(value, key)
    return out


def parse_ports(entries: LocList, warnings: list[str]) -> list[LocDict]:
    """Every entry of a ``ports`` list as long-syntax mappings located at their entry.

    Raises ``PortError`` whose ``subpath`` starts with the entry's index.
    """
    out: list[LocDict] = []
    for index, entry in enumerate(entries):
        loc: Location | None = entries.item_locs[index]
        try:
            if isinstance(entry, bool):
                raise PortError("must be a string, number or mapping")
            if isinstance(entry, int):
                configs = short_syntax(str(entry), warnings)
            elif isinstance(entry, float):
                raise PortError("invalid type float64 for port")
            elif isinstance(entry, str):
                configs = short_syntax(entry, warnings)
            elif isinstance(entry, dict):
                configs = [long_syntax(entry)]
            else:
                raise PortError("must be a string, number or mapping")
        except PortError as exc:
            raise PortError(str(exc), index, *exc.subpath) from None
        for config in configs:
            item = entry.derive(config) if isinstance(entry, LocDict) else LocDict(loc)
            if not isinstance(entry, LocDict):
                for key, value in config.items():
                    item.put(key, value, loc, loc)
            out.append(item)
    return out
