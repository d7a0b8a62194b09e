"""The routes' path and query parameters, typed and bounded once for every route.

Every string a route takes from its path is checked against the grammar of what it names
before the route runs: engine objects with ``engine.names`` (the engine's own grammars),
images with ``engine.reference`` (the one reference parser), the console's own objects with
the store's rules. So none reaches an engine URL, a registry or the database unchecked
(``/api/images/..%2Fsecrets%2Fx`` is no image, and stops here), and a refusal is a 422
naming the parameter and why. Numbers are bounded: none overflows SQLite's 64-bit integers.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from swarmdeck.engine import names
from swarmdeck.engine.reference import MAX_REFERENCE, check_image

MAX_INT = 2**63 - 1  # SQLite's (and the engine's) largest integer
MAX_PAGE = 2**31 - 1  # page × per_page stays far below MAX_INT
MAX_QUERY = 256  # a search or filter string


def _path(kind: str, what: str) -> object:
    """The path parameter's bounds and description for a ``kind`` engine object."""
    grammar = names.GRAMMARS[kind]
    return Path(min_length=1, max_length=grammar.max_length, description=f"{what}: {grammar.hint}")


def _checked(kind: str) -> AfterValidator:
    """The grammar check (``names.check`` raises InvalidName, a ValueError: a 422 saying why)."""
    return AfterValidator(partial(names.check, kind))


ContainerRef = Annotated[str, _path("container", "the container"), _checked("container")]
NetworkRef = Annotated[str, _path("network", "the network"), _checked("network")]
VolumeName = Annotated[str, _path("volume", "the volume"), _checked("volume")]
NodeRef = Annotated[str, _path("node", "the node"), _checked("node")]
ServiceRef = Annotated[str, _path("service", "the service"), _checked("service")]
StackName = Annotated[str, _path("stack", "the stack"), _checked("stack")]
SecretRef = Annotated[str, _path("secret", "the secret"), _checked("secret")]
ConfigRef = Annotated[str, _path("config", "the config"), _checked("config")]
# The same grammars for names inside request bodies (a service's networks: the engine answers
# an empty or unknown one with a 500, or the SDK with an error of its own).
NetworkName = Annotated[str, _checked("network")]
ImageRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_REFERENCE,
        description=("the image: a reference (registry:5000/repo:tag, repo@sha256:…) or an image ID"),
    ),
    AfterValidator(check_image),
]

# The store's rules for its names (store.repository and store.teams).
_NAME = r"^[A-Za-z0-9._-]{1,64}$"
UserName = Annotated[str, Path(pattern=_NAME, description="1 to 64 letters, digits, '.', '_' or '-'")]
TeamName = Annotated[str, Path(pattern=_NAME, description="1 to 64 letters, digits, '.', '_' or '-'")]
EndpointName = Annotated[str, Path(pattern=_NAME, description="1 to 64 letters, digits, '.', '_' or '-'")]
RegistryName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", description="the registry's name in the console")
]
TokenId = Annotated[int, Path(ge=1, le=MAX_INT, description="the token's id")]

Page = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Search = Annotated[str, Query(max_length=MAX_QUERY, description="part of the name")]
Filter = Annotated[str, Query(max_length=MAX_QUERY)]
Timestamp = Annotated[int | None, Query(ge=0, le=MAX_INT, description="seconds since the epoch")]
Repository = Annotated[str, Query(min_length=1, max_length=255, description="the repository's name")]
TagOrDigest = Annotated[str, Query(min_length=1, max_length=MAX_REFERENCE, description="a tag or a digest")]
