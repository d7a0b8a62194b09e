"""Who is asking, and may they: sessions, CSRF, API tokens, roles and login throttling.

- Browser sessions: the cookie holds a session ID signed with a secret generated once per
  data directory (0600), or derived from a secret shared by the console's replicas
  (``store/sharedkeys.py``). The session row is server-side, so logout and a password change
  end it at once, and it expires. Cookies are HttpOnly and SameSite=Strict.
- CSRF: a request authenticated by the cookie that changes anything must carry the
  session's token in ``X-CSRF-Token`` (pages put it in every htmx request and fetch call).
- API tokens: ``Authorization: Bearer`` only. A token in a URL ends up in proxy and server
  logs and in browser history, so ``?token=``/``?access_token=`` is refused outright. A token
  may expire (then it is refused like a revoked one) and may be read-only: it then acts as a
  read-only user whatever its owner's role, and no request that changes anything passes.
- Throttling, two limits: 5 failed logins per username and client address within 5 minutes
  block that pair for the rest of the window; and per account, whatever the address, a
  growing delay after 5 failures in a row (1 s, doubling, at most 5 minutes: see
  ``DelaySchedule``), so many addresses get few guesses and the owner is never locked out
  for long. Failures are kept in the database, so several console processes on one data
  directory (or database) count them together. The client address is the socket's, or the
  one a configured trusted proxy forwarded (``clientaddr``).
"""

from __future__ import annotations

import hmac
import math
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from swarmdeck.console.errors import ConsoleError
from swarmdeck.store import (
    AccountDelays,
    DelaySchedule,
    LoginFailures,
    Role,
    SessionRecord,
    Store,
    TokenScope,
    UserRecord,
)
from swarmdeck.store.keyfiles import owner_only_secret
from swarmdeck.store.models import utcnow
from swarmdeck.store.sharedkeys import SESSION_KEY_FILE

SESSION_COOKIE = "swarmdeck_session"
CSRF_HEADER = "X-CSRF-Token"
SECRET_FILE = SESSION_KEY_FILE
URL_TOKEN_PARAMS = frozenset({"token", "access_token", "api_key", "apikey"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def load_secret(data_dir: Path) -> bytes:
    """The signing secret, generated on first use and kept readable by the owner only."""
    return owner_only_secret(data_dir / SECRET_FILE, lambda: secrets.token_bytes(32))


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user, and how they proved it."""

    user: UserRecord  # a read-only token's user carries the read-only role
    via: str  # "session" | "token"
    session_id: str = ""
    csrf_token: str = ""
    scope: TokenScope = TokenScope.ALL  # a token's; sessions may do all their user may

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def read_only(self) -> bool:
        """A read-only token: refused on every request that changes something."""
        return self.scope is TokenScope.READ


class Authenticator:
    def __init__(self, store: Store, secret: bytes, session_seconds: int) -> None:
        self.store = store
        self.session_seconds = session_seconds
        self._signer = URLSafeTimedSerializer(secret, salt="swarmdeck-session")

    def sign(self, session_id: str) -> str:
        return self._signer.dumps(session_id)

    def session_from_cookie(self, cookie: str | None) -> tuple[str, SessionRecord] | None:
        if not cookie:
            return None
        try:
            session_id = self._signer.loads(cookie, max_age=self.session_seconds)
        except BadSignature:
            return None
        record = self.store.get_session(session_id)
        return (session_id, record) if record else None

    def identify(
        self, method: str, authorization: str | None, cookie: str | None, csrf_header: str | None
    ) -> Principal | None:
        """The caller, or None when anonymous; a bad token or a missing CSRF token refuses."""
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ConsoleError("Authorization: only 'Bearer <API token>' is accepted", 401)
            use = self.store.use_token(value.strip())
            if use is None:
                raise ConsoleError("the API token is not valid (revoked, expired, or mistyped)", 401)
            if use.scope is TokenScope.READ:  # acts as a read-only user, whatever the owner's role
                return Principal(replace(use.user, role=Role.READ_ONLY), "token", scope=use.scope)
            return Principal(use.user, "token")
        found = self.session_from_cookie(cookie)
        if found is None:
            return None
        session_id, record = found
        if method not in SAFE_METHODS and not (
            csrf_header and hmac.compare_digest(csrf_header, record.csrf_token)
        ):
            raise ConsoleError(f"missing or wrong CSRF token: send the session's token in {CSRF_HEADER}", 403)
        return Principal(record.user, "session", session_id, record.csrf_token)


class LoginThrottle:
    """Failed logins: at most ``limit`` per (username, client) within ``window`` seconds, and
    per account a delay that grows with its failures in a row (``delays``)."""

    def __init__(
        self, store: Store, limit: int = 5, window: float = 300.0, delays: DelaySchedule | None = None
    ) -> None:
        self.failures = LoginFailures(store)
        self.accounts = AccountDelays(store, delays)
        self.limit = limit
        self.window = timedelta(seconds=window)

    def admit(self, username: str, client: str) -> int:
        """Seconds to wait before trying again; 0: go ahead. An admitted attempt counts
        against the account until ``succeeded``; call ``failed`` when it fails."""
        wait = self.retry_after(username, client)
        if wait:
            return wait
        return math.ceil(self.accounts.claim(username, utcnow()))

    def retry_after(self, username: str, client: str) -> int:
        """Seconds until the pair may try again; 0 when it may now (the pair's limit only)."""
        now = utcnow()
        count, oldest = self.failures.since(username, client, now - self.window)
        if count < self.limit or oldest is None:
            return 0
        return max(1, int((oldest + self.window - now).total_seconds()) + 1)

    def failed(self, username: str, client: str) -> None:
        now = utcnow()
        self.failures.add(username, client, now, forget_before=now - self.window)

    def succeeded(self, username: str, client: str) -> None:
        self.failures.clear(username, client)
        self.accounts.clear(username)
