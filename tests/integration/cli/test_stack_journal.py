"""`swarmdeck stack deploy` killed half-way (SIGKILL, on the real swarm) leaves its journal, and
the next `stack deploy` or `stack rm` of that stack takes the cut-short deploy back, saying so:
the stack's services (by ID and spec) and networks are exactly as before the killed deploy.

The slow step is real: a deploy of many services. The test polls the engine and kills the
CLI as soon as the first new service exists, while the others are still being sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from swarmdeck.swarm.stacks import remove
from tests.testbed import unique_name

pytestmark = [pytest.mark.engine, pytest.mark.swarm, pytest.mark.slow]
MANY = 80  # services in the deploy that is killed: sent several at a time, they take a while


def stack_file(image: str, greeting: str, extra: int) -> str:
    text = f"""version: "3.8"
services:
  s0:
    image: {image}
    command: ["sleep", "3600"]
    environment: {{GREETING: "{greeting}"}}
    deploy: {{replicas: 0}}
"""
    for number in range(1, extra + 1):
        text += f"""  s{number}:
    image: {image}
    command: ["sleep", "3600"]
    deploy: {{replicas: 0}}
"""
    return text


def state(client: docker.DockerClient, ns: str) -> dict[str, Any]:
    """The stack's services and networks by ID, with their specs."""
    label = {"label": f"com.docker.stack.namespace={ns}"}
    services = {s["ID"]: s["Spec"] for s in client.api.services(filters=label)}
    networks = {
        n["Id"]: (n["Name"], n["Driver"], n.get("Labels")) for n in client.api.networks(filters=label)
    }
    return {"services": services, "networks": networks}


@pytest.fixture
def ns(engine: docker.DockerClient) -> Iterator[str]:
    name = unique_name("pjrn")
    yield name
    if state(engine, name) != {"services": {}, "networks": {}}:
        remove(engine, name, wait=True)


