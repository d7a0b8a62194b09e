"""The exec console: a terminal in the browser (xterm.js) over a websocket to an exec with a
TTY in a container, or in a task's container on the engine that runs it. Operators and admins
only; every session opened is audited (who, which container, which command, when), never what
is typed.

A websocket is outside the form CSRF check (the browser sends the session cookie with a
cross-site websocket too), so opening one takes three proofs, checked in this order:

1. its ``Origin`` is the console's own (the ``Host`` it was asked on): a page on another site
   cannot open one; a request without an ``Origin`` (not a browser) is refused too;
2. the session cookie, of an operator or admin allowed on the endpoint;
3. the session's CSRF token in the first message (with the command and the terminal's size),
   which only a page of the console can read; a wrong or missing one closes the socket.

Before it is accepted, a refused websocket is closed (the browser sees a 403); after, the
reason comes as ``{"error": ...}`` and then the close. Messages: binary frames carry the
terminal's bytes both ways; text frames carry JSON control (``{"resize": [cols, rows]}`` from
the page, ``{"exit": code}`` / ``{"error": text}`` from the console).

The page relaxes one rule of the console's CSP: xterm.js styles its rows with ``<style>``
elements it makes, so the exec page allows inline styles (scripts stay 'self' only).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import shlex
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from requests.exceptions import RequestException
from starlette.concurrency import run_in_threadpool

from swarmdeck.console.clientaddr import client_of
from swarmdeck.console.context import OPERATE, Console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.pages import on_page, render_on
from swarmdeck.console.params import ContainerRef
from swarmdeck.console.resources.exec import ExecSession, task_container
from swarmdeck.console.security import CONTENT_SECURITY_POLICY, SESSION_COOKIE, Principal
from swarmdeck.engine.client import api_error
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import Role

router = APIRouter(include_in_schema=False)
PAGE_CSP = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SHELLS = ("sh", "bash", "ash", "/bin/sh -l")
FIRST_MESSAGE_SECONDS = 10
SESSION_CHECK_SECONDS = 3.0
MAX_COMMAND = 256
MAX_SIZE = 1000  # columns or rows
MAX_REF = 256
MAX_TERMINALS = 200  # output readers at once; more terminals wait for one to end
POLICY_VIOLATION = 1008
Kind = Literal["container", "task"]


def _page(request: Request, who: Principal, kind: str, ref: str) -> HTMLResponse:
    t = on_page(request, who)
    response = render_on(
        "exec.html",
        request,
        t,
        "/containers" if kind == "container" else "/services",
        kind=kind,
        ref=ref,
        shells=SHELLS,
    )
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@router.get("/containers/{ref}/exec")
def container_exec_page(request: Request, ref: ContainerRef, who: Principal = OPERATE) -> HTMLResponse:
    return _page(request, who, "container", ref)


@router.get("/tasks/{ref}/exec")
def task_exec_page(request: Request, ref: ContainerRef, who: Principal = OPERATE) -> HTMLResponse:
    """A task's terminal: it opens on the task's container when this endpoint's engine runs it
    (the websocket says which node does otherwise)."""
    return _page(request, who, "task", ref)


def same_origin(websocket: WebSocket) -> bool:
    """Is the websocket's ``Origin`` the console's own (the host it was asked on)?"""
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin or not host:
        return False
    parsed = urlsplit(origin)
    return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host.lower()


class Refused(Exception):
    """The websocket is refused; ``audit`` says whether the refusal goes to the audit log."""

    def __init__(self, reason: str, audit: bool = False, who: Principal | None = None) -> None:
        super().__init__(reason)
        self.audit = audit
        self.who = who


def _audit(
    ctx: Console, websocket: WebSocket, who: Principal | None, result: str, target: str, ep: str
) -> None:
    peer = websocket.client.host if websocket.client else ""
    ctx.store.audit(
        who.user.username if who else "-",
        "container.exec",
        result,
        target=target,
        endpoint=ep,
        client=client_of(peer, websocket.headers, ctx.trusted_proxies),
    )


def _caller(ctx: Console, websocket: WebSocket) -> Principal:
    if not same_origin(websocket):
        raise Refused("the websocket's Origin is not this console's")
    found = ctx.auth.session_from_cookie(websocket.cookies.get(SESSION_COOKIE))
    if found is None:
        raise Refused("not logged in")
    session_id, record = found
    who = Principal(record.user, "session", session_id, record.csrf_token)
    if not who.role.allows(Role.OPERATOR):
        raise Refused(f"{who.role.value} users may not exec (needs operator)", audit=True, who=who)
    return who


def _opening(first: Any, who: Principal) -> tuple[list[str], int, int]:
    """The first message's command and size, once its CSRF token is the session's."""
    if not isinstance(first, dict):
        raise Refused("the first message is {csrf, cmd, cols, rows}", audit=True)
    token = first.get("csrf")
    if not isinstance(token, str) or not hmac.compare_digest(token, who.csrf_token):
        raise Refused("missing or wrong CSRF token in the first message", audit=True)
    cmd, cols, rows = first.get("cmd"), first.get("cols"), first.get("rows")
    if not isinstance(cmd, str) or not 0 < len(cmd.strip()) <= MAX_COMMAND:
        raise Refused(f"the command: 1 to {MAX_COMMAND} characters, like sh or bash")
    try:
        argv = shlex.split(cmd)
    except ValueError as exc:
        raise Refused(f"the command: {exc}") from None
    if not (
        isinstance(cols, int) and isinstance(rows, int) and 0 < cols <= MAX_SIZE and 0 < rows <= MAX_SIZE
    ):
        raise Refused(f"cols and rows: whole numbers from 1 to {MAX_SIZE}")
    return argv, cols, rows


def _reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return f"no first message within {FIRST_MESSAGE_SECONDS} s"
    if isinstance(exc, KeyError):
        return "the first message is JSON text: {csrf, cmd, cols, rows}"
    if isinstance(exc, RequestException):
        return str(api_error("the endpoint does not answer", exc))
    return str(exc)


@router.websocket("/ws/exec/{kind}/{ref}")
async def exec_socket(websocket: WebSocket, kind: Kind, ref: str, endpoint: str | None = None) -> None:
    ctx: Console = websocket.app.state.console
    ep = endpoint or ctx.endpoint_name
    target = f"{kind} {ref}"
    who: Principal | None = None
    try:
        if len(ref) > MAX_REF:
            raise Refused(f"the {kind}'s ID or name: at most {MAX_REF} characters")
        who = _caller(ctx, websocket)
        try:
            client = ctx.client_on(who, ep)
        except ConsoleError as exc:
            raise Refused(str(exc), audit=exc.status == 403) from None
    except Refused as exc:
        if exc.audit:
            _audit(ctx, websocket, who or exc.who, "denied", target, ep)
        await websocket.close(POLICY_VIOLATION)
        return
    await websocket.accept()
    try:
        async with asyncio.timeout(FIRST_MESSAGE_SECONDS):
            first = json.loads(await websocket.receive_text())
        argv, cols, rows = _opening(first, who)
        container = ref if kind == "container" else await run_in_threadpool(task_container, client, ref)
        if kind == "task":
            target = f"task {ref} (container {container[:12]})"
        target = f"{target}: {shlex.join(argv)}"
        session = await run_in_threadpool(ExecSession.open, client, container, argv, cols, rows)
    except WebSocketDisconnect:
        return  # the page went before the terminal opened
    except (Refused, SwarmdeckError, TimeoutError, ValueError, KeyError, RequestException) as exc:
        reason = _reason(exc)
        if not isinstance(exc, Refused) or exc.audit:
            _audit(
                ctx,
                websocket,
                who,
                f"denied: {reason}" if isinstance(exc, Refused) else f"error: {reason}",
                target,
                ep,
            )
        with contextlib.suppress(Exception):
            await websocket.send_json({"error": reason})
            await websocket.close(POLICY_VIOLATION)
        return
    _audit(ctx, websocket, who, "ok: session opened", target, ep)
    await _pump(websocket, session, lambda: _still_logged_in(ctx, websocket, who))


def _readers(websocket: WebSocket) -> anyio.CapacityLimiter:
    """The threads that wait on terminals' output: the app's own pool (made in its event
    loop), so that open terminals never take the threads its other routes run in."""
    state = websocket.app.state
    if getattr(state, "exec_readers", None) is None:
        state.exec_readers = anyio.CapacityLimiter(MAX_TERMINALS)
    limiter: anyio.CapacityLimiter = state.exec_readers
    return limiter


def _still_logged_in(ctx: Console, websocket: WebSocket, who: Principal) -> bool:
    """Is the login that opened the terminal still valid (not logged out, expired or ended)?"""
    found = ctx.auth.session_from_cookie(websocket.cookies.get(SESSION_COOKIE))
    return found is not None and found[0] == who.session_id


async def _pump(websocket: WebSocket, session: ExecSession, logged_in: Callable[[], bool]) -> None:
    """Bytes both ways until the command ends, the page goes or the login ends (checked every
    ``SESSION_CHECK_SECONDS``: a logout or a password change ends the terminal too); then the
    exit code, or why it ended."""

    readers = _readers(websocket)

    async def out() -> None:
        while data := await anyio.to_thread.run_sync(session.read, limiter=readers):
            await websocket.send_bytes(data)

    async def into() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("bytes"):
                await run_in_threadpool(session.write, message["bytes"])
            elif message.get("text"):
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    cols, rows = json.loads(message["text"])["resize"]
                    if all(isinstance(n, int) and 0 < n <= MAX_SIZE for n in (cols, rows)):
                        await run_in_threadpool(session.resize, cols, rows)

    async def watch() -> None:
        while await asyncio.sleep(SESSION_CHECK_SECONDS, True) and await run_in_threadpool(logged_in):
            pass

    reading, writing, watching = (asyncio.create_task(c) for c in (out(), into(), watch()))
    try:
        done, _ = await asyncio.wait({reading, writing, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        session.close()  # also wakes the thread blocked reading
        for task in (reading, writing, watching):
            task.cancel()
    if watching in done:
        with contextlib.suppress(Exception):
            await websocket.send_json({"error": "your login ended (logged out or expired): log in again"})
            await websocket.close(POLICY_VIOLATION)
    elif reading in done:
        with contextlib.suppress(Exception):
            await websocket.send_json({"exit": await run_in_threadpool(session.exit_code)})
            await websocket.close(1000)
