"""The test bed's shared bookkeeping: a lock and a JSON file under /run/swarmdeck-testbed.

Several pytest sessions (and the `python -m tests.testbed` CLI) may use the bed at the same
time, so who started a daemon and who still uses it is written down here rather than kept
in one process's memory:

- `parts`: one entry per daemon the test bed started (`engine_a`, `node_b`, `registry`)
  with its pid, its `owner` ("session": started by a pytest session, stopped when the last
  session ends; "cli": started by `python -m tests.testbed up`, stopped by `down`) and
  whatever is needed to clean up after it.
- `sessions`: pids of the pytest sessions currently using the bed.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .common import cmdline
from .config import LOCK_FILE, RUN_DIR, STATE_FILE

_depth = 0  # re-entry count: bringing up the swarm brings up both engines under one lock


@contextmanager
def locked() -> Iterator[None]:
    """Hold the bed-wide lock: one process at a time brings parts up or down. Re-entrant."""
    global _depth
    if _depth:
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
        return
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _depth = 1
        try:
            yield
        finally:
            _depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


def load() -> dict[str, Any]:
    try:
        data = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        data = {}
    data.setdefault("parts", {})
    data["sessions"] = [pid for pid in data.get("sessions", []) if cmdline(pid)]
    return data


def save(data: dict[str, Any]) -> None:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    tmp = STATE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(tmp, STATE_FILE)
