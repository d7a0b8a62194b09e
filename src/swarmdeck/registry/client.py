"""The Distribution (registry v2) HTTP API, as far as swarmdeck needs it so far."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx

from swarmdeck.registry.errors import RegistryError

# Where the docker engine looks for a registry's CA; we trust the same file.
DOCKER_CERTS_D = Path("/etc/docker/certs.d")


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """One registry, addressed as the engine addresses it (``HOST[:PORT]``).

    Like the engine, it speaks HTTPS, trusting ``/etc/docker/certs.d/ADDRESS/ca.crt`` when
    present, and plain HTTP only to a loopback registry (which the engine allows too).
    """

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        ca = DOCKER_CERTS_D / address / "ca.crt"
        self.scheme = "http" if is_loopback(address) and not ca.exists() else "https"
        verify: str | bool = str(ca) if ca.exists() else True
        self._http = httpx.Client(base_url=f"{self.scheme}://{address}", verify=verify,
                                  timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ping(self) -> None:
        """Check that a v2 registry answers (401 counts: it answers, and wants credentials)."""
        try:
            answer = self._http.get("/v2/")
        except httpx.HTTPError as exc:
            raise RegistryError(f"no registry answers at {self.scheme}://{self.address}/v2/: {exc}") from exc
        if answer.status_code not in (200, 401):
            raise RegistryError(
                f"{self.scheme}://{self.address}/v2/ answered {answer.status_code}: not a v2 registry")

    def tags(self, repository: str) -> list[str]:
        try:
            answer = self._http.get(f"/v2/{repository}/tags/list")
        except httpx.HTTPError as exc:
            raise RegistryError(f"{self.address}: listing tags of {repository}: {exc}") from exc
        if answer.status_code == 404:
            return []
        if answer.status_code != 200:
            raise RegistryError(f"{self.address}: listing tags of {repository} answered {answer.status_code}")
        return sorted(answer.json().get("tags") or [])
