"""SQLAlchemy 2 models of the console's state.

Tables are made and changed by the Alembic revisions in ``store/migrations`` (run at every
start by ``store/schema.py``): a change here needs a new revision there, and a test checks
that the revisions' head matches these models.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from swarmdeck.store.ordering import by_name
from swarmdeck.store.roles import Role


def utcnow() -> datetime:
    return datetime.now(UTC)


class TokenScope(enum.StrEnum):
    """What an API token may do: all its owner may, or only read (as a read-only user)."""

    ALL = "all"
    READ = "read"


class EndpointKind(enum.StrEnum):
    UNIX = "unix"
    TCP = "tcp"
    SSH = "ssh"


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite forgets time zones; every stored time is UTC, so give it back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ApiToken.id"
    )  # made first, listed first (PostgreSQL keeps no order of its own: an update moves a row)
    sessions: Mapped[list[Session]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(Base):
    """A token for scripts. Only its SHA-256 is kept: the token is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scope: Mapped[TokenScope] = mapped_column(
        Enum(TokenScope, values_callable=lambda e: [m.value for m in e], native_enum=False, length=8),
        default=TokenScope.ALL,
        server_default=TokenScope.ALL.value,
    )

    user: Mapped[User] = relationship(back_populates="tokens")


class Session(Base):
    """A browser session. The cookie carries the signed ID; the row can be revoked (logout)."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="sessions")


# The lengths of an endpoint's URL and TLS file paths: PostgreSQL enforces them (SQLite does
# not), so ``endpoints.check_endpoint`` refuses longer values before they are written.
ENDPOINT_URL_LENGTH = 512
ENDPOINT_TLS_PATH_LENGTH = 1024


class Endpoint(Base):
    __tablename__ = "endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    url: Mapped[str] = mapped_column(String(ENDPOINT_URL_LENGTH))
    kind: Mapped[EndpointKind] = mapped_column(
        Enum(EndpointKind, values_callable=lambda e: [m.value for m in e], native_enum=False, length=8)
    )
    tls_ca: Mapped[str | None] = mapped_column(String(ENDPOINT_TLS_PATH_LENGTH), nullable=True)
    tls_cert: Mapped[str | None] = mapped_column(String(ENDPOINT_TLS_PATH_LENGTH), nullable=True)
    tls_key: Mapped[str | None] = mapped_column(String(ENDPOINT_TLS_PATH_LENGTH), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Revision 0002: TLS material kept here rather than as file paths (store/endpoint_tls.py);
    # the key encrypted.
    tls_ca_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    tls_cert_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    tls_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


# A team's members and the endpoints it is granted; rows go with their user, endpoint or team
# (ON DELETE CASCADE: SQLite enforces it with PRAGMA foreign_keys=ON, see db.py).
team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
team_endpoints = Table(
    "team_endpoints",
    Base.metadata,
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("endpoint_id", ForeignKey("endpoints.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Team(Base):
    """Users who share access to some endpoints (admins see every endpoint anyway)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=team_members, order_by=by_name(User.username), passive_deletes=True
    )
    endpoints: Mapped[list[Endpoint]] = relationship(
        secondary=team_endpoints, order_by=by_name(Endpoint.name), passive_deletes=True
    )


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64))  # kept as text: users may be removed
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512), default="")
    endpoint: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[str] = mapped_column(Text)  # "ok", or "error: <message>", "denied", ...
    client: Mapped[str] = mapped_column(String(64), default="")  # the client's address


class LoginFailure(Base):
    """A failed login (or setup code, or current password), kept so that every console process
    on one database counts the same failures."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), index=True)  # as typed, lowercased
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class LoginDelay(Base):
    """An account's failed logins whatever the address (store/throttle.py): after a few, each
    one makes the account wait longer before the next attempt, up to a cap."""

    __tablename__ = "login_delays"

    username: Mapped[str] = mapped_column(String(128), primary_key=True)  # as typed, lowercased
    failures: Mapped[int] = mapped_column(Integer)  # since the last success (or a long quiet)
    attempts: Mapped[int] = mapped_column(Integer)  # never reset: the row's version, for compare-and-set
    last_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())  # no attempt is admitted before then
