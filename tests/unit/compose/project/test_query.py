"""How ps shows ports and how logs orders lines (no engine)."""

from swarmdeck.compose.project.query import _sort_key, format_ports


def test_ports_are_shown_like_docker_ps():
    ports = {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "6767"}, {"HostIp": "::", "HostPort": "6767"}],
        "53/udp": [{"HostIp": "", "HostPort": "5353"}],
        "9000/tcp": None,
    }
    assert format_ports(ports) == "0.0.0.0:5353->53/udp, 0.0.0.0:6767->80/tcp, :::6767->80/tcp, 9000/tcp"
    assert format_ports(None) == ""


def test_log_lines_sort_by_time_although_the_engine_trims_fraction_zeros():
    lines = [
        "2026-11-28T10:00:00.5Z late",
        "2026-11-28T10:00:00.123456789Z early",
        "2026-11-28T10:00:00Z first",
    ]
    assert [line.split()[1] for line in sorted(lines, key=_sort_key)] == ["first", "early", "late"]
