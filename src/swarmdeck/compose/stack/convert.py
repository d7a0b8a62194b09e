"""A loaded compose project -> Swarm API request bodies, exactly as ``docker stack deploy``.

Follows docker/cli ``cli/compose/convert`` (v28) and the moby client it calls. The work is
split by job: ``wire`` holds what every body shares (names ``<ns>_<key>`` unless ``name:``
is set, the stack labels, Go's ``omitempty`` JSON rules), ``objects`` the networks, secrets
and configs, ``servicespec`` the service bodies. This module normalises image references as
the moby client does (``tagged``, ``with_digest``; the parsing is ``engine.reference``'s) and
is the one name the rest of swarmdeck imports the conversion by.
"""

from __future__ import annotations

from swarmdeck.compose.stack.objects import FileObject, NetworkPlan, file_objects, networks
from swarmdeck.compose.stack.servicespec import capabilities, services
from swarmdeck.compose.stack.wire import (
    DEFAULT_NETWORK,
    LABEL_IMAGE,
    LABEL_NAMESPACE,
    scope,
    user_defined_network,
)
from swarmdeck.engine import reference as imageref

# what the rest of swarmdeck uses of the conversion, by this module's name
__all__ = [
    "DEFAULT_NETWORK",
    "LABEL_IMAGE",
    "LABEL_NAMESPACE",
    "FileObject",
    "NetworkPlan",
    "capabilities",
    "file_objects",
    "networks",
    "scope",
    "services",
    "tagged",
    "user_defined_network",
    "with_digest",
]


def tagged(image: str) -> str:
    """The moby client's ``imageWithTagString``: ``nginx`` -> ``nginx:latest``."""
    if imageref.is_identifier(image) or image.startswith("sha256:"):
        return image
    name = imageref.familiar(image)  # ``FamiliarString(ParseNormalizedNamed(image))``
    if imageref.has_digest(name) or imageref.has_tag(name):
        return name
    return f"{name}:latest"


def with_digest(image: str, digest: str) -> str:
    """``imageWithDigestString``: ``name:tag@digest`` for a reference without a digest."""
    return image if imageref.has_digest(image) else f"{tagged(image)}@{digest}"
