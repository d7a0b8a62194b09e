"""The console's image, ``swarmdeck-console:<version>``: swarmdeck itself, served by
``swarmdeck serve``, built offline on the Python base image that ``up`` chose.

The build context (``build/console-image`` in the source tree) holds this Dockerfile and a
wheelhouse: swarmdeck's wheel, made from a clean copy of its sources (with the front-end
files that ``scripts/build-static.sh`` put in ``console/static/vendor``), and binary wheels
of its dependencies for the image's Python, pinned to the versions of the environment that
runs the build (the one the tests ran in). The host fetches them with its own pip
configuration, so the build itself needs no network.

The image carries a label with a hash of everything that decides its content (sources,
pins, Dockerfile, base image): when an image with that tag and hash exists, nothing is
rebuilt, so a second ``swarmdeck up`` costs a hash of the sources and nothing more.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import docker

from swarmdeck import __version__
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineImageNotFound
from swarmdeck.images.build import (
    IMAGE_PYTHON,
    Progress,
    build_image,
    build_wheel,
    download_wheels,
    image_arch,
    project_dependencies,
)
from swarmdeck.images.errors import ImageError

REPOSITORY = "swarmdeck-console"
SOURCE_LABEL = "io.swarmdeck.console.source"
PORT = 9000
DATA_DIR = "/data"
# What the wheel must carry for the pages to work (checked before the build).
# What scripts/build-static.sh copies (xterm.js for the exec console, uPlot for the charts).
VENDOR_FILES = ("htmx.min.js", "modern-normalize.css", "xterm.js", "uPlot.iife.min.js")
REQUIRED_FILES = (
    *(f"swarmdeck/console/static/vendor/{name}" for name in VENDOR_FILES),
    "swarmdeck/console/templates/base.html",
)
_STAMP = ".source-hash"
_DEPS_STAMP = ".dependencies-hash"  # the pins the dependency wheels were fetched for

HEALTH_PROBE = (
    "import sys, urllib.request; "
    "urllib.request.urlopen('http://127.0.0.1:%s/api/health' % sys.argv[1], timeout=2)"
)

DOCKERFILE = f"""\
# swarmdeck's console (made by swarmdeck.images.console_image; BASE: a Python 3.11 image
# with python3-venv, e.g. python:3.11-slim or swarmdeck-base/python:3.11).
ARG BASE=python:3.11-slim

FROM ${{BASE}} AS build
COPY wheels/ /wheels/
RUN python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install --no-index --find-links /wheels --no-compile swarmdeck \\
 && /opt/venv/bin/pip uninstall -y -q pip setuptools \\
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib

