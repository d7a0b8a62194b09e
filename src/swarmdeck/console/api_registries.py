"""The JSON API of registries: add and remove (admins), browse (everyone), delete tags
(operators), garbage-collect the managed registry (admins).

Repository names hold slashes, so they travel as the ``repository`` query parameter, never
in the path; the registry client checks them against the distribution grammar before use.
Passwords are write-only: no answer and no audit entry carries one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field

from swarmdeck.console.context import ADMIN, OPERATE, READ, READ_ON, Target, audited
from swarmdeck.console.paging import PagingQuery
from swarmdeck.console.params import RegistryName, Repository, TagOrDigest
from swarmdeck.console.registries import GC_NOTE, Registries
from swarmdeck.console.security import Principal
from swarmdeck.store.registries import RegistryRecord, RegistryStore

router = APIRouter(prefix="/api")
Realm = Annotated[str, Field(max_length=500)]


class RegistryIn(BaseModel):
    name: str = Field(max_length=64)
    address: str = Field(max_length=300, description="HOST:PORT, as image references write it")
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1024)
    ca_pem: str | None = Field(default=None, max_length=20000, description="the registry's CA (PEM)")
    allowed_realms: list[Realm] = Field(
        default=[],
        max_length=20,
        description=(
            "token services (realm URLs) that may receive the credentials although they are plain "
            "HTTP on another host than the registry's"
        ),
    )


class RegistryPatch(BaseModel):
    allowed_realms: list[Realm] = Field(
        max_length=20,
        description=(
            "replaces the realms allowed to receive the credentials ([]: none beyond HTTPS ones and "
            "those on the registry's host)"
        ),
    )


def registries(request: Request) -> Registries:
    return app_registries(request.app)


def app_registries(app: FastAPI) -> Registries:
    """One per app, made on first use (the registries table and key file come with it)."""
    state = app.state
    if getattr(state, "registries", None) is None:
        ctx = state.console
        state.registries = Registries(
            RegistryStore(ctx.store, state.data_dir), state.data_dir / "registry-ca", ctx.engine
        )
    return state.registries


def describe(record: RegistryRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "address": record.address,
        "username": record.username,
        "has_password": record.has_password,
        "ca": bool(record.ca_pem),
        "managed": record.managed,
        "allowed_realms": list(record.allowed_realms),
    }


@router.get("/registries", tags=["registries"])
def list_registries(request: Request, _: Principal = READ) -> list[dict[str, Any]]:
    """The registries added here, and first the one `swarmdeck up` runs (when it runs)."""
    return [describe(r) for r in registries(request).list()]


@router.post("/registries", status_code=201, tags=["registries"])
def add_registry(request: Request, body: RegistryIn, who: Principal = ADMIN) -> dict[str, Any]:
    reg = registries(request)
    with audited(request, who, "registry.add", target=f"{body.name} {body.address}", endpoint=""):
        record = reg.add(
            body.name, body.address, body.username, body.password, body.ca_pem, body.allowed_realms
        )
    reg.prefetch_catalogs([record])  # its catalog page is likely next
    return describe(record)


@router.get("/registries/{name}", tags=["registries"])
def get_registry(request: Request, name: RegistryName, _: Principal = READ) -> dict[str, Any]:
    return describe(registries(request).get(name))


@router.patch("/registries/{name}", tags=["registries"])
def edit_registry(
    request: Request, name: RegistryName, body: RegistryPatch, who: Principal = ADMIN
) -> dict[str, Any]:
    """Which token services may receive the registry's credentials (``allowed_realms``)."""
    target = f"{name}: allowed_realms={','.join(body.allowed_realms) or '-'}"
    with audited(request, who, "registry.edit", target=target, endpoint=""):
        return describe(registries(request).set_allowed_realms(name, body.allowed_realms))


@router.delete("/registries/{name}", tags=["registries"])
def remove_registry(request: Request, name: RegistryName, who: Principal = ADMIN) -> dict[str, str]:
    with audited(request, who, "registry.remove", target=name, endpoint=""):
        registries(request).remove(name)
    return {"status": "removed"}


@router.post("/registries/{name}/test", tags=["registries"])
def test_registry(request: Request, name: RegistryName, _: Principal = OPERATE) -> dict[str, Any]:
    """Connect now: does a v2 registry answer and take the credentials."""
    with registries(request).client(name) as registry:
        registry.ping()
        return {**describe(registries(request).get(name)), "status": "ok", "scheme": registry.scheme}


@router.get("/registries/{name}/repositories", tags=["registries"])
def list_repositories(
    request: Request,
    name: RegistryName,
    paging: PagingQuery,
    _: Principal = READ,
    refresh: bool = False,
) -> dict[str, Any]:
    """The catalog, searched (``q``: part of the name) and paged here from a list cached for
    30 s (``refresh`` to fetch it now)."""
    return registries(request).repositories(name, paging, refresh).as_dict()


@router.get("/registries/{name}/tags", tags=["registries"])
def list_tags(
    request: Request,
    name: RegistryName,
    repository: Repository,
    paging: PagingQuery,
    _: Principal = READ,
    refresh: bool = False,
) -> dict[str, Any]:
    return {"repository": repository, **registries(request).tags(name, repository, paging, refresh).as_dict()}


@router.get("/registries/{name}/manifest", tags=["registries"])
def get_manifest(
    request: Request, name: RegistryName, repository: Repository, reference: TagOrDigest, _: Principal = READ
) -> dict[str, Any]:
    """A tag or digest: platforms, layers and sizes, the image config and its history."""
    return registries(request).manifest(name, repository, reference)


@router.delete("/registries/{name}/tags", tags=["registries"])
def delete_tag(
    request: Request,
    name: RegistryName,
    repository: Repository,
    tag: TagOrDigest,
    who: Principal = OPERATE,
    confirm: bool = False,
) -> dict[str, Any]:
    """Delete the manifest ``tag`` names. Other tags on the same digest go too: then this
    answers 409 naming them unless ``confirm`` is true. Space returns after garbage collection."""
    with audited(request, who, "registry.delete-tag", target=f"{name}: {repository}:{tag}", endpoint=""):
        return registries(request).delete_tag(name, repository, tag, confirm)


@router.get("/registries/{name}/usage", tags=["registries"])
def repository_usage(
    request: Request, name: RegistryName, repository: Repository, t: Target = READ_ON
) -> dict[str, Any]:
    """The services of the chosen endpoint's swarm running an image (tag or digest) of this
    repository."""
    return {
        "repository": repository,
        "endpoint": t.endpoint,
        "services": registries(request).usage(name, repository, t.client),
    }


@router.post("/registries/{name}/gc", tags=["registries"])
def garbage_collect(request: Request, name: RegistryName, who: Principal = ADMIN) -> dict[str, Any]:
    """Free the space of deleted manifests in the registry swarmdeck manages. It stops the
    registry for the collection (pushes fail meanwhile) and starts it again."""
    with audited(request, who, "registry.gc", target=name, endpoint=""):
        return {**registries(request).garbage_collect(name), "note": GC_NOTE}
