"""One cached image serves every machine: the recipe holds no per-machine fact, points the
mirror's names at the forwarded guest addresses, and its hash follows the mirror."""

from __future__ import annotations

import pytest

from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.image import recipe
from swarmdeck.machine.mirror import AptSource, Mirrors
from swarmdeck.machine.qemu import QemuDriver

MAIN = AptSource("http://mirror.example.test/debian", ("bookworm",), ("main",))
SECURITY = AptSource("http://sec.example.test/debian-security", ("bookworm-security",), ("main",))


def test_hosts_map_each_mirror_name_to_its_guest_address():
    files = recipe(Mirrors((MAIN, SECURITY), True)).files
    assert "10.0.2.100\tmirror.example.test\n" in files["etc/hosts"]
    assert "10.0.2.101\tsec.example.test\n" in files["etc/hosts"]
    assert "URIs: http://sec.example.test/debian-security" in files["etc/apt/sources.list.d/debian.sources"]


def test_no_key_hostname_or_link_address_is_baked_in():
    files = recipe(Mirrors((MAIN,), True)).files
    assert files["etc/hostname"] == ""
    assert not any(name.startswith("root/") for name in files)
    assert "10.77.0." not in "".join(files.values())
    assert "PasswordAuthentication no" in files["etc/ssh/sshd_config.d/swarmdeck.conf"]


def test_the_hash_follows_the_mirror_and_apt_settings():
    one = recipe(Mirrors((MAIN,), True))
    assert one.key == recipe(Mirrors((MAIN,), True)).key
    assert one.key != recipe(Mirrors((MAIN, SECURITY), True)).key
    relaxed = recipe(Mirrors((MAIN,), False))
    assert relaxed.key != one.key
    assert 'Check-Valid-Until "false"' in relaxed.files["etc/apt/apt.conf.d/10swarmdeck-valid-until"]


@pytest.mark.parametrize(
    "params",
    [{"key": "/k"}, {"index": 0, "key": "/k"}, {"index": 3}, {"index": 3, "key": "/k", "disk": "1G"}],
)
def test_a_qemu_machine_needs_an_index_and_a_key(tmp_path, params):
    with pytest.raises(MachineError):
        QemuDriver(tmp_path / "m", params)
    assert not (tmp_path / "m").exists()


def test_create_with_a_missing_key_changes_nothing(tmp_path):
    driver = QemuDriver(tmp_path / "m", {"index": 1, "key": str(tmp_path / "absent")})
    with pytest.raises(MachineError, match="does not exist"):
        driver.create()
    assert not (tmp_path / "m").exists()


def test_the_engine_flavour_adds_only_the_engine_and_has_its_own_cache_folder():
    mirrors = Mirrors((MAIN,), True)
    plain, engine = recipe(mirrors, "plain"), recipe(mirrors, "engine")
    assert set(engine.packages) - set(plain.packages) == {"docker.io"}
    assert "docker.io" not in plain.packages
    assert plain.files == engine.files
    assert plain.key != engine.key


def test_an_unknown_flavour_is_refused():
    with pytest.raises(MachineError, match="no VM image flavour 'boot2docker'"):
        recipe(Mirrors((MAIN,), True), "boot2docker")
