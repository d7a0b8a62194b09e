"""`swarmdeck compose up/down/ps/logs` on the real engine: Compose v2's objects, names and
labels; only what changed is recreated; replicas and limits; a failed `up` leaves nothing."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest
import typer
from typer.testing import CliRunner

from swarmdeck.cli.compose_cmds import register
from swarmdeck.compose import ComposeError
from swarmdeck.compose.project import ProjectError, down, load_plan, logs, ps, up
from swarmdeck.compose.project import names as n
from tests.support.paths import REPO
from tests.testbed import unique_name

pytestmark = pytest.mark.engine
REPORT_FILE = REPO / "apps" / "friendlyhello" / "docker-compose.yml"


class Project:
    """A compose project in its own folder, removed (with its volumes) after the test."""

    def __init__(self, client: docker.DockerClient, folder: Path, image: str) -> None:
        self.client = client
        self.name = unique_name("sdcp")
        self.folder = folder / self.name
        self.folder.mkdir()
        self.file = self.folder / "docker-compose.yml"
        self.image = image

    def write(self, text: str) -> None:
        self.file.write_text(text.replace("IMAGE", self.image))

    def up(self, remove_orphans: bool = False, **scale: int) -> list[str]:
        plan = load_plan([str(self.file)], {}, scale=scale)
        assert plan.name == self.name  # the folder's name
        return [str(event) for event in up(self.client, plan, remove_orphans=remove_orphans)]

    def containers(self) -> dict[str, docker.models.containers.Container]:
        found = self.client.containers.list(all=True, filters={"label": f"{n.PROJECT}={self.name}"})
        return {c.name: c for c in found}

    def ids(self) -> dict[str, str]:
        return {name: c.id for name, c in self.containers().items()}

    def networks(self) -> set[str]:
        return {net.name for net in self.client.networks.list(filters={"label": f"{n.PROJECT}={self.name}"})}

    def volumes(self) -> set[str]:
        return {vol.name for vol in self.client.volumes.list(filters={"label": f"{n.PROJECT}={self.name}"})}

    def leftovers(self) -> tuple[dict[str, str], set[str], set[str]]:
        return self.ids(), self.networks(), self.volumes()


@pytest.fixture
def project(engine: docker.DockerClient, busybox_image: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(engine, tmp_path, busybox_image)
    yield made
    down(engine, made.name, volumes=True, timeout=0)


TWO_SERVICES = """
version: "3.8"
services:
  web:
    image: IMAGE
    init: true
    command: >-
      sh -c 'mkdir -p /www && echo "hello from $$HOSTNAME $$GREETING" > /www/index.html
      && exec httpd -f -p 80 -h /www'
    environment: {GREETING: hi}
    labels: {team: web}
    healthcheck: {test: [CMD, wget, -qO-, "http://127.0.0.1/"], interval: 2s, retries: 2}
    ports: ["80"]
    depends_on: [db]
    secrets: [token]
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 64M}
        reservations: {memory: 16M}
      restart_policy: {condition: on-failure, max_attempts: 2}
  db:
    image: IMAGE
    init: true
    command: sh -c 'echo db ready; exec sleep 600'
    restart: unless-stopped
    volumes: [data:/data]
    networks:
      default:
      back: {aliases: [database]}
networks:
  back: {}
volumes:
  data: {}
secrets:
  token: {file: ./token.txt}
