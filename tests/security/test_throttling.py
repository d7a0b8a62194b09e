"""Issue 10, item 5: login throttling per account, whatever the address, and client addresses
taken from forwarded-for headers only when a trusted proxy sent them.

Replayed over real HTTP against a console served by uvicorn, with its real store; the
attacker's addresses come through X-Forwarded-For from a trusted proxy (the test client on
127.0.0.1 plays the proxy), as they would behind a reverse proxy.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from swarmdeck.console.security import LoginThrottle
from swarmdeck.store import AccountDelays, DelaySchedule
from tests.support.console import PASSWORD, store_of
from tests.support.served import serve_app

from .auth_live import serve_process, swarmdeck, with_users

FAST = DelaySchedule(free=5, first=0.5, cap=4.0)  # the real schedule's shape, in test-friendly seconds


def login(
    url: str, username: str, password: str, forwarded_for: str | None = None, header: str = "X-Forwarded-For"
) -> httpx.Response:
    headers = {header: forwarded_for} if forwarded_for else {}
    return httpx.post(
        f"{url}/api/auth/login",
        json={"username": username, "password": password},
        headers=headers,
        timeout=60,
    )


def audited_clients(app, result: str | None = None) -> list[str]:
    entries = store_of(app).list_audit(limit=500, action="login")[0]
    return [e.client for e in entries if result is None or e.result == result]


def most_admitted(schedule: DelaySchedule, seconds: float) -> int:
    """How many guesses at one account the schedule lets through in ``seconds``."""
    admitted, elapsed = schedule.free, 0.0
    while (elapsed := elapsed + schedule.delay(admitted)) <= seconds:
        admitted += 1
    return admitted


def test_many_addresses_against_one_account_are_throttled_and_the_owner_gets_in(make_app):
    app = with_users(make_app(trusted_proxies=["127.0.0.1"], login_delays=FAST))
    with serve_app(app) as url:
        # 7 addresses x 5 guesses: each address stays under the per-address limit (5).
        began = time.monotonic()
        answers = [login(url, "oper", f"guess number {i}", f"203.0.113.{i % 7}") for i in range(35)]
        took = time.monotonic() - began
        statuses = [a.status_code for a in answers]
        checked = statuses.count(401)  # guesses whose password was actually checked
        assert statuses.count(401) + statuses.count(429) == 35, statuses
        assert statuses[:5] == [401] * 5, statuses
        assert 5 < checked <= most_admitted(FAST, took) < 35, (statuses, took)
        assert all(0 < int(a.headers["Retry-After"]) <= FAST.cap for a in answers if a.status_code == 429)
        assert set(audited_clients(app, "failed")) <= {f"203.0.113.{i}" for i in range(7)}
        assert len(audited_clients(app, "throttled")) == 35 - checked

        # While the guessing goes on the account waits: even the right password, from a new
        # address. (One more guess, once admitted, starts a full delay.)
        deadline = time.monotonic() + 3 * FAST.cap
        while login(url, "oper", "one more guess", "203.0.113.77").status_code == 429:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        owner = login(url, "oper", PASSWORD, "198.51.100.7")
        assert owner.status_code == 429, owner.text
        time.sleep(int(owner.headers["Retry-After"]))
        owner = login(url, "oper", PASSWORD, "198.51.100.7")
        assert owner.status_code == 200, owner.text
        # Other accounts were never held up, even from the attacker's addresses.
        assert login(url, "viewer", PASSWORD, "203.0.113.1").status_code == 200


@pytest.mark.both_databases
def test_parallel_guesses_as_a_delay_ends_get_one_try(make_app):
    """The attempt counts when admitted, before the password is checked: a burst of guesses
    from many addresses at once gets one of them checked, not one per thread."""
    app = with_users(
        make_app(trusted_proxies=["127.0.0.1"], login_delays=DelaySchedule(free=1, first=30, cap=30))
    )
    with serve_app(app) as url:
        answers: list[httpx.Response] = []
        start = threading.Barrier(12)

        def guess(i: int) -> None:
            start.wait()
            answers.append(login(url, "oper", f"parallel guess {i}", f"192.0.2.{i + 1}"))

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [401] + [429] * 11, statuses


def test_the_delay_doubles_from_one_second_to_five_minutes(make_app):
    """The real default schedule, through the real store, at given instants (no sleeping)."""
    app = make_app()
    delays = AccountDelays(store_of(app))
    assert delays.schedule == DelaySchedule(free=5, first=1.0, cap=300.0, forget=3600.0)
    t = datetime(2030, 1, 1, tzinfo=UTC)
    for _ in range(5):  # five failures in a row cost nothing yet (the fifth starts the delay)
        assert delays.claim("Dana", t) == 0
    waits = []
    for _ in range(12):
        wait = delays.claim("DANA", t)
        assert wait > 0
        assert delays.claim("dana", t + timedelta(seconds=wait / 2)) == pytest.approx(wait / 2)
        waits.append(wait)
        t += timedelta(seconds=wait)
        assert delays.claim("dana", t) == 0  # admitted once the delay has passed: counted
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert delays.failures("dana") == 17
    # A success starts the count again; so does an hour without failures.
    delays.clear("dana")
    assert delays.failures("dana") == 0
    for _ in range(5):
        assert delays.claim("erin", t) == 0
    assert delays.claim("erin", t) == 1
    later = t + timedelta(hours=1, seconds=1)
    assert delays.claim("erin", later) == 0 and delays.failures("erin") == 1


@pytest.mark.parametrize("trusted", [[], ["10.9.9.9", "192.168.0.0/16"]], ids=["no proxies", "other proxies"])
def test_forwarded_for_from_an_untrusted_client_is_ignored(make_app, trusted):
    app = with_users(make_app(trusted_proxies=trusted))
    with serve_app(app) as url:
        for i in range(5):  # a new made-up address each time, in both headers
            assert login(url, "oper", "wrong guess", f"203.0.113.{i}").status_code == 401
        assert login(url, "oper", "wrong guess", 'for="203.0.113.99"', header="Forwarded").status_code == 429
        blocked = login(url, "oper", PASSWORD, "198.51.100.1")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 200
        assert set(audited_clients(app)) == {"127.0.0.1"}  # the socket's address, every time


def test_forwarded_for_from_a_trusted_proxy_is_used(make_app):
    app = with_users(make_app(trusted_proxies=["127.0.0.1", "10.0.0.0/8"], login_delays=FAST))
    with serve_app(app) as url:
        assert login(url, "viewer", PASSWORD, "198.51.100.9").status_code == 200
        # The client may send its own X-Forwarded-For; the proxy appends: the rightmost
        # address that is not a trusted proxy is the client.
        assert login(url, "viewer", PASSWORD, "6.6.6.6, 198.51.100.10").status_code == 200
        assert login(url, "viewer", PASSWORD, "6.6.6.6, 198.51.100.11, 10.1.2.3").status_code == 200
        assert (
            login(
                url, "viewer", PASSWORD, 'for=6.6.6.6, for="[2001:db8::7]:4711"', header="Forwarded"
            ).status_code
            == 200
        )
        assert audited_clients(app, "ok")[::-1] == [
            "198.51.100.9",
            "198.51.100.10",
            "198.51.100.11",
            "2001:db8::7",
        ]
        # Behind the proxy, one address guessing does not lock out the others.
        for _ in range(5):
            assert login(url, "oper", "wrong guess", "203.0.113.50").status_code == 401
        assert login(url, "oper", PASSWORD, "203.0.113.50").status_code == 429
        assert login(url, "admin", PASSWORD, "198.51.100.20").status_code == 200
        time.sleep(FAST.first)  # the account's own short delay after five failures
        assert login(url, "oper", PASSWORD, "198.51.100.21").status_code == 200


def test_serve_takes_trusted_proxies(tmp_path):
    data = tmp_path / "data"
    made = swarmdeck(
        "user",
        "create",
        "root",
        "--role",
        "admin",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    bad = swarmdeck("serve", "--data-dir", str(data), "--trusted-proxy", "not-an-address")
    assert bad.returncode == 1 and "trusted proxy 'not-an-address': not an address" in bad.stderr
    with serve_process(data, "--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "::1") as (url, _):
        assert login(url, "root", "wrong guess", "198.51.100.30").status_code == 401
        assert login(url, "root", PASSWORD, "198.51.100.31").status_code == 200
    with serve_process(data) as (url, _):
        assert login(url, "root", PASSWORD, "198.51.100.32").status_code == 200
    from swarmdeck.store import Store

    store = Store(data)
    try:
        clients = [(e.result, e.client) for e in store.list_audit(action="login")[0]][::-1]
    finally:
        store.close()
    assert clients == [("failed", "198.51.100.30"), ("ok", "198.51.100.31"), ("ok", "127.0.0.1")]


@pytest.mark.both_databases
def test_the_pair_limit_and_its_window_still_apply(make_app):
    throttle = LoginThrottle(store_of(make_app()), limit=2, window=1.0, delays=DelaySchedule(free=100))
    for _ in range(2):
        assert throttle.admit("dana", "10.0.0.1") == 0
        throttle.failed("dana", "10.0.0.1")
    assert throttle.admit("dana", "10.0.0.1") >= 1
    assert throttle.admit("dana", "10.0.0.2") == 0
    time.sleep(1.1)
    assert throttle.admit("dana", "10.0.0.1") == 0
