"""Pages of the swarm, its stacks and the registries (server-rendered, autoescaped; changes go
through the JSON API from the page, the live map comes by SSE).

The swarm pages show the endpoint the resource pages show (``on_page``: ``?endpoint=``, else
the one remembered for this browser session), with its selector; off a manager they say so,
naming the endpoint, with the selector still there to choose another. Registries are the
console's own, not an endpoint's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse

from swarmdeck.console import lists, tables
from swarmdeck.console.api.swarm import LogSearch, LogTail, log_options, naming, shown_service
from swarmdeck.console.context import ENDPOINT_PARAM, READ, Target
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.gitstacks import git_source, git_stacks_of
from swarmdeck.console.pages import on_page, render, render_on
from swarmdeck.console.paging import Paging, PagingQuery
from swarmdeck.console.params import NodeRef, RegistryName, Repository, ServiceRef, StackName, TagOrDigest
from swarmdeck.console.registries import GC_NOTE, describe, registries
from swarmdeck.console.security import Principal
from swarmdeck.console.stackfiles import BUILTIN, files_of
from swarmdeck.console.tables import TableQueryParam
from swarmdeck.registry.errors import RegistryError
from swarmdeck.store import Role
from swarmdeck.swarm import membership, nodes, overview, service_edit, service_logs, services, stacks
from swarmdeck.swarm.errors import SwarmRefusal
from swarmdeck.swarm.service_form import CHOICES, LINES

router = APIRouter(include_in_schema=False)
SPEC_FORMS = {"spec_lines": LINES, "spec_choices": {f"{s}.{f}": v for (s, f), v in CHOICES.items()}}
SHARED_TAGS_CHECKED = 200  # the manifest page looks for other tags on the digest among this many


def render_swarm(
    request: Request, who: Principal, template: str, section: str, read: Callable[[Target], dict[str, Any]]
) -> HTMLResponse:
    """A page of the chosen endpoint's swarm; off a manager, the refusal (409) with the
    selector, so that another endpoint can be chosen from there."""
    t = on_page(request, who)
    try:
        with naming(t.endpoint):
            context = read(t)
    except SwarmRefusal as exc:
        return render_on("swarm_refused.html", request, t, section, status=409, message=str(exc))
    return render_on(template, request, t, section, **context)


@router.get("/swarm")
def swarm_page(request: Request, who: Principal = READ) -> HTMLResponse:
    def read(t: Target) -> dict[str, Any]:
        view, found = overview.overview_and_nodes(t.client)
        managing = view["state"] == "active" and view["is_manager"]
        tokens = (
            membership.join_tokens(t.client, overview.state_of(view))
            if managing and who.role.allows(Role.ADMIN)
            else None
        )
        return {"swarm": view, "nodes": found, "tokens": tokens, "managing": managing}

    return render_swarm(request, who, "swarm.html", "/swarm", read)


@router.get("/swarm/nodes/{node_id}")
def node_page(request: Request, node_id: NodeRef, who: Principal = READ) -> HTMLResponse:
    return render_swarm(
        request, who, "swarm_node.html", "/swarm", lambda t: {"node": nodes.get_node(t.client, node_id)}
    )


@router.get("/services")
def services_page(request: Request, query: TableQueryParam, who: Principal = READ) -> HTMLResponse:
    def read(t: Target) -> dict[str, Any]:
        found = services.list_services(t.client)
        return {"tv": tables.show(lists.SERVICES, found, query, "/services", [(ENDPOINT_PARAM, t.endpoint)])}

    return render_swarm(request, who, "services.html", "/services", read)


@router.get("/services/{ref}")
def service_page(request: Request, ref: ServiceRef, who: Principal = READ) -> HTMLResponse:
    def read(t: Target) -> dict[str, Any]:
        service = shown_service(services.get_service(t.client, ref), who)
        lines = service_logs.Lines(t.client, service["id"], log_options(200, True, ""))
        # the spec editor's forms, for who may change the service (they hold env values)
        edit = service_edit.edit_form(t.client, ref) if who.role.allows(Role.OPERATOR) else None
        return {"s": service, "logs": list(lines), "edit": edit, **SPEC_FORMS}

    return render_swarm(request, who, "service.html", "/services", read)


@router.get("/services/{ref}/logs.txt")
def service_logs_download(
    request: Request, ref: ServiceRef, who: Principal = READ, tail: LogTail = 10000, search: LogSearch = ""
) -> PlainTextResponse:
    """The service's log as a text file (timestamps and task prefixes, searched as shown)."""
    t = on_page(request, who)
    with naming(t.endpoint):
        service = services.raw_service(t.client, ref)
        lines = service_logs.Lines(t.client, service["ID"], log_options(tail, True, search))
        text = "".join(f"{line}\n" for line in lines)
    filename = f"{service['Spec']['Name']}.log".replace('"', "")
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/stacks")
def stacks_page(request: Request, query: TableQueryParam, who: Principal = READ) -> HTMLResponse:
    def read(t: Target) -> dict[str, Any]:
        found = stacks.list_stacks(t.client)
        return {
            "tv": tables.show(lists.STACKS, found, query, "/stacks", [(ENDPOINT_PARAM, t.endpoint)]),
            "templates": [*BUILTIN, *files_of(request.app).templates()],
            "git_stacks": git_stacks_of(request.app).list(t.endpoint),
        }

    return render_swarm(request, who, "stacks.html", "/stacks", read)


