"""Short syntaxes (ports, volumes) and env files, parsed like the docker CLI."""

from pathlib import Path

import pytest

from swarmdeck.compose.envfile import EnvFileError, parse_env_file
from swarmdeck.compose.ports import PortError, short_syntax
from swarmdeck.compose.volumespec import parse_volume


def _port(target, published, protocol="tcp"):
    return {"mode": "ingress", "target": target, "published": published, "protocol": protocol}


@pytest.mark.parametrize(
    ("spec", "ports"),
    [
        ("80", [_port(80, 0)]),
        ("8080:80", [_port(80, 8080)]),
        ("8080:80/udp", [_port(80, 8080, "udp")]),
        ("53:53/UDP", [_port(53, 53, "udp")]),
        ("9000-9001:80-81", [_port(80, 9000), _port(81, 9001)]),
        ("8000-8002:80", [_port(80, 8000), _port(80, 8001), _port(80, 8002)]),
        ("0.0.0.0:80:80", [_port(80, 80)]),
        ("80/sctp", [_port(80, 0, "sctp")]),
        # ports of one entry are ordered by their "port/proto" text, as the CLI sorts them
        (
            "9998-10001:9998-10001",
            [_port(10000, 10000), _port(10001, 10001), _port(9998, 9998), _port(9999, 9999)],
        ),
    ],
)
def test_short_ports(spec, ports):
    warnings: list[str] = []
    assert short_syntax(spec, warnings) == ports
    assert warnings == []


def test_a_host_ip_is_ignored_with_a_warning():
    warnings: list[str] = []
    assert short_syntax("127.0.0.1:8080:80", warnings) == [_port(80, 8080)]
    assert short_syntax("[::1]:53:53/udp", warnings) == [_port(53, 53, "udp")]
    assert warnings == [
        "ignoring IP-address (127.0.0.1:8080:80/tcp) service will listen on '0.0.0.0'",
        "ignoring IP-address ([::1]:53:53/udp) service will listen on '0.0.0.0'",
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no port specified: <empty>"),
        ("8080:", "no port specified: 8080:<empty>"),
        ("abc", "invalid containerPort: abc"),
        ("70000", "invalid containerPort: 70000"),
        ("x:80", "invalid hostPort: x"),
        ("80:80/icmp", "invalid proto: icmp"),
        ("1.2.3:80:80", "invalid IP address: 1.2.3"),
        ("8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"),
        ("90-80", "invalid containerPort: 90-80"),
    ],
)
def test_bad_short_ports(spec, message):
    with pytest.raises(PortError) as caught:
        short_syntax(spec, [])
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("spec", "volume"),
    [
        ("/data", {"type": "volume", "target": "/data"}),
        ("db:/var/lib/db", {"type": "volume", "source": "db", "target": "/var/lib/db"}),
        ("./conf:/conf:ro", {"type": "bind", "source": "./conf", "target": "/conf", "read_only": True}),
        (
            "/srv:/srv:rw,rshared",
            {"type": "bind", "source": "/srv", "target": "/srv", "bind": {"propagation": "rshared"}},
        ),
        ("~/x:/x", {"type": "bind", "source": "~/x", "target": "/x"}),
        (
            "cache:/c:nocopy,z",
            {"type": "volume", "source": "cache", "target": "/c", "volume": {"nocopy": True}},
        ),
        ("C:\\data:/data", {"type": "bind", "source": "C:\\data", "target": "/data"}),
        ("/a", {"type": "volume", "target": "/a"}),
        ("ab", {"type": "volume", "target": "ab"}),
    ],
)
def test_short_volumes(spec, volume):
    assert parse_volume(spec) == volume


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "invalid empty volume spec"),
        ("vol:/a:ro:x", "invalid spec: vol:/a:ro:x: too many colons"),
        ("::/x", "invalid spec: ::/x: empty section between colons"),
        ("/data:", "invalid spec: /data:: empty section between colons"),
    ],
)
def test_bad_short_volumes(spec, message):
    with pytest.raises(ValueError) as caught:
        parse_volume(spec)
    assert str(caught.value) == message


def test_env_file_rules(tmp_path: Path):
    env_file = tmp_path / "app.env"
    env_file.write_bytes(
        b'\xef\xbb\xbfFIRST=1\r\n# comment\n\n   LEADING=spaces  \nQUOTED="no stripping"\n'
        b"INTERPOLATED=${NOT}\nFROM_ENV\nMISSING\nEQUALS=a=b\nEMPTY=\n"
    )
    pairs = parse_env_file(env_file, {"FROM_ENV": "env value"})
    assert pairs == [
        ("FIRST", "1"),
        ("LEADING", "spaces  "),
        ("QUOTED", '"no stripping"'),
        ("INTERPOLATED", "${NOT}"),
        ("FROM_ENV", "env value"),
        ("EQUALS", "a=b"),
        ("EMPTY", ""),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"BAD KEY=1\n", "poorly formatted environment: variable 'BAD KEY' contains whitespaces"),
        (b"=value\n", "poorly formatted environment: no variable name on line '=value'"),
        (b"OK=1\nBAD=\xff\n", "contains invalid utf8 bytes at line 2"),
    ],
)
def test_bad_env_files(tmp_path: Path, content, message):
    env_file = tmp_path / "bad.env"
    env_file.write_bytes(content)
    with pytest.raises(EnvFileError, match=message):
        parse_env_file(env_file, {})


def test_missing_env_file(tmp_path: Path):
    with pytest.raises(EnvFileError) as caught:
        parse_env_file(tmp_path / "nope.env", {})
    assert str(caught.value) == f"open {tmp_path / 'nope.env'}: no such file or directory"
