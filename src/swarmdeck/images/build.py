"""Build, tag and push images through the engine API, with progress events.

Images are built offline: Python dependencies come from a wheelhouse that the host fills
before the build (the host can reach the package index; a build container often cannot, as
on the report's private lab network), so the Dockerfile installs with ``--no-index``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import docker

from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineImageNotFound
from swarmdeck.engine.reference import parse_tagged
from swarmdeck.engine.reference import split_tag as _split_tag
from swarmdeck.images.errors import ImageError

Progress = Callable[[str], None]

# The Python of the base images (python:3.11-slim, Debian bookworm's python3).
IMAGE_PYTHON = "3.11"
_GLIBC_TAGS = (
    "manylinux2014",
    "manylinux_2_17",
    "manylinux_2_28",
    "manylinux_2_31",
    "manylinux_2_34",
    "manylinux_2_36",
)
_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}
WHEELHOUSE = "wheels"
_STAMP = ".source-hash"


def _noop(_: str) -> None:
    pass


def prepare_wheelhouse(app_dir: Path, machine: str, progress: Progress = _noop) -> Path:
    """Fill ``app_dir/wheels`` with the app's wheel and its dependencies for the image.

    ``machine`` is the engine's architecture (``docker info``'s Architecture). Wheels are
    fetched for the image's Python and architecture, not the host's, so a host on another
    Python still builds a working image. Reused while the app's sources are unchanged.
    """
    arch = image_arch(machine)
    wheels = app_dir / WHEELHOUSE
    digest = _source_hash(app_dir, arch)
    stamp = wheels / _STAMP
    if stamp.exists() and stamp.read_text() == digest:
        progress("wheelhouse up to date")
        return wheels
    wheels.mkdir(exist_ok=True)
    for old in wheels.glob("*.whl"):
        old.unlink()
    progress("building the app's wheel")
    build_wheel(app_dir, wheels)
    deps = project_dependencies(app_dir)
    if deps:
        progress(f"fetching {len(deps)} dependencies for Python {IMAGE_PYTHON} on {arch}")
        download_wheels(deps, wheels, arch, app_dir)
    stamp.write_text(digest)
    return wheels


def image_arch(machine: str) -> str:
    """The wheel architecture for the engine's ``docker info`` Architecture."""
    arch = _ARCH.get(machine)
    if arch is None:
        raise ImageError(f"no wheels can be chosen for the engine's architecture {machine!r}")
    return arch


def build_wheel(project: Path, wheels: Path) -> None:
    """``pip wheel --no-deps``: the project's own wheel, without its dependencies."""
    _pip(["wheel", "--no-deps", "--wheel-dir", str(wheels), str(project)], project)


def download_wheels(
    requirements: list[str], wheels: Path, arch: str, cwd: Path, constraints: Path | None = None
) -> None:
    """``pip download`` binary wheels of ``requirements`` (and what they need) for the
    image's Python and ``arch`` into ``wheels``."""
    platforms = [arg for tag in _GLIBC_TAGS for arg in ("--platform", f"{tag}_{arch}")]
    pinned = ["--constraint", str(constraints)] if constraints else []
    _pip(
        [
            "download",
            "--only-binary=:all:",
            "--python-version",
            IMAGE_PYTHON,
            "--implementation",
            "cp",
            *platforms,
            *pinned,
            "--dest",
            str(wheels),
            *requirements,
        ],
        cwd,
    )


def project_dependencies(app_dir: Path) -> list[str]:
    try:
        project = tomllib.loads((app_dir / "pyproject.toml").read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ImageError(f"{app_dir / 'pyproject.toml'}: cannot read [project]: {exc}") from exc
    return list(project.get("dependencies", []))


def _source_hash(app_dir: Path, arch: str) -> str:
    h = hashlib.sha256(f"{IMAGE_PYTHON}/{arch}".encode())
    files = [app_dir / "pyproject.toml", *sorted((app_dir / "src").rglob("*.py"))]
    for path in files:
        h.update(str(path.relative_to(app_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _pip(args: list[str], cwd: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-5:])
        raise ImageError(f"pip {args[0]} failed for {cwd}:\n{tail}")


def build_image(
    client: docker.DockerClient,
    context: Path,
    tag: str,
    buildargs: dict[str, str] | None = None,
    progress: Progress = _noop,
) -> str:
    """``docker build -t TAG --build-arg … CONTEXT``; returns the image ID."""
    with doing(f"building {tag} from {context} failed"):
        stream = client.api.build(
            path=str(context), tag=tag, buildargs=buildargs or {}, rm=True, forcerm=True, decode=True
        )
        image_id = ""
        for event in _events(stream, f"building {tag}"):
            line = (event.get("stream") or "").strip()
            if line:
                progress(line)
            if "aux" in event and "ID" in event["aux"]:
                image_id = event["aux"]["ID"]
    if not image_id:
        image_id = client.images.get(tag).id or ""
    return image_id


def tag_image(client: docker.DockerClient, source: str, target: str) -> None:
    parsed = parse_tagged(target)
    repository, tag = parsed.name, parsed.tag or "latest"
    try:
        with doing(f"tagging {source} as {target}"):
            client.images.get(source).tag(repository, tag=tag)
    except EngineImageNotFound as exc:
        raise ImageError(f"no image {source} to tag as {target}") from exc


def push_image(client: docker.DockerClient, reference: str, progress: Progress = _noop) -> str:
    """``docker push REFERENCE``; returns the pushed manifest's digest."""
    repository, tag = _split_tag(reference)
    digest = ""
    with doing(f"pushing {reference} failed"):
        stream = client.api.push(repository, tag=tag, stream=True, decode=True)
        for event in _events(stream, f"the registry refused the push of {reference}"):
            status = event.get("status")
            if status and event.get("id"):
                progress(f"{event['id']}: {status}")
            aux = event.get("aux") or {}
            digest = aux.get("Digest", digest)
    return digest


def _events(stream: Iterable[dict[str, Any]], failure: str) -> Iterator[dict[str, Any]]:
    for event in stream:
        if "error" in event:
            detail = (event.get("errorDetail") or {}).get("message") or event["error"]
            raise ImageError(f"{failure}: {detail.strip()}")
        yield event
