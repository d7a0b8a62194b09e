"""The JSON API under /api: accounts, endpoints, the audit log and the engine's resources.

Every route names the least role it needs (READ, OPERATE, ADMIN); every change runs inside
``audited`` so the audit log gets its result. Blocking engine calls run in FastAPI's thread
pool (plain ``def`` routes); streams go out as server-sent events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, Any, Literal

import docker.utils
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from swarmdeck.console import envmask, sse
from swarmdeck.console import resources as res
from swarmdeck.console.context import (
    ADMIN,
    OPERATE,
    OPERATE_ON,
    READ,
    READ_ON,
    Target,
    audit,
    audited,
    client_address,
    console,
)
from swarmdeck.console.endpoints import describe, probe
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import (
    ContainerRef,
    EndpointName,
    Filter,
    ImageRef,
    NetworkRef,
    Page,
    Search,
    TeamName,
    Timestamp,
    TokenId,
    UserName,
    VolumeName,
)
from swarmdeck.console.security import SESSION_COOKIE, Principal
from swarmdeck.console.workloads import audit_target, policy_for, prepare
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.policy import describe_container
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import EndpointRecord, Role, TeamRecord, Teams, TokenRecord, TokenScope, UserRecord
from swarmdeck.store.setupcode import setup_code_matches

router = APIRouter(prefix="/api")
SETUP_CODE_HINT = (
    "run `swarmdeck console setup-code --data-dir DIR` on the console's host, or read "
    "the file setup-code in its data directory"
)
SETUP_THROTTLE_KEY = " setup"  # not a valid username: setup attempts never share a login's count


# --- payloads -------------------------------------------------------------------------
class Credentials(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class SetupIn(Credentials):
    setup_code: str = Field(
        max_length=128,
        description=("the one-time code in <data dir>/setup-code (`swarmdeck console setup-code`)"),
    )


class NewUser(Credentials):
    role: Role


class UserPatch(BaseModel):
    role: Role | None = None
    password: str | None = Field(default=None, max_length=1024)


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


class EndpointIn(BaseModel):
    name: str
    url: str
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None


class EndpointPatch(BaseModel):
    url: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None


class TeamIn(BaseModel):
    name: str = Field(max_length=64)


class MemberIn(BaseModel):
    username: str = Field(max_length=64)


class GrantIn(BaseModel):
    endpoint: str = Field(max_length=64)


class PortIn(BaseModel):
    container: str = Field(pattern=r"^\d{1,5}(/(tcp|udp|sctp))?$", description="80 or 80/udp")
    host_port: int | None = Field(default=None, ge=1, le=65535, description="none: any free port")
    host_ip: str = ""


class MountIn(BaseModel):
    source: str = Field(min_length=1, description="a volume name or an absolute host path")
    target: str = Field(pattern=r"^/")
    read_only: bool = False


class ContainerIn(BaseModel):
    image: str
    name: str | None = None
    command: list[str] | str | None = None
    env: dict[str, str] = {}
    ports: list[PortIn] = []
    volumes: list[MountIn] = []
    network: str | None = None
    restart_policy: Literal["no", "always", "unless-stopped", "on-failure"] = "no"
    max_retries: int = Field(default=0, ge=0)
    memory: str | None = Field(default=None, description="a limit like 100m or 1g")
    cpus: float | None = None
    labels: dict[str, str] = {}
    init: bool = False
    start: bool = True


class TagIn(BaseModel):
    source: str
    target: str


class PullIn(BaseModel):
    reference: str


class NetworkIn(BaseModel):
    name: str
    driver: str = "bridge"
    internal: bool = False
    attachable: bool = False
    labels: dict[str, str] = {}


class VolumeIn(BaseModel):
    name: str
    driver: str = "local"
    labels: dict[str, str] = {}


def _user(user: UserRecord) -> dict[str, Any]:
    return {"username": user.username, "role": user.role.value, "created_at": user.created_at.isoformat()}


# --- setup, sessions, tokens ----------------------------------------------------------
@router.get("/health", tags=["auth"])
def health(request: Request) -> dict[str, Any]:
    """Public: is the console up, and does it still need its first admin."""
    return {"status": "ok", "setup_required": not console(request).set_up()}


@router.post("/setup", status_code=201, tags=["auth"])
def setup(request: Request, body: SetupIn) -> dict[str, Any]:
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
    return _user(user)


@router.post("/auth/login", tags=["auth"])
def login(request: Request, response: Response, body: Credentials) -> dict[str, Any]:
    """Start a browser session: a signed HttpOnly SameSite=Strict cookie, and its CSRF token."""
    ctx = console(request)
    client = client_address(request)
    wait = ctx.throttle.admit(body.username, client)
    if wait:
        audit(request, None, "login", "throttled", target=body.username, endpoint="")
        raise ConsoleError(f"too many failed logins: try again in {wait} s", 429, {"Retry-After": str(wait)})
    user = ctx.store.authenticate(body.username, body.password)
    if user is None:
        ctx.throttle.failed(body.username, client)
        audit(request, None, "login", "failed", target=body.username, endpoint="")
        raise ConsoleError("wrong username or password", 401)
    ctx.throttle.succeeded(body.username, client)
    answer = _start_session(request, response, user)
    audit(request, Principal(user, "session"), "login", "ok", endpoint="")
    return answer


def _start_session(request: Request, response: Response, user: UserRecord) -> dict[str, Any]:
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
    return {**_user(user), "csrf_token": record.csrf_token, "expires_at": record.expires_at.isoformat()}


@router.post("/auth/password", tags=["auth"])
def change_password(
    request: Request, response: Response, body: PasswordChange, who: Principal = READ
) -> dict[str, Any]:
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
    if ctx.store.authenticate(name, body.current_password) is None:
        ctx.throttle.failed(name, client)
        audit(request, who, "password.change", "error: wrong current password", target=name, endpoint="")
        raise ConsoleError("the current password is wrong", 400)
    ctx.throttle.succeeded(name, client)
    with audited(request, who, "password.change", target=name, endpoint=""):
        user = ctx.store.update_user(name, password=body.new_password)
    if who.via != "session":
        return {**_user(user), "status": "password changed"}
    return {**_start_session(request, response, user), "status": "password changed"}


@router.post("/auth/logout", tags=["auth"])
def logout(request: Request, response: Response, who: Principal = READ) -> dict[str, str]:
    """End the browser session (API tokens are revoked instead: DELETE /api/tokens/{id})."""
    if who.via != "session":
        raise ConsoleError("API tokens do not log out: revoke the token instead", 400)
    with audited(request, who, "logout", endpoint=""):
        console(request).store.delete_session(who.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return {"status": "logged out"}


@router.get("/auth/me", tags=["auth"])
def me(who: Principal = READ) -> dict[str, Any]:
    return {**_user(who.user), "via": who.via, "csrf_token": who.csrf_token or None}


def _token(t: TokenRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "scope": t.scope.value,
        "created_at": t.created_at.isoformat(),
        "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
        "expires_at": t.expires_at.isoformat() if t.expires_at else None,
        "expired": t.expired,
    }


@router.get("/tokens", tags=["auth"])
def list_tokens(request: Request, who: Principal = READ) -> list[dict[str, Any]]:
    return [_token(t) for t in console(request).store.list_tokens(who.user.username)]


@router.post("/tokens", status_code=201, tags=["auth"])
def create_token(request: Request, body: NewToken, who: Principal = OPERATE) -> dict[str, Any]:
    """A token for scripts (``Authorization: Bearer``). Shown in this answer only. It may
    expire (``expires_in_days``) and be read-only (``scope: "read"``)."""
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    target = f"{body.name} ({body.scope.value}" + (f", {body.expires_in_days} days)" if lifetime else ")")
    with audited(request, who, "token.create", target=target, endpoint=""):
        record, plain = console(request).store.create_token(
            who.user.username, body.name, lifetime, body.scope
        )
    return {**_token(record), "token": plain, "note": "store it now: it is not shown again"}


@router.delete("/tokens/{token_id}", tags=["auth"])
def revoke_token(request: Request, token_id: TokenId, who: Principal = OPERATE) -> dict[str, str]:
    with audited(request, who, "token.revoke", target=str(token_id), endpoint=""):
        console(request).store.revoke_token(who.user.username, token_id)
    return {"status": "revoked"}


# --- users (admin) --------------------------------------------------------------------
@router.get("/users", tags=["users"])
def list_users(request: Request, _: Principal = ADMIN) -> list[dict[str, Any]]:
    return [_user(u) for u in console(request).store.list_users()]


@router.post("/users", status_code=201, tags=["users"])
def create_user(request: Request, body: NewUser, who: Principal = ADMIN) -> dict[str, Any]:
    with audited(request, who, "user.create", target=f"{body.username} ({body.role.value})", endpoint=""):
        return _user(console(request).store.create_user(body.username, body.password, body.role))


@router.patch("/users/{username}", tags=["users"])
def update_user(
    request: Request, username: UserName, body: UserPatch, who: Principal = ADMIN
) -> dict[str, Any]:
    changes = ", ".join(k for k, v in body.model_dump().items() if v is not None)
    with audited(request, who, "user.update", target=f"{username}: {changes}", endpoint=""):
        return _user(console(request).store.update_user(username, body.role, body.password))


@router.delete("/users/{username}", tags=["users"])
def delete_user(request: Request, username: UserName, who: Principal = ADMIN) -> dict[str, str]:
    with audited(request, who, "user.delete", target=username, endpoint=""):
        console(request).store.delete_user(username)
    return {"status": "deleted"}


# --- endpoints (admin) ----------------------------------------------------------------
def visible_endpoints(request: Request, who: Principal) -> set[str] | None:
    """The endpoints ``who`` may see: None for admins (all), else those granted to their teams."""
    if who.role.allows(Role.ADMIN):
        return None
    return Teams(console(request).store).endpoints_of(who.user.username)


def visible_endpoint(request: Request, who: Principal, name: str) -> EndpointRecord:
    """One endpoint ``who`` may see; one they may not is as absent as one that does not exist."""
    visible = visible_endpoints(request, who)
    if visible is not None and name not in visible:
        raise ConsoleError(f"no endpoint named {name!r}", 404)
    return console(request).store.get_endpoint(name)


@router.get("/endpoints", tags=["endpoints"])
def list_endpoints(request: Request, who: Principal = READ) -> list[dict[str, Any]]:
    """Every endpoint for admins; for other users, those granted to their teams."""
    visible = visible_endpoints(request, who)
    return [
        describe(e) for e in console(request).store.list_endpoints() if visible is None or e.name in visible
    ]


@router.post("/endpoints", status_code=201, tags=["endpoints"])
def add_endpoint(request: Request, body: EndpointIn, who: Principal = ADMIN) -> dict[str, Any]:
    if body.name == console(request).endpoint_name:
        raise ConsoleError(f"{body.name!r} names the console's own engine: choose another name", 409)
    with audited(request, who, "endpoint.add", target=f"{body.name} {body.url}", endpoint=body.name):
        record = console(request).store.add_endpoint(
            body.name, body.url, body.tls_ca, body.tls_cert, body.tls_key
        )
    return describe(record)


@router.get("/endpoints/{name}", tags=["endpoints"])
def get_endpoint(request: Request, name: EndpointName, who: Principal = READ) -> dict[str, Any]:
    return describe(visible_endpoint(request, who, name))


@router.patch("/endpoints/{name}", tags=["endpoints"])
def edit_endpoint(
    request: Request, name: EndpointName, body: EndpointPatch, who: Principal = ADMIN
) -> dict[str, Any]:
    with audited(request, who, "endpoint.edit", target=name, endpoint=name):
        record = console(request).store.update_endpoint(
            name, body.url, body.tls_ca, body.tls_cert, body.tls_key
        )
    return describe(record)


@router.post("/endpoints/{name}/test", tags=["endpoints"])
def test_endpoint(request: Request, name: EndpointName, _: Principal = ADMIN) -> dict[str, Any]:
    """Connect now: health, engine version, swarm role."""
    record = console(request).store.get_endpoint(name)
    return {**describe(record), **probe(record)}


@router.delete("/endpoints/{name}", tags=["endpoints"])
def remove_endpoint(request: Request, name: EndpointName, who: Principal = ADMIN) -> dict[str, str]:
    with audited(request, who, "endpoint.remove", target=name, endpoint=name):
        console(request).store.remove_endpoint(name)
    return {"status": "removed"}


# --- teams (admin): members and the endpoints they may see ------------------------------
def _team(team: TeamRecord) -> dict[str, Any]:
    return {
        "name": team.name,
        "members": list(team.members),
        "endpoints": list(team.endpoints),
        "created_at": team.created_at.isoformat(),
    }


@router.get("/teams", tags=["teams"])
def list_teams(request: Request, _: Principal = ADMIN) -> list[dict[str, Any]]:
    return [_team(t) for t in Teams(console(request).store).list()]


@router.post("/teams", status_code=201, tags=["teams"])
def create_team(request: Request, body: TeamIn, who: Principal = ADMIN) -> dict[str, Any]:
    with audited(request, who, "team.create", target=body.name, endpoint=""):
        return _team(Teams(console(request).store).create(body.name))


@router.get("/teams/{name}", tags=["teams"])
def get_team(request: Request, name: TeamName, _: Principal = ADMIN) -> dict[str, Any]:
    return _team(Teams(console(request).store).get(name))


@router.delete("/teams/{name}", tags=["teams"])
def delete_team(request: Request, name: TeamName, who: Principal = ADMIN) -> dict[str, str]:
    with audited(request, who, "team.delete", target=name, endpoint=""):
        Teams(console(request).store).delete(name)
    return {"status": "deleted"}


@router.post("/teams/{name}/members", status_code=201, tags=["teams"])
def add_team_member(
    request: Request, name: TeamName, body: MemberIn, who: Principal = ADMIN
) -> dict[str, Any]:
    with audited(request, who, "team.member.add", target=f"{name}: {body.username}", endpoint=""):
        return _team(Teams(console(request).store).add_member(name, body.username))


@router.delete("/teams/{name}/members/{username}", tags=["teams"])
def remove_team_member(
    request: Request, name: TeamName, username: UserName, who: Principal = ADMIN
) -> dict[str, Any]:
    with audited(request, who, "team.member.remove", target=f"{name}: {username}", endpoint=""):
        return _team(Teams(console(request).store).remove_member(name, username))


@router.post("/teams/{name}/endpoints", status_code=201, tags=["teams"])
def grant_endpoint(request: Request, name: TeamName, body: GrantIn, who: Principal = ADMIN) -> dict[str, Any]:
    """Let the team's members see (and, by their role, use) an endpoint."""
    with audited(request, who, "team.grant", target=name, endpoint=body.endpoint):
        return _team(Teams(console(request).store).grant(name, body.endpoint))


