"""The transport-neutral half of the engine's error mapping: which ``engine.errors`` type an
error answer is, the short reason of a transport failure, and what "no engine answers" says.

Both clients use it, so an answer maps to the same type and a dead engine reads the same
whichever client asked: the docker SDK's (``engine.errormap`` applies this to the SDK's and
requests' exceptions) and the light read-only one (``engine.light``, to ``http.client``'s and
the socket's). It imports neither the SDK nor requests, so a command that only reads never
loads them.
"""

from __future__ import annotations

from swarmdeck.engine.errors import (
    EngineConflict,
    EngineImageNotFound,
    EngineInvalid,
    EngineNotFound,
    EngineRefused,
    EngineUnavailable,
    EngineUnreachable,
)

DEFAULT_ENDPOINT = "unix:///var/run/docker.sock"
START_HINT = (
    "start it with `systemctl start docker`, or `dockerd >/var/log/dockerd.log 2>&1 &` "
    "where there is no systemd"
)

BY_STATUS: dict[int, type[EngineRefused]] = {
    400: EngineInvalid,
    403: EngineConflict,  # "network has active endpoints", "in use"
    404: EngineNotFound,
    409: EngineConflict,
    503: EngineUnavailable,
}

# Connection failures arrive wrapped (requests → urllib3 → OSError on the SDK path).
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


def refusal_class(status: int, image: bool = False) -> type[EngineRefused]:
    """The type of an error answer with ``status`` (``image``: a 404 about an image)."""
    cls = BY_STATUS.get(status, EngineRefused)
    return EngineImageNotFound if cls is EngineNotFound and image else cls


def plain_reason(text: str) -> str:
    """A one-line reason for a failure whose text is ``text``, without the wrappers' noise."""
    for needle, reason in _PLAIN_CAUSES:
        if needle in text:
            return reason
    return text.splitlines()[0][:300] if text else ""


def unreachable(
    target: str,
    reason: str,
    cls: type[EngineUnreachable] = EngineUnreachable,
    default_endpoint: str = DEFAULT_ENDPOINT,
) -> EngineUnreachable:
    """ "no Docker engine answers at ``target`` (reason)", with how to start the local engine
    when ``target`` is the default endpoint."""
    hint = f"; {START_HINT}" if target == default_endpoint else ""
    return cls.because(reason, target, f"no Docker engine answers at {target} ({reason}){hint}")
