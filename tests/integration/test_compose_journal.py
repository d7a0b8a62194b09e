"""`swarmdeck compose up` killed half-way (SIGKILL, on the real engine) leaves its journal; the
next `compose up` of that project takes the dead run back, says what it undid, and then
brings the project up exactly as a clean `up` does; `compose down` after such a kill leaves
nothing of the project (not even the volumes the dead run made); `compose ps` says a run was
cut short.

The slow step is real: an `up` of many services. The test polls the engine and kills the
CLI as soon as the first of them has a container, while the others are still being made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from swarmdeck.compose.project import down, load_plan, resume, up
from swarmdeck.compose.project import names as n
from swarmdeck.compose.project.up import _Up
from tests.integration.test_compose_all_or_nothing import BEFORE, changed, kept_data, snapshot
from tests.integration.test_compose_project import Project

pytestmark = [pytest.mark.engine, pytest.mark.slow]
MANY = 30
SERVICES = "".join(
    f"  s{i}: {{image: IMAGE, init: true, command: sleep 600, depends_on: [db]}}\n" for i in range(MANY)
)


@pytest.fixture
def project(engine: docker.DockerClient, busybox_image: str, tmp_path: Path) -> Iterator[Project]:
    made = Project(engine, tmp_path, busybox_image)
    yield made
    down(engine, made.name, volumes=True, timeout=0)


def cli(data_dir: Path, project: Project, *args: str) -> tuple[list[str], dict[str, str]]:
    """`swarmdeck compose -f FILE ARGS` with its data directory (the journals) in ``data_dir``."""
    env = {**os.environ, "SWARMDECK_DATA_DIR": str(data_dir)}
    return [sys.executable, "-m", "swarmdeck", "compose", "-f", str(project.file), *args], env


def run(data_dir: Path, project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = cli(data_dir, project, *args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


def names_now(project: Project) -> list[str]:
    """The names of the project's containers, in one call (a list followed by an inspect of
    each, as ``Project.containers`` does, fails on one removed in between)."""
    found = project.client.api.containers(all=True, filters={"label": f"{n.PROJECT}={project.name}"})
    return [name for container in found for name in container["Names"]]


def killed_mid_up(data_dir: Path, project: Project) -> None:
    """Start `compose up -d`, SIGKILL it once a container of a new service exists."""
    command, env = cli(data_dir, project, "up", "-d")
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while not any(name.startswith(f"/{project.name}-s") for name in names_now(project)):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no new container in 180 s"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    made = [name for name in project.containers() if name.startswith(f"{project.name}-s")]
    assert 0 < len(made) < MANY, f"the kill came after all {len(made)} new services had a container"
    print(f"compose up killed with {len(made)} of {MANY} new services made")


def journals(data_dir: Path) -> list[Path]:
    return list((data_dir / "compose-ups").glob("*.json"))


def clean(project: Project) -> dict[str, object]:
    """The project as a clean `up` of the current file leaves it: each planned container, by
    name, running with its service's labels; the planned networks and volumes; nothing else."""
    containers = {
        name: (c.status, c.labels[n.SERVICE], c.labels[n.NUMBER]) for name, c in project.containers().items()
    }
    return {"containers": containers, "networks": project.networks(), "volumes": project.volumes()}


def test_a_killed_up_is_taken_back_by_the_next_up(project: Project, tmp_path: Path):
    data_dir = tmp_path / "data"
    project.write(BEFORE)
    assert run(data_dir, project, "up", "-d").returncode == 0
    data, old_db = kept_data(project), project.ids()[f"{project.name}-db-1"]
    project.write(changed(SERVICES))  # db recreated, a new network and volume, many services

    killed_mid_up(data_dir, project)
    assert len(journals(data_dir)) == 1
    half = project.containers()
    assert any(name.endswith(f"_{project.name}-db-1") for name in half)  # db's replacement, aside
    assert half[f"{project.name}-db-1"].status == "exited"  # the old db, stopped for it

    listed = run(data_dir, project, "ps", "-a")
    assert listed.returncode == 0, listed.stderr
    assert f"a `compose up` of project {project.name} was cut short earlier" in listed.stderr
    assert len(journals(data_dir)) == 1  # ps only looks

    again = run(data_dir, project, "up", "-d")
    assert again.returncode == 0, again.stderr
    said = again.stderr + again.stdout
    assert f"a `compose up` of project {project.name} was cut short earlier" in said
    assert "taken back: removed container " in said and f"removed container {project.name}-s" in said
    assert f"_{project.name}-db-1" in said  # the dead run's replacement of db, removed
    assert f"started container {project.name}-db-1 again" in said
    assert f"removed network {project.name}_front" in said and f"removed volume {project.name}_extra" in said
    assert journals(data_dir) == []

    services = ["db", "web", *(f"s{i}" for i in range(MANY))]
    assert clean(project) == {
        "containers": {f"{project.name}-{s}-1": ("running", s, "1") for s in services},
        "networks": {f"{project.name}_default", f"{project.name}_front"},
        "volumes": {f"{project.name}_data", f"{project.name}_extra"},
    }
    assert project.ids()[f"{project.name}-db-1"] != old_db and kept_data(project) == data
    assert all(event.endswith("Running") for event in project.up())  # converged: nothing left to do


