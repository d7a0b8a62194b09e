"""`swarmdeck machine` without a host: refusals are one `error:` line with exit 1 and change
nothing; an empty machines directory lists as docker-machine's header; `env --unset`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "SWARMDECK_"))}
    return {
        **clean,
        "SWARMDECK_MACHINE_STORAGE_PATH": str(tmp_path / "machines"),
        "SWARMDECK_DATA_DIR": str(tmp_path / "console"),
        "PYTHONPATH": str(Path(__file__).parents[3] / "src"),
    }


def machine(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "swarmdeck", "machine", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ls_of_no_machines(env):
    done = machine(env, "ls")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["NAME", "ACTIVE", "DRIVER", "STATE", "URL", "SWARM", "DOCKER", "ERRORS"]
    assert machine(env, "ls", "-q").stdout == ""
    assert machine(env, "ls", "--format", "json").stdout == ""


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["create", "--driver", "generic", "node1"],
            "error: the generic driver needs the host's address: --ip ADDR",
        ),
        (["create", "--driver", "vbox", "node1"], "error: --driver 'vbox': use qemu or generic"),
        (
            ["create", "--driver", "generic", "--ip", "10.0.0.1", "--ssh-key", "/nonexistent", "n"],
            "no such file",
        ),
        (
            ["create", "--driver", "generic", "--ip", "10.0.0.1", "../etc"],
            "error: invalid machine name '../etc'",
        ),
        (["inspect", "nope"], "error: no machine named 'nope'"),
        (["rm", "-y", "nope"], "error: no machine named 'nope'"),
        (["env", "nope"], "error: no machine named 'nope'"),
        (["ip", "nope"], "error: no machine named 'nope'"),
        (["ls", "--format", "{{.Nope}}"], "error: template: can't evaluate field Nope"),
    ],
)
def test_refusals_are_one_error_line_and_change_nothing(env, tmp_path, args, message):
    done = machine(env, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "machines").exists() or os.listdir(tmp_path / "machines") in ([], ["certs"])


def test_env_unset(env):
    done = machine(env, "env", "--unset")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == [
        "unset DOCKER_TLS_VERIFY",
        "unset DOCKER_HOST",
        "unset DOCKER_CERT_PATH",
        "unset DOCKER_MACHINE_NAME",
    ]


def test_every_command_has_an_example(env):
    for command in ["create", "ls", "ip", "ssh", "env", "start", "stop", "restart", "kill", "rm", "inspect"]:
        done = machine(env, command, "--help")
        assert done.returncode == 0, done.stderr
        assert "Example:" in done.stdout, command