@router.delete("/teams/{name}/endpoints/{endpoint}", tags=["teams"])
def revoke_endpoint(
    request: Request, name: TeamName, endpoint: EndpointName, who: Principal = ADMIN
) -> dict[str, Any]:
    with audited(request, who, "team.revoke", target=name, endpoint=endpoint):
        return _team(Teams(console(request).store).revoke(name, endpoint))


@router.get("/audit", tags=["audit"])
def audit_log(
    request: Request,
    _: Principal = ADMIN,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    entries, total = console(request).store.list_audit((page - 1) * per_page, per_page, action)
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "items": [
            {
                "at": e.at.isoformat(),
                "user": e.username,
                "action": e.action,
                "target": e.target,
                "endpoint": e.endpoint,
                "result": e.result,
                "client": e.client,
            }
            for e in entries
        ],
    }


# --- containers -----------------------------------------------------------------------
def _container(row: res.ContainerRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "image": row.image,
        "state": row.state,
        "status": row.status,
        "created": row.created,
        "ports": row.ports,
        "stack": row.stack,
        "service": row.service,
        "labels": row.labels,
        "networks": row.networks,
        "volumes": row.volumes,
    }


@router.get("/containers", tags=["containers"])
def list_containers(
    request: Request,
    t: Target = READ_ON,
    q: Search = "",
    state: Filter = "",
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Filtered (state on the engine, ``q`` over name, image, stack, service, ID) and paged here."""
    found = res.list_containers(t.client, q, state, page, per_page)
    return {
        "total": found.total,
        "page": found.page,
        "per_page": found.per_page,
        "items": [_container(r) for r in found.items],
    }


@router.post("/containers", status_code=201, tags=["containers"])
def run_container(request: Request, body: ContainerIn, t: Target = OPERATE_ON) -> dict[str, Any]:
    """Create a container from a local image and (unless ``start`` is false) start it.

    Non-admins' containers follow the workload policy (no host paths but those admins
    allowed, no host namespaces: ``GET /api/settings/workloads``); a refusal is a 403 naming
    the field. The audit entry names the container's mounts."""
    target = f"{body.name or '?'} from {body.image}"

    def request_body() -> tuple[res.ContainerSpec, dict[str, Any]]:
        with doing(f"memory {body.memory!r}"):  # the SDK's own check of the value: a 400
            memory = docker.utils.parse_bytes(body.memory) if body.memory else None
        command = body.command.split() if isinstance(body.command, str) else body.command
        spec = res.ContainerSpec(
            image=body.image,
            name=body.name,
            command=command,
            env=body.env,
            ports=[
                (p.container if "/" in p.container else f"{p.container}/tcp", p.host_ip, p.host_port)
                for p in body.ports
            ],
            volumes=[(v.source, v.target, v.read_only) for v in body.volumes],
            network=body.network,
            restart_policy=body.restart_policy,
            max_retries=body.max_retries,
            memory=memory,
            cpus=body.cpus,
            labels=body.labels,
            init=body.init,
        )
        return spec, res.container_request(t.client, spec)

    spec, create = prepare(request, t, "container.run", target, request_body)
    with audited(
        request,
        t.who,
        "container.run",
        target=audit_target(target, describe_container(create)),
        endpoint=t.endpoint,
    ):
        return _container(
            res.create_container(t.client, spec.name, create, policy_for(request, t.who), start=body.start)
        )


