"""Stack deploy's pre-flight on the real swarm: what the engine (or the registry) would
refuse or misuse part-way is refused at its compose key before anything is created, side by
side with ``docker stack deploy`` where docker's behaviour is the comparison (it goes on,
leaves half a stack, takes over an object outside the stack, or makes a service that can
never run). ``--plan`` and the console's deploy show the same errors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import docker
import pytest
import typer
from typer.testing import CliRunner

from swarmdeck.cli.stack_cmds import register
from swarmdeck.compose import ComposeError, load
from swarmdeck.compose.stack import DeployOptions, deploy
from tests.support.stacks import cli_deploy, label, left_behind
from tests.testbed import SwarmCleanup, unique_name
from tests.testbed.redis import free_port

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]


def sd_refused(client: docker.DockerClient, path: Path, ns: str, **options: Any) -> ComposeError:
    """swarmdeck's deploy of ``path``, which must be refused: the error."""
    with pytest.raises(ComposeError) as refused:
        deploy(client, load([path], env={}), DeployOptions(namespace=ns, **options), out=print, err=print)
    return refused.value


def where(error: ComposeError) -> list[tuple[int | None, str]]:
    return [(p.line, p.path) for p in error.problems]


def new_stack(cleanup: SwarmCleanup, prefix: str) -> str:
    return cleanup.stack(unique_name(prefix))


HOST_PORT = """version: "3.8"
services:
  web:
    image: {image}
    command: ["sleep", "3600"]
    ports:
      - {{target: 80, published: {port}, mode: host}}
    deploy:
      replicas: {replicas}
      endpoint_mode: dnsrr
      placement: {{constraints: [{constraints}]}}
"""


def host_port_file(tmp_path: Path, image: str, port: int, replicas: int, constraints: str = "") -> Path:
    path = tmp_path / f"host-{replicas}-{constraints.rsplit(' ', 1)[-1] or 'any'}.yml"
    path.write_text(HOST_PORT.format(image=image, port=port, replicas=replicas, constraints=constraints))
    return path


def test_a_host_port_held_by_a_container_is_refused_for_the_node_that_holds_it(
    engine, swarm, swarm_cleanup, busybox_image, registry_busybox_image, tmp_path
):
    """A plain container on node A holds the port: a task placed there can never start
    (docker makes the service anyway); node B's port is free, so the same service pinned
    there is fine."""
    port = free_port()
    holder = engine.containers.run(
        busybox_image, ["sleep", "3600"], detach=True, ports={"80/tcp": port}, name=unique_name("holder")
    )
    try:
        on_a = host_port_file(tmp_path, registry_busybox_image, port, 1, "node.labels.testbed == nodea")
        ours = new_stack(swarm_cleanup, "phost")
        refused = sd_refused(engine, on_a, ours)
        assert where(refused) == [(6, "services.web.ports")]
        assert f"host-mode port '{port}' (tcp) is already in use on node" in str(refused)
        assert f"by container '{holder.name}'" in str(refused)
        assert left_behind(engine, ours) == []
        on_b = host_port_file(tmp_path, registry_busybox_image, port, 1, "node.labels.testbed == nodeb")
        plan = deploy(engine, load([on_b], env={}), DeployOptions(namespace=ours, plan_only=True), out=print)
        assert plan.plan.lines() == [f"create network {ours}_default", f"create service {ours}_web"]

        theirs = new_stack(swarm_cleanup, "phost")
        cli_deploy([on_a], theirs, {})  # docker says nothing: the service exists, and never runs
        time.sleep(8)
        tasks = engine.api.tasks(filters=label(theirs))
        assert tasks and not [t for t in tasks if t["Status"]["State"] == "running"], tasks
    finally:
        holder.remove(force=True)


