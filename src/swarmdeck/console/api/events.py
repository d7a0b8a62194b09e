"""Two server-sent event streams fed by the chosen endpoint's engine event stream:

- ``GET /api/live``: the one mechanism that keeps the console's lists and detail pages live.
  A page marks its live part (``data-live="service,task,node"`` with an htmx ``hx-get`` of the
  page itself); app.js opens this stream for the types the page names, and on each ``change``
  tells htmx to fetch the part again. Changes are the engine's events of those types (gathered
  for a moment, so a burst is one refresh) and, for ``task`` (the engine raises no task
  events, and a task on another node raises no container event here), a look at the swarm's
  tasks every ``TASK_POLL_SECONDS``: a change when one started, was told to stop, stopped,
  moved or was deleted.
- ``GET /api/engine-events``: the engine's events as they are, for the events page: filtered
  by type (on the engine), by object name or ID (here), since a time. The page links each
  object to its console page where there is one (app.js knows which types have one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from swarmdeck.console import sse
from swarmdeck.console.api.streams import event_stream
from swarmdeck.console.context import READ_ON, Target
from swarmdeck.console.params import Filter
from swarmdeck.engine.errormap import doing, iterating
from swarmdeck.engine.errors import EngineError
from swarmdeck.errors import SwarmdeckError
from swarmdeck.swarm.overview import task_states

router = APIRouter(tags=["events"])
EngineType = Literal["container", "image", "network", "volume", "service", "node", "secret", "config"]
LiveType = Literal["container", "image", "network", "volume", "service", "node", "secret", "config", "task"]
TASK_POLL_SECONDS = 1.0
GATHER_SECONDS = 0.2  # events this close together make one change
MAX_SINCE_MINUTES = 7 * 24 * 60


def _subscribe(client: Any, types: Sequence[str], since: int | None = None) -> Any:
    with doing("the engine's event stream"):
        return client.events(decode=True, since=since, filters={"type": list(types)})


@router.get(
    "/live",
    **event_stream(
        "`change` {types: [the types that changed]} whenever objects of the asked types change "
        "(`task`: the swarm's tasks meant to run started, stopped or moved)"
    ),
)
async def live_changes(
    request: Request,
    types: Annotated[list[LiveType], Query(min_length=1, max_length=9, description="what to follow")],
    t: Target = READ_ON,
) -> StreamingResponse:
    """Say when objects of ``types`` change, so that a page fetches its live part again."""
    client = t.client
    engine_types = sorted({k for k in types if k != "task"})
    events = await run_in_threadpool(_subscribe, client, engine_types) if engine_types else None
    wake = threading.Event()
    stop = threading.Event()
    ended = threading.Event()  # the engine's stream is over: end this one too (the page reconnects)
    seen: set[str] = set()
    lock = threading.Lock()

    def watch() -> None:
        assert events is not None
        try:
            for item in iterating("the engine's event stream", events):
                with lock:
                    seen.add(str(item.get("Type", "")))
                wake.set()
        except EngineError:
            pass  # the stream was cut (closing it ends it)
        finally:
            ended.set()
            wake.set()

    def tasks() -> list[tuple[str, str, str]] | None:
        try:
            return task_states(client)
        except SwarmdeckError:
            return None  # not a manager (or the engine went away): nothing to look at

    def changes() -> Iterator[dict[str, list[str]]]:
        polling = "task" in types
        last = tasks() if polling else None
        while not stop.is_set():
            woke = wake.wait(TASK_POLL_SECONDS if polling else 3600)
            if stop.is_set():
                return
            changed: set[str] = set()
            if woke:
                time.sleep(GATHER_SECONDS)
                wake.clear()
                with lock:
                    changed |= seen
                    seen.clear()
            if polling:
                now = tasks()
                if now != last:
                    last = now
                    changed.add("task")
            if changed:
                yield {"types": sorted(changed)}
            if ended.is_set():
                return

    def close() -> None:
        stop.set()
        wake.set()
        if events is not None:
            events.close()

    if events is not None:
        threading.Thread(target=watch, daemon=True, name="live-events").start()

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        async for item in sse.pump(changes(), close):
            yield sse.KEEPALIVE if item is None else sse.event(item, "change")

    return sse.stream(body())


def event_row(event: dict[str, Any]) -> dict[str, Any]:
    """What the events page shows of an engine event: when, type, action, the object's ID and
    name, and its image (a container's)."""
    kind = str(event.get("Type", ""))
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    object_id = str(actor.get("ID") or event.get("id") or "")
    nano = event.get("timeNano")
    return {
        "time": nano / 1e9 if isinstance(nano, int) else float(event.get("time") or 0),
        "type": kind,
        "action": str(event.get("Action", "")),
        "id": object_id,
        "name": str(attributes.get("name") or object_id),
        "image": str(attributes.get("image") or "") if kind == "container" else "",
    }


def matches(row: dict[str, Any], name: str) -> bool:
    """The object's name holds ``name``, or its ID starts with it (any object when empty)."""
    return not name or name.lower() in row["name"].lower() or row["id"].startswith(name)


@router.get(
    "/engine-events",
    **event_stream(
        "`event` {time (seconds since the epoch), type, action, id, name, image} per engine "
        "event; `failure` {message} when the engine's stream breaks"
    ),
)
async def engine_events(
    request: Request,
    t: Target = READ_ON,
    kinds: Annotated[
        list[EngineType], Query(alias="type", max_length=8, description="the types shown (default: all)")
    ] = [],  # noqa: B006
    name: Filter = "",
    since: Annotated[int, Query(ge=0, le=MAX_SINCE_MINUTES, description="minutes back (0: from now on)")] = 0,
) -> StreamingResponse:
    """The engine's events as they come, after those of the last ``since`` minutes."""
    client = t.client
    wanted = sorted(set(kinds or EngineType.__args__))  # type: ignore[attr-defined]
    start = int(time.time()) - since * 60 if since else None
    events = await run_in_threadpool(_subscribe, client, wanted, start)
    rows = (
        r for r in (event_row(e) for e in iterating("the engine's event stream", events)) if matches(r, name)
    )

    async def body() -> AsyncIterator[str]:
        yield ": connected\n\n"
        try:
            async for row in sse.pump(rows, events.close):
                yield sse.KEEPALIVE if row is None else sse.event(row, "event")
        except EngineError as exc:
            yield sse.event({"message": str(exc)}, "failure")

    return sse.stream(body())
