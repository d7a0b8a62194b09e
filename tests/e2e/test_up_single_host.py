"""`swarmdeck up` on a lone host, the README's main path: no swarm yet, no registry, no
Docker Hub. It must init the swarm, start the report's registry, build, push, deploy and
verify, and deploy the console; run again and reuse everything; and `down` must clean up."""

from __future__ import annotations

import sys

import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import prepare_wheelhouse
from swarmdeck.images.console_image import prepare_context
from swarmdeck.platform.walkthrough import default_app_dir
from tests.e2e.console_checks import create_first_admin, health, setup_code_printed
from tests.testbed.lone import lone_host

pytestmark = [pytest.mark.engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def host(engine):
    # The lone host has no network beyond its veth: what `up` would download or pull comes
    # from node A (the base images) and the host (the wheelhouses, made beforehand).
    prepare_wheelhouse(default_app_dir(), engine.info()["Architecture"])
    prepare_context(engine.info()["Architecture"], progress=lambda _: None)
    images = [c.image for c in ensure_base_images(engine).values()]
    with lone_host(images, engine) as lone:
        yield lone


def up(host, *args: str):
    return host.run_inside([sys.executable, "-m", "swarmdeck", "up", *args])


@pytest.fixture(scope="module")
def first_up(host):
    return up(host)


def test_first_up_inits_the_swarm_starts_the_registry_and_verifies(host, first_up):
    run = first_up
    assert run.returncode == 0, run.stdout + run.stderr
    assert "initialised a new swarm; this engine is its manager: 1 ready node(s)" in run.stdout
    assert "started swarmdeck-registry" in run.stdout and "at 127.0.0.1:5000" in run.stdout
    assert "pushed 127.0.0.1:5000/friendlyhello:latest@sha256:" in run.stdout
    assert "friendlyhello is up (proxy routing, 1 node(s)" in run.stdout
    assert f"http://{host.addr}:6767/" in run.stdout
    services = {s.name for s in host.client.services.list()}
    assert services == {
        "friendlyhello_web",
        "friendlyhello_redis",
        "friendlyhello_ingress-proxy",
        "swarmdeck_console",
    }
    registry = host.client.containers.get("swarmdeck-registry")
    assert registry.attrs["HostConfig"]["PortBindings"]["5000/tcp"][0]["HostIp"] == "127.0.0.1"
    assert "Console image: built swarmdeck-console:" in run.stdout  # on this host, offline


def test_the_console_answers_and_lists_the_registry_up_started(host, first_up):
    assert health(host.addr)["setup_required"] is True
    with create_first_admin(host.addr, setup_code_printed(first_up.stdout, host.addr)) as console:
        [registry] = console.get("/api/registries").json()  # the managed one, not added twice
    assert (registry["name"], registry["address"], registry["managed"]) == (
        "swarmdeck",
        "127.0.0.1:5000",
        True,
    )


def test_second_up_reuses_everything(host):
    run = up(host)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "this engine already manages a swarm" in run.stdout
    assert "reused swarmdeck-registry" in run.stdout
    assert "Console image: reused swarmdeck-console:" in run.stdout
    assert "Create the first admin" not in run.stdout  # made by the test before


def test_down_with_volumes_and_registry_leaves_nothing(host):
    run = host.run_inside([sys.executable, "-m", "swarmdeck", "down", "--volumes", "--registry"])
    assert run.returncode == 0, run.stdout + run.stderr
    assert not host.client.services.list()
    assert not host.client.containers.list(all=True, filters={"name": "swarmdeck-registry"})
    assert not [
        v
        for v in host.client.volumes.list()
        if v.name.startswith(("friendlyhello_", "swarmdeck_", "swarmdeck-registry"))
    ]
