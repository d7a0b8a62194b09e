"""The raw inspect view: the engine's own JSON answer for a container, image, network, volume,
service, task or node, rendered as collapsible nested ``<details>`` (one generic page,
``/inspect/KIND?ref=REF``, linked from each object's page).

Everything shown comes from the engine and is escaped by the template (autoescape): a label
holding markup shows as text. Environment values are masked for read-only users, as on the
object pages (``envmask``): a container's ``Config.Env``, a service's and a task's container
spec ``Env``."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import docker
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from swarmdeck.console import envmask
from swarmdeck.console import resources as res
from swarmdeck.console.api.swarm import naming
from swarmdeck.console.context import READ
from swarmdeck.console.pages import TEMPLATES, on_page, render_on
from swarmdeck.console.security import Principal
from swarmdeck.engine.errormap import doing
from swarmdeck.swarm import nodes, services
from swarmdeck.swarm.membership import manager_read

router = APIRouter(include_in_schema=False)
Kind = Literal["container", "image", "network", "volume", "service", "task", "node"]
KINDS: tuple[str, ...] = ("container", "image", "network", "volume", "service", "task", "node")
Ref = Annotated[str, Query(min_length=1, max_length=512, description="the object's ID or name")]
SECTIONS = {
    "container": "/containers",
    "image": "/images",
    "network": "/networks",
    "volume": "/volumes",
    "service": "/services",
    "task": "/services",
    "node": "/swarm",
}


def _task(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    answer: dict[str, Any] = manager_read(client, f"task {ref}", lambda: client.api.inspect_task(ref))
    return answer


READERS: dict[str, Callable[[docker.DockerClient, str], dict[str, Any]]] = {
    "container": res.inspect_container,
    "image": res.inspect_image,
    "network": res.inspect_network,
    "volume": res.inspect_volume,
    "service": services.raw_service,
    "task": _task,
    "node": nodes.inspect_raw,
}
# Where a container spec sits in a service's and a task's answer (its Env is masked).
CONTAINER_SPEC = {"service": ("Spec", "TaskTemplate", "ContainerSpec"), "task": ("Spec", "ContainerSpec")}


def masked(kind: str, doc: dict[str, Any], reveal: bool) -> dict[str, Any]:
    """``doc`` with its environment values masked unless ``reveal``."""
    if reveal:
        return doc
    if kind == "container":
        return envmask.container(doc, reveal)
    path = CONTAINER_SPEC.get(kind)
    if path is None:
        return doc
    shown = copy.deepcopy(doc)
    spec: Any = shown
    for key in path:
        spec = spec.get(key) if isinstance(spec, dict) else None
    if isinstance(spec, dict) and spec.get("Env"):
        spec["Env"] = envmask.masked(spec["Env"])
    return shown


def scalar(value: object) -> str:
    """A leaf as JSON writes it (strings quoted, null, true); the template escapes it."""
    return json.dumps(value, ensure_ascii=False)


TEMPLATES.filters["json_scalar"] = scalar


@router.get("/inspect/{kind}")
def inspect_page(request: Request, kind: Kind, ref: Ref, who: Principal = READ) -> HTMLResponse:
    t = on_page(request, who)
    with naming(t.endpoint), doing(f"{kind} {ref}"):
        doc = READERS[kind](t.client, ref)
    doc = masked(kind, doc, envmask.reveals(who))
    return render_on(
        "inspect.html",
        request,
        t,
        SECTIONS[kind],
        kind=kind,
        ref=ref,
        doc=doc,
        raw=json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False),
    )
