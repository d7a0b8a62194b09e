"""Time spent per test tier, printed at the end of every run (CI's log keeps it).

Why: CI has a fixed budget, and the tiers (``vm``, ``swarm``, ``engine``, the rest) are
selected by marker; knowing what each one costs on a given run says which to trim, and the
closing notes quote these lines. A test counts in its most expensive tier, and its time is
setup + call + teardown, so the session fixtures it brought up (a VM, the swarm) count in the
first test that needed them. The same times are also summed by top-level folder.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

TIERS = ("vm", "swarm", "engine")  # most expensive first
_by_tier: dict[str, float] = defaultdict(float)
_by_folder: dict[str, float] = defaultdict(float)
_counted: dict[str, int] = defaultdict(int)
_tier_of: dict[str, str] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marks = {m.name for m in item.iter_markers()}
        _tier_of[item.nodeid] = next((t for t in TIERS if t in marks), "no engine")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier_of.get(report.nodeid, "no engine")
    _by_tier[tier] += report.duration
    parts = report.nodeid.split("/")
    _by_folder["/".join(parts[:2]) if len(parts) > 2 else parts[0]] += report.duration
    if report.when == "call":
        _counted[tier] += 1


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not _by_tier:
        return
    write = terminalreporter.write_line
    terminalreporter.section("time by tier")
    for tier in (*TIERS, "no engine"):
        if tier in _by_tier:
            write(f"{tier:10} {_counted[tier]:5} tests {_by_tier[tier] / 60:7.1f} min")
    for folder, seconds in sorted(_by_folder.items(), key=lambda kv: -kv[1]):
        write(f"  {folder:28} {seconds / 60:7.1f} min")
