"""The bootstrapped base images, built with the real debootstrap and run on the real engine.

Each image is proven by doing with it what the project does with the official image it
stands in for.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import sys
import sysconfig
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import docker
import docker.errors
import httpx
import pytest
from docker.models.containers import Container

from swarmdeck.images.bootstrap import (
    BASE_IMAGES,
    DEFAULT_CACHE_DIR,
    RECIPE_LABEL,
    ROLE_LABEL,
    BaseImage,
    bootstrap,
    build_base_image,
    ensure_base_images,
)
from swarmdeck.images.errors import ImageError

pytestmark = [pytest.mark.engine, pytest.mark.slow]

HAPROXY_CFG = "/usr/local/etc/haproxy/haproxy.cfg"
T = TypeVar("T")


class Janitor:
    """Names things uniquely and removes every container, network, volume, image it made."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.prefix = f"sdtest-bootstrap-{uuid.uuid4().hex[:8]}"
        self.containers: list[Container] = []
        self.networks: list[str] = []
        self.volumes: list[str] = []
        self.images: list[str] = []

    def name(self, what: str) -> str:
        return f"{self.prefix}-{what}"

    def run(self, image: str, command: list[str] | None = None, **kwargs: object) -> Container:
        container = self.client.containers.run(image, command, detach=True, **kwargs)
        self.containers.append(container)
        return container

    def network(self, what: str) -> str:
        self.networks.append(self.client.networks.create(self.name(what), driver="bridge").name)
        return self.networks[-1]

    def volume(self, what: str) -> str:
        self.volumes.append(self.client.volumes.create(self.name(what)).name)
        return self.volumes[-1]

    def cleanup(self) -> None:
        for container in self.containers:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
        for network in self.networks:
            self.client.networks.get(network).remove()
        for volume in self.volumes:
            self.client.volumes.get(volume).remove(force=True)
        for image in self.images:
            with contextlib.suppress(docker.errors.ImageNotFound):
                self.client.images.remove(image, force=True)


@pytest.fixture
def janitor(engine: docker.DockerClient) -> Iterator[Janitor]:
    keeper = Janitor(engine)
    yield keeper
    keeper.cleanup()


@pytest.fixture(scope="module")
def base_images(engine: docker.DockerClient) -> dict[str, str]:
    """All four base images (built now if missing or outdated)."""
    return bootstrap(engine)


def _eventually(what: str, attempt: Callable[[], T | None], timeout: float = 30) -> T:
    """The first answer of `attempt` that is not None ("not yet"), retried until `timeout`."""
    deadline = time.monotonic() + timeout
    while (answer := attempt()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)
    return answer


def _once(client: docker.DockerClient, image: str, command: list[str], **kwargs: object) -> str:
    """`docker run --rm IMAGE COMMAND`; its output (raises ContainerError on failure)."""
    output = client.containers.run(image, command, remove=True, stderr=True, **kwargs)
    return bytes(output).decode().strip()


def _exec(container: Container, command: list[str]) -> str:
    result = container.exec_run(command)
    assert result.exit_code == 0, result.output
    return bytes(result.output).decode().strip()


def _port(container: Container, private: str) -> int:
    container.reload()
    return int(container.ports[private][0]["HostPort"])


# --- building and reuse -------------------------------------------------------------------


def test_every_role_is_tagged_with_its_recipe_hash(
    engine: docker.DockerClient, base_images: dict[str, str]
) -> None:
    assert base_images == {role: r.image for role, r in BASE_IMAGES.items()}
    for role, recipe in BASE_IMAGES.items():
        labels = engine.images.get(recipe.image).labels
        assert labels[RECIPE_LABEL] == recipe.recipe_hash()
        assert labels[ROLE_LABEL] == role


