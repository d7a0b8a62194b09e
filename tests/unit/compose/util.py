"""Helpers for the compose loader tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from swarmdeck.compose import ComposeError, LoadResult, load

CORPUS = Path(__file__).resolve().parent / "corpus"
NAME = "docker-compose.yml"


def load_text(
    text: str, env: Mapping[str, str] | None = None, working_dir: Path | str | None = None
) -> LoadResult:
    """Load one in-memory file called docker-compose.yml."""
    return load([(NAME, text)], env=env or {}, working_dir=working_dir)


def error_of(
    text: str, env: Mapping[str, str] | None = None, working_dir: Path | str | None = None
) -> ComposeError:
    """The ComposeError that loading ``text`` raises."""
    with pytest.raises(ComposeError) as caught:
        load_text(text, env, working_dir)
    return caught.value
