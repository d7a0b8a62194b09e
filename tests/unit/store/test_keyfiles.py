"""A key file made by many threads at once: every caller gets the same whole secret (under
load, a console's first pages once read an endpoint key that was created but not yet written,
and answered 500)."""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

from swarmdeck.store.keyfiles import owner_only_secret


def test_callers_at_once_agree_on_one_whole_secret(tmp_path: Path) -> None:
    for round_ in range(20):
        path = tmp_path / f"key{round_}"
        start = threading.Barrier(16)
        got: list[bytes] = []

        def slow_make() -> bytes:
            time.sleep(0.01)  # widen the window between making the file and filling it
            return secrets.token_bytes(32)

        def call(path: Path, start: threading.Barrier, got: list[bytes]) -> None:
            start.wait()
            got.append(owner_only_secret(path, slow_make))

        threads = [threading.Thread(target=call, args=(path, start, got)) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(got) == 16 and len(set(got)) == 1 and len(got[0]) == 32, round_
        assert path.read_bytes() == got[0]
        assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(tmp_path)) == sorted(f"key{i}" for i in range(20))  # no temporary left


def test_a_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_bytes(b"s" * 32)
    path.chmod(0o644)
    assert owner_only_secret(path, lambda: b"other") == b"s" * 32
    assert path.stat().st_mode & 0o777 == 0o600
