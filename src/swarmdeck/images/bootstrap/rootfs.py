"""Making a base image's root file system: debootstrap into a temporary tree, our own files
added, what a container never reads trimmed away, and the tree removed safely afterwards.

debootstrap runs as root and mounts /proc and /sys inside its target, so a tree is unmounted
before it is removed and never removed while anything is still mounted below it. Downloaded
packages go into a shared cache; each build works on a private, hard-linked copy of it so that
concurrent builds cannot corrupt each other's downloads.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from swarmdeck.images.bootstrap.recipes import SUITE, TRIM_GLOBS, VARIANT, BaseImage
from swarmdeck.images.errors import ImageError

DEFAULT_CACHE_DIR = Path("/var/cache/swarmdeck/debootstrap")

_DOC_DIR = "usr/share/doc"
_KEEP_DOC = "copyright"


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


def remove_tree(root: Path) -> None:
    """Remove a build tree, unmounting first; never recurse into a mounted host tree."""
    if not root.exists():
        return
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False, capture_output=True)
    left = _mounts_under(root)
    if left:
        raise ImageError(f"cannot remove {root}: still mounted at {', '.join(left)}")
    shutil.rmtree(root)


def seed_private_cache(shared: Path, private: Path) -> None:
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


def publish_to_cache(private: Path, shared: Path) -> None:
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


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a log file ([] if it cannot be read)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            return [line.rstrip() for line in collections.deque(handle, maxlen=lines)]
    except OSError:
        return []


def run_debootstrap(
    recipe: BaseImage, rootfs: Path, mirror: str, cache: Path, report: Callable[[str], None]
) -> None:
    """debootstrap the recipe's packages into ``rootfs``; its own log's tail on failure."""
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
        fetched = 0
        for line in process.stdout:
            line = line.rstrip()
            output.append(line)
            if line.startswith("I: Retrieving "):
                fetched += 1
                report(f"debootstrap: {fetched} packages fetched ({line[len('I: Retrieving ') :]})")
            elif line.startswith("I: "):
                report(f"debootstrap: {line[3:]}")
    if process.returncode != 0:
        details = list(output)
        log_tail = tail(rootfs / "debootstrap" / "debootstrap.log", 15)
        if log_tail:
            details += ["--- debootstrap.log (last lines) ---", *log_tail]
        raise ImageError(
            f"debootstrap failed for {recipe.image} (exit {process.returncode}):\n" + "\n".join(details)
        )


def customize(recipe: BaseImage, rootfs: Path) -> None:
    """Add the recipe's directories, files and symlinks to ``rootfs``."""
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


def trim(rootfs: Path) -> None:
    """Remove what a container never reads (``TRIM_GLOBS``, docs but their copyright files)."""
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
