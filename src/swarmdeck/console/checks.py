"""Checks on save: an endpoint or a registry is tried before it is stored.

Adding or editing an endpoint connects to it (engine version, swarm role: ``endpoints.probe``);
adding a registry asks its ``/v2/`` (API version, whether the credentials are accepted). What
does not pass is refused with the reason and what to check (502), and nothing is written,
unless the request says ``force`` ("save anyway" on the pages): then it is stored and the
answer carries the failed check. The store calls the check after validating the input and
before writing (its ``check`` argument), so bad input is refused first and without a probe.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from swarmdeck.console.endpoints import probe
from swarmdeck.console.errorpages import engine_hint, registry_hint
from swarmdeck.console.errors import ConsoleError
from swarmdeck.registry.client import RegistryClient
from swarmdeck.registry.errors import RegistryError, RegistryUnreachable
from swarmdeck.store import EndpointRecord

FORCE_HINT = "Or save it anyway ('save anyway' on the page; force: true in the API)."
AUTH_SAID = {
    "accepted": "credentials accepted",
    "open": "no credentials needed",
    "asked": "it asks for credentials or a token (none given: only what it shows anonymously)",
}


class EndpointCheck:
    """The check ``Store.add_endpoint``/``update_endpoint`` run; ``result`` is its answer."""

    def __init__(self, force: bool) -> None:
        self.force = force
        self.result: dict[str, Any] = {}

    def __call__(self, endpoint: EndpointRecord) -> None:
        found = probe(endpoint)
        if found["healthy"]:
            summary = (
                f"engine {found['engine_version']} (API {found['api_version']}), "
                f"swarm role: {found['swarm_role']}"
            )
        else:
            summary = f"not checked: {found['error']}"
        self.result = {"ok": found["healthy"], "summary": summary, **found}
        del self.result["healthy"]
        if not found["healthy"] and not self.force:
            raise ConsoleError(
                f"endpoint {endpoint.name!r} not saved: {found['error']}. "
                f"{engine_hint(endpoint.name, endpoint.url)} {FORCE_HINT}",
                502,
            )


class RegistryCheck:
    """The check ``RegistryStore.add`` runs with the registry's values before storing them."""

    def __init__(self, force: bool) -> None:
        self.force = force
        self.result: dict[str, Any] = {}

    def __call__(
        self,
        address: str,
        username: str | None,
        password: str | None,
        ca_pem: str | None,
        realms: tuple[str, ...],
    ) -> None:
        try:
            with tempfile.TemporaryDirectory() as folder:
                ca = None
                if ca_pem:
                    ca = Path(folder) / "ca.crt"
                    ca.write_text(ca_pem)
                with RegistryClient(
                    address, username, password, ca=ca, timeout=5.0, allowed_realms=realms
                ) as registry:
                    said = registry.ping()
                    scheme = registry.scheme
        except RegistryError as exc:
            self.result = {"ok": False, "error": str(exc), "summary": f"not checked: {exc}"}
            if not self.force:
                hint = (
                    registry_hint(address)
                    if isinstance(exc, RegistryUnreachable)
                    else "Check the address, the username and password, and the CA."
                )
                raise ConsoleError(
                    f"registry at {address} not saved: {exc}. {hint} {FORCE_HINT}", 502
                ) from exc
            return
        version = said.api_version or "no API version header"
        self.result = {
            "ok": True,
            "scheme": scheme,
            "api_version": said.api_version or None,
            "auth": said.auth,
            "summary": f"{version} answers over {scheme}, {AUTH_SAID[said.auth]}",
        }
