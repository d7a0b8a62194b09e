"""Stacks whose compose file comes from a Git repository: where (URL, branch or tag, file
path), the credentials to fetch with, when to redeploy (a schedule, a webhook) and what the
last redeploy did.

The token is sealed with the endpoints' ``KeySealer`` (Fernet under ``endpoint.key``): a copy
of the database alone does not reveal it, and nothing here hands it out but ``token_of``
(for the fetch). The webhook's secret is kept twice: its SHA-256 (the lookup, compared in
constant time) and sealed (so operators can be shown the webhook URL again).

A stack's redeploy slot (``claim``/``release``) is a lease in its row (``busy_until``, revision
0007), taken by compare-and-set: every console process on the database (the replicas of a
replicated console) sees it, so one redeploy of a stack runs at a time whichever is asked,
and the slot of a process that died is free again once its lease ends.

One row per endpoint and stack name; the table is made by the schema's revision 0006.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from swarmdeck.store.endpoint_tls import KeySealer
from swarmdeck.store.errors import Conflict, NotFound, StoreError
from swarmdeck.store.models import Base, UTCDateTime, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

MAX_GIT_STACKS = 500
MIN_INTERVAL, MAX_INTERVAL = 1, 1440  # minutes between scheduled looks


class GitStack(Base):
    """A stack deployed from a file in a Git repository."""

    __tablename__ = "git_stacks"
    __table_args__ = (UniqueConstraint("endpoint", "stack"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(64), index=True)
    stack: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    ref: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(300))
    git_username: Mapped[str] = mapped_column(String(200), default="", server_default="")
    token_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    interval_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hook_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    hook_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    owner: Mapped[str] = mapped_column(String(64))
    last_commit: Mapped[str] = mapped_column(String(64), default="", server_default="")
    last_result: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    busy_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # revision 0007


@dataclass(frozen=True)
class Slot:
    """A held redeploy slot: the stack as it was when the slot was taken, and the lease's end
    (which ``release`` checks, so a slot taken over after its lease ended is not freed)."""

    record: GitStackRecord
    until: datetime


@dataclass(frozen=True)
class GitStackRecord:
    """A Git stack as the console shows it: never the token, nor the webhook's secret."""

    id: int
    endpoint: str
    stack: str
    url: str
    ref: str
    path: str
    git_username: str
    has_token: bool
    interval_minutes: int | None
    owner: str
    last_commit: str
    last_result: str
    last_at: datetime | None
    created_at: datetime


