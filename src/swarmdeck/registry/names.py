"""Repository names and references, checked before they go into a URL.

A name that is not a valid repository name (the distribution spec's grammar) never reaches
the registry: ``../``, ``%2e``, a leading slash or a query string in a name are refused here,
so no caller can turn a name into another path of the registry's API.
"""

from __future__ import annotations

import re

from swarmdeck.registry.errors import RegistryError

# distribution/reference: path components of lowercase alphanumerics separated by
# ".", "_", "__" or runs of "-", joined by "/".
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}")
MAX_NAME = 255


def check_name(name: str) -> str:
    if len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise RegistryError(f"{name!r} is not a valid repository name "
                            "(lowercase letters, digits and . _ - separators, parts joined by /)")
    return name


def check_reference(reference: str) -> str:
    """A tag or a digest."""
    if _TAG.fullmatch(reference) or _DIGEST.fullmatch(reference):
        return reference
    raise RegistryError(f"{reference!r} is neither a tag nor a digest")


def is_digest(reference: str) -> bool:
    return bool(_DIGEST.fullmatch(reference))


def split_image(image: str) -> tuple[str, str]:
    """``repo:tag`` or ``repo@digest`` → (repo, reference); a bare repo means ``latest``."""
    if "@" in image:
        name, _, reference = image.partition("@")
    elif ":" in image.rsplit("/", 1)[-1]:
        name, _, reference = image.rpartition(":")
    else:
        name, reference = image, "latest"
    return check_name(name), check_reference(reference)
