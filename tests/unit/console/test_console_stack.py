"""The `swarmdeck` stack's compose file, through swarmdeck's own compose engine: what the
console service gets (socket, volume, host network, placement, health probe, registries)."""

from __future__ import annotations

from pathlib import Path

import yaml

from swarmdeck.compose import load
from swarmdeck.compose.stack import convert
from swarmdeck.platform import console_service


def converted(**overrides) -> tuple[dict, convert.NetworkPlan]:
    args = {
        "image": "127.0.0.1:5000/swarmdeck-console:0.1.0",
        "node_id": "abc123",
        "port": 9100,
        "socket_path": "/run/other/docker.sock",
        "registries": ["127.0.0.1:5000"],
        "certs_dir": None,
    } | overrides
    text = yaml.safe_dump(console_service.compose_file(**args))
    project = load([("swarmdeck.yml", text)], env={}, working_dir="/srv").project
    return convert.services("swarmdeck", project)["console"], convert.networks("swarmdeck", project)


def test_the_console_service_mounts_the_engines_socket_and_its_volume_on_this_node():
    spec, networks = converted()
    container = spec["TaskTemplate"]["ContainerSpec"]
    mounts = {m["Target"]: (m["Type"], m["Source"]) for m in container["Mounts"]}
    assert mounts == {
        "/var/run/docker.sock": ("bind", "/run/other/docker.sock"),
        "/data": ("volume", "swarmdeck_console-data"),
    }
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == ["node.id == abc123"]
    assert [n["Target"] for n in spec["TaskTemplate"]["Networks"]] == ["host"]
    assert networks.create == {} and networks.external == ["host"]
    assert container["Args"] == [
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "9100",
        "--data-dir",
        "/data",
        "--registry",
        "127.0.0.1:5000",
    ]
    assert container["Healthcheck"]["Test"][-1] == "9100"  # probes the port it listens on


def test_the_engines_registry_cas_are_mounted_read_only_when_given():
    spec, _ = converted(certs_dir=Path("/etc/docker/certs.d"))
    mounts = spec["TaskTemplate"]["ContainerSpec"]["Mounts"]
    [certs] = [m for m in mounts if m["Target"] == "/etc/docker/certs.d"]
    assert (certs["Type"], certs["Source"], certs.get("ReadOnly")) == ("bind", "/etc/docker/certs.d", True)


def test_the_socket_mounted_is_the_one_up_talks_to():
    assert console_service.engine_socket("unix:///run/lone/docker.sock") == "/run/lone/docker.sock"
    assert console_service.engine_socket("tcp://10.0.0.1:2376") == "/var/run/docker.sock"
