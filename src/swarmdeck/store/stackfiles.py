"""What the console keeps of the stacks it deploys, and the app templates admins add.

Every deploy from the console (not a plan) keeps the compose text and the variables it was
interpolated with as the stack's next version, per endpoint and stack name: the stack page
shows the newest in its editor, lists the versions, diffs two and puts an older one back in
the editor. Versions are never rewritten; a stack removed and deployed again continues its
numbering.

App templates are compose files with ``${VAR}`` variables that fill the editor. The built-in
ones live in ``console.templates_builtin``; the ones here are the admins' own, each under a
key (the store's name grammar) with a free-text title that pages show escaped.

Both tables are made on first use with ``create_all`` (a console process starting at the
same time may make them first), and ``store/schema.py`` adds to them the columns added
since, as it does for the store's other tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from swarmdeck.store.errors import Invalid, NotFound
from swarmdeck.store.models import Base, UTCDateTime, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

MAX_COMPOSE = 1_000_000
MAX_TITLE = 128
MAX_TEMPLATES = 200
KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"


class StackVersion(Base):
    """One deploy of a stack from the console: its compose text and variables."""

    __tablename__ = "stack_versions"
    __table_args__ = (UniqueConstraint("endpoint", "stack", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(64), index=True)
    stack: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    compose: Mapped[str] = mapped_column(Text)
    env_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    git_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)  # revision 0006


class AppTemplate(Base):
    """An admin's own app template."""

    __tablename__ = "app_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    compose: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class VersionRecord:
    stack: str
    version: int
    compose: str
    env: dict[str, str]
    username: str
    created_at: datetime
    commit: str | None = None  # the Git commit it came from (a Git stack's)


@dataclass(frozen=True)
class TemplateRecord:
    key: str
    title: str
    description: str
    compose: str
    username: str  # "" for a built-in one
    builtin: bool = False


def _version(row: StackVersion) -> VersionRecord:
    env = json.loads(row.env_json or "{}")
    return VersionRecord(
        row.stack, row.version, row.compose, env, row.username, row.created_at, row.git_commit
    )


def _template(row: AppTemplate) -> TemplateRecord:
    return TemplateRecord(row.key, row.title, row.description, row.compose, row.username)


def check_key(key: str) -> str:
    if not (1 <= len(key) <= 64) or any(c not in KEY_CHARS for c in key):
        raise Invalid("a template's key is 1 to 64 letters, digits, '.', '_' or '-'")
    if not key.strip("."):
        raise Invalid("a template's key is not only dots (it names a URL path segment)")
    return key


class StackFiles:
    """The stack versions and admins' app templates in the console's database."""

    def __init__(self, store: Store) -> None:
        # Its tables are made by the schema's revision 0003 when the store opens.
        self.store = store

    # --- versions -------------------------------------------------------------------
    def record(
        self,
        endpoint: str,
        stack: str,
        compose: str,
        env: dict[str, str],
        username: str,
        commit: str | None = None,
    ) -> int:
        """Keep ``compose`` as the stack's next version and return its number (the newest
        one's when it is the same text with the same variables, from the same Git commit)."""
        env_json = json.dumps(env, sort_keys=True)
        with self.store.transaction() as s:
            last = s.scalar(
                select(StackVersion)
                .where(StackVersion.endpoint == endpoint, StackVersion.stack == stack)
                .order_by(StackVersion.version.desc())
                .limit(1)
            )
            if (
                last is not None
                and last.compose == compose
                and last.env_json == env_json
                and last.git_commit == commit
            ):
                return last.version
            number = (last.version if last else 0) + 1
            s.add(
                StackVersion(
                    endpoint=endpoint,
                    stack=stack,
                    version=number,
                    compose=compose,
                    env_json=env_json,
                    username=username,
                    git_commit=commit,
                )
            )
        return number

    def versions(self, endpoint: str, stack: str) -> list[VersionRecord]:
        """The stack's versions, newest first."""
        with self.store.transaction() as s:
            rows = s.scalars(
                select(StackVersion)
                .where(StackVersion.endpoint == endpoint, StackVersion.stack == stack)
                .order_by(StackVersion.version.desc())
            )
            return [_version(r) for r in rows]

    def version(self, endpoint: str, stack: str, number: int | None = None) -> VersionRecord:
        """Version ``number`` of the stack (the newest without one)."""
        with self.store.transaction() as s:
            query = select(StackVersion).where(StackVersion.endpoint == endpoint, StackVersion.stack == stack)
            if number is None:
                query = query.order_by(StackVersion.version.desc()).limit(1)
            else:
                query = query.where(StackVersion.version == number)
            row = s.scalar(query)
            if row is None:
                what = "no version" if number is None else f"no version {number}"
                raise NotFound(f"stack {stack} has {what} deployed from the console")
            return _version(row)

    # --- templates ------------------------------------------------------------------
    def templates(self) -> list[TemplateRecord]:
        with self.store.transaction() as s:
            return [_template(r) for r in s.scalars(select(AppTemplate).order_by(by_name(AppTemplate.key)))]

    def add_template(
        self, key: str, title: str, description: str, compose: str, username: str
    ) -> TemplateRecord:
        check_key(key)
        if not title.strip() or len(title) > MAX_TITLE:
            raise Invalid(f"a template's title is 1 to {MAX_TITLE} characters")
        if not compose.strip() or len(compose) > MAX_COMPOSE:
            raise Invalid("a template's compose file is 1 character to 1 MB")
        with self.store.transaction() as s:
            if (s.scalar(select(func.count()).select_from(AppTemplate)) or 0) >= MAX_TEMPLATES:
                raise Invalid(f"at most {MAX_TEMPLATES} templates")
            row = AppTemplate(
                key=key, title=title, description=description, compose=compose, username=username
            )
            s.add(row)
            s.flush()
            return _template(row)

    def remove_template(self, key: str) -> None:
        with self.store.transaction() as s:
            if not s.execute(delete(AppTemplate).where(AppTemplate.key == key)).rowcount:  # type: ignore[attr-defined]
                raise NotFound(f"no template {key}")
