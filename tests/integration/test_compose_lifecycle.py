"""`swarmdeck compose ps/logs/down` act on what runs, found by the project's label.

The report's compose file runs two web replicas on host port 6767: one engine can run it only
with `up --scale web=1`. `ps`, `logs` and `down` then list and remove that project as
Compose does, without refusing the files for what `up` would need of them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from swarmdeck.compose.project import down
from swarmdeck.compose.project import names as n
from tests.support.paths import REPO
from tests.testbed import unique_name

pytestmark = pytest.mark.engine
REPORT_FILE = REPO / "apps" / "friendlyhello" / "docker-compose.yml"
# The report's images stand in by the test bed's busybox: a web server, and a long sleep.
OVERRIDE = """
services:
  web: {command: [httpd, -f, -p, "80"]}
  redis: {command: [sleep, "600"]}
"""


def swarmdeck(*args: str, image: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRIENDLYHELLO_IMAGE": image, "REDIS_IMAGE": image}
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def project(engine: docker.DockerClient, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    name = unique_name("sdlc")
    override = tmp_path / "override.yml"
    override.write_text(OVERRIDE)
    yield name, ["compose", "-f", str(REPORT_FILE), "-f", str(override), "-p", name]
    down(engine, name, volumes=True, timeout=0)


def _running(engine: docker.DockerClient, name: str) -> set[str]:
    return {c.name or "" for c in engine.containers.list(all=True, filters={"label": f"{n.PROJECT}={name}"})}


def test_a_scaled_down_project_is_listed_and_removed(
    project: tuple[str, list[str]], engine: docker.DockerClient, busybox_image: str
):
    name, base = project
    refused = swarmdeck(*base, "up", "-d", image=busybox_image)
    assert refused.returncode == 1 and "cannot all publish host port 6767" in refused.stderr
    assert refused.stderr.endswith("\n")
    assert _running(engine, name) == set()

    started = swarmdeck(*base, "up", "-d", "--scale", "web=1", image=busybox_image)
    assert started.returncode == 0, started.stderr
    assert _running(engine, name) == {f"{name}-web-1", f"{name}-redis-1"}

    listed = swarmdeck(*base, "ps", image=busybox_image)  # the files as they are: 2 replicas
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"^{name}-web-1 +\S+ +web +running .*0\.0\.0\.0:6767->80/tcp", listed.stdout, re.M), (
        listed
    )
    assert re.search(rf"^{name}-redis-1 +\S+ +redis +running", listed.stdout, re.M), listed.stdout
    by_name = swarmdeck("compose", "-p", name, "ps", image=busybox_image)  # no file at all
    assert by_name.returncode == 0 and by_name.stdout == listed.stdout, by_name.stderr

    logs = swarmdeck(*base, "logs", "web", image=busybox_image)
    assert logs.returncode == 0 and logs.stderr == "", logs.stderr

    removed = swarmdeck(*base, "down", "-v", "-t", "0", image=busybox_image)
    assert removed.returncode == 0, removed.stderr
    assert f"Container {name}-web-1  Removed" in removed.stdout
    assert _running(engine, name) == set()
    assert not engine.networks.list(filters={"label": f"{n.PROJECT}={name}"})
    assert not engine.volumes.list(filters={"label": f"{n.PROJECT}={name}"})

    again = swarmdeck(*base, "down", image=busybox_image)
    assert again.returncode == 0 and f'No resource found to remove for project "{name}"' in again.stderr
