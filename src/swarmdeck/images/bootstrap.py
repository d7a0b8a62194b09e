"""Base images built locally from Debian packages, for hosts that cannot reach Docker Hub.

Each of the four images the project runs on (Python, Redis, the registry, HAProxy) has a
recipe here: ``debootstrap --variant=minbase --include=PACKAGES bookworm ROOTFS MIRROR``,
a few files of our own (entrypoints and configs that make the image behave like the
official one it stands in for), a trim of what a container never reads, then
``docker import`` with Dockerfile-style changes. The mirror is the host's own, read from its
apt sources at run time.

Every image carries a label with a hash of its recipe; :func:`bootstrap` builds only the
images whose tag is missing or carries another hash. Downloaded packages are kept in a
shared debootstrap cache so that later builds do not fetch them again.

:func:`ensure_base_images` is what a caller normally wants: the official image when the
engine has it or can pull it, the bootstrapped stand-in otherwise.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any, Literal

import docker.errors
from docker import DockerClient

from swarmdeck.images.errors import ImageError

SUITE = "bookworm"
VARIANT = "minbase"
RECIPE_LABEL = "io.swarmdeck.base.recipe"
ROLE_LABEL = "io.swarmdeck.base.role"
DEFAULT_CACHE_DIR = Path("/var/cache/swarmdeck/debootstrap")
APT_DIR = Path("/etc/apt")

Progress = Callable[[str, str], None]
"""Receives ``(role, message)`` events; may be called from several worker threads at once."""

_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Removed from every rootfs before import (globs relative to the rootfs). Copyright files
# under usr/share/doc are kept: the images are redistributed through registries.
TRIM_GLOBS: tuple[str, ...] = (
    "dev/*",
    "etc/hostname",
    "etc/resolv.conf",
    "tmp/*",
    "usr/share/info/*",
    "usr/share/lintian/*",
    "usr/share/locale/*",
    "usr/share/man/*",
    "var/cache/apt/*.bin",
    "var/cache/apt/archives/*.deb",
    "var/cache/debconf/*-old",
    "var/lib/apt/lists/*",
    "var/lib/dpkg/*-old",
    "var/log/*.log",
)
_DOC_DIR = "usr/share/doc"
_KEEP_DOC = "copyright"


@dataclass(frozen=True)
class RecipeFile:
    """A file written into the rootfs from ``bootstrap_files/<source>``."""

    path: str
    source: str
    mode: int = 0o644

    def content(self) -> bytes:
        return (resources.files("swarmdeck.images") / "bootstrap_files" / self.source).read_bytes()


@dataclass(frozen=True)
class BaseImage:
    """The recipe of one base image and the official image it stands in for."""

    role: str
    official: str
    repository: str
    tag: str
    packages: tuple[str, ...]
    changes: tuple[str, ...]
    files: tuple[RecipeFile, ...] = ()
    dirs: tuple[str, ...] = ()
    symlinks: tuple[tuple[str, str], ...] = field(default=())
    """``(path, target)`` pairs."""

    @property
    def image(self) -> str:
        """The local tag, ``swarmdeck-base/<name>:<tag>``."""
        return f"{self.repository}:{self.tag}"

    def recipe_hash(self) -> str:
        """A stable hash of everything that decides the image's content and config."""
        payload = {
            "schema": 1,
            "suite": SUITE,
            "variant": VARIANT,
            "packages": sorted(self.packages),
            "files": [[f.path, f.mode, hashlib.sha256(f.content()).hexdigest()] for f in self.files],
            "dirs": sorted(self.dirs),
            "symlinks": sorted(self.symlinks),
            "changes": list(self.changes),
            "trim": list(TRIM_GLOBS),
        }
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()


def _env(**values: str) -> tuple[str, ...]:
    return tuple(f"ENV {name}={value}" for name, value in values.items())


