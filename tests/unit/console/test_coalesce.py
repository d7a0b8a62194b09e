"""The home page's request coalescing: callers at once share one call, its answer or its
error, and nothing is kept after it."""

from __future__ import annotations

import threading
import time

import pytest

from swarmdeck.console.coalesce import Coalescer

CALLERS = 8


def _at_once(coalescer: Coalescer[object], key: str, call) -> list[object]:
    """``CALLERS`` threads asking for ``key``; ``call`` holds until every thread has asked."""
    arrived = threading.Semaphore(0)
    answers: list[object] = []

    def held() -> object:
        for _ in range(CALLERS - 1):  # the others are on their way into run()
            assert arrived.acquire(timeout=10)
        time.sleep(0.3)  # and past its guard, waiting on this call
        return call()

    def caller() -> None:
        arrived.release()
        try:
            answers.append(coalescer.run(key, held))
        except Exception as exc:
            answers.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


def test_callers_at_once_share_one_call_and_its_answer() -> None:
    calls: list[object] = []

    def call() -> object:
        calls.append(object())
        return calls[-1]

    answers = _at_once(Coalescer(), "local", call)
    assert len(calls) == 1 and len(answers) == CALLERS
    assert all(a is calls[0] for a in answers)


def test_an_error_reaches_every_caller_and_is_not_kept() -> None:
    coalescer: Coalescer[object] = Coalescer()

    def failing() -> object:
        raise RuntimeError("engine gone")

    answers = _at_once(coalescer, "local", failing)
    assert len(answers) == CALLERS and all(isinstance(a, RuntimeError) for a in answers)
    assert coalescer.run("local", lambda: "fresh") == "fresh"  # the next caller calls again
    with pytest.raises(RuntimeError, match="again"):
        coalescer.run("local", lambda: (_ for _ in ()).throw(RuntimeError("again")))


def test_other_keys_and_later_callers_make_their_own_calls() -> None:
    coalescer: Coalescer[str] = Coalescer()
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        assert release.wait(10)
        return "a"

    first = threading.Thread(target=lambda: coalescer.run("a", slow))
    first.start()
    assert started.wait(10)
    assert coalescer.run("b", lambda: "b") == "b"  # not held behind key "a"
    release.set()
    first.join(10)
    assert coalescer.run("a", lambda: "again") == "again"  # nothing kept once it returned