"""


def test_up_creates_what_compose_would(project: Project, engine: docker.DockerClient):
    (project.folder / "token.txt").write_text("s3cret-for-test")
    project.write(TWO_SERVICES)
    events = project.up()
    name = project.name
    assert events == [
        f"Network {name}_back  Created",
        f"Network {name}_default  Created",
        f"Volume {name}_data  Created",
        f"Container {name}-db-1  Started",
        f"Container {name}-web-1  Started",
        f"Container {name}-web-2  Started",
    ]
    containers = project.containers()
    assert set(containers) == {f"{name}-db-1", f"{name}-web-1", f"{name}-web-2"}
    web = containers[f"{name}-web-2"]
    image_id = engine.images.get(project.image).id
    labels = web.labels
    assert {k: labels[k] for k in (n.PROJECT, n.SERVICE, n.NUMBER, n.ONEOFF, n.IMAGE, "team")} == {
        n.PROJECT: name,
        n.SERVICE: "web",
        n.NUMBER: "2",
        n.ONEOFF: "False",
        n.IMAGE: image_id,
        "team": "web",
    }
    assert labels[n.WORKING_DIR] == str(project.folder)
    assert labels[n.CONFIG_FILES] == str(project.file)
    assert re.fullmatch(r"[0-9a-f]{64}", labels[n.CONFIG_HASH])
    assert labels[n.VERSION].startswith("swarmdeck")

    host = web.attrs["HostConfig"]
    assert (host["NanoCpus"], host["Memory"], host["MemoryReservation"]) == (
        500_000_000,
        64 * 2**20,
        16 * 2**20,
    )
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert web.attrs["Config"]["Healthcheck"] == {
        "Test": ["CMD", "wget", "-qO-", "http://127.0.0.1/"],
        "Interval": 2_000_000_000,
        "Retries": 2,
    }
    db = containers[f"{name}-db-1"]
    assert db.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"

    default = engine.networks.get(f"{name}_default")
    assert default.attrs["Driver"] == "bridge"
    assert default.attrs["Labels"][n.NETWORK] == "default"
    assert engine.volumes.get(f"{name}_data").attrs["Labels"][n.VOLUME] == "data"
    assert set(db.attrs["NetworkSettings"]["Networks"]) == {f"{name}_default", f"{name}_back"}
    assert {"db", f"{name}-db-1", "database"} <= set(
        db.attrs["NetworkSettings"]["Networks"][f"{name}_back"]["Aliases"]
    )

    # services reach each other by name; the secret is a read-only file; ports are published
    code, output = db.exec_run(["wget", "-qO-", "http://web/"])
    assert code == 0 and output.decode().startswith("hello from"), output
    assert db.exec_run(["nslookup", "database"]).exit_code == 0  # the alias on back
    assert web.exec_run(["cat", "/run/secrets/token"]).output == b"s3cret-for-test"
    assert web.exec_run(["sh", "-c", "echo x > /run/secrets/token"]).exit_code != 0
    rows = {row.name: row for row in ps(engine, name)}
    assert [rows[k].service for k in sorted(rows)] == ["db", "web", "web"]
    assert all(row.state == "running" for row in rows.values())
    port = re.search(r"0\.0\.0\.0:(\d+)->80/tcp", rows[f"{name}-web-1"].ports).group(1)
    answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    assert answer.text.strip() == f"hello from {containers[f'{name}-web-1'].id[:12]} hi"

    lines: list[str] = []
    logs(engine, name, lines.append, services=["db"])
    assert lines == ["db-1 | db ready"]
    lines.clear()
    logs(engine, name, lines.append)
    assert "db-1  | db ready" in lines


def test_only_what_changed_is_recreated(project: Project):
    (project.folder / "token.txt").write_text("t")
    project.write(TWO_SERVICES)
    project.up()
    first = project.ids()
    name = project.name

    assert project.up() == [
        f"Container {name}-db-1  Running",
        f"Container {name}-web-1  Running",
        f"Container {name}-web-2  Running",
    ]
    assert project.ids() == first

    hashes = {c.name: c.labels[n.CONFIG_HASH] for c in project.containers().values()}
    project.write(TWO_SERVICES.replace("GREETING: hi", "GREETING: changed"))
    events = project.up()
    assert events == [
        f"Container {name}-db-1  Running",
        f"Container {name}-web-1  Recreated",
        f"Container {name}-web-2  Recreated",
    ]
    after = project.ids()
    assert set(after) == set(first)  # same names, replacements renamed
    assert after[f"{name}-db-1"] == first[f"{name}-db-1"]
    assert after[f"{name}-web-1"] != first[f"{name}-web-1"]
    new_hashes = {c.name: c.labels[n.CONFIG_HASH] for c in project.containers().values()}
    assert new_hashes[f"{name}-db-1"] == hashes[f"{name}-db-1"]
    assert new_hashes[f"{name}-web-1"] != hashes[f"{name}-web-1"]
    assert all(c.status == "running" for c in project.containers().values())

    # scaling adds and removes containers by number, without touching the others
    assert project.up(web=3)[-1] == f"Container {name}-web-3  Started"
    scaled = project.ids()
    assert {k: scaled[k] for k in after} == after
    assert project.up(web=1)[-2:] == [f"Container {name}-web-2  Removed", f"Container {name}-web-3  Removed"]
    assert project.ids() == {k: after[k] for k in (f"{name}-db-1", f"{name}-web-1")}


def test_orphans_are_reported_and_removed_on_request(project: Project):
    service = "{image: IMAGE, init: true, command: sleep 600}"
    two = f"services:\n  a: {service}\n  b: {service}\n"
    project.write(two)
    project.up()
    project.write(two.split("  b:")[0])
    name = project.name
    assert project.up() == [
        f"Container {name}-a-1  Running",
        f"Container {name}-b-1  Orphaned (--remove-orphans removes it)",
    ]
    assert set(project.ids()) == {f"{name}-a-1", f"{name}-b-1"}
    assert project.up(remove_orphans=True)[-1] == f"Container {name}-b-1  Removed"
    assert set(project.ids()) == {f"{name}-a-1"}


def test_ps_lists_running_containers_unless_all(project: Project, engine: docker.DockerClient):
    project.write(
        "services:\n  a: {image: IMAGE, init: true, command: sleep 600}\n"
        "  b: {image: IMAGE, command: 'true', restart: 'no'}\n"
    )
    project.up()
    engine.containers.get(f"{project.name}-b-1").wait(timeout=10)
    assert [(r.name, r.state) for r in ps(engine, project.name)] == [(f"{project.name}-a-1", "running")]
    assert [(r.name, r.state) for r in ps(engine, project.name, all=True)] == [
        (f"{project.name}-a-1", "running"),
        (f"{project.name}-b-1", "exited"),
    ]
    # a stopped container whose config did not change is started again, not recreated
    before = project.ids()
    assert project.up() == [
        f"Container {project.name}-a-1  Running",
        f"Container {project.name}-b-1  Started",
    ]
    assert project.ids() == before


def test_a_recreated_container_keeps_its_anonymous_volumes(project: Project):
    text = (
        "services:\n  a: {image: IMAGE, init: true, command: sleep 600, volumes: [/cache],"
        " labels: {v: '1'}}\n"
    )
    project.write(text)
    project.up()
    container = project.containers()[f"{project.name}-a-1"]
    assert container.exec_run(["sh", "-c", "echo kept > /cache/file"]).exit_code == 0
    project.write(text.replace("v: '1'", "v: '2'"))
    assert project.up() == [f"Container {project.name}-a-1  Recreated"]
    replacement = project.containers()[f"{project.name}-a-1"]
    assert replacement.id != container.id
    assert replacement.exec_run(["cat", "/cache/file"]).output == b"kept\n"


def test_down_keeps_volumes_unless_asked(project: Project, engine: docker.DockerClient):
    project.write("""
