"""Each registry's repository list as the console serves it: from the index in the database
(``swarmdeck.store.registry_index``), kept current by the registry's notifications, rebuilt
by a walk of its catalog only when asked or when nothing else keeps it current.

How it stays fresh:

- a registry that sends its events here (the one ``swarmdeck up`` starts, or one given the
  ``notifications`` snippet of its page) changes single rows on each push and delete: the
  first view after either is current, and no catalog walk happens after the first;
- a registry that sends nothing is walked again in the background once its index is older
  than ``RENEW_SECONDS`` and someone looks (the view answers from the index meanwhile);
- a registry never walked is walked on its first view (or by ``prefetch``), and ``rebuild``
  walks any registry again (the catalog in pages of 1,000, as the registry allows).

A cold console answers from the index without asking the registry: a page is two indexed
queries (the count and the page), a search two scans of the names of one registry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from swarmdeck.console.paging import Paging
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store.models import utcnow
from swarmdeck.store.registry_index import RegistryIndex

RENEW_SECONDS = 30.0
Walk = Callable[[], list[str]]


class CatalogIndex:
    """The index's reads and the walks that fill it, one walk at a time per registry."""

    def __init__(self, index: RegistryIndex) -> None:
        self.index = index
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.walks = 0  # catalog walks done by this console (the bench and tests read it)
        # Events this process applied during a walk of a registry: applied again once its names
        # are stored, as the walk may have listed the catalog before them. (Another process's
        # events during the walk: ``RegistryIndex.replace`` keeps what they added.)
        self._during_walk: dict[str, list[tuple[bool, str]]] = {}
        self._events = threading.Lock()  # a walk's store and replay, and single changes

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def page(
        self, name: str, paging: Paging, walk: Walk, refresh: bool, subscribed: bool
    ) -> tuple[list[str], int]:
        """A page of ``name``'s repositories holding ``paging.q``, and how many hold it.
        ``subscribed``: the registry sends its events here (so age alone is no reason to walk)."""
        state = self.index.state(name)
        if refresh or state is None or state.walked_at is None:
            self.rebuild(name, walk, first=not refresh)
        elif not (
            subscribed or state.has_token or state.notified_at
        ) and utcnow() - state.walked_at > timedelta(seconds=RENEW_SECONDS):
            self.rebuild_in_background(name, walk)
        start = (paging.page - 1) * paging.per_page
        return self.index.page(name, paging.q.strip().lower(), start, paging.per_page)

    def rebuild(self, name: str, walk: Walk, first: bool = False) -> int:
        """Walk the catalog now and replace the index of ``name``; how many names it holds
        (-1: ``first``, a first view, and another request's walk ended while this one waited)."""
        with self._lock(name):
            if first:
                state = self.index.state(name)
                if state is not None and state.walked_at is not None:
                    return -1  # another request walked while this one waited
            return self._walk_and_store(name, walk)

    def rebuild_in_background(self, name: str, walk: Walk) -> bool:
        """Start a walk unless one of ``name`` is under way; whether one started."""
        lock = self._lock(name)
        if not lock.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                self._walk_and_store(name, walk)
            except SwarmdeckError:
                pass  # the index stays as it was; a later view or rebuild tries again
            finally:
                lock.release()

        threading.Thread(target=run, daemon=True, name="registry-index").start()
        return True

    def _walk_and_store(self, name: str, walk: Walk) -> int:
        with self._events:
            self._during_walk[name] = []
        try:
            began = utcnow()
            names = walk()
            self.walks += 1
            with self._events:
                count = self.index.replace(name, names, began)  # keeps what other processes' events added
                for added, repository in self._during_walk.get(name, []):
                    (self.index.add if added else self.index.remove)(name, repository)
            return count
        finally:
            with self._events:
                self._during_walk.pop(name, None)

    def _note_locked(self, name: str, added: bool, repository: str) -> None:
        if name in self._during_walk:
            self._during_walk[name].append((added, repository))

    def prefetch(self, name: str, walk: Walk) -> None:
        """Walk in the background a registry never walked (a first view is likely next)."""
        state = self.index.state(name)
        if state is None or state.walked_at is None:
            self.rebuild_in_background(name, walk)

    def pushed(self, name: str, repository: str) -> bool:
        with self._events:  # not between a walk's store and its replay of the events
            self._note_locked(name, True, repository)
            return self.index.add(name, repository)

    def emptied(self, name: str, repository: str) -> bool:
        with self._events:
            self._note_locked(name, False, repository)
            return self.index.remove(name, repository)

    def drop(self, name: str) -> None:
        self.index.drop(name)
