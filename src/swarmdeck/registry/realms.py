"""Where a registry's credentials may go when it names a token service.

A registry with token authentication answers ``401`` with ``WWW-Authenticate: Bearer
realm="URL",…``, and the client sends the user's credentials to that URL for a token. The
realm is whatever the registry (or anyone between it and us, on plain HTTP) says, so the
credentials go there only when:

- the realm is HTTPS (encrypted, and the service proves its name: Docker Hub's realm is
  ``https://auth.docker.io/token``, not the registry's host), or
- the realm is on the registry's own host (a token service beside the registry), or
- an admin allowed that realm for that registry (``allowed_realms``: exact URLs, without
  the query).

Otherwise nothing is sent and the error names the realm.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from swarmdeck.registry.errors import RegistryError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_realm(realm: str) -> str:
    """``scheme://host[:port]/path`` with the scheme and host in lowercase, the default port
    and the query dropped: the form realms are allowed and compared in."""
    parts = urlsplit(realm.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise RegistryError(f"realm {realm!r}: the port is not a number") from None
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise RegistryError(f"realm {realm!r}: give an http:// or https:// URL with a host")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname.lower()
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def registry_host(address: str) -> str:
    """The host of a registry address (``HOST[:PORT]``, ``[V6]:PORT``), lowercased."""
    return (urlsplit(f"//{address}").hostname or address).lower()


def check_realm(address: str, realm: str, allowed: Iterable[str] = ()) -> None:
    """Raise unless the registry at ``address`` may have its credentials sent to ``realm``."""
    parts = urlsplit(realm.strip())
    if not parts.scheme and not parts.netloc:
        return  # a path: the registry's own host
    try:
        normal = normalize_realm(realm)
    except RegistryError as exc:
        raise RegistryError(
            f"{address} names a token service that is not a web address ({realm!r}): "
            "its credentials were not sent"
        ) from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme == "https" or host == registry_host(address):
        return
    if normal in {normalize_realm(a) for a in allowed}:
        return
    raise RegistryError(
        f"{address} asks for its credentials to be sent to the token service {normal}, which is "
        f"neither HTTPS nor on the registry's host ({registry_host(address)}): they were not sent. "
        "If that service is the registry's, an admin can allow this realm for the registry "
        "(allowed_realms)"
    )