services:
  db:
    image: IMAGE
    init: true
    command: sh -c 'test -f /data/kept || date > /data/kept; exec sleep 600'
    volumes: [data:/data]
volumes:
  data: {}
""")
    project.up()
    db = project.containers()[f"{project.name}-db-1"]
    written = db.exec_run(["cat", "/data/kept"]).output

    events = [str(e) for e in down(engine, project.name, timeout=0)]
    assert events == [f"Container {project.name}-db-1  Removed", f"Network {project.name}_default  Removed"]
    assert project.leftovers() == ({}, set(), {f"{project.name}_data"})

    project.up()
    db = project.containers()[f"{project.name}-db-1"]
    assert db.exec_run(["cat", "/data/kept"]).output == written

    down(engine, project.name, volumes=True, timeout=0)
    assert project.leftovers() == ({}, set(), set())


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on (all addresses, as a published port would)."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_taken_port_leaves_nothing_behind(project: Project, taken_port: int):
    project.write(f"""
services:
  db: {{image: IMAGE, init: true, command: sleep 600, volumes: [data:/data]}}
  web: {{image: IMAGE, init: true, command: httpd -f -p 80, ports: ["{taken_port}:80"], depends_on: [db]}}
volumes:
  data: {{}}
""")
    with pytest.raises(ProjectError) as caught:
        project.up()
    message = str(caught.value)
    assert f"start container {project.name}-web-1" in message
    assert str(taken_port) in message and "undone" in message
    assert project.leftovers() == ({}, set(), set())


def test_a_failed_up_keeps_what_existed_before(project: Project, taken_port: int):
    before = """
