"""Server-rendered pages (Jinja2, autoescaped). Changes go through the JSON API from the page
(htmx buttons and small JSON forms carrying the CSRF token); live state comes by SSE."""

from __future__ import annotations

import shlex
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from swarmdeck.console import envmask, lists, tables
from swarmdeck.console import resources as res
from swarmdeck.console.api.audit import audit_page as audit_entries
from swarmdeck.console.context import ADMIN, ENDPOINT_PARAM, READ, Target, console
from swarmdeck.console.endpoints import MAX_ERROR, describe, probe, probe_client
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import ContainerRef, EndpointName, Filter, Page
from swarmdeck.console.security import Principal
from swarmdeck.console.tables import TableQueryParam
from swarmdeck.console.units import size
from swarmdeck.console.visibility import visible_endpoint, visible_endpoints
from swarmdeck.engine.client import endpoint_url
from swarmdeck.engine.errors import EngineError
from swarmdeck.images.console_image import DATA_DIR as CONSOLE_DATA_DIR
from swarmdeck.store import Role, Teams, default_data_dir
from swarmdeck.store.setupcode import setup_code_path

router = APIRouter(include_in_schema=False)
ENDPOINT_COOKIE = "swarmdeck_endpoint"  # the endpoint the resource pages show, for this browser session
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value from the engine or a user is escaped
    undefined=jinja2.StrictUndefined,
)


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def segment(value: object) -> str:
    """VALUE as exactly one URL path segment, whatever it holds: every character but letters,
    digits and ``_.-~`` is percent-encoded (``/``, ``?``, ``#`` and ``%`` too; Jinja's
    ``urlencode`` keeps ``/``). A whole ``.`` or ``..`` is encoded twice (``%252E%252E``):
    browsers resolve ``%2E%2E`` as a dot-segment too, so it would still climb a level. Every
    value a template puts in a URL's path goes through this filter (tests/security checks)."""
    text = str(value)
    if text in (".", ".."):
        return text.replace(".", "%252E")
    return quote(text, safe="")


TEMPLATES.filters["size"] = size
TEMPLATES.filters["when"] = _when
TEMPLATES.filters["segment"] = segment


