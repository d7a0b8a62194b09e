"""The one-time setup code: until the first admin exists, creating it needs a code that only
someone with access to the console's data directory can read.

Without it, whoever reaches a fresh console first (a scanner, a neighbour on the network)
would become its admin. The console writes the code when it starts without an admin; it is
removed as soon as an admin exists, whichever way that admin was made.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from swarmdeck.store.keyfiles import owner_only_secret

SETUP_CODE_FILE = "setup-code"


def setup_code_path(data_dir: Path) -> Path:
    return Path(data_dir) / SETUP_CODE_FILE


def _new_code() -> bytes:
    """80 random bits as four groups of five hex digits: easy to copy, read out or type."""
    digits = secrets.token_hex(10)
    return "-".join(digits[i : i + 5] for i in range(0, 20, 5)).encode()


def issue_setup_code(data_dir: Path) -> str:
    """The current code, written (owner-only) if there is none yet."""
    return owner_only_secret(setup_code_path(data_dir), _new_code).decode().strip()


def read_setup_code(data_dir: Path) -> str | None:
    """The current code, or None when there is none (not started yet, or already set up)."""
    try:
        return setup_code_path(data_dir).read_text().strip() or None
    except FileNotFoundError:
        return None


def setup_code_matches(data_dir: Path, offered: str) -> bool:
    """Compare in constant time; no code on file matches nothing."""
    expected = read_setup_code(data_dir)
    return expected is not None and hmac.compare_digest(offered.strip().encode(), expected.encode())


def retire_setup_code(data_dir: Path) -> None:
    """Remove the code: an admin exists, so it must never be accepted again."""
    setup_code_path(data_dir).unlink(missing_ok=True)
