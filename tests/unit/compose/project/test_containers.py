"""One replica -> the Engine API create request, as Compose v2 builds it (no engine needed:
the SDK's APIClient only formats the request here)."""

from __future__ import annotations

import docker
import pytest

from swarmdeck.compose import load
from swarmdeck.compose.project import names as n
from swarmdeck.compose.project import plan_project
from swarmdeck.compose.project.containers import container_spec, restart_policy

API = docker.APIClient(version="1.41")


def spec_of(text: str, service: str = "web", number: int = 1, tmp_path=None):
    plan = plan_project(load([("docker-compose.yml", text)], env={}, working_dir=tmp_path), "proj")
    return plan, container_spec(plan, plan.service(service), number, "sha256:abc", API)


@pytest.mark.parametrize(
    ("restart", "deploy", "expected"),
    [
        (None, None, ("no", 0)),
        ("always", None, ("always", 0)),
        ("on-failure:3", None, ("on-failure", 3)),
        ("unless-stopped", None, ("unless-stopped", 0)),
        ("always", "{condition: on-failure, max_attempts: 2}", ("on-failure", 2)),
        (None, "{condition: any}", ("always", 0)),
        (None, "{condition: none}", ("no", 0)),
    ],
)
def test_restart_policy_as_compose_maps_it(restart, deploy, expected):
    text = 'version: "3.8"\nservices:\n  web:\n    image: x\n'
    if restart:
        text += f"    restart: {restart}\n"
    if deploy:
        text += f"    deploy: {{restart_policy: {deploy}}}\n"
    service = load([("f.yml", text)], env={}).project.services["web"]
    policy = restart_policy(service)
    assert (policy["Name"], policy["MaximumRetryCount"]) == expected


def test_limits_and_memory_reservation_reach_the_host_config():
    _, spec = spec_of("""
version: "3.13"
services:
  web:
    image: x
    deploy:
      resources:
        limits: {cpus: "0.2", memory: 100M, pids: 50}
        reservations: {cpus: "0.1", memory: 20M}
""")
    host = spec.create["host_config"]
    assert host["NanoCpus"] == 200_000_000
    assert host["Memory"] == 100 * 1024 * 1024
    assert host["MemoryReservation"] == 20 * 1024 * 1024
    assert host["PidsLimit"] == 50
    assert "CpuShares" not in host  # a CPU reservation only means something to a swarm


def test_names_labels_aliases_and_networks():
    plan, spec = spec_of(
        """
services:
  web:
    image: x
    labels: {mine: "1"}
    depends_on: [db]
    networks:
      front: {aliases: [www]}
      back:
  db: {image: x}
networks: {front: {}, back: {}}
""",
        number=3,
    )
    assert spec.name == "proj-web-3"
    labels = spec.create["labels"]
    assert labels["mine"] == "1"
    assert labels[n.PROJECT] == "proj" and labels[n.SERVICE] == "web"
    assert labels[n.NUMBER] == "3" and labels[n.ONEOFF] == "False"
    assert labels[n.CONFIG_HASH] == plan.service("web").config_hash
    assert labels[n.IMAGE] == "sha256:abc"
    assert labels[n.DEPENDS_ON] == "db:service_started:false"
    # the first network by name is attached at create time, the others before start
    assert spec.create["host_config"]["NetworkMode"] == "proj_back"
    assert spec.create["networking_config"]["EndpointsConfig"]["proj_back"]["Aliases"] == [
        "proj-web-3",
        "web",
    ]
    assert spec.connect == [("proj_front", {"aliases": ["proj-web-3", "web", "www"]})]


def test_ports_command_environment_healthcheck():
    _, spec = spec_of("""
services:
  web:
    image: x
    command: httpd -f -p 80
    entrypoint: ["/bin/sh", "-c"]
    environment: {A: "1", UNSET: null}
    ports: ["6767:80", "81", "53:53/udp"]
    expose: ["9000"]
    stop_grace_period: 3s
    healthcheck: {test: wget -q localhost, interval: 2s, retries: 3}
""")
    create = spec.create
    assert create["command"] == ["httpd", "-f", "-p", "80"]
    assert create["entrypoint"] == ["/bin/sh", "-c"]
    assert create["environment"] == ["A=1"]
    assert create["stop_timeout"] == 3
    assert create["healthcheck"] == {
        "test": ["CMD-SHELL", "wget -q localhost"],
        "interval": 2_000_000_000,
        "retries": 3,
    }
    assert create["host_config"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "6767"}],
        "81/tcp": [{"HostIp": "", "HostPort": ""}],
        "53/udp": [{"HostIp": "", "HostPort": "53"}],
    }
    assert set(create["ports"]) == {(80, "tcp"), (81, "tcp"), (53, "udp"), (9000, "tcp")}


def test_volumes_binds_tmpfs_and_file_secrets(tmp_path):
    (tmp_path / "s.txt").write_text("x")
    _, spec = spec_of(
        """
version: "3.8"
services:
  web:
    image: x
    volumes:
      - data:/data
      - ./site:/www:ro
      - /anonymous
      - {type: tmpfs, target: /scratch, tmpfs: {size: 1048576}}
    secrets: [s]
volumes: {data: {}}
secrets: {s: {file: ./s.txt}}
""",
        tmp_path=tmp_path,
    )
    host = spec.create["host_config"]
    assert host["Binds"] == [f"{tmp_path}/site:/www:ro", f"{tmp_path}/s.txt:/run/secrets/s:ro"]
    mounts = [(m["Type"], m.get("Source"), m["Target"]) for m in host["Mounts"]]
    assert mounts == [
        ("volume", "proj_data", "/data"),
        ("volume", None, "/anonymous"),
        ("tmpfs", None, "/scratch"),
    ]
    assert host["Mounts"][2]["TmpfsOptions"] == {"SizeBytes": 1048576}