def cli(data_dir: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """`swarmdeck stack ARGS` with its data directory (where the journals go) in ``data_dir``."""
    env = {**os.environ, "SWARMDECK_DATA_DIR": str(data_dir)}
    return [sys.executable, "-m", "swarmdeck", "stack", *args], env


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = cli(data_dir, *args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


def killed_mid_deploy(
    engine: docker.DockerClient, data_dir: Path, ns: str, file: Path, sig: int = signal.SIGKILL
) -> tuple[int, str]:
    """Start `stack deploy`, send it ``sig`` once a service it creates exists: (exit status,
    what it printed on stderr)."""
    before = set(state(engine, ns)["services"])
    command, env = cli(data_dir, "deploy", "--resolve-image", "never", "-c", str(file), ns)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while set(state(engine, ns)["services"]) <= before:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the deploy created no service in 120 s"
            time.sleep(0.02)
        made = set(state(engine, ns)["services"]) - before
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert 0 < len(made) < MANY, f"the kill came after the deploy had sent all {len(made)} services"
    print(f"stack deploy sent signal {sig} with {len(made)} of {MANY} new services made")
    return process.returncode, stderr


def settled(engine: docker.DockerClient, ns: str) -> dict[str, Any]:
    """The stack's state once it stays the same for a second."""
    last = state(engine, ns)
    while True:
        time.sleep(1.0)
        now = state(engine, ns)
        if now == last:
            return now
        last = now


def journal_left(data_dir: Path, ns: str) -> bool:
    journals = list((data_dir / "stack-deploys").glob("*.json"))
    return len(journals) == 1 and ns in journals[0].name


def test_a_killed_deploy_is_taken_back_by_the_next_deploy_and_by_rm(
    engine, swarm, registry_busybox_image, ns, tmp_path
):
    data_dir = tmp_path / "data"
    first, second = tmp_path / "v1.yml", tmp_path / "v2.yml"
    first.write_text(stack_file(registry_busybox_image, "one", 0))
    second.write_text(stack_file(registry_busybox_image, "two", MANY))
    deployed = run(data_dir, "deploy", "--resolve-image", "never", "-c", str(first), ns)
    assert deployed.returncode == 0, deployed.stderr
    before = state(engine, ns)
    assert len(before["services"]) == 1 and len(before["networks"]) == 1

    assert killed_mid_deploy(engine, data_dir, ns, second)[0] == -signal.SIGKILL
    assert journal_left(data_dir, ns)
    half = settled(engine, ns)  # requests sent before the kill may still land
    assert half != before
    planned = run(data_dir, "deploy", "--plan", "--resolve-image", "never", "-c", str(first), ns)
    assert planned.returncode == 0, planned.stderr
    assert (
        f"A deploy of stack {ns} was cut short earlier; the next deploy or rm takes it back."
        in planned.stderr
    )
    assert state(engine, ns) == half and journal_left(data_dir, ns)  # --plan changes nothing
    again = run(data_dir, "deploy", "--resolve-image", "never", "-c", str(first), ns)
    assert again.returncode == 0, again.stderr
    assert f"A deploy of stack {ns} was cut short earlier (its process died); taken back:" in again.stderr
    assert f"removed service {ns}_s" in again.stderr
    assert f"Unchanged service {ns}_s0" in again.stdout or f"Updating service {ns}_s0" in again.stdout
    after = state(engine, ns)
    assert set(after["services"]) == set(before["services"]) and after["networks"] == before["networks"]
    assert after["services"] == before["services"]  # the update, if it had been sent, rolled back
    assert list((data_dir / "stack-deploys").glob("*.json")) == []

    # a second killed deploy, this time followed by `stack rm`
    assert killed_mid_deploy(engine, data_dir, ns, second)[0] == -signal.SIGKILL
    assert journal_left(data_dir, ns)
    removed = run(data_dir, "rm", ns)
    assert removed.returncode == 0, removed.stderr
    assert f"A deploy of stack {ns} was cut short earlier" in removed.stderr
    assert list((data_dir / "stack-deploys").glob("*.json")) == []
    deadline = time.monotonic() + 60
    while state(engine, ns) != {"services": {}, "networks": {}} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert state(engine, ns) == {"services": {}, "networks": {}}


def test_an_interrupted_deploy_takes_itself_back(engine, swarm, registry_busybox_image, ns, tmp_path):
    """Ctrl+C (SIGINT) while the services are sent: the CLI takes the deploy back at once."""
    data_dir = tmp_path / "data"
    first, second = tmp_path / "v1.yml", tmp_path / "v2.yml"
    first.write_text(stack_file(registry_busybox_image, "one", 0))
    second.write_text(stack_file(registry_busybox_image, "two", MANY))
    deployed = run(data_dir, "deploy", "--resolve-image", "never", "-c", str(first), ns)
    assert deployed.returncode == 0, deployed.stderr
    before = state(engine, ns)
    status, stderr = killed_mid_deploy(engine, data_dir, ns, second, signal.SIGINT)
    assert status == 1, stderr
    assert "error: interrupted; undone: " in stderr and f"removed service {ns}_s" in stderr
    assert not journal_left(data_dir, ns)
    assert state(engine, ns) == before


def test_a_running_deploy_holds_its_journal(engine, swarm, registry_busybox_image, ns, tmp_path):
    """While one deploy runs, another of the same stack from this machine is refused (and does
    not take the running one's journal back)."""
    from swarmdeck.compose.stack import journal

    data_dir = tmp_path / "data"
    file = tmp_path / "v1.yml"
    file.write_text(stack_file(registry_busybox_image, "one", 0))
    slot = journal.Slot(data_dir / "stack-deploys", journal.scope(engine), ns)
    try:
        refused = run(data_dir, "deploy", "--resolve-image", "never", "-c", str(file), ns)
        assert refused.returncode == 1
        assert f"another deploy of stack {ns} is running from this machine" in refused.stderr
        assert state(engine, ns) == {"services": {}, "networks": {}}
    finally:
        slot.close()
    deployed = run(data_dir, "deploy", "--resolve-image", "never", "-c", str(file), ns)
    assert deployed.returncode == 0, deployed.stderr
