"""bench/console_load.py, short: sessions browsing while others deploy from the console, on
the real engine. What it asserts is the issue's goal under load, never a speed: no answer is
a 5xx, every request is answered, and the stacks it deployed are gone afterwards."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.paths import BENCH

pytestmark = [pytest.mark.slow]


def test_console_under_load_gives_no_5xx(engine, registry_busybox_image) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "console_load.py"), "--sessions", "10", "--deployers", "2"]
        + ["--duration", "8"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for target in ("home", "services", "stacks", "images", r"deploy \(API\)"):
        row = re.search(rf"^{target}\s+(\d+)\s+[\d.]+\s+[\d.]+\s+2xx (\d+)$", out, re.M)
        assert row and row.group(1) == row.group(2), out  # every answer a 2xx
    assert re.search(r"^all pages: \d+ requests, p50 [\d.]+ ms, p99 [\d.]+ ms$", out, re.M), out
    assert "5xx answers: 0\n" in out and "no answer: 0\n" in out
    assert not [s for s in engine.services.list() if s.name.startswith("sdload-")]


def test_console_load_rejects_bad_usage() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "console_load.py"), "--duration", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "bench: --duration must be positive"
