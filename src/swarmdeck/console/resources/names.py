"""The console's checks of the names it is given for the engine's resources: a container,
network or volume name, an image to use, an image name to make or fetch. Each bad name is
one ``ConsoleError`` (400) before the engine is asked anything."""

from __future__ import annotations

import re

from swarmdeck.console.errors import ConsoleError
from swarmdeck.engine import reference as imageref
from swarmdeck.engine.errors import InvalidReference
from swarmdeck.engine.names import shown

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$")


def check_name(kind: str, name: str) -> str:
    """A container, network or volume name (``kind`` says which, for the message)."""
    if not _NAME.match(name):
        raise ConsoleError(
            f"{kind} name {name!r}: use letters, digits, '_', '.' or '-' (starting with a letter or digit)"
        )
    return name


def check_reference(image: str) -> str:
    """An image to use: a reference or an image ID (``engine.reference``; 400 otherwise)."""
    return imageref.check_image(image)


def check_target(image: str, digest: bool = True) -> str:
    """An image name to make or fetch (tag, pull, push, build): ``name[:tag]``, and
    ``@digest`` when ``digest`` (a pull); 400 otherwise."""
    try:
        (imageref.parse if digest else imageref.parse_tagged)(image)
    except InvalidReference as exc:
        raise ConsoleError(
            f"{shown(image)} is not an image reference ({exc}): like registry:5000/repo:tag"
        ) from None
    return image
