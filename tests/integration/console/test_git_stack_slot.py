"""A Git stack's redeploy slot is the same for every console process on one database (the
replicas of a replicated console): a redeploy running on one refuses a button or webhook on
the other (409) and keeps the other's schedule off the stack; a stack another process just
looked at is not due again for the schedule that listed it before that look; a lease whose
process died ends, and then its old holder's release frees nothing.

Two consoles here share the first's data directory and database (SQLite there, or one
PostgreSQL database): no Git server is needed, as no redeploy is let through to a fetch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from swarmdeck.console import create_app, gitstacks
from swarmdeck.console.errors import ConsoleError
from swarmdeck.store.gitstacks import GitStack, GitStackRecord
from tests.support.console import database_url_of, store_of

pytestmark = pytest.mark.both_databases


@pytest.fixture
def second(app: FastAPI) -> Iterator[FastAPI]:
    """Another console process's app on the same data directory and database."""
    other = create_app(store_of(app).data_dir, database_url=database_url_of(app))
    for one in (app, other):
        one.state.git_schedule.set()  # the tests make the schedule's looks themselves
    yield other
    other.state.console.close()


@pytest.fixture
def record(app: FastAPI) -> GitStackRecord:
    stacks = gitstacks.git_stacks_of(app)
    made = stacks.add(
        "local", "sdct-slot", "https://git.invalid/app.git", "main", "stack.yml", "", "", 1, "oper"
    )
    _set(app, last_at=datetime(2000, 1, 1, tzinfo=UTC))  # due for the schedule
    return stacks.get(made.endpoint, made.stack)


def _set(app: FastAPI, **values: object) -> None:
    with store_of(app).transaction() as s:
        s.execute(update(GitStack).where(GitStack.stack == "sdct-slot").values(**values))


def _refused(app: FastAPI, record: GitStackRecord) -> int:
    with pytest.raises(ConsoleError) as refused:
        gitstacks.claim(app, record)
    return refused.value.status


def test_one_redeploy_at_a_time_across_console_processes(app, second, record) -> None:
    slot = gitstacks.claim(app, record)
    assert _refused(second, record) == 409  # a button or a webhook on the other replica
    assert _refused(app, record) == 409
    assert gitstacks.run_schedule_once(second) == 0  # due, but its slot is taken: left alone
    assert gitstacks.git_stacks_of(second).get("local", "sdct-slot").last_result == ""
    gitstacks.release(app, slot)
    gitstacks.release(second, gitstacks.claim(second, record))  # free again, for either


def test_a_stack_looked_at_meanwhile_is_not_due_for_a_schedule_that_listed_it_before(
    app, second, record
) -> None:
    [listed] = gitstacks.due_stacks(second)
    gitstacks.git_stacks_of(app).note(record, "ok: abc is deployed already", None, datetime.now(UTC))
    assert not gitstacks.look_if_due(second, listed)  # would fetch (and fail) if it looked
    now = gitstacks.git_stacks_of(second).get("local", "sdct-slot")
    assert now.last_result == "ok: abc is deployed already"
    gitstacks.release(second, gitstacks.claim(second, record))  # the look gave its slot back


def test_a_lease_ends_and_its_old_holder_frees_nothing(app, second, record) -> None:
    stale = gitstacks.claim(app, record)
    _set(app, busy_until=datetime.now(UTC) - timedelta(seconds=1))  # its process died long ago
    taken = gitstacks.claim(second, record)
    gitstacks.release(app, stale)  # late: the slot is another's now
    assert _refused(app, record) == 409
    gitstacks.release(second, taken)
    gitstacks.release(app, gitstacks.claim(app, record))


def test_a_removed_stack_is_a_404(app, second, record) -> None:
    gitstacks.git_stacks_of(app).remove("local", "sdct-slot")
    assert _refused(second, record) == 404
    assert not gitstacks.look_if_due(second, record)
