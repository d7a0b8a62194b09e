"""`compose up` is all or nothing on the real engine: when the engine refuses a change after
the plan (a host port taken by a container the test starts, a container name taken, an image
removed between the checks and the containers), the run stops, takes back what it did, says
what it undid, and the project's containers, networks and volumes are the ones it had, with
the same IDs, configuration, state and data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import typer
from typer.testing import CliRunner

from swarmdeck.cli.compose_cmds import register
from swarmdeck.compose.project import ProjectError, down, load_plan, up
from swarmdeck.compose.project import names as n
from swarmdeck.compose.project.up import _Up
from tests.integration.test_compose_project import Project
from tests.testbed import unique_name

pytestmark = pytest.mark.engine


@pytest.fixture
def project(engine: docker.DockerClient, busybox_image: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(engine, tmp_path, busybox_image)
    yield made
    down(engine, made.name, volumes=True, timeout=0)


@pytest.fixture
def intruders(engine: docker.DockerClient) -> Iterator[list[Any]]:
    """Containers the test starts outside the project, removed after it."""
    made: list[Any] = []
    yield made
    for container in made:
        container.remove(force=True)


def snapshot(project: Project) -> dict[str, Any]:
    """The project's containers, networks and volumes: IDs, configuration, state."""
    client = project.client
    containers = {
        c.id: (
            c.name,
            c.attrs["Config"],
            c.attrs["HostConfig"],
            c.status,
            sorted(
                (m.get("Type"), m.get("Name") or m.get("Source"), m["Destination"]) for m in c.attrs["Mounts"]
            ),
            sorted(c.attrs["NetworkSettings"]["Networks"]),
        )
        for c in project.containers().values()
    }
    label = {"label": f"{n.PROJECT}={project.name}"}
    networks = {
        net.id: (net.name, net.attrs["Driver"], net.attrs["IPAM"], net.attrs["Labels"], net.attrs["Internal"])
        for net in client.networks.list(filters=label)
    }
    volumes = {
        v.name: (v.attrs["CreatedAt"], v.attrs["Labels"], v.attrs["Driver"])
        for v in client.volumes.list(filters=label)
    }
    return {"containers": containers, "networks": networks, "volumes": volumes}


BEFORE = """
services:
  db:
    image: IMAGE
    init: true
    command: sh -c 'test -f /data/kept || date > /data/kept; exec sleep 600'
    environment: {V: "1"}
    volumes: [data:/data, /anonymous]
  web: {image: IMAGE, init: true, command: sleep 600, depends_on: [db]}
volumes:
  data: {}
"""


def changed(after: str) -> str:
    """BEFORE with db to be recreated (new environment), a new network and volume, and
    ``after`` (more services) appended."""
    return (
        BEFORE.replace('V: "1"', 'V: "2"').replace("volumes:\n  data: {}\n", "")
        + after
        + "networks:\n  front: {}\nvolumes:\n  data: {}\n  extra: {}\n"
    )


def kept_data(project: Project) -> bytes:
    """What db wrote in its named volume on its first start (asked again for a few seconds:
    an exec just after a start sometimes answers nothing under load)."""
    db = project.containers()[f"{project.name}-db-1"]
    deadline = time.monotonic() + 10
    while True:
        found = db.exec_run(["cat", "/data/kept"])
        if (found.exit_code == 0 and found.output) or time.monotonic() > deadline:
            return bytes(found.output)
        time.sleep(0.5)


