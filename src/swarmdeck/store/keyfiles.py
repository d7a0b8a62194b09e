"""Secrets the console keeps in its data directory (a session signing key, an encryption
key): made once, readable by the owner only."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def owner_only_secret(path: Path, make: Callable[[], bytes]) -> bytes:
    """Return the secret in ``path``; on first use write ``make()`` there with mode 0600.

    The secret is written whole to a private temporary file first and then linked into
    place, which fails if ``path`` exists: so two threads or processes starting at once agree
    on one secret, and none ever reads a file that is still being written (an empty key
    failed under load when the file was created first and filled after). A file found
    readable by others is tightened to 0600.
    """
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # made meanwhile by another: that one is the secret
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_bytes()
