"""The JSON API under /api, one router per resource (auth and tokens, users, endpoints,
teams, audit, containers, images, networks and volumes, the swarm, stacks (with their
history, the app templates and stacks from Git), secrets and configs, registries, settings, and the engine's
events: live changes and the events page).

Every route names the least role it needs (READ, OPERATE, ADMIN) and declares its answer's
model (``models``), so ``/api/openapi.json`` documents every answer; every change runs inside
``audited``. Blocking engine calls run in FastAPI's thread pool (plain ``def`` routes);
streams go out as server-sent events.
"""

from __future__ import annotations

from fastapi import APIRouter

from swarmdeck.console.api import (
    audit,
    auth,
    containers,
    endpoints,
    events,
    gitstacks,
    images,
    networks,
    objects,
    registries,
    registry_notifications,
    service_edit,
    settings,
    stackfiles,
    stacks,
    swarm,
    teams,
    users,
)

router = APIRouter(prefix="/api")
for _part in (
    auth,
    users,
    endpoints,
    teams,
    audit,
    containers,
    images,
    networks,
    swarm,
    service_edit,
    stacks,
    stackfiles,
    gitstacks,
    objects,
    events,
    registries,
    registry_notifications,
    settings,
):
    router.include_router(_part.router)
