"""The Git stacks' schedule thread outlives what fails in it: each failure is logged with its
traceback (the threads' one catch-all, ``gitstacks._surviving``) and the next tick looks again."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI

from swarmdeck.console import gitstacks


def test_the_schedule_logs_a_failing_look_with_its_traceback_and_looks_again(caplog):
    app = FastAPI()  # no console on it: every look at its Git stacks fails, as a bug would
    caplog.set_level(logging.ERROR, logger="swarmdeck.console")
    stop = gitstacks.start_schedule(app, tick=0.05)
    try:
        deadline = time.monotonic() + 30
        while len(_failures(caplog)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    failures = _failures(caplog)
    assert len(failures) >= 2, caplog.text  # the thread carried on after the first
    assert all(record.exc_info is not None for record in failures)


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "the schedule's look at the Git stacks failed" in r.getMessage()]
