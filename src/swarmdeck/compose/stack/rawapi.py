"""The Docker SDK's private request helpers that a stack deploy needs, typed.

The SDK has no call for creating or updating a secret or config from a raw spec body, and no
public view of the registry credentials it loaded; ``docker stack deploy`` sends those bodies
as they are, so we use the SDK's own helpers (``_url``, ``_post_json``, ``_get``, ``_result``,
``_auth_configs``). Its type stubs leave them out, so this module says what they are, once.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import docker
import requests
from docker.auth import AuthConfig


class RawAPI(Protocol):
    """The private part of ``docker.APIClient`` we call (their signatures in docker 7)."""

    _auth_configs: AuthConfig

    def _url(self, pathfmt: str, *args: str, **kwargs: bool) -> str: ...

    def _get(self, url: str, **kwargs: Any) -> requests.Response: ...

    def _post_json(self, url: str, data: Any, **kwargs: Any) -> requests.Response: ...

    def _result(self, response: requests.Response, json: bool = False, binary: bool = False) -> Any: ...


def raw_api(client: docker.DockerClient) -> RawAPI:
    """``client``'s low-level client, seen with its private helpers."""
    return cast(RawAPI, client.api)
