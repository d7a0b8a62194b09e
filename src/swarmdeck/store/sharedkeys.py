"""The console's keys derived from one shared secret, so that console replicas agree on them.

One console process makes its keys at random, once per data directory (``keyfiles``): the
session-signing key, the keys that seal endpoint TLS keys and registry/directory passwords,
and the one-time setup code. Replicas of the console sharing one database (PostgreSQL) each
have their own data directory (a volume per node), so random keys would differ: a session
cookie signed by one replica would be refused by the other, and a password sealed by one
could not be opened by the other.

Given a shared secret (a file, e.g. a swarm secret mounted in every replica), each of those
files is instead written from ``HMAC-SHA256(secret, label)`` before the console opens its
store: every replica derives the same values, and the rest of the console reads its files as
before. The keys stay out of the database, so a copy of the database alone still opens no
sealed secret. The setup code is derived too, so any replica accepts it; it is accepted only
until an admin exists (and removed then), as before.

A data directory whose sealing key was made at random earlier (a single console moved to
replicas) is refused rather than overwritten: what it sealed could no longer be opened.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from swarmdeck.store.errors import StoreError

MIN_SECRET_BYTES = 32
SESSION_KEY_FILE = "session.key"  # the console's session-signing key (console/security.py)


def _fernet(digest: bytes) -> bytes:
    return base64.urlsafe_b64encode(digest)


def _setup_code(digest: bytes) -> bytes:
    digits = digest[:10].hex()
    return "-".join(digits[i : i + 5] for i in range(0, 20, 5)).encode()


# file name -> (how the 32 derived bytes become the file's content, may it be replaced when
# it holds another value). Sealing keys may not: what they sealed would be lost.
DERIVED: dict[str, tuple[Callable[[bytes], bytes], bool]] = {
    SESSION_KEY_FILE: (lambda d: d, True),  # replacing it only ends the sessions it signed
    "endpoint.key": (_fernet, False),  # store/endpoint_tls.py
    "registry.key": (_fernet, False),  # store/registries.py (directory passwords too)
    "setup-code": (_setup_code, True),  # store/setupcode.py
}


def read_shared_secret(path: Path) -> bytes:
    """The shared secret in ``path``: at least 32 bytes (``openssl rand 32 > FILE`` makes one)."""
    try:
        secret = Path(path).read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read the shared secret file {path}: {exc.strerror}") from exc
    if len(secret.strip()) < MIN_SECRET_BYTES:
        raise StoreError(
            f"the shared secret file {path} holds {len(secret.strip())} bytes: it needs at least "
            f"{MIN_SECRET_BYTES} random bytes (e.g. `head -c 32 /dev/urandom > {path}`)"
        )
    return secret.strip()


def derive(secret: bytes, name: str) -> bytes:
    """The content of the key file ``name`` for this shared secret."""
    form, _ = DERIVED[name]
    return form(hmac.new(secret, b"swarmdeck-console/" + name.encode(), hashlib.sha256).digest())


def install_shared_keys(data_dir: Path, secret: bytes) -> None:
    """Write every derived key file in ``data_dir`` (owner-only) unless it holds that value.

    Refuses, changing nothing, when a sealing key there holds another value."""
    wanted = {name: derive(secret, name) for name in DERIVED}
    current = {name: _read(data_dir / name) for name in DERIVED}
    for name, value in wanted.items():
        if current[name] not in (None, value) and not DERIVED[name][1]:
            raise StoreError(
                f"{data_dir / name} was made by this data directory, not derived from the shared "
                "secret: what it sealed (endpoint TLS keys, registry and directory passwords) could "
                "not be opened with the derived key. Start the replicas on new data directories, "
                "or run a single console without the shared secret"
            )
    for name, value in wanted.items():
        if current[name] != value:
            _write(data_dir / name, value)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write(path: Path, value: bytes) -> None:
    """Replace ``path`` at once (a reader sees the old content or the new), mode 0600. The
    temporary name is random: replicas on one node's volume start at once, each as PID 1."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    os.replace(temporary, path)
