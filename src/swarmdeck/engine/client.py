"""One Docker SDK client per endpoint, with an answer that says how to fix a dead engine.

Every client swarmdeck makes comes from ``new_client``: the SDK's, except that each part the
SDK puts into a URL's path (a container's name, an image reference…) goes through
``engine.names.segment`` first, so no string, whichever route or command it came from, can
turn a call into another of the engine's routes (``../secrets/x`` in an image name).
"""

from __future__ import annotations

import os
from typing import Any

import docker
import docker.errors
import docker.tls
import requests
import requests.exceptions
from docker.utils import kwargs_from_env

from swarmdeck.engine import refusals
from swarmdeck.engine.errormap import plain, refused, unreachable, unreachable_at
from swarmdeck.engine.errors import EngineError, EngineUnreachable
from swarmdeck.engine.names import segment
from swarmdeck.engine.refusals import START_HINT as START_HINT
from swarmdeck.engine.versions import MIN_API_VERSION as MIN_API_VERSION

DEFAULT_ENDPOINT = refusals.DEFAULT_ENDPOINT


def endpoint_url(url: str | None = None) -> str:
    """The endpoint to use: the argument, else DOCKER_HOST, else the local socket."""
    return url or os.environ.get("DOCKER_HOST") or DEFAULT_ENDPOINT


class _CheckedAPIClient(docker.APIClient):
    """The SDK's low-level client: the parts of every URL path it builds are checked first,
    and every error answer or transport failure is raised as an ``engine.errors`` type."""

    def _url(self, pathfmt: str, *args: str, **kwargs: bool) -> str:
        for arg in args:
            segment(arg, slashes=True)  # InvalidName for '..', empty parts, control characters
        return super()._url(pathfmt, *args, **kwargs)  # type: ignore[misc,no-any-return]  # private: not in the stubs

    def _raise_for_status(self, response: requests.Response) -> None:
        try:
            super()._raise_for_status(response)  # type: ignore[misc]  # private: not in the stubs
        except docker.errors.APIError as exc:
            raise refused(exc) from None

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # every call goes through here
        try:
            return super().request(*args, **kwargs)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise unreachable(plain(exc)) from exc


class _CheckedClient(docker.DockerClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:  # the SDK's own does only this
        self.api = _CheckedAPIClient(*args, **kwargs)


def new_client(**options: object) -> docker.DockerClient:
    """A Docker SDK client (``docker.DockerClient``'s options) with checked URL paths."""
    return _CheckedClient(**options)


def tls_config(ca: str, cert: str, key: str) -> docker.tls.TLSConfig:
    """TLS that verifies the engine by ``ca`` and presents the client certificate ``cert``."""
    return docker.tls.TLSConfig(client_cert=(cert, key), ca_cert=ca, verify=ca)


def connect(
    url: str | None = None, timeout: int = 120, tls: docker.tls.TLSConfig | None = None
) -> docker.DockerClient:
    """Return a client for the engine at ``url`` after checking that it answers; ``tls``
    (``tls_config``): over TLS, the engine verified and this client presenting its certificate.
    Without ``url`` the engine is DOCKER_HOST's, with the TLS settings of DOCKER_TLS_VERIFY and
    DOCKER_CERT_PATH read as the docker CLI reads them (what `machine env` prints)."""
    target = endpoint_url(url)
    if url is None and tls is None and target.startswith("tcp://"):
        from_env = kwargs_from_env()
        tls = from_env.get("tls") or None
    try:
        client = new_client(base_url=target, version=MIN_API_VERSION, timeout=timeout, tls=tls or False)
        if tls is not None:
            # REQUESTS_CA_BUNDLE would replace the CA, HTTPS_PROXY reroute the engine's traffic.
            client.api.trust_env = False
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        reason = exc.reason if isinstance(exc, EngineUnreachable) else plain(exc)
        raise unreachable_at(target, reason, DEFAULT_ENDPOINT) from exc
    return client


def is_local(client: docker.DockerClient) -> bool:
    """True when the client talks to an engine on this machine through a unix socket."""
    return str(client.api.base_url).startswith("http+docker://localhost")


def api_error(action: str, exc: Exception) -> EngineError:
    """Turn an SDK exception into one readable EngineError (prefer ``errormap.doing``)."""
    return EngineError(f"{action}: {plain(exc)}")
