"""What every route needs: the store, the authenticator, the engine clients, the audit log.

Endpoints: the resource routes act on the endpoint named by ``?endpoint=NAME`` (default: the
local endpoint, the console's own engine). Admins reach every endpoint; other users the local
one (as before teams existed: every role works on the console's own engine) and those granted
to one of their teams. One client per endpoint is kept, made again when its settings change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import docker
import requests.exceptions
from fastapi import Depends, Query, Request

from swarmdeck.console.clientaddr import Network, client_of
from swarmdeck.console.endpoints import open_client
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    Authenticator,
    LoginThrottle,
    Principal,
)
from swarmdeck.engine.client import api_error, connect
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineUnreachable
from swarmdeck.errors import SwarmdeckError
from swarmdeck.store import EndpointRecord, NotFound, Role, Store, Teams
from swarmdeck.store.setupcode import issue_setup_code, retire_setup_code


@dataclass
class Console:
    store: Store
    auth: Authenticator
    throttle: LoginThrottle
    engine_url: str | None
    endpoint_name: str
    secure_cookies: bool
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For / Forwarded is believed
    _client: docker.DockerClient | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _setup_done: bool = False
    # endpoint name -> (the settings the client was made with, the client)
    _clients: dict[str, tuple[EndpointRecord, docker.DockerClient]] = field(default_factory=dict)
    on_close: list[Callable[[], None]] = field(default_factory=list)  # background work to stop

    def engine(self) -> docker.DockerClient:
        """The local endpoint's client, connected on first use (the console starts without it)."""
        with self._lock:
            if self._client is None:
                self._client = connect(self.engine_url)
            return self._client

    def endpoint_names(self, who: Principal) -> list[str]:
        """The endpoints ``who`` may work on: the local one first, then the granted ones."""
        granted = None if who.role.allows(Role.ADMIN) else Teams(self.store).endpoints_of(who.user.username)
        others = [e.name for e in self.store.list_endpoints() if e.name != self.endpoint_name]
        return [self.endpoint_name] + [n for n in others if granted is None or n in granted]

    def client_on(self, who: Principal, name: str) -> docker.DockerClient:
        """The client for endpoint ``name``: 404 when there is none, 403 when ``who`` may not use it."""
        if name == self.endpoint_name:
            return self.engine()
        try:
            record = self.store.get_endpoint(name)
        except NotFound:
            raise ConsoleError(f"no endpoint named {name!r}", 404) from None
        if not who.role.allows(Role.ADMIN) and name not in Teams(self.store).endpoints_of(who.user.username):
            raise ConsoleError(f"endpoint {name!r} is not granted to any of your teams: ask an admin", 403)
        with self._lock:
            cached = self._clients.get(name)
            if cached is not None and cached[0] == record:
                return cached[1]
            with doing(f"endpoint {name!r}"):  # the SDK's refusal of its settings (TLS files)
                client = open_client(record, tls_files=self.store.endpoint_tls_files(record))
            if cached is not None:
                cached[1].close()  # edited (maybe by another console process): settings changed
            self._clients[name] = (record, client)
            return client

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
        for stop in self.on_close:
            stop()
        if self._client is not None:
            self._client.close()
        for _, client in self._clients.values():
            client.close()
        self.store.close()


def console(request: Request) -> Console:
    return request.app.state.console


def client_address(request: Request) -> str:
    """The client's address: the socket's, or the one a trusted proxy forwarded."""
    peer = request.client.host if request.client else ""
    return client_of(peer, request.headers, console(request).trusted_proxies)


def identify(request: Request) -> Principal | None:
    ctx = console(request)
    return ctx.auth.identify(
        request.method,
        request.headers.get("authorization"),
        request.cookies.get(SESSION_COOKIE),
        request.headers.get(CSRF_HEADER),
    )


def need(role: Role) -> Any:
    """A dependency: the caller, who must be logged in and hold at least ``role``."""

    def dependency(request: Request) -> Principal:
        principal = identify(request)
        if principal is None:
            raise ConsoleError("log in first (POST /api/auth/login), or send an API token", 401)
        if principal.read_only and request.method not in SAFE_METHODS:
            console(request).store.audit(
                principal.user.username,
                f"{request.method} {request.url.path}",
                "denied: read-only token",
                client=client_address(request),
            )
            raise ConsoleError("this API token is read-only (scope read): it may not change anything", 403)
        if not principal.role.allows(role):
            if request.method not in SAFE_METHODS:
                console(request).store.audit(
                    principal.user.username,
                    f"{request.method} {request.url.path}",
                    "denied",
                    client=client_address(request),
                )
            raise ConsoleError(f"{principal.role.value} users may not do this (needs {role.value})", 403)
        return principal

    return Depends(dependency)


READ = need(Role.READ_ONLY)
OPERATE = need(Role.OPERATOR)
ADMIN = need(Role.ADMIN)


@dataclass(frozen=True)
class Target:
    """Who acts on which endpoint, with its client."""

    who: Principal
    endpoint: str
    client: docker.DockerClient


ENDPOINT_PARAM = "endpoint"
ENDPOINT_HELP = "the endpoint to act on (default: the local one, the console's own engine)"


def on_endpoint(role: Role) -> Any:
    """A dependency: the caller (who must hold ``role``) and the endpoint in ``?endpoint=``."""

    caller = need(role)

    def dependency(
        request: Request,
        who: Principal = caller,
        endpoint: Annotated[str | None, Query(max_length=64, description=ENDPOINT_HELP)] = None,
    ) -> Target:
        ctx = console(request)
        name = endpoint or ctx.endpoint_name
        request.state.endpoint = name  # for the 502 of an engine that does not answer
        try:
            client = ctx.client_on(who, name)
        except ConsoleError as exc:
            if request.method not in SAFE_METHODS and exc.status == 403:
                audit(request, who, f"{request.method} {request.url.path}", "denied", endpoint=name)
            raise
        return Target(who, name, client)

    return Depends(dependency)


READ_ON = on_endpoint(Role.READ_ONLY)
OPERATE_ON = on_endpoint(Role.OPERATOR)
ADMIN_ON = on_endpoint(Role.ADMIN)


def audit(
    request: Request,
    principal: Principal | None,
    action: str,
    result: str,
    target: str = "",
    endpoint: str | None = None,
) -> None:
    ctx = console(request)
    ctx.store.audit(
        principal.user.username if principal else "-",
        action,
        result,
        target=target,
        endpoint=ctx.endpoint_name if endpoint is None else endpoint,
        client=client_address(request),
    )


@contextmanager
def audited(
    request: Request, principal: Principal | None, action: str, target: str = "", endpoint: str | None = None
) -> Iterator[None]:
    """Run a change and write its result to the audit log, whether it worked or not."""

    def record(result: str) -> None:
        audit(request, principal, action, result, target, endpoint)

    with recorded(record):
        yield


@contextmanager
def recorded(record: Callable[[str], None]) -> Iterator[None]:
    """Run a change and hand its result ("ok", "error: ...") to ``record``, whether it worked
    or not (``audited`` for a request; a change without one, a webhook's, audits its own)."""
    try:
        yield
    except EngineUnreachable as exc:
        record(f"error: the endpoint does not answer: {exc.reason or exc}")
        raise
    except SwarmdeckError as exc:
        record(f"error: {exc}")
        raise
    except requests.exceptions.RequestException as exc:
        record(f"error: {api_error('the endpoint does not answer', exc)}")
        raise
    except Exception as exc:  # a bug is audited too (its type only), then raised as it is
        record(f"error: {type(exc).__name__}")
        raise
    record("ok")
