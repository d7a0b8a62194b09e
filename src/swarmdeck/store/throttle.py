"""Failed logins, in the database: every console process on the same data directory (or
database URL) sees the same counts.

- ``LoginFailures``: failures per (username, client address), for a limit per pair.
- ``AccountDelays``: failures per account whatever the address, for a growing delay: an
  attacker with many addresses (or behind one proxy with everyone else) gets few guesses,
  and the account's owner waits at most ``DelaySchedule.cap`` once the guessing stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from swarmdeck.store import models as m
from swarmdeck.store.errors import Conflict
from swarmdeck.store.repository import Store


def _key(username: str) -> str:
    return username[:128].lower()


class LoginFailures:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, username: str, client: str, at: datetime, forget_before: datetime) -> None:
        """Note one failure; failures of anyone older than ``forget_before`` are dropped."""
        with self.store.transaction() as s:
            s.execute(delete(m.LoginFailure).where(m.LoginFailure.at < forget_before))
            s.add(m.LoginFailure(username=_key(username), client=client[:64], at=at))

    def since(self, username: str, client: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures the pair had after ``since``, and when the oldest of them was."""
        with self.store.transaction() as s:
            count, oldest = s.execute(
                select(func.count(), func.min(m.LoginFailure.at)).where(
                    m.LoginFailure.username == _key(username),
                    m.LoginFailure.client == client[:64],
                    m.LoginFailure.at > since,
                )
            ).one()
        return count, oldest

    def clear(self, username: str, client: str) -> None:
        with self.store.transaction() as s:
            s.execute(
                delete(m.LoginFailure).where(
                    m.LoginFailure.username == _key(username), m.LoginFailure.client == client[:64]
                )
            )


@dataclass(frozen=True)
class DelaySchedule:
    """How long an account waits after its n-th failure in a row: nothing for the first
    ``free - 1``, then ``first`` seconds, doubling with each further failure up to ``cap``.
    An account quiet for ``forget`` seconds starts again from zero.

    With the defaults, guessing at one account from any number of addresses gets 5 tries,
    then 1 s, 2 s, 4 s … apart, then one every 5 minutes (about 12 an hour); its owner, once
    the guessing stops, waits 5 minutes at most.
    """

    free: int = 5
    first: float = 1.0
    cap: float = 300.0
    forget: float = 3600.0

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.cap, self.first * 2.0 ** min(failures - self.free, 62))


class AccountDelays:
    """Failures per account. An attempt is counted when it is admitted, before the password
    is checked (``claim``), and a success clears it: so parallel requests arriving as a
    delay ends cannot each get a guess in; one is admitted, the others wait."""

    CLAIM_TRIES = 20  # compare-and-set rounds before giving up (only under heavy contention)

    def __init__(self, store: Store, schedule: DelaySchedule | None = None) -> None:
        self.store = store
        self.schedule = schedule or DelaySchedule()

    def claim(self, username: str, now: datetime) -> float:
        """0 when an attempt may go ahead now (it is counted as a failure until ``clear``);
        else the seconds until the account may try again."""
        key = _key(username)
        forget = timedelta(seconds=self.schedule.forget)
        for _ in range(self.CLAIM_TRIES):
            with self.store.transaction() as s:
                row = s.execute(
                    select(
                        m.LoginDelay.failures, m.LoginDelay.attempts, m.LoginDelay.last_at, m.LoginDelay.until
                    ).where(m.LoginDelay.username == key)
                ).first()
            if row is None:
                try:
                    with self.store.transaction() as s:
                        s.execute(delete(m.LoginDelay).where(m.LoginDelay.last_at < now - forget))
                        s.add(
                            m.LoginDelay(
                                username=key, failures=1, attempts=1, last_at=now, until=now + self._delay(1)
                            )
                        )
                except Conflict:
                    continue  # another request made the row meanwhile: read it
                return 0.0
            failures, attempts, last_at, until = row
            if until > now:
                return (until - now).total_seconds()
            failures = 1 if now - last_at >= forget else failures + 1
            with self.store.transaction() as s:
                done = s.execute(
                    update(m.LoginDelay)
                    .where(m.LoginDelay.username == key, m.LoginDelay.attempts == attempts)
                    .values(
                        failures=failures,
                        attempts=attempts + 1,
                        last_at=now,
                        until=now + self._delay(failures),
                    )
                )
            if done.rowcount == 1:  # type: ignore[attr-defined]
                return 0.0
        return max(self.schedule.first, 1.0)

    def clear(self, username: str) -> None:
        """The account proved its password: its count starts again."""
        with self.store.transaction() as s:
            s.execute(delete(m.LoginDelay).where(m.LoginDelay.username == _key(username)))

    def failures(self, username: str) -> int:
        with self.store.transaction() as s:
            return s.scalar(select(m.LoginDelay.failures).where(m.LoginDelay.username == _key(username))) or 0

    def _delay(self, failures: int) -> timedelta:
        return timedelta(seconds=self.schedule.delay(failures))
