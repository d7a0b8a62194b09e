"""Two real Debian VMs under qemu: they boot from the cached image, answer SSH with the key
given at boot, reach each other over the link, load IPVS, reach the host's apt mirror and
nothing else, stop and start again on the same disk, and are gone (process and files) after
kill and remove."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from swarmdeck.machine.image import VmImage
from swarmdeck.machine.qemu import QemuDriver
from tests.support.vms import vm_run

pytestmark = [
    pytest.mark.vm,
    pytest.mark.slow,
    pytest.mark.timeout(1800),
]  # a VM image build, boots under emulation


@pytest.fixture(scope="module")
def pair(qemu_machines) -> list[QemuDriver]:
    started = time.monotonic()
    machines = qemu_machines(2, publish=(8080,))
    print(f"two VMs booted to SSH in {time.monotonic() - started:.1f} s")
    return machines


def _ok(driver: QemuDriver, command: str, timeout: float = 180) -> str:
    done = vm_run(driver, command, timeout)
    assert done.returncode == 0, f"{command!r} on {driver.params()['hostname']}: {done.stdout}{done.stderr}"
    return done.stdout


def _qemu_processes_of(driver: QemuDriver) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(driver.disk).encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_each_vm_has_its_own_name_address_and_identity(pair):
    facts = [_ok(vm, "hostname; cat /etc/machine-id; ip -4 -o addr show").split("\n") for vm in pair]
    for number, lines in enumerate(facts, start=1):
        assert lines[0] == f"vm{number}"
        assert f"inet 10.77.0.{number}/24" in "\n".join(lines[2:])
        assert pair[number - 1].state() == "Running"
    assert facts[0][1] != facts[1][1], "both VMs have one machine-id"
    assert pair[0].addresses().ports.keys() == {8080}


def test_the_vms_reach_each_other_over_the_link(pair):
    _ok(pair[0], "ping -c 2 -W 3 10.77.0.2")
    _ok(pair[1], "ping -c 2 -W 3 10.77.0.1")


def test_ipvs_loads_and_ipvsadm_runs(pair):
    out = _ok(pair[0], "modprobe ip_vs && ipvsadm -Ln && lsmod")
    assert "IP Virtual Server" in out
    assert "br_netfilter" in out and "vxlan" in out  # loaded at boot by modules-load.d


def test_apt_reaches_the_mirror_and_nothing_else(pair, vm_image: VmImage):
    _ok(pair[0], "apt-get update -q", timeout=400)
    mirror = vm_image.forwards[0]
    mirror_ip = socket.gethostbyname(mirror.name)  # the same server, by address: not forwarded
    blocked = vm_run(pair[0], f"curl -sS -m 8 -o /dev/null http://{mirror_ip}:{mirror.port}/")
    assert blocked.returncode != 0, "the VM reached the mirror's address directly"
    ssh_port = pair[0].addresses().ssh.port
    to_host = vm_run(pair[0], f"curl -sS -m 8 -o /dev/null http://10.0.2.2:{ssh_port}/")
    assert to_host.returncode != 0, "the VM reached the host"


def test_kill_by_pid_stops_the_vm(pair):
    vm = pair[1]
    pid = vm.pid()
    assert pid is not None and pid in _qemu_processes_of(vm)
    vm.kill()
    assert vm.state() == "Stopped"
    assert _qemu_processes_of(vm) == []


def test_remove_leaves_no_files_and_no_process(pair):
    vm = pair[1]
    vm.remove()
    assert not vm.dir.exists()
    assert _qemu_processes_of(vm) == []
    users = Path(vm.params()["image"]) / "users"
    assert all(Path(user.read_text()) != vm.dir for user in users.iterdir())


def test_stop_powers_off_and_start_boots_the_same_disk(pair):
    vm = pair[0]
    identity = _ok(vm, "cat /etc/machine-id; cat /etc/ssh/ssh_host_ed25519_key.pub")
    vm.stop()
    assert vm.state() == "Stopped"
    assert _qemu_processes_of(vm) == []
    vm.start()
    assert vm.state() == "Running"
    assert _ok(vm, "cat /etc/machine-id; cat /etc/ssh/ssh_host_ed25519_key.pub") == identity
