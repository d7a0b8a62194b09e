"""Base images built locally from Debian packages, for hosts that cannot reach Docker Hub.

Each of the four images the project runs on (Python, Redis, the registry, HAProxy) has a
recipe: ``debootstrap --variant=minbase --include=PACKAGES bookworm ROOTFS MIRROR``, a few
files of our own (entrypoints and configs that make the image behave like the official one
it stands in for), a trim of what a container never reads, then ``docker import`` with
Dockerfile-style changes. The mirror is the host's own, read from its apt sources at run time.

Every image carries a label with a hash of its recipe; :func:`bootstrap` builds only the
images whose tag is missing or carries another hash. Downloaded packages are kept in a
shared debootstrap cache so that later builds do not fetch them again.

:func:`ensure_base_images` is what a caller normally wants: the official image when the
engine has it or can pull it, the bootstrapped stand-in otherwise.

The package by job: ``recipes`` (what each image is made of), ``mirror`` (the host's apt
sources), ``rootfs`` (debootstrap and the tree it makes), ``importing`` (``docker import``
and image look-ups), ``build`` (one image, or every outdated one) and ``choose`` (official
image or stand-in). This module re-exports their public names.
"""

from swarmdeck.images.bootstrap.build import Progress, bootstrap, build_base_image, is_current
from swarmdeck.images.bootstrap.choose import BaseImageChoice, Source, ensure_base_images
from swarmdeck.images.bootstrap.mirror import (
    APT_DIR,
    AptSource,
    find_mirror,
    parse_deb822_sources,
    parse_one_line_sources,
    pick_mirror,
)
from swarmdeck.images.bootstrap.recipes import (
    BASE_IMAGES,
    RECIPE_LABEL,
    ROLE_LABEL,
    SUITE,
    TRIM_GLOBS,
    VARIANT,
    BaseImage,
    RecipeFile,
)
from swarmdeck.images.bootstrap.rootfs import DEFAULT_CACHE_DIR, check_host

__all__ = [
    "APT_DIR",
    "BASE_IMAGES",
    "DEFAULT_CACHE_DIR",
    "RECIPE_LABEL",
    "ROLE_LABEL",
    "SUITE",
    "TRIM_GLOBS",
    "VARIANT",
    "AptSource",
    "BaseImage",
    "BaseImageChoice",
    "Progress",
    "RecipeFile",
    "Source",
    "bootstrap",
    "build_base_image",
    "check_host",
    "ensure_base_images",
    "find_mirror",
    "is_current",
    "parse_deb822_sources",
    "parse_one_line_sources",
    "pick_mirror",
]
