"""The registry client against a real registry (Debian's distribution, in a container)."""

from __future__ import annotations

import pytest

from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry.client import RegistryClient
from swarmdeck.registry.errors import RegistryError
from swarmdeck.registry.manifests import DOCKER_MANIFEST
from tests.testbed.redis import free_port
from tests.testbed.registry_containers import fill, registry_container

pytestmark = [pytest.mark.engine, pytest.mark.slow]

SEED = "seed/busybox"
REPOSITORIES = 1000


@pytest.fixture(scope="module")
def registry_address(engine, busybox_image):
    """A registry of our own (deletion enabled) holding SEED and REPOSITORIES copies of it."""
    with registry_container(engine, {"REGISTRY_STORAGE_DELETE_ENABLED": "true"}) as address:
        tag_image(engine, busybox_image, f"{address}/{SEED}:1")
        push_image(engine, f"{address}/{SEED}:1")
        try:
            fill(address, SEED, REPOSITORIES, two_tags=REPOSITORIES)
            yield address
        finally:
            engine.images.remove(f"{address}/{SEED}:1")


def test_catalog_pages_follow_the_link_header(registry_address):
    with RegistryClient(registry_address) as registry:
        first = registry.catalog(n=100)
        assert len(first.items) == 100 and first.next_last == first.items[-1]
        second = registry.catalog(n=100, last=first.next_last)
        assert second.items[0] > first.items[-1]
        everything = list(registry.iter_catalog(n=250))
    assert len(everything) == REPOSITORIES + 1 == len(set(everything))
    assert everything == sorted(everything)
    assert everything[-1] == SEED


def test_manifest_config_and_sizes(registry_address, engine, busybox_image):
    with RegistryClient(registry_address) as registry:
        manifest = registry.manifest(SEED, "1")
        assert manifest.media_type == DOCKER_MANIFEST and not manifest.is_index
        assert manifest.digest == registry.digest(SEED, "1")
        assert manifest.image_size == manifest.config_size + sum(x.size for x in manifest.layers) > 0
        config = registry.image_config(SEED, manifest.config_digest)
    assert config["architecture"] == engine.images.get(busybox_image).attrs["Architecture"]
    assert config["rootfs"]["diff_ids"]


def test_tags_sharing_a_digest_go_together_on_delete(registry_address):
    name = "many/repo00007"
    with RegistryClient(registry_address) as registry:
        assert registry.tags(name) == ["latest", "v1"]
        shared = registry.digest(name, "v1")
        assert registry.digest(name, "latest") == shared
        assert registry.delete(name, "v1") == shared
        assert registry.tags(name) == []  # the registry deletes manifests, not tags
        with pytest.raises(RegistryError, match="no such tag"):
            registry.digest(name, "latest")
        assert "many/repo00008" in registry.catalog(n=10, last="many/repo00007").items


def test_unknown_names_and_tricks(registry_address):
    with RegistryClient(registry_address) as registry:
        assert registry.tags("no/such/repo") == []
        with pytest.raises(RegistryError, match="no such manifest"):
            registry.manifest(SEED, "nope")
        with pytest.raises(RegistryError, match="not a valid repository name"):
            registry.tags("../../v2/_catalog")
        with pytest.raises(RegistryError, match="neither a tag nor a digest"):
            registry.manifest(SEED, "../1")


def test_delete_refused_when_not_enabled(engine):
    with (
        registry_container(engine) as address,
        RegistryClient(address) as registry,
        pytest.raises(RegistryError, match="does not allow deleting"),
    ):
        registry.delete("x", "sha256:" + "0" * 64)


def test_nothing_answering_is_one_clear_error():
    port = free_port()
    with (
        RegistryClient(f"127.0.0.1:{port}") as registry,
        pytest.raises(RegistryError, match=f"no registry answers at http://127.0.0.1:{port}/v2/"),
    ):
        registry.ping()


def test_tls_registry_of_the_test_bed(registry, registry_busybox_image):
    repository = registry_busybox_image.split("/", 1)[1].rsplit(":", 1)[0]
    with RegistryClient(registry.address) as client:
        assert client.scheme == "https"
        client.ping()
        assert repository in list(client.iter_catalog())


def cli(*args: str):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", "registry", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_pages_shows_and_refuses_to_drop_sharing_tags_silently(registry_address):
    run = cli("ls", registry_address, "-n", "3")
    assert run.returncode == 0
    assert run.stdout.splitlines()[:3] == ["many/repo00000", "many/repo00001", "many/repo00002"]
    assert f"more: swarmdeck registry ls {registry_address} --last many/repo00002" in run.stdout

    run = cli("show", registry_address, "many/repo00011:v1")
    assert run.returncode == 0 and "digest      sha256:" in run.stdout and "compressed" in run.stdout

    run = cli("rm", registry_address, "many/repo00011:v1")
    assert run.returncode == 1
    assert "is also tagged latest: deleting removes those tags too; add --force" in run.stderr
    with RegistryClient(registry_address) as registry:
        assert registry.tags("many/repo00011") == ["latest", "v1"]  # nothing changed

    run = cli("rm", registry_address, "many/repo00011:v1", "--force")
    assert run.returncode == 0, run.stderr
    assert "also tagged latest" in run.stdout and "garbage collection" in run.stdout
    with RegistryClient(registry_address) as registry:
        assert registry.tags("many/repo00011") == []


@pytest.fixture(scope="module")
def basic_auth_registry(engine, tmp_path_factory):
    """A real registry with htpasswd (basic) authentication: user alice."""
    import bcrypt

    folder = tmp_path_factory.mktemp("htpasswd")
    secret = "correct horse battery staple"
    hashed = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=5)).decode()
    (folder / "htpasswd").write_text(f"alice:{hashed}\n")
    environment = {
        "REGISTRY_AUTH": "htpasswd",
        "REGISTRY_AUTH_HTPASSWD_REALM": "test",
        "REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd",
    }
    with registry_container(
        engine, environment, {str(folder): {"bind": "/auth", "mode": "ro"}}, ready_status=401
    ) as address:
        yield address, secret


def test_basic_auth(basic_auth_registry):
    address, secret = basic_auth_registry
    with RegistryClient(address, "alice", secret) as registry:
        registry.ping()
        assert registry.catalog().items == []
    with RegistryClient(address) as registry, pytest.raises(RegistryError, match="needs credentials"):
        registry.catalog()
    with RegistryClient(address, "alice", "wrong") as registry:
        with pytest.raises(RegistryError, match="refused the credentials of alice") as caught:
            registry.ping()
        assert "wrong" not in str(caught.value)  # no secret in messages
