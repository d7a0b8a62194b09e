"""A registry's notifications to the console: the ``notifications`` configuration that makes a
Distribution registry post its push and delete events to the console, written once here for
the registry ``swarmdeck up`` starts (as an environment variable) and for the snippet the
console shows for other registries (YAML), and the token read back from a container's
environment.

The registry authenticates itself with a per-registry secret in the ``TOKEN_HEADER`` header
(not ``Authorization``, which is the console's API tokens' header). Only manifest events
matter to the console's index: pulls are ignored, and so are blob pushes (which do not make a
repository the catalog lists).
"""

from __future__ import annotations

import secrets
from typing import Any

import yaml

TOKEN_HEADER = "X-Swarmdeck-Registry-Token"
ENV = "REGISTRY_NOTIFICATIONS_ENDPOINTS"  # the registry reads a YAML list from it
ENDPOINT_NAME = "swarmdeck"
EVENTS_MEDIA_TYPE = "application/vnd.docker.distribution.events.v1+json"
# The console's path for ``name``'s events.
PATH = "/api/registries/{name}/notifications"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def endpoints(url: str, token: str) -> list[dict[str, Any]]:
    """The ``notifications.endpoints`` list: one endpoint, the console, sending manifest events
    only, retried with backoff while the console does not answer."""
    return [
        {
            "name": ENDPOINT_NAME,
            "url": url,
            "headers": {TOKEN_HEADER: [token]},
            "timeout": "5s",
            "threshold": 5,
            "backoff": "2s",
            "ignoredmediatypes": ["application/octet-stream"],
            "ignore": {"actions": ["pull"]},
        }
    ]


def environment(url: str, token: str) -> dict[str, str]:
    """The registry container's environment that turns the notifications on."""
    return {ENV: yaml.safe_dump(endpoints(url, token), sort_keys=False)}


def snippet(url: str, token: str) -> str:
    """What to add to another registry's config.yml."""
    return yaml.safe_dump({"notifications": {"endpoints": endpoints(url, token)}}, sort_keys=False)


def configured(env: list[str]) -> tuple[str, str] | None:
    """The console URL and token a container's environment (``KEY=value`` strings) configures
    for its notifications, if any."""
    for item in env:
        key, _, value = item.partition("=")
        if key != ENV:
            continue
        try:
            found = yaml.safe_load(value)
        except yaml.YAMLError:
            return None
        for endpoint in found if isinstance(found, list) else []:
            if not isinstance(endpoint, dict):
                continue
            values = (endpoint.get("headers") or {}).get(TOKEN_HEADER)
            url = endpoint.get("url")
            if isinstance(values, list) and values and isinstance(values[0], str) and isinstance(url, str):
                return url, values[0]
    return None
