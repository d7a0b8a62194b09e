"""The edit forms' values and the plan of an edit, on specs as the engine stores them: an
untouched form changes nothing, each section writes its own fields only, bad values are
refused naming the field, and the plan says which changes restart tasks."""

from __future__ import annotations

import copy

import pytest

from swarmdeck.swarm.errors import InvalidAction
from swarmdeck.swarm.service_form import edited_spec, form_values
from swarmdeck.swarm.service_plan import plan, restart_of

SPEC = {
    "Name": "web",
    "Labels": {"team": "a"},
    "TaskTemplate": {
        "ContainerSpec": {
            "Image": "busybox:1.36@sha256:" + "a" * 64,
            "Args": ["sleep", "1d"],
            "Env": ["A=1"],
            "Secrets": [
                {
                    "File": {"Name": "tok", "UID": "0", "GID": "0", "Mode": 292},
                    "SecretID": "s1",
                    "SecretName": "tok",
                }
            ],
        },
        "Resources": {"Limits": {"MemoryBytes": 64 * 1024**2}},
        "Networks": [{"Target": "n1"}],
        "ForceUpdate": 0,
    },
    "Mode": {"Replicated": {"Replicas": 2}},
    "UpdateConfig": {"Parallelism": 1, "Delay": 10 * 10**9, "Order": "stop-first"},
    "EndpointSpec": {
        "Mode": "vip",
        "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress"}],
    },
}
NAMES = {"n1": "front"}


def lookup(kind: str, name: str) -> tuple[str, str]:
    known = {("network", "front"): "n1", ("network", "back"): "n2", ("secret", "other"): "s2"}
    if (kind, name) not in known:
        raise InvalidAction(f"no {kind} {name!r}")
    return known[(kind, name)], name


def edit(**sections):
    return edited_spec(SPEC, sections, lookup, NAMES)


def test_the_forms_as_shown_change_nothing():
    shown = form_values(SPEC, NAMES)
    assert shown["resources"]["limit_memory"] == "64M"
    assert shown["update"]["delay"] == "10s"
    assert shown["networks"]["networks"] == ["front"]
    assert edit(**shown) == SPEC
    assert plan(SPEC, edit(**shown)) == {"changes": [], "restart": "none", "summary": "nothing changes"}


def test_env_and_a_limit_restart_every_task():
    new = edit(container={"env": ["A=1", "B=<b>"]}, resources={"limit_memory": "128M", "limit_cpu": "0.5"})
    assert new["TaskTemplate"]["ContainerSpec"]["Env"] == ["A=1", "B=<b>"]
    assert new["TaskTemplate"]["Resources"]["Limits"] == {
        "MemoryBytes": 128 * 1024**2,
        "NanoCPUs": 500_000_000,
    }
    p = plan(SPEC, new)
    fields = {c["field"]: c for c in p["changes"]}
    assert set(fields) == {
        "TaskTemplate.ContainerSpec.Env",
        "TaskTemplate.Resources.Limits.MemoryBytes",
        "TaskTemplate.Resources.Limits.NanoCPUs",
    }
    assert fields["TaskTemplate.Resources.Limits.MemoryBytes"]["old"] == str(64 * 1024**2)
    assert fields["TaskTemplate.Resources.Limits.NanoCPUs"]["old"] == ""
    assert p["restart"] == "all" and p["summary"].startswith("tasks restart")


def test_replicas_labels_and_update_config_restart_nothing():
    new = edit(service={"replicas": 5, "labels": ["team=b", "tier=web"]}, update={"parallelism": "2"})
    p = plan(SPEC, new)
    assert {c["field"] for c in p["changes"]} == {
        "Mode.Replicated.Replicas",
        "Labels.team",
        "Labels.tier",
        "UpdateConfig.Parallelism",
    }
    assert p["restart"] == "none" and "no task restarts" in p["summary"]
    assert new["TaskTemplate"] == SPEC["TaskTemplate"]  # the template is sent as stored


def test_placement_alone_restarts_only_tasks_that_no_longer_fit():
    p = plan(SPEC, edit(placement={"constraints": ["node.role==manager"], "max_replicas": "1"}))
    assert p["restart"] == "placement"
    assert restart_of(("EndpointSpec", "Ports")) == "all"  # a task's endpoint is compared too
    assert restart_of(("TaskTemplate", "ForceUpdate")) == "all"


def test_every_section_writes_the_engine_fields():
    new = edit(
        container={"command": ["sh", "-c"], "args": ["echo hi"]},
        restart={"condition": "on-failure", "delay": "5s", "max_attempts": "3", "window": "1m"},
        placement={"preferences": ["spread=node.labels.zone"]},
        ports={"ports": ["8080:80", "published=53,target=53,protocol=udp,mode=host"]},
        mounts={"mounts": ["type=volume,source=data,target=/data,readonly"]},
        networks={"networks": ["front", "back"]},
        secrets={"secrets": ["tok", "other:/run/x"]},
        rollback={"failure_action": "continue", "monitor": "30s"},
        healthcheck={"test": "wget -q localhost", "interval": "5s", "retries": "3"},
    )
    t = new["TaskTemplate"]
    c = t["ContainerSpec"]
    assert c["Command"] == ["sh", "-c"] and c["Args"] == ["echo hi"]
    assert t["RestartPolicy"] == {
        "Condition": "on-failure",
        "Delay": 5 * 10**9,
        "MaxAttempts": 3,
        "Window": 60 * 10**9,
    }
    assert t["Placement"] == {"Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]}
    assert [p.get("PublishedPort") for p in new["EndpointSpec"]["Ports"]] == [8080, 53]
    assert c["Mounts"] == [{"Type": "volume", "Target": "/data", "Source": "data", "ReadOnly": True}]
    assert t["Networks"] == [{"Target": "n1"}, {"Target": "n2"}]
    assert c["Secrets"][0] == SPEC["TaskTemplate"]["ContainerSpec"]["Secrets"][0]  # kept as stored
    assert c["Secrets"][1]["SecretID"] == "s2" and c["Secrets"][1]["File"]["Name"] == "/run/x"
    assert new["RollbackConfig"] == {"FailureAction": "continue", "Monitor": 30 * 10**9}
    assert c["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q localhost"],
        "Interval": 5 * 10**9,
        "Retries": 3,
    }
    assert form_values(new, {"n1": "front", "n2": "back"})["secrets"]["secrets"] == ["tok", "other:/run/x"]


@pytest.mark.parametrize(
    ("sections", "named"),
    [
        ({"resources": {"limit_memory": "12QB"}}, "resources.limit_memory: invalid size '12QB'"),
        ({"ports": {"ports": ["70000:80"]}}, "ports.ports: invalid port '70000:80'"),
        ({"networks": {"networks": ["nowhere"]}}, "networks.networks: no network 'nowhere'"),
        ({"secrets": {"secrets": ["nosuch"]}}, "secrets.secrets: no secret 'nosuch'"),
        ({"container": {"env": ["=x"]}}, "container.env: invalid environment variable"),
        ({"restart": {"condition": "sometimes"}}, "restart.condition: 'sometimes' is not one of"),
        ({"update": {"max_failure_ratio": "2"}}, "update.max_failure_ratio: invalid ratio"),
        ({"mounts": {"mounts": ["type=bind,source=rel,target=/x"]}}, "mounts.mounts: invalid mount"),
        ({"bogus": {}}, "bogus: not a section"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(sections, named):
    before = copy.deepcopy(SPEC)
    with pytest.raises(InvalidAction, match="^" + named.replace("(", r"\(")):
        edit(**sections)
    assert before == SPEC  # the stored spec was not touched