@router.get("/containers/{ref}", tags=["containers"])
def inspect_container(request: Request, ref: ContainerRef, t: Target = READ_ON) -> dict[str, Any]:
    """The engine's answer; environment values are masked for read-only users."""
    return res.inspect_container(t.client, ref, reveal_env=envmask.reveals(t.who))


@router.post("/containers/{ref}/{action}", tags=["containers"])
def container_action(
    request: Request,
    ref: ContainerRef,
    action: Literal["start", "stop", "restart", "kill"],
    t: Target = OPERATE_ON,
    timeout: Annotated[int | None, Query(ge=0, le=600)] = None,
) -> dict[str, str]:
    """start, stop, restart or kill; ``timeout`` is the grace period before SIGKILL."""
    with audited(request, t.who, f"container.{action}", target=ref, endpoint=t.endpoint):
        res.container_action(t.client, ref, action, timeout=timeout)
    return {"status": f"{action} done"}


@router.delete("/containers/{ref}", tags=["containers"])
def remove_container(
    request: Request, ref: ContainerRef, t: Target = OPERATE_ON, force: bool = False
) -> dict[str, str]:
    with audited(request, t.who, "container.remove", target=ref, endpoint=t.endpoint):
        res.container_action(t.client, ref, "remove", force=force)
    return {"status": "removed"}


