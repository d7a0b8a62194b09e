"""The console's registry catalog against the registry's own /v2/_catalog paging, side by side.

    .venv/bin/python bench/registry_catalog.py [--repos 10000] [--rounds 20]

Runs a throwaway registry container (the project's registry base image, on a free loopback
port, its storage a fresh folder of this machine), pushes the test bed's busybox image to it
as ``seed/busybox:1`` with the engine, then makes ``--repos`` repositories ``many/repoNNNNN``
of the same image by writing what a push leaves in the registry's storage (the filesystem
driver's layout: each repository's ``_layers`` and ``_manifests`` link files, naming blobs
the seed's push stored once) — seconds for 10,000 where pushing them through the API takes
minutes. It checks that the registry lists them all and serves their manifests, adds the
registry to the console (in this process, an admin with an API token), and times,
interleaved round by round:

- the raw calls: the first page ``GET /v2/_catalog?n=100``, and the whole catalog in pages of
  1,000 following the ``Link`` header (what a search, a total or a later page needs: the
  registry can neither search nor jump to a page),
- the console's catalog API cold (``refresh=true``: the whole catalog fetched again), and warm
  (served from its cache): the first page, a search (``q=repo050`` at 10,000: 100 matches)
  and a page in the middle (page 51 of 101),
- the registry's page in the console (``GET /registries/NAME``, first page) and the
  registries list page (``GET /registries``).

Prints p50 and p99 of each (milliseconds), the console's ratios to the raw call its view
needs, and whether the goal (p50 < 300 ms) is met. The registry, its storage and the seed
tag are removed at the end (also on Ctrl-C or SIGTERM). Exit status: 0 done (whether or not
the goal is met), 1 something failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import docker
import docker.errors
import httpx
from _common import (
    BenchError,
    Target,
    console,
    full_get,
    measure,
    run_bench,
    table,
)

from swarmdeck.engine.client import connect, endpoint_url
from swarmdeck.images.build import push_image, tag_image
from swarmdeck.registry.manifests import DOCKER_MANIFEST
from tests.testbed.images import ensure_busybox
from tests.testbed.registry_containers import registry_container

SEED = "seed/busybox"
REPOSITORIES = Path("docker/registry/v2/repositories")  # under the storage root
GOAL_MS = 300.0
NAME = "bench"
PER_PAGE = 100
CHECKED = 20  # manifests fetched from repositories picked at random to check the layout


# --- the registry's storage -----------------------------------------------------------------
def repository_name(i: int) -> str:
    return f"many/repo{i:05d}"


def clone_repositories(storage: Path, count: int) -> None:
    """Write ``count`` repositories holding what the push of SEED left in its own folder:
    the link files (``_layers/sha256/*/link``, ``_manifests/revisions/...``, ``_manifests/tags/...``)
    that point at blobs stored once under ``blobs/``. Nothing is copied but those links."""
    seed = storage / REPOSITORIES / SEED
    links = [(p.relative_to(seed), p.read_bytes()) for p in seed.rglob("*") if p.is_file()]
    if not any(str(rel).startswith("_manifests/tags/") for rel, _ in links):
        raise BenchError(f"the push of {SEED} left no tag in {seed}: not the storage layout expected")
    for i in range(count):
        target = storage / REPOSITORIES / repository_name(i)
        for rel, content in links:
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


def check_registry(raw: httpx.Client, count: int) -> None:
    names = walk_catalog(raw)
    expected = sorted([SEED, *(repository_name(i) for i in range(count))])
    if names != expected:
        raise BenchError(f"the registry lists {len(names)} repositories, not the {len(expected)} written")
    for i in random.sample(range(count), min(CHECKED, count)):
        answer = raw.get(f"/v2/{repository_name(i)}/manifests/1", headers={"Accept": DOCKER_MANIFEST})
        if answer.status_code != 200:
            raise BenchError(f"the registry does not serve {repository_name(i)}:1 ({answer.status_code})")


# --- what is timed --------------------------------------------------------------------------
def walk_catalog(raw: httpx.Client) -> list[str]:
    """The whole catalog, 1,000 names a request, following the registry's Link header."""
    names: list[str] = []
    url: str | None = "/v2/_catalog?n=1000"
    while url:
        answer = raw.get(url)
        if answer.status_code != 200:
            raise BenchError(f"GET {url}: {answer.status_code}")
        names += answer.json().get("repositories") or []
        url = answer.links.get("next", {}).get("url")
    return names


def raw_walk(raw: httpx.Client) -> Target:
    def request() -> None:
        walk_catalog(raw)

    return request


# --- the run --------------------------------------------------------------------------------
RAW_FIRST = f"registry /v2/_catalog?n={PER_PAGE}"
RAW_ALL = "registry catalog walk (n=1000 pages)"
API = f"/api/registries/{NAME}/repositories"


def views(count: int) -> dict[str, tuple[str, str | None]]:
    """Console target: (URL, its raw peer or None when the view asks the registry nothing).
    The search matches a hundredth of the names (all of them below 100), the later page is
    the middle one."""
    search = f"repo{count // 2:05d}"[:-2]
    middle = (count + 1) // PER_PAGE // 2 + 1
    return {
        "console API cold (refresh=true)": (f"{API}?per_page={PER_PAGE}&refresh=true", RAW_ALL),
        "console API first page": (f"{API}?per_page={PER_PAGE}", RAW_FIRST),
        f"console API search q={search}": (f"{API}?per_page={PER_PAGE}&q={search}", RAW_ALL),
        f"console API page {middle}": (f"{API}?per_page={PER_PAGE}&page={middle}", RAW_ALL),
        f"console /registries/{NAME} page": (f"/registries/{NAME}", RAW_FIRST),
        "console /registries page": ("/registries", None),
    }


def report(times: dict[str, list[float]], peers: dict[str, str | None]) -> None:
    rows = table(times)
    for name, raw in peers.items():
        p50, p99 = rows[name]
        met = "met" if p50 < GOAL_MS else "MISSED"
        ratio = f"/ {raw}: p50 {p50 / rows[raw][0]:.3g}x, p99 {p99 / rows[raw][1]:.3g}x " if raw else ""
        print(f"ratio {name} {ratio}(goal p50 < {GOAL_MS:.0f} ms: {met})")


def run(args: argparse.Namespace) -> int:
    url = endpoint_url(None)
    client = connect(url)
    image = ensure_busybox(client)
    storage = Path(tempfile.mkdtemp(prefix="sdbench-registry-"))
    seed_ref = ""
    try:
        volumes = {str(storage): {"bind": "/var/lib/registry", "mode": "rw"}}
        with (
            registry_container(client, volumes=volumes) as address,
            httpx.Client(base_url=f"http://{address}", timeout=120) as raw,
        ):
            seed_ref = f"{address}/{SEED}:1"
            tag_image(client, image, seed_ref)
            push_image(client, seed_ref)
            start = time.monotonic()
            clone_repositories(storage, args.repos)
            check_registry(raw, args.repos)
            print(
                f"made {args.repos} repositories in {time.monotonic() - start:.1f} s; the registry at "
                f"{address} lists {args.repos + 1} (storage {storage})"
            )
            with (
                console(url) as (base, token),
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as api,
            ):
                added = api.post("/api/registries", json={"name": NAME, "address": address})
                if added.status_code != 201:
                    raise BenchError(f"adding the registry to the console: {added.status_code} {added.text}")
                found = api.get(API, params={"per_page": PER_PAGE}).json()
                print(f"the console lists {found['total']} repositories in {found['pages']} pages")
                targets: dict[str, Target] = {
                    RAW_FIRST: full_get(raw, f"/v2/_catalog?n={PER_PAGE}"),
                    RAW_ALL: raw_walk(raw),
                    **{name: full_get(api, url) for name, (url, _) in views(args.repos).items()},
                }
                times = measure(targets, args.rounds)
        report(times, {name: peer for name, (_, peer) in views(args.repos).items()})
    finally:
        if seed_ref:
            try:
                client.images.remove(seed_ref)
            except docker.errors.DockerException as exc:
                print(f"bench: could not remove the tag {seed_ref}: {exc}", file=sys.stderr)
        shutil.rmtree(storage, ignore_errors=True)
        print("removed the registry and its storage")
        client.close()
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=10000, help="repositories to make (default 10000)")
    parser.add_argument("--rounds", type=int, default=20, help="timed requests per target (default 20)")
    args = parser.parse_args(argv)
    if not 1 <= args.repos <= 99999 or args.rounds < 1:
        parser.error("--repos is 1..99999; --rounds is at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_bench(lambda: run(args), "its registry was")


if __name__ == "__main__":
    sys.exit(main())
