"""The registry index: each registry's repository names, kept in the console's database, and
what keeps it current (when the catalog was last walked, the hash of the token its
notifications carry), and when its tags last changed as a console learnt it (which the tags
each console process caches in memory are checked against: console/list_cache.py).

Why a table: a registry's catalog cannot be searched or counted, and walking it takes the
registry seconds per 10,000 names. Kept here, a cold console answers a page, a search and a
total from an index (``registry_repositories``, keyed by registry then name) without asking
the registry anything; the registry's notifications (push, delete) change single rows, and a
full walk only rebuilds (``replace``).

Tokens are stored as SHA-256 hashes: the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from swarmdeck.store.models import Base, UTCDateTime, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

CHUNK = 5000  # rows per INSERT of a rebuild


class RegistryRepository(Base):
    __tablename__ = "registry_repositories"

    # ``registry`` is the column; the attribute name is Declarative's own
    registry_name: Mapped[str] = mapped_column("registry", String(64), primary_key=True)
    repository: Mapped[str] = mapped_column(String(255), primary_key=True)


class RegistryIndexState(Base):
    __tablename__ = "registry_index_state"

    # ``registry`` is the column; the attribute name is Declarative's own
    registry_name: Mapped[str] = mapped_column("registry", String(64), primary_key=True)
    walked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tags_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # revision 0007


@dataclass(frozen=True)
class IndexState:
    walked_at: datetime | None
    notified_at: datetime | None
    has_token: bool
    tags_changed_at: datetime | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RegistryIndex:
    """Reads and changes of the index; each method one transaction."""

    def __init__(self, store: Store) -> None:
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)

    def _tx(self) -> AbstractContextManager[Session]:
        return self._sessions.begin()

    def state(self, registry: str) -> IndexState | None:
        with self._tx() as s:
            row = s.get(RegistryIndexState, registry)
            if row is None:
                return None
            return IndexState(row.walked_at, row.notified_at, row.token_hash is not None, row.tags_changed_at)

    def page(self, registry: str, q: str, offset: int, limit: int) -> tuple[list[str], int]:
        """Names of ``registry`` holding ``q`` in any case (names as stored), sorted; and how many
        there are."""
        where = [RegistryRepository.registry_name == registry]
        if q:
            # ILIKE: case-insensitive on every database (SQLite's LIKE is, PostgreSQL's is not).
            where.append(RegistryRepository.repository.ilike(f"%{_escape_like(q)}%", escape="\\"))
        with self._tx() as s:
            total = s.scalar(select(func.count()).select_from(RegistryRepository).where(*where)) or 0
            names = s.scalars(
                select(RegistryRepository.repository)
                .where(*where)
                .order_by(by_name(RegistryRepository.repository))
                .offset(offset)
                .limit(limit)
            ).all()
        return list(names), total

    def replace(self, registry: str, names: Iterable[str], began: datetime | None = None) -> int:
        """The whole list of ``registry`` (a walk of its catalog begun at ``began``), in one
        transaction. When a notification changed the index after the walk began (in any
        console process: the walk may have listed the catalog before that push), the names
        indexed now are kept too: a repository pushed meanwhile is not dropped (one deleted
        meanwhile may stay listed, without tags, until the next walk or its next event)."""
        unique = set(names)
        with self._tx() as s:
            state = s.get(RegistryIndexState, registry)
            if began is not None and state is not None and state.notified_at and state.notified_at >= began:
                indexed = select(RegistryRepository.repository).where(
                    RegistryRepository.registry_name == registry
                )
                unique.update(s.scalars(indexed))
            s.execute(delete(RegistryRepository).where(RegistryRepository.registry_name == registry))
            ordered = sorted(unique)
            for start in range(0, len(ordered), CHUNK):
                s.execute(
                    insert(RegistryRepository),
                    [{"registry_name": registry, "repository": n} for n in ordered[start : start + CHUNK]],
                )
            self._state_row(s, registry).walked_at = utcnow()
        return len(unique)

    def add(self, registry: str, repository: str) -> bool:
        """Index one repository (a push); whether it was new."""
        with self._tx() as s:
            self._state_row(s, registry).notified_at = utcnow()
            if s.get(RegistryRepository, (registry, repository)) is not None:
                return False
            s.add(RegistryRepository(registry_name=registry, repository=repository))
            return True

    def remove(self, registry: str, repository: str) -> bool:
        """Drop one repository (its last tag deleted); whether it was indexed."""
        with self._tx() as s:
            self._state_row(s, registry).notified_at = utcnow()
            gone = s.execute(
                delete(RegistryRepository).where(
                    RegistryRepository.registry_name == registry, RegistryRepository.repository == repository
                )
            )
            return bool(getattr(gone, "rowcount", 0))

    def tags_changed(self, registry: str) -> None:
        """Note that some of ``registry``'s tags changed now (pushed or deleted): every console
        process on the database then fetches again the tags it cached before."""
        with self._tx() as s:
            self._state_row(s, registry).tags_changed_at = utcnow()

    def set_token(self, registry: str, token: str) -> None:
        with self._tx() as s:
            self._state_row(s, registry).token_hash = token_hash(token)

    def token_matches(self, registry: str, token: str) -> bool:
        """Whether ``token`` is the one made for ``registry`` (compared in constant time)."""
        with self._tx() as s:
            row = s.get(RegistryIndexState, registry)
            stored = row.token_hash if row else None
        return hmac.compare_digest(stored or "-" * 64, token_hash(token)) and stored is not None

    def drop(self, registry: str) -> None:
        """Forget everything about ``registry`` (it was removed from the console)."""
        with self._tx() as s:
            s.execute(delete(RegistryRepository).where(RegistryRepository.registry_name == registry))
            s.execute(delete(RegistryIndexState).where(RegistryIndexState.registry_name == registry))

    @staticmethod
    def _state_row(s: Session, registry: str) -> RegistryIndexState:
        row = s.get(RegistryIndexState, registry)
        if row is None:
            row = RegistryIndexState(registry_name=registry)
            s.add(row)
        return row
