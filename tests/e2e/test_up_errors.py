"""`swarmdeck up` refusals on the real swarm: one clear line, exit 1, what was done so far,
and no stack left behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.testbed.config import NODE_B_URL
from tests.testbed.registry_containers import registry_container

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]

LABEL = {"label": "com.docker.stack.namespace=friendlyhello"}


def swarmdeck(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=900
    )


@pytest.fixture
def read_only_registry(engine):
    """A real registry in read-only maintenance mode: it answers, and refuses every push."""
    read_only = {"REGISTRY_STORAGE_MAINTENANCE_READONLY": '{"enabled": true}'}
    with registry_container(engine, read_only) as address:
        yield address


def test_a_registry_refusing_the_push_stops_up_before_any_deploy(swarm, read_only_registry):
    swarmdeck("down")
    run = swarmdeck("up", "--registry", read_only_registry)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    error = run.stderr.splitlines()[0]
    assert error.startswith(f"error: the registry refused the push of {read_only_registry}/friendlyhello")
    assert "HTTP 405" in error and "Method not allowed" in error  # the engine's own words
    assert f"using the existing registry at {read_only_registry}" in run.stderr  # done so far
    assert not swarm.manager.services.list(filters=LABEL)


def test_a_worker_node_is_refused_with_where_to_run_instead(swarm):
    run = swarmdeck("up", "--host", NODE_B_URL)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "error: this engine is a swarm worker" in run.stderr
    assert "run the command against a manager" in run.stderr
    assert not swarm.manager.services.list(filters=LABEL)
