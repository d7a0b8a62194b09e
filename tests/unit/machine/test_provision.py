"""Provisioning's pure parts: which systems are accepted, the drop-in's ExecStart."""

import pytest

from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.provision import check_os, drop_in, exec_start

DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'
UBUNTU = 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 41"\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nPRETTY_NAME="Linux Mint 22"\n'


def test_debian_and_ubuntu_are_accepted():
    assert check_os(DEBIAN) == "debian"
    assert check_os(UBUNTU) == "ubuntu"


@pytest.mark.parametrize(
    "text,name", [(FEDORA, "Fedora Linux 41"), (MINT, "Linux Mint 22"), ("", "an unknown")]
)
def test_others_are_refused_by_name(text, name):
    with pytest.raises(MachineError, match=f"runs {name}.*Debian and Ubuntu only"):
        check_os(text)


DEBIAN_UNIT = """# /lib/systemd/system/docker.service
[Service]
Type=notify
EnvironmentFile=-/etc/default/docker
ExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS
ExecReload=/bin/kill -s HUP $MAINPID

# /etc/systemd/system/docker.service.d/swarmdeck-tls.conf
[Service]
ExecStart=
ExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2376 --tlsverify
"""


def test_exec_start_keeps_the_package_command_and_ignores_drop_ins():
    command = exec_start(DEBIAN_UNIT, "/usr/sbin/dockerd")
    assert command.startswith("/usr/sbin/dockerd -H fd:// $DOCKER_OPTS -H tcp://0.0.0.0:2376 --tlsverify ")
    assert command.count("tcp://") == 1  # a second run does not add it twice
    assert "--tlscacert=/etc/docker/swarmdeck-ca.pem" in command
    assert "--tlskey=/etc/docker/swarmdeck-server-key.pem" in command


def test_exec_start_without_a_host_keeps_the_unix_socket():
    unit = (
        "# /lib/systemd/system/docker.service\n[Service]\n"
        "ExecStart=/usr/bin/dockerd --containerd=/run/c.sock\n"
    )
    command = exec_start(unit, "/usr/bin/dockerd")
    assert command.startswith(
        "/usr/bin/dockerd --containerd=/run/c.sock -H unix:///var/run/docker.sock -H tcp://"
    )


def test_exec_start_when_the_unit_cannot_be_read():
    assert exec_start("", "/usr/sbin/dockerd").startswith("/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:2376")


def test_drop_in_resets_exec_start_first():
    text = drop_in("/usr/sbin/dockerd -H fd://")
    assert "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd://\n" in text
