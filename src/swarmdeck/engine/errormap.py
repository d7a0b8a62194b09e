"""The one place where the docker SDK's and requests' exceptions become ``engine.errors`` types.

``translate`` is the mapping; the checked clients (``engine.client``) apply it to every HTTP
answer and transport failure, and ``doing(action)`` applies it to what the SDK raises on its
own side and names the action in the message: ``with doing(f"removing service {name}"):``.
``iterating`` does the same for a stream read after its call returned (logs, events).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from swarmdeck.engine import refusals
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

if TYPE_CHECKING:
    import docker.errors

T = TypeVar("T")

# Start-up: this module imports neither the docker SDK nor requests, so ``doing`` costs
# nothing to a command that never loads them (the light client's reads); what maps their
# exceptions imports them when first called, which only happens once they are loaded.


@cache
def _sdk_kinds() -> dict[type[EngineError], type[EngineError]]:
    """Each engine error type -> the one the SDK path raises: also the SDK's (or requests')
    matching class, so that the SDK's own ``except docker.errors.NotFound`` (and a caller's
    ``except requests.exceptions.ConnectionError``) still catch it."""
    import docker.errors
    import requests.exceptions

    bases: dict[type[EngineError], type[Exception]] = {
        EngineUnreachable: requests.exceptions.ConnectionError,
        EngineRefused: docker.errors.APIError,
        EngineInvalid: docker.errors.APIError,
        EngineNotFound: docker.errors.NotFound,
        EngineImageNotFound: docker.errors.ImageNotFound,
        EngineConflict: docker.errors.APIError,
        EngineUnavailable: docker.errors.APIError,
    }
    return {ours: type(f"Sdk{ours.__name__}", (ours, theirs), {}) for ours, theirs in bases.items()}


def _sdk_loaded() -> bool:
    return "docker" in sys.modules or "requests" in sys.modules


def unreachable(reason: str, where: str = "", message: str = "") -> EngineUnreachable:
    """An ``EngineUnreachable`` of the SDK path (also a requests ``ConnectionError``)."""
    cls = _sdk_kinds()[EngineUnreachable]
    assert issubclass(cls, EngineUnreachable)
    return cls.because(reason, where, message)


def unreachable_at(target: str, reason: str, default_endpoint: str) -> EngineUnreachable:
    """``refusals.unreachable`` ("no Docker engine answers at ..."), of the SDK path."""
    cls = _sdk_kinds()[EngineUnreachable]
    assert issubclass(cls, EngineUnreachable)
    return refusals.unreachable(target, reason, cls, default_endpoint)


def plain(exc: BaseException) -> str:
    """A one-line reason for ``exc`` without the wrappers' noise."""
    if isinstance(exc, EngineRefused) and exc.explanation:
        return str(exc.explanation)
    if _sdk_loaded():
        import docker.errors

        if isinstance(exc, docker.errors.APIError) and exc.explanation:
            return str(exc.explanation)
    return refusals.plain_reason(str(exc).strip() or type(exc).__name__)


def refused(exc: docker.errors.APIError) -> EngineRefused:
    """The typed error of an engine's error answer (the SDK's ``APIError``)."""
    import docker.errors

    if isinstance(exc, EngineRefused):
        return exc
    cls = _sdk_kinds()[
        refusals.refusal_class(exc.status_code or 500, isinstance(exc, docker.errors.ImageNotFound))
    ]
    assert issubclass(cls, EngineRefused)
    return cls(exc.args[0] if exc.args else "", response=exc.response, explanation=exc.explanation)


def translate(exc: BaseException) -> EngineError | None:
    """The ``EngineError`` for an exception of the SDK or its transport; None for any other
    (a bug or a Python error, which is not the engine's)."""
    if isinstance(exc, EngineError):
        return exc
    if not _sdk_loaded():  # then nothing raised can be theirs
        return None
    import docker.errors
    import requests.exceptions

    if isinstance(exc, docker.errors.APIError):
        return refused(exc)
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return unreachable(plain(exc))
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
    except Exception as exc:  # the mapping edge: the SDK's and requests' errors share no base
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
