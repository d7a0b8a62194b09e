"""Throwaway registries for tests: a registry container of the project's base image on a
free loopback port, and a cheap way to fill one with many repositories."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import docker
import httpx

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.registry.manifests import DOCKER_MANIFEST

from .redis import free_port


def registry_image(engine: docker.DockerClient) -> str:
    return ensure_base_images(engine, roles=["registry"])["registry"].image


@contextmanager
def registry_container(
    engine: docker.DockerClient,
    environment: dict[str, str] | None = None,
    volumes: dict[str, Any] | None = None,
    ready_status: int = 200,
) -> Iterator[str]:
    """Run a registry (configured by REGISTRY_* ``environment``); yield its address.

    ``ready_status`` is what ``GET /v2/`` answers once it serves (401 with authentication).
    """
    port = free_port()
    container = engine.containers.run(
        registry_image(engine),
        detach=True,
        ports={"5000/tcp": ("127.0.0.1", port)},
        environment=environment or {},
        volumes=volumes or {},
    )
    try:
        address = f"127.0.0.1:{port}"
        wait_answering(address, ready_status)
        yield address
    finally:
        container.remove(force=True, v=True)


def wait_answering(address: str, status: int = 200, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://{address}/v2/", timeout=1).status_code == status:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the registry at {address} did not start within {timeout:.0f} s")
        time.sleep(0.2)


def fill(address: str, seed: str, count: int, two_tags: int) -> None:
    """Make ``count`` repositories ``many/repoNNNNN`` cheaply: mount the blobs of ``seed:1``
    and put its manifest as ``latest`` — and also as ``v1`` for the first ``two_tags``."""
    with httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        manifest = http.get(f"/v2/{seed}/manifests/1", headers={"Accept": DOCKER_MANIFEST})
        body = manifest.json()
        blobs = [body["config"]["digest"], *(layer["digest"] for layer in body["layers"])]

        def make(i: int) -> None:
            name = f"many/repo{i:05d}"
            for digest in blobs:
                r = http.post(f"/v2/{name}/blobs/uploads/", params={"mount": digest, "from": seed})
                assert r.status_code == 201, r.text
            for tag in ("v1", "latest") if i < two_tags else ("latest",):
                r = http.put(
                    f"/v2/{name}/manifests/{tag}",
                    content=manifest.content,
                    headers={"Content-Type": DOCKER_MANIFEST},
                )
                assert r.status_code == 201, r.text

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(count)))
