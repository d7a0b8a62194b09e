"""Failed logins per (username, client address), in the database: every console process
on the same data directory (or database URL) sees the same count."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from swarmdeck.store import models as m
from swarmdeck.store.repository import Store


class LoginFailures:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, username: str, client: str, at: datetime, forget_before: datetime) -> None:
        """Note one failure; failures of anyone older than ``forget_before`` are dropped."""
        with self.store.transaction() as s:
            s.execute(delete(m.LoginFailure).where(m.LoginFailure.at < forget_before))
            s.add(m.LoginFailure(username=username[:128].lower(), client=client[:64], at=at))

    def since(self, username: str, client: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures the pair had after ``since``, and when the oldest of them was."""
        with self.store.transaction() as s:
            count, oldest = s.execute(
                select(func.count(), func.min(m.LoginFailure.at))
                .where(m.LoginFailure.username == username[:128].lower(),
                       m.LoginFailure.client == client[:64], m.LoginFailure.at > since)).one()
        return count, oldest

    def clear(self, username: str, client: str) -> None:
        with self.store.transaction() as s:
            s.execute(delete(m.LoginFailure).where(m.LoginFailure.username == username[:128].lower(),
                                                   m.LoginFailure.client == client[:64]))
