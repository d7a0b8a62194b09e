"""The VMs' mirror comes from this host's apt sources, in either format, and only a bookworm
http mirror is accepted (the test files name a made-up host, never a real mirror)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmdeck.machine.errors import MachineError
from swarmdeck.machine.mirror import Mirrors, read_sources, release_sources

DEB822 = """\
Types: deb deb-src
# a comment inside the stanza
URIs: http://mirror.example.test/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example.test:8080/debian-security/
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example.test/debian
Suites: bookworm

Types: deb
URIs: http://other.example.test/debian
Suites: trixie
"""

ONE_LINE = """\
# the classic format
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://mirror.example.test/debian bookworm main
deb-src http://mirror.example.test/debian bookworm main
deb http://mirror.example.test/debian bookworm-updates main non-free-firmware
deb http://security.example.test/debian-security bookworm-security main  # trailing
"""


def _apt(tmp_path: Path, sources: str = "", one_line: str = "") -> Path:
    (tmp_path / "sources.list.d").mkdir()
    if sources:
        (tmp_path / "sources.list.d" / "debian.sources").write_text(sources)
    if one_line:
        (tmp_path / "sources.list").write_text(one_line)
    return tmp_path


def test_deb822_gives_the_release_and_security_mirrors_with_their_ports(tmp_path):
    sources = release_sources(read_sources(_apt(tmp_path, sources=DEB822)))
    assert [(s.uri, s.host, s.port) for s in sources] == [
        ("http://mirror.example.test/debian", "mirror.example.test", 80),
        ("http://security.example.test:8080/debian-security", "security.example.test", 8080),
    ]
    assert sources[0].suites == ("bookworm", "bookworm-updates")
    assert sources[0].components == ("main", "contrib")


def test_one_line_format_merges_suites_per_uri(tmp_path):
    sources = release_sources(read_sources(_apt(tmp_path, one_line=ONE_LINE)))
    assert [s.uri for s in sources] == [
        "http://mirror.example.test/debian",
        "http://security.example.test/debian-security",
    ]
    assert sources[0].suites == ("bookworm", "bookworm-updates")
    assert sources[0].components == ("main", "non-free-firmware")


def test_forwards_give_one_guest_address_per_host(tmp_path):
    mirrors = Mirrors(release_sources(read_sources(_apt(tmp_path, sources=DEB822))), True)
    assert [(f.name, f.guest, f.port) for f in mirrors.forwards()] == [
        ("mirror.example.test", "10.0.2.100", 80),
        ("security.example.test", "10.0.2.101", 8080),
    ]
    assert "URIs: http://security.example.test:8080/debian-security\n" in mirrors.deb822()


def test_same_host_on_two_paths_is_one_forward(tmp_path):
    text = (
        "deb http://m.example.test/debian bookworm main\n"
        "deb http://m.example.test/debian-security bookworm-security main\n"
    )
    mirrors = Mirrors(release_sources(read_sources(_apt(tmp_path, one_line=text))), True)
    assert [(f.name, f.guest, f.port) for f in mirrors.forwards()] == [("m.example.test", "10.0.2.100", 80)]


def test_no_bookworm_source_is_one_clear_error(tmp_path):
    apt = _apt(tmp_path, one_line="deb http://m.example.test/debian trixie main\n")
    with pytest.raises(MachineError, match="no Debian bookworm mirror"):
        release_sources(read_sources(apt))


def test_https_mirror_is_refused(tmp_path):
    apt = _apt(tmp_path, one_line="deb https://m.example.test/debian bookworm main\n")
    with pytest.raises(MachineError, match="plain http"):
        release_sources(read_sources(apt))
