"""All or nothing: what a deploy changed, and how to take it back when a later change fails.

``docker stack deploy`` stops at the first refusal and leaves what it made (networks, secrets,
the services before the failing one). Here each change is written down as it succeeds, and
when one fails the deploy takes back, newest first, what this run did: services it created
are removed, services it updated are rolled back to the spec they had (the engine keeps it
as the previous spec: the docker CLI's ``service rollback``), secrets, configs and networks
it created are removed (a network is retried while the removed services' tasks still hold
it). What could not be taken back is said too. Services a ``--prune`` removed before the
failure are not restored: the engine keeps no copy of them.

When the engine stops answering mid-deploy (restarted, say), the changes in flight have an
unknown outcome (no answer, or a 5xx such as a gRPC call cut while it stops): they are
written down as ``uncertain``, and once the engine answers again
(each step is retried while it is unreachable or its swarm has no leader yet, for up to
``ENGINE_RETURN_SECONDS``) they are looked up: an object of the planned name that now exists
was made by this run (the plan saw none), and a service whose spec is no longer the one the
plan saw was updated (not its version: the swarm's allocator moves that by itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import docker

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import (
    EngineError,
    EngineNotFound,
    EngineRefused,
    EngineUnavailable,
    EngineUnreachable,
)
from swarmdeck.engine.names import path as engine_path
from swarmdeck.engine.sdkapi import typed_api

NETWORK_RETRY_SECONDS = 30.0  # removed services' tasks may hold a network this long
ENGINE_RETURN_SECONDS = 90.0  # how long an engine that went away mid-deploy is waited for
_LOOKUP = {"network": "networks", "secret": "secrets", "config": "configs", "service": "services"}


@dataclass
class Undo:
    """The changes a deploy made so far, newest last: (kind, name, id) each."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)  # services: (name, id)
    # sent while the engine went away: (kind, name) to create; services: (name, id, old spec)
    uncertain_created: list[tuple[str, str]] = field(default_factory=list)
    uncertain_updated: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def run(self, client: docker.DockerClient) -> tuple[list[str], list[str]]:
        """Take everything back: (what was undone, what could not be) as sentences."""
        done: list[str] = []
        failed: list[str] = []
        deadline = time.monotonic() + ENGINE_RETURN_SECONDS
        try:
            _patient(deadline, partial(self._settle, client))
        except EngineError as exc:
            failed.append(f"find out what the engine did before it stopped answering: {exc}")
        for name, service_id in reversed(self.updated):
            action = partial(_rollback, client, service_id)
            self._try(done, failed, f"restored service {name}", partial(_patient, deadline, action))
        order = {"service": 0, "secret": 1, "config": 1, "network": 2}
        for kind, name, object_id in sorted(reversed(self.created), key=lambda c: order[c[0]]):
            action = partial(_remove, client, kind, object_id)
            self._try(done, failed, f"removed {kind} {name}", partial(_patient, deadline, action))
        return done, failed

    def _settle(self, client: docker.DockerClient) -> None:
        """Turn the uncertain changes into known ones by asking the engine (it answers again);
        nothing is written down until every answer is in, so it can be asked again."""
        api: Any = client.api
        created, updated = [], []
        for kind, name in self.uncertain_created:
            if kind == "network":
                found = [(n["Name"], n["Id"]) for n in api.networks(names=[name])]
            else:
                listed = getattr(api, _LOOKUP[kind])(filters={"name": name})
                found = [(o["Spec"]["Name"], o["ID"]) for o in listed]
            created += [(kind, name, object_id) for found_name, object_id in found if found_name == name]
        for name, service_id, old_spec in self.uncertain_updated:
            with doing(f"service {name}"):
                current = api.inspect_service(service_id)
            if current["Spec"] != old_spec:
                updated.append((name, service_id))
        self.created += created
        self.updated += updated
        self.uncertain_created.clear()
        self.uncertain_updated.clear()

    @staticmethod
    def _try(done: list[str], failed: list[str], what: str, action: Callable[[], None]) -> None:
        try:
            action()
            done.append(what)
        except EngineError as exc:
            failed.append(f"{what.replace('removed', 'remove').replace('restored', 'restore')}: {exc}")


def _patient(deadline: float, action: Callable[[], None]) -> None:
    """``action``, retried while the engine does not answer or its swarm is not ready (503)."""
    while True:
        try:
            with doing("undoing the deploy"):
                action()
            return
        except (EngineUnreachable, EngineUnavailable):
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


def _rollback(client: docker.DockerClient, service_id: str, attempts: int = 3) -> None:
    """The docker CLI's ``service rollback``: the engine returns the service to its previous
    spec. Asked again when its version moved in between ("update out of sequence": the swarm
    moves it by itself, e.g. just after an engine came back)."""
    api = typed_api(client)
    for attempt in range(attempts):
        try:
            with doing(f"service {service_id}"):
                current = api.inspect_service(service_id)
                response = api._post_json(
                    api._url(engine_path("/services/{}/update", service_id)),
                    data=current["Spec"],
                    params={"version": current["Version"]["Index"], "rollback": "previous"},
                )
                api._result(response)
            return
        except EngineRefused as exc:
            if "out of sequence" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.5)


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
