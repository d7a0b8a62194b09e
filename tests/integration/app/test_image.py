"""friendlyhello's Dockerfile: built offline from a wheelhouse, run as the report runs it.

The base is the official python:3.11-slim when the engine has it, else the project's
Debian-built stand-in (swarmdeck.images.bootstrap): python3 and python3-venv only.
The build runs with network_mode "none", which proves it needs nothing but its context.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import docker
import httpx
import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from tests.support.paths import REPO

pytestmark = [pytest.mark.engine, pytest.mark.slow]

APP_DIR = REPO / "apps" / "friendlyhello"
DISABLED = "<i>cannot connect to Redis, counter disabled</i>"


@pytest.fixture(scope="module")
def bases(engine: docker.DockerClient) -> dict[str, str]:
    return {role: choice.image for role, choice in ensure_base_images(engine, ["python", "redis"]).items()}


@pytest.fixture(scope="module")
def image(
    engine: docker.DockerClient, bases: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    context = tmp_path_factory.mktemp("friendlyhello-context")
    for name in ("Dockerfile", ".dockerignore"):
        shutil.copy(APP_DIR / name, context / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(context / "wheels"), str(APP_DIR)],
        check=True,
        timeout=600,
    )
    tag = f"friendlyhello-test:{uuid.uuid4().hex[:12]}"
    engine.images.build(
        path=str(context),
        tag=tag,
        buildargs={"BASE": bases["python"]},
        network_mode="none",
        rm=True,
        forcerm=True,
    )
    yield tag
    engine.images.remove(tag, force=True)


def test_image_is_small_non_root_and_carries_no_build_tools(
    engine: docker.DockerClient, bases: dict[str, str], image: str
) -> None:
    config = engine.images.get(image).attrs["Config"]
    assert config["User"] == "friendlyhello"
    assert "80/tcp" in config["ExposedPorts"]
    assert "NAME=World" in config["Env"]
    assert config["Healthcheck"]["Test"][:2] == ["CMD", "bash"]  # no Python start per probe
    grown = engine.images.get(image).attrs["Size"] - engine.images.get(bases["python"]).attrs["Size"]
    assert grown < 60 * 1024 * 1024
    probe = (
        "import os, friendlyhello; "
        "print(os.getuid(), os.path.exists('/wheels'), os.path.exists('/opt/venv/bin/pip'))"
    )
    out = engine.containers.run(image, ["python3", "-c", probe], remove=True)
    assert out.decode().split() == ["10001", "False", "False"]


def _wait(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_container_counts_with_redis_degrades_without_and_stops_cleanly(
    engine: docker.DockerClient, bases: dict[str, str], image: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    network = engine.networks.create(f"fh-test-{suffix}")
    containers = []
    try:
        redis = engine.containers.run(
            bases["redis"],
            ["redis-server", "--appendonly", "no"],
            name=f"fh-test-redis-{suffix}",
            network=network.name,
            detach=True,
        )
        containers.append(redis)
        network.disconnect(redis)
        network.connect(redis, aliases=["redis"])  # the report's REDIS_HOST default
        web = engine.containers.run(
            image,
            name=f"fh-test-web-{suffix}",
            network=network.name,
            ports={"80/tcp": ("127.0.0.1", None)},
            nano_cpus=200_000_000,  # the compose file's limits: 0.2 CPU, 100M
            mem_limit="100m",
            detach=True,
        )
        containers.append(web)
        web.reload()
        url = f"http://127.0.0.1:{web.ports['80/tcp'][0]['HostPort']}"

        def answered() -> bool:
            try:
                return httpx.get(url + "/healthz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        _wait(answered, 30, "the web container to answer")
        pages = [httpx.get(url + "/").text for _ in range(2)]
        hostname = web.attrs["Config"]["Hostname"]
        assert pages == [
            f"<h3>Hello World!</h3><b>Hostname:</b> {hostname}<br/><b>Visits:</b> {n}" for n in (1, 2)
        ]

        def healthy() -> bool:
            web.reload()
            return web.attrs["State"]["Health"]["Status"] == "healthy"

        _wait(healthy, 40, "the HEALTHCHECK to report healthy")
        probe = web.attrs["Config"]["Healthcheck"]["Test"][1:]
        assert web.exec_run(probe).exit_code == 0
        assert web.exec_run(probe, environment={"PORT": "81"}).exit_code != 0  # nothing listens there
        memory = web.stats(stream=False)["memory_stats"]["usage"]
        assert memory < 60 * 1024 * 1024, f"{memory / 2**20:.0f} MiB of the 100M limit"

        redis.stop(timeout=5)
        start = time.monotonic()
        page = httpx.get(url + "/", timeout=10).text
        assert page.endswith(f"<b>Visits:</b> {DISABLED}")
        assert time.monotonic() - start < 2.5

        start = time.monotonic()
        web.stop(timeout=10)
        web.reload()
        assert web.attrs["State"]["ExitCode"] == 0
        assert time.monotonic() - start < 5
    finally:
        for container in containers:
            container.remove(force=True)
        network.remove()
