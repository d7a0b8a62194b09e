"""Server-sent events from the engine's blocking streams (events, followed logs, pulls).

The Docker SDK's streams block a thread. A pump thread reads one and hands items to the
event loop; the async side sends a comment line every ``keepalive`` seconds so a dead client
is noticed, and on the way out (client gone, stream over) closes the engine stream, which
unblocks and ends the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.responses import StreamingResponse

KEEPALIVE = ": keepalive\n\n"
_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def event(data: Any, name: str | None = None) -> str:
    """One SSE message; ``data`` as JSON on one line (JSON escapes newlines)."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data)}\n\n"


async def pump(
    items: Iterable[Any], close: Callable[[], None], keepalive: float = 15.0
) -> AsyncIterator[Any]:
    """Yield the items of a blocking iterable; ``None`` now and then means "no news yet"."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()

    def put(item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens any more
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def run() -> None:
        try:
            for item in items:
                put(item)
        except Exception as exc:  # handed to the async side, which re-raises it
            put(_Failure(exc))
        finally:
            put(_END)

    threading.Thread(target=run, daemon=True, name="sse-pump").start()
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), keepalive)
            except TimeoutError:
                yield None
                continue
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        close()


def stream(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
