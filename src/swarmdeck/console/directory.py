"""Directory (LDAP) login: find the user with the console's bind, check the password by binding
as the user, list the user's groups and map them to a role and teams (``store.directory``).

A login the local accounts do not accept comes here; a local account (one no directory login
made) is never taken over by a directory user of the same name. A directory user is kept as a
local account whose role and teams follow the directory at each login, so sessions,
teams and the audit log work as for anyone. LDAP errors stop at this edge as
``DirectoryRefused``, with what to check.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from fastapi import FastAPI

from swarmdeck.console.errors import ConsoleError
from swarmdeck.store import NotFound, StoreError, UserRecord
from swarmdeck.store.directory import Directory, DirectorySettings
from swarmdeck.store.roles import Role
from swarmdeck.store.teams import Teams

log = logging.getLogger("swarmdeck.console")
TIMEOUT = 10


class DirectoryRefused(ConsoleError):
    """The directory did not let the user in, or could not be asked; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 400)


@dataclass(frozen=True)
class Found:
    dn: str
    groups: tuple[str, ...]
    role: Role
    teams: tuple[str, ...]

    @property
    def summary(self) -> str:
        teams = ", ".join(self.teams) or "none"
        return f"{self.dn} logs in as {self.role.value}, teams: {teams} (groups: {', '.join(self.groups)})."


def app_directory(app: FastAPI) -> Directory:
    """One per app, made on first use (its tables come with it)."""
    state = app.state
    if getattr(state, "directory", None) is None:
        state.directory = Directory(state.console.store, state.data_dir)
    found: Directory = state.directory
    return found


def look_up(settings: DirectorySettings, bind_password: str | None, username: str, password: str) -> Found:
    """The user's DN, groups, role and teams if the directory accepts ``password``."""
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

    if not settings.enabled:
        raise DirectoryRefused("directory login is off: give the directory's URL first")
    if not password:
        raise DirectoryRefused("an empty password is refused (LDAP would take it as an anonymous bind)")
    try:
        server = ldap3.Server(settings.url, connect_timeout=TIMEOUT, get_info=ldap3.NONE)
        service = ldap3.Connection(
            server, user=settings.bind_dn or None, password=bind_password, receive_timeout=TIMEOUT
        )
        if not service.bind():
            raise DirectoryRefused(
                f"the directory refused the console's bind as {settings.bind_dn or 'anonymous'}: "
                f"{service.result.get('description')} (check the bind DN and password)"
            )
        try:
            query = settings.user_filter.replace("{username}", escape_filter_chars(username))
            service.search(settings.user_base, query, ldap3.SUBTREE, attributes=[], size_limit=2)
            entries = [e for e in service.response or [] if e.get("type") == "searchResEntry"]
            if len(entries) != 1:
                what = "no user" if not entries else "more than one user"
                raise DirectoryRefused(f"{what} matches {query} under {settings.user_base}")
            dn = str(entries[0]["dn"])
            groups: list[str] = []
            if settings.group_base and settings.group_filter:
                query = settings.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
                    "{username}", escape_filter_chars(username)
                )
                service.search(settings.group_base, query, ldap3.SUBTREE, attributes=[])
                groups = [str(e["dn"]) for e in service.response or [] if e.get("type") == "searchResEntry"]
        finally:
            service.unbind()
        user = ldap3.Connection(server, user=dn, password=password, receive_timeout=TIMEOUT)
        if not user.bind():
            raise DirectoryRefused(f"the directory refused {dn}'s password")
        user.unbind()
    except LDAPException as exc:
        raise DirectoryRefused(f"the directory at {settings.url} does not answer: {exc}") from exc
    return _mapped(settings, dn, tuple(groups))


def _mapped(settings: DirectorySettings, dn: str, groups: tuple[str, ...]) -> Found:
    member = {g.lower() for g in groups}
    hits = [m for m in settings.mappings if m.group.lower() in member]
    if not hits:
        raise DirectoryRefused(
            f"{dn} is in none of the mapped groups (its groups: {', '.join(groups) or 'none'})"
        )
    role = max((m.role for m in hits), key=lambda r: r.rank)
    teams = tuple(sorted({t for m in hits for t in m.teams}))
    return Found(dn, groups, role, teams)


def directory_login(app: FastAPI, username: str, password: str) -> UserRecord | None:
    """The local account of a directory user whose password the directory accepts, made or
    brought up to date (role, mapped teams); None when the directory does not let them in."""
    directory = app_directory(app)
    settings = directory.settings()
    if not settings.enabled:
        return None
    store = app.state.console.store
    try:
        existing: UserRecord | None = store.get_user(username)
    except NotFound:
        existing = None
    if existing is not None and not directory.made_by_directory(username):
        return None  # a local account: its own password only
    try:
        found = look_up(settings, directory.bind_password(), username, password)
    except DirectoryRefused as exc:
        log.info("directory login of %s refused: %s", username, exc)
        return None
    try:
        if existing is None:
            user = store.create_user(username, secrets.token_urlsafe(32), found.role)
            directory.mark(username)
        else:
            user = store.update_user(username, role=found.role)
        _follow_teams(Teams(store), username, found)
    except StoreError as exc:
        log.warning("directory login of %s: the account could not be made: %s", username, exc)
        return None
    return user


def _follow_teams(teams: Teams, username: str, found: Found) -> None:
    """A directory user is in exactly the teams their groups map to (a team an admin added
    them to by hand, or one a removed mapping gave, is left at the next login)."""
    for team in teams.list():
        inside = username in team.members
        if team.name in found.teams and not inside:
            teams.add_member(team.name, username)
        elif team.name not in found.teams and inside:
            teams.remove_member(team.name, username)
