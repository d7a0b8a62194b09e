"""The machines directory: names, config.json, link indexes, the per-machine SSH key."""

import json
import stat
import subprocess

import pytest

from swarmdeck.machine.errors import MachineError, MachineExists, NoSuchMachine
from swarmdeck.machine.store import MachineStore, check_name, ssh_keypair, storage_path


@pytest.mark.parametrize("name", ["default", "myvm1", "a", "node-1.example", "A9"])
def test_valid_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-x", ".x", "../etc", "a/b", "a..b", "a b", "a_b", "name\n", "é", "x" * 64, "/abs"]
)
def test_invalid_names_are_refused_with_one_message(name):
    with pytest.raises(MachineError, match="invalid machine name"):
        check_name(name)


def test_storage_path_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SWARMDECK_MACHINE_STORAGE_PATH", str(tmp_path / "m"))
    assert storage_path() == tmp_path / "m"
    monkeypatch.delenv("SWARMDECK_MACHINE_STORAGE_PATH")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert storage_path() == tmp_path / ".swarmdeck" / "machines"


def test_reserve_writes_config_and_takes_the_lowest_free_index(tmp_path):
    store = MachineStore(tmp_path / "machines")
    a = store.reserve("a", "generic", {"ip": "10.0.0.1"})
    b = store.reserve("b", "qemu", {})
    c = store.reserve("c", "qemu", {})
    assert (a.index, b.index, c.index) == (1, 2, 3)
    store.delete("b")
    assert store.reserve("d", "qemu", {}).index == 2  # the lowest free one again
    data = json.loads((tmp_path / "machines" / "a" / "config.json").read_text())
    assert data["driver"] == "generic" and data["params"] == {"ip": "10.0.0.1"} and data["index"] == 1
    assert data["created"].endswith("+00:00")
    assert store.names() == ["a", "c", "d"]
    assert stat.S_IMODE((tmp_path / "machines").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "machines" / "a").stat().st_mode) == 0o700


def test_a_taken_name_is_refused_and_changes_nothing(tmp_path):
    store = MachineStore(tmp_path)
    store.reserve("a", "generic", {"ip": "10.0.0.1"})
    with pytest.raises(MachineExists, match="machine a already exists"):
        store.reserve("a", "qemu", {})
    assert store.load("a").driver == "generic"


def test_unknown_machine(tmp_path):
    with pytest.raises(NoSuchMachine, match="no machine named 'nope'"):
        MachineStore(tmp_path).load("nope")
    assert MachineStore(tmp_path / "missing").names() == []


def test_ssh_keypair_is_an_ed25519_key_made_once(tmp_path):
    key = ssh_keypair(tmp_path)
    assert key == tmp_path / "id_ed25519"
    assert (tmp_path / "id_ed25519.pub").read_text().startswith("ssh-ed25519 ")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    assert ssh_keypair(tmp_path).read_bytes() == before
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True, check=True
    )
    assert "(ED25519)" in fingerprint.stdout
