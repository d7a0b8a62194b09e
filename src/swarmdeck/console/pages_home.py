"""The home page (``/``): every endpoint the user may use at a glance (see ``home``), and the
next step for a new install. The raw container list lives at ``/containers``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console.context import READ, console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.home import endpoint_health, next_steps
from swarmdeck.console.pages import render
from swarmdeck.console.registries import registries
from swarmdeck.console.security import Principal

router = APIRouter(include_in_schema=False)


@router.get("/")
def home_page(request: Request, who: Principal = READ) -> HTMLResponse:
    ctx = console(request)
    cards = []
    for name in ctx.endpoint_names(who):
        try:
            client = ctx.client_on(who, name)
        except ConsoleError as exc:  # its record is broken (a bad TLS file): shown in its card
            cards.append(endpoint_health(name, None, str(exc)))
            continue
        cards.append(endpoint_health(name, client))
    steps = next_steps(cards, len(registries(request).list()))
    return render("home.html", who, cards=cards, steps=steps, local=ctx.endpoint_name)
