"""The console's cold registry views, answered from its persisted index, against the registry's
own /v2/_catalog walk, side by side (issue 16: < 300 ms at 100,000 repositories).

    .venv/bin/python bench/registry_index.py [--repos 100000] [--rounds 5] [--walks 1]

Runs a throwaway registry container (the project's registry base image, its storage a fresh
folder of this machine), pushes the test bed's busybox image to it as ``seed/busybox:1``, and
makes ``--repos`` repositories ``idx/bNNN/repoNNNN`` of it by writing the link files a push
leaves in the filesystem driver's layout (as bench/registry_catalog.py does; the blobs are
stored once): the first 1,000 file by file, the others hard-linked batches of them. It
checks the registry lists them all, then:

1. the registry's own catalog walk (``GET /v2/_catalog?n=1000`` following ``Link``, the
   largest page it serves), ``--walks`` times: what any view of all names costs without an
   index;
2. a console in this process, a data directory of its own: adds the registry, makes its
   notification token (so it counts as sending its events: no walk renews its index), and
   times the first view, which waits for the index's first build (adding a registry starts
   it in the background: the console's own walk plus storing the names);
3. ``--rounds`` cold starts: each round a new console on that data directory (a new app and
   server, as after a restart), whose first requests are timed: the first page of the
   catalog API, a search (a hundredth of the names), the middle page, and the registry's page
   (``GET /registries/NAME``). Before them, two requests that do not read the index
   (``/api/registries/NAME`` and the ``/registries`` page), timed apart: FastAPI builds the
   routes of the routers a first request walks through on that request (the API's routers
   before the registries' one, the pages' before theirs), hundreds of milliseconds a new
   process pays once whatever it serves. None may ask the registry's catalog: the registry's
   access log is counted before and after, and any catalog request fails the run.

Prints each figure (p50 and max over rounds), the ratio of each cold view to the registry's
walk, and whether the goal (every cold view < 300 ms) is met. Removes the registry, its
storage and the seed tag at the end (also on Ctrl-C or SIGTERM). Exit status: 0 done
(whether or not the goal is met), 1 something failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import docker
import docker.errors
import httpx
from _common import BenchError, run_bench, uvicorn_thread
from registry_catalog import REPOSITORIES, SEED, walk_catalog

from swarmdeck.console import create_app
from swarmdeck.engine.client import connect, endpoint_url
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry.manifests import DOCKER_MANIFEST
from swarmdeck.store import Role
from tests.testbed.images import ensure_busybox
from tests.testbed.registry_containers import registry_container

GOAL_MS = 300.0
NAME = "bench"
PER_PAGE = 100


BATCH = 1000  # repositories per folder idx/bNNN: the first written here, the others hard-linked


def repository_name(i: int) -> str:
    return f"idx/b{i // BATCH:03d}/repo{i % BATCH:04d}"


def fill(storage: Path, count: int) -> None:
    """``count`` repositories holding what the push of SEED left in its own folder (its link
    files only; the blobs they name are stored once). The first batch of ``BATCH`` is written
    file by file; the others are hard-linked copies of it (``cp -al``, one process a batch):
    the registry reads link files by path, so a shared inode serves every repository."""
    seed = storage / REPOSITORIES / SEED
    links = [(p.relative_to(seed), p.read_bytes()) for p in seed.rglob("*") if p.is_file()]
    if not any(str(rel).startswith("_manifests/tags/") for rel, _ in links):
        raise BenchError(f"the push of {SEED} left no tag in {seed}: not the storage layout expected")
    folders = sorted({rel.parent for rel, _ in links})
    root = storage / REPOSITORIES
    for i in range(min(count, BATCH)):
        target = root / repository_name(i)
        for folder in folders:
            (target / folder).mkdir(parents=True, exist_ok=True)
        for rel, content in links:
            (target / rel).write_bytes(content)
    first = root / repository_name(0).rsplit("/", 1)[0]
    batches = -(-count // BATCH)

    def copy(batch: int) -> None:
        target = root / f"idx/b{batch:03d}"
        subprocess.run(["cp", "-al", str(first), str(target)], check=True)
        last = count - batch * BATCH  # a last partial batch: drop the extra repositories
        for extra in range(last, BATCH):
            shutil.rmtree(target / f"repo{extra:04d}")

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(copy, range(1, batches)))


def catalog_requests(container: docker.models.containers.Container) -> int:
    log = container.logs().decode(errors="replace")
    return sum(1 for line in log.splitlines() if "GET /v2/_catalog" in line)


@contextmanager
def served(data: Path) -> Iterator[tuple[httpx.Client, object]]:
    """A console on ``data`` under uvicorn on a free loopback port: an API client (its admin's
    token, made on first use and kept in ``data``) and the app."""
    app = create_app(data)
    store = app.state.console.store
    token_file = data.parent / "bench-token"
    if not token_file.exists():
        store.create_user("bench", secrets.token_urlsafe(24), Role.ADMIN)
        token_file.write_text(store.create_token("bench", "bench")[1])
    headers = {"Authorization": f"Bearer {token_file.read_text()}"}
    with (
        uvicorn_thread(app) as port,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=600) as api,
    ):
        yield api, app


def get(api: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    answer = api.get(url)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise BenchError(f"GET {url}: {answer.status_code} {answer.text[:200]}")
    return elapsed, answer


def views(count: int) -> dict[str, str]:
    api = f"/api/registries/{NAME}/repositories?per_page={PER_PAGE}"
    search = repository_name(count // 2)[:-2]  # a hundredth of the names (up to 10 batches of 1,000)
    middle = (count + PER_PAGE) // PER_PAGE // 2 + 1
    return {
        f"console warm-up: /api/registries/{NAME} (index untouched)": f"/api/registries/{NAME}",
        "console warm-up: /registries page (index untouched)": "/registries",
        "console cold: API first page": api,
        f"console cold: API search q={search}": f"{api}&q={search}",
        f"console cold: API page {middle}": f"{api}&page={middle}",
        f"console cold: /registries/{NAME} page": f"/registries/{NAME}",
    }


def line(name: str, values: list[float], width: int) -> float:
    p50 = statistics.median(values) * 1000
    print(f"{name:{width}}  {p50:10.1f}  {max(values) * 1000:10.1f}  {len(values):6d}")
    return p50


def run(args: argparse.Namespace) -> int:
    client = connect(endpoint_url(None))
    image = ensure_busybox(client)
    storage = Path(tempfile.mkdtemp(prefix="sdbench-index-", dir=args.storage))
    work = Path(tempfile.mkdtemp(prefix="sdbench-index-console-"))
    seed_ref = ""
    try:
        volumes = {str(storage): {"bind": "/var/lib/registry", "mode": "rw"}}
        with (
            registry_container(client, volumes=volumes) as address,
            httpx.Client(base_url=f"http://{address}", timeout=3600) as raw,
        ):
            container = next(
                c
                for c in client.containers.list()
                if (c.attrs["HostConfig"].get("PortBindings") or {}).get("5000/tcp", [{}])[0].get("HostPort")
                == address.rsplit(":", 1)[1]
            )
            seed_ref = f"{address}/{SEED}:1"
            tag_image(client, image, seed_ref)
            push_image(client, seed_ref)
            start = time.monotonic()
            fill(storage, args.repos)
            made = time.monotonic() - start
            print(f"wrote {args.repos} repositories in {made:.1f} s (storage {storage})")

            walks: list[float] = []
            for _ in range(args.walks):
                start = time.perf_counter()
                names = walk_catalog(raw)
                walks.append(time.perf_counter() - start)
            if len(names) != args.repos + 1:
                raise BenchError(f"the registry lists {len(names)} repositories, not {args.repos + 1}")
            probe = raw.get(
                f"/v2/{repository_name(args.repos - 1)}/manifests/1", headers={"Accept": DOCKER_MANIFEST}
            )
            if probe.status_code != 200:
                raise BenchError(
                    f"the registry does not serve the last repository made ({probe.status_code})"
                )
            print(f"the registry lists {len(names)} repositories and serves their manifests")

            data = work / "data"
            with served(data) as (api, _):
                added = api.post("/api/registries", json={"name": NAME, "address": address})
                if added.status_code != 201:
                    raise BenchError(f"adding the registry: {added.status_code} {added.text[:200]}")
                token = api.post(f"/api/registries/{NAME}/notifications/token", json={})
                if token.status_code != 200:
                    raise BenchError(f"making its token: {token.status_code} {token.text[:200]}")
                # Adding it started the index's first build in the background (as the registries
                # page does); the first view waits for that build: the console's walk and store.
                rebuild, answer = get(api, f"/api/registries/{NAME}/repositories?per_page=1")
                if answer.json()["total"] != args.repos + 1:
                    raise BenchError(f"the console indexed {answer.json()['total']} repositories")

            targets = views(args.repos)
            cold: dict[str, list[float]] = {name: [] for name in targets}
            before = catalog_requests(container)
            for _ in range(args.rounds):
                with served(data) as (api, app):
                    for name, url in targets.items():
                        elapsed, _ = get(api, url)
                        cold[name].append(elapsed)
                    if app.state.registries.catalogs.walks:
                        raise BenchError("a cold console walked the catalog")
            if catalog_requests(container) != before:
                raise BenchError("a cold console asked the registry's catalog")
    finally:
        if seed_ref:
            try:
                client.images.remove(seed_ref)
            except docker.errors.DockerException as exc:
                print(f"bench: could not remove the tag {seed_ref}: {exc}", file=sys.stderr)
        shutil.rmtree(storage, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        client.close()
        print("removed the registry, its storage and the console's data")

    width = max(len(n) for n in [*targets, "registry /v2/_catalog walk (n=1000 pages)"])
    print(f"\n{args.repos + 1} repositories; {args.rounds} cold console starts")
    print(f"{'':{width}}  {'p50 ms':>10}  {'max ms':>10}  {'runs':>6}")
    walk_ms = line("registry /v2/_catalog walk (n=1000 pages)", walks, width)
    line("console index first build (its walk + store)", [rebuild], width)
    met = True
    for name, values in cold.items():
        p50 = line(name, values, width)
        met &= max(values) * 1000 < GOAL_MS or "warm-up" in name
        print(
            f"{'':{width}}  ratio to the registry's walk: {p50 / walk_ms:.4f} ({walk_ms / p50:.0f}x faster)"
        )
    print(f"goal: every cold registry view < {GOAL_MS:.0f} ms: {'met' if met else 'MISSED'}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=100000, help="repositories to make (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="cold console starts (default 5)")
    parser.add_argument("--walks", type=int, default=1, help="timed registry catalog walks (default 1)")
    parser.add_argument(
        "--storage",
        default=None,
        help="folder for the registry's storage (default: the system's temporary folder; "
        "/dev/shm fills 100,000 repositories much faster)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.repos <= 999999 or args.rounds < 1 or args.walks < 1:
        parser.error("--repos is 1..999999; --rounds and --walks are at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_bench(lambda: run(args), "its registry was")


if __name__ == "__main__":
    sys.exit(main())
