"""Where the repository's own files are, for tests that read them (apps, bench, src, corpora):
one definition, so that a test file can move between folders without counting parents."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "swarmdeck"
APPS = REPO / "apps"
BENCH = REPO / "bench"
