"""Deploying a stack from the console's editor: errors at their line with nothing created,
a plan that changes nothing, a deploy, a re-deploy that updates nothing; the refusals that
protect the console's host; convergence followed as server-sent events until the stack
converged, or failed with the task error of an image no node can pull."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.api import events
from tests.support.stacks import compose
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
LABEL = "com.docker.stack.namespace"


@pytest.fixture
def stack(swarm):
    name = unique_name("sdeditor")
    yield name
    for service in swarm.manager.services.list(filters={"label": f"{LABEL}={name}"}):
        service.remove()


def test_broken_file_is_shown_at_its_line_and_nothing_is_created(
    operator, swarm, stack, registry_busybox_image
):
    text = compose(registry_busybox_image).replace("replicas: 0", "replicas: many")
    answer = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert (problem["line"], problem["path"]) == (9, "services.app.deploy.replicas")
    assert not swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})


def test_plan_then_deploy_then_nothing_to_update(operator, swarm, stack, registry_busybox_image):
    text = compose(registry_busybox_image)
    plan = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text, "plan": True})
    assert plan.status_code == 200, plan.text
    assert any("create" in line.lower() and f"{stack}_app" in line for line in plan.json()["plan"])
    assert not swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})

    first = operator.post(
        f"/api/stacks/{stack}/deploy", json={"compose": text, "env": {"GREETING": "hello <b>"}}
    )
    assert first.status_code == 200, first.text
    assert first.json()["created"] == [f"{stack}_app"]
    [service] = swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})
    env = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["GREETING=hello <b>"]  # only the variables sent, not the console's own

    again = operator.post(
        f"/api/stacks/{stack}/deploy", json={"compose": text, "env": {"GREETING": "hello <b>"}}
    )
    assert again.status_code == 200
    assert again.json()["unchanged"] == [f"{stack}_app"] and again.json()["updated"] == []
    service.reload()
    # No update reached the engine. (Not the version index: the swarm's allocator bumps it
    # by itself after a creation.)
    assert "PreviousSpec" not in service.attrs


def test_file_secrets_are_refused_and_viewers_cannot_deploy(
    operator, viewer, swarm, stack, registry_busybox_image
):
    text = compose(registry_busybox_image) + (
        "    secrets: [token]\nsecrets:\n  token:\n    file: /etc/shadow\n"
    )
    answer = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert answer.status_code == 422
    assert "would be read from the console's own disk" in answer.json()["detail"]
    assert (
        viewer.post(
            f"/api/stacks/{stack}/deploy", json={"compose": compose(registry_busybox_image)}
        ).status_code
        == 403
    )
    assert not swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})


def test_convergence_followed_live_until_converged(live, swarm, stack, registry_busybox_image):
    operator, viewer = live.login("oper"), live.login("viewer")
    deployed = operator.post(
        f"/api/stacks/{stack}/deploy", json={"compose": compose(registry_busybox_image, 2)}
    )
    assert deployed.status_code == 200, deployed.text
    received = events(viewer, f"/api/stacks/{stack}/converge?timeout=90")  # watching needs only read
    *progress, (last_name, last) = received
    assert last_name == "end" and last["state"] == "converged", received
    assert last["services"] == [
        {"name": f"{stack}_app", "running": 2, "desired": 2, "converged": True, "problems": []}
    ]
    assert progress and all(name == "progress" and data["state"] == "converging" for name, data in progress)
    assert progress[0][1]["services"][0]["desired"] == 2
    assert [p for _, p in progress if p["services"][0]["running"] < 2], "nothing seen before convergence"
    tasks = swarm.manager.services.get(f"{stack}_app").tasks(filters={"desired-state": "running"})
    assert sorted(t["Status"]["State"] for t in tasks) == ["running", "running"]


def test_convergence_of_an_image_no_node_can_pull_ends_failed_with_the_task_error(live, swarm, stack):
    # A registry nobody can reach: the plan cannot ask it, so it only warns and the deploy
    # goes on (an image a reachable registry says it lacks is refused by the plan instead:
    # tests/integration/test_stack_preflight.py).
    missing = f"127.0.0.1:1/sdct-missing/{stack}:nope"
    operator = live.login("oper")
    deployed = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": compose(missing, 1)})
    assert deployed.status_code == 200, deployed.text
    started = time.monotonic()
    *_, (last_name, last) = events(operator, f"/api/stacks/{stack}/converge?timeout=90")
    assert last_name == "end" and last["state"] == "failed", last
    assert time.monotonic() - started < 80  # failed early, not at the timeout
    [service] = last["services"]
    assert service["running"] == 0 and not service["converged"]
    assert any(p.startswith("rejected: ") and "nope" in p for p in service["problems"]), service
    assert last["reason"].startswith(f"{stack}_app: 0/1 running (") and "rejected: " in last["reason"]


def test_convergence_stream_needs_a_session_and_a_stack(live, app, stack):
    assert httpx.get(f"{live.url}/api/stacks/{stack}/converge").status_code == 401
    answer = live.login("viewer").get(f"/api/stacks/{stack}/converge")
    assert answer.status_code == 404 and f"no stack {stack}" in answer.json()["detail"]