@router.get("/stacks/{name}")
def stack_page(request: Request, name: StackName, who: Principal = READ) -> HTMLResponse:
    def read(t: Target) -> dict[str, Any]:
        history = files_of(request.app).versions(t.endpoint, name)
        current = history[0] if history else None
        return {
            "stack": stacks.get_stack(t.client, name),
            "versions": history,
            "current": current,
            "current_env": json.dumps(current.env) if current and current.env else "",
            **git_source(request, who, t.endpoint, name),
        }

    return render_swarm(request, who, "stack.html", "/stacks", read)


@router.get("/registries")
def registries_page(request: Request, who: Principal = READ) -> HTMLResponse:
    reg = registries(request)
    records = reg.list()
    reg.prefetch_catalogs(records)  # a catalog page is likely next: its first look waits less
    return render("registries.html", who, registries=[describe(r) for r in records])


@router.get("/registries/{name}")
def catalog_page(
    request: Request, name: RegistryName, paging: PagingQuery, who: Principal = READ
) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    found = reg.repositories(name, paging, refresh=False)
    notify = reg.notify_status(name, str(request.base_url))
    return render("registry.html", who, reg=record, found=found, q=paging.q, gc_note=GC_NOTE, notify=notify)


@router.get("/registries/{name}/repository")
def repository_page(
    request: Request,
    name: RegistryName,
    repository: Repository,
    paging: PagingQuery,
    who: Principal = READ,
) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    found = reg.tags(name, repository, paging, refresh=False)
    t = on_page(request, who)
    return render(
        "registry_repository.html",
        who,
        reg=record,
        repository=repository,
        found=found,
        q=paging.q,
        usage=_usage(reg, name, repository, t),
        ep=t.endpoint,
    )


@router.get("/registries/{name}/manifest")
def manifest_page(
    request: Request,
    name: RegistryName,
    repository: Repository,
    reference: TagOrDigest,
    who: Principal = READ,
) -> HTMLResponse:
    reg = registries(request)
    record = describe(reg.get(name))
    manifest = reg.manifest(name, repository, reference)
    shared = _shared_tags(reg, name, repository, reference, manifest["digest"])
    return render("registry_manifest.html", who, reg=record, m=manifest, shared=shared, gc_note=GC_NOTE)


def _usage(reg: Any, name: str, repository: str, t: Target) -> list[dict[str, str]] | None:
    """Services of the repository on the page's endpoint, or None when that engine cannot tell
    (not a manager)."""
    try:
        return reg.usage(name, repository, t.client)
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
