"""Pages of the swarm, its stacks and the registries (server-rendered, autoescaped; changes go
through the JSON API from the page, the live map comes by SSE)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console import cluster
from swarmdeck.console.api_registries import describe, registries
from swarmdeck.console.context import READ, console
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.pages import render
from swarmdeck.console.paging import Paging, PagingQuery
from swarmdeck.console.registries import GC_NOTE
from swarmdeck.console.security import Principal
from swarmdeck.registry.errors import RegistryError
from swarmdeck.store import Role

router = APIRouter(include_in_schema=False)
SHARED_TAGS_CHECKED = 200  # the manifest page looks for other tags on the digest among this many


@router.get("/swarm")
def swarm_page(request: Request, who: Principal = READ) -> HTMLResponse:
    client = console(request).engine()
    view, nodes = cluster.overview_and_nodes(client)
    managing = view["state"] == "active" and view["is_manager"]
    tokens = cluster.join_tokens(client, view) if managing and who.role.allows(Role.ADMIN) else None
    return render("swarm.html", who, swarm=view, nodes=nodes, tokens=tokens, managing=managing)


@router.get("/swarm/nodes/{node_id}")
def node_page(request: Request, node_id: str, who: Principal = READ) -> HTMLResponse:
    node = cluster.get_node(console(request).engine(), node_id)
    return render("swarm_node.html", who, node=node)


@router.get("/services")
def services_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return render("services.html", who, services=cluster.list_services(console(request).engine()))


@router.get("/services/{ref}")
def service_page(request: Request, ref: str, who: Principal = READ) -> HTMLResponse:
    client = console(request).engine()
    service = cluster.get_service(client, ref)
    logs = cluster.service_logs(client, service["id"], 200)
    return render("service.html", who, s=service, logs=logs)


@router.get("/stacks")
def stacks_page(request: Request, who: Principal = READ) -> HTMLResponse:
    return render("stacks.html", who, stacks=cluster.list_stacks(console(request).engine()))


@router.get("/stacks/{name}")
def stack_page(request: Request, name: str, who: Principal = READ) -> HTMLResponse:
    return render("stack.html", who, stack=cluster.get_stack(console(request).engine(), name))


@router.get("/registries")
def registries_page(request: Request, who: Principal = READ) -> HTMLResponse:
    reg = registries(request)
    records = reg.list()
    reg.prefetch_catalogs(records)  # a catalog page is likely next: its first look waits less
    return render("registries.html", who, registries=[describe(r) for r in records])


@router.get("/registries/{name}")
def catalog_page(request: Request, name: str, paging: PagingQuery, who: Principal = READ) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    found = reg.repositories(name, paging, refresh=False)
    return render("registry.html", who, reg=record, found=found, q=paging.q, gc_note=GC_NOTE)


@router.get("/registries/{name}/repository")
def repository_page(
    request: Request,
    name: str,
    repository: str,
    paging: PagingQuery,
    who: Principal = READ,
) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    found = reg.tags(name, repository, paging, refresh=False)
    usage = _usage(reg, name, repository)
    return render(
        "registry_repository.html", who, reg=record, repository=repository, found=found, q=paging.q,
        usage=usage,
    )


@router.get("/registries/{name}/manifest")
def manifest_page(
    request: Request, name: str, repository: str, reference: str, who: Principal = READ
) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    manifest = reg.manifest(name, repository, reference)
    shared = _shared_tags(reg, name, repository, reference, manifest["digest"])
    return render("registry_manifest.html", who, reg=record, m=manifest, shared=shared, gc_note=GC_NOTE)


def _usage(reg: Any, name: str, repository: str) -> list[dict[str, str]] | None:
    """Services of the repository, or None when this engine cannot tell (not a manager)."""
    try:
        return reg.usage(name, repository)
    except ConsoleError:
        return None


def _shared_tags(reg: Any, name: str, repository: str, reference: str, digest: str) -> list[str]:
    tags = reg.tags(name, repository, Paging("", 1, SHARED_TAGS_CHECKED), refresh=False).items
    shared = []
    with reg.client(name) as registry:
        for tag in tags:
            if tag == reference:
                continue
            try:
                if registry.digest(repository, tag) == digest:
                    shared.append(tag)
            except RegistryError:
                continue
    return shared
