"""The JSON API of registries: add and remove (admins), browse (everyone), delete tags
(operators), garbage-collect the managed registry (admins).

Repository names hold slashes, so they travel as the ``repository`` query parameter, never
in the path; the registry client checks them against the distribution grammar before use.
Passwords are write-only: no answer and no audit entry carries one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.checks import RegistryCheck
from swarmdeck.console.context import ADMIN, OPERATE, READ, READ_ON, Target, audited
from swarmdeck.console.paging import PagingQuery
from swarmdeck.console.params import RegistryName, Repository, TagOrDigest
from swarmdeck.console.registries import GC_NOTE, describe, registries
from swarmdeck.console.security import Principal

router = APIRouter(tags=["registries"])
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
    force: bool = Field(
        default=False,
        description="save it even when its /v2/ does not answer or refuses the credentials (the "
        "answer's check says why); without it, such a registry is refused (502) and nothing is saved",
    )


class RegistryPatch(BaseModel):
    allowed_realms: list[Realm] = Field(
        max_length=20,
        description=(
            "replaces the realms allowed to receive the credentials ([]: none beyond HTTPS ones and "
            "those on the registry's host)"
        ),
    )


@router.get("/registries")
def list_registries(request: Request, _: Principal = READ) -> list[models.Registry]:
    """The registries added here, and first the one `swarmdeck up` runs (when it runs)."""
    return [models.Registry(**describe(r)) for r in registries(request).list()]


@router.post("/registries", status_code=201)
def add_registry(request: Request, body: RegistryIn, who: Principal = ADMIN) -> models.RegistrySaved:
    """Add a registry once its /v2/ answers and takes the credentials (API version and
    authentication in ``check``); else it is refused with what to check, unless ``force``."""
    reg = registries(request)
    check = RegistryCheck(body.force)
    with audited(request, who, "registry.add", target=f"{body.name} {body.address}", endpoint=""):
        record = reg.add(
            body.name, body.address, body.username, body.password, body.ca_pem, body.allowed_realms, check
        )
    if check.result["ok"]:
        reg.prefetch_catalogs([record])  # its catalog page is likely next
    return models.RegistrySaved(**describe(record), check=models.RegistryCheck(**check.result))


@router.get("/registries/{name}")
def get_registry(request: Request, name: RegistryName, _: Principal = READ) -> models.Registry:
    return models.Registry(**describe(registries(request).get(name)))


@router.patch("/registries/{name}")
def edit_registry(
    request: Request, name: RegistryName, body: RegistryPatch, who: Principal = ADMIN
) -> models.Registry:
    """Which token services may receive the registry's credentials (``allowed_realms``)."""
    target = f"{name}: allowed_realms={','.join(body.allowed_realms) or '-'}"
    with audited(request, who, "registry.edit", target=target, endpoint=""):
        return models.Registry(**describe(registries(request).set_allowed_realms(name, body.allowed_realms)))


@router.delete("/registries/{name}")
def remove_registry(request: Request, name: RegistryName, who: Principal = ADMIN) -> models.Status:
    with audited(request, who, "registry.remove", target=name, endpoint=""):
        registries(request).remove(name)
    return models.Status(status="removed")


@router.post("/registries/{name}/test")
def test_registry(request: Request, name: RegistryName, _: Principal = OPERATE) -> models.RegistryTest:
    """Connect now: does a v2 registry answer and take the credentials."""
    with registries(request).client(name) as registry:
        registry.ping()
        return models.RegistryTest(
            **describe(registries(request).get(name)), status="ok", scheme=registry.scheme
        )


@router.get("/registries/{name}/repositories")
def list_repositories(
    request: Request,
    name: RegistryName,
    paging: PagingQuery,
    _: Principal = READ,
    refresh: bool = False,
) -> models.NamePage:
    """The catalog, searched (``q``: part of the name) and paged here from a list cached for
    30 s (``refresh`` to fetch it now)."""
    return models.NamePage(**registries(request).repositories(name, paging, refresh).as_dict())


@router.get("/registries/{name}/tags")
def list_tags(
    request: Request,
    name: RegistryName,
    repository: Repository,
    paging: PagingQuery,
    _: Principal = READ,
    refresh: bool = False,
) -> models.TagPage:
    return models.TagPage(
        repository=repository, **registries(request).tags(name, repository, paging, refresh).as_dict()
    )


@router.get("/registries/{name}/manifest")
def get_manifest(
    request: Request, name: RegistryName, repository: Repository, reference: TagOrDigest, _: Principal = READ
) -> models.ManifestView:
    """A tag or digest: platforms, layers and sizes, the image config and its history."""
    return models.ManifestView(**registries(request).manifest(name, repository, reference))


@router.delete("/registries/{name}/tags")
def delete_tag(
    request: Request,
    name: RegistryName,
    repository: Repository,
    tag: TagOrDigest,
    who: Principal = OPERATE,
    confirm: bool = False,
) -> models.TagDeletion:
    """Delete the manifest ``tag`` names. Other tags on the same digest go too: then this
    answers 409 naming them unless ``confirm`` is true. Space returns after garbage collection."""
    with audited(request, who, "registry.delete-tag", target=f"{name}: {repository}:{tag}", endpoint=""):
        return models.TagDeletion(**registries(request).delete_tag(name, repository, tag, confirm))


@router.get("/registries/{name}/usage")
def repository_usage(
    request: Request, name: RegistryName, repository: Repository, t: Target = READ_ON
) -> models.RepositoryUsage:
    """The services of the chosen endpoint's swarm running an image (tag or digest) of this
    repository."""
    return models.RepositoryUsage(
        repository=repository,
        endpoint=t.endpoint,
        services=[models.ImageUser(**u) for u in registries(request).usage(name, repository, t.client)],
    )


@router.post("/registries/{name}/gc")
def garbage_collect(request: Request, name: RegistryName, who: Principal = ADMIN) -> models.Collection:
    """Free the space of deleted manifests in the registry swarmdeck manages. It stops the
    registry for the collection (pushes fail meanwhile) and starts it again."""
    with audited(request, who, "registry.gc", target=name, endpoint=""):
        return models.Collection(**registries(request).garbage_collect(name), note=GC_NOTE)
