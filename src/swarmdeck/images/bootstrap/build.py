"""Building base images: one recipe now (``build_base_image``), or every recipe whose tag is
missing or carries another recipe hash (``bootstrap``), several at once.

A build is all or nothing: on failure it leaves no image, no tag change and no temporary
tree behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docker import DockerClient

from swarmdeck.images.bootstrap.importing import import_rootfs, inspect, tag
from swarmdeck.images.bootstrap.mirror import find_mirror
from swarmdeck.images.bootstrap.recipes import RECIPE_LABEL, BaseImage, select
from swarmdeck.images.bootstrap.rootfs import (
    DEFAULT_CACHE_DIR,
    check_host,
    customize,
    publish_to_cache,
    remove_tree,
    run_debootstrap,
    seed_private_cache,
    trim,
)
from swarmdeck.images.errors import ImageError

Progress = Callable[[str, str], None]
"""Receives ``(role, message)`` events; may be called from several worker threads at once."""


def build_base_image(
    client: DockerClient,
    recipe: BaseImage,
    *,
    mirror: str | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: Progress | None = None,
) -> str:
    """Build ``recipe`` now (whatever is tagged already) and tag it; return its image ID.

    On failure raises :class:`ImageError`, leaving no image, no tag change and no
    temporary tree behind.
    """
    check_host()
    mirror = mirror or find_mirror()

    def report(message: str) -> None:
        if progress is not None:
            progress(recipe.role, message)

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot create the debootstrap cache {cache_dir}: {exc}") from None
    with contextlib.ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix=f"swarmdeck-base-{recipe.role}-"))
        cleanup.callback(remove_tree, work)
        private_cache = Path(tempfile.mkdtemp(prefix=f".build-{recipe.role}-", dir=cache_dir))
        cleanup.callback(shutil.rmtree, private_cache, ignore_errors=True)
        rootfs = work / "rootfs"
        seed_private_cache(cache_dir, private_cache)
        run_debootstrap(recipe, rootfs, mirror, private_cache, report)
        publish_to_cache(private_cache, cache_dir)
        report("adding files and trimming")
        customize(recipe, rootfs)
        trim(rootfs)
        report("importing into the engine")
        image_id = import_rootfs(client, recipe, rootfs, work / "tar.log")
        tag(client, recipe, image_id)
        size = (inspect(client, image_id) or {}).get("Size", 0)
    report(f"built {recipe.image} ({size / 1e6:.0f} MB)")
    return image_id


def _counted(progress: Progress, roles: list[str]) -> Progress:
    """``progress`` with each image's place among those being built and the time since the
    builds began: ``[2/4] debootstrap: Retrieving libc6 (41 s)``."""
    started = time.monotonic()
    place = {role: n for n, role in enumerate(roles, 1)}

    def report(role: str, message: str) -> None:
        elapsed = time.monotonic() - started
        progress(role, f"[{place.get(role, '-')}/{len(roles)}] {message} ({elapsed:.0f} s)")

    return report


def is_current(client: DockerClient, recipe: BaseImage) -> bool:
    """Whether the recipe's tag exists and was built from this very recipe."""
    found = inspect(client, recipe.image)
    labels = ((found or {}).get("Config") or {}).get("Labels") or {}
    return bool(labels.get(RECIPE_LABEL) == recipe.recipe_hash())


def bootstrap(
    client: DockerClient,
    roles: Sequence[str] | None = None,
    progress: Progress | None = None,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
) -> dict[str, str]:
    """Build the base images of ``roles`` (all by default) that are missing or outdated.

    Returns role → local tag. Builds run concurrently, one per core: debootstrap is
    network-bound while downloading and CPU-bound while unpacking. If a build fails, the
    others still finish, then :class:`ImageError` names every failure.
    """
    recipes = select(roles)
    todo = []
    for recipe in recipes:
        if is_current(client, recipe):
            if progress is not None:
                progress(recipe.role, f"{recipe.image} is up to date")
        else:
            todo.append(recipe)
    if todo and progress is not None:
        progress = _counted(progress, [recipe.role for recipe in todo])
    if todo:
        check_host()
        mirror = find_mirror()
        workers = min(len(todo), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                recipe.role: pool.submit(
                    build_base_image,
                    client,
                    recipe,
                    mirror=mirror,
                    cache_dir=cache_dir,
                    progress=progress,
                )
                for recipe in todo
            }
        failures = []
        for role, future in futures.items():
            error = future.exception()
            if isinstance(error, ImageError):
                failures.append(f"[{role}] {error}")
            elif error is not None:
                raise error
        if failures:
            raise ImageError("\n".join(failures))
    return {recipe.role: recipe.image for recipe in recipes}
