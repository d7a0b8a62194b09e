"""The API's OpenAPI document describes every answer: a client can be generated from it.

Every route's success answer is a named model (a ``$ref`` into the document's components,
or a list of one), or a server-sent event stream declared as ``text/event-stream`` with a
description of its events. An untyped ``dict`` answer fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from swarmdeck.console import create_app


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(tmp_path_factory.mktemp("openapi") / "data")
    try:
        return app.openapi()
    finally:
        app.state.console.close()


def _named(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return schema["$ref"].removeprefix("#/components/schemas/") in components
    if schema.get("type") == "array":
        return _named(schema.get("items") or {}, components)
    return False


def untyped(document: dict[str, Any]) -> set[tuple[str, str]]:
    components = document["components"]["schemas"]
    found = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            answers = [r for code, r in operation["responses"].items() if code.startswith("2")]
            contents = [(kind, c) for r in answers for kind, c in (r.get("content") or {}).items()]
            ok = bool(contents) and all(
                _named(c.get("schema") or {}, components)
                if kind == "application/json"
                else kind == "text/event-stream" and (c.get("schema") or {}).get("description")
                for kind, c in contents
            )
            if not ok:
                found.add((method.upper(), path))
    return found


def test_every_route_declares_a_typed_answer(document: dict[str, Any]) -> None:
    assert untyped(document) == set()


def test_the_document_lists_the_api(document: dict[str, Any]) -> None:
    """The check above looks at every route: there are many, and the models are named."""
    assert len(document["paths"]) > 60
    assert {"Container", "ContainerPage", "Endpoint", "Status", "User"} <= set(
        document["components"]["schemas"]
    )


def test_a_dict_answer_counts_as_untyped() -> None:
    """The check itself can fail: an answer documented as a bare object is reported."""
    document = {
        "components": {"schemas": {"Status": {"type": "object", "properties": {}}}},
        "paths": {
            "/x": {
                "get": {
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}
                },
                "post": {
                    "responses": {
                        "201": {
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Status"}}
                            }
                        }
                    }
                },
            }
        },
    }
    assert untyped(document) == {("GET", "/x")}
