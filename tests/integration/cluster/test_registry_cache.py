"""The catalog cache of the registry browser: fresh lists from memory, expired ones served
while one background fetch renews them, too old ones fetched before answering; one fetch
shared by the requests that wait for it; prefetching; nothing kept from before a forget, nor
from before a change another console process learnt (the database's time of it)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from swarmdeck.console.list_cache import STALE_FACTOR, ListCache
from swarmdeck.registry.errors import RegistryError


class Source:
    """A list that changes on every fetch, and can be told to fail."""

    def __init__(self) -> None:
        self.fetches = 0
        self.failing = False

    def __call__(self) -> list[str]:
        if self.failing:
            raise RegistryError("no registry answers")
        self.fetches += 1
        return [f"v{self.fetches}"]


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_fresh_stale_and_too_old():
    cache, source = ListCache(0.2), Source()
    assert cache.get(("r",), source, refresh=False) == ["v1"]
    assert cache.get(("r",), source, refresh=False) == ["v1"] and source.fetches == 1
    time.sleep(0.25)
    assert cache.get(("r",), source, refresh=False) == ["v1"]  # stale, answered at once
    wait_for(lambda: source.fetches == 2)
    wait_for(lambda: cache.get(("r",), source, refresh=False) == ["v2"])
    assert cache.get(("r",), source, refresh=True) == ["v3"]
    time.sleep(0.2 * STALE_FACTOR + 0.05)
    assert cache.get(("r",), source, refresh=False) == ["v4"]  # too old: fetched first


def test_a_failed_renewal_keeps_the_stale_list_and_forget_drops_it():
    cache, source = ListCache(0.1), Source()
    cache.get(("r", "tags", "a"), source, refresh=False)
    source.failing = True
    time.sleep(0.15)
    assert cache.get(("r", "tags", "a"), source, refresh=False) == ["v1"]
    time.sleep(0.1)
    assert cache.get(("r", "tags", "a"), source, refresh=False) == ["v1"]
    cache.forget(("r",))
    source.failing = False
    assert cache.get(("r", "tags", "a"), source, refresh=False) == ["v2"]


class SlowSource(Source):
    """A fetch that waits until released, to hold requests and forgets in the middle of it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def __call__(self) -> list[str]:
        self.release.wait(5)
        return super().__call__()


def test_requests_waiting_for_one_fetch_share_it():
    cache, source = ListCache(10), SlowSource()
    with ThreadPoolExecutor(4) as pool:
        answers = [pool.submit(cache.get, ("r",), source, False) for _ in range(4)]
        time.sleep(0.1)
        source.release.set()
        assert [a.result() for a in answers] == [["v1"]] * 4
    assert source.fetches == 1


def test_prefetch_fills_the_cache_in_the_background_once():
    cache, source = ListCache(10), SlowSource()
    cache.prefetch(("r",), source)
    cache.prefetch(("r",), source)  # one fetch at a time
    source.release.set()
    assert cache.get(("r",), source, refresh=False) == ["v1"]
    cache.prefetch(("r",), source)  # held already: nothing fetched
    time.sleep(0.05)
    assert source.fetches == 1


def test_a_fetch_begun_before_forget_is_not_kept():
    cache, source = ListCache(10), SlowSource()
    cache.prefetch(("r",), source)
    cache.forget(("r",))  # e.g. a tag deleted while the catalog was being fetched
    source.release.set()
    wait_for(lambda: source.fetches == 1)
    assert cache.get(("r",), source, refresh=False) == ["v2"]  # fetched again, not the old list


def test_an_entry_fetched_before_a_change_another_process_learnt_is_fetched_again():
    cache, source = ListCache(30.0), Source()
    assert cache.get(("r",), source, refresh=False) == ["v1"]
    assert cache.get(("r",), source, refresh=False, changed=datetime.now(UTC) - timedelta(seconds=5)) == [
        "v1"
    ]
    changed = datetime.now(UTC)  # after the fetch began: the list may be out of date
    assert cache.get(("r",), source, refresh=False, changed=changed) == ["v2"]
    assert cache.get(("r",), source, refresh=False, changed=changed) == ["v2"] and source.fetches == 2
