"""Who is asking, by address: the socket's peer, or the client a trusted proxy names.

Behind a reverse proxy every request comes from the proxy's address, so the login throttle
and the audit log would see one client. Proxies name the client in ``X-Forwarded-For``
(``client, proxy1, proxy2``; each proxy appends the address it was reached from) or in
``Forwarded`` (RFC 7239: ``for=client, for=proxy1``). Anyone can send those headers, so they
are read only when the peer is a configured trusted proxy, and then from the right: the
entries the trusted proxies appended are walked back until the first address that is not a
trusted proxy, which is the client. Entries left of it were written by that client and
are ignored. An entry that is not an address ("unknown", an obfuscated name) stops the walk
at the last trusted hop.

``X-Forwarded-For`` is used when present, else ``Forwarded``: a proxy sets one of them (the
common ones set ``X-Forwarded-For``), and a header the proxy does not set passes through from
the client untouched, so reading both would let a client choose.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers

from swarmdeck.console.errors import ConsoleError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_proxies(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``) of trusted proxies."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConsoleError(
                f"trusted proxy {value!r}: not an address or a network (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def client_of(peer: str, headers: Headers, trusted: Sequence[Network]) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy, then as described above."""
    if not trusted:
        return peer
    address = _address(peer)
    if address is None or not _trusted(address, trusted):
        return peer
    hops = _forwarded_for(headers)
    for entry in reversed(hops):
        hop = _address(entry)
        if hop is None:
            break
        address = hop
        if not _trusted(address, trusted):
            break
    return str(address)


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in trusted)


def _forwarded_for(headers: Headers) -> list[str]:
    """The hops a proxy chain reported, the client first."""
    xff = [part.strip() for value in headers.getlist("x-forwarded-for") for part in value.split(",")]
    if any(xff):
        return xff
    hops = []
    for value in headers.getlist("forwarded"):
        for element in value.split(","):
            for pair in element.split(";"):
                key, _, raw = pair.strip().partition("=")
                if key.strip().lower() == "for":
                    hops.append(raw.strip().strip('"'))
    return hops


def _address(text: str) -> Address | None:
    """An address from ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:80`` or ``2001:db8::1``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
