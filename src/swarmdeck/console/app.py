"""The console's FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import requests.exceptions
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import configure_mappers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swarmdeck.console import (
    api,
    deploy_journal,
    errorpages,
    exec_console,
    gitstacks,
    pages,
    pages_cluster,
    pages_home,
    pages_inspect,
    pages_objects,
    pages_settings,
)
from swarmdeck.console.clientaddr import parse_proxies
from swarmdeck.console.context import Console
from swarmdeck.console.errors import ConsoleError, status_of
from swarmdeck.console.security import (
    CONTENT_SECURITY_POLICY,
    URL_TOKEN_PARAMS,
    Authenticator,
    LoginThrottle,
    load_secret,
)
from swarmdeck.engine.client import api_error
from swarmdeck.engine.errors import EngineUnreachable
from swarmdeck.errors import SwarmdeckError
from swarmdeck.registry.errors import RegistryUnreachable
from swarmdeck.store import DelaySchedule, Store, ensure_data_dir
from swarmdeck.store.sharedkeys import install_shared_keys, read_shared_secret

HERE = Path(__file__).parent
log = logging.getLogger("swarmdeck.console")
# What answers before the first admin exists: the setup page and route, and public documents.
OPEN_BEFORE_SETUP = ("/setup", "/api/setup", "/api/health", "/api/openapi.json", "/static/")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
SETUP_MESSAGE = (
    "swarmdeck is not set up yet: create the first admin at /setup (with the one-time code "
    "from `swarmdeck console setup-code`), or with "
    "`swarmdeck user create NAME --role admin --password-stdin`"
)


def create_app(
    data_dir: Path | str,
    *,
    database_url: str | None = None,
    engine_url: str | None = None,
    session_hours: float = 8.0,
    secure_cookies: bool = False,
    endpoint_name: str = "local",
    trusted_proxies: Iterable[str] = (),
    login_delays: DelaySchedule | None = None,
    shared_secret_file: Path | str | None = None,
) -> FastAPI:
    """The console for the engine at ``engine_url`` (default: DOCKER_HOST or the local socket).

    ``data_dir`` holds the SQLite database (unless ``database_url`` names another) and the
    session-signing secret. ``secure_cookies`` marks cookies Secure: set it when the console
    is reached over HTTPS (a TLS proxy in front of it). ``trusted_proxies`` (addresses or
    networks) are the reverse proxies whose ``X-Forwarded-For``/``Forwarded`` name the client;
    from anyone else those headers are ignored. ``login_delays`` sets the per-account login
    delay (default: ``DelaySchedule()``). ``shared_secret_file``: a secret every replica of
    this console reads (a swarm secret); its keys and setup code are derived from it
    (``store/sharedkeys.py``), so replicas sharing a database act as one console.

    The data directory is made owner-only; ``app.state.loose_data_dir`` lists what was found
    readable by others (and tightened), which is also logged.
    """
    proxies = parse_proxies(trusted_proxies)
    folder = ensure_data_dir(Path(data_dir))
    if shared_secret_file is not None:
        install_shared_keys(folder, read_shared_secret(Path(shared_secret_file)))
    store = Store(folder, database_url)
    for loose in store.loose:
        log.warning("the data directory was readable by others: %s", loose)
    ctx = Console(
        store=store,
        auth=Authenticator(store, load_secret(folder), int(session_hours * 3600)),
        throttle=LoginThrottle(store, delays=login_delays),
        engine_url=engine_url,
        endpoint_name=endpoint_name,
        secure_cookies=secure_cookies,
        trusted_proxies=proxies,
    )
    ctx.set_up()  # without an admin yet, this writes the one-time setup code
    deploy_journal.start_recovery(ctx)  # deploys the previous run left half done, taken back
    app = FastAPI(
        title="swarmdeck console",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.console = ctx
    app.state.data_dir = folder
    app.state.loose_data_dir = list(store.loose)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(pages_home.router)
    app.include_router(pages_cluster.router)
    app.include_router(pages_objects.router)
    app.include_router(pages_settings.router)
    app.include_router(pages_inspect.router)
    app.include_router(exec_console.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.git_schedule = gitstacks.start_schedule(app)  # stacks from Git, redeployed
    ctx.on_close.append(app.state.git_schedule.set)
    configure_mappers()  # at start, not in a first request (hundreds of ms on a loaded host)

    @app.exception_handler(SwarmdeckError)
    async def swarmdeck_error(request: Request, exc: SwarmdeckError) -> Response:
        hint = ""
        if isinstance(exc, EngineUnreachable):
            name, hint = errorpages.endpoint_advice(request)
            if not exc.where:  # else its message names the engine already (the local one's)
                exc = ConsoleError(f"endpoint {name!r} does not answer: {exc.reason or exc}", 502)
        elif isinstance(exc, RegistryUnreachable):
            hint = errorpages.registry_hint(exc.address)
        headers = exc.headers if isinstance(exc, ConsoleError) else None
        return errorpages.answer(request, str(exc), status_of(exc), headers, hint)

    @app.exception_handler(requests.exceptions.RequestException)
    async def unreachable(request: Request, exc: requests.exceptions.RequestException) -> Response:
        """An engine that does not answer (down, refused, TLS or ssh failure): 502, its error."""
        name, hint = errorpages.endpoint_advice(request)
        message = str(api_error(f"endpoint {name!r} does not answer", exc))
        return errorpages.answer(request, message, 502, hint=hint)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return errorpages.answer(request, f"invalid request: {problems}", 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Routing's own refusals: an unknown URL (404), a method a route does not take (405)."""
        message = {404: f"there is no page or API route at {request.url.path}"}.get(
            exc.status_code, str(exc.detail)
        )
        return errorpages.answer(request, message, exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        """A bug: never shown (a page in the layout, or JSON); the server logs its traceback, as
        Starlette raises it again once this answer is sent."""
        return errorpages.answer(request, errorpages.INTERNAL, 500)

    app.add_middleware(Guard, ctx=ctx)
    return app


class Guard:
    """Checks that come before routing: tokens in URLs, setup first, security headers."""

    def __init__(self, app: ASGIApp, ctx: Console) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        refusal: ASGIApp | None = None
        if URL_TOKEN_PARAMS & {k.lower() for k in request.query_params}:
            refusal = JSONResponse(
                {
                    "detail": "credentials in URLs are refused (they end up in logs and "
                    "history): send 'Authorization: Bearer <token>'"
                },
                400,
            )
        elif not path.startswith(OPEN_BEFORE_SETUP) and not self.ctx.set_up():
            refusal = (
                JSONResponse({"detail": SETUP_MESSAGE}, 503)
                if path.startswith("/api/")
                else RedirectResponse("/setup", 303)
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}  # a page may set its own CSP
                message["headers"] = headers + [h for h in SECURITY_HEADERS if h[0] not in present]
            await send(message)

        await (refusal or self.app)(scope, receive, send_with_headers)
