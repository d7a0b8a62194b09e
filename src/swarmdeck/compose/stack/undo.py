"""All or nothing: what a deploy changed, and how to take it back when a later change fails.

``docker stack deploy`` stops at the first refusal and leaves what it made (networks, secrets,
the services before the failing one). Here each change is written down as it succeeds, and
when one fails the deploy takes back, newest first, what this run did: services it created
are removed, services it updated are rolled back to the spec they had (the engine keeps it
as the previous spec: the docker CLI's ``service rollback``), secrets, configs and networks
it created are removed (a network is retried while the removed services' tasks still hold
it). What could not be taken back is said too. Services a ``--prune`` removed before the
failure are not restored: the engine keeps no copy of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import docker

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineNotFound, EngineRefused
from swarmdeck.engine.names import path as engine_path
from swarmdeck.engine.sdkapi import typed_api

NETWORK_RETRY_SECONDS = 30.0  # removed services' tasks may hold a network this long


@dataclass
class Undo:
    """The changes a deploy made so far, newest last: (kind, name, id) each."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)  # services: (name, id)

    def run(self, client: docker.DockerClient) -> tuple[list[str], list[str]]:
        """Take everything back: (what was undone, what could not be) as sentences."""
        done: list[str] = []
        failed: list[str] = []
        for name, service_id in reversed(self.updated):
            self._try(done, failed, f"restored service {name}", partial(_rollback, client, service_id))
        order = {"service": 0, "secret": 1, "config": 1, "network": 2}
        for kind, name, object_id in sorted(reversed(self.created), key=lambda c: order[c[0]]):
            self._try(done, failed, f"removed {kind} {name}", partial(_remove, client, kind, object_id))
        return done, failed

    @staticmethod
    def _try(done: list[str], failed: list[str], what: str, action: Callable[[], None]) -> None:
        try:
            action()
            done.append(what)
        except EngineError as exc:
            failed.append(f"{what.replace('removed', 'remove').replace('restored', 'restore')}: {exc}")


def _rollback(client: docker.DockerClient, service_id: str) -> None:
    """The docker CLI's ``service rollback``: the engine returns the service to its previous spec."""
    api = typed_api(client)
    with doing(f"service {service_id}"):
        current = api.inspect_service(service_id)
        response = api._post_json(
            api._url(engine_path("/services/{}/update", service_id)),
            data=current["Spec"],
            params={"version": current["Version"]["Index"], "rollback": "previous"},
        )
        api._result(response)


def _remove(client: docker.DockerClient, kind: str, object_id: str) -> None:
    api: Any = client.api
    remove = {
        "service": api.remove_service,
        "secret": api.remove_secret,
        "config": api.remove_config,
        "network": api.remove_network,
    }[kind]
    deadline = time.monotonic() + (NETWORK_RETRY_SECONDS if kind == "network" else 0)
    while True:
        try:
            with doing(f"{kind} {object_id}"):
                remove(object_id)
            return
        except EngineNotFound:
            return  # gone already
        except EngineRefused:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)