def render(template: str, who: Principal | None, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(
        user=who.user if who else None,
        csrf=who.csrf_token if who else "",
        can_operate=bool(who and who.role.allows(Role.OPERATOR)),
        is_admin=bool(who and who.role.allows(Role.ADMIN)),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/setup")
def setup_page(request: Request) -> Any:
    if console(request).set_up():
        return RedirectResponse("/login", 303)
    data_dir = console(request).store.data_dir
    return render(
        "setup.html",
        None,
        code_file=str(setup_code_path(data_dir)),
        code_command=setup_code_command(data_dir),
        in_service=str(data_dir) == CONSOLE_DATA_DIR,
    )


def setup_code_command(data_dir: Path) -> str:
    """The CLI command that prints this console's setup code on its host (`swarmdeck console
    setup-code`, with ``--data-dir`` unless it is the default one)."""
    if data_dir.resolve() == default_data_dir().resolve():
        return "swarmdeck console setup-code"
    return f"swarmdeck console setup-code --data-dir {shlex.quote(str(data_dir))}"


@router.get("/login")
def login_page() -> Any:
    return render("login.html", None)


def on_page(request: Request, who: Principal) -> Target:
    """The endpoint a resource page shows: ``?endpoint=`` if given (then remembered for this
    browser session), else the remembered one while ``who`` may still use it, else the local one."""
    ctx = console(request)
    asked = request.query_params.get(ENDPOINT_PARAM)
    name = asked or request.cookies.get(ENDPOINT_COOKIE) or ctx.endpoint_name
    request.state.endpoint = name
    try:
        return Target(who, name, ctx.client_on(who, name))
    except ConsoleError as exc:
        if asked or exc.status not in (403, 404):
            raise
    request.state.endpoint = ctx.endpoint_name  # the remembered one was removed or revoked
    return Target(who, ctx.endpoint_name, ctx.engine())


def render_on(template: str, request: Request, t: Target, section: str, **context: Any) -> HTMLResponse:
    """A resource page with its endpoint selector; an endpoint chosen in the URL is remembered."""
    response = render(
        template,
        t.who,
        ep=t.endpoint,
        section=section,
        endpoint_names=console(request).endpoint_names(t.who),
        **context,
    )
    if request.query_params.get(ENDPOINT_PARAM):
        response.set_cookie(
            ENDPOINT_COOKIE,
            t.endpoint,
            httponly=True,
            samesite="strict",
            secure=console(request).secure_cookies,
            path="/",
        )
    return response


@router.get("/containers")
def containers_page(
    request: Request, query: TableQueryParam, who: Principal = READ, state: Filter = ""
) -> HTMLResponse:
    t = on_page(request, who)
    if state and state not in res.STATES:
        raise ConsoleError(f"unknown state {state!r} (one of {', '.join(res.STATES)})")
    rows = res.all_containers(t.client, state or None)
    extra = [(ENDPOINT_PARAM, t.endpoint), *([("state", state)] if state else [])]
    shown = tables.show(lists.CONTAINERS, rows, query, "/containers", extra)
    return render_on("containers.html", request, t, "/containers", tv=shown, state=state, states=res.STATES)


@router.get("/containers/{ref}")
def container_page(request: Request, ref: ContainerRef, who: Principal = READ) -> HTMLResponse:
    t = on_page(request, who)
    info = res.inspect_container(t.client, ref, reveal_env=envmask.reveals(who))
    now = int(time.time())
    logs = res.container_logs(t.client, ref, tail=200)
    return render_on(
        "container.html",
        request,
        t,
        "/containers",
        c=info,
        name=info["Name"].lstrip("/"),
        logs=logs,
        since=now,
        env=info["Config"].get("Env") or [],
        labels=info["Config"].get("Labels") or {},
    )


@router.get("/containers/{ref}/stats")
def container_stats_fragment(request: Request, ref: ContainerRef, who: Principal = READ) -> HTMLResponse:
    """The stats table alone: the container page loads it (htmx) and refreshes it."""
    t = on_page(request, who)
    return render("stats.html", who, s=res.container_stats(t.client, ref))


@router.get("/images")
def images_page(request: Request, query: TableQueryParam, who: Principal = READ) -> HTMLResponse:
    t = on_page(request, who)
    shown = tables.show(
        lists.IMAGES, res.list_images(t.client), query, "/images", [(ENDPOINT_PARAM, t.endpoint)]
    )
    return render_on("images.html", request, t, "/images", tv=shown)


@router.get("/networks")
def networks_page(request: Request, query: TableQueryParam, who: Principal = READ) -> HTMLResponse:
    t = on_page(request, who)
    shown = tables.show(
        lists.NETWORKS, res.list_networks(t.client), query, "/networks", [(ENDPOINT_PARAM, t.endpoint)]
    )
    return render_on("networks.html", request, t, "/networks", tv=shown)


@router.get("/volumes")
def volumes_page(request: Request, query: TableQueryParam, who: Principal = READ) -> HTMLResponse:
    t = on_page(request, who)
    shown = tables.show(
        lists.VOLUMES, res.list_volumes(t.client), query, "/volumes", [(ENDPOINT_PARAM, t.endpoint)]
    )
    return render_on("volumes.html", request, t, "/volumes", tv=shown)


@router.get("/audit")
def audit_page(request: Request, who: Principal = ADMIN, page: Page = 1) -> HTMLResponse:
    entries = audit_entries(request, page, 100)
    return render(
        "audit.html",
        who,
        entries=entries.items,
        total=entries.total,
        page=page,
        pages=max(1, -(-entries.total // 100)),
    )


@router.get("/account")
def account_page(request: Request, who: Principal = READ) -> HTMLResponse:
    """One's own password and API tokens."""
    return render("account.html", who, tokens=console(request).store.list_tokens(who.user.username))


@router.get("/users")
def users_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    return render("users.html", who, users=console(request).store.list_users(), roles=list(Role))


@router.get("/endpoints")
def endpoints_page(request: Request, who: Principal = READ) -> HTMLResponse:
    """The local endpoint first, for everyone; then admins see and manage every endpoint,
    other users those granted to their teams."""
    ctx = console(request)
    visible = visible_endpoints(request, who)
    shown = [describe(e) for e in ctx.store.list_endpoints() if visible is None or e.name in visible]
    local = endpoint_url(ctx.engine_url)
    return render(
        "endpoints.html",
        who,
        local=local,
        local_name=ctx.endpoint_name,
        local_kind=local.partition("://")[0],
        endpoints=shown,
    )


@router.get("/endpoints/{name}/probe")
def endpoint_probe_fragment(request: Request, name: EndpointName, who: Principal = READ) -> HTMLResponse:
    """Health of one endpoint, as the endpoints page shows it (a read: it only connects)."""
    ctx = console(request)
    if name != ctx.endpoint_name:
        record = visible_endpoint(request, who, name)
        found = probe(record, tls_files=ctx.store.endpoint_tls_files(record))
        return render("probe.html", who, p=found)
    try:
        found = probe_client(ctx.engine(), endpoint_url(ctx.engine_url))
    except EngineError as exc:  # the local engine does not answer: that is the answer
        found = {"healthy": False, "error": str(exc)[:MAX_ERROR]}
    return render("probe.html", who, p=found)


@router.get("/teams")
def teams_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    store = console(request).store
    return render(
        "teams.html",
        who,
        teams=Teams(store).list(),
        usernames=[u.username for u in store.list_users()],
        endpoint_names=[e.name for e in store.list_endpoints()],
    )
