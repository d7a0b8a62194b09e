"""Conversion of loaded compose projects into Swarm API bodies (docker/cli convert rules)."""

from __future__ import annotations

import pytest

from swarmdeck.compose import load
from swarmdeck.compose.stack import convert
from swarmdeck.compose.stack.errors import StackError
from swarmdeck.compose.stack.specdiff import changes, normalise


def project(text: str, env: dict[str, str] | None = None):
    return load([("test.yml", text)], env=env or {}, working_dir="/srv/app").project


def spec(text: str, service: str = "web") -> dict:
    return convert.services("ns", project(text))[service]


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("busybox", "busybox:latest"),
        ("docker.io/library/nginx", "nginx:latest"),
        ("docker.io/foo/bar:2", "foo/bar:2"),
        ("index.docker.io/library/redis:7", "redis:7"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app:latest"),
        ("reg.example:5443/app:1", "reg.example:5443/app:1"),
        ("app@sha256:" + "a" * 64, "app@sha256:" + "a" * 64),
    ],
)
def test_images_get_the_moby_clients_tag(image, expected):
    assert convert.tagged(image) == expected


def test_digest_pinning_keeps_the_tag():
    assert convert.with_digest("busybox", "sha256:" + "b" * 64) == "busybox:latest@sha256:" + "b" * 64


def test_capabilities_are_normalised_sorted_and_add_beats_drop():
    assert convert.capabilities(["net_admin", "SYS_TIME"], ["mknod", "NET_ADMIN"]) == (
        ["CAP_NET_ADMIN", "CAP_SYS_TIME"],
        ["CAP_MKNOD"],
    )
    assert convert.capabilities(["all", "chown"], ["ALL"]) == (["ALL"], [])


def test_minimal_service_body_matches_the_cli():
    body = spec("version: '3.8'\nservices:\n  web:\n    image: busybox\n")
    assert body == {
        "Name": "ns_web",
        "Labels": {"com.docker.stack.namespace": "ns", "com.docker.stack.image": "busybox"},
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox",
                "Labels": {"com.docker.stack.namespace": "ns"},
                "Privileges": {"NoNewPrivileges": False},
            },
            "Resources": {},
            "Placement": {},
            "ForceUpdate": 0,
            "Networks": [{"Target": "ns_default", "Aliases": ["web"]}],
        },
        "Mode": {"Replicated": {}},
        "EndpointSpec": {},
    }


def test_sort_orders_and_defaults():
    body = spec("""
version: "3.8"
services:
  web:
    image: busybox
    environment: {ZED: "1", ALPHA: "2", NONE: null}
    extra_hosts: ["b:10.0.0.2", "a:10.0.0.1"]
    ulimits: {nproc: 10, nofile: {soft: 1, hard: 2}}
    ports: ["9000:90", "80", "8000:80/udp"]
    secrets: [zeta, {source: alpha, target: a.txt, mode: 0400}]
    networks: {zz: {aliases: [z]}, aa: null}
    deploy:
      endpoint_mode: DNSRR
      update_config: {delay: 1s}
networks: {zz: {}, aa: {name: shared-aa}}
secrets:
  zeta: {file: ./z}
  alpha: {external: true, name: outside}
""")
    container = body["TaskTemplate"]["ContainerSpec"]
    assert container["Env"] == ["ALPHA=2", "NONE", "ZED=1"]
    assert container["Hosts"] == ["10.0.0.2 b", "10.0.0.1 a"]
    assert [u["Name"] for u in container["Ulimits"]] == ["nofile", "nproc"]
    assert container["Ulimits"][1] == {"Name": "nproc", "Hard": 10, "Soft": 10}
    assert [p.get("PublishedPort", 0) for p in body["EndpointSpec"]["Ports"]] == [0, 8000, 9000]
    assert body["EndpointSpec"]["Mode"] == "dnsrr"
    assert container["Secrets"] == [
        {
            "File": {"Name": "zeta", "UID": "0", "GID": "0", "Mode": 0o444},
            "SecretID": "",
            "SecretName": "ns_zeta",
        },
        {
            "File": {"Name": "a.txt", "UID": "0", "GID": "0", "Mode": 0o400},
            "SecretID": "",
            "SecretName": "outside",
        },
    ]
    assert body["TaskTemplate"]["Networks"] == [
        {"Target": "ns_zz", "Aliases": ["z", "web"]},
        {"Target": "shared-aa", "Aliases": ["web"]},
    ]
    assert body["UpdateConfig"] == {
        "Parallelism": 1,
        "Delay": 1_000_000_000,
        "MaxFailureRatio": 0,
        "Order": "",
    }


@pytest.mark.parametrize(
    ("deploy", "mode"),
    [
        ("{replicas: 3}", {"Replicated": {"Replicas": 3}}),
        ("{mode: global}", {"Global": {}}),
        (
            "{mode: replicated-job, replicas: 2}",
            {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 2}},
        ),
        ("{mode: global-job}", {"GlobalJob": {}}),
    ],
)
def test_modes(deploy, mode):
    body = spec(f"version: '3.8'\nservices:\n  web:\n    image: busybox\n    deploy: {deploy}\n")
    assert body["Mode"] == mode


