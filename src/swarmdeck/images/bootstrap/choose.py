"""Choosing the image that serves each role: the official one when the engine has it or can
pull it, the bootstrapped Debian-built stand-in otherwise (``ensure_base_images``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from docker import DockerClient

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineRefused
from swarmdeck.images.bootstrap.build import Progress, bootstrap
from swarmdeck.images.bootstrap.importing import existing_id
from swarmdeck.images.bootstrap.recipes import select

Source = Literal["local", "pulled", "bootstrapped"]


@dataclass(frozen=True)
class BaseImageChoice:
    """Which image serves a role, and where it came from."""

    role: str
    image: str
    source: Source
    """``local``: the official image was already on the engine; ``pulled``: it was pulled
    now; ``bootstrapped``: the engine could not get it, the Debian-built stand-in is used."""
    pull_error: str | None = None
    """Why the official image could not be pulled (``bootstrapped`` only)."""


def ensure_base_images(
    client: DockerClient,
    roles: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, BaseImageChoice]:
    """For each role, the official image if the engine has it or can pull it, else ours."""
    choices: dict[str, BaseImageChoice] = {}
    pull_errors: dict[str, str] = {}
    for recipe in select(roles):
        if existing_id(client, recipe.official) is not None:
            choices[recipe.role] = BaseImageChoice(recipe.role, recipe.official, "local")
            continue
        if progress is not None:
            progress(recipe.role, f"pulling {recipe.official}")
        repository, _, tag = recipe.official.partition(":")
        try:
            with doing(f"pulling {recipe.official}"):
                client.images.pull(repository, tag=tag)
        except EngineRefused as exc:
            pull_errors[recipe.role] = str(exc.explanation or exc)
            if progress is not None:
                progress(
                    recipe.role,
                    f"cannot pull {recipe.official}: using {recipe.image} (Debian packages)",
                )
            continue
        choices[recipe.role] = BaseImageChoice(recipe.role, recipe.official, "pulled")
    if pull_errors:
        built = bootstrap(client, list(pull_errors), progress)
        for role, image in built.items():
            choices[role] = BaseImageChoice(role, image, "bootstrapped", pull_errors[role])
    return {recipe.role: choices[recipe.role] for recipe in select(roles)}
