"""Names and IDs of engine objects, checked before they go into an engine URL, and the one
place where the parts of an engine URL's path are percent-encoded.

The engine decodes a request's path (``%2F`` is ``/``, ``%2E`` is ``.``) and then cleans it
(``/images/../secrets/x`` becomes ``/secrets/x``, answered with a redirect the Docker SDK
follows), so percent-encoding alone cannot keep a user's string inside its route: a string
is checked against the grammar of what it names (``check``; image references in
``engine.reference``) and ``segment`` refuses whatever would still leave the route.

Grammars, the engine's own (moby ``daemon/names``, swarmkit's name validation), each also
matching the object's hex ID or a prefix of it:

* container, volume, node (ID or hostname): ``[a-zA-Z0-9][a-zA-Z0-9_.-]*``;
* service: letters and digits in runs joined by ``-`` or ``_``, at most 63 characters;
* secret, config: letters, digits, ``_ . -`` inside, at most 64 characters;
* task: a swarm ID (lower-case letters and digits, 25);
* network: the engine takes almost any name for a local network (spaces, ``:``, even
  ``/``); here anything but ``/``, control characters, and ``.``/``..`` (a network with such
  a name is reached by its ID);
* stack: the namespace label of its services, as ``docker stack deploy`` takes it.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from swarmdeck.engine.errors import InvalidName


@dataclass(frozen=True)
class Grammar:
    pattern: re.Pattern[str]
    max_length: int
    hint: str


_RESTRICTED = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_RESTRICTED_HINT = "letters, digits, '_', '.' or '-', starting with a letter or digit"
GRAMMARS: dict[str, Grammar] = {
    "container": Grammar(_RESTRICTED, 255, f"a container name ({_RESTRICTED_HINT}) or ID"),
    "volume": Grammar(_RESTRICTED, 255, f"a volume name ({_RESTRICTED_HINT})"),
    "node": Grammar(_RESTRICTED, 253, f"a node ID or hostname ({_RESTRICTED_HINT})"),
    "network": Grammar(
        re.compile(r"(?!\.\.?\Z)[^/\x00-\x1f\x7f]+"),
        255,
        "a network name or ID (no '/' or control characters, not '.' or '..')",
    ),
    "service": Grammar(
        re.compile(r"[a-zA-Z0-9]+(?:[-_]+[a-zA-Z0-9]+)*"),
        63,
        "a service name or ID (letters and digits, joined by '-' or '_')",
    ),
    "secret": Grammar(
        re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?"),
        64,
        "a secret name or ID (letters, digits, and '_', '.' or '-' inside)",
    ),
    "config": Grammar(
        re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?"),
        64,
        "a config name or ID (letters, digits, and '_', '.' or '-' inside)",
    ),
    "task": Grammar(re.compile(r"[a-z0-9]+"), 25, "a task ID (lower-case letters and digits)"),
    "stack": Grammar(_RESTRICTED, 63, f"a stack name ({_RESTRICTED_HINT})"),
}
_SHOWN = 80  # characters of a refused string repeated in the message


def shown(value: str) -> str:
    """A refused string as messages repeat it: quoted, control characters escaped, cut short."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def check(kind: str, value: str) -> str:
    """``value`` when it is a valid name or ID of a ``kind`` object, else ``InvalidName``."""
    grammar = GRAMMARS[kind]
    if len(value) > grammar.max_length:
        raise InvalidName(f"{kind} {shown(value)}: longer than {grammar.max_length} characters")
    if not grammar.pattern.fullmatch(value):
        raise InvalidName(f"{kind} {shown(value)} is not {grammar.hint}")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def segment(value: str, *, slashes: bool = False) -> str:
    """``value`` percent-encoded as one part of an engine URL's path (``slashes``: as several
    parts joined by ``/``, like an image name). Refused with ``InvalidName``: an empty part,
    ``.`` or ``..`` (the engine cleans them away, leaving the route), control characters, and
    ``/`` unless ``slashes`` (the engine decodes ``%2F``: encoding it would not help)."""
    if not isinstance(value, str):
        raise InvalidName(f"an engine URL part must be a string, not {type(value).__name__}")
    parts = value.split("/") if slashes else [value]
    if "/" in value and not slashes:
        raise InvalidName(f"{shown(value)}: a '/' would leave the engine route it is meant for")
    if any(part in ("", ".", "..") for part in parts) or _CONTROL.search(value):
        raise InvalidName(
            f"{shown(value)}: an empty part, '.', '..' or a control character "
            "would leave the engine route it is meant for"
        )
    return urllib.parse.quote(value, safe="/:" if slashes else ":")


def path(template: str, *values: str) -> str:
    """An engine API path from a template with ``{}`` per user- or engine-given part, each
    through ``segment``: ``path("/services/{}/update", service_id)``."""
    return template.format(*(segment(v) for v in values))