def test_a_second_bootstrap_rebuilds_nothing(
    engine: docker.DockerClient, base_images: dict[str, str]
) -> None:
    before = {role: engine.images.get(tag).id for role, tag in base_images.items()}
    events: list[tuple[str, str]] = []
    started = time.monotonic()
    again = bootstrap(engine, progress=lambda role, message: events.append((role, message)))
    elapsed = time.monotonic() - started
    assert again == base_images
    assert {role: engine.images.get(tag).id for role, tag in again.items()} == before
    assert sorted(role for role, message in events if "up to date" in message) == sorted(BASE_IMAGES)
    print(f"warm bootstrap of {len(again)} images: {elapsed:.2f} s")


def test_ensure_base_images_says_which_source_serves_each_role(
    engine: docker.DockerClient, base_images: dict[str, str]
) -> None:
    choices = ensure_base_images(engine)
    assert list(choices) == list(BASE_IMAGES)
    for role, choice in choices.items():
        recipe = BASE_IMAGES[role]
        assert choice.role == role
        if choice.source == "bootstrapped":
            assert choice.image == recipe.image
            assert choice.pull_error, "a bootstrapped role says why the pull failed"
        else:
            assert choice.source in ("local", "pulled")
            assert choice.image == recipe.official
            assert choice.pull_error is None
        engine.images.get(choice.image)  # whichever was chosen is on the engine


# --- a failed build leaves nothing behind -------------------------------------------------


def _leftovers(role: str) -> set[Path]:
    temp = Path(tempfile.gettempdir()).glob(f"swarmdeck-base-{role}-*")
    return set(temp) | set(DEFAULT_CACHE_DIR.glob(f".build-{role}-*"))


def test_a_failed_debootstrap_raises_with_its_log_and_leaves_nothing(
    engine: docker.DockerClient,
) -> None:
    role = f"broken-{uuid.uuid4().hex[:8]}"
    recipe = BaseImage(
        role=role,
        official="none:0",
        repository=f"sdtest-bootstrap/{role}",
        tag="1",
        packages=("swarmdeck-no-such-package",),
        changes=(),
    )
    before = _leftovers(role)
    with pytest.raises(ImageError) as caught:
        build_base_image(engine, recipe)
    message = str(caught.value)
    assert message.startswith(f"debootstrap failed for {recipe.image}")
    assert "swarmdeck-no-such-package" in message  # the tail of debootstrap's own output
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(recipe.image)
    assert engine.images.list(all=True, filters={"label": f"{ROLE_LABEL}={role}"}) == []
    assert _leftovers(role) <= before


def test_an_import_the_engine_refuses_changes_no_tag_and_leaves_nothing(
    engine: docker.DockerClient, janitor: Janitor, busybox_image: str
) -> None:
    role = f"refused-{uuid.uuid4().hex[:8]}"
    recipe = BaseImage(
        role=role,
        official="none:0",
        repository=f"sdtest-bootstrap/{role}",
        tag="1",
        packages=(),
        changes=("RUN true",),  # never a valid change for `docker import`
    )
    engine.images.get(busybox_image).tag(recipe.repository, recipe.tag)
    janitor.images.append(recipe.image)
    before = _leftovers(role)
    with pytest.raises(ImageError, match=rf"the engine refused to import {recipe.image}: .*run"):
        build_base_image(engine, recipe)
    assert engine.images.get(recipe.image).id == engine.images.get(busybox_image).id
    assert engine.images.list(all=True, filters={"label": f"{ROLE_LABEL}={role}"}) == []
    assert _leftovers(role) <= before


def test_unknown_roles_are_refused_before_anything_runs(engine: docker.DockerClient) -> None:
    with pytest.raises(ImageError, match="unknown base image role.*nginx.*known: python"):
        bootstrap(engine, ["python", "nginx"])


# --- python -------------------------------------------------------------------------------


