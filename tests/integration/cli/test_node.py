"""`swarmdeck node ...` on the real two-node swarm, side by side with the real `docker node ...`.

The test bed is shared: every test leaves the nodes exactly as it found them (node A the
leading manager, node B a worker, both active, labels as before), and a module fixture
checks that, and puts back what a failing test left.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.cli import docker, ok, swarmdeck
from tests.testbed import Swarm


def same(read: Callable[[], tuple[Any, Any]], attempts: int = 3) -> tuple[Any, Any]:
    """(ours, docker's) once both agree, or the last pair (the nodes' heartbeats and the
    other tests' changes may land between the two reads)."""
    for _ in range(attempts):
        ours, theirs = read()
        if ours == theirs:
            break
        time.sleep(1)
    return ours, theirs


def node_state(swarm: Swarm, node_id: str) -> tuple[str, str, dict[str, str], bool]:
    attrs = swarm.manager.api.inspect_node(node_id)
    leader = bool((attrs.get("ManagerStatus") or {}).get("Leader"))
    return (
        attrs["Spec"]["Role"],
        attrs["Spec"]["Availability"],
        dict(attrs["Spec"].get("Labels") or {}),
        leader,
    )


def restore(swarm: Swarm, node_id: str, availability: str, labels: dict[str, str]) -> None:
    attrs = swarm.manager.api.inspect_node(node_id)
    spec = dict(attrs["Spec"])
    if spec["Availability"] != availability or dict(spec.get("Labels") or {}) != labels:
        spec.update(Availability=availability, Labels=labels)
        swarm.manager.api.update_node(node_id, attrs["Version"]["Index"], spec)


@pytest.fixture(scope="module")
def bed(swarm: Swarm) -> Iterator[Swarm]:
    """The swarm; after the module, its nodes as they were before it."""
    before = {n: node_state(swarm, n) for n in (swarm.node_a_id, swarm.node_b_id)}
    assert before[swarm.node_a_id][0] == "manager" and before[swarm.node_b_id][0] == "worker"
    yield swarm
    for node_id, (_, availability, labels, _) in before.items():
        restore(swarm, node_id, availability, labels)
    assert {n: node_state(swarm, n) for n in before} == before


def test_ls_is_dockers_table(bed: Swarm) -> None:
    ours, theirs = same(lambda: (ok(swarmdeck("node", "ls")), ok(docker("node", "ls"))))
    assert ours == theirs
    lines = ours.splitlines()
    assert lines[0].split() == [
        "ID",
        "HOSTNAME",
        "STATUS",
        "AVAILABILITY",
        "MANAGER",
        "STATUS",
        "ENGINE",
        "VERSION",
    ]
    assert any(line.startswith(f"{bed.node_a_id} *") for line in lines)
    assert any(line.startswith(f"{bed.node_b_id}  ") for line in lines)


def test_ls_quiet_json_filter_and_alias(bed: Swarm) -> None:
    assert set(ok(swarmdeck("node", "ls", "-q")).split()) >= {bed.node_a_id, bed.node_b_id}
    ours, theirs = same(
        lambda: (
            [json.loads(line) for line in ok(swarmdeck("node", "ls", "--format", "json")).splitlines()],
            [json.loads(line) for line in ok(docker("node", "ls", "--format", "json")).splitlines()],
        )
    )
    assert ours == theirs
    mine = {r["ID"]: r for r in ours}
    assert (mine[bed.node_a_id]["ManagerStatus"], mine[bed.node_a_id]["Self"]) == ("Leader", True)
    assert (mine[bed.node_b_id]["ManagerStatus"], mine[bed.node_b_id]["Hostname"]) == (
        "",
        bed.node_b_hostname,
    )
    workers = ok(swarmdeck("node", "ls", "-q", "--filter", "role=worker")).split()
    assert workers == ok(docker("node", "ls", "-q", "--filter", "role=worker")).split()
    assert bed.node_b_id in workers and bed.node_a_id not in workers
    assert ok(swarmdeck("node", "ls", "--format", "{{.Hostname}} {{.Self}}")) == ok(
        docker("node", "ls", "--format", "{{.Hostname}} {{.Self}}")
    )
    alias, theirs = same(lambda: (ok(swarmdeck("swarm", "nodes")), ok(docker("node", "ls"))))
    assert alias == theirs
    bad = swarmdeck("node", "ls", "--filter", "colour=red")
    assert bad.returncode == 1 and "invalid filter 'colour'" in bad.stderr


def test_inspect_is_dockers_json_and_pretty(bed: Swarm) -> None:
    refs = ("self", bed.node_b_hostname, bed.node_b_id[:6])
    ours, theirs = same(
        lambda: (
            json.loads(ok(swarmdeck("node", "inspect", *refs))),
            json.loads(ok(docker("node", "inspect", *refs))),
        )
    )
    assert ours == theirs
    assert [n["ID"] for n in ours] == [bed.node_a_id, bed.node_b_id, bed.node_b_id]
    ours, theirs = same(
        lambda: (
            ok(swarmdeck("node", "inspect", "--pretty", "self", bed.node_b_id)),
            ok(docker("node", "inspect", "--pretty", "self", bed.node_b_id)),
        )
    )
    assert ours == theirs
    assert f"Hostname:              \t{bed.node_b_hostname}\n" in ours
    missing = swarmdeck("node", "inspect", "no-such-node")
    assert missing.returncode == 1 and "node no-such-node not found" in missing.stderr


def _docker_node(ref: str) -> dict[str, Any]:
    return json.loads(ok(docker("node", "inspect", ref)))[0]


def test_update_labels_are_seen_by_docker(bed: Swarm) -> None:
    labels = node_state(bed, bed.node_b_id)[2]
    try:
        run = swarmdeck(
            "node", "update", "--label-add", "swarmdeck.clitest=yes", "--label-add", "flag", bed.node_b_id
        )
        assert ok(run) == f"{bed.node_b_id}\n"
        assert _docker_node(bed.node_b_id)["Spec"]["Labels"] == {
            **labels,
            "swarmdeck.clitest": "yes",
            "flag": "",
        }
        ok(
            swarmdeck(
                "node", "update", "--label-rm", "swarmdeck.clitest", "--label-rm", "flag", bed.node_b_hostname
            )
        )
        assert _docker_node(bed.node_b_id)["Spec"]["Labels"] == labels
        missing = swarmdeck("node", "update", "--label-rm", "swarmdeck.clitest", bed.node_b_id)
        assert missing.returncode == 1
        assert "key swarmdeck.clitest doesn't exist in node's labels" in missing.stderr
        assert missing.stderr.strip().endswith(
            docker("node", "update", "--label-rm", "swarmdeck.clitest", bed.node_b_id).stderr.strip()
        )
    finally:
        restore(bed, bed.node_b_id, "active", labels)
    assert _docker_node(bed.node_b_id)["Spec"]["Labels"] == labels


def test_availability_drain_then_active(bed: Swarm) -> None:
    labels = node_state(bed, bed.node_b_id)[2]
    try:
        ok(swarmdeck("node", "update", "--availability", "drain", bed.node_b_id))
        assert _docker_node(bed.node_b_id)["Spec"]["Availability"] == "drain"
        row = [line for line in ok(docker("node", "ls")).splitlines() if line.startswith(bed.node_b_id)]
        assert row and " Drain " in row[0]
        ok(swarmdeck("node", "update", "--availability", "active", bed.node_b_id))
        assert _docker_node(bed.node_b_id)["Spec"]["Availability"] == "active"
    finally:
        restore(bed, bed.node_b_id, "active", labels)
    bad = swarmdeck("node", "update", "--availability", "asleep", bed.node_b_id)
    assert bad.returncode == 1 and "invalid availability 'asleep'" in bad.stderr
    assert _docker_node(bed.node_b_id)["Spec"]["Availability"] == "active"


def test_promote_demote_answer_as_docker_and_never_cut_the_manager_off(bed: Swarm) -> None:
    ours, theirs = swarmdeck("node", "promote", bed.node_a_id), docker("node", "promote", bed.node_a_id)
    assert ok(ours) == ok(theirs) == f"Node {bed.node_a_id} is already a manager.\n"
    ours, theirs = (
        swarmdeck("node", "demote", bed.node_b_hostname),
        docker("node", "demote", bed.node_b_hostname),
    )
    assert ok(ours) == ok(theirs) == f"Node {bed.node_b_id} is already a worker.\n"
    for refused in (
        swarmdeck("node", "demote", "self"),
        swarmdeck("node", "update", "--role", "worker", bed.node_a_id),
    ):
        assert refused.returncode == 1
        assert "this is the swarm's only manager: promote another node first" in refused.stderr
    bad = swarmdeck("node", "update", "--role", "boss", bed.node_b_id)
    assert bad.returncode == 1 and "role 'boss'" in bad.stderr
    assert node_state(bed, bed.node_a_id)[::3] == ("manager", True)
    assert node_state(bed, bed.node_b_id)[0] == "worker"


def test_rm_of_a_node_that_is_up_is_refused_as_docker_refuses_it(bed: Swarm) -> None:
    ours = swarmdeck("node", "rm", bed.node_b_id)
    theirs = docker("node", "rm", bed.node_b_id)
    assert ours.returncode == 1 and theirs.returncode == 1
    message = f"node {bed.node_b_id} is not down and can't be removed"
    assert message in ours.stderr and message in theirs.stderr
    assert "Traceback" not in ours.stderr
    both = swarmdeck("node", "rm", "no-such-node", bed.node_b_hostname)  # each is tried, as docker does
    assert both.returncode == 1 and both.stdout == ""
    assert "node no-such-node not found" in both.stderr and message in both.stderr
    assert bed.node_b_id in ok(docker("node", "ls", "-q")).split()
