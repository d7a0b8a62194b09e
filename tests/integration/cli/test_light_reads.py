"""The CLI's pure reads go through the light engine client (``engine.light``), not the docker SDK.

Each runs as a process against the real engine: its output is the docker CLI's, and the
modules it loaded include neither the docker SDK nor requests (the start-up they cost is
what the light client is for). A dead endpoint reads the same as on the SDK path.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.support.cli import CLIENT_ENV, docker, ok, probe_argv, split_loaded, swarmdeck
from tests.testbed import Swarm

HEAVY = ("docker", "requests", "urllib3", "paramiko", "pydantic")


def probe(*args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    run = subprocess.run(
        [*probe_argv(HEAVY), *args], capture_output=True, text=True, timeout=60, env=CLIENT_ENV
    )
    return run, split_loaded(run.stderr)[1]


@pytest.mark.parametrize("args", [["stack", "ls"], ["node", "ls"], ["service", "ls", "-q"]])
def test_reads_load_no_sdk_and_print_what_docker_prints(swarm: Swarm, args: list[str]) -> None:
    for _ in range(3):  # other tests' services may change between the two reads
        run, loaded = probe(*args)
        assert run.returncode == 0, run.stderr
        if run.stdout == ok(docker(*args)):
            break
    assert loaded == [], f"{args} loaded {loaded}"
    assert sorted(run.stdout.splitlines()) == sorted(ok(docker(*args)).splitlines())


def test_stack_services_and_ps_of_a_missing_stack_answer_as_docker_without_the_sdk(swarm: Swarm) -> None:
    run, loaded = probe("stack", "services", "sd-light-no-such-stack")
    assert loaded == []
    theirs = docker("stack", "services", "sd-light-no-such-stack")
    assert (run.returncode, run.stdout) == (theirs.returncode, theirs.stdout)
    assert "Nothing found in stack: sd-light-no-such-stack" in run.stderr


def test_a_dead_socket_reads_as_on_the_sdk_path(tmp_path) -> None:
    host = f"unix://{tmp_path}/no-engine.sock"
    light, loaded = probe("stack", "ls", "--host", host)
    sdk = swarmdeck("swarm", "nodes", "--host", host)  # a command on the SDK's client
    assert loaded == []
    assert light.returncode == sdk.returncode == 1
    expected = f"no Docker engine answers at {host} (no such socket)"
    assert expected in light.stderr and expected in sdk.stderr
    assert "Traceback" not in light.stderr


def test_a_bare_stack_ls_is_answered_before_the_command_framework_loads(swarm: Swarm, tmp_path) -> None:
    """`cli.entry` answers `stack ls` itself (Typer is most of its start-up); on an error it
    hands over to the command line, whose message and exit status are the usual ones."""
    argv = [*probe_argv(("typer", "click", "rich")), "stack", "ls"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=CLIENT_ENV)
    stderr, loaded = split_loaded(run.stderr)
    assert (run.returncode, stderr, loaded) == (0, "", [])
    assert sorted(run.stdout.splitlines()) == sorted(ok(docker("stack", "ls")).splitlines())
    host = f"unix://{tmp_path}/no-engine.sock"
    dead = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, env={**CLIENT_ENV, "DOCKER_HOST": host}
    )
    stderr, loaded = split_loaded(dead.stderr)
    assert dead.returncode == 1 and "typer" in loaded  # the command line reported it
    assert stderr.strip() == f"error: no Docker engine answers at {host} (no such socket)"
