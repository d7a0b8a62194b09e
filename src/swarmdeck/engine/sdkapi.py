"""The Docker SDK's low-level calls that its type stubs leave untyped, typed in one place.

A stack deploy sends secret and config specs as they are, and the SDK has no call for that
nor a public view of the registry credentials it loaded, so it uses the SDK's own helpers
(``_url``, ``_get``, ``_post_json``, ``_result``, ``_auth_configs``), which the stubs leave
out. The stubs also leave public calls the swarm layer makes unannotated (``configs``,
``services``, ``tasks``, ``inspect_service``, ``inspect_task``, ``create_service``,
``remove_service``, ``inspect_distribution``). ``TypedAPI`` says what all of these take and
answer (docker 7's signatures; the answers are the Engine API's JSON), and ``typed_api`` is
the one place a client is seen that way; ``service_model`` the one typed look-up of the
SDK's ``Service`` model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    import docker
    import requests
    from docker.auth import AuthConfig
    from docker.models.services import Service


JSON = dict[str, Any]


class TypedAPI(Protocol):
    """The part of ``docker.APIClient`` swarmdeck calls that the stubs do not type."""

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

    def inspect_task(self, task: str) -> JSON: ...

    def create_service(
        self,
        task_template: JSON,
        name: str | None = None,
        labels: dict[str, str] | None = None,
        mode: JSON | None = None,
        endpoint_spec: JSON | None = None,
    ) -> JSON: ...

    def inspect_distribution(self, image: str, auth_config: dict[str, Any] | None = None) -> JSON: ...


def typed_api(client: docker.DockerClient) -> TypedAPI:
    """``client``'s low-level client, seen with the calls above typed."""
    return cast(TypedAPI, client.api)


def service_model(client: docker.DockerClient, ref: str) -> Service:
    """The SDK's model of service ``ref`` (its ``get`` is untyped in the stubs)."""
    return cast("Service", client.services.get(ref))  # type: ignore[no-untyped-call]
