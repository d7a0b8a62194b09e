"""friendlyhello against the seed report's app.py, side by side, on one real redis-server.

    .venv/bin/python bench/friendlyhello.py [--duration 10] [--connections 16,64]

Starts a redis-server on a free loopback port, the seed app (shared/seed/app.py, under
Flask's development server, as in the report) and friendlyhello (`python -m
friendlyhello`, its counter in database 1 of the same Redis so the two never mix), then
runs `wrk --latency` against each, one after the other, at each connection count. Prints
req/s, p50 and p99 of both and their ratio, and checks that friendlyhello's counter grew
by the number of requests wrk got answered, plus at most one per connection: wrk drops the
requests still in flight when its time is up, and the server has served those too.

Needs: wrk and redis-server (Debian packages), Flask and redis in this Python
(bench/requirements.txt), friendlyhello installed (`pip install -e apps/friendlyhello`).
Exit status: 0 all fine, 1 a server failed to start or the counter check failed,
2 bad usage or a missing tool. Figures drift between machines: compare the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.testbed.common import TestbedError, log_tail  # noqa: E402
from tests.testbed.redis import RedisServer, free_port  # noqa: E402

FRIENDLYHELLO_DB = 1
GOAL_RATIO, GOAL_P99_MS, GOAL_CONNECTIONS = 15.0, 10.0, 16


class BenchError(Exception):
    """Something the benchmark needs is missing or did not start; the message says what."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors plus non-2xx/3xx answers


@dataclass
class Server:
    label: str
    url: str
    proc: subprocess.Popen[bytes]
    log: Path


