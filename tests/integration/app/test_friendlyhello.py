"""friendlyhello's contract, checked against a real redis-server and the real server process."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.testbed.redis import RedisServer

PAGE = "<h3>Hello {name}!</h3><b>Hostname:</b> {hostname}<br/><b>Visits:</b> {visits}"
DISABLED = "<i>cannot connect to Redis, counter disabled</i>"
JSON_ACCEPT = {"accept": "application/json"}
BROWSER_ACCEPT = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def visits_of(page: str) -> int:
    return int(page.rsplit("</b> ", 1)[1])


def timed_get(url: str, **kwargs: object) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = httpx.get(url, timeout=10.0, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - start


async def fetch_many(urls: list[str], count: int) -> list[int | None]:
    """`count` GET / in flight at once (one connection each), spread over `urls`.

    Spread over clients of 50 connections: one httpx client with 1,000 connections spends
    most of its time in its own pool bookkeeping (quadratic), not in the server.
    """
    per_client = 50
    clients = [
        httpx.AsyncClient(limits=httpx.Limits(max_connections=per_client), timeout=30.0)
        for _ in range(-(-count // per_client))
    ]
    try:
        responses = await asyncio.gather(
            *(
                clients[i % len(clients)].get(urls[i % len(urls)] + "/", headers=JSON_ACCEPT)
                for i in range(count)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert all(r.status_code == 200 for r in responses)
    return [r.json()["visits"] for r in responses]


def test_page_is_the_reports_and_counts_in_redis(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    redis_server.command("SET", "counter", "41")
    first = httpx.get(app.url + "/")
    second = httpx.get(app.url + "/", headers=BROWSER_ACCEPT)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    assert first.text == PAGE.format(name="world", hostname=socket.gethostname(), visits=42)
    assert second.text == PAGE.format(name="world", hostname=socket.gethostname(), visits=43)
    assert redis_server.counter() == 43


def test_name_comes_from_the_environment(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server, NAME="Swarm <3")
    page = httpx.get(app.url + "/").text
    assert page.startswith("<h3>Hello Swarm <3!</h3><b>Hostname:</b> ")


def test_json_form(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server, NAME="World")
    response = httpx.get(app.url + "/", headers=JSON_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "name": "World",
        "hostname": socket.gethostname(),
        "visits": redis_server.counter(),
    }
    # HTML stays the answer when the client ranks it at least as high as JSON.
    both = httpx.get(app.url + "/", headers={"accept": "text/html, application/json"})
    assert both.text.startswith("<h3>Hello World!</h3>")


def test_1000_concurrent_requests_get_1000_distinct_unbroken_numbers(
    redis_server: RedisServer, start_app
) -> None:
    app = start_app(redis_server)
    before = redis_server.counter()
    numbers = asyncio.run(fetch_many([app.url], 1000))
    assert sorted(numbers) == list(range(before + 1, before + 1001))
    assert redis_server.counter() == before + 1000


def test_replicas_share_one_unbroken_sequence(redis_server: RedisServer, start_app) -> None:
    replicas = [start_app(redis_server), start_app(redis_server, WORKERS="1")]
    redis_server.command("SET", "counter", "1000")
    numbers = asyncio.run(fetch_many([r.url for r in replicas], 1000))
    assert sorted(numbers) == list(range(1001, 2001))
    assert redis_server.counter() == 2000


def test_redis_stopped_gives_the_disabled_text_in_time(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    assert visits_of(httpx.get(app.url + "/").text) == 1
    redis_server.stop()
    response, elapsed = timed_get(app.url + "/")
    assert response.status_code == 200
    assert response.text == PAGE.format(name="world", hostname=socket.gethostname(), visits=DISABLED)
    assert elapsed < 2.5
    as_json = httpx.get(app.url + "/", headers=JSON_ACCEPT).json()
    assert as_json["visits"] is None
    assert as_json["error"] == "cannot connect to Redis, counter disabled"
    assert httpx.get(app.url + "/readyz").status_code == 503
    assert httpx.get(app.url + "/healthz").status_code == 200


@pytest.mark.slow
def test_redis_unreachable_gives_the_disabled_text_within_the_timeout(start_app) -> None:
    """A connect that never completes: a listener with a full backlog that never accepts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):  # fills the backlog
            app = start_app(None, REDIS_PORT=str(port))
            response, elapsed = timed_get(app.url + "/")
            ready, ready_elapsed = timed_get(app.url + "/readyz")
    assert response.status_code == 200
    assert response.text.endswith(f"<b>Visits:</b> {DISABLED}")
    assert 1.5 < elapsed < 2.5
    assert ready.status_code == 503
    assert ready_elapsed < 2.5


