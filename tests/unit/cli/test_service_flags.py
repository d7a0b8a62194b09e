"""`swarmdeck service` option values read without an engine: ports, sizes, CPUs, environment,
the changes applied to a stored spec, and bad input refused with one `error:` line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.service_spec import (
    Port,
    ServiceChanges,
    changed_spec,
    env_assignment,
    memory_bytes,
    nano_cpus,
    port,
)
from swarmdeck.swarm.stack_tables import human_duration, task_rows


def swarmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080:80/udp", Port(target=80, published=8080, protocol="udp")),
        ("8080:80", Port(target=80, published=8080)),
        ("80", Port(target=80)),
        ("80/sctp", Port(target=80, protocol="sctp")),
        ("published=53,target=5353,protocol=udp,mode=host", Port(5353, 53, "udp", "host")),
    ],
)
def test_publish_values(text: str, expected: Port) -> None:
    assert port(text) == expected


@pytest.mark.parametrize("text", ["8080:80/icmp", "x:80", "80:", "70000", "", "target=80,colour=red"])
def test_bad_publish_values_are_refused(text: str) -> None:
    with pytest.raises(InvalidAction):
        port(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100M", 100 * 1024**2),
        ("100m", 100 * 1024**2),
        ("1.5g", 1536 * 1024**2),
        ("512MiB", 512 * 1024**2),
        ("64", 64),
    ],
)
def test_memory_sizes_are_binary(text: str, expected: int) -> None:
    assert memory_bytes(text) == expected


@pytest.mark.parametrize("text", ["M", "100X", "-1M", "ten"])
def test_bad_memory_sizes_are_refused(text: str) -> None:
    with pytest.raises(InvalidAction):
        memory_bytes(text)


def test_cpus_are_nano_cpus_and_too_precise_is_refused() -> None:
    assert nano_cpus("0.5") == 500_000_000
    assert nano_cpus("2") == 2_000_000_000
    for bad in ("0.0000000001", "half", "-1"):
        with pytest.raises(InvalidAction):
            nano_cpus(bad)


def test_env_assignment_needs_a_key_and_an_equals_sign() -> None:
    assert env_assignment("A=") == "A="
    assert env_assignment("A=b=c") == "A=b=c"
    for bad in ("A", "=b", "A B=c"):
        with pytest.raises(InvalidAction):
            env_assignment(bad)


STORED = {
    "Name": "web",
    "Mode": {"Replicated": {"Replicas": 1}},
    "TaskTemplate": {"ContainerSpec": {"Image": "busybox:1", "Env": ["A=1", "B=2"]}, "ForceUpdate": 0},
    "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "udp", "TargetPort": 80, "PublishedPort": 18080}]},
}


def test_changes_move_only_their_fields() -> None:
    changes = ServiceChanges(
        replicas=3,
        env_add=("B=3", "C=4"),
        env_rm=("A",),
        limit_memory=100 * 1024**2,
        publish_add=(port("8080:80"),),
        publish_rm=(port("80/udp"),),
        force=True,
    )
    new = changed_spec(STORED, changes)
    assert new["Mode"]["Replicated"]["Replicas"] == 3
    assert new["TaskTemplate"]["ContainerSpec"] == {"Image": "busybox:1", "Env": ["B=3", "C=4"]}
    assert new["TaskTemplate"]["Resources"] == {"Limits": {"MemoryBytes": 100 * 1024**2}}
    assert new["TaskTemplate"]["ForceUpdate"] == 1
    assert new["EndpointSpec"]["Ports"] == [
        {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"}
    ]
    assert STORED["Mode"]["Replicated"]["Replicas"] == 1  # the stored spec is not touched


def test_a_scale_changes_nothing_but_the_replicas() -> None:
    new = changed_spec(STORED, ServiceChanges(replicas=0))
    assert {k: v for k, v in new.items() if k != "Mode"} == {k: v for k, v in STORED.items() if k != "Mode"}


def test_human_durations_as_docker_prints_them() -> None:
    assert [human_duration(s) for s in (0.4, 1, 59, 61, 600, 3600, 7200)] == [
        "Less than a second",
        "1 second",
        "59 seconds",
        "About a minute",
        "10 minutes",
        "About an hour",
        "2 hours",
    ]


def test_older_tasks_of_a_slot_are_indented_under_the_newest() -> None:
    def task(task_id: str, created: str, state: str) -> dict:
        return {
            "ID": task_id,
            "ServiceID": "s1",
            "Slot": 1,
            "NodeID": "n1",
            "CreatedAt": created,
            "DesiredState": state,
            "Status": {"State": state, "Err": "x" * 40 if state == "shutdown" else ""},
            "Spec": {"ContainerSpec": {"Image": "busybox:1@sha256:abc"}},
        }

    rows = task_rows(
        [task("old", "2026-01-01", "shutdown"), task("new", "2026-01-02", "running")],
        {"s1": "web"},
        {"n1": "vm"},
    )
    assert [(r["ID"], r["Name"], r["Image"], r["Node"]) for r in rows] == [
        ("new", "web.1", "busybox:1", "vm"),
        ("old", " \\_ web.1", "busybox:1", "vm"),
    ]
    assert rows[1]["Error"] == '"' + "x" * 29 + '…"'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["update", "--env-add", "NOEQUALS", "web"],
            "error: invalid environment variable 'NOEQUALS': expected KEY=VALUE",
        ),
        (["update", "--publish-add", "8080:80/icmp", "web"], "error: invalid port '8080:80/icmp'"),
        (["update", "--limit-memory", "lots", "web"], "error: invalid size 'lots'"),
        (["scale", "web"], "error: invalid scale specifier 'web': expected SERVICE=REPLICAS"),
        (["logs", "--tail", "ten", "web"], "error: --tail 'ten'"),
    ],
)
def test_bad_values_are_refused_before_any_engine_call(tmp_path, args: list[str], message: str) -> None:
    # No engine answers at the endpoint: the refusal must come first.
    run = swarmdeck("service", *args, "--host", f"unix://{tmp_path}/none.sock")
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith(message), run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_durations_are_go_durations() -> None:
    from swarmdeck.swarm.service_spec import duration_ns

    assert duration_ns("1s") == 10**9
    assert duration_ns("1m30s") == 90 * 10**9
    assert duration_ns("500ms") == 5 * 10**8
    for bad in ("10", "s", "1x", "1s garbage"):
        with pytest.raises(InvalidAction):
            duration_ns(bad)


def test_log_lines_are_prefixed_as_docker_prints_them() -> None:
    from swarmdeck.swarm.service_logs import _line

    def prefixes(task: str, node: str) -> str:
        return f"web.1.{task[:12]}@{node}"

    details = (
        "com.docker.swarm.node.id=vm,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=abcdefghijklmnop"
    )
    assert _line(f"{details} hello world", prefixes, False) == "web.1.abcdefghijkl@vm    | hello world"
    stamped = f"2026-12-07T13:36:49.029236674Z {details},tag=a%20b hi"
    assert (
        _line(stamped, prefixes, True)
        == "2026-12-07T13:36:49.029236674Z web.1.abcdefghijkl@vm    | tag=a b hi"
    )
