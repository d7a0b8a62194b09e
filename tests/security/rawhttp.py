"""Requests as an attacker sends them, and the routes of the real app to send them to.

httpx cleans a URL's path (``/a/../b`` becomes ``/b``) before it sends it, as browsers do;
``curl --path-as-is`` does not, so neither does ``send``: it goes through httpcore (httpx's
own transport) with the request target exactly as given.

``routes`` walks ``app.routes`` of the real app (FastAPI keeps included routers nested), so
a route added later is probed without anyone listing it; ``example_request`` fills a route's
other path parameters, its required query parameters and its JSON body with plain values,
so that a probe is refused for what it carries, not for what is missing.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpcore
from fastapi import FastAPI
from fastapi.routing import APIRoute


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    base_url: str, method: str, target: str, token: str, body: Any = None, timeout: float = 30
) -> Answer:
    """``method`` ``target`` (sent as is) with a Bearer token and an optional JSON body."""
    parts = urlsplit(base_url)
    headers = [(b"Authorization", f"Bearer {token}".encode()), (b"Host", parts.netloc.encode())]
    content = b""
    if body is not None:
        content = json.dumps(body).encode()
        headers.append((b"Content-Type", b"application/json"))
    url = httpcore.URL(
        scheme=parts.scheme.encode(), host=parts.hostname.encode(), port=parts.port, target=target.encode()
    )
    extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
    with httpcore.ConnectionPool() as pool:
        response = pool.request(method, url, headers=headers, content=content, extensions=extensions)
    return Answer(
        response.status,
        response.content,
        {k.decode().lower(): v.decode("latin-1") for k, v in response.headers},
    )


def routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(path, route) of every route the app answers with its own handler."""

    def walk(items: list[Any], prefix: str) -> Iterator[tuple[str, APIRoute]]:
        for route in items:
            if hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.120)
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                yield prefix + route.path_format, route

    return walk(list(app.routes), "")


def _params(route: APIRoute) -> tuple[list[Any], list[Any]]:
    path, query = [], []

    def walk(dependant: Any) -> None:
        path.extend(dependant.path_params)
        query.extend(dependant.query_params)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return path, query


def path_params(route: APIRoute) -> list[str]:
    return [p.name for p in _params(route)[0]]


def params(route: APIRoute) -> list[tuple[str, Any]]:
    """("path" or "query", field) of every parameter of a route, its dependencies' included."""
    path, query = _params(route)
    return [("path", f) for f in path] + [("query", f) for f in query]


def _plain(annotation: Any) -> Any:
    """A valid value of a parameter's type: a Literal's first choice, 1, or a short name."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return args[0]
    if annotation is int or int in args:
        return 1
    return "sdprobe0"


def _example(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _example(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return _example(schema["anyOf"][0], defs)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        return {k: _example(v, defs) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return []
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    if "enum" in schema:
        return schema["enum"][0]
    return "x"


def example_request(
    path: str, route: APIRoute, probe_param: str | None, probe: str, query_probe: str | None = None
) -> tuple[str, Any]:
    """The target (``probe`` put raw into the path parameter ``probe_param``, or into the
    query parameter ``query_probe``; plain values elsewhere, required query parameters
    added) and a JSON body the route accepts (or None)."""
    path_fields, query_fields = _params(route)
    target = path
    for field in path_fields:
        value = probe if field.name == probe_param else quote(str(_plain(field.field_info.annotation)))
        target = target.replace("{" + field.name + "}", value)
    query = [
        f"{q.name}={quote(str(_plain(q.field_info.annotation)))}"
        for q in query_fields
        if q.field_info.is_required() and q.name != query_probe
    ]
    if query_probe is not None:
        query.append(f"{query_probe}={probe}")
    if query:
        target += "?" + "&".join(query)
    body = None
    if route.body_field is not None:
        schema = route.body_field.field_info.annotation.model_json_schema()
        body = _example(schema, schema.get("$defs", {}))
    return target, body
