"""The workload settings admins choose: the host paths operators may bind.

Restrictive by default: the table starts empty, and a workload of a non-admin binds no host
path until an admin allows a directory (``PUT /api/settings/workloads``). Paths are kept
normalised (``swarmdeck.engine.policy.normalise_host_path``); the engine's own socket and
state can never be allowed, nor ``/`` (which would allow everything else).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.engine.policy import normalise_host_path, touches_engine
from swarmdeck.store.errors import Invalid
from swarmdeck.store.models import Base, UTCDateTime, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

MAX_PATHS = 100
MAX_PATH_LENGTH = 512


class AllowedHostPath(Base):
    """A host directory under which non-admins may bind (one row per directory)."""

    __tablename__ = "workload_host_paths"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(MAX_PATH_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def check_host_path(path: str) -> str:
    """``path`` normalised, or ``Invalid`` saying why it cannot be allowed."""
    if not isinstance(path, str) or len(path) > MAX_PATH_LENGTH:
        raise Invalid(f"a host path is at most {MAX_PATH_LENGTH} characters")
    try:
        normal = normalise_host_path(path)
    except ValueError:
        raise Invalid(f"{path!r} is not an absolute host path (like /srv/data)") from None
    if normal == "/":
        raise Invalid("/ would allow every host path: allow the directories operators need")
    engine_path = touches_engine(normal)
    if engine_path is not None:
        raise Invalid(
            f"{normal} is, holds or lies in the Docker engine's socket or state "
            f"({engine_path}): that is never allowed"
        )
    return normal


class WorkloadSettings:
    """The workload settings in the console's database (the same one as ``store``)."""

    def __init__(self, store: Store) -> None:
        # Its table is made by the store's migrations (store/migrations), like every other.
        self.store = store

    def allowed_host_paths(self) -> list[str]:
        with self.store.transaction() as s:
            return list(s.scalars(select(AllowedHostPath.path).order_by(by_name(AllowedHostPath.path))))

    def set_allowed_host_paths(self, paths: Iterable[str]) -> list[str]:
        """Replace the list (normalised, duplicates dropped); all or nothing."""
        normal = sorted({check_host_path(p) for p in paths})
        if len(normal) > MAX_PATHS:
            raise Invalid(f"at most {MAX_PATHS} allowed host paths")
        with self.store.transaction() as s:
            s.execute(delete(AllowedHostPath))
            s.add_all(AllowedHostPath(path=p) for p in normal)
        return normal
