"""The home page (``/``): every endpoint the user may use at a glance (see ``home``), and the
next step for a new install. The raw container list lives at ``/containers``. Endpoints are
read side by side, and one that has not answered within ``DEADLINE`` seconds is shown as not
answering rather than holding the page (an endpoint's client waits up to 120 s)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console.coalesce import Coalescer
from swarmdeck.console.context import READ, console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.home import EndpointHealth, endpoint_health, next_steps
from swarmdeck.console.pages import render
from swarmdeck.console.registries import registries
from swarmdeck.console.security import Principal

router = APIRouter(include_in_schema=False)
DEADLINE = 8.0  # seconds the home page waits for the slowest endpoint
READERS = 8  # endpoints read at once
_reading: Coalescer[EndpointHealth] = Coalescer()  # pages asking at once share one read


@router.get("/")
def home_page(request: Request, who: Principal = READ) -> HTMLResponse:
    ctx = console(request)

    def read(name: str) -> EndpointHealth:
        try:
            client = ctx.client_on(who, name)
        except ConsoleError as exc:  # its record is unusable (a bad TLS file): shown in its card
            return endpoint_health(name, None, str(exc))
        # keyed by the console too: a process may hold several (tests), each its own "local"
        return _reading.run((id(ctx), name), lambda: endpoint_health(name, client))

    names = ctx.endpoint_names(who)
    pool = ThreadPoolExecutor(max_workers=min(READERS, len(names)), thread_name_prefix="home")
    try:
        futures = [pool.submit(read, name) for name in names]
        wait(futures, timeout=DEADLINE)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    cards = [
        f.result()
        if f.done() and not f.cancelled()
        else EndpointHealth(name, error=f"endpoint {name} did not answer within {DEADLINE:.0f} s")
        for name, f in zip(names, futures, strict=True)
    ]
    steps = next_steps(cards, len(registries(request).list()))
    return render("home.html", who, cards=cards, steps=steps)