def test_a_killed_first_up_then_down_leaves_nothing(project: Project, tmp_path: Path):
    data_dir = tmp_path / "data"
    project.write(changed(SERVICES))
    killed_mid_up(data_dir, project)
    assert project.volumes() and project.networks()

    removed = run(data_dir, project, "down")  # no -v: the dead run's volumes go all the same
    assert removed.returncode == 0, removed.stderr
    assert f"a `compose up` of project {project.name} was cut short earlier" in removed.stderr
    assert project.leftovers() == ({}, set(), set())
    assert journals(data_dir) == []


class Killed(BaseException):
    """The process dies here: no in-process undo runs (``_Up.rollback`` is switched off)."""


def killed_at(
    project: Project, monkeypatch: pytest.MonkeyPatch, moment: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Run `up` in-process and stop it dead just before the change that makes ``moment`` true
    of its journal; returns the journal as the disk would hold it."""
    written: list[str] = []

    def journal(record: dict[str, Any]) -> None:
        written.append(json.dumps(record))
        if moment(record):
            raise Killed

    monkeypatch.setattr(_Up, "rollback", lambda run: ([], []))
    with pytest.raises(Killed):
        up(project.client, load_plan([str(project.file)], {}), journal=journal)
    monkeypatch.undo()
    return dict(json.loads(written[-1]))


def test_a_run_killed_between_its_renames_is_taken_back(project: Project, monkeypatch: pytest.MonkeyPatch):
    """Killed after db's replacement took db's name, before web's old container stepped aside."""
    project.write(BEFORE)
    project.up()
    before, data = snapshot(project), kept_data(project)
    project.write(BEFORE.replace('V: "1"', 'V: "2"').replace("command: sleep 600", "command: sleep 601"))
    record = killed_at(project, monkeypatch, lambda record: len(record["renamed"]) == 2)
    assert snapshot(project) != before
    done, failed = resume.take_back(project.client, record)
    assert failed == []
    assert f"renamed container {project.name}-db-1 back" in done
    assert f"started container {project.name}-web-1 again" in done
    assert f"renamed container {project.name}-web-1 back" not in done  # that rename was never sent
    assert snapshot(project) == before
    assert kept_data(project) == data


def test_a_run_killed_while_removing_old_containers_is_finished(
    project: Project, monkeypatch: pytest.MonkeyPatch
):
    """Past its last reversible step the run had made every change: what it was removing goes."""
    project.write(BEFORE)
    project.up()
    old = project.ids()
    project.write(BEFORE.replace('V: "1"', 'V: "2"').replace("command: sleep 600", "command: sleep 601"))
    record = killed_at(project, monkeypatch, lambda record: record["remove"] is not None)
    assert len(project.containers()) == 4  # the old two aside, under their backup names
    done, failed = resume.take_back(project.client, record)
    assert failed == [] and len(done) == 2
    now = project.ids()
    assert set(now) == {f"{project.name}-db-1", f"{project.name}-web-1"}
    assert not set(now.values()) & set(old.values())
    assert all(event.endswith("Running") for event in project.up())


def test_an_up_running_holds_its_journal(project: Project, engine: docker.DockerClient, tmp_path: Path):
    """While one `up` runs (its journal held), another `up` or `down` of the project from this
    machine is refused, changing nothing, and `ps` does not call the running one cut short."""
    from swarmdeck.compose.journal import Slot

    data_dir = tmp_path / "data"
    project.write(BEFORE)
    slot = Slot(data_dir / "compose-ups", engine.info()["ID"], project.name)
    try:
        slot.record({"project": project.name})
        for command in (["up", "-d"], ["down"]):
            refused = run(data_dir, project, *command)
            assert refused.returncode == 1
            assert f"another `compose up` of project {project.name} is running" in refused.stderr
        listed = run(data_dir, project, "ps")
        assert listed.returncode == 0 and "cut short" not in listed.stderr
        assert project.leftovers() == ({}, set(), set()) and len(journals(data_dir)) == 1
    finally:
        slot.close()
