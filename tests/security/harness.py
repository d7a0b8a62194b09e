"""The security suite's harness: a real console served over HTTP by uvicorn (on a fresh data
directory, one user per role, node B's engine as an endpoint granted to one team), and the
console's routes read from the app itself, so that a new route becomes a case by itself.

Users (all with PASSWORD): ``admin``; ``oper``, an operator in team ``red``, which is granted
node B's endpoint; ``viewer`` (read-only); ``outsider``, an operator in team ``blue``, which
is granted nothing.
"""

from __future__ import annotations

import re
import secrets
import ssl
import time
import typing
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import httpx
from fastapi import FastAPI
from starlette.routing import Mount

from swarmdeck.console import create_app
from swarmdeck.store import Role, Store
from tests.support.served import serve_app
from tests.testbed import engines

# Random, so that a password-strength check cannot refuse it; the same for every user.
PASSWORD = f"sdsec {secrets.token_urlsafe(18)}"
RUN = uuid.uuid4().hex[:8]
PREFIX = f"sdsec-{RUN}"  # every engine object this suite makes starts with this
NODE_B = "nodeb"
USERS = {"admin": Role.ADMIN, "oper": Role.OPERATOR, "viewer": Role.READ_ONLY, "outsider": Role.OPERATOR}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"
NOWHERE = "sdsec-nowhere"  # an endpoint that does not exist
# Routes whose authorised calls would change the whole (shared) swarm: sent to NOWHERE.
AWAY = {
    "POST /api/swarm/init",
    "POST /api/swarm/join",
    "POST /api/swarm/leave",
    "POST /api/swarm/join-tokens/worker/rotate",
    "POST /api/swarm/join-tokens/manager/rotate",
}
# Harmless values: nothing has these ids or names.
PATH_VALUES = {
    "token_id": "999999",
    "username": "sdsec-nobody",
    "name": "sdsec-nothing",
    "endpoint": "sdsec-nothing",
    "ref": "sdsec-nothing",
    "node_id": "sdsecnothing",
    "path": "app.js",
    "secret": "sdsecnothingsdsecnothing",  # a Git stack's webhook secret that is no one's
}
QUERY_VALUES = {"repository": "sdsec/nothing", "reference": "latest", "tag": "latest"}
_TLS = ssl.create_default_context()  # made once: each httpx client would otherwise load its own (~0.2 s)


# --- the console, served ---------------------------------------------------------------
@dataclass
class Served:
    app: FastAPI
    url: str
    clients: list[httpx.Client] = field(default_factory=list)
    sessions: dict[str, httpx.Client] = field(default_factory=dict)
    csrf: dict[int, str] = field(default_factory=dict)  # id(client) -> its session's CSRF token

    @property
    def store(self) -> Store:
        return self.app.state.console.store

    def client(self, **kwargs: Any) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=60, verify=_TLS, **kwargs)
        self.clients.append(client)
        return client

    def login(self, username: str, send_csrf: bool = True) -> httpx.Client:
        """A browser-like client: the session cookie, and (unless told not to, as a forged
        request from another site would not) the session's CSRF token on every request."""
        client = self.client()
        answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        self.csrf[id(client)] = answer.json()["csrf_token"]
        if send_csrf:
            client.headers[CSRF_HEADER] = self.csrf[id(client)]
        return client

    def session(self, username: str) -> httpx.Client:
        """One logged-in client per user, kept while the console runs."""
        if username not in self.sessions:
            self.sessions[username] = self.login(username)
        return self.sessions[username]

    def anonymous(self) -> httpx.Client:
        """A client without credentials (the same one each time, its cookies cleared)."""
        if " anonymous" not in self.sessions:
            self.sessions[" anonymous"] = self.client()
        client = self.sessions[" anonymous"]
        client.cookies.clear()
        return client

    def token(self, username: str) -> tuple[int, str]:
        """A new API token of ``username`` (an operator or admin), made through the API: (id, token)."""
        made = self.session(username).post("/api/tokens", json={"name": f"sdsec-{secrets.token_hex(3)}"})
        assert made.status_code == 201, made.text
        return made.json()["id"], made.json()["token"]

    def bearer(self, username: str) -> httpx.Client:
        """A script-like client: an API token of ``username`` and nothing else."""
        return self.client(headers={"Authorization": f"Bearer {self.token(username)[1]}"})

    def audit_total(self) -> int:
        return self.store.list_audit(0, 1)[1]

    def audit_since(self, total: int) -> list[Any]:
        """The entries written since the log held ``total`` entries, oldest first."""
        now = self.audit_total()
        return list(reversed(self.store.list_audit(0, now - total)[0])) if now > total else []


@contextmanager
def serve(data_dir: Path, *, node_b: bool = False) -> Iterator[Served]:
    """A console on ``data_dir`` with the four users, served on a free loopback port."""
    app = create_app(data_dir)
    store: Store = app.state.console.store
    for name, role in USERS.items():
        store.create_user(name, PASSWORD, role)
    try:
        with serve_app(app) as url:
            served = Served(app, url)
            try:
                if node_b:
                    grant_node_b(served)
                yield served
            finally:
                for client in served.clients:
                    client.close()
    finally:
        app.state.console.close()


