"""The store's operations: users, API tokens, sessions, endpoints and the audit log.

Every method opens its own short transaction, so one ``Store`` serves many threads.
Plain frozen records come back (store/records.py), never ORM objects.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from swarmdeck.store import endpoint_tls, locks
from swarmdeck.store import models as m
from swarmdeck.store.datadir import Loose, secure_data_dir
from swarmdeck.store.db import open_engine
from swarmdeck.store.endpoints import NAME_CHARS, check_endpoint
from swarmdeck.store.errors import Conflict, Invalid, NotFound, StoreError
from swarmdeck.store.models import EndpointKind, TokenScope, utcnow
from swarmdeck.store.ordering import by_name
from swarmdeck.store.passwords import check_password
from swarmdeck.store.records import (
    AuditRecord,
    EndpointRecord,
    SessionRecord,
    TokenRecord,
    TokenUse,
    UserRecord,
    endpoint_record,
    user_record,
)
from swarmdeck.store.roles import Role
from swarmdeck.store.setupcode import retire_setup_code

TOKEN_PREFIX = "sdk_"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)  # how precisely a token's last use is kept


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Store:
    """The console's state behind one small API."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        # Owner-only (0700/0600); what was looser is tightened and listed here for the console to say.
        self.loose: list[Loose] = secure_data_dir(self.data_dir)
        self.engine: Engine = open_engine(data_dir, database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._hasher = PasswordHasher()
        # Verified against when a username is unknown, so timing does not tell names apart.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        self.engine.dispose()

    def transaction(self) -> AbstractContextManager[OrmSession]:
        """A transaction for the store's other parts (teams), with the same error translation."""
        return self._tx()

    @contextmanager
    def _tx(self) -> Iterator[OrmSession]:
        try:
            with self._sessions.begin() as session:
                yield session
        except IntegrityError as exc:
            raise Conflict(f"already exists or still in use ({exc.orig})") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"the console's database failed: {exc.__class__.__name__}") from exc

    # --- users ----------------------------------------------------------------------
    def has_admin(self) -> bool:
        with self._tx() as s:
            return bool(s.scalar(select(func.count()).select_from(m.User).where(m.User.role == Role.ADMIN)))

    def create_user(self, username: str, password: str, role: Role | str) -> UserRecord:
        return self._add_user(username, password, _role(role), first_admin=False)

    def create_first_admin(self, username: str, password: str) -> UserRecord:
        """Create the first admin; refused once any admin exists (setup happens once). The
        check and the insert are one step under a lock every console takes (store/locks.py),
        so of setups racing (two requests, two console replicas) one wins, the rest conflict."""
        return self._add_user(username, password, Role.ADMIN, first_admin=True)

    def _add_user(self, username: str, password: str, role: Role, first_admin: bool) -> UserRecord:
        _check_username(username)
        check_password(password, username)
        password_hash = self._hasher.hash(password)  # slow: before any lock is taken
        with self._tx() as s:
            if first_admin:
                locks.hold(s, locks.SETUP)
                if s.scalar(select(m.User.id).where(m.User.role == Role.ADMIN).limit(1)) is not None:
                    raise Conflict("swarmdeck is already set up: an admin exists")
            if s.scalar(select(m.User).where(m.User.username == username)) is not None:
                raise Conflict(f"a user named {username!r} already exists")
            row = m.User(username=username, password_hash=password_hash, role=role)
            s.add(row)
            s.flush()
            made = user_record(row)
        if role is Role.ADMIN:
            retire_setup_code(self.data_dir)  # set up now: the one-time code is spent
        return made

    def authenticate(self, username: str, password: str) -> UserRecord | None:
        with self._tx() as s:
            row = s.scalar(select(m.User).where(m.User.username == username))
            stored = row.password_hash if row is not None else self._dummy_hash
            try:
                self._hasher.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None:
                return None
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            return user_record(row)

    def get_user(self, username: str) -> UserRecord:
        with self._tx() as s:
            return user_record(self._user_row(s, username))

    def list_users(self) -> list[UserRecord]:
        with self._tx() as s:
            return [user_record(r) for r in s.scalars(select(m.User).order_by(by_name(m.User.username)))]

    def update_user(
        self, username: str, role: Role | str | None = None, password: str | None = None
    ) -> UserRecord:
        with self._tx() as s:
            row = self._user_row(s, username)
            if role is not None:
                new_role = _role(role)
                if row.role is Role.ADMIN and new_role is not Role.ADMIN:
                    self._keep_an_admin(s, row)
                row.role = new_role
            if password is not None:
                check_password(password, row.username)
                row.password_hash = self._hasher.hash(password)
                # A new password ends every browser session opened with the old one.
                row.sessions.clear()
            return user_record(row)

    def delete_user(self, username: str) -> None:
        with self._tx() as s:
            row = self._user_row(s, username)
            if row.role is Role.ADMIN:
                self._keep_an_admin(s, row)
            s.delete(row)

    def _keep_an_admin(self, s: OrmSession, row: m.User) -> None:
        """Refuse to take away the last admin, counting the admins' rows locked: on PostgreSQL
        another console demoting another admin is waited for (a plain count still saw its admin,
        and two consoles at once left none); on SQLite the later writer fails instead."""
        admins = s.scalars(select(m.User.id).where(m.User.role == Role.ADMIN).with_for_update()).all()
        if len(admins) <= 1:
            raise Conflict(f"{row.username} is the last admin: make another admin first")

    @staticmethod
    def _user_row(s: OrmSession, username: str) -> m.User:
        row = s.scalar(select(m.User).where(m.User.username == username))
        if row is None:
            raise NotFound(f"no user named {username!r}")
        return row

    # --- API tokens -----------------------------------------------------------------
    def create_token(
        self,
        username: str,
        name: str,
        expires_in: timedelta | None = None,
        scope: TokenScope | str = TokenScope.ALL,
    ) -> tuple[TokenRecord, str]:
        """A new token for ``username``; the plain token is returned here and never again.

        ``expires_in``: refused from then on (None: valid until revoked). ``scope`` "read": the
        token acts as a read-only user whatever its owner's role.
        """
        if not name.strip() or len(name) > 64:
            raise Invalid("a token needs a name of 1 to 64 characters")
        try:
            scope = TokenScope(scope)
        except ValueError:
            raise Invalid(
                f"unknown token scope {scope!r} (scopes: {', '.join(s.value for s in TokenScope)})"
            ) from None
        if expires_in is not None and expires_in <= timedelta(0):
            raise Invalid("a token's lifetime must be positive")
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._tx() as s:
            user = self._user_row(s, username)
            row = m.ApiToken(
                user_id=user.id,
                name=name.strip(),
                token_hash=_sha256(plain),
                prefix=plain[:10],
                scope=scope,
                expires_at=utcnow() + expires_in if expires_in is not None else None,
            )
            s.add(row)
            s.flush()
            return self._token(row, user.username), plain

    def verify_token(self, plain: str) -> UserRecord | None:
        """The token's user, or None (unknown, revoked or expired)."""
        use = self.use_token(plain)
        return use.user if use else None

    def use_token(self, plain: str) -> TokenUse | None:
        """The token's user and scope, or None when it is unknown (revoked) or expired.
        ``last_used_at`` moves at most once a minute: writing it on every request would make
        each scripted call a database commit."""
        with self._tx() as s:
            row = s.scalar(select(m.ApiToken).where(m.ApiToken.token_hash == _sha256(plain)))
            if row is None:
                return None
            now = utcnow()
            if row.expires_at is not None and row.expires_at <= now:
                return None
            if row.last_used_at is None or now - row.last_used_at >= TOKEN_USE_RESOLUTION:
                row.last_used_at = now
            return TokenUse(user_record(row.user), row.scope)

    def list_tokens(self, username: str) -> list[TokenRecord]:
        with self._tx() as s:
            user = self._user_row(s, username)
            return [self._token(t, user.username) for t in user.tokens]

    def revoke_token(self, username: str, token_id: int) -> None:
        with self._tx() as s:
            user = self._user_row(s, username)
            row = s.get(m.ApiToken, token_id)
            if row is None or row.user_id != user.id:
                raise NotFound(f"{username} has no token {token_id}")
            s.delete(row)

    @staticmethod
    def _token(row: m.ApiToken, username: str) -> TokenRecord:
        return TokenRecord(
            row.id,
            row.name,
            row.prefix,
            username,
            row.created_at,
            row.last_used_at,
            row.expires_at,
            row.scope,
        )

    # --- sessions -------------------------------------------------------------------
    def create_session(self, username: str, ttl: timedelta) -> tuple[str, SessionRecord]:
        """A new session; returns its ID (kept only as a hash here) and the record."""
        session_id = secrets.token_urlsafe(32)
        with self._tx() as s:
            user = self._user_row(s, username)
            row = m.Session(
                id_hash=_sha256(session_id),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                expires_at=utcnow() + ttl,
            )
            s.add(row)
            s.flush()
            return session_id, SessionRecord(user_record(user), row.csrf_token, row.expires_at)

    def get_session(self, session_id: str) -> SessionRecord | None:
        with self._tx() as s:
            row = s.get(m.Session, _sha256(session_id))
            if row is None:
                return None
            if row.expires_at <= utcnow():
                s.delete(row)
                return None
            return SessionRecord(user_record(row.user), row.csrf_token, row.expires_at)

    def delete_session(self, session_id: str) -> None:
        with self._tx() as s:
            row = s.get(m.Session, _sha256(session_id))
            if row is not None:
                s.delete(row)

    def purge_expired_sessions(self) -> int:
        with self._tx() as s:
            rows = list(s.scalars(select(m.Session).where(m.Session.expires_at <= utcnow())))
            for row in rows:
                s.delete(row)
            return len(rows)

    # --- endpoints ------------------------------------------------------------------
    def add_endpoint(
        self,
        name: str,
        url: str,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_material: endpoint_tls.TLSMaterial | None = None,
        check: Callable[[EndpointRecord], None] | None = None,
    ) -> EndpointRecord:
        """Add an endpoint (TLS as file paths, or ``tls_material`` kept here). ``check`` sees it,
        valid, before anything is written: it refuses by raising (the connectivity check)."""
        kind = check_endpoint(name, url, tls_ca, tls_cert, tls_key)
        if tls_material is not None:
            endpoint_tls.check_material(tls_material, kind, bool(tls_ca or tls_cert or tls_key))
        if check is not None:
            check(EndpointRecord(0, name, url, kind, tls_ca or None, tls_cert or None, tls_key or None))
        with self._tx() as s:
            if s.scalar(select(m.Endpoint).where(m.Endpoint.name == name)) is not None:
                raise Conflict(f"an endpoint named {name!r} already exists")
            row = m.Endpoint(
                name=name,
                url=url,
                kind=kind,
                tls_ca=tls_ca or None,
                tls_cert=tls_cert or None,
                tls_key=tls_key or None,
            )
            if tls_material is not None:
                endpoint_tls.keep_material(row, tls_material, self.data_dir)
            s.add(row)
            s.flush()
            return endpoint_record(row)

    def update_endpoint(
        self,
        name: str,
        url: str | None = None,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        check: Callable[[EndpointRecord], None] | None = None,
    ) -> EndpointRecord:
        """Change an endpoint; ``None`` keeps a field, an empty string clears a TLS path.
        ``check`` sees it as it would be, before anything is written (as in ``add_endpoint``)."""
        old = self.get_endpoint(name)
        url = old.url if url is None else url
        given = {"tls_ca": tls_ca, "tls_cert": tls_cert, "tls_key": tls_key}
        tls = {k: getattr(old, k) if v is None else (v or None) for k, v in given.items()}
        kind, files = check_endpoint(name, url, **tls), (tls["tls_ca"], tls["tls_cert"], tls["tls_key"])
        if old.tls_material and (kind is not EndpointKind.TCP or any(files)):
            raise Invalid(f"endpoint {name!r} keeps its TLS material: a tcp:// URL, no TLS files")
        new = EndpointRecord(old.id, name, url, kind, *files, old.tls_material)
        if check is not None:
            check(new)
        with self._tx() as s:
            row = self._endpoint_row(s, name)
            row.kind = new.kind
            for key, value in {"url": url, **tls}.items():
                setattr(row, key, value)
            return endpoint_record(row)

    def get_endpoint(self, name: str) -> EndpointRecord:
        with self._tx() as s:
            return endpoint_record(self._endpoint_row(s, name))

    def list_endpoints(self) -> list[EndpointRecord]:
        with self._tx() as s:
            return [
                endpoint_record(r) for r in s.scalars(select(m.Endpoint).order_by(by_name(m.Endpoint.name)))
            ]

    def remove_endpoint(self, name: str) -> None:
        with self._tx() as s:
            s.delete(self._endpoint_row(s, name))
        endpoint_tls.forget(self.data_dir, name)

    def endpoint_tls_files(self, endpoint: EndpointRecord) -> tuple[str | None, str | None, str | None]:
        """The CA, certificate and key files for ``endpoint``: its paths, or its material written out."""
        if not endpoint.tls_material:
            return endpoint.tls_ca, endpoint.tls_cert, endpoint.tls_key
        with self._tx() as s:
            material = endpoint_tls.kept_material(self._endpoint_row(s, endpoint.name), self.data_dir)
        return endpoint_tls.materialize(self.data_dir, endpoint.name, material)

    @staticmethod
    def _endpoint_row(s: OrmSession, name: str) -> m.Endpoint:
        row = s.scalar(select(m.Endpoint).where(m.Endpoint.name == name))
        if row is None:
            raise NotFound(f"no endpoint named {name!r}")
        return row

    # --- audit log ------------------------------------------------------------------
    def audit(
        self, username: str, action: str, result: str, target: str = "", endpoint: str = "", client: str = ""
    ) -> None:
        with self._tx() as s:
            s.add(
                m.AuditEntry(
                    username=username,
                    action=action,
                    target=target[:512],
                    endpoint=endpoint,
                    result=result,
                    client=client[:64],
                )
            )

    def list_audit(
        self, offset: int = 0, limit: int = 50, action: str | None = None
    ) -> tuple[list[AuditRecord], int]:
        """The newest entries first, and how many there are in all."""
        query = select(m.AuditEntry)
        count = select(func.count()).select_from(m.AuditEntry)
        if action:
            query = query.where(m.AuditEntry.action == action)
            count = count.where(m.AuditEntry.action == action)
        with self._tx() as s:
            rows = s.scalars(query.order_by(m.AuditEntry.id.desc()).offset(offset).limit(limit))
            total = s.scalar(count) or 0
            return [
                AuditRecord(r.id, r.at, r.username, r.action, r.target, r.endpoint, r.result, r.client)
                for r in rows
            ], total


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(f"unknown role {value!r} (roles: {', '.join(r.value for r in Role)})") from None


def _check_username(username: str) -> None:
    if not 1 <= len(username) <= 64 or not set(username) <= NAME_CHARS:
        raise Invalid("a username is 1 to 64 letters, digits, '.', '_' or '-'")