def test_a_port_taken_after_the_plan_undoes_the_cli_run(
    project: Project, engine: docker.DockerClient, busybox_image: str, intruders: list[Any]
):
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        port = int(probe.getsockname()[1])
    project.write(
        changed(
            f"""  api:
    image: IMAGE
    init: true
    command: httpd -f -p 80
    ports: ["{port}:80"]
    networks: [default, front]
    volumes: [extra:/extra, /scratch]
    depends_on: [db]
"""
        )
    )
    # a container of the test's takes the port after the files were written; `compose up` has no
    # pre-flight for host ports, so the engine is the judge when the new container starts
    intruders.append(
        engine.containers.run(busybox_image, ["sleep", "600"], detach=True, ports={"80/tcp": port})
    )
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """swarmdeck"""

    register(app)
    result = CliRunner().invoke(app, ["compose", "-f", str(project.file), "up", "-d"])
    assert result.exit_code == 1, result.output
    message = result.output
    assert f"error: start container {project.name}-api-1" in message and str(port) in message
    assert f"undone: removed container {project.name}-api-1" in message
    assert f"removed container {project.name}-db-1" in message  # db's replacement
    assert f"started container {project.name}-db-1 again" in message
    assert f"removed network {project.name}_front" in message
    assert f"removed volume {project.name}_extra" in message
    assert "NOT undone" not in message and "Traceback" not in message
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_a_container_name_taken_after_the_plan_undoes_the_run(
    project: Project, engine: docker.DockerClient, busybox_image: str, intruders: list[Any]
):
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    project.write(
        changed(
            "  api: {image: IMAGE, init: true, command: sleep 600, depends_on: [db], networks: [front]}\n"
        )
    )
    plan = load_plan([str(project.file)], {})
    intruders.append(engine.containers.create(busybox_image, ["sleep", "600"], name=f"{project.name}-api-1"))
    with pytest.raises(ProjectError) as caught:
        up(engine, plan)
    message = str(caught.value)
    assert f"create container {project.name}-api-1" in message and "already in use" in message
    assert f"started container {project.name}-db-1 again" in message
    assert f"removed network {project.name}_front" in message
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_an_image_removed_after_the_checks_undoes_the_run(
    project: Project,
    engine: docker.DockerClient,
    busybox_image: str,
    monkeypatch: pytest.MonkeyPatch,
):
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    image = f"swarmdeck-test/{unique_name('gone')}:1"
    engine.images.get(busybox_image).tag(image)
    project.write(changed(f"  api: {{image: {image}, command: sleep 600, depends_on: [db]}}\n"))
    apply = _Up.apply

    def image_gone_then_apply(run: Any) -> None:
        engine.images.remove(image)  # the checks found it; the second service's container will not
        apply(run)

    monkeypatch.setattr(_Up, "apply", image_gone_then_apply)
    with pytest.raises(ProjectError) as caught:
        project.up()
    message = str(caught.value)
    assert f"create container {project.name}-api-1" in message and image in message
    assert f"started container {project.name}-db-1 again" in message
    assert f"removed volume {project.name}_extra" in message
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_a_missing_image_of_a_second_service_changes_nothing(project: Project):
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    project.write(changed('  api: {image: "127.0.0.1:9/swarmdeck-no-such-image:1", depends_on: [db]}\n'))
    with pytest.raises(ProjectError, match="could not be pulled"):
        project.up()
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_a_volume_made_by_someone_else_meanwhile_is_never_removed(
    project: Project,
    engine: docker.DockerClient,
    busybox_image: str,
    intruders: list[Any],
    monkeypatch: pytest.MonkeyPatch,
):
    """Another client creates volume ``extra`` (and writes to it) between `up`'s lookup and
        its create, which then answers with that volume; the run then fails (the new container's
    name is taken too): the undo leaves that volume and its data alone."""
    project.write(BEFORE)
    project.up()
    before = snapshot(project)
    extra = f"{project.name}_extra"
    project.write(
        changed("  api: {image: IMAGE, command: sleep 600, volumes: [extra:/extra], depends_on: [db]}\n")
    )
    lookup = _Up._volume_exists

    def made_meanwhile(run: Any, name: str) -> bool:
        found = lookup(run, name)
        if name == extra:
            engine.volumes.create(extra)
            writer = engine.containers.run(
                busybox_image,
                ["sh", "-c", "echo theirs > /v/file"],
                volumes={extra: {"bind": "/v"}},
                detach=True,
            )
            writer.wait(timeout=30)
            writer.remove()  # the volume is in use by nobody: only the undo's rule keeps it
        return found

    monkeypatch.setattr(_Up, "_volume_exists", made_meanwhile)
    intruders.append(engine.containers.create(busybox_image, ["sleep", "600"], name=f"{project.name}-api-1"))
    with pytest.raises(ProjectError) as caught:
        project.up()
    monkeypatch.undo()
    message = str(caught.value)
    assert "undone:" in message and f"removed volume {extra}" not in message
    assert "NOT undone" not in message
    try:
        reader = engine.containers.run(
            busybox_image, ["cat", "/v/file"], volumes={extra: {"bind": "/v"}}, remove=True
        )
        assert reader == b"theirs\n"
        assert snapshot(project) == before
    finally:
        for container in intruders:
            container.remove(force=True)
        intruders.clear()
        engine.volumes.get(extra).remove(force=True)


def test_a_rename_refused_after_replacements_ran_gives_the_old_names_back(
    project: Project, engine: docker.DockerClient, busybox_image: str, intruders: list[Any]
):
    """Both services are recreated; once both replacements run, the old containers step aside
    under a backup name: the second's backup name is taken, so the rename is refused after
    the first old container had already given its name to its replacement."""
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    web = project.containers()[f"{project.name}-web-1"]
    backup = f"{web.short_id}_replaced_{project.name}-web-1"
    intruders.append(engine.containers.create(busybox_image, ["sleep", "600"], name=backup))
    project.write(BEFORE.replace('V: "1"', 'V: "2"').replace("command: sleep 600", "command: sleep 601"))
    with pytest.raises(ProjectError) as caught:
        project.up()
    message = str(caught.value)
    assert f"rename container {project.name}-web-1" in message and "already in use" in message
    assert f"renamed container {project.name}-db-1 back" in message
    assert f"started container {project.name}-db-1 again" in message
    assert f"started container {project.name}-web-1 again" in message
    assert "NOT undone" not in message
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_an_interrupted_cli_run_undoes_itself(project: Project, tmp_path: Path):
    """Ctrl+C (SIGINT) to `swarmdeck compose up -d` while it creates many containers, sent as
    soon as the first new one exists: the run takes itself back and says what it undid (and
    leaves no journal for the next run to take back again)."""
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    many = "".join(
        f"  s{i}: {{image: IMAGE, init: true, command: sleep 600, depends_on: [db]}}\n" for i in range(40)
    )
    project.write(changed(many))
    process = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "compose", "-f", str(project.file), "up", "-d"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SWARMDECK_DATA_DIR": str(tmp_path / "data")},
    )
    try:
        deadline = time.monotonic() + 120
        while not any(name.startswith(f"{project.name}-s") for name in project.containers()):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no new container in 120 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1, stderr
    assert "error: interrupted" in stderr and f"undone: removed container {project.name}-s" in stderr
    assert "NOT undone" not in stderr
    assert list((tmp_path / "data" / "compose-ups").glob("*.json")) == []
    assert snapshot(project) == before
    assert kept_data(project) == data