BASE_IMAGES: dict[str, BaseImage] = {
    image.role: image
    for image in (
        BaseImage(
            role="python",
            official="python:3.11-slim",
            repository="swarmdeck-base/python",
            tag="3.11",
            # python-is-python3: "python" exists, as in the official image.
            packages=("python3", "python3-venv", "python-is-python3"),
            changes=(*_env(PATH=_PATH, LANG="C.UTF-8"), 'CMD ["python3"]'),
        ),
        BaseImage(
            role="redis",
            official="redis:7",
            repository="swarmdeck-base/redis",
            tag="7",
            packages=("redis-server",),
            files=(RecipeFile("usr/local/bin/docker-entrypoint.sh", "redis-entrypoint.sh", 0o755),),
            dirs=("data",),
            changes=(
                *_env(PATH=_PATH),
                "WORKDIR /data",
                'VOLUME ["/data"]',
                "EXPOSE 6379",
                'ENTRYPOINT ["docker-entrypoint.sh"]',
                'CMD ["redis-server"]',
            ),
        ),
        BaseImage(
            role="registry",
            official="registry:2",
            repository="swarmdeck-base/registry",
            tag="2",
            packages=("docker-registry",),
            files=(
                RecipeFile("entrypoint.sh", "registry-entrypoint.sh", 0o755),
                RecipeFile("etc/docker/registry/config.yml", "registry-config.yml"),
            ),
            dirs=("var/lib/registry",),
            symlinks=(("usr/local/bin/registry", "/usr/bin/docker-registry"),),
            changes=(
                *_env(PATH=_PATH),
                'VOLUME ["/var/lib/registry"]',
                "EXPOSE 5000",
                'ENTRYPOINT ["/entrypoint.sh"]',
                'CMD ["/etc/docker/registry/config.yml"]',
            ),
        ),
        BaseImage(
            role="proxy",
            official="haproxy:2.6",
            repository="swarmdeck-base/haproxy",
            tag="2.6",
            packages=("haproxy",),
            files=(RecipeFile("usr/local/bin/docker-entrypoint.sh", "haproxy-entrypoint.sh", 0o755),),
            dirs=("usr/local/etc/haproxy",),
            # The official image also sets STOPSIGNAL SIGUSR1 (soft stop); `docker import`
            # does not accept STOPSIGNAL, so this one stops on SIGTERM (hard stop).
            changes=(
                *_env(PATH=_PATH),
                "USER haproxy",
                "WORKDIR /var/lib/haproxy",
                'ENTRYPOINT ["docker-entrypoint.sh"]',
                'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]',
            ),
        ),
    )
}


# --- the host's Debian mirror -------------------------------------------------------------


@dataclass(frozen=True)
class AptSource:
    """One apt source entry: either a deb822 paragraph or a one-line ``deb`` line."""

    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def parse_deb822_sources(text: str) -> list[AptSource]:
    """Parse the deb822 format of ``/etc/apt/sources.list.d/*.sources``."""
    sources = []
    for paragraph in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        name = None
        for line in paragraph.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and name is not None:
                fields[name] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            name = key.strip().lower()
            fields[name] = value.strip()
        if "uris" not in fields:
            continue
        sources.append(
            AptSource(
                types=tuple(fields.get("types", "").split()),
                uris=tuple(fields["uris"].split()),
                suites=tuple(fields.get("suites", "").split()),
                components=tuple(fields.get("components", "").split()),
                enabled=fields.get("enabled", "yes").lower() not in ("no", "false", "0"),
            )
        )
    return sources


_ONE_LINE = re.compile(
    r"^(?P<type>deb|deb-src)\s+(?:\[[^\]]*\]\s+)?"  # [arch=... signed-by=...]
    r"(?P<uri>\S*\[[^\]]*\]\S*|\S+)\s+"  # a cdrom:[Label With Spaces]/ URI, or any
    r"(?P<suite>\S+)(?P<components>.*)$"
)


def parse_one_line_sources(text: str) -> list[AptSource]:
    """Parse the one-line format of ``/etc/apt/sources.list``."""
    sources = []
    for raw in text.splitlines():
        match = _ONE_LINE.match(raw.split("#", 1)[0].strip())
        if match is None:
            continue
        sources.append(
            AptSource(
                types=(match["type"],),
                uris=(match["uri"],),
                suites=(match["suite"],),
                components=tuple(match["components"].split()),
            )
        )
    return sources


def _is_debian_mirror(source: AptSource, suite: str) -> bool:
    return (
        source.enabled
        and "deb" in source.types
        and suite in source.suites
        and ("main" in source.components or not source.components)
    )


def pick_mirror(sources: Iterable[AptSource], suite: str = SUITE) -> str | None:
    """The first usable URI of a ``deb`` source that carries ``suite`` main, if any."""
    for source in sources:
        if _is_debian_mirror(source, suite):
            for uri in source.uris:
                if uri.split(":", 1)[0] in ("http", "https", "file"):
                    return uri
    return None


