"""Progress where no spinner can show (a CI log, a pipe): plain lines, throttled per worker,
nothing but results with quiet."""

from __future__ import annotations

import io

from rich.console import Console

from swarmdeck.cli import output
from swarmdeck.cli.output import TerminalReporter


def _plain() -> tuple[TerminalReporter, io.StringIO]:
    text = io.StringIO()
    return TerminalReporter(Console(file=text, force_terminal=False, width=200)), text


def test_off_a_terminal_steps_and_details_are_lines(monkeypatch):
    clock = iter([0.0, 1.0, 2.0, 3.0, 9.0, 9.5])
    monkeypatch.setattr(output.time, "monotonic", lambda: next(clock))
    reporter, text = _plain()
    reporter.step("Bootstrap base images")
    reporter.detail("python: [1/2] debootstrap: 1 packages fetched (libc6) (0 s)")
    reporter.detail("redis: [2/2] debootstrap: 1 packages fetched (libc6) (1 s)")
    reporter.detail("python: [1/2] debootstrap: 2 packages fetched (bash) (2 s)")  # throttled
    reporter.detail("python: [1/2] debootstrap: 3 packages fetched (dash) (3 s)")  # throttled
    reporter.detail("python: [1/2] debootstrap: 9 packages fetched (perl) (9 s)")  # 9 s after the first
    reporter.detail("python: [1/2] importing into the engine (9 s)")  # a new stage
    reporter.done("python=swarmdeck/base-python:bookworm")
    lines = text.getvalue().splitlines()
    assert lines == [
        "Bootstrap base images…",
        "  python: [1/2] debootstrap: 1 packages fetched (libc6) (0 s)",
        "  redis: [2/2] debootstrap: 1 packages fetched (libc6) (1 s)",
        "  python: [1/2] debootstrap: 9 packages fetched (perl) (9 s)",
        "  python: [1/2] importing into the engine (9 s)",
        "✓ Bootstrap base images: python=swarmdeck/base-python:bookworm",
    ]


def test_quiet_keeps_only_the_results():
    text = io.StringIO()
    reporter = TerminalReporter(Console(file=text, force_terminal=False, width=200), quiet=True)
    reporter.step("Bootstrap base images")
    reporter.detail("python: [1/1] debootstrap: starting (0 s)")
    reporter.done("python=swarmdeck/base-python:bookworm")
    assert text.getvalue().splitlines() == ["✓ Bootstrap base images: python=swarmdeck/base-python:bookworm"]