@router.get("/containers/{ref}/logs", tags=["containers"])
def container_logs(
    request: Request,
    ref: ContainerRef,
    t: Target = READ_ON,
    tail: Annotated[int, Query(ge=0, le=10000)] = 100,
) -> dict[str, Any]:
    return {"lines": res.container_logs(t.client, ref, tail)}


@router.get("/containers/{ref}/stats", tags=["containers"])
def container_stats(request: Request, ref: ContainerRef, t: Target = READ_ON) -> dict[str, Any]:
    """One sample (about a second): CPU %, memory, network and block IO, processes."""
    return res.container_stats(t.client, ref)


@router.get(
    "/containers/{ref}/logs/stream",
    tags=["containers"],
    response_description="text/event-stream: one message per log line",
)
async def follow_logs(
    request: Request,
    ref: ContainerRef,
    t: Target = READ_ON,
    tail: Annotated[int, Query(ge=0, le=10000)] = 0,
    since: Timestamp = None,
) -> Any:
    """Follow the log as server-sent events (``data`` is the line as a JSON string)."""
    lines = await run_in_threadpool(res.LineStream, t.client, ref, tail, since)

    async def body():  # type: ignore[no-untyped-def]
        async for line in sse.pump(iter(lines.next, None), lines.close):
            yield sse.KEEPALIVE if line is None else sse.event(line)
        yield sse.event("the container stopped", "end")

    return sse.stream(body())


