"""Secrets the console keeps in its data directory (a session signing key, an encryption
key): made once, readable by the owner only."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def owner_only_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """Return the secret in ``path``; on first use write ``make()`` there with mode 0600.

    The file is created exclusively, so two processes starting at once agree on one secret;
    a file found readable by others is tightened to 0600.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return path.read_bytes()
    secret = make()
    with os.fdopen(fd, "wb") as f:
        f.write(secret)
    return secret
