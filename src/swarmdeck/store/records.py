"""The plain frozen records the store hands out (never ORM objects, so that callers cannot
lazily touch the database after its session closed), and how rows become them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from swarmdeck.store import models as m
from swarmdeck.store.models import EndpointKind, TokenScope, utcnow
from swarmdeck.store.roles import Role


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    id: int
    name: str
    prefix: str
    username: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None = None  # None: never
    scope: TokenScope = TokenScope.ALL

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()


@dataclass(frozen=True)
class TokenUse:
    """A valid token presented: whose it is, and what it may do."""

    user: UserRecord
    scope: TokenScope


@dataclass(frozen=True)
class SessionRecord:
    user: UserRecord
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class EndpointRecord:
    id: int
    name: str
    url: str
    kind: EndpointKind
    tls_ca: str | None
    tls_cert: str | None
    tls_key: str | None
    tls_material: bool = False  # CA, certificate and (encrypted) key kept in the database

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert or self.tls_ca or self.tls_material)

    @property
    def insecure(self) -> bool:
        """Plain TCP: anyone who reaches the port owns the engine (the report's :2375)."""
        return self.kind is EndpointKind.TCP and not self.tls


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    username: str
    action: str
    target: str
    endpoint: str
    result: str
    client: str


def user_record(row: m.User) -> UserRecord:
    return UserRecord(row.id, row.username, row.role, row.created_at)


def endpoint_record(row: m.Endpoint) -> EndpointRecord:
    files = (row.tls_ca, row.tls_cert, row.tls_key)
    return EndpointRecord(row.id, row.name, row.url, row.kind, *files, row.tls_key_sealed is not None)
