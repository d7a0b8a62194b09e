"""Fetching a stack's compose file from a Git repository, with the ``git`` binary.

What a user types never reaches git's command line as an option: the URL, the branch or
tag and the file path are checked first (``check_url``, ``check_ref``, ``check_path``: one
clear refusal each), and git runs with a fixed argv, the URL after ``--``. Only
``https://``, ``http://`` and ``git://`` repositories are fetched (``GIT_ALLOW_PROTOCOL``
says so to git too, for redirects and submodules): never ``file://``, a local path, ssh or
a transport helper (``ext::``). Credentials are refused inside the URL (they would end up in
logs and pages); the username and token go to git through ``GIT_ASKPASS`` (a script that
prints two environment variables), never in argv.

git runs without a terminal (``GIT_TERMINAL_PROMPT=0``), without the user's or system's
config, under a timeout, in a temporary directory removed afterwards: a shallow clone of the
one branch or tag. The compose file must be a regular file inside the checkout once its
symlinks are resolved, at most 1 MB.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from swarmdeck.console.errors import ConsoleError

GIT_TIMEOUT = 120.0  # seconds for a clone
MAX_FILE = 1_000_000
MAX_URL, MAX_REF, MAX_PATH = 500, 200, 300
SCHEMES = ("https", "http", "git")
_REF = re.compile(r"^[A-Za-z0-9._/+-]+$")
_HOST = re.compile(r"^[A-Za-z0-9.:-]+$")  # a name, an IPv4 or IPv6 address
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$SWARMDECK_GIT_USERNAME" ;;
  *) printf '%s\\n' "$SWARMDECK_GIT_TOKEN" ;;
esac
"""


class GitRefused(ConsoleError):
    """A repository setting refused before git runs (422)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 422)


class GitFailed(ConsoleError):
    """git could not fetch the file (the repository, branch or file is not there, the
    server does not answer or refuses the credentials): 502 with git's own last words."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 502)


@dataclass(frozen=True)
class Fetched:
    commit: str
    compose: str


def check_url(url: str) -> str:
    """``url`` if it is an https, http or git URL of a remote host without credentials."""
    if not url or len(url) > MAX_URL:
        raise GitRefused(f"a repository URL is 1 to {MAX_URL} characters")
    if url.startswith("-"):
        raise GitRefused("a repository URL does not start with '-'")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise GitRefused("a repository URL has no spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not url.lower().startswith(parts.scheme.lower() + "://"):
        raise GitRefused(
            "a repository URL starts with https://, http:// or git:// "
            "(file://, local paths, ssh and transport helpers are refused)"
        )
    if "@" in parts.netloc:
        raise GitRefused(
            "a repository URL has no credentials in it: put them in the username and token fields"
        )
    if not parts.hostname or not _HOST.match(parts.hostname):
        raise GitRefused("a repository URL names a host")
    try:
        parts.port  # noqa: B018  (a bad port raises)
    except ValueError:
        raise GitRefused("a repository URL's port is a number from 1 to 65535") from None
    return url


def check_ref(ref: str) -> str:
    """``ref`` if it is a plausible branch or tag name (not an option, no '..')."""
    if not ref or len(ref) > MAX_REF:
        raise GitRefused(f"a branch or tag is 1 to {MAX_REF} characters")
    if not _REF.match(ref) or ref.startswith(("-", "/", ".")) or ".." in ref or "//" in ref:
        raise GitRefused(
            "a branch or tag is letters, digits and '.', '_', '/', '+', '-' "
            "(not starting with '-', '/' or '.', no '..')"
        )
    if ref.endswith(("/", ".", ".lock")):
        raise GitRefused("a branch or tag does not end with '/', '.' or '.lock'")
    return ref


def check_path(path: str) -> str:
    """``path`` if it is a relative path inside the repository (no '..', not absolute)."""
    if not path or len(path) > MAX_PATH:
        raise GitRefused(f"a compose file path is 1 to {MAX_PATH} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in path) or "\\" in path:
        raise GitRefused("a compose file path has no control characters or backslashes")
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or path.startswith("-"):
        raise GitRefused(
            "a compose file path is relative to the repository's top, without '..' "
            "(and does not start with '-')"
        )
    return path


def fetch(url: str, ref: str, path: str, username: str = "", token: str = "") -> Fetched:
    """The compose file at ``path`` in ``ref`` of ``url``, and the commit it was read from."""
    check_url(url), check_ref(ref), check_path(path)
    work = Path(tempfile.mkdtemp(prefix="swarmdeck-git-"))
    try:
        askpass = work / "askpass.sh"
        askpass.write_text(_ASKPASS)
        askpass.chmod(0o700)
        checkout = work / "checkout"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work),
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": str(askpass),
            "SSH_ASKPASS": str(askpass),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ALLOW_PROTOCOL": ":".join(SCHEMES),
            "GIT_PROTOCOL_FROM_USER": "0",
            "SWARMDECK_GIT_USERNAME": username,
            "SWARMDECK_GIT_TOKEN": token,
            "LC_ALL": "C",
        }
        argv = [
            "git",
            "-c", "core.symlinks=true",
            "-c", "protocol.file.allow=never",
            "-c", "credential.helper=",
            "clone", "--quiet", "--depth=1", "--single-branch", "--no-tags",
            "--no-recurse-submodules", "--branch", ref, "--", url, str(checkout),
        ]  # fmt: skip
        _run(argv, env, work, url, ref)
        commit = _run(["git", "-C", str(checkout), "rev-parse", "HEAD"], env, work, url, ref).strip()
        return Fetched(commit, _read(checkout, path, commit))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(argv: list[str], env: dict[str, str], cwd: Path, url: str, ref: str) -> str:
    try:
        done = subprocess.run(
            argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise GitFailed(f"git did not fetch {url} ({ref}) within {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise GitFailed(f"git cannot run here: {exc.strerror} (install the git package)") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        said = (lines[-1] if lines else f"exit status {done.returncode}")[:300]
        raise GitFailed(f"git could not fetch {url} ({ref}): {said}")
    return done.stdout


def _read(checkout: Path, path: str, commit: str) -> str:
    top = checkout.resolve()
    target = (checkout / path).resolve()
    if not target.is_relative_to(top) or target == top or ".git" in target.relative_to(top).parts:
        raise GitRefused(f"{path} leads out of the repository (a symlink): refused")
    if not target.is_file():
        raise GitFailed(f"{path} is not a file in commit {commit[:12]}")
    if target.stat().st_size > MAX_FILE:
        raise GitRefused(f"{path} is over 1 MB")
    try:
        return target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise GitRefused(f"{path} is not UTF-8 text") from None
