"""One pipelined Redis connection per worker, for the two commands the app needs.

Why not redis-py: measured on the benchmark machine (granian RSGI, 2 workers, wrk -c16),
``redis.asyncio`` with hiredis and a tuned pool served 14,000-16,000 req/s; this module
served ~37,000. redis-py spends most of a request in pool checkout/release, its retry
wrapper and observability hooks. Its default ``Retry`` also re-sends a command after a
timeout, which for INCR could apply twice; here a command is written exactly once, ever.

How it works: every caller writes its command on the one connection and waits for its own
future; Redis answers in order, so replies are matched first-in first-out. Concurrent
requests therefore share one socket (their commands ride in the same TCP segments) without
any pool. Numbers are never reserved in advance: one request, one INCR.

Failure handling, always within ``timeout`` seconds of the call:
- connect (DNS included) is bounded by the time the caller has left;
- a watchdog ticks every ``_TICK`` seconds; if the oldest unanswered command is past its
  deadline, Redis is taken as hung: the connection is dropped and every waiter fails;
- any failure drops the connection; the next call connects again, so the counter comes
  back by itself when Redis does. Nothing is retried.
A failed INCR may still have been applied by Redis (its reply was lost): that number is
then never shown. Numbers are never shown twice.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from typing import cast

log = logging.getLogger("friendlyhello.redis")

_TICK = 0.05


class RedisUnavailable(Exception):
    """Redis could not answer in time (down, unreachable, hanging or answering an error)."""


def _command(*parts: str) -> bytes:
    """Encode one command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


_PING = _command("PING")


class _Connection(asyncio.Protocol):
    """The socket and its queue of (future, deadline) waiting for replies, oldest first."""

    def __init__(self, on_lost: Callable[[_Connection, str], None]) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[tuple[asyncio.Future[bytes], float]] = collections.deque()
        self._buffer = b""
        self._on_lost = on_lost
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        start = 0
        waiting = self.waiting
        while True:
            end = buffer.find(b"\r\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 2
            if not waiting or line[:1] not in (b":", b"+", b"-"):
                # Only one-line replies can answer INCR, PING and SELECT.
                self.abort(f"unexpected reply from Redis: {line[:60]!r}")
                return
            future, _ = waiting.popleft()
            if not future.done():
                future.set_result(line)
        self._buffer = buffer[start:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.abort(f"connection lost ({exc})" if exc else "connection closed by Redis")

    def abort(self, reason: str) -> None:
        """Fail every waiter and close; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self.transport is not None:
            self.transport.abort()
        error = RedisUnavailable(reason)
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        self._on_lost(self, reason)

    @property
    def closed(self) -> bool:
        return self._closed


class RedisLink:
    """INCR and PING against one Redis server, each answered within ``timeout`` seconds."""

    def __init__(self, host: str, port: int, db: int = 0, timeout: float = 2.0) -> None:
        self.host, self.port, self.db, self.timeout = host, port, db, timeout
        self._conn: _Connection | None = None
        self._connecting: asyncio.Future[_Connection] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._healthy = True  # so that only changes of state are logged

    async def incr(self, key: str) -> int:
        """Increment ``key`` once and return its new value."""
        line = await self._call(_command("INCR", key))
        if line[:1] != b":":
            raise RedisUnavailable(line[1:].decode(errors="replace"))
        return int(line[1:])

    async def ping(self) -> None:
        """Return when Redis answers PING."""
        line = await self._call(_PING)
        if line != b"+PONG":
            raise RedisUnavailable(line[1:].decode(errors="replace"))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.abort("closed")

    async def _call(self, command: bytes) -> bytes:
        deadline = time.monotonic() + self.timeout
        conn = self._conn
        if conn is None:
            conn = await self._connected(deadline)
            if conn.closed or time.monotonic() >= deadline:
                # Not written at all: no number is spent on a request that already gave up.
                self._mark_down("connection to Redis lost or too slow")
                raise RedisUnavailable("connection to Redis lost or too slow")
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        conn.waiting.append((future, deadline))
        assert conn.transport is not None
        conn.transport.write(command)
        try:
            line = await future
        except RedisUnavailable as error:
            self._mark_down(str(error))
            raise
        if line[:1] == b"-":
            self._mark_down(line[1:].decode(errors="replace"))
        else:
            self._mark_up()
        return line

    async def _connected(self, deadline: float) -> _Connection:
        """The live connection, opening it if needed; concurrent callers share one attempt."""
        attempt = self._connecting
        if attempt is None:
            attempt = self._connecting = asyncio.ensure_future(self._open(deadline))
            attempt.add_done_callback(self._attempt_done)
        try:
            return await asyncio.shield(attempt)
        except RedisUnavailable as error:
            self._mark_down(str(error))
            raise

    def _attempt_done(self, attempt: asyncio.Future[_Connection]) -> None:
        if self._connecting is attempt:
            self._connecting = None
        if not attempt.cancelled():
            attempt.exception()  # retrieved here, so an attempt nobody awaits logs nothing

    async def _open(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        remaining = max(deadline - time.monotonic(), 0.0)
        try:
            async with asyncio.timeout(remaining):
                _, conn = await loop.create_connection(lambda: _Connection(self._lost), self.host, self.port)
                if self.db:
                    # Wait for SELECT before any INCR: a failed SELECT must not let an
                    # INCR run in database 0.
                    future: asyncio.Future[bytes] = loop.create_future()
                    conn.waiting.append((future, deadline))
                    assert conn.transport is not None
                    conn.transport.write(_command("SELECT", str(self.db)))
                    try:
                        reply = await future
                    except BaseException:
                        conn.abort("SELECT failed")
                        raise
                    if reply != b"+OK":
                        conn.abort("SELECT refused")
                        raise RedisUnavailable(f"SELECT {self.db}: {reply[1:].decode(errors='replace')}")
        except TimeoutError:
            raise RedisUnavailable(f"timed out connecting to {self.host}:{self.port}") from None
        except OSError as error:
            raise RedisUnavailable(
                f"cannot connect to {self.host}:{self.port}: {error.strerror or error}"
            ) from None
        self._conn = conn
        self._watchdog = loop.call_later(_TICK, self._watch)
        return conn

    def _watch(self) -> None:
        conn = self._conn
        if conn is None:
            return
        if conn.waiting and conn.waiting[0][1] <= time.monotonic():
            conn.abort(f"no reply from Redis within {self.timeout:g} s")
            return
        self._watchdog = asyncio.get_running_loop().call_later(_TICK, self._watch)

    def _lost(self, conn: _Connection, reason: str) -> None:
        if self._conn is conn:
            self._conn = None
            if self._watchdog is not None:
                self._watchdog.cancel()
                self._watchdog = None

    def _mark_down(self, reason: str) -> None:
        if self._healthy:
            self._healthy = False
            log.warning("Redis unavailable, counter disabled: %s", reason)

    def _mark_up(self) -> None:
        if not self._healthy:
            self._healthy = True
            log.warning("Redis reachable again, counting resumed")
