"""Host paths as the workload policy compares them: textual normalisation, "inside", and the
engine's own paths that no allow-list can open (its socket, state and configuration)."""

from __future__ import annotations

import posixpath

# The engine's socket, state and configuration (TLS keys): binding them, anything inside or
# any directory above them owns the engine. /var/run is /run on current systems; both listed.
ENGINE_PATHS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/docker",
    "/run/docker",
    "/var/run/containerd",
    "/run/containerd",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/docker",
)


def normalise_host_path(path: str) -> str:
    """``path`` with ``.``, ``..``, repeated and trailing slashes resolved as text (symlinks
    are not followed: the path is on the engine's host). ValueError unless absolute."""
    if not isinstance(path, str) or not path.startswith("/") or "\x00" in path:
        raise ValueError(f"{path!r} is not an absolute path")
    normal = posixpath.normpath(path)
    return "/" + normal.lstrip("/")  # POSIX keeps a leading "//"; the kernel does not


def within(path: str, prefix: str) -> bool:
    """Whether normalised ``path`` is ``prefix`` or inside it (``/srv/data`` is not inside
    ``/srv/dat``)."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def touches_engine(path: str) -> str | None:
    """The engine path that normalised ``path`` is, holds or lies in; or None."""
    for engine_path in ENGINE_PATHS:
        if within(path, engine_path) or within(engine_path, path):
            return engine_path
    if posixpath.basename(path).endswith(".sock"):
        return path
    return None