@router.get(
    "/events",
    tags=["containers"],
    response_description="text/event-stream: {id, name, state, status} per change",
)
async def container_events(request: Request, t: Target = READ_ON) -> Any:
    """Container state changes from the engine's event stream, as server-sent events."""
    client = t.client
    with doing("the engine's event stream"):
        events = await run_in_threadpool(client.events, decode=True, filters={"type": "container"})
    changes = (c for c in (res.container_event(client, e) for e in events) if c is not None)

    async def body():  # type: ignore[no-untyped-def]
        yield ": connected\n\n"
        async for change in sse.pump(changes, events.close):
            yield sse.KEEPALIVE if change is None else sse.event(change, "container")

    return sse.stream(body())


# --- images ---------------------------------------------------------------------------
@router.get("/images", tags=["images"])
def list_images(request: Request, t: Target = READ_ON) -> list[dict[str, Any]]:
    return [
        {"id": i.id, "tags": i.tags, "size": i.size, "created": i.created, "containers": i.containers}
        for i in res.list_images(t.client)
    ]


@router.post("/images/tag", status_code=201, tags=["images"])
def tag_image(request: Request, body: TagIn, t: Target = OPERATE_ON) -> dict[str, str]:
    with audited(request, t.who, "image.tag", target=f"{body.source} -> {body.target}", endpoint=t.endpoint):
        res.tag(t.client, body.source, body.target)
    return {"status": "tagged", "target": body.target}