def grant_node_b(served: Served) -> None:
    """Node B's engine (TCP with TLS client certificates) as endpoint NODE_B, granted to team
    red (oper); team blue (outsider) has no grant."""
    admin = served.login("admin")
    tls = engines.NODE_B_CLIENT_TLS
    for method, path, body in [
        (
            "POST",
            "/api/endpoints",
            {
                "name": NODE_B,
                "url": engines.NODE_B_TCP_URL,
                "tls_ca": str(tls.ca),
                "tls_cert": str(tls.cert),
                "tls_key": str(tls.key),
            },
        ),
        ("POST", "/api/teams", {"name": "red"}),
        ("POST", "/api/teams", {"name": "blue"}),
        ("POST", "/api/teams/red/members", {"username": "oper"}),
        ("POST", "/api/teams/blue/members", {"username": "outsider"}),
        ("POST", "/api/teams/red/endpoints", {"endpoint": NODE_B}),
    ]:
        answer = admin.request(method, path, json=body)
        assert answer.status_code == 201, (path, answer.text)


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    text: str  # empty for an event stream (only its start is read)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


def call(client: httpx.Client, method: str, url: str, **kwargs: Any) -> Answer:
    """One request; an event stream is closed as soon as its status and headers are in."""
    with client.stream(method, url, **kwargs) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return Answer(response.status_code, response.headers, "")
        response.read()
        return Answer(response.status_code, response.headers, response.text)


# --- the routes, from the app --------------------------------------------------------
@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str  # as declared, e.g. /api/images/{ref:path}
    route: Any  # the route object (None for a mount)
    kind: str  # "api" (in the OpenAPI document), "page", "openapi", "static"

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def safe(self) -> bool:
        return self.method in SAFE_METHODS


def _walk(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # FastAPI's included routers
            yield from _walk(route.effective_candidates())
        else:
            yield route


def app_routes(app: FastAPI) -> list[RouteInfo]:
    """Every (method, route) the app answers, HEAD aside (it follows GET)."""
    found: list[RouteInfo] = []
    for route in _walk(list(app.routes)):
        if isinstance(route, Mount):
            found.append(RouteInfo("GET", f"{route.path}/{{path:path}}", None, "static"))
            continue
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            kind = "openapi" if route.path == app.openapi_url else "other"
        else:
            kind = "api" if route.include_in_schema else "page"
        for method in sorted(set(route.methods or ()) - {"HEAD"}):
            found.append(RouteInfo(method, route.path, route, kind))
    return found


def throwaway_app_routes() -> list[RouteInfo]:
    """The routes of a console made on a scratch data directory (for collecting cases)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sdsec-routes-") as scratch:
        app = create_app(Path(scratch) / "data")
        try:
            return app_routes(app)
        finally:
            app.state.console.close()


PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def path_params(route: RouteInfo) -> list[str]:
    return PARAM.findall(route.path)


def enum_choices(route: RouteInfo, name: str) -> tuple[str, ...]:
    """The values a Literal path parameter takes (empty for a free one)."""
    if route.route is None:
        return ()
    for param in route.route.dependant.path_params:
        if param.name == name and typing.get_origin(param.field_info.annotation) is typing.Literal:
            return tuple(str(v) for v in typing.get_args(param.field_info.annotation))
    return ()


def _dependants(dependant: Any) -> Iterator[Any]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def query_params(route: RouteInfo) -> dict[str, bool]:
    """name -> required, over the route and all its dependencies."""
    if route.route is None or getattr(route.route, "dependant", None) is None:
        return {}
    return {
        p.name: p.field_info.is_required() for d in _dependants(route.route.dependant) for p in d.query_params
    }


def text_query_params(route: RouteInfo) -> list[str]:
    """The query parameters that take any text (str, or str | None)."""
    if route.route is None or getattr(route.route, "dependant", None) is None:
        return []
    return [
        p.name
        for d in _dependants(route.route.dependant)
        for p in d.query_params
        if p.field_info.annotation in (str, str | None)
    ]


def takes_endpoint(route: RouteInfo) -> bool:
    """Whether a dependency reads ``?endpoint=`` (the resource and swarm routes of the API)."""
    return "endpoint" in query_params(route)


def fill(path: str, values: dict[str, str]) -> str:
    """The path with its parameters replaced (values are percent-encoded by the caller)."""
    return PARAM.sub(lambda m: values[m.group(1)], path)


def _put(path: str, name: str, value: str) -> str:
    return PARAM.sub(lambda m: value if m.group(1) == name else m.group(0), path)


def expansions(route: RouteInfo) -> list[tuple[str, dict[str, str]]]:
    """(signature, enum values) per value of the route's Literal path parameters; the
    signature is the path with those values in place, e.g. POST /api/nodes/{node_id}/drain."""
    out: list[tuple[str, dict[str, str]]] = [(route.path, {})]
    for name in path_params(route):
        choices = enum_choices(route, name)
        if choices:
            out = [(_put(sig, name, c), {**vals, name: c}) for sig, vals in out for c in choices]
    return [(f"{route.method} {sig}", vals) for sig, vals in out]


# --- engine cleanup --------------------------------------------------------------------
def remove_prefixed(engine: docker.DockerClient, prefix: str = PREFIX) -> None:
    """Remove every service, secret, config, container, network and volume whose name starts
    with ``prefix`` (the objects of a stack named so start with it too)."""
    with suppress(docker.errors.APIError):  # not a swarm manager: no swarm objects to remove
        for kind in (engine.services, engine.secrets, engine.configs):
            for item in kind.list():
                if item.name.startswith(prefix):
                    with suppress(docker.errors.NotFound):
                        item.remove()
    for container in engine.containers.list(all=True, filters={"name": prefix}):
        with suppress(docker.errors.NotFound):
            container.remove(force=True)
    deadline = time.monotonic() + 30
    for network in engine.networks.list():
        if network.name.startswith(prefix):
            while True:
                try:
                    network.remove()
                    break
                except docker.errors.NotFound:
                    break
                except docker.errors.APIError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)  # a removed service's tasks still hold it
    for volume in engine.volumes.list(filters={"name": prefix}):
        if volume.name.startswith(prefix):
            with suppress(docker.errors.NotFound):
                volume.remove(force=True)
