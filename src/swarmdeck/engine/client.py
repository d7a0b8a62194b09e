"""One Docker SDK client per endpoint, with an answer that says how to fix a dead engine."""

from __future__ import annotations

import os

import docker
import docker.errors
import requests.exceptions

from swarmdeck.engine.errors import EngineError, EngineUnreachable

DEFAULT_ENDPOINT = "unix:///var/run/docker.sock"
# Engine 20.10 (Debian 12's docker.io) speaks API 1.41; newer engines accept it too.
MIN_API_VERSION = "1.41"
START_HINT = (
    "start it with `systemctl start docker`, or `dockerd >/var/log/dockerd.log 2>&1 &` "
    "where there is no systemd"
)


def endpoint_url(url: str | None = None) -> str:
    """The endpoint to use: the argument, else DOCKER_HOST, else the local socket."""
    return url or os.environ.get("DOCKER_HOST") or DEFAULT_ENDPOINT


def connect(url: str | None = None, timeout: int = 120) -> docker.DockerClient:
    """Return a client for the engine at ``url`` after checking that it answers."""
    target = endpoint_url(url)
    try:
        client = docker.DockerClient(base_url=target, version=MIN_API_VERSION, timeout=timeout)
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        hint = f"; {START_HINT}" if target == DEFAULT_ENDPOINT else ""
        raise EngineUnreachable(f"no Docker engine answers at {target} ({_short(exc)}){hint}") from exc
    return client


def is_local(client: docker.DockerClient) -> bool:
    """True when the client talks to an engine on this machine through a unix socket."""
    return str(client.api.base_url).startswith("http+docker://localhost")


def api_error(action: str, exc: Exception) -> EngineError:
    """Turn an SDK exception into one readable EngineError."""
    return EngineError(f"{action}: {_short(exc)}")


def _short(exc: BaseException) -> str:
    if isinstance(exc, docker.errors.APIError):
        return str(exc.explanation or exc)
    text = str(exc).strip() or type(exc).__name__
    for needle, plain in _PLAIN_CAUSES:
        if needle in text:
            return plain
    return text.splitlines()[0][:300]


# Connection failures arrive wrapped three layers deep (requests → urllib3 → OSError).
_PLAIN_CAUSES = (
    ("FileNotFoundError", "no such socket"),
    ("Connection refused", "connection refused"),
    ("PermissionError", "permission denied on the socket"),
    ("timed out", "timed out"),
    ("Name or service not known", "unknown host"),
)