def _progress(
    request: Request,
    t: Target,
    action: str,
    target: str,
    failure: str,
    items: Iterator[dict[str, Any]],
    show: Callable[[dict[str, Any]], dict[str, Any] | None],
    done: Callable[[], dict[str, Any]],
) -> Any:
    """An engine progress stream (pull, push, build) as server-sent events: ``progress``
    messages (what ``show`` makes of each item, if anything), then ``done`` or ``error``;
    the result goes to the audit log, also when the client leaves before the end."""

    async def body():  # type: ignore[no-untyped-def]
        result = "error: the client went away before the end"
        try:
            async for item in sse.pump(items, lambda: None):
                if item is None:
                    yield sse.KEEPALIVE
                elif "error" in item:
                    message = ((item.get("errorDetail") or {}).get("message") or item["error"]).strip()
                    result = f"error: {failure}: {message}"
                    yield sse.event({"message": result.removeprefix("error: ")}, "error")
                    return
                elif (shown := show(item)) is not None:
                    yield sse.event(shown, "progress")
            result = "ok"
            yield sse.event(done(), "done")
        finally:
            audit(request, t.who, action, result, target, t.endpoint)

    return sse.stream(body())


def _layer_progress(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id", ""),
        "status": item.get("status", ""),
        "progress": item.get("progress", ""),
        **(item.get("progressDetail") or {}),
    }


async def _start(
    request: Request,
    t: Target,
    action: str,
    target: str,
    start: Callable[..., Iterator[dict[str, Any]]],
    *args: Any,
) -> Iterator[dict[str, Any]]:
    """Start an engine stream in the thread pool; a refusal at once is a JSON error, audited."""
    try:
        return await run_in_threadpool(start, t.client, *args)
    except SwarmdeckError as exc:
        audit(request, t.who, action, f"error: {exc}", target, t.endpoint)
        raise


@router.post(
    "/images/pull",
    tags=["images"],
    response_description="text/event-stream: progress, then `done` or `error`",
)
async def pull_image(request: Request, body: PullIn, t: Target = OPERATE_ON) -> Any:
    """Pull with live progress (server-sent events). A pull the engine refuses at once (no
    registry, no such image) is a plain JSON error instead."""
    progress = await _start(request, t, "image.pull", body.reference, res.start_pull, body.reference)
    return _progress(
        request,
        t,
        "image.pull",
        body.reference,
        f"pulling {body.reference} failed",
        progress,
        _layer_progress,
        lambda: {"reference": body.reference},
    )


@router.post(
    "/images/push",
    tags=["images"],
    response_description="text/event-stream: progress, then `done` (with the digest) or `error`",
)
async def push_image(request: Request, body: PullIn, t: Target = OPERATE_ON) -> Any:
    """Push a local image to its registry with live progress (server-sent events). An image
    that is not on the engine is a plain JSON 404 instead."""
    progress = await _start(request, t, "image.push", body.reference, res.start_push, body.reference)
    digest = {"digest": ""}

    def show(item: dict[str, Any]) -> dict[str, Any] | None:
        if (item.get("aux") or {}).get("Digest"):
            digest["digest"] = item["aux"]["Digest"]
            return None
        return _layer_progress(item)

    return _progress(
        request,
        t,
        "image.push",
        body.reference,
        f"pushing {body.reference} failed",
        progress,
        show,
        lambda: {"reference": body.reference, **digest},
    )


