"""Teams: members and the endpoints they are granted.

Access per endpoint: an admin sees every endpoint; any other user sees only the endpoints
granted to a team they belong to. Roles stay global (a read-only member of a team that is
granted an endpoint may look at it, not change it).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from swarmdeck.store import models as m
from swarmdeck.store.errors import Conflict, Invalid, NotFound
from swarmdeck.store.ordering import by_name
from swarmdeck.store.repository import Store

_NAME_CHARS = set(string.ascii_letters + string.digits + "._-")


@dataclass(frozen=True)
class TeamRecord:
    name: str
    members: tuple[str, ...]
    endpoints: tuple[str, ...]
    created_at: datetime


def _team(row: m.Team) -> TeamRecord:
    return TeamRecord(
        row.name, tuple(u.username for u in row.members), tuple(e.name for e in row.endpoints), row.created_at
    )


class Teams:
    """Teams in the console's store (same database and transactions as ``Store``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self) -> list[TeamRecord]:
        with self.store.transaction() as s:
            return [_team(t) for t in s.scalars(select(m.Team).order_by(by_name(m.Team.name)))]

    def get(self, name: str) -> TeamRecord:
        with self.store.transaction() as s:
            return _team(self._row(s, name))

    def create(self, name: str) -> TeamRecord:
        if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
            raise Invalid("a team name is 1 to 64 letters, digits, '.', '_' or '-'")
        with self.store.transaction() as s:
            if s.scalar(select(m.Team).where(m.Team.name == name)) is not None:
                raise Conflict(f"a team named {name!r} already exists")
            row = m.Team(name=name)
            s.add(row)
            s.flush()
            return _team(row)

    def delete(self, name: str) -> None:
        with self.store.transaction() as s:
            s.delete(self._row(s, name))

    def add_member(self, team: str, username: str) -> TeamRecord:
        with self.store.transaction() as s:
            row, user = self._row(s, team), Store._user_row(s, username)
            if user in row.members:
                raise Conflict(f"{username} is already in team {team}")
            row.members.append(user)
            return _team(row)

    def remove_member(self, team: str, username: str) -> TeamRecord:
        with self.store.transaction() as s:
            row, user = self._row(s, team), Store._user_row(s, username)
            if user not in row.members:
                raise NotFound(f"{username} is not in team {team}")
            row.members.remove(user)
            return _team(row)

    def grant(self, team: str, endpoint: str) -> TeamRecord:
        with self.store.transaction() as s:
            row, target = self._row(s, team), Store._endpoint_row(s, endpoint)
            if target in row.endpoints:
                raise Conflict(f"team {team} already has endpoint {endpoint}")
            row.endpoints.append(target)
            return _team(row)

    def revoke(self, team: str, endpoint: str) -> TeamRecord:
        with self.store.transaction() as s:
            row, target = self._row(s, team), Store._endpoint_row(s, endpoint)
            if target not in row.endpoints:
                raise NotFound(f"team {team} has no grant for endpoint {endpoint}")
            row.endpoints.remove(target)
            return _team(row)

    def endpoints_of(self, username: str) -> set[str]:
        """Names of the endpoints granted to any team ``username`` is in."""
        with self.store.transaction() as s:
            query = (
                select(m.Endpoint.name)
                .join(m.team_endpoints)
                .join(m.team_members, m.team_members.c.team_id == m.team_endpoints.c.team_id)
                .join(m.User, m.User.id == m.team_members.c.user_id)
                .where(m.User.username == username)
            )
            return set(s.scalars(query))

    @staticmethod
    def _row(s: OrmSession, name: str) -> m.Team:
        row = s.scalar(select(m.Team).where(m.Team.name == name))
        if row is None:
            raise NotFound(f"no team named {name!r}")
        return row