def find_mirror(apt_dir: Path = APT_DIR, suite: str = SUITE) -> str:
    """The host's Debian mirror for ``suite``, from its apt sources.

    Reads ``sources.list.d/*.sources`` (deb822), ``sources.list.d/*.list`` and
    ``sources.list`` (one-line), in apt's order.
    """
    files = sorted((apt_dir / "sources.list.d").glob("*.sources"))
    files += sorted((apt_dir / "sources.list.d").glob("*.list"))
    files.append(apt_dir / "sources.list")
    sources: list[AptSource] = []
    for path in files:
        if not path.exists():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImageError(f"cannot read the apt sources {path}: {exc}") from None
        parse = parse_deb822_sources if path.suffix == ".sources" else parse_one_line_sources
        sources += parse(text)
    mirror = pick_mirror(sources, suite)
    if mirror is None:
        raise ImageError(
            f"no Debian mirror for '{suite} main' in {apt_dir}/sources.list.d/*.sources or "
            f"{apt_dir}/sources.list: add one to build base images offline"
        )
    return mirror


# --- checks before building ---------------------------------------------------------------


def check_host() -> None:
    """Raise :class:`ImageError` unless this process can run debootstrap."""
    if shutil.which("debootstrap") is None:
        raise ImageError(
            "debootstrap is not installed: run `apt-get install debootstrap` to build base images offline"
        )
    if shutil.which("tar") is None:
        raise ImageError("tar is not installed: it is needed to import base images")
    if os.geteuid() != 0:
        raise ImageError("building base images with debootstrap needs root: run as root")


# --- building one image -------------------------------------------------------------------


def _mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root`` (debootstrap mounts /proc and /sys in its target)."""
    prefix = str(root.resolve())
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return found


def _remove_tree(root: Path) -> None:
    """Remove a build tree, unmounting first; never recurse into a mounted host tree."""
    if not root.exists():
        return
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
    left = _mounts_under(root)
    if left:
        raise ImageError(f"cannot remove {root}: still mounted at {', '.join(left)}")
    shutil.rmtree(root)


def _seed_private_cache(shared: Path, private: Path) -> None:
    """Hard-link the shared cache's packages into a cache of this build's own.

    Each concurrent debootstrap writes only into its own cache (it never rewrites a file in
    place: a stale one is removed, then downloaded anew), so builds cannot corrupt each
    other's downloads.
    """
    for deb in shared.glob("*.deb"):
        try:
            os.link(deb, private / deb.name)
        except OSError:
            shutil.copy2(deb, private / deb.name)


def _publish_to_cache(private: Path, shared: Path) -> None:
    """Add this build's new (verified) downloads to the shared cache, atomically per file."""
    for deb in private.glob("*.deb"):
        target = shared / deb.name
        if target.exists():
            continue
        try:
            os.link(deb, target)
        except FileExistsError:
            pass
        except OSError:
            partial = shared / f".{deb.name}.{os.getpid()}.{threading.get_ident()}"
            shutil.copy2(deb, partial)
            os.replace(partial, target)


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return [line.rstrip() for line in collections.deque(handle, maxlen=lines)]
    except OSError:
        return []


def _run_debootstrap(
    recipe: BaseImage, rootfs: Path, mirror: str, cache: Path, report: Callable[[str], None]
) -> None:
    command = ["debootstrap", f"--variant={VARIANT}", f"--cache-dir={cache}"]
    if recipe.packages:
        command.append(f"--include={','.join(recipe.packages)}")
    command += [SUITE, str(rootfs), mirror]
    report("debootstrap: starting")
    output: collections.deque[str] = collections.deque(maxlen=8)
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip()
            output.append(line)
            if line.startswith("I: "):
                report(f"debootstrap: {line[3:]}")
    if process.returncode != 0:
        details = list(output)
        log_tail = _tail(rootfs / "debootstrap" / "debootstrap.log", 15)
        if log_tail:
            details += ["--- debootstrap.log (last lines) ---", *log_tail]
        raise ImageError(
            f"debootstrap failed for {recipe.image} (exit {process.returncode}):\n" + "\n".join(details)
        )


def _customize(recipe: BaseImage, rootfs: Path) -> None:
    for directory in recipe.dirs:
        (rootfs / directory).mkdir(parents=True, exist_ok=True)
    for item in recipe.files:
        target = rootfs / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content())
        target.chmod(item.mode)
    for path, link_target in recipe.symlinks:
        link = rootfs / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(link_target)


