"""The one place where the docker SDK's and requests' exceptions become ``engine.errors`` types.

``translate`` is the mapping; the checked clients (``engine.client``) apply it to every HTTP
answer and transport failure, and ``doing(action)`` applies it to what the SDK raises on its
own side and names the action in the message: ``with doing(f"removing service {name}"):``.
``iterating`` does the same for a stream read after its call returned (logs, events).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import docker.errors
import requests.exceptions

from swarmdeck.engine.errors import (
    EngineConflict,
    EngineError,
    EngineImageNotFound,
    EngineInvalid,
    EngineNotFound,
    EngineRefused,
    EngineUnavailable,
    EngineUnreachable,
)

T = TypeVar("T")

_BY_STATUS: dict[int, type[EngineRefused]] = {
    400: EngineInvalid,
    403: EngineConflict,  # "network has active endpoints", "in use"
    404: EngineNotFound,
    409: EngineConflict,
    503: EngineUnavailable,
}

# Connection failures arrive wrapped three layers deep (requests → urllib3 → OSError).
_PLAIN_CAUSES = (
    ("FileNotFoundError", "no such socket"),
    ("No such file or directory", "no such socket"),
    ("Connection refused", "connection refused"),
    ("PermissionError", "permission denied on the socket"),
    ("Permission denied", "permission denied on the socket"),
    ("timed out", "timed out"),
    ("Name or service not known", "unknown host"),
    ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted (certificate verify failed)"),
)


def plain(exc: BaseException) -> str:
    """A one-line reason for ``exc`` without the wrappers' noise."""
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    text = str(exc).strip() or type(exc).__name__
    for needle, reason in _PLAIN_CAUSES:
        if needle in text:
            return reason
    return text.splitlines()[0][:300]


def refused(exc: docker.errors.APIError) -> EngineRefused:
    """The typed error of an engine's error answer (the SDK's ``APIError``)."""
    if isinstance(exc, EngineRefused):
        return exc
    status = exc.status_code or 500
    cls = _BY_STATUS.get(status, EngineRefused)
    if cls is EngineNotFound and isinstance(exc, docker.errors.ImageNotFound):
        cls = EngineImageNotFound
    return cls(exc.args[0] if exc.args else "", response=exc.response, explanation=exc.explanation)


def translate(exc: BaseException) -> EngineError | None:
    """The ``EngineError`` for an exception of the SDK or its transport; None for any other
    (a bug or a Python error, which is not the engine's)."""
    if isinstance(exc, EngineError):
        return exc
    if isinstance(exc, docker.errors.APIError):
        return refused(exc)
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return EngineUnreachable.because(plain(exc))
    if isinstance(exc, docker.errors.DockerException | requests.exceptions.RequestException):
        return EngineError(plain(exc))
    return None


@contextmanager
def doing(action: str) -> Iterator[None]:
    """Map the SDK's exceptions raised inside to ``EngineError``s whose message starts with
    ``action`` ("removing service web: service web not found")."""
    try:
        yield
    except EngineRefused as exc:
        if not exc.action:
            exc.action = action
        raise
    except EngineError as exc:
        if str(exc).startswith(action):
            raise
        named = type(exc)(f"{action}: {exc}")
        named.__dict__.update(vars(exc))  # an EngineUnreachable keeps its reason and endpoint
        raise named from exc
    except Exception as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        if isinstance(mapped, EngineRefused):
            mapped.action = action
            raise mapped from exc
        raise type(mapped)(f"{action}: {mapped}") from exc


def iterating(action: str, items: Iterable[T]) -> Iterator[T]:
    """``items`` (a stream from the engine), with a cut stream mapped as ``doing`` maps."""
    with doing(action):
        yield from items