@pytest.mark.slow
def test_redis_hanging_gives_the_disabled_text_within_the_timeout(
    redis_server: RedisServer, start_app
) -> None:
    app = start_app(redis_server)
    httpx.get(app.url + "/")  # the worker that answers has a live connection now
    redis_server.pause()
    try:
        response, elapsed = timed_get(app.url + "/")
        ready, ready_elapsed = timed_get(app.url + "/readyz")
    finally:
        redis_server.resume()
    assert response.status_code == 200
    assert response.text.endswith(f"<b>Visits:</b> {DISABLED}")
    assert 1.5 < elapsed < 2.5  # the report's 2-second timeout, not a hang, not an early give-up
    assert ready.status_code == 503
    assert ready_elapsed < 2.5


@pytest.mark.slow
def test_timed_out_increments_are_never_retried(redis_server: RedisServer, start_app) -> None:
    """A request that timed out may have had its INCR applied; it must not be sent again."""
    app = start_app(redis_server, WORKERS="1")
    before = visits_of(httpx.get(app.url + "/").text)
    redis_server.pause()
    try:
        numbers = asyncio.run(fetch_many([app.url], 20))
    finally:
        redis_server.resume()
    assert numbers == [None] * 20
    time.sleep(0.5)  # let Redis work through whatever reached it while it was stopped
    assert before <= redis_server.counter() <= before + 20
    after = visits_of(httpx.get(app.url + "/").text)
    assert after == redis_server.counter()


@pytest.mark.slow
def test_counting_resumes_when_redis_comes_back(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    redis_server.stop()
    assert httpx.get(app.url + "/").text.endswith(DISABLED)
    redis_server.restart()  # same port, empty data set
    pages = [httpx.get(app.url + "/").text for _ in range(6)]  # both workers reconnect
    assert sorted(visits_of(p) for p in pages) == [1, 2, 3, 4, 5, 6]
    assert httpx.get(app.url + "/readyz").status_code == 200

    redis_server.pause()
    try:
        assert httpx.get(app.url + "/", timeout=10).text.endswith(DISABLED)
    finally:
        redis_server.resume()
    time.sleep(0.2)
    base = redis_server.counter()
    numbers = [visits_of(httpx.get(app.url + "/").text) for _ in range(4)]
    assert numbers == list(range(base + 1, base + 5))


def test_healthz_and_readyz(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    health = httpx.get(app.url + "/healthz")
    ready = httpx.get(app.url + "/readyz")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert redis_server.counter() == 0  # probes never count as visits


def test_other_paths_and_methods(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    assert httpx.get(app.url + "/nope").status_code == 404
    post = httpx.post(app.url + "/")
    assert post.status_code == 405
    assert post.headers["allow"] == "GET"
    assert redis_server.counter() == 0


def test_sigterm_stops_it_cleanly_and_promptly(redis_server: RedisServer, start_app) -> None:
    app = start_app(redis_server)
    httpx.get(app.url + "/")
    start = time.monotonic()
    app.proc.send_signal(signal.SIGTERM)
    code = app.proc.wait(timeout=15)
    assert code == 0
    assert time.monotonic() - start < 5.0
    with pytest.raises(httpx.ConnectError):
        httpx.get(app.url + "/healthz", timeout=1.0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "eighty", "PORT must be a whole number, got 'eighty'"),
        ("REDIS_PORT", "70000", "REDIS_PORT must be between 1 and 65535, got 70000"),
        ("WORKERS", "0", "WORKERS must be between 1 and 64, got 0"),
    ],
)
def test_bad_settings_give_one_clear_error(name: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "friendlyhello"],
        env={"PATH": "/usr/bin:/bin", name: value},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr == f"friendlyhello: {message}\n"
    assert result.stdout == ""