@router.post(
    "/images/build",
    tags=["images"],
    response_description="text/event-stream: the build's output, then `done` (with the image ID) or `error`",
)
async def build_image(
    request: Request,
    context: Annotated[
        UploadFile,
        File(description=("the build context: a tar archive, plain or gzipped, with the Dockerfile inside")),
    ],
    tag: Annotated[str, Form()],
    t: Target = OPERATE_ON,
    dockerfile: Annotated[str, Form()] = "Dockerfile",
) -> Any:
    """Build an image from an uploaded context (multipart), streaming the build's output."""
    progress = await _start(request, t, "image.build", tag, res.start_build, context.file, tag, dockerfile)
    image = {"id": ""}

    def show(item: dict[str, Any]) -> dict[str, Any] | None:
        if (item.get("aux") or {}).get("ID"):
            image["id"] = item["aux"]["ID"]
        line = (item.get("stream") or item.get("status") or "").rstrip()
        return {"status": line} if line else None

    return _progress(
        request,
        t,
        "image.build",
        tag,
        f"building {tag} failed",
        progress,
        show,
        lambda: {"reference": tag, **image},
    )


@router.get("/images/{ref:path}", tags=["images"])
def inspect_image(request: Request, ref: ImageRef, t: Target = READ_ON) -> dict[str, Any]:
    return res.inspect_image(t.client, ref)


@router.delete("/images/{ref:path}", tags=["images"])
def remove_image(
    request: Request, ref: ImageRef, t: Target = OPERATE_ON, force: bool = False
) -> dict[str, str]:
    with audited(request, t.who, "image.remove", target=ref, endpoint=t.endpoint):
        res.remove_image(t.client, ref, force)
    return {"status": "removed"}


# --- networks and volumes -------------------------------------------------------------
@router.get("/networks", tags=["networks"])
def list_networks(request: Request, t: Target = READ_ON) -> list[dict[str, Any]]:
    return res.list_networks(t.client)


@router.post("/networks", status_code=201, tags=["networks"])
def create_network(request: Request, body: NetworkIn, t: Target = OPERATE_ON) -> dict[str, Any]:
    with audited(request, t.who, "network.create", target=body.name, endpoint=t.endpoint):
        return res.create_network(
            t.client,
            body.name,
            policy_for(request, t.who),
            body.driver,
            body.internal,
            body.attachable,
            body.labels,
        )


@router.get("/networks/{ref}", tags=["networks"])
def inspect_network(request: Request, ref: NetworkRef, t: Target = READ_ON) -> dict[str, Any]:
    return res.inspect_network(t.client, ref)


@router.delete("/networks/{ref}", tags=["networks"])
def remove_network(request: Request, ref: NetworkRef, t: Target = OPERATE_ON) -> dict[str, str]:
    with audited(request, t.who, "network.remove", target=ref, endpoint=t.endpoint):
        res.remove_network(t.client, ref)
    return {"status": "removed"}


@router.get("/volumes", tags=["volumes"])
def list_volumes(request: Request, t: Target = READ_ON) -> list[dict[str, Any]]:
    return res.list_volumes(t.client)


@router.post("/volumes", status_code=201, tags=["volumes"])
def create_volume(request: Request, body: VolumeIn, t: Target = OPERATE_ON) -> dict[str, Any]:
    with audited(request, t.who, "volume.create", target=body.name, endpoint=t.endpoint):
        return res.create_volume(t.client, body.name, policy_for(request, t.who), body.driver, body.labels)


@router.get("/volumes/{name}", tags=["volumes"])
def inspect_volume(request: Request, name: VolumeName, t: Target = READ_ON) -> dict[str, Any]:
    return res.inspect_volume(t.client, name)


@router.delete("/volumes/{name}", tags=["volumes"])
def remove_volume(
    request: Request, name: VolumeName, t: Target = OPERATE_ON, force: bool = False
) -> dict[str, str]:
    with audited(request, t.who, "volume.remove", target=name, endpoint=t.endpoint):
        res.remove_volume(t.client, name, force)
    return {"status": "removed"}
