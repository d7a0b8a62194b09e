"""Engine endpoints: every user lists those they may see; admins add, edit, test and remove.

An endpoint a user may not see answers 404 here, as if it did not exist (``visibility``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from swarmdeck.console.api import models
from swarmdeck.console.checks import EndpointCheck
from swarmdeck.console.context import ADMIN, READ, audited, console
from swarmdeck.console.endpoints import describe, probe
from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.params import EndpointName
from swarmdeck.console.security import Principal
from swarmdeck.console.visibility import visible_endpoint, visible_endpoints

router = APIRouter(tags=["endpoints"])


class EndpointIn(BaseModel):
    name: str
    url: str
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    force: bool = Field(
        default=False,
        description="save it even when no engine answers (the answer's check says why); "
        "without it, such an endpoint is refused (502) and nothing is saved",
    )


class EndpointPatch(BaseModel):
    url: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    force: bool = Field(
        default=False,
        description="save it even when no engine answers (the answer's check says why); "
        "without it, such an endpoint is refused (502) and nothing is saved",
    )


@router.get("/endpoints")
def list_endpoints(request: Request, who: Principal = READ) -> list[models.Endpoint]:
    """Every endpoint for admins; for other users, those granted to their teams."""
    visible = visible_endpoints(request, who)
    return [
        models.Endpoint(**describe(e))
        for e in console(request).store.list_endpoints()
        if visible is None or e.name in visible
    ]


@router.post("/endpoints", status_code=201)
def add_endpoint(request: Request, body: EndpointIn, who: Principal = ADMIN) -> models.EndpointSaved:
    """Add an endpoint once an engine answers there (engine version, swarm role in ``check``);
    one that does not answer is refused with what to check, unless ``force``."""
    if body.name == console(request).endpoint_name:
        raise ConsoleError(f"{body.name!r} names the console's own engine: choose another name", 409)
    check = EndpointCheck(body.force)
    with audited(request, who, "endpoint.add", target=f"{body.name} {body.url}", endpoint=body.name):
        record = console(request).store.add_endpoint(
            body.name, body.url, body.tls_ca, body.tls_cert, body.tls_key, check=check
        )
    return models.EndpointSaved(**describe(record), check=models.EndpointCheck(**check.result))


@router.get("/endpoints/{name}")
def get_endpoint(request: Request, name: EndpointName, who: Principal = READ) -> models.Endpoint:
    return models.Endpoint(**describe(visible_endpoint(request, who, name)))


@router.patch("/endpoints/{name}")
def edit_endpoint(
    request: Request, name: EndpointName, body: EndpointPatch, who: Principal = ADMIN
) -> models.EndpointSaved:
    """Change an endpoint, checked as when it is added (``force`` to save it all the same)."""
    check = EndpointCheck(body.force)
    with audited(request, who, "endpoint.edit", target=name, endpoint=name):
        record = console(request).store.update_endpoint(
            name, body.url, body.tls_ca, body.tls_cert, body.tls_key, check=check
        )
    return models.EndpointSaved(**describe(record), check=models.EndpointCheck(**check.result))


@router.post("/endpoints/{name}/test")
def test_endpoint(request: Request, name: EndpointName, _: Principal = ADMIN) -> models.EndpointProbe:
    """Connect now: health, engine version, swarm role."""
    store = console(request).store
    record = store.get_endpoint(name)
    return models.EndpointProbe(
        **describe(record), **probe(record, tls_files=store.endpoint_tls_files(record))
    )


@router.delete("/endpoints/{name}")
def remove_endpoint(request: Request, name: EndpointName, who: Principal = ADMIN) -> models.Status:
    with audited(request, who, "endpoint.remove", target=name, endpoint=name):
        console(request).store.remove_endpoint(name)
    return models.Status(status="removed")
