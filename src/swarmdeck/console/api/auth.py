"""Setup, sessions and API tokens: the first admin (proved with the one-time setup code),
logging in and out, changing one's password, and the tokens scripts use.

Wrong setup codes, logins and current passwords are throttled per user and client address;
every attempt, right or wrong, is in the audit log.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.context import OPERATE, READ, audit, audited, client_address, console
from swarmdeck.console.directory import app_directory, directory_login
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import TokenId
from swarmdeck.console.security import SESSION_COOKIE, Principal
from swarmdeck.store import TokenRecord, TokenScope, UserRecord
from swarmdeck.store.setupcode import setup_code_matches

router = APIRouter(tags=["auth"])
SETUP_CODE_HINT = (
    "run `swarmdeck console setup-code --data-dir DIR` on the console's host, or read "
    "the file setup-code in its data directory"
)
SETUP_THROTTLE_KEY = " setup"  # not a valid username: setup attempts never share a login's count


class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SetupIn(Credentials):
    setup_code: str = Field(
        max_length=128,
        description=("the one-time code in <data dir>/setup-code (`swarmdeck console setup-code`)"),
    )


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class NewToken(BaseModel):
    name: str = Field(max_length=64)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="refused from then on (default: until revoked)"
    )
    scope: TokenScope = Field(
        default=TokenScope.ALL,
        description=("all: what its owner may do; read: acts as a read-only user whatever the owner's role"),
    )


def user_model(user: UserRecord) -> models.User:
    return models.User(username=user.username, role=user.role, created_at=user.created_at.isoformat())


def token_model(t: TokenRecord) -> models.Token:
    return models.Token(
        id=t.id,
        name=t.name,
        prefix=t.prefix,
        scope=t.scope,
        created_at=t.created_at.isoformat(),
        last_used_at=t.last_used_at.isoformat() if t.last_used_at else None,
        expires_at=t.expires_at.isoformat() if t.expires_at else None,
        expired=t.expired,
    )


@router.get("/health")
def health(request: Request) -> models.Health:
    """Public: is the console up, and does it still need its first admin."""
    return models.Health(status="ok", setup_required=not console(request).set_up())


@router.post("/setup", status_code=201)
def setup(request: Request, body: SetupIn) -> models.User:
    """Create the first admin, proving access to the console's host with the one-time setup
    code. Answers only until an admin exists (then 409); wrong codes are throttled like logins."""
    ctx = console(request)
    if ctx.set_up():
        raise ConsoleError("swarmdeck is already set up; log in instead", 409)
    client = client_address(request)
    wait = ctx.throttle.admit(SETUP_THROTTLE_KEY, client)
    if wait:
        audit(request, None, "setup", "throttled", target=body.username, endpoint="")
        raise ConsoleError(
            f"too many wrong setup codes: try again in {wait} s", 429, {"Retry-After": str(wait)}
        )
    if not setup_code_matches(ctx.store.data_dir, body.setup_code):
        ctx.throttle.failed(SETUP_THROTTLE_KEY, client)
        audit(request, None, "setup", "error: wrong setup code", target=body.username, endpoint="")
        raise ConsoleError(f"wrong setup code: {SETUP_CODE_HINT}", 403)
    ctx.throttle.succeeded(SETUP_THROTTLE_KEY, client)  # the code was right (the password may not be)
    with audited(request, None, "setup", target=body.username, endpoint=""):
        user = ctx.store.create_first_admin(body.username, body.password)
    ctx.set_up()
    return user_model(user)


@router.post("/auth/login")
def login(request: Request, response: Response, body: Credentials) -> models.Session:
    """Start a browser session: a signed HttpOnly SameSite=Strict cookie, and its CSRF token."""
    ctx = console(request)
    client = client_address(request)
    wait = ctx.throttle.admit(body.username, client)
    if wait:
        audit(request, None, "login", "throttled", target=body.username, endpoint="")
        raise ConsoleError(f"too many failed logins: try again in {wait} s", 429, {"Retry-After": str(wait)})
    user = ctx.store.authenticate(body.username, body.password) or directory_login(
        request.app, body.username, body.password
    )
    if user is None:
        ctx.throttle.failed(body.username, client)
        audit(request, None, "login", "failed", target=body.username, endpoint="")
        raise ConsoleError("wrong username or password", 401)
    ctx.throttle.succeeded(body.username, client)
    answer = _start_session(request, response, user)
    audit(request, Principal(user, "session"), "login", "ok", endpoint="")
    return answer


def _start_session(request: Request, response: Response, user: UserRecord) -> models.Session:
    """A new session for ``user``: its signed cookie on ``response``; its CSRF token answered."""
    ctx = console(request)
    session_id, record = ctx.store.create_session(user.username, timedelta(seconds=ctx.auth.session_seconds))
    response.set_cookie(
        SESSION_COOKIE,
        ctx.auth.sign(session_id),
        max_age=ctx.auth.session_seconds,
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/",
    )
    return models.Session(
        **user_model(user).model_dump(),
        csrf_token=record.csrf_token,
        expires_at=record.expires_at.isoformat(),
    )


@router.post("/auth/password")
def change_password(
    request: Request, response: Response, body: PasswordChange, who: Principal = READ
) -> models.PasswordChanged:
    """Change one's own password (every role may). It ends every browser session of the user;
    a browser that asked gets a new session (new cookie, new CSRF token) in this answer. API
    tokens stay valid: revoke them on their own."""
    ctx = console(request)
    client, name = client_address(request), who.user.username
    wait = ctx.throttle.admit(name, client)
    if wait:
        audit(request, who, "password.change", "throttled", target=name, endpoint="")
        raise ConsoleError(
            f"too many failed attempts: try again in {wait} s", 429, {"Retry-After": str(wait)}
        )
    if app_directory(request.app).made_by_directory(name):
        raise ConsoleError("your password is the directory's: change it there", 409)
    if ctx.store.authenticate(name, body.current_password) is None:
        ctx.throttle.failed(name, client)
        audit(request, who, "password.change", "error: wrong current password", target=name, endpoint="")
        raise ConsoleError("the current password is wrong", 400)
    ctx.throttle.succeeded(name, client)
    with audited(request, who, "password.change", target=name, endpoint=""):
        user = ctx.store.update_user(name, password=body.new_password)
    if who.via != "session":
        return models.PasswordChanged(**user_model(user).model_dump(), status="password changed")
    session = _start_session(request, response, user)
    return models.PasswordChanged(**session.model_dump(), status="password changed")


@router.post("/auth/logout")
def logout(request: Request, response: Response, who: Principal = READ) -> models.Status:
    """End the browser session (API tokens are revoked instead: DELETE /api/tokens/{id})."""
    if who.via != "session":
        raise ConsoleError("API tokens do not log out: revoke the token instead", 400)
    with audited(request, who, "logout", endpoint=""):
        console(request).store.delete_session(who.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return models.Status(status="logged out")


@router.get("/auth/me")
def me(who: Principal = READ) -> models.Me:
    return models.Me(**user_model(who.user).model_dump(), via=who.via, csrf_token=who.csrf_token or None)


@router.get("/tokens")
def list_tokens(request: Request, who: Principal = READ) -> list[models.Token]:
    return [token_model(t) for t in console(request).store.list_tokens(who.user.username)]


@router.post("/tokens", status_code=201)
def create_token(request: Request, body: NewToken, who: Principal = OPERATE) -> models.NewToken:
    """A token for scripts (``Authorization: Bearer``). Shown in this answer only. It may
    expire (``expires_in_days``) and be read-only (``scope: "read"``)."""
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    target = f"{body.name} ({body.scope.value}" + (f", {body.expires_in_days} days)" if lifetime else ")")
    with audited(request, who, "token.create", target=target, endpoint=""):
        record, plain = console(request).store.create_token(
            who.user.username, body.name, lifetime, body.scope
        )
    return models.NewToken(
        **token_model(record).model_dump(), token=plain, note="store it now: it is not shown again"
    )


@router.delete("/tokens/{token_id}")
def revoke_token(request: Request, token_id: TokenId, who: Principal = OPERATE) -> models.Status:
    with audited(request, who, "token.revoke", target=str(token_id), endpoint=""):
        console(request).store.revoke_token(who.user.username, token_id)
    return models.Status(status="revoked")
