"""Issue 10, item 9: a registry's credentials go to the token service it names only over
HTTPS, on the registry's own host, or when an admin allowed that realm.

A real registry (Debian's distribution, in a container) with token authentication names as
its realm a real HTTP server on another loopback address (127.0.0.2) that records every
request: through the console's API and through `swarmdeck registry`, nothing reaches it until
an admin allows that realm for that registry. A second registry whose token service is on
its own host gets the credentials as before.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.realms import check_realm, normalize_realm
from tests.support.pki import a_ca_pem
from tests.testbed.registry_containers import registry_container

from .auth_live import swarmdeck

SECRET = "registry secret 7f3a"
BASIC = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()


@dataclass
class Recorder:
    """A token service that writes down whatever it receives."""

    url: str
    seen: list[dict[str, str]] = field(default_factory=list)

    def all_received(self) -> str:
        return json.dumps(self.seen)


@contextmanager
def recorder(host: str) -> Iterator[Recorder]:
    rec = Recorder("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            rec.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            body = json.dumps({"token": "not-a-token-the-registry-takes"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    rec.url = f"http://{host}:{server.server_address[1]}/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def token_registry(engine, realm: str, tmp_path) -> Iterator[str]:
    """A registry with token authentication whose challenges name ``realm``."""
    folder = tmp_path / f"auth-{abs(hash(realm))}"
    folder.mkdir()
    (folder / "root.crt").write_text(a_ca_pem())
    environment = {
        "REGISTRY_AUTH": "token",
        "REGISTRY_AUTH_TOKEN_REALM": realm,
        "REGISTRY_AUTH_TOKEN_SERVICE": "swarmdeck-test",
        "REGISTRY_AUTH_TOKEN_ISSUER": "swarmdeck-test",
        "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE": "/auth/root.crt",
    }
    with registry_container(
        engine, environment, {str(folder): {"bind": "/auth", "mode": "ro"}}, ready_status=401
    ) as address:
        challenge = httpx.get(f"http://{address}/v2/", timeout=10).headers["WWW-Authenticate"]
        assert f'realm="{realm}"' in challenge
        yield address


@pytest.fixture
def hostile(tmp_path, engine) -> Iterator[tuple[str, Recorder]]:
    """A registry naming a token service on another host (127.0.0.2), over plain HTTP."""
    with recorder("127.0.0.2") as rec, token_registry(engine, rec.url, tmp_path) as address:
        yield address, rec


def test_credentials_never_reach_a_foreign_realm_until_an_admin_allows_it(live, hostile):
    address, rec = hostile
    admin = live.login("admin")
    added = admin.post(
        "/api/registries",
        json={"name": "hostile", "address": address, "username": "ci", "password": SECRET, "force": True},
    )
    assert added.status_code == 201, added.text
    assert added.json()["allowed_realms"] == []
    for answer in (
        admin.post("/api/registries/hostile/test"),
        admin.get("/api/registries/hostile/repositories", params={"refresh": "true"}),
        admin.get("/api/registries/hostile/tags", params={"repository": "some/app"}),
    ):
        assert answer.status_code >= 400
        detail = answer.json()["detail"]
        assert rec.url in detail and "were not sent" in detail and "allowed_realms" in detail, detail
        assert SECRET not in detail
    assert rec.seen == []  # not a request, let alone the credentials

    # An operator may not allow a realm; an admin may.
    oper = live.login("oper")
    assert oper.patch("/api/registries/hostile", json={"allowed_realms": [rec.url]}).status_code == 403
    assert admin.patch("/api/registries/hostile", json={"allowed_realms": ["ftp://x/"]}).status_code == 400
    as_typed = "HTTP://" + rec.url.removeprefix("http://") + "?any=query"  # kept as http://…/token
    allowed = admin.patch("/api/registries/hostile", json={"allowed_realms": [as_typed]})
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["allowed_realms"] == [rec.url]
    assert admin.get("/api/registries/hostile").json()["allowed_realms"] == [rec.url]
    tried = admin.post("/api/registries/hostile/test")
    assert tried.status_code >= 400 and "refused the credentials of ci" in tried.json()["detail"]
    assert [r["authorization"] for r in rec.seen] == [BASIC]  # now it was allowed to have them
    assert ("registry.edit", f"hostile: allowed_realms={as_typed}") in [
        (e["action"], e["target"]) for e in admin.get("/api/audit").json()["items"]
    ]

    # Taken back: nothing more is sent.
    assert admin.patch("/api/registries/hostile", json={"allowed_realms": []}).json()["allowed_realms"] == []
    assert "were not sent" in admin.post("/api/registries/hostile/test").json()["detail"]
    assert len(rec.seen) == 1


def test_the_command_line_keeps_them_too(hostile):
    address, rec = hostile
    env = {"SWARMDECK_REGISTRY_PASSWORD": SECRET}
    refused = swarmdeck("registry", "ls", address, "--username", "ci", env=env)
    assert refused.returncode == 1 and rec.url in refused.stderr and "were not sent" in refused.stderr
    assert rec.seen == []
    allowed = swarmdeck(
        "registry",
        "ls",
        address,
        "--username",
        "ci",
        env={**env, "SWARMDECK_REGISTRY_ALLOWED_REALMS": rec.url},
    )
    assert allowed.returncode == 1 and "refused the credentials of ci" in allowed.stderr
    assert [r["authorization"] for r in rec.seen] == [BASIC]


def test_a_token_service_on_the_registrys_own_host_gets_them(live, tmp_path, engine):
    with recorder("127.0.0.1") as rec, token_registry(engine, rec.url, tmp_path) as address:
        admin = live.login("admin")
        assert (
            admin.post(
                "/api/registries",
                json={"name": "own", "address": address, "username": "ci", "password": SECRET, "force": True},
            ).status_code
            == 201
        )
        tried = admin.post("/api/registries/own/test")
        assert "refused the credentials of ci" in tried.json()["detail"]  # the recorder's token is no good
        assert rec.seen and all(r["authorization"] == BASIC for r in rec.seen)
        assert rec.seen[0]["path"].startswith("/token?") and "service=swarmdeck-test" in rec.seen[0]["path"]


@pytest.mark.parametrize(
    ("realm", "allowed", "sent"),
    [
        ("https://auth.example.com/token", [], True),  # HTTPS: encrypted, and the service proves its name
        ("http://registry.example.com:5001/token", [], True),  # the registry's own host, another port
        ("HTTP://Registry.Example.com/token", [], True),
        ("/token", [], True),  # a path: the registry itself
        ("http://auth.example.com/token", [], False),
        ("http://auth.example.com/token", ["http://auth.example.com:80/token?x=1"], True),
        ("http://auth.example.com/token", ["http://auth.example.com/other"], False),
        ("http://auth.example.com:8080/token", ["http://auth.example.com/token"], False),
        ("//auth.example.com/token", [], False),
        ("ftp://auth.example.com/token", [], False),
        ("http://127.0.0.1:5001/token", [], False),  # loopback, but not the registry's host
    ],
)
def test_which_realms_may_have_the_credentials(realm, allowed, sent):
    address = "registry.example.com:5000"
    if sent:
        check_realm(address, realm, allowed)
    else:
        with pytest.raises(RegistryError, match="not sent"):
            check_realm(address, realm, allowed)


def test_realms_are_compared_in_one_form():
    assert normalize_realm("HTTPS://Auth.Example.COM:443/token?scope=x") == "https://auth.example.com/token"
    assert normalize_realm("http://[::1]:8080") == "http://[::1]:8080/"
    with pytest.raises(RegistryError):
        normalize_realm("auth.example.com/token")