def _trim(rootfs: Path) -> None:
    for pattern in TRIM_GLOBS:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for path in sorted((rootfs / _DOC_DIR).rglob("*"), reverse=True):
        if path.is_symlink() or path.is_file():
            if path.name != _KEEP_DOC:
                path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def _tar_stream(stdout: IO[bytes]) -> Iterator[bytes]:
    while chunk := stdout.read(1 << 20):
        yield chunk


def _import_rootfs(client: DockerClient, recipe: BaseImage, rootfs: Path, log: Path) -> str:
    """Import ``rootfs`` as an untagged image with the recipe's changes; return its ID."""
    changes = [
        *recipe.changes,
        f"LABEL {RECIPE_LABEL}={recipe.recipe_hash()} {ROLE_LABEL}={recipe.role}",
    ]
    with (
        log.open("wb") as tar_log,
        subprocess.Popen(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-c", "."],
            stdout=subprocess.PIPE,
            stderr=tar_log,
        ) as tar,
    ):
        assert tar.stdout is not None
        try:
            answer = client.api.import_image_from_stream(_tar_stream(tar.stdout), changes=changes)
        except docker.errors.APIError as exc:
            tar.kill()
            raise ImageError(
                f"the engine refused to import {recipe.image}: {exc.explanation or exc}"
            ) from None
    image_id = None
    engine_error = None
    for line in str(answer).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        engine_error = message.get("error") or engine_error
        status = str(message.get("status", ""))
        if status.startswith("sha256:"):
            image_id = status
    if tar.returncode != 0 or engine_error or image_id is None:
        if image_id is not None:
            _remove_image(client, image_id)
        tar_error = "; ".join(_tail(log, 3))
        reason = engine_error or tar_error or f"no image ID in the engine's answer: {answer!r}"
        raise ImageError(f"importing {recipe.image} failed: {reason}")
    return image_id


def _remove_image(client: DockerClient, image_id: str) -> None:
    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(image_id, force=True)


def _inspect(client: DockerClient, tag: str) -> dict[str, Any] | None:
    """The engine's view of image ``tag``, or None if it has no such image."""
    try:
        return dict(client.api.inspect_image(tag))
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise ImageError(f"the engine could not inspect {tag}: {exc.explanation or exc}") from None


def _existing_id(client: DockerClient, tag: str) -> str | None:
    found = _inspect(client, tag)
    return None if found is None else str(found["Id"])


def _tag(client: DockerClient, recipe: BaseImage, image_id: str) -> None:
    """Point the recipe's tag at ``image_id``; drop the image it replaced if now untagged."""
    previous = _existing_id(client, recipe.image)
    try:
        client.api.tag(image_id, recipe.repository, recipe.tag, force=True)
    except docker.errors.APIError as exc:
        _remove_image(client, image_id)
        raise ImageError(f"tagging {recipe.image} failed: {exc.explanation or exc}") from None
    if previous and previous != image_id:
        try:
            if not client.images.get(previous).tags:
                client.images.remove(previous)
        except docker.errors.APIError:
            pass  # still used by a container: the engine keeps it, so do we


def build_base_image(
    client: DockerClient,
    recipe: BaseImage,
    *,
    mirror: str | None = None,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    progress: Progress | None = None,
) -> str:
    """Build ``recipe`` now (whatever is tagged already) and tag it; return its image ID.

    On failure raises :class:`ImageError`, leaving no image, no tag change and no
    temporary tree behind.
    """
    check_host()
    mirror = mirror or find_mirror()

    def report(message: str) -> None:
        if progress is not None:
            progress(recipe.role, message)

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot create the debootstrap cache {cache_dir}: {exc}") from None
    with contextlib.ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix=f"swarmdeck-base-{recipe.role}-"))
        cleanup.callback(_remove_tree, work)
        private_cache = Path(tempfile.mkdtemp(prefix=f".build-{recipe.role}-", dir=cache_dir))
        cleanup.callback(shutil.rmtree, private_cache, ignore_errors=True)
        rootfs = work / "rootfs"
        _seed_private_cache(cache_dir, private_cache)
        _run_debootstrap(recipe, rootfs, mirror, private_cache, report)
        _publish_to_cache(private_cache, cache_dir)
        report("adding files and trimming")
        _customize(recipe, rootfs)
        _trim(rootfs)
        report("importing into the engine")
        image_id = _import_rootfs(client, recipe, rootfs, work / "tar.log")
        _tag(client, recipe, image_id)
        size = (_inspect(client, image_id) or {}).get("Size", 0)
    report(f"built {recipe.image} ({size / 1e6:.0f} MB)")
    return image_id


