"""The registries' notifications: the route a registry posts its events to, and the one that
makes a registry's notification token (admins).

``POST /api/registries/{name}/notifications`` is a machine route: no session, no CSRF, no API
token. The registry proves who it is with the token of ``name`` in the
``X-Swarmdeck-Registry-Token`` header (compared in constant time); a missing or wrong token,
or a registry the console does not know, is 401 and changes nothing. The body is read up to
``MAX_BODY`` bytes and must be the registry's event envelope (``Envelope``, checked
strictly: types are not coerced, names follow the distribution grammar); else 422 and nothing
changes. Each accepted post writes one audit entry (what it added and removed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from swarmdeck.console.context import ADMIN, audited, client_address, console, recorded
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import RegistryName
from swarmdeck.console.registries import Registries, registries
from swarmdeck.console.security import Principal
from swarmdeck.registry import notifications
from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.names import check_name

router = APIRouter(tags=["registries"])
MAX_BODY = 1 << 20  # 1 MiB: the registry sends at most a few events a post
MAX_EVENTS = 1000
Short = Annotated[str, Field(max_length=300)]


class _Strict(BaseModel):
    # Strict types; fields the console does not use (request, actor, source, ...) are ignored.
    model_config = ConfigDict(strict=True, extra="ignore")


class EventTarget(_Strict):
    mediaType: Short = ""  # noqa: N815 (the registry's spelling)
    digest: Short = ""
    repository: Short
    tag: Short = ""

    @field_validator("repository")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            check_name(value)
        except RegistryError as exc:
            raise ValueError(str(exc)) from None
        return value


class Event(_Strict):
    id: Short
    timestamp: Short = ""
    action: Literal["push", "pull", "delete", "mount"]
    target: EventTarget


class Envelope(_Strict):
    """What a Distribution registry posts (media type ``application/vnd.docker.distribution
    .events.v1+json``)."""

    events: list[Event] = Field(max_length=MAX_EVENTS)


class NotificationResult(BaseModel):
    events: int = Field(description="events in the post")
    added: int = Field(description="repositories newly indexed (a manifest pushed)")
    removed: int = Field(description="repositories dropped from the index (their last tag deleted)")


class TokenIn(BaseModel):
    console_url: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^https?://[^\s/]+/?$",
        description="the console's URL as the registry reaches it (default: as this request reached it)",
    )


class NotificationToken(BaseModel):
    token: str = Field(description="shown once: the console keeps only its hash")
    url: str = Field(description="where the registry posts its events")
    header: str = Field(description="the header that carries the token")
    snippet: str = Field(description="the `notifications` section to add to the registry's config.yml")


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``$ref``s to ``defs`` replaced by what they name (the envelope is
    documented as the request body, outside the components the answers use)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    return schema


def _envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema()
    return _inlined(schema, schema.get("$defs", {}))


def _is_manifest(target: EventTarget) -> bool:
    return bool(target.tag) or "manifest" in target.mediaType or "image.index" in target.mediaType


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise ConsoleError(f"the body is over {MAX_BODY} bytes", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ConsoleError(f"the body is over {MAX_BODY} bytes", 413)
    return body


@router.post(
    "/registries/{name}/notifications",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {notifications.EVENTS_MEDIA_TYPE: {"schema": _envelope_schema()}},
        }
    },
)
async def receive_events(request: Request, name: RegistryName) -> NotificationResult:
    """A registry's push and delete events (its ``notifications`` endpoint): the index of its
    repositories changes at once. Authenticated by the registry's token, not by a session."""
    reg = registries(request)
    token = request.headers.get(notifications.TOKEN_HEADER)
    known = await run_in_threadpool(_authentic, reg, name, token)
    if not known:
        raise ConsoleError(f"a registry's token in {notifications.TOKEN_HEADER} is needed here", 401)
    raw = await _body(request)
    try:
        envelope = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise ConsoleError(f"not a registry event envelope: {problems[:1000]}", 422) from None
    events: list[tuple[str, str, bool]] = [
        (e.action, e.target.repository, _is_manifest(e.target)) for e in envelope.events
    ]
    done = await run_in_threadpool(_apply, request, reg, name, events)
    return NotificationResult(events=len(events), **done)


def _authentic(reg: Registries, name: str, token: str | None) -> bool:
    try:
        return reg.authenticate(name, token)
    except ConsoleError:
        return False


def _apply(
    request: Request, reg: Registries, name: str, events: list[tuple[str, str, bool]]
) -> dict[str, int]:
    """Apply the events, audited as the registry's own change (``recorded``: whether it
    worked or not; the target says what changed when it did)."""
    ctx = console(request)
    summary = ""

    def record(result: str) -> None:
        ctx.store.audit(
            f"registry:{name}",
            "registry.notify",
            result[:500],
            target=f"{name}: {summary}" if summary else name,
            endpoint="",
            client=client_address(request),
        )

    with recorded(record):
        done = reg.apply_events(name, events)
        summary = f"{len(events)} events: {done['added']} added, {done['removed']} removed"
    return done


@router.post("/registries/{name}/notifications/token")
def make_notification_token(
    request: Request, name: RegistryName, body: TokenIn, who: Principal = ADMIN
) -> NotificationToken:
    """Make the token registry ``name`` sends with its events (a previous one stops working),
    with the ``notifications`` section for its config.yml. Shown once."""
    base = body.console_url or str(request.base_url)
    with audited(request, who, "registry.notify-token", target=name, endpoint=""):
        made = registries(request).make_token(name, base)
    return NotificationToken(header=notifications.TOKEN_HEADER, **made)
