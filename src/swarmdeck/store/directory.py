"""Directory (LDAP) login settings and the accounts a directory login made.

One row holds where the directory is and how to find a user in it: the server's URL, the DN
and password the console binds with to search (the password Fernet-encrypted with the
registries' key, ``registry.key``), the base and filter that find a user by the name typed at
login, the base and filter that list the groups the user's DN is in, and the mappings from a
group's DN to a console role and teams. A second table names the local accounts a directory
login made: only those follow the directory, so a local account keeps its own password even if
the directory knows the same name.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Integer, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from swarmdeck.store.errors import Invalid
from swarmdeck.store.models import Base
from swarmdeck.store.registries import load_key
from swarmdeck.store.repository import Store
from swarmdeck.store.roles import Role
from swarmdeck.store.teams import Teams

MAX_MAPPINGS = 50
DEFAULT_USER_FILTER = "(uid={username})"
DEFAULT_GROUP_FILTER = "(member={dn})"


class DirectorySettingsRow(Base):
    __tablename__ = "directory_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(300), default="")
    bind_dn: Mapped[str] = mapped_column(String(500), default="")
    bind_password: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # Fernet token
    user_base: Mapped[str] = mapped_column(String(500), default="")
    user_filter: Mapped[str] = mapped_column(String(500), default=DEFAULT_USER_FILTER)
    group_base: Mapped[str] = mapped_column(String(500), default="")
    group_filter: Mapped[str] = mapped_column(String(500), default=DEFAULT_GROUP_FILTER)
    mappings: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [{group, role, teams}]


class DirectoryUser(Base):
    """A local account a directory login made (its password is random and never used)."""

    __tablename__ = "directory_users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)


@dataclass(frozen=True)
class Mapping:
    group: str  # a group's DN
    role: Role
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class DirectorySettings:
    url: str = ""
    bind_dn: str = ""
    has_bind_password: bool = False
    user_base: str = ""
    user_filter: str = DEFAULT_USER_FILTER
    group_base: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER
    mappings: tuple[Mapping, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class Directory:
    """The directory settings in the console's database (the same one as ``store``)."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        # Its tables are made by the schema's revision 0004 when the store opens.
        from cryptography.fernet import Fernet

        self.store = store
        self._sessions = sessionmaker(store.engine, expire_on_commit=False)
        self._fernet = Fernet(load_key(data_dir))

    def _tx(self) -> AbstractContextManager[Session]:
        return self._sessions.begin()

    def settings(self) -> DirectorySettings:
        with self._tx() as s:
            row = s.get(DirectorySettingsRow, 1)
            return _settings(row) if row is not None else DirectorySettings()

    def bind_password(self) -> str | None:
        with self._tx() as s:
            row = s.get(DirectorySettingsRow, 1)
            if row is None or row.bind_password is None:
                return None
            return self._fernet.decrypt(row.bind_password).decode()

    def save(self, new: DirectorySettings, bind_password: str | None) -> DirectorySettings:
        """Replace the settings; ``bind_password`` None keeps the stored one, "" removes it."""
        _check(new)
        known = {t.name for t in Teams(self.store).list()}
        unknown = sorted({t for m in new.mappings for t in m.teams} - known)
        if unknown:
            raise Invalid(f"no such team: {', '.join(unknown)} (make it on the teams page first)")
        with self._tx() as s:
            row = s.get(DirectorySettingsRow, 1) or DirectorySettingsRow(id=1)
            row.url, row.bind_dn = new.url, new.bind_dn
            row.user_base, row.user_filter = new.user_base, new.user_filter
            row.group_base, row.group_filter = new.group_base, new.group_filter
            row.mappings = json.dumps(
                [{"group": m.group, "role": m.role.value, "teams": list(m.teams)} for m in new.mappings]
            )
            if bind_password is not None:
                row.bind_password = self._fernet.encrypt(bind_password.encode()) if bind_password else None
            s.add(row)
            s.flush()
            return _settings(row)

    def made_by_directory(self, username: str) -> bool:
        with self._tx() as s:
            return s.scalar(select(DirectoryUser).where(DirectoryUser.username == username)) is not None

    def mark(self, username: str) -> None:
        with self._tx() as s:
            if s.get(DirectoryUser, username) is None:
                s.add(DirectoryUser(username=username))


def _settings(row: DirectorySettingsRow) -> DirectorySettings:
    mappings = tuple(
        Mapping(str(m["group"]), Role(m["role"]), tuple(m.get("teams") or ()))
        for m in json.loads(row.mappings)
    )
    return DirectorySettings(
        row.url,
        row.bind_dn,
        row.bind_password is not None,
        row.user_base,
        row.user_filter,
        row.group_base,
        row.group_filter,
        mappings,
    )


def _check(new: DirectorySettings) -> None:
    if not new.url:
        return  # directory login off
    if not new.url.startswith(("ldap://", "ldaps://")):
        raise Invalid("the directory's URL starts with ldap:// or ldaps://")
    if not new.user_base:
        raise Invalid("give the base DN under which users are searched")
    if "{username}" not in new.user_filter or not new.user_filter.startswith("("):
        raise Invalid("the user filter is an LDAP filter naming {username}, e.g. (uid={username})")
    if new.group_filter and ("{dn}" not in new.group_filter and "{username}" not in new.group_filter):
        raise Invalid("the group filter names {dn} or {username}, e.g. (member={dn})")
    if len(new.mappings) > MAX_MAPPINGS:
        raise Invalid(f"at most {MAX_MAPPINGS} group mappings")
    if not new.mappings:
        raise Invalid("map at least one group to a role: members of no mapped group cannot log in")
