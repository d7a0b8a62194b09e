"""The console's lists as tables (``tables.Table``): for services, stacks, containers, images,
volumes and networks, their columns and what each sorts by, what the search looks in, and
their bulk actions (each one request per object through the API route that does it alone,
so authorisation, CSRF and the audit are those of that route)."""

from __future__ import annotations

from typing import Any

from swarmdeck.console.tables import Action, Column, Table


def _get(key: str) -> Any:
    return lambda r: r[key] if isinstance(r, dict) else getattr(r, key)


def _count(key: str) -> Any:
    return lambda r: len(r[key] if isinstance(r, dict) else getattr(r, key))


REMOVE = "remove"

CONTAINERS = Table(
    id="containers",
    noun="containers",
    columns=(
        Column("name", "Name", _get("name")),
        Column("state", "State", lambda r: (r.state, r.status)),
        Column("image", "Image", _get("image")),
        Column("ports", "Ports", _get("ports")),
        Column("stack", "Stack / service", lambda r: (r.stack, r.service)),
        Column("created", "Created", _get("created")),
        Column("labels", "Labels", optional=True),
    ),
    search=lambda r: (r.name, r.image, r.stack, r.service, r.id[:64]),
    default_sort="name",
    actions=(
        Action("stop", "POST", "/api/containers/{id}/stop"),
        Action("restart", "POST", "/api/containers/{id}/restart"),
        Action(REMOVE, "DELETE", "/api/containers/{id}?force=true", danger=True),
    ),
)

SERVICES = Table(
    id="services",
    noun="services",
    columns=(
        Column("name", "Name", _get("name")),
        Column("mode", "Mode", _get("mode")),
        Column("tasks", "Tasks", lambda s: (s["running"], s["replicas"])),
        Column("image", "Image", _get("image")),
        Column("ports", "Ports", _get("ports")),
        Column("endpoint", "Endpoint", _get("endpoint_mode")),
        Column("stack", "Stack", _get("stack")),
        Column("update", "Update", _get("update_state")),
        Column("labels", "Labels", optional=True),
    ),
    search=lambda s: (s["name"], s["image"], s["stack"], s["id"]),
    default_sort="name",
    actions=(Action(REMOVE, "DELETE", "/api/services/{id}", danger=True),),
)

STACKS = Table(
    id="stacks",
    noun="stacks",
    columns=(
        Column("name", "Name", _get("name")),
        Column("services", "Services", _get("services")),
        Column("tasks", "Tasks", lambda s: (s["running"], s["replicas"])),
    ),
    search=lambda s: (s["name"],),
    default_sort="name",
    actions=(Action(REMOVE, "DELETE", "/api/stacks/{id}", danger=True),),
    row_id=lambda s: str(s["name"]),
)


def _image_name(i: Any) -> str:
    return str(i.tags[0] if i.tags else i.short_id)


IMAGES = Table(
    id="images",
    noun="images",
    columns=(
        Column("tags", "Tags", lambda i: (not i.tags, i.tags)),
        Column("id", "ID", _get("short_id")),
        Column("size", "Size", _get("size")),
        Column("created", "Created", _get("created")),
        Column("used", "Used by", _get("containers")),
    ),
    search=lambda i: (*i.tags, i.id.removeprefix("sha256:")),
    default_sort="tags",
    actions=(Action(REMOVE, "DELETE", "/api/images/{id}", danger=True),),
    row_name=_image_name,
)

VOLUMES = Table(
    id="volumes",
    noun="volumes",
    columns=(
        Column("name", "Name", _get("name")),
        Column("driver", "Driver", _get("driver")),
        Column("containers", "Containers", _count("containers")),
        Column("labels", "Labels", optional=True),
    ),
    search=lambda v: (v["name"], v["driver"], *v["containers"]),
    default_sort="name",
    actions=(Action(REMOVE, "DELETE", "/api/volumes/{id}", danger=True),),
    row_id=lambda v: str(v["name"]),
)

NETWORKS = Table(
    id="networks",
    noun="networks",
    columns=(
        Column("name", "Name", _get("name")),
        Column("driver", "Driver", _get("driver")),
        Column("scope", "Scope", _get("scope")),
        Column("containers", "Containers", _count("containers")),
        Column("labels", "Labels", optional=True),
    ),
    search=lambda n: (n["name"], n["driver"], n["id"], *n["containers"]),
    default_sort="name",
    actions=(Action(REMOVE, "DELETE", "/api/networks/{id}", danger=True),),
)
