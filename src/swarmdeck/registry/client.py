"""The Distribution (registry v2) HTTP API: catalog and tags with paging, manifests, image
configs, delete by digest; basic and bearer-token authentication.

Reference: the distribution spec (``/v2/``, ``/v2/_catalog``, ``/v2/<name>/tags/list``,
``/v2/<name>/manifests/<ref>``, ``/v2/<name>/blobs/<digest>``), paging by ``n``/``last``
with a ``Link: <…>; rel="next"`` header, and token auth (``WWW-Authenticate: Bearer
realm=…,service=…,scope=…``).
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from swarmdeck.engine.errormap import plain
from swarmdeck.registry.errors import RegistryError, RegistryUnreachable
from swarmdeck.registry.manifests import ACCEPT, Manifest, parse_manifest
from swarmdeck.registry.names import check_name, check_reference, is_digest
from swarmdeck.registry.realms import check_realm

# Where the docker engine looks for a registry's CA; we trust the same file.
DOCKER_CERTS_D = Path("/etc/docker/certs.d")
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Page:
    """One page of names, and the ``last`` to ask for the next one ("" at the end)."""

    items: list[str]
    next_last: str


@dataclass(frozen=True)
class Ping:
    """What ``/v2/`` said: the API version it names (``registry/2.0``; "" when it names none)
    and the credentials' fate: ``accepted`` (asked for and taken), ``open`` (none needed: any
    given were not asked for) or ``asked`` (none given, and the registry asks for some, or for
    a token, before anything)."""

    api_version: str
    auth: str


class RegistryClient:
    """One registry, addressed as the engine addresses it (``HOST[:PORT]``).

    Like the engine, it speaks HTTPS, trusting ``/etc/docker/certs.d/ADDRESS/ca.crt`` when
    present (or ``ca``), and plain HTTP only to a loopback registry (which the engine
    allows too) without such a CA. Credentials go to a token service the registry names
    only over HTTPS, on the registry's host, or when it is in ``allowed_realms``
    (``realms.py``).
    """

    def __init__(
        self,
        address: str,
        username: str | None = None,
        password: str | None = None,
        ca: Path | None = None,
        timeout: float = 10.0,
        allowed_realms: tuple[str, ...] = (),
    ) -> None:
        self.address = address
        self.allowed_realms = allowed_realms
        ca = ca or DOCKER_CERTS_D / address / "ca.crt"
        self.scheme = "http" if is_loopback(address) and not ca.exists() else "https"
        # A username without a password is an empty one (the store accepts both or neither).
        self._credentials = (username, password or "") if username else None
        self._tokens: dict[str, str] = {}
        self._basic = False
        verify = ssl.create_default_context(cafile=str(ca)) if ca.exists() else True
        self._http = httpx.Client(base_url=f"{self.scheme}://{address}", verify=verify, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the API -------------------------------------------------------------------------

    def ping(self) -> Ping:
        """Check that a v2 registry answers and accepts our credentials (if any)."""
        answer = self._request("GET", "/v2/", scope="", allow={200, 401})
        version = answer.headers.get("Docker-Distribution-API-Version", "")
        if answer.status_code == 401 and self._credentials is None:
            return Ping(version, "asked")  # it answers; it wants credentials for everything
        if answer.status_code != 200:
            raise RegistryError(f"{self._where('/v2/')} answered {answer.status_code}")
        asked = self._basic or bool(self._tokens)  # it challenged, and took the credentials
        return Ping(version, "accepted" if asked else "open")

    def catalog(self, n: int = 100, last: str = "") -> Page:
        params = {"n": str(n), **({"last": last} if last else {})}
        answer = self._request("GET", "/v2/_catalog", scope="registry:catalog:*", params=params)
        return Page(list(self._json(answer).get("repositories") or []), _next_last(answer))

    def iter_catalog(self, n: int = 1000) -> Iterator[str]:
        last = ""
        while True:
            page = self.catalog(n, last)
            yield from page.items
            if not page.next_last:
                return
            last = page.next_last

    def tags_page(self, repository: str, n: int = 100, last: str = "") -> Page:
        check_name(repository)
        params = {"n": str(n), **({"last": last} if last else {})}
        answer = self._request(
            "GET", f"/v2/{repository}/tags/list", scope=_pull(repository), params=params, allow={200, 404}
        )
        if answer.status_code == 404:
            return Page([], "")
        return Page(list(self._json(answer).get("tags") or []), _next_last(answer))

    def tags(self, repository: str) -> list[str]:
        tags: list[str] = []
        last = ""
        while True:
            page = self.tags_page(repository, 1000, last)
            tags += page.items
            if not page.next_last:
                return sorted(tags)
            last = page.next_last

    def manifest(self, repository: str, reference: str) -> Manifest:
        check_name(repository)
        check_reference(reference)
        path = f"/v2/{repository}/manifests/{reference}"
        answer = self._request(
            "GET", path, scope=_pull(repository), headers={"Accept": ACCEPT}, allow={200, 404}
        )
        if answer.status_code == 404:
            raise RegistryError(f"{self.address}/{repository}:{reference}: no such manifest")
        digest = answer.headers.get("Docker-Content-Digest", "")
        return parse_manifest(
            self._json(answer), digest, len(answer.content), answer.headers.get("Content-Type", "")
        )

    def digest(self, repository: str, reference: str) -> str:
        """The digest a tag points at (HEAD, as the engine does)."""
        if is_digest(reference):
            return reference
        check_name(repository)
        check_reference(reference)
        answer = self._request(
            "HEAD",
            f"/v2/{repository}/manifests/{reference}",
            scope=_pull(repository),
            headers={"Accept": ACCEPT},
            allow={200, 404},
        )
        if answer.status_code == 404:
            raise RegistryError(f"{self.address}/{repository}:{reference}: no such tag")
        return answer.headers["Docker-Content-Digest"]

    def image_config(self, repository: str, config_digest: str) -> dict[str, Any]:
        """An image's config blob: created, os/architecture, history, env, labels…"""
        check_name(repository)
        check_reference(config_digest)
        answer = self._request(
            "GET", f"/v2/{repository}/blobs/{config_digest}", scope=_pull(repository), follow=True
        )
        return self._json(answer)

    def delete(self, repository: str, reference: str) -> str:
        """Delete the manifest a tag or digest names; every tag on that digest goes with it.

        The registry deletes by digest only. Space returns after garbage collection.
        """
        digest = self.digest(repository, reference)
        answer = self._request(
            "DELETE",
            f"/v2/{repository}/manifests/{digest}",
            scope=f"repository:{repository}:delete",
            allow={202, 404, 405},
        )
        if answer.status_code == 405:
            raise RegistryError(
                f"{self.address} does not allow deleting (start it with REGISTRY_STORAGE_DELETE_ENABLED=true)"
            )
        if answer.status_code == 404:
            raise RegistryError(f"{self.address}/{repository}@{digest}: no such manifest")
        return digest

    # -- transport and authentication -----------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        scope: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        allow: set[int] | None = None,
        follow: bool = False,
    ) -> httpx.Response:
        allow = allow or {200}
        headers = dict(headers or {})
        answer = self._send(method, path, params, headers, scope, follow)
        # A 401 that the caller allows (ping without credentials) is an answer; otherwise
        # authenticate once as the challenge says, and a second 401 is a refusal.
        if answer.status_code == 401 and (self._credentials or 401 not in allow):
            self._authenticate(answer, scope)
            answer = self._send(method, path, params, headers, scope, follow)
            if answer.status_code == 401:
                raise RegistryError(
                    f"{self.address} refused the credentials"
                    + (f" of {self._credentials[0]}" if self._credentials else "")
                )
        if answer.status_code not in allow:
            raise RegistryError(
                f"{method} {self._where(path)} answered {answer.status_code}{_error_text(answer)}"
            )
        return answer

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        headers: dict[str, str],
        scope: str,
        follow: bool,
    ) -> httpx.Response:
        if scope in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[scope]}"
        auth = httpx.BasicAuth(*self._credentials) if self._basic and self._credentials else None
        try:
            return self._http.request(
                method, path, params=params, headers=headers, auth=auth, follow_redirects=follow
            )
        except httpx.HTTPError as exc:
            reason = plain(exc)
            raise RegistryUnreachable(
                f"no registry answers at {self._where(path)}: {reason}", self.address, reason
            ) from exc

    def _authenticate(self, answer: httpx.Response, scope: str) -> None:
        challenge = answer.headers.get("WWW-Authenticate", "")
        kind = challenge.split(" ", 1)[0].lower()
        if self._credentials is None and kind != "bearer":
            raise RegistryError(f"{self.address} needs credentials")
        if kind == "basic":
            self._basic = True
            return
        if kind != "bearer":
            raise RegistryError(f"{self.address} asks for an unknown authentication {kind!r}")
        fields = dict(_CHALLENGE.findall(challenge))
        realm = fields.get("realm", "")
        params = {
            k: v
            for k, v in (("service", fields.get("service", "")), ("scope", fields.get("scope", scope)))
            if v
        }
        if self._credentials:
            check_realm(self.address, realm, self.allowed_realms)
        auth = httpx.BasicAuth(*self._credentials) if self._credentials else None
        try:
            token_answer = self._http.get(realm, params=params, auth=auth)
        except httpx.HTTPError as exc:
            raise RegistryError(f"{self.address}: the token service at {realm} failed: {exc}") from exc
        if token_answer.status_code in (401, 403):
            raise RegistryError(
                f"{self.address} refused the credentials"
                + (f" of {self._credentials[0]}" if self._credentials else "")
            )
        token = self._json(token_answer)
        self._tokens[scope] = token.get("token") or token.get("access_token") or ""

    def _json(self, answer: httpx.Response) -> dict[str, Any]:
        try:
            body = answer.json()
        except ValueError as exc:
            raise RegistryError(f"{self._where(answer.url.path)} did not answer JSON") from exc
        if not isinstance(body, dict):
            raise RegistryError(f"{self._where(answer.url.path)} answered unexpected JSON")
        return body

    def _where(self, path: str) -> str:
        return f"{self.scheme}://{self.address}{path}"


def _pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _next_last(answer: httpx.Response) -> str:
    """The ``last`` of the next page from the ``Link`` header ("" when there is none)."""
    link = answer.links.get("next")
    if not link:
        return ""
    values = parse_qs(urlsplit(link["url"]).query).get("last")
    return values[0] if values else ""


def _error_text(answer: httpx.Response) -> str:
    try:
        errors = answer.json().get("errors") or []
    except ValueError:
        return ""
    messages = [e.get("message", "") for e in errors if isinstance(e, dict)]
    return f": {'; '.join(m for m in messages if m)}" if messages else ""
