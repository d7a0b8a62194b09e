"""Which nodes could run a host-mode service's tasks (the placement constraints the plan can
evaluate, any other taken to match), and how many tasks it runs at once: nodes as the
engine lists them."""

from __future__ import annotations

from typing import Any

from swarmdeck.compose.stack.hostports import _eligible, _wanted_tasks, host_ports


def node(node_id: str, hostname: str, role: str = "worker", **extra: Any) -> dict[str, Any]:
    return {
        "ID": node_id,
        "Spec": {
            "Role": role,
            "Availability": extra.get("availability", "active"),
            "Labels": extra.get("labels", {}),
        },
        "Description": {
            "Hostname": hostname,
            "Platform": {"OS": "linux", "Architecture": "x86_64"},
            "Engine": {"Labels": extra.get("engine_labels", {})},
        },
        "Status": {"State": extra.get("state", "ready")},
    }


NODES = [
    node("n1", "vm", "manager", labels={"testbed": "nodea"}),
    node("n2", "nodeb", labels={"testbed": "nodeb"}, engine_labels={"disk": "ssd"}),
    node("n3", "down", state="down"),
    node("n4", "drained", availability="drain"),
]


def spec(*constraints: str, mode: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Mode": mode if mode is not None else {"Replicated": {"Replicas": 2}},
        "TaskTemplate": {"Placement": {"Constraints": list(constraints)}},
        "EndpointSpec": {
            "Ports": [
                {"Protocol": "udp", "TargetPort": 53, "PublishedPort": 5353, "PublishMode": "host"},
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "ingress"},
                {"TargetPort": 81, "PublishMode": "host"},
            ]
        },
    }


def eligible(*constraints: str) -> list[str]:
    return [n["ID"] for n in _eligible(NODES, spec(*constraints))]


def test_only_ready_active_nodes_that_match_the_constraints_are_eligible() -> None:
    assert eligible() == ["n1", "n2"]
    assert eligible("node.labels.testbed == nodeb") == ["n2"]
    assert eligible("node.labels.testbed!=nodeb") == ["n1"]
    assert eligible("node.role==manager", "node.hostname == VM") == ["n1"]
    assert eligible("engine.labels.disk==ssd") == ["n2"]
    assert eligible("node.id==N2") == ["n2"]  # swarmkit compares values case-insensitively
    assert eligible("node.platform.os==windows") == []


def test_a_constraint_the_plan_cannot_evaluate_matches_every_node() -> None:
    assert eligible("node.something.else==x") == ["n1", "n2"]


def test_tasks_at_once_and_published_host_ports() -> None:
    assert _wanted_tasks(spec()) == 2
    assert _wanted_tasks(spec(mode={"Replicated": {}})) == 1
    assert _wanted_tasks(spec(mode={"Global": {}})) is None
    assert _wanted_tasks(spec(mode={"ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 9}})) == 3
    assert host_ports(spec()) == [(5353, "udp")]