services:
  db: {image: IMAGE, init: true, command: sleep 600, environment: {V: "1"}}
"""
    project.write(before)
    project.up()
    existing = project.ids()
    networks = project.networks()
    # db must be recreated (new environment), and a new service cannot start
    project.write(
        before.replace('V: "1"', 'V: "2"')
        + f"""
  web:
    image: IMAGE
    init: true
    command: httpd -f -p 80
    ports: ["{taken_port}:80"]
    depends_on: [db]
    networks: [default, front]
networks:
  front: {{}}
"""
    )
    with pytest.raises(ProjectError, match="port|address"):
        project.up()
    assert project.ids() == existing
    assert project.networks() == networks
    db = project.containers()[f"{project.name}-db-1"]
    assert db.status == "running" and "V=1" in db.attrs["Config"]["Env"]


def test_unknown_image_or_missing_external_network_creates_nothing(project: Project):
    # a registry on a closed loopback port: the pull fails at once, without leaving the host
    project.write("""
services:
  db: {image: IMAGE, command: sleep 600, volumes: [data:/data]}
  web: {image: "127.0.0.1:9/swarmdeck-no-such-image:1"}
volumes:
  data: {}
""")
    with pytest.raises(
        ProjectError, match="swarmdeck-no-such-image:1 is not on the engine and could not be pulled"
    ):
        project.up()
    assert project.leftovers() == ({}, set(), set())

    project.write(f"""
services:
  db: {{image: IMAGE, command: sleep 600, networks: [outside]}}
networks:
  outside: {{external: true, name: {project.name}-missing}}
""")
    with pytest.raises(ProjectError, match=f"network {project.name}-missing declared as external"):
        project.up()
    assert project.leftovers() == ({}, set(), set())

    project.write(
        'version: "3.8"\nservices:\n  db: {image: IMAGE, command: sleep 600, secrets: [s]}\n'
        "secrets:\n  s: {file: ./not-there.txt}\n"
    )
    with pytest.raises(ProjectError, match="not-there.txt of a secret or config does not exist"):
        project.up()
    assert project.leftovers() == ({}, set(), set())


def _role_image(
    engine: docker.DockerClient, base: str, folder: Path, tag: str, files: dict[str, str], cmd: str
) -> str:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    copies = "".join(f"COPY {name} /usr/local/bin/{name}\n" for name in files)
    (folder / "Dockerfile").write_text(f"FROM {base}\n{copies}CMD {cmd}\n")
    engine.images.build(path=str(folder), tag=tag, rm=True)
    return tag


@pytest.fixture
def report_images(
    engine: docker.DockerClient, busybox_image: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Stand-ins for the report's two images: a web server on :80, and a `redis-server`."""
    tag = unique_name("sdcp-role")
    web = _role_image(
        engine,
        busybox_image,
        tmp_path / "web",
        f"swarmdeck-test/{tag}-web:1",
        {},
        '["httpd", "-f", "-p", "80"]',
    )
    redis = _role_image(
        engine,
        busybox_image,
        tmp_path / "redis",
        f"swarmdeck-test/{tag}-redis:1",
        {"redis-server": '#!/bin/sh\necho "redis-server $*" > /data/args\nexec sleep 600\n'},
        '["redis-server"]',
    )
    yield {"FRIENDLYHELLO_IMAGE": web, "REDIS_IMAGE": redis}
    for image in (web, redis):
        engine.images.remove(image, force=True)


