"""`swarmdeck service` against `docker service` on the real two-node swarm.

Each test makes its own small services (busybox from the test bed's registry, one replica,
removed after the test), runs our CLI and the docker CLI on the same service, and compares
what they print (the columns that age, "Running 5 seconds ago", left out) and what the
engine holds after our changes, read by the docker CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from tests.testbed import SwarmCleanup, unique_name
from tests.testbed.common import wait_for

DOCKER = "docker"
MIB = 1024 * 1024
QUICK_STOP = {"stop_grace_period": 1_000_000_000}  # sh and sleep ignore SIGTERM: no 10 s wait


def ours(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "swarmdeck", "service", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert run.returncode == 0, run.stderr
    return run


def docker(*args: str) -> str:
    run = subprocess.run([DOCKER, "service", *args], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def inspected(name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = json.loads(docker("inspect", name))
    return found[0]


def running_ids(name: str) -> set[str]:
    return set(docker("ps", "-q", "--filter", "desired-state=running", name).split())


def wait_running(name: str, count: int) -> set[str]:
    def ready() -> set[str] | None:
        lines = docker(
            "ps", "--filter", "desired-state=running", "--format", "{{.ID}} {{.CurrentState}}", name
        )
        ids = [line.split()[0] for line in lines.splitlines() if " Running " in f" {line} "]
        return set(ids) if len(ids) == count and len(lines.splitlines()) == count else None

    return wait_for(ready, timeout=60, what=f"{count} running task(s) of {name}", interval=0.3)


@pytest.fixture
def service(swarm_cleanup: SwarmCleanup, registry_busybox_image: str) -> str:
    """A replicated service of one `sleep 3600` task, running."""
    name = unique_name("svc")
    swarm_cleanup.service(registry_busybox_image, ["sleep", "3600"], name=name, env=["FIRST=1"], **QUICK_STOP)
    wait_running(name, 1)
    return name


def test_ls_prints_what_docker_prints(service: str) -> None:
    for args in ([], ["-q"], ["--format", "json"], ["--format", "{{.Name}} {{.Replicas}} {{.Image}}"]):
        assert ours("ls", "--filter", f"name={service}", *args).stdout == docker(
            "ls", "--filter", f"name={service}", *args
        )
    assert service in ours("ls").stdout


def test_inspect_is_the_engines_service(service: str) -> None:
    mine = json.loads(ours("inspect", service).stdout)
    theirs = json.loads(docker("inspect", service))
    assert len(mine) == 1
    assert (mine[0]["ID"], mine[0]["Spec"], mine[0]["Version"]) == (
        theirs[0]["ID"],
        theirs[0]["Spec"],
        theirs[0]["Version"],
    )
    pretty = ours("inspect", "--pretty", service).stdout
    assert f"Name:\t\t{service}" in pretty and "Env:\t\tFIRST=1" in pretty


def test_ps_lists_the_tasks_docker_lists(service: str) -> None:
    fields = "{{.ID}} {{.Name}} {{.Image}} {{.Node}} {{.DesiredState}} {{.Error}} {{.Ports}}"
    assert ours("ps", "--format", fields, service).stdout == docker("ps", "--format", fields, service)
    assert ours("ps", "-q", service).stdout == docker("ps", "-q", service)
    assert ours("ps", "-q", "--no-trunc", service).stdout == docker("ps", "-q", "--no-trunc", service)
    table = ours("ps", service).stdout.splitlines()
    assert table[0].split() == docker("ps", service).splitlines()[0].split()
    assert table[1].startswith(next(iter(running_ids(service)))[:12])
    node = docker("ps", "--format", "{{.Node}}", service).split()[0]
    assert ours("ps", "-q", "--filter", f"node={node}", service).stdout == docker(
        "ps", "-q", "--filter", f"node={node}", service
    )


def test_scale_keeps_the_running_tasks(service: str) -> None:
    # The docker CLI's update stores the spec with the engine's defaults filled in (no task
    # changes); a scale must send that spec back as it is, with only the replicas moved.
    docker("update", "-d", "--label-add", "touched=by-docker", service)
    first = running_ids(service)
    run = ours("scale", f"{service}=2")  # waits for convergence
    assert run.stdout.splitlines()[0] == f"{service} scaled to 2"
    both = running_ids(service)
    assert len(both) == 2 and first < both
    assert docker("ls", "--filter", f"name={service}", "--format", "{{.Replicas}}").strip() == "2/2"
    ours("scale", f"{service}=1")
    assert running_ids(service) == first
    assert inspected(service)["Spec"]["Mode"]["Replicated"]["Replicas"] == 1


def test_update_is_seen_by_docker_and_rollback_restores_the_spec(service: str) -> None:
    before = inspected(service)["Spec"]
    run = ours("update", "--env-add", "MODE=test", "--replicas", "2", "--limit-memory", "100M", "-d", service)
    assert run.stdout == f"{service}\n"
    spec = inspected(service)["Spec"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["FIRST=1", "MODE=test"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 2
    assert spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 100 * MIB
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"] == before["TaskTemplate"]["ContainerSpec"]["Image"]

    published = 20000 + os.getpid() % 10000
    ours("update", "--publish-add", f"{published}:80/udp", "-d", service)
    ports = inspected(service)["Spec"]["EndpointSpec"]["Ports"]
    assert [(p["PublishedPort"], p["TargetPort"], p["Protocol"]) for p in ports] == [(published, 80, "udp")]
    assert f"*:{published}->80/udp" in docker("ls", "--filter", f"name={service}", "--format", "{{.Ports}}")
    ours("update", "--publish-rm", "80/udp", "-d", service)
    assert not inspected(service)["Spec"]["EndpointSpec"].get("Ports")

    previous = inspected(service)["PreviousSpec"]
    ours("rollback", "-d", service)
    restored = inspected(service)["Spec"]
    assert restored["EndpointSpec"] == previous["EndpointSpec"]
    assert restored["TaskTemplate"]["ContainerSpec"]["Env"] == ["FIRST=1", "MODE=test"]
    assert restored["TaskTemplate"]["ContainerSpec"]["Command"] == ["sleep", "3600"]
    assert restored["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 100 * MIB
    assert [p["TargetPort"] for p in restored["EndpointSpec"]["Ports"]] == [80]  # the port is back
    assert ours("rollback", "-d", service).stdout == f"{service}\n"  # and a rollback of the rollback
    assert not inspected(service)["Spec"]["EndpointSpec"].get("Ports")


def test_bad_update_changes_nothing(service: str) -> None:
    version = inspected(service)["Version"]["Index"]
    run = ours("update", "--env-add", "=oops", service, check=False)
    assert run.returncode == 1 and run.stderr.startswith("error: invalid environment variable '=oops'")
    run = ours("scale", "nosuchservice-xyz=2", check=False)
    assert run.returncode == 1 and run.stderr.startswith("error:") and "Traceback" not in run.stderr
    assert inspected(service)["Version"]["Index"] == version


def test_logs_tail_prints_the_lines_docker_prints(
    swarm_cleanup: SwarmCleanup, registry_busybox_image: str
) -> None:
    name = unique_name("logs")
    script = "for i in 1 2 3 4 5; do echo line $i; done; exec sleep 3600"
    swarm_cleanup.service(registry_busybox_image, ["sh", "-c", script], name=name, **QUICK_STOP)
    wait_running(name, 1)
    wait_for(lambda: "line 5" in docker("logs", name) or None, timeout=30, what="the service's output")
    mine = ours("logs", "--tail", "2", name).stdout
    assert mine == docker("logs", "--tail", "2", name)
    assert [line.split("| ", 1)[1] for line in mine.splitlines()] == ["line 4", "line 5"]
    assert ours("logs", "-t", "--tail", "3", name).stdout == docker("logs", "-t", "--tail", "3", name)


def test_logs_follow_streams_until_interrupted(
    swarm_cleanup: SwarmCleanup, registry_busybox_image: str
) -> None:
    name = unique_name("follow")
    script = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done"
    swarm_cleanup.service(registry_busybox_image, ["sh", "-c", script], name=name, **QUICK_STOP)
    wait_running(name, 1)
    follow = subprocess.Popen(
        [sys.executable, "-m", "swarmdeck", "service", "logs", "-f", "--tail", "1", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follow.stdout is not None
        seen = [follow.stdout.readline() for _ in range(3)]  # the tail, then lines that came after
        ticks = [int(line.rsplit("tick ", 1)[1]) for line in seen]
        assert ticks == sorted(ticks) and len(set(ticks)) == 3
        follow.send_signal(signal.SIGINT)
        assert follow.wait(timeout=15) == 130
    finally:
        if follow.poll() is None:
            follow.kill()
            follow.wait()


def test_create_then_rm(swarm_cleanup: SwarmCleanup, registry_busybox_image: str) -> None:
    name = unique_name("created")
    run = ours(
        "create", "--name", name, "--replicas", "1", "-e", "A=1", "--limit-memory", "64M",
        "--constraint", "node.role==manager", "--stop-grace-period", "1s", "-d",
        registry_busybox_image, "sleep", "3600",
    )  # fmt: skip
    service_id = run.stdout.strip()
    swarm_cleanup.services.append(service_id)
    spec = inspected(name)["Spec"]
    assert inspected(name)["ID"] == service_id
    assert spec["TaskTemplate"]["ContainerSpec"]["Args"] == ["sleep", "3600"]
    assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1"]
    assert spec["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"] == 64 * MIB
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.role==manager"]
    run = ours("rm", "nosuchservice-xyz", name, check=False)  # one missing: the others still go
    assert run.returncode == 1 and run.stderr.startswith("error:") and "nosuchservice-xyz" in run.stderr
    assert run.stdout == f"{name}\n"
    assert name not in docker("ls", "--format", "{{.Name}}").split()


def test_forced_update_waits_for_the_new_task(service: str) -> None:
    first = running_ids(service)
    run = ours("update", "--force", service)  # not detached: returns once converged
    assert run.stdout.splitlines() == [service, "verify: Service converged"]
    now = running_ids(service)
    assert len(now) == 1 and now != first
    fields = "{{.ID}} {{.Name}} {{.Node}} {{.DesiredState}}"
    table = ours("ps", "--format", fields, service).stdout
    assert table == docker("ps", "--format", fields, service)
    assert table.startswith(next(iter(now))[:12])  # (the bed keeps no task history to show)
    assert inspected(service)["Spec"]["TaskTemplate"]["ForceUpdate"] == 1
