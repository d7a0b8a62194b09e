"""The RSGI application: the report's page, its JSON form, and two probes.

RSGI (granian's native interface) instead of Flask/WSGI or ASGI: there is no framework
between the server and this handler, so a request costs one INCR plus a string; see the
package docstring for the figures that decided it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from .config import REDIS_TIMEOUT, Settings
from .redislink import RedisLink, RedisUnavailable

PAGE = "<h3>Hello {name}!</h3><b>Hostname:</b> {hostname}<br/><b>Visits:</b> {visits}"
DISABLED = "cannot connect to Redis, counter disabled"

HTML = [("content-type", "text/html; charset=utf-8")]
JSON = [("content-type", "application/json")]
TEXT = [("content-type", "text/plain; charset=utf-8")]


def wants_json(accept: str | None) -> bool:
    """True when the Accept header prefers application/json to text/html.

    Browsers list text/html first, so they keep getting the report's page; a client that
    asks for JSON (and does not rank HTML at least as high) gets JSON.
    """
    if not accept:
        return False
    accept = accept.lower()
    if "json" not in accept:
        return False
    quality = {"application/json": 0.0, "text/html": -1.0}
    for media_range in accept.split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        if media_type not in quality:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media_type] = q
    return quality["application/json"] > 0 and quality["application/json"] > quality["text/html"]


class App:
    """One instance per server worker; the Redis link is made on the worker's own loop."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.hostname = ""
        self.redis: RedisLink | None = None
        self._page_head = ""

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings = Settings.from_env()
        self.hostname = socket.gethostname()
        self.redis = RedisLink(settings.redis_host, settings.redis_port, settings.redis_db, REDIS_TIMEOUT)
        # Everything before the number is the same for every request of this worker.
        self._page_head = PAGE.format(name=settings.name, hostname=self.hostname, visits="")

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.redis is not None:
            self.redis.close()

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        path = scope.path
        if scope.method != "GET":
            if path in ("/", "/healthz", "/readyz"):
                proto.response_str(405, [*TEXT, ("allow", "GET")], "method not allowed\n")
            else:
                proto.response_str(404, TEXT, "not found\n")
        elif path == "/":
            await self._hello(scope, proto)
        elif path == "/healthz":
            proto.response_str(200, TEXT, "ok\n")
        elif path == "/readyz":
            await self._ready(proto)
        else:
            proto.response_str(404, TEXT, "not found\n")

    async def _hello(self, scope: Any, proto: Any) -> None:
        assert self.redis is not None
        visits: int | None
        try:
            visits = await self.redis.incr("counter")
        except RedisUnavailable:
            visits = None
        if wants_json(scope.headers.get("accept")):
            body: dict[str, Any] = {
                "name": self.settings.name,
                "hostname": self.hostname,
                "visits": visits,
            }
            if visits is None:
                body["error"] = DISABLED
            proto.response_str(200, JSON, json.dumps(body))
        elif visits is None:
            proto.response_str(200, HTML, f"{self._page_head}<i>{DISABLED}</i>")
        else:
            proto.response_str(200, HTML, f"{self._page_head}{visits}")

    async def _ready(self, proto: Any) -> None:
        assert self.redis is not None
        try:
            await self.redis.ping()
        except RedisUnavailable as error:
            proto.response_str(503, TEXT, f"not ready: {error}\n")
        else:
            proto.response_str(200, TEXT, "ready\n")


app = App()
