"""The `swarmdeck` command's whole-process times next to the docker CLI's, on this machine.

Usage (on a swarm manager; the test bed's swarm and registry: `python -m tests.testbed up`)::

    .venv/bin/python bench/cli_startup.py [--runs 7] [--services 30] [--image REF]

Three commands, each run as a process by both tools, interleaved run by run (docker, then
swarmdeck), after one warm-up run each: `--help`; `stack ls`; and re-deploying an unchanged
stack of N busybox services from the test bed's registry (`stack_deploy.compose_file`) with
the default `--resolve-image always`, each tool on a stack it deployed first. swarmdeck runs
as `python -m swarmdeck`, start-up included, with its bytecode cache written and used
(``PYTHONDONTWRITEBYTECODE`` is dropped: without the cache, compiling swarmdeck's modules
adds ~40 ms to each run). Prints the median wall time of each (median
of --runs) and swarmdeck's ratio to docker, with the goals (`--help` <= 0.10 s and `stack ls`
<= 0.15 s for swarmdeck itself, re-deploy <= 0.3x docker), then the median CPU time
(user + sys of the process, from ``getrusage``) of each and its ratio, and the load average
before and after: on a shared machine the wall times follow the load, the CPU times much less,
so a figure is read with both beside it. Exit status 1 if a command fails.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import docker  # noqa: E402
from stack_deploy import DOCKER, compose_file, remove  # noqa: E402

from tests.testbed import Testbed  # noqa: E402
from tests.testbed.bed import CLI  # noqa: E402

SWARMDECK = [sys.executable, "-m", "swarmdeck"]


# As installed: Python may cache the modules' bytecode (a build or CI environment may not).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``command`` run as a process."""
    cpu = _children_cpu()
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600, env=ENV)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{run.stderr}")
    return elapsed, _children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--image", help="image in a registry (default: the test bed's busybox)")
    args = parser.parse_args()
    image = args.image or Testbed(CLI).registry_busybox_image()
    client = docker.DockerClient(version="1.41")
    run = uuid.uuid4().hex[:6]
    stacks = {"docker": f"bench-cli-do-{run}", "swarmdeck": f"bench-cli-sd-{run}"}
    tools = {"docker": [DOCKER], "swarmdeck": SWARMDECK}
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        file = compose_file(Path(tmp), args.services, image)
        ENV["SWARMDECK_DATA_DIR"] = str(Path(tmp) / "data")  # its journals and fast-path records
        commands = {
            "--help": {tool: [*base, "--help"] for tool, base in tools.items()},
            "stack ls": {tool: [*base, "stack", "ls"] for tool, base in tools.items()},
            f"re-deploy ({args.services} services)": {
                tool: [*base, "stack", "deploy", "-c", str(file), stacks[tool]]
                for tool, base in tools.items()
            },
        }
        times: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        load_before = os.getloadavg()
        try:
            for by_tool in commands.values():  # warm-up; the first deploy creates the stacks
                for command in by_tool.values():
                    timed(command)
            for _ in range(args.runs):
                for name, by_tool in commands.items():
                    for tool, command in by_tool.items():
                        wall, cpu = timed(command)
                        times.setdefault((name, tool), []).append(wall)
                        cpus.setdefault((name, tool), []).append(cpu)
        finally:
            for stack in stacks.values():
                remove(client, stack)
    goals = {"--help": "<= 0.10 s", "stack ls": "<= 0.15 s"}
    print(f"median wall time of {args.runs} runs (s), whole processes")
    print(f"{'':26} {'docker':>7} {'swarmdeck':>10} {'ratio':>7}  goal")
    for name in commands:
        docker_s, ours = (statistics.median(times[(name, tool)]) for tool in tools)
        goal = goals.get(name, "<= 0.3x docker")
        met = ours <= float(goal.split()[1]) if name in goals else ours / docker_s <= 0.3
        print(
            f"{name:26} {docker_s:7.3f} {ours:10.3f} {ours / docker_s:6.2f}x  {goal} "
            f"({'met' if met else 'missed'})"
        )
    print(f"\nmedian CPU time (user + sys) of {args.runs} runs (s)")
    print(f"{'':26} {'docker':>7} {'swarmdeck':>10} {'ratio':>7}")
    for name in commands:
        docker_s, ours = (statistics.median(cpus[(name, tool)]) for tool in tools)
        print(f"{name:26} {docker_s:7.3f} {ours:10.3f} {ours / docker_s:6.2f}x")
    after = os.getloadavg()
    print(
        f"\nload average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in after)} ({os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    main()
