"""The raw inspect page for every kind, on the real engine and swarm: each answers with the
engine's document (its ID in the tree and in the plain JSON), markup from the engine is escaped,
a read-only user sees a service's and a task's environment names but never their values (an
operator sees them), and an unknown object is a 404."""

from __future__ import annotations

import html
import time

import pytest

from tests.support.api import assert_escaped, run
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine]
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]


def inspect(client, kind: str, ref: str) -> str:
    answer = client.get("/inspect/" + kind, params={"ref": ref})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_containers_images_networks_and_volumes(admin, operator, janitor, engine, busybox_image):
    markup = "<b>bold</b>"
    network = engine.networks.create(janitor.name("net"), labels={"sdct": markup})
    volume = engine.volumes.create(janitor.name("vol"), labels={"sdct": markup})
    container = run(operator, busybox_image, janitor.name("insp"), labels={"sdct": markup})
    image_id = engine.images.get(busybox_image).id
    for kind, ref, shown in (
        ("container", container["id"], container["id"]),
        ("image", busybox_image, image_id),
        ("network", network.id, network.id),
        ("volume", volume.name, volume.name),
    ):
        page = inspect(admin, kind, ref)
        assert shown in page, kind
        assert f"Inspect {kind}" in page
        if kind != "image":
            assert_escaped(page, markup)
    assert admin.get("/inspect/container", params={"ref": "sdct-no-such-thing"}).status_code == 404


def test_services_tasks_and_nodes_mask_the_environment_for_read_only_users(
    swarm, swarm_cleanup, viewer, operator, registry_busybox_image
):
    service = swarm_cleanup.service(
        registry_busybox_image,
        SLEEPER,
        name=unique_name("sdct-insp"),
        env=["SDCT_TOKEN=inspect-value-hidden"],
    )
    deadline = time.monotonic() + 60
    while not (tasks := [t for t in service.tasks() if t.get("NodeID")]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert tasks, "the service has no task on a node"
    for kind, ref in (("service", service.id), ("task", tasks[0]["ID"])):
        seen = html.unescape(inspect(viewer, kind, ref))
        assert "SDCT_TOKEN=" in seen and "inspect-value-hidden" not in seen, kind
        assert "inspect-value-hidden" in html.unescape(inspect(operator, kind, ref)), kind
    node = html.unescape(inspect(viewer, "node", tasks[0]["NodeID"]))
    assert tasks[0]["NodeID"] in node and '<dt class="json-key">Hostname</dt>' in node
