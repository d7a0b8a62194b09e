"""`swarmdeck swarm leave|update|unlock-key|join-token|nodes` on the real two-node swarm, side
by side with the real `docker swarm ...`.

The test bed is shared: nothing here leaves the swarm, and the swarm's settings are put back
as they were (a module fixture checks it, and restores them when a test failed midway).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cli import docker, ok, swarmdeck
from tests.testbed import Swarm


def spec(swarm: Swarm) -> dict[str, Any]:
    return dict(swarm.manager.api.inspect_swarm()["Spec"])


@pytest.fixture(scope="module")
def bed(swarm: Swarm) -> Iterator[Swarm]:
    """The swarm; after the module, its settings as they were before it."""
    before = spec(swarm)
    assert not (before.get("EncryptionConfig") or {}).get("AutoLockManagers"), "the bed's swarm is autolocked"
    yield swarm
    if spec(swarm) != before:
        current = swarm.manager.api.inspect_swarm()
        swarm.manager.api.update_swarm(version=current["Version"]["Index"], swarm_spec=before)
    assert spec(swarm) == before
    assert swarm.manager.info()["Swarm"]["LocalNodeState"] == "active"


def _history_limit() -> int:
    out = ok(docker("info", "--format", "{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}"))
    return int(out.strip())


def test_leave_on_the_manager_is_refused_without_force(bed: Swarm) -> None:
    ours = swarmdeck("swarm", "leave")
    theirs = docker("swarm", "leave")
    assert ours.returncode == 1 and theirs.returncode == 1
    message = "You are attempting to leave the swarm on a node that is participating as a manager."
    assert message in ours.stderr and message in theirs.stderr
    assert "Use `--force` to ignore this message." in ours.stderr
    assert "Traceback" not in ours.stderr
    assert bed.manager.info()["Swarm"]["ControlAvailable"] is True


def test_unlock_key_without_autolock_is_dockers_error(bed: Swarm) -> None:
    for args in (("swarm", "unlock-key"), ("swarm", "unlock-key", "-q")):
        ours, theirs = swarmdeck(*args), docker(*args)
        assert ours.returncode == 1 and theirs.returncode == 1
        assert theirs.stderr.strip() == "no unlock key is set"
        assert ours.stderr.strip() == "error: no unlock key is set" and ours.stdout == ""
    ours, theirs = swarmdeck("swarm", "unlock-key", "--rotate"), docker("swarm", "unlock-key", "--rotate")
    assert theirs.stderr.strip() == "cannot rotate because autolock is not turned on"
    assert ours.returncode == 1 and ours.stderr.strip() == "error: " + theirs.stderr.strip()


def test_update_task_history_limit_then_restore(bed: Swarm) -> None:
    before = spec(bed)
    limit = _history_limit()
    try:
        assert ok(swarmdeck("swarm", "update", "--task-history-limit", str(limit + 3))) == "Swarm updated.\n"
        assert _history_limit() == limit + 3
        after = spec(bed)
        after["Orchestration"]["TaskHistoryRetentionLimit"] = limit
        assert after == before  # nothing else changed
        ok(swarmdeck("swarm", "update", "--task-history-limit", str(limit)))
        assert _history_limit() == limit
    finally:
        if spec(bed) != before:
            current = bed.manager.api.inspect_swarm()
            bed.manager.api.update_swarm(version=current["Version"]["Index"], swarm_spec=before)
    assert spec(bed) == before


def test_update_with_bad_values_changes_nothing(bed: Swarm) -> None:
    before = spec(bed)
    for args, message in (
        (("--dispatcher-heartbeat", "5x"), 'invalid duration "5x"'),
        (("--cert-expiry", "soon"), 'invalid duration "soon"'),
        (("--autolock", "maybe"), "--autolock 'maybe': expected true or false"),
    ):
        run = swarmdeck("swarm", "update", *args)
        assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr
    assert spec(bed) == before


def test_join_token_and_nodes_alias(bed: Swarm) -> None:
    worker = ok(docker("swarm", "join-token", "-q", "worker")).strip()
    assert ok(swarmdeck("swarm", "join-token", "worker")).split()[4] == worker
    listed = ok(swarmdeck("swarm", "nodes", "-q")).split()
    assert sorted(listed) == sorted(ok(docker("node", "ls", "-q")).split())
