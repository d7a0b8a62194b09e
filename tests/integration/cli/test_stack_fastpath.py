"""`swarmdeck stack deploy` of an unchanged stack takes the fast path (``cli.stack_fastpath``),
and anything that changed takes the full path and converges (real swarm, real registry).

Each deploy runs as a process that reports the modules it loaded: the fast path loads none of
pydantic, yaml, docker or requests; the full path loads them all. So each case below can see
which path a deploy took, and that the full path then brought the stack back to the file (the
next deploy is fast again, and prints what the full path prints for an unchanged stack).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from swarmdeck.swarm.stacks import remove
from tests.support.cli import probe_argv, split_loaded
from tests.testbed import Registry, unique_name
from tests.testbed.images import push_to_registry

pytestmark = [pytest.mark.engine, pytest.mark.swarm]

HEAVY = ("pydantic", "yaml", "docker", "requests")


@dataclass
class Deploy:
    code: int
    out: str
    err: str
    loaded: list[str]

    @property
    def fast(self) -> bool:
        assert self.code == 0, self.err
        assert self.loaded in ([], sorted(HEAVY)), self.loaded
        return self.loaded == []


@dataclass
class Bed:
    engine: docker.DockerClient
    ns: str
    folder: Path
    data: Path
    image: str
    env: dict[str, str]

    @property
    def file(self) -> Path:
        return self.folder / "stack.yml"

    def write(self, greeting: str = "${GREETING}", services: int = 3, image: str | None = None) -> None:
        text = 'version: "3.8"\nservices:\n'
        for number in range(services):
            text += (
                f"  s{number}:\n    image: {image or self.image}\n"
                '    command: ["sleep", "3600"]\n'
                f'    environment: {{GREETING: "{greeting}"}}\n'
                "    configs: [conf]\n"
                "    deploy: {replicas: 0}\n"
            )
        text += "configs:\n  conf:\n    file: ./app.conf\n"
        self.file.write_text(text)

    def deploy(self, *extra: str) -> Deploy:
        return self.run("-c", str(self.file), *extra, self.ns)

    def run(self, *args: str) -> Deploy:
        """`swarmdeck stack deploy ARGS` as a process, with the modules it loaded."""
        run = subprocess.run(
            [*probe_argv(HEAVY), "stack", "deploy", *args],
            capture_output=True,
            text=True,
            timeout=300,
            env={**self.env, "SWARMDECK_DATA_DIR": str(self.data)},
            cwd=self.folder,
            check=False,
        )
        stderr, loaded = split_loaded(run.stderr)
        return Deploy(run.returncode, run.stdout, stderr, loaded)

    def services(self) -> dict[str, dict]:
        label = {"label": f"com.docker.stack.namespace={self.ns}"}
        return {s["Spec"]["Name"]: s for s in self.engine.api.services(filters=label)}


@pytest.fixture
def bed(engine: docker.DockerClient, registry: Registry, busybox_image: str, tmp_path: Path) -> Iterator[Bed]:
    ns = unique_name("pfast")
    # An image of this test's own under a tag of its own, so that moving the tag moves no other.
    image = push_to_registry(engine, busybox_image, registry.address, repository=f"fastpath/{ns}", tag="1")
    (tmp_path / "app.conf").write_text("one")
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    env["GREETING"] = "hello"
    made = Bed(engine, ns, tmp_path, tmp_path / "data", image, env)
    made.write()
    yield made
    if made.services():
        remove(engine, ns, wait=True)


def fast_soon(bed: Bed) -> Deploy:
    """The next deploy that takes the fast path. One full deploy may come first, finding
    nothing to change: the swarm's allocator updates a service it has just created (its
    version moves after the deploy recorded it), so the first full deploy after a creation may
    be followed by one more."""
    first = bed.deploy()
    if first.fast:
        return first
    assert all(line.startswith("Unchanged service") for line in first.out.splitlines()), first.out
    second = bed.deploy()
    assert second.fast, "two deploys in a row found nothing to change, and the second was not fast"
    return second


def unchanged_lines(bed: Bed) -> list[str]:
    return sorted(f"Unchanged service {name} (id: {s['ID']})" for name, s in bed.services().items())


def test_an_unchanged_redeploy_is_fast_and_prints_what_the_full_path_prints(bed: Bed) -> None:
    first = bed.deploy()
    assert not first.fast and "Creating service" in first.out
    fast = fast_soon(bed)
    assert sorted(fast.out.splitlines()) == unchanged_lines(bed)
    # the full path's own answer to the same deploy: the record dropped, it runs
    for record in (bed.data / "stack-deploys" / "fastpath").iterdir():
        record.unlink()
    full = bed.deploy()
    assert not full.fast
    assert (full.code, full.out, full.err) == (fast.code, fast.out, fast.err)
    # options outside the fingerprint's cases: the full path, every time
    assert not bed.deploy("--prune").fast
    assert not bed.deploy("--plan").fast
    assert fast_soon(bed).out == fast.out
    # other spellings: read before the command line loads (the first two), or by it (the last)
    for args in (
        ["--detach", "--compose-file", str(bed.file), "--resolve-image=always", bed.ns],
        [bed.ns, f"--compose-file={bed.file}", "-d", "--host", "unix:///var/run/docker.sock"],
        [f"-c{bed.file}", bed.ns],
    ):
        again = bed.run(*args)
        assert again.fast, args
        assert again.out == fast.out
    assert "--detach=false" not in bed.run("-d", "-c", str(bed.file), bed.ns).err


def _edit_file(bed: Bed) -> None:
    bed.write(greeting="edited ${GREETING}")


def _edit_variable(bed: Bed) -> None:
    bed.env["GREETING"] = "changed"


def _edit_config_file(bed: Bed) -> None:
    (bed.folder / "app.conf").write_text("two")


def _update_out_of_band(bed: Bed) -> None:
    subprocess.run(
        ["docker", "service", "update", "--detach", "--env-add", "OOB=1", f"{bed.ns}_s1"],
        check=True,
        capture_output=True,
        env=bed.env,
    )


def _remove_service(bed: Bed) -> None:
    bed.engine.api.remove_service(f"{bed.ns}_s2")


def _move_tag(bed: Bed) -> None:
    container = bed.engine.containers.create(bed.image, ["true"])
    try:
        moved = container.commit(changes=[f"LABEL moved={bed.ns}"])
    finally:
        container.remove()
    repository, _, tag = bed.image.rpartition(":")
    registry, _, name = repository.partition("/")
    push_to_registry(bed.engine, moved.id, registry, repository=name, tag=tag)


def _check_file(bed: Bed, services: dict[str, dict]) -> None:
    env = services[f"{bed.ns}_s0"]["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == [f"GREETING={'edited ' if 'edited' in bed.file.read_text() else ''}{bed.env['GREETING']}"]


CASES: dict[str, Callable[[Bed], None]] = {
    "an edited file": _edit_file,
    "a changed referenced variable": _edit_variable,
    "an out-of-band service update": _update_out_of_band,
    "a removed service": _remove_service,
    "a moved tag": _move_tag,
}


@pytest.mark.parametrize("change", list(CASES), ids=list(CASES))
def test_a_change_takes_the_full_path_and_converges(bed: Bed, change: str) -> None:
    assert not bed.deploy().fast
    fast_soon(bed)
    before = bed.services()
    CASES[change](bed)
    full = bed.deploy()
    assert not full.fast, f"{change}: took the fast path"
    after = bed.services()
    assert sorted(after) == sorted(before)  # a removed service is back
    _check_file(bed, after)
    assert all("OOB=1" not in s["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] for s in after.values())
    if change == "a moved tag":
        digests = {s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] for s in after.values()}
        old = {s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] for s in before.values()}
        assert len(digests) == 1 and digests != old
    again = fast_soon(bed)  # the full path recorded the stack it left
    assert sorted(again.out.splitlines()) == unchanged_lines(bed)


def test_a_changed_config_file_takes_the_full_path(bed: Bed) -> None:
    """The config file's content changed: the full path's answer (it refuses a config whose
    content changed), not the fast path's."""
    assert not bed.deploy().fast
    fast_soon(bed)
    _edit_config_file(bed)
    assert bed.deploy().loaded != []
