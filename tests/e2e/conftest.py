"""The report's stack deployed by `swarmdeck up` on the two-node swarm, once per module:
from scratch (`down --volumes` first), removed with its volumes afterwards."""

from __future__ import annotations

import time

import pytest

from tests.e2e.report_stack import swarmdeck


@pytest.fixture(scope="module")
def deployed(swarm, registry):
    swarmdeck("down", "--volumes")
    started = time.monotonic()
    run = swarmdeck("up", "--registry", registry.address, "--requests", "10")
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stdout + run.stderr
    yield run, elapsed
    swarmdeck("down", "--volumes")
