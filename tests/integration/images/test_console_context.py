"""The console image's build context: the dependency wheels are fetched once per set of
pins, and a change of swarmdeck's own sources rebuilds only its wheel (no network needed),
so `up` after an edit works on a host that is offline by then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from swarmdeck.images.console_image import prepare_context
from tests.support.paths import REPO

pytestmark = pytest.mark.slow


def _checkout(tmp: Path) -> Path:
    root = tmp / "checkout"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return root


def test_a_source_change_rebuilds_only_swarmdecks_wheel(tmp_path):
    root = _checkout(tmp_path)
    said: list[str] = []
    context = prepare_context("x86_64", said.append, root=root)
    assert any(m.startswith("fetching") for m in said), said
    dependencies = {p.name for p in (context / "wheels").glob("*.whl") if not p.name.startswith("swarmdeck-")}
    assert len(dependencies) > 10
    first = {p.name: p.stat().st_mtime_ns for p in (context / "wheels").glob("*.whl")}

    module = root / "src" / "swarmdeck" / "errors.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    said.clear()
    prepare_context("x86_64", said.append, root=root)
    assert "building swarmdeck's wheel" in said and not any(m.startswith("fetching") for m in said), said
    after = {p.name: p.stat().st_mtime_ns for p in (context / "wheels").glob("*.whl")}
    assert {n: t for n, t in after.items() if not n.startswith("swarmdeck-")} == {
        n: t for n, t in first.items() if not n.startswith("swarmdeck-")
    }  # the dependency wheels were kept, untouched
    assert len([n for n in after if n.startswith("swarmdeck-")]) == 1

    said.clear()
    prepare_context("x86_64", said.append, root=root)
    assert said == ["wheelhouse up to date"]
