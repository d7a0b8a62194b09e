"""The report's private registry container, started and reused by `swarmdeck up`."""

import socket

import pytest

from swarmdeck.images.bootstrap import ensure_base_images
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.platform import private_registry
from swarmdeck.platform.errors import PlatformError
from swarmdeck.registry.client import RegistryClient

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def registry_image(engine):
    return ensure_base_images(engine, roles=["registry"])["registry"].image


@pytest.fixture
def managed_registry(engine):
    private_registry.remove_registry(engine, volumes=True)
    yield
    private_registry.remove_registry(engine, volumes=True)


def test_started_then_reused_and_keeps_pushed_images(engine, registry_image, busybox_image, managed_registry):
    port = free_port()
    address, what = private_registry.ensure_registry(engine, registry_image, port=port)
    assert address == f"127.0.0.1:{port}"
    assert what.startswith("started")
    reference = f"{address}/testbed/busybox:pushed"
    tag_image(engine, busybox_image, reference)
    assert push_image(engine, reference).startswith("sha256:")

    container = engine.containers.get(private_registry.CONTAINER)
    assert container.attrs["HostConfig"]["RestartPolicy"]["Name"] == "always"
    assert "REGISTRY_STORAGE_DELETE_ENABLED=true" in container.attrs["Config"]["Env"]

    # A stopped registry is started again, with its data.
    container.stop(timeout=2)
    again, what = private_registry.ensure_registry(engine, registry_image, port=port)
    assert (again, what.split()[0]) == (address, "restarted")
    with RegistryClient(address) as client:
        assert client.tags("testbed/busybox") == ["pushed"]
    _, what = private_registry.ensure_registry(engine, registry_image, port=port)
    assert what.startswith("reused")


def test_port_in_use_is_one_clear_error_and_leaves_nothing(engine, registry_image, managed_registry):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PlatformError, match=f"port {port} on 127.0.0.1 is already in use"):
            private_registry.ensure_registry(engine, registry_image, port=port)
    assert not engine.containers.list(all=True, filters={"name": private_registry.CONTAINER})


def test_attach_to_a_missing_registry_fails_clearly():
    port = free_port()
    with pytest.raises(PlatformError, match=f"no registry answers at http://127.0.0.1:{port}/v2/"):
        private_registry.attach_registry(f"127.0.0.1:{port}")


def test_garbage_collection_frees_what_a_delete_left(engine, registry_image, busybox_image, managed_registry):
    address, _ = private_registry.ensure_registry(engine, registry_image, port=free_port())
    reference = f"{address}/testbed/gc:1"
    tag_image(engine, busybox_image, reference)
    push_image(engine, reference)
    engine.images.remove(reference)
    with RegistryClient(address) as client:
        client.delete("testbed/gc", "1")
    collected = private_registry.garbage_collect(engine)
    assert collected.blobs_deleted >= 2  # the config and the layer
    assert collected.bytes_after < collected.bytes_before - 500_000  # busybox's layer is ~1 MB
    with RegistryClient(address) as client:  # and the registry serves again
        client.ping()
        assert client.tags("testbed/gc") == []
