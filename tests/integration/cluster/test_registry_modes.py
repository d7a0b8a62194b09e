"""`up` switching routing modes on a swarm where the other mode's registry runs.

Both of swarmdeck's multi-node registries hold port 5000 (mesh: a service on the ingress
network; proxy: a stack behind its proxy), so the one an earlier `up` left would make the next
mode refuse the port. `registry_service.retire_other_mode` removes swarmdeck's own (by its
label) and nothing else, and never a volume. Real services on the test bed's swarm.
"""

from __future__ import annotations

import docker
import pytest

from swarmdeck.platform import registry_service
from swarmdeck.platform.private_registry import LABEL
from swarmdeck.swarm import services
from tests.testbed import unique_name
from tests.testbed.common import wait_for

pytestmark = [pytest.mark.engine, pytest.mark.swarm]

SLEEP = ["sleep", "3600"]


def _gone(client: docker.DockerClient, name: str) -> bool:
    return not client.services.list(filters={"name": name}) or all(
        s.name != name for s in client.services.list(filters={"name": name})
    )


def _removed(client: docker.DockerClient, volume: str) -> bool:
    try:
        client.volumes.get(volume).remove()  # the task's container may still be going
    except docker.errors.APIError:
        return False
    return True


def test_proxy_mode_removes_the_mesh_registry_and_keeps_its_volume(
    swarm, swarm_cleanup, registry_busybox_image
):
    client = swarm.manager
    volume = unique_name("sdrm-vol")
    swarm_cleanup.service(
        registry_busybox_image,
        SLEEP,
        name=registry_service.SERVICE,
        labels={LABEL: "registry"},
        endpoint_spec=docker.types.EndpointSpec(ports={registry_service.PORT: 5000}),
        mounts=[docker.types.Mount("/var/lib/registry", volume, type="volume")],
        constraints=[f"node.id=={swarm.node_a_id}"],
    )
    services.converge(client, registry_service.SERVICE, 60)  # its task made the volume
    said = registry_service.retire_other_mode(client, "proxy", timeout=60)
    assert said.startswith("removed the service swarmdeck-registry left by `up --routing mesh`")
    assert _gone(client, registry_service.SERVICE)
    assert volume in {v.name for v in client.volumes.list()}  # the images stay
    wait_for(lambda: _removed(client, volume), timeout=30, what=f"the volume {volume} to be free")
    assert registry_service.retire_other_mode(client, "proxy", timeout=60) == ""  # nothing left to do


def test_a_service_of_that_name_that_is_not_ours_is_left_alone(swarm, swarm_cleanup, registry_busybox_image):
    swarm_cleanup.service(registry_busybox_image, SLEEP, name=registry_service.SERVICE)
    assert registry_service.retire_other_mode(swarm.manager, "proxy", timeout=60) == ""
    assert not _gone(swarm.manager, registry_service.SERVICE)


def test_mesh_mode_removes_the_proxy_registry_stack(swarm, swarm_cleanup, registry_busybox_image):
    stack = swarm_cleanup.stack(registry_service.STACK)
    swarm_cleanup.service(
        registry_busybox_image,
        SLEEP,
        name=f"{stack}_registry",
        labels={"com.docker.stack.namespace": stack, LABEL: "registry"},
    )
    said = registry_service.retire_other_mode(swarm.manager, "mesh", timeout=60)
    assert said.startswith("removed the stack swarmdeck-registry left by `up --routing proxy`")
    assert _gone(swarm.manager, f"{stack}_registry")
    assert registry_service.retire_other_mode(swarm.manager, "mesh", timeout=60) == ""
