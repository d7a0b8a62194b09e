"""Concurrent callers asking for the same thing share one call (request coalescing).

Why: the home page reads a dozen engine calls per endpoint (containers, images, volumes,
events, nodes, services, tasks...), and under load many sessions load it at once: 50
browsing sessions made it the slowest page (p99 4.4 s), each request asking the engine the
same questions the one before it was still asking. A caller that arrives while a call for
its key is running waits for that call's answer instead of making its own, so the answer is
never older than one call started after the caller's own page was asked for; nothing is kept
once the call returns (no time-to-live, no stale answers). Authorisation stays per request:
callers check who may ask before they join.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Coalescer(Generic[T]):
    """One call at a time per key; callers meanwhile get its answer (or its error)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._running: dict[Hashable, Future[T]] = {}

    def run(self, key: Hashable, call: Callable[[], T]) -> T:
        with self._guard:
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = Future()
                leader = True
            else:
                leader = False
        if leader:
            try:
                running.set_result(call())
            except BaseException as exc:  # handed to every caller waiting on it, raised below
                running.set_exception(exc)
            finally:
                with self._guard:
                    del self._running[key]
        return running.result()