def _record(row: GitStack) -> GitStackRecord:
    return GitStackRecord(
        row.id,
        row.endpoint,
        row.stack,
        row.url,
        row.ref,
        row.path,
        row.git_username,
        row.token_sealed is not None,
        row.interval_minutes,
        row.owner,
        row.last_commit,
        row.last_result,
        row.last_at,
        row.created_at,
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class GitStacks:
    """The Git stacks in the console's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sealer = KeySealer(Path(store.data_dir))

    def add(
        self,
        endpoint: str,
        stack: str,
        url: str,
        ref: str,
        path: str,
        git_username: str,
        token: str,
        interval_minutes: int | None,
        owner: str,
    ) -> GitStackRecord:
        """Keep a new Git stack (its checks are the caller's: ``console.gitrepo``)."""
        secret = secrets.token_urlsafe(32)
        with self.store.transaction() as s:
            if s.scalar(select(GitStack).where(GitStack.endpoint == endpoint, GitStack.stack == stack)):
                raise Conflict(f"stack {stack} already comes from a Git repository: remove that first")
            if len(s.scalars(select(GitStack.id)).all()) >= MAX_GIT_STACKS:
                raise Conflict(f"at most {MAX_GIT_STACKS} Git stacks")
            row = GitStack(
                endpoint=endpoint,
                stack=stack,
                url=url,
                ref=ref,
                path=path,
                git_username=git_username,
                token_sealed=self._sealer.seal(token) if token else None,
                interval_minutes=interval_minutes,
                hook_hash=_hash(secret),
                hook_sealed=self._sealer.seal(secret),
                owner=owner,
            )
            s.add(row)
            s.flush()
            return _record(row)

    def get(self, endpoint: str, stack: str) -> GitStackRecord:
        with self.store.transaction() as s:
            return _record(self._row(s, endpoint, stack))

    def find(self, endpoint: str, stack: str) -> GitStackRecord | None:
        with self.store.transaction() as s:
            row = s.scalar(select(GitStack).where(GitStack.endpoint == endpoint, GitStack.stack == stack))
            return _record(row) if row else None

    def list(self, endpoint: str | None = None) -> list[GitStackRecord]:
        with self.store.transaction() as s:
            query = select(GitStack).order_by(by_name(GitStack.endpoint), by_name(GitStack.stack))
            if endpoint is not None:
                query = query.where(GitStack.endpoint == endpoint)
            return [_record(r) for r in s.scalars(query)]

    def remove(self, endpoint: str, stack: str) -> None:
        with self.store.transaction() as s:
            s.delete(self._row(s, endpoint, stack))

    def token_of(self, record: GitStackRecord) -> str:
        """The token, unsealed, for the fetch only ("" without one)."""
        with self.store.transaction() as s:
            row = self._row(s, record.endpoint, record.stack)
            return self._open(row.token_sealed, record.stack) if row.token_sealed else ""

    def hook_secret(self, record: GitStackRecord) -> str:
        """The webhook's secret (for its URL, shown to operators)."""
        with self.store.transaction() as s:
            return self._open(self._row(s, record.endpoint, record.stack).hook_sealed, record.stack)

    def by_hook(self, secret: str) -> GitStackRecord | None:
        """The Git stack whose webhook secret is ``secret``, compared in constant time."""
        wanted = _hash(secret)
        with self.store.transaction() as s:
            row = s.scalar(select(GitStack).where(GitStack.hook_hash == wanted))
            if row is None or not hmac.compare_digest(row.hook_hash, wanted):
                return None
            return _record(row)

    def note(self, record: GitStackRecord, result: str, commit: str | None, when: datetime) -> None:
        """What the last look at the repository did (``commit``: the one deployed, if any)."""
        with self.store.transaction() as s:
            row = s.scalar(select(GitStack).where(GitStack.id == record.id))
            if row is None:
                return  # removed meanwhile
            row.last_result, row.last_at = result[:2000], when
            if commit is not None:
                row.last_commit = commit

    def claim(self, record: GitStackRecord, lease: timedelta) -> Slot | None:
        """Take the stack's redeploy slot for ``lease``: None when another redeploy holds it
        (in this process or any other on the database). ``NotFound`` when it was removed."""
        now = utcnow()
        until = now + lease
        with self.store.transaction() as s:
            taken = s.execute(
                update(GitStack)
                .where(
                    GitStack.id == record.id, or_(GitStack.busy_until.is_(None), GitStack.busy_until < now)
                )
                .values(busy_until=until)
            )
            row = s.get(GitStack, record.id)
            if row is None:
                raise NotFound(f"stack {record.stack} does not come from a Git repository")
            if not getattr(taken, "rowcount", 0):
                return None
            return Slot(_record(row), until)

    def release(self, slot: Slot) -> None:
        """Give the slot back (unless its lease ended and another took it)."""
        with self.store.transaction() as s:
            s.execute(
                update(GitStack)
                .where(GitStack.id == slot.record.id, GitStack.busy_until == slot.until)
                .values(busy_until=None)
            )

    def _open(self, sealed: bytes, stack: str) -> str:
        try:
            return self._sealer.open(sealed, stack)
        except StoreError:
            raise StoreError(
                f"the credentials of Git stack {stack} cannot be decrypted: was endpoint.key "
                "replaced? Remove the Git stack and add it again"
            ) from None

    @staticmethod
    def _row(s: Session, endpoint: str, stack: str) -> GitStack:
        row: GitStack | None = s.scalar(
            select(GitStack).where(GitStack.endpoint == endpoint, GitStack.stack == stack)
        )
        if row is None:
            raise NotFound(f"stack {stack} does not come from a Git repository")
        return row