FROM ${{BASE}}
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \\
    PYTHONUNBUFFERED=1 \\
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["{DATA_DIR}"]
EXPOSE {PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \\
  CMD ["python3", "-c", "{HEALTH_PROBE}", "{PORT}"]
ENTRYPOINT ["swarmdeck"]
CMD ["serve", "--host", "0.0.0.0", "--port", "{PORT}", "--data-dir", "{DATA_DIR}"]
ARG SOURCE=unknown
LABEL {SOURCE_LABEL}=$SOURCE
"""


@dataclass(frozen=True)
class ConsoleImage:
    tag: str
    built: bool  # False: an image of the same sources was there already


def image_tag() -> str:
    return f"{REPOSITORY}:{__version__}"


def source_root() -> Path:
    """swarmdeck's source tree (the checkout this package runs from)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "pyproject.toml").is_file() or not (root / "src" / "swarmdeck").is_dir():
        raise ImageError(
            f"the console image is built from swarmdeck's source tree, and {root} is not "
            "one (run swarmdeck from its checkout, installed with `pip install -e`; "
            "`swarmdeck up --no-console` goes without the console)"
        )
    return root


def context_dir(root: Path) -> Path:
    return root / "build" / "console-image"


def prepare_context(machine: str, progress: Progress, root: Path | None = None) -> Path:
    """The build context with an up-to-date wheelhouse.

    The dependencies' wheels are kept while the pins, the project's dependencies, the
    architecture and the image's Python are unchanged; a change of swarmdeck's own sources
    only rebuilds swarmdeck's wheel. So editing the code and running ``up`` again needs no
    network (``pip download`` is only for new pins). ``machine`` is the engine's
    ``docker info`` Architecture.
    """
    root = root or source_root()
    arch = image_arch(machine)
    vendor_dir = root / "src" / "swarmdeck" / "console" / "static" / "vendor"
    for vendor in (vendor_dir / name for name in VENDOR_FILES):
        if vendor.is_file():
            continue
        raise ImageError(
            f"{vendor} is missing: run `npm ci && bash scripts/build-static.sh` "
            "(scripts/setup.sh does) before building the console image"
        )
    context = context_dir(root)
    wheels = context / "wheels"
    constraints = _pins()
    deps = project_dependencies(root)
    deps_digest = hashlib.sha256(f"{IMAGE_PYTHON}/{arch}\n{constraints}\n{deps}".encode()).hexdigest()
    digest = _source_hash(root, arch, constraints)
    stamp, deps_stamp = context / _STAMP, context / _DEPS_STAMP
    (context / "Dockerfile").parent.mkdir(parents=True, exist_ok=True)
    (context / "Dockerfile").write_text(DOCKERFILE)
    deps_current = deps_stamp.exists() and deps_stamp.read_text() == deps_digest and wheels.is_dir()
    if deps_current and stamp.exists() and stamp.read_text() == digest:
        progress("wheelhouse up to date")
        return context
    if not deps_current:
        if wheels.exists():
            shutil.rmtree(wheels)
        wheels.mkdir()
    for old in wheels.glob("swarmdeck-*.whl"):
        old.unlink()
    (context / "constraints.txt").write_text(constraints)
    with tempfile.TemporaryDirectory(prefix="swarmdeck-wheel-") as tmp:
        copy = Path(tmp) / "swarmdeck"
        _copy_sources(root, copy)
        progress("building swarmdeck's wheel")
        build_wheel(copy, wheels)
    _check_wheel(wheels)
    if not deps_current:
        progress(f"fetching {len(deps)} pinned dependencies for Python {IMAGE_PYTHON} on {arch}")
        download_wheels(deps, wheels, arch, root, constraints=context / "constraints.txt")
        deps_stamp.write_text(deps_digest)
    stamp.write_text(digest)
    return context


def ensure_console_image(
    client: docker.DockerClient, base: str, progress: Progress, root: Path | None = None
) -> ConsoleImage:
    """``swarmdeck-console:<version>`` on ``base``, built only when its sources changed."""
    root = root or source_root()
    tag = image_tag()
    try:
        with doing(f"looking for the base image {base}"):
            base_id = str(client.images.get(base).id)
    except EngineImageNotFound as exc:
        raise ImageError(f"the base image {base} is not on the engine") from exc
    machine = client.info().get("Architecture", "x86_64")
    wanted = _image_hash(_source_hash(root, image_arch(machine), _pins()), base_id)
    try:
        with doing(f"looking for {tag}"):
            current = client.images.get(tag).labels.get(SOURCE_LABEL)
        if current == wanted:
            progress(f"{tag} is up to date")
            return ConsoleImage(tag, built=False)
    except EngineImageNotFound:
        pass
    context = prepare_context(machine, progress, root)
    build_image(client, context, tag, buildargs={"BASE": base, "SOURCE": wanted}, progress=progress)
    return ConsoleImage(tag, built=True)


def _pins() -> str:
    """``name==version`` of every distribution in this environment but swarmdeck itself."""
    pins = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and name != "swarmdeck":
            pins[name] = f"{name}=={dist.version}"
    return "".join(f"{pins[name]}\n" for name in sorted(pins))


def _source_files(root: Path) -> list[Path]:
    files = [root / "pyproject.toml", root / "README.md"]
    files += sorted(
        p
        for p in (root / "src" / "swarmdeck").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    return files


def _source_hash(root: Path, arch: str, constraints: str) -> str:
    h = hashlib.sha256(f"{IMAGE_PYTHON}/{arch}\n{constraints}".encode())
    for path in _source_files(root):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def _image_hash(source_hash: str, base_id: str) -> str:
    return hashlib.sha256(f"{source_hash}\n{base_id}\n{DOCKERFILE}".encode()).hexdigest()


def _copy_sources(root: Path, target: Path) -> None:
    """Exactly the hashed files: no build leftovers, no egg-info of an editable install."""
    for path in _source_files(root):
        destination = target / path.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def _check_wheel(wheels: Path) -> None:
    built = sorted(wheels.glob("swarmdeck-*.whl"))
    if not built:
        raise ImageError(f"no swarmdeck wheel was built in {wheels}")
    with zipfile.ZipFile(built[-1]) as wheel:
        missing = [f for f in REQUIRED_FILES if f not in wheel.namelist()]
    if missing:
        raise ImageError(
            f"{built[-1].name} lacks {', '.join(missing)}: check the package data in pyproject.toml"
        )
