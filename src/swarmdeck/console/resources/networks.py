"""Networks and volumes as the console shows them: lists with the containers using each,
inspect, create (name checked, the workload policy asked about the body) and remove."""

from __future__ import annotations

from typing import Any

import docker

from swarmdeck.console.errors import ConsoleError
from swarmdeck.console.resources.containers import all_containers
from swarmdeck.console.resources.names import check_name
from swarmdeck.console.workloads import refuse
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.policy import WorkloadPolicy


def _users_by(client: docker.DockerClient, attribute: str) -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for row in all_containers(client):
        for key in getattr(row, attribute):
            users.setdefault(key, []).append(row.name)
    return users


def _body_field(path: tuple[str | int, ...]) -> str:
    """A policy violation's place in a network or volume body, in the API's words
    (``Labels.x`` is ``labels.x``)."""
    return ".".join([str(path[0]).lower(), *(str(p) for p in path[1:])])


def list_networks(client: docker.DockerClient) -> list[dict[str, Any]]:
    users = _users_by(client, "networks")
    with doing("listing networks failed"):
        raw = client.api.networks()
    return sorted(
        (
            {
                "id": n["Id"],
                "name": n["Name"],
                "driver": n.get("Driver", ""),
                "scope": n.get("Scope", ""),
                "internal": n.get("Internal", False),
                "labels": n.get("Labels") or {},
                "containers": sorted(users.get(n["Name"], [])),
            }
            for n in raw
        ),
        key=lambda n: n["name"],
    )


def inspect_network(client: docker.DockerClient, ref: str) -> dict[str, Any]:
    with doing(f"network {ref}"):
        return client.api.inspect_network(ref)


def create_network(
    client: docker.DockerClient,
    name: str,
    policy: WorkloadPolicy,
    driver: str = "bridge",
    internal: bool = False,
    attachable: bool = False,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    check_name("network", name)
    refuse(policy.network({"Name": name, "Driver": driver, "Labels": labels or {}}), _body_field)
    with doing(f"creating network {name} failed"):
        created = client.api.create_network(
            name,
            driver=driver,
            internal=internal,
            check_duplicate=True,
            attachable=attachable or None,
            labels=labels or None,
        )
    return inspect_network(client, created["Id"])


def remove_network(client: docker.DockerClient, ref: str) -> None:
    with doing(f"removing network {ref} failed"):
        client.api.remove_network(ref)


def list_volumes(client: docker.DockerClient) -> list[dict[str, Any]]:
    users = _users_by(client, "volumes")
    with doing("listing volumes failed"):
        raw = client.api.volumes().get("Volumes") or []
    return sorted(
        (
            {
                "name": v["Name"],
                "driver": v.get("Driver", ""),
                "mountpoint": v.get("Mountpoint", ""),
                "labels": v.get("Labels") or {},
                "containers": sorted(users.get(v["Name"], [])),
            }
            for v in raw
        ),
        key=lambda v: v["name"],
    )


def inspect_volume(client: docker.DockerClient, name: str) -> dict[str, Any]:
    with doing(f"volume {name}"):
        return client.api.inspect_volume(name)


def create_volume(
    client: docker.DockerClient,
    name: str,
    policy: WorkloadPolicy,
    driver: str = "local",
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    check_name("volume", name)
    refuse(policy.volume({"Name": name, "Driver": driver, "Labels": labels or {}}), _body_field)
    with doing(f"creating volume {name} failed"):
        if any(v["Name"] == name for v in client.api.volumes().get("Volumes") or []):
            raise ConsoleError(f"a volume named {name} already exists", 409)
        return client.api.create_volume(name, driver=driver, labels=labels or None)


def remove_volume(client: docker.DockerClient, name: str, force: bool = False) -> None:
    with doing(f"removing volume {name} failed"):
        client.api.remove_volume(name, force=force)
