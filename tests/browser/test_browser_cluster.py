"""The cluster pages in headless Chromium: the live nodes × tasks map drawn from the event
stream and redrawn when a service scales, node labels saved from the node page (a PUT
carrying the CSRF token), no script errors or CSP violations. Screenshots in
artifacts/console/."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, shot
from tests.testbed import unique_name
from tests.testbed.config import NODE_B_LABEL, NODE_LABEL, OBJECT_LABEL

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def test_live_map_and_node_labels(live, page, swarm, swarm_cleanup, registry_busybox_image):
    log_in(page, live.url, "admin")
    page.goto(live.url + "/swarm")
    for node_id in (swarm.node_a_id, swarm.node_b_id):
        expect(page.locator(f'#swarm-map th[data-node="{node_id}"]')).to_be_visible()
    name = unique_name("sdct-map")
    service = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=name,
        endpoint_spec=None,
        labels={OBJECT_LABEL: str(os.getpid())},
        mode={"Replicated": {"Replicas": 2}},
    )
    chips = page.locator("#swarm-map .task.state-running", has_text=name)
    expect(chips).to_have_count(2, timeout=30000)  # drawn from the stream, no reload
    shot(page, "cluster-01-map")
    service.scale(1)
    expect(chips).to_have_count(1, timeout=30000)

    page.goto(f"{live.url}/swarm/nodes/{swarm.node_b_id}")
    assert json.loads(page.input_value("input[name=labels]")) == {NODE_LABEL: NODE_B_LABEL}
    try:
        page.fill("input[name=labels]", f'{{"{NODE_LABEL}": "{NODE_B_LABEL}", "sdct": "<b>x</b>"}}')
        page.click("form[data-cluster-api] button[type=submit]")
        expect(page.locator(".labels .label", has_text="sdct=<b>x</b>")).to_be_visible()
        expect(page.locator("#notice")).to_have_text("Labels saved.")  # after the reload
        labels = swarm.manager.nodes.get(swarm.node_b_id).attrs["Spec"]["Labels"]
        assert labels == {NODE_LABEL: NODE_B_LABEL, "sdct": "<b>x</b>"}
        shot(page, "cluster-02-node-labels")
    finally:
        node = swarm.manager.nodes.get(swarm.node_b_id)
        node.update(dict(node.attrs["Spec"], Labels={NODE_LABEL: NODE_B_LABEL}))


def test_stack_editor_shows_errors_at_their_line_then_deploys(
    live,
    page,
    swarm,
    swarm_cleanup,
    registry_busybox_image,
):
    log_in(page, live.url, "admin")
    page.expected_failures.append("status of 422 (Unprocessable Entity)")  # the broken file
    name = swarm_cleanup.stack(unique_name("sdct-editor"))
    good = (
        f'version: "3.8"\nservices:\n  app:\n    image: {registry_busybox_image}\n'
        '    command: ["sleep", "3600"]\n    deploy:\n      replicas: 0\n'
    )
    page.goto(live.url + "/stacks")
    page.click("#stack-editor-box summary")
    page.fill("#stack-editor input[name=name]", name)
    page.fill("#stack-editor textarea[name=compose]", good.replace("replicas: 0", "replicas: many"))
    page.click("#stack-editor button[value=deploy]")
    problem = page.locator("#stack-problems li")
    expect(problem).to_contain_text("line 7, column 17: services.app.deploy.replicas")
    shot(page, "cluster-03-editor-error")
    assert not swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={name}"})
    # the fixed file comes as an upload: read into the editor, then planned like typed text
    page.set_input_files(
        "#stack-editor input[name=upload]",
        files=[{"name": "app.yml", "mimeType": "text/yaml", "buffer": good.encode()}],
    )
    expect(page.locator("#stack-editor textarea[name=compose]")).to_have_value(good)
    expect(page.locator("#stack-editor input[name=name]")).to_have_value(name)  # a typed name stays
    page.click("#stack-editor button[value=plan]")
    expect(page.locator("#stack-result")).to_contain_text(f"{name}_app")
    assert not swarm.manager.services.list(filters={"label": f"com.docker.stack.namespace={name}"})
    page.click("#stack-editor button[value=deploy]")
    expect(page.locator("#stack-result")).to_contain_text(f"Creating service {name}_app")
    shot(page, "cluster-04-editor-deployed")
    page.goto(live.url + "/stacks")
    expect(page.locator("#stacks")).to_contain_text(name)
