"""``machine env`` and ``machine ls`` output, and the generic driver's options."""

import json
from pathlib import Path

import pytest

from swarmdeck.cli.machine_cmds import ls_lines
from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.generic import generic_params
from swarmdeck.machine.machines import MachineRow, env_lines, unset_lines


def test_env_lines_are_docker_machines():
    assert env_lines("myvm1", "tcp://203.0.113.5:2376", Path("/m/myvm1")) == [
        'export DOCKER_TLS_VERIFY="1"',
        'export DOCKER_HOST="tcp://203.0.113.5:2376"',
        'export DOCKER_CERT_PATH="/m/myvm1"',
        'export DOCKER_MACHINE_NAME="myvm1"',
        "# Run this command to configure your shell: ",
        "# eval $(swarmdeck machine env myvm1)",
    ]


def test_unset_lines():
    assert unset_lines()[:4] == [
        "unset DOCKER_TLS_VERIFY",
        "unset DOCKER_HOST",
        "unset DOCKER_CERT_PATH",
        "unset DOCKER_MACHINE_NAME",
    ]
    assert unset_lines()[-1] == "# eval $(swarmdeck machine env --unset)"


ROWS = [
    MachineRow(
        Name="myvm1",
        Active="*",
        DriverName="generic",
        State="Running",
        URL="tcp://203.0.113.5:2376",
        Swarm="manager",
        DockerVersion="20.10.24+dfsg1",
        Error="",
    ),
    MachineRow(
        Name="b",
        Active="-",
        DriverName="qemu",
        State="Stopped",
        URL="",
        Swarm="",
        DockerVersion="",
        Error="",
    ),
]


def test_ls_table_has_docker_machines_columns():
    lines = ls_lines(ROWS, False, None)
    assert lines[0].split() == ["NAME", "ACTIVE", "DRIVER", "STATE", "URL", "SWARM", "DOCKER", "ERRORS"]
    assert lines[1].split() == [
        "myvm1",
        "*",
        "generic",
        "Running",
        "tcp://203.0.113.5:2376",
        "manager",
        "20.10.24+dfsg1",
    ]
    assert lines[0].index("ACTIVE") == lines[1].index("*") == len("myvm1") + 3
    assert lines[2].split() == ["b", "-", "qemu", "Stopped"]


def test_ls_quiet_json_and_template():
    assert ls_lines(ROWS, True, None) == ["myvm1", "b"]
    assert json.loads(ls_lines(ROWS, False, "json")[0])["URL"] == "tcp://203.0.113.5:2376"
    assert ls_lines(ROWS, False, "{{.Name}} {{.State}}") == ["myvm1 Running", "b Stopped"]


def test_generic_params(tmp_path):
    key = tmp_path / "id"
    key.write_text("k")
    assert generic_params("203.0.113.5", "root", key, 22) == {
        "ip": "203.0.113.5",
        "ssh_user": "root",
        "ssh_key": str(key),
        "ssh_port": 22,
        "engine_port": 2376,
    }
    with pytest.raises(MachineError, match="--ip ADDR"):
        generic_params(None, "root", key, 22)
    with pytest.raises(MachineError, match="--ssh-key FILE"):
        generic_params("203.0.113.5", "root", None, 22)
    with pytest.raises(MachineError, match="no such file"):
        generic_params("203.0.113.5", "root", tmp_path / "nope", 22)
    with pytest.raises(MachineError, match="--ssh-port 0"):
        generic_params("203.0.113.5", "root", key, 0)
    for user in ("-oProxyCommand=x", "a b", "a@b", ""):
        with pytest.raises(MachineError, match="not a user name"):
            generic_params("203.0.113.5", user, key, 22)
    for ip in ("-oProxyCommand=x", "a b", "a/b"):
        with pytest.raises(MachineError, match="not an address"):
            generic_params(ip, "root", key, 22)
