"""Load on the console: many sessions browsing while a few deploy stacks (issue 13).

    .venv/bin/python -m tests.testbed up        # or let the bench start the registry it needs
    .venv/bin/python bench/console_load.py [--sessions 50] [--deployers 5] [--duration 60]

Starts the console as its own process (``python -m swarmdeck serve`` on a free loopback port,
a fresh data dir, the machine's engine as its local endpoint: node A, a swarm manager), with
a read-only user and an operator. Then, for ``--duration`` seconds, all at once:

- ``--sessions`` browsing sessions, each logged in with its own cookie, loading the home
  page (the endpoints dashboard: a dozen engine reads per endpoint), services, stacks and
  images pages in turn (full bodies), as fast as they answer;
- ``--deployers`` sessions of the operator, each deploying its own one-service stack
  (the test bed's busybox image from its registry, 0 replicas: no task load) again and
  again from the console's API, with a new environment value each time (an update).

Prints, per page and for the deploys: requests, p50 and p99 (milliseconds, to the end of the
body), and the answers by status class; then the 5xx and failed (no answer) totals. The
stacks are removed at the end (also on Ctrl-C or SIGTERM). Exit status: 0 when no answer was
a 5xx and every request was answered, 1 otherwise or when something failed, 2 bad usage.
``tests/integration/console/test_console_load.py`` runs a short version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from contextlib import suppress
from pathlib import Path

import httpx
from _common import BenchError, percentile, run_bench

from swarmdeck.engine.client import connect
from swarmdeck.store import Role, Store
from swarmdeck.swarm import stacks
from tests.testbed.bed import SESSION, Testbed
from tests.testbed.config import OBJECT_LABEL
from tests.testbed.redis import free_port

PAGES = {"home": "/", "services": "/services", "stacks": "/stacks", "images": "/images"}
DEPLOY = "deploy (API)"
REQUEST_TIMEOUT = 120.0
STACK_RM_SECONDS = 60.0


def compose(image: str, round_: int) -> str:
    """A one-service stack; ``round_`` changes its environment, so each deploy is an update."""
    return f"""version: "3.8"
services:
  app:
    image: {image}
    command: ["sleep", "86400"]
    environment:
      ROUND: "{round_}"
    deploy:
      replicas: 0
      labels:
        {OBJECT_LABEL}: "{os.getpid()}"
"""


class Tally:
    """Elapsed seconds and statuses per target; status 0 means no answer (a transport error)."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: list[str] = []

    def add(self, target: str, status: int, elapsed: float) -> None:
        self.times[target].append(elapsed)
        self.statuses[target][status] += 1

    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)

    def unanswered(self) -> int:
        return sum(c[0] for c in self.statuses.values())

    def print(self) -> None:
        width = max(len(t) for t in self.times)
        print(f"{'':{width}}  {'requests':>8}  {'p50 ms':>9}  {'p99 ms':>9}  answers")
        for target in [*PAGES, DEPLOY]:
            times = self.times.get(target)
            if not times:
                continue
            classes = Counter(f"{s // 100}xx" if s else "none" for s in self.statuses[target].elements())
            answers = ", ".join(f"{k} {v}" for k, v in sorted(classes.items()))
            p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
            print(f"{target:{width}}  {len(times):8d}  {p50:9.1f}  {p99:9.1f}  {answers}")
        pages = [t for name in PAGES for t in self.times.get(name, [])]
        if pages:
            print(
                f"all pages: {len(pages)} requests, p50 {percentile(pages, 50) * 1000:.1f} ms, "
                f"p99 {percentile(pages, 99) * 1000:.1f} ms"
            )
        print(f"5xx answers: {self.server_errors()}")
        print(f"no answer: {self.unanswered()}")
        for failure in self.failures[:10]:
            print(f"  {failure}")


def said(answer: httpx.Response) -> str:
    """What an error answer says: a page's main text (the layout's navigation left out), or
    the start of a JSON or text body."""
    main = re.search(r"<main[^>]*>(.*?)</main>", answer.text, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(1)) if main else answer.text
    return " ".join(text.split())[:300]


