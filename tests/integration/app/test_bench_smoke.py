"""bench/friendlyhello.py runs end to end (a smoke test: nothing here asserts a speed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

BENCH = REPO / "bench" / "friendlyhello.py"


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_bench_prints_both_servers_and_the_ratio() -> None:
    done = run_bench("--duration", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for conns in (16, 64):
        assert re.search(rf"^\s+{conns}  seed app\.py \(Flask dev server\)\s+[\d,]+ ", out, re.M)
        assert re.search(rf"^\s+{conns}  friendlyhello\s+[\d,]+ ", out, re.M)
        assert re.search(rf"^ratio at {conns} connections: .* = [\d.]+x$", out, re.M)
        assert re.search(rf"^counter at {conns} connections: .*: OK$", out, re.M)


def test_bench_fails_when_a_server_does_not_start(tmp_path: Path) -> None:
    broken = tmp_path / "app.py"
    broken.write_text("raise SystemExit('this seed app is broken on purpose')\n")
    done = run_bench("--duration", "1", "--seed-app", str(broken))
    assert done.returncode == 1
    assert "seed app.py (Flask dev server) did not start (exit code 1)" in done.stderr
    assert "broken on purpose" in done.stderr
    assert "Traceback" not in done.stderr


def test_bench_rejects_a_missing_seed_app(tmp_path: Path) -> None:
    done = run_bench("--seed-app", str(tmp_path / "nope.py"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"bench: seed app not found at {tmp_path / 'nope.py'} (use --seed-app PATH)"
