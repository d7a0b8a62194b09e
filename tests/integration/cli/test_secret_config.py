"""`swarmdeck secret|config ...` against the real swarm, side by side with the `docker` CLI."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import docker
import docker.errors
import docker.types
import pytest

KINDS = ("secret", "config")


def swarmdeck(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", *args], input=stdin, capture_output=True, timeout=60
    )


def docker_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=60)


def lines(run: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert run.returncode == 0, run.stderr.decode()
    return run.stdout.decode().splitlines()


@pytest.fixture
def names(engine: docker.DockerClient) -> Iterator[list[str]]:
    """Names for this test's secrets and configs; whatever is left of them is removed after."""
    made: list[str] = []
    yield made
    for name in made:
        for remove in (engine.api.remove_secret, engine.api.remove_config):
            with contextlib.suppress(docker.errors.NotFound):
                remove(name)


def fresh(names: list[str], prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    names.append(name)
    return name


@pytest.mark.parametrize("kind", KINDS)
def test_created_by_swarmdeck_is_what_docker_sees(kind, swarm, names, tmp_path):
    name = fresh(names, f"sd{kind}")
    data = tmp_path / "data.txt"
    data.write_bytes(b"s3cret value\n")
    created = lines(swarmdeck(kind, "create", "--label", "team=blue", "--label", "tier=db", name, str(data)))
    assert len(created) == 1 and len(created[0]) == 25
    theirs = json.loads(docker_cli(kind, "inspect", name).stdout)
    assert theirs[0]["ID"] == created[0]
    assert theirs[0]["Spec"]["Name"] == name
    assert theirs[0]["Spec"]["Labels"] == {"team": "blue", "tier": "db"}
    listed = lines(docker_cli(kind, "ls", "--filter", f"name={name}", "--format", "{{.ID}} {{.Name}}"))
    assert listed == [f"{created[0]} {name}"]
    ours = json.loads(swarmdeck(kind, "inspect", name).stdout)
    assert ours == theirs  # same document: for a config, the same base64 data
    if kind == "config":
        assert ours[0]["Spec"]["Data"] == "czNjcmV0IHZhbHVlCg=="
    else:
        assert "Data" not in ours[0]["Spec"]


@pytest.mark.parametrize("kind", KINDS)
def test_created_by_docker_is_listed_by_swarmdeck(kind, swarm, names):
    name = fresh(names, f"dk{kind}")
    made = lines(docker_cli(kind, "create", "--label", "from=docker", name, "-", stdin=b"abc"))[0]
    ours = lines(swarmdeck(kind, "ls", "--filter", f"name={name}"))
    theirs = lines(docker_cli(kind, "ls", "--filter", f"name={name}"))
    assert ours[0].split() == theirs[0].split()  # docker's columns; widths up to the ages
    assert ours[0].index("CREATED") == theirs[0].index("CREATED")
    assert ours[1].split()[:2] == theirs[1].split()[:2] == [made, name]
    assert lines(swarmdeck(kind, "ls", "-q", "--filter", f"name={name}")) == [made]
    row = json.loads(lines(swarmdeck(kind, "ls", "--format", "json", "--filter", f"name={name}"))[0])
    docker_row = json.loads(lines(docker_cli(kind, "ls", "--format", "json", "--filter", f"name={name}"))[0])
    assert row.keys() == docker_row.keys()
    assert (row["ID"], row["Name"], row["Labels"]) == (made, name, "from=docker")
    assert (docker_row["ID"], docker_row["Name"], docker_row["Labels"]) == (made, name, "from=docker")
    pretty = swarmdeck(kind, "inspect", "--pretty", name).stdout.decode().splitlines()
    docker_pretty = docker_cli(kind, "inspect", "--pretty", name).stdout.decode().splitlines()
    assert pretty == docker_pretty


@pytest.mark.parametrize("kind", KINDS)
def test_in_use_is_refused_until_the_service_goes(
    kind, swarm, engine, names, swarm_cleanup, registry_busybox_image
):
    name = fresh(names, f"use{kind}")
    spare = fresh(names, f"spare{kind}")
    object_id = lines(swarmdeck(kind, "create", name, "-", stdin=b"x"))[0]
    lines(swarmdeck(kind, "create", spare, "-", stdin=b"y"))
    ref = (
        {"secrets": [docker.types.SecretReference(object_id, name)]}
        if kind == "secret"
        else {"configs": [docker.types.ConfigReference(object_id, name)]}
    )
    service = swarm_cleanup.service(registry_busybox_image, ["sleep", "3600"], **ref)
    service_name = service.name

    from swarmdeck.swarm import objects

    assert objects.users(engine, kind, name) == [service_name]
    assert objects.users(engine, kind, spare) == []

    refused = swarmdeck(kind, "rm", name, spare)
    assert refused.returncode == 1
    assert refused.stdout.decode().splitlines() == [spare]  # the next one was still removed
    error = refused.stderr.decode()
    assert error.startswith("error: ") and "Traceback" not in error
    assert "in use" in error and service_name in error
    assert docker_cli(kind, "rm", name).returncode == 1  # docker refuses it too: it is still there
    assert lines(docker_cli(kind, "ls", "-q", "--filter", f"id={object_id}")) == [object_id]

    engine.api.remove_service(service.id)
    assert lines(swarmdeck(kind, "rm", name)) == [name]
    assert lines(docker_cli(kind, "ls", "-q", "--filter", f"id={object_id}")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_changes_nothing(kind, swarm, names):
    bad = swarmdeck(kind, "create", "bad/name", "-", stdin=b"x")
    assert bad.returncode == 1 and b"bad/name" in bad.stderr and b"Traceback" not in bad.stderr
    missing = swarmdeck(kind, "create", fresh(names, "nofile"), "/nonexistent/file")
    assert missing.returncode == 1 and b"/nonexistent/file" in missing.stderr
    assert swarmdeck(kind, "ls", "--format", "yaml").returncode == 1
    assert swarmdeck(kind, "inspect", "no-such-object-here").returncode == 1
    assert lines(docker_cli(kind, "ls", "-q", "--filter", "name=nofile")) == []


@pytest.mark.parametrize("kind", KINDS)
def test_listed_in_dockers_order(kind, swarm, names):
    prefix = fresh(names, f"ord{kind}")
    for suffix in ("k10", "k2", "a1"):
        names.append(f"{prefix}-{suffix}")
        lines(docker_cli(kind, "create", f"{prefix}-{suffix}", "-", stdin=b"z"))
    ours = lines(swarmdeck(kind, "ls", "--filter", f"name={prefix}"))
    theirs = lines(docker_cli(kind, "ls", "--filter", f"name={prefix}"))
    assert [row.split()[:2] for row in ours] == [row.split()[:2] for row in theirs]
    assert [row.split()[1] for row in ours[1:]] == [f"{prefix}-a1", f"{prefix}-k2", f"{prefix}-k10"]
