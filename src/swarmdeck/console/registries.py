"""Browsing registries from the console: catalog and tags paged and searched here, manifests,
tag deletion with its digest's other tags, which services run a repository, garbage collection,
and the registries' notifications.

How the catalog scales: the Distribution API pages the catalog (``n``/``last``) but cannot
search it, and knows no total, and a walk of 10,000 names takes the registry ~2 s (it walks
its storage from the start for each page of 1,000). So the console keeps each registry's
names in its database (``registry_index``: an index a cold console serves at once) and keeps
it current from the registry's push and delete events (``apply_events``); a walk rebuilds it
on a first view, on ``refresh``, or in the background for a registry that sends no events.
Tags are fetched per repository and kept ``CACHE_SECONDS`` in memory, and fetched again
when the database says they changed since (``tags_changed``: a tag deleted through another
replica, or the registry's notification delivered to another).

Measured with bench/registry_index.py and bench/registry_catalog.py (see bench/README.md).
"""

from __future__ import annotations

import builtins
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from fastapi import FastAPI, Request

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.list_cache import CACHE_SECONDS, ListCache
from swarmdeck.console.paging import Paging
from swarmdeck.console.registry_index import CatalogIndex
from swarmdeck.console.units import size
from swarmdeck.engine import reference as imageref
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound, EngineRefused, InvalidReference
from swarmdeck.platform import private_registry
from swarmdeck.registry import notifications
from swarmdeck.registry.client import RegistryClient
from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.names import check_name, check_reference
from swarmdeck.store.registries import RegistryRecord, RegistryStore, SaveCheck
from swarmdeck.store.registry_index import RegistryIndex

MANAGED_NAME = "swarmdeck"
GC_NOTE = (
    "Deleting a tag only unlinks its manifest: the layers stay on the registry's disk "
    "until its garbage collection runs (POST /api/registries/swarmdeck/gc for the registry "
    "swarmdeck manages; `registry garbage-collect` on others)."
)


@dataclass
class Paged:
    items: list[str]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
        }


def _page(items: list[str], q: str, paging: Paging) -> Paged:
    found = [i for i in items if q in i] if q else items
    start = (paging.page - 1) * paging.per_page
    return Paged(found[start : start + paging.per_page], len(found), paging.page, paging.per_page)


def managed_address(client: docker.DockerClient) -> str | None:
    """Where the registry container `swarmdeck up` starts publishes its port, if it runs here."""
    try:
        with doing(f"looking for {private_registry.CONTAINER}"):
            container = client.containers.get(private_registry.CONTAINER)
    except EngineNotFound:
        return None
    bindings = (container.attrs["HostConfig"].get("PortBindings") or {}).get("5000/tcp") or []
    if not bindings:
        return None
    host = bindings[0].get("HostIp") or "127.0.0.1"
    return f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{bindings[0]['HostPort']}"


