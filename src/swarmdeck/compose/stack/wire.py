"""What every body a stack deploy sends has in common, as ``docker stack deploy`` writes it.

Object names (``<namespace>_<key>`` unless ``name:`` is set), the stack labels
(``com.docker.stack.namespace`` everywhere, ``com.docker.stack.image`` on services), the
default network, and Go's ``omitempty`` JSON rules (``compact``, ``or_none``): one home for
the conventions that ``objects`` (networks, secrets, configs) and ``servicespec`` share.
"""

from __future__ import annotations

from typing import Any

from swarmdeck.engine import labels

LABEL_NAMESPACE = labels.STACK_NAMESPACE
LABEL_IMAGE = labels.STACK_IMAGE
DEFAULT_NETWORK = "default"
DEFAULT_NETWORK_DRIVER = "overlay"
_NOT_USER_DEFINED = ("default", "bridge", "host", "none")


def scope(namespace: str, name: str) -> str:
    return f"{namespace}_{name}"


def descope(namespace: str, name: str) -> str:
    return name.removeprefix(f"{namespace}_")


def stack_labels(namespace: str, labels: dict[str, str] | None) -> dict[str, str]:
    return {**(labels or {}), LABEL_NAMESPACE: namespace}


def user_defined_network(name: str) -> bool:
    """Docker's ``NetworkMode.IsUserDefined``: not a built-in mode."""
    return name not in _NOT_USER_DEFINED and not name.startswith("container:")


def compact(value: Any) -> Any:
    """Drop ``None`` members: the JSON the Go client sends for ``omitempty`` fields."""
    if isinstance(value, dict):
        return compact_body(value)
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def compact_body(body: dict[str, Any]) -> dict[str, Any]:
    """``compact`` of one JSON object (a request body or a member of one)."""
    return {k: compact(v) for k, v in body.items() if v is not None}


def or_none(value: Any) -> Any:
    """Empty strings, lists, maps, zero and false become None (``omitempty``)."""
    return value or None
