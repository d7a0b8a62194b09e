"""The service spec editor's API on the real swarm: a plan changes nothing; each kind of bad
value is refused naming its field with the service's version unchanged; an operator cannot
edit a mount of the engine's socket in (the workload policy, audited); an edit is audited
with the fields it changed, and a placement change alone plans only the tasks that no longer
fit."""

from __future__ import annotations

import time

import pytest

from tests.integration.cluster.test_services_stacks import create, wait
from tests.testbed.redis import free_port

pytestmark = [pytest.mark.engine, pytest.mark.swarm]


def version(client, ref: str) -> int:
    plan = client.post(f"/api/services/{ref}/plan", json={"service": {}})
    assert plan.status_code == 200, plan.text
    return plan.json()["version"]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"resources": {"limit_memory": "12QB"}}, "resources.limit_memory"),
        ({"ports": {"ports": ["70000:80"]}}, "ports.ports"),
        ({"networks": {"networks": ["sdct-no-such-network"]}}, "networks.networks"),
        ({"secrets": {"secrets": ["sdct-no-such-secret"]}}, "secrets.secrets"),
        ({"secrets": {"configs": ["sdct-no-such-config"]}}, "secrets.configs"),
        ({"healthcheck": {"interval": "soon"}}, "healthcheck.interval"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    operator, swarm_cleanup, registry_busybox_image, edit, field
):
    s = create(operator, swarm_cleanup, registry_busybox_image, replicas=0)
    before = version(operator, s["id"])
    planned = operator.post(f"/api/services/{s['id']}/plan", json=edit)
    applied = operator.post(f"/api/services/{s['id']}/edit", json={**edit, "version": before})
    for answer in (planned, applied):
        assert answer.status_code == 400, answer.text
        assert answer.json()["detail"].startswith(f"{field}: "), answer.text
    assert version(operator, s["id"]) == before


def test_plan_apply_audit_and_the_workload_policy(operator, app, swarm_cleanup, registry_busybox_image):
    s = create(operator, swarm_cleanup, registry_busybox_image, replicas=0)
    start = version(operator, s["id"])
    plan = operator.post(
        f"/api/services/{s['id']}/plan", json={"placement": {"constraints": ["node.role==manager"]}}
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["restart"] == "placement"
    assert [c["field"] for c in plan.json()["changes"]] == ["TaskTemplate.Placement.Constraints"]
    assert version(operator, s["id"]) == start  # a plan sends nothing

    socket = {"mounts": {"mounts": ["type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock"]}}
    refused = operator.post(f"/api/services/{s['id']}/edit", json={**socket, "version": start})
    assert refused.status_code == 403, refused.text
    assert version(operator, s["id"]) == start

    same = operator.post(f"/api/services/{s['id']}/edit", json={"service": {"replicas": 0}, "version": start})
    assert same.status_code == 400 and "nothing changes" in same.json()["detail"]

    done = operator.post(
        f"/api/services/{s['id']}/edit",
        json={"restart": {"condition": "on-failure", "max_attempts": "3"}, "version": start},
    )
    assert done.status_code == 200, done.text
    entries = app.state.console.store.list_audit(limit=20)[0]
    edits = [e for e in entries if e.action == "service.edit"]
    assert any(e.result == "ok" and "TaskTemplate.RestartPolicy.MaxAttempts" in e.target for e in edits)
    assert any(e.result != "ok" and "docker.sock" in (e.target + e.result) for e in edits)
    again = operator.post(
        f"/api/services/{s['id']}/edit", json={"service": {"replicas": 1}, "version": start}
    )
    assert again.status_code == 409 and "changed meanwhile" in again.json()["detail"]


def _task_ids(client, ref: str) -> set[str]:
    tasks = client.get(f"/api/services/{ref}").json()["tasks"]
    return {t["id"] for t in tasks if t["state"] == "running" and t["desired"] == "running"}


def _settled(client, ref: str, count: int) -> set[str]:
    def ready():
        tasks = client.get(f"/api/services/{ref}").json()["tasks"]
        meant = [t for t in tasks if t["desired"] == "running"]
        return len(meant) == count and all(t["state"] == "running" for t in meant)

    wait(ready, f"{count} tasks running", timeout=90)
    return _task_ids(client, ref)


def test_the_plans_restart_says_what_the_swarm_does(operator, swarm_cleanup, registry_busybox_image):
    """Each edit's plan against what the swarm then does to the running task: kept or replaced."""
    s = create(operator, swarm_cleanup, registry_busybox_image, replicas=1)
    ids = _settled(operator, s["id"], 1)
    cases = [
        ({"update": {"parallelism": "2", "delay": "1s"}}, "none"),
        ({"rollback": {"failure_action": "continue"}}, "none"),
        ({"service": {"labels": ["sdct.edit=1"]}}, "none"),
        ({"placement": {"constraints": ["node.platform.os==linux"]}}, "placement"),  # every node fits
        ({"container": {"env": ["SDCT_EDIT=1"]}}, "all"),
        ({"ports": {"ports": [f"published={free_port()},target=80,mode=host"]}}, "all"),
    ]
    for edit, restart in cases:
        planned = operator.post(f"/api/services/{s['id']}/plan", json=edit)
        assert planned.status_code == 200, planned.text
        assert planned.json()["restart"] == restart, (edit, planned.json())
        applied = operator.post(
            f"/api/services/{s['id']}/edit", json={**edit, "version": planned.json()["version"]}
        )
        assert applied.status_code == 200, (edit, applied.text)
        if restart == "all":
            wait(
                lambda old=ids: not (_task_ids(operator, s["id"]) & old),
                f"the task replaced after {edit}",
                timeout=90,
            )
        else:
            time.sleep(3)  # a replacement would have begun by now
            assert ids <= _task_ids(operator, s["id"]), f"the task was replaced after {edit}"
        ids = _settled(operator, s["id"], 1)
