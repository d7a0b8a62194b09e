"""Images on the chosen endpoint: list, tag, inspect, remove, and pull, push and build with
live progress as server-sent events (a refusal at once is a plain JSON error instead).

Every change is audited, streams too: their result is recorded when they end, also when
the client leaves first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from swarmdeck.console import resources as res
from swarmdeck.console import sse
from swarmdeck.console.api import models
from swarmdeck.console.api.streams import event_stream
from swarmdeck.console.context import OPERATE_ON, READ_ON, Target, audit, audited
from swarmdeck.console.params import ImageRef
from swarmdeck.errors import SwarmdeckError

router = APIRouter(tags=["images"])


class TagIn(BaseModel):
    source: str
    target: str


class PullIn(BaseModel):
    reference: str


def image_model(row: res.ImageRow) -> models.Image:
    return models.Image.model_validate(row, from_attributes=True)


@router.get("/images")
def list_images(request: Request, t: Target = READ_ON) -> list[models.Image]:
    return [image_model(i) for i in res.list_images(t.client)]


@router.post("/images/tag", status_code=201)
def tag_image(request: Request, body: TagIn, t: Target = OPERATE_ON) -> models.Tagged:
    with audited(request, t.who, "image.tag", target=f"{body.source} -> {body.target}", endpoint=t.endpoint):
        res.tag(t.client, body.source, body.target)
    return models.Tagged(status="tagged", target=body.target)


def _progress(
    request: Request,
    t: Target,
    action: str,
    target: str,
    failure: str,
    items: Iterator[dict[str, Any]],
    show: Callable[[dict[str, Any]], dict[str, Any] | None],
    done: Callable[[], dict[str, Any]],
) -> StreamingResponse:
    """An engine progress stream (pull, push, build) as server-sent events: ``progress``
    messages (what ``show`` makes of each item, if anything), then ``done`` or ``error``;
    the result goes to the audit log, also when the client leaves before the end."""

    async def body() -> AsyncIterator[str]:
        result = "error: the client went away before the end"
        try:
            async for item in sse.pump(items, lambda: None):
                if item is None:
                    yield sse.KEEPALIVE
                elif "error" in item:
                    message = ((item.get("errorDetail") or {}).get("message") or item["error"]).strip()
                    result = f"error: {failure}: {message}"
                    yield sse.event({"message": result.removeprefix("error: ")}, "error")
                    return
                elif (shown := show(item)) is not None:
                    yield sse.event(shown, "progress")
            result = "ok"
            yield sse.event(done(), "done")
        finally:
            audit(request, t.who, action, result, target, t.endpoint)

    return sse.stream(body())


def _layer_progress(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id", ""),
        "status": item.get("status", ""),
        "progress": item.get("progress", ""),
        **(item.get("progressDetail") or {}),
    }


async def _start(
    request: Request,
    t: Target,
    action: str,
    target: str,
    start: Callable[..., Iterator[dict[str, Any]]],
    *args: Any,
) -> Iterator[dict[str, Any]]:
    """Start an engine stream in the thread pool; a refusal at once is a JSON error, audited."""
    try:
        return await run_in_threadpool(start, t.client, *args)
    except SwarmdeckError as exc:
        audit(request, t.who, action, f"error: {exc}", target, t.endpoint)
        raise


@router.post("/images/pull", **event_stream("`progress` per layer, then `done` or `error`"))
async def pull_image(request: Request, body: PullIn, t: Target = OPERATE_ON) -> StreamingResponse:
    """Pull with live progress (server-sent events). A pull the engine refuses at once (no
    registry, no such image) is a plain JSON error instead."""
    progress = await _start(request, t, "image.pull", body.reference, res.start_pull, body.reference)
    return _progress(
        request,
        t,
        "image.pull",
        body.reference,
        f"pulling {body.reference} failed",
        progress,
        _layer_progress,
        lambda: {"reference": body.reference},
    )


@router.post("/images/push", **event_stream("`progress` per layer, then `done` (with the digest) or `error`"))
async def push_image(request: Request, body: PullIn, t: Target = OPERATE_ON) -> StreamingResponse:
    """Push a local image to its registry with live progress (server-sent events). An image
    that is not on the engine is a plain JSON 404 instead."""
    progress = await _start(request, t, "image.push", body.reference, res.start_push, body.reference)
    digest = {"digest": ""}

    def show(item: dict[str, Any]) -> dict[str, Any] | None:
        if (item.get("aux") or {}).get("Digest"):
            digest["digest"] = item["aux"]["Digest"]
            return None
        return _layer_progress(item)

    return _progress(
        request,
        t,
        "image.push",
        body.reference,
        f"pushing {body.reference} failed",
        progress,
        show,
        lambda: {"reference": body.reference, **digest},
    )


@router.post(
    "/images/build", **event_stream("the build's output, then `done` (with the image ID) or `error`")
)
async def build_image(
    request: Request,
    context: Annotated[
        UploadFile,
        File(description=("the build context: a tar archive, plain or gzipped, with the Dockerfile inside")),
    ],
    tag: Annotated[str, Form()],
    t: Target = OPERATE_ON,
    dockerfile: Annotated[str, Form()] = "Dockerfile",
) -> StreamingResponse:
    """Build an image from an uploaded context (multipart), streaming the build's output."""
    progress = await _start(request, t, "image.build", tag, res.start_build, context.file, tag, dockerfile)
    image = {"id": ""}

    def show(item: dict[str, Any]) -> dict[str, Any] | None:
        if (item.get("aux") or {}).get("ID"):
            image["id"] = item["aux"]["ID"]
        line = (item.get("stream") or item.get("status") or "").rstrip()
        return {"status": line} if line else None

    return _progress(
        request,
        t,
        "image.build",
        tag,
        f"building {tag} failed",
        progress,
        show,
        lambda: {"reference": tag, **image},
    )


@router.get("/images/{ref:path}")
def inspect_image(request: Request, ref: ImageRef, t: Target = READ_ON) -> models.EngineDocument:
    return models.EngineDocument(res.inspect_image(t.client, ref))


@router.delete("/images/{ref:path}")
def remove_image(
    request: Request, ref: ImageRef, t: Target = OPERATE_ON, force: bool = False
) -> models.Status:
    with audited(request, t.who, "image.remove", target=ref, endpoint=t.endpoint):
        res.remove_image(t.client, ref, force)
    return models.Status(status="removed")