# -- wrk -----------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if not match:
        raise BenchError(f"wrk printed no {percentile}% latency:\n{text}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    requests = re.search(r"^\s*(\d+) requests in", text, re.MULTILINE)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    if not requests or not rps:
        raise BenchError(f"could not read wrk's output:\n{text}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    return WrkResult(
        requests=int(requests.group(1)),
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        errors=errors + (int(non2xx.group(1)) if non2xx else 0),
    )


def run_wrk(url: str, connections: int, threads: int, seconds: float) -> WrkResult:
    cmd = [
        "wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", url,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout}")
    return parse_wrk(done.stdout)


# -- servers -------------------------------------------------------------------------------


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_server(label: str, cmd: list[str], env: dict[str, str], probe: str, log: Path) -> Server:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    server = Server(label, probe.rsplit("/", 1)[0] + "/", proc, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _get_ok(probe):
            return server
        time.sleep(0.1)
    stop_server(server)
    raise BenchError(f"{label} did not start (exit code {proc.poll()})\n{log_tail(log)}")


def stop_server(server: Server) -> None:
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def servers(seed_app: Path, redis: RedisServer, workers: int | None) -> Iterator[list[Server]]:
    folder = Path(tempfile.mkdtemp(prefix="bench-friendlyhello-"))
    base = {k: v for k, v in os.environ.items() if k not in ("NAME", "WORKERS", "REDIS_DB")}
    base.update(REDIS_HOST=redis.host, REDIS_PORT=str(redis.port))
    started: list[Server] = []
    try:
        port = free_port()
        started.append(
            start_server(
                "seed app.py (Flask dev server)",
                [sys.executable, str(seed_app)],
                {**base, "PORT": str(port)},
                f"http://127.0.0.1:{port}/",
                folder / "seed.log",
            )
        )
        port = free_port()
        env = {**base, "PORT": str(port), "BIND": "127.0.0.1", "REDIS_DB": str(FRIENDLYHELLO_DB)}
        if workers:
            env["WORKERS"] = str(workers)
        started.append(
            start_server(
                "friendlyhello",
                [sys.executable, "-m", "friendlyhello"],
                env,
                f"http://127.0.0.1:{port}/healthz",
                folder / "friendlyhello.log",
            )
        )
        yield started
    finally:
        for server in started:
            stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)


def settled_counter(redis: RedisServer, db: int) -> int:
    """The counter once it has stopped moving (requests wrk abandoned finish first)."""
    last = None
    while True:
        value = redis.command("EVAL", f"redis.call('SELECT', {db}) "
                              "return redis.call('GET', 'counter')", "0")  # fmt: skip
        current = int(value) if value is not None else 0
        if current == last:
            return current
        last = current
        time.sleep(0.3)


# -- main ----------------------------------------------------------------------------------


def check_tools() -> None:
    for tool, package in (("wrk", "wrk"), ("redis-server", "redis-server")):
        if shutil.which(tool) is None:
            raise BenchError(f"{tool} not found: apt-get install {package}", status=2)
    for module, hint in (
        ("flask", "pip install -r bench/requirements.txt"),
        ("redis", "pip install -r bench/requirements.txt"),
        ("friendlyhello", "pip install -e apps/friendlyhello"),
    ):
        if importlib.util.find_spec(module) is None:
            raise BenchError(f"Python module {module} not found in {sys.executable}: {hint}", 2)


def fmt_ms(value: float) -> str:
    return f"{value * 1000:.0f} us" if value < 1 else f"{value:.2f} ms"


def run(args: argparse.Namespace) -> int:
    check_tools()
    seed_app = args.seed_app.resolve()
    if not seed_app.is_file():
        raise BenchError(f"seed app not found at {seed_app} (use --seed-app PATH)", status=2)
    warmup = min(1.0, args.duration)
    rows: list[tuple[int, str, WrkResult]] = []
    checks: list[tuple[int, int, int, bool]] = []  # connections, answered, growth, ok
    try:
        redis = RedisServer().start()
    except TestbedError as exc:
        raise BenchError(str(exc)) from None
    try:
        with servers(seed_app, redis, args.workers) as (seed, hello):
            print(
                f"redis-server on 127.0.0.1:{redis.port}; wrk -t{args.threads} "
                f"-d{args.duration:g}s (after a {warmup:g}s warm-up) on {os.cpu_count()} CPUs"
            )
            for connections in args.connections:
                for server in (seed, hello):
                    run_wrk(server.url, connections, args.threads, warmup)
                    before = settled_counter(redis, FRIENDLYHELLO_DB)
                    result = run_wrk(server.url, connections, args.threads, args.duration)
                    rows.append((connections, server.label, result))
                    if server is hello:
                        growth = settled_counter(redis, FRIENDLYHELLO_DB) - before
                        ok = result.requests <= growth <= result.requests + connections
                        checks.append((connections, result.requests, growth, ok))
    finally:
        redis.close()

    print()
    print(f"{'conns':>5}  {'server':<31} {'req/s':>10} {'p50':>10} {'p99':>10} {'errors':>7}")
    by_conns: dict[int, dict[str, WrkResult]] = {}
    for connections, label, result in rows:
        by_conns.setdefault(connections, {})[label] = result
        print(
            f"{connections:>5}  {label:<31} {result.rps:>10,.0f} {fmt_ms(result.p50_ms):>10} "
            f"{fmt_ms(result.p99_ms):>10} {result.errors:>7}"
        )
    print()
    for connections, results in by_conns.items():
        seed_result = results["seed app.py (Flask dev server)"]
        hello_result = results["friendlyhello"]
        ratio = hello_result.rps / seed_result.rps if seed_result.rps else float("inf")
        print(f"ratio at {connections} connections: friendlyhello / seed = {ratio:.1f}x")
        if connections == GOAL_CONNECTIONS:
            met = ratio >= GOAL_RATIO and hello_result.p99_ms < GOAL_P99_MS
            goal = f">= {GOAL_RATIO:g}x, p99 < {GOAL_P99_MS:g} ms"
            print(f"goal at {connections} connections ({goal}): {'met' if met else 'MISSED'}")
    print()
    all_ok = True
    for connections, answered, growth, ok in checks:
        all_ok &= ok
        print(
            f"counter at {connections} connections: +{growth} for {answered} answered requests "
            f"({growth - answered} in flight when wrk stopped, at most {connections}): "
            f"{'OK' if ok else 'WRONG'}"
        )
    return 0 if all_ok else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (-t)")
    parser.add_argument(
        "--connections",
        default="16,64",
        help="comma-separated wrk connection counts (default 16,64)",
    )
    parser.add_argument("--workers", type=int, help="friendlyhello WORKERS (default: its own)")
    parser.add_argument(
        "--seed-app",
        type=Path,
        default=REPO.parent / "shared" / "seed" / "app.py",
        help="the seed report's app.py (default: <repo>/../shared/seed/app.py)",
    )
    args = parser.parse_args(argv)
    try:
        args.connections = [int(c) for c in args.connections.split(",")]
    except ValueError:
        parser.error(f"--connections must be numbers separated by commas: {args.connections!r}")
    if args.duration <= 0 or args.threads < 1 or any(c < args.threads for c in args.connections):
        parser.error("--duration must be > 0, --threads >= 1, each connection count >= threads")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return exc.status


if __name__ == "__main__":
    sys.exit(main())