def test_the_reports_file(engine: docker.DockerClient, report_images: dict[str, str], tmp_path: Path):
    name = unique_name("sdcp-fh")
    # As written, two web replicas share host port 6767: refused before anything is created.
    with pytest.raises(
        ComposeError,
        match=r"docker-compose.yml:19:9: services.web.ports: 2 "
        r"replicas of web cannot all publish host port 6767",
    ):
        load_plan([str(REPORT_FILE)], report_images, name)
    # With the engine picking the host ports, the report's file runs as Compose v2 runs it.
    folder = tmp_path / "friendlyhello"
    folder.mkdir()
    copy = folder / "docker-compose.yml"
    copy.write_text(REPORT_FILE.read_text().replace('"6767:80"', '"80"'))
    plan = load_plan([str(copy)], report_images, name)
    assert plan.warnings == [
        "Some services use deploy keys that only a swarm applies, which will be ignored (redis: "
        "deploy.placement). Use `swarmdeck stack deploy` to deploy to a swarm."
    ]
    try:
        up(engine, plan)
        containers = {c.name: c for c in engine.containers.list(filters={"label": f"{n.PROJECT}={name}"})}
        assert set(containers) == {f"{name}-web-1", f"{name}-web-2", f"{name}-redis-1"}
        for number in (1, 2):
            host = containers[f"{name}-web-{number}"].attrs["HostConfig"]
            assert (host["NanoCpus"], host["Memory"]) == (200_000_000, 100 * 2**20)
            assert host["RestartPolicy"]["Name"] == "on-failure"
        redis = containers[f"{name}-redis-1"]
        assert redis.exec_run(["cat", "/data/args"]).output == b"redis-server --appendonly yes\n"
        mounts = redis.attrs["Mounts"]
        assert [(m["Type"], m["Name"], m["Destination"]) for m in mounts] == [
            ("volume", f"{name}_redis-data", "/data")
        ]
        assert set(redis.attrs["NetworkSettings"]["Networks"]) == {f"{name}_webnet"}
        reached = redis.exec_run(["sh", "-c", "wget -qO- http://web/ 2>&1"]).output
        assert b"404 Not Found" in reached, reached  # web's httpd answered (no index page)
    finally:
        down(engine, name, volumes=True, timeout=0)
    assert not engine.containers.list(all=True, filters={"label": f"{n.PROJECT}={name}"})
    assert not engine.volumes.list(filters={"label": f"{n.PROJECT}={name}"})


def test_cli(project: Project):
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """swarmdeck"""

    register(app)
    runner = CliRunner()
    project.write("services:\n  db: {image: IMAGE, init: true, command: sh -c 'echo up; exec sleep 600'}\n")
    base = ["compose", "-f", str(project.file)]
    result = runner.invoke(app, [*base, "up", "-d"])
    assert result.exit_code == 0, result.output
    assert f"Container {project.name}-db-1  Started" in result.output
    result = runner.invoke(app, [*base, "ps"])
    assert result.exit_code == 0
    assert re.search(rf"^{project.name}-db-1 +\S+ +db +running", result.output, re.M), result.output
    result = runner.invoke(app, [*base, "logs", "db"])
    assert result.output == "db-1 | up\n"
    result = runner.invoke(app, [*base, "down", "-t", "0"])
    assert result.exit_code == 0 and f"Container {project.name}-db-1  Removed" in result.output
    assert project.leftovers() == ({}, set(), set())

    project.write("services:\n  db:\n    image: IMAGE\n    deploy: {replicas: many}\n")
    result = runner.invoke(app, [*base, "up", "-d"])
    assert result.exit_code == 1
    assert f"{project.file}:4:24: services.db.deploy.replicas" in result.output
    assert "Traceback" not in result.output
    assert project.leftovers() == ({}, set(), set())
