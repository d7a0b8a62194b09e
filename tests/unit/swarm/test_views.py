"""The swarm layer's views, built from inspect answers shaped as the engine sends them, and
its refusals of values it does not know: no engine is needed for either."""

import pytest

from swarmdeck.engine.labels import STACK_NAMESPACE
from swarmdeck.swarm import views
from swarmdeck.swarm.errors import InvalidAction, NoSuchStack, NotManager, SwarmRefusal, naming


def node(node_id: str, hostname: str, role: str = "worker", state: str = "ready", **extra) -> dict:
    attrs = {
        "ID": node_id,
        "Spec": {"Role": role, "Availability": "active", "Labels": {"zone": "a"}},
        "Status": {"State": state, "Addr": extra.pop("addr", "10.0.0.2")},
        "Description": {"Hostname": hostname, "Engine": {"EngineVersion": "24.0.7"}},
    }
    attrs.update(extra)
    return attrs


def task(task_id: str, service_id: str, node_id: str, state: str = "running", slot: int | None = 1) -> dict:
    return {
        "ID": task_id,
        "ServiceID": service_id,
        "NodeID": node_id,
        "Slot": slot,
        "DesiredState": "running" if state == "running" else "shutdown",
        "Status": {"State": state, "Err": "exit 1" if state == "failed" else ""},
        "Spec": {"ContainerSpec": {"Image": "busybox:1"}},
        "UpdatedAt": "2026-12-07T10:00:00Z",
    }


def service(service_id: str, name: str, replicas: int | None = 2, stack: str = "") -> dict:
    mode = {"Replicated": {"Replicas": replicas}} if replicas is not None else {"Global": {}}
    return {
        "ID": service_id,
        "Spec": {
            "Name": name,
            "Labels": {STACK_NAMESPACE: stack} if stack else {},
            "Mode": mode,
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox:1"}},
            "EndpointSpec": {"Ports": [{"PublishedPort": 8080, "TargetPort": 80, "Protocol": "tcp"}]},
        },
    }


def test_a_manager_reporting_0_0_0_0_is_shown_at_its_manager_address():
    manager = node("n1", "alpha", role="manager", addr="0.0.0.0", ManagerStatus={"Addr": "10.0.0.1:2377"})
    assert views.node_addr(manager) == "10.0.0.1"
    assert views.node_addr(node("n2", "beta")) == "10.0.0.2"


def test_nodes_come_managers_first_with_their_running_tasks_counted():
    nodes = [
        node("n2", "beta"),
        node("n1", "alpha", role="manager", ManagerStatus={"Leader": True, "Reachability": "reachable"}),
    ]
    tasks = [task("t1", "s1", "n2"), task("t2", "s1", "n2"), task("t3", "s1", "n1", state="failed")]
    shown = views.node_views(nodes, tasks)
    assert [(n["hostname"], n["role"], n["tasks"], n["leader"]) for n in shown] == [
        ("alpha", "manager", 0, True),
        ("beta", "worker", 2, False),
    ]
    assert shown[1]["labels"] == {"zone": "a"} and shown[1]["engine_version"] == "24.0.7"


def test_tasks_name_their_service_and_node_and_sort_by_slot():
    tasks = [
        task("t2", "s1", "n1", slot=2),
        task("t1", "s1", "n9", slot=1),
        task("t0", "gone00000000xyz", "n1"),
    ]
    shown = views.task_views(tasks, {"s1": "web"}, {"n1": "alpha"})
    assert [(t["service"], t["slot"], t["node"]) for t in shown] == [
        ("gone00000000", 1, "alpha"),
        ("web", 1, ""),
        ("web", 2, "alpha"),
    ]


def test_a_global_service_wants_the_tasks_meant_to_run():
    running = [task("t1", "g", "n1"), task("t2", "g", "n2", state="starting"), task("t3", "r", "n1")]
    shown = views.service_views([service("r", "web", 3, stack="shop"), service("g", "agent", None)], running)
    assert [(s["name"], s["mode"], s["replicas"], s["running"], s["stack"]) for s in shown] == [
        ("agent", "global", 2, 1, ""),
        ("web", "replicated", 3, 1, "shop"),
    ]
    assert shown[1]["ports"] == ["8080:80/tcp (ingress)"]


def test_stacks_group_services_by_their_label():
    services = views.service_views(
        [
            service("a", "shop_web", 2, stack="shop"),
            service("b", "shop_db", 1, stack="shop"),
            service("c", "x", 1),
        ],
        [task("t1", "a", "n1")],
    )
    assert views.stack_summaries(s for s in services if s["stack"]) == [
        {"name": "shop", "services": 2, "replicas": 3, "running": 1}
    ]


def test_problems_name_nodes_managers_and_short_services():
    nodes = views.node_views(
        [
            node("n1", "alpha", role="manager", ManagerStatus={"Reachability": "unreachable"}),
            node("n2", "beta", state="down"),
        ],
        [],
    )
    services = views.service_views([service("s", "web", 2)], [task("t", "s", "n1")])
    assert views.problems(nodes, services) == [
        "node beta (n2) is down",
        "manager alpha (n1) is unreachable",
        "service web runs 1 of 2 tasks",
    ]


def test_node_actions_in_the_engine_words_and_unknown_ones_refused():
    assert views.node_change("drain") == ("Availability", "drain")
    assert views.node_change("promote") == ("Role", "manager")
    with pytest.raises(InvalidAction, match="unknown node action 'reboot'"):
        views.node_change("reboot")
    with pytest.raises(InvalidAction, match="expected worker or manager"):
        views.token_role("admin")


def test_a_service_request_is_what_docker_service_create_sends():
    body = views.service_request(
        views.ServiceSpec(
            name="web",
            image="busybox:1",
            replicas=3,
            env={"A": "1"},
            ports=[(8080, 80, "tcp", "host")],
            endpoint_mode="dnsrr",
            networks=["backend"],
        )
    )
    assert (body["Mode"].mode, body["Mode"].replicas) == ("replicated", 3)
    assert body["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1"]
    assert body["TaskTemplate"]["Networks"] == [{"Target": "backend"}]
    assert body["EndpointSpec"]["Mode"] == "dnsrr"
    assert body["EndpointSpec"]["Ports"] == [
        {"PublishedPort": 8080, "TargetPort": 80, "Protocol": "tcp", "PublishMode": "host"}
    ]
    with pytest.raises(InvalidAction, match="unknown service mode"):
        views.service_request(views.ServiceSpec(name="web", image="busybox:1", mode="replicated-job"))


def test_naming_puts_the_chosen_endpoint_into_a_refusal_and_keeps_its_type():
    with pytest.raises(NotManager) as caught, naming("endpoint 'nodeb'"):
        raise NotManager("{engine} is a swarm worker: only a manager answers this")
    assert str(caught.value) == "endpoint 'nodeb' is a swarm worker: only a manager answers this"
    assert isinstance(caught.value, SwarmRefusal)
    assert str(NotManager("{engine} is a swarm worker")) == "this engine is a swarm worker"
    with pytest.raises(NoSuchStack), naming("endpoint 'x'"):  # other errors pass unchanged
        raise NoSuchStack("shop")
