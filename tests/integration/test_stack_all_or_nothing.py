"""A deploy is all or nothing: when a change fails part-way (a port taken by another service
between the plan and the change: a real refusal of the real engine; an image deleted from a
real registry between the plan and the services; the engine restarted while the services are
sent), what the deploy made is taken back and the services it updated get their previous
spec: the swarm is as it was before.

The restart runs on the test bed's lone host (its own dockerd in its own network namespace,
made a one-node swarm for the test): restarting node A would take the shared swarm's only
manager away from every other test running, and node B is a worker a deploy never talks to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import docker
import httpx
import pytest

from swarmdeck.compose import load
from swarmdeck.compose.stack import DeployOptions, apply, deploy
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.swarm.stacks import remove
from tests.testbed import SwarmCleanup, unique_name
from tests.testbed.lone import LoneHost, lone_host
from tests.testbed.redis import free_port
from tests.testbed.registry_containers import registry_container

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]


def stack_file(image: str, greeting: str, port: int | None) -> str:
    text = f"""version: "3.8"
services:
  a:
    image: {image}
    command: ["sleep", "3600"]
    environment: {{GREETING: "{greeting}"}}
    deploy: {{replicas: 0}}
"""
    if port is not None:
        text += f"""  b:
    image: {image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
    ports: ["{port}:80"]
"""
    return text


def left(client: docker.DockerClient, ns: str) -> list[str]:
    label = {"label": f"com.docker.stack.namespace={ns}"}
    return sorted(
        [f"service {s['Spec']['Name']}" for s in client.api.services(filters=label)]
        + [f"network {n['Name']}" for n in client.api.networks(filters=label)]
    )


@pytest.fixture
def ns(engine: docker.DockerClient) -> Iterator[str]:
    name = unique_name("pall")
    yield name
    if left(engine, name):
        remove(engine, name, wait=True)


def take_port_before_b(monkeypatch: pytest.MonkeyPatch, cleanup: SwarmCleanup, image: str, port: int) -> None:
    """Another service takes ``port`` just before the deploy sends service b: after the plan."""
    send = apply._send

    def racing(client: docker.DockerClient, change: Any) -> Any:
        if change.name.endswith("_b"):
            cleanup.service(
                image,
                command=["sleep", "3600"],
                mode=docker.types.ServiceMode("replicated", replicas=0),
                endpoint_spec=docker.types.EndpointSpec(ports={port: 80}),
            )
        return send(client, change)

    monkeypatch.setattr(apply, "_send", racing)


def run(client: docker.DockerClient, ns: str, text: str, tmp_path: Any, **options: Any) -> None:
    (tmp_path / "stack.yml").write_text(text)
    deploy(
        client,
        load([tmp_path / "stack.yml"], env={}),
        DeployOptions(namespace=ns, **options),
        out=print,
        err=print,
    )


def test_a_new_stack_that_fails_part_way_leaves_nothing(
    engine, swarm, swarm_cleanup, registry_busybox_image, ns, monkeypatch, tmp_path
):
    port = free_port()
    take_port_before_b(monkeypatch, swarm_cleanup, registry_busybox_image, port)
    with pytest.raises(StackError) as refused:
        run(engine, ns, stack_file(registry_busybox_image, "one", port), tmp_path)
    message = str(refused.value)
    assert f"'{port}' is already in use" in message
    assert f"removed network {ns}_default" in message
    assert left(engine, ns) == []


def test_an_update_that_fails_part_way_restores_the_previous_spec(
    engine, swarm, swarm_cleanup, registry_busybox_image, ns, monkeypatch, tmp_path
):
    run(engine, ns, stack_file(registry_busybox_image, "one", None), tmp_path)
    before = engine.api.inspect_service(f"{ns}_a")["Spec"]
    port = free_port()
    take_port_before_b(monkeypatch, swarm_cleanup, registry_busybox_image, port)
    with pytest.raises(StackError) as refused:
        run(engine, ns, stack_file(registry_busybox_image, "two", port), tmp_path)
    assert f"restored service {ns}_a" in str(refused.value)
    after = engine.api.inspect_service(f"{ns}_a")["Spec"]
    assert after["TaskTemplate"]["ContainerSpec"]["Env"] == before["TaskTemplate"]["ContainerSpec"]["Env"]
    assert "GREETING=one" in after["TaskTemplate"]["ContainerSpec"]["Env"]
    assert left(engine, ns) == [f"network {ns}_default", f"service {ns}_a"]


@pytest.fixture
def vanishing(engine: docker.DockerClient, busybox_image: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """An image in a registry of its own (deletion enabled), and what deletes it there."""
    with registry_container(engine, {"REGISTRY_STORAGE_DELETE_ENABLED": "true"}) as address:
        image = f"{address}/vanishing/busybox:1"
        tag_image(engine, busybox_image, image)
        digest = push_image(engine, image)

        def delete() -> None:
            gone = httpx.delete(f"http://{address}/v2/vanishing/busybox/manifests/{digest}", timeout=10)
            assert gone.status_code == 202, gone.text

        try:
            yield image, delete
        finally:
            engine.images.remove(image)


def vanish_after_plan(monkeypatch: pytest.MonkeyPatch, delete: Callable[[], None]) -> None:
    """The image is deleted from its registry once the plan (which pinned it) is made."""
    make_plan = apply.make_plan

    def then_delete(*args: Any, **kwargs: Any) -> Any:
        plan = make_plan(*args, **kwargs)
        delete()
        return plan

    monkeypatch.setattr(apply, "make_plan", then_delete)


def with_vanishing(image: str, greeting: str, vanishing_image: str) -> str:
    return (
        stack_file(image, greeting, None)
        + f"""  b:
    image: {vanishing_image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
"""
    )


def test_an_image_that_vanishes_after_the_plan_leaves_a_new_stack_undone(
    engine, swarm, registry_busybox_image, vanishing, ns, monkeypatch, tmp_path
):
    image, delete = vanishing
    vanish_after_plan(monkeypatch, delete)
    with pytest.raises(StackError) as refused:
        run(engine, ns, with_vanishing(registry_busybox_image, "one", image), tmp_path)
    message = str(refused.value)
    assert f"image {image}@sha256:" in message and "is no longer in its registry" in message
    assert f"removed network {ns}_default" in message
    assert left(engine, ns) == []


def test_an_image_that_vanishes_after_the_plan_leaves_an_existing_stack_as_it_was(
    engine, swarm, registry_busybox_image, vanishing, ns, monkeypatch, tmp_path
):
    image, delete = vanishing
    run(engine, ns, stack_file(registry_busybox_image, "one", None), tmp_path)
    before = engine.api.inspect_service(f"{ns}_a")
    vanish_after_plan(monkeypatch, delete)
    with pytest.raises(StackError, match="is no longer in its registry"):
        run(engine, ns, with_vanishing(registry_busybox_image, "two", image), tmp_path)
    after = engine.api.inspect_service(f"{ns}_a")
    assert after["Spec"] == before["Spec"] and "PreviousSpec" not in after
    assert left(engine, ns) == [f"network {ns}_default", f"service {ns}_a"]


@pytest.fixture
def lone_swarm(engine: docker.DockerClient, busybox_image: str) -> Iterator[LoneHost]:
    """A one-node swarm of its own, which a test may restart (removed afterwards)."""
    with lone_host([busybox_image], engine) as lone:
        lone.client.swarm.init(advertise_addr=lone.addr)
        yield lone


def stack_state(client: docker.DockerClient, ns: str) -> dict[str, Any]:
    label = {"label": f"com.docker.stack.namespace={ns}"}
    return {
        "services": {s["Spec"]["Name"]: s["Spec"] for s in client.api.services(filters=label)},
        "networks": sorted(n["Name"] for n in client.api.networks(filters=label)),
        "configs": sorted(c["Spec"]["Name"] for c in client.api.configs(filters=label)),
    }


def test_an_engine_restarted_mid_deploy_leaves_the_stack_as_it_was(
    lone_swarm, busybox_image, monkeypatch, tmp_path
):
    """The engine is stopped as service b is sent (a's update races it, so it happened or
    not), and comes back while the deploy undoes: the undo waits for it, finds out what
    happened, and takes it back."""
    client, ns = lone_swarm.client, "restarted"
    run(client, ns, stack_file(busybox_image, "one", None), tmp_path, resolve_image="never")
    before = stack_state(client, ns)
    send = apply._send
    restarting: list[threading.Thread] = []
    restart_failed: list[BaseException] = []

    def start_again() -> None:
        try:
            lone_swarm.start_engine()
        except BaseException as exc:  # shown by the test, not lost in the thread
            restart_failed.append(exc)

    def stop_then_send(client: docker.DockerClient, change: Any) -> Any:
        if not change.name.endswith("_b"):
            return send(client, change)
        lone_swarm.stop_engine()
        restarting.append(threading.Thread(target=start_again))
        restarting[0].start()
        return send(client, change)

    monkeypatch.setattr(apply, "_send", stop_then_send)
    changed = (
        stack_file(busybox_image, "two", None)
        + f"""  b:
    image: {busybox_image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
    configs: [settings]
configs:
  settings: {{file: ./settings.txt}}
"""
    )
    (tmp_path / "settings.txt").write_text("new")
    with pytest.raises(StackError) as refused:
        run(client, ns, changed, tmp_path, resolve_image="never")
    for thread in restarting:
        thread.join(timeout=120)
    assert restart_failed == []
    message = str(refused.value)
    assert "NOT undone" not in message, message
    assert f"removed config {ns}_settings" in message
    assert stack_state(client, ns) == before