class Registries:
    """The stored registries plus the managed one, and clients for them."""

    def __init__(
        self,
        store: RegistryStore,
        ca_dir: Path,
        engine: Callable[[], docker.DockerClient],
        index: RegistryIndex,
    ) -> None:
        self.store = store
        self.ca_dir = ca_dir
        self.engine = engine
        self.cache = ListCache(CACHE_SECONDS)  # tags per repository
        self.catalogs = CatalogIndex(index)

    def list(self) -> list[RegistryRecord]:
        managed = managed_address(self.engine())
        stored = self.store.list()
        head = [RegistryRecord(MANAGED_NAME, managed, None, False, None, managed=True)] if managed else []
        return head + stored

    def get(self, name: str) -> RegistryRecord:
        if name == MANAGED_NAME:
            managed = managed_address(self.engine())
            if managed is None:
                raise ConsoleError(
                    f"the registry swarmdeck manages ({private_registry.CONTAINER}) "
                    "does not run on this engine",
                    404,
                )
            return RegistryRecord(MANAGED_NAME, managed, None, False, None, managed=True)
        return self.store.get(name)

    def add(
        self,
        name: str,
        address: str,
        username: str | None,
        password: str | None,
        ca_pem: str | None,
        allowed_realms: builtins.list[str] | None = None,
        check: SaveCheck | None = None,
    ) -> RegistryRecord:
        if name == MANAGED_NAME:
            raise ConsoleError(f"{MANAGED_NAME!r} names the registry swarmdeck manages: choose another", 409)
        return self.store.add(name, address, username, password, ca_pem, allowed_realms, check)

    def set_allowed_realms(self, name: str, realms: builtins.list[str]) -> RegistryRecord:
        if name == MANAGED_NAME:
            raise ConsoleError("the registry swarmdeck manages has no credentials: no realms to allow", 409)
        return self.store.set_allowed_realms(name, realms)

    def remove(self, name: str) -> None:
        if name == MANAGED_NAME:
            raise ConsoleError(
                "the managed registry is listed while it runs; remove it with `swarmdeck down` instead", 409
            )
        self.store.remove(name)
        self.cache.forget((name,))
        self.catalogs.drop(name)

    def client(self, name: str) -> RegistryClient:
        record = self.get(name)
        username, password = (None, None) if record.managed else self.store.credentials(name)
        ca = None
        if record.ca_pem:
            self.ca_dir.mkdir(mode=0o700, exist_ok=True)
            ca = self.ca_dir / f"{name}.crt"
            if not ca.exists() or ca.read_text() != record.ca_pem:
                with os.fdopen(os.open(ca, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                    f.write(record.ca_pem)  # owner-only, like everything in the data directory
        return RegistryClient(record.address, username, password, ca=ca, allowed_realms=record.allowed_realms)

    # -- browsing ---------------------------------------------------------------------------
    def _catalog(self, name: str) -> Callable[[], builtins.list[str]]:
        def fetch() -> builtins.list[str]:
            with self.client(name) as registry:
                return list(registry.iter_catalog(n=1000))

        return fetch

    def repositories(self, name: str, paging: Paging, refresh: bool) -> Paged:
        self.get(name)  # 404 for a registry the console does not know
        items, total = self.catalogs.page(
            name, paging, self._catalog(name), refresh, subscribed=self.subscribed(name)
        )
        return Paged(items, total, paging.page, paging.per_page)

    def prefetch_catalogs(self, records: builtins.list[RegistryRecord]) -> None:
        """Start walking the catalogs never walked yet (the registries list shows them: a
        catalog page is likely next, and 10,000 names take the registry about 2 s)."""
        for record in records:
            self.catalogs.prefetch(record.name, self._catalog(record.name))

    # -- notifications ----------------------------------------------------------------------
    def subscribed(self, name: str) -> bool:
        """Whether the registry is configured to send its events here (the managed one when
        `up` configured it; another once a token was made for it)."""
        if name == MANAGED_NAME:
            return private_registry.notification_token(self.engine()) is not None
        state = self.catalogs.index.state(name)
        return state is not None and state.has_token

    def authenticate(self, name: str, token: str | None) -> bool:
        """Whether ``token`` is the notification token of registry ``name`` (constant time)."""
        if not token:
            return False
        if name == MANAGED_NAME:
            expected = private_registry.notification_token(self.engine())
            return expected is not None and hmac.compare_digest(expected.encode(), token.encode())
        return self.catalogs.index.token_matches(name, token)

    def notify_status(self, name: str, console_url: str) -> dict[str, Any]:
        """How the index of ``name`` is kept current, as its page shows it."""
        state = self.catalogs.index.state(name)
        return {
            "subscribed": self.subscribed(name),
            "walked_at": state.walked_at if state else None,
            "notified_at": state.notified_at if state else None,
            "url": console_url.rstrip("/") + notifications.PATH.format(name=name),
            "header": notifications.TOKEN_HEADER,
        }

    def make_token(self, name: str, console_url: str) -> dict[str, str]:
        """A new notification token for a stored registry (the previous one stops working),
        and the ``notifications`` snippet for its config.yml: shown once, stored hashed."""
        if name == MANAGED_NAME:
            raise ConsoleError(
                "the registry swarmdeck manages gets its token from `swarmdeck up`, which configures it",
                409,
            )
        self.store.get(name)
        token = notifications.new_token()
        self.catalogs.index.set_token(name, token)
        url = console_url.rstrip("/") + notifications.PATH.format(name=name)
        return {"token": token, "url": url, "snippet": notifications.snippet(url, token)}

    def apply_events(self, name: str, events: builtins.list[tuple[str, str, bool]]) -> dict[str, int]:
        """Change the index by the registry's events: (action, repository, is a manifest).
        A manifest pushed indexes its repository; a deletion drops it once it has no tag left
        (asked of the registry for that repository alone: no catalog walk)."""
        added = removed = 0
        changed = False
        for action, repository, manifest in events:
            if action == "push" and manifest:
                added += self.catalogs.pushed(name, repository)
                self.cache.forget((name, "tags", repository))
                changed = True
            elif action == "delete":
                self.cache.forget((name, "tags", repository))
                changed = True
                if not self._has_tags(name, repository):
                    removed += self.catalogs.emptied(name, repository)
        if changed:  # the other replicas' caches too
            self.catalogs.index.tags_changed(name)
        return {"added": added, "removed": removed}

    def _has_tags(self, name: str, repository: str) -> bool:
        with self.client(name) as registry:
            return bool(registry.tags(repository))  # [] for a repository it no longer knows

    def tags(self, name: str, repository: str, paging: Paging, refresh: bool) -> Paged:
        check_name(repository)

        def fetch() -> builtins.list[str]:
            with self.client(name) as registry:
                return registry.tags(repository)

        state = self.catalogs.index.state(name)  # when tags last changed, whichever replica learnt it
        changed = state.tags_changed_at if state else None
        tags = self.cache.get((name, "tags", repository), fetch, refresh, changed)
        return _page(tags, paging.q.strip(), paging)

    def manifest(self, name: str, repository: str, reference: str) -> dict[str, Any]:
        """A tag or digest: platforms of an index, or layers, sizes, config and history of an image."""
        with self.client(name) as registry:
            manifest = registry.manifest(repository, reference)
            view: dict[str, Any] = {
                "repository": repository,
                "reference": reference,
                "digest": manifest.digest,
                "media_type": manifest.media_type,
                "is_index": manifest.is_index,
                "platforms": [
                    {"platform": str(p), "digest": p.digest, "size": p.size} for p in manifest.platforms
                ],
                "layers": [
                    {"digest": x.digest, "size": x.size, "media_type": x.media_type} for x in manifest.layers
                ],
                "size": manifest.image_size,
                "config_digest": manifest.config_digest,
                "config": None,
                "history": [],
            }
            if not manifest.is_index:
                config = registry.image_config(repository, manifest.config_digest)
                inner = config.get("config") or {}
                view["config"] = {
                    "created": config.get("created", ""),
                    "os": config.get("os", ""),
                    "architecture": config.get("architecture", ""),
                    "variant": config.get("variant", ""),
                    "author": config.get("author", ""),
                    "entrypoint": inner.get("Entrypoint"),
                    "cmd": inner.get("Cmd"),
                    "env": inner.get("Env") or [],
                    "working_dir": inner.get("WorkingDir", ""),
                    "user": inner.get("User", ""),
                    "exposed_ports": sorted(inner.get("ExposedPorts") or {}),
                    "labels": inner.get("Labels") or {},
                }
                view["history"] = [
                    {
                        "created": h.get("created", ""),
                        "created_by": h.get("created_by", ""),
                        "comment": h.get("comment", ""),
                        "empty_layer": bool(h.get("empty_layer")),
                    }
                    for h in config.get("history") or []
                ]
        return view

    def delete_tag(self, name: str, repository: str, tag: str, confirm: bool) -> dict[str, Any]:
        """Delete the manifest a tag names. Every tag on the same digest goes with it, so when
        there are others this needs ``confirm``."""
        check_name(repository)
        check_reference(tag)
        with self.client(name) as registry:
            digest = registry.digest(repository, tag)
            others = [
                t
                for t in registry.tags(repository)
                if t != tag and _digest_or_none(registry, repository, t) == digest
            ]
            if others and not confirm:
                raise ConsoleError(
                    f"{repository}:{tag} is {digest}, which tags {', '.join(others)} share: deleting it "
                    "deletes them too. Repeat with confirm=true to delete all of them.",
                    409,
                )
            registry.delete(repository, digest)
            emptied = not registry.tags(repository)
        self.cache.forget((name,))
        self.catalogs.index.tags_changed(name)  # the other replicas' caches too
        if emptied:
            self.catalogs.emptied(name, repository)
        return {"digest": digest, "deleted_tags": [tag, *others], "note": GC_NOTE}

    def usage(self, name: str, repository: str, engine: docker.DockerClient) -> builtins.list[dict[str, str]]:
        """Swarm services of ``engine`` (the chosen endpoint) whose image is a tag or digest of
        this repository."""
        check_name(repository)
        address = self.get(name).address
        hosts = {address}
        if address.startswith("127.0.0.1:"):
            hosts.add("localhost:" + address.split(":", 1)[1])
        try:
            services = engine.api.services()
        except EngineRefused as exc:  # not a manager: no services to show
            raise ConsoleError(f"listing services: {exc.explanation or exc}", 409) from exc
        found = []
        for s in services:
            image = s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
            try:
                ref = imageref.parse(image)
            except InvalidReference:
                continue  # not a reference this registry could serve
            digest = ref.digest or ""
            tag = ref.tag or ("" if digest else "latest")
            if any(ref.name == f"{h}/{repository}" for h in hosts):
                found.append(
                    {
                        "service": s["Spec"]["Name"],
                        "id": s["ID"],
                        "image": image,
                        "tag": tag,
                        "digest": digest,
                    }
                )
        return sorted(found, key=lambda f: f["service"])

    def garbage_collect(self, name: str) -> dict[str, Any]:
        if not self.get(name).managed:
            raise ConsoleError(
                "swarmdeck runs garbage collection only for the registry it manages; "
                "run `registry garbage-collect` on that registry's host",
                409,
            )
        try:
            done = private_registry.garbage_collect(self.engine())
        except RegistryError as exc:
            raise ConsoleError(str(exc), 502) from exc
        self.cache.forget((name,))
        freed = done.bytes_before - done.bytes_after
        return {
            "blobs_deleted": done.blobs_deleted,
            "bytes_before": done.bytes_before,
            "bytes_after": done.bytes_after,
            "freed": freed,
            "summary": f"{done.blobs_deleted} blobs deleted, {size(freed)} freed "
            f"({size(done.bytes_before)} before, {size(done.bytes_after)} now)",
        }


def _digest_or_none(registry: RegistryClient, repository: str, tag: str) -> str | None:
    try:
        return registry.digest(repository, tag)
    except RegistryError:
        return None  # deleted meanwhile


def app_registries(app: FastAPI) -> Registries:
    """One per app, made on first use (the registries table and key file come with it)."""
    state = app.state
    if getattr(state, "registries", None) is None:
        ctx = state.console
        state.registries = Registries(
            RegistryStore(ctx.store, state.data_dir),
            state.data_dir / "registry-ca",
            ctx.engine,
            RegistryIndex(ctx.store),
        )
    found: Registries = state.registries
    return found


def registries(request: Request) -> Registries:
    return app_registries(request.app)


def describe(record: RegistryRecord) -> dict[str, Any]:
    """A registry as the API and the pages show it: never its password, only whether it has one."""
    return {
        "name": record.name,
        "address": record.address,
        "username": record.username,
        "has_password": record.has_password,
        "ca": bool(record.ca_pem),
        "managed": record.managed,
        "allowed_realms": list(record.allowed_realms),
    }