def _host_tagged_wheel(folder: Path) -> str:
    """A minimal wheel tagged for the host's interpreter and platform, as `pip wheel` makes."""
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    name = f"sdhello-1.0-{python}-{python}-{platform}.whl"
    files = {
        "sdhello/__init__.py": b'GREETING = "hello from a host-built wheel"\n',
        "sdhello-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: sdhello\nVersion: 1.0\n",
        "sdhello-1.0.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: swarmdeck-tests\nRoot-Is-Purelib: false\n"
            f"Tag: {python}-{python}-{platform}\n"
        ).encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append("sdhello-1.0.dist-info/RECORD,,")
    files["sdhello-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(folder / name, "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
    return name


def test_python_is_311_with_a_working_venv(engine: docker.DockerClient, base_images: dict[str, str]) -> None:
    image = base_images["python"]
    assert _once(engine, image, ["python3", "-c", "import sys; print(sys.version_info[:2])"]) == ("(3, 11)")
    out = _once(
        engine,
        image,
        ["sh", "-c", "python3 -m venv /tmp/v && /tmp/v/bin/python -m pip --version"],
    )
    assert out.startswith("pip ") and "/tmp/v/" in out


def test_python_base_builds_the_project_dockerfile_pattern(
    engine: docker.DockerClient, base_images: dict[str, str], janitor: Janitor, tmp_path: Path
) -> None:
    """`--build-arg BASE=`, a venv, pip from local wheels only, a user made with useradd."""
    (tmp_path / "wheels").mkdir()
    _host_tagged_wheel(tmp_path / "wheels")
    (tmp_path / "Dockerfile").write_text(
        "ARG BASE\n"
        "FROM ${BASE}\n"
        "COPY wheels /wheels\n"
        "RUN python3 -m venv /opt/venv"
        " && /opt/venv/bin/pip install --no-index --find-links /wheels sdhello"
        " && useradd --system --create-home app\n"
        "USER app\n"
        'CMD ["/opt/venv/bin/python", "-c",'
        ' "import getpass, sdhello; print(sdhello.GREETING, getpass.getuser())"]\n'
    )
    tag = f"{janitor.name('app')}:1"
    janitor.images.append(tag)
    engine.images.build(path=str(tmp_path), tag=tag, buildargs={"BASE": base_images["python"]}, rm=True)
    assert _once(engine, tag, []) == "hello from a host-built wheel app"


# --- redis --------------------------------------------------------------------------------


def test_redis_serves_other_containers_and_persists_its_append_only_file(
    engine: docker.DockerClient, base_images: dict[str, str], janitor: Janitor
) -> None:
    image = base_images["redis"]
    network = janitor.network("net")
    volume = janitor.volume("data")
    server = janitor.name("redis")
    redis = janitor.run(
        image,
        ["redis-server", "--appendonly", "yes"],
        name=server,
        network=network,
        volumes={volume: {"bind": "/data", "mode": "rw"}},
    )

    def cli(*args: str) -> str | None:
        """redis-cli from another container; None while the server is not reachable yet."""
        try:
            return _once(engine, image, ["redis-cli", "-h", server, *args], network=network)
        except docker.errors.ContainerError:
            return None

    assert _eventually("redis to answer", lambda: cli("ping")) == "PONG"
    assert cli("incr", "counter") == "1"
    assert cli("incr", "counter") == "2"
    assert _exec(redis, ["stat", "-c", "%U", "/proc/1", "/data/appendonlydir"]).split() == [
        "redis",
        "redis",
    ]

    redis.restart(timeout=10)
    assert _eventually("redis after the restart", lambda: cli("get", "counter")) == "2"


# --- registry -----------------------------------------------------------------------------


def test_registry_serves_v2_accepts_a_push_and_deletes_when_enabled_by_env(
    engine: docker.DockerClient, base_images: dict[str, str], janitor: Janitor, busybox_image: str
) -> None:
    image = base_images["registry"]
    volume = janitor.volume("registry")
    registry = janitor.run(
        image,
        environment={"REGISTRY_STORAGE_DELETE_ENABLED": "true"},
        ports={"5000/tcp": ("127.0.0.1", None)},
        volumes={volume: {"bind": "/var/lib/registry", "mode": "rw"}},
    )
    base = f"127.0.0.1:{_port(registry, '5000/tcp')}"

    def v2() -> httpx.Response | None:
        try:
            return httpx.get(f"http://{base}/v2/", timeout=2)
        except httpx.TransportError:
            return None

    answer = _eventually("the registry to answer /v2/", v2)
    assert (answer.status_code, answer.json()) == (200, {})

    repository = f"{base}/{janitor.prefix}/tiny"
    engine.images.get(busybox_image).tag(repository, "1")
    janitor.images.append(f"{repository}:1")
    for line in engine.images.push(repository, tag="1", stream=True, decode=True):
        assert "error" not in line, line

    path = f"{janitor.prefix}/tiny"
    assert path in httpx.get(f"http://{base}/v2/_catalog").json()["repositories"]
    assert _exec(registry, ["ls", "/var/lib/registry/docker/registry/v2/repositories"]) == (janitor.prefix)
    manifest = httpx.head(
        f"http://{base}/v2/{path}/manifests/1",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert manifest.status_code == 200
    digest = manifest.headers["Docker-Content-Digest"]
    deleted = httpx.delete(f"http://{base}/v2/{path}/manifests/{digest}")
    assert deleted.status_code == 202, deleted.text
    assert httpx.get(f"http://{base}/v2/{path}/tags/list").json()["tags"] in (None, [])


def test_registry_refuses_deletes_without_the_env_override(
    engine: docker.DockerClient, base_images: dict[str, str], janitor: Janitor
) -> None:
    """The same call as above without REGISTRY_STORAGE_DELETE_ENABLED: like registry:2."""
    registry = janitor.run(base_images["registry"], ports={"5000/tcp": ("127.0.0.1", None)})
    base = f"127.0.0.1:{_port(registry, '5000/tcp')}"

    def deletion_answer() -> int | None:
        try:
            return httpx.delete(f"http://{base}/v2/any/manifests/sha256:{'0' * 64}", timeout=2).status_code
        except httpx.TransportError:
            return None

    assert _eventually("the registry to answer", deletion_answer) == 405


# --- haproxy ------------------------------------------------------------------------------


def test_haproxy_checks_its_config_and_forwards_http_to_another_container(
    engine: docker.DockerClient, base_images: dict[str, str], janitor: Janitor, tmp_path: Path
) -> None:
    network = janitor.network("net")
    web = janitor.name("web")
    token = uuid.uuid4().hex
    janitor.run(
        base_images["python"],
        [
            "sh",
            "-c",
            f"mkdir /srv/www && echo {token} > /srv/www/index.html"
            " && exec python3 -m http.server 8000 --directory /srv/www",
        ],
        name=web,
        network=network,
    )
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        "defaults\n"
        "  mode http\n"
        "  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n"
        "frontend web\n  bind :8080\n  default_backend app\n"
        f"backend app\n  server web1 {web}:8000\n"
    )
    bad = tmp_path / "bad.cfg"
    bad.write_text("frontend web\n  bind :8080\n  no_such_keyword here\n")

    def check(path: Path) -> str:
        return _once(
            engine,
            base_images["proxy"],
            ["haproxy", "-c", "-f", HAPROXY_CFG],
            network=network,
            volumes={str(path): {"bind": HAPROXY_CFG, "mode": "ro"}},
        )

    assert "Configuration file is valid" in check(config)
    with pytest.raises(docker.errors.ContainerError):
        check(bad)

    proxy = janitor.run(
        base_images["proxy"],
        network=network,
        ports={"8080/tcp": ("127.0.0.1", None)},
        volumes={str(config): {"bind": HAPROXY_CFG, "mode": "ro"}},
    )
    url = f"http://127.0.0.1:{_port(proxy, '8080/tcp')}/"

    def through_proxy() -> str | None:
        try:
            answer = httpx.get(url, timeout=2)
        except httpx.TransportError:
            return None
        return answer.text.strip() if answer.status_code != 503 else None  # 503: no server yet

    assert _eventually("haproxy to forward to the web container", through_proxy) == token
    commands = {row[-1] for row in proxy.top(ps_args="-o pid,args")["Processes"]}
    assert f"haproxy -W -db -f {HAPROXY_CFG}" in commands
    assert _exec(proxy, ["id", "-un"]) == "haproxy"
