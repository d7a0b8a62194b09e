"""One lock, across every console sharing the database, around a check-then-write that no
unique constraint can guard (e.g. "no admin exists yet, so make this one": two setups with
different names break no constraint, yet must not both succeed).

Why these locks, one per database:

* PostgreSQL: ``pg_advisory_xact_lock(key)``. It needs no row to exist first (an empty
  ``users`` table has nothing for ``SELECT ... FOR UPDATE`` to lock) and no table of its own,
  it is let go by the transaction's commit or rollback (nothing to forget on an error), and
  the holder's commit is visible before its lock is let go: under READ COMMITTED each later
  statement of the next holder sees it.
* SQLite: ``BEGIN IMMEDIATE``. It takes the database's one write lock at once (waiting, up to
  the busy timeout, while another connection holds it) and the reads after it see the last
  commit. Python's ``sqlite3`` driver otherwise starts a transaction only at the first write,
  so the check before it would read outside any transaction, and two checks could both pass.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession

from swarmdeck.store.errors import StoreError

SETUP = 0x5344_0001  # the first admin's creation (any fixed number, one per guarded step)


def hold(session: OrmSession, key: int) -> None:
    """Hold lock ``key`` until ``session``'s transaction ends. Call it first in a new
    transaction: on SQLite it is what begins the transaction."""
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif dialect == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the file's one write lock: ``key`` is moot
    else:
        raise StoreError(f"the console's store does not support {dialect} databases")
