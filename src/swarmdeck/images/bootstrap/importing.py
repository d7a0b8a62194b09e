"""Bringing a rootfs into the engine (``docker import``) and the image look-ups around it.

The engine's own errors arrive as ``engine.errors`` types: the checked clients raise them,
and ``engine.errormap.doing`` translates what any other client's SDK raises. Here they
become :class:`ImageError` where a build must fail, and nothing where an answer is optional
(an image that does not exist, an old image still used by a container).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from docker import DockerClient

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineNotFound, EngineRefused
from swarmdeck.images.bootstrap.recipes import RECIPE_LABEL, ROLE_LABEL, BaseImage
from swarmdeck.images.bootstrap.rootfs import tail
from swarmdeck.images.errors import ImageError


def _tar_stream(stdout: IO[bytes]) -> Iterator[bytes]:
    while chunk := stdout.read(1 << 20):
        yield chunk


def import_rootfs(client: DockerClient, recipe: BaseImage, rootfs: Path, log: Path) -> str:
    """Import ``rootfs`` as an untagged image with the recipe's changes; return its ID."""
    changes = [
        *recipe.changes,
        f"LABEL {RECIPE_LABEL}={recipe.recipe_hash()} {ROLE_LABEL}={recipe.role}",
    ]
    with (
        log.open("wb") as tar_log,
        subprocess.Popen(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-c", "."],
            stdout=subprocess.PIPE,
            stderr=tar_log,
        ) as tar,
    ):
        assert tar.stdout is not None
        try:
            with doing(f"importing {recipe.image}"):
                answer = client.api.import_image_from_stream(_tar_stream(tar.stdout), changes=changes)
        except EngineRefused as exc:
            tar.kill()
            raise ImageError(
                f"the engine refused to import {recipe.image}: {exc.explanation or exc}"
            ) from None
    image_id = None
    engine_error = None
    for line in str(answer).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        engine_error = message.get("error") or engine_error
        status = str(message.get("status", ""))
        if status.startswith("sha256:"):
            image_id = status
    if tar.returncode != 0 or engine_error or image_id is None:
        if image_id is not None:
            remove_image(client, image_id)
        tar_error = "; ".join(tail(log, 3))
        reason = engine_error or tar_error or f"no image ID in the engine's answer: {answer!r}"
        raise ImageError(f"importing {recipe.image} failed: {reason}")
    return image_id


def remove_image(client: DockerClient, image_id: str) -> None:
    """Remove an image if the engine lets us (a failed build's leftover)."""
    with contextlib.suppress(EngineRefused), doing(f"removing image {image_id}"):
        client.images.remove(image_id, force=True)


def inspect(client: DockerClient, tag: str) -> dict[str, Any] | None:
    """The engine's view of image ``tag``, or None if it has no such image."""
    try:
        with doing(f"inspecting image {tag}"):
            return dict(client.api.inspect_image(tag))
    except EngineNotFound:
        return None
    except EngineRefused as exc:
        raise ImageError(f"the engine could not inspect {tag}: {exc.explanation or exc}") from None


def existing_id(client: DockerClient, tag: str) -> str | None:
    """The ID of image ``tag``, or None if the engine has no such image."""
    found = inspect(client, tag)
    return None if found is None else str(found["Id"])


def tag(client: DockerClient, recipe: BaseImage, image_id: str) -> None:
    """Point the recipe's tag at ``image_id``; drop the image it replaced if now untagged."""
    previous = existing_id(client, recipe.image)
    try:
        with doing(f"tagging {recipe.image}"):
            client.api.tag(image_id, recipe.repository, recipe.tag, force=True)
    except EngineRefused as exc:
        remove_image(client, image_id)
        raise ImageError(f"tagging {recipe.image} failed: {exc.explanation or exc}") from None
    if previous and previous != image_id:
        try:
            with doing(f"removing the replaced image {previous}"):
                if not client.images.get(previous).tags:
                    client.images.remove(previous)
        except EngineRefused:
            pass  # still used by a container: the engine keeps it, so do we
