"""The Docker SDK's low-level calls that a stack deploy makes, typed in one place.

``docker stack deploy`` sends secret and config specs as they are, and the SDK has no call for
that nor a public view of the registry credentials it loaded, so we use its own helpers
(``_url``, ``_get``, ``_post_json``, ``_result``, ``_auth_configs``), which its type stubs
leave out. The stubs also leave some public calls unannotated (``configs``, ``services``,
``tasks``, ``inspect_service``, ``remove_service``, ``inspect_distribution``). ``StackAPI``
says what all of these take and answer (docker 7's signatures; the answers are the Engine
API's JSON), and ``stack_api`` is the one place a client is seen that way.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import docker
import requests
from docker.auth import AuthConfig

JSON = dict[str, Any]


class StackAPI(Protocol):
    """The part of ``docker.APIClient`` a stack deploy calls that the stubs do not type."""

    _auth_configs: AuthConfig

    def _url(self, pathfmt: str, *args: str, **kwargs: bool) -> str: ...

    def _get(self, url: str, **kwargs: Any) -> requests.Response: ...

    def _post_json(self, url: str, data: Any, **kwargs: Any) -> requests.Response: ...

    def _result(self, response: requests.Response, json: bool = False, binary: bool = False) -> Any: ...

    def configs(self, filters: dict[str, Any] | None = None) -> list[JSON]: ...

    def services(self, filters: dict[str, Any] | None = None, status: bool | None = None) -> list[JSON]: ...

    def tasks(self, filters: dict[str, Any] | None = None) -> list[JSON]: ...

    def inspect_service(self, service: str, insert_defaults: bool | None = None) -> JSON: ...

    def remove_service(self, service: str) -> bool: ...

    def inspect_distribution(self, image: str, auth_config: dict[str, Any] | None = None) -> JSON: ...


def stack_api(client: docker.DockerClient) -> StackAPI:
    """``client``'s low-level client, seen with the calls above typed."""
    return cast(StackAPI, client.api)