@pytest.mark.parametrize(
    ("restart", "policy"),
    [
        ("no", None),
        ("always", {"Condition": "any"}),
        ("unless-stopped", {"Condition": "any"}),
        ("on-failure", {"Condition": "on-failure", "MaxAttempts": 0}),
        ("on-failure:4", {"Condition": "on-failure", "MaxAttempts": 4}),
    ],
)
def test_restart_is_the_fallback_restart_policy(restart, policy):
    body = spec(f"version: '3.8'\nservices:\n  web:\n    image: busybox\n    restart: '{restart}'\n")
    assert body["TaskTemplate"].get("RestartPolicy") == policy


def test_unknown_restart_policy_is_refused_with_the_service_name():
    with pytest.raises(StackError, match="service web: unknown restart policy: sometimes"):
        spec("version: '3.8'\nservices:\n  web:\n    image: busybox\n    restart: sometimes\n")


def test_duplicate_secret_targets_are_refused():
    with pytest.raises(StackError, match="duplicate secret target for ns_b not allowed"):
        spec(
            "version: '3.8'\nservices:\n  web:\n    image: busybox\n"
            "    secrets: [{source: a, target: t}, {source: b, target: t}]\n"
            "secrets:\n  a: {file: ./a}\n  b: {file: ./b}\n"
        )


def test_only_used_networks_are_created_and_externals_checked():
    plan = convert.networks(
        "ns",
        project("""
version: "3.8"
services:
  web: {image: busybox, networks: [front, outside]}
  db: {image: busybox}
networks:
  front: {driver_opts: {mtu: "1400"}, ipam: {config: [{subnet: 10.1.0.0/24}]}}
  outside: {external: true, name: shared}
  unused: {}
"""),
    )
    assert sorted(plan.create) == ["ns_default", "ns_front"]
    assert plan.external == ["shared"]
    front = plan.create["ns_front"]
    assert front["Driver"] == "overlay" and front["Options"] == {"mtu": "1400"}
    assert front["IPAM"] == {"Driver": "", "Config": [{"Subnet": "10.1.0.0/24"}]}
    assert "IPAM" not in plan.create["ns_default"]


def test_engine_defaults_make_a_stored_spec_equal_to_the_converted_one():
    body = spec(
        "version: '3.8'\nservices:\n  web:\n    image: busybox\n    deploy: {update_config: {delay: 2s}}\n"
    )
    stored = {
        "Name": "ns_web",
        "Labels": body["Labels"],
        "TaskTemplate": {
            "ContainerSpec": {
                "Image": "busybox",
                "Labels": {"com.docker.stack.namespace": "ns"},
                "Privileges": {"CredentialSpec": None, "SELinuxContext": None},
                "StopGracePeriod": 10_000_000_000,
                "DNSConfig": {},
                "Isolation": "default",
            },
            "Resources": {},
            "Placement": {},
            "ForceUpdate": 0,
            "Runtime": "container",
            "RestartPolicy": {"Condition": "any", "Delay": 5_000_000_000, "MaxAttempts": 0},
            "Networks": [{"Target": "id1", "Aliases": ["web"]}],
        },
        "Mode": {"Replicated": {"Replicas": 1}},
        "UpdateConfig": {
            "Parallelism": 1,
            "Delay": 2_000_000_000,
            "FailureAction": "pause",
            "Monitor": 5_000_000_000,
            "MaxFailureRatio": 0,
            "Order": "stop-first",
        },
        "RollbackConfig": {
            "Parallelism": 1,
            "FailureAction": "pause",
            "Monitor": 5_000_000_000,
            "MaxFailureRatio": 0,
            "Order": "stop-first",
        },
        "EndpointSpec": {"Mode": "vip"},
    }
    names = {"id1": "ns_default"}
    assert changes(normalise(body, names), normalise(stored, names)) == []
    stored["Mode"]["Replicated"]["Replicas"] = 2
    stored["UpdateConfig"]["Parallelism"] = 0
    assert changes(normalise(body, names), normalise(stored, names)) == [
        "Mode.Replicated.Replicas",
        "UpdateConfig.Parallelism",
    ]


def test_fields_newer_than_the_api_version_are_not_compared():
    body = spec(
        "version: '3.13'\nservices:\n  web:\n    image: busybox\n"
        "    oom_score_adj: 10\n    healthcheck: {test: [CMD, 'true'], start_interval: 1s}\n"
    )
    stored = normalise(body, {}, "1.41")
    assert "OomScoreAdj" not in stored["TaskTemplate"]["ContainerSpec"]
    assert "StartInterval" not in stored["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    newer = normalise(body, {}, "1.47")["TaskTemplate"]["ContainerSpec"]
    assert newer["OomScoreAdj"] == 10 and newer["Healthcheck"]["StartInterval"] == 1_000_000_000
