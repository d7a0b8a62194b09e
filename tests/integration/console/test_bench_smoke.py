"""bench/console_containers.py runs end to end on the real engine (a smoke test: nothing here
asserts a speed) and leaves none of its containers behind."""

from __future__ import annotations

import re
import subprocess
import sys

import docker

from tests.support.paths import REPO

BENCH = REPO / "bench" / "console_containers.py"
TARGETS = (
    "engine /containers/json?all=1",
    "docker ps -a",
    "console /api/containers?per_page=50",
    "console search (q=, per_page=50)",
    "console /containers page, first byte",
)


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300)


def test_bench_measures_every_target_and_cleans_up(engine: docker.DockerClient, busybox_image: str) -> None:
    done = run_bench("--containers", "20", "--running", "2", "--requests", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^made 20 containers \(2 running\)", out, re.M)
    run_id = re.search(r"^search 'sdbench-(\w+)-1' matches 11 containers$", out, re.M)
    assert run_id, out
    for target in TARGETS:
        assert re.search(rf"^{re.escape(target)}\s+[\d.]+\s+[\d.]+\s+3$", out, re.M), out
    assert (
        len(
            re.findall(
                r"^ratio console .* / engine /containers/json\?all=1: p50 [\d.]+x, p99 [\d.]+x", out, re.M
            )
        )
        == 3
    )
    assert re.search(r"^removed 20 containers$", out, re.M)
    left = engine.containers.list(all=True, filters={"label": f"swarmdeck.bench={run_id.group(1)}"})
    assert left == []


def test_bench_refuses_bad_usage() -> None:
    done = run_bench("--containers", "5", "--running", "6")
    assert done.returncode == 2
    assert "--running is 0..--containers" in done.stderr and "Traceback" not in done.stderr
    remote = run_bench("--engine", "tcp://127.0.0.1:1")
    assert remote.returncode == 2
    assert remote.stderr.strip() == (
        "bench: the raw API is timed over a unix socket; tcp://127.0.0.1:1 is not one"
    )
