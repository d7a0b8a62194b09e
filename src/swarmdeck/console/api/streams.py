"""How the API documents its server-sent event streams in OpenAPI: the answer is
``text/event-stream``, and the description says which events come and what they carry."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse


def event_stream(description: str) -> dict[str, Any]:
    """Route options for a route that answers with a stream of server-sent events."""
    return {
        "response_class": StreamingResponse,
        "response_model": None,
        "responses": {
            200: {
                "description": description,
                "content": {"text/event-stream": {"schema": {"type": "string", "description": description}}},
            }
        },
    }
