"""How a failed request is answered: the one place that decides between JSON and a page.

API clients (paths under ``/api/``, htmx fragments, or an ``Accept`` that prefers JSON) get
``{"detail": ...}`` with the status ``errors.status_of`` gives. A browser gets a page in the
normal layout (the navigation kept when it is logged in) saying what happened and what to
do next, never a bare status or a raw socket error: ``advice`` writes that second part from
the status and, for an engine or a registry that does not answer, from where it was asked.
The exception handlers in ``console.app`` only call ``answer`` here.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from swarmdeck.console.context import console
from swarmdeck.console.endpoints import SSH_HINT
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.pages import render
from swarmdeck.console.security import CSRF_HEADER, SESSION_COOKIE, Principal
from swarmdeck.engine.client import endpoint_url
from swarmdeck.store import NotFound

TITLES = {
    400: "The request was refused",
    401: "Log in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Refused: it conflicts with the current state",
    422: "The request was refused",
    500: "Something failed inside the console",
    502: "Something the console relies on does not answer",
    503: "Not ready yet",
}
INTERNAL = (
    "The console hit an unexpected error while answering; its details are in the console's "
    "log (nothing is shown here)."
)


def wants_html(request: Request) -> bool:
    """A browser navigating: not the API, not an htmx fragment, and ``Accept`` names HTML
    (or names nothing more precise than ``*/*``, as a plain link's request may)."""
    if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
        return False
    accept = request.headers.get("accept", "").lower()
    if "text/html" in accept:
        return True
    return "json" not in accept


def answer(
    request: Request, message: str, status: int, headers: Mapping[str, str] | None = None, hint: str = ""
) -> Response:
    """The one answer to a failure: JSON for API clients, a page in the layout for browsers
    (a page that needs a login redirects to the login page)."""
    if not wants_html(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    if status == 401:
        return RedirectResponse("/login", 303)
    return render(
        "error.html",
        viewer(request),
        status=status,
        status_code=status,
        title=TITLES.get(status, "The request failed"),
        message=message,
        advice=hint or advice(request, status),
        path=request.url.path,
    )


def viewer(request: Request) -> Principal | None:
    """Whoever the session cookie names, for the navigation only: never a refusal here."""
    try:
        return console(request).auth.identify(
            "GET", None, request.cookies.get(SESSION_COOKIE), request.headers.get(CSRF_HEADER)
        )
    except ConsoleError:
        return None


def advice(request: Request, status: int) -> str:
    """What to do about a failure with ``status`` on this request."""
    match status:
        case 403:
            return "Ask an admin for the role or the team grant this needs, or go back."
        case 404:
            return (
                "Check the address, or choose a page in the navigation: what it named may have "
                "been removed, or it is on another endpoint than the one chosen."
            )
        case 409:
            return "Reload the page to see the current state, then try again."
        case 500:
            return "Try again; if it fails again, report it with the time it happened."
        case 502:
            return (
                "Check that what the message names runs and that the console's host reaches it, "
                "then reload the page."
            )
        case 503:
            return "Wait a moment and reload the page."
        case _:
            return "Go back, correct what was entered, and try again."


def endpoint_advice(request: Request) -> tuple[str, str]:
    """The endpoint the request was acting on, and what to check when it does not answer."""
    ctx = console(request)
    name = getattr(request.state, "endpoint", ctx.endpoint_name)
    url = ""
    if name == ctx.endpoint_name:
        url = endpoint_url(ctx.engine_url)
    else:
        try:
            url = ctx.store.get_endpoint(name).url
        except NotFound:
            url = ""
    return name, f"{engine_hint(name, url)} Or choose another endpoint."


def engine_hint(name: str, url: str) -> str:
    """What to check when no engine answers at ``url`` (the endpoint ``name``)."""
    if url.startswith("unix://"):
        return (
            f"Check that dockerd runs on the console's host and listens on {url}, and that the "
            "console's user may use that socket (the docker group, or the socket mounted into "
            "the console's container)."
        )
    if url.startswith("ssh://"):
        return f"Check that {url} accepts the console's ssh connections: {SSH_HINT}."
    where = url or f"the URL of endpoint {name!r}"
    return (
        f"Check that dockerd runs there and listens on {where} (its -H option or the 'hosts' "
        "of daemon.json), that no firewall stands between it and the console's host, and that "
        "its TLS certificates match the endpoint's settings (Endpoints page)."
    )


def registry_hint(address: str) -> str:
    """What to check when no registry answers at ``address``."""
    return (
        f"Check that the registry runs and listens on {address}, that the console's host "
        "reaches it, and that its TLS certificate is trusted (its CA on the Registries page, "
        "or in /etc/docker/certs.d)."
    )
