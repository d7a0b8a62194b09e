"""``env_file`` files, read as the docker CLI reads them (``pkg/kvfile``).

One ``KEY=value`` per line; the value is kept exactly (no quote stripping, no
interpolation, trailing spaces kept); leading whitespace of a line is dropped; empty lines
and lines starting with ``#`` are skipped; a UTF-8 byte order mark on the first line is
dropped. A line holding only a key takes the value of that variable from the given
environment, and is dropped when the variable is not set. A key with whitespace, an empty
key, or bytes that are not UTF-8 are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class EnvFileError(ValueError):
    """An env file that cannot be read or parsed; the message says why."""


def parse_env_file(path: Path, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of the file, in order."""
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise EnvFileError(f"open {path}: {reason[:1].lower()}{reason[1:]}") from None
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    pairs: list[tuple[str, str]] = []
    for number, raw in enumerate(lines, start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvFileError(
                f"env file {path} contains invalid utf8 bytes at line {number}: {list(raw)}"
            ) from None
        line = text.lstrip()
        if not line or line.startswith("#"):
            continue
        key, has_value, value = line.partition("=")
        key = key.lstrip(" \t")
        if " " in key or "\t" in key:
            raise EnvFileError(f"poorly formatted environment: variable '{key}' contains whitespaces")
        if not key:
            raise EnvFileError(f"poorly formatted environment: no variable name on line '{line}'")
        if has_value:
            pairs.append((key, value))
        elif line in env:
            pairs.append((line.strip(), env[line]))
    return pairs
