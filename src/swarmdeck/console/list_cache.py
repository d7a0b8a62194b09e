"""A small in-memory cache of lists (a registry's tags per repository) for the console.

Why here and not in the registry index: tags change with every push and are cheap to fetch
per repository, so they are kept a short while in memory (``CACHE_SECONDS``), one fetch at a
time per key, and a list a little past its time is served while it is fetched again, so a
page never waits on a slow registry for what it showed a moment ago.

Several console processes (the replicas of a replicated console) each hold their own cache,
and a change learnt by one (a tag deleted through it, the registry's notification delivered
to it) is ``forget`` there only. So ``get`` also takes when the lists last changed as the
database knows it (``changed``): an entry whose fetch began before that is fetched again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from swarmdeck.errors import SwarmdeckError

CACHE_SECONDS = 30.0
STALE_FACTOR = 10  # an expired list up to 5 minutes old is served while it is renewed
MAX_ENTRIES = 1000  # above this, entries too old to serve are dropped on the next fetch


class ListCache:
    """Lists kept ``seconds`` per key, one fetch at a time per key.

    An entry up to ``STALE_FACTOR`` times older is still served at once while one background
    fetch renews it: only the first look at a registry (or one idle for minutes) waits for
    the whole catalog. A fetch that began before a ``forget`` (a tag deleted meanwhile) is
    not kept.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # key: (when stored, monotonic; when its fetch began, wall clock; the list)
        self._entries: dict[tuple[str, ...], tuple[float, datetime, list[str]]] = {}
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self._generation = 0  # counts forget() calls

    def get(
        self,
        key: tuple[str, ...],
        fetch: Callable[[], list[str]],
        refresh: bool,
        changed: datetime | None = None,
    ) -> list[str]:
        """The list of ``key``; ``changed``: when lists last changed (another process learnt
        it), so an entry whose fetch began before is not served."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        entry = self._entries.get(key)
        if entry and not refresh and (changed is None or entry[1] >= changed):
            age = time.monotonic() - entry[0]
            if age < self.seconds:
                return entry[2]
            if age < self.seconds * STALE_FACTOR:
                self._renew_in_background(key, fetch, lock)  # unless a renewal is under way
                return entry[2]
        asked = time.monotonic()
        with lock:
            entry = self._entries.get(key)
            if entry and entry[0] >= asked:  # fetched by the request this one waited for
                return entry[2]
            generation, began = self._generation, datetime.now(UTC)
            return self._store(key, fetch(), generation, began)

    def prefetch(self, key: tuple[str, ...], fetch: Callable[[], list[str]]) -> None:
        """Start fetching a list nobody holds yet, in the background: the first look at it
        then finds it ready, or waits only for the rest of that fetch."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            if key in self._entries:
                return
        self._renew_in_background(key, fetch, lock)

    def _renew_in_background(
        self, key: tuple[str, ...], fetch: Callable[[], list[str]], lock: threading.Lock
    ) -> None:
        if lock.acquire(blocking=False):  # else a fetch of this key is under way
            threading.Thread(
                target=self._renew, args=(key, fetch, lock), daemon=True, name="registry-cache"
            ).start()

    def _renew(self, key: tuple[str, ...], fetch: Callable[[], list[str]], lock: threading.Lock) -> None:
        try:
            generation, began = self._generation, datetime.now(UTC)
            self._store(key, fetch(), generation, began)
        except SwarmdeckError:
            pass  # the stale list stays until it is too old; then a request fetches and reports
        finally:
            lock.release()

    def _store(self, key: tuple[str, ...], items: list[str], generation: int, began: datetime) -> list[str]:
        now = time.monotonic()
        with self._guard:
            if generation != self._generation:
                return items  # forgotten while it was fetched: answer it, keep nothing
            if len(self._entries) >= MAX_ENTRIES:  # drop what expired: tags of many repositories
                limit = self.seconds * STALE_FACTOR
                for stale in [k for k, (at, _, _) in self._entries.items() if now - at >= limit]:
                    del self._entries[stale]
            self._entries[key] = (now, began, items)
        return items

    def forget(self, prefix: tuple[str, ...]) -> None:
        with self._guard:
            self._generation += 1
            for key in [k for k in self._entries if k[: len(prefix)] == prefix]:
                del self._entries[key]
