"""friendlyhello's pure parts: settings from the environment, Accept negotiation, CPU count."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from friendlyhello.app import wants_json
from friendlyhello.config import ConfigError, Settings, usable_cpus


def test_defaults_are_the_reports() -> None:
    settings = Settings.from_env({})
    assert (settings.name, settings.port, settings.bind) == ("world", 80, "0.0.0.0")
    assert (settings.redis_host, settings.redis_port, settings.redis_db) == ("redis", 6379, 0)
    assert settings.workers == usable_cpus()


def test_environment_overrides() -> None:
    env = {"NAME": "World", "PORT": "8080", "REDIS_HOST": "db", "REDIS_PORT": "7000",
           "REDIS_DB": "3", "WORKERS": "4", "BIND": "127.0.0.1"}  # fmt: skip
    assert Settings.from_env(env) == Settings("World", 8080, "127.0.0.1", "db", 7000, 3, 4)


@pytest.mark.parametrize("value", ["x", "1.5", "-1", "65536"])
def test_bad_port_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="^PORT must be"):
        Settings.from_env({"PORT": value})


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/json", True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("text/html, application/json", False),
        ("text/html;q=0.5, application/json", True),
        ("application/json;q=0", False),
        ("application/json;q=oops", False),
        ("APPLICATION/JSON", True),
    ],
)
def test_json_only_when_preferred(accept: str | None, expected: bool) -> None:
    assert wants_json(accept) is expected


def _cgroup(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_cpu_quota_caps_workers(tmp_path: Path) -> None:
    cpus = len(os.sched_getaffinity(0))
    v2_fifth = _cgroup(tmp_path / "a", {"cpu.max": "20000 100000\n"})
    v2_none = _cgroup(tmp_path / "b", {"cpu.max": "max 100000\n"})
    v1_fifth = _cgroup(tmp_path / "c", {"cpu/cpu.cfs_quota_us": "20000\n",
                                        "cpu/cpu.cfs_period_us": "100000\n"})  # fmt: skip
    v1_none = _cgroup(tmp_path / "d", {"cpu/cpu.cfs_quota_us": "-1\n",
                                       "cpu/cpu.cfs_period_us": "100000\n"})  # fmt: skip
    v2_big = _cgroup(tmp_path / "e", {"cpu.max": "150000 100000\n"})
    assert usable_cpus(v2_fifth) == 1
    assert usable_cpus(v1_fifth) == 1
    assert usable_cpus(v2_none) == cpus
    assert usable_cpus(v1_none) == cpus
    assert usable_cpus(v2_big) == min(cpus, 2)
    assert usable_cpus(tmp_path / "missing") == cpus