# --- the public entry points --------------------------------------------------------------


def _select(roles: Sequence[str] | None) -> list[BaseImage]:
    if roles is None:
        return list(BASE_IMAGES.values())
    unknown = [role for role in roles if role not in BASE_IMAGES]
    if unknown:
        raise ImageError(f"unknown base image role(s) {', '.join(unknown)}; known: {', '.join(BASE_IMAGES)}")
    return [BASE_IMAGES[role] for role in dict.fromkeys(roles)]


def is_current(client: DockerClient, recipe: BaseImage) -> bool:
    """Whether the recipe's tag exists and was built from this very recipe."""
    found = _inspect(client, recipe.image)
    labels = ((found or {}).get("Config") or {}).get("Labels") or {}
    return bool(labels.get(RECIPE_LABEL) == recipe.recipe_hash())


def bootstrap(
    client: DockerClient,
    roles: Sequence[str] | None = None,
    progress: Progress | None = None,
    *,
    cache_dir: Path = DEFAULT_CACHE_DIR,
) -> dict[str, str]:
    """Build the base images of ``roles`` (all by default) that are missing or outdated.

    Returns role → local tag. Builds run concurrently, one per core: debootstrap is
    network-bound while downloading and CPU-bound while unpacking. If a build fails, the
    others still finish, then :class:`ImageError` names every failure.
    """
    recipes = _select(roles)
    todo = []
    for recipe in recipes:
        if is_current(client, recipe):
            if progress is not None:
                progress(recipe.role, f"{recipe.image} is up to date")
        else:
            todo.append(recipe)
    if todo:
        check_host()
        mirror = find_mirror()
        workers = min(len(todo), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                recipe.role: pool.submit(
                    build_base_image,
                    client,
                    recipe,
                    mirror=mirror,
                    cache_dir=cache_dir,
                    progress=progress,
                )
                for recipe in todo
            }
        failures = []
        for role, future in futures.items():
            error = future.exception()
            if isinstance(error, ImageError):
                failures.append(f"[{role}] {error}")
            elif error is not None:
                raise error
        if failures:
            raise ImageError("\n".join(failures))
    return {recipe.role: recipe.image for recipe in recipes}


Source = Literal["local", "pulled", "bootstrapped"]


@dataclass(frozen=True)
class BaseImageChoice:
    """Which image serves a role, and where it came from."""

    role: str
    image: str
    source: Source
    """``local``: the official image was already on the engine; ``pulled``: it was pulled
    now; ``bootstrapped``: the engine could not get it, the Debian-built stand-in is used."""
    pull_error: str | None = None
    """Why the official image could not be pulled (``bootstrapped`` only)."""


def ensure_base_images(
    client: DockerClient,
    roles: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, BaseImageChoice]:
    """For each role, the official image if the engine has it or can pull it, else ours."""
    choices: dict[str, BaseImageChoice] = {}
    pull_errors: dict[str, str] = {}
    for recipe in _select(roles):
        if _existing_id(client, recipe.official) is not None:
            choices[recipe.role] = BaseImageChoice(recipe.role, recipe.official, "local")
            continue
        if progress is not None:
            progress(recipe.role, f"pulling {recipe.official}")
        repository, _, tag = recipe.official.partition(":")
        try:
            client.images.pull(repository, tag=tag)
        except docker.errors.APIError as exc:
            pull_errors[recipe.role] = str(exc.explanation or exc)
            if progress is not None:
                progress(
                    recipe.role,
                    f"cannot pull {recipe.official}: using {recipe.image} (Debian packages)",
                )
            continue
        choices[recipe.role] = BaseImageChoice(recipe.role, recipe.official, "pulled")
    if pull_errors:
        built = bootstrap(client, list(pull_errors), progress)
        for role, image in built.items():
            choices[role] = BaseImageChoice(role, image, "bootstrapped", pull_errors[role])
    return {recipe.role: choices[recipe.role] for recipe in _select(roles)}
