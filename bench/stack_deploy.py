"""`swarmdeck stack deploy` vs `docker stack deploy`: a 30-service stack, side by side.

Usage (on a swarm manager; the test bed's swarm and registry: `python -m tests.testbed up`)::

    .venv/bin/python bench/stack_deploy.py [--services 30] [--rounds 3] [--image REF]

Each round, for each way in turn (the order rotates): a first deploy of a fresh stack
(networks, one secret, one config, N services with replicas 0) and a re-deploy of the same
file with nothing changed; then the stack is removed. Three ways: `docker stack deploy`
and `swarmdeck stack deploy` as processes (start-up included), and swarmdeck as a library
call in this process (`load` + `deploy`, as `swarmdeck up` and the console use it: no
interpreter start-up or imports, about 0.4 s of every swarmdeck process). All use the
default `--resolve-image always`, so each asks the registry for the image's digest.
Prints the median wall times and the ratios to docker with the goals (first deploy <= 1.0,
re-deploy <= 0.3). Exits with a message when a deploy fails.
"""

from __future__ import annotations

import argparse
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

from tests.testbed import Testbed  # noqa: E402
from tests.testbed.bed import CLI  # noqa: E402

DOCKER = "docker"
SWARMDECK = [
    sys.executable,
    "-c",
    "import typer; from swarmdeck.cli.stack_cmds import register; "
    "app = typer.Typer(); app.callback()(lambda: None); register(app); app()",
]
GOALS = {"first deploy": 1.0, "re-deploy": 0.3}
WAYS = ["docker", "swarmdeck", "library"]


def compose_file(folder: Path, services: int, image: str) -> Path:
    (folder / "secret.txt").write_text("bench")
    (folder / "app.conf").write_text("bench")
    lines = ['version: "3.8"', "services:"]
    for index in range(services):
        lines += [
            f"  svc{index:02d}:",
            f"    image: {image}",
            "    command: sleep 1000",
            f'    environment: {{INDEX: "{index}"}}',
            f"    networks: [{'front' if index % 2 else 'back'}]",
            "    secrets: [token]" if index % 5 == 0 else "    configs: [conf]",
            "    deploy: {replicas: 0, labels: {bench: stack-deploy}}",
        ]
    lines += [
        "networks:",
        "  front: {}",
        "  back: {}",
        "secrets:",
        "  token: {file: ./secret.txt}",
        "configs:",
        "  conf: {file: ./app.conf}",
    ]
    path = folder / "stack.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{run.stderr}")
    return elapsed


def deploy_command(tool: str, file: Path, stack: str) -> list[str]:
    base = [DOCKER] if tool == "docker" else SWARMDECK
    return [*base, "stack", "deploy", "-c", str(file), stack]


def library_deploy(client: docker.DockerClient, file: Path, stack: str) -> float:
    from swarmdeck.compose import load
    from swarmdeck.compose.stack import DeployOptions, deploy

    start = time.perf_counter()
    deploy(client, load([file], env={}), DeployOptions(stack), out=lambda _: None, err=lambda _: None)
    return time.perf_counter() - start


def remove(client: docker.DockerClient, stack: str) -> None:
    subprocess.run([DOCKER, "stack", "rm", stack], capture_output=True, check=False)
    label = {"label": f"com.docker.stack.namespace={stack}"}
    deadline = time.monotonic() + 60
    while client.networks.list(filters=label) and time.monotonic() < deadline:
        time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--image", help="image in a registry (default: the test bed's busybox)")
    args = parser.parse_args()
    image = args.image or Testbed(CLI).registry_busybox_image()
    client = docker.DockerClient(version="1.41")
    library_deploy(client, compose_file(Path(tempfile.mkdtemp()), 1, image), "bench-warm")
    remove(client, "bench-warm")  # imports and first connection out of the figures
    times: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        file = compose_file(Path(tmp), args.services, image)
        for round_ in range(args.rounds):
            tools = WAYS[round_ % 3 :] + WAYS[: round_ % 3]
            for tool in tools:
                stack = f"bench-{tool[:2]}-{uuid.uuid4().hex[:6]}"
                try:
                    for phase in GOALS:
                        took = (
                            library_deploy(client, file, stack)
                            if tool == "library"
                            else timed(deploy_command(tool, file, stack))
                        )
                        times.setdefault((tool, phase), []).append(took)
                finally:
                    remove(client, stack)
    print(f"{args.services} services, {args.rounds} round(s), median wall time (s)")
    print(f"{'':14} {'docker':>7} {'swarmdeck':>10} {'ratio':>6} {'library':>8} {'ratio':>6}  goal")
    for phase, goal in GOALS.items():
        docker_s, process, library = (statistics.median(times[(way, phase)]) for way in WAYS)
        print(
            f"{phase:14} {docker_s:7.2f} {process:10.2f} {process / docker_s:6.2f} "
            f"{library:8.2f} {library / docker_s:6.2f}  <= {goal} (process "
            f"{'met' if process / docker_s <= goal else 'missed'}, library "
            f"{'met' if library / docker_s <= goal else 'missed'})"
        )


if __name__ == "__main__":
    main()