async def timed(client: httpx.AsyncClient, tally: Tally, target: str, method: str, url: str, **kw) -> None:
    started = time.perf_counter()
    try:
        answer = await client.request(method, url, **kw)
        status = answer.status_code
        if status >= 500 or (status != 200 and len(tally.failures) < 100):
            tally.failures.append(f"{method} {url}: {status} {said(answer)}")
    except httpx.HTTPError as exc:
        status = 0
        tally.failures.append(f"{method} {url}: {type(exc).__name__}: {exc}")
    tally.add(target, status, time.perf_counter() - started)


async def browse(client: httpx.AsyncClient, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        for name, path in PAGES.items():
            await timed(client, tally, name, "GET", path)


async def deploy_again(client: httpx.AsyncClient, tally: Tally, until: float, stack: str, image: str) -> None:
    round_ = 0
    while time.monotonic() < until:
        round_ += 1
        body = {"compose": compose(image, round_)}
        await timed(client, tally, DEPLOY, "POST", f"/api/stacks/{stack}/deploy", json=body)


async def log_in(url: str, username: str, password: str) -> httpx.AsyncClient:
    """A logged-in session that follows redirects as a browser does."""
    client = httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, follow_redirects=True)
    answer = await client.post("/api/auth/login", json={"username": username, "password": password})
    if answer.status_code != 200:
        await client.aclose()
        raise BenchError(f"log in as {username}: {answer.status_code} {answer.text[:200]}")
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


async def load(
    url: str, args: argparse.Namespace, users: dict[str, str], names: list[str], image: str
) -> Tally:
    tally = Tally()
    # Logged in one after another: logins of one account wait for each other by design.
    browsers = [await log_in(url, "viewer", users["viewer"]) for _ in range(args.sessions)]
    deployers = [await log_in(url, "oper", users["oper"]) for _ in range(args.deployers)]
    until = time.monotonic() + args.duration
    try:
        await asyncio.gather(
            *(browse(c, tally, until) for c in browsers),
            *(deploy_again(c, tally, until, name, image) for c, name in zip(deployers, names, strict=True)),
        )
    finally:
        for client in browsers + deployers:
            await client.aclose()
    return tally


def start_console(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "swarmdeck", "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--data-dir", str(data)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        with suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise BenchError(f"the console did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def run(args: argparse.Namespace) -> int:
    if args.sessions < 0 or args.deployers < 0 or args.sessions + args.deployers == 0:
        raise BenchError("--sessions and --deployers must not be negative, and not both 0", 2)
    if args.duration <= 0:
        raise BenchError("--duration must be positive", 2)
    bed = Testbed(SESSION)
    folder = Path(tempfile.mkdtemp(prefix="sdbench-load-"))
    run_id = uuid.uuid4().hex[:8]
    names = [f"sdload-{run_id}-{i}" for i in range(args.deployers)]
    engine = None
    process = None
    try:
        image = bed.registry_busybox_image() if args.deployers else ""
        engine = connect(None)
        users = {name: secrets.token_urlsafe(18) for name in ("admin", "viewer", "oper")}
        store = Store(folder / "data")
        store.create_user("admin", users["admin"], Role.ADMIN)
        store.create_user("viewer", users["viewer"], Role.READ_ONLY)
        store.create_user("oper", users["oper"], Role.OPERATOR)
        store.close()
        port = free_port()
        process = start_console(folder / "data", port, folder / "console.log")
        print(
            f"console load: {args.sessions} browsing session(s), {args.deployers} deploying, "
            f"{args.duration:g} s, console at http://127.0.0.1:{port}",
            flush=True,
        )
        tally = asyncio.run(load(f"http://127.0.0.1:{port}", args, users, names, image))
        tally.print()
        if tally.server_errors() or tally.unanswered():
            log = (folder / "console.log").read_text(errors="replace")
            first = log.find("Traceback")
            print(
                "the console's log from its first traceback:\n"
                + (log[first:][:6000] if first >= 0 else "(none)")
            )
            return 1
        return 0
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if engine is not None:
            for name in names:
                with suppress(Exception):
                    stacks.remove(engine, name, timeout=STACK_RM_SECONDS)
            engine.close()
        bed.close()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50, help="browsing sessions (default 50)")
    parser.add_argument("--deployers", type=int, default=5, help="deploying sessions (default 5)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    args = parser.parse_args()
    return run_bench(lambda: run(args), "the stacks it deployed")


if __name__ == "__main__":
    sys.exit(main())
