"""Repository names and references, checked before they go into a URL.

A name that is not a valid repository name (the distribution spec's grammar, from the one
reference parser in ``swarmdeck.engine.reference``) never reaches the registry: ``../``,
``%2e``, a leading slash or a query string in a name are refused here, so no caller can
turn a name into another path of the registry's API.
"""

from __future__ import annotations

from swarmdeck.engine import reference as ref
from swarmdeck.engine.errors import InvalidReference
from swarmdeck.registry.errors import RegistryError

MAX_NAME = ref.MAX_NAME


def check_name(name: str) -> str:
    if not ref.is_path(name):
        raise RegistryError(
            f"{name[:300]!r} is not a valid repository name "
            "(lowercase letters, digits and . _ - separators, parts joined by /)"
        )
    return name


def check_reference(reference: str) -> str:
    """A tag or a digest."""
    if ref.is_tag(reference) or ref.is_digest(reference):
        return reference
    raise RegistryError(f"{reference[:300]!r} is neither a tag nor a digest")


def is_digest(reference: str) -> bool:
    return ref.is_digest(reference)


def split_image(image: str) -> tuple[str, str]:
    """``repo:tag`` or ``repo@digest`` (no registry host) → (repo, reference); a bare repo
    means ``latest``."""
    try:
        parsed = ref.parse(image)
    except InvalidReference as exc:
        raise RegistryError(f"{image[:300]!r}: {exc}") from None
    name = check_name(parsed.name)
    return name, parsed.digest or parsed.tag or "latest"
