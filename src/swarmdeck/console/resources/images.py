"""Images as the console shows them: the list (with how many containers use each), inspect,
tag and remove, and the streamed ``docker pull``, ``push`` and ``build`` (an uploaded
context checked before the engine sees it; build output one whole line per event)."""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import docker

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.resources.names import check_reference, check_target
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.reference import split_tag
from swarmdeck.images.build import tag_image

_DOCKERFILE = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")


@dataclass(frozen=True)
class ImageRow:
    id: str
    tags: list[str]
    size: int
    created: int
    containers: int  # how many containers (running or not) use it

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


def list_images(client: docker.DockerClient) -> list[ImageRow]:
    users: dict[str, int] = {}
    with doing("listing images failed"):
        for raw in client.api.containers(all=True):
            users[raw.get("ImageID", "")] = users.get(raw.get("ImageID", ""), 0) + 1
        images = client.api.images()
    rows = [
        ImageRow(
            i["Id"],
            [t for t in i.get("RepoTags") or [] if t != "<none>:<none>"],
            i.get("Size", 0),
            i.get("Created", 0),
            users.get(i["Id"], 0),
        )
        for i in images
    ]
    return sorted(rows, key=lambda r: (not r.tags, r.tags[:1], r.id))


def inspect_image(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    with doing(f"image {ref}"):
        return client.api.inspect_image(ref)


def tag(client: docker.DockerClient, source: str, target: str) -> None:
    tag_image(client, check_reference(source), check_target(target, digest=False))


def remove_image(client: docker.DockerClient, ref: str, force: bool = False) -> None:
    with doing(f"removing image {ref} failed"):
        client.api.remove_image(ref, force=force)


def start_pull(client: docker.DockerClient, reference: str) -> Iterator[dict[str, Any]]:
    """Start ``docker pull``; failures the engine knows at once (no registry, no such image)
    raise here, later ones arrive as events with an ``error`` key."""
    check_target(reference)
    with doing(f"pulling {reference} failed"):
        return iter(client.api.pull(reference, stream=True, decode=True))


def start_push(client: docker.DockerClient, reference: str) -> Iterator[dict[str, Any]]:
    """Start ``docker push``; a missing local image raises here, registry refusals arrive
    later as events with an ``error`` key."""
    check_target(reference, digest=False)
    inspect_image(client, reference)  # 404 with the engine's words when it is not here
    repository, tag = split_tag(reference)
    with doing(f"pushing {reference} failed"):
        return iter(client.api.push(repository, tag=tag, stream=True, decode=True))


def check_context(upload: BinaryIO, dockerfile: str) -> str:
    """Check an uploaded build context (a tar, maybe gzipped) before the engine sees it: it
    must be a readable archive holding ``dockerfile``. Returns the encoding to announce
    (``"gzip"`` or ``""``) and leaves the file at its start."""
    if not _DOCKERFILE.match(dockerfile) or ".." in dockerfile.split("/"):
        raise ConsoleError(f"dockerfile {dockerfile!r}: a relative path inside the context")
    magic = upload.read(2)
    upload.seek(0)
    try:
        with tarfile.open(fileobj=upload, mode="r:*") as tar:
            names = {n.removeprefix("./") for n in tar.getnames()}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ConsoleError(f"the build context is not a tar archive (plain or gzipped): {exc}") from exc
    finally:
        upload.seek(0)
    if dockerfile.removeprefix("./") not in names:
        raise ConsoleError(f"the build context has no {dockerfile} at its top")
    return "gzip" if magic == b"\x1f\x8b" else ""


def start_build(
    client: docker.DockerClient, upload: BinaryIO, tag: str, dockerfile: str = "Dockerfile"
) -> Iterator[dict[str, Any]]:
    """Start ``docker build -t TAG -`` from an uploaded context; build errors (a failing RUN)
    arrive as events with an ``error`` key."""
    check_target(tag, digest=False)
    encoding = check_context(upload, dockerfile)
    with doing(f"building {tag} failed"):
        return _whole_lines(
            client.api.build(
                fileobj=upload,
                custom_context=True,
                encoding=encoding or None,
                tag=tag,
                dockerfile=dockerfile,
                rm=True,
                forcerm=True,
                decode=True,
            )
        )


def _whole_lines(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The build's ``stream`` output one whole line per item (the engine passes a RUN step's
    output on in whatever chunks it was written); other items as they come."""
    pending = ""
    for item in items:
        if "stream" not in item:
            yield item
            continue
        pending += item["stream"]
        *lines, pending = pending.split("\n")
        yield from ({"stream": line} for line in lines)
    if pending:
        yield {"stream": pending}
