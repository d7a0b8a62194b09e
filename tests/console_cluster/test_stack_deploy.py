"""Deploying a stack from the console's editor: errors at their line with nothing created,
a plan that changes nothing, a deploy, a re-deploy that updates nothing; the refusals that
protect the console's host."""

from __future__ import annotations

import pytest

from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm]
LABEL = "com.docker.stack.namespace"


def compose(image: str) -> str:
    return f"""version: "3.8"
services:
  app:
    image: {image}
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    environment:
      GREETING: ${{GREETING:-none}}
    deploy:
      replicas: 0
"""


@pytest.fixture
def stack(swarm):
    name = unique_name("sdeditor")
    yield name
    for service in swarm.manager.services.list(filters={"label": f"{LABEL}={name}"}):
        service.remove()


def test_broken_file_is_shown_at_its_line_and_nothing_is_created(operator, swarm, stack,
                                                                 registry_busybox_image):
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

    first = operator.post(f"/api/stacks/{stack}/deploy",
                          json={"compose": text, "env": {"GREETING": "hello <b>"}})
    assert first.status_code == 200, first.text
    assert first.json()["created"] == [f"{stack}_app"]
    [service] = swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})
    env = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["GREETING=hello <b>"]  # only the variables sent, not the console's own
    version = service.attrs["Version"]["Index"]

    again = operator.post(f"/api/stacks/{stack}/deploy",
                          json={"compose": text, "env": {"GREETING": "hello <b>"}})
    assert again.status_code == 200
    assert again.json()["unchanged"] == [f"{stack}_app"] and again.json()["updated"] == []
    service.reload()
    assert service.attrs["Version"]["Index"] == version


def test_file_secrets_are_refused_and_viewers_cannot_deploy(operator, viewer, swarm, stack,
                                                            registry_busybox_image):
    text = compose(registry_busybox_image) + (
        "    secrets: [token]\nsecrets:\n  token:\n    file: /etc/shadow\n")
    answer = operator.post(f"/api/stacks/{stack}/deploy", json={"compose": text})
    assert answer.status_code == 422
    assert "read on the console's host" in answer.json()["detail"]
    assert viewer.post(f"/api/stacks/{stack}/deploy",
                       json={"compose": compose(registry_busybox_image)}).status_code == 403
    assert not swarm.manager.services.list(filters={"label": f"{LABEL}={stack}"})