def _wait_running(client: docker.DockerClient, service_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in client.api.tasks(filters={"service": service_id, "desired-state": "running"}):
            if task["Status"]["State"] == "running":
                return task
        time.sleep(0.5)
    raise AssertionError(f"service {service_id} has no running task after {timeout:.0f} s")


def test_a_host_port_held_by_a_task_leaves_too_few_nodes(
    engine, swarm, swarm_cleanup, registry_busybox_image, tmp_path
):
    """Another service's task holds the port on node B: one replica still fits on node A,
    two cannot (docker makes the service, whose second task stays pending)."""
    port = free_port()
    other = swarm_cleanup.service(
        registry_busybox_image,
        ["sleep", "3600"],
        constraints=["node.labels.testbed==nodeb"],
        endpoint_spec=docker.types.EndpointSpec(mode="dnsrr", ports={port: (80, "tcp", "host")}),
    )
    _wait_running(engine, other.id)
    ours = new_stack(swarm_cleanup, "phost")
    one = host_port_file(tmp_path, registry_busybox_image, port, 1)
    plan = deploy(engine, load([one], env={}), DeployOptions(namespace=ours, plan_only=True), out=print)
    assert f"create service {ours}_web" in plan.plan.lines()
    two = host_port_file(tmp_path, registry_busybox_image, port, 2)
    refused = sd_refused(engine, two, ours)
    assert where(refused) == [(6, "services.web.ports")]
    assert f"on node 'nodeb' by a task of service '{other.name}'" in str(refused)
    assert "(1 of 2 eligible nodes free)" in str(refused)
    assert left_behind(engine, ours) == []


NAMES = """version: "3.8"
services:
  app:
    image: {image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
    secrets: [token]
    configs: [settings]
secrets:
  token:
    file: ./token.txt
configs:
  settings:
    external: true
    name: {missing}
"""


def test_names_taken_outside_the_stack_and_missing_external_objects(
    engine, swarm, swarm_cleanup, registry_busybox_image, tmp_path
):
    """An unlabelled network and secret with the stack's names, and an external config that
    does not exist: three errors at their keys, nothing created, the outsiders untouched.
    docker refuses the network only once it gets to it; without it, docker takes the
    outside secret over (relabels it as the stack's) and then stops at the missing config,
    leaving its network and the taken secret behind."""
    ns = new_stack(swarm_cleanup, "pnames")
    missing = unique_name("noconfig")
    path = tmp_path / "names.yml"
    path.write_text(NAMES.format(image=registry_busybox_image, missing=missing))
    (tmp_path / "token.txt").write_text("someone else's")  # docker may then relabel it
    network = swarm_cleanup.network(f"{ns}_default", attachable=False)
    secret = engine.secrets.create(name=f"{ns}_token", data=b"someone else's")
    try:
        refused = sd_refused(engine, path, ns)
        assert where(refused) == [
            (3, "services.app"),
            (10, "secrets.token"),
            (14, "configs.settings.external"),
        ]
        text = str(refused)
        assert f"network with name {ns}_default already exists and belongs to no stack" in text
        assert f"secret {ns}_token already exists and belongs to no stack" in text
        assert f"config not found: {missing}" in text
        assert left_behind(engine, ns) == []
        assert engine.secrets.get(secret.id).attrs["Spec"].get("Labels") in (None, {})

        run = cli_deploy([path], ns, {}, check=False)
        assert run.returncode != 0 and "already exists" in run.stderr, run.stderr
        network.remove()
        run = cli_deploy([path], ns, {}, check=False)
        assert run.returncode != 0 and f"config not found: {missing}" in run.stderr, run.stderr
        assert engine.secrets.get(secret.id).attrs["Spec"]["Labels"] == {"com.docker.stack.namespace": ns}
        assert sorted(left_behind(engine, ns)) == [f"network {ns}_default", f"secret {ns}_token"]
    finally:
        if engine.secrets.list(filters={"id": secret.id}):
            secret.remove()


FILES = """version: "3.8"
services:
  app:
    image: {image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
    secrets: [token]
    configs: [settings]
secrets:
  token:
    file: ./absent.txt
configs:
  settings:
    file: ./a-directory
"""


def test_unreadable_secret_and_config_files_are_refused_at_their_file_keys(
    engine, swarm, swarm_cleanup, registry_busybox_image, tmp_path
):
    """docker creates the stack's network, then fails to read the first file."""
    path = tmp_path / "files.yml"
    path.write_text(FILES.format(image=registry_busybox_image))
    (tmp_path / "a-directory").mkdir()
    ours, theirs = new_stack(swarm_cleanup, "pfiles"), new_stack(swarm_cleanup, "pfiles")
    refused = sd_refused(engine, path, ours)
    assert where(refused) == [(11, "secrets.token.file"), (14, "configs.settings.file")]
    assert f"open {tmp_path}/absent.txt: no such file or directory" in str(refused)
    assert f"open {tmp_path}/a-directory: is a directory" in str(refused)
    assert left_behind(engine, ours) == []
    run = cli_deploy([path], theirs, {}, check=False)
    assert run.returncode != 0 and "absent.txt" in run.stderr, run.stderr
    assert left_behind(engine, theirs) == [f"network {theirs}_default"]


UNKNOWN_IMAGE = """version: "3.8"
services:
  known:
    image: {image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
  unknown:
    image: {unknown}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
  again:
    image: {unknown}
    deploy: {{replicas: 0}}
"""


def _stack_cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    return app


def test_an_image_the_registry_does_not_have_is_refused_at_its_image_key(
    engine, swarm, swarm_cleanup, registry_busybox_image, tmp_path, monkeypatch
):
    """A tag the registry does not know: docker makes services that can never run;
    swarmdeck refuses at each service's image key (``--plan`` too), asks the registry
    once for the image, and with ``--resolve-image never`` does not ask at all."""
    unknown = registry_busybox_image.rsplit(":", 1)[0] + ":" + unique_name("nope")
    path = tmp_path / "images.yml"
    path.write_text(UNKNOWN_IMAGE.format(image=registry_busybox_image, unknown=unknown))
    ours, theirs = new_stack(swarm_cleanup, "pimage"), new_stack(swarm_cleanup, "pimage")
    asked: list[str] = []
    inspect = docker.api.APIClient.inspect_distribution

    def counting(api: Any, image: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(image)
        return inspect(api, image, *args, **kwargs)

    monkeypatch.setattr(docker.api.APIClient, "inspect_distribution", counting)
    refused = sd_refused(engine, path, ours)
    assert where(refused) == [(8, "services.unknown.image"), (12, "services.again.image")]
    assert f"image {unknown} is not in its registry" in str(refused)
    assert sorted(asked) == sorted([registry_busybox_image, unknown])
    assert left_behind(engine, ours) == []
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_stack_cli(), ["stack", "deploy", "--plan", "-c", "images.yml", ours])
    assert result.exit_code == 1
    assert "images.yml:8:" in result.output and "services.unknown.image" in result.output, result.output
    assert left_behind(engine, ours) == []
    asked.clear()
    never = deploy(
        engine,
        load([path], env={}),
        DeployOptions(namespace=ours, plan_only=True, resolve_image="never"),
        out=print,
    )
    assert len(never.plan.services) == 3 and asked == []

    cli_deploy([path], theirs, {})  # silently: services whose tasks no node can pull
    assert f"service {theirs}_unknown" in left_behind(engine, theirs)


def test_the_console_shows_the_pre_flight_errors_at_their_lines(
    operator, swarm, swarm_cleanup, registry_busybox_image
):
    ns = new_stack(swarm_cleanup, "pconsole")
    unknown = registry_busybox_image.rsplit(":", 1)[0] + ":" + unique_name("nope")
    text = UNKNOWN_IMAGE.format(image=registry_busybox_image, unknown=unknown)
    for plan in (True, False):
        answer = operator.post(f"/api/stacks/{ns}/deploy", json={"compose": text, "plan": plan})
        assert answer.status_code == 422, answer.text
        problems = [(p["line"], p["path"]) for p in answer.json()["problems"]]
        assert problems == [(8, "services.unknown.image"), (12, "services.again.image")]
    assert not swarm.manager.services.list(filters=label(ns))


SHARED_HOST_PORT = """version: "3.8"
services:
  one:
    image: {image}
    command: ["sleep", "3600"]
    ports: [{{target: 80, published: {port}, mode: host}}]
    deploy: {{replicas: {one}, endpoint_mode: dnsrr}}
  two:
    image: {image}
    command: ["sleep", "3600"]
    ports: [{{target: 81, published: {port}, mode: host}}]
    deploy: {{replicas: 1, endpoint_mode: dnsrr}}
"""


def test_stack_services_sharing_a_host_port_need_a_node_each(
    engine, swarm, swarm_cleanup, registry_busybox_image, tmp_path
):
    """Two nodes: a task of each service fits; three tasks on one host port cannot."""
    port, ns = free_port(), new_stack(swarm_cleanup, "pshared")
    path = tmp_path / "shared.yml"
    path.write_text(SHARED_HOST_PORT.format(image=registry_busybox_image, port=port, one=1))
    plan = deploy(engine, load([path], env={}), DeployOptions(namespace=ns, plan_only=True), out=print)
    assert len(plan.plan.services) == 2
    path.write_text(SHARED_HOST_PORT.format(image=registry_busybox_image, port=port, one=2))
    refused = sd_refused(engine, path, ns)
    assert where(refused) == [(11, "services.two.ports")]
    assert (
        f"also published by service '{ns}_one' of this stack: together they need 3 nodes and 2 are free"
        in str(refused)
    )
    assert left_behind(engine, ns) == []
