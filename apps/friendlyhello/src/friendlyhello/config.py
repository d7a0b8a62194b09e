"""Settings from the environment, checked once at start-up.

The report's names and defaults: NAME (world), PORT (80), REDIS_HOST (redis), REDIS_PORT
(6379), REDIS_DB (0). Two more for running it: BIND (address to listen on, 0.0.0.0) and
WORKERS (server processes; default: the CPUs this process may use, cgroup quota included,
so a replica limited to 0.2 CPU runs one worker).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REDIS_TIMEOUT = 2.0  # seconds: the report's socket_connect_timeout and socket_timeout


class ConfigError(ValueError):
    """An environment variable has a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    name: str = "world"
    port: int = 80
    bind: str = "0.0.0.0"
    redis_host: str = "redis"
    redis_port: int = 6379
    redis_db: int = 0
    workers: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            name=env.get("NAME", "world"),
            port=_int(env, "PORT", 80, 1, 65535),
            bind=env.get("BIND", "0.0.0.0") or "0.0.0.0",
            redis_host=env.get("REDIS_HOST", "redis") or "redis",
            redis_port=_int(env, "REDIS_PORT", 6379, 1, 65535),
            redis_db=_int(env, "REDIS_DB", 0, 0, 1_000_000),
            workers=_int(env, "WORKERS", usable_cpus(), 1, 64),
        )


def _int(env: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{key} must be between {low} and {high}, got {value}")
    return value


def usable_cpus(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may run on, capped by a cgroup CPU quota (v2 or v1), rounded up."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cpu_quota(cgroup_root)
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)


def _cpu_quota(root: Path) -> float | None:
    """The quota in CPUs, or None when there is none (or none is visible)."""
    try:
        if (root / "cpu.max").exists():  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
            quota, period = (root / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())  # cgroup v1
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError, ZeroDivisionError):
        return None
