"""bench/console_services.py, bench/registry_catalog.py and bench/registry_index.py run end to
end on a tiny size
(smoke tests: nothing here asserts a speed), print every row and ratio, and leave nothing
behind."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import docker

from tests.support.paths import REPO

BENCH = REPO / "bench"
ROW = r"\s+[\d.]+\s+[\d.]+\s+3$"  # p50, p99, 3 requests


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600
    )


def test_services_bench_measures_every_view_and_removes_its_services(
    swarm, registry_busybox_image: str
) -> None:
    done = run_bench("console_services.py", "--services", "3", "--replicas", "2", "--rounds", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    run_id = re.search(r"^created 3 services sdbench-(\w+)-NNN of 2 replicas", out, re.M)
    assert run_id, out
    assert re.search(r"^6 tasks run \(\d+ on node A, \d+ on node B\)", out, re.M), out
    assert re.search(r"^the console lists 3 of this run's services, 6 tasks running$", out, re.M), out
    for target in (
        "engine /services + /tasks",
        "docker service ls",
        "console /api/services",
        "console /services page",
        "console /services page, 500 a page",
        "console /services searched, sorted, page 2",
        "engine /nodes + /services + /tasks",
        "console /api/swarm/map",
        "engine /info + /nodes + /services + /tasks",
        "console /swarm page",
    ):
        assert re.search(rf"^{re.escape(target)}{ROW}", out, re.M), out
    ratios = re.findall(
        r"^ratio console .* / engine .*: p50 [\d.]+x, p99 [\d.]+x \(goal .*: (met|MISSED)\)$", out, re.M
    )
    assert len(ratios) == 6, out
    assert re.search(r"^removed 3 services$", out, re.M), out
    left = [s.name for s in swarm.manager.services.list() if s.name.startswith(f"sdbench-{run_id[1]}-")]
    assert left == []


def test_registry_bench_measures_every_view_and_removes_its_registry(
    engine: docker.DockerClient, busybox_image: str
) -> None:
    done = run_bench("registry_catalog.py", "--repos", "50", "--rounds", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    made = re.search(
        r"^made 50 repositories in [\d.]+ s; the registry at 127\.0\.0\.1:(\d+) lists 51 "
        r"\(storage (\S+)\)$",
        out,
        re.M,
    )
    assert made, out
    assert re.search(r"^the console lists 51 repositories in 1 pages$", out, re.M), out
    for target in (
        "registry /v2/_catalog?n=100",
        "registry catalog walk (n=1000 pages)",
        "console API cold (refresh=true)",
        "console API first page",
        "console API search q=repo000",
        "console API page 1",
        "console /registries/bench page",
        "console /registries page",
    ):
        assert re.search(rf"^{re.escape(target)}{ROW}", out, re.M), out
    ratios = re.findall(r"^ratio console .* / registry .*: p50 [\d.]+x, p99 [\d.]+x \(goal", out, re.M)
    assert len(ratios) == 5, out
    assert re.search(r"^removed the registry and its storage$", out, re.M), out
    port = made[1]
    published = [
        c.name
        for c in engine.containers.list(all=True)
        if any(b.get("HostPort") == port for bs in (c.ports or {}).values() for b in bs or [])
    ]
    assert published == [] and not Path(made[2]).exists()


def test_registry_index_bench_prints_every_view_and_removes_its_registry(
    engine: docker.DockerClient, busybox_image: str
) -> None:
    done = run_bench("registry_index.py", "--repos", "1050", "--rounds", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    made = re.search(r"^wrote 1050 repositories in [\d.]+ s \(storage (\S+)\)$", out, re.M)
    assert made, out
    assert re.search(r"^the registry lists 1051 repositories and serves their manifests$", out, re.M), out
    for target, runs in (
        ("registry /v2/_catalog walk (n=1000 pages)", 1),
        ("console index first build (its walk + store)", 1),
        ("console cold: API first page", 2),
        ("console cold: API page 6", 2),
        ("console cold: /registries/bench page", 2),
    ):
        assert re.search(rf"^{re.escape(target)}\s+[\d.]+\s+[\d.]+\s+{runs}$", out, re.M), out
    assert len(re.findall(r"ratio to the registry's walk: [\d.]+", out)) == 6, out
    assert re.search(r"^goal: every cold registry view < 300 ms: (met|MISSED)$", out, re.M), out
    assert re.search(r"^removed the registry, its storage and the console's data$", out, re.M), out
    assert not Path(made[1]).exists()


def test_bad_usage_is_one_line_and_status_2() -> None:
    for script, args in (
        ("console_services.py", ("--services", "0")),
        ("registry_catalog.py", ("--repos", "0")),
        ("registry_index.py", ("--repos", "0")),
    ):
        done = run_bench(script, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "error: --" in done.stderr
