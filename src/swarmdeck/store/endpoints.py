"""What makes an engine endpoint valid: its name, its URL's form for each kind (unix, tcp,
ssh), and TLS files only where they apply, each existing. The store checks every endpoint it
adds or changes here, so a bad one gives one clear error and changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from swarmdeck.store.errors import Invalid
from swarmdeck.store.models import ENDPOINT_TLS_PATH_LENGTH, ENDPOINT_URL_LENGTH, EndpointKind

# The characters of a user's or an endpoint's name.
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def check_endpoint(
    name: str, url: str, tls_ca: str | None, tls_cert: str | None, tls_key: str | None
) -> EndpointKind:
    """Validate an endpoint and return its kind; TLS files must exist and be readable."""
    if not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise Invalid("an endpoint name is 1 to 64 letters, digits, '.', '_' or '-'")
    if len(url) > ENDPOINT_URL_LENGTH:
        raise Invalid(f"an endpoint URL is at most {ENDPOINT_URL_LENGTH} characters")
    for path in filter(None, (tls_ca, tls_cert, tls_key)):
        if len(path) > ENDPOINT_TLS_PATH_LENGTH:
            raise Invalid(f"a TLS file's path is at most {ENDPOINT_TLS_PATH_LENGTH} characters")
    parts = urlsplit(url)
    try:
        kind = EndpointKind(parts.scheme)
    except ValueError:
        raise Invalid(f"endpoint URL {url!r}: use unix:///path, tcp://host:port or ssh://user@host") from None
    if kind is EndpointKind.UNIX:
        if not parts.path.startswith("/") or parts.netloc:
            raise Invalid(f"endpoint URL {url!r}: a socket URL looks like unix:///var/run/docker.sock")
    else:
        try:
            port = parts.port
        except ValueError:
            raise Invalid(f"endpoint URL {url!r}: the port is not a number") from None
        if not parts.hostname:
            raise Invalid(f"endpoint URL {url!r}: no host")
        if kind is EndpointKind.TCP and port is None:
            raise Invalid(f"endpoint URL {url!r}: give the port (2376 for TLS)")
    tls = [tls_ca, tls_cert, tls_key]
    if any(tls) and kind is not EndpointKind.TCP:
        raise Invalid("TLS certificates only apply to tcp:// endpoints")
    if bool(tls_cert) != bool(tls_key):
        raise Invalid("a TLS client certificate needs its key, and the key its certificate")
    for path in filter(None, tls):
        if not Path(path).is_file():
            raise Invalid(f"TLS file {path} does not exist")
    return kind
