"""What every route needs: the store, the authenticator, the engine client, the audit log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import docker
from fastapi import Depends, Request

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    Authenticator,
    LoginThrottle,
    Principal,
)
from swarmdeck.engine.client import connect
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import Role, Store
from swarmdeck.store.setupcode import issue_setup_code, retire_setup_code


@dataclass
class Console:
    store: Store
    auth: Authenticator
    throttle: LoginThrottle
    engine_url: str | None
    endpoint_name: str
    secure_cookies: bool
    _client: docker.DockerClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _setup_done: bool = False

    def engine(self) -> docker.DockerClient:
        """The local endpoint's client, connected on first use (the console starts without it)."""
        with self._lock:
            if self._client is None:
                self._client = connect(self.engine_url)
            return self._client

    def set_up(self) -> bool:
        """True once an admin exists (checked until then: the CLI may create one meanwhile).

        Until then the one-time setup code waits in the data directory; from then on it is gone.
        """
        if not self._setup_done:
            self._setup_done = self.store.has_admin()
            if self._setup_done:
                retire_setup_code(self.store.data_dir)
            else:
                issue_setup_code(self.store.data_dir)
        return self._setup_done

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.store.close()


def console(request: Request) -> Console:
    return request.app.state.console


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def identify(request: Request) -> Principal | None:
    ctx = console(request)
    return ctx.auth.identify(request.method, request.headers.get("authorization"),
                             request.cookies.get(SESSION_COOKIE), request.headers.get(CSRF_HEADER))


def need(role: Role):  # type: ignore[no-untyped-def]
    """A dependency: the caller, who must be logged in and hold at least ``role``."""

    def dependency(request: Request) -> Principal:
        principal = identify(request)
        if principal is None:
            raise ConsoleError("log in first (POST /api/auth/login), or send an API token", 401)
        if not principal.role.allows(role):
            if request.method not in SAFE_METHODS:
                console(request).store.audit(principal.user.username, f"{request.method} {request.url.path}",
                                             "denied", client=client_address(request))
            raise ConsoleError(f"{principal.role.value} users may not do this (needs {role.value})", 403)
        return principal

    return Depends(dependency)


READ = need(Role.READ_ONLY)
OPERATE = need(Role.OPERATOR)
ADMIN = need(Role.ADMIN)


def audit(request: Request, principal: Principal | None, action: str, result: str, target: str = "",
          endpoint: str | None = None) -> None:
    ctx = console(request)
    ctx.store.audit(principal.user.username if principal else "-", action, result, target=target,
                    endpoint=ctx.endpoint_name if endpoint is None else endpoint,
                    client=client_address(request))


@contextmanager
def audited(request: Request, principal: Principal | None, action: str, target: str = "",
            endpoint: str | None = None) -> Iterator[None]:
    """Run a change and write its result to the audit log, whether it worked or not."""

    def record(result: str) -> None:
        audit(request, principal, action, result, target, endpoint)

    try:
        yield
    except SwarmdeckError as exc:
        record(f"error: {exc}")
        raise
    except Exception as exc:
        record(f"error: {type(exc).__name__}")
        raise
    record("ok")
