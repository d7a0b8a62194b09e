"""Pages of the swarm's secrets and configs (list with their users, one object, create from
text or a file, remove) and of the engine's events (live, filtered by type, name and time).

Server-rendered and autoescaped as the other pages; changes go through the JSON API
(``api.objects``) from the page with the CSRF token, and the lists follow the engine's events
(``api.events``' live stream). A secret's value is never on a page: the engine does not give
it back. The events page names the filters in its URL, so a filtered view can be bookmarked.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console.api.events import MAX_SINCE_MINUTES, EngineType
from swarmdeck.console.context import READ, Target
from swarmdeck.console.pages import on_page, render_on
from swarmdeck.console.pages_cluster import render_swarm
from swarmdeck.console.params import ConfigRef, Filter, SecretRef
from swarmdeck.console.security import Principal
from swarmdeck.swarm import objects
from swarmdeck.swarm.objects import Kind

router = APIRouter(include_in_schema=False)
EVENT_TYPES: tuple[str, ...] = EngineType.__args__  # type: ignore[attr-defined]
SINCE_CHOICES = [(0, "from now on"), (5, "5 minutes"), (60, "1 hour"), (24 * 60, "24 hours")]


def _list(request: Request, who: Principal, kind: Kind) -> HTMLResponse:
    return render_swarm(
        request,
        who,
        "objects.html",
        f"/{kind}s",
        lambda t: {"kind": kind, "found": objects.list_with_users(t.client, kind)},
    )


def _one(request: Request, who: Principal, kind: Kind, ref: str) -> HTMLResponse:
    return render_swarm(
        request,
        who,
        "object.html",
        f"/{kind}s",
        lambda t: {"kind": kind, "o": objects.detail(t.client, kind, ref)},
    )


@router.get("/secrets")
def secrets_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return _list(request, who, "secret")


@router.get("/secrets/{ref}")
def secret_page(request: Request, ref: SecretRef, who: Principal = READ) -> HTMLResponse:
    return _one(request, who, "secret", ref)


@router.get("/configs")
def configs_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return _list(request, who, "config")


@router.get("/configs/{ref}")
def config_page(request: Request, ref: ConfigRef, who: Principal = READ) -> HTMLResponse:
    return _one(request, who, "config", ref)


@router.get("/events")
def events_page(
    request: Request,
    who: Principal = READ,
    kinds: Annotated[list[EngineType], Query(alias="type", max_length=8)] = [],  # noqa: B006
    name: Filter = "",
    since: Annotated[int, Query(ge=0, le=MAX_SINCE_MINUTES)] = 0,
) -> HTMLResponse:
    """The engine's events as they come (by SSE from ``/api/engine-events``, with the page's
    filters), after those of the last ``since`` minutes."""
    t: Target = on_page(request, who)
    query: list[tuple[str, Any]] = [("type", k) for k in kinds]
    if name:
        query.append(("name", name))
    if since:
        query.append(("since", since))
    return render_on(
        "events.html",
        request,
        t,
        "/events",
        kinds=kinds,
        name=name,
        since=since,
        types=EVENT_TYPES,
        since_choices=SINCE_CHOICES,
        stream="/api/engine-events" + ("?" + urlencode(query) if query else ""),
    )
