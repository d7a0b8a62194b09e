"""A registry that posts its events to a console served where containers reach it: the
console on the engine's bridge gateway (not loopback, which a container cannot reach), the
registry added to it and given a notification token before it starts (its configuration
carries the token), and a count of the catalog requests it served (its access log)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
from fastapi import FastAPI
from fastapi.testclient import TestClient

from swarmdeck.registry import notifications
from tests.support.console import LiveServer
from tests.support.served import serve_app
from tests.testbed.redis import free_port
from tests.testbed.registry_containers import registry_image, wait_answering


def bridge_gateway(engine: docker.DockerClient) -> str:
    """The host's address on the engine's default bridge: where containers reach this host."""
    return engine.networks.get("bridge").attrs["IPAM"]["Config"][0]["Gateway"]


@contextmanager
def gateway_console(app: FastAPI, engine: docker.DockerClient) -> Iterator[LiveServer]:
    with serve_app(app, host=bridge_gateway(engine)) as url:
        yield LiveServer(url, app)


@dataclass
class NotifiedRegistry:
    name: str
    address: str
    token: str
    container: docker.models.containers.Container

    def catalog_requests(self) -> int:
        """How many ``GET /v2/_catalog`` requests the registry has served (its access log)."""
        log = self.container.logs().decode(errors="replace")
        return sum(1 for line in log.splitlines() if "GET /v2/_catalog" in line)


@contextmanager
def notified_registry(
    engine: docker.DockerClient, admin: TestClient, live: LiveServer, name: str
) -> Iterator[NotifiedRegistry]:
    """A registry (deletion enabled) added to the console as ``name`` before it runs, whose
    notifications carry the token the console made for it."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    added = admin.post("/api/registries", json={"name": name, "address": address, "force": True})
    assert added.status_code == 201, added.text
    made = admin.post(f"/api/registries/{name}/notifications/token", json={"console_url": live.url})
    assert made.status_code == 200, made.text
    token = made.json()["token"]
    environment = {
        "REGISTRY_STORAGE_DELETE_ENABLED": "true",
        **notifications.environment(made.json()["url"], token),
    }
    container = engine.containers.run(
        registry_image(engine), detach=True, ports={"5000/tcp": ("127.0.0.1", port)}, environment=environment
    )
    try:
        wait_answering(address)
        yield NotifiedRegistry(name, address, token, container)
    finally:
        container.remove(force=True, v=True)
