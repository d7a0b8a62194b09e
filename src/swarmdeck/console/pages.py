"""Server-rendered pages (Jinja2, autoescaped). Changes go through the JSON API from the page
(htmx buttons and small JSON forms carrying the CSRF token); live state comes by SSE."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from swarmdeck.console import resources as res
from swarmdeck.console.api import visible_endpoint, visible_endpoints
from swarmdeck.console.context import ADMIN, READ, console
from swarmdeck.console.endpoints import describe, probe
from swarmdeck.console.security import Principal
from swarmdeck.engine.client import endpoint_url
from swarmdeck.store import Role, Teams
from swarmdeck.store.setupcode import setup_code_path

router = APIRouter(include_in_schema=False)
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,  # every value from the engine or a user is escaped
    undefined=jinja2.StrictUndefined,
)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


TEMPLATES.filters["size"] = _size
TEMPLATES.filters["when"] = _when


def render(template: str, who: Principal | None, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(
        user=who.user if who else None, csrf=who.csrf_token if who else "",
        can_operate=bool(who and who.role.allows(Role.OPERATOR)),
        is_admin=bool(who and who.role.allows(Role.ADMIN)), **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def render_error(message: str, status: int) -> HTMLResponse:
    return render("error.html", None, status=status, message=message, status_code=status)


@router.get("/setup")
def setup_page(request: Request) -> Any:
    if console(request).set_up():
        return RedirectResponse("/login", 303)
    return render("setup.html", None, code_file=str(setup_code_path(console(request).store.data_dir)))


@router.get("/login")
def login_page() -> Any:
    return render("login.html", None)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/containers", 303)


@router.get("/containers")
def containers_page(request: Request, who: Principal = READ, q: str = "", state: str = "",
                    page: Annotated[int, Query(ge=1)] = 1,
                    per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> HTMLResponse:
    found = res.list_containers(console(request).engine(), q, state, page, per_page)
    return render("containers.html", who, page=found, q=q, state=state, states=res.STATES)


@router.get("/containers/{ref}")
def container_page(request: Request, ref: str, who: Principal = READ) -> HTMLResponse:
    client = console(request).engine()
    info = res.inspect_container(client, ref)
    now = int(time.time())
    logs = res.container_logs(client, ref, tail=200)
    return render("container.html", who, c=info, name=info["Name"].lstrip("/"), logs=logs, since=now,
                  env=info["Config"].get("Env") or [], labels=info["Config"].get("Labels") or {})


@router.get("/containers/{ref}/stats")
def container_stats_fragment(request: Request, ref: str, who: Principal = READ) -> HTMLResponse:
    """The stats table alone: the container page loads it (htmx) and refreshes it."""
    return render("stats.html", who, s=res.container_stats(console(request).engine(), ref))


@router.get("/images")
def images_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return render("images.html", who, images=res.list_images(console(request).engine()))


@router.get("/networks")
def networks_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return render("networks.html", who, networks=res.list_networks(console(request).engine()))


@router.get("/volumes")
def volumes_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return render("volumes.html", who, volumes=res.list_volumes(console(request).engine()))


@router.get("/audit")
def audit_page(request: Request, who: Principal = ADMIN,
               page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    entries, total = console(request).store.list_audit((page - 1) * 100, 100)
    return render("audit.html", who, entries=entries, total=total, page=page,
                  pages=max(1, -(-total // 100)))


@router.get("/account")
def account_page(request: Request, who: Principal = READ) -> HTMLResponse:
    """One's own password and API tokens."""
    return render("account.html", who, tokens=console(request).store.list_tokens(who.user.username))


@router.get("/users")
def users_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    return render("users.html", who, users=console(request).store.list_users(), roles=list(Role))


@router.get("/endpoints")
def endpoints_page(request: Request, who: Principal = READ) -> HTMLResponse:
    """Admins see and manage every endpoint; other users see those granted to their teams."""
    ctx = console(request)
    visible = visible_endpoints(request, who)
    shown = [describe(e) for e in ctx.store.list_endpoints() if visible is None or e.name in visible]
    return render("endpoints.html", who, local=endpoint_url(ctx.engine_url), endpoints=shown)


@router.get("/endpoints/{name}/probe")
def endpoint_probe_fragment(request: Request, name: str, who: Principal = READ) -> HTMLResponse:
    """Health of one endpoint, as the endpoints page shows it (a read: it only connects)."""
    return render("probe.html", who, p=probe(visible_endpoint(request, who, name)))


@router.get("/teams")
def teams_page(request: Request, who: Principal = ADMIN) -> HTMLResponse:
    store = console(request).store
    return render("teams.html", who, teams=Teams(store).list(),
                  usernames=[u.username for u in store.list_users()],
                  endpoint_names=[e.name for e in store.list_endpoints()])
