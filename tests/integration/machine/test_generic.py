"""`swarmdeck machine create --driver generic` on a real Debian VM, through the CLI.

The VM comes from the qemu test bed (``qemu_machines`` in tests/support/vms.py): booted,
answering SSH, with no Docker engine, so provisioning installs docker.io from the VM's
package sources. Then: ``machine ls`` shows it running with its engine's version; the docker
CLI with ``machine env``'s variables reaches the engine over TLS, and without the client
certificate is refused; ``machine ssh`` runs a command there; the console lists it as an
endpoint that answers; a second create of the name is refused; ``rm`` leaves nothing here
and takes swarmdeck's TLS set-up off the host (the engine package stays).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swarmdeck.machine import ssh
from swarmdeck.machine.driver import SSHTarget

pytestmark = [
    pytest.mark.vm,
    pytest.mark.slow,
    pytest.mark.timeout(1800),
]  # a VM image build, boots under emulation

NAME = "node1"


def _cli(env: dict[str, str], *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", "machine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _exports(lines: str) -> dict[str, str]:
    found = {}
    for line in lines.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            found[key] = value.strip('"')
    return found


def check_generic_machine(target: SSHTarget, engine_port: int, tmp_path: Path) -> dict[str, float]:
    """The whole walk on the host at ``target``; returns its timings (seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "SWARMDECK_"))}
    env["SWARMDECK_MACHINE_STORAGE_PATH"] = str(tmp_path / "machines")
    env["SWARMDECK_DATA_DIR"] = str(tmp_path / "console")
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).parents[3] / "src"), env.get("PYTHONPATH")])
    )
    timings = {}

    started = time.monotonic()
    made = _cli(
        env, "create", "--driver", "generic", "--ip", target.host, "--ssh-port", str(target.port),
        "--ssh-user", target.user, "--ssh-key", str(target.key), "--engine-port", str(engine_port), NAME,
    )  # fmt: skip
    timings["create"] = time.monotonic() - started
    assert made.returncode == 0, made.stderr + made.stdout
    assert f"Docker is up and running on {NAME}!" in made.stdout
    assert "Waiting for the engine's TLS API" in made.stdout

    listed = _cli(env, "ls", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    url = f"tcp://{target.host}:{engine_port}"
    assert (row["Name"], row["DriverName"], row["State"], row["URL"]) == (NAME, "generic", "Running", url)
    assert row["DockerVersion"] and not row["Error"]
    table = _cli(env, "ls").stdout.splitlines()
    assert table[0].split() == ["NAME", "ACTIVE", "DRIVER", "STATE", "URL", "SWARM", "DOCKER", "ERRORS"]
    assert table[1].split()[:5] == [NAME, "-", "generic", "Running", url]
    assert _cli(env, "ls", "-q").stdout.split() == [NAME]

    printed = _cli(env, "env", NAME)
    assert printed.returncode == 0, printed.stderr
    exports = _exports(printed.stdout)
    assert exports["DOCKER_HOST"] == url and exports["DOCKER_TLS_VERIFY"] == "1"
    assert exports["DOCKER_MACHINE_NAME"] == NAME
    assert f"# eval $(swarmdeck machine env {NAME})" in printed.stdout
    docker_env = {**env, **exports}
    version = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env=docker_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == row["DockerVersion"]
    # swarmdeck's own commands read the same variables (`eval $(machine env)`, then `up`).
    from swarmdeck.engine.client import connect

    with pytest.MonkeyPatch.context() as env_of_shell:
        for key, value in exports.items():
            env_of_shell.setenv(key, value)
        assert connect(timeout=60).version()["Version"] == row["DockerVersion"]
    ca_only = tmp_path / "ca-only"
    ca_only.mkdir()
    shutil.copy(Path(exports["DOCKER_CERT_PATH"]) / "ca.pem", ca_only / "ca.pem")
    refused = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env={**docker_env, "DOCKER_CERT_PATH": str(ca_only)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "certificate" in refused.stderr, refused.stderr

    kernel = _cli(env, "ssh", NAME, "uname", "-r")
    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout.strip() == ssh.run(target, "uname -r").stdout.strip()

    from swarmdeck.console.endpoints import probe
    from swarmdeck.store import Store

    console = Store(tmp_path / "console")
    try:
        endpoint = console.get_endpoint(NAME)
        assert endpoint.url == url and endpoint.tls and not endpoint.insecure
        answer = probe(endpoint, timeout=30, tls_files=console.endpoint_tls_files(endpoint))
        assert answer["healthy"], answer
        assert answer["engine_version"] == row["DockerVersion"]
    finally:
        console.close()

    again = _cli(
        env, "create", "--driver", "generic", "--ip", target.host, "--ssh-key", str(target.key), NAME
    )
    assert again.returncode == 1
    assert f"error: machine {NAME} already exists" in again.stderr

    started = time.monotonic()
    removed = _cli(env, "rm", "-y", NAME)
    timings["rm"] = time.monotonic() - started
    assert removed.returncode == 0, removed.stderr
    assert f"Successfully removed {NAME}" in removed.stdout
    assert not (tmp_path / "machines" / NAME).exists()
    assert _cli(env, "ls", "-q").stdout.strip() == ""
    console = Store(tmp_path / "console")
    try:
        assert NAME not in [e.name for e in console.list_endpoints()]
    finally:
        console.close()
    left = ssh.run(
        target,
        "for f in /etc/docker/swarmdeck-ca.pem /etc/docker/swarmdeck-server.pem "
        "/etc/docker/swarmdeck-server-key.pem /etc/systemd/system/docker.service.d/swarmdeck-tls.conf; "
        "do test -e $f && echo present $f; done; command -v dockerd",
    ).stdout
    assert "present" not in left, left
    assert left.strip().endswith("dockerd")  # the engine package stays
    return timings


def test_generic_machine_on_a_fresh_vm(qemu_machines, tmp_path):
    """A VM without Docker becomes a TLS Docker host, listed, reachable, and is removed."""
    (vm,) = qemu_machines(1)
    addresses = vm.addresses()
    timings = check_generic_machine(addresses.ssh, addresses.engine_port, tmp_path)
    print(f"generic machine on a fresh VM: {timings}")
