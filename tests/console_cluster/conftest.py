"""Fixtures for the cluster pages and API: the console fixtures of tests/console (a console
with an admin, an operator and a read-only user, logged-in clients, a live server), and a
registry of our own with deletion enabled, filled cheaply."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry.manifests import DOCKER_MANIFEST
from tests.console.conftest import (  # noqa: F401  (fixtures used by the tests here)
    admin,
    app,
    janitor,
    live,
    make_app,
    operator,
    viewer,
)

SEED = "seed/busybox"
REPOSITORIES = 1050  # more than one page of 1,000 from the registry
TWO_TAGS = 10  # the first repositories carry v1 and latest (one digest); the others latest only


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def registry_image(engine) -> str:
    return ensure_base_images(engine, roles=["registry"])["registry"].image


@pytest.fixture(scope="module")
def own_registry(engine, registry_image, busybox_image) -> Iterator[str]:
    """A registry container (deletion enabled) holding SEED:1 and REPOSITORIES copies of it,
    tagged latest, and the first TWO_TAGS also v1 (two tags on one digest)."""
    port = free_port()
    container = engine.containers.run(
        registry_image, detach=True, ports={"5000/tcp": ("127.0.0.1", port)},
        environment={"REGISTRY_STORAGE_DELETE_ENABLED": "true"})
    address = f"127.0.0.1:{port}"
    try:
        wait_answering(address)
        tag_image(engine, busybox_image, f"{address}/{SEED}:1")
        push_image(engine, f"{address}/{SEED}:1")
        fill(address, REPOSITORIES)
        yield address
    finally:
        container.remove(force=True, v=True)
        engine.images.remove(f"{address}/{SEED}:1")


def wait_answering(address: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://{address}/v2/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "registry did not start"
        time.sleep(0.2)


def fill(address: str, count: int) -> None:
    """``count`` repositories made by mounting SEED's blobs and putting its manifest."""
    with httpx.Client(base_url=f"http://{address}", timeout=30) as http:
        manifest = http.get(f"/v2/{SEED}/manifests/1", headers={"Accept": DOCKER_MANIFEST})
        body = manifest.json()
        blobs = [body["config"]["digest"], *(layer["digest"] for layer in body["layers"])]

        def make(i: int) -> None:
            name = f"many/repo{i:05d}"
            for digest in blobs:
                r = http.post(f"/v2/{name}/blobs/uploads/", params={"mount": digest, "from": SEED})
                assert r.status_code == 201, r.text
            for tag in ("v1", "latest") if i < TWO_TAGS else ("latest",):
                r = http.put(f"/v2/{name}/manifests/{tag}", content=manifest.content,
                             headers={"Content-Type": DOCKER_MANIFEST})
                assert r.status_code == 201, r.text

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(make, range(count)))
