"""The `swarmdeck` stack's compose file, through swarmdeck's own compose engine: what the
console service gets (socket, volume, host network, placement, health probe, registries)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from swarmdeck.compose import load
from swarmdeck.compose.stack import convert
from swarmdeck.platform import console_service
from swarmdeck.platform.errors import PlatformError


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


def test_replicas_share_the_database_and_the_key_secret_through_the_ingress():
    url = "postgresql+psycopg://console:Pw-n0t-in-spec@db.example:5432/console"
    spec, networks = converted(replicas=2, database_url=url, stack="sdtest")
    assert spec["Mode"] == {"Replicated": {"Replicas": 2}}
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Args"][-4:] == [
        "--database-url-file",
        "/run/secrets/console-database-url",
        "--shared-secret-file",
        "/run/secrets/console-key",
    ]
    secrets = {s["File"]["Name"]: (s["SecretName"], s["File"]["Mode"]) for s in container["Secrets"]}
    assert secrets == {
        "console-key": ("sdtest_console-key", 0o400),
        "console-database-url": (console_service.database_secret_name("sdtest", url), 0o400),
    }
    assert "Pw-n0t-in-spec" not in yaml.safe_dump(spec)  # the URL is in the secret only
    ports = spec["EndpointSpec"]["Ports"]
    assert [(p["TargetPort"], p["PublishedPort"], p["PublishMode"]) for p in ports] == [
        (9100, 9100, "ingress")
    ]
    assert "host" not in networks.external  # two tasks cannot both hold the host's port


def test_replicas_on_sqlite_are_refused():
    with pytest.raises(PlatformError, match="needs --console-database-url"):
        console_service.compose_file(
            "img", "node", 9000, "/var/run/docker.sock", [], None, replicas=2, database_url=None
        )
    with pytest.raises(PlatformError, match="at least 1"):
        console_service.check_replicas(0, "postgresql+psycopg://x@y/z")


def test_one_console_on_a_database_reads_its_url_from_a_secret_on_the_host_network():
    url = "postgresql+psycopg://console:hunter2secret@db.example/console"
    spec, networks = converted(database_url=url)
    container = spec["TaskTemplate"]["ContainerSpec"]
    assert container["Args"][-2:] == ["--database-url-file", "/run/secrets/console-database-url"]
    [secret] = container["Secrets"]
    assert secret["SecretName"] == console_service.database_secret_name("swarmdeck", url)
    assert "hunter2secret" not in yaml.safe_dump(spec) and not container.get("Env")
    assert networks.external == ["host"]


def test_the_database_secrets_name_changes_with_the_url_and_the_stack_only():
    name = console_service.database_secret_name
    one = name("swarmdeck", "postgresql+psycopg://u:pw1@db/console")
    assert one == name("swarmdeck", "postgresql+psycopg://u:pw1@db/console")
    assert one.startswith("swarmdeck_console-db-") and len(one) == len("swarmdeck_console-db-") + 12
    assert one != name("swarmdeck", "postgresql+psycopg://u:pw2@db/console")
    assert one.removeprefix("swarmdeck_") != name(
        "other", "postgresql+psycopg://u:pw1@db/console"
    ).removeprefix("other_")
