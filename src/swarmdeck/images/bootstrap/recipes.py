"""What each base image is made of: its packages, files, config changes and recipe hash.

A recipe (``BaseImage``) names the official image it stands in for, the Debian packages
debootstrap installs, the files of our own written into the rootfs (entrypoints and configs
that make the image behave like the official one), and the Dockerfile-style changes given to
``docker import``. The recipe hash covers everything that decides an image's content and
config, so a changed recipe is rebuilt and an unchanged one never is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources

from swarmdeck.images.errors import ImageError

SUITE = "bookworm"
VARIANT = "minbase"
RECIPE_LABEL = "io.swarmdeck.base.recipe"
ROLE_LABEL = "io.swarmdeck.base.role"

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


def select(roles: Sequence[str] | None) -> list[BaseImage]:
    """The recipes of ``roles`` (all by default, duplicates once); unknown roles are refused."""
    if roles is None:
        return list(BASE_IMAGES.values())
    unknown = [role for role in roles if role not in BASE_IMAGES]
    if unknown:
        raise ImageError(f"unknown base image role(s) {', '.join(unknown)}; known: {', '.join(BASE_IMAGES)}")
    return [BASE_IMAGES[role] for role in dict.fromkeys(roles)]
