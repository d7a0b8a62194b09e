"""Session fixtures for the real test bed (see tests/testbed/__init__.py).

Every fixture brings up only the parts it needs, reuses parts that already run, and turns a
missing part into a test failure with the reason: the house rule is fail, never skip.
At the end of the session the bed stops what it started for pytest sessions (node B's
dockerd, the registry) once no other session uses them; node A's dockerd and its swarm
stay, so the next run reuses them (see tests/testbed/bed.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import docker
import docker.errors
import pytest
import requests

# `tests.testbed` must import under plain `pytest` too, which (unlike `python -m pytest`)
# does not put the repository root on sys.path.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# Asserts in the shared builders explain their failures like asserts in tests do.
pytest.register_assert_rewrite("tests.support")

from tests.testbed import Registry, Swarm, SwarmCleanup, Testbed, TestbedError  # noqa: E402
from tests.testbed.bed import SESSION  # noqa: E402

# The fixtures every folder shares (consoles, browsers, a filled registry) live in
# tests/support, so that no test module imports another.
pytest_plugins = [
    "tests.support.console",
    "tests.support.browser",
    "tests.support.registries",
    "tests.support.vms",
    "tests.support.postgres",
    "tests.support.tiers",
]

T = TypeVar("T")


def _need(part: str, bring_up: Callable[[], T]) -> T:
    try:
        return bring_up()
    except (TestbedError, docker.errors.DockerException, requests.RequestException) as exc:
        pytest.fail(f"test bed: {part} is not available: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def testbed() -> Iterator[Testbed]:
    bed = Testbed(SESSION)
    yield bed
    bed.close()


@pytest.fixture(scope="session")
def engine(testbed: Testbed) -> docker.DockerClient:
    """Node A: the machine's own dockerd (started if it does not answer)."""
    return _need("node A's Docker engine", testbed.engine)


@pytest.fixture(scope="session")
def node_b_engine(testbed: Testbed) -> docker.DockerClient:
    """Node B: the second dockerd in network namespace sdtb-nodeb (address 100.77.13.2)."""
    return _need("node B's Docker engine", testbed.node_b)


@pytest.fixture(scope="session")
def swarm(testbed: Testbed) -> Swarm:
    """Node A manager + node B worker, both Ready, labelled testbed=nodea / testbed=nodeb."""
    return _need("the two-node swarm", testbed.swarm)


@pytest.fixture(scope="session")
def registry(testbed: Testbed) -> Registry:
    """The TLS registry at 100.77.13.1:5443 that both nodes push to and pull from."""
    return _need("the registry", testbed.registry)


@pytest.fixture(scope="session")
def busybox_image(testbed: Testbed) -> str:
    """Name of a tiny busybox image on node A (sh, httpd, wget, nc, nslookup, ...)."""
    return _need("the busybox image", testbed.busybox_image)


@pytest.fixture(scope="session")
def registry_busybox_image(testbed: Testbed) -> str:
    """The busybox image in the registry: the reference for swarm services on both nodes."""
    return _need("the busybox image in the registry", testbed.registry_busybox_image)


@pytest.fixture
def swarm_cleanup(swarm: Swarm) -> Iterator[SwarmCleanup]:
    """Create services/networks through it (or register stacks): all removed after the test."""
    janitor = SwarmCleanup(swarm)
    yield janitor
    janitor.cleanup()


_ENGINE_FIXTURES = {
    "testbed",
    "engine",
    "node_b_engine",
    "swarm",
    "registry",
    "busybox_image",
    "registry_busybox_image",
    "swarm_cleanup",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a test-bed fixture, directly or through another fixture,
    so that `-m "not engine"` selects exactly the tests that need no engine."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & _ENGINE_FIXTURES:
            item.add_marker(pytest.mark.engine)
        if used & {"swarm", "node_b_engine", "registry_busybox_image", "swarm_cleanup"}:
            item.add_marker(pytest.mark.swarm)
